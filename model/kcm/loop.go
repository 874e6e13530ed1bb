package kcm

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/workqueue"
	"github.com/orrery-sim/orrery/sim"
)

// defaultWorkers is the workers of a loop that sets none: the default of
// --concurrent-replicaset-syncs and --concurrent-deployment-syncs
// (pkg/controller/apis/config/v1alpha1/defaults.go:
// ConcurrentRSSyncs 5, ConcurrentDeploymentSyncs 5).
const defaultWorkers = 5

// defaultClient is a controller's client: --kube-api-qps 20,
// --kube-api-burst 30 (k8s.io/controller-manager/config/v1alpha1
// defaults.go: KubeAPIQPS 20, KubeAPIBurst 30). Each controller builds its
// own clientset from that config (ClientBuilder.ClientOrDie(name)), so each
// has its own token bucket.
var defaultClient = client.Config{QPS: 20, Burst: 30}

// LoopConfig is one controller's worker pool and client.
type LoopConfig struct {
	// Disabled leaves the controller out (it registers no handlers and
	// starts no workers).
	Disabled bool
	// Workers is the number of workers (0: 5).
	Workers int
	// Client is the controller's client (QPS 0: QPS 20, burst 30).
	Client client.Config
	// SyncTime is the sync handler's own CPU time before it reads its
	// caches (nil: none).
	SyncTime sim.Dist
}

const (
	kindWake int32 = api.KindPrivate + 80 + iota
	kindSyncTime
	kindSyncPoll
)

// loop is a controller's work queue and workers: processNextWorkItem on
// virtual time. A sync runs as a task that may send requests and wait for
// their answers (upstream's worker goroutine blocks on each call); it ends
// with done.
type loop struct {
	m    *Manager
	name string
	cfg  LoopConfig
	c    *client.Client
	rng  *sim.Rand
	q    *workqueue.RateLimitingQueue[int32]
	sync func(t *task)

	tasks   []*task
	idle    int
	waking  int
	epoch   uint32
	running bool

	okTotal, errTotal, errors *sim.Counter
	syncTime                  *sim.LatencySeries
	active                    *sim.Gauge
}

func newLoop(m *Manager, name string, cfg LoopConfig, sync func(t *task)) *loop {
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.Client.QPS == 0 {
		cfg.Client.QPS, cfg.Client.Burst = defaultClient.QPS, defaultClient.Burst
	}
	l := &loop{m: m, name: name, cfg: cfg, sync: sync, rng: m.rng.Fork(name)}
	l.c = client.New(m.eng, m.net, m.sh, m.self, m.server, cfg.Client)
	for range cfg.Workers {
		t := &task{l: l}
		t.timer = m.eng.NewTimer(t, kindSyncTime)
		l.tasks = append(l.tasks, t)
	}
	rec := m.rec
	l.okTotal = rec.Counter("controller_runtime_reconcile_total", "controller", name, "result", "success")
	l.errTotal = rec.Counter("controller_runtime_reconcile_total", "controller", name, "result", "error")
	l.errors = rec.Counter("controller_runtime_reconcile_errors_total", "controller", name)
	l.syncTime = rec.Latency("controller_runtime_reconcile_time_seconds", "controller", name)
	l.active = rec.Gauge("controller_runtime_active_workers", "controller", name)
	l.newQueue()
	return l
}

// newQueue makes the loop's work queue: client-go's
// DefaultControllerRateLimiter, named as upstream names it (its metrics
// are workqueue_*{name=<name>}).
func (l *loop) newQueue() {
	l.q = workqueue.NewRateLimiting[int32](l.m.eng, workqueue.DefaultControllerRateLimiter[int32](l.m.eng),
		workqueue.Config{Name: l.name, Recorder: l.m.rec})
	l.q.SetNotify(l.notify)
}

func (l *loop) start() {
	if l.running {
		return
	}
	l.running = true
	l.idle = len(l.tasks)
	l.notify()
}

