package nodelifecycle

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/kubelet"
	"github.com/orrery-sim/orrery/model/storage"
	"github.com/orrery-sim/orrery/sim"
)

// Constant latencies, and a zero commit latency so no write waits for
// another's batch: every path below has an exact duration.
const (
	service = time.Millisecond
	readLat = time.Millisecond
	// toStorage is from a client's send to the commit: to the API server,
	// service, to storage.
	toStorage = 2*lat + service
	// toController is from a commit to the controller's informer: storage's
	// stream to the API server, the API server's to the controller.
	toController = 2 * lat
	// phase puts the monitor passes at 2.5s + k·5s while none is busy.
	phase = 0.5
)

type commitRec struct {
	at  sim.Time
	obj api.Object
}

type observer struct{ nodes, leases map[int32][]commitRec }

func (o *observer) Committed(now sim.Time, _ api.Object, _ bool, cur api.Object) {
	m := o.leases
	if cur.Resource == api.Nodes {
		m = o.nodes
	}
	m[cur.ID] = append(m[cur.ID], commitRec{now, cur})
}

type cluster struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	st  *storage.Store
	srv *apiserver.Server
	nc  *Controller
	ks  []*kubelet.Kubelet
	obs *observer
}

// newCluster wires storage, the API server, n kubelets and the controller
// the way cluster.Build does.
func newCluster(t *testing.T, seed uint64, n int, grace time.Duration, apiCfg apiserver.Config) *cluster {
	t.Helper()
	eng := sim.NewEngine(seed)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	st := storage.New(eng, net, rec, "etcd", storage.Config{CommitLatency: sim.Constant(0), ReadLatency: sim.Constant(readLat)})
	srv, err := apiserver.New(eng, net, rec, "kube-apiserver", st.Endpoint(), apiCfg)
	if err != nil {
		t.Fatal(err)
	}
	st.Subscribe(net.OpenStream(srv.Endpoint(), st.Endpoint()))
	c := &cluster{eng: eng, net: net, rec: rec, st: st, srv: srv, obs: &observer{nodes: map[int32][]commitRec{}, leases: map[int32][]commitRec{}}}
	st.SetObserver(c.obs)
	kcfg := kubelet.Config{
		NodeLeaseDuration: 40 * time.Second, NodeStatusUpdateFrequency: 10 * time.Second, NodeStatusReportFrequency: 5 * time.Minute, Jitter: true,
		Heartbeat: client.Config{QPS: -1, Burst: 100, Timeout: 10 * time.Second}, Main: client.Config{QPS: 50, Burst: 100},
		LeaseSize: 300, NodeSize: 15000,
	}
	sh, m := client.NewShared(rec), kubelet.NewMetrics(rec)
	var nodes, leases []api.Object
	for id := range int32(n) {
		node := st.Seed(api.Object{Resource: api.Nodes, ID: id, Size: 15000, Ready: api.ConditionTrue})
		srv.SeedCache(node)
		lease := st.Seed(api.Object{Resource: api.Leases, ID: id, Size: 300})
		srv.SeedCache(lease)
		k := kubelet.New(eng, net, rec, sh, m, fmt.Sprintf("node-%d", id), id, srv.Endpoint(), kcfg)
		w := net.OpenStream(k.Endpoint(), srv.Endpoint())
		srv.AttachWatch(w, api.Nodes, id)
		k.StartRunning(lease, node, w)
		c.ks = append(c.ks, k)
		nodes, leases = append(nodes, node), append(leases, lease)
	}
	cfg := controllerConfig(n)
	cfg.GracePeriod = grace
	c.nc = New(eng, net, rec, client.NewShared(rec), "kube-controller-manager", srv.Endpoint(), cfg)
	nw := net.OpenStream(c.nc.Endpoint(), srv.Endpoint())
	lw := net.OpenStream(c.nc.Endpoint(), srv.Endpoint())
	srv.AttachWatch(nw, api.Nodes, -1)
	srv.AttachWatch(lw, api.Leases, -1)
	c.nc.StartRunning(nodes, leases, st.Revision(), nw, lw, phase)
	return c
}

func apiConfig() apiserver.Config {
	return apiserver.FixedCostConfig(service)
}

type action func()

func (a action) Handle(*sim.Event) { a() }

