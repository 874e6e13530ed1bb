package client

import (
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// recStore is a Store that records what the reflector does to it.
type recStore struct {
	replaced [][]api.Object
	applied  []api.WatchEvent
}

func (s *recStore) Replace(items []api.Object) {
	s.replaced = append(s.replaced, append([]api.Object(nil), items...))
}
func (s *recStore) Apply(ev *api.WatchEvent) { s.applied = append(s.applied, *ev) }

type reflectorEnv struct {
	*env
	store *recStore
	r     *Reflector
}

// newReflectorEnv: a reflector for all leases behind a fake server whose
// lists return two objects at resource version 7.
func newReflectorEnv(cfg Config) *reflectorEnv {
	e := newEnv(cfg)
	st := &recStore{}
	r := NewReflector(e.p.c, e.net, e.eng.Rand("reflector"), e.rec, api.Leases, -1, st)
	e.p.refl = r
	e.srv.items = []api.Object{{Resource: api.Leases, ID: 0, ResourceVersion: 5}, {Resource: api.Leases, ID: 1, ResourceVersion: 7}}
	e.srv.listRV = 7
	return &reflectorEnv{env: e, store: st, r: r}
}

func (e *reflectorEnv) lists() int64 {
	return e.rec.Counter("reflector_lists_total", "resource", "leases").Value
}

// requestsAfter returns the requests the server saw after time from.
func (e *reflectorEnv) requestsAfter(from sim.Time) []arrival {
	var out []arrival
	for _, a := range e.srv.got {
		if a.at > from {
			out = append(out, a)
		}
	}
	return out
}

func TestReflectorListsThenWatches(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	if e.r.Synced() {
		t.Fatal("synced before start")
	}
	e.r.Start()
	e.run(t, 10*time.Millisecond)
	// list at 1ms (from cache, all objects), answered at 2ms; watch from
	// the list's resource version at 3ms; stream announced at 4ms.
	g := e.srv.got
	if len(g) != 2 || g[0].verb != api.List || !g[0].fromCache || g[0].name != -1 || g[0].at != at(lat) ||
		g[1].verb != api.Watch || g[1].rv != 7 || g[1].at != at(3*lat) {
		t.Fatalf("server saw %+v", g)
	}
	if !e.r.Synced() || len(e.store.replaced) != 1 || len(e.store.replaced[0]) != 2 || e.store.replaced[0][1].ResourceVersion != 7 {
		t.Fatalf("synced %v, store replaced with %+v", e.r.Synced(), e.store.replaced)
	}
	if e.lists() != 1 {
		t.Fatalf("reflector_lists_total = %d, want 1", e.lists())
	}
	if len(e.srv.streams) != 1 || e.r.stream != e.srv.streams[0] {
		t.Fatalf("reflector stream %v, server opened %v", e.r.stream, e.srv.streams)
	}

	// Watch events on the stream are applied in order; the resource
	// version the next watch starts from is the highest seen.
	st := e.srv.streams[0]
	atTime(e.eng, 20*time.Millisecond, func() {
		e.srv.event(st, api.Modified, api.Object{Resource: api.Leases, ID: 1, ResourceVersion: 9})
		e.srv.event(st, api.Added, api.Object{Resource: api.Leases, ID: 2, ResourceVersion: 10})
		e.srv.event(st, api.Deleted, api.Object{Resource: api.Leases, ID: 0, ResourceVersion: 8})
	})
	e.run(t, 30*time.Millisecond)
	if len(e.store.applied) != 3 || e.store.applied[0].Object.ResourceVersion != 9 || e.store.applied[1].Type != api.Added || e.store.applied[2].Type != api.Deleted {
		t.Fatalf("applied %+v", e.store.applied)
	}
	if e.r.lastRV != 10 {
		t.Fatalf("lastRV = %d, want 10", e.r.lastRV)
	}
}

func TestReflectorIgnoresForeignStreamMessages(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.r.Start()
	e.run(t, 10*time.Millisecond)
	other := e.net.OpenStream(e.p.self, e.srv.self)
	if e.r.HandleStream(&sim.Event{Kind: api.KindWatchEvent, Stream: other, Data: &api.WatchEvent{}}) {
		t.Error("an event on another stream was taken")
	}
	if e.r.HandleStream(&sim.Event{Kind: api.KindWatchStarted, Stream: other, A: 12345}) {
		t.Error("the start of another request's watch was taken")
	}
	if e.r.HandleStream(&sim.Event{Kind: sim.KindStreamClosed, Stream: other}) {
		t.Error("the close of another stream was taken")
	}
	if e.r.HandleStream(&sim.Event{Kind: api.KindRequest}) {
		t.Error("a non-stream kind was taken")
	}
	if len(e.store.applied) != 0 || e.r.stream != e.srv.streams[0] {
		t.Fatalf("state changed: applied %v stream %v", e.store.applied, e.r.stream)
	}
}

func TestReflectorRelistsAfterServerClosesStream(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.r.Start()
	closeAt := 2 * time.Second
	atTime(e.eng, closeAt, func() { e.net.CloseStream(e.srv.streams[0], e.srv.self) })
	e.run(t, time.Minute)
	// The reflector learns of the close at 2.001s and lists again after a
	// backoff in [800ms, 1.6s); that list and the watch after it succeed.
	after := e.requestsAfter(at(closeAt))
	if len(after) != 2 || after[0].verb != api.List || after[1].verb != api.Watch {
		t.Fatalf("after the close the server saw %+v", after)
	}
	delay := after[0].at.Sub(at(closeAt + 2*lat))
	if delay < 800*time.Millisecond || delay >= 1600*time.Millisecond {
		t.Fatalf("relist %v after the close was seen, want in [800ms, 1.6s)", delay)
	}
	if e.lists() != 2 || e.r.stream != e.srv.streams[1] || len(e.store.replaced) != 2 {
		t.Fatalf("lists %d, stream %v (server streams %v), replaced %d", e.lists(), e.r.stream, e.srv.streams, len(e.store.replaced))
	}
}

func TestReflectorBackoffGrowsOnRepeatedFailure(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	// Every list fails: relists follow 800ms·[1,2), 1.6s·[1,2), 3.2s·[1,2)…
	e.srv.answer = func(req *api.Request, _ int) (api.Code, time.Duration, bool) { return api.InternalError, 0, true }
	e.r.Start()
	e.run(t, 20*time.Second)
	g := e.srv.got
	if len(g) < 4 {
		t.Fatalf("server saw %d lists", len(g))
	}
	base := 800 * time.Millisecond
	for i := 1; i < 4; i++ {
		if g[i].verb != api.List {
			t.Fatalf("request %d is a %v", i, g[i].verb)
		}
		// The failure reaches the reflector one latency after the server saw it.
		d := g[i].at.Sub(g[i-1].at.Add(2 * lat))
		if d < base || d >= 2*base {
			t.Fatalf("relist %d after %v, want in [%v, %v)", i, d, base, 2*base)
		}
		base *= 2
	}
	if e.r.Synced() {
		t.Fatal("synced without a successful list")
	}
}

func TestReflectorRelistsAfterFailedWatch(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.srv.answer = func(req *api.Request, _ int) (api.Code, time.Duration, bool) {
		if req.Verb == api.Watch && len(e.srv.streams) == 0 && e.eng.Now() < at(time.Second) {
			return api.InternalError, 0, true // no stream
		}
		return api.OK, 0, true
	}
	e.r.Start()
	e.run(t, time.Minute)
	g := e.srv.got
	if len(g) != 4 || g[0].verb != api.List || g[1].verb != api.Watch || g[2].verb != api.List || g[3].verb != api.Watch {
		t.Fatalf("server saw %+v", g)
	}
	if d := g[2].at.Sub(g[1].at.Add(2 * lat)); d < 800*time.Millisecond || d >= 1600*time.Millisecond {
		t.Fatalf("relist %v after the failed watch, want in [800ms, 1.6s)", d)
	}
	if e.r.stream != e.srv.streams[0] || e.lists() != 2 {
		t.Fatalf("stream %v lists %d", e.r.stream, e.lists())
	}
}

func TestReflectorRelistsAfterPartitionBreaksStream(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.net.SetFailureDetection(10 * time.Second)
	e.r.Start()
	var cut sim.PartitionID
	atTime(e.eng, time.Second, func() { cut = e.net.Partition("cut", []sim.EndpointID{e.p.self}, []sim.EndpointID{e.srv.self}) })
	// Held across the cut: delivered only if the stream survives.
	atTime(e.eng, 2*time.Second, func() {
		e.srv.event(e.srv.streams[0], api.Modified, api.Object{Resource: api.Leases, ResourceVersion: 50})
	})
	atTime(e.eng, 11500*time.Millisecond, func() { e.net.Heal(cut) })
	e.run(t, time.Minute)
	// The stream stalls at 1s and breaks at 11s; both ends hear of it then.
	if len(e.srv.closed) != 1 || e.srv.closed[0].at != at(11*time.Second) || e.srv.closed[0].stream != e.srv.streams[0] {
		t.Fatalf("server stream closes %+v", e.srv.closed)
	}
	after := e.requestsAfter(at(time.Second))
	if len(after) != 2 || after[0].verb != api.List || after[1].verb != api.Watch || after[1].rv != 7 {
		t.Fatalf("after the partition the server saw %+v", after)
	}
	if d := after[0].at.Sub(at(11*time.Second + lat)); d < 800*time.Millisecond || d >= 1600*time.Millisecond {
		t.Fatalf("relist %v after the break, want in [800ms, 1.6s)", d)
	}
	if len(e.store.applied) != 0 {
		t.Fatalf("an event held on the broken stream was applied: %+v", e.store.applied)
	}
	if e.lists() != 2 {
		t.Fatalf("lists %d, want 2", e.lists())
	}
}

func TestReflectorSurvivesShortPartition(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.net.SetFailureDetection(10 * time.Second)
	e.r.Start()
	var cut sim.PartitionID
	atTime(e.eng, time.Second, func() { cut = e.net.Partition("cut", []sim.EndpointID{e.p.self}, nil) })
	atTime(e.eng, 2*time.Second, func() {
		e.srv.event(e.srv.streams[0], api.Modified, api.Object{Resource: api.Leases, ResourceVersion: 50})
	})
	atTime(e.eng, 5*time.Second, func() { e.net.Heal(cut) })
	e.run(t, time.Minute)
	if len(e.store.applied) != 1 || e.lists() != 1 || len(e.srv.got) != 2 {
		t.Fatalf("applied %+v, lists %d, requests %d: the stream should have resumed", e.store.applied, e.lists(), len(e.srv.got))
	}
}

func TestReflectorRewatchesOnWatchTimeout(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.r.Start()
	atTime(e.eng, time.Second, func() {
		e.srv.event(e.srv.streams[0], api.Modified, api.Object{Resource: api.Leases, ID: 1, ResourceVersion: 12})
	})
	e.run(t, 25*time.Minute)
	// Watch announced at 4ms; the watch timeout is rand[1,2) × 5m later.
	// Then the stream is closed by the reflector and a new watch goes out
	// from the last resource version, without a list.
	g := e.srv.got
	if len(g) < 3 || g[2].verb != api.Watch || g[2].rv != 12 {
		t.Fatalf("server saw %+v", g)
	}
	started := at(4 * lat)
	rewatchSent := g[2].at.Add(-lat)
	if d := rewatchSent.Sub(started); d < 5*time.Minute || d >= 10*time.Minute {
		t.Fatalf("re-watch %v after the watch started, want in [5m, 10m)", d)
	}
	if len(e.srv.closed) < 1 || e.srv.closed[0].stream != e.srv.streams[0] || e.srv.closed[0].at != rewatchSent.Add(lat) {
		t.Fatalf("server closes %+v, want stream %v closed at %v", e.srv.closed, e.srv.streams[0], rewatchSent.Add(lat))
	}
	for _, a := range g[1:] {
		if a.verb != api.Watch {
			t.Fatalf("a %v after the first list: %+v", a.verb, g)
		}
	}
	if e.lists() != 1 {
		t.Fatalf("reflector_lists_total = %d, want 1", e.lists())
	}
	// Over 25 minutes, at least two more re-watches (each within 10m).
	if len(g) < 4 {
		t.Fatalf("only %d requests in 25m", len(g))
	}
	if e.r.stream != e.srv.streams[len(e.srv.streams)-1] {
		t.Fatalf("reflector on stream %v, latest is %v", e.r.stream, e.srv.streams)
	}
}

func TestReflectorWatchTimeoutsSpanFiveToTenMinutes(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.r.Start()
	e.run(t, 6*time.Hour)
	// Each watch is announced 2ms after its request reached the server;
	// the next watch request leaves at the timeout and arrives 1ms later.
	g := e.srv.got[1:]
	if len(g) < 36 {
		t.Fatalf("%d watches in 6h", len(g))
	}
	lo, hi := time.Hour, time.Duration(0)
	for i := 1; i < len(g); i++ {
		if g[i].verb != api.Watch {
			t.Fatalf("request %d is a %v", i, g[i].verb)
		}
		d := g[i].at.Sub(g[i-1].at) - 3*lat
		if d < 5*time.Minute || d >= 10*time.Minute {
			t.Fatalf("watch %d timed out after %v, want in [5m, 10m)", i, d)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > 6*time.Minute || hi < 9*time.Minute {
		t.Fatalf("watch timeouts span only [%v, %v]", lo, hi)
	}
	if e.lists() != 1 {
		t.Fatalf("lists %d", e.lists())
	}
}

func TestReflectorStop(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.r.Start()
	atTime(e.eng, time.Second, func() { e.r.Stop() })
	atTime(e.eng, 2*time.Second, func() {
		e.srv.event(e.srv.streams[0], api.Modified, api.Object{Resource: api.Leases, ResourceVersion: 50})
	})
	e.run(t, 30*time.Minute)
	if e.r.Synced() || len(e.store.applied) != 0 {
		t.Fatalf("after Stop: synced %v, applied %+v", e.r.Synced(), e.store.applied)
	}
	// The reflector closed its stream; the server heard of it at 1.001s,
	// and nothing more was asked (no re-watch, no relist).
	if len(e.srv.closed) != 1 || e.srv.closed[0].at != at(time.Second+lat) || len(e.srv.got) != 2 {
		t.Fatalf("closes %+v, requests %+v", e.srv.closed, e.srv.got)
	}
}

func TestReflectorStartWatching(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	st := e.net.OpenStream(e.p.self, e.srv.self)
	e.srv.streams = append(e.srv.streams, st)
	e.r.StartWatching(3, st)
	if !e.r.Synced() {
		t.Fatal("not synced")
	}
	atTime(e.eng, time.Second, func() { e.srv.event(st, api.Modified, api.Object{Resource: api.Leases, ResourceVersion: 4}) })
	e.run(t, 11*time.Minute)
	// The event is applied, and the watch timeout (armed at 0, within 10m)
	// re-watches from it without a list.
	if len(e.store.applied) != 1 || e.lists() != 0 || len(e.srv.got) != 1 || e.srv.got[0].verb != api.Watch || e.srv.got[0].rv != 4 {
		t.Fatalf("applied %+v, lists %d, requests %+v", e.store.applied, e.lists(), e.srv.got)
	}
	if d := e.srv.got[0].at.Add(-lat); d < at(5*time.Minute) || d >= at(10*time.Minute) {
		t.Fatalf("re-watch sent at %v, want in [5m, 10m)", d)
	}
}

func TestReflectorRelistsAfterGoneEvent(t *testing.T) {
	// The watch cache answers a watch it cannot serve with one ERROR event
	// (410 Gone): the reflector drops the watch, does not apply the event,
	// and relists after its backoff.
	e := newReflectorEnv(Config{QPS: -1})
	e.r.Start()
	goneAt := 2 * time.Second
	atTime(e.eng, goneAt, func() {
		e.net.SendStream(e.srv.streams[0], e.srv.self, api.KindWatchEvent, 0, 0, &api.WatchEvent{Type: api.Error, Code: api.Gone})
	})
	e.run(t, time.Minute)
	after := e.requestsAfter(at(goneAt))
	if len(after) != 2 || after[0].verb != api.List || after[1].verb != api.Watch {
		t.Fatalf("after the 410 the server saw %+v", after)
	}
	if delay := after[0].at.Sub(at(goneAt + 2*lat)); delay < 800*time.Millisecond || delay >= 1600*time.Millisecond {
		t.Fatalf("relist %v after the 410 was seen, want in [800ms, 1.6s)", delay)
	}
	if len(e.store.applied) != 0 || e.lists() != 2 {
		t.Fatalf("applied %+v, lists %d", e.store.applied, e.lists())
	}
}

// Without jitter (Config.NoJitter) the relist backoff is wait.Backoff's
// exact doubling, 800ms, 1.6s, 3.2s, 6.4s, 12.8s, 25.6s, then the 30s cap;
// the jittered test above shows the same steps spread over [d, 2d).
func TestReflectorBackoffWithoutJitter(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1, NoJitter: true})
	e.srv.answer = func(req *api.Request, _ int) (api.Code, time.Duration, bool) { return api.InternalError, 0, true }
	e.r.Start()
	e.run(t, 2*time.Minute)
	g := e.srv.got
	want := []time.Duration{800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond,
		6400 * time.Millisecond, 12800 * time.Millisecond, 25600 * time.Millisecond, 30 * time.Second, 30 * time.Second}
	if len(g) < len(want)+1 {
		t.Fatalf("server saw %d lists in 2m, want at least %d", len(g), len(want)+1)
	}
	for i, w := range want {
		if d := g[i+1].at.Sub(g[i].at.Add(2 * lat)); d != w {
			t.Fatalf("relist %d after %v, want exactly %v", i+1, d, w)
		}
	}
}

// Without jitter every watch asks for exactly the minimum timeout, 5m: a
// reflector re-watches every 5 minutes on the dot.
func TestReflectorWatchTimeoutWithoutJitter(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1, NoJitter: true})
	e.r.Start()
	e.run(t, time.Hour)
	g := e.srv.got[1:]
	if len(g) != 12 {
		t.Fatalf("%d watches in 1h, want 12", len(g))
	}
	for i := 1; i < len(g); i++ {
		// The server's announcement reaches the reflector one latency
		// after the watch arrived; the next watch arrives one latency
		// after the timeout.
		if d := g[i].at.Sub(g[i-1].at) - 2*lat; d != 5*time.Minute {
			t.Fatalf("watch %d timed out after %v, want exactly 5m", i, d)
		}
	}
}

