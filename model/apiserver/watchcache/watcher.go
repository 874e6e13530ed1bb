package watchcache

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// WatcherSpec describes a watcher when its watch starts.
type WatcherSpec struct {
	// ID is the driver's reference (e.g. its stream or watcher index).
	ID int32
	// ChanSize is the size of both of the watcher's channels (History.ChanSize
	// when the watch starts); at least 1.
	ChanSize int
	// Consume is how long the watch handler takes per event (encoding it
	// and writing it to the connection, including waiting for a slow client
	// or a full HTTP/2 window); 0 takes events as fast as they come.
	Consume time.Duration
	// Deadline is when the watch request times out (0: none). Bookmarks
	// are scheduled before it (NextBookmarkTime).
	Deadline sim.Time
	// Bookmarks: the client asked for bookmarks (allowWatchBookmarks).
	Bookmarks bool
}

// Watcher is the delivery pipeline of one watch (cache_watcher.go
// cacheWatcher plus the watch handler that drains it, handlers/watch.go
// WatchServer.HandleHTTP), computed rather than simulated:
//
//	dispatcher → input (ChanSize) → relay goroutine (1) → result (ChanSize) → handler
//
// The relay (processInterval/process) first sends the catch-up events (the
// interval, not through input), then moves events from input to result,
// dropping those not newer than the watcher's resource version. The handler
// takes one event at a time from result and needs Consume per event. So an
// event is taken by the handler at max(when it was accepted, when the
// handler finished the previous one), and the input channel is full when
// the events accepted but not yet taken fill input, relay and result: with I
// catch-up and L live events not yet taken, input holds L − max(0,
// ChanSize+1−I) of them.
//
// The watcher keeps the take times of accepted live events that are not yet
// taken (a ring of 2·ChanSize+1, allocated the first time the handler falls
// behind) and the arithmetic progression of the catch-up events. Calls must
// come with non-decreasing times.
type Watcher struct {
	ID int32

	c         int // ChanSize
	consume   time.Duration
	deadline  sim.Time
	bookmarks bool
	rv        int64

	// The catch-up interval: event k is taken at ivStart + k·ivStep.
	ivStart sim.Time
	ivStep  time.Duration
	ivN     int

	free    sim.Time   // when the handler has finished every accepted event
	ring    []sim.Time // take times of accepted live events not yet taken
	head, n int

	stopped    bool
	terminated bool
	cutoff     sim.Time
	end        sim.Time
}

// NewWatcher starts a watch at now. rv is the resource version the
// watcher delivers events after: the newest of the version it asked for and
// its catch-up events' (for a watch from version 0, the cache's RV() at
// which the current state is served), as the relay keeps it
// (cache_watcher.go processInterval). Offered events not newer than rv are
// dropped by the relay; that happens to events already in the history but
// still queued for dispatch when the watch started. initial is the number
// of catch-up events (Since's calls, or the current objects): the handler
// takes catch-up event k at InitialAt(k).
func NewWatcher(now sim.Time, spec WatcherSpec, rv int64, initial int) *Watcher {
	if spec.ChanSize < 1 {
		panic("watchcache: ChanSize < 1")
	}
	if initial < 0 {
		initial = 0
	}
	return &Watcher{
		ID:        spec.ID,
		c:         spec.ChanSize,
		consume:   spec.Consume,
		deadline:  spec.Deadline,
		bookmarks: spec.Bookmarks,
		rv:        rv,
		ivStart:   now,
		ivStep:    spec.Consume,
		ivN:       initial,
		free:      now.Add(time.Duration(initial) * spec.Consume),
	}
}

// InitialAt is when the handler takes catch-up event k (0-based).
func (w *Watcher) InitialAt(k int) sim.Time {
	return w.ivStart.Add(time.Duration(k) * w.ivStep)
}

// RV is the resource version the watcher delivers events after.
func (w *Watcher) RV() int64 { return w.rv }

// Consume is the handler's time per event.
func (w *Watcher) Consume() time.Duration { return w.consume }

// SetConsume changes the handler's time per event for the events accepted
// from now on (a client that slows down or recovers).
func (w *Watcher) SetConsume(d time.Duration) { w.consume = d }

// Stopped reports whether the watcher was terminated or closed.
func (w *Watcher) Stopped() bool { return w.stopped }

// Terminated reports whether the dispatcher terminated the watcher for
// being unresponsive.
func (w *Watcher) Terminated() bool { return w.terminated }

