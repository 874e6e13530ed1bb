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

// rescheduler handles an event by scheduling the next one up to a second
// ahead: the steady state of a simulation whose queue holds `pending` events.
type rescheduler struct {
	e *Engine
	r *Rand
}

func (h *rescheduler) Handle(*Event) {
	h.e.Schedule(Event{At: h.e.Now().Add(time.Duration(h.r.IntN(1e9))), Target: h})
}

// BenchmarkEngineScheduleAndPop measures the raw engine: one pop and one
// schedule per event with 10,000 events pending over the next second, the
// order of the 5000-node scenario's queue.
func BenchmarkEngineScheduleAndPop(b *testing.B) {
	e := NewEngine(1)
	h := &rescheduler{e: e, r: NewRand(1, "bench")}
	for i := 0; i < 10000; i++ {
		e.Schedule(Event{At: Time(h.r.IntN(1e9)), Target: h})
	}
	e.SetMaxEvents(uint64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	if err := e.Run(MaxTime); err != nil && !errors.Is(err, ErrEventCap) {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// order records (time, priority, schedule index, last index issued) of each
// event it handles, and schedules more events from inside Handle.
type order struct {
	e      *Engine
	r      *Rand
	next   int64
	got    [][4]int64
	budget int
}

func (o *order) Handle(ev *Event) {
	o.got = append(o.got, [4]int64{int64(ev.At), ev.B, ev.A, o.next})
	for i := 0; i < 2 && o.budget > 0; i++ {
		o.budget--
		o.schedule(o.e.Now())
	}
}

var horizons = []time.Duration{0, time.Microsecond, time.Millisecond, 200 * time.Millisecond, 10 * time.Second, 5 * time.Minute, 30 * time.Minute}

func (o *order) schedule(now Time) {
	at := now.Add(time.Duration(o.r.IntN(int(horizons[o.r.IntN(len(horizons))]) + 1)))
	prio := []int8{PriorityUrgent, PriorityDefault, PriorityLate}[o.r.IntN(3)]
	o.next++
	o.e.ScheduleWithPriority(Event{At: at, Target: o, A: o.next, B: int64(prio)}, prio)
}

// TestRandomScheduleRunsInKeyOrder checks the (time, priority, schedule
// order) contract on random workloads, with events from nanoseconds to half
// an hour ahead and events scheduled while running.
func TestRandomScheduleRunsInKeyOrder(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		e := NewEngine(seed)
		o := &order{e: e, r: NewRand(seed, "order"), budget: 20000}
		for i := 0; i < 5000; i++ {
			o.schedule(0)
		}
		_ = e.Run(Time(10 * time.Hour))
		if len(o.got) != 25000 {
			t.Fatalf("seed %d: ran %d events, want 25000", seed, len(o.got))
		}
		for i := 1; i < len(o.got); i++ {
			a, b := o.got[i-1], o.got[i]
			if a[0] > b[0] {
				t.Fatalf("seed %d: time went back from %v to %v", seed, a, b)
			}
			// Of two events pending together, the one with the smaller
			// (time, priority, schedule order) runs first. (An event
			// scheduled for now after others at now ran cannot precede them.)
			pendingTogether := b[2] <= a[3]
			if pendingTogether && a[0] == b[0] && (a[1] > b[1] || a[1] == b[1] && a[2] > b[2]) {
				t.Fatalf("seed %d: event %v ran before %v", seed, a, b)
			}
		}
	}
}

// stopper stops the engine from inside its handler.
type stopper struct {
	e   *Engine
	ran int
}

func (s *stopper) Handle(*Event) {
	s.ran++
	s.e.Stop()
}

func TestStopEndsRunAfterTheCurrentEventAndRunResumes(t *testing.T) {
	e := NewEngine(1)
	s := &stopper{e: e}
	for i := 1; i <= 3; i++ {
		e.Schedule(Event{At: Time(i * 10), Target: s})
	}
	_ = e.Run(100)
	if s.ran != 1 || e.Now() != 10 {
		t.Fatalf("after Stop: ran %d, clock %d; want 1 event, clock left at 10", s.ran, e.Now())
	}
	_ = e.Run(100)
	if s.ran != 2 {
		t.Fatalf("resumed run handled %d events in all, want 2", s.ran)
	}
}

func TestProgressIsCalledEveryNEvents(t *testing.T) {
	e := NewEngine(1)
	tr := &trace{eng: e}
	for i := 0; i < 10; i++ {
		e.Schedule(Event{At: Time(i), Target: tr})
	}
	var calls []uint64
	e.SetProgress(4, func(_ Time, processed uint64) { calls = append(calls, processed) })
	_ = e.Run(100)
	if !slices.Equal(calls, []uint64{4, 8}) {
		t.Fatalf("progress calls %v, want [4 8]", calls)
	}
}

// refQueue is the engine's contract in its plainest form: a list scanned
// for the smallest (time, priority, schedule order).
type refQueue struct {
	items []refItem
	seq   int64
}

type refItem struct {
	at   Time
	prio int8
	seq  int64
	id   int64
}

func (q *refQueue) add(at Time, prio int8, id int64) {
	q.seq++
	q.items = append(q.items, refItem{at, prio, q.seq, id})
}

// remove drops the latest item with id (a timer's current arming).
func (q *refQueue) remove(id int64) {
	for i := len(q.items) - 1; i >= 0; i-- {
		if it := q.items[i]; it.id == id {
			q.items = append(q.items[:i], q.items[i+1:]...)
			return
		}
	}
}

func (q *refQueue) pop() refItem {
	m := 0
	for i, it := range q.items {
		b := q.items[m]
		if it.at < b.at || it.at == b.at && (it.prio < b.prio || it.prio == b.prio && it.seq < b.seq) {
			m = i
		}
	}
	it := q.items[m]
	q.items = append(q.items[:m], q.items[m+1:]...)
	return it
}

// workload schedules events from nanoseconds to an hour ahead, with quiet
// stretches, and re-arms a few timers, both on the engine and on refQueue.
type workload struct {
	e      *Engine
	r      *Rand
	ref    *refQueue
	timers []*Timer
	next   int64
	budget int
	ran    int
	bad    string // the first event that ran out of the reference's order
}

var workloadHorizons = []time.Duration{0, time.Microsecond, time.Millisecond, 5 * time.Millisecond, 200 * time.Millisecond, 10 * time.Second, 17 * time.Second, 18 * time.Second, 5 * time.Minute, time.Hour}

func (w *workload) Handle(ev *Event) {
	w.ran++
	if want := w.ref.pop(); (want.id != ev.A || want.at != w.e.Now()) && w.bad == "" {
		w.bad = fmt.Sprintf("event %d: ran %d at %v, reference %d at %v", w.ran, ev.A, w.e.Now(), want.id, want.at)
	}
	for i := 0; i < 2 && w.budget > 0; i++ {
		w.budget--
		w.schedule()
	}
}

func (w *workload) schedule() {
	now := w.e.Now()
	d := time.Duration(w.r.IntN(int(workloadHorizons[w.r.IntN(len(workloadHorizons))]) + 1))
	if w.r.IntN(8) == 0 {
		// Re-arm a timer: its earlier arming is cancelled.
		i := w.r.IntN(len(w.timers))
		t := w.timers[i]
		id := int64(-1 - i)
		if t.Active() {
			w.ref.remove(id)
		}
		t.Reset(d)
		w.ref.add(now.Add(d), PriorityDefault, id)
		return
	}
	prio := []int8{PriorityUrgent, PriorityDefault, PriorityLate}[w.r.IntN(3)]
	w.next++
	w.e.ScheduleWithPriority(Event{At: now.Add(d), Target: w, A: w.next}, prio)
	w.ref.add(now.Add(d), prio, w.next)
}

// TestTieredQueueMatchesReference runs random workloads — events across
// the heap, the ring and far tiers, long quiet gaps, timers re-armed and
// Run stopping at arbitrary times — and checks the engine runs them in
// exactly the order of the plain reference queue.
func TestTieredQueueMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		e := NewEngine(seed)
		w := &workload{e: e, r: NewRand(seed, "tiers"), ref: &refQueue{}, budget: 30000}
		for i := 0; i < 8; i++ {
			tm := e.NewTimer(w, 0)
			tm.SetArg(int64(-1 - i))
			w.timers = append(w.timers, tm)
		}
		for i := 0; i < 3000; i++ {
			w.schedule()
		}
		for until := Time(0); e.Pending() > 0; until = until.Add(time.Duration(w.r.IntN(int(2 * time.Minute)))) {
			_ = e.Run(until)
		}
		if w.bad != "" || len(w.ref.items) > 0 || w.ran < 25000 {
			t.Fatalf("seed %d: %d events ran, %d left in the reference; %s", seed, w.ran, len(w.ref.items), w.bad)
		}
	}
}
