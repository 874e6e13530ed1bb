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

// defaultWorkers is the workers of a controller that sets none: the
// default of kube-controller-manager's --concurrent-deployment-syncs (and
// of the other "concurrent syncs" flags of the same size),
// pkg/controller/apis/config/v1alpha1/defaults.go: ConcurrentDeploymentSyncs 5.
const defaultWorkers = 5

// defaultClient is kube-controller-manager's client: --kube-api-qps 20,
// --kube-api-burst 30 (k8s.io/controller-manager/config/v1alpha1 defaults:
// KubeAPIQPS 20, KubeAPIBurst 30).
var defaultClient = client.Config{QPS: 20, Burst: 30}

// syncedPollPeriod is how often WaitForCacheSync looks at HasSynced
// (k8s.io/client-go/tools/cache/shared_informer.go: syncedPollPeriod 100ms).
const syncedPollPeriod = 100 * time.Millisecond

// staleVersion is a resourceVersion precondition no object has: a write
// that carries it is answered 409 Conflict.
const staleVersion = int64(1) << 62

// Config is one controller.
type Config struct {
	// Name is the controller's queue's and informer's name and its
	// metrics' controller label; its endpoint is "controller/<Name>".
	Name string
	// Workers is the number of workers (0: 5, see defaultWorkers).
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
	q    *workqueue.RateLimitingQueue[int32]
	evts events

	workers  []*worker
	idle     int
	waking   int    // wake events scheduled and not yet run
	epoch    uint32 // bumped by Stop: older wake events are ignored
	running  bool
	syncPoll *sim.Timer
	attempts []Attempt
	// lastStart is when the last reconcile began, lastOK when the last
	// successful one ended (-1: none yet).
	lastStart, lastOK sim.Time

	rec                         *sim.Recorder
	observed, dropped, restarts *sim.Counter
	okTotal, errTotal           *sim.Counter
	errors                      *sim.Counter
	reconcileTime               *sim.LatencySeries
	active                      *sim.Gauge
}

