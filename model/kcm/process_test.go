package kcm

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// stopper is an extra controller that records its starts and stops.
type stopper struct{ starts, stops int }

func (s *stopper) Start() { s.starts++ }
func (s *stopper) Stop()  { s.stops++ }

// Two replicas: one leads and runs its controllers, the other waits
// without informers. When the leader's process dies, the standby takes
// the lease once the last renewal it saw is a lease duration (15s) old,
// and starts its controllers cold. Over seeds, takeover comes between
// 15s − 2s (the renewal it saw may be up to a retry period before the
// death) and 15s + 2s·1.2 (its own retry tick, jittered) after the death.
func TestProcessFailsOverToTheStandby(t *testing.T) {
	const death = 30 * time.Second
	for seed := uint64(1); seed <= 8; seed++ {
		r := apitest.New(seed, apitest.Latencies{Network: ms, Service: ms, Commit: 2 * ms, Read: ms}, "w")
		extras := []*stopper{{}, {}}
		p, err := NewProcess(r.Eng, r.Net, r.Rec, r.Shared, r.Srv.Endpoint(), ProcessConfig{
			Replicas: 2, Lease: 100, LeaseNamespace: 1,
			Manager:        Config{In: objects.NewInterner(), InformerClient: unthrottled},
			ElectionClient: unthrottled,
			Extra:          func(i int) []Runner { return []Runner{extras[i]} },
		})
		if err != nil {
			t.Fatal(err)
		}
		p.Start()
		r.Run(t, death-time.Second)
		first := p.Leader()
		if first == nil {
			t.Fatalf("seed %d: no leader after %v", seed, death)
		}
		other := p.Replicas()[1-first.index]
		if !first.Manager.Running() || other.Manager.started || extras[first.index].starts != 1 || extras[other.index].starts != 0 {
			t.Fatalf("seed %d: leader running %v, standby started %v, extra starts %d/%d", seed,
				first.Manager.Running(), other.Manager.started, extras[first.index].starts, extras[other.index].starts)
		}
		r.At(death, first.Stop)
		var took sim.Time
		for step := death; step < death+30*time.Second; step += 100 * ms {
			r.Run(t, step)
			if other.Leading() {
				took = r.Eng.Now()
				break
			}
		}
		if took == 0 {
			t.Fatalf("seed %d: the standby never took over", seed)
		}
		gap := took.Sub(sim.Time(death))
		if gap < 13*time.Second || gap > 17400*ms+100*ms {
			t.Errorf("seed %d: takeover %v after the death, want 13s..17.5s", seed, gap)
		}
		if first.Manager.started || extras[first.index].stops != 1 || extras[other.index].starts != 1 {
			t.Errorf("seed %d: dead replica's manager started %v, its extra stops %d, standby extra starts %d", seed,
				first.Manager.started, extras[first.index].stops, extras[other.index].starts)
		}
	}
}
