package sim

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// trace records every event it receives as "time kind a".
type trace struct {
	eng *Engine
	got []string
}

func (t *trace) Handle(ev *Event) {
	t.got = append(t.got, fmt.Sprintf("%d k%d a%d", ev.At, ev.Kind, ev.A))
}

func TestEventsRunInTimePriorityThenScheduleOrder(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	e.Schedule(Event{At: 20, Target: tr, Kind: 1})
	e.Schedule(Event{At: 10, Target: tr, Kind: 2})
	e.Schedule(Event{At: 10, Target: tr, Kind: 3})
	e.ScheduleWithPriority(Event{At: 10, Target: tr, Kind: 4}, PriorityUrgent)
	e.ScheduleWithPriority(Event{At: 10, Target: tr, Kind: 5}, PriorityLate)
	e.Schedule(Event{At: 10, Target: tr, Kind: 6})
	if err := e.Run(100); err != nil {
		t.Fatal(err)
	}
	want := []string{"10 k4 a0", "10 k2 a0", "10 k3 a0", "10 k6 a0", "10 k5 a0", "20 k1 a0"}
	if !slices.Equal(tr.got, want) {
		t.Fatalf("order:\n got %v\nwant %v", tr.got, want)
	}
	if e.Now() != 100 {
		t.Fatalf("clock after Run(100) = %d, want 100", e.Now())
	}
}

func TestManyEqualTimeEventsStayFIFO(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	for i := 0; i < 1000; i++ {
		e.Schedule(Event{At: Time(i % 7), Target: tr, A: int64(i)})
	}
	_ = e.Run(10)
	last := map[int64]int64{}
	for _, g := range tr.got {
		var at, k, a int64
		fmt.Sscanf(g, "%d k%d a%d", &at, &k, &a)
		if prev, ok := last[at]; ok && a < prev {
			t.Fatalf("at %d: %d ran after %d", at, a, prev)
		}
		last[at] = a
	}
	if len(tr.got) != 1000 {
		t.Fatalf("ran %d events, want 1000", len(tr.got))
	}
}

func TestRunStopsAtUntilAndResumes(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	e.Schedule(Event{At: 5, Target: tr})
	e.Schedule(Event{At: 15, Target: tr})
	_ = e.Run(10)
	if len(tr.got) != 1 || e.Now() != 10 {
		t.Fatalf("after Run(10): %v at %d", tr.got, e.Now())
	}
	_ = e.Run(20)
	if len(tr.got) != 2 {
		t.Fatalf("after Run(20): %v", tr.got)
	}
}

func TestEventCap(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	for i := 0; i < 10; i++ {
		e.Schedule(Event{At: Time(i), Target: tr})
	}
	e.SetMaxEvents(4)
	if err := e.Run(100); !errors.Is(err, ErrEventCap) {
		t.Fatalf("Run with cap: err %v, want ErrEventCap", err)
	}
	if len(tr.got) != 4 || e.Processed() != 4 {
		t.Fatalf("processed %d (%d handled), want 4", e.Processed(), len(tr.got))
	}
}

func TestSchedulingInThePastPanics(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	e.Schedule(Event{At: 10, Target: tr})
	_ = e.Run(10)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an event in the past")
		}
	}()
	e.Schedule(Event{At: 5, Target: tr})
}

func TestTimerResetAndStop(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	tm := e.NewTimer(tr, 7)
	tm.Reset(10)
	tm.Reset(30) // replaces the arming at 10
	other := e.NewTimer(tr, 8)
	other.Reset(20)
	if !other.Stop() || other.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	_ = e.Run(25)
	if len(tr.got) != 0 {
		t.Fatalf("cancelled or replaced timers fired: %v", tr.got)
	}
	if !tm.Active() || tm.When() != 30 {
		t.Fatalf("timer active=%v when=%d, want armed at 30", tm.Active(), tm.When())
	}
	_ = e.Run(40)
	if !slices.Equal(tr.got, []string{"30 k7 a0"}) || tm.Active() {
		t.Fatalf("got %v active=%v", tr.got, tm.Active())
	}
	if e.Processed() != 1 {
		t.Fatalf("cancelled timers counted as processed: %d", e.Processed())
	}
}

// rearm re-arms its own timer from inside Handle, the shape of every periodic loop.
type rearm struct {
	tm    *Timer
	fires []Time
	eng   *Engine
}

func (r *rearm) Handle(ev *Event) {
	r.fires = append(r.fires, ev.At)
	r.tm.Reset(10 * time.Nanosecond)
}

func TestTimerRearmedFromItsOwnEvent(t *testing.T) {
	e := NewEngine(1)
	r := &rearm{eng: e}
	r.tm = e.NewTimer(r, 0)
	r.tm.Reset(10)
	_ = e.Run(45)
	if !slices.Equal(r.fires, []Time{10, 20, 30, 40}) {
		t.Fatalf("fires %v", r.fires)
	}
}

func TestSlotsAreReused(t *testing.T) {
	e := NewEngine(1)
	r := &rearm{eng: e}
	r.tm = e.NewTimer(r, 0)
	r.tm.Reset(10)
	_ = e.Run(100000)
	if len(e.slots) > 2 {
		t.Fatalf("a single periodic timer used %d slots", len(e.slots))
	}
}

func TestTimeString(t *testing.T) {
	got := Time(3*time.Hour + 2*time.Minute + 5*time.Second + 250*time.Millisecond).String()
	if got != "T+03:02:05.250" {
		t.Fatalf("got %q", got)
	}
	if got := Time(-1500 * time.Millisecond).String(); got != "T-00:00:01.500" {
		t.Fatalf("negative time: got %q", got)
	}
}

type nop struct{ n int }

func (h *nop) Handle(*Event) { h.n++ }

// BenchmarkEngineScheduleAndPop measures the raw engine: one schedule and one
// pop per iteration with 10,000 events pending, the order of the 5000-node
// scenario's queue.
func BenchmarkEngineScheduleAndPop(b *testing.B) {
	e := NewEngine(1)
	h := &nop{}
	r := NewRand(1, "bench")
	const pending = 10000
	for i := 0; i < pending; i++ {
		e.Schedule(Event{At: Time(r.IntN(1e9)), Target: h})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Schedule(Event{At: e.now + Time(r.IntN(1e9)), Target: h})
		e.Run(e.heap[0].at())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
