package mvcc

import (
	"errors"
	"slices"
	"time"

	"github.com/google/btree"

	"github.com/orrery-sim/orrery/model/api"
)

// Errors, with the texts a Kubernetes API server sees.
var (
	// ErrNoSpace is the NOSPACE error as clients see it: the gRPC status
	// text of rpctypes.ErrGRPCNoSpace (etcd-io/etcd
	// api/v3rpc/rpctypes/error.go), to which the server maps its internal
	// errors.ErrNoSpace "etcdserver: no space"
	// (server/etcdserver/api/v3rpc/util.go toGRPCErrorMap).
	ErrNoSpace = errors.New("etcdserver: mvcc: database space exceeded")
	// ErrCompacted: the requested revision has been compacted away
	// (server/storage/mvcc/kvstore.go; over gRPC prefixed "etcdserver: ").
	ErrCompacted = errors.New("mvcc: required revision has been compacted")
	// ErrFutureRev: the requested revision is beyond the current revision
	// (server/storage/mvcc/kvstore.go).
	ErrFutureRev = errors.New("mvcc: required revision is a future revision")
)

// Quota and compaction constants.
const (
	// DefaultQuotaBytes is etcd's default --quota-backend-bytes, 2 GiB
	// (etcd-io/etcd server/storage/quota.go DefaultQuotaBytes).
	DefaultQuotaBytes int64 = 2 << 30
	// MaxQuotaBytes is the largest quota etcd suggests, 8 GiB (quota.go).
	MaxQuotaBytes int64 = 8 << 30
	// kvOverhead is the quota cost of a put beyond its key and value
	// (quota.go kvOverhead).
	kvOverhead = 256
	// CompactionBatchLimit is how many revisions etcd deletes per bbolt txn
	// while compacting (server/storage/mvcc/kvstore.go
	// defaultCompactBatchLimit).
	CompactionBatchLimit = 1000
	// CompactionSleep is the pause between compaction batches (kvstore.go
	// minimumBatchInterval).
	CompactionSleep = 10 * time.Millisecond
)

// Config configures a Store.
type Config struct {
	// QuotaBytes is the backend quota; 0 or negative: no quota. (etcd's
	// --quota-backend-bytes 0 means DefaultQuotaBytes: pass that
	// explicitly.)
	QuotaBytes int64
	// NameBytes is the modeled length of object names in keys (0:
	// DefaultNameBytes); it changes key sizes in the backend size model
	// and the quota cost.
	NameBytes int
}

// KeyValue is one stored version of a key (mvccpb.KeyValue without Lease).
type KeyValue struct {
	Key Key
	// CreateRevision is the revision of the put that created this
	// generation of the key; ModRevision the revision of this version;
	// Version counts the generation's puts, from 1.
	CreateRevision, ModRevision, Version int64
	Value                                api.Object
}

// EventType is the kind of change an Event is.
type EventType uint8

const (
	EventPut    EventType = iota // a key was created or updated
	EventDelete                  // a key was deleted
)

func (t EventType) String() string {
	if t == EventDelete {
		return "delete"
	}
	return "put"
}

// Event is one change, as a watcher sees it.
type Event struct {
	Type EventType
	// KV is the new version for a put. For a delete it is, as in etcd's
	// watch events, only the Key and ModRevision = the deletion's revision.
	KV KeyValue
	// Prev is, for a delete only, the version deleted — what a watch with
	// WithPrevKV (the API server's) is sent. Zero for a put.
	Prev KeyValue
}

