package kcm

import (
	"cmp"
	"slices"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
)

// This file is the EndpointSlice reconciler (k8s.io/endpointslice
// reconciler.go, utils.go) as a pure function from the desired endpoints
// and the cached slices to the writes that make the one match the other,
// and the EndpointSliceTracker (k8s.io/endpointslice/util
// endpointslice_tracker.go).
//
// Upstream takes endpoints from a set (EndpointSet.PopAny: map order) and
// lists slices in lister order; the model takes endpoints in pod-ID order
// and slices in slice-ID order wherever upstream's order is arbitrary, so
// that a run is reproducible.

// sliceRef is a cached EndpointSlice.
type sliceRef struct {
	obj api.Object
	s   *objects.EndpointSlice
}

// sliceWrite is one write of a plan: a create (id -1), an update of slice
// id (rv: the resourceVersion precondition, 0 for none), or a delete.
type sliceWrite struct {
	verb api.Verb
	id   int32
	rv   int64
	s    *objects.EndpointSlice // create, update
}

// slicePlan is what a sync writes, in upstream's order (finalize):
// creates, then updates, then deletes.
type slicePlan struct {
	creates, updates, deletes []sliceWrite
}

func (p *slicePlan) writes() int { return len(p.creates) + len(p.updates) + len(p.deletes) }

// endpointFor is podToEndpoint (k8s.io/endpointslice utils.go): serving is
// the pod's Ready condition, terminating its deletionTimestamp, and ready
// is serving and not terminating ("for compatibility reasons") unless the
// Service publishes not-ready addresses. ok is false for a pod that gets
// no endpoint: ShouldPodBeInEndpoints(pod, true) skips a terminal pod and
// one without an IP (which a pod gets only once bound and running).
func endpointFor(svc *objects.Service, p *objects.Pod) (objects.Endpoint, bool) {
	if p.Finished() || !p.HasIP() {
		return objects.Endpoint{}, false
	}
	serving, terminating := p.Ready, p.Terminating
	return objects.Endpoint{
		Pod: p.ID, Node: p.NodeName,
		Ready:   svc.PublishNotReadyAddresses || serving && !terminating,
		Serving: serving, Terminating: terminating,
	}, true
}

// reconcileScratch is memory a controller reuses from sync to sync: a
// reconcile of a large Service runs on every change of one of its pods.
type reconcileScratch struct {
	pos   []int32 // by pod ID: 1 + the pod's index in desired, 0 if none
	taken []bool
}

// desiredSet is the desired endpoints, sorted by pod, with the ones
// placed in a slice marked.
type desiredSet struct {
	eps   []objects.Endpoint
	pos   []int32
	taken []bool
	left  int
	next  int // every endpoint before next is taken
}

func newDesiredSet(eps []objects.Endpoint, sc *reconcileScratch) desiredSet {
	sc.taken = slices.Grow(sc.taken[:0], len(eps))[:len(eps)]
	clear(sc.taken)
	for i, ep := range eps {
		for int(ep.Pod) >= len(sc.pos) {
			sc.pos = append(sc.pos, 0)
		}
		sc.pos[ep.Pod] = int32(i + 1)
	}
	return desiredSet{eps: eps, pos: sc.pos, taken: sc.taken, left: len(eps)}
}

// release clears the pod positions for the next reconcile.
func (d *desiredSet) release() {
	for _, ep := range d.eps {
		d.pos[ep.Pod] = 0
	}
}

// find returns the index of pod's endpoint if it is desired and not yet
// placed, else -1.
func (d *desiredSet) find(pod int32) int {
	if pod < 0 || int(pod) >= len(d.pos) || d.pos[pod] == 0 {
		return -1
	}
	i := int(d.pos[pod]) - 1
	if d.taken[i] {
		return -1
	}
	return i
}

func (d *desiredSet) take(i int) objects.Endpoint {
	d.taken[i] = true
	d.left--
	return d.eps[i]
}

