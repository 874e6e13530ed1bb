package apiserver

import (
	"errors"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// selector is what a watch asks for: a namespace (AllNamespaces: any), an
// object (-1: any), a value of the modeled label (0: any) and, for pods,
// a node (the spec.nodeName field selector, when byNode).
type selector struct {
	ns     api.NamespaceID
	name   int32
	label  uint16
	byNode bool
	node   int32
}

func selectorOf(req *api.Request) selector {
	return selector{ns: req.Namespace, name: req.Name, label: req.Label, byNode: req.ByNode, node: req.Node}
}

// matches is the watcher's filter (cacher.go filterWithAttrsFunction:
// the key's namespace prefix, then the label and field selectors).
func (sel selector) matches(o *api.Object) bool {
	return (sel.ns == api.AllNamespaces || o.Namespace == sel.ns) &&
		(sel.name < 0 || o.ID == sel.name) &&
		(sel.label == 0 || o.Label == sel.label) &&
		(!sel.byNode || nodeNameOf(o) == sel.node)
}

// nodeNameOf is a pod's spec.nodeName (objects.NoNode when unbound, or
// for an object that is not a pod).
func nodeNameOf(o *api.Object) int32 {
	if p, ok := o.Body.(*objects.Pod); ok {
		return p.NodeName
	}
	return objects.NoNode
}

// watchList says which of a resource's watcher lists holds a watcher.
type watchList uint8

const (
	listAll       watchList = iota // visited for every event of the resource
	listNamespace                  // visited for events in its namespace
	listName                       // visited for events of its object
	listNode                       // visited for events of pods on its node
)

// watcher is one open watch. Its delivery pipeline (the cacheWatcher's
// channels drained by a client of a given speed) is the watch cache's.
type watcher struct {
	stream sim.StreamID
	res    api.Resource
	sel    selector
	list   watchList
	alive  bool
	wc     *watchcache.Watcher
	// conv is the event the watcher gets for the change being dispatched
	// when it differs from the shared one: ADDED when the object starts
	// to match its selector, DELETED when it stops (nil: the shared one).
	conv *api.WatchEvent
}

// watcherIndex is the cacher's watchers of one resource (cacher.go
// indexedWatchers), as lists of indexes into Server.watchers.
//
// From Kubernetes 1.27 (kubernetes/kubernetes PR #115918, "Partition
// watchers by namespace/name scope") allWatchers is keyed by the watch's
// namespace and name, from the request's URL or its metadata.namespace and
// metadata.name field selectors, and startDispatching visits only the keys
// an event can match: {namespace, name}, {namespace}, {name} and {} —
// here byName (name-scoped, with or without a namespace), byNamespace and
// all. Before 1.27 allWatchers was one flat map visited for every event;
// only a resource's trigger index narrowed it, and of the modeled
// resources nodes had one (pkg/registry/core/node/storage:
// TriggerFunc {"metadata.name": node.NameTriggerFunc}, removed by the same
// PR), so a node watch by name stays in byName then. Label selectors are
// never indexed: the watcher's filter checks them.
//
// Pods have had a trigger index on spec.nodeName all along
// (pkg/registry/core/pod/storage: TriggerFunc {"spec.nodeName":
// NodeNameTriggerFunc}): a watch with that field selector is one of the
// cacher's valueWatchers, byNode here, visited for the events whose object
// was or is on its node.
type watcherIndex struct {
	all         []int32
	byNamespace [][]int32
	byName      [][]int32
	byNode      [][]int32
}

// watchTracker counts watches the way APF's watch tracker does
// (k8s.io/apiserver pkg/util/flowcontrol/watch_tracker.go): by resource,
// namespace and name, ignoring label selectors; a write's work estimate
// takes the watches of its resource with no namespace and name, those of
// its namespace, and those of its object.
type watchTracker struct {
	unscoped    int
	byNamespace []int32
	byName      []int32
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

	// Bookmarks: each resource's queue of watchers by the second their
	// next bookmark is due, its timer (running while the queue is not
	// empty), and the resource version of the last event its dispatch
	// loop took (cacher.go lastProcessedResourceVersion; 0: none yet).
	bookmarks   [api.NumResources]*watchcache.BookmarkQueue
	bookTimer   [api.NumResources]*sim.Timer
	lastRV      [api.NumResources]int64
	due         []*watchcache.Watcher
	bookmarkRng *sim.Rand

	terminated *sim.Counter
	expired    *sim.Counter
	bookmarked *sim.Counter
	dispatch   [api.NumResources]*dispatchCounters
}

// dispatchCounters are one resource's watch dispatch totals, shared by
// every replica.
type dispatchCounters struct {
	cpu     *sim.Counter // CPU-nanoseconds: encoding, filtering, hand-offs
	visited *sim.Counter // watchers the dispatch loop visited
	sent    *sim.Counter // events handed to watchers
}

func (wc *watchCaches) reset(now sim.Time) {
	for r := range wc.hist {
		wc.hist[r] = watchcache.NewHistory(wc.cfg)
		wc.ready[r] = false
		wc.disp[r] = watchcache.NewDispatcher(now, wc.cfg)
		wc.dispDone[r] = now
		wc.bookmarks[r] = watchcache.NewBookmarkQueue(now, wc.cfg.BookmarkFrequency)
		wc.lastRV[r] = 0
		if t := wc.bookTimer[r]; t != nil {
			t.Stop()
		}
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

// dispatchCounters returns res's counters, made on first use so that a
// run reports only resources that were watched.
func (s *Server) dispatchCounters(res api.Resource) *dispatchCounters {
	d := s.wc.dispatch[res]
	if d == nil {
		r := res.String()
		d = &dispatchCounters{
			cpu:     s.rec.Counter("apiserver_watch_dispatch_cpu_nanoseconds_total", "resource", r),
			visited: s.rec.Counter("apiserver_watch_dispatch_watchers_visited_total", "resource", r),
			sent:    s.rec.Counter("apiserver_watch_events_total", "resource", r),
		}
		s.wc.dispatch[res] = d
	}
	return d
}

const (
	kindDeliver      int32 = api.KindPrivate + 10 + iota // a slow watcher's handler takes an event
	kindCloseWatch                                       // the server ends a watch stream, A = stream
	kindBookmarkTick                                     // a resource's bookmark timer, A = resource
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
	sel := selectorOf(req)
	s.net.SendStreamAfter(delay, stream, s.self, api.KindWatchStarted, int64(req.ID), 0, nil)
	req.Code = api.OK
	req.Result.ResourceVersion = s.cacheRV
	now := s.eng.Now()
	ready := now.Add(delay)
	var initial []*api.WatchEvent
	err := s.history(res).Since(req.ResourceVersion, func(we *api.WatchEvent) {
		if sel.matches(&we.Object) {
			initial = append(initial, we)
		}
	})
	var wce *watchcache.Error
	switch {
	case errors.Is(err, watchcache.ErrInitialState):
		initial = s.currentState(res, sel)
	case errors.As(err, &wce):
		s.wc.expired.Inc()
		s.net.SendStreamAfter(delay, stream, s.self, api.KindWatchEvent, 0, 0, &api.WatchEvent{Type: api.Error, Code: wce.Code, Observed: now})
		s.net.EndStreamAfter(delay, stream, s.self)
		s.respond(req, delay)
		return
	}
	w := s.addWatcher(stream, res, sel, s.watcherSpec(req), len(initial), s.history(res).RV())
	if len(initial) == 0 {
		s.respond(req, delay)
		return
	}
	dc := s.dispatchCounters(res)
	var cpu time.Duration
	for k, we := range initial {
		work := s.cfg.Costs.encode(1, int64(we.Object.Size)) + s.cfg.Costs.WatchSendPerWatcher
		_, end := s.cpu.run(ready, work)
		cpu += work
		s.net.SendStreamAfter(max(end, w.wc.InitialAt(k)).Sub(now), stream, s.self, api.KindWatchEvent, 0, 0, we)
	}
	s.watchSent.Add(int64(len(initial)))
	dc.sent.Add(int64(len(initial)))
	dc.cpu.Add(int64(cpu))
	s.respond(req, delay)
}

// watcherSpec is the delivery pipeline req asks for, its timeout counted
// from now.
func (s *Server) watcherSpec(req *api.Request) watchcache.WatcherSpec {
	var deadline sim.Time
	if req.WatchTimeout > 0 {
		deadline = s.eng.Now().Add(req.WatchTimeout)
	}
	return watchcache.WatcherSpec{Consume: req.WatchConsume, Deadline: deadline, Bookmarks: req.AllowBookmarks}
}

// currentState is the ADDED-style events of every cached object matching
// sel that a watch from version 0 starts with.
func (s *Server) currentState(res api.Resource, sel selector) []*api.WatchEvent {
	var out []*api.WatchEvent
	now := s.eng.Now()
	s.eachSelected(res, sel, func(obj *api.Object) {
		out = append(out, &api.WatchEvent{Type: api.Added, Object: *obj, Observed: now})
	})
	return out
}

// addWatcher registers a watch of res matching sel from version rv, with
// initial catch-up events, and files it where the cacher's index would.
// The channel size follows the resource's trigger index: nodes had one on
// metadata.name until the scope index replaced it (1.27); pods have one on
// spec.nodeName in every version, which a watch by node uses.
func (s *Server) addWatcher(stream sim.StreamID, res api.Resource, sel selector, spec watchcache.WatcherSpec, initial int, rv int64) *watcher {
	idx := int32(len(s.watchers))
	now := s.eng.Now()
	nodeTrigger := res == api.Nodes && !s.cfg.WatchScopeIndex
	trigger := nodeTrigger || res == api.Pods
	spec.ID = idx
	spec.ChanSize = s.wc.hist[res].ChanSize(trigger, nodeTrigger && sel.name >= 0 || res == api.Pods && sel.byNode)
	wc := watchcache.NewWatcher(now, spec, rv, initial)
	list := listAll
	switch {
	case res == api.Pods && sel.byNode:
		list = listNode
	case sel.name >= 0 && (s.cfg.WatchScopeIndex || nodeTrigger):
		list = listName
	case sel.ns != api.AllNamespaces && s.cfg.WatchScopeIndex:
		list = listNamespace
	}
	s.watchers = append(s.watchers, watcher{stream: stream, res: res, sel: sel, list: list, alive: true, wc: wc})
	for int(stream) >= len(s.byStream) {
		s.byStream = append(s.byStream, -1)
	}
	s.byStream[stream] = idx
	ix := &s.index[res]
	switch list {
	case listAll:
		ix.all = append(ix.all, idx)
	case listNamespace:
		ix.byNamespace = appendAt(ix.byNamespace, int(sel.ns), idx)
	case listName:
		ix.byName = appendAt(ix.byName, int(sel.name), idx)
	case listNode:
		ix.byNode = appendAt(ix.byNode, int(sel.node), idx)
	}
	s.track(res, sel, 1)
	s.watchersGauge.Set(now, s.watchersGauge.Value()+1)
	if s.wc.bookmarks[res].Add(now, wc) {
		s.armBookmarks(res)
	}
	return &s.watchers[idx]
}

// appendAt appends x to lists[i], growing lists as needed.
func appendAt(lists [][]int32, i int, x int32) [][]int32 {
	for i >= len(lists) {
		lists = append(lists, nil)
	}
	lists[i] = append(lists[i], x)
	return lists
}

// track adds d to the watch tracker's count for sel's scope. A pod watch
// with a spec.nodeName selector is not counted: the tracker counts only
// the watchers of an indexed field's empty value, as a stand-in for those
// of the written object's (watch_tracker.go updateIndexLocked).
func (s *Server) track(res api.Resource, sel selector, d int32) {
	t := &s.tracker[res]
	switch {
	case res == api.Pods && sel.byNode:
	case sel.name >= 0:
		for int(sel.name) >= len(t.byName) {
			t.byName = append(t.byName, 0)
		}
		t.byName[sel.name] += d
	case sel.ns != api.AllNamespaces:
		for int(sel.ns) >= len(t.byNamespace) {
			t.byNamespace = append(t.byNamespace, 0)
		}
		t.byNamespace[sel.ns] += d
	default:
		t.unscoped += int(d)
	}
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
	ix := &s.index[w.res]
	switch w.list {
	case listAll:
		ix.all = without(ix.all, i)
	case listNamespace:
		ix.byNamespace[w.sel.ns] = without(ix.byNamespace[w.sel.ns], i)
	case listName:
		ix.byName[w.sel.name] = without(ix.byName[w.sel.name], i)
	case listNode:
		ix.byNode[w.sel.node] = without(ix.byNode[w.sel.node], i)
	}
	s.track(w.res, w.sel, -1)
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

// watcherCount is how many watchers a change of object name of res, in
// namespace ns, goes to as APF's mutating work estimator sees it (the watch
// tracker's count, see watchTracker).
func (s *Server) watcherCount(res api.Resource, ns api.NamespaceID, name int32) int {
	t := &s.tracker[res]
	n := t.unscoped
	if ns != api.AllNamespaces && int(ns) < len(t.byNamespace) {
		n += int(t.byNamespace[ns])
	}
	if name >= 0 && int(name) < len(t.byName) {
		n += int(t.byName[name])
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

// SetWatchConsume changes how long the client of the watch on stream takes
// per event, for the events dispatched from now on (a client that slows
// down or recovers). It reports whether the stream is a watch here.
func (s *Server) SetWatchConsume(stream sim.StreamID, d time.Duration) bool {
	if int(stream) >= len(s.byStream) || s.byStream[stream] < 0 {
		return false
	}
	s.watchers[s.byStream[stream]].wc.SetConsume(d)
	return true
}

// visit collects into s.wc.buf the watchers of we's change that want it,
// in the cacher's order, and returns how many watchers the dispatch loop
// visited (wanting it or not). prev is the object's previous version (nil
// if it had none). A watcher wants the change if the object matches its
// selector before or after it; one that sees the object start or stop
// matching gets it as ADDED or DELETED (cache_watcher.go
// convertToWatchEvent), in its conv.
func (s *Server) visit(we *api.WatchEvent, prev *api.Object) (visited int) {
	obj := &we.Object
	ix := &s.index[obj.Resource]
	ws := s.wc.buf[:0]
	scan := func(list []int32) {
		visited += len(list)
		for _, i := range list {
			w := &s.watchers[i]
			w.conv = nil
			cur := we.Type != api.Deleted && w.sel.matches(obj)
			old := prev != nil && w.sel.matches(prev)
			switch {
			case cur && old:
			case cur:
				if we.Type != api.Added {
					w.conv = &api.WatchEvent{Type: api.Added, Object: *obj, Observed: we.Observed}
				}
			case old:
				if we.Type != api.Deleted {
					del := *prev
					del.ResourceVersion = obj.ResourceVersion
					w.conv = &api.WatchEvent{Type: api.Deleted, Object: del, Observed: we.Observed}
				}
			default:
				continue
			}
			ws = append(ws, w.wc)
		}
	}
	if int(obj.ID) < len(ix.byName) {
		scan(ix.byName[obj.ID])
	}
	if obj.Namespace != api.AllNamespaces && int(obj.Namespace) < len(ix.byNamespace) {
		scan(ix.byNamespace[obj.Namespace])
	}
	scan(ix.all)
	if len(ix.byNode) > 0 {
		// The trigger values of the object and of its previous version
		// (cacher.go triggerValuesThreadUnsafe).
		node, was := nodeNameOf(obj), objects.NoNode
		if prev != nil {
			was = nodeNameOf(prev)
		}
		if node >= 0 && int(node) < len(ix.byNode) {
			scan(ix.byNode[node])
		}
		if was != node && was >= 0 && int(was) < len(ix.byNode) {
			scan(ix.byNode[was])
		}
	}
	s.wc.buf = ws
	return visited
}

// observe applies a change from storage to the cache, records it in the
// resource's history and dispatches it: the dispatch loop visits the
// watchers the cacher's index gives for it, each visited watcher's filter
// runs (WatchFilterPerWatcher, in its own goroutine, so spread over the
// cores), the event is encoded once if any watcher wants it, and handed to
// each matching watcher (WatchSendPerWatcher) by the resource's dispatch
// loop, which waits for full watchers within its time budget and
// terminates those that stay full. The CPU time is computed on the
// replica's cores; no engine event marks it.
func (s *Server) observe(we *api.WatchEvent) {
	obj := &we.Object
	r := obj.Resource
	now := s.eng.Now()
	we.Observed = now
	if !s.wc.relisting {
		s.history(r).Add(now, we)
		s.wc.lastRV[r] = obj.ResourceVersion
	}
	s.cacheRV = max(s.cacheRV, obj.ResourceVersion)
	var prev *api.Object
	if old, ok := s.cached(r, obj.ID); ok {
		prev = &old
	}
	if we.Type == api.Deleted {
		s.deleteFromCache(r, obj.ID)
	} else {
		s.storeInCache(*obj)
	}
	visited := s.visit(we, prev)
	if visited == 0 {
		return
	}
	c := &s.cfg.Costs
	dc := s.dispatchCounters(r)
	dc.visited.Add(int64(visited))
	cpu := time.Duration(visited) * c.WatchFilterPerWatcher
	ready := s.cpu.spread(now, visited, c.WatchFilterPerWatcher)
	ws := s.wc.buf
	if len(ws) == 0 {
		dc.cpu.Add(int64(cpu))
		return
	}
	enc := c.encode(1, int64(obj.Size))
	_, encoded := s.cpu.run(now, enc)
	cpu += enc
	ready = max(ready, encoded)
	sent := 0
	res := s.wc.disp[r].Dispatch(max(now, s.wc.dispDone[r]), obj.ResourceVersion, ws, func(w *watchcache.Watcher, at sim.Time) {
		_, end := s.cpu.run(ready, c.WatchSendPerWatcher)
		sent++
		ev := we
		if c := s.watchers[w.ID].conv; c != nil {
			ev = c
		}
		s.deliver(w, ev, max(at, end))
	})
	cpu += time.Duration(sent) * c.WatchSendPerWatcher
	s.watchSent.Add(int64(sent))
	dc.sent.Add(int64(sent))
	dc.cpu.Add(int64(cpu))
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

// armBookmarks starts res's bookmark timer if it is not running: the
// dispatch loop's timer of wait.Jitter(1s, 0.25) (cacher.go
// dispatchEvents). Upstream it ticks for as long as the cacher lives; here
// it runs only while some watcher waits for a bookmark, which changes
// nothing but the engine's work.
func (s *Server) armBookmarks(res api.Resource) {
	t := s.wc.bookTimer[res]
	if t == nil {
		t = s.eng.NewTimer(s, kindBookmarkTick)
		t.SetArg(int64(res))
		s.wc.bookTimer[res] = t
	}
	if !t.Active() {
		t.Reset(watchcache.BookmarkTickPeriod(s.wc.cfg, s.wc.bookmarkRng))
	}
}

// bookmarkTick is one tick of res's bookmark timer (cacher.go
// dispatchEvents, bookmarkTimer case): the watchers whose bookmark is due
// get one at the resource version of the last event the dispatch loop took
// — none before it took any — by non-blocking adds, and are queued for
// their next one.
func (s *Server) bookmarkTick(res api.Resource) {
	if !s.up {
		return
	}
	now := s.eng.Now()
	q := s.wc.bookmarks[res]
	due := q.PopDue(now, s.wc.due[:0])
	if rv := s.wc.lastRV[res]; rv != 0 && len(due) > 0 {
		we := &api.WatchEvent{Type: api.Bookmark, Object: api.Object{Resource: res, ResourceVersion: rv}, Observed: now}
		c := &s.cfg.Costs
		enc := c.encode(1, 0)
		_, encoded := s.cpu.run(now, enc)
		sent := s.wc.disp[res].DispatchBookmark(max(now, s.wc.dispDone[res]), rv, due, func(w *watchcache.Watcher, at sim.Time) {
			_, end := s.cpu.run(encoded, c.WatchSendPerWatcher)
			s.deliver(w, we, max(at, end))
		})
		s.wc.bookmarked.Add(int64(sent))
		s.dispatchCounters(res).cpu.Add(int64(enc + time.Duration(sent)*c.WatchSendPerWatcher))
	}
	for _, w := range due {
		q.Add(now, w)
	}
	clear(due)
	s.wc.due = due[:0]
	if q.Len() > 0 {
		s.armBookmarks(res)
	}
}
