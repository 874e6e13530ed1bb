package kcm

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/client/workqueue"
	"github.com/orrery-sim/orrery/model/controllers"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// EndpointSlice controller defaults.
const (
	// DefaultMaxEndpointsPerSlice is --max-endpoints-per-slice
	// (pkg/controller/endpointslice/config/v1alpha1/defaults.go:
	// MaxEndpointsPerSlice 100; ConcurrentServiceEndpointSyncs 5 is
	// controllers.DefaultWorkers).
	DefaultMaxEndpointsPerSlice = 100
	// MaxMaxEndpointsPerSlice is the flag's upper bound, 1000 (also the
	// API's limit on a slice's endpoints;
	// cmd/kube-controller-manager/app/options/endpointslicecontroller.go
	// maxMaxEndpointsPerSlice).
	MaxMaxEndpointsPerSlice = 1000
	// EndpointSliceChangeMinSyncDelay is the least delay before a sync
	// that an EndpointSlice's change queues
	// (pkg/controller/endpointslice/endpointslice_controller.go
	// endpointSliceChangeMinSyncDelay = 1s).
	EndpointSliceChangeMinSyncDelay = time.Second
	// EndpointSliceMaxRetries is maxRetries there: a Service is dropped
	// after 15 failed syncs in a row.
	EndpointSliceMaxRetries = 15
	// endpointSliceSyncBackOff and endpointSliceMaxSyncBackOff are
	// defaultSyncBackOff (1s) and maxSyncBackOff (1000s) there: the
	// Service queue's per-item backoff ("a significantly higher default
	// backoff (1s vs 5ms)" than DefaultControllerRateLimiter's).
	endpointSliceSyncBackOff    = time.Second
	endpointSliceMaxSyncBackOff = 1000 * time.Second
)

// EndpointSliceControllerName is the controller's name in metrics (its
// queue's name upstream is "endpoint_slice").
const EndpointSliceControllerName = "endpointslice"

// EndpointSliceConfig is the EndpointSlice controller's.
type EndpointSliceConfig struct {
	// LoopConfig's Workers is --concurrent-service-endpoint-syncs (0: 5).
	LoopConfig
	// MaxEndpointsPerSlice is --max-endpoints-per-slice (0: 100; at most
	// 1000).
	MaxEndpointsPerSlice int
	// BatchPeriod is --endpointslice-updates-batch-period: the delay of a
	// sync that a pod's change queues (0, upstream's default: none), and
	// the floor of one an EndpointSlice's change queues, if above 1s.
	BatchPeriod time.Duration
}

// ErrMaxEndpointsPerSlice is returned by New for a MaxEndpointsPerSlice
// outside 1..1000 (set, so 0 means the default).
var ErrMaxEndpointsPerSlice = errors.New("kcm: EndpointSlice.MaxEndpointsPerSlice must be 1 to 1000")

// EndpointSliceController is the EndpointSlice controller
// (pkg/controller/endpointslice/endpointslice_controller.go with the
// reconciler of k8s.io/endpointslice): for each Service with a selector,
// EndpointSlices that list the selected pods' endpoints, at most
// MaxEndpointsPerSlice to a slice.
type EndpointSliceController struct {
	m       *Manager
	l       *loop
	max     int
	batch   time.Duration
	tracker sliceTracker

	// Indexes kept current with the informers (their handlers run at
	// once, before the controller's own): the Services and pods of each
	// namespace, the pods each Service selects, and the slices each
	// Service owns, all as sorted IDs.
	svcsIn, podsIn    [][]int32 // by namespace
	members, slicesOf [][]int32 // by Service

	changes [3]*sim.Counter // create, update, delete
	syncs   [3]*sim.Counter // success, stale, error
	buf     []int32
	eps     []objects.Endpoint // desired endpoints, reused from sync to sync
	scratch reconcileScratch
}

// Sync results, the result label of endpoint_slice_controller_syncs.
const (
	syncSuccess = iota
	syncStale
	syncError
)

