package cluster

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// podRig is a Tracker with its pod half on, fed commits by hand: two
// nodes, an action at 10s and at 30s, a fault from 40s to 50s.
type podRig struct {
	t   *testing.T
	tr  *Tracker
	in  *objects.Interner
	now sim.Time
}

func newPodRig(t *testing.T) *podRig {
	in := objects.NewInterner()
	sc := &scenarios.Scenario{Interner: in}
	sc.Spec.Workload.Actions = []scenarios.Action{{At: 10 * time.Second, Type: scenarios.ActionScale}, {At: 30 * time.Second, Type: scenarios.ActionUpdate}}
	sc.Spec.Faults = []scenarios.Fault{{At: 40 * time.Second, Type: scenarios.FaultStopKubelet, Duration: 10 * time.Second}}
	eng := sim.NewEngine(1)
	rec := sim.NewRecorder(time.Second)
	tr := newTracker(eng, rec, []Node{{Name: "node-0"}, {Name: "node-1"}}, sc.Spec.Faults)
	tr.trackPods(sc, nil)
	return &podRig{t: t, tr: tr, in: in}
}

func (r *podRig) at(s float64) *podRig { r.now = sim.Time(s * float64(time.Second)); return r }

func (r *podRig) commit(o api.Object) { r.tr.Committed(r.now, true, &o) }

func (r *podRig) pod(id int32, node int32, phase objects.PodPhase) {
	r.commit(api.Object{Resource: api.Pods, ID: id, Body: &objects.Pod{ID: id, NodeName: node, Phase: phase}})
}

func (r *podRig) deletePod(id int32) { r.commit(api.Object{Resource: api.Pods, ID: id}) }

// Two templates that differ (their grace period stands in for an image).
var (
	specV1 = &objects.PodSpec{TerminationGracePeriod: time.Second}
	specV2 = &objects.PodSpec{TerminationGracePeriod: 2 * time.Second}
)

func (r *podRig) deployment(replicas int32, spec *objects.PodSpec, st objects.DeploymentStatus) {
	r.commit(api.Object{Resource: api.Deployments, ID: 0, Body: &objects.Deployment{ID: 0, Name: r.in.Intern("web"), Replicas: replicas,
		Template: objects.PodTemplate{Spec: spec}, Status: st}})
}

func (r *podRig) replicaSet(id, replicas, available int32, spec *objects.PodSpec) {
	r.commit(api.Object{Resource: api.ReplicaSets, ID: id, Body: &objects.ReplicaSet{ID: id, Owner: objects.OwnerRef{Kind: objects.OwnedByDeployment, ID: 0},
		Replicas: replicas, Template: objects.PodTemplate{Labels: objects.Labels{{Key: objects.LabelPodTemplateHash, Value: r.in.Intern("h" + string(rune('0'+id)))}}, Spec: spec},
		Status: objects.ReplicaSetStatus{Replicas: available, ReadyReplicas: available, AvailableReplicas: available}}})
}

func (r *podRig) node(id int32, ready api.ConditionStatus) {
	r.commit(api.Object{Resource: api.Nodes, ID: id, Ready: ready})
}

func (r *podRig) wantCounts(want PodCounts) {
	r.t.Helper()
	if got := r.tr.Pods(); got != want {
		r.t.Errorf("at %v: pods %+v, want %+v", r.now, got, want)
	}
}

func (r *podRig) wantComplete(want bool) {
	r.t.Helper()
	ds := r.tr.Deployments()
	if len(ds) != 1 || ds[0].Complete != want {
		r.t.Errorf("at %v: deployments %+v, want complete %v", r.now, ds, want)
	}
}

// TestPodTrackerCountsBindsAndDeployments follows a Deployment through a
// scale-up and a rollout, its pods through scheduling and start, and
// checks the counts, bindings and completeness at each step.
func TestPodTrackerCountsBindsAndDeployments(t *testing.T) {
	r := newPodRig(t)
	// A pod created with spec.nodeName is not a binding.
	r.at(0.5).pod(9, 1, objects.PodPending)
	r.at(0.6).pod(9, 1, objects.PodRunning)

	r.at(1).deployment(2, specV1, objects.DeploymentStatus{})
	r.wantComplete(false)
	r.at(1.1).replicaSet(1, 2, 0, specV1)
	r.at(1.2).pod(0, objects.NoNode, objects.PodPending)
	r.pod(1, objects.NoNode, objects.PodPending)
	r.wantCounts(PodCounts{Existing: 3, Pending: 2, Unscheduled: 2, Running: 1})
	r.at(2.5).pod(0, 0, objects.PodPending)
	r.at(3.5).pod(1, 1, objects.PodPending)
	r.wantCounts(PodCounts{Existing: 3, Pending: 2, Running: 1})
	r.at(4).pod(0, 0, objects.PodRunning)
	r.pod(1, 1, objects.PodRunning)
	r.at(4.1).replicaSet(1, 2, 2, specV1)
	r.wantComplete(false) // the Deployment's status lags
	r.at(4.2).deployment(2, specV1, objects.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2})
	r.wantComplete(true)
	if got := r.tr.BindsPerBucket(); len(got) != 4 || got[2] != 1 || got[3] != 1 || got[0]+got[1] != 0 {
		t.Errorf("binds per bucket %v, want [0 0 1 1]", got)
	}

	// A new template: the old ReplicaSet is still the only one, so the
	// Deployment is not complete though its stale status says so.
	r.at(30).deployment(2, specV2, objects.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2})
	r.wantComplete(false)
	r.at(31).replicaSet(2, 2, 2, specV2)
	r.wantComplete(false) // the old ReplicaSet still has replicas
	r.at(32).replicaSet(1, 0, 0, specV1)
	r.wantComplete(true)
	if ds := r.tr.Deployments(); ds[0].CompleteSince != sim.Time(32*time.Second) {
		t.Errorf("complete since %v, want 32s", ds[0].CompleteSince)
	}
	r.at(33).deletePod(9)
	r.wantCounts(PodCounts{Existing: 2, Running: 2})
}

