package kcm

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// BurstReplicas is the most pods one sync creates or deletes
// (pkg/controller/replicaset/replica_set.go: BurstReplicas = 500).
const BurstReplicas = 500

// SlowStartInitialBatchSize is the first batch of a slow-start create
// (pkg/controller/controller_utils.go: SlowStartInitialBatchSize = 1).
const SlowStartInitialBatchSize = 1

// ReplicaSetConfig is the ReplicaSet controller's.
type ReplicaSetConfig struct {
	LoopConfig
	// BurstReplicas caps the creates or deletes of one sync (0: 500).
	BurstReplicas int
	// EdgeTriggered replaces the level-triggered controller with the
	// edge-triggered variant (see edge.go).
	EdgeTriggered bool
}

// ReplicaSetController is the ReplicaSet controller
// (pkg/controller/replicaset/replica_set.go), or with EdgeTriggered its
// edge-triggered variant.
type ReplicaSetController struct {
	m     *Manager
	l     *loop
	exp   expectations
	edge  *edgeState
	burst int

	created, createFailed, deleted, deleteFailed *sim.Counter
	statusWrites                                 *sim.Counter
}

// ReplicaSetControllerName is the controller's name in metrics (its
// queue's name upstream is "replicaset").
const ReplicaSetControllerName = "replicaset"

func newReplicaSetController(m *Manager, cfg ReplicaSetConfig) *ReplicaSetController {
	c := &ReplicaSetController{m: m, exp: newExpectations(), burst: cfg.BurstReplicas}
	if c.burst <= 0 {
		c.burst = BurstReplicas
	}
	name := ReplicaSetControllerName
	if cfg.EdgeTriggered {
		name = "replicaset-edge"
		c.edge = newEdgeState()
		c.l = newLoop(m, name, cfg.LoopConfig, c.syncEdge)
	} else {
		c.l = newLoop(m, name, cfg.LoopConfig, c.sync)
	}
	rec := m.rec
	c.created = rec.Counter("controller_pods_created_total", "controller", name)
	c.createFailed = rec.Counter("controller_pod_create_failures_total", "controller", name)
	c.deleted = rec.Counter("controller_pods_deleted_total", "controller", name)
	c.deleteFailed = rec.Counter("controller_pod_delete_failures_total", "controller", name)
	c.statusWrites = rec.Counter("controller_status_writes_total", "controller", name)
	opts := informer.HandlerOptions{Name: name, HandlingTime: m.cfg.HandlerTime}
	if cfg.EdgeTriggered {
		m.rss.AddEventHandler(&edgeRSHandler{c}, opts)
		m.pods.AddEventHandler(&edgePodHandler{c}, opts)
	} else {
		m.rss.AddEventHandler(&rsHandler{c}, opts)
		m.pods.AddEventHandler(&rsPodHandler{c}, opts)
	}
	return c
}

// Name is the controller's metrics label.
func (c *ReplicaSetController) Name() string { return c.l.name }

// Reconciles returns the numbers of successful and failed syncs.
func (c *ReplicaSetController) Reconciles() (ok, failed int64) {
	return c.l.ws.Reconciles()
}

// PodsCreated and PodsDeleted count the successful creates and deletes.
func (c *ReplicaSetController) PodsCreated() int64 { return c.created.Value }
func (c *ReplicaSetController) PodsDeleted() int64 { return c.deleted.Value }

// QueueLen is the number of keys waiting in the work queue.
func (c *ReplicaSetController) QueueLen() int { return c.l.ws.Queue().Len() }

// Expecting returns the creations and deletions rs still expects to see.
func (c *ReplicaSetController) Expecting(rs int32) (adds, dels int64) { return c.exp.pending(rs) }

func (c *ReplicaSetController) stop() {
	c.l.stop()
	c.exp = newExpectations()
	if c.edge != nil {
		c.edge.reset()
	}
}

// rsHandler is the ReplicaSet informer's handler (addRS, updateRS, deleteRS).
type rsHandler struct{ c *ReplicaSetController }

func (h *rsHandler) OnAdd(o api.Object, _ bool) { h.c.l.add(o.ID) }

// OnUpdate enqueues on every update, resyncs included: "a full informer
// resync can requeue any replica set that don't yet have pods but whose
// last attempts at creating a pod have failed".
func (h *rsHandler) OnUpdate(_, cur api.Object) { h.c.l.add(cur.ID) }

func (h *rsHandler) OnDelete(o api.Object) {
	h.c.exp.remove(o.ID)
	h.c.l.add(o.ID)
}

// rsPodHandler is the pod informer's handler (addPod, updatePod, deletePod).
// Orphans (pods without a controller reference) are not adopted, so it
// ignores them.
type rsPodHandler struct{ c *ReplicaSetController }

