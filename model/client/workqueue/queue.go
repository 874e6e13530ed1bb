package workqueue

import (
	"github.com/orrery-sim/orrery/sim"
)

// Config names a queue and says where its metrics go.
type Config struct {
	// Name labels the queue's metrics (name=<Name>). As in client-go, an
	// unnamed queue records no metrics.
	Name string
	// Recorder receives the metrics; nil records none.
	Recorder *sim.Recorder
}

// Queue is client-go's work queue (workqueue.Typed): a FIFO of items that
// need processing, deduplicated so that an item is queued at most once and
// handed to at most one worker at a time.
//
// Invariants, as upstream: every queued item is dirty and not processing; a
// processing item may also be dirty, in which case Done queues it again.
type Queue[T comparable] struct {
	eng *sim.Engine

	// queue is the processing order; every element is in dirty and not in
	// processing.
	queue fifo[T]
	// dirty holds every item that needs processing.
	dirty map[T]struct{}
	// processing holds items handed out by Get and not yet Done. They may
	// also be dirty.
	processing map[T]struct{}

	shuttingDown bool
	notify       func()
	metrics      *metrics[T] // nil: no metrics
}

// New returns an empty queue on eng's clock.
func New[T comparable](eng *sim.Engine, cfg Config) *Queue[T] {
	return &Queue[T]{
		eng:        eng,
		dirty:      map[T]struct{}{},
		processing: map[T]struct{}{},
		metrics:    newMetrics[T](cfg),
	}
}

// SetNotify registers fn to run wherever client-go's queue signals its
// condition variable to wake a blocked Get: each time an item is pushed onto
// the queue (by Add, or by Done re-queueing a dirty item), and on ShutDown.
// fn runs synchronously, after the queue's state is updated, so it may call
// Get; it is often simpler to schedule a worker event from it. nil clears it.
func (q *Queue[T]) SetNotify(fn func()) { q.notify = fn }

// Add marks item as needing processing. It is a no-op if the item is already
// dirty or the queue is shutting down; if the item is being processed it is
// marked dirty and queued when Done is called.
func (q *Queue[T]) Add(item T) {
	if q.shuttingDown {
		return
	}
	if _, ok := q.dirty[item]; ok {
		// Upstream calls Queue.Touch here; the default FIFO ignores it.
		return
	}
	q.metrics.add(item, q.eng.Now())
	q.dirty[item] = struct{}{}
	if _, ok := q.processing[item]; ok {
		return
	}
	q.queue.push(item)
	q.signal()
}

// Len is the number of queued items (dirty items being processed are not
// counted, as upstream).
func (q *Queue[T]) Len() int { return q.queue.len() }

// Processing is the number of items handed out by Get and not yet Done.
func (q *Queue[T]) Processing() int { return len(q.processing) }

// Get hands the item at the head of the queue to the caller, who must call
// Done with it when finished. Unlike client-go's Get it never blocks: ok is
// false when nothing is queued. After ShutDown, Get keeps draining what is
// queued; once it returns false, ShuttingDown tells the worker to stop.
func (q *Queue[T]) Get() (item T, ok bool) {
	if q.queue.len() == 0 {
		return item, false
	}
	item = q.queue.pop()
	q.metrics.get(item, q.eng.Now())
	q.processing[item] = struct{}{}
	delete(q.dirty, item)
	return item, true
}

// Done marks item as processed; if it was added again meanwhile, it is
// queued now. Done of an item that is not being processed panics (upstream
// accepts it and may queue the item twice).
func (q *Queue[T]) Done(item T) {
	if _, ok := q.processing[item]; !ok {
		panic("workqueue: Done of an item that is not being processed")
	}
	q.metrics.done(item, q.eng.Now())
	delete(q.processing, item)
	if _, ok := q.dirty[item]; ok {
		q.queue.push(item)
		q.signal()
	}
}

// ShutDown makes the queue ignore new items; queued items can still be
// taken with Get. The notify callback runs, as upstream wakes every blocked
// worker.
func (q *Queue[T]) ShutDown() {
	q.shuttingDown = true
	q.signal()
}

// ShuttingDown reports whether ShutDown was called.
func (q *Queue[T]) ShuttingDown() bool { return q.shuttingDown }

func (q *Queue[T]) signal() {
	if q.notify != nil {
		q.notify()
	}
}

// fifo is a slice queue that reuses its array: pop advances a head index and
// the live part is moved down once the dead prefix is at least half of it.
type fifo[T any] struct {
	items []T
	head  int
}

func (f *fifo[T]) len() int { return len(f.items) - f.head }

func (f *fifo[T]) push(x T) {
	if f.head > 0 && f.head >= len(f.items)/2 && len(f.items) == cap(f.items) {
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items = f.items[:n]
		f.head = 0
	}
	f.items = append(f.items, x)
}

func (f *fifo[T]) pop() T {
	x := f.items[f.head]
	var zero T
	f.items[f.head] = zero // let the item be collected
	f.head++
	if f.head == len(f.items) {
		f.items, f.head = f.items[:0], 0
	}
	return x
}
