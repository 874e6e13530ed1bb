package workqueue

import (
	"math"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/orrery-sim/orrery/sim"
)

// exponential is the backoff client-go documents: 5ms·2^n, capped at 1000s.
func exponential(n int) time.Duration {
	if n >= 18 { // 5ms·2^18 = 1310.72s
		return 1000 * time.Second
	}
	return 5 * time.Millisecond << n
}

func TestExponentialBackoffDoublesFrom5msTo1000s(t *testing.T) {
	r := NewItemExponentialFailureRateLimiter[string](5*time.Millisecond, 1000*time.Second)
	want := []time.Duration{
		5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond,
		80 * time.Millisecond, 160 * time.Millisecond, 320 * time.Millisecond, 640 * time.Millisecond,
		1280 * time.Millisecond, 2560 * time.Millisecond, 5120 * time.Millisecond, 10240 * time.Millisecond,
		20480 * time.Millisecond, 40960 * time.Millisecond, 81920 * time.Millisecond, 163840 * time.Millisecond,
		327680 * time.Millisecond, 655360 * time.Millisecond, 1000 * time.Second, 1000 * time.Second,
	}
	for n, w := range want {
		if got := r.When("a"); got != w {
			t.Fatalf("failure %d: When = %v, want %v", n, got, w)
		}
		if got := r.NumRequeues("a"); got != n+1 {
			t.Fatalf("NumRequeues = %d after %d failures", got, n+1)
		}
	}
	for n := len(want); n < 2000; n++ { // far past the float guard
		if got := r.When("a"); got != 1000*time.Second {
			t.Fatalf("failure %d: When = %v, want the 1000s cap", n, got)
		}
	}
	if got := r.When("b"); got != 5*time.Millisecond {
		t.Fatalf("another item's first When = %v: failures are per item", got)
	}
	r.Forget("a")
	if got := r.NumRequeues("a"); got != 0 {
		t.Fatalf("NumRequeues = %d after Forget", got)
	}
	if got := r.When("a"); got != 5*time.Millisecond {
		t.Fatalf("When after Forget = %v, want 5ms", got)
	}
	if got := r.NumRequeues("b"); got != 1 {
		t.Fatalf("Forget(a) changed b's count to %d", got)
	}
}

func TestExponentialBackoffOverflowGuard(t *testing.T) {
	maxDelay := time.Duration(math.MaxInt64)
	r := NewItemExponentialFailureRateLimiter[int](1, maxDelay)
	var got []time.Duration
	for range 70 {
		got = append(got, r.When(0))
	}
	if got[62] != 1<<62 {
		t.Fatalf("failure 62: %v, want 2^62 ns", got[62])
	}
	// 1ns·2^63 does not fit an int64: the cap, never a wrapped negative.
	for n := 63; n < 70; n++ {
		if got[n] != maxDelay {
			t.Fatalf("failure %d: %v, want maxDelay", n, got[n])
		}
	}
}

func TestFastSlow(t *testing.T) {
	r := NewItemFastSlowRateLimiter[string](time.Millisecond, time.Second, 3)
	var got []time.Duration
	for range 5 {
		got = append(got, r.When("a"))
	}
	want := []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, time.Second, time.Second}
	if !slices.Equal(got, want) || r.NumRequeues("a") != 5 {
		t.Fatalf("got %v (requeues %d), want %v (5)", got, r.NumRequeues("a"), want)
	}
	r.Forget("a")
	if r.When("a") != time.Millisecond {
		t.Fatal("Forget did not reset the count")
	}
}

// fixed is a limiter with a set answer that counts its calls.
type fixed struct {
	d        time.Duration
	requeues int
	whens    int
	forgets  int
}

func (f *fixed) When(string) time.Duration { f.whens++; return f.d }
func (f *fixed) Forget(string)             { f.forgets++ }
func (f *fixed) NumRequeues(string) int    { return f.requeues }

