package informer

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

const kindHandled int32 = api.KindPrivate + 61

type notifyKind uint8

const (
	notifyAdd notifyKind = iota
	notifyUpdate
	notifyDelete
)

// notification is one queued call of a handler.
type notification struct {
	kind    notifyKind
	initial bool // an OnAdd of the initial list
	at      sim.Time
	old     api.Object // OnUpdate's old object
	obj     api.Object // the new object (add, update) or the deleted one
}

// Registration is one handler's processorListener: its unbounded buffer of
// notifications, drained in order, and its resync schedule. It is the handle
// AddEventHandler returns (upstream's ResourceEventHandlerRegistration).
type Registration struct {
	inf      *Informer
	h        Handler
	name     string
	handling sim.Dist
	rng      *sim.Rand

	requestedResync time.Duration
	resyncPeriod    time.Duration
	nextResync      sim.Time
	syncing         bool

	buf            ring
	busy           bool // a notification's handling time is running
	draining       bool // drain is on the stack: don't re-enter it
	timer          *sim.Timer
	initialPending int
	removed        bool

	pendingG *sim.Gauge
	lag      *sim.LatencySeries
	handled  *sim.Counter
}

// Name is the handler's name.
func (l *Registration) Name() string { return l.name }

// HasSynced reports whether the informer has synced and this handler has
// been called for every initial-list OnAdd queued to it.
func (l *Registration) HasSynced() bool {
	return l.inf.synced && l.initialPending == 0 && !l.removed
}

// Pending is the handler's backlog: notifications distributed to it and not
// yet handled, the one being handled included.
func (l *Registration) Pending() int { return l.buf.n }

// Lag is how long the oldest pending notification has waited (0: none).
func (l *Registration) Lag() time.Duration {
	if l.buf.n == 0 {
		return 0
	}
	return l.inf.eng.Now().Sub(l.buf.front().at)
}

// ResyncPeriod is the handler's effective resync period (0: none).
func (l *Registration) ResyncPeriod() time.Duration { return l.resyncPeriod }

// add queues a notification (processorListener.add) and, if the handler is
// idle, starts draining.
func (l *Registration) add(n notification) {
	if l.removed {
		return
	}
	now := l.inf.eng.Now()
	if n.kind == notifyAdd && n.initial {
		l.initialPending++
	}
	n.at = now
	l.buf.push(n)
	l.pendingG.Set(now, float64(l.buf.n))
	if !l.busy && !l.draining {
		l.drain()
	}
}

// drain hands notifications to the handler until the buffer is empty or one
// takes time; that one is handled when its timer fires.
func (l *Registration) drain() {
	l.draining = true
	for l.buf.n > 0 && !l.busy {
		var d time.Duration
		if l.handling != nil {
			d = l.handling.Sample(l.rng)
		}
		if d > 0 {
			l.busy = true
			l.timer.Reset(d)
			break
		}
		l.deliver()
	}
	l.draining = false
}

// Handle ends the handling time of the notification at the head.
func (l *Registration) Handle(*sim.Event) {
	if !l.busy {
		return
	}
	l.busy = false
	l.draining = true
	l.deliver()
	l.draining = false
	l.drain()
}

// deliver pops the head and calls the handler with it.
func (l *Registration) deliver() {
	n := l.buf.pop()
	now := l.inf.eng.Now()
	l.pendingG.Set(now, float64(l.buf.n))
	l.lag.Observe(now.Sub(n.at))
	l.handled.Inc()
	if n.kind == notifyAdd && n.initial {
		l.initialPending--
	}
	switch n.kind {
	case notifyAdd:
		l.h.OnAdd(n.obj, n.initial)
	case notifyUpdate:
		l.h.OnUpdate(n.old, n.obj)
	case notifyDelete:
		l.h.OnDelete(n.obj)
	}
}

// reset drops every pending notification and any handling in progress.
func (l *Registration) reset() {
	l.timer.Stop()
	l.busy = false
	l.buf.clear()
	l.initialPending = 0
	l.pendingG.Set(l.inf.eng.Now(), 0)
}

// ring is a growing FIFO ring buffer (k8s.io/utils/buffer.RingGrowing):
// it never drops, it doubles when full. Upstream starts each listener at
// 1024 slots (shared_informer.go: initialBufferSize); only memory depends
// on it, so the model starts at 16 and grows on demand.
type ring struct {
	buf     []notification
	head, n int
}

func (r *ring) push(x notification) {
	if r.n == len(r.buf) {
		grown := make([]notification, max(16, 2*len(r.buf)))
		for i := range r.n {
			grown[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = x
	r.n++
}

func (r *ring) front() *notification { return &r.buf[r.head] }

func (r *ring) pop() notification {
	x := r.buf[r.head]
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return x
}

func (r *ring) clear() { r.head, r.n = 0, 0 }
