package mvcc_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/mvcctest"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
)

func TestCommandsDeterministic(t *testing.T) {
	a, b, c := mvcctest.Commands(1, 500), mvcctest.Commands(1, 500), mvcctest.Commands(2, 500)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different commands")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same commands")
	}
	// Applied in order, the stream exercises every outcome.
	s := mvcc.NewStore(mvcc.Config{})
	var writes, conflicts, compactions, compacted, nospace, alarms int
	for i := range a {
		r := s.Apply(&a[i])
		switch {
		case a[i].Op == mvcc.CmdTxn && errors.Is(r.Err, mvcc.ErrNoSpace):
			nospace++
		case a[i].Op == mvcc.CmdTxn && r.HasEvent:
			writes++
		case a[i].Op == mvcc.CmdTxn && !r.Succeeded:
			conflicts++
		case a[i].Op == mvcc.CmdCompact && r.Err == nil:
			compactions++
		case a[i].Op == mvcc.CmdCompact:
			compacted++
		case a[i].Op == mvcc.CmdAlarmActivate:
			alarms++
		}
	}
	t.Logf("500 commands: %d writes, %d failed compares, %d compactions (+%d ErrCompacted), %d alarms raised, %d NOSPACE",
		writes, conflicts, compactions, compacted, alarms, nospace)
	if writes == 0 || conflicts == 0 || compactions == 0 || compacted == 0 || alarms == 0 || nospace == 0 {
		t.Error("the stream misses an outcome")
	}
}

// TestHashicorpCrossCheck runs command streams through a three-node
// hashicorp/raft cluster with a leader partition, an InstallSnapshot and a
// restart from a snapshot, and checks that the three final states are
// identical to each other and to a Store applying, directly and in log
// order, exactly the commands the cluster committed — and that the
// leader's answers were the reference's.
func TestHashicorpCrossCheck(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		cmds := mvcctest.Commands(seed, 300)
		run := mvcctest.RunHashicorp(t, cmds)
		if t.Failed() {
			t.FailNow()
		}
		ref := mvcc.NewStore(mvcc.Config{})
		results := make([]mvcc.Result, len(run.Committed))
		for i := range run.Committed {
			results[i] = ref.Apply(&run.Committed[i])
		}
		for i, s := range run.Stores {
			if err := s.Verify(); err != nil {
				t.Fatalf("seed %d node %d: %v", seed, i, err)
			}
			if s.Digest() != ref.Digest() || s.Rev() != ref.Rev() {
				t.Fatalf("seed %d node %d: rev %d digest %x, reference rev %d digest %x",
					seed, i, s.Rev(), s.Digest(), ref.Rev(), ref.Digest())
			}
		}
		// Every command was committed at least once, in order of first commit.
		var firsts []uint64
		seen := make(map[uint64]bool)
		for _, c := range run.Committed {
			if !seen[c.ID] {
				seen[c.ID] = true
				firsts = append(firsts, c.ID)
			}
		}
		if len(firsts) != len(cmds) {
			t.Fatalf("seed %d: %d distinct commands committed of %d", seed, len(firsts), len(cmds))
		}
		for i, id := range firsts {
			if id != cmds[i].ID {
				t.Fatalf("seed %d: command %d committed %dth", seed, id, i)
			}
		}
		// The leader's responses are the reference's results for those entries.
		for _, resp := range run.Responses {
			i, ok := slices.BinarySearch(run.Indexes, resp.Index)
			if !ok {
				t.Fatalf("seed %d: response for index %d, which no node recorded", seed, resp.Index)
			}
			if resp.Result != results[i] {
				t.Fatalf("seed %d index %d: leader answered %+v, reference %+v", seed, resp.Index, resp.Result, results[i])
			}
		}
		if len(run.Responses) != len(cmds) {
			t.Errorf("seed %d: %d successful applies for %d commands", seed, len(run.Responses), len(cmds))
		}
		if run.Reissued == 0 || run.Restores < 2 {
			t.Errorf("seed %d: scenario not exercised: %d re-issued applies, %d snapshot restores", seed, run.Reissued, run.Restores)
		}
		t.Logf("seed %d: %d commands, %d committed entries (%d re-issued applies), %d snapshot restores, rev %d, %v virtual",
			seed, len(cmds), len(run.Committed), run.Reissued, run.Restores, ref.Rev(), run.Elapsed)
	}
}

// TestHashicorpLeaderlessWindows compares how long hashicorp/raft is
// without a leader after its leader is cut off, with its defaults
// (HeartbeatTimeout = ElectionTimeout = 1s) and with etcd's timing (100 ms
// heartbeat, 1 s election timeout). A comparison for the report, not a
// specification: it only requires that each run found a new leader after
// a positive delay.
func TestHashicorpLeaderlessWindows(t *testing.T) {
	const runs = 20
	for _, c := range []struct {
		name                string
		heartbeat, election time.Duration
	}{
		{"hashicorp defaults 1s/1s", time.Second, time.Second},
		{"etcd timing 100ms/1s", 100 * time.Millisecond, time.Second},
	} {
		w := mvcctest.HashicorpLeaderlessWindows(t, runs, c.heartbeat, c.election)
		if len(w) != runs {
			t.Fatalf("%s: %d windows of %d runs", c.name, len(w), runs)
		}
		for _, d := range w {
			if d <= 0 {
				t.Errorf("%s: window %v", c.name, d)
			}
		}
		slices.Sort(w)
		t.Logf("%s: leaderless window over %d runs: min %v, median %v, p90 %v, max %v",
			c.name, runs, w[0], w[runs/2], w[runs*9/10], w[runs-1])
	}
}
