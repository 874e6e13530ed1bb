package watchcache_test

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
)

const ms = time.Millisecond

func TestBudgetAccruesOnDemand(t *testing.T) {
	b := watchcache.NewBudget(0, 50*ms, 100*ms)
	if got := b.Take(0); got != 0 {
		t.Fatalf("Take at creation = %v, want 0 (starts empty)", got)
	}
	if got := b.Take(at(time.Second)); got != 50*ms {
		t.Fatalf("Take after 1s = %v, want 50ms", got)
	}
	if got := b.Take(at(1500 * ms)); got != 25*ms {
		t.Fatalf("Take after 0.5s more = %v, want 25ms", got)
	}
	if got := b.Available(at(11500 * ms)); got != 100*ms {
		t.Fatalf("Available after 10s = %v, want 100ms (capped)", got)
	}
	if got := b.Take(at(1500*ms + 1)); got != 0 {
		t.Fatalf("Take after 1ns = %v, want 0 (1ns × 0.05 truncates)", got)
	}
}

// TestBudgetUpstreamTable is time_budget_test.go TestTimeBudget, with max
// 200ns and no time passing.
func TestBudgetUpstreamTable(t *testing.T) {
	b := watchcache.NewBudget(0, 50*ms, 200)
	if got := b.Take(0); got != 0 {
		t.Fatalf("got %v, want 0", got)
	}
	b.Return(100)
	if got := b.Take(0); got != 100 {
		t.Fatalf("got %v, want 100", got)
	}
	if got := b.Take(0); got != 0 {
		t.Fatalf("got %v, want 0", got)
	}
	b.Return(50)
	if got := b.Take(0); got != 50 {
		t.Fatalf("got %v, want 50", got)
	}
	b.Return(100)
	b.Return(-50)
	if got := b.Take(0); got != 100 {
		t.Fatalf("got %v, want 100 (negative return ignored)", got)
	}
	b.Return(500)
	if got := b.Take(0); got != 200 {
		t.Fatalf("got %v, want 200 (capped)", got)
	}
}

func TestBudgetReturnKeepsAccrualClock(t *testing.T) {
	b := watchcache.NewBudget(0, 50*ms, 100*ms)
	b.Take(at(time.Second)) // 50ms taken; accrual restarts at 1s
	b.Return(30 * ms)       // at, say, 1.04s: does not restart accrual
	if got := b.Take(at(1400 * ms)); got != 50*ms {
		t.Fatalf("Take = %v, want 30ms returned + 20ms accrued over 0.4s", got)
	}
}
