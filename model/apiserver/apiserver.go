// Package apiserver models one kube-apiserver replica.
//
// A request passes the handler chain as upstream
// (k8s.io/apiserver/pkg/server/config.go DefaultBuildHandlerChain):
// authentication, flow control, authorization, then the handler —
// decoding, admission and validation for writes, the storage call or the
// watch cache, and encoding of the response. Flow control is API Priority
// and Fairness (package apf: classification by flow schema, seats per
// priority level, shuffle-sharded fair queues, 429 with Retry-After), or,
// with APF off, the max-inflight filter (two limits, read-only and
// mutating, no queue: a request over the limit gets 429 Retry-After 1 at
// once; watches are not limited). Each stage costs CPU time on the
// replica's CPUs (Costs), computed rather than spent: a request waits for
// a core when all are busy. Where the time went is kept per stage.
//
// A cache fed by the storage watch serves resourceVersion="0" reads and
// feeds watchers through the watch cache (package watchcache): each
// change enters its resource's bounded history (a watch from a version it
// no longer covers gets 410 Gone as its one event). The resource's
// dispatch loop visits the watchers the cacher's index gives for the
// change — from 1.27 those of its namespace and of its name besides the
// unscoped ones, before 1.27 all of them (Config.WatchScopeIndex) — each
// visited watcher's filter (namespace, metadata.name, the label selector)
// costs CPU, the event is encoded once if any matches, and each matching
// watcher's hand-off costs CPU; per resource, the CPU time, the watchers
// visited and the events sent are counted. A watcher whose client reads
// slowly (Request.WatchConsume) fills its channels; the loop waits for it
// within its time budget, then terminates it, and its client relists.
// Watchers that allow bookmarks get one about every minute, and 2s before
// their deadline, from the cacher's bucketed bookmark queue ticked by one
// timer per resource.
//
// A replica can stop (its connections are reset: requests in flight fail,
// watches close) and start again (it relists storage into its cache;
// until that is done, requests that need the cache get 429, as with
// ResilientWatchCacheInitialization, beta in 1.31).
//
// What the model leaves out: authentication runs after flow control here
// (upstream before: its CPU time is counted within the seat); a request's
// response is encoded after its seat is released; the watch cache's waits
// for a fresh resource version (reads are served from the cache as it
// is); APF borrowing between levels (see package apf). An event a
// watcher's selector rejects costs its filter time but never occupies its
// channels (upstream it passes through the input channel, so a slow
// watcher can make the dispatch loop wait for events it does not want);
// the cacher's incoming queue is unbounded here (upstream holds
// watchcache.IncomingBuffer events, then blocks the watch cache itself, so
// a lagging dispatch loop also delays the cache and its reads);
// lists with selectors scan the cache instead of an index, except a pod
// list by spec.nodeName. Leases carry no namespace (no modeled watch
// selects them by it). A watch resumed from history gets a past change as
// it happened, not converted to ADDED or DELETED for its selector (only
// live dispatch converts; informers treat both alike).
//
// Workload objects (registry.go): a create without a name gets the next
// free ID (generateName); a patch or a pods/binding with a Mutate is a
// GuaranteedUpdate, its change applied to the cached object and, after a
// conflict or when the change fails on that guess, to storage's copy;
// deleting a bound, unfinished pod with a grace period writes its
// deletionTimestamp instead (the kubelet deletes it when its containers
// have stopped). Admission, defaulting and validation of workload
// objects are left to the clients that build them.
package apiserver

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Config is one replica's configuration.
type Config struct {
	// PriorityAndFairness turns APF on; off, the max-inflight filter limits
	// requests.
	PriorityAndFairness bool
	// APF is APF's configuration (apf.DefaultConfig with the server
	// concurrency limit set), used when PriorityAndFairness is on.
	APF                         apf.Config
	MaxRequestsInflight         int
	MaxMutatingRequestsInflight int
	// CPUs is the number of cores the replica's work runs on.
	CPUs  int
	Costs Costs
	// Principals resolves requests' Principal to identities.
	Principals *api.Principals
	// WatchCache configures the watch cache (watchcache.DefaultConfig).
	WatchCache watchcache.Config
	// IDs names the objects of creates without a name; one per cluster,
	// shared by its replicas (nil: the replica's own).
	IDs *IDs
	// WatchScopeIndex indexes watchers by the namespace and name they
	// watch, so that an event visits only the watchers of its namespace
	// and object besides the unscoped ones (Kubernetes 1.27 on, PR
	// #115918); off, every watcher of the resource is visited, except the
	// nodes' name-scoped ones, which their trigger index held (before 1.27).
	WatchScopeIndex bool
}

