package client

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

const lat = time.Millisecond // one-way network latency in these tests

func at(d time.Duration) sim.Time { return sim.Time(d) }

// arrival is a request as the fake server saw it.
type arrival struct {
	at        sim.Time
	id        uint64
	verb      api.Verb
	res       api.Resource
	name      int32
	rv        int64
	fromCache bool
	onWire    sim.Time
	sent      sim.Time
	retries   int
}

// fakeServer is an API server endpoint whose answers the test decides.
// answer returns the code to answer with and after how long; ok=false
// leaves the request unanswered (default: 200 at once). A watch answered
// with success first opens a stream and announces it.
type fakeServer struct {
	eng    *sim.Engine
	net    *sim.Network
	self   sim.EndpointID
	answer func(req *api.Request, n int) (code api.Code, delay time.Duration, ok bool)

	got     []arrival
	streams []sim.StreamID // watch streams opened, in order
	closed  []closedAt     // KindStreamClosed received
	items   []api.Object   // what a list returns
	listRV  int64
	// retryAfter is the Retry-After of a 429 (1s unless changed).
	retryAfter time.Duration
}

type closedAt struct {
	at     sim.Time
	stream sim.StreamID
}

const kindAnswer int32 = 900

func newFakeServer(eng *sim.Engine, net *sim.Network) *fakeServer {
	s := &fakeServer{eng: eng, net: net, retryAfter: time.Second}
	s.self = net.AddEndpoint("fake-apiserver", s)
	return s
}

func (s *fakeServer) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindRequest:
		req := ev.Data.(*api.Request)
		s.got = append(s.got, arrival{at: s.eng.Now(), id: req.ID, verb: req.Verb, res: req.Resource, name: req.Name, rv: req.ResourceVersion,
			fromCache: req.FromCache, onWire: req.OnWire, sent: req.Sent, retries: req.Retries})
		code, delay, ok := api.OK, time.Duration(0), true
		if s.answer != nil {
			code, delay, ok = s.answer(req, len(s.got))
		}
		if !ok {
			return
		}
		if req.Verb == api.Watch && code.Success() {
			st := s.net.OpenStream(req.From, s.self)
			s.streams = append(s.streams, st)
			s.net.SendStream(st, s.self, api.KindWatchStarted, int64(req.ID), 0, nil)
		}
		s.eng.Schedule(sim.Event{At: s.eng.Now().Add(delay), Target: s, Kind: kindAnswer, A: int64(code), Data: req, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	case kindAnswer:
		req := ev.Data.(*api.Request)
		req.Code = api.Code(ev.A)
		req.RetryAfter = 0
		if req.Code == api.TooManyRequests {
			req.RetryAfter = s.retryAfter
		}
		if req.Verb == api.List && req.Code.Success() {
			req.Items = append([]api.Object(nil), s.items...)
			req.Result.ResourceVersion = s.listRV
		}
		s.net.Send(s.self, req.From, api.KindResponse, 0, 0, req)
	case sim.KindStreamClosed:
		s.closed = append(s.closed, closedAt{s.eng.Now(), ev.Stream})
	}
}

// event sends a watch event on stream.
func (s *fakeServer) event(stream sim.StreamID, typ api.WatchEventType, obj api.Object) {
	s.net.SendStream(stream, s.self, api.KindWatchEvent, 0, 0, &api.WatchEvent{Type: typ, Object: obj})
}

// response is what a caller was told.
type response struct {
	at      sim.Time
	id      uint64
	code    api.Code
	retries int
}

// caller owns a client (and optionally a reflector) at its own endpoint,
// and records the responses it is told of.
type caller struct {
	eng  *sim.Engine
	self sim.EndpointID
	c    *Client
	refl *Reflector
	got  []response
}

func (p *caller) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		if p.refl != nil {
			p.refl.HandleStream(ev)
		}
	}
}

func (p *caller) OnResponse(req *api.Request) {
	p.got = append(p.got, response{at: p.eng.Now(), id: req.ID, code: req.Code, retries: req.Retries})
}

type env struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	srv *fakeServer
	p   *caller
}

func newEnv(cfg Config) *env {
	eng := sim.NewEngine(1)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	srv := newFakeServer(eng, net)
	p := &caller{eng: eng}
	p.self = net.AddEndpoint("caller", p)
	p.c = New(eng, net, NewShared(rec), p.self, srv.self, cfg)
	return &env{eng: eng, net: net, rec: rec, srv: srv, p: p}
}

func (e *env) run(t *testing.T, until time.Duration) {
	t.Helper()
	if err := e.eng.Run(at(until)); err != nil {
		t.Fatal(err)
	}
}

// do issues a GET of lease id now.
func (e *env) do(id int32) *api.Request {
	req := e.p.c.NewRequest(api.Get, api.Leases, id)
	e.p.c.Do(req, e.p)
	return req
}

