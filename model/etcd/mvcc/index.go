package mvcc

// This file is etcd's in-memory index (etcd-io/etcd
// server/storage/mvcc/key_index.go, index.go) with integer keys. A
// revision here is etcd's Revision.Main alone: every txn in this model
// changes at most one key, so Sub is always 0.
//
// etcd's keyIndex keeps, per key, its generations — one per life of the
// key, from creation to deletion — each with the revisions of its
// versions. Here the index entry holds only what a write needs (the
// current version's revisions) and the rest of the history is a chain
// through the log: every log entry carries the revision of its key's
// previous retained entry (logEntry.prev). The generations are the chain
// cut at tombstones (generations), with key_index.go's meaning; a write
// appends nothing to a per-key array, which in a 5000-node run was a cold
// cache line per apply.

// keyIndex is one key's entry in a store's index. It takes 32 bytes, so
// that the entries of one key for the four slots of an Arena block fill
// two adjacent cache lines (the pair the hardware fetches together).
type keyIndex struct {
	key Key
	// modified is the revision of the key's last retained entry: its
	// current version, or the tombstone that deleted it. 0 marks a free
	// Arena slot (every entry has a revision ≥ 2).
	modified int64
	// created and ver are, while the key exists, the current version's
	// CreateRevision and Version; created is 0 while the key is deleted.
	created, ver int64
}

// live reports whether the key exists at the current revision.
func (ki *keyIndex) live() bool { return ki.created != 0 }

// generation is one life of a key, from its creation to its deletion, as
// key_index.go has it: the retained revisions of its versions in ascending
// order, the last of them the tombstone if the key was deleted.
//
// For example put(1) put(2) delete(3) put(4) delete(5) gives generations
// {1, 2, 3t} {4, 5t} {}. Compaction at rev removes, in every generation,
// the revisions ≤ rev except the largest, and drops whole generations
// whose tombstone is < rev: compact(2) leaves {2, 3t} {4, 5t} {},
// compact(4) {4, 5t} {}, compact(5) {5t} {}, and compact(6) {} — an empty
// key, removed from the index. Equivalently: per key, compaction keeps
// the latest revision ≤ rev unless it is a tombstone below rev
// (applyCompact).
type generation struct {
	ver     int64   // number of revisions ever added, compacted ones included
	created int64   // revision of the put that created the key
	revs    []int64 // retained revisions
}

// generations derives ki's generations from the log (for Digest,
// snapshots and Verify; nothing on a write's path needs them). The last
// one is empty while the key is deleted. nil if the chain is broken (a
// store that fails Verify).
func (s *Store) generations(ki *keyIndex) []generation {
	var revs []int64
	for r := ki.modified; r != 0; {
		e := s.entryAt(r)
		if e == nil || e.kv.Key != ki.key || e.prev >= r {
			return nil
		}
		revs = append(revs, r)
		r = e.prev
	}
	gens := []generation{{}}
	for i := len(revs) - 1; i >= 0; i-- {
		e := s.entryAt(revs[i])
		g := &gens[len(gens)-1]
		g.revs = append(g.revs, revs[i])
		g.created = e.kv.CreateRevision
		if e.tomb {
			g.ver = e.kv.Version + 1 // the tombstone counts
			gens = append(gens, generation{})
		} else {
			g.ver = e.kv.Version
		}
	}
	return gens
}

// versionAt is the log entry of the key's version at atRev, or nil if
// the key did not exist at atRev (key_index.go get). atRev must not be
// below the compaction revision: the chain back from the current version
// then ends at or before atRev on a retained entry, or at 0 where the key
// did not exist (a tombstone dropped by compaction leaves its successor's
// link at 0).
func (s *Store) versionAt(ki *keyIndex, atRev int64) *logEntry {
	r := ki.modified
	for r > atRev {
		e := s.entryAt(r)
		if e == nil {
			return nil // unreachable while Verify holds
		}
		r = e.prev
	}
	if r == 0 {
		return nil
	}
	e := s.entryAt(r)
	if e == nil || e.tomb {
		return nil
	}
	return e
}

// lessKeyIndex orders the index by key.
func lessKeyIndex(a, b *keyIndex) bool { return a.key < b.key }
