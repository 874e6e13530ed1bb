package workqueue

import (
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// drain takes every queued item, marking each Done at once.
func drain[T comparable](q *Queue[T]) []T {
	var out []T
	for {
		it, ok := q.Get()
		if !ok {
			return out
		}
		out = append(out, it)
		q.Done(it)
	}
}

func TestAddOfADirtyItemIsANoOp(t *testing.T) {
	q := New[string](sim.NewEngine(1), Config{})
	for _, it := range []string{"a", "b", "a", "c", "b", "a"} {
		q.Add(it)
	}
	if q.Len() != 3 {
		t.Fatalf("Len = %d after adding a,b,a,c,b,a; want 3", q.Len())
	}
	if got, want := drain(q), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if it, ok := q.Get(); ok {
		t.Fatalf("Get on an empty queue returned %q", it)
	}
}

func TestGetIsFIFOByFirstAdd(t *testing.T) {
	q := New[int](sim.NewEngine(1), Config{})
	var want []int
	for i := range 1000 {
		it := (i * 7919) % 1000 // a permutation of 0..999
		q.Add(it)
		want = append(want, it)
		q.Add(want[len(want)/2]) // a re-add changes nothing
		if i%3 == 0 {
			// Interleave Gets, so the FIFO's array is reused and compacted.
			got, ok := q.Get()
			if !ok || got != want[0] {
				t.Fatalf("Get = %d, %v; want %d", got, ok, want[0])
			}
			want = want[1:]
			q.Done(got)
		}
	}
	if got := drain(q); !slices.Equal(got, want) {
		t.Fatalf("order differs from first-add order:\ngot  %v\nwant %v", got, want)
	}
}

func TestAddWhileProcessingQueuesOnceOnDone(t *testing.T) {
	q := New[string](sim.NewEngine(1), Config{})
	q.Add("a")
	q.Add("b")
	a, _ := q.Get()
	if a != "a" {
		t.Fatalf("Get = %q, want a", a)
	}
	q.Add("a")
	q.Add("a")
	if q.Len() != 1 {
		t.Fatalf("Len = %d with a processing and re-added, b queued; want 1 (a is not queued yet)", q.Len())
	}
	// A second worker must not get a while the first holds it.
	if it, _ := q.Get(); it != "b" {
		t.Fatalf("second Get = %q, want b", it)
	}
	if it, ok := q.Get(); ok {
		t.Fatalf("third Get = %q; a is still being processed and must not be handed out", it)
	}
	q.Done("a")
	if q.Len() != 1 {
		t.Fatalf("Len = %d after Done(a) of a dirty a; want 1", q.Len())
	}
	q.Done("b")
	if got := drain(q); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after Done: got %v, want exactly one a", got)
	}
	if q.Processing() != 0 || q.Len() != 0 {
		t.Fatalf("Processing = %d, Len = %d; want 0, 0", q.Processing(), q.Len())
	}
}

func TestDoneOfAnItemNotProcessingPanics(t *testing.T) {
	q := New[string](sim.NewEngine(1), Config{})
	q.Add("a")
	defer func() {
		if recover() == nil {
			t.Fatal("Done of a queued, not processing item did not panic")
		}
	}()
	q.Done("a")
}

func TestNotifyRunsWhereUpstreamSignals(t *testing.T) {
	q := New[string](sim.NewEngine(1), Config{})
	n := 0
	q.SetNotify(func() { n++ })
	step := func(what string, f func(), want int) {
		t.Helper()
		before := n
		f()
		if n-before != want {
			t.Errorf("%s: notify ran %d times, want %d", what, n-before, want)
		}
	}
	step("Add new", func() { q.Add("a") }, 1)
	step("Add dirty", func() { q.Add("a") }, 0)
	step("Get", func() { q.Get() }, 0)
	step("Add while processing", func() { q.Add("a") }, 0)
	step("Done of a dirty item", func() { q.Done("a") }, 1)
	step("Get", func() { q.Get() }, 0)
	step("Done of a clean item", func() { q.Done("a") }, 0)
	step("ShutDown", func() { q.ShutDown() }, 1)
	step("Add after ShutDown", func() { q.Add("b") }, 0)
}