// Result is what applying a Command did.
type Result struct {
	// Revision is the store revision after the command (the response
	// header's revision).
	Revision int64
	// Succeeded: the txn's compare held (or there was none).
	Succeeded bool
	// Err is nil, ErrNoSpace, ErrCompacted, ErrFutureRev or
	// ErrInvalidCommand. ErrNoSpace can come with an applied write (see
	// NeedAlarm).
	Err error
	// Prev is the key's version before the txn; on a failed compare it is
	// the current version, the Else branch's Get. PrevFound is false if the
	// key was absent. Its Value is there where etcd's response carries the
	// previous value — the Else branch's Get, a delete's prevKV — and zero
	// after a successful put: etcd's put reads only the index (the created
	// revision and version, kvstore_txn.go put) and the API server does
	// not ask for the previous value (ValueAt reads it).
	Prev      KeyValue
	PrevFound bool
	// Event is the change made, if HasEvent.
	Event    Event
	HasEvent bool
	// NeedAlarm: the apply-time quota check failed while no NOSPACE alarm
	// was active, so this member must propose CmdAlarmActivate for itself
	// before answering (etcd-io/etcd server/etcdserver/server.go
	// applyEntryNormal). Every member applying the entry sees it.
	NeedAlarm bool
	// FreedRevisions and FreedBytes are, for a CmdCompact, the revisions
	// the compaction removed and their backend bytes. Apply does not free
	// them in the Backend: the member does, in batches (CompactionBatch),
	// or at once (ApplyAndFree).
	FreedRevisions int
	FreedBytes     int64
}

// logEntry is one stored revision: the bbolt key bucket's pair
// (revision → KeyValue), in revision order.
type logEntry struct {
	rev int64
	// prev is the revision of the key's previous retained entry, 0 if
	// none: the chain that holds the key's history (see index.go).
	prev int64
	tomb bool
	// kv is the version a put wrote, or for a tombstone the version it
	// deleted (so a delete event can carry Prev without a lookup).
	kv KeyValue
}

// Store is etcd's MVCC key-value store as the Raft state machine every
// member applies committed entries to: an in-memory index (a B-tree of
// keyIndex, etcd's treeIndex) over a revision-ordered log of stored
// revisions (etcd's bbolt key bucket), a Backend size model, and the
// NOSPACE alarm state. It is single-threaded and deterministic: the same
// commands in the same order give the same state (Digest).
type Store struct {
	cfg   Config
	index *btree.BTreeG[*keyIndex]
	arena *Arena // the entries of direct-table keys (see lookup)
	slot  int    // this store's slot in arena
	log   revLog
	// sparse is the number of log entries at or below the compaction
	// revision, at most one per key; every revision above it has an entry,
	// so those entries lie densely from position sparse on (entryAt).
	sparse     int
	currentRev int64
	compactRev int64
	alarms     []uint64 // members with an active NOSPACE alarm, ascending
	live       int      // keys that exist at currentRev
	be         Backend

	sizeMemo [16]struct {
		kv    int // 0: empty (a KeyValue is never 0 bytes)
		bytes int64
	}
	probe   keyIndex // search key for index lookups
	probeHi keyIndex // upper bound for range scans
	ev      Event    // EventsSince's callback argument
	// Compaction scratch: the keys met so far, a bit per direct-table
	// slot and a sorted list for the others.
	seen      [256][]uint64
	seenOther []Key
}

// btreeDegree is etcd's treeIndex degree (index.go newTreeIndex).
const btreeDegree = 32

// NewStore returns an empty store. As etcd's, an empty store is at
// revision 1, so the first write gets revision 2, and has never been
// compacted (CompactRev -1) (kvstore.go NewStore: currentRev 1,
// compactMainRev -1).
func NewStore(cfg Config) *Store { return NewStoreIn(cfg, nil) }

// NewStoreIn is NewStore with the store's index entries in a slot of a
// shared Arena (nil, or an arena without a free slot: a private one).
// Stores that apply the same commands share one for locality; their
// states stay independent.
func NewStoreIn(cfg Config, a *Arena) *Store {
	if cfg.NameBytes <= 0 {
		cfg.NameBytes = DefaultNameBytes
	}
	slot := -1
	if a != nil {
		slot = a.claim()
	}
	if slot < 0 {
		a = NewArena(1)
		slot = a.claim()
	}
	return &Store{
		cfg:        cfg,
		index:      btree.NewG(btreeDegree, lessKeyIndex),
		arena:      a,
		slot:       slot,
		currentRev: 1,
		compactRev: -1,
		be:         newBackend(),
	}
}