func newEndpointSliceController(m *Manager, cfg EndpointSliceConfig) *EndpointSliceController {
	c := &EndpointSliceController{m: m, max: cfg.MaxEndpointsPerSlice, batch: cfg.BatchPeriod}
	if c.max == 0 {
		c.max = DefaultMaxEndpointsPerSlice
	}
	name := EndpointSliceControllerName
	c.l = newLoop(m, name, cfg.LoopConfig, c.sync, func(wc *controllers.WorkersConfig) {
		wc.MaxRetries = EndpointSliceMaxRetries
		// The Service queue's rate limiter: the worse of a per-item
		// exponential backoff from 1s and the overall 10 qps, burst 100
		// bucket (NewController).
		wc.RateLimiter = func() workqueue.RateLimiter[int32] {
			return workqueue.NewMaxOfRateLimiter[int32](
				workqueue.NewItemExponentialFailureRateLimiter[int32](endpointSliceSyncBackOff, endpointSliceMaxSyncBackOff),
				workqueue.NewBucketRateLimiter[int32](m.eng, rate.NewLimiter(rate.Limit(10), 100)),
			)
		}
	})
	rec := m.rec
	for i, op := range []string{"create", "update", "delete"} {
		c.changes[i] = rec.Counter("endpoint_slice_controller_changes_total", "operation", op)
	}
	for i, r := range []string{"success", "stale", "error"} {
		c.syncs[i] = rec.Counter("endpoint_slice_controller_syncs", "result", r)
	}
	// The indexes first, so that the controller's handlers and syncs see
	// them current.
	idx := informer.HandlerOptions{Name: name + "-index"}
	m.svcs.AddEventHandler(&svcIndexer{c}, idx)
	m.pods.AddEventHandler(&svcPodIndexer{c}, idx)
	m.slices.AddEventHandler(&ownerIndexer{&c.slicesOf, sliceOwner}, idx)
	opts := informer.HandlerOptions{Name: name, HandlingTime: m.cfg.HandlerTime}
	m.svcs.AddEventHandler(&svcHandler{c}, opts)
	m.pods.AddEventHandler(&esPodHandler{c}, opts)
	m.slices.AddEventHandler(&sliceHandler{c}, opts)
	return c
}

// Name is the controller's metrics label.
func (c *EndpointSliceController) Name() string { return c.l.name }

// Reconciles returns the numbers of successful and failed syncs (a sync
// that finds its cache stale counts as failed, as upstream's returns an
// error).
func (c *EndpointSliceController) Reconciles() (ok, failed int64) { return c.l.ws.Reconciles() }

// Changes returns the slices created, updated and deleted
// (endpoint_slice_controller_changes_total{operation}).
func (c *EndpointSliceController) Changes() (created, updated, deleted int64) {
	return c.changes[0].Value, c.changes[1].Value, c.changes[2].Value
}

// Syncs returns the syncs by result (endpoint_slice_controller_syncs):
// success, stale (skipped on a cache older than the controller's writes),
// error.
func (c *EndpointSliceController) Syncs() (success, stale, failed int64) {
	return c.syncs[syncSuccess].Value, c.syncs[syncStale].Value, c.syncs[syncError].Value
}

// QueueLen is the number of keys waiting in the work queue.
func (c *EndpointSliceController) QueueLen() int { return c.l.ws.Queue().Len() }

// Selected returns the IDs of the cached pods that Service svc selects.
func (c *EndpointSliceController) Selected(svc int32) []int32 { return idsOf(c.members, svc) }

func (c *EndpointSliceController) stop() {
	c.l.stop()
	c.tracker = sliceTracker{}
	c.svcsIn, c.podsIn, c.members, c.slicesOf = nil, nil, nil, nil
}

func (c *EndpointSliceController) service(id int32) (api.Object, *objects.Service, bool) {
	o, ok := c.m.svcs.Get(id)
	if !ok {
		return o, nil, false
	}
	s, ok := o.Body.(*objects.Service)
	return o, s, ok
}

// sliceOwner is the Service that owns a slice object (-1: none).
func sliceOwner(o api.Object) int32 {
	if s, ok := o.Body.(*objects.EndpointSlice); ok {
		return s.Service
	}
	return -1
}

func nsIndex(ns api.NamespaceID) int32 { return int32(ns) }

