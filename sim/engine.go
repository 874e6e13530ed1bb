package sim

import (
	"errors"
	"time"
)

// Handler is a component that receives events. ev is valid only during the
// call: copy what must be kept.
type Handler interface {
	Handle(ev *Event)
}

// Event is one thing that happens at a virtual time. The engine fills At,
// and, for network deliveries, From, To and Stream; the rest is the
// scheduler's payload, meaningful only to the target.
type Event struct {
	At     Time
	Target Handler
	// Kind tells the target what the event is; each component defines its own.
	Kind int32
	// From and To are network endpoints for messages (NoEndpoint otherwise).
	From, To EndpointID
	// Stream is the network stream a message travelled on (NoStream if none).
	Stream StreamID
	// A and B carry small payloads without allocation.
	A, B int64
	// Data carries anything larger.
	Data any
}

// Priorities for events at the same virtual time: lower runs first.
const (
	PriorityUrgent  int8 = -64 // faults: a crash at t happens before work at t
	PriorityDefault int8 = 0
	PriorityLate    int8 = 64 // observers that should see the state after t's work
)

// ErrEventCap is returned by Run when the event cap stopped the run early.
var ErrEventCap = errors.New("sim: event cap reached")

// slot holds a scheduled event's body; the heap orders small keys that point
// at slots, so sifting moves 24 bytes instead of a whole Event.
type slot struct {
	ev        Event
	timer     *Timer // the timer this event belongs to, if any
	cancelled bool
	next      int32 // free-list link
}

// heapKey is 16 bytes, so the four children of a 4-ary node share a cache
// line. hi orders by time, then priority; lo by sequence (40 bits: a
// trillion schedules) and carries the slot (24 bits: 16M pending events).
type heapKey struct {
	hi, lo uint64
}

const (
	slotBits = 24
	slotMask = 1<<slotBits - 1
	// MaxTime is the latest virtual time the engine can schedule (about 78 hours).
	MaxTime = Time(1<<48 - 1)
)

func (a heapKey) less(b heapKey) bool {
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo)
}

func (k heapKey) at() Time    { return Time(k.hi >> 16) }
func (k heapKey) slot() int32 { return int32(k.lo & slotMask) }

// The queue has three tiers, so the heap that every pop sifts stays small
// (a single 4-ary heap of the 5000-node run's ~16k pending events spent
// most of each pop on cache misses seven levels down):
//   - heap: the events of buckets up to cur (a bucket is 2^bucketBits ns,
//     about 4ms), a 4-ary min-heap;
//   - ring: the events of buckets cur+1 … cur+ringSize (about 17.2s
//     ahead), unsorted, one slice per bucket;
//   - far: the events of later buckets, another 4-ary heap.
//
// Every event in heap precedes every event in the ring, and those every
// event in far, so the minimum is heap's; when heap runs dry, cur moves to
// the next bucket and that bucket's events move into heap. The order of
// events is the keys' order, as with one heap.
const (
	bucketBits = 22
	ringBits   = 12
	ringSize   = 1 << ringBits
	ringMask   = ringSize - 1
)

func (k heapKey) bucket() int64 { return int64(k.hi >> (16 + bucketBits)) }

// Engine is the event loop: one virtual clock, one queue, no goroutines.
type Engine struct {
	now       Time
	seq       uint64
	heap      []heapKey // events of buckets ≤ cur
	cur       int64
	ring      [][]heapKey // bucket b in (cur, cur+ringSize] at b & ringMask
	ringN     int         // events in ring
	far       []heapKey   // events of buckets > cur+ringSize
	slots     []slot
	freeSlot  int32
	touched   bool // see Run
	processed uint64
	maxEvents uint64
	stopped   bool
	seed      uint64

	progressEvery uint64
	progress      func(now Time, processed uint64)

	deadlines map[time.Duration]*DeadlineQueue // looked up at build time only
}

// NewEngine returns an engine at time 0 whose random streams derive from seed.
func NewEngine(seed uint64) *Engine {
	return &Engine{seed: seed, freeSlot: -1, ring: make([][]heapKey, ringSize)}
}

// Now is the current virtual time.
func (e *Engine) Now() Time { return e.now }

// Seed is the root seed of the run.
func (e *Engine) Seed() uint64 { return e.seed }

// Processed is the number of events handled so far (cancelled timers excluded).
func (e *Engine) Processed() uint64 { return e.processed }