func (h *rsPodHandler) OnAdd(o api.Object, _ bool) {
	p, ok := o.Body.(*objects.Pod)
	if !ok {
		return
	}
	if p.Terminating {
		// A pod already being deleted (seen on a relist) is no creation.
		h.OnDelete(o)
		return
	}
	rs := podOwner(o)
	if _, ok := h.c.m.replicaSet(rs); !ok {
		return
	}
	h.c.exp.creationObserved(rs)
	h.c.l.add(rs)
}

func (h *rsPodHandler) OnUpdate(old, cur api.Object) {
	if old.ResourceVersion == cur.ResourceVersion {
		return // a resync
	}
	p, ok := cur.Body.(*objects.Pod)
	if !ok {
		return
	}
	if p.Terminating {
		// The deletionTimestamp is the deletion, for expectations: the
		// ReplicaSet replaces the pod without waiting for the kubelet.
		h.OnDelete(cur)
		return
	}
	ref, ok := h.c.m.replicaSet(podOwner(cur))
	if !ok {
		return
	}
	h.c.l.add(ref.obj.ID)
	if op, _ := old.Body.(*objects.Pod); op != nil && !op.Ready && p.Ready && ref.rs.MinReadySeconds > 0 {
		// "Add a second to avoid milliseconds skew in AddAfter."
		h.c.requeueAfter(ref.obj.ID, time.Duration(ref.rs.MinReadySeconds)*time.Second+time.Second)
	}
}

func (h *rsPodHandler) OnDelete(o api.Object) {
	rs := podOwner(o)
	if _, ok := h.c.m.replicaSet(rs); !ok {
		return
	}
	h.c.exp.deletionObserved(rs, o.ID)
	h.c.l.add(rs)
}

// sync is syncReplicaSet.
func (c *ReplicaSetController) sync(t *task) {
	m := c.m
	key := t.key()
	ref, ok := m.replicaSet(key)
	if !ok {
		c.exp.remove(key)
		t.done(true)
		return
	}
	needsSync := c.exp.satisfied(key, m.now())
	active := m.ownedPods(key, true, nil)
	if !needsSync {
		c.updateStatus(t, ref, active, true)
		return
	}
	c.manageReplicas(t, ref, active, func(ok bool) { c.updateStatus(t, ref, active, ok) })
}

// manageReplicas creates missing pods in slow-start batches or deletes
// surplus ones in deletion order, having set expectations first; then is
// called with whether every call succeeded.
func (c *ReplicaSetController) manageReplicas(t *task, ref rsRef, active []podRef, then func(ok bool)) {
	key := ref.obj.ID
	diff := len(active) - int(ref.rs.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, c.burst)
		c.exp.expectCreations(key, n, c.m.now())
		c.createPods(t, ref, n, func(successes int, ok bool) {
			// "Any skipped pods that we never attempted to start shouldn't
			// be expected."
			for range n - successes {
				c.exp.creationObserved(key)
			}
			then(ok)
		})
	case diff > 0:
		n := min(diff, c.burst)
		c.deletePods(t, ref, podsToDelete(active, c.relatedPods(ref), n, c.m.now()), then)
	default:
		then(true)
	}
}

// relatedPods is getIndirectlyRelatedPods: the pods of every ReplicaSet
// with the same controller as rs (none for a ReplicaSet without one).
func (c *ReplicaSetController) relatedPods(ref rsRef) []podRef {
	if ref.rs.Owner.Kind != objects.OwnedByDeployment {
		return nil
	}
	var out []podRef
	for _, id := range idsOf(c.m.idx.rssOf, ref.rs.Owner.ID) {
		out = c.m.ownedPods(id, false, out)
	}
	return out
}

// createPods is slowStartBatch around CreatePods: batches of 1, 2, 4, ...
// each sent at once and awaited; a batch with a failure ends it. then gets
// the number of pods created and whether all were.
func (c *ReplicaSetController) createPods(t *task, ref rsRef, count int, then func(successes int, ok bool)) {
	remaining, successes := count, 0
	var batch func(size int)
	batch = func(size int) {
		if size <= 0 {
			then(successes, true)
			return
		}
		reqs := make([]*api.Request, size)
		for i := range reqs {
			reqs[i] = c.newPodRequest(ref)
		}
		okN := 0
		t.call(reqs, func(req *api.Request) {
			if req.Code.Success() {
				okN++
				c.created.Inc()
			} else {
				c.createFailed.Inc()
			}
		}, func() {
			successes += okN
			if okN < size {
				then(successes, false)
				return
			}
			remaining -= size
			batch(min(2*size, remaining))
		})
	}
	batch(min(remaining, SlowStartInitialBatchSize))
}

