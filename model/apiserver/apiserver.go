// Package apiserver models kube-apiserver: requests take a seat out of a
// concurrency limit (read-only and mutating pools, as --max-requests-inflight
// and --max-mutating-requests-inflight), wait in a bounded queue when none is
// free, cost a sampled CPU service time, call storage, and answer. A cache
// fed by storage's watch stream serves resourceVersion="0" reads and feeds
// watchers: each change is encoded once and sent to every watcher whose
// selector matches.
//
// What the model leaves out, for now: API Priority and Fairness (one FIFO
// queue per pool stands in for its queues: a request waits at most
// QueueWaitLimit, and a full queue rejects with 429 Retry-After 1s); the
// stages of the request pipeline (one service time covers them); the watch
// cache's bounded history (a watch that starts from an old resource version
// is sent the current state of every object changed since, instead of each
// intermediate event, and never gets 410 Gone); multiple replicas.
package apiserver

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// Config is the API server's configuration.
type Config struct {
	MaxRequestsInflight         int
	MaxMutatingRequestsInflight int
	QueueLength                 int
	QueueWaitLimit              time.Duration
	ServiceTime                 sim.Dist
}

// retryAfter is the Retry-After of a 429 from the max-inflight filter
// (k8s.io/apiserver/pkg/server/filters/maxinflight.go: "Retry-After: 1").
const retryAfter = time.Second

const (
	kindServed int32 = api.KindPrivate + iota
	kindQueueTimeout
)

// Server is the API server component.
type Server struct {
	eng     *sim.Engine
	net     *sim.Network
	rec     *sim.Recorder
	self    sim.EndpointID
	storage sim.EndpointID // a storage component answering on the network (the stand-in)
	client  Storage        // or an in-process storage client (etcd's clientv3)
	rng     *sim.Rand
	cfg     Config

	pools [2]seatPool // read-only, mutating

	cache   [api.NumResources]api.ObjectTable
	cacheRV int64

	watchers []watcher
	byStream []int32                     // stream ID → index in watchers, -1 if none
	all      [api.NumResources][]int32   // watchers of every object of a resource
	byName   [api.NumResources][][]int32 // watchers of one object (field selector)

	opPool []*api.StorageOp

	duration      *api.LatencyByRequest
	codes         [api.NumResources][api.NumVerbs][]codeCounter
	watchSent     *sim.Counter
	watchersGauge *sim.Gauge
}

type codeCounter struct {
	code api.Code
	ctr  *sim.Counter
}

type watcher struct {
	stream sim.StreamID
	res    api.Resource
	name   int32
	alive  bool
}

type seatPool struct {
	limit int
	inUse int
	queue []*api.Request
	meter *sim.ResourceMeter
}

// Storage is an in-process storage client: Call sends op after delay of
// local work; the client hands the answer back through StorageDone and
// the changes it watches through Observe.
type Storage interface {
	Call(after time.Duration, op *api.StorageOp)
}

// New returns an API server registered on the network as name, calling
// storage at the given endpoint (see UseStorage for a storage client).
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, name string, storage sim.EndpointID, cfg Config) *Server {
	s := &Server{eng: eng, net: net, rec: rec, storage: storage, rng: eng.Rand("apiserver/" + name), cfg: cfg}
	s.self = net.AddEndpoint(name, s)
	s.pools[0] = seatPool{limit: cfg.MaxRequestsInflight, meter: rec.Resource("apiserver_seats", cfg.MaxRequestsInflight, "kind", "readOnly")}
	s.pools[1] = seatPool{limit: cfg.MaxMutatingRequestsInflight, meter: rec.Resource("apiserver_seats", cfg.MaxMutatingRequestsInflight, "kind", "mutating")}
	s.duration = api.NewLatencyByRequest(rec, "apiserver_request_duration_seconds")
	s.watchSent = rec.Counter("apiserver_watch_events_sent_total")
	s.watchersGauge = rec.Gauge("apiserver_registered_watchers")
	return s
}

// UseStorage makes the server call storage through client instead of
// messaging a storage endpoint.
func (s *Server) UseStorage(client Storage) { s.client = client }

// StorageDone takes a storage call's answer from the storage client.
func (s *Server) StorageDone(op *api.StorageOp) { s.storageDone(op) }