// Pending is the number of scheduled events, cancelled ones included.
func (e *Engine) Pending() int { return len(e.heap) + e.ringN + len(e.far) }

// SetMaxEvents caps the events a run may process (0: no cap).
func (e *Engine) SetMaxEvents(n uint64) { e.maxEvents = n }

// SetProgress calls fn every n processed events, for progress lines. fn must
// not schedule events.
func (e *Engine) SetProgress(n uint64, fn func(now Time, processed uint64)) {
	e.progressEvery, e.progress = n, fn
}

// Rand returns the random stream of the component with the given stable name.
func (e *Engine) Rand(name string) *Rand { return NewRand(e.seed, name) }

// Schedule queues ev at ev.At with default priority. Scheduling in the past
// is a bug in the caller and panics.
func (e *Engine) Schedule(ev Event) { e.schedule(&ev, PriorityDefault, nil) }

// ScheduleWithPriority queues ev at ev.At with the given priority.
func (e *Engine) ScheduleWithPriority(ev Event, prio int8) { e.schedule(&ev, prio, nil) }

// After queues an event of the given kind for target, d from now.
func (e *Engine) After(d time.Duration, target Handler, kind int32, a int64) {
	e.schedule(&Event{At: e.now.Add(d), Target: target, Kind: kind, A: a, From: NoEndpoint, To: NoEndpoint, Stream: NoStream}, PriorityDefault, nil)
}

// schedule queues a copy of ev. It takes a pointer and copies field by
// field: callers build ev with word-sized stores, and a by-value Event was
// copied (into the argument area, then into the slot) with 16-byte loads
// that straddle those stores, stalling each on store forwarding (a tenth
// of the network's send time in nodes-5000).
func (e *Engine) schedule(ev *Event, prio int8, t *Timer) int32 {
	if ev.At < e.now {
		panic("sim: event scheduled in the past")
	}
	if ev.Target == nil {
		panic("sim: event without target")
	}
	if ev.At > MaxTime {
		panic("sim: event scheduled beyond MaxTime")
	}
	e.seq++
	idx := e.allocSlot()
	if idx > slotMask {
		panic("sim: more than 16M events pending")
	}
	s := &e.slots[idx]
	d := &s.ev
	d.At, d.Target, d.Kind = ev.At, ev.Target, ev.Kind
	d.From, d.To, d.Stream = ev.From, ev.To, ev.Stream
	d.A, d.B, d.Data = ev.A, ev.B, ev.Data
	s.timer, s.cancelled = t, false
	e.push(heapKey{hi: uint64(ev.At)<<16 | uint64(uint8(prio)^0x80)<<8, lo: e.seq<<slotBits | uint64(idx)})
	return idx
}

func (e *Engine) allocSlot() int32 {
	if e.freeSlot >= 0 {
		idx := e.freeSlot
		e.freeSlot = e.slots[idx].next
		return idx
	}
	e.slots = append(e.slots, slot{})
	return int32(len(e.slots) - 1)
}

// freeSlotAt returns a slot to the free list. Its event is not zeroed: the
// next schedule overwrites it, and a stale Data pointer in a free slot only
// delays collection of one object.
func (e *Engine) freeSlotAt(idx int32) {
	s := &e.slots[idx]
	s.timer = nil
	s.next = e.freeSlot
	e.freeSlot = idx
}

// Stop makes Run return after the current event.
func (e *Engine) Stop() { e.stopped = true }

// Run processes events in order until the queue is empty, the next event is
// after until, Stop is called, or the event cap is reached (ErrEventCap).
// On return the clock stands at until unless the run stopped early.
func (e *Engine) Run(until Time) error {
	e.stopped = false
	for !e.stopped {
		if len(e.heap) == 0 && !e.refill() {
			break
		}
		top := e.heap[0]
		at := top.at()
		if at > until {
			break
		}
		if e.maxEvents > 0 && e.processed >= e.maxEvents {
			return ErrEventCap
		}
		popKey(&e.heap)
		idx := top.slot()
		s := &e.slots[idx]
		if s.cancelled {
			e.freeSlotAt(idx)
			continue
		}
		if t := s.timer; t != nil {
			t.slot = -1
			s.timer = nil
		}
		e.now = at
		e.processed++
		if len(e.heap) > 0 {
			// Start loading the next event's slot, likely a cache miss,
			// so that it overlaps this event's work.
			e.touched = e.slots[e.heap[0].slot()].cancelled
		}
		// The handler gets the slot's own event: no copy. The slot is freed
		// only afterwards, so events scheduled meanwhile cannot reuse it; if
		// they grow the slab, ev still points at the old, unchanged array.
		s.ev.Target.Handle(&s.ev)
		e.freeSlotAt(idx)
		if e.progress != nil && e.processed%e.progressEvery == 0 {
			e.progress(e.now, e.processed)
		}
	}
	if !e.stopped && e.now < until {
		e.now = until
	}
	return nil
}

