package watchcache

import (
	"math/bits"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// Budget is the dispatch time budget of one cacher (time_budget.go
// timeBudgetImpl, the version that accrues on demand instead of from a
// ticker goroutine, since Kubernetes 1.23). It starts empty; Take adds what
// accrued since the previous Take (refresh per second of elapsed time),
// caps it at max, and hands out all of it; Return gives back an unused part
// (capped at max, ignored if negative). Returning does not reset the
// accrual clock: only Take does.
type Budget struct {
	budget  time.Duration
	refresh time.Duration // per second
	max     time.Duration
	last    sim.Time
}

// NewBudget returns an empty budget whose accrual starts at now (the
// cacher's creation).
func NewBudget(now sim.Time, refreshPerSecond, max time.Duration) Budget {
	return Budget{refresh: refreshPerSecond, max: max, last: now}
}

// accrued is upstream's elapsed.Seconds() × refresh.Seconds() seconds, in
// integer nanoseconds (elapsed × refresh / 1s, truncated; upstream's
// float64 product can differ by a nanosecond).
func (b *Budget) accrued(now sim.Time) time.Duration {
	e := now.Sub(b.last)
	if e <= 0 || b.refresh <= 0 {
		return 0
	}
	secs := int64(e / time.Second)
	if secs > int64(b.max/b.refresh) {
		return b.max // at least max; avoids overflow
	}
	hi, lo := bits.Mul64(uint64(e%time.Second), uint64(b.refresh))
	frac, _ := bits.Div64(hi, lo, uint64(time.Second))
	return time.Duration(secs)*b.refresh + time.Duration(frac)
}

// Take is takeAvailable: everything available at now, which the budget no
// longer holds.
func (b *Budget) Take(now sim.Time) time.Duration {
	b.budget = min(b.budget+b.accrued(now), b.max)
	b.last = now
	r := b.budget
	b.budget = 0
	return r
}

// Return is returnUnused.
func (b *Budget) Return(unused time.Duration) {
	if unused < 0 {
		return
	}
	b.budget = min(b.budget+unused, b.max)
}

// Available is what Take would hand out at now, without taking it.
func (b *Budget) Available(now sim.Time) time.Duration {
	return min(b.budget+b.accrued(now), b.max)
}