// servicesFor returns the Services of namespace ns whose selector the
// labels match, in ID order, appended to buf (GetPodServiceMemberships,
// which lists the namespace's Services and matches each).
func (c *EndpointSliceController) servicesFor(ns api.NamespaceID, ls objects.Labels, buf []int32) []int32 {
	for _, id := range idsOf(c.svcsIn, nsIndex(ns)) {
		if _, s, ok := c.service(id); ok && s.Selects(ls) {
			buf = append(buf, id)
		}
	}
	return buf
}

// reselect recomputes the pods Service id selects from its namespace's
// pods.
func (c *EndpointSliceController) reselect(o api.Object, s *objects.Service) {
	for int(o.ID) >= len(c.members) {
		c.members = append(c.members, nil)
	}
	sel := c.members[o.ID][:0]
	for _, pid := range idsOf(c.podsIn, nsIndex(o.Namespace)) {
		if po, ok := c.m.pods.Get(pid); ok {
			if p, ok := po.Body.(*objects.Pod); ok && s.Selects(p.Labels) {
				sel = append(sel, pid)
			}
		}
	}
	c.members[o.ID] = sel
}

// svcIndexer keeps the Services of each namespace and the pods each one
// selects.
type svcIndexer struct{ c *EndpointSliceController }

func (x *svcIndexer) OnAdd(o api.Object, _ bool) {
	s, ok := o.Body.(*objects.Service)
	if !ok {
		return
	}
	x.c.svcsIn = insertID(x.c.svcsIn, nsIndex(o.Namespace), o.ID)
	x.c.reselect(o, s)
}

func (x *svcIndexer) OnUpdate(old, cur api.Object) {
	os, _ := old.Body.(*objects.Service)
	s, ok := cur.Body.(*objects.Service)
	if !ok || os != nil && slices.Equal(os.Selector, s.Selector) {
		return
	}
	x.c.reselect(cur, s)
}

func (x *svcIndexer) OnDelete(o api.Object) {
	removeID(x.c.svcsIn, nsIndex(o.Namespace), o.ID)
	if int(o.ID) < len(x.c.members) {
		x.c.members[o.ID] = nil
	}
}

// svcPodIndexer keeps the pods of each namespace and, as pods come, go
// and change labels, the pods each Service selects.
type svcPodIndexer struct{ c *EndpointSliceController }

func (x *svcPodIndexer) OnAdd(o api.Object, _ bool) {
	p, ok := o.Body.(*objects.Pod)
	if !ok {
		return
	}
	c := x.c
	c.podsIn = insertID(c.podsIn, nsIndex(o.Namespace), o.ID)
	for _, svc := range idsOf(c.svcsIn, nsIndex(o.Namespace)) {
		if _, s, ok := c.service(svc); ok && s.Selects(p.Labels) {
			c.members = insertID(c.members, svc, o.ID)
		}
	}
}

func (x *svcPodIndexer) OnUpdate(old, cur api.Object) {
	op, _ := old.Body.(*objects.Pod)
	p, ok := cur.Body.(*objects.Pod)
	if !ok || op == nil || slices.Equal(op.Labels, p.Labels) {
		return
	}
	c := x.c
	for _, svc := range idsOf(c.svcsIn, nsIndex(cur.Namespace)) {
		_, s, ok := c.service(svc)
		if !ok {
			continue
		}
		switch was, is := s.Selects(op.Labels), s.Selects(p.Labels); {
		case is && !was:
			c.members = insertID(c.members, svc, cur.ID)
		case was && !is:
			removeID(c.members, svc, cur.ID)
		}
	}
}

func (x *svcPodIndexer) OnDelete(o api.Object) {
	c := x.c
	removeID(c.podsIn, nsIndex(o.Namespace), o.ID)
	for _, svc := range idsOf(c.svcsIn, nsIndex(o.Namespace)) {
		removeID(c.members, svc, o.ID)
	}
}

// svcHandler is the Service informer's handler (onServiceUpdate,
// onServiceDelete): every change, resyncs included, queues the Service.
type svcHandler struct{ c *EndpointSliceController }

func (h *svcHandler) OnAdd(o api.Object, _ bool) { h.c.l.add(o.ID) }
func (h *svcHandler) OnUpdate(_, cur api.Object) { h.c.l.add(cur.ID) }
func (h *svcHandler) OnDelete(o api.Object)      { h.c.l.add(o.ID) }

