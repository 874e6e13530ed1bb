package watchcache_test

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/sim"
)

func TestNextBookmarkTime(t *testing.T) {
	now := at(10 * time.Second)
	for _, c := range []struct {
		name     string
		deadline sim.Time
		want     sim.Time
		ok       bool
	}{
		{"no deadline: a minute on", 0, now + at(time.Minute), true},
		{"far deadline: a minute on", now + at(5*time.Minute), now + at(time.Minute), true},
		{"deadline within the minute: 2s before it", now + at(30*time.Second), now + at(28*time.Second), true},
		{"deadline exactly 2s away: now", now + at(2*time.Second), now, true},
		{"deadline under 2s away: none", now + at(time.Second), 0, false},
	} {
		got, ok := watchcache.NextBookmarkTime(now, c.deadline, time.Minute)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestBookmarkQueueBuckets(t *testing.T) {
	q := watchcache.NewBookmarkQueue(0, time.Minute)
	w := watchcache.NewWatcher(at(500*ms), watchcache.WatcherSpec{ID: 1, ChanSize: 10, Bookmarks: true}, 5, 0)
	noBookmarks := newWatcher(2, 10, 0)
	if !q.Add(at(500*ms), w) || q.Add(at(500*ms), noBookmarks) || q.Len() != 1 {
		t.Fatalf("Add: len %d", q.Len())
	}
	// Due at 60.5s: bucket 60, popped by the first tick in second 60.
	if got := q.PopDue(at(59999*ms), nil); len(got) != 0 {
		t.Fatalf("popped at 59.999s: %d", len(got))
	}
	got := q.PopDue(at(60*time.Second), nil)
	if len(got) != 1 || got[0] != w || q.Len() != 0 {
		t.Fatalf("popped at 60s: %d, left %d", len(got), q.Len())
	}
	// Requeued at 60s for 120s; stopped before then: not returned.
	q.Add(at(60*time.Second), w)
	w.Close(at(61 * time.Second))
	if got := q.PopDue(at(125*time.Second), nil); len(got) != 0 || q.Len() != 0 {
		t.Fatalf("stopped watcher popped: %d, left %d", len(got), q.Len())
	}
}

func TestBookmarkQueueEarlyBucketMapsToNextPop(t *testing.T) {
	q := watchcache.NewBookmarkQueue(0, time.Minute)
	q.PopDue(at(10*time.Second), nil) // buckets up to 10 are gone
	// Due 2s before a deadline at 12.5s: 10.5s, bucket 10, already popped:
	// it goes to bucket 11.
	w := watchcache.NewWatcher(at(10*time.Second), watchcache.WatcherSpec{ID: 1, ChanSize: 10, Bookmarks: true, Deadline: at(12500 * ms)}, 5, 0)
	if !q.Add(at(10*time.Second), w) {
		t.Fatal("not added")
	}
	if got := q.PopDue(at(10900*ms), nil); len(got) != 0 {
		t.Fatalf("popped in second 10: %d", len(got))
	}
	if got := q.PopDue(at(11*time.Second), nil); len(got) != 1 {
		t.Fatalf("not popped in second 11: %d", len(got))
	}
}

func TestBookmarkTickPeriod(t *testing.T) {
	cfg := watchcache.DefaultConfig()
	r := sim.NewRand(1, "bookmarks")
	for i := 0; i < 1000; i++ {
		if p := watchcache.BookmarkTickPeriod(cfg, r); p < time.Second || p >= 1250*ms {
			t.Fatalf("period %v outside [1s, 1.25s)", p)
		}
	}
}
