package apiserver

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// startWatch opens a stream to the watcher, registers it, and after delay
// (the request's CPU work) announces the stream (KindWatchStarted carries
// the request ID), catches the watcher up on objects changed since its
// resource version, and answers 200.
func (s *Server) startWatch(req *api.Request, delay time.Duration) {
	stream := s.net.OpenStream(req.From, s.self)
	res := req.Resource.Stored()
	s.addWatcher(stream, res, req.Name)
	s.net.SendStreamAfter(delay, stream, s.self, api.KindWatchStarted, int64(req.ID), 0, nil)
	s.catchUp(stream, res, req.Name, req.ResourceVersion, s.eng.Now().Add(delay))
	req.Code = api.OK
	req.Result.ResourceVersion = s.cacheRV
	s.respond(req, delay)
}

// catchUp sends the watcher every object changed since its resource
// version, each encoded for it (initial events are not shared).
func (s *Server) catchUp(stream sim.StreamID, res api.Resource, name int32, since int64, ready sim.Time) {
	send := func(obj api.Object) {
		if obj.ResourceVersion > since {
			_, end := s.cpu.run(ready, s.cfg.Costs.encode(1, int64(obj.Size))+s.cfg.Costs.WatchSendPerWatcher)
			s.watchSent.Inc()
			s.net.SendStreamAfter(end.Sub(s.eng.Now()), stream, s.self, api.KindWatchEvent, 0, 0, &api.WatchEvent{Type: api.Modified, Object: obj})
		}
	}
	if name >= 0 {
		if obj, ok := s.cached(res, name); ok {
			send(obj)
		}
		return
	}
	for id := range s.cache[res].IDs() {
		if obj, ok := s.cache[res].Get(id); ok {
			send(obj)
		}
	}
}

func (s *Server) addWatcher(stream sim.StreamID, res api.Resource, name int32) {
	idx := int32(len(s.watchers))
	s.watchers = append(s.watchers, watcher{stream: stream, res: res, name: name, alive: true})
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
	s.watchersGauge.Set(s.eng.Now(), s.watchersGauge.Value()+1)
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

// observe applies a change from storage to the cache and dispatches it to
// every matching watcher. The event is shared, not copied: encoded once
// (CPU), then handed to each watcher (CPU per watcher); each watcher gets
// it when its hand-off is done.
func (s *Server) observe(we *api.WatchEvent) {
	obj := we.Object
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
	for _, w := range s.all[obj.Resource] {
		s.dispatch(w, we, encoded)
	}
	if int(obj.ID) < len(s.byName[obj.Resource]) {
		for _, w := range s.byName[obj.Resource][obj.ID] {
			s.dispatch(w, we, encoded)
		}
	}
}

func (s *Server) dispatch(w int32, we *api.WatchEvent, ready sim.Time) {
	_, end := s.cpu.run(ready, s.cfg.Costs.WatchSendPerWatcher)
	s.watchSent.Inc()
	s.net.SendStreamAfter(end.Sub(s.eng.Now()), s.watchers[w].stream, s.self, api.KindWatchEvent, 0, 0, we)
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
