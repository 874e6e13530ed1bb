package informer

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

func TestListThenWatchNotifiesInOrder(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 1, 2) // resource versions 1, 2, 3
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	a, b := &logger{eng: e.Eng}, &logger{eng: e.Eng}
	ra := o.inf.AddEventHandler(a, HandlerOptions{Name: "a"})
	o.inf.AddEventHandler(b, HandlerOptions{Name: "b"})
	o.inf.Start()
	var before, after [2]bool
	e.At(2*ms, func() { before = [2]bool{o.inf.HasSynced(), ra.HasSynced()} })
	e.At(4*ms, func() { after = [2]bool{o.inf.HasSynced(), ra.HasSynced()} })
	e.Write(10*ms, api.Update, 1, 50)
	e.Write(20*ms, api.Create, 5, 60)
	e.Write(30*ms, api.Delete, 0, 0)
	e.Write(40*ms, api.Delete, 9, 0) // 404: nothing to tell
	e.Run(t, time.Second)

	// The list (sent at 0, served from the cache at 2ms) arrives at 3ms.
	want := []string{
		"3ms add-initial 0@1", "3ms add-initial 1@2", "3ms add-initial 2@3",
		"17ms update 1@2→ 1@4",
		"27ms add 5@5",
		"37ms delete 0@6",
	}
	wantLog(t, "handler a", a.log, want...)
	wantLog(t, "handler b", b.log, want...)
	if before != [2]bool{false, false} || after != [2]bool{true, true} {
		t.Fatalf("HasSynced (informer, handler) at 2ms %v, at 4ms %v", before, after)
	}
	if o.inf.Len() != 3 {
		t.Fatalf("Len %d, want 3", o.inf.Len())
	}
	for id, want := range map[int32]int64{0: -1, 1: 4, 2: 3, 5: 5, 9: -1} {
		got, ok := o.inf.Get(id)
		if (want < 0) == ok || ok && got.ResourceVersion != want {
			t.Errorf("Get(%d) = %+v, %v; want rv %d", id, got, ok, want)
		}
	}
	if n := e.Rec.Counter("informer_handler_notifications_total", "informer", "cm", "handler", "a").Value; n != 6 {
		t.Errorf("notifications %d, want 6", n)
	}
	for _, lag := range e.Rec.Latency("informer_handler_lag_seconds", "informer", "cm", "handler", "a").Samples() {
		if lag != 0 {
			t.Fatalf("a handler without handling time lagged %v", time.Duration(lag))
		}
	}
	if e.Writer.Codes[3] != api.NotFound {
		t.Fatalf("writer codes %v", e.Writer.Codes)
	}
}