// action is a test step run by the engine at a virtual time.
type action func()

func (a action) Handle(*sim.Event) { a() }

// atTime runs f at virtual time t.
func atTime(eng *sim.Engine, t time.Duration, f func()) {
	eng.Schedule(sim.Event{At: at(t), Target: action(f), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func TestTokenBucketBurstThenQPS(t *testing.T) {
	e := newEnv(Config{QPS: 5, Burst: 10})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
	for i := range 30 {
		e.do(int32(i))
	}
	e.run(t, 10*time.Second)
	if len(e.srv.got) != 30 {
		t.Fatalf("server got %d requests, want 30", len(e.srv.got))
	}
	for k, a := range e.srv.got {
		// x/time/rate: a full bucket of 10, then one token per 1/5 s, so
		// request k >= 10 waits (k-9) × 200ms.
		want := sim.Time(0)
		if k >= 10 {
			want = at(time.Duration(k-9) * 200 * time.Millisecond)
		}
		if a.name != int32(k) || a.onWire != want || a.sent != 0 || a.at != want.Add(lat) {
			t.Errorf("request %d: name %d sent %v on wire %v arrived %v; want on wire %v, arrived %v", k, a.name, a.sent, a.onWire, a.at, want, want.Add(lat))
		}
	}
	// The limiter wait is recorded per request.
	th := e.rec.Latency("rest_client_rate_limiter_duration_seconds").Samples()
	if len(th) != 30 || th[0] != 0 || th[9] != 0 || th[10] != int64(200*time.Millisecond) || th[29] != int64(4*time.Second) {
		t.Errorf("throttle samples %v", th)
	}
}

func TestTokenBucketRefills(t *testing.T) {
	e := newEnv(Config{QPS: 5, Burst: 10})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
	for i := range 10 {
		e.do(int32(i))
	}
	e.run(t, time.Second) // 1s refills 5 tokens
	for i := range 7 {
		e.do(int32(10 + i))
	}
	e.run(t, 5*time.Second)
	wantWire := []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		time.Second, time.Second, time.Second, time.Second, time.Second, 1200 * time.Millisecond, 1400 * time.Millisecond}
	if len(e.srv.got) != len(wantWire) {
		t.Fatalf("server got %d requests", len(e.srv.got))
	}
	for k, a := range e.srv.got {
		if a.onWire != at(wantWire[k]) {
			t.Errorf("request %d on wire at %v, want %v", k, a.onWire, wantWire[k])
		}
	}
}

func TestUnthrottledSendsAllAtOnce(t *testing.T) {
	for _, qps := range []float64{-1, 0} {
		e := newEnv(Config{QPS: qps, Burst: 1})
		e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
		for i := range 30 {
			e.do(int32(i))
		}
		e.run(t, time.Second)
		if len(e.srv.got) != 30 {
			t.Fatalf("qps %v: server got %d requests", qps, len(e.srv.got))
		}
		for k, a := range e.srv.got {
			if a.onWire != 0 || a.at != at(lat) {
				t.Errorf("qps %v: request %d on wire %v arrived %v", qps, k, a.onWire, a.at)
			}
		}
		if n := e.rec.Latency("rest_client_rate_limiter_duration_seconds").Count(); n != 0 {
			t.Errorf("qps %v: %d throttle samples for an unthrottled client", qps, n)
		}
	}
}

func TestResponseReachesCaller(t *testing.T) {
	e := newEnv(Config{QPS: -1, Timeout: 10 * time.Second})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return api.OK, 3 * time.Second, true }
	req := e.do(4)
	e.run(t, time.Minute)
	want := []response{{at: at(3*time.Second + 2*lat), id: req.ID, code: api.OK}}
	if len(e.p.got) != 1 || e.p.got[0] != want[0] {
		t.Fatalf("caller got %+v, want %+v", e.p.got, want)
	}
	// The timeout that was armed for 10s must not fire on a completed request.
	s := e.rec.Latency("rest_client_request_duration_seconds", "verb", "get", "resource", "leases").Samples()
	if len(s) != 1 || s[0] != int64(3*time.Second+2*lat) {
		t.Fatalf("client latency samples %v", s)
	}
}

func TestTimeoutWithoutAnswer(t *testing.T) {
	e := newEnv(Config{QPS: -1, Timeout: 10 * time.Second})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
	req := e.do(1)
	e.run(t, time.Minute)
	if len(e.p.got) != 1 || e.p.got[0].code != api.ClientTimeout || e.p.got[0].at != at(10*time.Second) {
		t.Fatalf("caller got %+v, want one ClientTimeout at 10s", e.p.got)
	}
	if !req.Abandoned || req.Pending {
		t.Fatalf("timed-out request: abandoned %v pending %v", req.Abandoned, req.Pending)
	}
	s := e.rec.Latency("rest_client_request_duration_seconds", "verb", "get", "resource", "leases").Samples()
	if len(s) != 1 || s[0] != int64(10*time.Second) {
		t.Fatalf("client latency samples %v", s)
	}
}

func TestLateResponseIsIgnored(t *testing.T) {
	e := newEnv(Config{QPS: -1, Timeout: 10 * time.Second})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return api.OK, 15 * time.Second, true }
	e.do(1)
	e.run(t, time.Minute)
	if len(e.p.got) != 1 || e.p.got[0].code != api.ClientTimeout || e.p.got[0].at != at(10*time.Second) {
		t.Fatalf("caller got %+v, want only a ClientTimeout at 10s", e.p.got)
	}
}

