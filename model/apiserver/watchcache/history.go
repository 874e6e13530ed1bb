package watchcache

import (
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// entry is one slot of the cyclic buffer: the event, its resource version
// (copied out for the binary search) and when the cache recorded it
// (watchCacheEvent.RecordTime).
type entry struct {
	ev *api.WatchEvent
	rv int64
	at sim.Time
}

// History is one resource's watch cache event window (watch_cache.go
// watchCache: the cyclic buffer, its resizing, the resource version it is
// propagated to, and getAllEventsSinceLocked). It does not hold the current
// objects (upstream's store); the driver has those.
type History struct {
	lower, upper int
	fresh        time.Duration
	blockTimeout time.Duration
	retryAfter   time.Duration

	// buf is the cyclic buffer: events [start, end) live at index%len(buf),
	// and len(buf) is the capacity. start and end only grow.
	buf        []entry
	start, end int
	// removedSinceRelist: an event was evicted since the last Replace
	// (watchCache.removedEventSinceRelist).
	removedSinceRelist bool
	listRV             int64 // listResourceVersion: the last Replace's
	rv                 int64 // resourceVersion: what the cache is propagated to
}

// NewHistory returns an empty window of cfg.LowerBoundCapacity slots. It
// is not initialized (Since fails) until the first Replace or Add.
func NewHistory(cfg Config) *History {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &History{
		lower:        cfg.LowerBoundCapacity,
		upper:        cfg.UpperBoundCapacity,
		fresh:        cfg.EventFreshDuration,
		blockTimeout: cfg.BlockTimeout,
		retryAfter:   cfg.TooLargeRetryAfter,
		buf:          make([]entry, cfg.LowerBoundCapacity),
	}
}

// Len is the number of events in the window.
func (h *History) Len() int { return h.end - h.start }

// Capacity is the window's current capacity.
func (h *History) Capacity() int { return len(h.buf) }

// RV is the resource version the cache is propagated to: the newest event's,
// or a later one from Replace or UpdateRV.
func (h *History) RV() int64 { return h.rv }

// OldestRV is the resource version of the oldest event in the window, 0 if
// it is empty.
func (h *History) OldestRV() int64 {
	if h.end == h.start {
		return 0
	}
	return h.buf[h.start%len(h.buf)].rv
}

// NewestRV is the resource version of the newest event in the window, 0 if
// it is empty.
func (h *History) NewestRV() int64 {
	if h.end == h.start {
		return 0
	}
	return h.buf[(h.end-1)%len(h.buf)].rv
}

// LowerBound is the smallest resource version Since serves: one less than
// the oldest event the window can deliver, which is the last list's version
// + 1 while nothing has been evicted since, else the oldest buffered event's
// (watch_cache.go getAllEventsSinceLocked). ok is false before the first
// Replace or Add.
func (h *History) LowerBound() (rv int64, ok bool) {
	switch {
	case h.listRV > 0 && !h.removedSinceRelist:
		return h.listRV, true
	case h.end > h.start:
		return h.buf[h.start%len(h.buf)].rv - 1, true
	}
	return 0, false
}

// Replace is a relist (watchCache.Replace): the buffer is emptied (start
// moves up to end, never back) and the cache is at the list's resource
// version. Upstream's cacher also terminates every watcher of the resource
// before it relists (cacher.go startCaching: terminateAllWatchers). now is
// not used: a relist records no time.
func (h *History) Replace(now sim.Time, rv int64) {
	for i := h.start; i < h.end; i++ {
		h.buf[i%len(h.buf)] = entry{}
	}
	h.start = h.end
	h.removedSinceRelist = false
	h.listRV = rv
	h.rv = rv
}

// UpdateRV advances the cache's resource version without an event
// (watchCache.UpdateResourceVersion: a progress notification from storage).
// Upstream does not dispatch it to watchers (cacher.go dispatchEvents drops
// storage bookmarks), but the dispatch loop remembers it as the version of
// its next bookmark.
func (h *History) UpdateRV(rv int64) {
	if rv > h.rv {
		h.rv = rv
	}
}

// Add records ev at now (watchCache.processEvent → updateCache): first the
// window may be resized (resize), then, if it is full, the oldest event is
// evicted, then ev is appended. Resource versions must strictly increase;
// Add panics otherwise. ev is kept by pointer and must not change.
func (h *History) Add(now sim.Time, ev *api.WatchEvent) {
	rv := ev.Object.ResourceVersion
	if rv <= h.rv {
		panic(fmt.Sprintf("watchcache: event resource version %d not after %d", rv, h.rv))
	}
	h.resize(now)
	if h.full() {
		h.buf[h.start%len(h.buf)] = entry{}
		h.start++
		h.removedSinceRelist = true
	}
	h.buf[h.end%len(h.buf)] = entry{ev: ev, rv: rv, at: now}
	h.end++
	h.rv = rv
}

func (h *History) full() bool { return h.end == h.start+len(h.buf) }

// resize is watch_cache.go resizeCacheLocked, at the time of the event
// being added. Only a full window changes:
//   - it doubles (up to the upper bound) if its oldest event is younger than
//     eventFreshDuration (strictly);
//   - otherwise it halves (down to the lower bound) if the event a quarter
//     of the capacity back from the newest end, buf[(end - capacity/4) %
//     capacity], is older than eventFreshDuration (strictly). Shrinking
//     drops the oldest events so that the newest new-capacity ones remain.
func (h *History) resize(now sim.Time) {
	if !h.full() {
		return
	}
	c := len(h.buf)
	if now.Sub(h.buf[h.start%c].at) < h.fresh {
		if n := min(c*2, h.upper); n > c {
			h.realloc(n)
		}
		return
	}
	if now.Sub(h.buf[(h.end-c/4)%c].at) > h.fresh {
		if n := max(c/2, h.lower); n < c {
			h.realloc(n)
		}
	}
}

// realloc is doCacheResizeLocked.
func (h *History) realloc(n int) {
	old := h.buf
	if n < len(old) {
		h.start = h.end - n
	}
	buf := make([]entry, n)
	for i := h.start; i < h.end; i++ {
		buf[i%n] = old[i%len(old)]
	}
	h.buf = buf
}

// Since calls fn, in order, for every event in the window newer than rv,
// as a watch from rv replays them (watch_cache.go getAllEventsSinceLocked):
//   - rv below LowerBound: the 410 *Error "too old resource version: %d
//     (%d)" with rv and the lower bound, and no calls;
//   - before the first Replace or Add: a 500 *Error "watch cache isn't
//     correctly initialized";
//   - rv == 0: ErrInitialState (the current state is served instead);
//   - rv at or above RV(): no calls and nil. Upstream's watch does not wait
//     for the cache to reach rv (only reads do, see WaitFresh, and a watch
//     with sendInitialEvents, not modeled); the watcher then gets only
//     events newer than rv.
func (h *History) Since(rv int64, fn func(*api.WatchEvent)) error {
	lb, ok := h.LowerBound()
	if !ok {
		return errNotInitialized
	}
	if rv == 0 {
		return ErrInitialState
	}
	if rv < lb {
		return tooOld(rv, lb)
	}
	// Binary search for the first event newer than rv.
	lo, hi := h.start, h.end
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if h.buf[mid%len(h.buf)].rv > rv {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	for i := lo; i < h.end; i++ {
		fn(h.buf[i%len(h.buf)].ev)
	}
	return nil
}

// WaitFresh is watch_cache.go waitUntilFreshAndBlock for a get or list
// that needs the cache at resource version rv and has waited since since:
//   - ready if the cache is at rv or later (always for rv == 0);
//   - otherwise, once BlockTimeout has passed since since, the 504 *Error
//     "Timeout: Too large resource version: %d, current: %d" with
//     Retry-After;
//   - otherwise neither: the read keeps waiting. Upstream wakes it on every
//     change of RV() (Add, Replace, UpdateRV) and once at since +
//     BlockTimeout; the driver calls WaitFresh again at those times.
func (h *History) WaitFresh(rv int64, since, now sim.Time) (ready bool, err error) {
	if h.rv >= rv {
		return true, nil
	}
	if now.Sub(since) >= h.blockTimeout {
		return false, tooLarge(rv, h.rv, h.retryAfter)
	}
	return false, nil
}

// WaitDeadline is when a read waiting since since gives up (since +
// BlockTimeout).
func (h *History) WaitDeadline(since sim.Time) sim.Time { return since.Add(h.blockTimeout) }

// ChanSize is the channel size of a watcher created now
// (suggestedWatchChannelSize at the current capacity); see ChanSize.
func (h *History) ChanSize(indexExists, triggerUsed bool) int {
	return ChanSize(len(h.buf), h.fresh, indexExists, triggerUsed)
}
