package controllers

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// unthrottled is a client without a rate limit, so that paths are exact.
var unthrottled = client.Config{QPS: -1}

func newController(e *env, cfg Config) *Controller {
	if cfg.Name == "" {
		cfg.Name = "demo"
	}
	return New(e.Eng, e.Net, e.Rec, e.Shared, e.Srv.Endpoint(), cfg)
}

func attemptsString(as []Attempt) string {
	s := ""
	for _, a := range as {
		s += fmt.Sprintf("[%d %v→%v %v] ", a.Key, a.Start.Duration(), a.End.Duration(), a.OK)
	}
	return s
}

func TestBurstOfUpdatesCoalescesIntoTwoReconciles(t *testing.T) {
	e := newEnv(1)
	src, status := e.seed(0, 1000), e.seed(1000, 0)
	ctl := newController(e, Config{Workers: 1, Client: unthrottled, FirstID: 0, Objects: 1, StatusOffset: 1000,
		ReconcileTime: sim.Constant(4 * ms), Trace: true})
	e.startRunning(ctl, src, status)
	for i := range int32(100) {
		e.Write(0, api.Update, 0, i+1)
	}
	e.Run(t, time.Second)

	// The first update commits alone (it started a batch by itself) and is
	// seen at 7ms; the other 99 commit together and are seen at 9ms, while
	// the first reconcile (7ms: 4ms of work, then a 7ms status write) runs.
	// They mark the key dirty once; Done at 18ms queues it again, and the
	// worker reconciles the latest state.
	want := "[0 7ms→18ms true] [0 18ms→29ms true] "
	if got := attemptsString(ctl.Attempts()); got != want {
		t.Fatalf("reconciles %s, want %s", got, want)
	}
	if ctl.Observed() != 100 {
		t.Fatalf("observed %d updates, want 100", ctl.Observed())
	}
	if ok, failed := ctl.Reconciles(); ok != 2 || failed != 0 {
		t.Fatalf("reconciles ok %d failed %d", ok, failed)
	}
	if s, st := e.get(0), e.get(1000); s.Size != 100 || st.Size != 100 {
		t.Fatalf("source size %d, status size %d: want 100, 100", s.Size, st.Size)
	}
	if n := e.Rec.Counter("workqueue_adds_total", "name", "demo").Value; n != 2 {
		t.Fatalf("workqueue_adds_total %d, want 2 (one add, one while processing)", n)
	}
	if n := e.Rec.Counter("controller_runtime_reconcile_total", "controller", "demo", "result", "success").Value; n != 2 {
		t.Fatalf("controller_runtime_reconcile_total %d", n)
	}
	if d := e.Rec.Latency("controller_runtime_reconcile_time_seconds", "controller", "demo").Samples(); !slices.Equal(d, []int64{int64(11 * ms), int64(11 * ms)}) {
		t.Fatalf("reconcile times %v", d)
	}
}

func TestFailingReconcileBacksOffExponentially(t *testing.T) {
	for _, failWrite := range []bool{false, true} {
		e := newEnv(1)
		src, status := e.seed(0, 1), e.seed(1000, 0)
		ctl := newController(e, Config{Workers: 2, Client: unthrottled, FirstID: 0, Objects: 1, StatusOffset: 1000,
			ReconcileTime: sim.Constant(ms), FailUntil: FailForever, FailWrite: failWrite, Trace: true})
		e.startRunning(ctl, src, status)
		e.Write(0, api.Update, 0, 2)
		e.Run(t, 3*time.Hour)

		work := ms
		if failWrite {
			work += writeRT // the write, answered 409
		}
		as := ctl.Attempts()
		if len(as) < 25 {
			t.Fatalf("failWrite %v: only %d attempts in 3h", failWrite, len(as))
		}
		if as[0].Start != at(7*ms) {
			t.Fatalf("failWrite %v: first reconcile at %v", failWrite, as[0].Start)
		}
		// Retry k waits 5ms·2^(k-1), capped at 1000s, after failure k.
		for k := 1; k < len(as); k++ {
			backoff := min(5*ms<<(k-1), 1000*time.Second)
			if as[k].OK || as[k-1].End.Sub(as[k-1].Start) != work || as[k].Start.Sub(as[k-1].End) != backoff {
				t.Fatalf("failWrite %v: attempt %d %+v after %+v, want a failure %v after, taking %v", failWrite, k, as[k], as[k-1], backoff, work)
			}
		}
		if n := e.Rec.Counter("workqueue_retries_total", "name", "demo").Value; n != int64(len(as)) {
			t.Fatalf("workqueue_retries_total %d, attempts %d", n, len(as))
		}
		conflicts := e.Rec.Counter("storage_conflicts_total").Value
		if failWrite && conflicts != int64(len(as)) || !failWrite && conflicts != 0 {
			t.Fatalf("failWrite %v: %d storage conflicts for %d attempts", failWrite, conflicts, len(as))
		}
		if e.get(1000).Size != 0 {
			t.Fatalf("a failing reconcile wrote the status: %+v", e.get(1000))
		}
	}
}

