package cluster

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// heartbeatScenario: 20 nodes for 10 minutes, the kubelets in the given
// mode, extra lines under spec (indented two spaces).
func heartbeatScenario(nodeLease bool, extra string) string {
	return fmt.Sprintf(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: heartbeats}
spec:
  seed: 5
  duration: 10m
  cluster:
    nodePools: [{name: node, count: 20}]
    kubelet: {nodeLease: %v}
%s`, nodeLease, extra)
}

// TestLegacyNodeStatusWriteLoadInACluster: the CONCEPTS row "Lease vs
// legacy NodeStatus write load" through the whole stack. With Leases, a
// node writes its 300 B Lease about 6 times a minute and its 15 kB Node
// once per 5 minutes; in the legacy mode no Lease exists and the Node is
// written about 6 times a minute. etcd counts the bytes.
func TestLegacyNodeStatusWriteLoadInACluster(t *testing.T) {
	type load struct{ leaseWrites, nodeWrites, bytes float64 }
	// Besides the heartbeats etcd commits only the API server's
	// compactor's 8 B compact_rev_key, every 5 minutes (model/etcd
	// client.go).
	heartbeatBytes := func(c *Cluster, heartbeats int64) int64 {
		compactions := c.Rec.Counter("etcd_writes_total").Value - heartbeats
		if compactions < 1 || compactions > 2 {
			t.Fatalf("%d etcd writes besides %d heartbeats", compactions, heartbeats)
		}
		return c.Rec.Counter("etcd_write_bytes_total").Value - 8*compactions
	}
	got := map[bool]load{}
	for _, nodeLease := range []bool{true, false} {
		c := mustBuild(t, heartbeatScenario(nodeLease, ""))
		mustRun(t, c)
		perNodeMin := func(n int64) float64 { return float64(n) / 20 / 10 }
		leases := c.Rec.Counter("apiserver_request_total", "verb", "update", "resource", "leases", "scope", "resource", "code", "200").Value
		patches := c.Rec.Counter("apiserver_request_total", "verb", "patch", "resource", "nodes/status", "scope", "resource", "code", "200").Value
		l := load{leaseWrites: perNodeMin(leases), nodeWrites: perNodeMin(patches), bytes: perNodeMin(heartbeatBytes(c, leases+patches))}
		t.Logf("nodeLease %v: per node and minute %.3f Lease and %.3f Node writes, %.0f B", nodeLease, l.leaseWrites, l.nodeWrites, l.bytes)
		got[nodeLease] = l
		if _, ok := c.Etcd.Get(api.Leases, 0); ok == !nodeLease {
			t.Fatalf("nodeLease %v: a Lease stored: %v", nodeLease, ok)
		}
		if c.Tracker.NotReadyTransitions() != 0 || c.Tracker.Ready() != 20 {
			t.Fatalf("nodeLease %v: %d NotReady transitions, %d Ready", nodeLease, c.Tracker.NotReadyTransitions(), c.Tracker.Ready())
		}
	}
	lease, legacy := got[true], got[false]
	// 10s·[1, 1.04) plus a round trip between syncs: 5.75 to 6 a minute.
	if lease.leaseWrites < 5.75 || lease.leaseWrites > 6 || lease.nodeWrites < 0.1 || lease.nodeWrites > 0.2 {
		t.Errorf("lease mode per node and minute: %+v", lease)
	}
	if legacy.leaseWrites != 0 || legacy.nodeWrites < 5.75 || legacy.nodeWrites > 6 {
		t.Errorf("legacy mode per node and minute: %+v", legacy)
	}
	// Every write is a heartbeat: Leases at 300 B and Nodes at 15000 B.
	for mode, l := range got {
		if want := 300*l.leaseWrites + 15000*l.nodeWrites; math.Abs(l.bytes-want) > 1e-6 {
			t.Errorf("nodeLease %v: etcd wrote %v B per node and minute, want %v", mode, l.bytes, want)
		}
	}
	if r := legacy.bytes / lease.bytes; r < 15 {
		t.Errorf("legacy writes %.1f× the bytes of the Lease mode, want ≥ 15×", r)
	}
}

// TestLegacyNodeStatusIsTheHeartbeat: without Leases, the node lifecycle
// controller takes every status post as a heartbeat: a stopped kubelet is
// marked after the grace period, as in the Lease mode, and the others stay
// Ready.
func TestLegacyNodeStatusIsTheHeartbeat(t *testing.T) {
	detect := map[bool]time.Duration{}
	for _, nodeLease := range []bool{true, false} {
		c := mustBuild(t, heartbeatScenario(nodeLease, `  faults:
    - {at: 2m, type: stopKubelet, nodes: {names: [node-3]}}
`))
		mustRun(t, c)
		f := c.Tracker.Faults()[0]
		if f.DetectedAt < 0 {
			t.Fatalf("nodeLease %v: the stopped kubelet was never detected", nodeLease)
		}
		d := f.DetectedAt.Sub(f.At)
		grace := c.Scenario.Spec.Cluster.NodeLifecycle.GracePeriod
		if d <= grace-10500*time.Millisecond || d > grace+10500*time.Millisecond {
			t.Fatalf("nodeLease %v: detected %v after the stop, want within (grace - 10.5s, grace + 10.5s]", nodeLease, d)
		}
		if c.Tracker.Ready() != 19 || c.Tracker.NotReadyTransitions() != 1 {
			t.Fatalf("nodeLease %v: %d Ready, %d NotReady transitions", nodeLease, c.Tracker.Ready(), c.Tracker.NotReadyTransitions())
		}
		detect[nodeLease] = d
	}
	t.Logf("detection: Lease %v, legacy %v", detect[true], detect[false])
}

// TestObjectSizesFromTheScenario: spec.cluster.objectSizes sizes the
// seeded and written Leases and Nodes (the kubelets' renewals and status
// patches, the node lifecycle controller's writes).
func TestObjectSizesFromTheScenario(t *testing.T) {
	c := mustBuild(t, heartbeatScenario(true, `    objectSizes: {lease: 1Ki, node: 20000}
  faults:
    - {at: 1m, type: stopKubelet, nodes: {names: [node-3]}}
`))
	for id := range int32(20) {
		l, _ := c.Etcd.Get(api.Leases, id)
		n, _ := c.Etcd.Get(api.Nodes, id)
		if l.Size != 1024 || n.Size != 20000 {
			t.Fatalf("seeded node %d: lease %d B, node %d B", id, l.Size, n.Size)
		}
	}
	mustRun(t, c)
	leases := c.Rec.Counter("apiserver_request_total", "verb", "update", "resource", "leases", "scope", "resource", "code", "200").Value
	patches := c.Rec.Counter("apiserver_request_total", "verb", "patch", "resource", "nodes/status", "scope", "resource", "code", "200").Value
	updates := c.Rec.Counter("apiserver_request_total", "verb", "update", "resource", "nodes/status", "scope", "resource", "code", "200").Value
	if leases == 0 || patches == 0 || updates != 1 {
		t.Fatalf("%d lease updates, %d status patches, %d status updates (the controller's mark)", leases, patches, updates)
	}
	compactions := c.Rec.Counter("etcd_writes_total").Value - (leases + patches + updates)
	if b, want := c.Rec.Counter("etcd_write_bytes_total").Value, 1024*leases+20000*(patches+updates)+8*compactions; compactions < 1 || compactions > 2 || b != want {
		t.Fatalf("etcd wrote %d B, want %d (%d compactions)", b, want, compactions)
	}
}

// podScenario is a scenario with pods: three nodes of pool a, a
// one-replica Deployment, for d.
func podScenario(d string) string {
	return fmt.Sprintf(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: pods}
spec:
  duration: %s
  cluster:
    nodePools:
      - name: a
        count: 3
        zones: [z1, z2]
        cpu: "8"
        memory: 32Gi
        labels: {disk: ssd}
        images: [{name: nginx, size: 50Mi}]
  workload:
    objects:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: nginx}]
`, d)
}

