package kcm

import (
	"cmp"
	"slices"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// A plan is one Deployment sync's decisions, made as upstream makes them
// (pkg/controller/deployment/{sync,rolling,recreate}.go and
// util/deployment_util.go) on working copies of the cached objects: each
// write upstream would send, in order, with the body it would carry. Later
// decisions read the working copies, so they see earlier writes as
// upstream sees the objects its calls return. Executed in order and
// stopped at the first failure, a plan sends exactly upstream's calls.

// rsView is a ReplicaSet in a plan: the cached object and a working copy.
type rsView struct {
	obj   api.Object
	rs    objects.ReplicaSet
	rv    int64 // the version the next update is conditioned on
	isNew bool  // created by this plan
}

type stepKind uint8

const (
	stepCreateRS stepKind = iota
	stepUpdateRS
	stepDeleteRS
	stepDeploymentStatus
)

// step is one write: a ReplicaSet body (create, update), a Deployment body
// (status).
type step struct {
	kind stepKind
	view *rsView
	rs   objects.ReplicaSet
	d    objects.Deployment
}

type plan struct {
	in    *objects.Interner
	sizes objects.Sizes
	now   sim.Time
	dObj  api.Object
	d     objects.Deployment // working copy (revision, status)
	all   []*rsView          // by creation time, then ID
	newRS *rsView
	old   []*rsView // all but newRS, by creation time
	steps []step
}

// newPlan sorts the Deployment's ReplicaSets and finds the new one: the
// oldest whose template equals the Deployment's, pod-template-hash aside
// (FindNewReplicaSet, FindOldReplicaSets).
func newPlan(m *Manager, dObj api.Object, d *objects.Deployment, rss []*rsView) *plan {
	p := &plan{in: m.cfg.In, sizes: m.cfg.Sizes, now: m.now(), dObj: dObj, d: *d, all: rss}
	slices.SortStableFunc(p.all, byCreation)
	for _, v := range p.all {
		if p.newRS == nil && equalIgnoreHash(&v.rs.Template, &d.Template, p.in) {
			p.newRS = v
			continue
		}
		p.old = append(p.old, v)
	}
	return p
}

// byCreation is ReplicaSetsByCreationTimestamp: older first, then by name
// (the model's: ID).
func byCreation(a, b *rsView) int {
	switch {
	case a.rs.Created != b.rs.Created:
		return cmp.Compare(a.rs.Created, b.rs.Created)
	case a.obj.ID < b.obj.ID:
		return -1
	case a.obj.ID > b.obj.ID:
		return 1
	}
	return 0
}

// equalIgnoreHash is EqualIgnoreHash: the templates are equal once the
// pod-template-hash label is dropped from both. Specs are compared by
// content (the same pointer, or the same hash of the modeled fields).
func equalIgnoreHash(a, b *objects.PodTemplate, in *objects.Interner) bool {
	la, lb := withoutHash(a.Labels), withoutHash(b.Labels)
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

func withoutHash(ls objects.Labels) objects.Labels {
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

// maxSurge and maxUnavailable are deploymentutil.MaxSurge and
// MaxUnavailable: 0 for Recreate; unavailability 0 with no replicas and at
// most the replicas.
func maxSurge(d *objects.Deployment) int32 {
	if d.Strategy != objects.RollingUpdate {
		return 0
	}
	s, _ := objects.ResolveFenceposts(d.MaxSurge, d.MaxUnavailable, d.Replicas)
	return s
}

func maxUnavailable(d *objects.Deployment) int32 {
	if d.Strategy != objects.RollingUpdate || d.Replicas == 0 {
		return 0
	}
	_, u := objects.ResolveFenceposts(d.MaxSurge, d.MaxUnavailable, d.Replicas)
	return min(u, d.Replicas)
}

// Sums over ReplicaSets (GetReplicaCountForReplicaSets and friends).
func specReplicas(vs []*rsView) (n int32) {
	for _, v := range vs {
		if v != nil {
			n += v.rs.Replicas
		}
	}
	return n
}

func statusSum(vs []*rsView, f func(*objects.ReplicaSetStatus) int32) (n int32) {
	for _, v := range vs {
		if v != nil {
			n += f(&v.rs.Status)
		}
	}
	return n
}

// allRSs is oldRSs followed by newRS (nil-free).
func (p *plan) allRSs() []*rsView {
	out := slices.Clone(p.old)
	if p.newRS != nil {
		out = append(out, p.newRS)
	}
	return out
}

func activeRSs(vs []*rsView) []*rsView {
	var out []*rsView
	for _, v := range vs {
		if v != nil && v.rs.Replicas > 0 {
			out = append(out, v)
		}
	}
	return out
}

// isScalingEvent: an active ReplicaSet's desired-replicas annotation
// differs from the Deployment's replicas.
func (p *plan) isScalingEvent() bool {
	p.syncRevision(false)
	for _, v := range activeRSs(p.allRSs()) {
		if v.rs.DesiredReplicas != 0 && v.rs.DesiredReplicas != p.d.Replicas {
			return true
		}
	}
	return false
}

// syncRevision is getAllReplicaSetsAndSyncRevision: bring the new
// ReplicaSet's revision (and minReadySeconds) up to date, or the
// Deployment's revision annotation to the new ReplicaSet's; or, with
// create, create the new ReplicaSet (with its replicas from NewRSNewReplicas)
// and record its revision on the Deployment.
func (p *plan) syncRevision(create bool) {
	maxOld := int64(0)
	for _, v := range p.old {
		maxOld = max(maxOld, v.rs.Revision)
	}
	rev := maxOld + 1
	if v := p.newRS; v != nil {
		if v.isNew {
			return
		}
		if v.rs.Revision < rev || v.rs.MinReadySeconds != p.d.MinReadySeconds {
			v.rs.Revision = max(v.rs.Revision, rev)
			v.rs.MinReadySeconds = p.d.MinReadySeconds
			p.steps = append(p.steps, step{kind: stepUpdateRS, view: v, rs: v.rs})
			return
		}
		if p.d.Revision != v.rs.Revision {
			p.d.Revision = v.rs.Revision
			p.steps = append(p.steps, step{kind: stepDeploymentStatus, d: p.d})
		}
		return
	}
	if !create {
		return
	}
	d := &p.d
	hash := p.in.Intern(objects.TemplateHash(&d.Template, d.CollisionCount, p.in))
	sel := d.Selector
	sel.MatchLabels = sel.MatchLabels.With(objects.LabelPodTemplateHash, hash)
	rs := objects.ReplicaSet{
		ID:              -1,
		Namespace:       d.Namespace,
		Name:            p.in.Intern(p.in.String(d.Name) + "-" + p.in.String(hash)),
		Owner:           objects.OwnerRef{Kind: objects.OwnedByDeployment, ID: p.dObj.ID},
		Selector:        sel,
		Template:        objects.PodTemplate{Labels: d.Template.Labels.With(objects.LabelPodTemplateHash, hash), Spec: d.Template.Spec},
		MinReadySeconds: d.MinReadySeconds,
		TemplateHash:    hash,
		Size:            p.sizes.ReplicaSet,
		Created:         p.now,
		Revision:        rev,
		DesiredReplicas: d.Replicas,
		MaxReplicas:     d.Replicas + maxSurge(d),
	}
	v := &rsView{obj: api.Object{Resource: api.ReplicaSets, ID: -1, Namespace: p.dObj.Namespace, Size: rs.Size}, rs: rs, isNew: true}
	p.newRS = v
	v.rs.Replicas = p.newRSNewReplicas()
	p.all = append(p.all, v)
	p.steps = append(p.steps, step{kind: stepCreateRS, view: v, rs: v.rs})
	// SetDeploymentRevision, and the Progressing condition
	// (NewReplicaSetCreated): one UpdateStatus.
	d.Revision = rev
	p.steps = append(p.steps, step{kind: stepDeploymentStatus, d: p.d})
}

// newRSNewReplicas is NewRSNewReplicas: for a rolling update, as many as
// maxSurge allows over all ReplicaSets, up to the Deployment's replicas;
// for Recreate, the Deployment's replicas.
func (p *plan) newRSNewReplicas() int32 {
	d := &p.d
	if d.Strategy == objects.Recreate {
		return d.Replicas
	}
	surge := d.MaxSurge.Scaled(d.Replicas, true)
	current := specReplicas(p.allRSs())
	maxTotal := d.Replicas + surge
	if current >= maxTotal {
		return p.newRS.rs.Replicas
	}
	up := min(maxTotal-current, d.Replicas-p.newRS.rs.Replicas)
	return p.newRS.rs.Replicas + up
}

// scale is scaleReplicaSetAndRecordEvent: nothing if the size is right,
// else scaleReplicaSet. It reports whether the size changed.
func (p *plan) scale(v *rsView, size int32) bool {
	if v.rs.Replicas == size {
		return false
	}
	return p.scaleReplicaSet(v, size)
}

// scaleReplicaSet sets the size and the replicas annotations, and writes
// if either changed.
func (p *plan) scaleReplicaSet(v *rsView, size int32) bool {
	desired, maxReplicas := p.d.Replicas, p.d.Replicas+maxSurge(&p.d)
	sizeChanged := v.rs.Replicas != size
	if !sizeChanged && v.rs.DesiredReplicas == desired && v.rs.MaxReplicas == maxReplicas {
		return false
	}
	v.rs.Replicas, v.rs.DesiredReplicas, v.rs.MaxReplicas = size, desired, maxReplicas
	p.steps = append(p.steps, step{kind: stepUpdateRS, view: v, rs: v.rs})
	return sizeChanged
}

// rolloutRolling is rolling.go's rolloutRolling.
func (p *plan) rolloutRolling() {
	p.syncRevision(true)
	if p.reconcileNewReplicaSet() {
		p.syncRolloutStatus()
		return
	}
	if p.reconcileOldReplicaSets() {
		p.syncRolloutStatus()
		return
	}
	if p.complete() {
		p.cleanup()
	}
	p.syncRolloutStatus()
}

// reconcileNewReplicaSet scales the new ReplicaSet down to the
// Deployment's size, or up as far as maxSurge allows.
func (p *plan) reconcileNewReplicaSet() bool {
	v := p.newRS
	switch {
	case v.rs.Replicas == p.d.Replicas:
		return false
	case v.rs.Replicas > p.d.Replicas:
		return p.scale(v, p.d.Replicas)
	}
	return p.scale(v, p.newRSNewReplicas())
}

// reconcileOldReplicaSets scales old ReplicaSets down as far as
// maxUnavailable allows, their unhealthy pods first.
func (p *plan) reconcileOldReplicaSets() bool {
	oldPods := specReplicas(p.old)
	if oldPods == 0 {
		return false
	}
	all := p.allRSs()
	allPods := specReplicas(all)
	minAvailable := p.d.Replicas - maxUnavailable(&p.d)
	newUnavailable := p.newRS.rs.Replicas - p.newRS.rs.Status.AvailableReplicas
	maxScaledDown := allPods - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false
	}
	old := activeRSs(p.old)
	cleaned := p.cleanupUnhealthyReplicas(old, maxScaledDown)
	scaled := p.scaleDownOldForRollingUpdate(old)
	return cleaned+scaled > 0
}

// cleanupUnhealthyReplicas scales old ReplicaSets down by their
// unavailable pods, oldest first, up to maxCleanup in all.
func (p *plan) cleanupUnhealthyReplicas(old []*rsView, maxCleanup int32) int32 {
	slices.SortStableFunc(old, byCreation)
	total := int32(0)
	for _, v := range old {
		if total >= maxCleanup {
			break
		}
		if v.rs.Replicas == 0 || v.rs.Replicas == v.rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, v.rs.Replicas-v.rs.Status.AvailableReplicas)
		p.scale(v, v.rs.Replicas-n)
		total += n
	}
	return total
}

// scaleDownOldForRollingUpdate scales old ReplicaSets down, oldest first,
// by as many available pods as exceed the minimum available.
func (p *plan) scaleDownOldForRollingUpdate(old []*rsView) int32 {
	minAvailable := p.d.Replicas - maxUnavailable(&p.d)
	available := statusSum(p.allRSs(), func(s *objects.ReplicaSetStatus) int32 { return s.AvailableReplicas })
	if available <= minAvailable {
		return 0
	}
	slices.SortStableFunc(old, byCreation)
	total, want := int32(0), available-minAvailable
	for _, v := range old {
		if total >= want {
			break
		}
		if v.rs.Replicas == 0 {
			continue
		}
		n := min(v.rs.Replicas, want-total)
		p.scale(v, v.rs.Replicas-n)
		total += n
	}
	return total
}

// rolloutRecreate is recreate.go's rolloutRecreate: scale every old
// ReplicaSet to 0, wait until none of their pods is left running, then
// create or scale up the new one.
func (p *plan) rolloutRecreate(m *Manager) {
	p.syncRevision(false)
	scaledDown := false
	for _, v := range activeRSs(p.old) {
		if p.scale(v, 0) {
			scaledDown = true
		}
	}
	if scaledDown || p.oldPodsRunning(m) {
		p.syncRolloutStatus()
		return
	}
	if p.newRS == nil {
		p.syncRevision(true)
	}
	p.scale(p.newRS, p.d.Replicas)
	if p.complete() {
		p.cleanup()
	}
	p.syncRolloutStatus()
}

// oldPodsRunning: an old ReplicaSet still reports pods, or owns a pod not
// in a terminal phase (a terminating pod counts).
func (p *plan) oldPodsRunning(m *Manager) bool {
	if statusSum(p.old, func(s *objects.ReplicaSetStatus) int32 { return s.Replicas }) > 0 {
		return true
	}
	for _, v := range p.old {
		for _, r := range m.ownedPods(v.obj.ID, false, nil) {
			if !r.p.Finished() {
				return true
			}
		}
	}
	return false
}

// sync is sync.go's sync on a scaling event: proportional scaling, then
// the status.
func (p *plan) sync() {
	p.scaleProportionally()
	p.syncRolloutStatus()
}

// scaleProportionally is sync.go's scale.
func (p *plan) scaleProportionally() {
	d := &p.d
	if v := p.activeOrLatest(); v != nil {
		if v.rs.Replicas != d.Replicas {
			p.scale(v, d.Replicas)
		}
		return
	}
	if p.isSaturated(p.newRS) {
		for _, v := range activeRSs(p.old) {
			p.scale(v, 0)
		}
		return
	}
	if d.Strategy != objects.RollingUpdate {
		return
	}
	all := activeRSs(p.allRSs())
	allowed := int32(0)
	if d.Replicas > 0 {
		allowed = d.Replicas + maxSurge(d)
	}
	toAdd := allowed - specReplicas(all)
	switch {
	case toAdd > 0: // ReplicaSetsBySizeNewer
		slices.SortStableFunc(all, func(a, b *rsView) int {
			if a.rs.Replicas != b.rs.Replicas {
				return int(b.rs.Replicas - a.rs.Replicas)
			}
			return byCreation(b, a)
		})
	case toAdd < 0: // ReplicaSetsBySizeOlder
		slices.SortStableFunc(all, func(a, b *rsView) int {
			if a.rs.Replicas != b.rs.Replicas {
				return int(b.rs.Replicas - a.rs.Replicas)
			}
			return byCreation(a, b)
		})
	}
	sizes := make([]int32, len(all))
	added := int32(0)
	for i, v := range all {
		sizes[i] = v.rs.Replicas
		if toAdd != 0 {
			pr := p.proportion(v, toAdd, added)
			sizes[i] += pr
			added += pr
		}
	}
	for i, v := range all {
		if i == 0 && toAdd != 0 {
			sizes[i] = max(sizes[i]+toAdd-added, 0)
		}
		p.scaleReplicaSet(v, sizes[i])
	}
}

// activeOrLatest is FindActiveOrLatest: the one active ReplicaSet, or the
// newest if none is active; nil if several are.
func (p *plan) activeOrLatest() *rsView {
	if p.newRS == nil && len(p.old) == 0 {
		return nil
	}
	active := activeRSs(p.allRSs())
	switch len(active) {
	case 0:
		if p.newRS != nil {
			return p.newRS
		}
		return p.old[len(p.old)-1] // the newest old one
	case 1:
		return active[0]
	}
	return nil
}

// isSaturated: the new ReplicaSet has the Deployment's size, desired
// annotation and as many available pods.
func (p *plan) isSaturated(v *rsView) bool {
	return v != nil && v.rs.Replicas == p.d.Replicas && v.rs.DesiredReplicas == p.d.Replicas &&
		v.rs.Status.AvailableReplicas == p.d.Replicas
}

// proportion is GetProportion: the ReplicaSet's share of toAdd, by its
// size against the max-replicas annotation, bounded by what is left.
func (p *plan) proportion(v *rsView, toAdd, added int32) int32 {
	if v.rs.Replicas == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	frac := p.fraction(v)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(frac, allowed)
	}
	return max(frac, allowed)
}

