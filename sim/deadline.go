package sim

import "time"

// Expirer is the target of a DeadlineQueue entry: Live reports whether the
// entry still matters (a request still waiting for its response). The
// answer may go from true to false, never back.
type Expirer interface {
	Handler
	Live(kind int32, a int64, data any) bool
}

// DeadlineQueue delivers events a fixed delay after they were added — the
// shape of request timeouts — using one engine timer for the whole queue.
// Deadlines of one queue never decrease (now never does), so a FIFO keeps
// them in order; entries that are no longer Live when they reach the front
// are dropped without waking the engine. Most timeouts never fire, so this
// saves a heap push and pop for nearly every request.
type DeadlineQueue struct {
	eng     *Engine
	delay   time.Duration
	entries []deadlineEntry
	head    int
	timer   *Timer
	current Event
}

type deadlineEntry struct {
	at     Time
	target Expirer
	kind   int32
	a      int64
	data   any
}

// DeadlineQueue returns the engine's shared queue for the given delay.
func (e *Engine) DeadlineQueue(delay time.Duration) *DeadlineQueue {
	if e.deadlines == nil {
		e.deadlines = map[time.Duration]*DeadlineQueue{}
	}
	q := e.deadlines[delay]
	if q == nil {
		q = &DeadlineQueue{eng: e, delay: delay}
		q.timer = e.NewTimer(q, 0)
		e.deadlines[delay] = q
	}
	return q
}

// Add schedules an event of kind for target one delay from now, to be
// delivered only if target still reports it Live then.
func (q *DeadlineQueue) Add(target Expirer, kind int32, a int64, data any) {
	at := q.eng.now.Add(q.delay)
	q.entries = append(q.entries, deadlineEntry{at: at, target: target, kind: kind, a: a, data: data})
	if !q.timer.Active() {
		q.timer.ResetAt(at)
	}
}

// Len is the number of entries held, dead ones included.
func (q *DeadlineQueue) Len() int { return len(q.entries) - q.head }

// Handle delivers every live entry that is due, drops dead ones, and arms
// the timer for the first live entry still to come.
func (q *DeadlineQueue) Handle(*Event) {
	now := q.eng.now
	for q.head < len(q.entries) {
		en := &q.entries[q.head]
		live := en.target.Live(en.kind, en.a, en.data)
		if live && en.at > now {
			q.timer.ResetAt(en.at)
			break
		}
		q.head++
		if live {
			q.current = Event{At: now, Target: en.target, Kind: en.kind, A: en.a, Data: en.data, From: NoEndpoint, To: NoEndpoint, Stream: NoStream}
			en.data, en.target = nil, nil
			q.current.Target.Handle(&q.current)
		}
	}
	q.compact()
}

// compact reclaims the consumed front of the FIFO.
func (q *DeadlineQueue) compact() {
	if q.head == len(q.entries) {
		q.entries, q.head = q.entries[:0], 0
		return
	}
	if q.head > 1024 && q.head > len(q.entries)/2 {
		n := copy(q.entries, q.entries[q.head:])
		clear(q.entries[n:])
		q.entries, q.head = q.entries[:n], 0
	}
}