func TestFailuresUntilATimeThenSuccess(t *testing.T) {
	e := newEnv(1)
	src, status := e.seed(0, 1), e.seed(1000, 0)
	ctl := newController(e, Config{Workers: 1, Client: unthrottled, FirstID: 0, Objects: 1, StatusOffset: 1000,
		ReconcileTime: sim.Constant(ms), FailUntil: at(time.Second), Trace: true})
	e.startRunning(ctl, src, status)
	e.Write(0, api.Update, 0, 2)
	e.Run(t, 10*time.Second)
	// 7, 13, 24, 45, 86, 167, 328, 649ms fail; the retry at 1.29s succeeds.
	var starts []time.Duration
	for _, a := range ctl.Attempts() {
		starts = append(starts, a.Start.Duration())
	}
	want := []time.Duration{7 * ms, 13 * ms, 24 * ms, 45 * ms, 86 * ms, 167 * ms, 328 * ms, 649 * ms, 1290 * ms}
	if !slices.Equal(starts, want) {
		t.Fatalf("reconciles started at %v, want %v", starts, want)
	}
	if ok, failed := ctl.Reconciles(); ok != 1 || failed != 8 {
		t.Fatalf("ok %d failed %d", ok, failed)
	}
	if ctl.Queue().NumRequeues(0) != 0 || ctl.Queue().Len() != 0 || ctl.Queue().Waiting() != 0 || ctl.Busy() != 0 {
		t.Fatalf("queue not clean: requeues %d len %d waiting %d busy %d", ctl.Queue().NumRequeues(0), ctl.Queue().Len(), ctl.Queue().Waiting(), ctl.Busy())
	}
	if e.get(1000).Size != 2 {
		t.Fatalf("status %+v", e.get(1000))
	}
}

func TestMaxRetriesDropsTheKey(t *testing.T) {
	e := newEnv(1)
	src := e.seed(0, 1)
	ctl := newController(e, Config{Workers: 1, Client: unthrottled, FirstID: 0, Objects: 1,
		FailUntil: FailForever, MaxRetries: 3, Trace: true})
	e.startRunning(ctl, src)
	e.Write(0, api.Update, 0, 2)
	e.Write(time.Second, api.Update, 0, 3) // a new change: tried afresh
	e.Run(t, 5*time.Second)
	// handleErr: requeue while NumRequeues < 3, then Forget: 4 attempts per change.
	var starts []time.Duration
	for _, a := range ctl.Attempts() {
		starts = append(starts, a.Start.Duration())
	}
	want := []time.Duration{7 * ms, 12 * ms, 22 * ms, 42 * ms, 1007 * ms, 1012 * ms, 1022 * ms, 1042 * ms}
	if !slices.Equal(starts, want) {
		t.Fatalf("reconciles started at %v, want %v", starts, want)
	}
	if n := e.Rec.Counter("controller_keys_dropped_total", "controller", "demo").Value; n != 2 {
		t.Fatalf("dropped %d, want 2", n)
	}
}