// stop drops the queue, the syncs in progress and the client's requests.
func (l *loop) stop() {
	l.epoch++
	l.running, l.waking = false, 0
	for _, t := range l.tasks {
		t.timer.Stop()
		t.reset()
	}
	l.q.Discard()
	l.c.Stop()
	l.newQueue()
	l.setActive()
}

func (l *loop) add(key int32) { l.q.Add(key) }

func (l *loop) addAfter(key int32, d time.Duration) { l.q.AddAfter(key, d) }

// notify wakes one idle worker per queued key, as the queue's condition
// variable would.
func (l *loop) notify() {
	if !l.running {
		return
	}
	for l.idle > l.waking && l.waking < l.q.Len() {
		l.waking++
		l.m.eng.Schedule(sim.Event{At: l.m.eng.Now(), Target: l, Kind: kindWake, A: int64(l.epoch), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
}

// Handle runs a wake-up.
func (l *loop) Handle(ev *sim.Event) {
	if uint32(ev.A) != l.epoch {
		return
	}
	l.waking--
	if l.idle == 0 {
		return
	}
	key, ok := l.q.Get()
	if !ok {
		return
	}
	for _, t := range l.tasks {
		if !t.busy {
			l.idle--
			t.begin(key)
			return
		}
	}
}

func (l *loop) busy() int {
	if !l.running {
		return 0
	}
	return len(l.tasks) - l.idle
}

func (l *loop) setActive() { l.active.Set(l.m.eng.Now(), float64(l.busy())) }

// task is one worker: it syncs one key at a time, from Get to Done.
type task struct {
	l     *loop
	busy  bool
	key   int32
	start sim.Time
	timer *sim.Timer

	// The requests in flight and what to do as each answers and once
	// all have.
	pending int
	onResp  func(req *api.Request)
	then    func()
}

func (t *task) reset() {
	t.busy, t.pending, t.onResp, t.then = false, 0, nil, nil
}

func (t *task) begin(key int32) {
	t.busy, t.key, t.start = true, key, t.l.m.eng.Now()
	t.l.setActive()
	var d time.Duration
	if t.l.cfg.SyncTime != nil {
		d = t.l.cfg.SyncTime.Sample(t.l.rng)
	}
	t.timer.Reset(d)
}

// Handle ends the sync handler's own time: the sync proper runs.
func (t *task) Handle(*sim.Event) { t.l.sync(t) }

// call sends reqs at once (upstream's goroutines, one per call, then
// wg.Wait), calls onResp with each answer, then then once all have
// answered. With no requests, then runs at once.
func (t *task) call(reqs []*api.Request, onResp func(req *api.Request), then func()) {
	if len(reqs) == 0 {
		then()
		return
	}
	t.pending, t.onResp, t.then = len(reqs), onResp, then
	for _, r := range reqs {
		t.l.c.Do(r, t)
	}
}

// OnResponse takes an answer to one of the task's requests.
func (t *task) OnResponse(req *api.Request) {
	if t.onResp != nil {
		t.onResp(req)
	}
	t.l.c.Release(req)
	t.pending--
	if t.pending == 0 && t.then != nil {
		then := t.then
		t.onResp, t.then = nil, nil
		then()
	}
}

// done is the rest of processNextWorkItem: Forget on success, else
// AddRateLimited; then Done, and the worker takes the next key.
func (t *task) done(ok bool) {
	l := t.l
	key := t.key
	l.syncTime.Observe(l.m.eng.Now().Sub(t.start))
	if ok {
		l.okTotal.Inc()
		l.q.Forget(key)
	} else {
		l.errTotal.Inc()
		l.errors.Inc()
		l.q.AddRateLimited(key)
	}
	l.q.Done(key)
	t.reset()
	if next, more := l.q.Get(); more {
		t.begin(next)
		return
	}
	l.idle++
	l.setActive()
}