func TestTimeoutStartsWhenTheRequestLeaves(t *testing.T) {
	e := newEnv(Config{QPS: 1, Burst: 1, Timeout: 10 * time.Second})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
	e.do(1)
	e.do(2) // throttled for 1s
	e.run(t, time.Minute)
	if len(e.p.got) != 2 || e.p.got[0].at != at(10*time.Second) || e.p.got[1].at != at(11*time.Second) {
		t.Fatalf("caller got %+v, want timeouts at 10s and 11s", e.p.got)
	}
}

// answer429 answers the first n attempts with 429 Retry-After 1s, later
// ones with 200.
func answer429(n int) func(*api.Request, int) (api.Code, time.Duration, bool) {
	return func(_ *api.Request, k int) (api.Code, time.Duration, bool) {
		if k <= n {
			return api.TooManyRequests, 0, true
		}
		return api.OK, 0, true
	}
}

func TestRetryAfter429IsInvisibleToTheCaller(t *testing.T) {
	for _, n := range []int{1, 3, 10} {
		e := newEnv(Config{QPS: -1, Timeout: 10 * time.Second})
		e.srv.answer = answer429(n)
		e.do(1)
		e.run(t, time.Minute)
		if len(e.srv.got) != n+1 {
			t.Fatalf("%d×429: server saw %d attempts, want %d", n, len(e.srv.got), n+1)
		}
		// Each attempt: 1ms there, answered at once, 1ms back, then a
		// Retry-After of 1s before the next goes out.
		for i, a := range e.srv.got {
			want := at(time.Duration(i)*(time.Second+2*lat) + lat)
			if a.at != want || a.retries != i {
				t.Errorf("%d×429: attempt %d arrived %v with retries %d, want %v and %d", n, i, a.at, a.retries, want, i)
			}
			if i > 0 && a.id == e.srv.got[i-1].id {
				t.Errorf("%d×429: attempt %d reuses the previous attempt's id", n, i)
			}
		}
		want := response{at: at(time.Duration(n)*(time.Second+2*lat) + 2*lat), code: api.OK, retries: n, id: e.srv.got[n].id}
		if len(e.p.got) != 1 || e.p.got[0] != want {
			t.Fatalf("%d×429: caller got %+v, want only %+v", n, e.p.got, want)
		}
	}
}

func TestRetryAfterGivesUpAfterTenRetries(t *testing.T) {
	e := newEnv(Config{QPS: -1, Timeout: 10 * time.Second})
	e.srv.answer = answer429(100)
	e.do(1)
	e.run(t, time.Minute)
	if len(e.srv.got) != 11 {
		t.Fatalf("server saw %d attempts, want 11 (1 + 10 retries)", len(e.srv.got))
	}
	want := response{at: at(10*(time.Second+2*lat) + 2*lat), code: api.TooManyRequests, retries: 10, id: e.srv.got[10].id}
	if len(e.p.got) != 1 || e.p.got[0] != want {
		t.Fatalf("caller got %+v, want %+v", e.p.got, want)
	}
}

func TestFirstAttemptTimeoutDoesNotFireOnRetry(t *testing.T) {
	// Timeout 1.5s. The 429 comes back at 2ms, the retry leaves at 1.002s
	// and is answered 1s later: past the first attempt's deadline (1.5s),
	// within the retry's own (2.502s).
	e := newEnv(Config{QPS: -1, Timeout: 1500 * time.Millisecond})
	e.srv.answer = func(_ *api.Request, k int) (api.Code, time.Duration, bool) {
		if k == 1 {
			return api.TooManyRequests, 0, true
		}
		return api.OK, time.Second, true
	}
	e.do(1)
	e.run(t, time.Minute)
	want := response{at: at(2*time.Second + 4*lat), code: api.OK, retries: 1, id: e.srv.got[1].id}
	if len(e.p.got) != 1 || e.p.got[0] != want {
		t.Fatalf("caller got %+v, want %+v", e.p.got, want)
	}
}

