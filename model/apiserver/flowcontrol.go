package apiserver

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/sim"
)

// retryAfter is the Retry-After of a 429 from the max-inflight filter
// (k8s.io/apiserver/pkg/server/filters/maxinflight.go: "Retry-After: 1").
const retryAfter = time.Second

// inflight is a request the server holds, from arrival to response.
type inflight struct {
	req *api.Request
	// fc is APF's view of it. A request in its final phase still holds
	// seats after the slot is released, so a slot whose last request is in
	// its final phase gets a fresh one.
	fc     *apf.Request
	pool   int8 // max-inflight pool, or -1 for none (APF, or exempt)
	queued bool // waiting in an APF queue
	slot   int32
	free   bool
}

// seatPool is one of the max-inflight filter's two limits.
type seatPool struct {
	limit int
	inUse int
	meter *sim.ResourceMeter
}

// levelMeter follows one priority level's seats and queue for the report.
type levelMeter struct {
	meter *sim.ResourceMeter
	seats int
}

// alloc gives req an in-flight slot.
func (s *Server) alloc(req *api.Request) *inflight {
	var i int32
	if n := len(s.freeSlots); n > 0 {
		i = s.freeSlots[n-1]
		s.freeSlots = s.freeSlots[:n-1]
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, &inflight{})
	}
	inf := s.slots[i]
	inf.req, inf.pool, inf.queued, inf.slot, inf.free = req, -1, false, i, false
	if inf.fc == nil || inf.fc.State == apf.StateFinalPhase {
		inf.fc = &apf.Request{}
	}
	*inf.fc = apf.Request{Handle: inf}
	req.Slot = i
	return inf
}

func (s *Server) release(inf *inflight) {
	inf.req, inf.free = nil, true
	s.freeSlots = append(s.freeSlots, inf.slot)
}

// admit passes the request through flow control: APF when it is on, else
// the max-inflight filter.
func (s *Server) admit(req *api.Request) {
	inf := s.alloc(req)
	if s.fc == nil {
		s.admitMaxInflight(inf)
		return
	}
	s.admitAPF(inf)
}

// admitMaxInflight is filters/maxinflight.go: long-running requests
// (watches) are not limited; the others take a seat in the read-only or
// the mutating pool, or get 429 at once — the filter has no queue.
func (s *Server) admitMaxInflight(inf *inflight) {
	req := inf.req
	if req.Verb == api.Watch {
		s.execute(inf)
		return
	}
	pi := 0
	if req.Verb.Mutating() {
		pi = 1
	}
	p := &s.pools[pi]
	if p.inUse >= p.limit {
		s.reject(inf, retryAfter)
		return
	}
	p.inUse++
	p.meter.Acquire(s.eng.Now(), 1)
	inf.pool = int8(pi)
	s.execute(inf)
}

// classify finds the request's flow, cached per (verb, resource,
// principal): Classify is a pure function of those. The table is laid out
// by verb and resource first, so the entries of one kind of call (every
// kubelet's lease update) lie together, 32 bytes each: keyed by principal
// first, one hot call's entries were 1 KiB apart and each classify was a
// cache miss (a twentieth of the API server's time in nodes-5000).
func (s *Server) classify(req *api.Request) apf.Classification {
	t := &s.classes[int(req.Verb)*int(api.NumResources)+int(req.Resource)]
	if int(req.Principal) >= len(*t) {
		n := max(int(req.Principal)+1, s.cfg.Principals.Len())
		*t = append(*t, make([]classEntry, n-len(*t))...)
	}
	e := &(*t)[req.Principal]
	if !e.ok {
		p := s.cfg.Principals.Get(req.Principal)
		c := s.fc.Classify(apf.Describe(p.Identity, req.Verb, req.Resource, p.Namespace))
		*e = classEntry{level: c.Level, schema: c.Schema, ok: true, dist: c.Distinguisher, hash: c.Hash}
	}
	return apf.Classification{Level: e.level, Schema: e.schema, Distinguisher: e.dist, Hash: e.hash}
}

// classEntry is a cached apf.Classification, with its validity in what
// would be padding.
type classEntry struct {
	level  apf.LevelID
	schema apf.SchemaID
	ok     bool
	dist   string
	hash   uint64
}

