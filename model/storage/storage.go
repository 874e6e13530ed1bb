// Package storage is the stand-in for etcd behind the API server: a store
// of the latest version of every object with a global revision counter,
// compare-and-swap writes (the optimistic concurrency behind 409 Conflict),
// writes committed in batches, and a watch stream of committed changes to the
// API server.
//
// Writes are group-committed the way etcd's Raft loop batches them: while
// one batch is being committed (replication and WAL fsync, one sampled
// CommitLatency), newly arriving writes wait and form the next batch. So
// storage saturates gracefully: latency grows with load, throughput with
// batch size.
//
// What the model leaves out: Raft, leader election, MVCC history,
// compaction and the database size model — the etcd model replaces this
// package through the same messages (api.StorageOp in, api.WatchEvent out).
// Reads cost a sampled ReadLatency and never wait for commits.
package storage

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// Config holds the stand-in's latencies.
type Config struct {
	CommitLatency sim.Dist
	ReadLatency   sim.Dist
}

const (
	kindCommitted int32 = api.KindPrivate + iota
	kindReadDone
)

// CommitObserver is a metering hook: the run's bookkeeping (not another
// component) is told of every committed change.
type CommitObserver interface {
	Committed(now sim.Time, prev api.Object, existed bool, cur api.Object)
}

// Store is the storage component.
type Store struct {
	eng  *sim.Engine
	net  *sim.Network
	self sim.EndpointID
	rng  *sim.Rand
	cfg  Config

	revision int64
	objects  [api.NumResources]api.ObjectTable

	pending    []*api.StorageOp // writes waiting for the next batch
	committing []*api.StorageOp // the batch being committed
	busy       bool

	watchers []subscriber
	observer CommitObserver
	evSlab   api.WatchEventSlab // watch events, one allocation per slab

	disk       *sim.ResourceMeter
	commitLat  *sim.LatencySeries
	batchSizes *sim.LatencySeries // batch size, recorded as a count in "nanoseconds"
	writes     *sim.Counter
	writeBytes *sim.Counter
	conflicts  *sim.Counter
	reads      *sim.Counter
}

// New returns an empty store registered on the network as name.
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, name string, cfg Config) *Store {
	s := &Store{eng: eng, net: net, rng: eng.Rand("storage/" + name), cfg: cfg}
	s.self = net.AddEndpoint(name, s)
	s.disk = rec.Resource("storage_commit", 1)
	s.commitLat = rec.Latency("storage_commit_duration_seconds")
	s.batchSizes = rec.Latency("storage_commit_batch_size")
	s.writes = rec.Counter("storage_writes_total")
	s.writeBytes = rec.Counter("storage_write_bytes_total")
	s.conflicts = rec.Counter("storage_conflicts_total")
	s.reads = rec.Counter("storage_reads_total")
	return s
}

// Endpoint is the store's network endpoint.
func (s *Store) Endpoint() sim.EndpointID { return s.self }

// Revision is the current global revision.
func (s *Store) Revision() int64 { return s.revision }

// SetObserver installs the commit observer.
func (s *Store) SetObserver(o CommitObserver) { s.observer = o }

// Seed stores obj as part of the initial state, at a fresh revision,
// without cost or watch events. For building the cluster before time starts.
func (s *Store) Seed(obj api.Object) api.Object {
	s.revision++
	obj.ResourceVersion = s.revision
	s.put(obj)
	return obj
}

// Get returns the stored object, for building and for tests.
func (s *Store) Get(res api.Resource, id int32) (api.Object, bool) {
	return s.objects[res].Get(id)
}

func (s *Store) put(obj api.Object) { s.objects[obj.Resource].Set(obj) }

// subscriber is a watch stream and the endpoint that opened it.
type subscriber struct {
	stream sim.StreamID
	peer   sim.EndpointID
}

// Subscribe sends every committed change on stream from now on. Writes from
// the stream's opener are answered on the stream too, together with their
// changes (see finishCommit).
func (s *Store) Subscribe(stream sim.StreamID) {
	opener, _ := s.net.StreamEnds(stream)
	s.watchers = append(s.watchers, subscriber{stream: stream, peer: opener})
}

// Handle takes storage ops off the network and runs the store's timers.
func (s *Store) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindStorageOp:
		op := ev.Data.(*api.StorageOp)
		op.Arrived = s.eng.Now()
		s.accept(op, ev.From)
	case kindReadDone:
		op := ev.Data.(*api.StorageOp)
		s.serveRead(op)
		s.net.Send(s.self, op.ReplyTo, api.KindStorageOp, 0, 0, op)
	case kindCommitted:
		s.finishCommit()
	case sim.KindStreamClosed:
		// The API server went away; it resubscribes on a new stream.
	}
}

