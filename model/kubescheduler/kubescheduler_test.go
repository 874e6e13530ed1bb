package kubescheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
)

// seed001 builds the two nodes of seed 001's example
// (model/scheduler TestSeed001TwoNodeExample) with the pods that use them,
// and returns the example pod's spec.
func seed001(r *rig) (node1, node2 *objects.Node, spec *objects.PodSpec) {
	nginx := r.sym("nginx:1.21")
	node1 = r.node("node1", 16000, 60*gi, func(n *objects.Node) {
		n.Images = []objects.NodeImage{{Name: nginx, Size: 135 * mi}}
	})
	node2 = r.node("node2", 16000, 60*gi, func(n *objects.Node) { n.Labels = r.labels("disktype", "ssd") })
	r.seedNode(node1)
	r.seedNode(node2)
	r.seedBound(100, r.cpuPod(8000, 42*gi), node1.ID) // 50% CPU, 70% memory
	r.seedBound(101, r.cpuPod(4000, 30*gi), node2.ID) // 25% CPU, 50% memory
	spec = r.spec(objects.PodSpec{
		Containers: []objects.Container{{Image: nginx, Requests: objects.Requests(2000, 2*gi)}},
		NodeAffinity: objects.NodeAffinity{Preferred: []objects.PreferredSchedulingTerm{{
			Weight: 1,
			Term:   objects.NodeSelectorTerm{MatchExpressions: []objects.Requirement{{Key: r.sym("disktype"), Op: objects.OpIn, Values: []objects.Sym{r.sym("ssd")}}}},
		}}},
	})
	return node1, node2, spec
}

// Two nodes, three pods created through the API server: each is bound,
// to node2 as in seed 001's example (node2 keeps winning: 642 and 636 to
// node1's 429 for the second and third pod), in creation order, each
// attempt one cycle long, and the pods' status says PodScheduled=True.
func TestTwoNodesThreePodsBound(t *testing.T) {
	r := newRig(t, 1)
	_, node2, spec := seed001(r)
	s := r.start(Config{})
	for i := range 3 {
		r.createPod(time.Second+time.Duration(i)*100*ms, spec, nil)
	}
	r.Run(t, 5*time.Second)
	got := scheduled(s)
	if len(got) != 3 || len(s.Attempts()) != 3 {
		t.Fatalf("attempts %+v", s.Attempts())
	}
	for i, a := range got {
		if a.Pod != int32(102+i) || a.Node != node2.ID {
			t.Errorf("attempt %d: pod %d on node %d, want pod %d on node2", i, a.Pod, a.Node, 102+i)
		}
		p := r.stored(a.Pod)
		if p.NodeName != node2.ID || p.Scheduled != api.ConditionTrue {
			t.Errorf("pod %d stored on %d, scheduled %v", a.Pod, p.NodeName, p.Scheduled)
		}
		if i > 0 && a.Start <= got[i-1].Start {
			t.Errorf("attempt %d started at %v, before its predecessor", i, a.Start)
		}
	}
	// Creation → watch event → cycle: the pod created at 1s is bound by
	// 1s + create (≈7ms) + event + cycle (2.3µs×2 + 300µs) + bind (≈7ms).
	if a := got[0]; a.Start < at(time.Second) || a.End > at(time.Second+50*ms) {
		t.Errorf("first pod: cycle %v, bound %v", a.Start, a.End)
	}
	if n := r.Rec.FindCounter(AttemptsMetric, "scheduler", "kube-scheduler", "result", "scheduled"); n == nil || n.Value != 3 {
		t.Errorf("scheduled counter %v", n)
	}
	if l := r.Rec.Latency(E2EMetric, "scheduler", "kube-scheduler"); l.Count() != 3 {
		t.Errorf("e2e latency samples %d", l.Count())
	}
}

