package apiserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/model/storage"
	"github.com/orrery-sim/orrery/sim"
)

const (
	lat     = time.Millisecond      // network latency
	service = 5 * time.Millisecond  // API server service time
	commit  = 10 * time.Millisecond // storage commit latency
	read    = 2 * time.Millisecond  // storage read latency
	ms      = time.Millisecond
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

// answer is a response as the client saw it on arrival.
type answer struct {
	at         sim.Time
	id         uint64
	verb       api.Verb
	code       api.Code
	retryAfter time.Duration
	result     api.Object
	items      []api.Object
}

// streamMsg is a message the client received on a watch stream.
type streamMsg struct {
	at     sim.Time
	stream sim.StreamID
	kind   int32
	a      int64
	typ    api.WatchEventType
	obj    api.Object
	code   api.Code
}

// probe is a client endpoint that sends raw requests and records what
// comes back.
type probe struct {
	eng     *sim.Engine
	net     *sim.Network
	self    sim.EndpointID
	server  sim.EndpointID
	nextID  uint64
	answers []answer
	msgs    []streamMsg
}

const kindSend int32 = 999

func (p *probe) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindSend:
		p.net.Send(p.self, p.server, api.KindRequest, 0, 0, ev.Data)
	case api.KindResponse:
		r := ev.Data.(*api.Request)
		p.answers = append(p.answers, answer{at: p.eng.Now(), id: r.ID, verb: r.Verb, code: r.Code, retryAfter: r.RetryAfter, result: r.Result, items: append([]api.Object(nil), r.Items...)})
	case api.KindWatchStarted:
		p.msgs = append(p.msgs, streamMsg{at: p.eng.Now(), stream: ev.Stream, kind: ev.Kind, a: ev.A})
	case api.KindWatchEvent:
		we := ev.Data.(*api.WatchEvent)
		p.msgs = append(p.msgs, streamMsg{at: p.eng.Now(), stream: ev.Stream, kind: ev.Kind, typ: we.Type, obj: we.Object, code: we.Code})
	case sim.KindStreamClosed:
		p.msgs = append(p.msgs, streamMsg{at: p.eng.Now(), stream: ev.Stream, kind: ev.Kind})
	}
}

