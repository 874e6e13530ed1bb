package apiserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

func watch(name int32, rv int64) api.Request {
	return api.Request{Verb: api.Watch, Resource: api.Leases, Name: name, ResourceVersion: rv}
}

func (e *env) watchers() float64 { return e.rec.Gauge("apiserver_registered_watchers").Value() }
func (e *env) sent() int64       { return e.rec.Counter("apiserver_watch_events_sent_total").Value }

func TestWatchStartsAStream(t *testing.T) {
	e := newEnv(defaultConfig())
	w := e.p.sendAt(0, watch(-1, 3))
	e.run(t, 100*ms)
	st := e.p.streamOf(w)
	if st == sim.NoStream {
		t.Fatalf("no stream announced: %+v", e.p.msgs)
	}
	if opener, acceptor := e.net.StreamEnds(st); opener != e.p.self || acceptor != e.srv.Endpoint() {
		t.Fatalf("stream ends %v %v", opener, acceptor)
	}
	// Announced after the CPU time (1 + 5 + 1 ms), then the 200 with the cache's revision.
	if e.p.msgs[0].kind != api.KindWatchStarted || e.p.msgs[0].at != at(7*ms) {
		t.Fatalf("messages %+v", e.p.msgs)
	}
	if a := e.p.answer(w); len(a) != 1 || a[0].code != api.OK || a[0].at != at(7*ms) || a[0].result.ResourceVersion != 3 {
		t.Fatalf("watch answer %+v", a)
	}
	if e.watchers() != 1 || len(e.p.events(st)) != 0 {
		t.Fatalf("watchers %v, events %+v", e.watchers(), e.p.events(st))
	}
}

func TestWatchIsExemptFromInflightLimits(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxRequestsInflight = 1
	cfg.Costs.Authentication = sim.Constant(time.Second)
	e := newEnv(cfg)
	e.p.sendAt(0, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true}) // holds the only seat for 1s
	w := e.p.sendAt(0, watch(-1, 3))
	e.run(t, 2*time.Second)
	// Not rejected: set up after its own CPU time (1ms + 1s + 1ms).
	if a := e.p.answer(w); len(a) != 1 || a[0].code != api.OK || a[0].at != at(time.Second+2*ms) {
		t.Fatalf("watch answer %+v", a)
	}
}

func TestWatchSelectors(t *testing.T) {
	e := newEnv(defaultConfig())
	all := e.p.sendAt(0, watch(-1, 3))
	one := e.p.sendAt(0, watch(1, 3))
	e.p.sendAt(10*ms, update(0, time.Second))
	e.p.sendAt(30*ms, update(1, time.Second))
	e.p.sendAt(50*ms, update(2, time.Second))
	e.run(t, time.Second)
	allSt, oneSt := e.p.streamOf(all), e.p.streamOf(one)
	// Each change reaches the watchers 1 + 5 + 1 + 10 (commit) + 1 (storage
	// stream) + 1 ms after its update was sent.
	ae := e.p.events(allSt)
	if len(ae) != 3 {
		t.Fatalf("all-watcher got %+v", ae)
	}
	for i, m := range ae {
		wantAt := at(time.Duration(10+20*i)*ms + 19*ms)
		if m.typ != api.Modified || m.obj.ID != int32(i) || m.obj.ResourceVersion != int64(4+i) || m.at != wantAt {
			t.Errorf("all-watcher event %d: %+v, want lease %d rev %d at %v", i, m, i, 4+i, wantAt)
		}
	}
	oe := e.p.events(oneSt)
	if len(oe) != 1 || oe[0].obj.ID != 1 || oe[0].obj.ResourceVersion != 5 || oe[0].at != at(49*ms) {
		t.Fatalf("name-watcher got %+v, want only lease 1", oe)
	}
	if e.sent() != 4 {
		t.Fatalf("apiserver_watch_events_sent_total = %d, want 4", e.sent())
	}
}

func TestWatchCatchUp(t *testing.T) {
	// The cache's history starts at its initial list (revision 3): a watch
	// from 0 gets the current objects, one from 3 nothing yet, one from
	// before 3 a 410 — and one from 3 made after an update gets the update
	// from the history.
	e := newEnv(defaultConfig())
	fromZero := e.p.sendAt(0, watch(-1, 0))
	nameZero := e.p.sendAt(0, watch(0, 0))
	current := e.p.sendAt(0, watch(-1, 3))
	tooOld := e.p.sendAt(0, watch(-1, 1))
	e.p.sendAt(10*ms, update(1, time.Second)) // revision 4, in the cache at 28ms
	later := e.p.sendAt(30*ms, watch(-1, 3))
	e.run(t, 100*ms)
	got := func(id uint64) (out []string) {
		for _, m := range e.p.events(e.p.streamOf(id)) {
			out = append(out, fmt.Sprintf("%d:%d@%v", m.typ, m.obj.ID, time.Duration(m.at)))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		id   uint64
		want string
	}{
		{"all from rv 0", fromZero, "[0:0@7ms 0:1@7ms 0:2@7ms 1:1@29ms]"},
		{"lease 0 from rv 0", nameZero, "[0:0@7ms]"},
		{"all from the current rv", current, "[1:1@29ms]"},
		{"all from rv 1: too old", tooOld, "[3:0@7ms]"},
		{"all from rv 3 after the update", later, "[1:1@37ms]"},
	} {
		if g := fmt.Sprint(got(tc.id)); g != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, g, tc.want)
		}
	}
	for _, m := range e.p.events(e.p.streamOf(tooOld)) {
		if m.code != api.Gone {
			t.Errorf("too-old watch's error event has code %d, want 410", m.code)
		}
	}
	closed := false
	for _, m := range e.p.msgs {
		closed = closed || m.stream == e.p.streamOf(tooOld) && m.kind == sim.KindStreamClosed
	}
	if !closed {
		t.Error("the too-old watch's stream was not closed")
	}
	if n := e.rec.Counter("apiserver_watch_too_old_resource_version_total").Value; n != 1 {
		t.Errorf("too-old watches %d, want 1", n)
	}
}

