package mvcc

import (
	"io"

	"github.com/hashicorp/raft"
)

// FSM runs a Store as the state machine of a github.com/hashicorp/raft
// node (hashicorp/raft fsm.go), as an independent cross-check of the
// simulator's own Raft: the same commands committed by either must leave
// equal Digests. hashicorp/raft calls Apply and Snapshot from one goroutine
// and Persist from another; Snapshot copies the state, so Persist does not
// touch the Store.
type FSM struct{ Store *Store }

var _ raft.FSM = (*FSM)(nil)

// Apply decodes a LogCommand's Data and applies it. It returns a Result
// (by value); an undecodable entry gives Result{Err: ErrInvalidCommand}
// and changes nothing.
func (f *FSM) Apply(l *raft.Log) any {
	var c Command
	if err := DecodeCommand(l.Data, &c); err != nil {
		return Result{Revision: f.Store.Rev(), Err: err}
	}
	return f.Store.Apply(&c)
}

// Snapshot captures the complete state (AppendSnapshot).
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{data: f.Store.AppendSnapshot(nil)}, nil
}

// Restore replaces the state with a snapshot's (RestoreSnapshot).
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	return f.Store.RestoreSnapshot(data)
}

// fsmSnapshot is an encoded state waiting to be persisted.
type fsmSnapshot struct{ data []byte }

// Persist writes the snapshot to the sink and closes it (Cancel on error).
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

// Release is a no-op: the snapshot holds no resources.
func (s *fsmSnapshot) Release() {}
