package mvcc

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/orrery-sim/orrery/model/api"
)

// randomCommands is a test workload over a few keys of two resources:
// creates, blind puts, CAS updates (often stale), deletes, compactions
// and alarm changes. Compare revisions are guessed from s, which the
// caller keeps in step by applying each command as it is generated.
func randomCommands(rng *rand.Rand, s *Store, n int, apply func(*Command)) {
	for i := range n {
		res := api.Leases
		if rng.IntN(3) == 0 {
			res = api.ConfigMaps
		}
		k := KeyOf(res, int32(rng.IntN(8)))
		c := Command{Op: CmdTxn, ID: uint64(i + 1), Key: k, CompareModRev: NoCompare, Then: TxnPut,
			Value: api.Object{Resource: res, ID: k.ID(), Size: int32(rng.IntN(3000)), ResourceVersion: int64(i)}}
		cur, found, _ := s.Get(k, 0)
		switch p := rng.IntN(100); {
		case p < 15:
			c.CompareModRev = 0
		case p < 45:
			c.CompareModRev = cur.ModRevision
			if found && rng.IntN(4) == 0 {
				c.CompareModRev -= int64(1 + rng.IntN(3)) // stale
			}
		case p < 60:
			c.Then = TxnDelete
			if rng.IntN(2) == 0 {
				c.CompareModRev = cur.ModRevision
			}
		case p < 64:
			c = Command{Op: CmdCompact, ID: c.ID, Revision: s.Rev() - int64(rng.IntN(10))}
		case p < 65:
			c = Command{Op: CmdAlarmActivate, ID: c.ID, Member: uint64(1 + rng.IntN(2))}
		case p < 72:
			c = Command{Op: CmdAlarmDeactivate, ID: c.ID, Member: uint64(1 + rng.IntN(2))}
		}
		apply(&c)
	}
}

func randomStore(t testing.TB, seed uint64, n int) (*Store, []Command) {
	s := NewStore(Config{})
	var cmds []Command
	randomCommands(rand.New(rand.NewPCG(seed, 1)), s, n, func(c *Command) {
		cmds = append(cmds, *c)
		s.Apply(c)
		if err := s.Verify(); err != nil {
			t.Fatalf("seed %d after %+v: %v", seed, *c, err)
		}
	})
	return s, cmds
}

func TestDigest(t *testing.T) {
	a, cmds := randomStore(t, 1, 500)
	for m := uint64(1); m <= 3; m++ { // so that puts apply
		c := Command{Op: CmdAlarmDeactivate, Member: m}
		cmds = append(cmds, c)
		a.Apply(&c)
	}
	b := NewStore(Config{QuotaBytes: 1 << 40, NameBytes: 30}) // config is not state
	for i := range cmds {
		b.Apply(&cmds[i])
	}
	if a.Digest() != b.Digest() {
		t.Fatal("equal histories, different digests")
	}
	seen := map[uint64]string{a.Digest(): "base"}
	differ := func(name string, c Command) {
		t.Helper()
		s := NewStore(Config{})
		for i := range cmds {
			s.Apply(&cmds[i])
		}
		s.Apply(&c)
		d := s.Digest()
		if prev, ok := seen[d]; ok {
			t.Errorf("%s: digest equals %s's", name, prev)
		}
		seen[d] = name
	}
	k := KeyOf(api.Leases, 100)
	v := api.Object{Resource: api.Leases, ID: 100, Size: 10}
	differ("put", Command{Op: CmdTxn, Key: k, CompareModRev: NoCompare, Then: TxnPut, Value: v})
	v.RenewTime = 1
	differ("put of another value", Command{Op: CmdTxn, Key: k, CompareModRev: NoCompare, Then: TxnPut, Value: v})
	v.RenewTime, v.Size = 0, 11
	differ("put of another size", Command{Op: CmdTxn, Key: k, CompareModRev: NoCompare, Then: TxnPut, Value: v})
	differ("compaction", Command{Op: CmdCompact, Revision: a.Rev()})
	differ("alarm", Command{Op: CmdAlarmActivate, Member: 42})
	// Failed compares and reads leave the state alone.
	s := NewStore(Config{})
	for i := range cmds {
		s.Apply(&cmds[i])
	}
	s.Apply(&Command{Op: CmdTxn, Key: k, CompareModRev: 1 << 40, Then: TxnPut, Value: v})
	s.Range(0, ^Key(0), 0, 0, func(*KeyValue) bool { return true })
	if s.Digest() != a.Digest() {
		t.Error("a failed compare changed the digest")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		a, _ := randomStore(t, seed, 400)
		snap := a.AppendSnapshot(nil)
		b := NewStore(Config{})
		mustPut(t, b, keyA, 1) // restore replaces whatever was there
		if err := b.RestoreSnapshot(snap); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if a.Digest() != b.Digest() || a.Len() != b.Len() || a.Backend().Size() != b.Backend().Size() {
			t.Fatalf("seed %d: restored state differs", seed)
		}
		if !bytes.Equal(b.AppendSnapshot(nil), snap) {
			t.Fatalf("seed %d: snapshot of the restored store differs", seed)
		}
		// Both continue identically.
		rng := rand.New(rand.NewPCG(seed, 2))
		randomCommands(rng, a, 200, func(c *Command) {
			ra, rb := a.Apply(c), b.Apply(c)
			if ra != rb {
				t.Fatalf("seed %d: results differ after restore: %+v vs %+v", seed, ra, rb)
			}
		})
		if a.Digest() != b.Digest() {
			t.Fatalf("seed %d: diverged after restore", seed)
		}
	}
}