const (
	kindServed int32 = api.KindPrivate + iota
	kindAPFWakeup
)

// Server is one API server replica.
type Server struct {
	eng     *sim.Engine
	net     *sim.Network
	rec     *sim.Recorder
	name    string
	self    sim.EndpointID
	storage sim.EndpointID // a storage component answering on the network (the stand-in)
	client  Storage        // or an in-process storage client (etcd's clientv3)
	rng     *sim.Rand
	cfg     Config

	freeOps []*api.StorageOp // ops the storage client handed back (RecycleOp)

	up        bool
	readyAt   sim.Time // the cache is initialised from then on
	epoch     int32    // bumped by Stop: storage answers of an older epoch are dropped
	slots     []*inflight
	freeSlots []int32

	fc       *apf.Controller // nil with APF off
	levels   []levelMeter
	wakeup   *sim.Timer
	classes  [int(api.NumVerbs) * int(api.NumResources)][]classEntry // see classify
	startBuf []*apf.Request
	pools    [2]seatPool // max-inflight: read-only, mutating

	cpu      *cpuPool
	stages   stageTotals
	arrivals []int32 // requests arrived per gauge bucket
	rejected []int32 // 429s answered per gauge bucket

	cache      [api.NumResources]api.ObjectTable
	cacheCount [api.NumResources]int
	cacheBytes [api.NumResources]int64
	cacheRV    int64
	podsOnNode nodeIndex

	wc       watchCaches
	watchers []watcher
	byStream []int32 // stream ID → index in watchers, -1 if none
	index    [api.NumResources]watcherIndex
	tracker  [api.NumResources]watchTracker

	duration      [api.NumResources][api.NumVerbs][api.NumScopes]*sim.LatencySeries
	codes         [api.NumResources][api.NumVerbs][]codeCounter
	watchSent     *sim.Counter
	watchersGauge *sim.Gauge
	restarts      *sim.Counter
}

type codeCounter struct {
	code  api.Code
	scope api.Scope
	ctr   *sim.Counter
}

// Storage is an in-process storage client: Call sends op after delay of
// local work; the client hands the answer back through StorageDone and
// the changes it watches through Observe.
type Storage interface {
	Call(after time.Duration, op *api.StorageOp)
}

// New returns a running replica registered on the network as name,
// calling storage at the given endpoint (see UseStorage for a storage
// client).
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, name string, storage sim.EndpointID, cfg Config) (*Server, error) {
	if cfg.Principals == nil {
		cfg.Principals = &api.Principals{}
	}
	if cfg.IDs == nil {
		cfg.IDs = &IDs{}
	}
	if cfg.WatchCache == (watchcache.Config{}) {
		cfg.WatchCache = watchcache.DefaultConfig()
	}
	if err := cfg.WatchCache.Validate(); err != nil {
		return nil, err
	}
	if cfg.Principals.Len() == 0 {
		// Requests of clients that registered no principal carry ID 0.
		cfg.Principals.Add(api.Principal{Identity: apf.User("anonymous-client")})
	}
	s := &Server{eng: eng, net: net, rec: rec, name: name, storage: storage, rng: eng.Rand("apiserver/" + name), cfg: cfg, up: true}
	s.self = net.AddEndpoint(name, s)
	s.wakeup = eng.NewTimer(s, kindAPFWakeup)
	s.cpu = newCPUPool(cfg.CPUs, rec.Bucket())
	if err := s.newFlowControl(); err != nil {
		return nil, err
	}
	// Shared by every replica: the cluster's totals.
	s.watchSent = rec.Counter("apiserver_watch_events_sent_total")
	s.watchersGauge = rec.Gauge("apiserver_registered_watchers")
	s.wc = watchCaches{cfg: cfg.WatchCache,
		bookmarkRng: eng.Rand("apiserver/" + name + "/bookmarks"),
		terminated:  rec.Counter("apiserver_terminated_watchers_total"),
		expired:     rec.Counter("apiserver_watch_too_old_resource_version_total"),
		bookmarked:  rec.Counter("apiserver_watch_bookmarks_sent_total")}
	s.wc.reset(eng.Now())
	s.restarts = rec.Counter("apiserver_restarts_total")
	return s, nil
}