func (c *cluster) at(t time.Duration, f func()) {
	c.eng.ScheduleWithPriority(sim.Event{At: at(t), Target: action(f), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream}, sim.PriorityUrgent)
}

func (c *cluster) run(t *testing.T, d time.Duration) {
	t.Helper()
	if err := c.eng.Run(at(d)); err != nil {
		t.Fatal(err)
	}
}

func (c *cluster) marked() int64 {
	return c.rec.Counter("nodelifecycle_nodes_marked_unknown_total").Value
}

// unknownCommits returns the times node id was stored with Ready Unknown.
func (c *cluster) unknownCommits(id int32) []sim.Time {
	var out []sim.Time
	for _, x := range c.obs.nodes[id] {
		if x.obj.Ready == api.ConditionUnknown {
			out = append(out, x.at)
		}
	}
	return out
}

// lastHeartbeatSeen is when the controller's informers received the last
// write from node id's kubelet before until: a Lease renewal or a status
// report.
func (c *cluster) lastHeartbeatSeen(id int32, until sim.Time) sim.Time {
	last := sim.Time(-1)
	for _, x := range c.obs.leases[id] {
		if x.at < until {
			last = max(last, x.at)
		}
	}
	for _, x := range c.obs.nodes[id] {
		if x.at < until && x.obj.Ready == api.ConditionTrue {
			last = max(last, x.at)
		}
	}
	return last.Add(toController)
}

// firstPassAfter is the first idle-schedule monitor pass at or after t.
func firstPassAfter(t sim.Time) sim.Time {
	first, period := at(2500*ms), 5*time.Second
	if t <= first {
		return first
	}
	k := (t - first + sim.Time(period) - 1) / sim.Time(period)
	return first + k*sim.Time(period)
}

func TestStoppedKubeletMarkedAtFirstPassAfterGrace(t *testing.T) {
	for _, tc := range []struct {
		seed  uint64
		grace time.Duration
	}{{1, 40 * time.Second}, {2, 40 * time.Second}, {3, 50 * time.Second}, {4, 42 * time.Second}} {
		c := newCluster(t, tc.seed, 3, tc.grace, apiConfig())
		stop := 60 * time.Second
		c.at(stop, c.ks[1].Stop)
		c.run(t, 3*time.Minute)
		// The probe is the pass that first saw the last renewal (or status
		// report); the node is marked at the first pass more than the grace
		// period after it. Passes are every 5s until that one.
		seen := c.lastHeartbeatSeen(1, at(stop+toStorage+time.Second))
		probe := firstPassAfter(seen)
		mark := firstPassAfter(probe.Add(tc.grace + 1))
		u := c.unknownCommits(1)
		if len(u) != 1 || u[0] != mark.Add(toStorage) {
			t.Fatalf("grace %v: Unknown commits %v; heartbeat seen %v, probe %v: want one at %v", tc.grace, u, seen, probe, mark.Add(toStorage))
		}
		if c.marked() != 1 || len(c.unknownCommits(0)) != 0 || len(c.unknownCommits(2)) != 0 {
			t.Fatalf("grace %v: marked %d; nodes 0 and 2 Unknown at %v, %v", tc.grace, c.marked(), c.unknownCommits(0), c.unknownCommits(2))
		}
		// The timeline says how long the node was silent when the update
		// came back: mark + the update's round trip − probe.
		answered := mark.Add(toStorage + 2*lat)
		notes, _ := c.rec.Timeline()
		want := fmt.Sprintf("set node-1 Ready=Unknown: no heartbeat for %v (grace %v)", answered.Sub(probe).Round(ms), tc.grace)
		found := false
		for _, n := range notes {
			if n.Component == "node-lifecycle-controller" && strings.HasPrefix(n.Message, "set ") {
				found = n.Message == want && n.At == answered
			}
		}
		if !found {
			t.Fatalf("grace %v: timeline %+v, want %q at %v", tc.grace, notes, want, answered)
		}
		// And it stays marked once, while the kubelet stays down.
		c.run(t, 6*time.Minute)
		if c.marked() != 1 || len(c.unknownCommits(1)) != 1 {
			t.Fatalf("grace %v: marked %d times", tc.grace, c.marked())
		}
	}
}

