package etcd

import (
	"reflect"
	"unsafe"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Raft keeps a member's unstable entries (proposed or received, not yet
// on disk) in a slice that it trims as they become durable
// (unstable.stableTo) and then copies into a fresh array if less than half
// of it is left in use (shrinkEntriesArray), or drops if none is; the next
// appends regrow it from nothing. That is an allocation or two for every
// Ready of every member: in nodes-5000 a quarter of all bytes allocated
// and a twentieth of the CPU (growslice under truncateAndAppend).
//
// So the member keeps raft's unstable entries in recycled arrays of
// entArrayCap entries, and raft appends into them as into its own: the
// entries are the same, only their memory is reused. Around every Advance
// (advance): before it, the slice's capacity is cut to its length, so that
// stableTo leaves the rest in place rather than copying it (half-empty is
// never less than half of a full slice); after it, the entries left
// unstable move into a fresh array with room to append. An array is free
// again once nothing can read it:
//   - raft no longer holds it: its unstable slice lies elsewhere and no
//     message in its outboxes (msgs, msgsAfterAppend) carries entries from
//     it — checked only with no Ready in hand;
//   - no batch carrying its entries (a leader's MsgApp) is in flight:
//     each such batch holds a reference until its peer has stepped it.
//
// A follower may adopt the entries of a MsgApp instead of copying them
// (truncateAndAppend, when the append replaces its whole unstable log);
// after stepping a batch from a recycled array the receiver replaces an
// adopted slice with its own copy, so an array is never read by a member
// that does not count as holding it. Arrays raft allocates itself (when
// one of ours overflows, or on such a copy) are left to the collector.
//
// The field is unexported, so its offset is looked up once by
// reflection, with its type checked; if raft's layout ever differs, the
// reuse is off and raft allocates as before (TestRaftEntryReuseIsOn
// fails).
var raftEnts = func() (o struct {
	ok                    bool
	raft, log, u, entries uintptr
}) {
	entsType := reflect.TypeFor[[]pb.Entry]()
	rf, ok := reflect.TypeFor[raft.RawNode]().FieldByName("raft")
	if !ok || rf.Type.Kind() != reflect.Pointer || rf.Type.Elem().Kind() != reflect.Struct {
		return o
	}
	lf, ok := rf.Type.Elem().FieldByName("raftLog")
	if !ok || lf.Type.Kind() != reflect.Pointer || lf.Type.Elem().Kind() != reflect.Struct {
		return o
	}
	uf, ok := lf.Type.Elem().FieldByName("unstable")
	if !ok || uf.Type.Kind() != reflect.Struct {
		return o
	}
	ef, ok := uf.Type.FieldByName("entries")
	if !ok || ef.Type != entsType {
		return o
	}
	o.ok, o.raft, o.log, o.u, o.entries = raftBufs.ok, rf.Offset, lf.Offset, uf.Offset, ef.Offset
	return o
}()

// raftUnstable returns raft's unstable entries slice inside rn.
func raftUnstable(rn *raft.RawNode) *[]pb.Entry {
	r := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(rn), raftEnts.raft))
	l := *(*unsafe.Pointer)(unsafe.Add(r, raftEnts.log))
	return (*[]pb.Entry)(unsafe.Add(l, raftEnts.u+raftEnts.entries))
}

// entArrayCap is the capacity of the recycled arrays: a member rarely
// holds more unstable entries; when it does, raft grows its own array.
const entArrayCap = 64

// entArray is a recycled array of entries.
type entArray struct {
	ents []pb.Entry // the whole array, len == cap
	// refs counts the batches in flight that carry entries from it;
	// inRaft: the member it was given to may still read it.
	refs   int
	inRaft bool
	// used bounds the entries raft may have written, set when raft's slice
	// leaves the array: what put clears.
	used int
	next *entArray
}

