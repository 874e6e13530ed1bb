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
// and starts its controllers cold. Retries come every 2s to 4.4s
// (RetryPeriod jittered by 1.2). The last renewal came up to 4.4s before
// the death, and the standby noticed it up to 4.4s after it was made;
// the standby's first retry after expiry is up to 4.4s later. So
// takeover lands between 15 − 4.4 = 10.6s and 15 + 4.4 + 4.4 = 23.8s
// after the death.
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
		if gap < 10600*ms || gap > 23900*ms {
			t.Errorf("seed %d: takeover %v after the death, want 10.6s..23.8s", seed, gap)
		}
		if first.Manager.started || extras[first.index].stops != 1 || extras[other.index].starts != 1 {
			t.Errorf("seed %d: dead replica's manager started %v, its extra stops %d, standby extra starts %d", seed,
				first.Manager.started, extras[first.index].stops, extras[other.index].starts)
		}
	}
}

// A restarted instance is a new candidate: it does not find itself
// holding the Lease it held before it died, so it waits for the Lease to
// expire (15s) instead of taking it back at once.
func TestRestartedInstanceWaitsForItsOldLease(t *testing.T) {
	r := apitest.New(1, apitest.Latencies{Network: ms, Service: ms, Commit: 2 * ms, Read: ms}, "w")
	p, err := NewProcess(r.Eng, r.Net, r.Rec, r.Shared, r.Srv.Endpoint(), ProcessConfig{
		Replicas: 1, Lease: 100, LeaseNamespace: 1,
		Manager:        Config{In: objects.NewInterner(), InformerClient: unthrottled},
		ElectionClient: unthrottled,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	only := p.Replicas()[0]
	r.At(10*time.Second, only.Stop)
	r.At(11*time.Second, only.Start)
	r.Run(t, 20*time.Second)
	if only.Leading() {
		t.Fatalf("the restarted instance leads at 20s, 10s after its old self's last renewal")
	}
	r.Run(t, 40*time.Second)
	if !only.Leading() {
		t.Fatalf("the restarted instance does not lead at 40s")
	}
}