// push queues k in the tier of its bucket.
func (e *Engine) push(k heapKey) {
	b := k.bucket()
	switch {
	case b <= e.cur:
		pushKey(&e.heap, k)
	case b <= e.cur+ringSize:
		r := &e.ring[b&ringMask]
		*r = append(*r, k)
		e.ringN++
	default:
		pushKey(&e.far, k)
	}
}

// refill moves the next non-empty bucket into the empty heap; false if no
// events are left.
func (e *Engine) refill() bool {
	for len(e.heap) == 0 {
		if e.ringN == 0 {
			if len(e.far) == 0 {
				return false
			}
			e.cur = e.far[0].bucket() - 1 // skip the empty stretch
		}
		e.cur++
		r := &e.ring[e.cur&ringMask]
		for _, k := range *r {
			pushKey(&e.heap, k)
		}
		e.ringN -= len(*r)
		*r = (*r)[:0]
		// The ring's window gained bucket cur+ringSize, whose slot is the
		// one just emptied.
		for len(e.far) > 0 && e.far[0].bucket() <= e.cur+ringSize {
			k := e.far[0]
			popKey(&e.far)
			e.push(k)
		}
	}
	return true
}

// 4-ary min-heaps: shallower than binary, fewer cache misses per pop.

func pushKey(hp *[]heapKey, k heapKey) {
	h := append(*hp, k)
	*hp = h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !k.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = k
}

func popKey(hp *[]heapKey) {
	n := len(*hp) - 1
	last := (*hp)[n]
	h := (*hp)[:n]
	*hp = h
	if n == 0 {
		return
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		if c+3 < n { // all four children: the common case, unrolled
			if h[c+1].less(h[m]) {
				m = c + 1
			}
			if h[c+2].less(h[m]) {
				m = c + 2
			}
			if h[c+3].less(h[m]) {
				m = c + 3
			}
		} else {
			for j := c + 1; j < n; j++ {
				if h[j].less(h[m]) {
					m = j
				}
			}
		}
		if !h[m].less(last) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = last
}

// Timer is a reusable, cancellable event for one target and kind: the shape
// of a component's periodic loop or timeout. The zero Timer is not usable;
// make one with Engine.NewTimer.
type Timer struct {
	eng    *Engine
	target Handler
	kind   int32
	a      int64
	slot   int32
	at     Time
}

// NewTimer returns a stopped timer that delivers events of kind to target.
func (e *Engine) NewTimer(target Handler, kind int32) *Timer {
	return &Timer{eng: e, target: target, kind: kind, slot: -1}
}

// SetArg sets the A payload of the timer's future events.
func (t *Timer) SetArg(a int64) { t.a = a }

// Active reports whether the timer is armed.
func (t *Timer) Active() bool { return t.slot >= 0 }

// When is the time the timer fires; meaningful only while Active.
func (t *Timer) When() Time { return t.at }

// Reset arms the timer to fire d from now, replacing any earlier arming.
func (t *Timer) Reset(d time.Duration) { t.ResetAt(t.eng.now.Add(d)) }

// ResetAt arms the timer to fire at at, replacing any earlier arming.
func (t *Timer) ResetAt(at Time) {
	t.Stop()
	t.at = at
	t.slot = t.eng.schedule(&Event{At: at, Target: t.target, Kind: t.kind, A: t.a, From: NoEndpoint, To: NoEndpoint, Stream: NoStream}, PriorityDefault, t)
}

// Stop disarms the timer; it reports whether the timer was armed.
func (t *Timer) Stop() bool {
	if t.slot < 0 {
		return false
	}
	t.eng.slots[t.slot].cancelled = true
	t.eng.slots[t.slot].timer = nil
	t.slot = -1
	return true
}