// interval returns how many catch-up events the handler has not taken at t
// and the index of the first of them.
func (w *Watcher) interval(t sim.Time) (pending, first int) {
	if w.ivN == 0 || t < w.ivStart {
		return w.ivN, 0
	}
	if w.ivStep <= 0 {
		return 0, w.ivN
	}
	taken := int64(t.Sub(w.ivStart)/w.ivStep) + 1
	if taken >= int64(w.ivN) {
		return 0, w.ivN
	}
	return w.ivN - int(taken), int(taken)
}

// advance forgets the live events the handler has taken by t.
func (w *Watcher) advance(t sim.Time) {
	for w.n > 0 && w.ring[w.head] <= t {
		w.head++
		if w.head == len(w.ring) {
			w.head = 0
		}
		w.n--
	}
}

// Buffered is the number of accepted events (catch-up and live) the
// handler has not taken at now.
func (w *Watcher) Buffered(now sim.Time) int {
	w.advance(now)
	i, _ := w.interval(now)
	return i + w.n
}

// InputLen is the number of events in the input channel at now.
func (w *Watcher) InputLen(now sim.Time) int {
	w.advance(now)
	i, _ := w.interval(now)
	return max(0, w.n-max(0, w.c+1-i))
}

// Full reports whether the input channel is full at now: a non-blocking
// add fails.
func (w *Watcher) Full(now sim.Time) bool { return w.InputLen(now) >= w.c }

// takeAt is the take time of the p-th event (0-based, in order) of those
// not taken at t; the caller has advanced to t.
func (w *Watcher) takeAt(p, pending, first int) sim.Time {
	if p < pending {
		return w.InitialAt(first + p)
	}
	return w.ring[(w.head+p-pending)%len(w.ring)]
}

// slotFree is when the full input channel gets a free slot, t being a time
// it is full: the relay moves one event out of input when the handler's
// next take makes room for it, that is, when event max(0, I−(ChanSize+1))
// of the queue is taken.
func (w *Watcher) slotFree(t sim.Time) sim.Time {
	w.advance(t)
	i, first := w.interval(t)
	return w.takeAt(max(0, i-(w.c+1)), i, first)
}

// accept puts an event of resource version rv into the input channel at t
// (the caller checked it is not full) and returns when the handler takes
// it; ok is false if the relay drops it (rv not newer than the watcher's).
// A dropped event does not cost the handler anything (this model lets it
// vanish at once; upstream it holds an input slot until the relay reaches
// it).
func (w *Watcher) accept(t sim.Time, rv int64) (at sim.Time, ok bool) {
	if rv <= w.rv {
		return t, false
	}
	w.advance(t) // the caller may have checked fullness at an earlier time
	take := max(t, w.free)
	w.free = take.Add(w.consume)
	if take > t {
		if w.ring == nil {
			w.ring = make([]sim.Time, 2*w.c+1)
		}
		w.ring[(w.head+w.n)%len(w.ring)] = take
		w.n++
	}
	return take, true
}

// terminate stops the watcher at t after the dispatcher gave up on it
// (cacheWatcher.add closeFunc → forget(false) → stopLocked, deferred to
// the end of the dispatch). The done channel closes, so the relay drops
// what it holds and what is left in input and in the catch-up; the handler
// still drains the result channel (up to ChanSize events) and then ends the
// stream.
func (w *Watcher) terminate(t sim.Time) {
	w.advance(t)
	i, first := w.interval(t)
	b := i + w.n
	switch {
	case b == 0:
		w.cutoff = t
		w.end = max(t, w.free)
	case b <= w.c:
		w.cutoff = w.takeAt(b-1, i, first)
		w.end = max(t, w.free)
	default:
		w.cutoff = w.takeAt(w.c-1, i, first)
		w.end = w.takeAt(w.c, i, first)
	}
	w.stop()
	w.terminated = true
}

// Close stops the watcher at now from the client's side: it went away,
// the request timed out (WatchServer returns on its timeout), or the driver
// removed the watch. Nothing the handler has not taken by now is delivered.
func (w *Watcher) Close(now sim.Time) {
	if w.stopped {
		return
	}
	w.cutoff = now
	w.end = now
	w.stop()
}

func (w *Watcher) stop() {
	w.stopped = true
	w.n, w.head, w.ivN = 0, 0, 0
	w.ring = nil
}

// Delivers reports whether an event the handler takes at at reaches the
// client: always while the watcher runs; after it stopped, only those taken
// by the cutoff (the handler's take time of the last event it still
// drains).
func (w *Watcher) Delivers(at sim.Time) bool { return !w.stopped || at <= w.cutoff }

// EndsAt is, once the watcher stopped, when its stream ends: after the
// handler has written the last event it drains.
func (w *Watcher) EndsAt() sim.Time { return w.end }