// esPodHandler is the pod informer's handler (addPod, updatePod,
// deletePod): a pod's change queues, after the batch period, the Services
// it may change.
type esPodHandler struct{ c *EndpointSliceController }

func (h *esPodHandler) queue(svcs []int32) {
	for _, s := range svcs {
		h.c.l.addAfter(s, h.c.batch)
	}
}

// OnAdd queues the Services that select the pod.
func (h *esPodHandler) OnAdd(o api.Object, _ bool) {
	if p, ok := o.Body.(*objects.Pod); ok {
		h.c.buf = h.c.servicesFor(o.Namespace, p.Labels, h.c.buf[:0])
		h.queue(h.c.buf)
	}
}

// OnUpdate is GetServicesToUpdateOnPodChange: nothing for a resync or a
// change no endpoint shows; the Services selecting the new labels if the
// endpoint may change; with changed labels also those selecting the old
// ones — all of them if the endpoint may change too, else those that
// select one version and not the other.
func (h *esPodHandler) OnUpdate(old, cur api.Object) {
	if old.ResourceVersion == cur.ResourceVersion {
		return // a resync: the Service informer's resync covers it
	}
	op, _ := old.Body.(*objects.Pod)
	p, ok := cur.Body.(*objects.Pod)
	if !ok || op == nil {
		return
	}
	podChanged, labelsChanged := podEndpointsChanged(op, p)
	if !podChanged && !labelsChanged {
		return
	}
	c := h.c
	now := c.servicesFor(cur.Namespace, p.Labels, c.buf[:0])
	if !labelsChanged {
		c.buf = now
		h.queue(now)
		return
	}
	n := len(now)
	all := c.servicesFor(old.Namespace, op.Labels, now)
	was := all[n:]
	c.buf = all
	for _, s := range now {
		if podChanged || !slices.Contains(was, s) {
			c.l.addAfter(s, c.batch)
		}
	}
	for _, s := range was {
		if !slices.Contains(now, s) {
			c.l.addAfter(s, c.batch)
		}
	}
}

// OnDelete queues the Services the pod belonged to.
func (h *esPodHandler) OnDelete(o api.Object) { h.OnAdd(o, false) }

// podEndpointsChanged is upstream's: whether the pod's endpoint may have
// changed (its deletionTimestamp, its readiness, its IP; its node is set
// before it has an IP and never changes), and whether its labels did.
func podEndpointsChanged(old, cur *objects.Pod) (podChanged, labelsChanged bool) {
	labelsChanged = !slices.Equal(old.Labels, cur.Labels)
	podChanged = old.Terminating != cur.Terminating || old.DeletionTimestamp != cur.DeletionTimestamp ||
		old.Ready != cur.Ready || old.HasIP() != cur.HasIP()
	return podChanged, labelsChanged
}

// sliceHandler is the EndpointSlice informer's handler
// (onEndpointSliceAdd, onEndpointSliceUpdate, onEndpointSliceDelete): a
// change the controller did not make itself queues its Service after at
// least 1s, so that changes to several slices are taken together.
type sliceHandler struct{ c *EndpointSliceController }

func (h *sliceHandler) queue(svc int32) {
	h.c.l.addAfter(svc, max(EndpointSliceChangeMinSyncDelay, h.c.batch))
}

func (h *sliceHandler) OnAdd(o api.Object, _ bool) {
	if svc := sliceOwner(o); svc >= 0 && h.c.tracker.shouldSync(svc, o.ID, o.ResourceVersion) {
		h.queue(svc)
	}
}

func (h *sliceHandler) OnUpdate(_, cur api.Object) { h.OnAdd(cur, false) }

// OnDelete queues the Service of a tracked slice whose deletion the
// controller did not expect.
func (h *sliceHandler) OnDelete(o api.Object) {
	svc := sliceOwner(o)
	if svc >= 0 && h.c.tracker.has(svc, o.ID) && !h.c.tracker.handleDeletion(svc, o.ID) {
		h.queue(svc)
	}
}