// pop takes the remaining endpoint of the lowest pod ID (PopAny).
func (d *desiredSet) pop() objects.Endpoint {
	for d.taken[d.next] {
		d.next++
	}
	return d.take(d.next)
}

// isPlaceholder reports whether a slice is the placeholder a Service with
// no endpoints gets: no ports, no endpoints (placeholderSliceCompare
// against newEndpointSlice with empty ports; the model's slices are all
// IPv4 and all owned by their Service).
func isPlaceholder(s *objects.EndpointSlice) bool {
	return s.Ports == 0 && len(s.Endpoints) == 0 && s.AddressType == objects.AddressIPv4
}

// newSlice is newEndpointSlice: an empty IPv4 slice of the Service's.
func newSlice(svcID int32, svc *objects.Service, ports int32) *objects.EndpointSlice {
	return &objects.EndpointSlice{Service: svcID, Namespace: svc.Namespace, AddressType: objects.AddressIPv4, Ports: ports}
}

// reconcileSlices is Reconciler.Reconcile for a single-stack IPv4 Service
// whose pods all serve its ports (one port mapping): from the desired
// endpoints (sorted by pod, each pod once) and the Service's cached
// slices (sorted by ID), the plan of reconcileByAddressType and finalize.
// The endpoints slices of desired are shared with no one.
func reconcileSlices(svcID int32, svc *objects.Service, desired []objects.Endpoint, existing []sliceRef, maxPerSlice int, sc *reconcileScratch) slicePlan {
	var plan slicePlan
	var toDelete []sliceRef
	var creates []*objects.EndpointSlice
	var updates []sliceWrite
	if len(desired) > 0 {
		// Slices of the Service's port mapping are reconciled; those of
		// another (the placeholder's empty ports, ports the Service no
		// longer has) are no longer desired.
		var same []sliceRef
		for _, r := range existing {
			if r.s.Ports == svc.Ports {
				same = append(same, r)
			} else {
				toDelete = append(toDelete, r)
			}
		}
		var del []sliceRef
		creates, updates, del = reconcileByPortMapping(svcID, svc, same, desired, maxPerSlice, sc)
		toDelete = append(toDelete, del...)
		slices.SortFunc(toDelete, func(a, b sliceRef) int { return cmp.Compare(a.obj.ID, b.obj.ID) })
	} else {
		toDelete = append(toDelete, existing...)
	}
	// "When no endpoint slices would usually exist, we need to add a
	// placeholder", unless the one slice about to go is the placeholder.
	if len(existing) == len(toDelete) && len(creates) == 0 {
		if len(toDelete) == 1 && isPlaceholder(toDelete[0].s) {
			toDelete = toDelete[:0]
		} else {
			creates = append(creates, newSlice(svcID, svc, 0))
		}
	}
	// finalize: a create and a delete become an update of the slice that
	// would go (the last create takes the first such slice's name; an
	// update without a resourceVersion precondition, as upstream sends
	// the new object with only the name changed).
	for len(toDelete) > 0 && len(creates) > 0 {
		s := creates[len(creates)-1]
		creates = creates[:len(creates)-1]
		updates = append(updates, sliceWrite{verb: api.Update, id: toDelete[0].obj.ID, s: s})
		toDelete = toDelete[1:]
	}
	for _, s := range creates {
		plan.creates = append(plan.creates, sliceWrite{verb: api.Create, id: -1, s: s})
	}
	plan.updates = updates
	for _, r := range toDelete {
		plan.deletes = append(plan.deletes, sliceWrite{verb: api.Delete, id: r.obj.ID, rv: r.obj.ResourceVersion})
	}
	return plan
}

