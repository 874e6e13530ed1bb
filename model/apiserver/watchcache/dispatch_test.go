package watchcache_test

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/sim"
)

type delivery struct {
	id int32
	at sim.Time
}

type recorder struct{ got []delivery }

func (r *recorder) deliver(w *watchcache.Watcher, at sim.Time) {
	r.got = append(r.got, delivery{w.ID, at})
}

func (r *recorder) of(id int32) []sim.Time {
	var out []sim.Time
	for _, d := range r.got {
		if d.id == id {
			out = append(out, d.at)
		}
	}
	return out
}

func newWatcher(id int32, chanSize int, consume time.Duration) *watchcache.Watcher {
	return watchcache.NewWatcher(0, watchcache.WatcherSpec{ID: id, ChanSize: chanSize, Consume: consume}, 0, 0)
}

// fill offers events at now to w alone until its input channel is full,
// returning the next resource version.
func fill(t *testing.T, d *watchcache.Dispatcher, now sim.Time, rv int64, w *watchcache.Watcher) int64 {
	t.Helper()
	for !w.Full(now) {
		rv++
		if r := d.Dispatch(now, rv, []*watchcache.Watcher{w}, nil); r.Waited != 0 {
			t.Fatalf("fill: blocked at rv %d", rv)
		}
	}
	return rv
}

func TestWatcherFastHandlerNeverBuffers(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	w := newWatcher(1, 10, 0)
	var r recorder
	for i := int64(1); i <= 1000; i++ {
		now := at(time.Duration(i) * time.Microsecond)
		res := d.Dispatch(now, i, []*watchcache.Watcher{w}, r.deliver)
		if res.Delivered != 1 || res.Done != now || w.Buffered(now) != 0 {
			t.Fatalf("event %d: %+v, buffered %d", i, res, w.Buffered(now))
		}
		if got := r.got[len(r.got)-1].at; got != now {
			t.Fatalf("event %d taken at %v, want %v", i, got, now)
		}
	}
}

// TestWatcherPipelineDepth: with channels of 2, the handler holds one event
// and input (2), relay (1) and result (2) hold five more before a
// non-blocking add fails.
func TestWatcherPipelineDepth(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	w := newWatcher(1, 2, 10*ms)
	var r recorder
	var rv int64
	for i := 0; i < 6; i++ {
		rv++
		if res := d.Dispatch(0, rv, []*watchcache.Watcher{w}, r.deliver); res.Waited != 0 {
			t.Fatalf("event %d blocked", rv)
		}
	}
	want := []sim.Time{0, at(10 * ms), at(20 * ms), at(30 * ms), at(40 * ms), at(50 * ms)}
	for i, got := range r.of(1) {
		if got != want[i] {
			t.Fatalf("take times %v, want %v", r.of(1), want)
		}
	}
	if w.Buffered(0) != 5 || w.InputLen(0) != 2 || !w.Full(0) {
		t.Fatalf("buffered %d input %d full %v, want 5 2 true", w.Buffered(0), w.InputLen(0), w.Full(0))
	}
	// At 10ms the handler takes the second event: one slot frees.
	if !w.Full(at(10*ms-1)) || w.Full(at(10*ms)) {
		t.Fatalf("full just before 10ms: %v, at 10ms: %v", w.Full(at(10*ms-1)), w.Full(at(10*ms)))
	}
}

func TestDispatchWaitsWithinBudget(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	now := at(2 * time.Second) // 100ms of budget
	slow := newWatcher(1, 2, 40*ms)
	rv := fill(t, d, now, 0, slow) // takes at 2.00, 2.04, ..., 2.20
	before, after := newWatcher(2, 2, 0), newWatcher(3, 2, 0)
	var r recorder
	res := d.Dispatch(now, rv+1, []*watchcache.Watcher{before, slow, after}, r.deliver)
	// The fast watchers get it in the non-blocking pass, before the wait.
	if got := r.of(2); len(got) != 1 || got[0] != now {
		t.Fatalf("before: %v", got)
	}
	if got := r.of(3); len(got) != 1 || got[0] != now {
		t.Fatalf("after: %v", got)
	}
	// The slow one frees a slot at 2.04 and takes it at 2.24.
	if got := r.of(1); len(got) != 1 || got[0] != now+at(240*ms) {
		t.Fatalf("slow: %v", got)
	}
	if res.Blocked != 40*ms || res.Done != now+at(40*ms) || res.Budget != 100*ms ||
		res.Waited != 1 || res.Terminated != 0 || res.Delivered != 3 {
		t.Fatalf("result %+v", res)
	}
	if got := d.Budget.Available(now); got != 60*ms {
		t.Fatalf("budget after = %v, want 60ms returned", got)
	}
}

