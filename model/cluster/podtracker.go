package cluster

import (
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// This file is the Tracker's pod half, on only in runs with pods: it
// follows committed Pods, ReplicaSets and Deployments (the state of record,
// as for nodes) to count pods by phase, count bindings per gauge bucket
// (the scheduler's throughput), tell when each Deployment is complete, and
// time the cluster's convergence after each perturbation.

// Gauges of the pod tracker (runs with pods only).
const (
	// PendingPodsGauge is the pods stored in phase Pending, not being
	// deleted: unscheduled, or bound and not yet running.
	PendingPodsGauge = "pods_pending"
	// RunningPodsGauge is the pods stored in phase Running.
	RunningPodsGauge = "pods_running"
)

// PodCounts are the pods stored at one moment.
type PodCounts struct {
	// Existing pods; of them, by phase (Pending counts only pods not being
	// deleted; Unscheduled the pending ones without a node), and
	// Terminating those with a deletion timestamp.
	Existing, Pending, Unscheduled, Running, Succeeded, Failed, Terminating int
}

// DeploymentRecord is a Deployment as stored at the end of the run.
type DeploymentRecord struct {
	ID              int32
	Namespace, Name objects.Sym
	Replicas        int32
	Status          objects.DeploymentStatus
	// Complete is upstream's DeploymentComplete, with the newest
	// ReplicaSet checked in place of observedGeneration (see
	// deploymentComplete); CompleteSince is when it last became so (-1
	// when not complete).
	Complete      bool
	CompleteSince sim.Time
}

// Perturbation is one thing that changed the cluster's desired or actual
// state — the workload seeded at time 0, an action, a fault — and how long
// the cluster took to converge after it: every Deployment complete, no pod
// pending, every node Ready.
type Perturbation struct {
	// Kind is "start", "action" or "fault"; Index the action's or fault's
	// index in the scenario.
	Kind  string
	Index int
	At    sim.Time
	// From is when the clock starts: At, or a fault's end (-1 if it never
	// ended). ConvergedAt is the start of the converged stretch that held
	// when the next perturbation came (or at the end of the run), not
	// before From; -1 if the cluster was not converged then.
	From, ConvergedAt sim.Time
	judged            bool
}

type podFlags uint8

const (
	podExists podFlags = 1 << iota
	podBound
	podTerminating
)

type podState struct {
	flags podFlags
	phase objects.PodPhase
}

type rsState struct {
	exists bool
	owner  int32 // the Deployment's ID, or -1
	rs     *objects.ReplicaSet
}

type deployState struct {
	exists        bool
	d             *objects.Deployment
	rss           []int32 // ReplicaSets it owns, in ID order
	complete      bool
	completeSince sim.Time
}

type podTracker struct {
	in     *objects.Interner
	bucket time.Duration

	pods        []podState // by ID
	counts      PodCounts
	binds       []int32 // pods bound per gauge bucket
	rss         []rsState
	deployments []deployState
	incomplete  int // Deployments that exist and are not complete

	pendingGauge, runningGauge *sim.Gauge

	// convergedSince is when the cluster last became converged; -1 while
	// it is not.
	convergedSince sim.Time
	perturbations  []Perturbation
	// boundaries are the perturbations' distinct times, ascending; next
	// the first not yet passed.
	boundaries []sim.Time
	next       int
}

// trackPods turns on the pod half for a scenario with pods, starting from
// the workload seeded before time 0.
func (t *Tracker) trackPods(sc *scenarios.Scenario, seeded []api.Object) {
	p := &podTracker{in: sc.Interner, bucket: t.rec.Bucket(), convergedSince: 0,
		pendingGauge: t.rec.Gauge(PendingPodsGauge), runningGauge: t.rec.Gauge(RunningPodsGauge)}
	w := &sc.Spec.Workload
	for i := range w.Objects {
		if o := &w.Objects[i]; !o.Deferred && o.Kind != scenarios.KindNode {
			p.perturbations = append(p.perturbations, Perturbation{Kind: "start", At: 0})
			break
		}
	}
	for i, a := range w.Actions {
		p.perturbations = append(p.perturbations, Perturbation{Kind: "action", Index: i, At: sim.Time(a.At)})
	}
	for i, f := range sc.Spec.Faults {
		p.perturbations = append(p.perturbations, Perturbation{Kind: "fault", Index: i, At: sim.Time(f.At)})
	}
	for i := range p.perturbations {
		pt := &p.perturbations[i]
		pt.From, pt.ConvergedAt = pt.At, -1
		if !slices.Contains(p.boundaries, pt.At) {
			p.boundaries = append(p.boundaries, pt.At)
		}
	}
	slices.Sort(p.boundaries)
	t.pods = p
	for i := range seeded {
		t.podCommitted(0, &seeded[i])
	}
}

// podCommitted is Committed for Pods, ReplicaSets and Deployments.
func (t *Tracker) podCommitted(now sim.Time, cur *api.Object) {
	p := t.pods
	switch cur.Resource {
	case api.Pods:
		p.pod(now, cur)
	case api.ReplicaSets:
		p.replicaSet(now, cur)
	case api.Deployments:
		p.deployment(now, cur)
	default:
		return
	}
	t.podsChanged(now)
}

// podsChanged updates the converged state after a change.
func (t *Tracker) podsChanged(now sim.Time) {
	p := t.pods
	ok := p.incomplete == 0 && p.counts.Pending == 0 && t.ready == len(t.nodes)
	switch {
	case !ok:
		p.convergedSince = -1
	case p.convergedSince < 0:
		p.convergedSince = now
	}
}

func (p *podTracker) pod(now sim.Time, cur *api.Object) {
	id := cur.ID
	for int(id) >= len(p.pods) {
		p.pods = append(p.pods, podState{})
	}
	old := p.pods[id]
	p.count(old, -1)
	var st podState
	if b, ok := cur.Body.(*objects.Pod); ok {
		st.flags = podExists
		if b.Bound() {
			st.flags |= podBound
		}
		if b.Terminating {
			st.flags |= podTerminating
		}
		st.phase = b.Phase
	}
	p.pods[id] = st
	p.count(st, 1)
	// A binding: a stored pod without a node gets one (a pod created
	// with spec.nodeName was never scheduled).
	if st.flags&podBound != 0 && old.flags&(podExists|podBound) == podExists {
		i := int(int64(now) / int64(p.bucket))
		for i >= len(p.binds) {
			p.binds = append(p.binds, 0)
		}
		p.binds[i]++
	}
	p.pendingGauge.Set(now, float64(p.counts.Pending))
	p.runningGauge.Set(now, float64(p.counts.Running))
}

func (p *podTracker) count(st podState, d int) {
	if st.flags&podExists == 0 {
		return
	}
	c := &p.counts
	c.Existing += d
	if st.flags&podTerminating != 0 {
		c.Terminating += d
	}
	switch st.phase {
	case objects.PodPending:
		if st.flags&podTerminating == 0 {
			c.Pending += d
			if st.flags&podBound == 0 {
				c.Unscheduled += d
			}
		}
	case objects.PodRunning:
		c.Running += d
	case objects.PodSucceeded:
		c.Succeeded += d
	case objects.PodFailed:
		c.Failed += d
	}
}

func (p *podTracker) replicaSet(now sim.Time, cur *api.Object) {
	id := cur.ID
	for int(id) >= len(p.rss) {
		p.rss = append(p.rss, rsState{owner: -1})
	}
	s := &p.rss[id]
	oldOwner := s.owner
	b, ok := cur.Body.(*objects.ReplicaSet)
	if !ok { // deleted
		*s = rsState{owner: -1}
	} else {
		s.exists, s.rs, s.owner = true, b, -1
		if b.Owner.Kind == objects.OwnedByDeployment {
			s.owner = b.Owner.ID
		}
	}
	if oldOwner >= 0 && oldOwner != s.owner {
		d := p.deploy(oldOwner)
		if i, found := slices.BinarySearch(d.rss, id); found {
			d.rss = slices.Delete(d.rss, i, i+1)
		}
		p.judgeDeployment(now, oldOwner)
	}
	if s.owner >= 0 {
		d := p.deploy(s.owner)
		if i, found := slices.BinarySearch(d.rss, id); !found {
			d.rss = slices.Insert(d.rss, i, id)
		}
		p.judgeDeployment(now, s.owner)
	}
}

func (p *podTracker) deploy(id int32) *deployState {
	for int(id) >= len(p.deployments) {
		p.deployments = append(p.deployments, deployState{completeSince: -1})
	}
	return &p.deployments[id]
}

func (p *podTracker) deployment(now sim.Time, cur *api.Object) {
	d := p.deploy(cur.ID)
	b, ok := cur.Body.(*objects.Deployment)
	if !ok { // deleted: it no longer counts
		if d.exists && !d.complete {
			p.incomplete--
		}
		d.exists, d.d, d.complete, d.completeSince = false, nil, false, -1
		return
	}
	if !d.exists {
		d.exists, d.complete = true, true // judged just below
	}
	d.d = b
	p.judgeDeployment(now, cur.ID)
}

// judgeDeployment decides whether Deployment id is complete now.
func (p *podTracker) judgeDeployment(now sim.Time, id int32) {
	d := p.deploy(id)
	if !d.exists {
		return
	}
	complete := p.deploymentComplete(d)
	switch {
	case complete && !d.complete:
		p.incomplete--
		d.complete, d.completeSince = true, now
	case !complete && d.complete:
		p.incomplete++
		d.complete, d.completeSince = false, -1
	case complete && d.completeSince < 0:
		d.completeSince = now
	}
}

// deploymentComplete is upstream's DeploymentComplete
// (pkg/controller/deployment/util/deployment_util.go): updated, total and
// available replicas all equal to spec.replicas, with observedGeneration ≥
// generation. The model keeps no generations, so the last condition is
// read from the ReplicaSets instead: the newest ReplicaSet (its template
// equal to the Deployment's but for the pod-template-hash label, as the
// controller's FindNewReplicaSet decides) has spec.replicas and available
// replicas equal to the Deployment's spec.replicas, and every other
// ReplicaSet it owns is scaled to 0 with no pods left.
func (p *podTracker) deploymentComplete(d *deployState) bool {
	want := d.d.Replicas
	st := &d.d.Status
	if st.UpdatedReplicas != want || st.Replicas != want || st.AvailableReplicas != want {
		return false
	}
	newest := false
	for _, id := range d.rss {
		rs := p.rss[id].rs
		if !newest && sameTemplate(&rs.Template, &d.d.Template, p.in) {
			if rs.Replicas != want || rs.Status.AvailableReplicas != want {
				return false
			}
			newest = true
			continue
		}
		if rs.Replicas != 0 || rs.Status.Replicas != 0 {
			return false
		}
	}
	return newest || want == 0
}

// sameTemplate is the deployment controller's EqualIgnoreHash: the
// templates are equal once the pod-template-hash label is dropped (specs
// compared by pointer, else by the hash of their modeled fields).
func sameTemplate(a, b *objects.PodTemplate, in *objects.Interner) bool {
	la, lb := dropHash(a.Labels), dropHash(b.Labels)
	if !slices.Equal(la, lb) {
		return false
	}
	if a.Spec == b.Spec {
		return true
	}
	if a.Spec == nil || b.Spec == nil {
		return false
	}
	return objects.TemplateHash(&objects.PodTemplate{Labels: la, Spec: a.Spec}, 0, in) ==
		objects.TemplateHash(&objects.PodTemplate{Labels: lb, Spec: b.Spec}, 0, in)
}

func dropHash(ls objects.Labels) objects.Labels {
	if !ls.Has(objects.LabelPodTemplateHash) {
		return ls
	}
	out := make(objects.Labels, 0, len(ls)-1)
	for _, l := range ls {
		if l.Key != objects.LabelPodTemplateHash {
			out = append(out, l)
		}
	}
	return out
}

// advancePods judges the perturbations whose successor has come by now,
// with the state as it was just before now's change.
func (t *Tracker) advancePods(now sim.Time) {
	p := t.pods
	for p.next < len(p.boundaries) && p.boundaries[p.next] <= now {
		p.judgeBefore(t, p.boundaries[p.next], false)
		p.next++
	}
}

// judgeBefore judges every perturbation that came before at and whose
// clock has started, with the state at at. final marks the end of the run.
func (p *podTracker) judgeBefore(t *Tracker, at sim.Time, final bool) {
	for i := range p.perturbations {
		pt := &p.perturbations[i]
		if pt.judged || (pt.At >= at && !final) {
			continue
		}
		if pt.Kind == "fault" {
			pt.From = t.faults[pt.Index].End
		}
		if pt.From < 0 || pt.From > at {
			if final {
				pt.judged = true
			}
			continue
		}
		pt.judged = true
		if p.convergedSince >= 0 {
			pt.ConvergedAt = max(p.convergedSince, pt.From)
		}
	}
}

func (t *Tracker) finishPods(end sim.Time) {
	t.advancePods(end)
	t.pods.judgeBefore(t, end, true)
}

// RunsPods reports whether the tracker follows pods (a run with pods).
func (t *Tracker) RunsPods() bool { return t.pods != nil }

// Pods counts the pods stored now.
func (t *Tracker) Pods() PodCounts {
	if t.pods == nil {
		return PodCounts{}
	}
	return t.pods.counts
}

// UnscheduledPods are the IDs of the pods stored pending without a node
// now, in ID order.
func (t *Tracker) UnscheduledPods() []int32 {
	if t.pods == nil {
		return nil
	}
	var out []int32
	for id, st := range t.pods.pods {
		if st.flags&(podExists|podBound|podTerminating) == podExists && st.phase == objects.PodPending {
			out = append(out, int32(id))
		}
	}
	return out
}

// BindsPerBucket is the number of pods bound in each gauge bucket (a
// stored pod without a node committed with one), up to the last bucket
// with one.
func (t *Tracker) BindsPerBucket() []int32 {
	if t.pods == nil {
		return nil
	}
	return t.pods.binds
}

// Deployments are the Deployments stored now, in ID order.
func (t *Tracker) Deployments() []DeploymentRecord {
	if t.pods == nil {
		return nil
	}
	var out []DeploymentRecord
	for id, d := range t.pods.deployments {
		if !d.exists {
			continue
		}
		out = append(out, DeploymentRecord{ID: int32(id), Namespace: d.d.Namespace, Name: d.d.Name, Replicas: d.d.Replicas,
			Status: d.d.Status, Complete: d.complete, CompleteSince: d.completeSince})
	}
	return out
}

// Perturbations are the start, the actions and the faults with the time
// the cluster converged after each, in that order (judged at the end of
// the run).
func (t *Tracker) Perturbations() []Perturbation {
	if t.pods == nil {
		return nil
	}
	return t.pods.perturbations
}