func Test429WithoutRetryAfterIsReturned(t *testing.T) {
	e := newEnv(Config{QPS: -1})
	e.srv.answer = answer429(100)
	e.srv.retryAfter = 0
	e.do(1)
	e.run(t, time.Minute)
	if len(e.srv.got) != 1 || len(e.p.got) != 1 || e.p.got[0].code != api.TooManyRequests || e.p.got[0].at != at(2*lat) {
		t.Fatalf("server saw %d attempts, caller got %+v; want one 429 passed through at 2ms", len(e.srv.got), e.p.got)
	}
}

func TestRetryGoesThroughTheLimiter(t *testing.T) {
	// QPS 1, burst 1: the first attempt takes the token at 0; its 429 comes
	// back at 2ms and the retry is due at 1.002s, after the bucket refilled
	// at 1s, so it leaves at once. The second request, asked at 0, took the
	// token due at 1s: the retry must wait for the one due at 2s.
	e := newEnv(Config{QPS: 1, Burst: 1})
	e.srv.answer = func(_ *api.Request, k int) (api.Code, time.Duration, bool) {
		if k == 1 {
			return api.TooManyRequests, 0, true
		}
		return api.OK, 0, true
	}
	e.do(1)
	e.do(2)
	e.run(t, time.Minute)
	if len(e.srv.got) != 3 {
		t.Fatalf("server saw %d attempts", len(e.srv.got))
	}
	if g := e.srv.got; g[0].onWire != 0 || g[1].onWire != at(time.Second) || g[1].name != 2 || g[2].name != 1 || g[2].onWire != at(2*time.Second) {
		t.Fatalf("attempts %+v", g)
	}
}

func TestStopIgnoresOutstandingResponses(t *testing.T) {
	e := newEnv(Config{QPS: -1, Timeout: 10 * time.Second})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return api.OK, 5 * time.Second, true }
	e.do(1)
	e.do(2)
	atTime(e.eng, time.Second, func() { e.p.c.Stop() })
	e.run(t, time.Minute)
	if len(e.p.got) != 0 {
		t.Fatalf("caller was told %+v after Stop", e.p.got)
	}
	// Neither the responses (5.002s) nor the timeouts (10s) reached it, and
	// the client works again for new requests.
	e.do(3)
	e.run(t, 2*time.Minute)
	if len(e.p.got) != 1 || e.p.got[0].code != api.OK || e.p.got[0].at != at(time.Minute+5*time.Second+2*lat) {
		t.Fatalf("after Stop, a new request got %+v", e.p.got)
	}
}

func TestStopDropsThrottledSends(t *testing.T) {
	e := newEnv(Config{QPS: 5, Burst: 1})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
	for i := range 3 { // on wire at 0, 200ms, 400ms
		e.do(int32(i))
	}
	atTime(e.eng, 300*time.Millisecond, func() { e.p.c.Stop() })
	e.run(t, time.Minute)
	if len(e.srv.got) != 2 || e.srv.got[1].onWire != at(200*time.Millisecond) {
		t.Fatalf("server saw %+v, want the sends at 0 and 200ms only", e.srv.got)
	}
}

func TestStopRefillsTheBucket(t *testing.T) {
	e := newEnv(Config{QPS: 5, Burst: 10})
	e.srv.answer = func(*api.Request, int) (api.Code, time.Duration, bool) { return 0, 0, false }
	for i := range 10 {
		e.do(int32(i))
	}
	e.p.c.Stop() // a restarted process has a full bucket
	for i := range 10 {
		e.do(int32(10 + i))
	}
	e.run(t, time.Minute)
	if len(e.srv.got) != 20 {
		t.Fatalf("server saw %d requests", len(e.srv.got))
	}
	for k, a := range e.srv.got {
		if a.onWire != 0 {
			t.Errorf("request %d on wire at %v, want 0", k, a.onWire)
		}
	}
}

func TestReleasedRequestsAreReusedButAbandonedOnesAreNot(t *testing.T) {
	e := newEnv(Config{QPS: -1})
	r1 := e.p.c.NewRequest(api.Get, api.Leases, 1)
	r1.Items = []api.Object{{}}
	e.p.c.Release(r1)
	r2 := e.p.c.NewRequest(api.Update, api.Nodes, 2)
	if r2 != r1 || r2.Items != nil || r2.Verb != api.Update || r2.Resource != api.Nodes || r2.Name != 2 || r2.ID <= 1 {
		t.Fatalf("pooled request not reset: %+v", r2)
	}
	r2.Abandoned = true
	e.p.c.Release(r2)
	if r3 := e.p.c.NewRequest(api.Get, api.Leases, 1); r3 == r2 {
		t.Fatal("an abandoned request was reused")
	}
}