// TestDispatchBudgetIsSharedAcrossBlockedWatchers: one timer for all the
// full watchers; time spent on the first is gone for the second.
func TestDispatchBudgetIsSharedAcrossBlockedWatchers(t *testing.T) {
	now := at(2 * time.Second)
	for _, c := range []struct {
		name            string
		consume1        time.Duration // first blocked watcher frees a slot after consume1
		consume2        time.Duration
		blocked         time.Duration
		terminated1, t2 bool
		returned        time.Duration
	}{
		{"both within", 30 * ms, 80 * ms, 80 * ms, false, false, 20 * ms},
		{"second too late", 80 * ms, 150 * ms, 100 * ms, false, true, 0},
		{"first too late, second free by then", 150 * ms, 60 * ms, 100 * ms, true, false, 0},
		{"both too late", 150 * ms, 160 * ms, 100 * ms, true, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
			w1, w2 := newWatcher(1, 2, c.consume1), newWatcher(2, 2, c.consume2)
			rv := fill(t, d, now, 0, w1)
			rv = fill(t, d, now, rv, w2)
			res := d.Dispatch(now, rv+1, []*watchcache.Watcher{w1, w2}, nil)
			if res.Blocked != c.blocked || w1.Terminated() != c.terminated1 || w2.Terminated() != c.t2 {
				t.Fatalf("blocked %v terminated %v %v, want %v %v %v", res.Blocked, w1.Terminated(), w2.Terminated(), c.blocked, c.terminated1, c.t2)
			}
			if got := d.Budget.Available(now); got != c.returned {
				t.Fatalf("budget left %v, want %v", got, c.returned)
			}
			n := 0
			for _, w := range d.Terminated() {
				n++
				if !w.Stopped() {
					t.Fatalf("terminated watcher %d not stopped", w.ID)
				}
			}
			if n != res.Terminated {
				t.Fatalf("Terminated() has %d, result says %d", n, res.Terminated)
			}
		})
	}
}

func TestDispatchWithoutBudgetTerminatesAtOnce(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	w := newWatcher(1, 2, time.Second)
	rv := fill(t, d, 0, 0, w)
	res := d.Dispatch(0, rv+1, []*watchcache.Watcher{w}, nil)
	if res.Terminated != 1 || res.Blocked != 0 || res.Done != 0 || !w.Terminated() {
		t.Fatalf("result %+v, terminated %v", res, w.Terminated())
	}
	// Later dispatches skip it.
	if res := d.Dispatch(at(time.Second), rv+2, []*watchcache.Watcher{w}, nil); res.Delivered != 0 || res.Waited != 0 {
		t.Fatalf("stopped watcher offered: %+v", res)
	}
}

// TestTerminatedWatcherDrainsItsResultChannel: the handler still gets what
// is in the result channel (ChanSize events); the relay's event and the
// input channel are dropped.
func TestTerminatedWatcherDrainsItsResultChannel(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	now := at(2 * time.Second)
	w := newWatcher(1, 2, time.Second)
	var r recorder
	var rv int64
	for !w.Full(now) {
		rv++
		d.Dispatch(now, rv, []*watchcache.Watcher{w}, r.deliver)
	}
	// Taken at 2s (handler), 3s, 4s (result), 5s (relay), 6s, 7s (input).
	res := d.Dispatch(now, rv+1, []*watchcache.Watcher{w}, r.deliver)
	if res.Terminated != 1 || res.Done != now+at(100*ms) {
		t.Fatalf("result %+v", res)
	}
	var delivered []sim.Time
	for _, a := range r.of(1) {
		if w.Delivers(a) {
			delivered = append(delivered, a)
		}
	}
	want := []sim.Time{at(2 * time.Second), at(3 * time.Second), at(4 * time.Second)}
	if len(delivered) != len(want) || delivered[0] != want[0] || delivered[1] != want[1] || delivered[2] != want[2] {
		t.Fatalf("delivered %v, want %v", delivered, want)
	}
	if w.EndsAt() != at(5*time.Second) {
		t.Fatalf("stream ends at %v, want 5s (after the 4s event is written)", w.EndsAt())
	}
}

