package kubelet

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/storage"
	"github.com/orrery-sim/orrery/sim"
)

// Constant latencies make every round trip exact. A zero commit latency
// means a write never waits for another's batch.
const (
	lat     = time.Millisecond // one-way network latency
	service = time.Millisecond // API server service time
	readLat = time.Millisecond // storage read latency
	ms      = time.Millisecond

	// writeRTT is a kubelet write's round trip: to the tap, to the API
	// server, service, to storage, commit (0), back to the API server, back
	// to the kubelet.
	writeRTT = 5*lat + service
	// readRTT is the same for a read from storage.
	readRTT = 5*lat + service + readLat
	// toStorage is from a request's send to its commit.
	toStorage = 3*lat + service
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

func defaultConfig() Config {
	return Config{
		NodeLeaseDuration:         40 * time.Second,
		NodeStatusUpdateFrequency: 10 * time.Second,
		NodeStatusReportFrequency: 5 * time.Minute,
		Jitter:                    true,
		Heartbeat:                 client.Config{QPS: -1, Burst: 100, Timeout: 10 * time.Second},
		Main:                      client.Config{QPS: 50, Burst: 100},
		LeaseSize:                 300,
		NodeSize:                  15000,
	}
}

// tapEntry is a request as the tap saw it.
type tapEntry struct {
	at   sim.Time
	from sim.EndpointID
	verb api.Verb
	res  api.Resource
	name int32
	rv   int64
	obj  api.Object
}

// tap sits between the kubelets and the API server: it records every
// request and forwards it (the answer goes straight back to the sender),
// or, while drop is set, swallows it like an API server that never answers.
type tap struct {
	eng      *sim.Engine
	net      *sim.Network
	self     sim.EndpointID
	upstream sim.EndpointID
	drop     bool
	log      []tapEntry
	// answer, if set and returning true, answers a request itself with
	// that code instead of forwarding it.
	answer func(req *api.Request) (api.Code, bool)
}

func (t *tap) Handle(ev *sim.Event) {
	if ev.Kind != api.KindRequest {
		return
	}
	req := ev.Data.(*api.Request)
	t.log = append(t.log, tapEntry{at: t.eng.Now(), from: req.From, verb: req.Verb, res: req.Resource, name: req.Name, rv: req.ResourceVersion, obj: req.Object})
	if t.answer != nil {
		if code, ok := t.answer(req); ok {
			req.Code = code
			t.net.Send(t.self, req.From, api.KindResponse, 0, 0, req)
			return
		}
	}
	if !t.drop {
		t.net.Send(t.self, t.upstream, api.KindRequest, 0, 0, req)
	}
}

// after returns the requests that reached the tap after time from,
// optionally only those of resource res.
func (t *tap) after(from time.Duration, res ...api.Resource) []tapEntry {
	var out []tapEntry
	for _, e := range t.log {
		if e.at > at(from) && (len(res) == 0 || e.res == res[0]) {
			out = append(out, e)
		}
	}
	return out
}

type commitRec struct {
	at  sim.Time
	obj api.Object
}

// observer records committed Lease and Node objects per ID.
type observer struct {
	leases, nodes, pods map[int32][]commitRec
}

func (o *observer) Committed(now sim.Time, _ api.Object, _ bool, cur api.Object) {
	m := o.leases
	switch cur.Resource {
	case api.Nodes:
		m = o.nodes
	case api.Pods:
		m = o.pods
	}
	m[cur.ID] = append(m[cur.ID], commitRec{now, cur})
}

// probe sends requests of its own to the API server, as another writer.
type probe struct {
	net    *sim.Network
	self   sim.EndpointID
	server sim.EndpointID
	codes  []api.Code
}

const kindProbeSend int32 = 999

func (p *probe) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindProbeSend:
		p.net.Send(p.self, p.server, api.KindRequest, 0, 0, ev.Data)
	case api.KindResponse:
		p.codes = append(p.codes, ev.Data.(*api.Request).Code)
	}
}

type rig struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	st  *storage.Store
	srv *apiserver.Server
	tap *tap
	obs *observer
	p   *probe
	m   *Metrics
	ks  []*Kubelet
}

// newRig builds n nodes the way cluster.Build does: Node and Lease stored
// and cached, each kubelet running with a synced node informer on an open
// watch. The kubelets talk to the API server through the tap.
func newRig(t *testing.T, seed uint64, n int, cfg Config) *rig {
	t.Helper()
	return newRigNodes(t, seed, n, cfg, nil)
}

