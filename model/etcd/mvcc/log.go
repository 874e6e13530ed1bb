package mvcc

// revLog is the revision-ordered log of stored revisions, kept in
// fixed-size chunks: appending never copies what is already stored, and
// chunks freed by compaction are reused rather than returned to the
// runtime. A growing contiguous slice of a few hundred thousand revisions
// per member spent most of its time copying and faulting in fresh pages
// (profiled in the 5000-node run).
type revLog struct {
	chunks [][]logEntry // every chunk has logChunk entries
	n      int
	spare  [][]logEntry
}

const (
	logChunkBits = 12
	logChunk     = 1 << logChunkBits
	logChunkMask = logChunk - 1
)

func (l *revLog) len() int { return l.n }

func (l *revLog) at(i int) *logEntry { return &l.chunks[i>>logChunkBits][i&logChunkMask] }

// push appends e and returns the stored copy.
func (l *revLog) push(e logEntry) *logEntry {
	p := l.add()
	*p = e
	return p
}

// add appends an entry for the caller to fill in (every field: a reused
// chunk holds old entries) and returns it.
func (l *revLog) add() *logEntry {
	if l.n == len(l.chunks)*logChunk {
		var c []logEntry
		if k := len(l.spare); k > 0 {
			c, l.spare = l.spare[k-1], l.spare[:k-1]
		} else {
			c = make([]logEntry, logChunk)
		}
		l.chunks = append(l.chunks, c)
	}
	p := l.at(l.n)
	l.n++
	return p
}

// truncate keeps the first n entries; whole chunks past them are kept as
// spares.
func (l *revLog) truncate(n int) {
	keep := (n + logChunk - 1) / logChunk
	for i := keep; i < len(l.chunks); i++ {
		l.spare = append(l.spare, l.chunks[i])
		l.chunks[i] = nil
	}
	l.chunks = l.chunks[:keep]
	l.n = n
}

// clone is an independent copy (spares are not copied).
func (l *revLog) clone() revLog {
	c := revLog{chunks: make([][]logEntry, len(l.chunks)), n: l.n}
	for i, ch := range l.chunks {
		c.chunks[i] = append([]logEntry(nil), ch...)
	}
	return c
}
