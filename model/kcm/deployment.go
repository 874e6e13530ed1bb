package kcm

import (
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// DeploymentControllerName is the controller's name in metrics (its
// queue's name upstream is "deployment").
const DeploymentControllerName = "deployment"

// DeploymentController is the Deployment controller
// (pkg/controller/deployment/deployment_controller.go, sync.go,
// rolling.go, recreate.go). A sync plans its writes from the cached
// Deployment and ReplicaSets (plan.go), then sends them one at a time,
// each awaited, and stops at the first failure, as upstream's sequence of
// synchronous calls does.
type DeploymentController struct {
	m *Manager
	l *loop
	// awaiting is, per Deployment, the new ReplicaSet it created and has
	// not yet seen in its informer. Upstream names a new ReplicaSet
	// deterministically, so a sync on a stale cache gets AlreadyExists,
	// misses it in the lister and fails; the model's names are generated,
	// so it remembers the create instead and fails the same way.
	awaiting map[int32]int32 // looked up by Deployment ID, never iterated

	rsCreated, rsUpdated, rsDeleted, statusWrites, conflicts *sim.Counter
}

func newDeploymentController(m *Manager, cfg LoopConfig) *DeploymentController {
	c := &DeploymentController{m: m, awaiting: map[int32]int32{}}
	c.l = newLoop(m, DeploymentControllerName, cfg, c.sync)
	rec, name := m.rec, DeploymentControllerName
	c.rsCreated = rec.Counter("controller_replicasets_created_total", "controller", name)
	c.rsUpdated = rec.Counter("controller_replicasets_updated_total", "controller", name)
	c.rsDeleted = rec.Counter("controller_replicasets_deleted_total", "controller", name)
	c.statusWrites = rec.Counter("controller_status_writes_total", "controller", name)
	c.conflicts = rec.Counter("controller_write_conflicts_total", "controller", name)
	opts := informer.HandlerOptions{Name: name, HandlingTime: m.cfg.HandlerTime}
	m.deps.AddEventHandler(&depHandler{c}, opts)
	m.rss.AddEventHandler(&depRSHandler{c}, opts)
	m.pods.AddEventHandler(&depPodHandler{c}, opts)
	return c
}

// Reconciles returns the numbers of successful and failed syncs.
func (c *DeploymentController) Reconciles() (ok, failed int64) {
	return c.l.ws.Reconciles()
}

// QueueLen is the number of keys waiting in the work queue.
func (c *DeploymentController) QueueLen() int { return c.l.ws.Queue().Len() }

func (c *DeploymentController) stop() {
	c.l.stop()
	c.awaiting = map[int32]int32{}
}

// depHandler is the Deployment informer's handler: every change (and
// resync) enqueues the Deployment.
type depHandler struct{ c *DeploymentController }

func (h *depHandler) OnAdd(o api.Object, _ bool) { h.c.l.add(o.ID) }
func (h *depHandler) OnUpdate(_, cur api.Object) { h.c.l.add(cur.ID) }
func (h *depHandler) OnDelete(o api.Object) {
	delete(h.c.awaiting, o.ID)
	h.c.l.add(o.ID)
}

// depRSHandler is the ReplicaSet informer's handler (addReplicaSet,
// updateReplicaSet, deleteReplicaSet): a change to a ReplicaSet enqueues
// the Deployment that controls it. Orphans are not adopted.
type depRSHandler struct{ c *DeploymentController }

func (h *depRSHandler) enqueueOwner(o api.Object) {
	d := rsOwner(o)
	if d < 0 {
		return
	}
	if _, _, ok := h.c.m.deployment(d); ok {
		h.c.l.add(d)
	}
}

func (h *depRSHandler) OnAdd(o api.Object, _ bool) {
	if d := rsOwner(o); d >= 0 {
		if id, ok := h.c.awaiting[d]; ok && id == o.ID {
			delete(h.c.awaiting, d)
		}
	}
	h.enqueueOwner(o)
}

func (h *depRSHandler) OnUpdate(old, cur api.Object) {
	if old.ResourceVersion == cur.ResourceVersion {
		return // a resync
	}
	if rsOwner(old) != rsOwner(cur) {
		h.enqueueOwner(old)
	}
	h.enqueueOwner(cur)
}

func (h *depRSHandler) OnDelete(o api.Object) { h.enqueueOwner(o) }

// depPodHandler is the pod informer's handler: only deletions matter, and
// only to a Recreate Deployment, which is synced once it has no pods left.
type depPodHandler struct{ c *DeploymentController }

func (h *depPodHandler) OnAdd(api.Object, bool)   {}
func (h *depPodHandler) OnUpdate(_, _ api.Object) {}

func (h *depPodHandler) OnDelete(o api.Object) {
	m := h.c.m
	ref, ok := m.replicaSet(podOwner(o))
	if !ok {
		return
	}
	did := rsOwner(ref.obj)
	_, d, ok := m.deployment(did)
	if !ok || d.Strategy != objects.Recreate {
		return
	}
	for _, rs := range idsOf(m.idx.rssOf, did) {
		for _, id := range idsOf(m.idx.podsOf, rs) {
			if _, ok := m.pods.Get(id); ok {
				return
			}
		}
	}
	h.c.l.add(did)
}

// sync is syncDeployment.
func (c *DeploymentController) sync(t *task) {
	dObj, d, ok := c.m.deployment(t.key())
	if !ok {
		delete(c.awaiting, t.key())
		t.done(true)
		return
	}
	if id, ok := c.awaiting[t.key()]; ok {
		if _, seen := c.m.replicaSet(id); !seen {
			// The create succeeded but the informer has not shown it yet.
			t.done(false)
			return
		}
		delete(c.awaiting, t.key())
	}
	p := newPlan(c.m, dObj, d, c.collect(d.ID))
	switch {
	case p.isScalingEvent():
		p.sync()
	case d.Strategy == objects.Recreate:
		p.rolloutRecreate(c.m)
	default:
		p.rolloutRolling()
	}
	c.run(t, p, 0)
}

// collect returns the cached ReplicaSets the Deployment controls.
func (c *DeploymentController) collect(d int32) []*rsView {
	var out []*rsView
	for _, id := range idsOf(c.m.idx.rssOf, d) {
		if ref, ok := c.m.replicaSet(id); ok {
			out = append(out, &rsView{obj: ref.obj, rs: *ref.rs, rv: ref.obj.ResourceVersion})
		}
	}
	return out
}

// run sends the plan's writes from step i on, one at a time.
func (c *DeploymentController) run(t *task, p *plan, i int) {
	if i == len(p.steps) {
		t.done(true)
		return
	}
	s := &p.steps[i]
	req := c.request(p, s)
	ok := false
	t.call([]*api.Request{req}, func(req *api.Request) {
		switch {
		case req.Code.Success():
			ok = true
			c.applied(p, s, req)
		case s.kind == stepDeleteRS && req.Code == api.NotFound:
			ok = true
		case req.Code == api.Conflict:
			c.conflicts.Inc()
		}
	}, func() {
		if !ok {
			t.done(false)
			return
		}
		c.run(t, p, i+1)
	})
}

func (c *DeploymentController) request(p *plan, s *step) *api.Request {
	ns := p.dObj.Namespace
	switch s.kind {
	case stepCreateRS:
		body := s.rs
		req := c.l.c.NewRequest(api.Create, api.ReplicaSets, -1)
		req.Namespace = ns
		req.Object = api.Object{Resource: api.ReplicaSets, ID: -1, Namespace: ns, Size: body.Size, Body: &body}
		return req
	case stepUpdateRS:
		body := s.rs
		v := s.view
		req := c.l.c.NewRequest(api.Update, api.ReplicaSets, v.obj.ID)
		req.Namespace = v.obj.Namespace
		req.ResourceVersion = v.rv
		req.Object = api.Object{Resource: api.ReplicaSets, ID: v.obj.ID, Namespace: v.obj.Namespace, Size: v.obj.Size, Body: &body}
		return req
	case stepDeleteRS:
		v := s.view
		req := c.l.c.NewRequest(api.Delete, api.ReplicaSets, v.obj.ID)
		req.Namespace = v.obj.Namespace
		return req
	default: // stepDeploymentStatus: UpdateStatus with the cached resourceVersion
		body := s.d
		req := c.l.c.NewRequest(api.Update, api.Deployments, p.dObj.ID)
		req.Namespace = ns
		req.ResourceVersion = p.dObj.ResourceVersion
		req.Object = api.Object{Resource: api.Deployments, ID: p.dObj.ID, Namespace: ns, Size: p.dObj.Size, Body: &body}
		return req
	}
}

// applied records a successful write: a created ReplicaSet's name and
// version, an updated one's new version (a later update of the same
// ReplicaSet in this sync carries it, as upstream reuses the returned
// object). The Deployment's version is never refreshed: upstream discards
// the Deployment UpdateStatus returns, so a second status write in one
// sync conflicts.
func (c *DeploymentController) applied(p *plan, s *step, req *api.Request) {
	switch s.kind {
	case stepCreateRS:
		c.rsCreated.Inc()
		s.view.obj = req.Result
		s.view.rv = req.Result.ResourceVersion
		c.awaiting[p.dObj.ID] = req.Result.ID
	case stepUpdateRS:
		c.rsUpdated.Inc()
		s.view.rv = req.Result.ResourceVersion
	case stepDeleteRS:
		c.rsDeleted.Inc()
	case stepDeploymentStatus:
		c.statusWrites.Inc()
	}
}