// TestNodeBodiesSurviveTheStatusPatches: with pods, each Node's body (its
// pool's allocatable, labels, images) is still there after the kubelets'
// status patches have gone through etcd, and they are the only change.
func TestNodeBodiesSurviveTheStatusPatches(t *testing.T) {
	c := mustBuild(t, podScenario("6m"))
	seeded := make([]*objects.Node, 3)
	for id := range int32(3) {
		o, _ := c.Etcd.Get(api.Nodes, id)
		b, ok := o.Body.(*objects.Node)
		if !ok || b.Allocatable.MilliCPU != 8000 || b.Allocatable.Memory != 32<<30 || len(b.Images) != 1 {
			t.Fatalf("seeded node %d: %+v", id, o.Body)
		}
		seeded[id] = b
	}
	mustRun(t, c)
	if n := c.Rec.Counter("apiserver_request_total", "verb", "patch", "resource", "nodes/status", "scope", "resource", "code", "200").Value; n < 3 {
		t.Fatalf("%d status patches in 6m", n)
	}
	for id := range int32(3) {
		o, _ := c.Etcd.Get(api.Nodes, id)
		if b, _ := o.Body.(*objects.Node); !reflect.DeepEqual(b, seeded[id]) || o.HeartbeatTime == 0 {
			t.Fatalf("node %d after the patches: %+v (heartbeat %v), seeded %+v", id, o.Body, o.HeartbeatTime, seeded[id])
		}
	}
}