func TestNotifyMayGetReentrantly(t *testing.T) {
	q := New[int](sim.NewEngine(1), Config{})
	var got []int
	q.SetNotify(func() {
		it, ok := q.Get()
		if !ok {
			return
		}
		got = append(got, it)
		if len(got) < 3 {
			q.Add(it) // re-added while processing: queued by the Done below
			q.Add(it)
		}
		q.Done(it)
	})
	q.Add(7)
	// Done re-queues the dirty item and notifies, which Gets it again, one
	// level deeper: processed once per processing round in which it was
	// re-added, however often.
	if !slices.Equal(got, []int{7, 7, 7}) {
		t.Fatalf("got %v, want [7 7 7]", got)
	}
	if q.Len() != 0 || q.Processing() != 0 {
		t.Fatalf("Len = %d, Processing = %d; want 0, 0", q.Len(), q.Processing())
	}
}

func TestShutDownIgnoresAddsAndDrains(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	q := NewDelaying[string](eng, Config{Name: "q", Recorder: rec})
	q.Add("a")
	q.Add("b")
	q.AddAfter("c", time.Second)
	q.ShutDown()
	if !q.ShuttingDown() {
		t.Fatal("ShuttingDown = false after ShutDown")
	}
	q.Add("d")
	q.AddAfter("e", 0)
	q.AddAfter("f", time.Millisecond)
	if q.Waiting() != 0 {
		t.Fatalf("Waiting = %d after ShutDown; want 0", q.Waiting())
	}
	if err := eng.Run(sim.Time(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := drain(q.Queue); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("drained %v, want [a b]", got)
	}
	if v := rec.Counter("workqueue_retries_total", "name", "q").Value; v != 1 {
		t.Fatalf("workqueue_retries_total = %d, want 1 (AddAfter while shutting down is not counted)", v)
	}
}

func TestMetricsFollowUpstream(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	q := NewDelaying[string](eng, Config{Name: "deployment", Recorder: rec})
	at := func(d time.Duration, f func()) {
		eng.Schedule(sim.Event{At: sim.Time(d), Target: funcHandler(f)})
	}
	at(0, func() { q.Add("a"); q.Add("b"); q.Add("a") })
	at(10*time.Millisecond, func() { q.Get() })                      // a: queued 10ms
	at(15*time.Millisecond, func() { q.Add("a") })                   // while processing: counted, depth 2
	at(40*time.Millisecond, func() { q.Done("a") })                  // a: worked 30ms, re-queued
	at(50*time.Millisecond, func() { q.Get(); q.Get() })             // b: queued 50ms; a: queued 35ms since its re-add
	at(60*time.Millisecond, func() { q.Done("b"); q.Done("a") })     // b: 10ms, a: 10ms
	at(70*time.Millisecond, func() { q.AddAfter("c", time.Second) }) // a retry
	if err := eng.Run(sim.Time(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	name := []string{"name", "deployment"}
	if v := rec.Counter("workqueue_adds_total", name...).Value; v != 4 {
		t.Errorf("workqueue_adds_total = %d, want 4 (a, b, a while processing, c)", v)
	}
	if v := rec.Counter("workqueue_retries_total", name...).Value; v != 1 {
		t.Errorf("workqueue_retries_total = %d, want 1", v)
	}
	g := rec.Gauge("workqueue_depth", name...)
	if g.Peak() != 2 || g.Value() != 1 {
		t.Errorf("workqueue_depth peak %v, last %v; want 2, 1 (c is queued at the end)", g.Peak(), g.Value())
	}
	ms := func(ds ...int) []int64 {
		var out []int64
		for _, d := range ds {
			out = append(out, int64(time.Duration(d)*time.Millisecond))
		}
		return out
	}
	if got, want := rec.Latency("workqueue_queue_duration_seconds", name...).Samples(), ms(10, 50, 35); !slices.Equal(got, want) {
		t.Errorf("queue durations %v, want %v", got, want)
	}
	if got, want := rec.Latency("workqueue_work_duration_seconds", name...).Samples(), ms(30, 10, 10); !slices.Equal(got, want) {
		t.Errorf("work durations %v, want %v", got, want)
	}
}

func TestUnnamedQueueRecordsNothing(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	q := NewDelaying[string](eng, Config{Recorder: rec})
	q.Add("a")
	q.AddAfter("b", 0)
	drain(q.Queue)
	if n := len(rec.Counters()) + len(rec.Gauges()) + len(rec.Latencies()); n != 0 {
		t.Fatalf("an unnamed queue created %d series", n)
	}
}

// funcHandler runs a function as an event handler.
type funcHandler func()

func (f funcHandler) Handle(*sim.Event) { f() }
