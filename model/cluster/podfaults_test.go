package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// rsScenario is a small run with pods: a ReplicaSet web of 3 created by
// kubectl at 1s, kube-controller-manager instances, then extra workload
// objects, actions and faults as YAML fragments.
func rsScenario(kcm int, objects, actions, faults string) string {
	return fmt.Sprintf(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: pods
spec:
  seed: 3
  duration: 90s
  cluster:
    nodePools:
      - {name: node, count: 2, cpu: "4", memory: 4Gi}
    controllerManager: {replicas: %d}
  workload:
    objects:
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: "nginx:1.25", resources: {requests: {cpu: 100m, memory: 64Mi}}}]}
%s    actions:
      - {at: 1s, type: create, object: replicaset/web}
%s  faults:
%s`, kcm, objects, actions, faults)
}

func notesOf(c *Cluster, component string) []string {
	notes, _ := c.Rec.Timeline()
	var out []string
	for _, n := range notes {
		if n.Component == component {
			out = append(out, n.Message)
		}
	}
	return out
}

// activePods counts web's active pods in storage.
func activePods(c *Cluster) (ids []int32) {
	c.EachStored(api.Pods, func(o api.Object) {
		if p := o.Body.(*objects.Pod); !p.Finished() && !p.Terminating {
			ids = append(ids, o.ID)
		}
	})
	return ids
}

// The leader dies for good: the standby takes the Lease once it has gone
// 15s unrenewed by its clock — between 13s and 23.8s after the death
// (the last renewal up to 2s before it, the standby's reads 2-4.4s
// apart) — and its controllers run the ReplicaSet's scale made meanwhile.
func TestStopControllerManagerLeaderFailsOver(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		doc := rsScenario(2, "", "      - {at: 25s, type: scale, object: replicaset/web, replicas: 4}\n",
			"    - {at: 20s, type: stopControllerManager, instances: {leader: true}}\n")
		doc = strings.Replace(doc, "seed: 3", fmt.Sprintf("seed: %d", seed), 1)
		c := mustBuild(t, doc)
		mustRun(t, c)
		l := c.PodLog.Leases[1]
		if l.Name != "kube-controller-manager" || l.Transitions != 1 {
			t.Fatalf("seed %d: lease %+v, want one transition", seed, l)
		}
		if d := l.LastChange.Sub(sim.Time(20 * time.Second)); d <= 13*time.Second || d > 24*time.Second {
			t.Errorf("seed %d: took over %v after the death", seed, d)
		}
		var up, leading int
		for _, r := range c.ControllerManager.Replicas() {
			if r.Up() {
				up++
			}
			if r.Leading() {
				leading++
			}
		}
		if up != 1 || leading != 1 || c.ControllerManager.Leader() == nil {
			t.Errorf("seed %d: %d up, %d leading", seed, up, leading)
		}
		if n := len(activePods(c)); n != 4 {
			t.Errorf("seed %d: %d pods, want 4 (the scale during the gap, acted on after the takeover)", seed, n)
		}
		stopped := notesOf(c, "fault")
		if len(stopped) != 1 || !strings.HasPrefix(stopped[0], "fault 0: stop kube-controller-manager-") {
			t.Errorf("seed %d: fault notes %q", seed, stopped)
		}
	}
}

// By name with a duration: the instance stops and starts again, cold.
// Stopping the leader when none leads stops nothing, and says so.
func TestStopControllerManagerByNameRestarts(t *testing.T) {
	c := mustBuild(t, rsScenario(1, "", "", `    - {at: 10s, type: stopControllerManager, instances: {names: [kube-controller-manager]}, duration: 20s}
    - {at: 15s, type: stopControllerManager, instances: {leader: true}}
