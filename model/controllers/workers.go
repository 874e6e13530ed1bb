package controllers

import (
	"time"

	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/workqueue"
	"github.com/orrery-sim/orrery/sim"
)

// DefaultWorkers is the workers of a controller that sets none:
// kube-controller-manager's --concurrent-replicaset-syncs and
// --concurrent-deployment-syncs, and its other "concurrent syncs" flags of
// the same size (pkg/controller/replicaset/config/v1alpha1/defaults.go:
// ConcurrentRSSyncs 5; pkg/controller/deployment/config/v1alpha1/defaults.go:
// ConcurrentDeploymentSyncs 5).
const DefaultWorkers = 5

// KCMClient is a kube-controller-manager controller's client: --kube-api-qps
// 20, --kube-api-burst 30 (k8s.io/controller-manager/config/v1alpha1
// defaults.go: KubeAPIQPS 20, KubeAPIBurst 30). Each controller builds its
// own clientset from that config (ClientBuilder.ClientOrDie(name)), so each
// has its own token bucket.
var KCMClient = client.Config{QPS: 20, Burst: 30}

// SyncedPollPeriod is how often WaitForCacheSync looks at HasSynced
// (k8s.io/client-go/tools/cache/shared_informer.go: syncedPollPeriod 100ms).
const SyncedPollPeriod = 100 * time.Millisecond

// WorkersConfig is a controller's work queue and worker pool.
type WorkersConfig struct {
	// Name is the queue's name (its metrics are workqueue_*{name=<Name>})
	// and the controller label of the reconcile metrics.
	Name string
	// Workers is the number of workers (0: DefaultWorkers).
	Workers int
	// SyncTime is the sync handler's own time before Sync runs (nil: 0),
	// sampled from Rand.
	SyncTime sim.Dist
	Rand     *sim.Rand
	// MaxRetries drops a key after that many failures in a row (0: never),
	// as handleErr in pkg/controller/deployment (maxRetries 15).
	MaxRetries int
	// RateLimiter makes the queue's rate limiter, at New and at each Stop
	// (nil: workqueue.DefaultControllerRateLimiter).
	RateLimiter func() workqueue.RateLimiter[int32]
	// Sync is the sync handler: it runs once a worker's SyncTime is up and
	// ends, at once or later, with the worker's Finish.
	Sync func(w *Worker)
}

// Workers is a controller's work queue (client-go's RateLimitingQueue, by
// default with DefaultControllerRateLimiter) and its workers, each doing
// processNextWorkItem on virtual time: Get a key, sync it (SyncTime, then
// Sync, which may wait for answers as upstream's worker goroutine blocks on
// its calls), then Forget on success or AddRateLimited on failure, and
// Done. The queue wakes one idle worker per queued key, as its condition
// variable would.
//
// Metrics, labelled controller=<Name>: controller-runtime's
// controller_runtime_reconcile_total{result=success|error},
// controller_runtime_reconcile_errors_total,
// controller_runtime_reconcile_time_seconds (from Get to Finish) and
// controller_runtime_active_workers.
type Workers struct {
	eng     *sim.Engine
	rec     *sim.Recorder
	cfg     WorkersConfig
	q       *workqueue.RateLimitingQueue[int32]
	workers []*Worker
	idle    int
	waking  int    // wake events scheduled and not yet run
	epoch   uint32 // bumped by Stop: older wake events are ignored
	running bool
	// lastStart is when the last sync began (-1: none yet).
	lastStart sim.Time

	okTotal, errTotal, errors *sim.Counter
	syncTime                  *sim.LatencySeries
	active                    *sim.Gauge
}

// NewWorkers returns a stopped pool with an empty queue.
func NewWorkers(eng *sim.Engine, rec *sim.Recorder, cfg WorkersConfig) *Workers {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	ws := &Workers{eng: eng, rec: rec, cfg: cfg, lastStart: -1}
	ws.newQueue()
	for i := range cfg.Workers {
		w := &Worker{ws: ws, index: i}
		w.timer = eng.NewTimer(w, kindReconciled)
		ws.workers = append(ws.workers, w)
	}
	n := cfg.Name
	ws.okTotal = rec.Counter("controller_runtime_reconcile_total", "controller", n, "result", "success")
	ws.errTotal = rec.Counter("controller_runtime_reconcile_total", "controller", n, "result", "error")
	ws.errors = rec.Counter("controller_runtime_reconcile_errors_total", "controller", n)
	ws.syncTime = rec.Latency("controller_runtime_reconcile_time_seconds", "controller", n)
	ws.active = rec.Gauge("controller_runtime_active_workers", "controller", n)
	return ws
}

