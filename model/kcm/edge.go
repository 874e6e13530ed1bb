package kcm

import (
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
)

// The edge-triggered ReplicaSet controller is the foil of CONCEPTS.md's
// level- versus edge-triggered comparison: it acts on each change it is
// told of, by the change alone, and never compares the whole state with
// the spec. Each notification becomes a work item of its own (an event
// number, so the queue cannot merge two), carrying a delta:
//
//   - a ReplicaSet created after the initial list: create spec.replicas pods;
//   - spec.replicas changed from a to b: create b-a pods, or delete a-b
//     (chosen in upstream's deletion order);
//   - an owned pod that was active stops being active (deletionTimestamp,
//     a terminal phase) or is deleted while active: create one pod;
//   - an owned pod's readiness changes: refresh the status only.
//
// A failed action is retried, rate limited, for what is left of its delta.
// It remembers the pods it deletes itself, so as not to replace them. It
// keeps no expectations and ignores resyncs and the initial list (it
// takes what exists at start as done). So an event it never sees (a
// watch event lost, a relist that folds a delete and a create into one
// update) is a change it never makes: the pod count stays wrong until some
// later event happens to carry the difference, which none does. It writes
// the status as the level-triggered controller does, from the cached pods.

// edgeAction is one event's change to a ReplicaSet's pods.
type edgeAction struct {
	rs    int32
	delta int32 // pods to create (> 0) or delete (< 0); 0: status only
}

type edgeState struct {
	next    int32
	actions map[int32]edgeAction // by event number: looked up, never iterated
	// deleting holds the pods the controller itself deletes: their
	// deletion is its own change, not one to replace.
	deleting map[int32]struct{}
}

func newEdgeState() *edgeState {
	return &edgeState{actions: map[int32]edgeAction{}, deleting: map[int32]struct{}{}}
}

func (e *edgeState) reset() { *e = *newEdgeState() }

// own reports whether pod's end is the controller's own delete, and
// forgets it.
func (e *edgeState) own(pod int32) bool {
	_, ok := e.deleting[pod]
	delete(e.deleting, pod)
	return ok
}

// item records act under a new event number and returns it.
func (e *edgeState) item(act edgeAction) int32 {
	key := e.next
	e.next++
	e.actions[key] = act
	return key
}

func (c *ReplicaSetController) enqueueEdge(rs, delta int32) {
	c.l.add(c.edge.item(edgeAction{rs: rs, delta: delta}))
}

type edgeRSHandler struct{ c *ReplicaSetController }

func (h *edgeRSHandler) OnAdd(o api.Object, initial bool) {
	if rs, ok := o.Body.(*objects.ReplicaSet); ok && !initial && rs.Replicas > 0 {
		h.c.enqueueEdge(o.ID, rs.Replicas)
	}
}

func (h *edgeRSHandler) OnUpdate(old, cur api.Object) {
	a, ok1 := old.Body.(*objects.ReplicaSet)
	b, ok2 := cur.Body.(*objects.ReplicaSet)
	if ok1 && ok2 && a.Replicas != b.Replicas {
		h.c.enqueueEdge(cur.ID, b.Replicas-a.Replicas)
	}
}

func (h *edgeRSHandler) OnDelete(api.Object) {}

type edgePodHandler struct{ c *ReplicaSetController }

func (h *edgePodHandler) OnAdd(api.Object, bool) {}

func (h *edgePodHandler) OnUpdate(old, cur api.Object) {
	a, ok1 := old.Body.(*objects.Pod)
	b, ok2 := cur.Body.(*objects.Pod)
	rs := podOwner(cur)
	if !ok1 || !ok2 || rs < 0 || old.ResourceVersion == cur.ResourceVersion {
		return
	}
	switch {
	case isPodActive(a) && !isPodActive(b):
		if !h.c.edge.own(cur.ID) {
			h.c.enqueueEdge(rs, 1)
		}
	case a.Ready != b.Ready:
		h.c.enqueueEdge(rs, 0)
	}
}

func (h *edgePodHandler) OnDelete(o api.Object) {
	if p, ok := o.Body.(*objects.Pod); ok && isPodActive(p) && !h.c.edge.own(o.ID) {
		if rs := podOwner(o); rs >= 0 {
			h.c.enqueueEdge(rs, 1)
		}
	}
}

// syncEdge carries out one event's action, then writes the status.
func (c *ReplicaSetController) syncEdge(t *task) {
	key := t.key()
	act, ok := c.edge.actions[key]
	delete(c.edge.actions, key)
	if !ok {
		act.rs = -1
	}
	ref, ok := c.m.replicaSet(act.rs)
	if !ok {
		t.done(true)
		return
	}
	n := min(abs32(act.delta), int32(c.burst))
	rest := act.delta - sign32(act.delta)*n // beyond the burst: a later item
	if rest != 0 {
		c.enqueueEdge(act.rs, rest)
	}
	fail := func(left int32) {
		// Retry what is left of this action under the same key.
		c.edge.actions[key] = edgeAction{rs: act.rs, delta: left}
	}
	switch {
	case act.delta > 0:
		c.createPods(t, ref, int(n), func(successes int, ok bool) {
			if !ok {
				fail(n - int32(successes))
			}
			c.updateStatus(t, ref, c.m.ownedPods(ref.obj.ID, true, nil), ok)
		})
	case act.delta < 0:
		active := c.m.ownedPods(ref.obj.ID, true, nil)
		victims := podsToDelete(active, c.relatedPods(ref), int(min(n, int32(len(active)))), c.m.now())
		deleted := int32(0)
		reqs := make([]*api.Request, len(victims))
		for i, p := range victims {
			c.edge.deleting[p.obj.ID] = struct{}{}
			reqs[i] = c.l.c.NewRequest(api.Delete, api.Pods, p.obj.ID)
			reqs[i].Namespace = p.obj.Namespace
		}
		t.call(reqs, func(req *api.Request) {
			if req.Code.Success() || req.Code == api.NotFound {
				deleted++
				if req.Code.Success() {
					c.deleted.Inc()
				}
				return
			}
			c.deleteFailed.Inc()
			delete(c.edge.deleting, req.Name)
		}, func() {
			ok := deleted == int32(len(victims))
			if !ok {
				fail(-(int32(len(victims)) - deleted))
			}
			c.updateStatus(t, ref, c.m.ownedPods(ref.obj.ID, true, nil), ok)
		})
	default:
		c.updateStatus(t, ref, c.m.ownedPods(ref.obj.ID, true, nil), true)
	}
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func sign32(v int32) int32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