func TestColdStartWaitsForSyncThenReconcilesEverything(t *testing.T) {
	e := newEnv(1)
	for id := range int32(3) {
		e.seed(id, 10+id)
	}
	e.seed(7, 0) // not a source
	ctl := newController(e, Config{Workers: 2, Client: unthrottled, FirstID: 0, Objects: 3, StatusOffset: 100, Trace: true})
	var busyAt50 int
	e.At(50*ms, func() { busyAt50 = ctl.Busy() })
	ctl.Start()
	e.Run(t, time.Second)
	// The list is back at 3ms and every source is queued, but workers start
	// only at the first poll after the sync: 100ms. Statuses do not exist
	// yet: each reconcile creates one. The two creates sent at 100ms reach
	// storage together; the first commits alone, the second in the next
	// batch, 2ms later.
	want := "[0 100ms→107ms true] [1 100ms→109ms true] [2 107ms→114ms true] "
	if got := attemptsString(ctl.Attempts()); got != want || busyAt50 != 0 {
		t.Fatalf("reconciles %s, want %s (busy at 50ms: %d)", got, want, busyAt50)
	}
	for id := range int32(3) {
		if st := e.get(100 + id); st.Size != 10+id {
			t.Fatalf("status %d: %+v", id, st)
		}
	}
	if ctl.Observed() != 3 {
		t.Fatalf("observed %d", ctl.Observed())
	}
	if g := e.Rec.Gauge("controller_runtime_active_workers", "controller", "demo"); g.Peak() != 2 || g.Value() != 0 {
		t.Fatalf("active workers peak %v now %v", g.Peak(), g.Value())
	}
}

// runMany drives 10 sources with random updates, deletes and creates
// through 3 workers, and checks convergence and that no key is reconciled
// by two workers at once.
func runMany(t *testing.T, seed uint64, precondition bool) string {
	e := newEnv(seed)
	var objs []api.Object
	for id := range int32(10) {
		objs = append(objs, e.seed(id, 1), e.seed(100+id, 1))
	}
	ctl := newController(e, Config{Workers: 3, Client: client.Config{QPS: 50, Burst: 20}, FirstID: 0, Objects: 10, StatusOffset: 100,
		StatusPrecondition: precondition, ReconcileTime: sim.Exponential{Mean: 5 * ms}, HandlerTime: sim.Constant(100 * time.Microsecond),
		ResyncPeriod: 10 * time.Second, Trace: true})
	e.startRunning(ctl, objs...)
	r := e.Eng.Rand("test")
	for range 1000 {
		d := time.Duration(r.IntN(5000)) * ms
		e.Write(d, api.Update, int32(r.IntN(10)), int32(r.IntN(1<<20)))
	}
	e.Run(t, 30*time.Second)
	for id := range int32(10) {
		if src, st := e.get(id), e.get(100+id); src.Size != st.Size {
			t.Fatalf("seed %d: source %d size %d, status size %d", seed, id, src.Size, st.Size)
		}
	}
	ok, failed := ctl.Reconciles()
	if ok+failed >= ctl.Observed() || ctl.Observed() < 1000 {
		t.Fatalf("seed %d: %d+%d reconciles for %d observed events", seed, ok, failed, ctl.Observed())
	}
	// No overlap per key.
	as := slices.Clone(ctl.Attempts())
	slices.SortStableFunc(as, func(a, b Attempt) int { return int(a.Key - b.Key) })
	for i := 1; i < len(as); i++ {
		if as[i].Key == as[i-1].Key && as[i].Start < as[i-1].End {
			t.Fatalf("key %d reconciled twice at once: %+v, %+v", as[i].Key, as[i-1], as[i])
		}
	}
	return fmt.Sprint(ok, failed, ctl.Observed(), attemptsString(ctl.Attempts()))
}

func TestManyObjectsConvergeDeterministically(t *testing.T) {
	for _, pre := range []bool{false, true} {
		a, b, c := runMany(t, 5, pre), runMany(t, 5, pre), runMany(t, 6, pre)
		if a != b {
			t.Fatalf("precondition %v: two runs with seed 5 differ", pre)
		}
		if a == c {
			t.Fatalf("precondition %v: seeds 5 and 6 agree", pre)
		}
	}
}