func TestSlowHandlerBuildsLagWithoutDropping(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 1, 2, 3, 4)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	fast, slow := &logger{eng: e.Eng}, &logger{eng: e.Eng}
	o.inf.AddEventHandler(fast, HandlerOptions{Name: "fast"})
	rs := o.inf.AddEventHandler(slow, HandlerOptions{Name: "slow", HandlingTime: sim.Constant(10 * ms)})
	o.inf.Start()
	// The initial list takes the slow handler 50ms: it is not synced until then.
	var synced []bool
	for _, d := range []time.Duration{4 * ms, 52 * ms, 53*ms + 1} {
		e.At(d, func() { synced = append(synced, rs.HasSynced()) })
	}
	// Five updates sent together at 100ms: the first arrives alone at 107ms
	// (it started a commit by itself), the other four at 109ms.
	for id := range int32(5) {
		e.Write(100*ms, api.Update, id, 7)
	}
	var pending []int
	var lag time.Duration
	e.At(109*ms+1, func() { pending = append(pending, rs.Pending()); lag = rs.Lag() })
	e.At(150*ms, func() { pending = append(pending, rs.Pending()) })
	e.Run(t, time.Second)

	if !slices.Equal(synced, []bool{false, false, true}) {
		t.Fatalf("slow handler synced at 4ms, 52ms, 53ms+1ns: %v", synced)
	}
	wantLog(t, "fast", fast.log,
		"3ms add-initial 0@1", "3ms add-initial 1@2", "3ms add-initial 2@3", "3ms add-initial 3@4", "3ms add-initial 4@5",
		"107ms update 0@1→ 0@6",
		"109ms update 1@2→ 1@7", "109ms update 2@3→ 2@8", "109ms update 3@4→ 3@9", "109ms update 4@5→ 4@10")
	// Every notification reaches the slow handler, 10ms apart, in order.
	wantLog(t, "slow", slow.log,
		"13ms add-initial 0@1", "23ms add-initial 1@2", "33ms add-initial 2@3", "43ms add-initial 3@4", "53ms add-initial 4@5",
		"117ms update 0@1→ 0@6",
		"127ms update 1@2→ 1@7", "137ms update 2@3→ 2@8", "147ms update 3@4→ 3@9", "157ms update 4@5→ 4@10")
	if !slices.Equal(pending, []int{5, 1}) || lag != 2*ms+1 {
		t.Fatalf("pending %v (want [5 1]), lag at 109ms %v (want 2ms)", pending, lag)
	}
	lags := e.Rec.Latency("informer_handler_lag_seconds", "informer", "cm", "handler", "slow").Samples()
	wantLags := []int64{10, 20, 30, 40, 50, 10, 18, 28, 38, 48}
	for i := range wantLags {
		wantLags[i] *= int64(ms)
	}
	if !slices.Equal(lags, wantLags) {
		t.Fatalf("slow lags %v, want %v", lags, wantLags)
	}
	if g := e.Rec.Gauge("informer_handler_pending", "informer", "cm", "handler", "slow"); g.Peak() != 5 || g.Value() != 0 {
		t.Fatalf("pending gauge peak %v now %v", g.Peak(), g.Value())
	}
}

// resyncLog counts OnUpdate(obj, obj) calls per time: resyncs.
type resyncLog struct {
	eng   *sim.Engine
	times []time.Duration
	other int
}

func (r *resyncLog) OnAdd(api.Object, bool) { r.other++ }
func (r *resyncLog) OnDelete(api.Object)    { r.other++ }
func (r *resyncLog) OnUpdate(old, obj api.Object) {
	if old != obj {
		r.other++
		return
	}
	if n := len(r.times); n == 0 || r.times[n-1] != r.eng.Now().Duration() {
		r.times = append(r.times, r.eng.Now().Duration())
	}
}

func TestResyncFollowsTheCheckPeriod(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 1)
	// Default 5s; handler b asks 2s before the start, which lowers the check
	// period to 2s. a keeps 5s, which is due at checks 6.003s and 12.003s.
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: 5 * time.Second})
	a, b, c := &resyncLog{eng: e.Eng}, &resyncLog{eng: e.Eng}, &resyncLog{eng: e.Eng}
	o.inf.AddEventHandler(a, HandlerOptions{Name: "a"})
	o.inf.AddEventHandlerWithResyncPeriod(b, 2*time.Second, HandlerOptions{Name: "b"})
	o.inf.AddEventHandlerWithResyncPeriod(c, 0, HandlerOptions{Name: "c"})
	o.inf.Start()
	e.Run(t, 13*time.Second)
	if o.inf.ResyncCheckPeriod() != 2*time.Second {
		t.Fatalf("check period %v", o.inf.ResyncCheckPeriod())
	}
	// The list arrives at 3ms; the resync timer restarts then.
	s := func(sec int) time.Duration { return time.Duration(sec)*time.Second + 3*ms }
	if !slices.Equal(a.times, []time.Duration{s(6), s(12)}) {
		t.Errorf("a resynced at %v", a.times)
	}
	if !slices.Equal(b.times, []time.Duration{s(2), s(4), s(6), s(8), s(10), s(12)}) {
		t.Errorf("b resynced at %v", b.times)
	}
	if len(c.times) != 0 || a.other != 2 || b.other != 2 || c.other != 2 {
		t.Errorf("c resynced at %v; other calls a %d b %d c %d", c.times, a.other, b.other, c.other)
	}
	if n := e.Rec.Counter("informer_resyncs_total", "informer", "cm").Value; n != 6 {
		t.Errorf("informer_resyncs_total %d, want 6", n)
	}
	// Each resync delivers every cached object.
	if n := e.Rec.Counter("informer_handler_notifications_total", "informer", "cm", "handler", "b").Value; n != 2+6*2 {
		t.Errorf("b notifications %d", n)
	}
}

