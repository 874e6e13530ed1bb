package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

func mustBuild(t *testing.T, doc string) *Cluster {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	c, err := Build(sc)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return c
}

func mustRun(t *testing.T, c *Cluster) {
	t.Helper()
	if err := c.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// stopScenario: 3 nodes; node-1's kubelet stops at 60s for good.
func stopScenario(version string) string {
	return fmt.Sprintf(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: grace
spec:
  seed: 11
  duration: 3m
  kubernetesVersion: %q
  cluster:
    nodePools:
      - name: node
        count: 3
  faults:
    - at: 60s
      type: stopKubelet
      nodes:
        names: [node-1]
`, version)
}

func TestGraceDefaultFollowsKubernetesVersion(t *testing.T) {
	detect := map[string]time.Duration{}
	for _, tc := range []struct {
		version string
		grace   time.Duration
	}{{"1.31", 40 * time.Second}, {"1.32", 50 * time.Second}} {
		c := mustBuild(t, stopScenario(tc.version))
		if g := c.Scenario.Spec.Cluster.NodeLifecycle.GracePeriod; g != tc.grace {
			t.Fatalf("%s: grace %v, want %v", tc.version, g, tc.grace)
		}
		mustRun(t, c)
		f := c.Tracker.Faults()[0]
		if f.DetectedAt < 0 {
			t.Fatalf("%s: the stopped kubelet was never detected", tc.version)
		}
		d := f.DetectedAt.Sub(f.At)
		// The last renewal came up to 10.4s before the stop; the probe is
		// the next pass, the mark the first pass more than grace after it.
		if d <= tc.grace-10500*time.Millisecond || d > tc.grace+10500*time.Millisecond {
			t.Fatalf("%s: detected %v after the stop, want within (grace - 10.5s, grace + 10.5s]", tc.version, d)
		}
		detect[tc.version] = d
		notes, _ := c.Rec.Timeline()
		var marked bool
		for _, n := range notes {
			if n.Component == "node-lifecycle-controller" && strings.HasPrefix(n.Message, "set node-1 Ready=Unknown") &&
				strings.HasSuffix(n.Message, fmt.Sprintf("(grace %v)", tc.grace)) {
				marked = true
			}
		}
		if !marked {
			t.Fatalf("%s: no mark with grace %v in the timeline: %+v", tc.version, tc.grace, notes)
		}
		if c.Tracker.Ready() != 2 || c.Tracker.NotReadyTransitions() != 1 {
			t.Fatalf("%s: ready %d, transitions %d", tc.version, c.Tracker.Ready(), c.Tracker.NotReadyTransitions())
		}
	}
	// Same seed, same phases: the only difference is the grace period, two
	// monitor periods later (give or take the sampled latencies of the update).
	if diff := detect["1.32"] - detect["1.31"]; diff < 10*time.Second-50*time.Millisecond || diff > 10*time.Second+50*time.Millisecond {
		t.Fatalf("1.32 detected %v later than 1.31, want 10s", diff)
	}
}

func TestAPIServerRestartMovesClientsAndRelists(t *testing.T) {
	c := mustBuild(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: restart}
spec:
  duration: 3m
  cluster:
    nodePools: [{name: node, count: 20}]
    apiServer: {replicas: 2}
  faults:
    - {at: 1m, type: restartAPIServer, servers: [kube-apiserver-0], duration: 10s}
`)
	// The balancer spread the kubelets' connections over both replicas.
	if w0, w1 := c.APIServers[0].Watchers(), c.APIServers[1].Watchers(); w0 == 0 || w1 == 0 {
		t.Fatalf("watchers per replica at the start: %d, %d", w0, w1)
	}
	before := c.Rec.Counter("reflector_lists_total", "resource", "nodes").Value
	mustRun(t, c)
	// Every node watch that was on replica 0 broke and relisted, on replica 1.
	lists := c.Rec.Counter("reflector_lists_total", "resource", "nodes").Value - before
	if lists == 0 || c.APIServers[1].Watchers() != 22 || c.APIServers[0].Watchers() != 0 {
		t.Fatalf("relists %d; watchers at the end %d and %d, want 0 and 22", lists, c.APIServers[0].Watchers(), c.APIServers[1].Watchers())
	}
	if n := c.Rec.Counter("apiserver_restarts_total").Value; n != 1 {
		t.Fatalf("restarts %d", n)
	}
	if c.Tracker.Ready() != 20 {
		t.Fatalf("%d nodes Ready at the end", c.Tracker.Ready())
	}
}

// answers is a client endpoint that keeps the answers it gets.
type answers []*api.Request

func (a *answers) Handle(ev *sim.Event) {
	if ev.Kind == api.KindResponse {
		*a = append(*a, ev.Data.(*api.Request))
	}
}

// TestReplicasNameCreatesFromOneSequence: two creates without a name, one
// on each replica at the same moment, get two names; with a sequence per
// replica both would pick the same one and the second would get 409.
func TestReplicasNameCreatesFromOneSequence(t *testing.T) {
	c := mustBuild(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: names}
spec:
  duration: 1s
  cluster:
    nodePools: [{name: node, count: 1}]
    apiServer: {replicas: 2}
`)
	var got answers
	self := c.Net.AddEndpoint("probe", &got)
	for i, srv := range c.APIServers {
		req := &api.Request{ID: uint64(i + 1), Verb: api.Create, Resource: api.ConfigMaps, Name: -1, From: self,
			Object: api.Object{Resource: api.ConfigMaps, ID: -1, Size: 100}}
		c.Net.Send(self, srv.Endpoint(), api.KindRequest, 0, 0, req)
	}
	mustRun(t, c)
	if len(got) != 2 || got[0].Code != api.Created || got[1].Code != api.Created || got[0].Result.ID == got[1].Result.ID {
		for _, r := range got {
			t.Logf("create %d: %v, object %d", r.ID, r.Code, r.Result.ID)
		}
		t.Fatalf("%d answers; want two creates with distinct names", len(got))
	}
}

func TestReusedStorageCallsAreNotFailedByOldTimeouts(t *testing.T) {
	// Seed 2 of optimistic-concurrency once failed a fresh linearizable
	// read at once with "request timed out": etcd keyed each read's 7s
	// timeout by its op, and the API server reused ops from a pool. Every
	// writer call must succeed or conflict.
	sc, err := scenarios.LoadBuiltin("optimistic-concurrency")
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.Seed = 2
	c, err := Build(sc)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c)
	for _, ctr := range c.Rec.Counters() {
		if ctr.Name == "writer_errors_total" && ctr.Value != 0 {
			t.Errorf("%s = %d", ctr.Key(), ctr.Value)
		}
	}
}

// A warm controller starts caught up: no list, no reconcile at time 0. A
// restartControllers fault restarts the controllers it names cold: each
// lists and reconciles every object again; the others run on.
func TestRestartControllersAndWarmStart(t *testing.T) {
	c := mustBuild(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: kcm}
spec:
  duration: 1m
  cluster:
    nodePools: [{name: node, count: 3}]
  workload:
    configMaps: [a, b, c]
    controllers:
      - {name: warm, objects: [a, b, c], warm: true}
      - {name: cold, objects: [a, b]}
      - {name: bystander, objects: [c], warm: true}
  faults:
    - {at: 30s, type: restartControllers, controllers: [warm, cold]}
`)
	before := map[string]int64{}
	c.Eng.Schedule(sim.Event{At: sim.Time(29 * time.Second), Target: eventFunc(func() {
		for _, ctl := range c.Controllers {
			ok, _ := ctl.Reconciles()
			before[ctl.Name()] = ok
		}
	}), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	mustRun(t, c)
	after := map[string]int64{}
	for _, ctl := range c.Controllers {
		ok, _ := ctl.Reconciles()
		after[ctl.Name()] = ok
	}
	want := map[string][2]int64{"warm": {0, 3}, "cold": {2, 4}, "bystander": {0, 0}}
	for name, w := range want {
		if before[name] != w[0] || after[name] != w[1] {
			t.Errorf("%s: %d reconciles before the restart, %d at the end; want %d and %d", name, before[name], after[name], w[0], w[1])
		}
	}
	if n := c.Rec.Counter("reflector_lists_total", "resource", "configmaps").Value; n != 3 {
		t.Errorf("%d ConfigMap lists, want 3 (cold at 0, two at the restart)", n)
	}
	for _, name := range []string{"warm", "cold"} {
		if n := c.Rec.Counter("controller_restarts_total", "controller", name).Value; n != 1 {
			t.Errorf("%s restarted %d times", name, n)
		}
	}
}

// cluster.clients.jitter reaches every reflector: after an API server
// restart the kubelets' node informers relist on wait.Backoff's exact
// schedule, all in the same second, where jittered backoffs spread them.
func TestClientJitterSwitch(t *testing.T) {
	peak := func(jitter bool) float64 {
		c := mustBuild(t, fmt.Sprintf(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: relist}
spec:
  duration: 1m
  cluster:
    nodePools: [{name: node, count: 300}]
    kubelet: {jitter: %[1]v}
    clients: {jitter: %[1]v}
  faults:
    - {at: 10s, type: restartAPIServer, duration: 5s}
`, jitter))
		mustRun(t, c)
		var top float64
		for i, p := range c.Rec.Gauge("apiserver_requests_per_second", "server", "kube-apiserver").Points(c.End()) {
			if i >= 15 {
				top = max(top, p.Last)
			}
		}
		return top
	}
	on, off := peak(true), peak(false)
	// 300 lists and 300 watches in one second without jitter.
	if off < 600 || off < 2*on {
		t.Fatalf("busiest second after the restart: %v with jitter, %v without", on, off)
	}
}