func TestClone(t *testing.T) {
	a, _ := randomStore(t, 12, 400)
	b := a.Clone()
	if err := b.Verify(); err != nil {
		t.Fatal(err)
	}
	if a.Digest() != b.Digest() || !bytes.Equal(a.AppendSnapshot(nil), b.AppendSnapshot(nil)) {
		t.Fatal("clone differs")
	}
	d := a.Digest()
	// The copy is independent: writes and a compaction on it leave a alone.
	rng := rand.New(rand.NewPCG(12, 5))
	randomCommands(rng, b, 300, func(c *Command) { b.Apply(c) })
	b.Apply(&Command{Op: CmdCompact, Revision: b.Rev()})
	if err := a.Verify(); err != nil || a.Digest() != d {
		t.Fatalf("changing the clone changed the original: %v", err)
	}
}

func TestRestoreSnapshotRejects(t *testing.T) {
	a, _ := randomStore(t, 7, 300)
	snap := a.AppendSnapshot(nil)
	b, _ := randomStore(t, 8, 100)
	d := b.Digest()
	for n := 0; n < len(snap); n += 1 + n/8 {
		if err := b.RestoreSnapshot(snap[:n]); !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	// Flipping bytes is either rejected or still a consistent store.
	rng := rand.New(rand.NewPCG(3, 3))
	for range 2000 {
		bad := append([]byte{}, snap...)
		bad[len(snapshotMagic)+rng.IntN(len(bad)-len(snapshotMagic))] ^= byte(1 + rng.IntN(255))
		c := NewStore(Config{})
		if err := c.RestoreSnapshot(bad); err == nil {
			if err := c.Verify(); err != nil {
				t.Fatalf("accepted an inconsistent snapshot: %v", err)
			}
		}
	}
	if b.Digest() != d {
		t.Fatal("a failed restore changed the store")
	}
}

func FuzzRestoreSnapshot(f *testing.F) {
	s, _ := randomStore(f, 9, 60)
	f.Add(s.AppendSnapshot(nil))
	f.Add(NewStore(Config{}).AppendSnapshot(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewStore(Config{})
		if err := s.RestoreSnapshot(b); err != nil {
			return
		}
		if err := s.Verify(); err != nil {
			t.Fatal(err)
		}
		s.Apply(&Command{Op: CmdTxn, Key: keyA, CompareModRev: NoCompare, Then: TxnPut})
		s.Apply(&Command{Op: CmdCompact, Revision: s.Rev()})
		if err := s.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Close() error  { s.closed = true; return nil }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }

func TestFSM(t *testing.T) {
	a, cmds := randomStore(t, 11, 300)
	f := &FSM{Store: NewStore(Config{})}
	for i := range cmds {
		r := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: cmds[i].AppendTo(nil)})
		if _, ok := r.(Result); !ok {
			t.Fatalf("Apply returned %T", r)
		}
	}
	if f.Store.Digest() != a.Digest() {
		t.Fatal("FSM state differs from the store's")
	}
	if r := f.Apply(&raft.Log{Data: []byte("junk")}).(Result); !errors.Is(r.Err, ErrInvalidCommand) {
		t.Errorf("junk entry: %+v", r)
	}
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// The snapshot is a copy: later applies do not change it.
	f.Apply(&raft.Log{Data: (&Command{Op: CmdTxn, Key: keyA, CompareModRev: NoCompare, Then: TxnPut}).AppendTo(nil)})
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil || !sink.closed {
		t.Fatalf("persist: %v closed=%v", err, sink.closed)
	}
	snap.Release()
	g := &FSM{Store: NewStore(Config{})}
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if g.Store.Digest() != a.Digest() {
		t.Fatal("restored FSM differs")
	}
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()[:10]))); err == nil {
		t.Error("restored a truncated snapshot")
	}
}
