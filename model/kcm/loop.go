package kcm

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/controllers"
	"github.com/orrery-sim/orrery/sim"
)

// LoopConfig is one controller's worker pool and client.
type LoopConfig struct {
	// Disabled leaves the controller out (it registers no handlers and
	// starts no workers).
	Disabled bool
	// Workers is the number of workers (0: controllers.DefaultWorkers, 5,
	// as --concurrent-replicaset-syncs and --concurrent-deployment-syncs).
	Workers int
	// Client is the controller's client (QPS 0: controllers.KCMClient,
	// QPS 20, burst 30).
	Client client.Config
	// SyncTime is the sync handler's own CPU time before it reads its
	// caches (nil: none).
	SyncTime sim.Dist
}

const kindSyncPoll int32 = api.KindPrivate + 82

// loop is a controller's work queue and workers (controllers.Workers),
// with its own client. A sync runs as a task that may send requests and
// wait for their answers (upstream's worker goroutine blocks on each
// call); it ends with done.
type loop struct {
	m     *Manager
	name  string
	c     *client.Client
	ws    *controllers.Workers
	tasks []*task // by Worker.Index
	sync  func(t *task)
}

// newLoop makes a controller's loop; opts adjust its work queue and
// workers (a rate limiter, a retry limit) before they are made.
func newLoop(m *Manager, name string, cfg LoopConfig, sync func(t *task), opts ...func(*controllers.WorkersConfig)) *loop {
	if cfg.Client.QPS == 0 {
		cfg.Client.QPS, cfg.Client.Burst = controllers.KCMClient.QPS, controllers.KCMClient.Burst
	}
	l := &loop{m: m, name: name, sync: sync}
	l.c = client.New(m.eng, m.net, m.sh, m.self, m.server, cfg.Client)
	wc := controllers.WorkersConfig{Name: name, Workers: cfg.Workers,
		SyncTime: cfg.SyncTime, Rand: m.rng.Fork(name), Sync: l.run}
	for _, o := range opts {
		o(&wc)
	}
	l.ws = controllers.NewWorkers(m.eng, m.rec, wc)
	for range l.ws.Len() {
		l.tasks = append(l.tasks, &task{l: l})
	}
	return l
}

// run starts a worker's sync.
func (l *loop) run(w *controllers.Worker) {
	t := l.tasks[w.Index()]
	t.w = w
	l.sync(t)
}

func (l *loop) start() { l.ws.Start() }

// stop drops the queue, the syncs in progress and the client's requests.
func (l *loop) stop() {
	l.ws.Stop()
	for _, t := range l.tasks {
		t.reset()
	}
	l.c.Stop()
}

func (l *loop) add(key int32) { l.ws.Queue().Add(key) }

func (l *loop) addAfter(key int32, d time.Duration) { l.ws.Queue().AddAfter(key, d) }

// task is one worker's sync in progress.
type task struct {
	l *loop
	w *controllers.Worker

	// The requests in flight and what to do as each answers and once
	// all have.
	pending int
	onResp  func(req *api.Request)
	then    func()
}

// key is the key being synced.
func (t *task) key() int32 { return t.w.Key() }

func (t *task) reset() {
	t.pending, t.onResp, t.then = 0, nil, nil
}

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

// done ends the sync (an error unless ok): Forget or AddRateLimited, then
// Done, and the worker takes the next key.
func (t *task) done(ok bool) {
	t.reset()
	t.w.Finish(ok)
}
