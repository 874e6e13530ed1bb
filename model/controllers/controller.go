package controllers

import (
	"math"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/client/workqueue"
	"github.com/orrery-sim/orrery/sim"
)

// FailForever as Config.FailUntil makes every reconcile fail.
const FailForever = sim.Time(math.MaxInt64)

// staleVersion is a resourceVersion precondition no object has: a write
// that carries it is answered 409 Conflict.
const staleVersion = int64(1) << 62

// Config is one controller.
type Config struct {
	// Name is the controller's queue's and informer's name and its
	// metrics' controller label; its endpoint is "controller/<Name>".
	Name string
	// Workers is the number of workers (0: DefaultWorkers).
	Workers int
	// Client is the controller's client (QPS 0: QPS 20, burst 30).
	Client client.Config
	// The source objects: ConfigMaps FirstID … FirstID+Objects-1, or, if
	// Sources is set, the ConfigMaps it lists (FirstID and Objects are then
	// ignored).
	FirstID int32
	Objects int
	Sources []int32
	// StatusOffset: a reconcile of source i writes status ConfigMap
	// i+StatusOffset; 0: reconciles write nothing.
	StatusOffset int32
	// StatusPrecondition makes status updates carry the cached status
	// object's resourceVersion (a stale cache then gets 409).
	StatusPrecondition bool
	// ReconcileTime is the sync handler's own work before it writes (nil: 0).
	ReconcileTime sim.Dist
	// HandlerTime is the event handler's time per notification (nil: 0).
	HandlerTime sim.Dist
	// ResyncPeriod is the informer's resync period (0: none; see
	// informer.KCMResyncPeriod for kube-controller-manager's).
	ResyncPeriod time.Duration
	// FailUntil: reconciles whose work ends before this time fail
	// (FailForever: all of them; 0: none).
	FailUntil sim.Time
	// FailWrite makes a failing reconcile send its write, answered 409,
	// instead of failing before writing.
	FailWrite bool
	// MaxRetries drops a key after that many failures in a row (0: never),
	// as handleErr in pkg/controller/deployment (maxRetries 15).
	MaxRetries int
	// Namespace is where the status objects live: the namespace of the
	// status writes (api.AllNamespaces: none).
	Namespace api.NamespaceID
	// Trace keeps every reconcile attempt for Attempts.
	Trace bool
}

// Attempt is one reconcile: the key, when a worker took it and when it
// finished, and whether it succeeded.
type Attempt struct {
	Key        int32
	Start, End sim.Time
	OK         bool
}

const (
	kindWake int32 = api.KindPrivate + 70 + iota
	kindSyncPoll
	kindReconciled
)

// Controller is a level-triggered controller over ConfigMaps.
type Controller struct {
	eng  *sim.Engine
	rng  *sim.Rand
	cfg  Config
	c    *client.Client
	inf  *informer.Informer
	reg  *informer.Registration
	ws   *Workers
	evts events

	workers  []*worker // by Worker.Index
	syncPoll *sim.Timer
	attempts []Attempt
	// lastOK is when the last successful reconcile ended (-1: none yet).
	lastOK sim.Time

	observed, dropped, restarts *sim.Counter
}