// New returns a stopped controller registered on the network as
// "controller/<cfg.Name>".
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg Config) *Controller {
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.Client.QPS == 0 {
		cfg.Client.QPS, cfg.Client.Burst = defaultClient.QPS, defaultClient.Burst
	}
	if cfg.Sources != nil {
		cfg.Sources = slices.Clone(cfg.Sources)
		slices.Sort(cfg.Sources)
	}
	ctl := &Controller{eng: eng, cfg: cfg, rng: eng.Rand("controller/" + cfg.Name), lastStart: -1, lastOK: -1}
	ctl.evts.ctl = ctl
	self := net.AddEndpoint("controller/"+cfg.Name, ctl)
	ctl.c = client.New(eng, net, sh, self, server, cfg.Client)
	ctl.inf = informer.New(eng, net, rec, ctl.c, ctl.rng.Fork("informer"),
		informer.Config{Name: cfg.Name, Resource: api.ConfigMaps, Selector: -1, ResyncPeriod: cfg.ResyncPeriod})
	ctl.inf.Reflector().Relisted = rec.Counter("reflector_relists_total", "controller", cfg.Name)
	ctl.reg = ctl.inf.AddEventHandler(&ctl.evts, informer.HandlerOptions{Name: cfg.Name, HandlingTime: cfg.HandlerTime})
	ctl.rec = rec
	ctl.newQueue()
	ctl.syncPoll = eng.NewTimer(ctl, kindSyncPoll)
	for range cfg.Workers {
		w := &worker{ctl: ctl}
		w.timer = eng.NewTimer(w, kindReconciled)
		ctl.workers = append(ctl.workers, w)
	}
	ctl.observed = rec.Counter("controller_events_observed_total", "controller", cfg.Name)
	ctl.dropped = rec.Counter("controller_keys_dropped_total", "controller", cfg.Name)
	ctl.restarts = rec.Counter("controller_restarts_total", "controller", cfg.Name)
	ctl.okTotal = rec.Counter("controller_runtime_reconcile_total", "controller", cfg.Name, "result", "success")
	ctl.errTotal = rec.Counter("controller_runtime_reconcile_total", "controller", cfg.Name, "result", "error")
	ctl.errors = rec.Counter("controller_runtime_reconcile_errors_total", "controller", cfg.Name)
	ctl.reconcileTime = rec.Latency("controller_runtime_reconcile_time_seconds", "controller", cfg.Name)
	ctl.active = rec.Gauge("controller_runtime_active_workers", "controller", cfg.Name)
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
func (ctl *Controller) Queue() *workqueue.RateLimitingQueue[int32] { return ctl.q }

// newQueue makes the controller's work queue: client-go's
// DefaultControllerRateLimiter, and a worker woken per queued key.
func (ctl *Controller) newQueue() {
	ctl.q = workqueue.NewRateLimiting[int32](ctl.eng, workqueue.DefaultControllerRateLimiter[int32](ctl.eng), workqueue.Config{Name: ctl.cfg.Name, Recorder: ctl.rec})
	ctl.q.SetNotify(ctl.notify)
}

// Start starts the informer and, once it has synced, the workers.
func (ctl *Controller) Start() {
	ctl.inf.Start()
	ctl.pollSync()
}

// Stop kills the controller's process: the informer stops and drops its
// cache, the work queue and the reconciles in progress are forgotten (a
// write already sent may still be applied), and the client abandons its
// requests.
func (ctl *Controller) Stop() {
	ctl.epoch++
	ctl.running, ctl.waking = false, 0
	ctl.syncPoll.Stop()
	for _, w := range ctl.workers {
		w.timer.Stop()
		w.busy = false
	}
	ctl.q.Discard()
	ctl.inf.Stop()
	ctl.c.Stop()
	ctl.setActive()
}

// Restart stops the process and starts it cold, with a fresh work queue
// and rate limiter: it lists, waits for its cache to sync and reconciles
// every object, as after a kube-controller-manager restart.
func (ctl *Controller) Restart() {
	ctl.restarts.Inc()
	ctl.Stop()
	ctl.newQueue()
	ctl.Start()
}

// StartRunning starts from a synced informer holding objs on an open watch
// stream at resource version rv, workers running: a controller that was
// running before time 0 and had nothing left to do.
func (ctl *Controller) StartRunning(objs []api.Object, rv int64, stream sim.StreamID) {
	ctl.inf.StartRunning(objs, rv, stream)
	ctl.startWorkers()
}

// pollSync is WaitForCacheSync: check at once, then every 100ms.
func (ctl *Controller) pollSync() {
	if ctl.inf.HasSynced() {
		ctl.startWorkers()
		return
	}
	ctl.syncPoll.Reset(syncedPollPeriod)
}

func (ctl *Controller) startWorkers() {
	if ctl.running {
		return
	}
	ctl.running = true
	ctl.idle = len(ctl.workers)
	ctl.notify()
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
	case kindWake:
		if uint32(ev.A) == ctl.epoch {
			ctl.wake()
		}
	}
}