func TestSourcesListPicksTheObjects(t *testing.T) {
	e := newEnv(1)
	var objs []api.Object
	for _, id := range []int32{3, 5, 9} {
		objs = append(objs, e.seed(id, 10+id))
	}
	ctl := newController(e, Config{Workers: 1, Client: unthrottled, Sources: []int32{9, 3}, StatusOffset: 100, Trace: true})
	e.startRunning(ctl, objs...)
	if ctl.LastStart() != -1 || ctl.LastSuccess() != -1 {
		t.Fatalf("before any reconcile: last start %v, last success %v", ctl.LastStart(), ctl.LastSuccess())
	}
	e.Write(0, api.Update, 9, 1)
	e.Write(50*ms, api.Update, 5, 1) // not a source
	e.Write(100*ms, api.Update, 3, 2)
	e.Run(t, time.Second)
	// A write is seen 7ms after it is sent; the status Create takes 7ms.
	want := "[9 7ms→14ms true] [3 107ms→114ms true] "
	if got := attemptsString(ctl.Attempts()); got != want {
		t.Fatalf("reconciles %s, want %s", got, want)
	}
	if ctl.Observed() != 2 || ctl.LastStart() != at(107*ms) || ctl.LastSuccess() != at(114*ms) {
		t.Fatalf("observed %d, last start %v, last success %v", ctl.Observed(), ctl.LastStart(), ctl.LastSuccess())
	}
	if st := e.get(109); st.Size != 1 {
		t.Fatalf("status of 9: %+v", st)
	}
	if _, ok := e.St.Get(api.ConfigMaps, 105); ok {
		t.Fatal("a status was written for ConfigMap 5, not a source")
	}
}

// A restart drops the reconcile in progress and the queue, and starts cold
// again: list, wait for the sync (the next 100ms poll), reconcile every
// object. A wake scheduled before the restart must not start a worker.
func TestRestartStartsColdAndForgetsWorkInProgress(t *testing.T) {
	e := newEnv(1)
	var objs []api.Object
	for id := range int32(3) {
		objs = append(objs, e.seed(id, 10+id), e.seed(100+id, 10+id))
	}
	ctl := newController(e, Config{Workers: 1, Client: unthrottled, FirstID: 0, Objects: 3, StatusOffset: 100,
		ReconcileTime: sim.Constant(50 * ms), Trace: true})
	e.startRunning(ctl, objs...)
	// A change at 10ms starts a 50ms reconcile; the restart at 30ms drops
	// it before it writes.
	e.Write(10*ms, api.Update, 1, 99)
	e.At(30*ms, ctl.Restart)
	e.Run(t, time.Second)
	// The restart's list is back at 33ms, the sync seen at the 130ms poll;
	// then the three sources, one worker, 50ms each plus a 7ms write.
	want := "[0 130ms→187ms true] [1 187ms→244ms true] [2 244ms→301ms true] "
	if got := attemptsString(ctl.Attempts()); got != want {
		t.Fatalf("reconciles %s, want %s", got, want)
	}
	if st := e.get(101); st.Size != 99 {
		t.Fatalf("status 1 after the restart: %+v", st)
	}
	if n := e.Rec.Counter("controller_restarts_total", "controller", "demo").Value; n != 1 {
		t.Fatalf("restarts %d", n)
	}
	// The change and the three status writes after the restart: the
	// dropped reconcile wrote nothing.
	if n := e.Rec.Counter("apiserver_request_total", "verb", "update", "resource", "configmaps", "scope", "resource", "code", "200").Value; n != 4 {
		t.Fatalf("%d ConfigMap updates, want 4", n)
	}
	if d := e.Rec.Gauge("workqueue_depth", "name", "demo").Value(); d != 0 || ctl.Busy() != 0 {
		t.Fatalf("depth %v, busy %d at the end", d, ctl.Busy())
	}
}

// Stop then Start is a restart too: a stopped controller does nothing, and
// its next Start has a fresh queue, lists and reconciles every object.
func TestStopThenStartStartsCold(t *testing.T) {
	e := newEnv(1)
	var objs []api.Object
	for id := range int32(3) {
		objs = append(objs, e.seed(id, 10+id), e.seed(100+id, 10+id))
	}
	ctl := newController(e, Config{Workers: 1, Client: unthrottled, FirstID: 0, Objects: 3, StatusOffset: 100,
		ReconcileTime: sim.Constant(50 * ms), Trace: true})
	e.startRunning(ctl, objs...)
	e.At(30*ms, ctl.Stop)
	e.Write(100*ms, api.Update, 1, 99)
	e.At(500*ms, ctl.Start)
	e.Run(t, time.Second)
	// Nothing while stopped; the list is back at 503ms, the sync seen at
	// the 600ms poll, then the three sources, 50ms each plus a 7ms write.
	want := "[0 600ms→657ms true] [1 657ms→714ms true] [2 714ms→771ms true] "
	if got := attemptsString(ctl.Attempts()); got != want {
		t.Fatalf("reconciles %s, want %s", got, want)
	}
	if st := e.get(101); st.Size != 99 {
		t.Fatalf("status 1 after the start: %+v", st)
	}
}