// newQueue makes the work queue: DefaultControllerRateLimiter unless the
// config gives another, named as upstream names it.
func (ws *Workers) newQueue() {
	var rl workqueue.RateLimiter[int32]
	if ws.cfg.RateLimiter != nil {
		rl = ws.cfg.RateLimiter()
	} else {
		rl = workqueue.DefaultControllerRateLimiter[int32](ws.eng)
	}
	ws.q = workqueue.NewRateLimiting[int32](ws.eng, rl, workqueue.Config{Name: ws.cfg.Name, Recorder: ws.rec})
	ws.q.SetNotify(ws.notify)
}

// Queue is the work queue.
func (ws *Workers) Queue() *workqueue.RateLimitingQueue[int32] { return ws.q }

// Len is the number of workers.
func (ws *Workers) Len() int { return len(ws.workers) }

// Start starts the workers (the caches have synced). Starting running
// workers does nothing.
func (ws *Workers) Start() {
	if ws.running {
		return
	}
	ws.running = true
	ws.idle = len(ws.workers)
	ws.notify()
}

// Stop kills the workers with their process: the syncs in progress and
// the queue are dropped (a fresh, empty queue with a fresh rate limiter
// takes its place, for the next Start).
func (ws *Workers) Stop() {
	ws.epoch++
	ws.running, ws.waking = false, 0
	for _, w := range ws.workers {
		w.timer.Stop()
		w.busy = false
	}
	ws.q.Discard()
	ws.newQueue()
	ws.setActive()
}

// Busy is the number of workers syncing.
func (ws *Workers) Busy() int {
	if !ws.running {
		return 0
	}
	return len(ws.workers) - ws.idle
}

// Reconciles returns the numbers of successful and failed syncs.
func (ws *Workers) Reconciles() (ok, failed int64) { return ws.okTotal.Value, ws.errTotal.Value }

// LastStart is when the last sync began (-1: none has).
func (ws *Workers) LastStart() sim.Time { return ws.lastStart }

func (ws *Workers) setActive() { ws.active.Set(ws.eng.Now(), float64(ws.Busy())) }

// notify runs when the queue has work (workqueue.SetNotify): it wakes one
// idle worker per queued key.
func (ws *Workers) notify() {
	if !ws.running {
		return
	}
	for ws.idle > ws.waking && ws.waking < ws.q.Len() {
		ws.waking++
		ws.eng.Schedule(sim.Event{At: ws.eng.Now(), Target: ws, Kind: kindWake, A: int64(ws.epoch), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
}

// Handle runs a wake-up: a queued key goes to the first idle worker.
func (ws *Workers) Handle(ev *sim.Event) {
	if uint32(ev.A) != ws.epoch {
		return
	}
	ws.waking--
	if ws.idle == 0 {
		return
	}
	key, ok := ws.q.Get()
	if !ok {
		return
	}
	for _, w := range ws.workers {
		if !w.busy {
			ws.idle--
			w.begin(key)
			return
		}
	}
}

// Worker is one worker: it syncs one key at a time, from Get to Finish.
type Worker struct {
	ws    *Workers
	index int
	busy  bool
	key   int32
	start sim.Time
	timer *sim.Timer
}

// Index is the worker's place in its pool, 0 … Len()-1.
func (w *Worker) Index() int { return w.index }

// Key is the key being synced.
func (w *Worker) Key() int32 { return w.key }

// Started is when the worker took its key.
func (w *Worker) Started() sim.Time { return w.start }

func (w *Worker) begin(key int32) {
	ws := w.ws
	w.busy, w.key, w.start = true, key, ws.eng.Now()
	ws.lastStart = w.start
	ws.setActive()
	var d time.Duration
	if ws.cfg.SyncTime != nil {
		d = ws.cfg.SyncTime.Sample(ws.cfg.Rand)
	}
	w.timer.Reset(d)
}

// Handle ends the sync handler's own time: the sync proper runs.
func (w *Worker) Handle(*sim.Event) { w.ws.cfg.Sync(w) }

// Finish ends the sync, as the rest of processNextWorkItem: Forget on
// success, else AddRateLimited (or, after MaxRetries failures in a row,
// Forget: it reports that the key was dropped); then Done, and the worker
// takes the next key.
func (w *Worker) Finish(ok bool) (dropped bool) {
	ws := w.ws
	key := w.key
	ws.syncTime.Observe(ws.eng.Now().Sub(w.start))
	switch {
	case ok:
		ws.okTotal.Inc()
		ws.q.Forget(key)
	case ws.cfg.MaxRetries > 0 && ws.q.NumRequeues(key) >= ws.cfg.MaxRetries:
		ws.errTotal.Inc()
		ws.errors.Inc()
		ws.q.Forget(key)
		dropped = true
	default:
		ws.errTotal.Inc()
		ws.errors.Inc()
		ws.q.AddRateLimited(key)
	}
	ws.q.Done(key)
	w.busy = false
	if next, more := ws.q.Get(); more {
		w.begin(next)
		return dropped
	}
	ws.idle++
	ws.setActive()
	return dropped
}