// newFlowControl sets up APF or the max-inflight pools, empty.
func (s *Server) newFlowControl() error {
	cfg := &s.cfg
	if !cfg.PriorityAndFairness {
		s.pools[0] = seatPool{limit: cfg.MaxRequestsInflight, meter: s.rec.Resource("apiserver_seats", cfg.MaxRequestsInflight, "server", s.name, "kind", "readOnly")}
		s.pools[1] = seatPool{limit: cfg.MaxMutatingRequestsInflight, meter: s.rec.Resource("apiserver_seats", cfg.MaxMutatingRequestsInflight, "server", s.name, "kind", "mutating")}
		return nil
	}
	fc, err := apf.New(cfg.APF, s.rec)
	if err != nil {
		return err
	}
	s.fc = fc
	s.levels = s.levels[:0]
	for _, l := range fc.Levels() {
		s.levels = append(s.levels, levelMeter{meter: s.rec.Resource("apiserver_flowcontrol_seats", l.Limit, "server", s.name, "priority_level", l.Name)})
	}
	return nil
}

// UseStorage makes the server call storage through client instead of
// messaging a storage endpoint.
func (s *Server) UseStorage(client Storage) { s.client = client }

// StorageDone takes a storage call's answer from the storage client.
func (s *Server) StorageDone(op *api.StorageOp) { s.storageDone(op) }

// RecycleOp takes back an op of a finished call that nothing else holds
// any more, for callStorage to reuse (the storage client decides when:
// etcd.OpRecycler).
func (s *Server) RecycleOp(op *api.StorageOp) { s.freeOps = append(s.freeOps, op) }

// Observe takes a change from the storage client's watch.
func (s *Server) Observe(we *api.WatchEvent) {
	if s.up {
		s.observe(we)
	}
}

// Endpoint is the server's network endpoint.
func (s *Server) Endpoint() sim.EndpointID { return s.self }

// Name is the replica's name.
func (s *Server) Name() string { return s.name }

// FlowControl is the replica's APF controller, nil with APF off.
func (s *Server) FlowControl() *apf.Controller { return s.fc }

// SeedCache puts obj into the cache as part of the initial state.
func (s *Server) SeedCache(obj api.Object) {
	s.storeInCache(obj)
	s.cacheRV = max(s.cacheRV, obj.ResourceVersion)
}

// CacheRevision is the newest revision the cache has seen.
func (s *Server) CacheRevision() int64 { return s.cacheRV }

// AttachWatch registers an already-open watch stream for res (name -1: all
// objects): the state of a cluster that was running before time started.
// The watch allows bookmarks, as a reflector's does.
func (s *Server) AttachWatch(stream sim.StreamID, res api.Resource, name int32) {
	s.AttachWatchRequest(stream, &api.Request{Verb: api.Watch, Resource: res, Name: name, AllowBookmarks: true})
}

// AttachWatchRequest is AttachWatch for the watch req describes: its
// resource, selectors (Namespace, Name, Label), WatchConsume,
// AllowBookmarks and WatchTimeout (counted from now).
func (s *Server) AttachWatchRequest(stream sim.StreamID, req *api.Request) {
	res := req.Resource.Stored()
	s.history(res)
	s.addWatcher(stream, res, selectorOf(req), s.watcherSpec(req), 0, s.cacheRV)
}

func (s *Server) storeInCache(obj api.Object) {
	t := &s.cache[obj.Resource]
	if old, ok := t.Get(obj.ID); ok {
		s.cacheBytes[obj.Resource] -= int64(old.Size)
		if obj.Resource == api.Pods {
			s.podsOnNode.move(obj.ID, nodeNameOf(&old), nodeNameOf(&obj))
		}
	} else {
		s.cacheCount[obj.Resource]++
		if obj.Resource == api.Pods {
			s.podsOnNode.move(obj.ID, objects.NoNode, nodeNameOf(&obj))
		}
	}
	s.cacheBytes[obj.Resource] += int64(obj.Size)
	t.Set(obj)
	s.cfg.IDs.Reserve(obj.Resource, obj.ID)
}