func TestSlowWatcherIsTerminated(t *testing.T) {
	// A watcher whose client takes 1s per event fills its buffers (the
	// input and result channels of 10 each — the no-index minimum — and the
	// relay's one) while updates come every 10ms; the dispatch loop waits
	// for it within its time budget and closes it. A fast watcher of the
	// same resource keeps every event.
	e := newEnv(defaultConfig())
	slow := watch(-1, 3)
	slow.WatchConsume = time.Second
	sw := e.p.sendAt(0, slow)
	fw := e.p.sendAt(0, watch(-1, 3))
	for i := 0; i < 100; i++ {
		e.p.sendAt(time.Duration(10+10*i)*ms, update(int32(i%3), time.Duration(i+1)*time.Second))
	}
	e.run(t, 30*time.Second)
	if n := e.rec.Counter("apiserver_terminated_watchers_total").Value; n != 1 {
		t.Fatalf("terminated watchers %d, want 1", n)
	}
	closed := false
	for _, m := range e.p.msgs {
		closed = closed || m.stream == e.p.streamOf(sw) && m.kind == sim.KindStreamClosed
	}
	// Terminated when 21 events fill it (the budget starts empty: no wait),
	// it still hands over the 11 past its input channel — the one being
	// written and the result channel's 10 — then ends.
	if got := len(e.p.events(e.p.streamOf(sw))); !closed || got != 11 {
		t.Fatalf("slow watcher: closed %v after %d events", closed, got)
	}
	if got := len(e.p.events(e.p.streamOf(fw))); got != 100 {
		t.Fatalf("fast watcher got %d events, want 100", got)
	}
}

func TestClosedStreamRemovesWatcher(t *testing.T) {
	e := newEnv(defaultConfig())
	all := e.p.sendAt(0, watch(-1, 3))
	one := e.p.sendAt(0, watch(1, 3))
	e.run(t, 10*ms)
	if e.watchers() != 2 {
		t.Fatalf("watchers %v, want 2", e.watchers())
	}
	allSt, oneSt := e.p.streamOf(all), e.p.streamOf(one)
	e.net.CloseStream(allSt, e.p.self) // the server hears of it at 11ms
	e.run(t, 20*ms)
	if e.watchers() != 1 {
		t.Fatalf("watchers %v after a close, want 1", e.watchers())
	}
	e.p.sendAt(20*ms, update(1, time.Second))
	e.p.sendAt(20*ms, update(0, time.Second))
	e.run(t, time.Second)
	if e.sent() != 1 || len(e.p.events(oneSt)) != 1 || len(e.p.events(allSt)) != 0 {
		t.Fatalf("sent %d; events: one %+v, all %+v", e.sent(), e.p.events(oneSt), e.p.events(allSt))
	}
	// Closing the other by a partition that outlasts failure detection.
	e.net.SetFailureDetection(5 * time.Second)
	cut := e.net.Partition("cut", []sim.EndpointID{e.p.self}, nil)
	e.run(t, 10*time.Second)
	e.net.Heal(cut)
	if e.watchers() != 0 {
		t.Fatalf("watchers %v after the stream broke, want 0", e.watchers())
	}
	if g := e.rec.Gauge("apiserver_registered_watchers"); g.Peak() != 2 {
		t.Fatalf("peak watchers %v", g.Peak())
	}
	// Nothing is sent to the removed name-watcher any more.
	sent := e.sent()
	e.p.sendAt(11*time.Second, update(1, 2*time.Second))
	e.run(t, 12*time.Second)
	if got, _ := e.st.Get(api.Leases, 1); got.RenewTime != at(2*time.Second) || e.sent() != sent {
		t.Fatalf("lease 1 %+v; %d events sent to removed watchers", got, e.sent()-sent)
	}
	// A second close of the same stream changes nothing.
	e.net.CloseStream(oneSt, e.p.self)
	e.run(t, time.Minute)
	if e.watchers() != 0 {
		t.Fatalf("watchers %v", e.watchers())
	}
}

func TestAttachWatchAndDeleteEvents(t *testing.T) {
	e := newEnv(defaultConfig())
	st := e.net.OpenStream(e.p.self, e.srv.Endpoint())
	e.srv.AttachWatch(st, api.Leases, -1)
	if e.watchers() != 1 {
		t.Fatalf("watchers %v", e.watchers())
	}
	e.p.sendAt(0, api.Request{Verb: api.Delete, Resource: api.Leases, Name: 2})
	e.p.sendAt(50*ms, api.Request{Verb: api.Create, Resource: api.Leases, Name: 5, Object: api.Object{Resource: api.Leases, ID: 5}})
	e.run(t, time.Second)
	ev := e.p.events(st)
	if len(ev) != 2 || ev[0].typ != api.Deleted || ev[0].obj.ID != 2 || ev[0].obj.ResourceVersion != 4 ||
		ev[1].typ != api.Added || ev[1].obj.ID != 5 || ev[1].obj.ResourceVersion != 5 {
		t.Fatalf("events %+v", ev)
	}
}