// slicesOfService returns Service svc's cached slices in ID order.
func (c *EndpointSliceController) slicesOfService(svc int32) []sliceRef {
	var out []sliceRef
	for _, id := range idsOf(c.slicesOf, svc) {
		if o, ok := c.m.slices.Get(id); ok {
			if s, ok := o.Body.(*objects.EndpointSlice); ok {
				out = append(out, sliceRef{obj: o, s: s})
			}
		}
	}
	return out
}

// desired returns the endpoints of the pods Service svc selects, in pod
// order, in memory the next sync reuses.
func (c *EndpointSliceController) desired(svcID int32, svc *objects.Service) []objects.Endpoint {
	ids := idsOf(c.members, svcID)
	out := c.eps[:0]
	for _, pid := range ids {
		o, ok := c.m.pods.Get(pid)
		if !ok {
			continue
		}
		p, ok := o.Body.(*objects.Pod)
		if !ok {
			continue
		}
		if ep, ok := endpointFor(svc, p); ok {
			ep.Pod = o.ID
			out = append(out, ep)
		}
	}
	c.eps = out
	return out
}

// sync is syncService: for a Service with a selector, skip (and retry
// later) if the slice cache is older than the controller's own writes,
// else reconcile its slices with the pods it selects.
func (c *EndpointSliceController) sync(t *task) {
	key := t.key()
	svcObj, svc, ok := c.service(key)
	if !ok {
		// Deleted: forget it. Its slices are the garbage collector's.
		c.tracker.deleteService(key)
		c.finish(t, syncSuccess)
		return
	}
	if svc.ExternalName || !svc.HasSelector() {
		c.finish(t, syncSuccess)
		return
	}
	existing := c.slicesOfService(key)
	if c.tracker.stale(key, existing) {
		c.finish(t, syncStale)
		return
	}
	plan := reconcileSlices(key, svc, c.desired(key, svc), existing, c.max, &c.scratch)
	writes := make([]sliceWrite, 0, plan.writes())
	writes = append(append(append(writes, plan.creates...), plan.updates...), plan.deletes...)
	c.write(t, svcObj, writes, func(ok bool) {
		if ok {
			c.finish(t, syncSuccess)
		} else {
			c.finish(t, syncError)
		}
	})
}

func (c *EndpointSliceController) finish(t *task, result int) {
	c.syncs[result].Inc()
	t.done(result == syncSuccess)
}

// write sends the writes one at a time, each awaited (finalize's
// synchronous calls), and stops at the first failure; then is told
// whether all succeeded. A delete of a slice already gone is a success
// (deleteEndpointSlice filters out NotFound), but not tracked.
func (c *EndpointSliceController) write(t *task, svcObj api.Object, ws []sliceWrite, then func(ok bool)) {
	if len(ws) == 0 {
		then(true)
		return
	}
	w := ws[0]
	req := c.l.c.NewRequest(w.verb, api.EndpointSlices, w.id)
	req.Namespace = svcObj.Namespace
	req.ResourceVersion = w.rv
	if w.s != nil {
		req.Object = api.Object{Resource: api.EndpointSlices, ID: w.id, Namespace: svcObj.Namespace, Size: w.s.Size(), Body: w.s}
	}
	svc := svcObj.ID
	ok := false
	t.call([]*api.Request{req}, func(req *api.Request) {
		switch {
		case req.Code.Success() && w.verb == api.Delete:
			c.tracker.expectDeletion(svc, w.id)
			c.changes[2].Inc()
			ok = true
		case req.Code.Success():
			c.tracker.update(svc, req.Result.ID, req.Result.ResourceVersion)
			if w.verb == api.Create {
				c.changes[0].Inc()
			} else {
				c.changes[1].Inc()
			}
			ok = true
		case w.verb == api.Delete && req.Code == api.NotFound:
			ok = true
		}
	}, func() {
		if !ok {
			then(false)
			return
		}
		c.write(t, svcObj, ws[1:], then)
	})
}

// String describes a plan's writes (for tests and debugging).
func (w sliceWrite) String() string {
	switch w.verb {
	case api.Create:
		return fmt.Sprintf("create(%d)", len(w.s.Endpoints))
	case api.Update:
		return fmt.Sprintf("update %d(%d)", w.id, len(w.s.Endpoints))
	}
	return fmt.Sprintf("delete %d", w.id)
}