// The shared reflectors_without_watch gauge counts a reflector from its
// cold start, and from a lost watch, until its next watch is established;
// a re-watch after a watch timeout keeps it counted as watching, and a
// stopped reflector is not counted.
func TestReflectorUnwatchedGauge(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	g := e.rec.Gauge(UnwatchedGauge)
	var seen []float64
	watch := func(d time.Duration) {
		atTime(e.eng, d, func() { seen = append(seen, g.Value()) })
	}
	e.r.Start()
	watch(0)           // listing
	watch(time.Second) // watching
	closeAt := 2 * time.Second
	atTime(e.eng, closeAt, func() { e.net.CloseStream(e.srv.streams[0], e.srv.self) })
	watch(closeAt + 10*time.Millisecond) // lost, backing off
	watch(closeAt + 2*time.Second)       // relisted and watching again
	watch(11 * time.Minute)              // re-watched after its timeout
	e.run(t, 12*time.Minute)
	if want := []float64{1, 0, 1, 0, 0}; !slices.Equal(seen, want) {
		t.Fatalf("gauge %v over time, want %v", seen, want)
	}
	if len(e.srv.streams) < 3 {
		t.Fatalf("%d watches: the timeout re-watch did not happen", len(e.srv.streams))
	}
	e.r.Stop()
	if g.Value() != 0 || e.r.Watching() {
		t.Fatalf("after Stop: gauge %v, watching %v", g.Value(), e.r.Watching())
	}
	// A stopped reflector that starts again is counted until it watches.
	e.r.Start()
	if g.Value() != 1 || e.r.Watching() {
		t.Fatalf("after a cold start: gauge %v, watching %v", g.Value(), e.r.Watching())
	}
}

