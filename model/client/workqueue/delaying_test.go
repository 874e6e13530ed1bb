package workqueue

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// added is an item and the virtual time it reached the queue.
type added[T any] struct {
	at   time.Duration
	item T
}

// takeOnNotify makes q's owner take each item as soon as it is queued and
// finish it at once, logging when.
func takeOnNotify[T comparable](eng *sim.Engine, q *Queue[T]) *[]added[T] {
	log := &[]added[T]{}
	q.SetNotify(func() {
		for {
			it, ok := q.Get()
			if !ok {
				return
			}
			*log = append(*log, added[T]{eng.Now().Duration(), it})
			q.Done(it)
		}
	})
	return log
}

func TestAddAfterAddsInReadyTimeOrder(t *testing.T) {
	eng := sim.NewEngine(1)
	q := NewDelaying[string](eng, Config{})
	log := takeOnNotify(eng, q.Queue)
	ms := time.Millisecond
	q.AddAfter("c", 30*ms)
	q.AddAfter("a", 10*ms)
	q.AddAfter("b", 20*ms)
	q.AddAfter("d", 10*ms) // ties with a: a started waiting first
	q.AddAfter("now", 0)   // no delay: added at once
	if q.Waiting() != 4 {
		t.Fatalf("Waiting = %d, want 4", q.Waiting())
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []added[string]{{0, "now"}, {10 * ms, "a"}, {10 * ms, "d"}, {20 * ms, "b"}, {30 * ms, "c"}}
	if !slices.Equal(*log, want) {
		t.Fatalf("got %v\nwant %v", *log, want)
	}
	if q.Waiting() != 0 {
		t.Fatalf("Waiting = %d after all were due", q.Waiting())
	}
}

func TestAddAfterKeepsTheEarliestReadyTime(t *testing.T) {
	eng := sim.NewEngine(1)
	q := NewDelaying[string](eng, Config{})
	log := takeOnNotify(eng, q.Queue)
	ms := time.Millisecond
	q.AddAfter("x", 50*ms)
	q.AddAfter("y", 30*ms)
	q.AddAfter("x", 20*ms)  // earlier: x moves ahead of y
	q.AddAfter("x", 100*ms) // later: ignored
	eng.Schedule(sim.Event{At: sim.Time(10 * ms), Target: funcHandler(func() {
		q.AddAfter("y", 25*ms) // ready at 35ms: later than 30ms, ignored
		q.AddAfter("x", 5*ms)  // ready at 15ms: earlier, taken
	})})
	if q.Waiting() != 2 {
		t.Fatalf("Waiting = %d, want 2 (one entry per item)", q.Waiting())
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []added[string]{{15 * ms, "x"}, {30 * ms, "y"}}
	if !slices.Equal(*log, want) {
		t.Fatalf("got %v\nwant %v: each item added once, at its earliest ready time", *log, want)
	}
}

func TestAddAfterOfAQueuedItemDedupsWhenDue(t *testing.T) {
	eng := sim.NewEngine(1)
	q := NewDelaying[string](eng, Config{})
	q.Add("a")
	q.AddAfter("a", time.Millisecond) // waiting and queued at once
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 1 {
		t.Fatalf("Len = %d, want 1: the delayed Add of a dirty item is a no-op", q.Len())
	}
	// Being processed when it comes due: it is queued again after Done.
	q.Get()
	q.AddAfter("a", time.Millisecond)
	if err := eng.Run(sim.Time(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 0 {
		t.Fatalf("Len = %d while a is processing, want 0", q.Len())
	}
	q.Done("a")
	if q.Len() != 1 {
		t.Fatalf("Len = %d after Done, want 1", q.Len())
	}
}

func TestAddAfterBeyondTheHorizonWaitsForever(t *testing.T) {
	eng := sim.NewEngine(1)
	q := NewDelaying[string](eng, Config{})
	q.AddAfter("never", time.Duration(math.MaxInt64)) // what an empty bucket's InfDuration asks for
	q.AddAfter("soon", time.Second)
	if err := eng.Run(sim.MaxTime); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 1 || q.Waiting() != 1 || eng.Pending() != 0 {
		t.Fatalf("Len %d, Waiting %d, engine pending %d; want 1, 1, 0", q.Len(), q.Waiting(), eng.Pending())
	}
}

func TestOneTimerForTheQueue(t *testing.T) {
	eng := sim.NewEngine(1)
	q := NewDelaying[int](eng, Config{})
	for i := range 1000 {
		q.AddAfter(i, time.Duration(i+1)*time.Millisecond)
	}
	if n := eng.Pending(); n != 1 {
		t.Fatalf("engine holds %d events for 1000 waiting items, want 1 timer", n)
	}
	if err := eng.Run(sim.Time(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if p := eng.Processed(); p != 1000 {
		t.Fatalf("engine processed %d events, want 1000 (one firing per distinct ready time)", p)
	}
	got := drain(q.Queue)
	for i, it := range got {
		if it != i {
			t.Fatalf("item %d came out at position %d", it, i)
		}
	}
	if len(got) != 1000 {
		t.Fatalf("drained %d items, want 1000", len(got))
	}
}

// Discard drops every item, waiting, queued or being processed, and leaves
// the queue shut down with its depth gauge at 0.
func TestDiscardForgetsEverything(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	q := NewDelaying[int](eng, Config{Name: "q", Recorder: rec})
	notified := 0
	q.SetNotify(func() { notified++ })
	q.Add(1)
	q.Add(2)
	q.Add(3)
	if it, ok := q.Get(); !ok || it != 1 {
		t.Fatalf("Get = %v, %v", it, ok)
	}
	q.AddAfter(4, time.Second)
	before := notified
	q.Discard()
	if notified != before {
		t.Fatal("Discard notified")
	}
	if q.Len() != 0 || q.Processing() != 0 || q.Waiting() != 0 || !q.ShuttingDown() {
		t.Fatalf("after Discard: len %d, processing %d, waiting %d, shutting down %v", q.Len(), q.Processing(), q.Waiting(), q.ShuttingDown())
	}
	if d := rec.Gauge("workqueue_depth", "name", "q").Value(); d != 0 {
		t.Fatalf("depth %v after Discard", d)
	}
	if err := eng.Run(sim.Time(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok := q.Get(); ok || q.Len() != 0 {
		t.Fatal("the waiting item came back after Discard")
	}
	q.Add(5)
	if q.Len() != 0 {
		t.Fatal("Add after Discard queued an item")
	}
}
