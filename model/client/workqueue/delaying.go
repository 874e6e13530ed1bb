package workqueue

import (
	"container/heap"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// DelayingQueue is a Queue that can add an item later (client-go's
// delayingType): waiting items sit in a min-heap by ready time, and one
// engine timer, armed at the earliest ready time, adds every item that is
// due when it fires.
type DelayingQueue[T comparable] struct {
	*Queue[T]

	timer   *sim.Timer
	waiting waitHeap[T]
	// byItem finds an item's waiting entry; looked up, never iterated.
	byItem map[T]*waitFor[T]
	seq    uint64
}

// waitFor is an item and the time it should be added.
type waitFor[T any] struct {
	item    T
	readyAt sim.Time
	seq     uint64 // breaks ties in readyAt: first to start waiting, first added
	index   int    // position in the heap
}

// never is the ready time of an item whose delay runs past the engine's
// horizon: it stays waiting and no timer is armed for it.
const never = sim.Time(1<<63 - 1)

// NewDelaying returns an empty delaying queue on eng.
func NewDelaying[T comparable](eng *sim.Engine, cfg Config) *DelayingQueue[T] {
	q := &DelayingQueue[T]{Queue: New[T](eng, cfg), byItem: map[T]*waitFor[T]{}}
	q.timer = eng.NewTimer(delayTimer[T]{q}, 0)
	return q
}

// AddAfter adds item once d has passed; d <= 0 adds it now. If the item is
// already waiting, it keeps the earlier ready time (upstream's insert). A
// waiting item is independent of the dirty set: it may be queued or
// processed meanwhile, and its later Add follows Add's rules. Ignored while
// shutting down; otherwise counted in workqueue_retries_total, as upstream.
func (q *DelayingQueue[T]) AddAfter(item T, d time.Duration) {
	if q.shuttingDown {
		return
	}
	q.metrics.retry()
	if d <= 0 {
		q.Add(item)
		return
	}
	now := q.eng.Now()
	readyAt := never
	if d < time.Duration(sim.MaxTime-now) {
		readyAt = now.Add(d)
	}
	if w, ok := q.byItem[item]; ok {
		if readyAt < w.readyAt {
			w.readyAt = readyAt
			heap.Fix(&q.waiting, w.index)
		}
	} else {
		q.seq++
		w := &waitFor[T]{item: item, readyAt: readyAt, seq: q.seq}
		heap.Push(&q.waiting, w)
		q.byItem[item] = w
	}
	q.arm()
}

// Waiting is the number of items waiting for their ready time.
func (q *DelayingQueue[T]) Waiting() int { return len(q.waiting) }

// ShutDown shuts the queue down and drops the waiting items: upstream's
// waiting loop exits and never adds them.
func (q *DelayingQueue[T]) ShutDown() {
	q.timer.Stop()
	for _, w := range q.waiting {
		delete(q.byItem, w.item)
	}
	clear(q.waiting)
	q.waiting = q.waiting[:0]
	q.Queue.ShutDown()
}

// Discard forgets everything, as when the process that holds the queue
// dies: it shuts the queue down and drops the waiting, queued and processing
// items (Done of a dropped item panics); the depth gauge reads 0. Nothing
// is notified.
func (q *DelayingQueue[T]) Discard() {
	notify := q.notify
	q.notify = nil
	q.ShutDown()
	q.notify = notify
	q.queue = fifo[T]{}
	clear(q.dirty)
	clear(q.processing)
	q.metrics.discard(q.eng.Now())
}

// arm sets the timer to the earliest ready time, if it is within reach.
func (q *DelayingQueue[T]) arm() {
	if len(q.waiting) == 0 || q.waiting[0].readyAt > sim.MaxTime {
		q.timer.Stop()
		return
	}
	if at := q.waiting[0].readyAt; !q.timer.Active() || q.timer.When() != at {
		q.timer.ResetAt(at)
	}
}

// fire adds every item that is due, earliest first. Add may call the
// owner's notify callback, which may AddAfter again: the loop re-reads the
// heap's top each time, and the timer is re-armed at the end.
func (q *DelayingQueue[T]) fire() {
	now := q.eng.Now()
	for len(q.waiting) > 0 && q.waiting[0].readyAt <= now {
		w := heap.Pop(&q.waiting).(*waitFor[T])
		delete(q.byItem, w.item)
		q.Add(w.item)
	}
	q.arm()
}

// delayTimer receives the queue's timer events.
type delayTimer[T comparable] struct{ q *DelayingQueue[T] }

func (d delayTimer[T]) Handle(*sim.Event) { d.q.fire() }

// waitHeap orders waiting items by (readyAt, seq) for container/heap.
type waitHeap[T any] []*waitFor[T]

func (h waitHeap[T]) Len() int { return len(h) }

func (h waitHeap[T]) Less(i, j int) bool {
	a, b := h[i], h[j]
	return a.readyAt < b.readyAt || (a.readyAt == b.readyAt && a.seq < b.seq)
}

func (h waitHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *waitHeap[T]) Push(x any) {
	w := x.(*waitFor[T])
	w.index = len(*h)
	*h = append(*h, w)
}

func (h *waitHeap[T]) Pop() any {
	old := *h
	n := len(old) - 1
	w := old[n]
	old[n] = nil
	w.index = -1
	*h = old[:n]
	return w
}
