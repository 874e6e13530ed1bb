package watchcache

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// bookmarkBeforeDeadline is how long before a watch's deadline its last
// bookmark is due (cache_watcher.go nextBookmarkTime: "for now we simply
// set it 2s before the deadline").
const bookmarkBeforeDeadline = 2 * time.Second

// NextBookmarkTime is cache_watcher.go nextBookmarkTime for a watcher whose
// bookmarkAfterResourceVersion was seen (always, as this model leaves out
// watch-list): the next bookmark is due a frequency after now, or 2s before
// the deadline if that is earlier; none (ok false) if that is already past.
// deadline 0 means none (upstream's zero time).
func NextBookmarkTime(now, deadline sim.Time, frequency time.Duration) (next sim.Time, ok bool) {
	next = now.Add(frequency)
	if deadline == 0 {
		return next, true
	}
	if pre := deadline.Add(-bookmarkBeforeDeadline); pre < next {
		next = pre
	}
	if next < now {
		return 0, false
	}
	return next, true
}

// BookmarkBucket is the one-second bucket a bookmark due at t falls in,
// counted from the queue's creation (cacher.go watcherBookmarkTimeBuckets:
// int64(nextTime.Sub(createTime) / time.Second)).
func BookmarkBucket(created, t sim.Time) int64 {
	return int64(t.Sub(created) / time.Second)
}

// BookmarkTickPeriod draws the period of the dispatch loop's bookmark timer
// (cacher.go dispatchEvents: wait.Jitter(time.Second, 0.25), that is
// tick + U[0,1)·jitter·tick).
func BookmarkTickPeriod(cfg Config, r *sim.Rand) time.Duration {
	return cfg.BookmarkTick + time.Duration(r.Float64()*cfg.BookmarkTickJitter*float64(cfg.BookmarkTick))
}

// BookmarkQueue is cacher.go watcherBookmarkTimeBuckets: watchers that
// allow bookmarks, bucketed by the second their next bookmark is due. On
// each tick of the bookmark timer at t, every bucket up to
// BookmarkBucket(created, t) is due, so a bookmark due at X goes out on the
// first tick in X's second or later: up to a second early, or up to a tick
// period late.
//
// The driver, on each bookmark tick at t (cacher.go dispatchEvents):
//
//	due = q.PopDue(t, due[:0])
//	if lastRV != 0 { d.DispatchBookmark(t, lastRV, due, deliver) }
//	for _, w := range due { if !w.Stopped() { q.Add(t, w) } }
//
// where lastRV is the resource version of the last event the loop took
// (including storage progress notifications, which it does not dispatch).
// It adds each watcher that allows bookmarks once when its watch starts.
type BookmarkQueue struct {
	created   sim.Time
	start     int64
	frequency time.Duration
	buckets   map[int64][]*Watcher // looked up by key only, never iterated
	spare     [][]*Watcher
	n         int
}

// NewBookmarkQueue returns an empty queue created at now (with the
// cacher), for bookmarks every frequency.
func NewBookmarkQueue(now sim.Time, frequency time.Duration) *BookmarkQueue {
	return &BookmarkQueue{created: now, frequency: frequency, buckets: make(map[int64][]*Watcher)}
}

// Add schedules w's next bookmark after now (addWatcherThreadUnsafe). It
// reports false, adding nothing, if w does not allow bookmarks or its
// deadline is too close for another one. A bucket already popped maps to
// the next one to pop.
func (q *BookmarkQueue) Add(now sim.Time, w *Watcher) bool {
	if !w.bookmarks || w.stopped {
		return false
	}
	next, ok := NextBookmarkTime(now, w.deadline, q.frequency)
	if !ok {
		return false
	}
	b := max(BookmarkBucket(q.created, next), q.start)
	ws, ok := q.buckets[b]
	if !ok && len(q.spare) > 0 {
		ws = q.spare[len(q.spare)-1]
		q.spare = q.spare[:len(q.spare)-1]
	}
	q.buckets[b] = append(ws, w)
	q.n++
	return true
}

// PopDue removes the buckets due at now (popExpiredWatchersThreadUnsafe),
// oldest first, and appends their watchers that are not stopped to out.
func (q *BookmarkQueue) PopDue(now sim.Time, out []*Watcher) []*Watcher {
	current := BookmarkBucket(q.created, now)
	for ; q.start <= current; q.start++ {
		ws, ok := q.buckets[q.start]
		if !ok {
			continue
		}
		delete(q.buckets, q.start)
		q.n -= len(ws)
		for _, w := range ws {
			if !w.stopped {
				out = append(out, w)
			}
		}
		clear(ws)
		q.spare = append(q.spare, ws[:0])
	}
	return out
}

// Len is the number of watchers queued (stopped ones included until their
// bucket is popped, as upstream).
func (q *BookmarkQueue) Len() int { return q.n }
