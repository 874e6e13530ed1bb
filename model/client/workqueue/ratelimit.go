package workqueue

import (
	"math"
	"time"

	"golang.org/x/time/rate"

	"github.com/orrery-sim/orrery/sim"
)

// RateLimiter decides how long an item waits before it is re-queued
// (client-go's TypedRateLimiter, util/workqueue/default_rate_limiters.go).
type RateLimiter[T comparable] interface {
	// When returns how long item should wait, and counts a failure.
	When(item T) time.Duration
	// Forget stops tracking item: it succeeded or was given up on.
	Forget(item T)
	// NumRequeues is the number of failures counted for item.
	NumRequeues(item T) int
}

// Clock is the virtual clock a BucketRateLimiter reads; *sim.Engine is one.
type Clock interface {
	Now() sim.Time
}

// DefaultControllerRateLimiter is client-go's DefaultControllerRateLimiter:
// the worse of a per-item exponential backoff (5ms·2^failures, capped at
// 1000s) and an overall token bucket of 10 qps with burst 100 that, in
// upstream's words, "is only for retry speed and its only the overall factor
// (not per item)". The bucket runs on clock.
func DefaultControllerRateLimiter[T comparable](clock Clock) RateLimiter[T] {
	return NewMaxOfRateLimiter[T](
		NewItemExponentialFailureRateLimiter[T](5*time.Millisecond, 1000*time.Second),
		NewBucketRateLimiter[T](clock, rate.NewLimiter(rate.Limit(10), 100)),
	)
}

// DefaultItemBasedRateLimiter is client-go's DefaultItemBasedRateLimiter:
// per-item exponential backoff from 1ms, capped at 1000s.
func DefaultItemBasedRateLimiter[T comparable]() RateLimiter[T] {
	return NewItemExponentialFailureRateLimiter[T](time.Millisecond, 1000*time.Second)
}

// ItemExponentialFailureRateLimiter waits baseDelay·2^n for an item that
// has failed n times before, capped at maxDelay. Failures are counted until
// Forget; giving up after some number of them is the caller's business.
type ItemExponentialFailureRateLimiter[T comparable] struct {
	failures  map[T]int // looked up, never iterated
	baseDelay time.Duration
	maxDelay  time.Duration
}

// NewItemExponentialFailureRateLimiter returns a limiter with no failures.
func NewItemExponentialFailureRateLimiter[T comparable](baseDelay, maxDelay time.Duration) *ItemExponentialFailureRateLimiter[T] {
	return &ItemExponentialFailureRateLimiter[T]{failures: map[T]int{}, baseDelay: baseDelay, maxDelay: maxDelay}
}

// When returns min(baseDelay·2^failures, maxDelay) and counts a failure.
func (r *ItemExponentialFailureRateLimiter[T]) When(item T) time.Duration {
	exp := r.failures[item]
	r.failures[item] = exp + 1
	// Upstream computes in float64 so the power cannot overflow, and returns
	// maxDelay when the result exceeds math.MaxInt64. float64(MaxInt64) is
	// 2^63, which converts to an int64 in an implementation-defined way, so
	// 2^63 itself is treated as overflow here too.
	backoff := float64(r.baseDelay.Nanoseconds()) * math.Pow(2, float64(exp))
	if backoff >= math.MaxInt64 {
		return r.maxDelay
	}
	if d := time.Duration(backoff); d <= r.maxDelay {
		return d
	}
	return r.maxDelay
}

// NumRequeues is the number of failures counted for item.
func (r *ItemExponentialFailureRateLimiter[T]) NumRequeues(item T) int { return r.failures[item] }

// Forget resets item's failure count.
func (r *ItemExponentialFailureRateLimiter[T]) Forget(item T) { delete(r.failures, item) }

// ItemFastSlowRateLimiter waits fastDelay for an item's first
// maxFastAttempts failures and slowDelay after that.
type ItemFastSlowRateLimiter[T comparable] struct {
	failures        map[T]int // looked up, never iterated
	maxFastAttempts int
	fastDelay       time.Duration
	slowDelay       time.Duration
}

// NewItemFastSlowRateLimiter returns a limiter with no failures.
func NewItemFastSlowRateLimiter[T comparable](fastDelay, slowDelay time.Duration, maxFastAttempts int) *ItemFastSlowRateLimiter[T] {
	return &ItemFastSlowRateLimiter[T]{failures: map[T]int{}, fastDelay: fastDelay, slowDelay: slowDelay, maxFastAttempts: maxFastAttempts}
}