// Clone returns an independent deep copy of the store: state, backend
// and config (a member receiving a Raft snapshot, or a test forking a
// history). Equivalent to RestoreSnapshot(AppendSnapshot(nil)) into a new
// store, without the encoding.
func (s *Store) Clone() *Store {
	c := NewStore(s.cfg)
	c.currentRev, c.compactRev, c.live, c.be = s.currentRev, s.compactRev, s.live, s.be
	c.alarms = slices.Clone(s.alarms)
	c.log, c.sparse = s.log.clone(), s.sparse
	s.index.Ascend(func(ki *keyIndex) bool {
		*c.newIndex(ki.key) = *ki
		return true
	})
	return c
}

// Rev is the current revision: the revision of the last write, 1 for an
// empty store.
func (s *Store) Rev() int64 { return s.currentRev }

// CompactRev is the revision of the last compaction, -1 if none.
func (s *Store) CompactRev() int64 { return s.compactRev }

// Alarm reports whether a NOSPACE alarm is active (raised by any member).
func (s *Store) Alarm() bool { return len(s.alarms) > 0 }

// Alarms lists the members whose NOSPACE alarm is active, ascending. The
// slice is the store's; do not modify it.
func (s *Store) Alarms() []uint64 { return s.alarms }

// Len is the number of keys that exist at the current revision.
func (s *Store) Len() int { return s.live }

// Backend is the member's backend size model.
func (s *Store) Backend() *Backend { return &s.be }

// lookup returns the index entry of k, or nil. Point lookups go through
// the arena, a table by resource and object ID that holds the entries the
// B-tree points at: the tree keeps the order that ranges walk, the table
// spares every apply a tree descent (profiled at a tenth of a 5000-node
// run).
func (s *Store) lookup(k Key) *keyIndex {
	if row, id, ok := directSlot(k); ok {
		if ki := s.arena.at(row, id, s.slot); ki != nil && ki.modified != 0 {
			return ki
		}
		return nil
	}
	s.probe.key = k
	ki, _ := s.index.Get(&s.probe)
	return ki
}

// maxDirectID bounds the IDs the direct table holds; larger (or negative)
// IDs live only in the tree.
const maxDirectID = 1 << 22

// directSlot is where the direct table holds k: the row of its resource
// and the ID. ok is false for a key the table does not hold, which lives
// only in the tree: an ID from maxDirectID up (or negative), or a
// resource above 0xFF (a Key is any uint64: such a key must not alias a
// row by its low bits).
func directSlot(k Key) (row uint8, id uint32, ok bool) {
	row, id = uint8(k>>32), uint32(k)
	return row, id, k>>40 == 0 && id < maxDirectID
}

// newIndex adds an entry for the absent key k to the index and returns
// it, zero but for its key; the caller sets modified (≠ 0) at once.
func (s *Store) newIndex(k Key) *keyIndex {
	var ki *keyIndex
	if row, id, ok := directSlot(k); ok {
		ki = s.arena.alloc(row, id, s.slot)
	} else {
		ki = new(keyIndex)
	}
	ki.key = k
	s.index.ReplaceOrInsert(ki)
	return ki
}

func (s *Store) deleteIndex(ki *keyIndex) {
	s.index.Delete(ki)
	*ki = keyIndex{} // frees an arena slot
}

// denseBase is the revision after which every revision has a log entry.
func (s *Store) denseBase() int64 { return max(s.compactRev, 1) }

// entryAt returns the log entry of revision rev, or nil.
func (s *Store) entryAt(rev int64) *logEntry {
	i := s.searchLog(rev)
	if i < s.log.len() && s.log.at(i).rev == rev {
		return s.log.at(i)
	}
	return nil
}

