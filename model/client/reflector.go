package client

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// Store is an informer's local cache: the reflector replaces it with a
// list's items and applies each watch event to it.
type Store interface {
	Replace(items []api.Object)
	Apply(ev *api.WatchEvent)
}

// minWatchTimeout is the reflector's minimum watch timeout; each watch asks
// for rand[1,2) × 5 minutes (k8s.io/client-go/tools/cache/reflector.go,
// defaultMinWatchTimeout).
const minWatchTimeout = 5 * time.Minute

const (
	kindRelist int32 = api.KindPrivate + 10 + iota
	kindWatchTimeout
)

// Reflector keeps a Store in step with the API server: list, then watch
// from the list's resource version; re-watch when a watch times out; after a
// failed list or a broken watch, back off and relist.
type Reflector struct {
	c        *Client
	net      *sim.Network
	rng      *sim.Rand
	resource api.Resource
	name     int32 // field selector metadata.name, or -1
	store    Store

	running   bool
	synced    bool
	wasSynced bool // synced at some point: the next list is a relist
	unwatched bool // counted in the shared reflectors_without_watch gauge
	lastRV    int64
	stream    sim.StreamID
	// watchPending is the watch request still with the client (nil once
	// answered); watchReq is its ID when it was answered. The client gives
	// a request a new ID for each retry after a 429, so the current ID is
	// read from the request while it is pending.
	watchPending *api.Request
	watchReq     uint64
	backoff      Backoff
	relistTimer  *sim.Timer
	watchTimeout *sim.Timer

	Relists *sim.Counter
	// Relisted counts the lists after the first: a list by a reflector
	// whose store had been synced before (after a broken watch, a 410 or a
	// restart).
	Relisted *sim.Counter
	// Expired counts watches answered 410 Gone (too old resource
	// version); nil: not counted.
	Expired *sim.Counter
	// Consume is how long the owner takes to read one watch event off its
	// connection (0: as fast as they come): a slow consumer.
	Consume time.Duration
	// Namespace and Label narrow the list and watch to one namespace and
	// one value of the modeled label (0: all); set before Start.
	Namespace api.NamespaceID
	Label     uint16
	// ByNode and Node narrow a pod list and watch to the pods bound to one
	// node (the spec.nodeName field selector a kubelet uses); set before
	// Start.
	ByNode bool
	Node   int32
	// AllowBookmarks asks the API server for bookmarks (default true, as
	// client-go's reflector always does): the reflector's resource version
	// then advances while its watch sees no event.
	AllowBookmarks bool

	timeout time.Duration // the running watch's timeoutSeconds
}

// NewReflector returns a stopped reflector for resource (name -1: all objects).
func NewReflector(c *Client, net *sim.Network, rng *sim.Rand, rec *sim.Recorder, res api.Resource, name int32, store Store) *Reflector {
	r := &Reflector{c: c, net: net, rng: rng, resource: res, name: name, store: store, stream: sim.NoStream, backoff: ReflectorBackoff(), AllowBookmarks: true}
	if c.cfg.NoJitter {
		r.backoff.Jitter = 0
	}
	r.relistTimer = c.eng.NewTimer(r, kindRelist)
	r.watchTimeout = c.eng.NewTimer(r, kindWatchTimeout)
	r.Relists = rec.Counter("reflector_lists_total", "resource", res.String())
	r.Relisted = rec.Counter("reflector_relists_total", "resource", res.String())
	return r
}

// Synced reports whether the store has been filled by a list.
func (r *Reflector) Synced() bool { return r.synced }

// Start lists and then watches.
func (r *Reflector) Start() {
	r.running = true
	r.setUnwatched(true)
	r.list()
}

// Watching reports whether the reflector runs with a watch established (a
// planned re-watch after a watch timeout counts as watching).
func (r *Reflector) Watching() bool { return r.running && !r.unwatched }

// setUnwatched moves the reflector in or out of the shared count of
// reflectors without a watch.
func (r *Reflector) setUnwatched(v bool) {
	if r.unwatched == v {
		return
	}
	r.unwatched = v
	g := r.c.sh.unwatched
	d := 1.0
	if !v {
		d = -1
	}
	g.Set(r.c.eng.Now(), g.Value()+d)
}

// StartWatching begins from an already-synced store at resource version rv
// on an open stream: the state of a cluster that was running before the
// simulation began. It returns the watch's timeout.
func (r *Reflector) StartWatching(rv int64, stream sim.StreamID) time.Duration {
	r.running, r.synced, r.wasSynced, r.lastRV, r.stream = true, true, true, rv, stream
	r.setUnwatched(false)
	return r.armWatchTimeout()
}

// Stream is the open watch stream (sim.NoStream: none).
func (r *Reflector) Stream() sim.StreamID { return r.stream }

// Stop ends the reflector: its process stopped. The store keeps its contents.
func (r *Reflector) Stop() {
	r.running = false
	r.setUnwatched(false) // a stopped process is not waiting for a watch
	r.synced = false
	r.watchPending, r.watchReq = nil, 0 // a watch still being set up must not be accepted after a restart
	r.relistTimer.Stop()
	r.watchTimeout.Stop()
	if r.stream != sim.NoStream {
		r.net.CloseStream(r.stream, r.c.self)
		r.stream = sim.NoStream
	}
}