// When counts a failure and returns fastDelay while the count is at most
// maxFastAttempts, slowDelay after.
func (r *ItemFastSlowRateLimiter[T]) When(item T) time.Duration {
	r.failures[item]++
	if r.failures[item] <= r.maxFastAttempts {
		return r.fastDelay
	}
	return r.slowDelay
}

// NumRequeues is the number of failures counted for item.
func (r *ItemFastSlowRateLimiter[T]) NumRequeues(item T) int { return r.failures[item] }

// Forget resets item's failure count.
func (r *ItemFastSlowRateLimiter[T]) Forget(item T) { delete(r.failures, item) }

// BucketRateLimiter is one token bucket shared by all items
// (golang.org/x/time/rate, as upstream), read on virtual time. Every When
// takes a token, reserving one in the future if the bucket is empty, so
// delays stack: with 10 qps, the k-th call past the burst waits k·100ms.
type BucketRateLimiter[T comparable] struct {
	Limiter *rate.Limiter
	clock   Clock
}

// NewBucketRateLimiter adapts l to the RateLimiter API on clock. A fresh
// rate.Limiter starts full, as upstream's does.
func NewBucketRateLimiter[T comparable](clock Clock, l *rate.Limiter) *BucketRateLimiter[T] {
	return &BucketRateLimiter[T]{Limiter: l, clock: clock}
}

// When reserves a token and returns how long until it is available
// (upstream: Limiter.Reserve().Delay(), which reads the wall clock).
func (r *BucketRateLimiter[T]) When(T) time.Duration {
	now := wallOf(r.clock.Now())
	return r.Limiter.ReserveN(now, 1).DelayFrom(now)
}

// NumRequeues is always 0: the bucket does not track items.
func (r *BucketRateLimiter[T]) NumRequeues(T) int { return 0 }

// Forget does nothing: the bucket does not track items.
func (r *BucketRateLimiter[T]) Forget(T) {}

// epoch is virtual time zero on the wall-clock axis x/time/rate wants: a
// fixed date, not a reading of the clock. It is the same date as
// model/client's (whose wallOf is unexported); only differences between
// instants matter to a limiter.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func wallOf(t sim.Time) time.Time { return epoch.Add(time.Duration(t)) }

// MaxOfRateLimiter asks every limiter and returns the worst answer. Every
// limiter's When runs, so the bucket's token is taken even when the
// per-item backoff is longer; upstream warns that the burst can then
// appear to be exceeded when items were separately delayed longer.
type MaxOfRateLimiter[T comparable] struct {
	limiters []RateLimiter[T]
}

// NewMaxOfRateLimiter combines limiters.
func NewMaxOfRateLimiter[T comparable](limiters ...RateLimiter[T]) *MaxOfRateLimiter[T] {
	return &MaxOfRateLimiter[T]{limiters: limiters}
}

// When is the longest of the limiters' delays.
func (r *MaxOfRateLimiter[T]) When(item T) time.Duration {
	var ret time.Duration
	for _, l := range r.limiters {
		ret = max(ret, l.When(item))
	}
	return ret
}

// NumRequeues is the largest of the limiters' counts.
func (r *MaxOfRateLimiter[T]) NumRequeues(item T) int {
	ret := 0
	for _, l := range r.limiters {
		ret = max(ret, l.NumRequeues(item))
	}
	return ret
}

// Forget forgets item in every limiter.
func (r *MaxOfRateLimiter[T]) Forget(item T) {
	for _, l := range r.limiters {
		l.Forget(item)
	}
}

// RateLimitingQueue is a DelayingQueue whose retries wait as a RateLimiter
// says (client-go's rateLimitingType). Remember to call Forget when an item
// succeeds: the limiter otherwise counts its failures forever.
type RateLimitingQueue[T comparable] struct {
	*DelayingQueue[T]
	limiter RateLimiter[T]
}

// NewRateLimiting returns an empty rate-limiting queue on eng.
func NewRateLimiting[T comparable](eng *sim.Engine, limiter RateLimiter[T], cfg Config) *RateLimitingQueue[T] {
	return &RateLimitingQueue[T]{DelayingQueue: NewDelaying[T](eng, cfg), limiter: limiter}
}

// AddRateLimited adds item after the limiter's delay. The limiter counts
// the failure even if the queue is shutting down, as upstream.
func (q *RateLimitingQueue[T]) AddRateLimited(item T) {
	q.AddAfter(item, q.limiter.When(item))
}

// Forget tells the limiter to stop tracking item. It does not replace Done.
func (q *RateLimitingQueue[T]) Forget(item T) { q.limiter.Forget(item) }

// NumRequeues is the limiter's failure count for item.
func (q *RateLimitingQueue[T]) NumRequeues(item T) int { return q.limiter.NumRequeues(item) }
