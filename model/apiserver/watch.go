package apiserver

import (
	"errors"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/sim"
)

// watcher is one open watch. Its delivery pipeline (the cacheWatcher's
// channels drained by a client of a given speed) is the watch cache's.
type watcher struct {
	stream sim.StreamID
	res    api.Resource
	name   int32
	alive  bool
	wc     *watchcache.Watcher
}

// watchCaches are the cacher's per-resource state: the event history that
// watches resume from, and the dispatch loop with its time budget.
type watchCaches struct {
	cfg      watchcache.Config
	hist     [api.NumResources]*watchcache.History
	ready    [api.NumResources]bool // History.Replace done
	disp     [api.NumResources]*watchcache.Dispatcher
	dispDone [api.NumResources]sim.Time // the dispatch loop is free from then on
	buf      []*watchcache.Watcher
	// relisting: the cache is being refilled by a relist, whose objects
	// are not history events.
	relisting bool

	terminated *sim.Counter
	expired    *sim.Counter
}

func (wc *watchCaches) reset(now sim.Time) {
	for r := range wc.hist {
		wc.hist[r] = watchcache.NewHistory(wc.cfg)
		wc.ready[r] = false
		wc.disp[r] = watchcache.NewDispatcher(now, wc.cfg)
		wc.dispDone[r] = now
	}
}

// history is res's history, started at the cache's current version the
// first time it is needed (the version of the cache's initial list).
func (s *Server) history(res api.Resource) *watchcache.History {
	h := s.wc.hist[res]
	if !s.wc.ready[res] {
		h.Replace(s.eng.Now(), s.cacheRV)
		s.wc.ready[res] = true
	}
	return h
}

const (
	kindDeliver    int32 = api.KindPrivate + 10 + iota // a slow watcher's handler takes an event
	kindCloseWatch                                     // the server ends a watch stream, A = stream
)

