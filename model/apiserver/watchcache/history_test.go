package watchcache_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/sim"
)

func ev(rv int64) *api.WatchEvent {
	return &api.WatchEvent{Type: api.Modified, Object: api.Object{Resource: api.Nodes, ResourceVersion: rv}}
}

func at(d time.Duration) sim.Time { return sim.Time(d) }

func since(t *testing.T, h *watchcache.History, rv int64) ([]int64, error) {
	t.Helper()
	var got []int64
	err := h.Since(rv, func(e *api.WatchEvent) { got = append(got, e.Object.ResourceVersion) })
	return got, err
}

func TestDefaultConfigIsUpstreams(t *testing.T) {
	c := watchcache.DefaultConfig()
	if c.LowerBoundCapacity != 100 || c.UpperBoundCapacity != 102400 ||
		c.EventFreshDuration != 75*time.Second || c.BlockTimeout != 3*time.Second ||
		c.TooLargeRetryAfter != time.Second || c.BookmarkFrequency != time.Minute ||
		c.BookmarkTick != time.Second || c.BookmarkTickJitter != 0.25 ||
		c.BudgetRefreshPerSecond != 50*time.Millisecond || c.BudgetMax != 100*time.Millisecond {
		t.Fatalf("DefaultConfig = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.UpperBoundCapacity = 10
	if err := c.Validate(); !errors.Is(err, watchcache.ErrInvalidConfig) {
		t.Fatalf("Validate(upper < lower) = %v", err)
	}
}

func TestHistoryGrowsWhenFullOfFreshEvents(t *testing.T) {
	h := watchcache.NewHistory(watchcache.DefaultConfig())
	h.Replace(0, 1)
	for i := int64(0); i < 100; i++ {
		h.Add(at(time.Duration(i)*time.Millisecond), ev(2+i))
	}
	if h.Len() != 100 || h.Capacity() != 100 {
		t.Fatalf("len %d cap %d, want 100 100", h.Len(), h.Capacity())
	}
	// Full, and the oldest event is 100ms old: double, evict nothing.
	h.Add(at(100*time.Millisecond), ev(102))
	if h.Len() != 101 || h.Capacity() != 200 || h.OldestRV() != 2 || h.NewestRV() != 102 {
		t.Fatalf("len %d cap %d oldest %d newest %d, want 101 200 2 102", h.Len(), h.Capacity(), h.OldestRV(), h.NewestRV())
	}
}

func TestHistoryEvictsWhenFullOfOldEvents(t *testing.T) {
	h := watchcache.NewHistory(watchcache.DefaultConfig())
	h.Replace(0, 1)
	// 100 events one second apart: when full, the oldest is 99s old at the
	// 101st (no growth), and the quarter mark (event 75 of 100) is 25s old
	// (no shrink, and the capacity is at the lower bound anyway).
	for i := int64(0); i <= 100; i++ {
		h.Add(at(time.Duration(i)*time.Second), ev(2+i))
	}
	if h.Len() != 100 || h.Capacity() != 100 || h.OldestRV() != 3 {
		t.Fatalf("len %d cap %d oldest %d, want 100 100 3", h.Len(), h.Capacity(), h.OldestRV())
	}
	if lb, _ := h.LowerBound(); lb != 2 {
		t.Fatalf("LowerBound %d after an eviction, want 2", lb)
	}
}

func TestHistoryShrinksWhenRecentQuarterIsOld(t *testing.T) {
	cfg := watchcache.DefaultConfig()
	h := watchcache.NewHistory(cfg)
	h.Replace(0, 1)
	rv := int64(1)
	add := func(t sim.Time) { rv++; h.Add(t, ev(rv)) }
	for i := 0; i < 101; i++ { // grow to 200 with 101 fresh events
		add(0)
	}
	for h.Len() < 200 {
		add(0)
	}
	if h.Capacity() != 200 {
		t.Fatalf("cap %d, want 200", h.Capacity())
	}
	// 76s later every event is older than 75s: the full window halves to
	// its newest 100 events, then the oldest of those is evicted for the
	// new one.
	add(at(76 * time.Second))
	if h.Capacity() != 100 || h.Len() != 100 || h.OldestRV() != rv-99 {
		t.Fatalf("cap %d len %d oldest %d, want 100 100 %d", h.Capacity(), h.Len(), h.OldestRV(), rv-99)
	}
}

func TestHistorySinceAndTooOld(t *testing.T) {
	h := watchcache.NewHistory(watchcache.DefaultConfig())
	if _, err := since(t, h, 5); watchcache.CodeOf(err) != api.InternalError || err.Error() != "watch cache isn't correctly initialized" {
		t.Fatalf("uninitialized: %v", err)
	}
	if _, err := since(t, h, 0); watchcache.CodeOf(err) != api.InternalError {
		t.Fatalf("uninitialized, rv 0: %v (upstream checks initialization first)", err)
	}
	h.Replace(0, 10)
	for _, rv := range []int64{12, 15, 20} {
		h.Add(0, ev(rv))
	}
	if lb, ok := h.LowerBound(); !ok || lb != 10 {
		t.Fatalf("LowerBound %d %v, want 10 (the list's version)", lb, ok)
	}
	for _, c := range []struct {
		rv   int64
		want []int64
	}{{10, []int64{12, 15, 20}}, {12, []int64{15, 20}}, {13, []int64{15, 20}}, {20, nil}, {25, nil}} {
		got, err := since(t, h, c.rv)
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("Since(%d) = %v %v, want %v", c.rv, got, err, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("Since(%d) = %v, want %v", c.rv, got, c.want)
			}
		}
	}
	_, err := since(t, h, 9)
	var e *watchcache.Error
	if !errors.As(err, &e) || e.Code != api.Gone || e.Reason != "Expired" || e.Message != "too old resource version: 9 (10)" {
		t.Fatalf("Since(9) = %#v", err)
	}
	if _, err := since(t, h, 0); err != watchcache.ErrInitialState {
		t.Fatalf("Since(0) = %v", err)
	}
}

// TestCacheIncreaseDoesNotBreakWatch is watch_cache_test.go's case of the
// same name: an eviction since the relist makes the oldest buffered event
// the bound, even after the window grows again.
func TestCacheIncreaseDoesNotBreakWatch(t *testing.T) {
	cfg := watchcache.DefaultConfig()
	cfg.LowerBoundCapacity = 2
	h := watchcache.NewHistory(cfg)
	h.Replace(0, 10)
	h.Add(0, ev(20))
	later := at(2 * cfg.EventFreshDuration)
	h.Add(later, ev(30))
	h.Add(later, ev(40))
	h.Add(later+at(time.Second), ev(50))
	if h.Capacity() != 4 {
		t.Fatalf("cap %d, want 4", h.Capacity())
	}
	if _, err := since(t, h, 15); err == nil || err.Error() != "too old resource version: 15 (29)" {
		t.Fatalf("Since(15) = %v", err)
	}
}

func TestReplaceEmptiesTheWindow(t *testing.T) {
	h := watchcache.NewHistory(watchcache.DefaultConfig())
	h.Replace(0, 1)
	h.Add(0, ev(2))
	h.Add(0, ev(3))
	h.Replace(at(time.Second), 50)
	if h.Len() != 0 || h.RV() != 50 {
		t.Fatalf("len %d rv %d after relist", h.Len(), h.RV())
	}
	if _, err := since(t, h, 3); err == nil || err.Error() != "too old resource version: 3 (50)" {
		t.Fatalf("Since(3) after relist = %v", err)
	}
	if got, err := since(t, h, 50); err != nil || len(got) != 0 {
		t.Fatalf("Since(50) = %v %v", got, err)
	}
}

func TestAddPanicsOnNonIncreasingRV(t *testing.T) {
	h := watchcache.NewHistory(watchcache.DefaultConfig())
	h.Replace(0, 10)
	defer func() {
		if recover() == nil {
			t.Fatal("Add of rv 10 after list at 10 did not panic")
		}
	}()
	h.Add(0, ev(10))
}

func TestWaitFresh(t *testing.T) {
	h := watchcache.NewHistory(watchcache.DefaultConfig())
	h.Replace(0, 10)
	if ok, err := h.WaitFresh(0, 0, 0); !ok || err != nil {
		t.Fatalf("rv 0: %v %v", ok, err)
	}
	if ok, err := h.WaitFresh(10, 0, 0); !ok || err != nil {
		t.Fatalf("rv 10: %v %v", ok, err)
	}
	start := at(time.Second)
	if ok, err := h.WaitFresh(12, start, start+at(2999*time.Millisecond)); ok || err != nil {
		t.Fatalf("rv 12 before the deadline: %v %v", ok, err)
	}
	h.UpdateRV(11)
	if ok, err := h.WaitFresh(12, start, h.WaitDeadline(start)); ok || err == nil {
		t.Fatalf("rv 12 at the deadline: %v %v", ok, err)
	} else {
		var e *watchcache.Error
		if !errors.As(err, &e) || e.Code != 504 || e.Reason != "Timeout" || e.RetryAfter != time.Second ||
			e.Message != "Timeout: Too large resource version: 12, current: 11" {
			t.Fatalf("error %#v", err)
		}
	}
	h.Add(start, ev(12))
	if ok, err := h.WaitFresh(12, start, start); !ok || err != nil {
		t.Fatalf("rv 12 after its event: %v %v", ok, err)
	}
}

// TestChanSizeUpstreamTable is watch_cache_test.go
// TestSuggestedWatchChannelSize.
func TestChanSizeUpstreamTable(t *testing.T) {
	for _, c := range []struct {
		capacity                 int
		indexExists, triggerUsed bool
		want                     int
	}{
		{100, true, true, 10}, {100, true, false, 10}, {100, false, false, 10},
		{750, true, true, 10}, {750, true, false, 10}, {750, false, false, 10},
		{7500, true, true, 10}, {7500, true, false, 100}, {7500, false, false, 100},
		{75000, true, true, 10}, {75000, true, false, 1000}, {75000, false, false, 100},
		{750000, true, true, 10}, {750000, true, false, 1000}, {750000, false, false, 100},
	} {
		if got := watchcache.ChanSize(c.capacity, 75*time.Second, c.indexExists, c.triggerUsed); got != c.want {
			t.Errorf("ChanSize(%d, %v, %v) = %d, want %d", c.capacity, c.indexExists, c.triggerUsed, got, c.want)
		}
	}
	// ceil: 751/75 = 10.01 → 11.
	if got := watchcache.ChanSize(751, 75*time.Second, false, false); got != 11 {
		t.Errorf("ChanSize(751) = %d, want 11", got)
	}
}

func TestHistoryAddDoesNotAllocate(t *testing.T) {
	cfg := watchcache.DefaultConfig()
	h := watchcache.NewHistory(cfg)
	h.Replace(0, 1)
	e := ev(0)
	rv := int64(1)
	now := sim.Time(0)
	// Fill at one event a second: the window stays at 100, evicting.
	for i := 0; i < 200; i++ {
		rv++
		now += at(time.Second)
		h.Add(now, &api.WatchEvent{Object: api.Object{ResourceVersion: rv}})
	}
	allocs := testing.AllocsPerRun(1000, func() {
		rv++
		now += at(time.Second)
		e.Object.ResourceVersion = rv // the window keeps the pointer; fine for counting
		h.Add(now, e)
	})
	if allocs != 0 {
		t.Fatalf("Add allocates %.1f per call", allocs)
	}
}

// TestHistoryShrinkLooksAtTheQuarterMark: the event capacity/4 back from
// the end decides, not the one before it.
func TestHistoryShrinkLooksAtTheQuarterMark(t *testing.T) {
	for _, c := range []struct {
		at      time.Duration
		wantCap int
	}{{80 * time.Second, 200}, {86 * time.Second, 100}} {
		h := watchcache.NewHistory(watchcache.DefaultConfig())
		h.Replace(0, 1)
		rv := int64(1)
		for i := 0; i < 200; i++ { // 150 at 0s, the newest quarter (50) at 10s
			rv++
			when := sim.Time(0)
			if i >= 150 {
				when = at(10 * time.Second)
			}
			h.Add(when, ev(rv))
		}
		if h.Capacity() != 200 || h.Len() != 200 {
			t.Fatalf("cap %d len %d, want 200 200", h.Capacity(), h.Len())
		}
		// At 80s the quarter mark (10s) is 70s old: no shrink. At 86s it
		// is 76s old: shrink.
		h.Add(at(c.at), ev(rv+1))
		if h.Capacity() != c.wantCap {
			t.Fatalf("add at %v: cap %d, want %d", c.at, h.Capacity(), c.wantCap)
		}
	}
}