func TestWatcherCatchUpFillsInputAfterChanSize(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	w := watchcache.NewWatcher(0, watchcache.WatcherSpec{ID: 1, ChanSize: 10, Consume: 10 * ms}, 100, 50)
	if w.InitialAt(0) != 0 || w.InitialAt(49) != at(490*ms) {
		t.Fatalf("catch-up takes %v .. %v", w.InitialAt(0), w.InitialAt(49))
	}
	var r recorder
	rv := int64(100)
	for i := 0; i < 10; i++ {
		rv++
		if res := d.Dispatch(0, rv, []*watchcache.Watcher{w}, r.deliver); res.Waited != 0 {
			t.Fatalf("live event %d blocked", i)
		}
	}
	if !w.Full(0) || w.InputLen(0) != 10 {
		t.Fatalf("input %d after 10 live events during catch-up", w.InputLen(0))
	}
	// Live events follow the catch-up: the first is taken at 500ms.
	if got := r.of(1); got[0] != at(500*ms) || got[9] != at(590*ms) {
		t.Fatalf("live takes %v", got)
	}
	// A slot frees when only ChanSize catch-up events are left to take: at
	// the take of event 39 (390ms), the relay's last catch-up event goes to
	// result and the relay takes a live one from input.
	if w.Full(at(390 * ms)) {
		t.Fatalf("still full at 390ms")
	}
	if !w.Full(at(390*ms - 1)) {
		t.Fatalf("not full just before 390ms")
	}
}

func TestDispatchSkipsEventsNotNewerThanTheWatcher(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	w := watchcache.NewWatcher(0, watchcache.WatcherSpec{ID: 1, ChanSize: 10}, 50, 0)
	var r recorder
	if res := d.Dispatch(0, 50, []*watchcache.Watcher{w}, r.deliver); res.Delivered != 0 || len(r.got) != 0 {
		t.Fatalf("event at the watcher's version delivered: %+v", res)
	}
	if res := d.Dispatch(0, 51, []*watchcache.Watcher{w}, r.deliver); res.Delivered != 1 {
		t.Fatalf("newer event not delivered: %+v", res)
	}
}

func TestBookmarkSkipsFullWatchersWithoutTerminating(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	now := at(2 * time.Second)
	slow, fast := newWatcher(1, 2, time.Second), newWatcher(2, 2, 0)
	rv := fill(t, d, now, 0, slow)
	var r recorder
	if n := d.DispatchBookmark(now, rv+1, []*watchcache.Watcher{slow, fast}, r.deliver); n != 1 {
		t.Fatalf("bookmark taken by %d", n)
	}
	if slow.Stopped() || len(r.of(1)) != 0 || len(r.of(2)) != 1 {
		t.Fatalf("slow stopped %v, deliveries %v", slow.Stopped(), r.got)
	}
	if got := d.Budget.Available(now); got != 100*ms {
		t.Fatalf("budget %v used by a bookmark", got)
	}
}

func TestCloseDropsWhatIsNotTaken(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	w := newWatcher(1, 2, time.Second)
	var r recorder
	for rv := int64(1); rv <= 3; rv++ {
		d.Dispatch(0, rv, []*watchcache.Watcher{w}, r.deliver)
	}
	w.Close(at(1500 * ms))
	got := r.of(1) // 0s, 1s, 2s
	if !w.Delivers(got[0]) || !w.Delivers(got[1]) || w.Delivers(got[2]) || w.Terminated() {
		t.Fatalf("delivers %v %v %v, terminated %v", w.Delivers(got[0]), w.Delivers(got[1]), w.Delivers(got[2]), w.Terminated())
	}
}

func TestDispatchDoesNotAllocate(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	ws := make([]*watchcache.Watcher, 100)
	for i := range ws {
		ws[i] = newWatcher(int32(i), 10, 0)
	}
	ws[50].SetConsume(2 * ms) // buffers one event of each pair, keeps up
	var r recorder
	r.got = make([]delivery, 0, 1<<20)
	deliver := r.deliver
	now, rv := sim.Time(0), int64(0)
	step := func() {
		now += at(6 * ms)
		rv++
		d.Dispatch(now, rv, ws, deliver)
		rv++
		d.Dispatch(now, rv, ws, deliver)
	}
	step()
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Fatalf("Dispatch allocates %.1f per call", allocs)
	}
}

func TestDispatchSlotFreeingAtTheDeadlineIsTaken(t *testing.T) {
	d := watchcache.NewDispatcher(0, watchcache.DefaultConfig())
	now := at(2 * time.Second)
	w := newWatcher(1, 2, 100*ms) // frees a slot at now + 100ms, the deadline
	rv := fill(t, d, now, 0, w)
	res := d.Dispatch(now, rv+1, []*watchcache.Watcher{w}, nil)
	if res.Terminated != 0 || res.Blocked != 100*ms {
		t.Fatalf("result %+v", res)
	}
}
