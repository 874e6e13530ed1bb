package apiserver

import (
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// This file holds what the resources' registries (pkg/registry/...) add to
// the generic store: names for generateName creates, the tryUpdate of a
// patch or a binding applied to the current object, and the pods'
// graceful deletion.

// IDs hands out object IDs for creates without a name (generateName).
// Upstream appends five random characters and retries on the rare
// collision; the model counts up per resource, so names never collide.
// One IDs is shared by every replica of a cluster.
type IDs struct {
	next [api.NumResources]int32
}

// Next returns a fresh ID of r.
func (ids *IDs) Next(r api.Resource) int32 {
	id := ids.next[r]
	ids.next[r]++
	return id
}

// Reserve makes sure id of r is never handed out: it exists, or a named
// create will make it.
func (ids *IDs) Reserve(r api.Resource, id int32) {
	if id >= ids.next[r] {
		ids.next[r] = id + 1
	}
}

// Issued is one past the highest ID of r handed out or reserved: every
// object of r has an ID below it.
func (ids *IDs) Issued(r api.Resource) int32 { return ids.next[r] }

// nodeIndex is the watch cache's spec.nodeName index of pods: the pods on
// each node, in ID order.
type nodeIndex struct {
	pods [][]int32
}

// on is the pods bound to node.
func (ix *nodeIndex) on(node int32) []int32 {
	if node < 0 || int(node) >= len(ix.pods) {
		return nil
	}
	return ix.pods[node]
}

// clear empties the index (the cache was dropped), keeping its memory.
func (ix *nodeIndex) clear() {
	for i := range ix.pods {
		ix.pods[i] = ix.pods[i][:0]
	}
}

// move files pod id under node to instead of from (objects.NoNode: none).
func (ix *nodeIndex) move(id, from, to int32) {
	if from == to {
		return
	}
	if from >= 0 && int(from) < len(ix.pods) {
		if i, ok := slices.BinarySearch(ix.pods[from], id); ok {
			ix.pods[from] = slices.Delete(ix.pods[from], i, i+1)
		}
	}
	if to >= 0 {
		for int(to) >= len(ix.pods) {
			ix.pods = append(ix.pods, nil)
		}
		if i, ok := slices.BinarySearch(ix.pods[to], id); !ok {
			ix.pods[to] = slices.Insert(ix.pods[to], i, id)
		}
	}
}

// updatesInPlace reports whether req is a GuaranteedUpdate: a change
// computed from the current object (a patch, a binding, a graceful
// delete), retried on storage's copy after a conflict.
func updatesInPlace(req *api.Request) bool {
	return req.Mutate != nil && (req.Verb == api.Patch || req.Verb == api.Create && req.Resource == api.PodBinding)
}

// tryUpdate applies req's change to cur: the object op will write, or a
// code to answer with instead.
func tryUpdate(req *api.Request, cur *api.Object) (api.Object, api.Code) {
	obj, code := req.Mutate(cur)
	if code != 0 {
		return obj, code
	}
	obj.Resource, obj.ID, obj.Namespace = cur.Resource, cur.ID, cur.Namespace
	return obj, 0
}

// gracefulDelete is the pod registry's CheckGracefulDelete
// (pkg/registry/core/pod/strategy.go): the grace period a delete of the
// pod gets, and whether it is graceful at all. An unscheduled pod, or
// one that has finished, goes at once; otherwise the request's
// gracePeriodSeconds, or the pod's terminationGracePeriodSeconds.
func gracefulDelete(req *api.Request, cur *api.Object) (time.Duration, bool) {
	p, ok := cur.Body.(*objects.Pod)
	if !ok || !p.Bound() || p.Finished() {
		return 0, false
	}
	grace := req.GracePeriod
	if !req.GraceSet {
		grace = 0
		if p.Spec != nil {
			grace = p.Spec.TerminationGracePeriod
		}
	}
	if p.Terminating {
		// A second delete may only shorten the grace period
		// (BeforeDelete): the model keeps the first.
		return p.DeletionGrace, grace > 0
	}
	return grace, grace > 0
}

// markTerminating is the write of a graceful delete: the pod with its
// deletionTimestamp and grace period set (rest.BeforeDelete).
func markTerminating(cur *api.Object, now sim.Time, grace time.Duration) api.Object {
	obj := *cur
	p := *cur.Body.(*objects.Pod)
	if !p.Terminating {
		p.Terminating, p.DeletionTimestamp, p.DeletionGrace = true, now, grace
	}
	obj.Body = &p
	return obj
}

// created returns obj as the API server stores a create: named id (a
// generated name, in the object and in its body) and with its
// metadata.creationTimestamp set to now (BeforeCreate's
// FillObjectMetaSystemFields, k8s.io/apiserver pkg/registry/rest/create.go):
// a client's clock, or the time it waited for its rate limiter, never
// counts.
func created(obj api.Object, id int32, now sim.Time) api.Object {
	if obj.ID == id && obj.Body == nil {
		return obj
	}
	obj.ID = id
	switch b := obj.Body.(type) {
	case *objects.Pod:
		nb := *b
		nb.ID, nb.Created = id, now
		obj.Body = &nb
	case *objects.ReplicaSet:
		nb := *b
		nb.ID, nb.Created = id, now
		obj.Body = &nb
	case *objects.Deployment:
		nb := *b
		nb.ID = id
		obj.Body = &nb
	}
	return obj
}