// TestKubeletPodSideWiring: without pods (nodes-5000) the kubelets' pod
// side is off; with a Deployment each kubelet starts with its node and
// pod watches open (startKubelet), beside the node lifecycle
// controller's two, and the Deployment's pod runs.
func TestKubeletPodSideWiring(t *testing.T) {
	sc, err := scenarios.LoadBuiltin("nodes-5000")
	if err != nil {
		t.Fatal(err)
	}
	if RunsPods(sc) {
		t.Fatal("nodes-5000 runs pods")
	}
	c := mustBuild(t, podScenario("1m"))
	watchers := 0
	for _, srv := range c.APIServers {
		watchers += srv.Watchers()
	}
	if watchers != 2*3+2 {
		t.Fatalf("%d watchers at the start, want 8", watchers)
	}
	for _, k := range c.Kubelets {
		if !k.PodsOn() {
			t.Fatalf("%s: pods off", k.Name())
		}
	}
	mustRun(t, c)
	if n := c.Rec.Gauge("kubelet_running_pods").Value(); n != 1 {
		t.Fatalf("%v pods running, want the Deployment's one", n)
	}
}

// TestSeededPodsRunWarm: the Deployment's three pods are seeded Running
// on the nodes at time 0; their kubelets hold them as running (no pod
// status write, no container start, no startup sample), until a scale
// down to one deletes two, which their kubelets stop and delete.
func TestSeededPodsRunWarm(t *testing.T) {
	doc := strings.Replace(podScenario("2m"), "replicas: 1", "replicas: 3", 1) + `    actions:
      - {at: 1m, type: scale, object: deployment/web, replicas: 1}
`
	c := mustBuild(t, doc)
	if n := c.Rec.Gauge("kubelet_running_pods").Value(); n != 3 {
		t.Fatalf("%v pods running at time 0, want 3", n)
	}
	var early int64
	c.Eng.Schedule(sim.Event{At: sim.Time(time.Minute), Target: eventFunc(func() {
		early = c.Rec.Counter("apiserver_request_total", "verb", "patch", "resource", "pods/status", "scope", "resource", "code", "200").Value
	}), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	mustRun(t, c)
	m := c.Rec
	// The two deleted pods' final statuses are the first pod status
	// writes of the run.
	if all := m.Counter("apiserver_request_total", "verb", "patch", "resource", "pods/status", "scope", "resource", "code", "200").Value; early != 0 || all != 2 {
		t.Fatalf("%d pod status patches before the scale, %d in all; want 0 and 2", early, all)
	}
	if n := m.Counter("kubelet_started_containers_total").Value; n != 0 {
		t.Fatalf("%d containers started", n)
	}
	if n := m.Latency("kubelet_pod_start_total_duration_seconds").Count(); n != 0 {
		t.Fatalf("%d startup samples", n)
	}
	if n := m.Gauge("kubelet_running_pods").Value(); n != 1 {
		t.Fatalf("%v pods running after the scale down, want 1", n)
	}
	if n := m.Counter("kubelet_pod_graceful_terminations_total").Value; n != 2 {
		t.Fatalf("%d graceful terminations, want 2", n)
	}
}