// A pod no node can take gets upstream's exact message in its status and
// waits in unschedulablePods; a node that fits it arrives, the node event
// moves it, and it is bound there.
func TestUnschedulableMessageThenNodeAdded(t *testing.T) {
	r := newRig(t, 1)
	r.seedNode(r.node("small1", 1000, 4*gi))
	r.seedNode(r.node("small2", 1000, 4*gi, func(n *objects.Node) {
		n.Taints = []objects.Taint{{Key: r.sym("dedicated"), Value: r.sym("db"), Effect: objects.NoSchedule}}
	}))
	big := r.node("big", 8000, 16*gi)
	s := r.start(Config{})
	r.createPod(time.Second, r.cpuPod(4000, gi), nil)
	r.Run(t, 30*time.Second)
	const want = "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}. " +
		"preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
	p := r.stored(0)
	if p.Scheduled != api.ConditionFalse || p.Reason != "Unschedulable" || p.Message != want {
		t.Fatalf("status %v %q %q\nwant message %q", p.Scheduled, p.Reason, p.Message, want)
	}
	leader := s.Replicas()[0]
	if leader.Queue().Len(scheduler.ActiveQ) != 0 || leader.Queue().Get(0) == nil || leader.Queue().Get(0).Where() != scheduler.UnschedulablePods {
		t.Fatalf("pod not parked in unschedulablePods")
	}
	if n := len(s.Attempts()); n != 1 {
		t.Fatalf("%d attempts before the node came, want 1 (no retry until an event)", n)
	}
	r.addNode(40*time.Second, big)
	r.Run(t, 45*time.Second)
	got := scheduled(s)
	if len(got) != 1 || got[0].Node != big.ID {
		t.Fatalf("attempts %+v", s.Attempts())
	}
	if d := got[0].Start.Sub(at(40 * time.Second)); d < 0 || d > 100*ms {
		t.Errorf("retried %v after the node was added", d)
	}
	if p := r.stored(0); p.NodeName != big.ID || p.Scheduled != api.ConditionTrue {
		t.Errorf("stored pod on %d, scheduled %v", p.NodeName, p.Scheduled)
	}
}

// The same failure is not patched twice: a second attempt with the same
// message leaves the status alone. The unschedulable flush retries the
// pod after 5 minutes, on the 30s ticks.
func TestUnschedulableRetriedByFlushWithoutRepatch(t *testing.T) {
	r := newRig(t, 1)
	r.seedNode(r.node("small", 1000, 4*gi))
	s := r.start(Config{})
	r.createPod(time.Second, r.cpuPod(4000, gi), nil)
	r.Run(t, 7*time.Minute)
	as := s.Attempts()
	if len(as) != 2 {
		t.Fatalf("%d attempts, want 2 (the first, and one after the 5-minute flush)", len(as))
	}
	// The first failure is at ~1s; the flush runs every 30s from when
	// scheduling began (0.1s: the first cache-sync poll) and moves pods
	// parked longer than 5 minutes: at 5m30.1s.
	if d := as[1].Start.Sub(at(5*time.Minute + 30*time.Second + 100*ms)); d < 0 || d > 10*ms {
		t.Errorf("second attempt at %v", as[1].Start)
	}
	if n := r.Rec.FindCounter("scheduler_status_patches_total", "scheduler", "kube-scheduler"); n == nil || n.Value != 1 {
		t.Errorf("status patches %v, want 1", n)
	}
}