// sendAt sends req at virtual time t and returns its ID.
func (p *probe) sendAt(t time.Duration, req api.Request) uint64 {
	p.nextID++
	r := req
	r.ID, r.From = p.nextID, p.self
	p.eng.Schedule(sim.Event{At: at(t), Target: p, Kind: kindSend, Data: &r, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	return r.ID
}

func (p *probe) answer(id uint64) []answer {
	var out []answer
	for _, a := range p.answers {
		if a.id == id {
			out = append(out, a)
		}
	}
	return out
}

// events returns the watch events received on stream.
func (p *probe) events(stream sim.StreamID) []streamMsg {
	var out []streamMsg
	for _, m := range p.msgs {
		if m.stream == stream && m.kind == api.KindWatchEvent {
			out = append(out, m)
		}
	}
	return out
}

// streamOf returns the stream announced for watch request id.
func (p *probe) streamOf(id uint64) sim.StreamID {
	for _, m := range p.msgs {
		if m.kind == api.KindWatchStarted && uint64(m.a) == id {
			return m.stream
		}
	}
	return sim.NoStream
}

type env struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	st  *storage.Store
	srv *Server
	p   *probe
}

func defaultConfig() Config {
	cfg := FixedCostConfig(service)
	cfg.MaxRequestsInflight, cfg.MaxMutatingRequestsInflight = 10, 10
	return cfg
}

// apfConfig turns APF on with the bootstrap configuration at a server
// concurrency limit of scl seats, and the given request timeout.
func apfConfig(scl int, timeout time.Duration) Config {
	cfg := defaultConfig()
	cfg.PriorityAndFairness = true
	cfg.APF = apf.DefaultConfig()
	cfg.APF.ServerConcurrencyLimit = scl
	cfg.APF.RequestTimeout = timeout
	return cfg
}

// newEnv wires storage, the API server (whose cache watches storage) and a
// probe client. Leases 0, 1, 2 are seeded at revisions 1, 2, 3.
func newEnv(cfg Config) *env {
	eng := sim.NewEngine(1)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	st := storage.New(eng, net, rec, "etcd", storage.Config{CommitLatency: sim.Constant(commit), ReadLatency: sim.Constant(read)})
	srv, err := New(eng, net, rec, "kube-apiserver", st.Endpoint(), cfg)
	if err != nil {
		panic(err)
	}
	st.Subscribe(net.OpenStream(srv.Endpoint(), st.Endpoint()))
	p := &probe{eng: eng, net: net, server: srv.Endpoint()}
	p.self = net.AddEndpoint("client", p)
	for id := range int32(3) {
		srv.SeedCache(st.Seed(api.Object{Resource: api.Leases, ID: id, Size: 300}))
	}
	return &env{eng: eng, net: net, rec: rec, st: st, srv: srv, p: p}
}

func (e *env) run(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.eng.Run(at(d)); err != nil {
		t.Fatal(err)
	}
}

// requests sums apiserver_request_total{verb, resource, code} over scopes.
func (e *env) requests(verb, res, code string) int64 {
	var n int64
	for _, c := range e.rec.Counters() {
		if c.Name == "apiserver_request_total" && c.Label("verb") == verb && c.Label("resource") == res && c.Label("code") == code {
			n += c.Value
		}
	}
	return n
}

func update(id int32, renew time.Duration) api.Request {
	return api.Request{Verb: api.Update, Resource: api.Leases, Name: id, Object: api.Object{Resource: api.Leases, ID: id, Size: 300, RenewTime: at(renew)}}
}

func TestMaxInflightRejectsAtOnce(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxMutatingRequestsInflight = 1
	e := newEnv(cfg)
	first := e.p.sendAt(0, update(0, time.Second))
	second := e.p.sendAt(0, update(1, time.Second))
	get := e.p.sendAt(0, api.Request{Verb: api.Get, Resource: api.Leases, Name: 2, FromCache: true})
	e.run(t, time.Second)

	// First: arrives 1ms, CPU to 6ms, storage 7ms, committed 17ms, back at
	// the server 18ms, at the client 19ms.
	if a := e.p.answer(first); len(a) != 1 || a[0].code != api.OK || a[0].at != at(19*ms) || a[0].result.ResourceVersion != 4 {
		t.Errorf("first: %+v", a)
	}
	// Second: the filter has no queue: 429 Retry-After 1s at once.
	if a := e.p.answer(second); len(a) != 1 || a[0].code != api.TooManyRequests || a[0].retryAfter != time.Second || a[0].at != at(2*ms) {
		t.Errorf("second: %+v", a)
	}
	// Reads have their own limit: not held up by the mutating one.
	if a := e.p.answer(get); len(a) != 1 || a[0].code != api.OK || a[0].at != at(7*ms) {
		t.Errorf("get: %+v", a)
	}
	if ok, tooMany := e.requests("update", "leases", "200"), e.requests("update", "leases", "429"); ok != 1 || tooMany != 1 {
		t.Errorf("apiserver_request_total update: 200 ×%d, 429 ×%d", ok, tooMany)
	}
	// Server-side durations, in completion order: the 429 (0), the first
	// (1ms→18ms); a named object is scope "resource".
	d := e.rec.Latency("apiserver_request_duration_seconds", "verb", "update", "resource", "leases", "scope", "resource").Samples()
	if len(d) != 2 || d[0] != 0 || d[1] != int64(17*ms) {
		t.Errorf("durations %v", d)
	}
	if got, _ := e.st.Get(api.Leases, 1); got.RenewTime != 0 || e.st.Revision() != 4 {
		t.Errorf("the rejected update was written: %+v, revision %d", got, e.st.Revision())
	}
}

func TestAPFQueuesAndTimesOutAtWaitLimit(t *testing.T) {
	// 6 seats: global-default (20 of 245 shares) gets ceil(6×20/245) = 1.
	// The probe's requests are an ordinary user's: global-default. A
	// 400ms request timeout makes the queue wait limit 100ms.
	cfg := apfConfig(6, 400*ms)
	cfg.Costs.Authentication = sim.Constant(time.Second)
	e := newEnv(cfg)
	first := e.p.sendAt(0, update(0, time.Second))
	second := e.p.sendAt(0, update(1, time.Second))
	third := e.p.sendAt(200*ms, update(2, time.Second)) // the queue has room again
	e.run(t, 5*time.Second)
	// Queued at 1ms, rejected at exactly 1ms + 100ms, told at 102ms.
	if a := e.p.answer(second); len(a) != 1 || a[0].code != api.TooManyRequests || a[0].retryAfter < time.Second || a[0].at != at(102*ms) {
		t.Fatalf("second: %+v", a)
	}
	// First: CPU 1ms→1.001s, storage 1.002s, committed 1.012s, client 1.014s.
	if a := e.p.answer(first); len(a) != 1 || a[0].code != api.OK || a[0].at != at(time.Second+14*ms) {
		t.Fatalf("first: %+v", a)
	}
	// Third: queued at 201ms, times out in turn at 301ms.
	if a := e.p.answer(third); len(a) != 1 || a[0].code != api.TooManyRequests || a[0].at != at(302*ms) {
		t.Fatalf("third: %+v", a)
	}
	if got, _ := e.st.Get(api.Leases, 1); got.RenewTime != 0 || e.st.Revision() != 4 {
		t.Fatalf("a timed-out request was served: %+v, revision %d", got, e.st.Revision())
	}
	m := e.rec.Resource("apiserver_flowcontrol_seats", 1, "server", "kube-apiserver", "priority_level", "global-default")
	if w := e.rec.Latency("apiserver_flowcontrol_seats_queue_wait_seconds", "server", "kube-apiserver", "priority_level", "global-default").Samples(); len(w) != 2 || w[0] != int64(100*ms) || w[1] != int64(100*ms) {
		t.Errorf("queue waits %v, want [100ms 100ms]", w)
	}
	if sum := m.Summary(e.eng.Now()); sum.PeakInUse != 1 || sum.PeakQueueLength != 1 || m.InUse() != 0 {
		t.Errorf("global-default seats: %+v, in use at the end %d", sum, m.InUse())
	}
	if n := e.rec.Counter("apiserver_flowcontrol_rejected_requests_total", "priority_level", "global-default", "flow_schema", "global-default", "reason", "time-out").Value; n != 2 {
		t.Errorf("rejected time-out ×%d, want 2", n)
	}
}

func TestAPFSeparatesLevels(t *testing.T) {
	// A kubelet's Lease update goes to node-high and is not held up by a
	// full global-default level.
	cfg := apfConfig(6, 400*ms)
	cfg.Costs.Authentication = sim.Constant(time.Second)
	cfg.Principals = &api.Principals{}
	cfg.Principals.Add(api.Principal{Identity: apf.User("alice")})
	node := cfg.Principals.Add(api.Principal{Identity: apf.Kubelet("node-1"), Namespace: apf.NamespaceNodeLease})
	e := newEnv(cfg)
	e.p.sendAt(0, update(0, time.Second))
	queued := e.p.sendAt(0, update(1, time.Second))
	lease := update(2, time.Second)
	lease.Principal = node
	kubelet := e.p.sendAt(0, lease)
	e.run(t, 5*time.Second)
	// Dispatched at once like the user's first update; both reach storage
	// at 1.002s, and the stand-in commits the second in the next batch.
	if a := e.p.answer(kubelet); len(a) != 1 || a[0].code != api.OK || a[0].at != at(time.Second+24*ms) {
		t.Fatalf("kubelet's lease update: %+v", a)
	}
	if a := e.p.answer(queued); len(a) != 1 || a[0].code != api.TooManyRequests {
		t.Fatalf("user's second update: %+v", a)
	}
	if n := e.rec.Counter("apiserver_flowcontrol_dispatched_requests_total", "priority_level", "node-high", "flow_schema", "system-node-high").Value; n != 1 {
		t.Errorf("node-high dispatched %d, want 1", n)
	}
}

func TestCPUContention(t *testing.T) {
	// One core, 5ms per request: two reads that arrive together are served
	// one after the other, and the second's wait is counted as cpuWait.
	cfg := defaultConfig()
	cfg.CPUs = 1
	e := newEnv(cfg)
	a := e.p.sendAt(0, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true})
	b := e.p.sendAt(0, api.Request{Verb: api.Get, Resource: api.Leases, Name: 1, FromCache: true})
	e.run(t, time.Second)
	if x := e.p.answer(a); len(x) != 1 || x[0].at != at(7*ms) {
		t.Fatalf("a: %+v", x)
	}
	if x := e.p.answer(b); len(x) != 1 || x[0].at != at(12*ms) {
		t.Fatalf("b: %+v", x)
	}
	e.srv.Finish(e.eng.Now())
	stage := func(st string) int64 {
		return e.rec.Counter("apiserver_request_stage_nanoseconds_total", "verb", "get", "resource", "leases", "stage", st).Value
	}
	if w, authn := stage("cpuWait"), stage("authentication"); w != int64(5*ms) || authn != int64(10*ms) {
		t.Fatalf("cpuWait %v, authentication %v; want 5ms and 10ms", time.Duration(w), time.Duration(authn))
	}
	// 10ms busy on one core in the first second.
	if u := e.rec.Gauge("apiserver_cpu_utilization", "server", "kube-apiserver").Points(at(time.Second)); u[0].Last != 0.01 {
		t.Fatalf("utilization %+v, want 0.01", u)
	}
}