func (s *Server) deleteFromCache(r api.Resource, id int32) {
	t := &s.cache[r]
	if old, ok := t.Get(id); ok {
		s.cacheCount[r]--
		s.cacheBytes[r] -= int64(old.Size)
		t.Delete(id)
		if r == api.Pods {
			s.podsOnNode.move(id, nodeNameOf(&old), objects.NoNode)
		}
	}
}

func (s *Server) cached(r api.Resource, id int32) (api.Object, bool) { return s.cache[r].Get(id) }

// selected counts the cached objects of r that sel matches, and their bytes:
// what a list with selectors encodes.
func (s *Server) selected(r api.Resource, sel selector) (n, bytes int64) {
	s.eachSelected(r, sel, func(obj *api.Object) {
		n++
		bytes += int64(obj.Size)
	})
	return n, bytes
}

// eachSelected calls fn with each cached object of r that sel matches, in
// ID order: the cache's own copy, to read during the call. A selection by
// name reads its one object; a pod list by node reads the cache's
// spec.nodeName index (pkg/registry/core/pod/storage: Indexers), not every
// pod.
func (s *Server) eachSelected(r api.Resource, sel selector, fn func(*api.Object)) {
	t := &s.cache[r]
	switch {
	case sel.name >= 0:
		if obj := t.At(sel.name); obj != nil && sel.matches(obj) {
			fn(obj)
		}
	case r == api.Pods && sel.byNode:
		for _, id := range s.podsOnNode.on(sel.node) {
			if obj := t.At(id); obj != nil && sel.matches(obj) {
				fn(obj)
			}
		}
	default:
		for id := range t.IDs() {
			if obj := t.At(id); obj != nil && sel.matches(obj) {
				fn(obj)
			}
		}
	}
}

// Handle dispatches the server's events.
func (s *Server) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindRequest:
		req := ev.Data.(*api.Request)
		req.Arrived = s.eng.Now()
		if !s.up {
			// No process listens: the host refuses the connection. The
			// request never reaches the API server, and is not counted in
			// its request rate.
			req.Code = api.ConnectionRefused
			s.net.Send(s.self, req.From, api.KindResponse, 0, 0, req)
			return
		}
		s.countArrival(req.Arrived)
		if s.eng.Now() < s.readyAt && needsCache(req) {
			req.Code, req.RetryAfter = api.TooManyRequests, retryAfter
			s.respond(req, 0)
			return
		}
		s.admit(req)
	case kindServed:
		if inf := ev.Data.(*inflight); s.up && int32(ev.A) == s.epoch {
			s.afterService(inf)
		}
	case kindAPFWakeup:
		if s.fc != nil {
			s.apfWakeup()
		}
	case kindDeliver:
		s.deliverNow(ev)
	case kindCloseWatch:
		s.closeWatchNow(ev)
	case kindBookmarkTick:
		s.bookmarkTick(api.Resource(ev.A))
	case api.KindStorageOp:
		s.storageDone(ev.Data.(*api.StorageOp))
	case api.KindStorageCommit:
		for op := ev.Data.(*api.StorageOp); op != nil; {
			next := op.Next // storageDone may reuse op
			if op.Event != nil {
				s.Observe(op.Event)
			}
			s.storageDone(op)
			op = next
		}
	case api.KindWatchEvent:
		s.Observe(ev.Data.(*api.WatchEvent))
	case sim.KindStreamClosed:
		s.removeWatcher(ev.Stream)
	}
}

// needsCache: reads from the cache and watches wait for its initialisation.
func needsCache(req *api.Request) bool {
	return req.Verb == api.Watch || req.Verb == api.List || req.Verb == api.Get && req.FromCache
}