// A watch answered 429 is retried by the client after Retry-After under a
// new request ID; the reflector must take the stream the retry opens. (It
// once compared the stream's request ID with the first attempt's, ignored
// the retried watch and stayed without a watch for good.)
func TestReflectorAcceptsWatchRetriedAfter429(t *testing.T) {
	e := newReflectorEnv(Config{QPS: -1})
	e.srv.retryAfter = time.Second
	watches := 0
	e.srv.answer = func(req *api.Request, _ int) (api.Code, time.Duration, bool) {
		if req.Verb == api.Watch {
			watches++
			if watches == 1 {
				return api.TooManyRequests, 0, true
			}
		}
		return api.OK, 0, true
	}
	e.r.Start()
	e.run(t, 10*time.Second)
	g := e.srv.got
	if len(g) != 3 || g[1].verb != api.Watch || g[2].verb != api.Watch || g[2].retries != 1 || g[2].id == g[1].id {
		t.Fatalf("server saw %+v, want a list, a watch and its retry under a new ID", g)
	}
	if len(e.srv.streams) != 1 || e.r.stream != e.srv.streams[0] || !e.r.Watching() {
		t.Fatalf("reflector stream %v (server opened %v), watching %v", e.r.stream, e.srv.streams, e.r.Watching())
	}
	if e.lists() != 1 {
		t.Fatalf("lists %d, want 1", e.lists())
	}
}
