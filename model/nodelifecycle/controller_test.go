package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

const (
	lat = time.Millisecond
	ms  = time.Millisecond
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

func controllerConfig(n int) Config {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node-%d", i)
	}
	return Config{
		MonitorPeriod: 5 * time.Second,
		GracePeriod:   40 * time.Second,
		Client:        client.Config{QPS: 20, Burst: 30, Timeout: 60 * time.Second},
		NodeSize:      15000,
		NodeNames:     names,
	}
}

// fakeUpdate is an update or GET the fake API server received.
type fakeReq struct {
	at       sim.Time
	verb     api.Verb
	res      api.Resource
	name     int32
	rv       int64
	obj      api.Object
	inFlight int // updates outstanding at the server, this one included
}

// fakeServer answers the controller's node updates and GETs after a fixed
// delay; conflict decides which updates get a 409, fresh what a GET returns.
type fakeServer struct {
	eng      *sim.Engine
	net      *sim.Network
	self     sim.EndpointID
	delay    time.Duration
	nodes    map[int32]api.Object
	conflict func(req *api.Request) bool
	fresh    func(node api.Object) api.Object

	log         []fakeReq
	inFlight    int
	maxInFlight int
}

const kindAnswer int32 = 900

func (s *fakeServer) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindRequest:
		req := ev.Data.(*api.Request)
		if req.Verb == api.Update {
			s.inFlight++
			s.maxInFlight = max(s.maxInFlight, s.inFlight)
		}
		s.log = append(s.log, fakeReq{at: s.eng.Now(), verb: req.Verb, res: req.Resource, name: req.Name, rv: req.ResourceVersion, obj: req.Object, inFlight: s.inFlight})
		if req.Verb != api.Update && req.Verb != api.Get {
			return // list and watch: never answered
		}
		s.eng.Schedule(sim.Event{At: s.eng.Now().Add(s.delay), Target: s, Kind: kindAnswer, Data: req, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	case kindAnswer:
		req := ev.Data.(*api.Request)
		cur := s.nodes[req.Name]
		switch req.Verb {
		case api.Update:
			s.inFlight--
			if s.conflict != nil && s.conflict(req) {
				req.Code = api.Conflict
			} else {
				req.Code = api.OK
				cur = req.Object
				cur.ResourceVersion++
				s.nodes[req.Name] = cur
				req.Result = cur
			}
		case api.Get:
			if s.fresh != nil {
				cur = s.fresh(cur)
				s.nodes[req.Name] = cur
			}
			req.Code, req.Result = api.OK, cur
		}
		s.net.Send(s.self, req.From, api.KindResponse, 0, 0, req)
	}
}

func (s *fakeServer) count(verb api.Verb, name int32) int {
	n := 0
	for _, r := range s.log {
		if r.verb == verb && r.name == name {
			n++
		}
	}
	return n
}

type fakeEnv struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	srv *fakeServer
	nc  *Controller
}

// newFakeEnv: a controller that has been running with n Ready nodes whose
// heartbeats and leases never change, behind a fake API server. The first
// monitor pass is at 0, so every probe is 0 and every node is due at the
// first pass after 40s: 45s.
func newFakeEnv(n int, delay time.Duration) *fakeEnv {
	return newFakeEnvWith(n, delay, func(*api.Object) {})
}

// newFakeEnvWith is newFakeEnv with each node adjusted by edit first.
func newFakeEnvWith(n int, delay time.Duration, edit func(*api.Object)) *fakeEnv {
	eng := sim.NewEngine(1)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	srv := &fakeServer{eng: eng, net: net, delay: delay, nodes: map[int32]api.Object{}}
	srv.self = net.AddEndpoint("kube-apiserver", srv)
	nc := New(eng, net, rec, client.NewShared(rec), "kube-controller-manager", srv.self, controllerConfig(n))
	var nodes, leases []api.Object
	for id := range int32(n) {
		node := api.Object{Resource: api.Nodes, ID: id, Ready: api.ConditionTrue, ResourceVersion: int64(1 + 2*id)}
		edit(&node)
		srv.nodes[id] = node
		nodes = append(nodes, node)
		leases = append(leases, api.Object{Resource: api.Leases, ID: id, ResourceVersion: int64(2 + 2*id)})
	}
	nw := net.OpenStream(nc.Endpoint(), srv.self)
	lw := net.OpenStream(nc.Endpoint(), srv.self)
	nc.StartRunning(nodes, leases, int64(2*n), nw, lw, 0)
	return &fakeEnv{eng: eng, net: net, rec: rec, srv: srv, nc: nc}
}

func (e *fakeEnv) run(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.eng.Run(at(d)); err != nil {
		t.Fatal(err)
	}
}

func (e *fakeEnv) counter(name string) int64 { return e.rec.Counter(name).Value }

func TestAtMostEightUpdatesInFlight(t *testing.T) {
	e := newFakeEnv(20, 100*ms)
	e.run(t, 2*time.Minute)
	var ups []fakeReq
	for _, r := range e.srv.log {
		if r.verb == api.Update {
			ups = append(ups, r)
		}
	}
	if len(ups) != 20 || e.srv.maxInFlight != 8 {
		t.Fatalf("%d updates, at most %d in flight; want 20 and 8", len(ups), e.srv.maxInFlight)
	}
	// Three waves: 8 at 45s, 8 as the first 8 come back (100ms + 2ms
	// later), the last 4 after those; in node order.
	for i, u := range ups {
		wave := time.Duration(i / 8)
		want := at(45*time.Second + lat + wave*(100*ms+2*lat))
		if u.name != int32(i) || u.at != want || u.res != api.NodeStatus || u.obj.Ready != api.ConditionUnknown {
			t.Errorf("update %d: %+v, want node %d Unknown at %v", i, u, i, want)
		}
		if u.rv != int64(1+2*i) || u.obj.LastTransitionTime != want.Add(-lat) {
			t.Errorf("update %d: precondition %d, transition %v", i, u.rv, u.obj.LastTransitionTime)
		}
	}
	if n := e.counter("nodelifecycle_nodes_marked_unknown_total"); n != 20 {
		t.Fatalf("marked %d, want 20", n)
	}
}