// closeWatchAfter ends the stream after d, from the server's side.
func (s *Server) closeWatchAfter(d time.Duration, stream sim.StreamID) {
	s.eng.Schedule(sim.Event{At: s.eng.Now().Add(d), Target: s, Kind: kindCloseWatch, A: int64(stream), B: int64(s.epoch), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func (s *Server) closeWatchNow(ev *sim.Event) {
	if !s.up || int32(ev.B) != s.epoch {
		return
	}
	stream := sim.StreamID(ev.A)
	s.net.EndStreamAfter(0, stream, s.self) // after what the handler already wrote
	s.removeWatcher(stream)
}

// startWatch registers the watch and, after delay (the request's CPU
// work), announces the stream (KindWatchStarted carries the request ID),
// sends the catch-up events and answers 200. A watch from resource
// version 0 gets the current objects; one from a version the history no
// longer covers gets one ERROR event (410 Gone) and the stream closes, as
// cacher.go newErrWatcher.
func (s *Server) startWatch(req *api.Request, delay time.Duration) {
	stream := s.net.OpenStream(req.From, s.self)
	res := req.Resource.Stored()
	s.net.SendStreamAfter(delay, stream, s.self, api.KindWatchStarted, int64(req.ID), 0, nil)
	req.Code = api.OK
	req.Result.ResourceVersion = s.cacheRV
	ready := s.eng.Now().Add(delay)
	var initial []*api.WatchEvent
	err := s.history(res).Since(req.ResourceVersion, func(we *api.WatchEvent) {
		if req.Name < 0 || we.Object.ID == req.Name {
			initial = append(initial, we)
		}
	})
	var wce *watchcache.Error
	switch {
	case errors.Is(err, watchcache.ErrInitialState):
		initial = s.currentState(res, req.Name)
	case errors.As(err, &wce):
		s.wc.expired.Inc()
		s.net.SendStreamAfter(delay, stream, s.self, api.KindWatchEvent, 0, 0, &api.WatchEvent{Type: api.Error, Code: wce.Code})
		s.net.EndStreamAfter(delay, stream, s.self)
		s.respond(req, delay)
		return
	}
	w := s.addWatcher(stream, res, req.Name, req.WatchConsume, len(initial), s.history(res).RV())
	for k, we := range initial {
		_, end := s.cpu.run(ready, s.cfg.Costs.encode(1, int64(we.Object.Size))+s.cfg.Costs.WatchSendPerWatcher)
		s.watchSent.Inc()
		s.net.SendStreamAfter(max(end, w.wc.InitialAt(k)).Sub(s.eng.Now()), stream, s.self, api.KindWatchEvent, 0, 0, we)
	}
	s.respond(req, delay)
}

// currentState is the ADDED-style events of every cached object a watch
// from version 0 starts with.
func (s *Server) currentState(res api.Resource, name int32) []*api.WatchEvent {
	var out []*api.WatchEvent
	add := func(obj api.Object) { out = append(out, &api.WatchEvent{Type: api.Added, Object: obj}) }
	if name >= 0 {
		if obj, ok := s.cached(res, name); ok {
			add(obj)
		}
		return out
	}
	for id := range s.cache[res].IDs() {
		if obj, ok := s.cache[res].Get(id); ok {
			add(obj)
		}
	}
	return out
}

// addWatcher registers a watch from version rv whose client reads an
// event per consume, with initial catch-up events. Resources here have no
// trigger index (the pods' spec.nodeName is the upstream one), so the
// channel size is the no-index one.
func (s *Server) addWatcher(stream sim.StreamID, res api.Resource, name int32, consume time.Duration, initial int, rv int64) *watcher {
	idx := int32(len(s.watchers))
	now := s.eng.Now()
	wc := watchcache.NewWatcher(now, watchcache.WatcherSpec{ID: idx, ChanSize: s.wc.hist[res].ChanSize(false, false), Consume: consume}, rv, initial)
	s.watchers = append(s.watchers, watcher{stream: stream, res: res, name: name, alive: true, wc: wc})
	for int(stream) >= len(s.byStream) {
		s.byStream = append(s.byStream, -1)
	}
	s.byStream[stream] = idx
	if name < 0 {
		s.all[res] = append(s.all[res], idx)
	} else {
		for int(name) >= len(s.byName[res]) {
			s.byName[res] = append(s.byName[res], nil)
		}
		s.byName[res][name] = append(s.byName[res][name], idx)
	}
	s.watchersGauge.Set(now, s.watchersGauge.Value()+1)
	return &s.watchers[idx]
}

// removeWatcher forgets the watcher on a closed stream.
func (s *Server) removeWatcher(stream sim.StreamID) {
	if int(stream) >= len(s.byStream) || s.byStream[stream] < 0 {
		return // not a watch stream (the storage subscription), or gone already
	}
	i := s.byStream[stream]
	s.byStream[stream] = -1
	w := &s.watchers[i]
	w.alive = false
	w.wc.Close(s.eng.Now())
	if w.name < 0 {
		s.all[w.res] = without(s.all[w.res], i)
	} else {
		s.byName[w.res][w.name] = without(s.byName[w.res][w.name], i)
	}
	s.watchersGauge.Set(s.eng.Now(), s.watchersGauge.Value()-1)
}

func without(list []int32, x int32) []int32 {
	for i, v := range list {
		if v == x {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// watcherCount is how many watchers a change of (res, name) goes to: the
// figure APF's mutating work estimator takes from the watch tracker.
func (s *Server) watcherCount(res api.Resource, name int32) int {
	n := len(s.all[res])
	if name >= 0 && int(name) < len(s.byName[res]) {
		n += len(s.byName[res][name])
	}
	return n
}

// Watchers is the number of open watches on the replica.
func (s *Server) Watchers() int {
	n := 0
	for i := range s.watchers {
		if s.watchers[i].alive {
			n++
		}
	}
	return n
}

// observe applies a change from storage to the cache, records it in the
// resource's history and dispatches it to every matching watcher: encoded
// once (CPU), handed to each watcher (CPU per watcher) by the resource's
// dispatch loop, which waits for full watchers within its time budget and
// terminates those that stay full.
func (s *Server) observe(we *api.WatchEvent) {
	obj := we.Object
	if !s.wc.relisting {
		s.history(obj.Resource).Add(s.eng.Now(), we)
	}
	s.cacheRV = max(s.cacheRV, obj.ResourceVersion)
	if we.Type == api.Deleted {
		s.deleteFromCache(obj.Resource, obj.ID)
	} else {
		s.storeInCache(obj)
	}
	if s.watcherCount(obj.Resource, obj.ID) == 0 {
		return
	}
	now := s.eng.Now()
	_, encoded := s.cpu.run(now, s.cfg.Costs.encode(1, int64(obj.Size)))
	ws := s.wc.buf[:0]
	if int(obj.ID) < len(s.byName[obj.Resource]) {
		for _, w := range s.byName[obj.Resource][obj.ID] {
			ws = append(ws, s.watchers[w].wc)
		}
	}
	for _, w := range s.all[obj.Resource] {
		ws = append(ws, s.watchers[w].wc)
	}
	s.wc.buf = ws
	r := obj.Resource
	res := s.wc.disp[r].Dispatch(max(now, s.wc.dispDone[r]), obj.ResourceVersion, ws, func(w *watchcache.Watcher, at sim.Time) {
		_, end := s.cpu.run(encoded, s.cfg.Costs.WatchSendPerWatcher)
		s.watchSent.Inc()
		s.deliver(w, we, max(at, end))
	})
	s.wc.dispDone[r] = res.Done
	if res.Terminated > 0 {
		for _, w := range s.wc.disp[r].Terminated() {
			s.wc.terminated.Inc()
			wt := &s.watchers[w.ID]
			s.rec.Note(now, s.name, "forcing "+r.String()+" watcher close due to unresponsiveness")
			s.closeWatchAfter(w.EndsAt().Sub(now), wt.stream)
		}
	}
}

// deliver sends we to the watcher's client when its handler takes it. A
// client that keeps up gets it straight away; a slow one's event waits in
// a server event, since the watcher may be terminated meanwhile and then
// drops what was behind its result channel.
func (s *Server) deliver(w *watchcache.Watcher, we *api.WatchEvent, at sim.Time) {
	wt := &s.watchers[w.ID]
	if w.Consume() == 0 {
		s.net.SendStreamAfter(at.Sub(s.eng.Now()), wt.stream, s.self, api.KindWatchEvent, 0, 0, we)
		return
	}
	s.eng.Schedule(sim.Event{At: at, Target: s, Kind: kindDeliver, A: int64(w.ID), B: int64(s.epoch), Data: we, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func (s *Server) deliverNow(ev *sim.Event) {
	if !s.up || int32(ev.B) != s.epoch {
		return
	}
	wt := &s.watchers[ev.A]
	if wt.alive && wt.wc.Delivers(s.eng.Now()) {
		s.net.SendStream(wt.stream, s.self, api.KindWatchEvent, 0, 0, ev.Data.(*api.WatchEvent))
	}
}