func TestRenewingNodesAreNeverMarked(t *testing.T) {
	c := newCluster(t, 5, 8, 40*time.Second, apiConfig())
	c.run(t, 30*time.Minute)
	if c.marked() != 0 {
		t.Fatalf("marked %d nodes that kept renewing", c.marked())
	}
	for id := range int32(8) {
		if u := c.unknownCommits(id); len(u) != 0 {
			t.Fatalf("node %d Unknown at %v", id, u)
		}
	}
	if p := c.rec.Counter("nodelifecycle_monitor_passes_total").Value; p != 360 {
		t.Fatalf("%d passes in 30m, want 360 (2.5s + k·5s)", p)
	}
}

func TestRestartedKubeletMakesNodeReadyAndStaysUnmarked(t *testing.T) {
	c := newCluster(t, 6, 3, 40*time.Second, apiConfig())
	c.at(30*time.Second, c.ks[2].Stop)
	c.at(150*time.Second, c.ks[2].Start)
	c.run(t, 12*time.Minute)
	var states []api.ConditionStatus
	for _, x := range c.obs.nodes[2] {
		if len(states) == 0 || states[len(states)-1] != x.obj.Ready {
			states = append(states, x.obj.Ready)
		}
	}
	// True (maybe a report before the stop), Unknown, True again, for good.
	want := []api.ConditionStatus{api.ConditionUnknown, api.ConditionTrue}
	if states[0] == api.ConditionTrue {
		want = append([]api.ConditionStatus{api.ConditionTrue}, want...)
	}
	if len(states) != len(want) {
		t.Fatalf("node 2 Ready history %v", states)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("node 2 Ready history %v, want %v", states, want)
		}
	}
	// The kubelet's patch at start brought Ready back: after 100ms it
	// registers, a POST of the Node (to the API server, service, to
	// storage, AlreadyExists, and back) and a GET of it (the same with a
	// storage read); then, its informer synced, the patch.
	var back sim.Time = -1
	for _, x := range c.obs.nodes[2] {
		if x.at > at(150*time.Second) && x.obj.Ready == api.ConditionTrue {
			back = x.at
			if x.obj.LastTransitionTime != x.obj.HeartbeatTime {
				t.Errorf("Ready restored without a transition time: %+v", x.obj)
			}
			break
		}
	}
	if back != at(150*time.Second+100*time.Millisecond+(4*lat+service)+(4*lat+service+readLat)+toStorage) {
		t.Fatalf("node 2 Ready again at %v", back)
	}
	if c.marked() != 1 {
		t.Fatalf("marked %d, want 1", c.marked())
	}
	if node, _ := c.st.Get(api.Nodes, 2); node.Ready != api.ConditionTrue {
		t.Fatalf("node 2 stored %+v", node)
	}
	// The controller noticed both transitions.
	if n := c.rec.Counter("nodelifecycle_ready_transitions_observed_total").Value; n != 2 {
		t.Fatalf("observed %d transitions, want 2", n)
	}
}

func TestShortStopIsNotMarked(t *testing.T) {
	// Down for grace − 1.04 × renew interval − a bit: the gap between the
	// renewals the controller sees stays within the grace period.
	c := newCluster(t, 7, 3, 40*time.Second, apiConfig())
	c.at(60*time.Second, c.ks[0].Stop)
	c.at(60*time.Second+29500*ms, c.ks[0].Start)
	c.run(t, 5*time.Minute)
	if c.marked() != 0 {
		t.Fatalf("marked %d after a 29.5s stop", c.marked())
	}
}

func TestEightUpdatesInFlightWithRealServer(t *testing.T) {
	// Twenty kubelets stop at once; the API server takes 200ms per request
	// and has room for all, so the controller's own limit is what shows:
	// at most 8 node updates in flight.
	cfg := apiserver.FixedCostConfig(200 * ms)
	c := newCluster(t, 8, 20, 40*time.Second, cfg)
	c.at(60*time.Second, func() {
		for _, k := range c.ks {
			k.Stop()
		}
	})
	c.run(t, 4*time.Minute)
	if c.marked() != 20 {
		t.Fatalf("marked %d, want 20", c.marked())
	}
	seats := c.rec.Resource("apiserver_seats", 200, "server", "kube-apiserver", "kind", "mutating").Summary(c.eng.Now())
	if seats.PeakInUse != 8 {
		t.Fatalf("peak mutating seats %v, want 8 (the controller's workers)", seats.PeakInUse)
	}
}