func TestMaxOfPicksTheLarger(t *testing.T) {
	for _, tc := range []struct{ a, b, want time.Duration }{
		{time.Second, time.Millisecond, time.Second},
		{time.Millisecond, time.Second, time.Second},
		{0, 0, 0},
	} {
		a, b := &fixed{d: tc.a, requeues: 3}, &fixed{d: tc.b, requeues: 7}
		m := NewMaxOfRateLimiter[string](a, b)
		if got := m.When("x"); got != tc.want {
			t.Errorf("MaxOf(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if a.whens != 1 || b.whens != 1 {
			t.Errorf("When called %d and %d times; every limiter must be asked once", a.whens, b.whens)
		}
		if got := m.NumRequeues("x"); got != 7 {
			t.Errorf("NumRequeues = %d, want the larger, 7", got)
		}
		m.Forget("x")
		if a.forgets != 1 || b.forgets != 1 {
			t.Errorf("Forget reached %d and %d limiters' items; want both", a.forgets, b.forgets)
		}
	}
}

func TestBucketStartsFullThenPaces(t *testing.T) {
	eng := sim.NewEngine(1)
	r := NewBucketRateLimiter[int](eng, rate.NewLimiter(10, 100))
	for i := range 100 {
		if d := r.When(i); d != 0 {
			t.Fatalf("call %d of the burst waits %v", i, d)
		}
	}
	// Reservations stack: each further call waits one more 100ms.
	for k := 1; k <= 3; k++ {
		if d := r.When(100 + k); d != time.Duration(k)*100*time.Millisecond {
			t.Fatalf("call %d past the burst waits %v, want %v", k, d, time.Duration(k)*100*time.Millisecond)
		}
	}
	// At 10s the bucket has refilled 100 tokens: 103 taken, 100 back, -3+100 = 97 free.
	if err := eng.Run(sim.Time(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := range 97 {
		if d := r.When(i); d != 0 {
			t.Fatalf("after refilling, call %d waits %v", i, d)
		}
	}
	if d := r.When(0); d != 100*time.Millisecond {
		t.Fatalf("98th call after refilling waits %v, want 100ms", d)
	}
}

func TestDefaultControllerRateLimiter(t *testing.T) {
	eng := sim.NewEngine(1)
	r := DefaultControllerRateLimiter[int](eng)
	for i := range 100 {
		if d := r.When(i); d != 5*time.Millisecond {
			t.Fatalf("first failure of item %d waits %v, want 5ms (the bucket has tokens)", i, d)
		}
	}
	if d := r.When(100); d != 100*time.Millisecond {
		t.Fatalf("the 101st distinct item waits %v, want 100ms: the bucket is empty", d)
	}
	// Item 0's 2nd failure: 10ms per item, but the bucket now says 200ms.
	if d := r.When(0); d != 200*time.Millisecond {
		t.Fatalf("item 0's second failure waits %v, want 200ms", d)
	}
	if n := r.NumRequeues(0); n != 2 {
		t.Fatalf("NumRequeues(0) = %d, want 2", n)
	}
	// Later, with the bucket refilled, the per-item backoff dominates.
	if err := eng.Run(sim.Time(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for n := 2; n < 25; n++ {
		if d := r.When(0); d != exponential(n) {
			t.Fatalf("item 0's failure %d waits %v, want %v", n, d, exponential(n))
		}
	}
	r.Forget(0)
	if n, d := r.NumRequeues(0), r.When(0); n != 0 || d != 5*time.Millisecond {
		t.Fatalf("after Forget: NumRequeues %d, When %v; want 0, 5ms", n, d)
	}
}

func TestRateLimitedAddsOf101DistinctItems(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	q := NewRateLimiting[int](eng, DefaultControllerRateLimiter[int](eng), Config{Name: "burst", Recorder: rec})
	log := takeOnNotify(eng, q.Queue)
	for i := range 101 {
		q.AddRateLimited(i)
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(*log) != 101 {
		t.Fatalf("%d items added, want 101", len(*log))
	}
	for i, a := range *log {
		want := added[int]{5 * time.Millisecond, i}
		if i == 100 {
			want.at = 100 * time.Millisecond
		}
		if a != want {
			t.Fatalf("add %d: %v, want %v", i, a, want)
		}
	}
	if v := rec.Counter("workqueue_retries_total", "name", "burst").Value; v != 101 {
		t.Fatalf("workqueue_retries_total = %d, want 101", v)
	}
}

func TestAddRateLimitedWhileShuttingDownStillCountsTheFailure(t *testing.T) {
	eng := sim.NewEngine(1)
	q := NewRateLimiting[string](eng, DefaultControllerRateLimiter[string](eng), Config{})
	q.ShutDown()
	q.AddRateLimited("a")
	if q.NumRequeues("a") != 1 || q.Waiting() != 0 || q.Len() != 0 {
		t.Fatalf("NumRequeues %d, Waiting %d, Len %d; want 1, 0, 0", q.NumRequeues("a"), q.Waiting(), q.Len())
	}
}
