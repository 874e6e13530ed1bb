package etcd

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// TestWALLogMatchesMemoryStorage: walLog claims raft's MemoryStorage
// semantics (wal.go). Random appends (with conflicting suffixes and
// compacted prefixes), compactions, snapshots taken and received, and
// hard states go to both; every answer of raft.Storage must agree after
// each. A slice Entries handed out is kept, and reported busy
// (spareBusy): compacting into the spare array must not overwrite it.
func TestWALLogMatchesMemoryStorage(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x77616c))
		w, ms := newWALLog(), raft.NewMemoryStorage()
		w.poison = true
		var held, heldCopy []pb.Entry
		w.spareBusy = func(a *entArray) bool { return a.holds(held) }
		term := uint64(1)
		for step := range 400 {
			first, _ := ms.FirstIndex()
			last, _ := ms.LastIndex()
			var what string
			var errW, errM error
			switch p := rng.IntN(100); {
			case p < 55: // append, from any index in [first-3, last+1]
				what = "append"
				lo := max(1, int64(first)-3) + rng.Int64N(int64(last)+2-max(1, int64(first)-3))
				if rng.IntN(4) == 0 {
					term++
				}
				ents := make([]pb.Entry, 1+rng.IntN(8))
				for i := range ents {
					ents[i] = pb.Entry{Index: uint64(lo) + uint64(i), Term: term, Data: []byte{byte(step), byte(i)}}
				}
				errW, errM = w.Append(slices.Clone(ents)), ms.Append(ents)
			case p < 70: // compact to an index in [first-1, last]
				what = "compact"
				i := first - 1 + rng.Uint64N(last-first+2)
				errW, errM = w.Compact(i), ms.Compact(i)
			case p < 80:
				what = "create snapshot"
				i := first - 1 + rng.Uint64N(last-first+2)
				cs := &pb.ConfState{Voters: []uint64{1, 2, uint64(step)}}
				_, errW = w.CreateSnapshot(i, cs, []byte{byte(step)})
				_, errM = ms.CreateSnapshot(i, cs, []byte{byte(step)})
			case p < 85:
				what = "apply snapshot"
				snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: max(last, 2) - 2 + rng.Uint64N(10), Term: term}}
				errW, errM = w.ApplySnapshot(snap), ms.ApplySnapshot(snap)
			default:
				what = "hard state"
				hs := pb.HardState{Term: term, Vote: rng.Uint64N(3), Commit: rng.Uint64N(last + 1)}
				errW, errM = w.SetHardState(hs), ms.SetHardState(hs)
			}
			if errW != errM {
				t.Fatalf("seed %d step %d %s: walLog %v, MemoryStorage %v", seed, step, what, errW, errM)
			}
			compareStorage(t, seed, step, w, ms, rng)
			if !slices.EqualFunc(held, heldCopy, entryEqual) {
				t.Fatalf("seed %d step %d %s: entries handed out earlier were overwritten", seed, step, what)
			}
			if rng.IntN(3) == 0 {
				f, _ := w.FirstIndex()
				l, _ := w.LastIndex()
				if l >= f {
					held, _ = w.Entries(f, l+1, ^uint64(0))
					heldCopy = slices.Clone(held)
				}
			}
		}
		if w.reused == 0 {
			t.Fatalf("seed %d: no compaction reused the spare array", seed)
		}
	}
}

// compareStorage requires w and ms to give the same answers.
func compareStorage(t *testing.T, seed uint64, step int, w *walLog, ms *raft.MemoryStorage, rng *rand.Rand) {
	t.Helper()
	fail := func(what string, got, want any) {
		t.Helper()
		t.Fatalf("seed %d step %d: %s: walLog %v, MemoryStorage %v", seed, step, what, got, want)
	}
	fw, _ := w.FirstIndex()
	fm, _ := ms.FirstIndex()
	lw, _ := w.LastIndex()
	lm, _ := ms.LastIndex()
	if fw != fm || lw != lm {
		fail("first, last", []uint64{fw, lw}, []uint64{fm, lm})
	}
	hw, cw, _ := w.InitialState()
	hm, cm, _ := ms.InitialState()
	if !reflect.DeepEqual(hw, hm) || !reflect.DeepEqual(cw, cm) {
		fail("initial state", []any{hw, cw}, []any{hm, cm})
	}
	sw, _ := w.Snapshot()
	sm, _ := ms.Snapshot()
	if !reflect.DeepEqual(sw, sm) {
		fail("snapshot", sw.Metadata, sm.Metadata)
	}
	for i := fm - 2; i <= lm+1; i++ {
		tw, ew := w.Term(i)
		tm, em := ms.Term(i)
		if tw != tm || ew != em {
			fail("term of "+utoa(i), []any{tw, ew}, []any{tm, em})
		}
	}
	if lm < fm {
		return
	}
	for range 5 {
		lo := fm - 1 + rng.Uint64N(lm-fm+2)
		hi := lo + rng.Uint64N(lm+2-lo)
		maxSize := rng.Uint64N(60)
		ew, errW := w.Entries(lo, hi, maxSize)
		em, errM := ms.Entries(lo, hi, maxSize)
		if errW != errM || !slices.EqualFunc(ew, em, entryEqual) {
			fail("entries ["+utoa(lo)+", "+utoa(hi)+") max "+utoa(maxSize), ew, em)
		}
	}
}

func entryEqual(a, b pb.Entry) bool {
	return a.Index == b.Index && a.Term == b.Term && a.Type == b.Type && string(a.Data) == string(b.Data)
}