// TestPodTrackerConvergence checks each perturbation's convergence: judged
// with the state at the next perturbation, from a fault's end.
func TestPodTrackerConvergence(t *testing.T) {
	r := newPodRig(t)
	r.at(1).pod(0, objects.NoNode, objects.PodPending) // no start perturbation: nothing at time 0
	r.at(2).pod(0, 0, objects.PodRunning)
	// action 0 at 10s: a pod pending from 12s to 15s.
	r.at(12).pod(1, objects.NoNode, objects.PodPending)
	r.at(15).pod(1, 0, objects.PodRunning)
	// action 1 at 30s: a pod pending from 31s to the end of the run.
	r.at(31).pod(2, objects.NoNode, objects.PodPending)
	// fault 0 from 40s to 50s: node-1 NotReady 45s–60s.
	r.tr.faultStarted(sim.Time(40*time.Second), 0)
	r.at(45).node(1, api.ConditionUnknown)
	r.tr.faultEnded(sim.Time(50*time.Second), 0)
	r.at(55).pod(2, 1, objects.PodRunning)
	r.at(60).node(1, api.ConditionTrue)
	r.tr.finish(sim.Time(90 * time.Second))

	ps := r.tr.Perturbations()
	want := []struct {
		kind      string
		from, got sim.Time
	}{
		{"action", 10 * sim.Time(time.Second), 15 * sim.Time(time.Second)},
		{"action", 30 * sim.Time(time.Second), -1}, // pod 2 still pending at 40s
		{"fault", 50 * sim.Time(time.Second), 60 * sim.Time(time.Second)},
	}
	if len(ps) != len(want) {
		t.Fatalf("perturbations %+v", ps)
	}
	for i, w := range want {
		if ps[i].Kind != w.kind || ps[i].From != w.from || ps[i].ConvergedAt != w.got {
			t.Errorf("perturbation %d = %+v, want %s from %v converged %v", i, ps[i], w.kind, w.from, w.got)
		}
	}
}

// TestPodTrackerStartsFromTheSeededWorkload: objects seeded before time 0
// reach no commit observer; the tracker starts from them, and a seeded
// pod with a node is not a binding.
func TestPodTrackerStartsFromTheSeededWorkload(t *testing.T) {
	in := objects.NewInterner()
	sc := &scenarios.Scenario{Interner: in}
	sc.Spec.Workload.Objects = []scenarios.Object{{Kind: scenarios.KindDeployment}}
	rec := sim.NewRecorder(time.Second)
	tr := newTracker(sim.NewEngine(1), rec, []Node{{Name: "node-0"}}, nil)
	d := &objects.Deployment{Replicas: 2, Template: objects.PodTemplate{Spec: specV1},
		Status: objects.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}}
	rs := &objects.ReplicaSet{ID: 0, Owner: objects.OwnerRef{Kind: objects.OwnedByDeployment}, Replicas: 2, Template: objects.PodTemplate{Spec: specV1},
		Status: objects.ReplicaSetStatus{Replicas: 2, AvailableReplicas: 2}}
	tr.trackPods(sc, []api.Object{
		{Resource: api.Deployments, ID: 0, Body: d},
		{Resource: api.ReplicaSets, ID: 0, Body: rs},
		{Resource: api.Pods, ID: 0, Body: &objects.Pod{NodeName: 0, Phase: objects.PodRunning}},
		{Resource: api.Pods, ID: 1, Body: &objects.Pod{NodeName: objects.NoNode, Phase: objects.PodPending}},
	})
	if got, want := tr.Pods(), (PodCounts{Existing: 2, Running: 1, Pending: 1, Unscheduled: 1}); got != want {
		t.Errorf("pods %+v, want %+v", got, want)
	}
	if ds := tr.Deployments(); len(ds) != 1 || !ds[0].Complete || ds[0].CompleteSince != 0 {
		t.Errorf("deployments %+v", ds)
	}
	if got := tr.UnscheduledPods(); len(got) != 1 || got[0] != 1 {
		t.Errorf("unscheduled %v", got)
	}
	// The pending pod is bound and runs at 2.5s: one binding, and the
	// start converges then.
	tr.Committed(2500*sim.Time(time.Millisecond), true, &api.Object{Resource: api.Pods, ID: 1, Body: &objects.Pod{NodeName: 0, Phase: objects.PodRunning}})
	tr.finish(10 * sim.Time(time.Second))
	if b := tr.BindsPerBucket(); len(b) != 3 || b[2] != 1 || b[0] != 0 {
		t.Errorf("binds %v", b)
	}
	if ps := tr.Perturbations(); len(ps) != 1 || ps[0].Kind != "start" || ps[0].ConvergedAt != 2500*sim.Time(time.Millisecond) {
		t.Errorf("perturbations %+v", ps)
	}
}