// Observe takes a change from the storage client's watch.
func (s *Server) Observe(we *api.WatchEvent) { s.observe(we) }

// Endpoint is the server's network endpoint.
func (s *Server) Endpoint() sim.EndpointID { return s.self }

// SeedCache puts obj into the cache as part of the initial state.
func (s *Server) SeedCache(obj api.Object) {
	s.storeInCache(obj)
	s.cacheRV = max(s.cacheRV, obj.ResourceVersion)
}

// CacheRevision is the newest revision the cache has seen.
func (s *Server) CacheRevision() int64 { return s.cacheRV }

// AttachWatch registers an already-open watch stream for res (name -1: all
// objects): the state of a cluster that was running before time started.
func (s *Server) AttachWatch(stream sim.StreamID, res api.Resource, name int32) {
	s.addWatcher(stream, res, name)
}

func (s *Server) storeInCache(obj api.Object) { s.cache[obj.Resource].Set(obj) }

func (s *Server) cached(r api.Resource, id int32) (api.Object, bool) { return s.cache[r].Get(id) }

// Handle dispatches the server's events.
func (s *Server) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindRequest:
		s.admit(ev.Data.(*api.Request))
	case kindServed:
		s.afterService(ev.Data.(*api.Request))
	case kindQueueTimeout:
		s.queueTimeout(ev.Data.(*api.Request), uint64(ev.A))
	case api.KindStorageOp:
		s.storageDone(ev.Data.(*api.StorageOp))
	case api.KindStorageCommit:
		for op := ev.Data.(*api.StorageOp); op != nil; {
			next := op.Next // storageDone may reuse op
			if op.Event != nil {
				s.observe(op.Event)
			}
			s.storageDone(op)
			op = next
		}
	case api.KindWatchEvent:
		s.observe(ev.Data.(*api.WatchEvent))
	case sim.KindStreamClosed:
		s.removeWatcher(ev.Stream)
	}
}

func poolOf(v api.Verb) int {
	if v.Mutating() {
		return 1
	}
	return 0
}

