package reports

import (
	"bytes"
	"testing"

	"github.com/orrery-sim/orrery/scenarios"
)

// TestThunderingHerd runs the thundering-herd built-in with two seeds:
// every expectation holds (seeds 1-30 were checked when it was written), and
// each defence faces its own herd in its own window.
func TestThunderingHerd(t *testing.T) {
	if testing.Short() {
		t.Skip("six runs of 2000 nodes per seed")
	}
	for _, seed := range []uint64{1, 7} {
		sc, err := scenarios.LoadBuiltin("thundering-herd")
		if err != nil {
			t.Fatal(err)
		}
		sc.SetSeed(seed)
		cmp, reps := runOutput(t, sc)
		if cmp.Failed() > 0 {
			var buf bytes.Buffer
			_ = cmp.Text(&buf)
			t.Fatalf("seed %d: %d expectations failed:\n%s", seed, cmp.Failed(), buf.String())
		}
		// The windows are the start and the three faults, in order.
		w := reps[0].Settling
		if len(w) != 4 || w[1].Name != "fault 0 (restartAPIServer)" || w[2].Name != "fault 1 (restartControllers)" || w[3].Name != "fault 2 (restartKubelet)" {
			t.Fatalf("seed %d: windows %+v", seed, w)
		}
	}
}