// reconcileByPortMapping is upstream's, for one port mapping: (1) each
// existing slice keeps the endpoints still desired, at their desired
// version, and is updated if one changed or went, deleted if none is
// left; (2) slices being updated are filled up, fullest first, with the
// endpoints not yet placed; (3) what remains goes into the unchanged
// slice it fills most closely (if fewer than a slice's worth remain) or
// into new slices. Updates come in slice-ID order.
func reconcileByPortMapping(svcID int32, svc *objects.Service, existing []sliceRef, desired []objects.Endpoint, maxPerSlice int, sc *reconcileScratch) (creates []*objects.EndpointSlice, updates []sliceWrite, del []sliceRef) {
	if sc == nil {
		sc = &reconcileScratch{}
	}
	d := newDesiredSet(desired, sc)
	defer d.release()
	type pending struct {
		ref sliceRef
		s   *objects.EndpointSlice // the new version
	}
	var toUpdate []pending
	var unchanged []sliceRef
	for _, r := range existing {
		// The common case first, without copying: every endpoint still
		// desired as it is.
		eps := r.s.Endpoints
		k := 0
		for ; k < len(eps); k++ {
			i := d.find(eps[k].Pod)
			if i < 0 || d.eps[i] != eps[k] {
				break
			}
			d.take(i)
		}
		if k == len(eps) {
			unchanged = append(unchanged, r)
			continue
		}
		kept := make([]objects.Endpoint, k, len(eps))
		copy(kept, eps[:k])
		for _, ep := range eps[k:] {
			if i := d.find(ep.Pod); i >= 0 {
				kept = append(kept, d.take(i))
			}
		}
		switch {
		case len(kept) == 0:
			del = append(del, r)
		default:
			ns := *r.s
			ns.Endpoints = kept
			toUpdate = append(toUpdate, pending{ref: r, s: &ns})
		}
	}
	// 2. Fill the slices being updated, fullest first.
	if d.left > 0 && len(toUpdate) > 0 {
		order := make([]*pending, len(toUpdate))
		for i := range toUpdate {
			order[i] = &toUpdate[i]
		}
		slices.SortStableFunc(order, func(a, b *pending) int { return cmp.Compare(len(b.s.Endpoints), len(a.s.Endpoints)) })
		for _, p := range order {
			for d.left > 0 && len(p.s.Endpoints) < maxPerSlice {
				p.s.Endpoints = append(p.s.Endpoints, d.pop())
			}
		}
	}
	// 3. What is left: into the unchanged slice it fills most closely, or
	// into new slices.
	for d.left > 0 {
		var fill *objects.EndpointSlice
		if d.left < maxPerSlice && len(unchanged) > 0 {
			if i := sliceToFill(unchanged, d.left, maxPerSlice); i >= 0 {
				r := unchanged[i]
				unchanged = slices.Delete(unchanged, i, i+1)
				ns := *r.s
				ns.Endpoints = slices.Clone(r.s.Endpoints)
				fill = &ns
				toUpdate = append(toUpdate, pending{ref: r, s: fill})
			}
		}
		isNew := fill == nil
		if isNew {
			fill = newSlice(svcID, svc, svc.Ports)
		}
		for d.left > 0 && len(fill.Endpoints) < maxPerSlice {
			fill.Endpoints = append(fill.Endpoints, d.pop())
		}
		if isNew {
			creates = append(creates, fill)
		}
	}
	slices.SortFunc(toUpdate, func(a, b pending) int { return cmp.Compare(a.ref.obj.ID, b.ref.obj.ID) })
	for _, p := range toUpdate {
		updates = append(updates, sliceWrite{verb: api.Update, id: p.ref.obj.ID, rv: p.ref.obj.ResourceVersion, s: p.s})
	}
	return creates, updates, del
}

// sliceToFill is getSliceToFill: the slice that n more endpoints bring
// closest to full without passing max (-1: none). Ties go to the first.
func sliceToFill(rs []sliceRef, n, max int) int {
	closestDiff, closest := max, -1
	for i, r := range rs {
		diff := max - (n + len(r.s.Endpoints))
		if diff >= 0 && diff < closestDiff {
			closestDiff, closest = diff, i
			if diff == 0 {
				return i
			}
		}
	}
	return closest
}