// newRigNodes is newRig with each Node's body (its allocatable resources,
// images) given by body; nil: Nodes without a body.
func newRigNodes(t *testing.T, seed uint64, n int, cfg Config, body func(id int32) *objects.Node) *rig {
	t.Helper()
	return newRigWarm(t, seed, n, cfg, body, nil)
}

// newRigWarm is newRigNodes with pods running before time 0: pods gives
// each pod to store (by ID), and the kubelets start with StartRunningPods
// once every object is stored, their pod watches open at the store's
// revision. nil: no pods, and each kubelet starts with StartRunning as
// soon as its Node and Lease are stored.
func newRigWarm(t *testing.T, seed uint64, n int, cfg Config, body func(id int32) *objects.Node, pods []objects.Pod) *rig {
	t.Helper()
	eng := sim.NewEngine(seed)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	st := storage.New(eng, net, rec, "etcd", storage.Config{CommitLatency: sim.Constant(0), ReadLatency: sim.Constant(readLat)})
	srv, err := apiserver.New(eng, net, rec, "kube-apiserver", st.Endpoint(), apiserver.FixedCostConfig(service))
	if err != nil {
		t.Fatal(err)
	}
	st.Subscribe(net.OpenStream(srv.Endpoint(), st.Endpoint()))
	tp := &tap{eng: eng, net: net, upstream: srv.Endpoint()}
	tp.self = net.AddEndpoint("tap", tp)
	p := &probe{net: net, server: srv.Endpoint()}
	p.self = net.AddEndpoint("probe", p)
	r := &rig{eng: eng, net: net, rec: rec, st: st, srv: srv, tap: tp, p: p, m: NewMetrics(rec),
		obs: &observer{leases: map[int32][]commitRec{}, nodes: map[int32][]commitRec{}, pods: map[int32][]commitRec{}}}
	st.SetObserver(r.obs)
	sh := client.NewShared(rec)
	var nodes, leases []api.Object
	for id := range int32(n) {
		obj := api.Object{Resource: api.Nodes, ID: id, Size: cfg.NodeSize, Ready: api.ConditionTrue}
		if body != nil {
			obj.Body = body(id)
		}
		node := st.Seed(obj)
		srv.SeedCache(node)
		lease := st.Seed(api.Object{Resource: api.Leases, ID: id, Size: cfg.LeaseSize})
		srv.SeedCache(lease)
		k := New(eng, net, rec, sh, r.m, fmt.Sprintf("node-%d", id), id, tp.self, cfg)
		r.ks = append(r.ks, k)
		if pods == nil {
			w := net.OpenStream(k.Endpoint(), srv.Endpoint())
			srv.AttachWatch(w, api.Nodes, id)
			k.StartRunning(lease, node, w)
		}
		nodes, leases = append(nodes, node), append(leases, lease)
	}
	if pods == nil {
		return r
	}
	var stored []api.Object
	for i := range pods {
		p := &pods[i]
		o := st.Seed(api.Object{Resource: api.Pods, ID: p.ID, Size: p.Size, Namespace: 1, Body: p})
		srv.SeedCache(o)
		stored = append(stored, o)
	}
	for i, k := range r.ks {
		w := net.OpenStream(k.Endpoint(), srv.Endpoint())
		srv.AttachWatch(w, api.Nodes, int32(i))
		pw := net.OpenStream(k.Endpoint(), srv.Endpoint())
		timeout := k.StartRunningPods(leases[i], nodes[i], w, stored, st.Revision(), pw)
		srv.AttachWatchRequest(pw, k.PodWatchRequest(timeout))
	}
	return r
}

func (r *rig) run(t *testing.T, until time.Duration) {
	t.Helper()
	if err := r.eng.Run(at(until)); err != nil {
		t.Fatal(err)
	}
}

type action func()

func (a action) Handle(*sim.Event) { a() }

// at runs f at virtual time t, before other work at t.
func (r *rig) at(t time.Duration, f func()) {
	r.eng.ScheduleWithPriority(sim.Event{At: at(t), Target: action(f), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream}, sim.PriorityUrgent)
}