// execute runs a request that flow control let through: its CPU stages,
// then the cache or a storage call.
func (s *Server) execute(inf *inflight) {
	req := inf.req
	now := s.eng.Now()
	c := &s.cfg.Costs
	s.stages.add(req, StageQueue, now.Sub(req.Arrived))
	authn, authz := c.Authentication.Sample(s.rng), c.Authorization.Sample(s.rng)
	s.stages.add(req, StageAuthn, authn)
	s.stages.add(req, StageAuthz, authz)
	work := authn + authz
	switch {
	case req.Verb == api.Watch:
		start, end := s.cpu.run(now, work)
		s.stages.add(req, StageCPUWait, start.Sub(now))
		s.startWatch(req, end.Sub(now))
		// A watch holds its seat only until it is initialised.
		s.finishExecution(inf)
		s.release(inf)
	case req.Verb == api.List || req.Verb == api.Get && req.FromCache:
		res := req.Resource.Stored()
		objects, bytes := int64(1), int64(0)
		switch sel := selectorOf(req); {
		case req.Verb == api.List && sel.name < 0 && sel.ns == api.AllNamespaces && sel.label == 0 && !sel.byNode:
			objects = int64(s.cacheCount[res])
			bytes = s.cacheBytes[res]
		case req.Verb == api.List && sel.name < 0:
			objects, bytes = s.selected(res, sel)
		default:
			if obj, ok := s.cached(res, req.Name); ok {
				bytes = int64(obj.Size)
			}
		}
		enc := c.encode(objects, bytes)
		s.stages.add(req, StageEncode, enc)
		start, end := s.cpu.run(now, work+enc)
		s.stages.add(req, StageCPUWait, start.Sub(now))
		s.eng.Schedule(sim.Event{At: end, Target: s, Kind: kindServed, A: int64(s.epoch), Data: inf, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	default:
		if req.Verb.Mutating() {
			dec, adm := c.decode(int64(req.Object.Size)), c.Admission.Sample(s.rng)
			s.stages.add(req, StageDecode, dec)
			s.stages.add(req, StageAdmission, adm)
			work += dec + adm
		}
		start, end := s.cpu.run(now, work)
		s.stages.add(req, StageCPUWait, start.Sub(now))
		s.callStorage(end, req)
	}
}

// afterService answers a cache read.
func (s *Server) afterService(inf *inflight) {
	req := inf.req
	res := req.Resource.Stored()
	switch {
	case req.Verb == api.List:
		req.Items = req.Items[:0]
		s.eachSelected(res, selectorOf(req), func(obj *api.Object) { req.Items = append(req.Items, *obj) })
		req.Code = api.OK
		req.Result.ResourceVersion = s.cacheRV
	default:
		if obj, ok := s.cached(res, req.Name); ok {
			req.Code, req.Result = api.OK, obj
		} else {
			req.Code = api.NotFound
		}
	}
	s.respond(req, 0)
	s.finishExecution(inf)
	s.release(inf)
}

// writeNamespace is the namespace of the object a write changes: the
// request's (the URL's), or, when the client gave none, its body's.
func writeNamespace(req *api.Request) api.NamespaceID {
	if req.Namespace != api.AllNamespaces {
		return req.Namespace
	}
	return req.Object.Namespace
}

func (s *Server) callStorage(at sim.Time, req *api.Request) {
	// An op is reused only once the storage client handed it back
	// (RecycleOp): storage keys state by op, and an op still held there
	// could be answered or failed for an earlier call.
	var op *api.StorageOp
	if n := len(s.freeOps); n > 0 {
		op = s.freeOps[n-1]
		s.freeOps = s.freeOps[:n-1]
	} else {
		op = new(api.StorageOp)
	}
	*op = api.StorageOp{Resource: req.Resource.Stored(), ID: req.Name, Value: req.Object, Origin: req, Tag: s.epoch, Arrived: at}
	if req.Verb.Mutating() {
		// The object lives in the URL's namespace (upstream rejects a body
		// that says otherwise).
		op.Value.Namespace = writeNamespace(req)
	}
	switch {
	case updatesInPlace(req):
		// GuaranteedUpdate: apply the change to the cached object and
		// write with a compare on its revision; without a cached copy,
		// read storage's first.
		if cur, ok := s.cached(op.Resource, req.Name); ok {
			s.tryUpdate(at, op, &cur, false)
			return
		}
		op.Kind = api.OpRange
	case req.Verb == api.Get:
		op.Kind = api.OpRange
	case req.Verb == api.Create:
		op.Kind = api.OpCreate
		if req.Name < 0 {
			// generateName: the server names the object.
			op.ID = s.cfg.IDs.Next(op.Resource)
		}
		op.Value = created(op.Value, op.ID, at)
	case req.Verb == api.Update:
		op.Kind, op.ExpectRevision = api.OpPut, req.ResourceVersion
	case req.Verb == api.Patch:
		// A patch with no Mutate writes its body, with a compare on the
		// cached revision; on conflict, again on storage's.
		cur, _ := s.cached(op.Resource, req.Name)
		op.Kind, op.ExpectRevision = api.OpPut, max(cur.ResourceVersion, 1)
	case req.Verb == api.Delete:
		op.Kind, op.ExpectRevision = api.OpDelete, req.ResourceVersion
		if cur, ok := s.cached(op.Resource, req.Name); ok && op.Resource == api.Pods {
			s.tryDelete(op, &cur)
		}
	}
	s.sendStorage(at.Sub(s.eng.Now()), op)
}

// tryUpdate sends the write of req's change to cur (fresh: storage's
// copy, not the cache's guess). A change that fails on a guess is tried
// again on storage's copy (etcd3 store GuaranteedUpdate); on storage's,
// the failure is the answer.
func (s *Server) tryUpdate(at sim.Time, op *api.StorageOp, cur *api.Object, fresh bool) {
	obj, code := tryUpdate(op.Origin, cur)
	switch {
	case code == 0:
		op.Kind, op.Value, op.ExpectRevision, op.Err = api.OpPut, obj, max(cur.ResourceVersion, 1), 0
	case fresh:
		op.Err = code
		s.answerStorage(op)
		return
	default:
		op.Kind = api.OpRange
	}
	s.sendStorage(at.Sub(s.eng.Now()), op)
}

// tryDelete turns a delete of the pod cur into the write of its
// deletionTimestamp when the deletion is graceful.
func (s *Server) tryDelete(op *api.StorageOp, cur *api.Object) {
	grace, ok := gracefulDelete(op.Origin, cur)
	if !ok {
		op.Kind, op.ExpectRevision = api.OpDelete, op.Origin.ResourceVersion
		return
	}
	op.Kind, op.Value, op.ExpectRevision = api.OpPut, markTerminating(cur, s.eng.Now(), grace), cur.ResourceVersion
}

func (s *Server) sendStorage(after time.Duration, op *api.StorageOp) {
	if s.client != nil {
		s.client.Call(after, op)
		return
	}
	s.net.SendAfter(after, s.self, s.storage, api.KindStorageOp, 0, 0, op)
}

func (s *Server) storageDone(op *api.StorageOp) {
	req := op.Origin
	if !s.up || op.Tag != s.epoch || req == nil || req.Slot < 0 || int(req.Slot) >= len(s.slots) || s.slots[req.Slot].req != req {
		return // an answer for a process that has since restarted
	}
	if s.retryWrite(op) {
		return
	}
	s.answerStorage(op)
}

// retryWrite sends a write again after storage's answer when the write is
// a GuaranteedUpdate that must: after its read, or a conflict on a stale
// guess. It reports whether it did.
func (s *Server) retryWrite(op *api.StorageOp) bool {
	req := op.Origin
	now := s.eng.Now()
	switch {
	case updatesInPlace(req) && op.Found && (op.Err == api.Conflict || op.Err == 0 && op.Kind == api.OpRange):
		// The read before the update, or a conflict: try the change on
		// the copy storage returned.
		cur := op.Current
		s.tryUpdate(now, op, &cur, true)
		return true
	case op.Err == api.Conflict && req.Verb == api.Patch && op.Found:
		// Retry the patch on the fresh copy storage returned.
		op.ExpectRevision, op.Err = op.Current.ResourceVersion, 0
		s.sendStorage(0, op)
		return true
	case op.Err == api.Conflict && req.Verb == api.Delete && op.Kind == api.OpPut && op.Found:
		// A graceful delete raced a write: decide again on storage's copy.
		cur := op.Current
		op.Err = 0
		s.tryDelete(op, &cur)
		s.sendStorage(0, op)
		return true
	}
	return false
}

// answerStorage answers the request op served with storage's result.
func (s *Server) answerStorage(op *api.StorageOp) {
	req := op.Origin
	inf := s.slots[req.Slot]
	now := s.eng.Now()
	s.stages.add(req, StageStorage, now.Sub(op.Arrived))
	switch {
	case op.Err != 0:
		req.Code = op.Err
	case req.Verb == api.Create:
		req.Code, req.Result = api.Created, op.Current
	default:
		req.Code, req.Result = api.OK, op.Current
	}
	op.Origin = nil
	enc := s.cfg.Costs.encode(1, int64(req.Result.Size))
	s.stages.add(req, StageEncode, enc)
	start, end := s.cpu.run(now, enc)
	s.stages.add(req, StageCPUWait, start.Sub(now))
	s.respond(req, end.Sub(now))
	s.finishExecution(inf)
	s.release(inf)
}

// respond sends the answer after delay (the end of its encoding).
func (s *Server) respond(req *api.Request, delay time.Duration) {
	if req.Verb != api.Watch || !req.Code.Success() {
		s.durationSeries(req).Observe(s.eng.Now().Add(delay).Sub(req.Arrived))
	}
	s.codeCounter(req).Inc()
	if req.Code == api.TooManyRequests {
		s.rejected = countIn(s.rejected, s.eng.Now(), s.cpu.bucket)
	}
	s.net.SendAfter(delay, s.self, req.From, api.KindResponse, 0, 0, req)
}

// durationSeries is apiserver_request_duration_seconds{verb, resource,
// scope}: the series the sig-scalability API call latency SLOs read. A
// watch's long life is not a latency: only its failures are recorded.
func (s *Server) durationSeries(req *api.Request) *sim.LatencySeries {
	sc := req.Scope()
	p := &s.duration[req.Resource][req.Verb][sc]
	if *p == nil {
		*p = s.rec.Latency("apiserver_request_duration_seconds", "verb", req.Verb.String(), "resource", req.Resource.String(), "scope", sc.String())
	}
	return *p
}

// codeCounter finds apiserver_request_total{verb, resource, scope, code}
// for req (upstream's labels, k8s.io/apiserver pkg/endpoints/metrics): a
// short list per (verb, resource), since each sees few scopes and codes.
func (s *Server) codeCounter(req *api.Request) *sim.Counter {
	list := &s.codes[req.Resource][req.Verb]
	c, sc := req.Code, req.Scope()
	for _, cc := range *list {
		if cc.code == c && cc.scope == sc {
			return cc.ctr
		}
	}
	ctr := s.rec.Counter("apiserver_request_total", "verb", req.Verb.String(), "resource", req.Resource.String(), "scope", sc.String(), "code", codeString(c))
	*list = append(*list, codeCounter{c, sc, ctr})
	return ctr
}

// Stop kills the replica's process: every connection is reset, so
// requests in flight fail and watches close; queued work and the cache
// are lost.
func (s *Server) Stop() {
	if !s.up {
		return
	}
	now := s.eng.Now()
	s.up = false
	s.epoch++
	s.restarts.Inc()
	for _, inf := range s.slots {
		if inf.free {
			continue
		}
		req := inf.req
		if inf.queued {
			s.levels[inf.fc.Class.Level].meter.Dequeue(now, now.Sub(req.Arrived))
		}
		if inf.pool >= 0 {
			s.pools[inf.pool].inUse--
			s.pools[inf.pool].meter.Release(now, 1)
		}
		req.Code = api.ConnectionReset
		s.codeCounter(req).Inc()
		s.net.Send(s.self, req.From, api.KindResponse, 0, 0, req)
		s.release(inf)
	}
	for i := range s.watchers {
		if w := &s.watchers[i]; w.alive {
			s.net.CloseStream(w.stream, s.self)
			s.removeWatcher(w.stream)
		}
	}
	s.wakeup.Stop()
	if s.fc != nil {
		for i := range s.levels {
			if lm := &s.levels[i]; lm.seats > 0 {
				lm.meter.Release(now, lm.seats)
				lm.seats = 0
			}
		}
		_ = s.newFlowControl() // the configuration was valid at New
	}
	for i := range s.classes {
		clear(s.classes[i])
	}
	s.cpu.reset(now)
	for r := range s.cache {
		s.cache[r].Clear()
		s.cacheCount[r], s.cacheBytes[r] = 0, 0
	}
	s.podsOnNode.clear()
	s.cacheRV = 0
	s.wc.reset(now)
}

// Start starts the process again. relist refills the cache (the storage
// client lists and calls Observe) and returns what it listed; decoding it
// takes CPU time, and until that is done reads from the cache and watches
// get 429.
func (s *Server) Start(relist func() (objects, bytes int64)) {
	if s.up {
		return
	}
	s.up = true
	s.wc.relisting = true
	objects, bytes := relist()
	s.wc.relisting = false
	_, end := s.cpu.run(s.eng.Now(), time.Duration(objects)*s.cfg.Costs.DecodePerObject+bytesTime(bytes, s.cfg.Costs.DecodeBytesPerSecond))
	s.readyAt = end
}

func (s *Server) countArrival(t sim.Time) { s.arrivals = countIn(s.arrivals, t, s.cpu.bucket) }

// countIn adds one to the count of t's bucket.
func countIn(counts []int32, t sim.Time, bucket time.Duration) []int32 {
	i := int(int64(t) / int64(bucket))
	for len(counts) <= i {
		counts = append(counts, 0)
	}
	counts[i]++
	return counts
}

// Finish closes the books at the end of a run: the request and 429 rates
// and CPU utilisation per gauge bucket, and the time spent per stage.
func (s *Server) Finish(end sim.Time) {
	for _, g := range []struct {
		name   string
		counts []int32
	}{{RequestRateGauge, s.arrivals}, {RejectionRateGauge, s.rejected}} {
		if len(g.counts) == 0 && g.name == RejectionRateGauge {
			continue // no 429s: no series
		}
		rate := s.rec.Gauge(g.name, "server", s.name)
		for i, n := range append(g.counts, 0) { // then 0, not the last count, to the end
			if at := sim.Time(int64(i) * int64(s.cpu.bucket)); at < end {
				rate.Set(at, float64(n)/s.cpu.bucket.Seconds())
			}
		}
	}
	g := s.rec.Gauge("apiserver_cpu_utilization", "server", s.name)
	b := s.cpu.bucket
	cores := float64(len(s.cpu.free))
	for i, busy := range s.cpu.busy {
		at := sim.Time(int64(i) * int64(b))
		if at >= end {
			break
		}
		g.Set(at, float64(busy)/(float64(b)*cores))
	}
	for r := api.Resource(0); r < api.NumResources; r++ {
		for v := api.Verb(0); v < api.NumVerbs; v++ {
			for st := Stage(0); st < NumStages; st++ {
				if ns := s.stages.ns[r][v][st]; ns > 0 {
					s.rec.Counter("apiserver_request_stage_nanoseconds_total", "verb", v.String(), "resource", r.String(), "stage", st.String()).Add(ns)
				}
			}
		}
	}
}

// Gauges of a replica's request arrivals and of its 429 answers, per
// second, one point per gauge bucket (labelled server=<name>).
const (
	RequestRateGauge   = "apiserver_requests_per_second"
	RejectionRateGauge = "apiserver_rejections_per_second"
)

func codeString(c api.Code) string {
	switch c {
	case api.ClientTimeout:
		return "timeout"
	case api.ClientCancelled:
		return "cancelled"
	case api.ConnectionReset:
		return "reset"
	case api.ConnectionRefused:
		return "refused"
	}
	return itoa(int(c))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [8]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// FixedCostConfig is a replica for small tests and examples: APF off, the
// default max-inflight limits (--max-requests-inflight 400 and
// --max-mutating-requests-inflight 200, k8s.io/apiserver/pkg/server/config.go
// NewConfig), CPUs enough never to queue (an orrery choice), one
// fixed CPU cost per request, service, spent in authentication, and the
// current releases' watcher index.
func FixedCostConfig(service time.Duration) Config {
	return Config{
		MaxRequestsInflight: 400, MaxMutatingRequestsInflight: 200, CPUs: 1024, WatchScopeIndex: true,
		Costs: Costs{Authentication: sim.Constant(service), Authorization: sim.Constant(0), Admission: sim.Constant(0)},
	}
}