// New returns a stopped controller registered on the network as
// "controller/<cfg.Name>".
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg Config) *Controller {
	if cfg.Client.QPS == 0 {
		cfg.Client.QPS, cfg.Client.Burst = KCMClient.QPS, KCMClient.Burst
	}
	if cfg.Sources != nil {
		cfg.Sources = slices.Clone(cfg.Sources)
		slices.Sort(cfg.Sources)
	}
	ctl := &Controller{eng: eng, cfg: cfg, rng: eng.Rand("controller/" + cfg.Name), lastOK: -1}
	ctl.evts.ctl = ctl
	self := net.AddEndpoint("controller/"+cfg.Name, ctl)
	ctl.c = client.New(eng, net, sh, self, server, cfg.Client)
	ctl.inf = informer.New(eng, net, rec, ctl.c, ctl.rng.Fork("informer"),
		informer.Config{Name: cfg.Name, Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: cfg.ResyncPeriod})
	ctl.inf.Reflector().Relisted = rec.Counter("reflector_relists_total", "controller", cfg.Name)
	ctl.reg = ctl.inf.AddEventHandler(&ctl.evts, informer.HandlerOptions{Name: cfg.Name, HandlingTime: cfg.HandlerTime})
	ctl.ws = NewWorkers(eng, rec, WorkersConfig{Name: cfg.Name, Workers: cfg.Workers, SyncTime: cfg.ReconcileTime,
		Rand: ctl.rng, MaxRetries: cfg.MaxRetries, Sync: ctl.reconcile})
	for _, w := range ctl.ws.workers {
		ctl.workers = append(ctl.workers, &worker{ctl: ctl, w: w})
	}
	ctl.syncPoll = eng.NewTimer(ctl, kindSyncPoll)
	ctl.observed = rec.Counter("controller_events_observed_total", "controller", cfg.Name)
	ctl.dropped = rec.Counter("controller_keys_dropped_total", "controller", cfg.Name)
	ctl.restarts = rec.Counter("controller_restarts_total", "controller", cfg.Name)
	return ctl
}

// Endpoint is the controller's network endpoint.
func (ctl *Controller) Endpoint() sim.EndpointID { return ctl.c.Endpoint() }

// Name is the controller's name.
func (ctl *Controller) Name() string { return ctl.cfg.Name }

// Client is the controller's API client.
func (ctl *Controller) Client() *client.Client { return ctl.c }

// Informer is the controller's ConfigMap informer.
func (ctl *Controller) Informer() *informer.Informer { return ctl.inf }

// Queue is the controller's work queue.
func (ctl *Controller) Queue() *workqueue.RateLimitingQueue[int32] { return ctl.ws.Queue() }

// Start starts the informer and, once it has synced, the workers.
func (ctl *Controller) Start() {
	ctl.inf.Start()
	ctl.pollSync()
}

// Stop kills the controller's process: the informer stops and drops its
// cache, the work queue and the reconciles in progress are forgotten (a
// write already sent may still be applied; the next Start has a fresh
// queue and rate limiter), and the client abandons its requests.
func (ctl *Controller) Stop() {
	ctl.syncPoll.Stop()
	ctl.ws.Stop()
	ctl.inf.Stop()
	ctl.c.Stop()
}

// Restart stops the process and starts it cold, with a fresh work queue
// and rate limiter: it lists, waits for its cache to sync and reconciles
// every object, as after a kube-controller-manager restart.
func (ctl *Controller) Restart() {
	ctl.restarts.Inc()
	ctl.Stop()
	ctl.Start()
}

// StartRunning starts from a synced informer holding objs on an open watch
// stream at resource version rv, workers running: a controller that was
// running before time 0 and had nothing left to do.
func (ctl *Controller) StartRunning(objs []api.Object, rv int64, stream sim.StreamID) {
	ctl.inf.StartRunning(objs, rv, stream)
	ctl.ws.Start()
}

// pollSync is WaitForCacheSync: check at once, then every 100ms.
func (ctl *Controller) pollSync() {
	if ctl.inf.HasSynced() {
		ctl.ws.Start()
		return
	}
	ctl.syncPoll.Reset(SyncedPollPeriod)
}

// Handle dispatches the controller's events.
func (ctl *Controller) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		ctl.inf.HandleStream(ev)
	case kindSyncPoll:
		ctl.pollSync()
	}
}

func (ctl *Controller) isSource(id int32) bool {
	if ctl.cfg.Sources != nil {
		_, found := slices.BinarySearch(ctl.cfg.Sources, id)
		return found
	}
	return id >= ctl.cfg.FirstID && int64(id) < int64(ctl.cfg.FirstID)+int64(ctl.cfg.Objects)
}