func TestResyncPeriodAdjustments(t *testing.T) {
	e := newEnv(1)
	e.seed(0)
	// No informer resync: no handler resyncs, whatever it asks.
	o2 := e.newOwner("zero", Config{Name: "zero", Resource: api.ConfigMaps, Selector: -1})
	r0 := o2.inf.AddEventHandlerWithResyncPeriod(&resyncLog{eng: e.Eng}, 10*time.Second, HandlerOptions{})
	if r0.ResyncPeriod() != 0 || o2.inf.ResyncCheckPeriod() != 0 {
		t.Fatalf("with resync 0: handler period %v, check %v; want 0, 0", r0.ResyncPeriod(), o2.inf.ResyncCheckPeriod())
	}
	// Below the minimum: raised to 1s, and the check period follows before the start.
	o3 := e.newOwner("min", Config{Name: "min", Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: time.Minute})
	r1 := o3.inf.AddEventHandlerWithResyncPeriod(&resyncLog{eng: e.Eng}, 100*ms, HandlerOptions{})
	if r1.ResyncPeriod() != time.Second || o3.inf.ResyncCheckPeriod() != time.Second {
		t.Fatalf("100ms: handler %v check %v; want 1s, 1s", r1.ResyncPeriod(), o3.inf.ResyncCheckPeriod())
	}
	// After the start, a shorter period is raised to the check period.
	o4 := e.newOwner("late", Config{Name: "late", Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: 30 * time.Second})
	o4.inf.Start()
	r2 := o4.inf.AddEventHandlerWithResyncPeriod(&resyncLog{eng: e.Eng}, 5*time.Second, HandlerOptions{})
	if r2.ResyncPeriod() != 30*time.Second || o4.inf.ResyncCheckPeriod() != 30*time.Second {
		t.Fatalf("late 5s: handler %v check %v; want 30s, 30s", r2.ResyncPeriod(), o4.inf.ResyncCheckPeriod())
	}
	// KCM's factory period lies in [12h, 24h).
	r := e.Eng.Rand("kcm")
	for range 100 {
		if p := KCMResyncPeriod(r); p < 12*time.Hour || p >= 24*time.Hour {
			t.Fatalf("KCMResyncPeriod %v", p)
		}
	}
}

func TestRelistAfterBrokenWatch(t *testing.T) {
	e := newEnv(3)
	e.seed(0, 1, 2) // rv 1, 2, 3
	// a resyncs every second, so at each check it is in the resyncing set;
	// b (10s) is not after the first check at 1.003s. A relist's unchanged
	// objects are syncs: only a gets them.
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: time.Second})
	a, b := &logger{eng: e.Eng}, &logger{eng: e.Eng}
	o.inf.AddEventHandler(a, HandlerOptions{Name: "a"})
	o.inf.AddEventHandlerWithResyncPeriod(b, 10*time.Second, HandlerOptions{Name: "b"})
	o.inf.Start()
	// At 1.5s the server ends the watch; while the informer is away, object 1
	// changes, 2 is deleted and 7 created.
	e.At(1500*ms, func() { e.Net.CloseStream(o.streams[0], e.Srv.Endpoint()) })
	e.Write(1600*ms, api.Update, 1, 11)
	e.Write(1610*ms, api.Delete, 2, 0)
	e.Write(1620*ms, api.Create, 7, 77)
	e.Run(t, 3*time.Second+500*ms)
	if len(o.streams) != 2 {
		t.Fatalf("watch streams %v, want a second one after the relist", o.streams)
	}
	// The relist comes after the reflector's backoff; find its time from b,
	// which hears only real changes.
	if len(b.log) != 3+3 {
		t.Fatalf("b got %v", b.log)
	}
	var relist string
	fmt.Sscan(b.log[3], &relist)
	wantLog(t, "b", b.log[3:],
		relist+" update 1@2→ 1@4",
		relist+" add 7@6",
		relist+" delete 2@3")
	// a hears the same, plus the unchanged object 0 in list order.
	var got []string
	for _, l := range a.log {
		if len(l) > len(relist) && l[:len(relist)+1] == relist+" " {
			got = append(got, l)
		}
	}
	wantLog(t, "a at the relist", got,
		relist+" update 0@1→ 0@1",
		relist+" update 1@2→ 1@4",
		relist+" add 7@6",
		relist+" delete 2@3")
	if _, ok := o.inf.Get(2); ok || o.inf.Len() != 3 || !o.inf.HasSynced() {
		t.Fatalf("cache after relist: len %d, synced %v", o.inf.Len(), o.inf.HasSynced())
	}
}