func (s *Store) accept(op *api.StorageOp, from sim.EndpointID) {
	if op.Kind == api.OpRange {
		s.reads.Inc()
		op.ReplyTo = from
		s.eng.Schedule(sim.Event{At: s.eng.Now().Add(s.cfg.ReadLatency.Sample(s.rng)), Target: s, Kind: kindReadDone, Data: op, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
		return
	}
	op.ReplyTo = from
	s.pending = append(s.pending, op)
	s.disk.Enqueue(s.eng.Now())
	if !s.busy {
		s.startCommit()
	}
}

func (s *Store) serveRead(op *api.StorageOp) {
	op.Current, op.Found = s.Get(op.Resource, op.ID)
	op.Revision = s.revision
	if !op.Found {
		op.Err = api.NotFound
	}
}

// startCommit makes the waiting writes the batch being committed. pending
// and committing swap buffers, so steady state allocates nothing.
func (s *Store) startCommit() {
	now := s.eng.Now()
	s.committing, s.pending = s.pending, s.committing[:0]
	for _, op := range s.committing {
		s.disk.Dequeue(now, now.Sub(op.Arrived))
	}
	s.batchSizes.Observe(time.Duration(len(s.committing)))
	s.busy = true
	s.disk.Acquire(now, 1)
	s.eng.After(s.cfg.CommitLatency.Sample(s.rng), s, kindCommitted, 0)
}

// finishCommit applies the batch in arrival order, then answers and
// streams it: each subscriber gets the batch's changes in order, and the
// writes it made itself come back in the same message as their changes (a
// chain of ops: etcd answers a batch's Txns and sends its watch events in
// one write to the connection). Writes from anyone else are answered alone.
func (s *Store) finishCommit() {
	now := s.eng.Now()
	s.disk.Release(now, 1)
	s.busy = false
	for _, op := range s.committing {
		s.apply(op)
		s.commitLat.Observe(now.Sub(op.Arrived))
	}
	for _, w := range s.watchers {
		s.streamBatch(w)
	}
	for _, op := range s.committing {
		if !s.answeredOnStream(op) {
			s.net.Send(s.self, op.ReplyTo, api.KindStorageOp, 0, 0, op)
		}
	}
	clear(s.committing)
	s.committing = s.committing[:0]
	if len(s.pending) > 0 {
		s.startCommit()
	}
}

func (s *Store) apply(op *api.StorageOp) {
	cur, found := s.Get(op.Resource, op.ID)
	op.Found, op.Current = found, cur
	switch {
	case op.Kind == api.OpCreate && found:
		op.Err = api.Conflict // AlreadyExists is a 409 in Kubernetes
	case op.Kind != api.OpCreate && !found:
		op.Err = api.NotFound
	case op.ExpectRevision > 0 && cur.ResourceVersion != op.ExpectRevision:
		op.Err = api.Conflict
	}
	if op.Err != 0 {
		if op.Err == api.Conflict {
			s.conflicts.Inc()
		}
		op.Revision = s.revision
		return
	}
	s.revision++
	op.Revision = s.revision
	typ := api.Modified
	if op.Kind == api.OpCreate {
		typ = api.Added
	}
	val := op.Value
	val.Resource, val.ID, val.ResourceVersion = op.Resource, op.ID, s.revision
	if op.Kind == api.OpDelete {
		typ = api.Deleted
		val = cur
		val.ResourceVersion = s.revision
		s.objects[op.Resource].Delete(op.ID)
	} else {
		s.put(val)
	}
	op.Current = val
	s.writes.Inc()
	s.writeBytes.Add(int64(val.Size))
	if s.observer != nil {
		s.observer.Committed(s.eng.Now(), cur, found, val)
	}
	if len(s.watchers) > 0 {
		op.Event = s.evSlab.New()
		*op.Event = api.WatchEvent{Type: typ, Object: val}
	}
}

// streamBatch sends the committing batch to one subscriber, in order: runs
// of its own writes as one chained message, others' changes one by one.
func (s *Store) streamBatch(w subscriber) {
	var head, tail *api.StorageOp
	flush := func() {
		if head != nil {
			s.net.SendStream(w.stream, s.self, api.KindStorageCommit, 0, 0, head)
			head, tail = nil, nil
		}
	}
	for _, op := range s.committing {
		if op.ReplyTo != w.peer {
			if op.Event != nil {
				flush()
				s.net.SendStream(w.stream, s.self, api.KindWatchEvent, 0, 0, op.Event)
			}
			continue
		}
		op.Next = nil
		if head == nil {
			head = op
		} else {
			tail.Next = op
		}
		tail = op
	}
	flush()
}

func (s *Store) answeredOnStream(op *api.StorageOp) bool {
	for _, w := range s.watchers {
		if op.ReplyTo == w.peer && s.net.StreamOpen(w.stream) {
			return true
		}
	}
	return false
}