// sliceTracker is EndpointSliceTracker: per Service, the resourceVersion
// of each slice the controller last wrote, or deletionExpected for one it
// deleted, so that it can tell its own writes' events from others' and a
// cache that has not yet seen them. Upstream tracks generations, which
// only the spec's changes bump; every write to a modeled slice is a spec
// change, so the resourceVersion serves. Services are tracked by ID, so
// the check for a Service recreated under the same name (a new UID) has
// no counterpart.
type sliceTracker struct {
	bySvc [][]trackedSlice // by Service ID, sorted by slice ID
}

type trackedSlice struct {
	id int32
	rv int64
}

const deletionExpected = -1

func (tr *sliceTracker) find(svc, id int32) (int, bool) {
	if svc < 0 || int(svc) >= len(tr.bySvc) {
		return 0, false
	}
	return slices.BinarySearchFunc(tr.bySvc[svc], id, func(t trackedSlice, id int32) int { return cmp.Compare(t.id, id) })
}

// has is Has: the slice is tracked.
func (tr *sliceTracker) has(svc, id int32) bool {
	_, ok := tr.find(svc, id)
	return ok
}

// shouldSync is ShouldSync: the slice is not tracked, or is newer than
// what the controller wrote (someone else changed it).
func (tr *sliceTracker) shouldSync(svc, id int32, rv int64) bool {
	i, ok := tr.find(svc, id)
	return !ok || rv > tr.bySvc[svc][i].rv
}

// set records the slice's version.
func (tr *sliceTracker) set(svc, id int32, rv int64) {
	for int(svc) >= len(tr.bySvc) {
		tr.bySvc = append(tr.bySvc, nil)
	}
	i, ok := tr.find(svc, id)
	if ok {
		tr.bySvc[svc][i].rv = rv
		return
	}
	tr.bySvc[svc] = slices.Insert(tr.bySvc[svc], i, trackedSlice{id: id, rv: rv})
}

// update is Update: the controller wrote the slice at rv.
func (tr *sliceTracker) update(svc, id int32, rv int64) { tr.set(svc, id, rv) }

// expectDeletion is ExpectDeletion: the controller deleted the slice.
func (tr *sliceTracker) expectDeletion(svc, id int32) { tr.set(svc, id, deletionExpected) }

// handleDeletion is HandleDeletion: the slice's deletion was seen; it
// reports whether the controller expected it (or did not track it).
func (tr *sliceTracker) handleDeletion(svc, id int32) bool {
	i, ok := tr.find(svc, id)
	if !ok {
		return true
	}
	rv := tr.bySvc[svc][i].rv
	tr.bySvc[svc] = slices.Delete(tr.bySvc[svc], i, i+1)
	return rv == deletionExpected
}

// deleteService is DeleteService.
func (tr *sliceTracker) deleteService(svc int32) {
	if svc >= 0 && int(svc) < len(tr.bySvc) {
		tr.bySvc[svc] = nil
	}
}

// stale is StaleSlices: the cache lags the controller's own writes if a
// cached slice is older than the version it wrote or is one it deleted,
// or a slice it wrote (and did not delete) is missing from the cache.
// cached is sorted by ID.
func (tr *sliceTracker) stale(svc int32, cached []sliceRef) bool {
	if svc < 0 || int(svc) >= len(tr.bySvc) {
		return false
	}
	tracked := tr.bySvc[svc]
	j := 0
	for _, r := range cached {
		for j < len(tracked) && tracked[j].id < r.obj.ID {
			if tracked[j].rv != deletionExpected {
				return true // tracked, not in the cache
			}
			j++
		}
		if j < len(tracked) && tracked[j].id == r.obj.ID {
			if rv := tracked[j].rv; rv == deletionExpected || rv > r.obj.ResourceVersion {
				return true
			}
			j++
		}
	}
	for ; j < len(tracked); j++ {
		if tracked[j].rv != deletionExpected {
			return true
		}
	}
	return false
}