func TestLateHandlerGetsInitialAdds(t *testing.T) {
	e := newEnv(1)
	e.seed(3, 1)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	o.inf.Start()
	late := &logger{eng: e.Eng}
	var r *Registration
	e.At(50*ms, func() {
		r = o.inf.AddEventHandler(late, HandlerOptions{Name: "late", HandlingTime: sim.Constant(ms)})
	})
	var synced []bool
	// Just after each handling time ends.
	e.At(51*ms+1, func() { synced = append(synced, r.HasSynced()) })
	e.At(52*ms+1, func() { synced = append(synced, r.HasSynced()) })
	e.Run(t, time.Second)
	// In ID order, with isInInitialList true, as upstream's late join.
	wantLog(t, "late", late.log, "51ms add-initial 1@2", "52ms add-initial 3@1")
	if !slices.Equal(synced, []bool{false, true}) {
		t.Fatalf("synced at 51ms, 52ms: %v", synced)
	}
}

func TestStartRunningTellsNothingUntilChanges(t *testing.T) {
	e := newEnv(1)
	objs := e.seed(0, 1)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	l := &logger{eng: e.Eng}
	r := o.inf.AddEventHandler(l, HandlerOptions{})
	self, _ := e.Net.Endpoint("ctrl")
	w := e.Net.OpenStream(self, e.Srv.Endpoint())
	e.Srv.AttachWatch(w, api.ConfigMaps, -1)
	o.inf.StartRunning(objs, e.St.Revision(), w)
	if !o.inf.HasSynced() || !r.HasSynced() || o.inf.Len() != 2 {
		t.Fatalf("synced %v/%v len %d", o.inf.HasSynced(), r.HasSynced(), o.inf.Len())
	}
	e.Write(10*ms, api.Update, 0, 5)
	e.Run(t, time.Second)
	wantLog(t, "handler", l.log, fmt.Sprintf("%v update 0@1→ 0@3", 10*ms+toWatch))
}

func TestStopDropsStateAndStartListsAgain(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 1)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	l := &logger{eng: e.Eng}
	r := o.inf.AddEventHandler(l, HandlerOptions{HandlingTime: sim.Constant(100 * ms)})
	o.inf.Start()
	// Stopped at 150ms with the second initial add still pending.
	e.At(150*ms, func() {
		o.inf.Stop()
		o.c.Stop()
	})
	var stopped []any
	e.At(151*ms, func() { stopped = []any{o.inf.HasSynced(), r.Pending(), o.inf.Len()} })
	e.At(time.Second, o.inf.Start)
	e.Run(t, 2*time.Second)
	if fmt.Sprint(stopped) != "[false 0 0]" {
		t.Fatalf("after Stop: synced, pending, len = %v", stopped)
	}
	wantLog(t, "handler", l.log,
		"103ms add-initial 0@1",
		"1.103s add-initial 0@1", "1.203s add-initial 1@2")
	if !r.HasSynced() {
		t.Fatal("not synced after the restart")
	}
}

func TestNameSelectedInformerSeesOneObject(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 1, 2)
	o := e.newOwner("kubelet", Config{Name: "own", Resource: api.ConfigMaps, Selector: 1})
	l := &logger{eng: e.Eng}
	o.inf.AddEventHandler(l, HandlerOptions{})
	o.inf.Start()
	e.Write(10*ms, api.Update, 0, 5)
	e.Write(20*ms, api.Update, 1, 5)
	e.Run(t, time.Second)
	wantLog(t, "handler", l.log, "3ms add-initial 1@2", "27ms update 1@2→ 1@5")
}

