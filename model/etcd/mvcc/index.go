package mvcc

import "github.com/orrery-sim/orrery/model/api"

// This file is etcd's in-memory index (etcd-io/etcd
// server/storage/mvcc/key_index.go, index.go) with integer keys. A
// revision here is etcd's Revision.Main alone: every txn in this model
// changes at most one key, so Sub is always 0.

// generation is one life of a key, from its creation to its deletion: the
// revisions of its versions in ascending order, the last of them the
// tombstone if the key was deleted.
type generation struct {
	ver     int64   // number of revisions ever added, compacted ones included
	created int64   // revision of the put that created the key
	revs    []int64 // retained revisions
}

// keyIndex holds every retained revision of one key. Its last generation
// is empty while the key is deleted.
//
// For example put(1) put(2) delete(3) put(4) delete(5) gives
// generations {1, 2, 3t} {4, 5t} {}. Compaction at rev removes, in every
// generation, the revisions ≤ rev except the largest, and drops whole
// generations whose tombstone is < rev: compact(2) leaves {2, 3t} {4, 5t} {},
// compact(4) {4, 5t} {}, compact(5) {5t} {}, and compact(6) {} — an empty
// key, removed from the index.
//
// It takes 128 bytes, so that it lies in two adjacent cache lines (the size
// class is 128-byte aligned) which one miss brings in together: every
// apply of every member touches all of it, each time cold (at 160 bytes it
// straddled three or four lines, a tenth of a 5000-node run).
type keyIndex struct {
	key         Key
	modified    int64 // revision of the last change
	generations []generation
	// gen0 holds the generations while there is only one (most keys are
	// never deleted), so a write finds it next to the rest of the key.
	gen0 [1]generation
	// curValue is the value at modified while the key is live, sparing a
	// search of the log on every write. The rest of the current version
	// is the last generation's: CreateRevision is its created and Version
	// its ver (Verify checks both against the log).
	curValue api.Object
}

// put adds a put (or, through tombstone, a delete) at rev > modified.
func (ki *keyIndex) put(rev int64) {
	if len(ki.generations) == 0 {
		if cap(ki.generations) == 0 {
			ki.generations = ki.gen0[:0]
		}
		ki.generations = append(ki.generations, generation{})
	}
	g := &ki.generations[len(ki.generations)-1]
	if len(g.revs) == 0 {
		g.created = rev
	}
	g.revs = append(g.revs, rev)
	g.ver++
	ki.modified = rev
}

// tombstone ends the current (non-empty) generation at rev and opens an
// empty one.
func (ki *keyIndex) tombstone(rev int64) {
	ki.put(rev)
	ki.generations = append(ki.generations, generation{})
}

// live reports whether the key exists at the current revision.
func (ki *keyIndex) live() bool {
	return len(ki.generations[len(ki.generations)-1].revs) > 0
}

// isEmpty reports whether nothing is left of the key.
func (ki *keyIndex) isEmpty() bool {
	return len(ki.generations) == 1 && len(ki.generations[0].revs) == 0
}

// get returns the revision of the key's version at atRev, or ok=false if
// the key did not exist at atRev (key_index.go get; the creation revision
// and version etcd also returns are in the stored KeyValue here).
func (ki *keyIndex) get(atRev int64) (modified int64, ok bool) {
	g := ki.findGeneration(atRev)
	if g == nil {
		return 0, false
	}
	n := g.findRevisionIndex(atRev)
	if n < 0 {
		return 0, false
	}
	return g.revs[n], true
}

// findGeneration returns the generation holding rev, or nil if the key did
// not exist at rev (it falls after a tombstone or before any revision).
func (ki *keyIndex) findGeneration(rev int64) *generation {
	last := len(ki.generations) - 1
	for i := last; i >= 0; i-- {
		g := &ki.generations[i]
		if len(g.revs) == 0 {
			continue
		}
		if i != last && g.revs[len(g.revs)-1] <= rev {
			return nil // deleted at or before rev
		}
		if g.revs[0] <= rev {
			return g
		}
	}
	return nil
}

// findRevisionIndex is the index of the last revision ≤ atRev, or -1.
func (g *generation) findRevisionIndex(atRev int64) int {
	lo, hi, res := 0, len(g.revs)-1, -1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		if g.revs[mid] <= atRev {
			res, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return res
}

// compact removes the revisions ≤ atRev except the largest one of the
// generation that holds atRev, and every generation deleted before atRev
// (key_index.go compact/doCompact). A tombstone at exactly atRev is kept.
// Slices are shifted down in place so their capacity is reused.
func (ki *keyIndex) compact(atRev int64) {
	genIdx := 0
	for genIdx < len(ki.generations)-1 {
		g := &ki.generations[genIdx]
		if g.revs[len(g.revs)-1] >= atRev {
			break
		}
		genIdx++
	}
	g := &ki.generations[genIdx]
	if n := g.findRevisionIndex(atRev); n > 0 {
		g.revs = g.revs[:copy(g.revs, g.revs[n:])]
	}
	if genIdx > 0 {
		n := copy(ki.generations, ki.generations[genIdx:])
		clear(ki.generations[n:])
		ki.generations = ki.generations[:n]
	}
}

// keptRev is the revision ≤ atRev that the last compact(atRev) kept, or 0:
// after compaction only the first generation can hold one, as its first
// revision.
func (ki *keyIndex) keptRev(atRev int64) int64 {
	g := &ki.generations[0]
	if len(g.revs) > 0 && g.revs[0] <= atRev {
		return g.revs[0]
	}
	return 0
}

// lessKeyIndex orders the index by key.
func lessKeyIndex(a, b *keyIndex) bool { return a.key < b.key }
