package mvcc

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/orrery-sim/orrery/model/api"
)

// naive is a brute-force reference: the full history of changes, never
// compacted, replayed to answer every question.
type naive struct {
	rev     int64
	history []Event // every change, in revision order
	alarms  map[uint64]bool
}

func (n *naive) state(rev int64) map[Key]KeyValue {
	m := map[Key]KeyValue{}
	for _, e := range n.history {
		if e.KV.ModRevision > rev {
			break
		}
		if e.Type == EventPut {
			m[e.KV.Key] = e.KV
		} else {
			delete(m, e.KV.Key)
		}
	}
	return m
}

// apply is the reference semantics of a txn, written independently of
// Store: compare against the current mod revision (0 if absent), then
// write with etcd's create/mod/version rules.
func (n *naive) apply(c *Command) (succeeded, changed bool) {
	if c.Op == CmdAlarmActivate {
		n.alarms[c.Member] = true
	}
	if c.Op == CmdAlarmDeactivate {
		delete(n.alarms, c.Member)
	}
	if c.Op != CmdTxn || (c.Then == TxnPut && len(n.alarms) > 0) {
		return false, false
	}
	cur, found := n.state(n.rev)[c.Key]
	if c.CompareModRev >= 0 && cur.ModRevision != c.CompareModRev {
		return false, false
	}
	switch {
	case c.Then == TxnPut:
		n.rev++
		kv := KeyValue{Key: c.Key, CreateRevision: n.rev, ModRevision: n.rev, Version: 1, Value: c.Value}
		if found {
			kv.CreateRevision, kv.Version = cur.CreateRevision, cur.Version+1
		}
		n.history = append(n.history, Event{Type: EventPut, KV: kv})
		return true, true
	case found:
		n.rev++
		n.history = append(n.history, Event{Type: EventDelete, KV: KeyValue{Key: c.Key, ModRevision: n.rev}, Prev: cur})
		return true, true
	}
	return true, false
}

// TestAgainstNaiveModel applies random workloads to a Store and to the
// brute-force reference, and checks every result, a range at a random
// readable revision and the events since a random revision after each
// step.
func TestAgainstNaiveModel(t *testing.T) {
	var stats [8]int
	for seed := uint64(1); seed <= 20; seed++ {
		s := NewStore(Config{})
		ref := &naive{rev: 1, alarms: map[uint64]bool{}}
		rng := rand.New(rand.NewPCG(seed, 4))
		randomCommands(rng, s, 300, func(c *Command) {
			rev := s.Rev()
			r := s.Apply(c)
			if err := s.Verify(); err != nil {
				t.Fatalf("seed %d %+v: %v", seed, *c, err)
			}
			ok, changed := ref.apply(c)
			switch c.Op {
			case CmdTxn:
				if r.Err == nil && (r.Succeeded != ok || r.HasEvent != changed) {
					t.Fatalf("seed %d %+v: %+v, reference succeeded=%v changed=%v", seed, *c, r, ok, changed)
				}
				if r.HasEvent && r.Event != ref.history[len(ref.history)-1] {
					t.Fatalf("seed %d: event %+v, reference %+v", seed, r.Event, ref.history[len(ref.history)-1])
				}
				switch {
				case errors.Is(r.Err, ErrNoSpace):
					stats[0]++
				case r.Succeeded && r.HasEvent:
					stats[1]++
				case r.Succeeded:
					stats[2]++
				default:
					stats[3]++
				}
			case CmdCompact:
				switch {
				case c.Revision <= rev && r.Err == nil:
					stats[4]++
				case errors.Is(r.Err, ErrCompacted):
					stats[5]++
				default:
					t.Fatalf("seed %d compact %d at %d: %v", seed, c.Revision, rev, r.Err)
				}
			}
			if s.Rev() != ref.rev {
				t.Fatalf("seed %d: rev %d, reference %d", seed, s.Rev(), ref.rev)
			}
			checkReads(t, s, ref, rng)
		})
	}
	t.Logf("txns: %d NOSPACE, %d writes, %d no-op deletes, %d failed compares; compactions: %d done, %d ErrCompacted",
		stats[0], stats[1], stats[2], stats[3], stats[4], stats[5])
	for i, n := range stats[:6] {
		if n == 0 {
			t.Errorf("the workload never produced outcome %d", i)
		}
	}
}

func checkReads(t *testing.T, s *Store, ref *naive, rng *rand.Rand) {
	t.Helper()
	first := max(s.CompactRev(), 1)
	rev := first + rng.Int64N(s.Rev()-first+1)
	want := ref.state(rev)
	for _, res := range []api.Resource{api.Leases, api.ConfigMaps} {
		start, end := PrefixRange(res)
		var got []KeyValue
		_, n, err := s.Range(start, end, rev, 0, func(kv *KeyValue) bool { got = append(got, *kv); return true })
		if err != nil {
			t.Fatalf("range at %d (compact %d): %v", rev, s.CompactRev(), err)
		}
		count := 0
		for k := range want {
			if k >= start && k < end {
				count++
			}
		}
		if n != count || len(got) != count {
			t.Fatalf("range %v at %d: %d keys (%d returned), reference %d", res, rev, n, len(got), count)
		}
		for i, kv := range got {
			if i > 0 && kv.Key <= got[i-1].Key {
				t.Fatalf("range out of key order")
			}
			if want[kv.Key] != kv {
				t.Fatalf("range at %d: %+v, reference %+v", rev, kv, want[kv.Key])
			}
		}
	}
	if s.CompactRev() > 1 {
		if err := s.EventsSince(s.CompactRev()-1, func(*Event) bool { return true }); !errors.Is(err, ErrCompacted) {
			t.Fatalf("events below the compaction revision: %v", err)
		}
	}
	var evs []Event
	if err := s.EventsSince(rev, func(e *Event) bool { evs = append(evs, *e); return true }); err != nil {
		t.Fatal(err)
	}
	var wantEvs []Event
	for _, e := range ref.history {
		if e.KV.ModRevision >= rev {
			wantEvs = append(wantEvs, e)
		}
	}
	if len(evs) != len(wantEvs) {
		t.Fatalf("events since %d: %d, reference %d", rev, len(evs), len(wantEvs))
	}
	for i := range evs {
		if evs[i] != wantEvs[i] {
			t.Fatalf("event %d since %d: %+v, reference %+v", i, rev, evs[i], wantEvs[i])
		}
	}
}