`))
	mustRun(t, c)
	r := c.ControllerManager.Replicas()[0]
	if !r.Up() || !r.Leading() {
		t.Errorf("instance up %v, leading %v; want both after the restart at 30s", r.Up(), r.Leading())
	}
	if n := c.Rec.FindCounter("controller_manager_starts_total", "manager", "kube-controller-manager/0"); n == nil || n.Value != 2 {
		t.Errorf("manager starts %v, want 2", n)
	}
	want := []string{
		"fault 0: stop kube-controller-manager",
		"fault 1: no kube-controller-manager instance leads: nothing stopped",
		"fault 0 ends: start kube-controller-manager",
	}
	if got := notesOf(c, "fault"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("fault notes %q, want %q", got, want)
	}
	f := c.Tracker.Faults()
	if f[0].End != sim.Time(30*time.Second) || f[1].End != sim.Time(15*time.Second) {
		t.Errorf("fault ends %v, %v", f[0].End, f[1].End)
	}
}

// kubectl delete pods -l app=web, the oldest 2: the two lowest IDs of the
// active pods matching the selector in the namespace, not the pod of
// another namespace with the same label; the ReplicaSet replaces them.
// A selector that matches nothing is a note, and no request.
func TestDeleteBySelector(t *testing.T) {
	c := mustBuild(t, rsScenario(1,
		"      - {apiVersion: v1, kind: Pod, metadata: {name: stray, namespace: shop, labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}\n",
		"      - {at: 20s, type: delete, selector: {app: web}, count: 2, gracePeriod: 0s}\n      - {at: 30s, type: delete, selector: {app: nothing}}\n", ""))
	var before []int32
	c.Eng.Schedule(sim.Event{At: sim.Time(19 * time.Second), Target: svcProbe(func() { before = activePods(c) }),
		From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	mustRun(t, c)
	stray, _ := c.Etcd.Get(api.Pods, c.Scenario.Spec.Workload.Objects[1].Pod.ID)
	if stray.Body == nil {
		t.Fatal("the pod of namespace shop was deleted")
	}
	var web []int32
	for _, id := range before {
		if id != stray.ID {
			web = append(web, id)
		}
	}
	if len(web) != 3 {
		t.Fatalf("web's pods before the delete: %v", web)
	}
	after := activePods(c)
	for _, id := range web[:2] {
		for _, a := range after {
			if a == id {
				t.Errorf("pod %d still active, want it deleted (the two oldest: %v)", id, web[:2])
			}
		}
	}
	if len(after) != 4 { // web's 3 (one old, two replacements) and stray
		t.Errorf("active pods after: %v", after)
	}
	want := []string{
		"kubectl create replicaset/web",
		"kubectl delete pods -l app=web (the oldest 2) --grace-period=0: deletes pod #" + fmt.Sprint(web[0]),
		"kubectl delete pods -l app=web (the oldest 2) --grace-period=0: deletes pod #" + fmt.Sprint(web[1]),
		"kubectl delete pods -l app=nothing: no resources found",
	}
	var got []string
	for _, n := range notesOf(c, "kubectl") {
		if !strings.Contains(n, "HTTP") {
			got = append(got, n)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kubectl notes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := c.Rec.FindCounter("kubectl_requests_total"); n == nil || n.Value != 3 {
		t.Errorf("kubectl requests %v, want 3 (the create and two deletes)", n)
	}
}

// memoryPressure sets the working sets of running pods: a BestEffort pod
// using 4.5Gi of a 4Gi node is evicted at the next eviction check; a pod
// that does not run (no node fits it) is left alone, with a note.
func TestMemoryPressureEvicts(t *testing.T) {
	c := mustBuild(t, rsScenario(1,
		`      - {apiVersion: v1, kind: Pod, metadata: {name: hog}, spec: {nodeName: node-0, containers: [{name: c, image: i}]}}
      - {apiVersion: v1, kind: Pod, metadata: {name: huge}, spec: {containers: [{name: c, image: i, resources: {requests: {cpu: "64"}}}]}}
`, "", `    - at: 30s
      type: memoryPressure
      pods: [{name: hog, memory: 4608Mi}, {name: huge, memory: 1Gi}]
`))
	mustRun(t, c)
	var hog, huge PodRecord
	for _, r := range c.PodLog.Pods {
		switch r.Ref.Name {
		case "hog":
			hog = r
		case "huge":
			huge = r
		}
	}
	if hog.EvictedAt < sim.Time(30*time.Second) || hog.EvictedAt > sim.Time(44*time.Second) {
		t.Errorf("hog evicted at %v, want at the first eviction check after 30s (checks 10s apart), stored within 4s", hog.EvictedAt)
	}
	if hog.BoundAt < 0 || hog.RunningAt < 0 || huge.BoundAt >= 0 || huge.EvictedAt >= 0 {
		t.Errorf("records: hog %+v, huge %+v", hog, huge)
	}
	if n := c.Rec.FindCounter("kubelet_evictions_total", "eviction_signal", "memory.available"); n == nil || n.Value != 1 {
		t.Errorf("evictions %v, want 1", n)
	}
	want := []string{
		"fault 0: memory working sets: hog 4608Mi, huge 1Gi",
		"fault 0: pod huge is not running: its working set is not set",
	}
	if got := notesOf(c, "fault"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("fault notes %q, want %q", got, want)
	}
}
