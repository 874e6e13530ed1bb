package sim

import (
	"slices"
	"testing"
	"time"
)

// waiter has requests that complete (die) at given times.
type waiter struct {
	eng     *Engine
	doneAt  map[int64]Time // request → when its response arrived
	expired []string
}

func (w *waiter) Live(_ int32, a int64, _ any) bool {
	d, ok := w.doneAt[a]
	return !ok || d > w.eng.Now()
}

func (w *waiter) Handle(ev *Event) {
	w.expired = append(w.expired, time.Duration(ev.At).String()+"#"+string(rune('0'+ev.A)))
}

func TestDeadlineQueueDeliversOnlyLiveEntriesOnTime(t *testing.T) {
	e := NewEngine(1)
	w := &waiter{eng: e, doneAt: map[int64]Time{1: Time(time.Second), 3: Time(12 * time.Second)}}
	q := e.DeadlineQueue(10 * time.Second)
	adder := &adder{q: q, w: w}
	// Requests 1..4 sent at 0s, 2s, 4s, 6s; 1 and 3 get answered in time.
	for i, at := range []time.Duration{0, 2 * time.Second, 4 * time.Second, 6 * time.Second} {
		e.Schedule(Event{At: Time(at), Target: adder, A: int64(i + 1)})
	}
	_ = e.Run(Time(time.Minute))
	want := []string{"12s#2", "16s#4"}
	if !slices.Equal(w.expired, want) {
		t.Fatalf("expired %v, want %v", w.expired, want)
	}
	if q.Len() != 0 {
		t.Fatalf("%d entries left", q.Len())
	}
	if e.DeadlineQueue(10*time.Second) != q {
		t.Fatal("queues are shared per delay")
	}
}

type adder struct {
	q *DeadlineQueue
	w *waiter
}

func (a *adder) Handle(ev *Event) { a.q.Add(a.w, 0, ev.A, nil) }

func TestDeadlineQueueSkipsDeadEntriesWithoutWaking(t *testing.T) {
	e := NewEngine(1)
	w := &waiter{eng: e, doneAt: map[int64]Time{}}
	q := e.DeadlineQueue(10 * time.Second)
	ad := &adder{q: q, w: w}
	// 1000 requests, one every 10ms, each answered 1ms after it was sent.
	for i := 0; i < 1000; i++ {
		at := Time(time.Duration(i) * 10 * time.Millisecond)
		w.doneAt[int64(i)] = at + Time(time.Millisecond)
		e.Schedule(Event{At: at, Target: ad, A: int64(i)})
	}
	_ = e.Run(Time(time.Minute))
	if len(w.expired) != 0 {
		t.Fatalf("dead entries expired: %v", w.expired)
	}
	// 1000 adds plus a handful of queue wake-ups, not 1000 timeouts.
	if e.Processed() > 1010 {
		t.Fatalf("processed %d events", e.Processed())
	}
}