// send makes the probe send req at time t.
func (r *rig) send(t time.Duration, req api.Request) {
	q := req
	q.From = r.p.self
	r.eng.Schedule(sim.Event{At: at(t), Target: r.p, Kind: kindProbeSend, Data: &q, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

// setUnknown makes the probe write node id's Ready condition Unknown at
// time t, as the node lifecycle controller would.
func (r *rig) setUnknown(t time.Duration, id int32) {
	r.at(t, func() {
		node, _ := r.st.Get(api.Nodes, id)
		node.Ready, node.LastTransitionTime = api.ConditionUnknown, r.eng.Now()
		r.send(t, api.Request{Verb: api.Update, Resource: api.NodeStatus, Name: id, Object: node})
	})
}

func (r *rig) requests(verb, res, code string) int64 {
	return r.rec.Counter("apiserver_request_total", "verb", verb, "resource", res, "scope", "resource", "code", code).Value
}

func TestLeaseRenewedEveryJitteredInterval(t *testing.T) {
	r := newRig(t, 1, 3, defaultConfig())
	r.run(t, 5*time.Minute)
	var lo, hi time.Duration = time.Hour, 0
	for id := range int32(3) {
		c := r.obs.leases[id]
		if len(c) < 27 {
			t.Fatalf("node %d: %d renewals in 5m", id, len(c))
		}
		for i, x := range c {
			// RenewTime is when the update left the kubelet.
			if x.at != x.obj.RenewTime.Add(toStorage) {
				t.Fatalf("node %d renewal %d: committed %v, renew time %v", id, i, x.at, x.obj.RenewTime)
			}
			if i == 0 {
				if x.obj.RenewTime >= at(10*time.Second) {
					t.Fatalf("node %d: first renewal at %v, want within one interval", id, x.obj.RenewTime)
				}
				continue
			}
			// JitterUntil(sync, 10s, 0.04, sliding): the next sync is
			// 10s·[1, 1.04) after this one finished.
			gap := x.obj.RenewTime.Sub(c[i-1].obj.RenewTime) - writeRTT
			if gap < 10*time.Second || gap >= 10400*time.Millisecond {
				t.Fatalf("node %d renewal %d: %v after the previous sync finished, want in [10s, 10.4s)", id, i, gap)
			}
			lo, hi = min(lo, gap), max(hi, gap)
		}
	}
	if hi-lo < 200*ms {
		t.Errorf("renewal intervals span only [%v, %v]: no jitter?", lo, hi)
	}
	if n := r.m.LeaseSyncFailures.Value; n != 0 {
		t.Errorf("lease sync failures %d", n)
	}
}

func TestLeaseRenewedExactlyWithoutJitter(t *testing.T) {
	cfg := defaultConfig()
	cfg.Jitter = false
	r := newRig(t, 1, 3, cfg)
	r.run(t, 3*time.Minute)
	for id := range int32(3) {
		c := r.obs.leases[id]
		if len(c) < 17 {
			t.Fatalf("node %d: %d renewals", id, len(c))
		}
		for i := 1; i < len(c); i++ {
			if gap := c[i].obj.RenewTime.Sub(c[i-1].obj.RenewTime); gap != 10*time.Second+writeRTT {
				t.Fatalf("node %d renewal %d: gap %v, want exactly 10s + %v", id, i, gap, writeRTT)
			}
		}
	}
}

func TestNodeStatusReportedEveryReportFrequency(t *testing.T) {
	r := newRig(t, 2, 3, defaultConfig())
	first := make([]sim.Time, 3)
	for i, k := range r.ks {
		first[i] = k.lastReport // when the kubelet last reported, before time 0
	}
	r.run(t, 11*time.Minute)
	total := 0
	for id := range int32(3) {
		c := r.obs.nodes[id]
		total += len(c)
		// Ready stays True, so the kubelet patches only when a report is
		// due: every 5m, at the first 10s·[1,1.04) tick after that.
		if len(c) < 2 || len(c) > 3 {
			t.Fatalf("node %d: %d status patches in 11m, want 2 or 3", id, len(c))
		}
		prev := first[id]
		for i, x := range c {
			hb := x.obj.HeartbeatTime
			if x.at != hb.Add(toStorage) || x.obj.Ready != api.ConditionTrue || x.obj.LastTransitionTime != 0 {
				t.Fatalf("node %d patch %d: %+v at %v", id, i, x.obj, x.at)
			}
			// lastReport is set when the patch's answer arrives.
			since := hb.Sub(prev)
			if i > 0 {
				since -= writeRTT
			}
			if since < 5*time.Minute || since >= 5*time.Minute+10400*ms {
				t.Fatalf("node %d patch %d: %v after the last report, want in [5m, 5m10.4s)", id, i, since)
			}
			prev = hb
		}
	}
	if n := r.requests("patch", "nodes/status", "200"); n != int64(total) {
		t.Fatalf("%d patches served, %d committed", n, total)
	}
	// Nothing else was asked of the API server about nodes: no GETs.
	if n := r.requests("get", "nodes", "200"); n != 0 {
		t.Fatalf("%d node GETs", n)
	}
}

func TestNodeStatusReportedExactlyWithoutJitter(t *testing.T) {
	cfg := defaultConfig()
	cfg.Jitter = false
	r := newRig(t, 3, 2, cfg)
	r.run(t, 16*time.Minute)
	for id := range int32(2) {
		c := r.obs.nodes[id]
		if len(c) < 3 {
			t.Fatalf("node %d: %d patches", id, len(c))
		}
		for i := 1; i < len(c); i++ {
			// 30 ticks of exactly 10s after the previous sync finished.
			if gap := c[i].obj.HeartbeatTime.Sub(c[i-1].obj.HeartbeatTime); gap != 5*time.Minute+writeRTT {
				t.Fatalf("node %d patch %d: gap %v, want 5m + %v", id, i, gap, writeRTT)
			}
		}
	}
}

func TestNodeStatusPatchedWhenStoredNotReady(t *testing.T) {
	cfg := defaultConfig()
	cfg.Jitter = false
	r := newRig(t, 4, 2, cfg)
	r.setUnknown(60*time.Second, 0)
	r.run(t, 100*time.Second)
	c := r.obs.nodes[0]
	// The probe's write (straight to the API server: committed at 60.003s)
	// and the kubelet's patch.
	var unknownAt sim.Time = -1
	var fixed *commitRec
	for i := range c {
		switch {
		case c[i].obj.Ready == api.ConditionUnknown:
			unknownAt = c[i].at
		case unknownAt >= 0 && fixed == nil:
			fixed = &c[i]
		}
	}
	if unknownAt != at(60*time.Second+2*lat+service) || fixed == nil {
		t.Fatalf("node 0 commits %+v", c)
	}
	// The kubelet's informer hears of it 2ms after the commit; the next
	// status tick, at most 10s later, patches Ready back to True and stamps
	// the transition.
	seen := unknownAt.Add(2 * lat)
	hb := fixed.obj.HeartbeatTime
	if fixed.obj.Ready != api.ConditionTrue || hb <= seen || hb > seen.Add(10*time.Second) || fixed.obj.LastTransitionTime != hb {
		t.Fatalf("fix %+v, Unknown seen at %v", fixed.obj, seen)
	}
	// Node 1 was left alone.
	for _, x := range r.obs.nodes[1] {
		if x.obj.LastTransitionTime != 0 {
			t.Fatalf("node 1 %+v", x.obj)
		}
	}
}

// expectUnreachableSequence checks the lease requests of a kubelet whose
// API server stopped answering: five updates 10s apart (each times out),
// then GETs whose timeouts are followed by sleeps of 200ms, 400ms, … up to
// 7s. reqs are the lease requests from the first update that went
// unanswered on; times are arrivals at the tap, one latency after sending.
func expectUnreachableSequence(t *testing.T, reqs []tapEntry, want int) {
	t.Helper()
	if len(reqs) < want {
		t.Fatalf("only %d lease requests: %+v", len(reqs), reqs)
	}
	next := reqs[0].at
	sleep := 100 * ms
	for i, e := range reqs[:want] {
		wantVerb := api.Update
		if i >= 5 {
			wantVerb = api.Get
		}
		if e.verb != wantVerb || e.at != next {
			t.Fatalf("lease request %d: %v at %v, want %v at %v", i, e.verb, e.at, wantVerb, next)
		}
		next = next.Add(10 * time.Second) // the heartbeat client's timeout
		if i >= 5 {
			sleep = min(2*sleep, 7*time.Second)
			next = next.Add(sleep)
		}
	}
}

func TestUnansweredLeaseUpdatesFallBackToGets(t *testing.T) {
	r := newRig(t, 5, 1, defaultConfig())
	r.at(30*time.Second, func() { r.tap.drop = true })
	r.run(t, 4*time.Minute)
	leases := r.tap.after(30*time.Second, api.Leases)
	// Updates at u, u+10s, …, u+40s; GET at u+50s; then each GET 10s
	// (timeout) + 200ms, 400ms, 800ms, 1.6s, 3.2s, 6.4s, 7s, 7s … later.
	expectUnreachableSequence(t, leases, 14)
	if leases[0].at >= at(30*time.Second+10400*ms+writeRTT+lat) {
		t.Fatalf("first unanswered update at %v", leases[0].at)
	}
	for _, e := range leases[:5] {
		if e.rv != leases[0].rv || e.obj.RenewTime != e.at.Add(-lat) {
			t.Fatalf("retried update %+v: want the same base revision %d and a fresh renew time", e, leases[0].rv)
		}
	}
	if n := r.m.LeaseSyncFailures.Value; n != 1 {
		t.Fatalf("lease sync failures %d, want 1 (the update loop; the ensure loop keeps trying)", n)
	}
	up := r.rec.Latency("rest_client_request_duration_seconds", "verb", "update", "resource", "leases").Samples()
	timeouts := 0
	for _, s := range up {
		if s == int64(10*time.Second) {
			timeouts++
		}
	}
	if timeouts != 5 {
		t.Fatalf("%d update timeouts, want 5", timeouts)
	}
}

func TestPartitionFromAPIServer(t *testing.T) {
	r := newRig(t, 6, 2, defaultConfig())
	k := r.ks[0]
	var cut sim.PartitionID
	r.at(30*time.Second, func() {
		cut = r.net.Partition("cut", []sim.EndpointID{k.Endpoint()}, []sim.EndpointID{r.tap.self, r.srv.Endpoint()})
	})
	r.at(150*time.Second, func() { r.net.Heal(cut) })
	r.run(t, 4*time.Minute)
	// No lease write of node 0 during the cut (an update sent just before
	// it may still land).
	var last, resumed sim.Time = -1, -1
	for _, x := range r.obs.leases[0] {
		switch {
		case x.obj.RenewTime < at(30*time.Second):
			last = x.at
		case x.obj.RenewTime < at(150*time.Second):
			t.Fatalf("lease written during the partition: %+v", x)
		case resumed < 0:
			resumed = x.at
		}
	}
	if last < 0 || resumed < 0 {
		t.Fatalf("last before %v, first after %v", last, resumed)
	}
	// After the heal the pending GET times out (≤10s), sleeps 7s, then the
	// GET and the update go through.
	if d := resumed.Sub(at(150 * time.Second)); d > 17*time.Second+readRTT+toStorage {
		t.Fatalf("lease renewed %v after the heal", d)
	}
	up := r.rec.Latency("rest_client_request_duration_seconds", "verb", "update", "resource", "leases").Samples()
	get := r.rec.Latency("rest_client_request_duration_seconds", "verb", "get", "resource", "leases").Samples()
	count := func(s []int64) (n int) {
		for _, v := range s {
			if v == int64(10*time.Second) {
				n++
			}
		}
		return n
	}
	// 5 updates time out, then GETs every 10s + 200ms, 400ms, …: at most
	// 120s / 10.2s of them.
	if count(up) != 5 || count(get) < 5 || count(get) > 7 {
		t.Fatalf("timeouts: %d updates, %d GETs", count(up), count(get))
	}
	if n := r.m.LeaseSyncFailures.Value; n != 1 {
		t.Fatalf("lease sync failures %d", n)
	}
	// Renewals go on every ~10s afterwards; node 1 never noticed anything.
	if n := len(r.obs.leases[1]); n < 22 {
		t.Fatalf("node 1: %d renewals", n)
	}
}

func TestStopSendsNothingMore(t *testing.T) {
	r := newRig(t, 7, 1, defaultConfig())
	k := r.ks[0]
	r.at(30*time.Second, func() { r.tap.drop = true })
	// In the middle of the ensure backoff.
	r.at(95*time.Second, k.Stop)
	r.run(t, 10*time.Minute)
	if k.Running() {
		t.Fatal("still running")
	}
	if got := r.tap.after(95*time.Second + lat); len(got) != 0 {
		t.Fatalf("requests after Stop: %+v", got)
	}
	if n := r.rec.Gauge("apiserver_registered_watchers").Value(); n != 0 {
		t.Fatalf("the informer's watch is still registered (%v watchers)", n)
	}
}

func TestStopIgnoresAnswersInFlight(t *testing.T) {
	r := newRig(t, 8, 1, defaultConfig())
	k := r.ks[0]
	r.run(t, 30*time.Second)
	// Stop 1ms after the next renewal left: its answer comes back to a
	// stopped process.
	c := r.obs.leases[0]
	next := c[len(c)-1].obj.RenewTime.Add(writeRTT + 10*time.Second) // earliest next send
	r.run(t, next.Duration())
	for len(r.obs.leases[0]) == len(c) {
		if err := r.eng.Run(r.eng.Now().Add(ms)); err != nil {
			t.Fatal(err)
		}
	}
	sentAt := r.obs.leases[0][len(c)].obj.RenewTime
	if r.eng.Now().Sub(sentAt) >= writeRTT {
		t.Fatal("missed the in-flight window")
	}
	k.Stop()
	n := len(r.tap.log)
	r.run(t, 5*time.Minute)
	if len(r.tap.log) != n {
		t.Fatalf("requests after Stop: %+v", r.tap.log[n:])
	}
}

func TestStartGetsLeaseThenUpdatesAndPatchesReady(t *testing.T) {
	r := newRig(t, 9, 2, defaultConfig())
	k := r.ks[0]
	r.at(30*time.Second, k.Stop)
	r.setUnknown(40*time.Second, 0)
	r.at(60*time.Second, k.Start)
	r.run(t, 61*time.Second)
	got := r.tap.after(60 * time.Second)
	var mine []tapEntry
	for _, e := range got {
		if e.from == k.Endpoint() {
			mine = append(mine, e)
		}
	}
	type step struct {
		at   time.Duration
		verb api.Verb
		res  api.Resource
	}
	// At start: the informer lists, the Lease controller knows no Lease and
	// GETs it, and the status loop registers first: it sleeps 100ms, POSTs
	// the Node (409 AlreadyExists) and GETs it through the main client.
	// Meanwhile the informer watches and the Lease is updated from its
	// GET. Registered, the status sync reads the Node from the informer,
	// now synced, and patches it.
	reg := 60*time.Second + 100*ms
	want := []step{
		{60*time.Second + lat, api.List, api.Nodes},
		{60*time.Second + lat, api.Get, api.Leases},
		{60*time.Second + 3*lat + service + lat, api.Watch, api.Nodes}, // the list is served from the cache
		{60*time.Second + readRTT + lat, api.Update, api.Leases},
		{reg + lat, api.Create, api.Nodes},
		{reg + writeRTT + lat, api.Get, api.Nodes},
		{reg + writeRTT + readRTT + lat, api.Patch, api.NodeStatus},
	}
	if len(mine) != len(want) {
		t.Fatalf("requests after start: %+v", mine)
	}
	for i, w := range want {
		if e := mine[i]; e.at != at(w.at) || e.verb != w.verb || e.res != w.res {
			t.Errorf("request %d: %v %v at %v, want %v %v at %v", i, e.verb, e.res, e.at, w.verb, w.res, w.at)
		}
	}
	// The update is based on the Lease as stored (the GET's answer).
	lc := r.obs.leases[0]
	var before api.Object
	for _, x := range lc {
		if x.at < at(60*time.Second) {
			before = x.obj
		}
	}
	lease, _ := r.st.Get(api.Leases, 0)
	if upd := mine[3]; upd.rv != before.ResourceVersion || lease.RenewTime != at(60*time.Second+readRTT) || lease.ResourceVersion <= before.ResourceVersion {
		t.Errorf("lease %+v after an update based on revision %d (stored before: %d)", lease, upd.rv, before.ResourceVersion)
	}
	node, _ := r.st.Get(api.Nodes, 0)
	sent := at(reg + writeRTT + readRTT)
	if node.Ready != api.ConditionTrue || node.HeartbeatTime != sent || node.LastTransitionTime != sent {
		t.Errorf("node %+v", node)
	}
	if n := r.requests("create", "nodes", "409"); n != 1 {
		t.Errorf("registration: create nodes 409 ×%d, want 1", n)
	}
	// The informer's watch is registered again (one per kubelet).
	if n := r.rec.Gauge("apiserver_registered_watchers").Value(); n != 2 {
		t.Errorf("watchers %v", n)
	}
	// And the loops run on: renewals every ~10s from then on.
	r.run(t, 3*time.Minute)
	c := r.obs.leases[0]
	for i := 1; i < len(c); i++ {
		if c[i].obj.RenewTime > at(61*time.Second) {
			if gap := c[i].obj.RenewTime.Sub(c[i-1].obj.RenewTime) - writeRTT; gap < 10*time.Second || gap >= 10400*ms {
				t.Fatalf("renewal gap %v after restart", gap)
			}
		}
	}
	if len(c) < 15 {
		t.Fatalf("%d renewals", len(c))
	}
}

func TestStartWithoutLeaseCreatesIt(t *testing.T) {
	r := newRig(t, 10, 1, defaultConfig())
	k := r.ks[0]
	r.at(30*time.Second, k.Stop)
	r.send(40*time.Second, api.Request{Verb: api.Delete, Resource: api.Leases, Name: 0})
	r.at(60*time.Second, k.Start)
	r.run(t, 90*time.Second)
	leases := r.tap.after(60*time.Second, api.Leases)
	// GET (404), create, and no update right after creating it; the next
	// sync, 10s·[1,1.04) later, updates.
	if len(leases) < 3 || leases[0].verb != api.Get || leases[1].verb != api.Create || leases[2].verb != api.Update {
		t.Fatalf("lease requests %+v", leases)
	}
	if d := leases[2].at.Sub(leases[1].at) - writeRTT; d < 10*time.Second || d >= 10400*ms {
		t.Fatalf("update %v after the create finished", d)
	}
	if r.requests("create", "leases", "201") != 1 || r.requests("get", "leases", "404") != 1 {
		t.Fatal("no GET 404 and create 201")
	}
}

func TestLeaseConflictRefetchesAndRetries(t *testing.T) {
	r := newRig(t, 11, 1, defaultConfig())
	// Another writer renews node 0's Lease: the kubelet's next update,
	// based on the revision it last wrote, conflicts.
	r.at(20*time.Second, func() {
		l, _ := r.st.Get(api.Leases, 0)
		r.send(20*time.Second, api.Request{Verb: api.Update, Resource: api.Leases, Name: 0, Object: l})
	})
	r.run(t, 60*time.Second)
	if r.requests("update", "leases", "409") != 1 || r.requests("get", "leases", "200") != 1 {
		t.Fatalf("409s %d, GETs %d", r.requests("update", "leases", "409"), r.requests("get", "leases", "200"))
	}
	// The update after the conflict goes out from the GET's revision, at
	// once: conflict answer, GET, update.
	ls := r.tap.after(20*time.Second, api.Leases)
	var i int
	for i = range ls {
		if ls[i].verb == api.Get {
			break
		}
	}
	if i == 0 || i+1 >= len(ls) || ls[i+1].verb != api.Update || ls[i+1].at != ls[i].at.Add(readRTT) ||
		ls[i].at != ls[i-1].at.Add(writeRTT) || ls[i+1].rv <= ls[i-1].rv {
		t.Fatalf("lease requests %+v", ls)
	}
	if n := r.m.LeaseSyncFailures.Value; n != 0 {
		t.Fatalf("lease sync failures %d", n)
	}
}

func TestDeletedLeaseIsRecreated(t *testing.T) {
	r := newRig(t, 12, 1, defaultConfig())
	r.send(20*time.Second, api.Request{Verb: api.Delete, Resource: api.Leases, Name: 0})
	r.run(t, 60*time.Second)
	// Five updates 404 (immediate retries), the sync fails, ensure GETs
	// (404) and creates the Lease.
	if r.requests("update", "leases", "404") != 5 || r.requests("get", "leases", "404") != 1 || r.requests("create", "leases", "201") != 1 {
		t.Fatalf("update 404 ×%d, get 404 ×%d, create 201 ×%d",
			r.requests("update", "leases", "404"), r.requests("get", "leases", "404"), r.requests("create", "leases", "201"))
	}
	if n := r.m.LeaseSyncFailures.Value; n != 1 {
		t.Fatalf("lease sync failures %d", n)
	}
	if l, ok := r.st.Get(api.Leases, 0); !ok || l.RenewTime < at(20*time.Second) {
		t.Fatalf("lease %+v %v", l, ok)
	}
	ls := r.tap.after(20*time.Second, api.Leases)
	for i := 1; i < 5; i++ {
		if ls[i].verb != api.Update || ls[i].at != ls[i-1].at.Add(writeRTT) {
			t.Fatalf("update retries %+v", ls[:6])
		}
	}
}

func TestRestartCountsAndReports(t *testing.T) {
	r := newRig(t, 13, 1, defaultConfig())
	k := r.ks[0]
	r.at(30*time.Second, k.Restart)
	r.run(t, 40*time.Second)
	if r.m.Restarts.Value != 1 || !k.Running() {
		t.Fatalf("restarts %d running %v", r.m.Restarts.Value, k.Running())
	}
	// A restarted kubelet reports as soon as it has registered (it never
	// reported), even with Ready already True.
	var patched bool
	for _, x := range r.obs.nodes[0] {
		if x.obj.HeartbeatTime == at(30*time.Second+registerFirstStep+writeRTT+readRTT) {
			patched = true
		}
	}
	if !patched {
		t.Fatalf("no report after the restart: %+v", r.obs.nodes[0])
	}
	// Stop and Start are idempotent.
	k.Start()
	k.Stop()
	k.Stop()
	if k.Running() {
		t.Fatal("running after Stop")
	}
}

// TestInformerRecoversAfterLongPartition: when a partition outlasts stream
// failure detection, the node informer's watch breaks and its relist is sent
// across the cut. That list must fail (as client-go's HTTP/2 health check
// fails requests on a dead connection) so the reflector relists after the
// heal and the kubelet repairs Ready promptly, not at its next 5-minute report.
func TestInformerRecoversAfterLongPartition(t *testing.T) {
	r := newRig(t, 6, 1, defaultConfig())
	k := r.ks[0]
	var cut sim.PartitionID
	r.at(30*time.Second, func() {
		cut = r.net.Partition("cut", []sim.EndpointID{k.Endpoint()}, []sim.EndpointID{r.tap.self, r.srv.Endpoint()})
	})
	r.at(100*time.Second, func() { r.net.Heal(cut) }) // 70s > 45s failure detection
	r.setUnknown(110*time.Second, 0)
	r.run(t, 10*time.Minute)
	// A failed list is retried within the 45s a dead connection takes to
	// be noticed, plus a relist backoff; then the next status tick repairs.
	for _, x := range r.obs.nodes[0] {
		if x.at > at(110*time.Second) && x.obj.Ready == api.ConditionTrue {
			if x.at > at(110*time.Second+45*time.Second+3200*ms+10400*ms+time.Second) {
				t.Fatalf("Ready repaired only at %v", x.at)
			}
			return
		}
	}
	t.Fatal("Ready never repaired")
}

// A restarted kubelet's registration fails until the ninth attempt: it
// sleeps 100ms before the first attempt and doubles the sleep up to 7s
// (registerWithAPIServer), and reports its status only once registered.
func TestRegistrationBacksOffUntilItSucceeds(t *testing.T) {
	r := newRig(t, 3, 1, defaultConfig())
	k := r.ks[0]
	creates := 0
	r.tap.answer = func(req *api.Request) (api.Code, bool) {
		if req.Verb == api.Create && req.Resource == api.Nodes {
			creates++
			if creates < 9 {
				return api.InternalError, true
			}
		}
		return 0, false
	}
	r.at(30*time.Second, k.Restart)
	r.run(t, 70*time.Second)
	var attempts []sim.Time
	var patches []sim.Time
	for _, e := range r.tap.after(30*time.Second, api.Nodes) {
		if e.verb == api.Create {
			attempts = append(attempts, e.at)
		}
	}
	for _, e := range r.tap.after(30*time.Second, api.NodeStatus) {
		patches = append(patches, e.at)
	}
	if len(attempts) != 9 {
		t.Fatalf("%d registration attempts: %v", len(attempts), attempts)
	}
	if first := attempts[0]; first != at(30*time.Second+100*ms+lat) {
		t.Fatalf("first attempt at %v, want 100ms after the restart", first)
	}
	// Between attempts: the failed answer's way back and the next
	// request's way out (2 × lat), and the sleep.
	sleeps := []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 7 * time.Second, 7 * time.Second}
	for i, want := range sleeps {
		if d := attempts[i+1].Sub(attempts[i]) - 2*lat; d != want {
			t.Errorf("sleep before attempt %d: %v, want %v", i+2, d, want)
		}
	}
	if len(patches) != 1 || patches[0] <= attempts[8] {
		t.Fatalf("status patches %v, want one after the last registration attempt at %v", patches, attempts[8])
	}
}
