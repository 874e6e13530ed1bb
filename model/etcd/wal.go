package etcd

import (
	"unsafe"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// walLog is a member's durable raft log: what its WAL and snapshot hold.
// It implements raft.Storage with the semantics of raft's MemoryStorage
// (storage.go: a dummy entry at ents[0] holds the snapshot's index and
// term), without its mutex — a member is only ever touched by the one
// event loop — and keeping its capacity across compactions, so the log
// does not regrow from a few thousand entries after every snapshot.
//
// Raft reads entries in place (Entries hands out slices of the log, which
// a leader's MsgApp carries to its peers), so a compaction cannot shift the
// log down in its array. It moves the kept entries to the other of two
// arrays instead, once nothing can read that one any more: no batch in
// flight carries entries from it (the arrays are counted like the
// recycled unstable arrays, entbuf.go) and no message in raft's outboxes
// does (spareBusy). Otherwise it allocates a new array, as it always did:
// each compaction of nodes-5000's 100000-entry logs allocated 5 MiB.
type walLog struct {
	hardState pb.HardState
	snapshot  pb.Snapshot
	ents      []pb.Entry
	// arr is the array ents lies in; spare the one the last compaction
	// left. Neither ever goes to the entry pool (inRaft stays set).
	arr, spare *entArray
	// spareBusy reports whether raft's outboxes carry entries from a (set
	// by the member; nil: never).
	spareBusy func(a *entArray) bool
	reused    int  // compactions into the spare array, for tests
	poison    bool // as entPool.poison
}

var _ raft.Storage = (*walLog)(nil)

func newWALLog() *walLog {
	w := &walLog{ents: make([]pb.Entry, 1)}
	w.track()
	return w
}

// track wraps the array ents lies in, if it is a new one.
func (w *walLog) track() {
	if w.arr != nil && unsafe.SliceData(w.arr.ents) == unsafe.SliceData(w.ents) {
		return
	}
	w.arr = &entArray{ents: w.ents[:cap(w.ents)], inRaft: true}
}

// InitialState implements raft.Storage.
func (w *walLog) InitialState() (pb.HardState, pb.ConfState, error) {
	return w.hardState, w.snapshot.Metadata.ConfState, nil
}

// SetHardState records a durable hard state.
func (w *walLog) SetHardState(st pb.HardState) error {
	w.hardState = st
	return nil
}

// Entries implements raft.Storage: entries [lo, hi), at most maxSize bytes
// but at least one.
func (w *walLog) Entries(lo, hi, maxSize uint64) ([]pb.Entry, error) {
	offset := w.ents[0].Index
	if lo <= offset {
		return nil, raft.ErrCompacted
	}
	if hi > w.lastIndex()+1 {
		panic("etcd: entries beyond the last index")
	}
	if len(w.ents) == 1 {
		return nil, raft.ErrUnavailable
	}
	ents := w.ents[lo-offset : hi-offset]
	if len(ents) > 0 { // lo == hi: none, as MemoryStorage (raft itself never asks)
		size := uint64(ents[0].Size())
		for n := 1; n < len(ents); n++ {
			size += uint64(ents[n].Size())
			if size > maxSize {
				ents = ents[:n]
				break
			}
		}
	}
	// A full slice expression: callers must not append into the log.
	return ents[:len(ents):len(ents)], nil
}

// Term implements raft.Storage.
func (w *walLog) Term(i uint64) (uint64, error) {
	offset := w.ents[0].Index
	if i < offset {
		return 0, raft.ErrCompacted
	}
	if int(i-offset) >= len(w.ents) {
		return 0, raft.ErrUnavailable
	}
	return w.ents[i-offset].Term, nil
}

// LastIndex implements raft.Storage.
func (w *walLog) LastIndex() (uint64, error) { return w.lastIndex(), nil }

func (w *walLog) lastIndex() uint64 { return w.ents[0].Index + uint64(len(w.ents)) - 1 }

// FirstIndex implements raft.Storage.
func (w *walLog) FirstIndex() (uint64, error) { return w.ents[0].Index + 1, nil }

// Snapshot implements raft.Storage.
func (w *walLog) Snapshot() (pb.Snapshot, error) { return w.snapshot, nil }

// ApplySnapshot replaces the log with a snapshot received from the leader.
func (w *walLog) ApplySnapshot(snap pb.Snapshot) error {
	if w.snapshot.Metadata.Index >= snap.Metadata.Index {
		return raft.ErrSnapOutOfDate
	}
	w.snapshot = snap
	w.ents = []pb.Entry{{Term: snap.Metadata.Term, Index: snap.Metadata.Index}}
	w.track()
	return nil
}

// CreateSnapshot records a snapshot at applied index i.
func (w *walLog) CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error) {
	if i <= w.snapshot.Metadata.Index {
		return pb.Snapshot{}, raft.ErrSnapOutOfDate
	}
	if i > w.lastIndex() {
		panic("etcd: snapshot beyond the last index")
	}
	w.snapshot.Metadata.Index = i
	w.snapshot.Metadata.Term = w.ents[i-w.ents[0].Index].Term
	if cs != nil {
		w.snapshot.Metadata.ConfState = *cs
	}
	w.snapshot.Data = data
	return w.snapshot, nil
}

// Compact drops the entries before compactIndex. The kept entries move to
// the spare array if nothing reads it any more, else to a new one of the
// old capacity (messages in flight may still alias the current one).
func (w *walLog) Compact(compactIndex uint64) error {
	offset := w.ents[0].Index
	if compactIndex <= offset {
		return raft.ErrCompacted
	}
	if compactIndex > w.lastIndex() {
		panic("etcd: compaction beyond the last index")
	}
	i := compactIndex - offset
	n := len(w.ents) - int(i)
	var ents []pb.Entry
	if sp := w.spare; sp != nil && sp.refs == 0 && len(sp.ents) >= n && (w.spareBusy == nil || !w.spareBusy(sp)) {
		ents = sp.ents[:1]
		w.reused++
	} else {
		ents = make([]pb.Entry, 1, max(cap(w.ents), n))
	}
	ents[0] = pb.Entry{Index: w.ents[i].Index, Term: w.ents[i].Term}
	ents = append(ents, w.ents[i+1:]...)
	if tail := ents[len(ents):cap(ents)]; w.poison {
		for j := range tail {
			tail[j] = poisonEntry
		}
	} else {
		clear(tail) // what a previous use left past the log
	}
	w.spare, w.ents = w.arr, ents
	w.track()
	return nil
}

// Append writes entries, truncating any conflicting suffix.
func (w *walLog) Append(entries []pb.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	first := w.ents[0].Index + 1
	last := entries[0].Index + uint64(len(entries)) - 1
	if last < first {
		return nil
	}
	if first > entries[0].Index {
		entries = entries[first-entries[0].Index:]
	}
	offset := entries[0].Index - w.ents[0].Index
	switch {
	case uint64(len(w.ents)) > offset:
		// Entries at and past offset may be referenced from outside.
		w.ents = append(w.ents[:offset:offset], entries...)
	case uint64(len(w.ents)) == offset:
		w.ents = append(w.ents, entries...)
	default:
		panic("etcd: a gap in the raft log")
	}
	w.track()
	return nil
}
