package mvcc

// Arena holds the index entries (keyIndex) of the keys that the direct
// table covers (see directSlot) for one or more stores, by resource and
// object ID, so that a point lookup is an address computation, not a
// pointer chase.
//
// Stores that apply the same commands — the members of one etcd cluster —
// share an arena (NewStoreIn): each takes a slot, and the entries of one
// key for all the slots lie side by side in one block of 128 bytes or
// less. A member applying a write misses the cache on that block; the
// other members apply the same entry a few milliseconds later and find it
// warm. Each keyIndex still belongs to one store only: sharing is a
// matter of placement, not of state.
//
// Entries never move (chunks are never reallocated), so the B-tree can
// point at them. A slot is free while its modified is 0.
type Arena struct {
	shift uint // log2 of the slots per key
	users int  // slots handed out
	max   int  // slots that may be handed out
	rows  [256][][]keyIndex
}

const (
	arenaChunkBits = 8 // keys per chunk: 256
	arenaChunkMask = 1<<arenaChunkBits - 1
)

// NewArena returns an arena for stores stores (rounded up to a power of
// two slots per key).
func NewArena(stores int) *Arena {
	a := &Arena{max: stores}
	for 1<<a.shift < stores {
		a.shift++
	}
	return a
}

// claim hands out the next free slot; -1 if there is none.
func (a *Arena) claim() int {
	if a.users >= a.max {
		return -1
	}
	a.users++
	return a.users - 1
}

// at is the entry of slot for (row, id), or nil if its chunk was never
// allocated.
func (a *Arena) at(row uint8, id uint32, slot int) *keyIndex {
	t := a.rows[row]
	if c := id >> arenaChunkBits; c < uint32(len(t)) {
		if ch := t[c]; ch != nil {
			return &ch[int(id&arenaChunkMask)<<a.shift+slot]
		}
	}
	return nil
}

// alloc is at, allocating the chunk if needed.
func (a *Arena) alloc(row uint8, id uint32, slot int) *keyIndex {
	t := &a.rows[row]
	c := int(id >> arenaChunkBits)
	if c >= len(*t) {
		*t = append(*t, make([][]keyIndex, c+1-len(*t))...)
	}
	if (*t)[c] == nil {
		(*t)[c] = make([]keyIndex, (arenaChunkMask+1)<<a.shift)
	}
	return &(*t)[c][int(id&arenaChunkMask)<<a.shift+slot]
}