func TestRemovedHandlerHearsNothingMore(t *testing.T) {
	e := newEnv(1)
	e.seed(0)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	kept, gone := &logger{eng: e.Eng}, &logger{eng: e.Eng}
	o.inf.AddEventHandler(kept, HandlerOptions{})
	r := o.inf.AddEventHandler(gone, HandlerOptions{HandlingTime: sim.Constant(5 * ms)})
	o.inf.Start()
	e.Write(10*ms, api.Update, 0, 5)
	e.At(20*ms, func() { o.inf.RemoveEventHandler(r); o.inf.RemoveEventHandler(r) })
	e.Write(30*ms, api.Update, 0, 6)
	e.Run(t, time.Second)
	wantLog(t, "kept", kept.log, "3ms add-initial 0@1", "17ms update 0@1→ 0@2", "37ms update 0@2→ 0@3")
	// The update at 17ms was still being handled at 20ms: dropped.
	wantLog(t, "gone", gone.log, "8ms add-initial 0@1")
}

func runChurn(seed uint64) string {
	e := newEnv(seed)
	e.seed(0, 1, 2, 3)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: 700 * ms})
	l := &logger{eng: e.Eng}
	o.inf.AddEventHandler(l, HandlerOptions{HandlingTime: sim.Exponential{Mean: 3 * ms}})
	o.inf.Start()
	r := e.Eng.Rand("test/churn")
	for range 200 {
		d := time.Duration(r.IntN(2000)) * ms
		id := int32(r.IntN(6))
		verb := []api.Verb{api.Update, api.Create, api.Delete}[r.IntN(3)]
		e.Write(d, verb, id, int32(r.IntN(1000)))
	}
	e.At(time.Second, func() { e.Net.CloseStream(o.streams[0], e.Srv.Endpoint()) })
	if err := e.Eng.Run(at(5 * time.Second)); err != nil {
		panic(err)
	}
	// The cache ends equal to storage.
	for id := range int32(8) {
		got, ok := o.inf.Get(id)
		want, wok := e.St.Get(api.ConfigMaps, id)
		if ok != wok || got != want {
			return fmt.Sprintf("cache %d = %+v %v, storage %+v %v", id, got, ok, want, wok)
		}
	}
	return fmt.Sprint(l.log)
}

func TestChurnIsDeterministicAndConverges(t *testing.T) {
	a, b, c := runChurn(7), runChurn(7), runChurn(8)
	if a != b {
		t.Fatal("two runs with seed 7 differ")
	}
	if a == c {
		t.Fatal("seeds 7 and 8 gave the same log")
	}
	if len(a) < 1000 {
		t.Fatalf("log too short: %s", a)
	}
}

func TestWatchEventPathDoesNotAllocate(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 1)
	o := e.newOwner("ctrl", Config{Name: "cm", Resource: api.ConfigMaps, Selector: -1})
	n := 0
	o.inf.AddEventHandler(HandlerFuncs{UpdateFunc: func(_, _ api.Object) { n++ }}, HandlerOptions{})
	o.inf.AddEventHandler(HandlerFuncs{}, HandlerOptions{HandlingTime: sim.Constant(ms)})
	o.inf.Start()
	e.Run(t, 10*ms)
	we := api.WatchEvent{Type: api.Modified, Object: api.Object{Resource: api.ConfigMaps, ID: 1, Size: 5}}
	// Warm up: the slow handler's buffer grows to 512, enough for what the
	// measured runs add.
	for range 400 {
		we.Object.ResourceVersion++
		o.inf.apply(&we)
	}
	allocs := testing.AllocsPerRun(100, func() {
		we.Object.ResourceVersion++
		o.inf.apply(&we)
	})
	if allocs != 0 || n != 501 || o.inf.listeners[1].Pending() != 501 {
		t.Fatalf("%v allocations per watch event (%d updates handled)", allocs, n)
	}
}