// admit gives the request a seat, a place in the queue, or a 429.
func (s *Server) admit(req *api.Request) {
	now := s.eng.Now()
	req.Arrived = now
	if req.Verb == api.Watch {
		// Long-running requests are exempt from the inflight limits.
		s.startWatch(req)
		return
	}
	p := &s.pools[poolOf(req.Verb)]
	switch {
	case p.inUse < p.limit:
		s.serve(p, req)
	case len(p.queue) < s.cfg.QueueLength:
		p.queue = append(p.queue, req)
		p.meter.Enqueue(now)
		s.eng.Schedule(sim.Event{At: now.Add(s.cfg.QueueWaitLimit), Target: s, Kind: kindQueueTimeout, A: int64(req.ID), Data: req, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	default:
		s.reject(req)
	}
}

func (s *Server) reject(req *api.Request) {
	req.Code, req.RetryAfter = api.TooManyRequests, retryAfter
	s.respond(req)
}

func (s *Server) queueTimeout(req *api.Request, id uint64) {
	p := &s.pools[poolOf(req.Verb)]
	for i, q := range p.queue {
		if q == req && q.ID == id {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			p.meter.Dequeue(s.eng.Now(), s.eng.Now().Sub(req.Arrived))
			s.reject(req)
			return
		}
	}
}

// serve gives req a seat and spends its service time. Requests answered
// from the cache finish with a kindServed event; the others call storage as
// soon as the service time is over, with no event in between.
func (s *Server) serve(p *seatPool, req *api.Request) {
	p.inUse++
	p.meter.Acquire(s.eng.Now(), 1)
	service := s.cfg.ServiceTime.Sample(s.rng)
	switch {
	case req.Verb == api.List || req.Verb == api.Get && req.FromCache:
		s.eng.Schedule(sim.Event{At: s.eng.Now().Add(service), Target: s, Kind: kindServed, Data: req, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	case req.Verb == api.Get:
		s.callStorage(service, req, api.OpRange, 0)
	case req.Verb == api.Create:
		s.callStorage(service, req, api.OpCreate, 0)
	case req.Verb == api.Update:
		s.callStorage(service, req, api.OpPut, req.ResourceVersion)
	case req.Verb == api.Patch:
		// GuaranteedUpdate: apply the patch to the cached object and write
		// with a compare on its revision; on conflict, retry on storage's copy.
		cur, _ := s.cached(req.Resource.Stored(), req.Name)
		s.callStorage(service, req, api.OpPut, max(cur.ResourceVersion, 1))
	case req.Verb == api.Delete:
		s.callStorage(service, req, api.OpDelete, req.ResourceVersion)
	}
}

// afterService answers a cache read.
func (s *Server) afterService(req *api.Request) {
	if req.Verb == api.List {
		s.listFromCache(req)
		return
	}
	obj, ok := s.cached(req.Resource.Stored(), req.Name)
	s.finishRead(req, obj, ok)
}

func (s *Server) finishRead(req *api.Request, obj api.Object, ok bool) {
	if ok {
		req.Code, req.Result = api.OK, obj
	} else {
		req.Code = api.NotFound
	}
	s.finish(req)
}

func (s *Server) listFromCache(req *api.Request) {
	res := req.Resource.Stored()
	if req.Name >= 0 {
		if obj, ok := s.cached(res, req.Name); ok {
			req.Items = append(req.Items[:0], obj)
		}
	} else {
		for id := range s.cache[res].IDs() {
			if obj, ok := s.cache[res].Get(id); ok {
				req.Items = append(req.Items, obj)
			}
		}
	}
	req.Code = api.OK
	req.Result.ResourceVersion = s.cacheRV
	s.finish(req)
}

func (s *Server) callStorage(after time.Duration, req *api.Request, kind api.StorageOpKind, expect int64) {
	var op *api.StorageOp
	if n := len(s.opPool); n > 0 {
		op = s.opPool[n-1]
		s.opPool = s.opPool[:n-1]
	} else {
		op = &api.StorageOp{}
	}
	*op = api.StorageOp{Kind: kind, Resource: req.Resource.Stored(), ID: req.Name, ExpectRevision: expect, Value: req.Object, Origin: req}
	s.sendStorage(after, op)
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
	if op.Err == api.Conflict && req.Verb == api.Patch && op.Found {
		// Retry the patch on the fresh copy storage returned.
		op.ExpectRevision, op.Err = op.Current.ResourceVersion, 0
		s.sendStorage(0, op)
		return
	}
	switch {
	case op.Err != 0:
		req.Code = op.Err
	case op.Kind == api.OpCreate:
		req.Code, req.Result = api.Created, op.Current
	default:
		req.Code, req.Result = api.OK, op.Current
	}
	op.Origin = nil
	s.opPool = append(s.opPool, op)
	s.finish(req)
}

// finish answers a served request and hands its seat to the next in queue.
func (s *Server) finish(req *api.Request) {
	s.respond(req)
	now := s.eng.Now()
	p := &s.pools[poolOf(req.Verb)]
	p.inUse--
	p.meter.Release(now, 1)
	if len(p.queue) > 0 {
		next := p.queue[0]
		p.queue = p.queue[1:]
		p.meter.Dequeue(now, now.Sub(next.Arrived))
		s.serve(p, next)
	}
}

func (s *Server) respond(req *api.Request) {
	s.duration.Get(req.Verb, req.Resource).Observe(s.eng.Now().Sub(req.Arrived))
	s.codeCounter(req.Verb, req.Resource, req.Code).Inc()
	s.net.Send(s.self, req.From, api.KindResponse, 0, 0, req)
}

// codeCounter finds the counter of (verb, resource, code): a short list per
// (verb, resource), since each sees only a few codes.
func (s *Server) codeCounter(v api.Verb, r api.Resource, c api.Code) *sim.Counter {
	list := &s.codes[r][v]
	for _, cc := range *list {
		if cc.code == c {
			return cc.ctr
		}
	}
	ctr := s.rec.Counter("apiserver_request_total", "verb", v.String(), "resource", r.String(), "code", codeString(c))
	*list = append(*list, codeCounter{c, ctr})
	return ctr
}

func codeString(c api.Code) string {
	switch c {
	case api.ClientTimeout:
		return "timeout"
	case api.ClientCancelled:
		return "cancelled"
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