func (r *Reflector) list() {
	if r.stream != sim.NoStream { // a late-established watch from an earlier attempt
		r.net.CloseStream(r.stream, r.c.self)
		r.stream = sim.NoStream
	}
	r.Relists.Inc()
	if r.wasSynced {
		r.Relisted.Inc()
	}
	req := r.c.NewRequest(api.List, r.resource, r.name)
	req.FromCache = true // the reflector's first list asks for resourceVersion "0"
	req.Namespace, req.Label = r.Namespace, r.Label
	req.ByNode, req.Node = r.ByNode, r.Node
	r.c.Do(req, r)
}

// watch asks for a watch from the last resource version, with a timeout
// drawn as reflector.go watch does: minWatchTimeout × rand[1, 2).
func (r *Reflector) watch() {
	req := r.c.NewRequest(api.Watch, r.resource, r.name)
	req.ResourceVersion = r.lastRV
	req.WatchConsume = r.Consume
	req.Namespace, req.Label = r.Namespace, r.Label
	req.ByNode, req.Node = r.ByNode, r.Node
	req.AllowBookmarks = r.AllowBookmarks
	r.timeout = r.newWatchTimeout()
	req.WatchTimeout = r.timeout
	r.watchPending, r.watchReq = req, 0
	r.c.Do(req, r)
}

// newWatchTimeout draws a watch's timeout as reflector.go watch does:
// minWatchTimeout × rand[1, 2); exactly the minimum without jitter.
func (r *Reflector) newWatchTimeout() time.Duration {
	if r.c.cfg.NoJitter {
		return minWatchTimeout
	}
	return time.Duration(float64(minWatchTimeout) * (1 + r.rng.Float64()))
}

// OnResponse handles the outcome of a list or a watch request.
func (r *Reflector) OnResponse(req *api.Request) {
	defer r.c.Release(req)
	if !r.running {
		return
	}
	switch req.Verb {
	case api.List:
		if !req.Code.Success() {
			r.retryLater()
			return
		}
		r.store.Replace(req.Items)
		r.synced, r.wasSynced = true, true
		r.lastRV = req.Result.ResourceVersion
		r.watch()
	case api.Watch:
		// Success is signalled on the stream (KindWatchStarted); only a
		// failure matters here, and only if no stream was established.
		if req != r.watchPending {
			return // a watch the reflector gave up on
		}
		r.watchPending, r.watchReq = nil, req.ID
		if !req.Code.Success() && r.stream == sim.NoStream {
			r.retryLater()
		}
	}
}

func (r *Reflector) retryLater() {
	r.setUnwatched(true)
	r.relistTimer.Reset(r.backoff.Next(r.c.eng.Now(), r.rng))
}

// armWatchTimeout ends the watch after its timeout, counted from when the
// stream opened. The server ends it then too; the model lets the
// reflector close it, and the reflector re-watches from its resource
// version without a list (reflector.go watch returns nil on a timeout).
func (r *Reflector) armWatchTimeout() time.Duration {
	d := r.timeout
	if d == 0 {
		d = r.newWatchTimeout()
	}
	r.watchTimeout.Reset(d)
	r.timeout = 0
	return d
}

// isCurrentWatch reports whether id is the reflector's current watch
// request, pending or answered.
func (r *Reflector) isCurrentWatch(id uint64) bool {
	if r.watchPending != nil {
		return id == r.watchPending.ID
	}
	return id != 0 && id == r.watchReq
}

// HandleStream takes a stream message addressed to the owner; it reports
// whether the message belonged to this reflector.
func (r *Reflector) HandleStream(ev *sim.Event) bool {
	switch ev.Kind {
	case api.KindWatchStarted:
		if !r.running || !r.isCurrentWatch(uint64(ev.A)) {
			return false
		}
		r.stream = ev.Stream
		r.setUnwatched(false)
		r.armWatchTimeout()
		return true
	case api.KindWatchEvent:
		if ev.Stream != r.stream {
			return false
		}
		we := ev.Data.(*api.WatchEvent)
		if we.Type == api.Error {
			// The watch could not be served (410 Gone: the resource version
			// is older than the watch cache's history): the watch ends and
			// the reflector relists after its backoff (reflector.go
			// ListAndWatch returns; the backoff manager reruns it).
			if r.Expired != nil && we.Code == api.Gone {
				r.Expired.Inc()
			}
			r.net.CloseStream(r.stream, r.c.self)
			r.stream = sim.NoStream
			r.watchTimeout.Stop()
			if r.running {
				r.retryLater()
			}
			return true
		}
		if we.Type == api.Bookmark {
			// Nothing to store: the resource version it carries is where
			// the next watch resumes (reflector.go watchHandler).
			r.lastRV = max(r.lastRV, we.Object.ResourceVersion)
			return true
		}
		r.store.Apply(we)
		r.lastRV = max(r.lastRV, we.Object.ResourceVersion)
		return true
	case sim.KindStreamClosed:
		if ev.Stream != r.stream || r.stream == sim.NoStream {
			return false
		}
		r.stream = sim.NoStream
		r.watchTimeout.Stop()
		r.c.ConnectionLost() // the server or the network broke the connection
		if r.running {
			r.retryLater()
		}
		return true
	}
	return false
}

// Handle runs the reflector's timers.
func (r *Reflector) Handle(ev *sim.Event) {
	if !r.running {
		return
	}
	switch ev.Kind {
	case kindRelist:
		r.list()
	case kindWatchTimeout:
		// The watch ran its course: close it and re-watch from the last
		// resource version, without a list.
		if r.stream != sim.NoStream {
			r.net.CloseStream(r.stream, r.c.self)
			r.stream = sim.NoStream
		}
		r.watch()
	}
}
