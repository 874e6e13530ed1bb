package mvcc

import (
	"math/rand/v2"
	"testing"

	"github.com/orrery-sim/orrery/model/api"
)

// TestArenaStoresAreIndependent: stores sharing an arena keep separate
// states. Three stores in one arena each apply their own random history
// (same keys, different commands); each must verify and match a private
// store that applied the same history. A fourth store finds the arena
// full and gets a private one.
func TestArenaStoresAreIndependent(t *testing.T) {
	a := NewArena(3)
	var shared, private [3]*Store
	for i := range shared {
		shared[i] = NewStoreIn(Config{}, a)
		private[i] = NewStore(Config{})
		if shared[i].arena != a || shared[i].slot != i {
			t.Fatalf("store %d: slot %d of its arena, want %d of the shared one", i, shared[i].slot, i)
		}
	}
	if s := NewStoreIn(Config{}, a); s.arena == a {
		t.Fatal("a fourth store got a slot of a three-store arena")
	}
	rngs := [3]*rand.Rand{}
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(uint64(i), 9))
	}
	// Interleave the histories command by command.
	for step := 0; step < 400; step++ {
		for i := range shared {
			randomCommands(rngs[i], private[i], 1, func(c *Command) {
				private[i].Apply(c)
				shared[i].Apply(c)
			})
		}
	}
	for i := range shared {
		if err := shared[i].Verify(); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		if shared[i].Digest() != private[i].Digest() {
			t.Fatalf("store %d: state differs from the same history applied alone", i)
		}
	}
	if shared[0].Digest() == shared[1].Digest() {
		t.Fatal("different histories, equal digests: the test exercises nothing")
	}
}

// TestDroppedTombstoneUnlinks: compaction drops a tombstone below its
// revision; the key's next generation must then start its chain afresh,
// and its history read back as etcd's index would have it.
func TestDroppedTombstoneUnlinks(t *testing.T) {
	s := NewStore(Config{})
	mustPut(t, s, keyA, 1) // 2
	mustDelete(t, s, keyA) // 3
	mustPut(t, s, keyB, 2) // 4
	mustPut(t, s, keyA, 3) // 5: a new generation
	mustPut(t, s, keyA, 4) // 6
	r := compact(t, s, 4)  // drops 2 and the tombstone at 3
	if r.FreedRevisions != 2 || s.Revisions() != 3 {
		t.Fatalf("compact 4: %+v, %d stored", r, s.Revisions())
	}
	if e := s.entryAt(5); e == nil || e.prev != 0 {
		t.Fatalf("revision 5 still links to the dropped tombstone: %+v", e)
	}
	gens := s.generations(s.lookup(keyA))
	if len(gens) != 1 || len(gens[0].revs) != 2 || gens[0].revs[0] != 5 || gens[0].ver != 2 || gens[0].created != 5 {
		t.Fatalf("generations %+v, want one {ver 2, created 5, revs [5 6]}", gens)
	}
	if _, ok := get(t, s, keyA, 4); ok {
		t.Error("keyA exists at 4, after its deletion at 3")
	}
	if kv, ok := get(t, s, keyA, 5); !ok || kv.Value.RenewTime != 3 {
		t.Errorf("keyA at 5: %+v %v", kv, ok)
	}
}

// TestLogIsDenseAboveTheCompaction: every revision above the compaction
// revision has a log entry, so entryAt computes positions there; at or
// below it, it searches the entries compaction kept.
func TestLogIsDenseAboveTheCompaction(t *testing.T) {
	s := NewStore(Config{})
	for i := range int32(40) {
		mustPut(t, s, KeyOf(api.ConfigMaps, i%7), int64(i))
	}
	compact(t, s, 30)
	if s.sparse != 7 {
		t.Fatalf("%d entries at or below the compaction revision, want one per key: 7", s.sparse)
	}
	for rev := int64(1); rev <= s.Rev()+1; rev++ {
		e := s.entryAt(rev)
		var want *logEntry
		for i := 0; i < s.log.len(); i++ {
			if s.log.at(i).rev == rev {
				want = s.log.at(i)
			}
		}
		if e != want {
			t.Fatalf("entryAt(%d) = %v, want %v", rev, e, want)
		}
	}
}