// newPodRequest is a create of one pod stamped from rs's template
// (GetPodFromTemplate): its labels, its spec, a controller reference to
// rs, and a generated name.
func (c *ReplicaSetController) newPodRequest(ref rsRef) *api.Request {
	size := c.m.cfg.Sizes.Pod
	p := &objects.Pod{
		ID:        -1,
		Namespace: ref.rs.Namespace,
		Labels:    ref.rs.Template.Labels,
		Owner:     objects.OwnerRef{Kind: objects.OwnedByReplicaSet, ID: ref.obj.ID},
		Spec:      ref.rs.Template.Spec,
		NodeName:  objects.NoNode,
		Size:      size,
		Created:   c.m.now(),
	}
	req := c.l.c.NewRequest(api.Create, api.Pods, -1)
	req.Namespace = ref.obj.Namespace
	req.Object = api.Object{Resource: api.Pods, ID: -1, Namespace: ref.obj.Namespace, Size: size, Body: p}
	return req
}

// deletePods deletes pods at once, having recorded them as expected
// deletions; a failed delete is observed at once (the informer will not
// see it), and is an error unless the pod was already gone.
func (c *ReplicaSetController) deletePods(t *task, ref rsRef, pods []podRef, then func(ok bool)) {
	key := ref.obj.ID
	ids := make([]int32, len(pods))
	reqs := make([]*api.Request, len(pods))
	for i, p := range pods {
		ids[i] = p.obj.ID
		req := c.l.c.NewRequest(api.Delete, api.Pods, p.obj.ID)
		req.Namespace = p.obj.Namespace
		reqs[i] = req
	}
	c.exp.expectDeletions(key, ids, c.m.now())
	ok := true
	t.call(reqs, func(req *api.Request) {
		if req.Code.Success() {
			c.deleted.Inc()
			return
		}
		c.deleteFailed.Inc()
		c.exp.deletionObserved(key, req.Name)
		if req.Code != api.NotFound {
			ok = false
		}
	}, func() { then(ok) })
}

// calculateStatus is the ReplicaSet's status from its active pods
// (pkg/controller/replicaset/replica_set_utils.go calculateStatus):
// replicas, Ready ones, and those Ready for more than minReadySeconds
// (podutil.IsPodAvailable).
func calculateStatus(rs *objects.ReplicaSet, active []podRef, now sim.Time) objects.ReplicaSetStatus {
	st := objects.ReplicaSetStatus{Replicas: int32(len(active))}
	minReady := time.Duration(rs.MinReadySeconds) * time.Second
	for _, r := range active {
		if r.p.Ready {
			st.ReadyReplicas++
			if isAvailable(r.p, minReady, now) {
				st.AvailableReplicas++
			}
		}
	}
	return st
}

// isAvailable is podutil.IsPodAvailable: Ready, and with minReadySeconds,
// Ready since strictly before now - minReadySeconds.
func isAvailable(p *objects.Pod, minReady time.Duration, now sim.Time) bool {
	if !p.Ready {
		return false
	}
	return minReady == 0 || p.ReadySince.Add(minReady) < now
}

// updateStatus writes the status computed from active, if it changed
// (updateReplicaSetStatus), as a patch of the current object; then
// requeues after minReadySeconds if pods are Ready but not yet available,
// and ends the sync (an error if manageReplicas failed).
func (c *ReplicaSetController) updateStatus(t *task, ref rsRef, active []podRef, manageOK bool) {
	st := calculateStatus(ref.rs, active, c.m.now())
	finish := func(rs *objects.ReplicaSet) {
		if manageOK && rs.MinReadySeconds > 0 && rs.Status.ReadyReplicas == rs.Replicas && rs.Status.AvailableReplicas != rs.Replicas {
			c.requeueAfter(ref.obj.ID, time.Duration(rs.MinReadySeconds)*time.Second)
		}
		t.done(manageOK)
	}
	if st == ref.rs.Status {
		finish(ref.rs)
		return
	}
	req := c.l.c.NewRequest(api.Patch, api.ReplicaSets, ref.obj.ID)
	req.Namespace = ref.obj.Namespace
	req.Object = api.Object{Size: ref.obj.Size}
	req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
		rs, ok := cur.Body.(*objects.ReplicaSet)
		if !ok {
			return api.Object{}, api.InternalError
		}
		nrs := *rs
		nrs.Status = st
		o := *cur
		o.Body = &nrs
		return o, 0
	}
	var updated *objects.ReplicaSet
	t.call([]*api.Request{req}, func(req *api.Request) {
		if req.Code.Success() {
			c.statusWrites.Inc()
			updated, _ = req.Result.Body.(*objects.ReplicaSet)
		}
	}, func() {
		if updated == nil {
			t.done(false)
			return
		}
		finish(updated)
	})
}

// requeueAfter syncs rs again after d: its key, or for the edge-triggered
// variant a status refresh.
func (c *ReplicaSetController) requeueAfter(rs int32, d time.Duration) {
	if c.edge == nil {
		c.l.addAfter(rs, d)
		return
	}
	c.l.addAfter(c.edge.item(edgeAction{rs: rs}), d)
}
