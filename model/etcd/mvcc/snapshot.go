package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Snapshot encoding: a magic, then every field of the state in a fixed
// order, little-endian — revisions, alarms, backend, the index in key
// order, the log in revision order. It is canonical: equal states encode
// to equal bytes.
const snapshotMagic = "orrery-mvcc-v1\x00\x00"

// ErrBadSnapshot is returned by RestoreSnapshot for input that is not a
// consistent snapshot.
var ErrBadSnapshot = errors.New("mvcc: malformed snapshot")

// AppendSnapshot appends the complete state — every retained revision of
// every key with the index, current and compact revisions, alarms and the
// backend's sizes — to b. Config is not part of it.
func (s *Store) AppendSnapshot(b []byte) []byte {
	le := binary.LittleEndian
	b = append(b, snapshotMagic...)
	b = le.AppendUint64(b, uint64(s.currentRev))
	b = le.AppendUint64(b, uint64(s.compactRev))
	b = le.AppendUint64(b, uint64(s.be.hwm))
	b = le.AppendUint64(b, uint64(s.be.inUse))
	b = le.AppendUint32(b, uint32(len(s.alarms)))
	for _, m := range s.alarms {
		b = le.AppendUint64(b, m)
	}
	b = le.AppendUint32(b, uint32(s.index.Len()))
	s.index.Ascend(func(ki *keyIndex) bool {
		gens := s.generations(ki)
		b = le.AppendUint64(b, uint64(ki.key))
		b = le.AppendUint64(b, uint64(ki.modified))
		b = le.AppendUint32(b, uint32(len(gens)))
		for i := range gens {
			g := &gens[i]
			b = le.AppendUint64(b, uint64(g.ver))
			b = le.AppendUint64(b, uint64(g.created))
			b = le.AppendUint32(b, uint32(len(g.revs)))
			for _, r := range g.revs {
				b = le.AppendUint64(b, uint64(r))
			}
		}
		return true
	})
	b = le.AppendUint32(b, uint32(s.log.len()))
	for i := 0; i < s.log.len(); i++ {
		e := s.log.at(i)
		b = le.AppendUint64(b, uint64(e.rev))
		var tomb byte
		if e.tomb {
			tomb = 1
		}
		b = append(b, tomb)
		b = appendKV(b, &e.kv)
	}
	return b
}

const kvEncodedBytes = 8 * 4 // key, create, mod, version; then the object

func appendKV(b []byte, kv *KeyValue) []byte {
	le := binary.LittleEndian
	b = le.AppendUint64(b, uint64(kv.Key))
	b = le.AppendUint64(b, uint64(kv.CreateRevision))
	b = le.AppendUint64(b, uint64(kv.ModRevision))
	b = le.AppendUint64(b, uint64(kv.Version))
	return appendObject(b, &kv.Value)
}

// snapReader reads a snapshot; after the first error every read returns
// zero and err stays set.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrBadSnapshot}, args...)...)
	}
}

func (r *snapReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("truncated")
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *snapReader) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *snapReader) i64() int64 { return int64(r.u64()) }

// count reads a length and checks that that many items of at least
// minBytes each can still follow, so malformed input cannot make Restore
// allocate more than the input's size.
func (r *snapReader) count(minBytes int) int {
	p := r.take(4)
	if p == nil {
		return 0
	}
	n := int(binary.LittleEndian.Uint32(p))
	if n > len(r.b)/minBytes {
		r.fail("count %d exceeds the input", n)
		return 0
	}
	return n
}