// A binding refused with 409 (another scheduler bound the pod first)
// makes the scheduler forget its assumed pod; the pod is not requeued,
// since the informer shows it bound.
func TestBindConflictForgetsAssumedPod(t *testing.T) {
	r := newRig(t, 1)
	n := r.node("n", 4000, 8*gi)
	r.seedNode(n)
	s := r.start(Config{})
	spec := r.cpuPod(1000, gi)
	r.createPod(time.Second, spec, nil)
	// A rival binds pod 0 just after it is created, before our binding.
	r.At(time.Second+6*ms, func() {
		req := r.Writer.C.NewRequest(api.Create, api.PodBinding, 0)
		req.Namespace = ns
		req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			p := *cur.Body.(*objects.Pod)
			p.NodeName = n.ID
			o := *cur
			o.Body = &p
			return o, 0
		}
		r.Writer.C.Do(req, r.Writer)
	})
	r.Run(t, 5*time.Second)
	if v := r.Rec.FindCounter(BindFailureMetric, "scheduler", "kube-scheduler"); v == nil || v.Value != 1 {
		t.Fatalf("bind failures %v (attempts %+v, writer %v)", v, s.Attempts(), r.Writer.Codes)
	}
	leader := s.Replicas()[0]
	ni := leader.Snapshot().NodeInfo(n.ID)
	if len(ni.Pods) != 1 || ni.Requested.MilliCPU != 1000 {
		t.Fatalf("node holds %d pods, %dm: the assumed copy was not replaced", len(ni.Pods), ni.Requested.MilliCPU)
	}
	if leader.Queue().Pending() != 0 {
		t.Fatalf("pod requeued after it was bound")
	}
}

// Leader failover: two replicas, one acquires the lease and schedules; it
// dies; the standby takes over once the lease has expired by its clock
// and schedules the pods created meanwhile. The takeover comes at least
// leaseDuration − retryPeriod and at most leaseDuration + 2 jittered
// retry periods (2 × 4.4s) after the crash, over seeds; and exactly one
// replica schedules at any time.
func TestLeaderFailover(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := newRig(t, seed)
			r.seedNode(r.node("n0", 16000, 64*gi))
			r.seedNode(r.node("n1", 16000, 64*gi))
			s := r.start(Config{Replicas: 2, LeaderElect: true, RestartDelay: -1})
			spec := r.cpuPod(500, gi)
			for i := range 5 {
				r.createPod(5*time.Second+time.Duration(i)*10*ms, spec, nil)
			}
			r.Run(t, 20*time.Second)
			first := s.Leader()
			if first == nil {
				t.Fatal("no leader after 20s")
			}
			if got := len(scheduled(s)); got != 5 {
				t.Fatalf("%d pods bound before the crash", got)
			}
			crash := at(20 * time.Second)
			first.Stop()
			for i := range 5 {
				r.createPod(21*time.Second+time.Duration(i)*10*ms, spec, nil)
			}
			// The standby's informers and queue are warm: it queues the
			// new pods before it leads.
			r.Run(t, 22*time.Second)
			standby := s.Replicas()[1-first.index]
			if g := r.Rec.Gauge("scheduler_pending_pods", "queue", "active", "scheduler", "kube-scheduler", "replica", fmt.Sprint(standby.index)); standby.Leading() || g.Value() != 5 {
				t.Fatalf("standby leading %v, active gauge %v", standby.Leading(), g.Value())
			}
			var takeover time.Duration
			for step := 2 * time.Second; step < 40*time.Second && takeover == 0; step += 100 * ms {
				r.Run(t, 20*time.Second+step)
				if l := s.Leader(); l != nil && l != first {
					rec, _ := l.Elector().Observed()
					takeover = rec.AcquireTime.Sub(crash)
				}
			}
			// The standby sees the last renewal (at most one retry period
			// before the crash) on its next GET, up to 4.4s later; the
			// lease expires 15s after that by its clock, and its next try,
			// up to 4.4s on, takes it.
			lo, hi := 15*time.Second-2*time.Second, 15*time.Second+2*4400*ms+100*ms
			if takeover < lo || takeover > hi {
				t.Fatalf("takeover %v after the crash, want within [%v, %v]", takeover, lo, hi)
			}
			r.Run(t, 50*time.Second)
			got := scheduled(s)
			if len(got) != 10 {
				t.Fatalf("%d pods bound", len(got))
			}
			for _, a := range got[5:] {
				if a.Replica == first.index || a.Start < crash.Add(takeover) {
					t.Errorf("pod %d scheduled by replica %d at %v", a.Pod, a.Replica, a.Start)
				}
			}
			if c := r.Rec.FindCounter("leader_election_acquired_total", "name", "kube-scheduler"); c == nil || c.Value != 2 {
				t.Errorf("leader changes %v, want 2", c)
			}
		})
	}
}