// notify runs when the queue has work (workqueue.SetNotify): it wakes one
// idle worker per queued key, as the queue's condition variable would.
func (ctl *Controller) notify() {
	if !ctl.running {
		return
	}
	for ctl.idle > ctl.waking && ctl.waking < ctl.q.Len() {
		ctl.waking++
		ctl.eng.Schedule(sim.Event{At: ctl.eng.Now(), Target: ctl, Kind: kindWake, A: int64(ctl.epoch), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
}

// wake hands a queued key to the first idle worker.
func (ctl *Controller) wake() {
	ctl.waking--
	if ctl.idle == 0 {
		return
	}
	key, ok := ctl.q.Get()
	if !ok {
		return
	}
	for _, w := range ctl.workers {
		if !w.busy {
			ctl.idle--
			w.begin(key)
			return
		}
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
		ctl.q.Add(id)
	}
}

// Observed is the number of handler calls for source objects.
func (ctl *Controller) Observed() int64 { return ctl.observed.Value }

// Reconciles returns the numbers of successful and failed reconciles.
func (ctl *Controller) Reconciles() (ok, failed int64) { return ctl.okTotal.Value, ctl.errTotal.Value }

// LastStart is when the last reconcile began (-1: none has).
func (ctl *Controller) LastStart() sim.Time { return ctl.lastStart }

// LastSuccess is when the last successful reconcile ended (-1: none has).
func (ctl *Controller) LastSuccess() sim.Time { return ctl.lastOK }

// Attempts returns every reconcile so far, in order of completion (with
// Trace set; nil otherwise).
func (ctl *Controller) Attempts() []Attempt { return ctl.attempts }

// Busy is the number of workers reconciling.
func (ctl *Controller) Busy() int {
	if !ctl.running {
		return 0
	}
	return len(ctl.workers) - ctl.idle
}

// events is the controller's informer handler: every change to a source
// enqueues its key.
type events struct{ ctl *Controller }

func (e *events) OnAdd(obj api.Object, _ bool) { e.ctl.enqueue(obj.ID) }
func (e *events) OnUpdate(_, obj api.Object)   { e.ctl.enqueue(obj.ID) }
func (e *events) OnDelete(obj api.Object)      { e.ctl.enqueue(obj.ID) }

func (ctl *Controller) setActive() { ctl.active.Set(ctl.eng.Now(), float64(ctl.Busy())) }

func (ctl *Controller) sample(d sim.Dist) time.Duration {
	if d == nil {
		return 0
	}
	return d.Sample(ctl.rng)
}

// worker is one of the controller's workers: it reconciles one key at a
// time, from Get to Done.
type worker struct {
	ctl   *Controller
	busy  bool
	key   int32
	start sim.Time
	timer *sim.Timer
}

// Handle ends the reconcile's own work.
func (w *worker) Handle(*sim.Event) { w.reconcile() }

// OnResponse takes the answer to the reconcile's write.
func (w *worker) OnResponse(req *api.Request) {
	ok := req.Code.Success()
	w.ctl.c.Release(req)
	w.finish(ok)
}

// begin takes key: the reconcile's own work runs for ReconcileTime.
func (w *worker) begin(key int32) {
	w.busy, w.key, w.start = true, key, w.ctl.eng.Now()
	w.ctl.lastStart = w.start
	w.ctl.setActive()
	w.timer.Reset(w.ctl.sample(w.ctl.cfg.ReconcileTime))
}

// reconcile is the end of the sync handler's work: it fails, or writes the
// status derived from the cached source, or has nothing to write.
func (w *worker) reconcile() {
	ctl := w.ctl
	cfg := &ctl.cfg
	if ctl.eng.Now() < cfg.FailUntil {
		if !cfg.FailWrite {
			w.finish(false)
			return
		}
		target := w.key + cfg.StatusOffset // the source itself with no status objects
		req := ctl.c.NewRequest(api.Update, api.ConfigMaps, target)
		req.Namespace = cfg.Namespace
		req.ResourceVersion = staleVersion
		req.Object = api.Object{Resource: api.ConfigMaps, ID: target}
		if cur, ok := ctl.inf.Get(target); ok {
			req.Object.Size = cur.Size
		}
		ctl.c.Do(req, w)
		return
	}
	src, ok := ctl.inf.Get(w.key)
	if !ok || cfg.StatusOffset == 0 {
		w.finish(true)
		return
	}
	id := w.key + cfg.StatusOffset
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
	ctl.c.Do(req, w)
}

// finish is the rest of processNextWorkItem: Forget or AddRateLimited,
// then Done; then the worker takes the next key, if any.
func (w *worker) finish(ok bool) {
	ctl := w.ctl
	now := ctl.eng.Now()
	key := w.key
	ctl.reconcileTime.Observe(now.Sub(w.start))
	if ctl.cfg.Trace {
		ctl.attempts = append(ctl.attempts, Attempt{Key: key, Start: w.start, End: now, OK: ok})
	}
	switch {
	case ok:
		ctl.okTotal.Inc()
		ctl.lastOK = now
		ctl.q.Forget(key)
	case ctl.cfg.MaxRetries > 0 && ctl.q.NumRequeues(key) >= ctl.cfg.MaxRetries:
		ctl.errTotal.Inc()
		ctl.errors.Inc()
		ctl.dropped.Inc()
		ctl.q.Forget(key)
	default:
		ctl.errTotal.Inc()
		ctl.errors.Inc()
		ctl.q.AddRateLimited(key)
	}
	ctl.q.Done(key)
	w.busy = false
	if next, more := ctl.q.Get(); more {
		w.begin(next)
		return
	}
	ctl.idle++
	ctl.setActive()
}
