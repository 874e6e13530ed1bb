package reports

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/orrery-sim/orrery/scenarios"
)

// seedRange reads ORRERY_SEEDS ("1-30", or one seed), default 1-3.
func seedRange(t *testing.T) (lo, hi uint64) {
	s := os.Getenv("ORRERY_SEEDS")
	if s == "" {
		return 1, 3
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.ParseUint(a, 10, 64)
	hi, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil || lo > hi {
		t.Fatalf("ORRERY_SEEDS=%q: want a seed or a range such as 1-30", s)
	}
	return lo, hi
}

// TestWatchBuiltinsHoldAcrossSeeds runs the watch built-ins under several
// seeds and requires every expectation to hold. make test runs seeds 1–3;
// ORRERY_SEEDS=1-30 go test ./reports -run AcrossSeeds runs the 30 the
// built-ins are tuned for.
func TestWatchBuiltinsHoldAcrossSeeds(t *testing.T) {
	lo, hi := seedRange(t)
	for _, name := range []string{"watch-fanout", "push-vs-pull"} {
		for seed := lo; seed <= hi; seed++ {
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				sc, err := scenarios.LoadBuiltin(name)
				if err != nil {
					t.Fatal(err)
				}
				sc.SetSeed(seed)
				out, _ := runOutput(t, sc)
				if out.Failed() > 0 {
					var buf bytes.Buffer
					_ = out.Text(&buf)
					t.Fatalf("%d expectations failed:\n%s", out.Failed(), buf.String()[max(0, buf.Len()-3000):])
				}
			})
		}
	}
}