// end is where raft's slice s ends in the array: nothing past it was
// written (raft appends at its slice's end, and leaves the array rather
// than truncate in place); the whole array if s lies elsewhere.
func (a *entArray) end(s []pb.Entry) int {
	if !a.holds(s) {
		return len(a.ents)
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	base := uintptr(unsafe.Pointer(unsafe.SliceData(a.ents)))
	return int((p-base)/unsafe.Sizeof(pb.Entry{})) + len(s)
}

// holds reports whether s lies in the array.
func (a *entArray) holds(s []pb.Entry) bool {
	if a == nil || cap(s) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	base := uintptr(unsafe.Pointer(unsafe.SliceData(a.ents)))
	return p >= base && p < base+uintptr(len(a.ents))*unsafe.Sizeof(pb.Entry{})
}

// anyHolds reports whether some message in msgs carries entries from a.
func (a *entArray) anyHolds(msgs []pb.Message) bool {
	for i := range msgs {
		if a.holds(msgs[i].Entries) {
			return true
		}
	}
	return false
}

// entPool recycles entry arrays across the cluster's members.
type entPool struct {
	free  *entArray
	nfree int
	// poison, in tests: fill freed arrays with entries no raft log holds,
	// so that a read after free breaks the run instead of passing unseen.
	poison bool
	// reused and unadopted count arrays handed out again and adopted
	// slices copied, for tests.
	reused, unadopted int
}

// poisonFreedEntries sets entPool.poison in every cluster built; the
// package's tests turn it on.
var poisonFreedEntries bool

// poisonEntry is what poisoned arrays hold.
var poisonEntry = pb.Entry{Term: ^uint64(0), Index: ^uint64(0), Type: pb.EntryType(-1), Data: []byte("freed")}

// maxFreeEntArrays bounds the arrays kept for reuse.
const maxFreeEntArrays = 16

func (p *entPool) get() *entArray {
	a := p.free
	if a == nil {
		return &entArray{ents: make([]pb.Entry, entArrayCap)}
	}
	p.free, a.next = a.next, nil
	p.nfree--
	p.reused++
	return a
}

// put frees a once neither raft nor a batch can read it.
func (p *entPool) put(a *entArray) {
	if a.inRaft || a.refs > 0 {
		return
	}
	if p.nfree >= maxFreeEntArrays {
		return // the collector takes it
	}
	if p.poison {
		for i := range a.ents {
			a.ents[i] = poisonEntry
		}
	} else {
		clear(a.ents[:a.used]) // drop the entries' data
	}
	a.used = 0
	a.next, p.free = p.free, a
	p.nfree++
}

// unref drops a batch's reference.
func (p *entPool) unref(a *entArray) {
	a.refs--
	p.put(a)
}

// advance calls raft's Advance for rd, with the member's unstable entries
// in a recycled array before and after (see above).
func (m *Member) advance(rd raft.Ready) {
	if raftEnts.ok {
		u := raftUnstable(m.rn)
		*u = (*u)[:len(*u):len(*u)]
	}
	m.rn.Advance(rd)
	m.recycleEntries()
}

// recycleEntries runs with no Ready in hand. Unless raft's unstable
// entries lie in the member's array with room to append, it moves them to
// a fresh array; an array raft's slice has left is freed once no message
// in raft's outboxes carries entries from it (and no batch: put).
func (m *Member) recycleEntries() {
	if !raftEnts.ok || m.rn == nil {
		return
	}
	u := raftUnstable(m.rn)
	msgs, after := raftMsgSlices(m.rn)
	if len(m.retired) > 0 {
		n := 0
		for _, r := range m.retired {
			if r.anyHolds(*msgs) || r.anyHolds(*after) {
				m.retired[n] = r
				n++
				continue
			}
			r.inRaft = false
			m.c.pool.ents.put(r)
		}
		clear(m.retired[n:])
		m.retired = m.retired[:n]
	}
	a := m.ents
	if a.holds(*u) && (cap(*u)-len(*u) >= entArrayCap/4 || len(*u) > entArrayCap/2) {
		return // room to append; or many entries, and raft regrows the array itself
	}
	m.ents = nil
	if a != nil {
		a.used = a.end(*u)
	}
	if len(*u) <= entArrayCap/2 {
		b := m.c.pool.ents.get()
		n := copy(b.ents, *u)
		*u = b.ents[:n]
		b.inRaft, m.ents = true, b
	}
	if a != nil {
		if a.anyHolds(*msgs) || a.anyHolds(*after) {
			m.retired = append(m.retired, a) // the next Ready sends them
		} else {
			a.inRaft = false
			m.c.pool.ents.put(a)
		}
	}
}

// entArraysOf appends to refs the member's arrays that msgs carry entries
// from.
func (m *Member) entArraysOf(msgs []pb.Message, refs []*entArray) []*entArray {
	if m.ents.anyHolds(msgs) {
		refs = append(refs, m.ents)
	}
	for _, r := range m.retired {
		if r.anyHolds(msgs) {
			refs = append(refs, r)
		}
	}
	// The WAL's arrays (wal.go): a leader sends what its log holds.
	if m.wal.arr.anyHolds(msgs) {
		refs = append(refs, m.wal.arr)
	}
	if m.wal.spare.anyHolds(msgs) {
		refs = append(refs, m.wal.spare)
	}
	return refs
}

// outboxHolds reports whether a message in raft's outboxes carries
// entries from a (true if the outboxes cannot be read).
func (m *Member) outboxHolds(a *entArray) bool {
	if !raftBufs.ok || m.rn == nil {
		return true
	}
	msgs, after := raftMsgSlices(m.rn)
	return a.anyHolds(*msgs) || a.anyHolds(*after)
}

// dropEntries lets go of the member's arrays when raft goes (a crash).
func (m *Member) dropEntries() {
	if a := m.ents; a != nil {
		a.inRaft, a.used, m.ents = false, len(a.ents), nil
		m.c.pool.ents.put(a)
	}
	for _, r := range m.retired {
		r.inRaft = false
		m.c.pool.ents.put(r)
	}
	clear(m.retired)
	m.retired = m.retired[:0]
}

// unadopt gives the member its own copy of its unstable entries if they
// lie in a, another member's array (see above).
func (m *Member) unadopt(a *entArray) {
	u := raftUnstable(m.rn)
	if a.holds(*u) {
		*u = append([]pb.Entry(nil), *u...)
		m.c.pool.ents.unadopted++
	}
}