func TestMonitorPassesAreSliding(t *testing.T) {
	e := newFakeEnv(20, 100*ms)
	passes := func() int64 { return e.counter("nodelifecycle_monitor_passes_total") }
	// Idle passes at 0, 5s, …, 40s; the 45s pass marks 20 nodes, the last
	// update answered at 45s + 3 × 102ms; the next pass a period after that.
	e.run(t, 45*time.Second-1)
	if passes() != 9 {
		t.Fatalf("%d passes before 45s, want 9", passes())
	}
	e.run(t, 45*time.Second)
	if passes() != 10 {
		t.Fatalf("%d passes at 45s, want 10", passes())
	}
	next := 45*time.Second + 3*(100*ms+2*lat) + 5*time.Second
	e.run(t, next-1)
	if passes() != 10 {
		t.Fatalf("%d passes before %v, want 10", passes(), next)
	}
	e.run(t, next)
	if passes() != 11 {
		t.Fatalf("%d passes at %v, want 11", passes(), next)
	}
	// Marked nodes are not marked again while their probe is stale.
	e.run(t, 3*time.Minute)
	if n := e.counter("nodelifecycle_nodes_marked_unknown_total"); n != 20 || len(e.srv.log) != 20 {
		t.Fatalf("marked %d, %d requests", n, len(e.srv.log))
	}
}

func TestFailedUpdateRetriedFiveTimesAfterGet(t *testing.T) {
	e := newFakeEnv(4, 10*ms)
	// Node 3's updates conflict during the first pass that marks.
	e.srv.conflict = func(req *api.Request) bool { return req.Name == 3 && e.eng.Now() < at(46*time.Second) }
	e.run(t, 60*time.Second)
	// First pass: update, then (GET, update) × 4, then give up: 5 updates.
	// The next pass (a period later) succeeds with one more.
	if u, g := e.srv.count(api.Update, 3), e.srv.count(api.Get, 3); u != 6 || g != 4 {
		t.Fatalf("node 3: %d updates, %d GETs; want 6 and 4", u, g)
	}
	var seq []api.Verb
	for _, r := range e.srv.log {
		if r.name == 3 {
			seq = append(seq, r.verb)
		}
	}
	want := []api.Verb{api.Update, api.Get, api.Update, api.Get, api.Update, api.Get, api.Update, api.Get, api.Update, api.Update}
	for i := range want {
		if i >= len(seq) || seq[i] != want[i] {
			t.Fatalf("node 3 requests %v, want %v", seq, want)
		}
	}
	if n := e.counter("nodelifecycle_nodes_marked_unknown_total"); n != 4 {
		t.Fatalf("marked %d, want 4", n)
	}
}

func TestFreshHeartbeatCancelsUpdate(t *testing.T) {
	e := newFakeEnv(3, 10*ms)
	// Node 1's update conflicts: the kubelet just posted status. The GET
	// shows the new heartbeat, which refreshes the probe: no update.
	e.srv.conflict = func(req *api.Request) bool { return req.Name == 1 }
	e.srv.fresh = func(node api.Object) api.Object {
		node.HeartbeatTime = at(45 * time.Second)
		node.ResourceVersion += 10
		return node
	}
	e.run(t, 80*time.Second) // the new probe (45.02s) is not stale before 85s
	if u, g := e.srv.count(api.Update, 1), e.srv.count(api.Get, 1); u != 1 || g != 1 {
		t.Fatalf("node 1: %d updates, %d GETs; want 1 and 1", u, g)
	}
	if n := e.counter("nodelifecycle_nodes_marked_unknown_total"); n != 2 {
		t.Fatalf("marked %d, want 2", n)
	}
}

func TestMarkedNodeIsNotedOnTheTimeline(t *testing.T) {
	e := newFakeEnv(1, 10*ms)
	e.run(t, time.Minute)
	notes, _ := e.rec.Timeline()
	// Marked when the update's answer arrives: 45s + 1 + 10 + 1 ms after
	// the probe at 0.
	want := "set node-0 Ready=Unknown: no heartbeat for 45.012s (grace 40s)"
	if len(notes) != 1 || notes[0].Message != want || notes[0].At != at(45*time.Second+12*ms) || notes[0].Component != "node-lifecycle-controller" {
		t.Fatalf("timeline %+v, want %q", notes, want)
	}
}

func TestNodeAlreadyUnknownIsLeftAlone(t *testing.T) {
	e := newFakeEnvWith(3, 10*ms, func(n *api.Object) {
		if n.ID == 1 {
			n.Ready = api.ConditionUnknown
		}
	})
	e.run(t, 3*time.Minute)
	if u := e.srv.count(api.Update, 1); u != 0 {
		t.Fatalf("node 1, already Unknown, was updated %d times", u)
	}
	if u0, u2 := e.srv.count(api.Update, 0), e.srv.count(api.Update, 2); u0 != 1 || u2 != 1 {
		t.Fatalf("nodes 0 and 2 updated %d and %d times, want once each", u0, u2)
	}
}
