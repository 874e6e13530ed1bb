package etcd

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/mvcctest"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

// lastIndex is the newest raft index the member holds or is writing.
func (m *Member) lastIndex() uint64 {
	last, _ := m.wal.LastIndex()
	for _, e := range m.inflight.Entries {
		last = max(last, e.Index)
	}
	return last
}

// proposeAndWait proposes cmd through the current leader and runs the
// engine until every running member it can reach has applied it.
func proposeAndWait(t *testing.T, e *env, cmd mvcc.Command) {
	t.Helper()
	deadline := e.eng.Now().Add(30 * time.Second)
	for e.c.Leader() == nil {
		if e.eng.Now() > deadline {
			t.Fatal("no leader")
		}
		e.run(t, time.Duration(e.eng.Now())+10*time.Millisecond)
	}
	l := e.c.Leader()
	if !l.ProposeInternal(cmd) {
		t.Fatalf("leader %s refused a proposal", l.name)
	}
	target := l.lastIndex()
	for {
		done := true
		for _, m := range e.c.Members {
			if m.up && e.net.Reachable(l.self, m.self) && m.applied < target {
				done = false
			}
		}
		if done {
			return
		}
		if e.eng.Now() > deadline {
			t.Fatalf("index %d not applied everywhere after 30s", target)
		}
		e.run(t, time.Duration(e.eng.Now())+5*time.Millisecond)
	}
}

// TestCrossCheckWithHashicorpRaft runs one command stream through a
// hashicorp/raft cluster (mvcctest.RunHashicorp: InmemTransport inside
// testing/synctest, a leader partition, snapshot installs and a restart)
// and through the simulated etcd (a leader isolation, a follower that
// falls behind the compacted log and gets a snapshot), and requires every
// member of both to end in the same store state.
func TestCrossCheckWithHashicorpRaft(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		run := mvcctest.RunHashicorp(t, mvcctest.Commands(seed, 300))
		if t.Failed() {
			t.FailNow()
		}
		cfg := testConfig(3)
		cfg.SnapshotCount, cfg.SnapshotCatchUpEntries = 50, 10
		e := newEnv(t, seed, cfg)
		n := len(run.Committed)
		var isolation sim.PartitionID
		for i, cmd := range run.Committed {
			switch i {
			case n / 4: // cut the leader off; the others elect a new one
				l := e.c.Leader()
				isolation = e.net.Partition("isolate", []sim.EndpointID{l.self}, nil)
				e.c.Recheck()
			case n / 2:
				e.net.Heal(isolation)
				e.c.Recheck()
				// A follower crashes and misses more than the log keeps.
				for _, m := range e.c.Members {
					if m != e.c.Leader() {
						m.Crash()
						break
					}
				}
			case 3 * n / 4:
				for _, m := range e.c.Members {
					m.Restart()
				}
			}
			proposeAndWait(t, e, cmd)
		}
		e.run(t, time.Duration(e.eng.Now())+10*time.Second)
		RestoreRandom()
		if got := e.rec.Counter("etcd_server_snapshots_installed_total").Value; got == 0 {
			t.Errorf("seed %d: no member installed a snapshot: the scenario did not exercise it", seed)
		}
		want := run.Stores[0].Digest()
		for i, s := range run.Stores {
			if s.Digest() != want {
				t.Fatalf("seed %d: hashicorp node %d differs from node 0", seed, i)
			}
		}
		for _, m := range e.c.Members {
			if m.kv.Digest() != want || m.kv.Rev() != run.Stores[0].Rev() {
				t.Errorf("seed %d: %s at rev %d (digest %x), hashicorp nodes at rev %d (digest %x)",
					seed, m.name, m.kv.Rev(), m.kv.Digest(), run.Stores[0].Rev(), want)
			}
		}
	}
}
