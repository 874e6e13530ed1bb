package workload

import (
	"strconv"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// WatcherSpec is one watcher: what it watches and how fast it reads.
type WatcherSpec struct {
	Resource  api.Resource
	Namespace api.NamespaceID // api.AllNamespaces: every namespace
	Name      int32           // an object ID (field selector metadata.name), or -1
	Label     uint16          // a label value to select (0: no label selector)
	// ReadTime is how long the watcher takes to read one event off its
	// connection (0: as fast as they come).
	ReadTime time.Duration
}

// WatcherGroup is a set of watch clients with shared counters, labelled
// group=<Name>: lists and relists (reflector_lists_total,
// reflector_relists_total), watches answered 410 Gone
// (watcher_too_old_total), watch events received
// (watcher_events_received_total), and the lag of each event received —
// its receive time minus when the API server's cache took the change — as
// the gauge watcher_lag_seconds, whose peak is the worst lag of any of the
// group's watchers.
type WatcherGroup struct {
	Name     string
	Watchers []*Watcher

	eng               *sim.Engine
	net               *sim.Network
	rec               *sim.Recorder
	sh                *client.Shared
	server            sim.EndpointID
	clientCfg         client.Config
	rng               *sim.Rand
	lists, relists    *sim.Counter
	expired, received *sim.Counter
	lag               *sim.Gauge
}

// NewWatcherGroup returns an empty group whose watchers' clients use cfg
// and send to server (or through cfg's balancer).
func NewWatcherGroup(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, name string, cfg client.Config) *WatcherGroup {
	return &WatcherGroup{
		Name: name, eng: eng, net: net, rec: rec, sh: sh, server: server, clientCfg: cfg,
		rng:      eng.Rand("watchers/" + name),
		lists:    rec.Counter("reflector_lists_total", "group", name),
		relists:  rec.Counter("reflector_relists_total", "group", name),
		expired:  rec.Counter("watcher_too_old_total", "group", name),
		received: rec.Counter("watcher_events_received_total", "group", name),
		lag:      rec.Gauge("watcher_lag_seconds", "group", name),
	}
}

// Watcher is one watch client: a reflector on its own client and
// connection, endpoint "watcher/<group>-<i>", whose store only counts.
type Watcher struct {
	g    *WatcherGroup
	spec WatcherSpec
	c    *client.Client
	r    *client.Reflector
}

// Add makes the group's next watcher, stopped.
func (g *WatcherGroup) Add(spec WatcherSpec) *Watcher {
	w := &Watcher{g: g, spec: spec}
	self := g.net.AddEndpoint("watcher/"+g.Name+"-"+strconv.Itoa(len(g.Watchers)), w)
	w.c = client.New(g.eng, g.net, g.sh, self, g.server, g.clientCfg)
	w.r = client.NewReflector(w.c, g.net, g.rng, g.rec, spec.Resource, spec.Name, w)
	w.r.Namespace, w.r.Label, w.r.Consume = spec.Namespace, spec.Label, spec.ReadTime
	w.r.Relists, w.r.Relisted, w.r.Expired = g.lists, g.relists, g.expired
	g.Watchers = append(g.Watchers, w)
	return w
}

// Spec is what the watcher watches.
func (w *Watcher) Spec() WatcherSpec { return w.spec }

// Endpoint is the watcher's network endpoint.
func (w *Watcher) Endpoint() sim.EndpointID { return w.c.Endpoint() }

// Connect makes sure the watcher's client has a connection and returns
// the API server replica it goes to.
func (w *Watcher) Connect() sim.EndpointID { return w.c.Connect() }

// Start lists, then watches.
func (w *Watcher) Start() { w.r.Start() }

// StartRunning begins synced, watching from resource version rv on an
// open stream; it returns the watch's timeout, which the API server's side
// of the watch should be given.
func (w *Watcher) StartRunning(rv int64, stream sim.StreamID) time.Duration {
	return w.r.StartWatching(rv, stream)
}

// Stream is the watcher's open watch stream (sim.NoStream: none).
func (w *Watcher) Stream() sim.StreamID { return w.r.Stream() }

// SetReadTime changes how long the watcher takes per event, for its next
// watches; the API server's side of the running watch is told apart.
func (w *Watcher) SetReadTime(d time.Duration) { w.r.Consume = d }

// Handle passes responses to the client and stream messages to the
// reflector.
func (w *Watcher) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		w.r.HandleStream(ev)
	}
}

// Replace is the reflector's list (client.Store): nothing to keep.
func (w *Watcher) Replace([]api.Object) {}

// Apply is a watch event (client.Store): counted, and its lag recorded.
func (w *Watcher) Apply(ev *api.WatchEvent) {
	now := w.g.eng.Now()
	w.g.received.Inc()
	w.g.lag.Set(now, now.Sub(ev.Observed).Seconds())
}