func (s *Server) admitAPF(inf *inflight) {
	req := inf.req
	cl := s.classify(req)
	inf.fc.Class = cl
	switch {
	case req.Verb == api.List || req.Verb == api.Watch:
		inf.fc.Work = s.fc.EstimateList(cl.Level, apf.ListShape{
			Stored:     int64(s.cacheCount[req.Resource.Stored()]),
			SingleName: req.Name >= 0,
			FromCache:  req.FromCache,
			Watch:      req.Verb == api.Watch,
		})
	case req.Verb.Mutating():
		inf.fc.Work = s.fc.EstimateMutating(cl.Level, s.watcherCount(req.Resource.Stored(), writeNamespace(req), nameInURL(req)))
	default:
		inf.fc.Work = s.fc.EstimateGet()
	}
	now := s.eng.Now()
	d := s.fc.Admit(now, inf.fc)
	switch d.Outcome {
	case apf.Rejected:
		s.syncLevel(cl.Level)
		s.reject(inf, d.RetryAfter)
		return
	case apf.Queued:
		inf.queued = true
		s.levels[cl.Level].meter.Enqueue(now)
	}
	s.startAll(d.Started)
}

// startAll executes the requests APF dispatched. The list is APF's and
// valid only until its next call, which executing may make.
func (s *Server) startAll(started []*apf.Request) {
	if len(started) == 0 {
		s.armWakeup()
		return
	}
	batch := append(s.startBuf[:0], started...)
	s.startBuf = batch[:0]
	now := s.eng.Now()
	for _, r := range batch {
		if inf := r.Handle.(*inflight); inf.queued {
			inf.queued = false
			s.levels[r.Class.Level].meter.Dequeue(now, now.Sub(r.Arrived))
		}
		s.syncLevel(r.Class.Level)
	}
	for _, r := range batch {
		s.execute(r.Handle.(*inflight))
	}
	s.armWakeup()
}

// syncLevel brings the level's seat meter to APF's count.
func (s *Server) syncLevel(id apf.LevelID) {
	lm := &s.levels[id]
	seats := s.fc.Status(id).SeatsInUse
	now := s.eng.Now()
	switch {
	case seats > lm.seats:
		lm.meter.Acquire(now, seats-lm.seats)
	case seats < lm.seats:
		lm.meter.Release(now, lm.seats-seats)
	}
	lm.seats = seats
}

func (s *Server) armWakeup() {
	if t, ok := s.fc.NextWakeup(); ok {
		if !s.wakeup.Active() || s.wakeup.When() != t {
			s.wakeup.ResetAt(t)
		}
		return
	}
	s.wakeup.Stop()
}

// apfWakeup rejects the requests whose wait ran out and ends final phases.
func (s *Server) apfWakeup() {
	now := s.eng.Now()
	// Both lists stay valid until the next APF call: syncLevel and reject
	// make none, and startAll copies started before executing.
	expired, started := s.fc.Advance(now)
	for i := range s.levels {
		s.syncLevel(apf.LevelID(i))
	}
	for _, r := range expired {
		inf := r.Handle.(*inflight)
		inf.queued = false
		s.levels[r.Class.Level].meter.Dequeue(now, now.Sub(r.Arrived))
		s.reject(inf, r.RetryAfter)
	}
	s.startAll(started)
}

// finishExecution ends the request's hold on flow control.
func (s *Server) finishExecution(inf *inflight) {
	now := s.eng.Now()
	switch {
	case s.fc != nil && inf.fc.State == apf.StateExecuting:
		started := s.fc.Finish(now, inf.fc)
		s.syncLevel(inf.fc.Class.Level)
		s.startAll(started)
	case inf.pool >= 0:
		p := &s.pools[inf.pool]
		p.inUse--
		p.meter.Release(now, 1)
		inf.pool = -1
	}
}

func (s *Server) reject(inf *inflight, after time.Duration) {
	req := inf.req
	req.Code, req.RetryAfter = api.TooManyRequests, after
	s.respond(req, 0)
	s.release(inf)
}

// nameInURL is the object name APF's watch tracker sees in a write's
// RequestInfo: none for a create (a POST to the collection), so watches of
// the new object by name are not counted (watch_tracker.go
// GetInterestedWatchCount); a subresource's create (a binding) has its
// parent's name.
func nameInURL(req *api.Request) int32 {
	if req.Verb == api.Create && req.Resource == req.Resource.Stored() {
		return -1
	}
	return req.Name
}
