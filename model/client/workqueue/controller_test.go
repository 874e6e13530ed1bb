package workqueue

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// toyController owns a rate-limited queue and a pool of workers, the way a
// simulated controller would: notify schedules an idle worker, a worker
// Gets, reconciles for a modeled time, then AddRateLimited (failure) or
// Forget (success), and Done — client-go's processNextWorkItem.
type toyController struct {
	eng     *sim.Engine
	q       *RateLimitingQueue[string]
	workers int
	busy    int
	waking  int // wake events scheduled and not yet run
	work    time.Duration
	// fails says how many times an item's reconcile fails before it succeeds.
	fails    map[string]int
	inFlight map[string]bool
	trace    []attempt
	t        *testing.T
}

type attempt struct {
	at   time.Duration
	item string
	ok   bool
}

const (
	kindWake int32 = iota
	kindFinish
)

func newToyController(t *testing.T, eng *sim.Engine, rec *sim.Recorder, workers int, work time.Duration) *toyController {
	c := &toyController{eng: eng, workers: workers, work: work, fails: map[string]int{}, inFlight: map[string]bool{}, t: t}
	c.q = NewRateLimiting[string](eng, DefaultControllerRateLimiter[string](eng), Config{Name: "toy", Recorder: rec})
	c.q.SetNotify(c.maybeWake)
	return c
}

// maybeWake schedules a worker for each queued item an idle worker can take.
func (c *toyController) maybeWake() {
	for c.busy+c.waking < c.workers && c.waking < c.q.Len() {
		c.waking++
		c.eng.Schedule(sim.Event{At: c.eng.Now(), Target: c, Kind: kindWake})
	}
}

func (c *toyController) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindWake:
		c.waking--
		item, ok := c.q.Get()
		if !ok {
			return
		}
		if c.inFlight[item] {
			c.t.Fatalf("%v: %q handed to a second worker", c.eng.Now(), item)
		}
		c.inFlight[item] = true
		c.busy++
		c.eng.Schedule(sim.Event{At: c.eng.Now().Add(c.work), Target: c, Kind: kindFinish, Data: item})
	case kindFinish:
		item := ev.Data.(string)
		ok := c.fails[item] == 0
		c.trace = append(c.trace, attempt{c.eng.Now().Duration(), item, ok})
		if ok {
			c.q.Forget(item)
		} else {
			c.fails[item]--
			c.q.AddRateLimited(item)
		}
		delete(c.inFlight, item)
		c.busy--
		c.q.Done(item)
		c.maybeWake()
	}
}

// CONCEPTS row 15: work-queue retries back off exponentially, 5 ms
// doubling up to 1000 s.
func TestRetriesFollowTheControllerBackoff(t *testing.T) {
	const failures = 22 // past the 1000s cap
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	work := time.Millisecond
	c := newToyController(t, eng, rec, 2, work)
	c.fails["default/web"] = failures
	c.q.Add("default/web")
	if err := eng.Run(sim.Time(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(c.trace) != failures+1 || !c.trace[failures].ok {
		t.Fatalf("%d attempts, last ok=%v; want %d, the last succeeding", len(c.trace), c.trace[len(c.trace)-1].ok, failures+1)
	}
	// Attempt k+1 finishes one work time after retry k's backoff ends.
	for k := 1; k < len(c.trace); k++ {
		gap := c.trace[k].at - c.trace[k-1].at
		if want := exponential(k-1) + work; gap != want {
			t.Errorf("retry %d came %v after the failure before it, want %v + %v", k, gap, exponential(k-1), work)
		}
	}
	// The API server is not hammered: 8 attempts in the first second, then
	// ever fewer, and at most one every 1000s at the cap.
	first := 0
	for _, a := range c.trace {
		if a.at < time.Second {
			first++
		}
	}
	if first != 8 {
		t.Errorf("%d attempts in the first second, want 8", first)
	}
	if n := c.q.NumRequeues("default/web"); n != 0 {
		t.Errorf("NumRequeues = %d after success and Forget, want 0", n)
	}
	if v := rec.Counter("workqueue_retries_total", "name", "toy").Value; v != failures {
		t.Errorf("workqueue_retries_total = %d, want %d", v, failures)
	}
	if v := rec.Counter("workqueue_adds_total", "name", "toy").Value; v != failures+1 {
		t.Errorf("workqueue_adds_total = %d, want %d", v, failures+1)
	}
}

// runToy runs many items with random failure counts and arrival times
// through a 4-worker controller and returns its trace and metric totals.
func runToy(t *testing.T, seed uint64) ([]attempt, string) {
	eng := sim.NewEngine(seed)
	rec := sim.NewRecorder(time.Second)
	c := newToyController(t, eng, rec, 4, 3*time.Millisecond)
	r := eng.Rand("toy")
	for i := range 300 {
		item := fmt.Sprintf("ns/obj-%03d", i%120) // repeats: dedup and re-add while processing
		c.fails[item] = r.IntN(6)
		at := sim.Time(time.Duration(r.IntN(2000)) * time.Millisecond)
		eng.Schedule(sim.Event{At: at, Target: funcHandler(func() { c.q.Add(item) })})
	}
	if err := eng.Run(sim.Time(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.q.Len() != 0 || c.q.Waiting() != 0 || c.q.Processing() != 0 {
		t.Fatalf("not converged: Len %d, Waiting %d, Processing %d", c.q.Len(), c.q.Waiting(), c.q.Processing())
	}
	var totals string
	for _, ctr := range rec.Counters() {
		totals += fmt.Sprintf("%s=%d ", ctr.Key(), ctr.Value)
	}
	for _, l := range rec.Latencies() {
		s := l.Samples()
		totals += fmt.Sprintf("%s n=%d sum=%d ", l.Key(), len(s), sumOf(s))
	}
	return c.trace, totals
}

func sumOf(s []int64) int64 {
	var t int64
	for _, x := range s {
		t += x
	}
	return t
}

func TestToyControllerIsDeterministic(t *testing.T) {
	a, am := runToy(t, 42)
	b, bm := runToy(t, 42)
	if !slices.Equal(a, b) || am != bm {
		t.Fatalf("two runs with seed 42 differ:\n%v\n%v", am, bm)
	}
	if len(a) < 300 {
		t.Fatalf("only %d attempts", len(a))
	}
	c, _ := runToy(t, 43)
	if slices.Equal(a, c) {
		t.Fatal("seeds 42 and 43 gave the same trace: the test does not exercise the seed")
	}
}