// RestoreSnapshot replaces the store's state with a snapshot made by
// AppendSnapshot, keeping its Config. On error (ErrBadSnapshot: malformed
// or internally inconsistent input) the store is unchanged. It never
// panics.
func (s *Store) RestoreSnapshot(b []byte) error {
	r := &snapReader{b: b}
	if string(r.take(len(snapshotMagic))) != snapshotMagic {
		r.fail("bad magic")
		return r.err
	}
	n := NewStore(s.cfg)
	n.currentRev = r.i64()
	n.compactRev = r.i64()
	n.be.hwm = r.i64()
	n.be.inUse = r.i64()
	if na := r.count(8); na > 0 {
		n.alarms = make([]uint64, na)
		for i := range n.alarms {
			n.alarms[i] = r.u64()
		}
	}
	// The index section is derived from the log (generations): it is
	// skipped here, the index rebuilt from the log, and the snapshot
	// accepted only if it is the one the rebuilt store makes.
	nk := r.count(8 + 8 + 4)
	for i := 0; i < nk && r.err == nil; i++ {
		r.take(8 + 8)
		ng := r.count(8 + 8 + 4)
		for j := 0; j < ng && r.err == nil; j++ {
			r.take(8 + 8)
			r.take(8 * r.count(8))
		}
	}
	if nl := r.count(8 + 1 + kvEncodedBytes + objectBytes); nl > 0 {
		for i := 0; i < nl; i++ {
			e := n.log.push(logEntry{})
			e.rev = r.i64()
			p := r.take(1 + kvEncodedBytes + objectBytes)
			if p == nil {
				break
			}
			if p[0] > 1 {
				r.fail("bad tombstone flag")
				break
			}
			e.tomb = p[0] == 1
			le := binary.LittleEndian
			e.kv.Key = Key(le.Uint64(p[1:]))
			e.kv.CreateRevision = int64(le.Uint64(p[9:]))
			e.kv.ModRevision = int64(le.Uint64(p[17:]))
			e.kv.Version = int64(le.Uint64(p[25:]))
			if !readObject(p[33:], &e.kv.Value) {
				r.fail("bad object at revision %d", e.rev)
				break
			}
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return r.err
	}
	if err := n.rebuildIndex(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	if err := n.Verify(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	if !bytes.Equal(n.AppendSnapshot(make([]byte, 0, len(b))), b) {
		return fmt.Errorf("%w: the index does not match the log", ErrBadSnapshot)
	}
	*s = *n
	return nil
}

// rebuildIndex builds the index, the chains and the live count of a store
// whose log, revisions and backend were just restored.
func (s *Store) rebuildIndex() error {
	var last int64
	for i := 0; i < s.log.len(); i++ {
		e := s.log.at(i)
		if e.rev <= last {
			return fmt.Errorf("log entry %d: revision %d after %d", i, e.rev, last)
		}
		last = e.rev
		if e.rev <= s.compactRev {
			s.sparse = i + 1
		}
		ki := s.lookup(e.kv.Key)
		if ki == nil {
			ki = s.newIndex(e.kv.Key)
		} else if ki.live() {
			s.live--
		}
		e.prev = ki.modified
		ki.modified = e.rev
		if e.tomb {
			ki.created, ki.ver = 0, 0
		} else {
			ki.created, ki.ver = max(e.kv.CreateRevision, 1), e.kv.Version
			s.live++
		}
	}
	return nil
}

// Verify checks the store's invariants and returns the first violation:
// revisions in range; the log strictly ordered by revision, every put
// carrying its own revision and a tombstone its key's deleted version;
// every index generation non-empty except the last, revisions strictly
// increasing across a key; each indexed revision stored in the log under
// that key, a tombstone exactly where a generation ends, with the version
// and creation revision the index implies; every log entry indexed; the
// live-key count; the point-lookup table mirroring the tree; the
// backend's sizes. Tests call it after every step; RestoreSnapshot calls
// it on what it decoded.
func (s *Store) Verify() error {
	if s.currentRev < 1 || s.compactRev < -1 || s.compactRev > s.currentRev {
		return fmt.Errorf("revisions: current %d, compact %d", s.currentRev, s.compactRev)
	}
	for i := 1; i < len(s.alarms); i++ {
		if s.alarms[i] <= s.alarms[i-1] {
			return fmt.Errorf("alarms out of order: %v", s.alarms)
		}
	}
	if s.be.inUse < emptyBackendBytes || s.be.hwm < s.be.inUse {
		return fmt.Errorf("backend: size %d, in use %d", s.be.hwm, s.be.inUse)
	}
	var last int64
	for i := 0; i < s.log.len(); i++ {
		e := s.log.at(i)
		if e.rev <= last || e.rev > s.currentRev {
			return fmt.Errorf("log entry %d: revision %d after %d (current %d)", i, e.rev, last, s.currentRev)
		}
		last = e.rev
		kv := &e.kv
		if e.tomb {
			if kv.ModRevision >= e.rev || kv.Version < 1 || kv.CreateRevision > kv.ModRevision {
				return fmt.Errorf("tombstone at %d: deleted version %+v", e.rev, *kv)
			}
		} else if kv.ModRevision != e.rev || kv.Version < 1 || kv.CreateRevision < 1 || kv.CreateRevision > e.rev {
			return fmt.Errorf("put at %d: %+v", e.rev, *kv)
		}
	}
	if base := s.denseBase(); s.sparse > s.log.len() || int64(s.log.len()-s.sparse) != s.currentRev-base ||
		(s.sparse > 0 && s.log.at(s.sparse-1).rev > base) || (s.sparse < s.log.len() && s.log.at(s.sparse).rev != base+1) {
		return fmt.Errorf("log: %d entries, %d of them at or below %d, current revision %d", s.log.len(), s.sparse, base, s.currentRev)
	}
	var err error
	indexed, live, direct := 0, 0, 0
	var prevKey Key
	first := true
	s.index.Ascend(func(ki *keyIndex) bool {
		if !first && ki.key <= prevKey {
			err = fmt.Errorf("index out of order at %#x", ki.key)
			return false
		}
		first, prevKey = false, ki.key
		if s.lookup(ki.key) != ki {
			err = fmt.Errorf("key %#x: the point-lookup table disagrees with the tree", ki.key)
			return false
		}
		if _, _, ok := directSlot(ki.key); ok {
			direct++
		}
		var n int
		if n, err = s.verifyKey(ki); err != nil {
			return false
		}
		indexed += n
		if ki.live() {
			live++
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, row := range s.arena.rows {
		for _, ch := range row {
			for i := s.slot; i < len(ch); i += 1 << s.arena.shift {
				if ch[i].modified != 0 {
					direct--
				}
			}
		}
	}
	if direct != 0 {
		return fmt.Errorf("the point-lookup table holds %d entries more than the tree", -direct)
	}
	if indexed != s.log.len() {
		return fmt.Errorf("index holds %d revisions, log %d", indexed, s.log.len())
	}
	if live != s.live {
		return fmt.Errorf("live keys: counted %d, recorded %d", live, s.live)
	}
	return nil
}

// verifyKey checks ki's chain and generations against the log and
// returns the number of revisions it holds.
func (s *Store) verifyKey(ki *keyIndex) (int, error) {
	if ki.modified == 0 {
		return 0, fmt.Errorf("key %#x: empty index entry", ki.key)
	}
	gens := s.generations(ki)
	if gens == nil {
		return 0, fmt.Errorf("key %#x: broken chain from revision %d", ki.key, ki.modified)
	}
	var last int64
	n := 0
	for gi := range gens {
		g := &gens[gi]
		final := gi == len(gens)-1
		if !final && len(g.revs) == 0 {
			return 0, fmt.Errorf("key %#x: empty generation %d", ki.key, gi)
		}
		if len(g.revs) > 0 && (g.created < 1 || g.created > g.revs[0] || g.ver < int64(len(g.revs))) {
			return 0, fmt.Errorf("key %#x generation %d: created %d, ver %d, revs %v", ki.key, gi, g.created, g.ver, g.revs)
		}
		for j, rev := range g.revs {
			last = rev
			n++
			e := s.entryAt(rev)
			tomb := !final && j == len(g.revs)-1
			if e.tomb != tomb {
				return 0, fmt.Errorf("key %#x: revision %d tombstone %v, index says %v", ki.key, rev, e.tomb, tomb)
			}
			ver := g.ver - int64(len(g.revs)-j-1)
			if tomb {
				ver-- // the tombstone counts in ver; the deleted version is one less
			}
			if e.kv.Version != ver || e.kv.CreateRevision != g.created {
				return 0, fmt.Errorf("key %#x: revision %d has version %d created %d, index says %d created %d",
					ki.key, rev, e.kv.Version, e.kv.CreateRevision, ver, g.created)
			}
		}
	}
	if ki.modified != last {
		return 0, fmt.Errorf("key %#x: modified %d, last revision %d", ki.key, ki.modified, last)
	}
	if cur := &gens[len(gens)-1]; len(cur.revs) == 0 {
		if ki.created != 0 || ki.ver != 0 {
			return 0, fmt.Errorf("key %#x: deleted, but the index has created %d version %d", ki.key, ki.created, ki.ver)
		}
	} else if ki.created != cur.created || ki.ver != cur.ver {
		return 0, fmt.Errorf("key %#x: created %d version %d, the log says %d and %d", ki.key, ki.created, ki.ver, cur.created, cur.ver)
	}
	return n, nil
}

// Digest is a deterministic 64-bit hash of the whole logical state: every
// retained revision of every key (index and stored values), the current
// and compact revisions and the alarms. The backend's sizes are physical,
// per member, and left out. Members that applied the same commands have
// equal digests.
func (s *Store) Digest() uint64 {
	h := digest(0x6f72726572792d6d) // "orrery-m"
	h.add(uint64(s.currentRev), uint64(s.compactRev), uint64(len(s.alarms)))
	for _, m := range s.alarms {
		h.add(m)
	}
	h.add(uint64(s.index.Len()))
	s.index.Ascend(func(ki *keyIndex) bool {
		gens := s.generations(ki)
		h.add(uint64(ki.key), uint64(ki.modified), uint64(len(gens)))
		for i := range gens {
			g := &gens[i]
			h.add(uint64(g.ver), uint64(g.created), uint64(len(g.revs)))
			for _, r := range g.revs {
				h.add(uint64(r))
			}
		}
		return true
	})
	h.add(uint64(s.log.len()))
	for i := 0; i < s.log.len(); i++ {
		e := s.log.at(i)
		var tomb uint64
		if e.tomb {
			tomb = 1
		}
		kv := &e.kv
		o := &kv.Value
		h.add(uint64(e.rev), tomb, uint64(kv.Key), uint64(kv.CreateRevision), uint64(kv.ModRevision), uint64(kv.Version),
			uint64(o.Resource)|uint64(o.Ready)<<8|uint64(uint32(o.ID))<<32, uint64(uint32(o.Size)),
			uint64(o.ResourceVersion), uint64(o.RenewTime), uint64(o.HeartbeatTime), uint64(o.LastTransitionTime))
	}
	return uint64(h)
}

// digest mixes 64-bit words with splitmix64's finalizer.
type digest uint64

func (h *digest) add(words ...uint64) {
	for _, w := range words {
		x := uint64(*h) ^ w
		x += 0x9e3779b97f4a7c15
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		*h = digest(x ^ (x >> 31))
	}
}
