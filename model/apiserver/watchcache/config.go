package watchcache

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("watchcache: invalid config")

// Config holds the watch cache's tunables. DefaultConfig gives upstream's
// values; each field names where upstream defines it.
type Config struct {
	// LowerBoundCapacity and UpperBoundCapacity bound the event window's
	// capacity, which starts at the lower bound and doubles or halves as
	// History.Add decides (watch_cache.go defaultLowerBoundCapacity = 100,
	// defaultUpperBoundCapacity = 100 * 1024).
	LowerBoundCapacity int
	UpperBoundCapacity int
	// EventFreshDuration is how much history the window tries to keep
	// (watch_cache.go eventFreshDuration = 75s: defaultBookmarkFrequency
	// plus 15s; later releases call it DefaultEventFreshDuration and make it
	// configurable, with 75s still the default).
	EventFreshDuration time.Duration
	// BlockTimeout is how long a read waits for the cache to reach the
	// resource version it asks for before it fails with "Too large resource
	// version" (watch_cache.go blockTimeout = 3s).
	BlockTimeout time.Duration
	// TooLargeRetryAfter is the Retry-After of that failure
	// (watch_cache.go resourceVersionTooHighRetrySeconds = 1).
	TooLargeRetryAfter time.Duration
	// BookmarkFrequency is how often a watcher that allows bookmarks gets
	// one (cacher.go defaultBookmarkFrequency = time.Minute).
	BookmarkFrequency time.Duration
	// BookmarkTick and BookmarkTickJitter are the period of the dispatch
	// loop's bookmark timer, BookmarkTick × (1 + jitter·U[0,1))
	// (cacher.go dispatchEvents: wait.Jitter(time.Second, 0.25)).
	BookmarkTick       time.Duration
	BookmarkTickJitter float64
	// BudgetRefreshPerSecond and BudgetMax are the dispatch time budget:
	// it accrues BudgetRefreshPerSecond per second of elapsed time, capped
	// at BudgetMax, and starts empty (time_budget.go refreshPerSecond =
	// 50ms, maxBudget = 100ms).
	BudgetRefreshPerSecond time.Duration
	BudgetMax              time.Duration
}

// DefaultConfig returns upstream's values (Kubernetes 1.31).
func DefaultConfig() Config {
	return Config{
		LowerBoundCapacity:     100,                    // watch_cache.go defaultLowerBoundCapacity
		UpperBoundCapacity:     100 * 1024,             // watch_cache.go defaultUpperBoundCapacity
		EventFreshDuration:     75 * time.Second,       // watch_cache.go eventFreshDuration
		BlockTimeout:           3 * time.Second,        // watch_cache.go blockTimeout
		TooLargeRetryAfter:     time.Second,            // watch_cache.go resourceVersionTooHighRetrySeconds
		BookmarkFrequency:      time.Minute,            // cacher.go defaultBookmarkFrequency
		BookmarkTick:           time.Second,            // cacher.go dispatchEvents bookmarkTimer
		BookmarkTickJitter:     0.25,                   // cacher.go dispatchEvents bookmarkTimer
		BudgetRefreshPerSecond: 50 * time.Millisecond,  // time_budget.go refreshPerSecond
		BudgetMax:              100 * time.Millisecond, // time_budget.go maxBudget
	}
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	switch {
	case c.LowerBoundCapacity < 1:
		return bad("LowerBoundCapacity %d < 1", c.LowerBoundCapacity)
	case c.UpperBoundCapacity < c.LowerBoundCapacity:
		return bad("UpperBoundCapacity %d < LowerBoundCapacity %d", c.UpperBoundCapacity, c.LowerBoundCapacity)
	case c.EventFreshDuration <= 0:
		return bad("EventFreshDuration %v <= 0", c.EventFreshDuration)
	case c.BlockTimeout < 0:
		return bad("BlockTimeout %v < 0", c.BlockTimeout)
	case c.TooLargeRetryAfter < 0:
		return bad("TooLargeRetryAfter %v < 0", c.TooLargeRetryAfter)
	case c.BookmarkFrequency <= 0:
		return bad("BookmarkFrequency %v <= 0", c.BookmarkFrequency)
	case c.BookmarkTick <= 0:
		return bad("BookmarkTick %v <= 0", c.BookmarkTick)
	case c.BookmarkTickJitter < 0:
		return bad("BookmarkTickJitter %v < 0", c.BookmarkTickJitter)
	case c.BudgetRefreshPerSecond < 0:
		return bad("BudgetRefreshPerSecond %v < 0", c.BudgetRefreshPerSecond)
	case c.BudgetMax < 0:
		return bad("BudgetMax %v < 0", c.BudgetMax)
	}
	return nil
}

// Channel sizes of a watcher (watch_cache.go): the input channel the
// dispatcher writes and the result channel the watch handler reads are both
// this size.
const (
	// MinWatchChanSize: watch_cache.go minWatchChanSize.
	MinWatchChanSize = 10
	// MaxWatchChanSizeWithIndexAndTrigger: watch_cache.go
	// maxWatchChanSizeWithIndexAndTrigger (the resource has a trigger index
	// and the watch selects on it, e.g. pods by spec.nodeName).
	MaxWatchChanSizeWithIndexAndTrigger = 10
	// MaxWatchChanSizeWithIndexWithoutTrigger: watch_cache.go
	// maxWatchChanSizeWithIndexWithoutTrigger.
	MaxWatchChanSizeWithIndexWithoutTrigger = 1000
	// MaxWatchChanSizeWithoutIndex: watch_cache.go
	// maxWatchChanSizeWithoutIndex (no trigger index on the resource: nodes,
	// leases, configmaps).
	MaxWatchChanSizeWithoutIndex = 100
)

// IncomingBuffer is the size of the cacher's queue between the watch cache
// and the dispatch loop (cacher.go: incoming: make(chan watchCacheEvent,
// 100)). When it is full, adding to the watch cache blocks (the reflector
// stalls) until the dispatcher takes the next event.
const IncomingBuffer = 100

// ChanSize is watch_cache.go suggestedWatchChannelSize: one second of
// history at the window's current fill rate, ceil(capacity /
// eventFreshDuration in seconds), clamped to [MinWatchChanSize, max] where
// max depends on whether the resource has a trigger index (indexExists) and
// the watch uses it (triggerUsed).
func ChanSize(capacity int, eventFresh time.Duration, indexExists, triggerUsed bool) int {
	// ceil(capacity / seconds) in integers: capacity·1e9 / ns, rounded up.
	size := int((int64(capacity)*int64(time.Second) + int64(eventFresh) - 1) / int64(eventFresh))
	size = max(size, MinWatchChanSize)
	var limit int
	switch {
	case indexExists && triggerUsed:
		limit = MaxWatchChanSizeWithIndexAndTrigger
	case indexExists:
		limit = MaxWatchChanSizeWithIndexWithoutTrigger
	default:
		limit = MaxWatchChanSizeWithoutIndex
	}
	return min(size, limit)
}
