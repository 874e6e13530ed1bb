package kubescheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
	"github.com/orrery-sim/orrery/sim"
)

// updateNode has the writer replace node n's object with edited at d.
func (r *rig) updateNode(d time.Duration, edited *objects.Node) {
	r.At(d, func() {
		req := r.Writer.C.NewRequest(api.Update, api.Nodes, edited.ID)
		req.Object = nodeObject(edited)
		r.Writer.C.Do(req, r.Writer)
	})
}

// A node update lists one event per scheduling property that changed, in
// upstream's order; a heartbeat-like update with nothing changed lists
// none, and a cordon (as opposed to its lifting) is no event.
func TestNodeSchedulingPropertiesChange(t *testing.T) {
	r := newRig(t, 1)
	k, v := r.sym("k"), r.sym("v")
	old := r.node("n", 1000, gi, func(n *objects.Node) { n.Unschedulable = true })
	edit := func(f func(*objects.Node)) *objects.Node {
		n := *old
		f(&n)
		return &n
	}
	for _, tt := range []struct {
		name string
		n    *objects.Node
		want []scheduler.ClusterEvent
	}{
		{"same", edit(func(*objects.Node) {}), nil},
		{"uncordon", edit(func(n *objects.Node) { n.Unschedulable = false }), []scheduler.ClusterEvent{scheduler.EventNodeSpecUnschedulableChange}},
		{"everything", edit(func(n *objects.Node) {
			n.Unschedulable = false
			n.MaxPods++
			n.Labels = r.labels("k", "v")
			n.Taints = []objects.Taint{{Key: k, Value: v, Effect: objects.NoSchedule}}
			n.Ready = api.ConditionFalse
		}), []scheduler.ClusterEvent{scheduler.EventNodeSpecUnschedulableChange, scheduler.EventNodeAllocatableChange,
			scheduler.EventNodeLabelChange, scheduler.EventNodeTaintChange, scheduler.EventNodeConditionChange}},
	} {
		if got := NodeSchedulingPropertiesChange(old, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	cordon := edit(func(*objects.Node) {})
	old.Unschedulable, cordon.Unschedulable = false, true
	if got := NodeSchedulingPropertiesChange(old, cordon); got != nil {
		t.Errorf("cordon: %v", got)
	}
}

// A pod parked because of a node's NoSchedule taint is bound there soon
// after an update lifts the taint (updateNodeInCache: NodeTaintChange,
// which TaintToleration registered, and the preCheck passes).
func TestTaintLiftedMovesPod(t *testing.T) {
	r := newRig(t, 1)
	n := r.node("n", 4000, 8*gi, func(n *objects.Node) {
		n.Taints = []objects.Taint{{Key: r.sym("dedicated"), Value: r.sym("db"), Effect: objects.NoSchedule}}
	})
	r.seedNode(n)
	s := r.start(Config{})
	r.createPod(time.Second, r.cpuPod(1000, gi), nil)
	lifted := *n
	lifted.Taints = nil
	r.updateNode(10*time.Second, &lifted)
	r.Run(t, 9*time.Second)
	if q := s.Replicas()[0].Queue(); q.Get(0) == nil || q.Get(0).Where() != scheduler.UnschedulablePods {
		t.Fatal("pod not parked before the taint was lifted")
	}
	r.Run(t, 20*time.Second)
	got := scheduled(s)
	if len(got) != 1 || got[0].Node != n.ID {
		t.Fatalf("attempts %+v", s.Attempts())
	}
	if d := got[0].Start.Sub(at(10 * time.Second)); d < 0 || d > 100*ms {
		t.Errorf("retried %v after the update", d)
	}
}

// A bound pod that finishes, or is deleted, leaves the cache, and the
// pods its room was missing for are bound: a Succeeded pod counts as
// deleted (the informer's phase selector), and a deletion moves the
// unschedulable pods NodeResourcesFit rejected.
func TestFinishedAndDeletedPodsFreeRoom(t *testing.T) {
	r := newRig(t, 1)
	n := r.node("n", 2000, 8*gi)
	r.seedNode(n)
	r.seedBound(100, r.cpuPod(1000, gi), n.ID)
	r.seedBound(101, r.cpuPod(1000, gi), n.ID)
	s := r.start(Config{})
	spec := r.cpuPod(1000, gi)
	r.createPod(time.Second, spec, nil)
	r.At(10*time.Second, func() {
		req := r.Writer.C.NewRequest(api.Patch, api.PodStatus, 100)
		req.Namespace = ns
		req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			p := *cur.Body.(*objects.Pod)
			p.Phase = objects.PodSucceeded
			o := *cur
			o.Body = &p
			return o, 0
		}
		r.Writer.C.Do(req, r.Writer)
	})
	r.createPod(20*time.Second, spec, nil)
	r.At(30*time.Second, func() {
		req := r.Writer.C.NewRequest(api.Delete, api.Pods, 101)
		req.Namespace = ns
		req.GracePeriod, req.GraceSet = 0, true
		r.Writer.C.Do(req, r.Writer)
	})
	r.Run(t, 29*time.Second)
	if got := scheduled(s); len(got) != 1 || got[0].Start < at(10*time.Second) || got[0].Start > at(10*time.Second+100*ms) {
		t.Fatalf("after the pod finished: attempts %+v", s.Attempts())
	}
	r.Run(t, 40*time.Second)
	got := scheduled(s)
	if len(got) != 2 || got[1].Start < at(30*time.Second) || got[1].Start > at(30*time.Second+100*ms) {
		t.Fatalf("after the delete: attempts %+v", s.Attempts())
	}
	ni := s.Replicas()[0].Snapshot().NodeInfo(n.ID)
	if len(ni.Pods) != 2 || ni.Requested.MilliCPU != 2000 {
		t.Errorf("cache: %d pods, %dm", len(ni.Pods), ni.Requested.MilliCPU)
	}
}

// A leader cut off from the API server fails to renew within
// renewDeadline and exits; it comes back after RestartDelay, cold, and
// once the partition heals it syncs, takes the lease again and binds the
// pod created while it was away.
func TestLostLeaseRestarts(t *testing.T) {
	r := newRig(t, 1)
	n := r.node("n", 4000, 8*gi)
	r.seedNode(n)
	s := r.start(Config{LeaderElect: true})
	rep := s.Replicas()[0]
	self, _ := r.Net.Endpoint(rep.Name())
	var cut sim.PartitionID
	r.At(10*time.Second, func() {
		cut = r.Net.Partition("cut", []sim.EndpointID{self}, []sim.EndpointID{r.Srv.Endpoint()})
	})
	r.At(60*time.Second, func() { r.Net.Heal(cut) })
	r.createPod(15*time.Second, r.cpuPod(1000, gi), nil)
	r.Run(t, 19*time.Second)
	if !rep.Leading() {
		t.Fatal("leader gave up before renewDeadline")
	}
	r.Run(t, 25*time.Second)
	if rep.Running() || rep.Leading() {
		t.Fatalf("running %v, leading %v 15s after the cut", rep.Running(), rep.Leading())
	}
	if c := r.Rec.FindCounter("leader_election_lost_total", "name", "kube-scheduler"); c == nil || c.Value != 1 {
		t.Fatalf("lost %v", c)
	}
	r.Run(t, 59*time.Second)
	if !rep.Running() || rep.Leading() {
		t.Fatalf("during the partition: running %v, leading %v (restarted, not synced)", rep.Running(), rep.Leading())
	}
	r.Run(t, 90*time.Second)
	got := scheduled(s)
	if !rep.Leading() || len(got) != 1 || got[0].Start < at(60*time.Second) {
		t.Fatalf("leading %v, attempts %+v", rep.Leading(), s.Attempts())
	}
	if c := r.Rec.FindCounter("leader_election_acquired_total", "name", "kube-scheduler"); c == nil || c.Value != 2 {
		t.Errorf("acquired %v, want 2", c)
	}
}

// An error that is no FitError (no nodes at all) sends the pod to
// backoffQ; the 1s flush, ticking from when scheduling began (0.1s),
// retries it on the first tick after its backoff (1s doubling per
// attempt, at most 10s) has ended. The status is patched once: the
// message stays.
func TestErrorRetriedOnBackoffTicks(t *testing.T) {
	r := newRig(t, 1)
	// Something stored, so that the informers' lists do not come back at
	// resource version 0.
	r.Seed(api.Object{Resource: api.ConfigMaps, ID: 1, Size: 100})
	s := r.start(Config{})
	r.createPod(time.Second, r.cpuPod(100, mi), nil)
	r.Run(t, 40*time.Second)
	// Backoffs after attempts 1–5: 1s, 2s, 4s, 8s, 10s, counted from the
	// failure, 300µs (the cycle) after the pop: each ends just past a tick,
	// so the retry waits for the next one.
	want := []time.Duration{1007 * ms, 2100 * ms, 5100 * ms, 10100 * ms, 19100 * ms, 30100 * ms}
	as := s.Attempts()
	if len(as) != len(want) {
		t.Fatalf("%d attempts, want %d: %+v", len(as), len(want), as)
	}
	for i, a := range as {
		if d := a.Start.Sub(at(want[i])); d < 0 || d > 5*ms || a.Result != Error {
			t.Errorf("attempt %d: %v at %v, want an error at %v", i, a.Result, a.Start, want[i])
		}
	}
	if p := r.stored(0); p.Reason != "SchedulerError" || p.Message != scheduler.ErrNoNodesAvailable.Error() {
		t.Errorf("status %q %q", p.Reason, p.Message)
	}
	if n := r.Rec.FindCounter("scheduler_status_patches_total", "scheduler", "kube-scheduler"); n == nil || n.Value != 1 {
		t.Errorf("status patches %v, want 1", n)
	}
}

// Only pods naming the profile's schedulerName are queued: a pod for
// another scheduler stays pending, untouched.
func TestOtherSchedulersPodsIgnored(t *testing.T) {
	r := newRig(t, 1)
	r.seedNode(r.node("n", 4000, 8*gi))
	s := r.start(Config{})
	spec := r.cpuPod(100, mi)
	r.At(time.Second, func() {
		p := &objects.Pod{ID: -1, Namespace: objects.NamespaceDefault, Name: r.sym("pod"), Spec: spec,
			NodeName: objects.NoNode, SchedulerName: r.sym("my-scheduler")}
		req := r.Writer.C.NewRequest(api.Create, api.Pods, -1)
		req.Namespace = ns
		req.Object = podObject(p)
		r.Writer.C.Do(req, r.Writer)
	})
	r.createPod(2*time.Second, spec, nil)
	r.Run(t, 5*time.Second)
	if got := s.Attempts(); len(got) != 1 || got[0].Pod != 1 || got[0].Result != Scheduled {
		t.Fatalf("attempts %+v, want pod 1 only", got)
	}
	if p := r.stored(0); p.Bound() || p.Scheduled != api.ConditionUnknown {
		t.Errorf("other scheduler's pod: node %d, scheduled %v", p.NodeName, p.Scheduled)
	}
}
