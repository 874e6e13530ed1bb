package mvcc

import (
	"errors"
	"testing"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// obj is a value for key k whose RenewTime tags it, so tests can tell
// versions apart.
func obj(k Key, size int32, tag int64) api.Object {
	return api.Object{Resource: k.Resource(), ID: k.ID(), Size: size, RenewTime: sim.Time(tag)}
}

// txn applies a txn and checks the store's invariants afterwards.
func txn(t *testing.T, s *Store, then TxnOp, k Key, cmp int64, v api.Object) Result {
	t.Helper()
	r := s.Apply(&Command{Op: CmdTxn, Key: k, CompareModRev: cmp, Then: then, Value: v})
	if err := s.Verify(); err != nil {
		t.Fatalf("after %v %#x: %v", then, k, err)
	}
	return r
}

func mustPut(t *testing.T, s *Store, k Key, tag int64) Result {
	t.Helper()
	r := txn(t, s, TxnPut, k, NoCompare, obj(k, 100, tag))
	if r.Err != nil || !r.Succeeded || !r.HasEvent {
		t.Fatalf("put %#x: %+v", k, r)
	}
	return r
}

func mustDelete(t *testing.T, s *Store, k Key) Result {
	t.Helper()
	r := txn(t, s, TxnDelete, k, NoCompare, api.Object{})
	if r.Err != nil || !r.Succeeded {
		t.Fatalf("delete %#x: %+v", k, r)
	}
	return r
}

func compact(t *testing.T, s *Store, rev int64) Result {
	t.Helper()
	r := s.Apply(&Command{Op: CmdCompact, Revision: rev})
	if err := s.Verify(); err != nil {
		t.Fatalf("after compact %d: %v", rev, err)
	}
	return r
}

func get(t *testing.T, s *Store, k Key, rev int64) (KeyValue, bool) {
	t.Helper()
	kv, ok, err := s.Get(k, rev)
	if err != nil {
		t.Fatalf("get %#x at %d: %v", k, rev, err)
	}
	return kv, ok
}

var (
	keyA = KeyOf(api.Leases, 1)
	keyB = KeyOf(api.Leases, 2)
	keyC = KeyOf(api.Leases, 3)
	keyN = KeyOf(api.Nodes, 1)
)

func TestEmptyStore(t *testing.T) {
	s := NewStore(Config{})
	if s.Rev() != 1 || s.CompactRev() != -1 || s.Len() != 0 || s.Alarm() || s.Revisions() != 0 {
		t.Fatalf("empty store: rev %d compact %d len %d alarm %v revisions %d", s.Rev(), s.CompactRev(), s.Len(), s.Alarm(), s.Revisions())
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	if got := s.Backend().Size(); got != 16384 {
		t.Errorf("empty backend size %d, want 16384", got)
	}
}

func TestPutDeleteRecreate(t *testing.T) {
	s := NewStore(Config{})
	r := mustPut(t, s, keyA, 1)
	if r.Revision != 2 || r.PrevFound {
		t.Fatalf("first put: %+v", r)
	}
	want := KeyValue{Key: keyA, CreateRevision: 2, ModRevision: 2, Version: 1, Value: obj(keyA, 100, 1)}
	if r.Event.Type != EventPut || r.Event.KV != want {
		t.Fatalf("first put event %+v, want %+v", r.Event, want)
	}
	r = mustPut(t, s, keyA, 2)
	// A successful put's Prev carries no value (as etcd's put response has
	// none); ValueAt reads it.
	wantPrev := want
	wantPrev.Value = api.Object{}
	if r.Revision != 3 || !r.PrevFound || r.Prev != wantPrev {
		t.Fatalf("update: %+v", r)
	}
	if v, ok := s.ValueAt(r.Prev.ModRevision); !ok || v != want.Value {
		t.Fatalf("value at %d: %+v %v, want %+v", r.Prev.ModRevision, v, ok, want.Value)
	}
	if kv := r.Event.KV; kv.CreateRevision != 2 || kv.ModRevision != 3 || kv.Version != 2 {
		t.Fatalf("update kv %+v", kv)
	}
	mustPut(t, s, keyB, 3) // rev 4
	r = mustDelete(t, s, keyA)
	if r.Revision != 5 || !r.HasEvent || r.Event.Type != EventDelete {
		t.Fatalf("delete: %+v", r)
	}
	if r.Event.KV != (KeyValue{Key: keyA, ModRevision: 5}) {
		t.Errorf("delete event kv %+v: want only key and deletion revision", r.Event.KV)
	}
	if r.Event.Prev.ModRevision != 3 || r.Event.Prev.Version != 2 || r.Prev != r.Event.Prev {
		t.Errorf("delete prev %+v / %+v", r.Event.Prev, r.Prev)
	}
	if _, ok := get(t, s, keyA, 0); ok {
		t.Fatal("deleted key still readable")
	}
	if s.Len() != 1 {
		t.Errorf("len %d after delete, want 1", s.Len())
	}
	// Deleting an absent key succeeds without a revision or event.
	r = mustDelete(t, s, keyA)
	if r.Revision != 5 || r.HasEvent || r.PrevFound {
		t.Fatalf("delete of absent key: %+v", r)
	}
	r = mustPut(t, s, keyA, 4)
	if kv := r.Event.KV; r.Revision != 6 || r.PrevFound || kv.CreateRevision != 6 || kv.Version != 1 {
		t.Fatalf("recreate: %+v", r)
	}
	// History is still readable.
	if kv, ok := get(t, s, keyA, 4); !ok || kv.ModRevision != 3 || kv.Version != 2 || kv.Value.RenewTime != 2 {
		t.Errorf("keyA at 4: %+v %v", kv, ok)
	}
	if _, ok := get(t, s, keyA, 5); ok {
		t.Error("keyA exists at its deletion revision")
	}
	if _, ok := get(t, s, keyA, 1); ok {
		t.Error("keyA exists before its creation")
	}
	if s.Len() != 2 || s.Revisions() != 5 {
		t.Errorf("len %d revisions %d, want 2 and 5", s.Len(), s.Revisions())
	}
}

func TestTxnCompare(t *testing.T) {
	s := NewStore(Config{})
	// Create: compare mod_revision == 0.
	r := txn(t, s, TxnPut, keyA, 0, obj(keyA, 10, 1))
	if !r.Succeeded || r.Revision != 2 {
		t.Fatalf("create: %+v", r)
	}
	// A second create fails; the Else Get returns the current version.
	r = txn(t, s, TxnPut, keyA, 0, obj(keyA, 10, 2))
	if r.Succeeded || r.HasEvent || r.Revision != 2 || !r.PrevFound || r.Prev.ModRevision != 2 || r.Prev.Value.RenewTime != 1 {
		t.Fatalf("conflicting create: %+v", r)
	}
	// CAS with the right revision succeeds, with a stale one fails.
	r = txn(t, s, TxnPut, keyA, 2, obj(keyA, 10, 3))
	if !r.Succeeded || r.Revision != 3 {
		t.Fatalf("CAS: %+v", r)
	}
	r = txn(t, s, TxnPut, keyA, 2, obj(keyA, 10, 4))
	if r.Succeeded || r.Revision != 3 || r.Prev.ModRevision != 3 || r.Prev.Value.RenewTime != 3 {
		t.Fatalf("stale CAS: %+v", r)
	}
	// CAS on an absent key against a non-zero revision fails with no Prev.
	r = txn(t, s, TxnPut, keyB, 3, obj(keyB, 10, 5))
	if r.Succeeded || r.PrevFound || r.Revision != 3 {
		t.Fatalf("CAS on absent key: %+v", r)
	}
	// Conditional delete.
	r = txn(t, s, TxnDelete, keyA, 2, api.Object{})
	if r.Succeeded || r.Revision != 3 {
		t.Fatalf("stale delete: %+v", r)
	}
	r = txn(t, s, TxnDelete, keyA, 3, api.Object{})
	if !r.Succeeded || r.Revision != 4 || r.Event.Type != EventDelete {
		t.Fatalf("delete: %+v", r)
	}
	if s.Rev() != 4 {
		t.Errorf("rev %d, want 4 (failed compares must not bump it)", s.Rev())
	}
	// Invalid commands change nothing.
	for _, c := range []Command{{}, {Op: CmdTxn, Key: keyA}, {Op: 99}} {
		if r := s.Apply(&c); !errors.Is(r.Err, ErrInvalidCommand) || s.Rev() != 4 {
			t.Errorf("%+v: %+v", c, r)
		}
	}
}

func collect(t *testing.T, s *Store, start, end Key, rev int64, limit int) ([]KeyValue, int, error) {
	t.Helper()
	var out []KeyValue
	_, n, err := s.Range(start, end, rev, limit, func(kv *KeyValue) bool { out = append(out, *kv); return true })
	return out, n, err
}

func TestRange(t *testing.T) {
	s := NewStore(Config{})
	mustPut(t, s, keyB, 1) // 2
	mustPut(t, s, keyA, 2) // 3
	mustPut(t, s, keyN, 3) // 4: another resource
	mustPut(t, s, keyC, 4) // 5
	mustPut(t, s, keyA, 5) // 6
	mustDelete(t, s, keyB) // 7

	start, end := PrefixRange(api.Leases)
	kvs, n, err := collect(t, s, start, end, 0, 0)
	if err != nil || n != 2 || len(kvs) != 2 || kvs[0].Key != keyA || kvs[0].ModRevision != 6 || kvs[1].Key != keyC {
		t.Fatalf("prefix range: %+v n=%d err=%v", kvs, n, err)
	}
	// At revision 5: A@3, B@2, C@5 in key order.
	kvs, n, _ = collect(t, s, start, end, 5, 0)
	if n != 3 || kvs[0].ModRevision != 3 || kvs[1].ModRevision != 2 || kvs[2].ModRevision != 5 {
		t.Fatalf("range at 5: %+v", kvs)
	}
	// Limit caps the results, not the count.
	kvs, n, _ = collect(t, s, start, end, 5, 2)
	if n != 3 || len(kvs) != 2 || kvs[1].Key != keyB {
		t.Fatalf("limit 2: %+v n=%d", kvs, n)
	}
	// fn returning false stops the results, not the count.
	var calls int
	_, n, _ = s.Range(start, end, 5, 0, func(*KeyValue) bool { calls++; return false })
	if calls != 1 || n != 3 {
		t.Errorf("stop after one: calls %d count %d", calls, n)
	}
	// Single key.
	kvs, n, _ = collect(t, s, keyN, 0, 0, 0)
	if n != 1 || kvs[0].Key != keyN {
		t.Fatalf("single: %+v", kvs)
	}
	if _, n, _ = collect(t, s, keyB, 0, 0, 0); n != 0 {
		t.Errorf("deleted key counted")
	}
	// Node keys: KeyOf(NodeStatus) is the node's key.
	if kv, ok := get(t, s, KeyOf(api.NodeStatus, 1), 0); !ok || kv.Key != keyN {
		t.Errorf("node status key: %+v %v", kv, ok)
	}
	// Future and compacted revisions.
	if _, _, err := collect(t, s, start, end, 8, 0); !errors.Is(err, ErrFutureRev) {
		t.Errorf("future: %v", err)
	}
	if r := compact(t, s, 5); r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, _, err := collect(t, s, start, end, 4, 0); !errors.Is(err, ErrCompacted) {
		t.Errorf("below compaction: %v", err)
	}
	// The compaction revision itself is still readable, with every key as
	// it was then.
	kvs, n, err = collect(t, s, start, end, 5, 0)
	if err != nil || n != 3 || kvs[0].ModRevision != 3 || kvs[1].ModRevision != 2 || kvs[2].ModRevision != 5 {
		t.Fatalf("at compaction revision: %+v %v", kvs, err)
	}
	if rev, _, _ := s.Range(start, end, 5, 0, nil); rev != 7 {
		t.Errorf("range header revision %d, want current 7", rev)
	}
}

func TestEventsSince(t *testing.T) {
	s := NewStore(Config{})
	mustPut(t, s, keyA, 1) // 2
	mustPut(t, s, keyB, 2) // 3
	mustPut(t, s, keyA, 3) // 4
	mustDelete(t, s, keyB) // 5
	mustPut(t, s, keyC, 4) // 6

	events := func(rev int64) ([]Event, error) {
		var out []Event
		err := s.EventsSince(rev, func(e *Event) bool { out = append(out, *e); return true })
		return out, err
	}
	evs, err := events(3)
	if err != nil || len(evs) != 4 {
		t.Fatalf("since 3: %+v %v", evs, err)
	}
	for i, want := range []int64{3, 4, 5, 6} {
		if evs[i].KV.ModRevision != want {
			t.Errorf("event %d at %d, want %d", i, evs[i].KV.ModRevision, want)
		}
	}
	if d := evs[2]; d.Type != EventDelete || d.KV.Key != keyB || d.Prev.ModRevision != 3 || d.Prev.Value.RenewTime != 2 {
		t.Errorf("delete event %+v", d)
	}
	if evs, _ := events(0); len(evs) != 0 {
		t.Errorf("since 0 (from now): %d events", len(evs))
	}
	if evs, _ := events(7); len(evs) != 0 {
		t.Errorf("since the future: %d events", len(evs))
	}
	var n int
	_ = s.EventsSince(2, func(*Event) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("stop: %d calls", n)
	}

	compact(t, s, 4)
	if _, err := events(3); !errors.Is(err, ErrCompacted) {
		t.Errorf("since 3 after compact 4: %v", err)
	}
	evs, err = events(4)
	if err != nil || len(evs) != 3 || evs[0].KV.ModRevision != 4 {
		t.Errorf("since the compaction revision: %+v %v", evs, err)
	}
}

// TestCompaction checks key_index.go's documented example: put(1) put(2)
// delete(3) put(4) delete(5), shifted here by one (the first write is
// revision 2), compacted step by step.
func TestCompaction(t *testing.T) {
	s := NewStore(Config{})
	mustPut(t, s, keyA, 1) // 2
	mustPut(t, s, keyA, 2) // 3
	mustDelete(t, s, keyA) // 4
	mustPut(t, s, keyA, 3) // 5
	mustDelete(t, s, keyA) // 6
	mustPut(t, s, keyB, 4) // 7
	mustPut(t, s, keyB, 5) // 8

	revs := func() [][]int64 {
		ki := s.lookup(keyA)
		if ki == nil {
			return nil
		}
		var out [][]int64
		for _, g := range s.generations(ki) {
			out = append(out, append([]int64{}, g.revs...))
		}
		return out
	}
	check := func(rev int64, want [][]int64, stored int, freed int) {
		t.Helper()
		r := compact(t, s, rev)
		if r.Err != nil || r.FreedRevisions != freed || r.Revision != 8 {
			t.Fatalf("compact %d: %+v, want %d freed", rev, r, freed)
		}
		got := revs()
		if len(got) != len(want) {
			t.Fatalf("compact %d: generations %v, want %v", rev, got, want)
		}
		for i := range want {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("compact %d: generations %v, want %v", rev, got, want)
			}
			for j := range want[i] {
				if got[i][j] != want[i][j] {
					t.Fatalf("compact %d: generations %v, want %v", rev, got, want)
				}
			}
		}
		if s.Revisions() != stored {
			t.Errorf("compact %d: %d revisions stored, want %d", rev, s.Revisions(), stored)
		}
		if s.CompactRev() != rev {
			t.Errorf("compact rev %d", s.CompactRev())
		}
	}
	check(3, [][]int64{{3, 4}, {5, 6}, {}}, 6, 1)
	check(5, [][]int64{{5, 6}, {}}, 4, 2)
	check(6, [][]int64{{6}, {}}, 3, 1) // the tombstone at the compaction revision stays
	if _, ok := get(t, s, keyA, 6); ok {
		t.Error("keyA exists at 6")
	}
	check(7, nil, 2, 1) // keyA is gone entirely
	// keyB keeps its latest revision ≤ 7 and everything after.
	if kv, ok := get(t, s, keyB, 7); !ok || kv.ModRevision != 7 {
		t.Errorf("keyB at 7: %+v %v", kv, ok)
	}
	// Compacting at or below the compaction revision is ErrCompacted and
	// changes nothing; beyond the current revision ErrFutureRev.
	d := s.Digest()
	for _, rev := range []int64{7, 6, 0, -1} {
		if r := compact(t, s, rev); !errors.Is(r.Err, ErrCompacted) || s.Digest() != d {
			t.Errorf("compact %d again: %v", rev, r.Err)
		}
	}
	if r := compact(t, s, 9); !errors.Is(r.Err, ErrFutureRev) || s.Digest() != d || s.CompactRev() != 7 {
		t.Errorf("compact 9: %v", r.Err)
	}
	if r := compact(t, s, 8); r.Err != nil || r.FreedRevisions != 1 || s.Revisions() != 1 {
		t.Errorf("compact 8: %+v, %d stored", r, s.Revisions())
	}
}

func TestCompactionKeepsLatestPerKey(t *testing.T) {
	s := NewStore(Config{})
	const keys = 50
	for round := int64(0); round < 20; round++ {
		for i := int32(0); i < keys; i++ {
			mustPut(t, s, KeyOf(api.ConfigMaps, i), round)
		}
	}
	at := s.Rev() - keys/2 // half the keys were last written after this
	before := map[Key]int64{}
	start, end := PrefixRange(api.ConfigMaps)
	s.Range(start, end, at, 0, func(kv *KeyValue) bool { before[kv.Key] = kv.ModRevision; return true })
	stored := s.Revisions()
	r := compact(t, s, at)
	if want := stored - keys - keys/2; r.FreedRevisions != want || s.Revisions() != stored-want {
		t.Fatalf("freed %d, want %d", r.FreedRevisions, want)
	}
	var sum int64
	for range r.FreedRevisions {
		sum += revisionBytes(kvBytes(39, 1, 1000, 10, 100), false)
	}
	if r.FreedBytes < sum*9/10 || r.FreedBytes > sum*11/10 {
		t.Errorf("freed bytes %d, expected about %d", r.FreedBytes, sum)
	}
	n := 0
	s.Range(start, end, at, 0, func(kv *KeyValue) bool {
		n++
		if before[kv.Key] != kv.ModRevision {
			t.Errorf("%#x at %d: revision %d, was %d", kv.Key, at, kv.ModRevision, before[kv.Key])
		}
		return true
	})
	if n != keys {
		t.Errorf("%d keys at the compaction revision, want %d", n, keys)
	}
}

func TestNoSpaceAlarm(t *testing.T) {
	s := NewStore(Config{})
	mustPut(t, s, keyA, 1) // 2
	mustPut(t, s, keyB, 2) // 3
	s.Apply(&Command{Op: CmdAlarmActivate, Member: 7})
	s.Apply(&Command{Op: CmdAlarmActivate, Member: 3})
	s.Apply(&Command{Op: CmdAlarmActivate, Member: 7})
	if !s.Alarm() || len(s.Alarms()) != 2 || s.Alarms()[0] != 3 || s.Rev() != 3 {
		t.Fatalf("alarms %v rev %d", s.Alarms(), s.Rev())
	}
	d := s.Digest()
	r := txn(t, s, TxnPut, keyA, NoCompare, obj(keyA, 10, 9))
	if r.Err == nil || r.Err.Error() != "etcdserver: mvcc: database space exceeded" || r.Succeeded || r.HasEvent || r.NeedAlarm {
		t.Fatalf("put under alarm: %+v", r)
	}
	if r := txn(t, s, TxnPut, keyC, 0, obj(keyC, 10, 9)); !errors.Is(r.Err, ErrNoSpace) || s.Digest() != d {
		t.Fatalf("create under alarm applied: %+v", r)
	}
	// Deletes and compaction still work.
	if r := mustDelete(t, s, keyB); !r.HasEvent || r.Revision != 4 {
		t.Fatalf("delete under alarm: %+v", r)
	}
	if r := compact(t, s, 4); r.Err != nil {
		t.Fatalf("compact under alarm: %v", r.Err)
	}
	// Deactivating one member's alarm is not enough.
	s.Apply(&Command{Op: CmdAlarmDeactivate, Member: 7})
	s.Apply(&Command{Op: CmdAlarmDeactivate, Member: 99}) // no such alarm: no-op
	if r := txn(t, s, TxnPut, keyA, NoCompare, obj(keyA, 10, 9)); !errors.Is(r.Err, ErrNoSpace) {
		t.Fatalf("put with one alarm left: %+v", r)
	}
	s.Apply(&Command{Op: CmdAlarmDeactivate, Member: 3})
	if s.Alarm() {
		t.Fatal("alarm still active")
	}
	if r := mustPut(t, s, keyA, 9); r.Revision != 5 {
		t.Fatalf("put after disarm: %+v", r)
	}
}

func TestQuota(t *testing.T) {
	const quota = 64 << 10
	s := NewStore(Config{QuotaBytes: quota})
	put := &Command{Op: CmdTxn, Key: keyA, CompareModRev: NoCompare, Then: TxnPut, Value: obj(keyA, 1000, 0)}
	del := &Command{Op: CmdTxn, Key: keyA, CompareModRev: NoCompare, Then: TxnDelete}
	if got, want := s.QuotaCost(put), int64(256+43+1000); got != want {
		t.Errorf("put cost %d, want %d", got, want)
	}
	if s.QuotaCost(del) != 0 || s.QuotaCost(&Command{Op: CmdCompact, Revision: 1}) != 0 {
		t.Error("non-put commands must cost 0")
	}
	// Fill until the proposal-time check fails; it compares Size()+cost < quota.
	for s.QuotaAvailable(put) {
		if r := s.Apply(put); r.Err != nil {
			t.Fatalf("put within quota: %v (size %d)", r.Err, s.Backend().Size())
		}
	}
	if size := s.Backend().Size(); size+s.QuotaCost(put) < quota {
		t.Fatalf("QuotaAvailable false at size %d", size)
	}
	if !s.QuotaAvailable(del) {
		t.Error("a zero-cost command must always pass")
	}
	// Applied anyway (the apply-time check only reports): the write happens,
	// the request fails, the member must raise the alarm.
	rev := s.Rev()
	r := s.Apply(put)
	if !errors.Is(r.Err, ErrNoSpace) || !r.Succeeded || !r.HasEvent || r.Revision != rev+1 || !r.NeedAlarm {
		t.Fatalf("put over quota: %+v", r)
	}
	// A failed compare over quota fails with ErrNoSpace too.
	stale := *put
	stale.CompareModRev = 1
	if r := s.Apply(&stale); !errors.Is(r.Err, ErrNoSpace) || r.Succeeded || !r.NeedAlarm || s.Rev() != rev+1 {
		t.Fatalf("stale put over quota: %+v", r)
	}
	// Deletes cost nothing and pass.
	if r := s.Apply(del); r.Err != nil || !r.HasEvent {
		t.Fatalf("delete over quota: %+v", r)
	}
	s.Apply(&Command{Op: CmdAlarmActivate, Member: 1})
	if r := s.Apply(put); !errors.Is(r.Err, ErrNoSpace) || r.NeedAlarm || r.HasEvent {
		t.Fatalf("put with the alarm raised: %+v", r)
	}
	// No quota: everything passes.
	u := NewStore(Config{})
	for range 1000 {
		if !u.QuotaAvailable(put) || u.Apply(put).Err != nil {
			t.Fatal("unlimited store refused a put")
		}
	}
}

func TestApplyAndFree(t *testing.T) {
	a, b := NewStore(Config{}), NewStore(Config{})
	for i := range 200 {
		c := Command{Op: CmdTxn, Key: KeyOf(api.Leases, int32(i%10)), CompareModRev: NoCompare, Then: TxnPut, Value: obj(keyA, 500, int64(i))}
		a.Apply(&c)
		b.Apply(&c)
	}
	c := Command{Op: CmdCompact, Revision: a.Rev()}
	ra, rb := a.Apply(&c), b.ApplyAndFree(&c)
	if ra != rb || ra.FreedRevisions != 190 {
		t.Fatalf("results differ or wrong: %+v %+v", ra, rb)
	}
	if a.Backend().SizeInUse() != a.Backend().Size() {
		t.Error("Apply freed backend space")
	}
	if got, want := b.Backend().SizeInUse(), roundPages(a.be.inUse-ra.FreedBytes); got != want {
		t.Errorf("ApplyAndFree in use %d, want %d", got, want)
	}
	if a.Digest() != b.Digest() {
		t.Error("backend frees changed the logical state")
	}
}

// TestKeysOutsideTheDirectTable: point lookups go through a table by
// resource and ID (lookup) for small IDs and the B-tree for the rest; a
// key whose ID or resource the table cannot hold must find its own entry,
// never another key's in the table slot it would alias.
func TestKeysOutsideTheDirectTable(t *testing.T) {
	s := NewStore(Config{})
	keys := []Key{
		KeyOf(api.Leases, 5),
		KeyOf(api.Leases, maxDirectID),
		KeyOf(api.Leases, -1),
		KeyOf(api.Leases, 5) | 1<<40, // a resource above 0xFF
		CompactRevKey,
		CompactRevKey | 5,
	}
	for i, k := range keys {
		mustPut(t, s, k, int64(i+1))
	}
	for i, k := range keys {
		kv, ok := get(t, s, k, 0)
		if !ok || kv.Key != k || kv.Value.RenewTime != sim.Time(i+1) {
			t.Fatalf("get %#x: found %v, key %#x, tag %d; want tag %d", k, ok, kv.Key, kv.Value.RenewTime, i+1)
		}
	}
	// Deleting one key, and compacting it out of the index, leaves the others.
	mustDelete(t, s, keys[3])
	compact(t, s, s.Rev())
	for i, k := range keys {
		_, ok := get(t, s, k, 0)
		if ok != (i != 3) {
			t.Fatalf("after deleting %#x: get %#x found %v", keys[3], k, ok)
		}
	}
}