// searchLog is the index of the first log entry with revision ≥ rev:
// computed above the compaction revision, where the log is dense, and
// searched for among the entries kept at or below it.
func (s *Store) searchLog(rev int64) int {
	if base := s.denseBase(); rev > base {
		return min(s.sparse+int(rev-base-1), s.log.len())
	}
	lo, hi := 0, s.sparse
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.log.at(mid).rev < rev {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// current sets *dst to the key's current version, but for its Value
// (fillValue), and reports whether it exists. Field by field: a KeyValue
// built and then copied is copied with wide loads straddling the narrow
// stores that built it.
func (s *Store) current(ki *keyIndex, dst *KeyValue) bool {
	if ki == nil || !ki.live() {
		return false
	}
	dst.Key, dst.CreateRevision, dst.ModRevision, dst.Version = ki.key, ki.created, ki.modified, ki.ver
	return true
}

// fillValue sets kv.Value to the value stored at kv.ModRevision.
func (s *Store) fillValue(kv *KeyValue) {
	if e := s.entryAt(kv.ModRevision); e != nil && !e.tomb {
		kv.Value = e.kv.Value
	}
}

// ValueAt is the value stored at revision rev, if rev is a retained put —
// for instance a successful put's Prev.ModRevision, until the next
// compaction.
func (s *Store) ValueAt(rev int64) (v api.Object, ok bool) {
	if e := s.entryAt(rev); e != nil && !e.tomb {
		return e.kv.Value, true
	}
	return v, false
}

// keyBytes is the modeled key length of k under this store's config.
func (s *Store) keyBytes(k Key) int { return keyBytes(k, s.cfg.NameBytes) }

// entryBytes is the backend bytes of a stored revision.
func (s *Store) entryBytes(e *logEntry) int64 {
	kl := s.keyBytes(e.kv.Key)
	if e.tomb {
		return revisionBytes(tombstoneKVBytes(kl), true)
	}
	kv := &e.kv
	return s.putBytes(kvBytes(kl, kv.CreateRevision, kv.ModRevision, kv.Version, int(kv.Value.Size)))
}

// putBytes is revisionBytes(kv, false), remembered: a workload writes a
// few sizes over and over, and the page packing costs three divisions.
func (s *Store) putBytes(kv int) int64 {
	m := &s.sizeMemo[kv&(len(s.sizeMemo)-1)]
	if m.kv != kv {
		m.kv, m.bytes = kv, revisionBytes(kv, false)
	}
	return m.bytes
}

// QuotaCost is the command's charge against the quota (etcd-io/etcd
// server/storage/quota.go Cost): for a txn the larger of its branches' put
// costs, 256 + len(key) + len(value) per put — so a put txn costs that
// and a delete txn (whose Else is a Get) 0; other commands cost 0.
func (s *Store) QuotaCost(c *Command) int64 {
	if c.Op != CmdTxn || c.Then != TxnPut {
		return 0
	}
	return kvOverhead + int64(s.keyBytes(c.Key)) + int64(max(c.Value.Size, 0))
}

// QuotaAvailable is the quota check (quota.go BackendQuota.Available): a
// command costing 0 passes; otherwise Size() + cost must stay strictly
// below the quota. Size is the high-water mark, not the space in use. The
// receiving member runs it before proposing (v3rpc/quota.go: on failure it
// proposes CmdAlarmActivate and answers ErrNoSpace without proposing the
// write), and Apply runs it again (quotaApplierV3).
func (s *Store) QuotaAvailable(c *Command) bool {
	return s.quotaOK(s.QuotaCost(c))
}

func (s *Store) quotaOK(cost int64) bool {
	if cost == 0 || s.cfg.QuotaBytes <= 0 {
		return true
	}
	return s.be.Size()+cost < s.cfg.QuotaBytes
}

// Apply applies one committed command and returns its result. It never
// panics on a malformed command (ErrInvalidCommand, no state change).
//
// A txn with a put while the NOSPACE alarm is active fails with
// ErrNoSpace and changes nothing (etcd-io/etcd
// server/etcdserver/apply/capped.go applierV3Capped: any Txn whose quota
// cost is > 0); delete txns, compaction and alarm commands still apply.
// Otherwise the quota is checked before the txn (apply/quota.go
// quotaApplierV3.Txn: Available, then apply): if it fails the txn is
// applied anyway — compare, write or Else-Get as usual — and Err is
// ErrNoSpace, with NeedAlarm set if no NOSPACE alarm is active yet.
func (s *Store) Apply(c *Command) Result {
	var r Result
	s.ApplyTo(c, &r)
	return r
}

// ApplyTo is Apply writing the result into *r. Returning the 300-byte
// Result by value copied it with wide loads straddling the stores just
// made to it (store-forwarding stalls: a twentieth of a 5000-node run on
// that copy); the applier's hot path uses this.
func (s *Store) ApplyTo(c *Command, r *Result) {
	*r = Result{}
	switch c.Op {
	case CmdTxn:
		s.applyTxn(c, r)
		return
	case CmdCompact:
		*r = s.applyCompact(c.Revision)
		return
	case CmdAlarmActivate:
		s.activate(c.Member)
	case CmdAlarmDeactivate:
		s.deactivate(c.Member)
	default:
		r.Err = ErrInvalidCommand
	}
	r.Revision = s.currentRev
}

// ApplyAndFree applies c and, for a compaction, frees the removed
// revisions in the backend at once instead of batch by batch.
func (s *Store) ApplyAndFree(c *Command) Result {
	r := s.Apply(c)
	if r.FreedBytes > 0 {
		s.be.Free(r.FreedBytes)
	}
	return r
}

// applyTxn applies a txn into *r, which is zero.
func (s *Store) applyTxn(c *Command, r *Result) {
	if c.Then != TxnPut && c.Then != TxnDelete {
		r.Revision, r.Err = s.currentRev, ErrInvalidCommand
		return
	}
	cost := s.QuotaCost(c)
	if cost > 0 && s.Alarm() {
		r.Revision, r.Err = s.currentRev, ErrNoSpace
		return
	}
	quotaOK := s.quotaOK(cost)

	ki := s.lookup(c.Key)
	var modRev int64
	if s.current(ki, &r.Prev) {
		r.PrevFound = true
		modRev = r.Prev.ModRevision
	}
	if c.CompareModRev < 0 || modRev == c.CompareModRev {
		r.Succeeded = true
		if c.Then == TxnPut {
			s.put(ki, c, r)
		} else if r.PrevFound {
			s.fillValue(&r.Prev)
			s.delete(ki, r)
		}
	} else if r.PrevFound {
		s.fillValue(&r.Prev) // the Else branch's Get
	}
	r.Revision = s.currentRev
	if !quotaOK {
		// applyEntryNormal proposes the alarm unless a NOSPACE alarm is
		// already active — never the case here: with one, a put txn was
		// rejected above, and other commands cost nothing.
		r.Err = ErrNoSpace
		r.NeedAlarm = true
	}
}

// put writes c.Value under c.Key at the next revision (kvstore_txn.go put).
func (s *Store) put(ki *keyIndex, c *Command, r *Result) {
	rev := s.currentRev + 1
	create, ver := rev, int64(1)
	if r.PrevFound {
		create, ver = r.Prev.CreateRevision, r.Prev.Version+1
	} else {
		s.live++
	}
	var prev int64
	if ki == nil {
		ki = s.newIndex(c.Key)
	} else {
		prev = ki.modified // the key's last entry: its version, or a tombstone
	}
	ki.modified, ki.created, ki.ver = rev, create, ver
	// The new version is written in place, field by field (see current).
	e := s.log.add()
	e.rev, e.prev, e.tomb = rev, prev, false
	setKV(&e.kv, c.Key, create, rev, ver, &c.Value)
	s.be.write(s.entryBytes(e))
	s.currentRev = rev
	r.Event.Type = EventPut
	setKV(&r.Event.KV, c.Key, create, rev, ver, &c.Value)
	r.HasEvent = true
}

func setKV(d *KeyValue, k Key, create, mod, ver int64, v *api.Object) {
	d.Key, d.CreateRevision, d.ModRevision, d.Version = k, create, mod, ver
	d.Value = *v
}

// delete deletes the (existing) key, whose version r.Prev is, at the next
// revision (kvstore_txn.go delete).
func (s *Store) delete(ki *keyIndex, r *Result) {
	rev := s.currentRev + 1
	prev := ki.modified
	ki.modified, ki.created, ki.ver = rev, 0, 0
	s.live--
	s.be.write(s.entryBytes(s.log.push(logEntry{rev: rev, prev: prev, tomb: true, kv: r.Prev})))
	s.currentRev = rev
	r.Event = Event{Type: EventDelete, KV: KeyValue{Key: r.Prev.Key, ModRevision: rev}, Prev: r.Prev}
	r.HasEvent = true
}

// applyCompact compacts the history at rev (kvstore.go Compact: reject
// rev ≤ compactRev with ErrCompacted and rev > currentRev with
// ErrFutureRev; treeIndex.Compact keeps, for each key, the latest revision
// ≤ rev unless it is a tombstone below rev; scheduleCompaction deletes
// every other stored revision ≤ rev). The revisions go at once here;
// their backend bytes are only reported.
func (s *Store) applyCompact(rev int64) Result {
	if rev <= s.compactRev {
		return Result{Revision: s.currentRev, Err: ErrCompacted}
	}
	if rev > s.currentRev {
		return Result{Revision: s.currentRev, Err: ErrFutureRev}
	}
	upto := s.searchLog(rev + 1) // the entries ≤ rev

	// Walk them newest first: the first entry of a key met is its latest
	// ≤ rev, kept (and now the oldest of its chain) unless it is a
	// tombstone below rev; the key's other entries ≤ rev go. A doomed
	// entry is marked prev = -1 until the log is shifted.
	for i := upto - 1; i >= 0; i-- {
		e := s.log.at(i)
		if s.met(e.kv.Key) {
			e.prev = -1
			continue
		}
		if !e.tomb || e.rev == rev {
			e.prev = 0
			continue
		}
		// A tombstone below rev: the generation it ended goes whole.
		if ki := s.lookup(e.kv.Key); ki != nil {
			s.unlink(ki, e.rev)
		}
		e.prev = -1
	}
	s.clearMet()

	// Delete the marked entries, shifting the log down.
	r := Result{Revision: s.currentRev}
	w := 0
	for i := 0; i < upto; i++ {
		e := s.log.at(i)
		if e.prev < 0 {
			r.FreedRevisions++
			r.FreedBytes += s.entryBytes(e)
			continue
		}
		*s.log.at(w) = *e
		w++
	}
	kept := w
	for i := upto; i < s.log.len(); i++ {
		*s.log.at(w) = *s.log.at(i)
		w++
	}
	s.log.truncate(w)
	s.compactRev, s.sparse = rev, kept
	return r
}

// unlink drops the tombstone at rev, the key's latest entry ≤ the
// compaction revision, from ki's chain: the key leaves the index if that
// was its last entry; otherwise the next generation's first entry is now
// where its chain ends.
func (s *Store) unlink(ki *keyIndex, rev int64) {
	if ki.modified == rev {
		s.deleteIndex(ki)
		return
	}
	for r := ki.modified; r > rev; {
		e := s.entryAt(r)
		if e.prev == rev {
			e.prev = 0
			return
		}
		r = e.prev
	}
}

// met reports whether the current compaction met k before, and records
// it.
func (s *Store) met(k Key) bool {
	if row, id, ok := directSlot(k); ok {
		t := &s.seen[row]
		w := int(id >> 6)
		if w >= len(*t) {
			*t = append(*t, make([]uint64, w+1-len(*t))...)
		}
		bit := uint64(1) << (id & 63)
		if (*t)[w]&bit != 0 {
			return true
		}
		(*t)[w] |= bit
		return false
	}
	i, found := slices.BinarySearch(s.seenOther, k)
	if !found {
		s.seenOther = slices.Insert(s.seenOther, i, k)
	}
	return found
}

func (s *Store) clearMet() {
	for i := range s.seen {
		clear(s.seen[i])
	}
	s.seenOther = s.seenOther[:0]
}

func (s *Store) activate(member uint64) {
	i := searchMembers(s.alarms, member)
	if i < len(s.alarms) && s.alarms[i] == member {
		return
	}
	s.alarms = append(s.alarms, 0)
	copy(s.alarms[i+1:], s.alarms[i:])
	s.alarms[i] = member
}

func (s *Store) deactivate(member uint64) {
	i := searchMembers(s.alarms, member)
	if i < len(s.alarms) && s.alarms[i] == member {
		s.alarms = append(s.alarms[:i], s.alarms[i+1:]...)
	}
}

func searchMembers(m []uint64, id uint64) int {
	lo, hi := 0, len(m)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if m[mid] < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Range reads the keys in [start, end) — or the key start alone if end is
// 0 — as they were at revision rev (≤ 0: the current revision), in key
// order, with etcd's rangeKeys semantics (kvstore_txn.go): rev beyond the
// current revision is ErrFutureRev; rev below the compaction revision is
// ErrCompacted (the compaction revision itself is still readable).
//
// fn is called for the first limit keys (limit ≤ 0: all) that existed at
// rev, until it returns false; the KeyValue is the store's, valid only
// during the call, and must not be modified; fn must not modify the store.
// Range returns the current revision (the response header's) and, as
// etcd's Count, the number of keys in the range at rev regardless of limit.
func (s *Store) Range(start, end Key, rev int64, limit int, fn func(*KeyValue) bool) (int64, int, error) {
	cur := s.currentRev
	if rev > cur {
		return cur, 0, ErrFutureRev
	}
	if rev <= 0 {
		rev = cur
	}
	if rev < s.compactRev {
		return cur, 0, ErrCompacted
	}
	if end == 0 {
		ki := s.lookup(start)
		if ki == nil {
			return cur, 0, nil
		}
		e := s.versionAt(ki, rev)
		if e == nil {
			return cur, 0, nil
		}
		if fn != nil {
			fn(&e.kv)
		}
		return cur, 1, nil
	}
	count, emitting := 0, fn != nil
	s.probe.key, s.probeHi.key = start, end
	s.index.AscendRange(&s.probe, &s.probeHi, func(ki *keyIndex) bool {
		e := s.versionAt(ki, rev)
		if e == nil {
			return true
		}
		count++
		if emitting && (limit <= 0 || count <= limit) {
			emitting = fn(&e.kv)
		}
		return true
	})
	return cur, count, nil
}

// Get returns the version of key k at rev (≤ 0: current), with Range's
// errors.
func (s *Store) Get(k Key, rev int64) (kv KeyValue, found bool, err error) {
	_, n, err := s.Range(k, 0, rev, 0, func(v *KeyValue) bool { kv = *v; return false })
	return kv, n > 0, err
}

// EventsSince calls fn for every change with revision ≥ rev, in revision
// order, until fn returns false — what an unsynced watcher starting at rev
// catches up on from the backend (watchable_store.go syncWatchers). As in
// etcd, rev ≤ 0 or rev > Rev() is a watch from now: no events. A rev below
// the compaction revision is ErrCompacted (watcher_group.go chooseAll:
// minRev < compactRev); at the compaction revision itself every change is
// still there, since compaction keeps the revisions at exactly its
// revision. The Event is the store's, valid only during the call; fn must
// not modify the store.
func (s *Store) EventsSince(rev int64, fn func(*Event) bool) error {
	if rev <= 0 || rev > s.currentRev {
		return nil
	}
	if rev < s.compactRev {
		return ErrCompacted
	}
	for i := s.searchLog(rev); i < s.log.len(); i++ {
		e := s.log.at(i)
		if e.tomb {
			s.ev = Event{Type: EventDelete, KV: KeyValue{Key: e.kv.Key, ModRevision: e.rev}, Prev: e.kv}
		} else {
			s.ev = Event{Type: EventPut, KV: e.kv}
		}
		if !fn(&s.ev) {
			break
		}
	}
	return nil
}

// Revisions is the number of stored revisions (bbolt key bucket entries),
// tombstones included.
func (s *Store) Revisions() int { return s.log.len() }