// fraction is getReplicaSetFraction.
func (p *plan) fraction(v *rsView) int32 {
	d := &p.d
	if d.Replicas == 0 {
		return -v.rs.Replicas
	}
	maxReplicas := d.Replicas + maxSurge(d)
	before := v.rs.MaxReplicas
	if before == 0 {
		before = d.Status.Replicas
		if before == 0 {
			return 0
		}
	}
	size := float64(v.rs.Replicas*maxReplicas) / float64(before)
	return roundToInt32(size) - v.rs.Replicas
}

// roundToInt32 is k8s.io/client-go/util/integer RoundToInt32.
func roundToInt32(a float64) int32 {
	if a < 0 {
		return int32(a - 0.5)
	}
	return int32(a + 0.5)
}

// complete is DeploymentComplete on the cached status.
func (p *plan) complete() bool {
	s, n := &p.d.Status, p.d.Replicas
	return s.UpdatedReplicas == n && s.Replicas == n && s.AvailableReplicas == n
}

// cleanup is cleanupDeployment: delete the oldest old ReplicaSets beyond
// revisionHistoryLimit that have no pods.
func (p *plan) cleanup() {
	old := slices.Clone(p.old)
	diff := len(old) - int(p.d.RevisionHistoryLimit)
	if diff <= 0 {
		return
	}
	slices.SortStableFunc(old, func(a, b *rsView) int { // ReplicaSetsByRevision
		if a.rs.Revision != b.rs.Revision {
			return cmp.Compare(a.rs.Revision, b.rs.Revision)
		}
		return byCreation(a, b)
	})
	for _, v := range old[:diff] {
		if v.rs.Status.Replicas != 0 || v.rs.Replicas != 0 {
			continue
		}
		p.steps = append(p.steps, step{kind: stepDeleteRS, view: v})
	}
}

// calculateStatus is sync.go's calculateStatus over the working copies.
func (p *plan) calculateStatus() objects.DeploymentStatus {
	all := p.allRSs()
	avail := statusSum(all, func(s *objects.ReplicaSetStatus) int32 { return s.AvailableReplicas })
	st := objects.DeploymentStatus{
		Replicas:          statusSum(all, func(s *objects.ReplicaSetStatus) int32 { return s.Replicas }),
		ReadyReplicas:     statusSum(all, func(s *objects.ReplicaSetStatus) int32 { return s.ReadyReplicas }),
		AvailableReplicas: avail,
		Available:         avail >= p.d.Replicas-maxUnavailable(&p.d),
	}
	if p.newRS != nil {
		st.UpdatedReplicas = p.newRS.rs.Status.Replicas
	}
	st.UnavailableReplicas = max(specReplicas(all)-avail, 0)
	return st
}

// syncRolloutStatus writes the status if it changed (the progress
// deadline is not modeled).
func (p *plan) syncRolloutStatus() {
	st := p.calculateStatus()
	if st == p.d.Status {
		return
	}
	p.d.Status = st
	p.steps = append(p.steps, step{kind: stepDeploymentStatus, d: p.d})
}