func TestStopResetsAndStartInitialises(t *testing.T) {
	e := newEnv(defaultConfig())
	inFlight := e.p.sendAt(0, update(0, time.Second))
	w := e.p.sendAt(0, api.Request{Verb: api.Watch, Resource: api.Leases, Name: -1, ResourceVersion: 3})
	e.eng.Schedule(sim.Event{At: at(10 * ms), Target: stopper{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	refused := e.p.sendAt(20*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0})
	e.eng.Schedule(sim.Event{At: at(50 * ms), Target: starter{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	early := e.p.sendAt(50*ms, api.Request{Verb: api.List, Resource: api.Leases, Name: -1, FromCache: true})
	later := e.p.sendAt(200*ms, update(1, 2*time.Second))
	e.run(t, time.Second)
	// The update was in storage when the process died: the client learns
	// of the reset at once (11ms), whatever storage does with the write.
	if a := e.p.answer(inFlight); len(a) != 1 || a[0].code != api.ConnectionReset || a[0].at != at(11*ms) {
		t.Errorf("in flight: %+v", a)
	}
	stream := e.p.streamOf(w)
	closed := false
	for _, m := range e.p.msgs {
		closed = closed || m.stream == stream && m.kind == sim.KindStreamClosed
	}
	if !closed {
		t.Errorf("the watch stream %d was not closed: %+v", stream, e.p.msgs)
	}
	if a := e.p.answer(refused); len(a) != 1 || a[0].code != api.ConnectionRefused || a[0].at != at(22*ms) {
		t.Errorf("while down: %+v", a)
	}
	// Started at 50ms with a cache initialisation of 1ms per object (3
	// Leases, FixedCostConfig has no decode cost: ready at once) — the list
	// arrives at 51ms and is served.
	if a := e.p.answer(early); len(a) != 1 || a[0].code != api.OK {
		t.Errorf("list after start: %+v", a)
	}
	if a := e.p.answer(later); len(a) != 1 || a[0].code != api.OK {
		t.Errorf("update after start: %+v", a)
	}
	if n := e.rec.Counter("apiserver_restarts_total").Value; n != 1 {
		t.Errorf("restarts %d", n)
	}
}

// TestStopWithAPFReleasesSeatsAndQueue: a stop resets the executing and
// the queued request alike, and the level's seat and queue meters go back
// to zero; after the start the level dispatches again.
func TestStopWithAPFReleasesSeatsAndQueue(t *testing.T) {
	// global-default gets 1 seat of 6 (see TestAPFQueuesAndTimesOutAtWaitLimit).
	cfg := apfConfig(6, time.Minute)
	cfg.Costs.Authentication = sim.Constant(time.Second)
	e := newEnv(cfg)
	running := e.p.sendAt(0, update(0, time.Second))
	queued := e.p.sendAt(0, update(1, time.Second))
	e.eng.Schedule(sim.Event{At: at(10 * ms), Target: stopper{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	e.eng.Schedule(sim.Event{At: at(20 * ms), Target: starter{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	after := e.p.sendAt(30*ms, update(2, time.Second))
	e.run(t, 5*time.Second)
	for i, id := range []uint64{running, queued} {
		if a := e.p.answer(id); len(a) != 1 || a[0].code != api.ConnectionReset || a[0].at != at(11*ms) {
			t.Errorf("request %d (running, queued): %+v", i, a)
		}
	}
	if a := e.p.answer(after); len(a) != 1 || a[0].code != api.OK {
		t.Errorf("after the start: %+v", a)
	}
	m := e.rec.Resource("apiserver_flowcontrol_seats", 1, "server", "kube-apiserver", "priority_level", "global-default")
	if m.InUse() != 0 || m.Queued() != 0 {
		t.Errorf("global-default meter: %d in use, %d queued at the end", m.InUse(), m.Queued())
	}
	if w := e.rec.Latency("apiserver_flowcontrol_seats_queue_wait_seconds", "server", "kube-apiserver", "priority_level", "global-default").Samples(); len(w) != 1 || w[0] != int64(9*ms) {
		t.Errorf("queue waits %v, want the reset one's 9ms", w)
	}
}

func TestCacheInitialisationRejectsReads(t *testing.T) {
	cfg := defaultConfig()
	cfg.Costs.DecodePerObject = 100 * ms // 3 Leases: ready 300ms after start
	e := newEnv(cfg)
	e.eng.Schedule(sim.Event{At: at(10 * ms), Target: stopper{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	e.eng.Schedule(sim.Event{At: at(20 * ms), Target: starter{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	early := e.p.sendAt(100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true})
	fromStorage := e.p.sendAt(100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0})
	ready := e.p.sendAt(400*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true})
	e.run(t, time.Second)
	if a := e.p.answer(early); len(a) != 1 || a[0].code != api.TooManyRequests || a[0].retryAfter != time.Second {
		t.Errorf("cache read while initialising: %+v", a)
	}
	if a := e.p.answer(fromStorage); len(a) != 1 || a[0].code != api.OK {
		t.Errorf("storage read while initialising: %+v", a)
	}
	if a := e.p.answer(ready); len(a) != 1 || a[0].code != api.OK {
		t.Errorf("cache read after initialising: %+v", a)
	}
}

// A request sent to a stopped replica is refused by the host: it never
// reaches the API server and is not counted in its request rate.
func TestRefusedRequestsAreNotCounted(t *testing.T) {
	e := newEnv(defaultConfig())
	e.eng.Schedule(sim.Event{At: at(1500 * ms), Target: stopper{e.srv}, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	var refused []uint64
	for i := range 4 {
		e.p.sendAt(time.Duration(i)*100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true})
		refused = append(refused, e.p.sendAt(2*time.Second+time.Duration(i)*100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true}))
	}
	e.run(t, 3*time.Second)
	for _, id := range refused {
		if a := e.p.answer(id); len(a) != 1 || a[0].code != api.ConnectionRefused {
			t.Fatalf("request to the stopped replica: %+v", a)
		}
	}
	e.srv.Finish(e.eng.Now())
	var got []float64
	for _, p := range e.rec.Gauge(RequestRateGauge, "server", "kube-apiserver").Points(at(3 * time.Second)) {
		got = append(got, p.Last)
	}
	if want := []float64{4, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests per second %v, want %v", got, want)
	}
}

type stopper struct{ s *Server }

func (x stopper) Handle(*sim.Event) { x.s.Stop() }

type starter struct{ s *Server }

// Handle starts the server and refills its cache as its storage client
// would: the three seeded Leases.
func (x starter) Handle(*sim.Event) {
	x.s.Start(func() (int64, int64) {
		for id := range int32(3) {
			x.s.SeedCache(api.Object{Resource: api.Leases, ID: id, Size: 300, ResourceVersion: int64(id) + 1})
		}
		return 3, 900
	})
}

func TestReadsFromCacheAndFromStorage(t *testing.T) {
	e := newEnv(defaultConfig())
	cached := e.p.sendAt(0, api.Request{Verb: api.Get, Resource: api.Leases, Name: 1, FromCache: true})
	missing := e.p.sendAt(0, api.Request{Verb: api.Get, Resource: api.Leases, Name: 7, FromCache: true})
	e.run(t, 100*ms)
	if n := e.rec.Counter("storage_reads_total").Value; n != 0 {
		t.Fatalf("cache reads went to storage %d times", n)
	}
	// Served after one service time: 1 + 5 + 1 ms.
	if a := e.p.answer(cached); len(a) != 1 || a[0].code != api.OK || a[0].at != at(7*ms) || a[0].result.ID != 1 || a[0].result.ResourceVersion != 2 {
		t.Fatalf("cached get: %+v", a)
	}
	if a := e.p.answer(missing); len(a) != 1 || a[0].code != api.NotFound || a[0].at != at(7*ms) {
		t.Fatalf("cached get of a missing object: %+v", a)
	}

	direct := e.p.sendAt(100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 1})
	directMissing := e.p.sendAt(100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 7})
	e.run(t, time.Second)
	if n := e.rec.Counter("storage_reads_total").Value; n != 2 {
		t.Fatalf("storage reads %d, want 2", n)
	}
	// 1 + 5 service + 1 to storage + 2 read + 1 back + 1 to the client.
	if a := e.p.answer(direct); len(a) != 1 || a[0].code != api.OK || a[0].at != at(111*ms) || a[0].result.ResourceVersion != 2 {
		t.Fatalf("get from storage: %+v", a)
	}
	if a := e.p.answer(directMissing); len(a) != 1 || a[0].code != api.NotFound || a[0].at != at(111*ms) {
		t.Fatalf("get of a missing object from storage: %+v", a)
	}
}

func TestListFromCache(t *testing.T) {
	e := newEnv(defaultConfig())
	all := e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.Leases, Name: -1, FromCache: true})
	one := e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.Leases, Name: 2, FromCache: true})
	none := e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.Nodes, Name: -1, FromCache: true})
	e.run(t, time.Second)
	if a := e.p.answer(all); len(a) != 1 || a[0].code != api.OK || len(a[0].items) != 3 || a[0].result.ResourceVersion != 3 || a[0].items[2].ID != 2 || a[0].at != at(7*ms) {
		t.Fatalf("list all: %+v", a)
	}
	if a := e.p.answer(one); len(a) != 1 || len(a[0].items) != 1 || a[0].items[0].ID != 2 {
		t.Fatalf("list one: %+v", a)
	}
	if a := e.p.answer(none); len(a) != 1 || a[0].code != api.OK || len(a[0].items) != 0 {
		t.Fatalf("list of an empty resource: %+v", a)
	}
	if n := e.rec.Counter("storage_reads_total").Value; n != 0 {
		t.Fatalf("lists went to storage %d times", n)
	}
}

func TestPatchRetriesConflictInternally(t *testing.T) {
	e := newEnv(defaultConfig())
	patch := func(renew time.Duration) api.Request {
		return api.Request{Verb: api.Patch, Resource: api.NodeStatus, Name: 0,
			Object: api.Object{Resource: api.Nodes, ID: 0, Ready: api.ConditionTrue, HeartbeatTime: at(renew)}}
	}
	e.srv.SeedCache(e.st.Seed(api.Object{Resource: api.Nodes, ID: 0, Ready: api.ConditionTrue})) // rev 4
	a := e.p.sendAt(0, patch(time.Second))
	b := e.p.sendAt(0, patch(2*time.Second))
	e.run(t, time.Second)
	// Both patch revision 4 and reach storage at 7ms. a starts a batch of
	// its own (committed 17ms); b waits for the next (17ms→27ms), in which
	// revision 4 is stale: conflict. The server retries it on storage's
	// copy (back at storage 29ms, committed 39ms, client 41ms).
	if x := e.p.answer(a); len(x) != 1 || x[0].code != api.OK || x[0].at != at(19*ms) || x[0].result.ResourceVersion != 5 {
		t.Fatalf("a: %+v", x)
	}
	if x := e.p.answer(b); len(x) != 1 || x[0].code != api.OK || x[0].at != at(41*ms) || x[0].result.ResourceVersion != 6 {
		t.Fatalf("b: %+v", x)
	}
	if got, _ := e.st.Get(api.Nodes, 0); got.HeartbeatTime != at(2*time.Second) || got.ResourceVersion != 6 {
		t.Fatalf("stored %+v", got)
	}
	if n := e.rec.Counter("storage_conflicts_total").Value; n != 1 {
		t.Fatalf("storage conflicts %d, want 1", n)
	}
	if n := e.requests("patch", "nodes/status", "409"); n != 0 {
		t.Fatalf("a patch conflict reached the client %d times", n)
	}
	if n := e.requests("patch", "nodes/status", "200"); n != 2 {
		t.Fatalf("patch 200 ×%d", n)
	}
}

func TestPatchOfMissingObjectIsNotFound(t *testing.T) {
	e := newEnv(defaultConfig())
	x := e.p.sendAt(0, api.Request{Verb: api.Patch, Resource: api.NodeStatus, Name: 3, Object: api.Object{Resource: api.Nodes, ID: 3}})
	e.run(t, time.Second)
	if a := e.p.answer(x); len(a) != 1 || a[0].code != api.NotFound {
		t.Fatalf("patch of a missing node: %+v", a)
	}
}

func TestUpdatePreconditions(t *testing.T) {
	e := newEnv(defaultConfig())
	stale := update(0, time.Second)
	stale.ResourceVersion = 7 // not lease 0's revision (1)
	fresh := update(1, time.Second)
	fresh.ResourceVersion = 2
	missing := update(9, time.Second)
	s := e.p.sendAt(0, stale)
	f := e.p.sendAt(0, fresh)
	m := e.p.sendAt(0, missing)
	c := e.p.sendAt(0, api.Request{Verb: api.Create, Resource: api.Leases, Name: 4, Object: api.Object{Resource: api.Leases, ID: 4}})
	dup := e.p.sendAt(0, api.Request{Verb: api.Create, Resource: api.Leases, Name: 2, Object: api.Object{Resource: api.Leases, ID: 2}})
	e.run(t, time.Second)
	// All reach storage at 7ms: the first opens a batch alone (client at
	// 19ms), the others form the next one (client at 29ms).
	for _, tc := range []struct {
		name string
		id   uint64
		code api.Code
		at   time.Duration
	}{
		{"stale update", s, api.Conflict, 19 * ms},
		{"fresh update", f, api.OK, 29 * ms},
		{"update of missing", m, api.NotFound, 29 * ms},
		{"create", c, api.Created, 29 * ms},
		{"create existing", dup, api.Conflict, 29 * ms},
	} {
		if a := e.p.answer(tc.id); len(a) != 1 || a[0].code != tc.code || a[0].at != at(tc.at) {
			t.Errorf("%s: %+v, want %d at %v", tc.name, a, tc.code, tc.at)
		}
	}
	if e.st.Revision() != 5 {
		t.Errorf("revision %d, want 5 (two writes)", e.st.Revision())
	}
}

func TestDeleteRemovesFromCache(t *testing.T) {
	e := newEnv(defaultConfig())
	d := e.p.sendAt(0, api.Request{Verb: api.Delete, Resource: api.Leases, Name: 1})
	get := e.p.sendAt(100*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 1, FromCache: true})
	list := e.p.sendAt(100*ms, api.Request{Verb: api.List, Resource: api.Leases, Name: -1, FromCache: true})
	e.run(t, time.Second)
	if a := e.p.answer(d); len(a) != 1 || a[0].code != api.OK {
		t.Fatalf("delete: %+v", a)
	}
	if a := e.p.answer(get); len(a) != 1 || a[0].code != api.NotFound {
		t.Fatalf("get after delete: %+v", a)
	}
	if a := e.p.answer(list); len(a) != 1 || len(a[0].items) != 2 || a[0].result.ResourceVersion != 4 {
		t.Fatalf("list after delete: %+v", a)
	}
	if e.srv.CacheRevision() != 4 {
		t.Fatalf("cache revision %d, want 4", e.srv.CacheRevision())
	}
}

func TestRequestRateGauge(t *testing.T) {
	// Five requests arrive in the first second, two in the third: the
	// rate gauge has one point per one-second bucket.
	e := newEnv(defaultConfig())
	for i := 0; i < 5; i++ {
		e.p.sendAt(time.Duration(100*i)*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0, FromCache: true})
	}
	for i := 0; i < 2; i++ {
		e.p.sendAt(2*time.Second+time.Duration(100*i)*ms, api.Request{Verb: api.Get, Resource: api.Leases, Name: 1, FromCache: true})
	}
	e.run(t, 4*time.Second)
	e.srv.Finish(e.eng.Now())
	var got []float64
	for _, p := range e.rec.Gauge("apiserver_requests_per_second", "server", "kube-apiserver").Points(at(4 * time.Second)) {
		got = append(got, p.Last)
	}
	// No request arrived in the last second: its rate is 0, not the last
	// bucket's carried forward.
	if want := []float64{5, 0, 2, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests per second %v, want %v", got, want)
	}
	// No 429 was sent: no 429 rate series.
	for _, g := range e.rec.Gauges() {
		if g.Name == RejectionRateGauge {
			t.Fatalf("a 429 rate series without a 429: %v", g.Key())
		}
	}
}

func TestRejectionRateGauge(t *testing.T) {
	// The max-inflight filter with one read-only seat: of three GETs sent
	// together in the second second, two are answered 429 at once.
	cfg := defaultConfig()
	cfg.MaxRequestsInflight = 1
	e := newEnv(cfg)
	for i := 0; i < 3; i++ {
		e.p.sendAt(time.Second+time.Duration(i)*time.Microsecond, api.Request{Verb: api.Get, Resource: api.Leases, Name: 0})
	}
	e.run(t, 4*time.Second)
	e.srv.Finish(e.eng.Now())
	var got []float64
	for _, p := range e.rec.Gauge(RejectionRateGauge, "server", "kube-apiserver").Points(at(4 * time.Second)) {
		got = append(got, p.Last)
	}
	if want := []float64{0, 2, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("429s per second %v, want %v", got, want)
	}
}