func (ctl *Controller) enqueue(id int32) {
	if ctl.isSource(id) {
		ctl.observed.Inc()
		ctl.ws.Queue().Add(id)
	}
}

// Observed is the number of handler calls for source objects.
func (ctl *Controller) Observed() int64 { return ctl.observed.Value }

// Reconciles returns the numbers of successful and failed reconciles.
func (ctl *Controller) Reconciles() (ok, failed int64) { return ctl.ws.Reconciles() }

// LastStart is when the last reconcile began (-1: none has).
func (ctl *Controller) LastStart() sim.Time { return ctl.ws.LastStart() }

// LastSuccess is when the last successful reconcile ended (-1: none has).
func (ctl *Controller) LastSuccess() sim.Time { return ctl.lastOK }

// Attempts returns every reconcile so far, in order of completion (with
// Trace set; nil otherwise).
func (ctl *Controller) Attempts() []Attempt { return ctl.attempts }

// Busy is the number of workers reconciling.
func (ctl *Controller) Busy() int { return ctl.ws.Busy() }

// events is the controller's informer handler: every change to a source
// enqueues its key.
type events struct{ ctl *Controller }

func (e *events) OnAdd(obj api.Object, _ bool) { e.ctl.enqueue(obj.ID) }
func (e *events) OnUpdate(_, obj api.Object)   { e.ctl.enqueue(obj.ID) }
func (e *events) OnDelete(obj api.Object)      { e.ctl.enqueue(obj.ID) }

// worker takes the answers to w's reconcile writes.
type worker struct {
	ctl *Controller
	w   *Worker
}

// OnResponse takes the answer to the reconcile's write.
func (w *worker) OnResponse(req *api.Request) {
	ok := req.Code.Success()
	w.ctl.c.Release(req)
	w.ctl.finish(w.w, ok)
}

// reconcile is the end of the sync handler's work: it fails, or writes the
// status derived from the cached source, or has nothing to write.
func (ctl *Controller) reconcile(w *Worker) {
	cfg := &ctl.cfg
	key, resp := w.Key(), ctl.workers[w.Index()]
	if ctl.eng.Now() < cfg.FailUntil {
		if !cfg.FailWrite {
			ctl.finish(w, false)
			return
		}
		target := key + cfg.StatusOffset // the source itself with no status objects
		req := ctl.c.NewRequest(api.Update, api.ConfigMaps, target)
		req.Namespace = cfg.Namespace
		req.ResourceVersion = staleVersion
		req.Object = api.Object{Resource: api.ConfigMaps, ID: target}
		if cur, ok := ctl.inf.Get(target); ok {
			req.Object.Size = cur.Size
		}
		ctl.c.Do(req, resp)
		return
	}
	src, ok := ctl.inf.Get(key)
	if !ok || cfg.StatusOffset == 0 {
		ctl.finish(w, true)
		return
	}
	id := key + cfg.StatusOffset
	verb := api.Create
	cur, exists := ctl.inf.Get(id)
	if exists {
		verb = api.Update
	}
	req := ctl.c.NewRequest(verb, api.ConfigMaps, id)
	req.Namespace = cfg.Namespace
	req.Object = api.Object{Resource: api.ConfigMaps, ID: id, Size: src.Size}
	if exists && cfg.StatusPrecondition {
		req.ResourceVersion = cur.ResourceVersion
	}
	ctl.c.Do(req, resp)
}

// finish ends w's reconcile: traced, and handed back to the work queue.
func (ctl *Controller) finish(w *Worker, ok bool) {
	now := ctl.eng.Now()
	if ctl.cfg.Trace {
		ctl.attempts = append(ctl.attempts, Attempt{Key: w.Key(), Start: w.Started(), End: now, OK: ok})
	}
	if ok {
		ctl.lastOK = now
	}
	if w.Finish(ok) {
		ctl.dropped.Inc()
	}
}
