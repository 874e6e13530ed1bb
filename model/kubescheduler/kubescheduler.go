package kubescheduler

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/client/leaderelection"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
	"github.com/orrery-sim/orrery/sim"
)

// DefaultClient is kube-scheduler's client: clientConnection qps 50,
// burst 100 (pkg/scheduler/apis/config/v1/defaults.go; FIDELITY.md §5).
var DefaultClient = client.Config{QPS: 50, Burst: 100}

// CycleCost is the modeled wall time of one scheduling cycle: Base, plus
// PerNodeFiltered for every node the filters ran on, plus PerNodeScored
// for every node scored.
type CycleCost struct {
	Base, PerNodeFiltered, PerNodeScored time.Duration
}

// DefaultCycleCost is calibrated to the scheduler throughput upstream
// holds itself to: clusterloader2's direct scheduler-throughput test
// expects at least 400 pods/s on 5000 nodes
// (kubernetes/perf-tests clusterloader2/testing/scheduler-throughput/config.yaml;
// FIDELITY.md §8). There a cycle filters about 500 nodes and scores 500
// (percentageOfNodesToScore 10%), so 300µs + 500 × 2µs + 500 × 2µs =
// 2.3ms, 435 pods/s. It is an orrery calibration, not a measured
// per-plugin profile.
var DefaultCycleCost = CycleCost{Base: 300 * time.Microsecond, PerNodeFiltered: 2 * time.Microsecond, PerNodeScored: 2 * time.Microsecond}

// DefaultRestartDelay is how long a replica that lost its lease stays
// down before the kubelet restarts its static pod: the first
// CrashLoopBackOff delay, 10s (pkg/kubelet/kubelet.go backOffPeriod).
const DefaultRestartDelay = 10 * time.Second

// Config is one kube-scheduler deployment: its replicas, profile, queue,
// client, leader election and costs.
type Config struct {
	// Name is the endpoint prefix (replica i is "<Name>/<i>") and the
	// metrics' scheduler label; "" is "kube-scheduler".
	Name string
	// Replicas: candidates for the lease (0: 1). Without LeaderElect only
	// one replica is allowed.
	Replicas int
	// Client: QPS 0 takes DefaultClient.
	Client client.Config
	// Profile is the scheduling profile; Queue the queue's settings.
	Profile scheduler.Config
	Queue   scheduler.QueueConfig
	// LeaderElect runs leader election on Lease ID Lease in
	// LeaseNamespace (leaderElection.leaderElect, default true upstream).
	LeaderElect    bool
	Lease          int32
	LeaseNamespace api.NamespaceID
	// LeaseDuration, RenewDeadline, RetryPeriod: 0 takes 15s, 10s, 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// LeaseSize is the lock's serialized size (0: the default).
	LeaseSize int32
	// RestartDelay: a replica that lost its lease exits and comes back
	// after this long (0: DefaultRestartDelay; negative: never).
	RestartDelay time.Duration
	// Cost: zero takes DefaultCycleCost.
	Cost CycleCost
	// SchedulerName is the profile's schedulerName: pods naming another
	// scheduler are not queued (objects.None: "default-scheduler").
	SchedulerName objects.Sym
	// Interner resolves the pods' and nodes' symbols.
	Interner *objects.Interner
	// Trace keeps every attempt for Attempts.
	Trace bool
	// Notes puts each decision on the timeline with the feasible nodes'
	// scores by plugin, or the FitError's message (notes.go).
	Notes bool
}

// Result is an attempt's outcome, as the
// scheduler_schedule_attempts_total{result} label names it.
type Result uint8

const (
	Scheduled Result = iota
	Unschedulable
	Error
	numResults
)

var resultNames = [numResults]string{"scheduled", "unschedulable", "error"}

func (r Result) String() string { return resultNames[r] }

// Attempt is one traced scheduling attempt.
type Attempt struct {
	Replica int
	Pod     int32
	Node    int32 // the chosen node (objects.NoNode unless scheduled)
	Start   sim.Time
	End     sim.Time // when the outcome was known (bound, or failed)
	Result  Result
	Message string // the FitError's message or the error
}

// Scheduler is the deployment: its replicas and the metrics they share.
type Scheduler struct {
	cfg      Config
	replicas []*Replica
	m        *metrics
	attempts []Attempt
}

type metrics struct {
	attemptDur [numResults]*sim.LatencySeries
	attempts   [numResults]*sim.Counter
	sli        *sim.LatencySeries
	e2e        *sim.LatencySeries
	bindFail   *sim.Counter
	patches    *sim.Counter
}

// Metric names (labels: scheduler=<Name>; result for the first two).
const (
	AttemptDurationMetric = "scheduler_scheduling_attempt_duration_seconds"
	AttemptsMetric        = "scheduler_schedule_attempts_total"
	// SLIMetric: from the pod's first entry into activeQ to its binding
	// (scheduler_pod_scheduling_sli_duration_seconds).
	SLIMetric = "scheduler_pod_scheduling_sli_duration_seconds"
	// E2EMetric: from the pod's creation to its binding (orrery's).
	E2EMetric         = "scheduler_pod_created_to_bound_seconds"
	BindFailureMetric = "scheduler_bind_failures_total"
)

// New builds the replicas, stopped; Start starts them.
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg Config) (*Scheduler, error) {
	if cfg.Name == "" {
		cfg.Name = "kube-scheduler"
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Replicas > 1 && !cfg.LeaderElect {
		return nil, fmt.Errorf("kubescheduler: %d replicas need leader election", cfg.Replicas)
	}
	if cfg.Client.QPS == 0 {
		cfg.Client.QPS, cfg.Client.Burst = DefaultClient.QPS, DefaultClient.Burst
	}
	if cfg.Cost == (CycleCost{}) {
		cfg.Cost = DefaultCycleCost
	}
	if cfg.RestartDelay == 0 {
		cfg.RestartDelay = DefaultRestartDelay
	}
	if cfg.Interner == nil {
		return nil, fmt.Errorf("kubescheduler: no interner")
	}
	if err := cfg.Queue.Validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{cfg: cfg}
	m := &metrics{}
	for r := range numResults {
		m.attemptDur[r] = rec.Latency(AttemptDurationMetric, "scheduler", cfg.Name, "result", r.String())
		m.attempts[r] = rec.Counter(AttemptsMetric, "scheduler", cfg.Name, "result", r.String())
	}
	m.sli = rec.Latency(SLIMetric, "scheduler", cfg.Name)
	m.e2e = rec.Latency(E2EMetric, "scheduler", cfg.Name)
	m.bindFail = rec.Counter(BindFailureMetric, "scheduler", cfg.Name)
	m.patches = rec.Counter("scheduler_status_patches_total", "scheduler", cfg.Name)
	s.m = m
	for i := range cfg.Replicas {
		r, err := newReplica(s, eng, net, rec, sh, server, i)
		if err != nil {
			return nil, err
		}
		s.replicas = append(s.replicas, r)
	}
	return s, nil
}

// Start starts every replica: informers, then leader election (or, without
// it, scheduling at once).
func (s *Scheduler) Start() {
	for _, r := range s.replicas {
		r.Start()
	}
}

// Replicas returns the replicas.
func (s *Scheduler) Replicas() []*Replica { return s.replicas }

// Leader returns the replica that is scheduling, or nil.
func (s *Scheduler) Leader() *Replica {
	for _, r := range s.replicas {
		if r.leading {
			return r
		}
	}
	return nil
}

// Attempts returns the traced attempts (Config.Trace), in order of outcome.
func (s *Scheduler) Attempts() []Attempt { return s.attempts }

// Timer kinds of a replica.
const (
	kindCycle int32 = api.KindPrivate + 110 + iota
	kindCycleDone
	kindBackoffFlush
	kindUnschedFlush
	kindSyncPoll
	kindRestart
)

// syncedPollPeriod is WaitForCacheSync's poll period
// (client-go tools/cache shared_informer.go syncedPollPeriod).
const syncedPollPeriod = 100 * time.Millisecond

// Replica is one kube-scheduler process: a client, shared informers on
// nodes and pods, the cache (a scheduler.Snapshot with the assumed pods),
// the scheduling queue, the leader elector, and the scheduling loop.
type Replica struct {
	s     *Scheduler
	eng   *sim.Engine
	rec   *sim.Recorder
	index int
	name  string
	rng   *sim.Rand
	c     *client.Client
	lec   *client.Client // leader election's own client
	nodes *informer.Informer
	pods  *informer.Informer
	el    *leaderelection.Elector

	running bool // the process is up
	leading bool // scheduling (the lease is ours, or no election)
	epoch   uint32

	snap  *scheduler.Snapshot
	sched *scheduler.Scheduler
	queue *scheduler.Queue
	// cached[id] is the pod object the snapshot holds for pod id (an
	// assumed copy or the informer's), nil if none; assumed[id] marks the
	// assumed ones.
	cached  []*objects.Pod
	assumed []bool
	// waiting holds, by node, bound pods the informer delivered before
	// their node: upstream's cache keeps such a pod on an empty NodeInfo
	// until the node arrives (pkg/scheduler/backend/cache/cache.go addPod,
	// AddNode); the snapshot takes them when it does. Looked up by node,
	// never iterated.
	waiting map[int32][]*objects.Pod

	// The cycle in progress (cur nil: the loop is idle): from the pop
	// until the binding is sent, or the failure's status patch answered.
	cur       *scheduler.QueuedPod
	curStart  sim.Time
	curResult scheduler.Result
	curErr    error
	runStart  sim.Time

	cycleTimer, doneTimer, backoffTimer, unschedTimer, syncPoll, restart *sim.Timer
}

func newReplica(s *Scheduler, eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, i int) (*Replica, error) {
	cfg := &s.cfg
	name := fmt.Sprintf("%s/%d", cfg.Name, i)
	r := &Replica{s: s, eng: eng, rec: rec, index: i, name: name, rng: eng.Rand(name)}
	self := net.AddEndpoint(name, r)
	r.c = client.New(eng, net, sh, self, server, cfg.Client)
	r.nodes = informer.New(eng, net, rec, r.c, r.rng.Fork("nodes"), informer.Config{Name: name + "/nodes", Resource: api.Nodes, Selector: -1})
	r.pods = informer.New(eng, net, rec, r.c, r.rng.Fork("pods"), informer.Config{Name: name + "/pods", Resource: api.Pods, Selector: -1})
	r.nodes.AddEventHandler(nodeHandler{r}, informer.HandlerOptions{Name: "scheduler"})
	r.pods.AddEventHandler(podHandler{r}, informer.HandlerOptions{Name: "scheduler"})
	if cfg.LeaderElect {
		// The leader election client: the same limits, with a timeout of
		// renewDeadline (cmd/kube-scheduler/app/options: the
		// "leader-election" client's Timeout).
		lcfg := cfg.Client
		lcfg.Timeout = cfg.RenewDeadline
		if lcfg.Timeout == 0 {
			lcfg.Timeout = leaderelection.DefaultRenewDeadline
		}
		r.lec = client.New(eng, net, sh, self, server, lcfg)
		el, err := leaderelection.New(eng, r.lec, r.rng.Fork("leaderelection"), rec, leaderelection.Config{
			Name: cfg.Name, Lease: cfg.Lease, Namespace: cfg.LeaseNamespace, Identity: int32(i),
			LeaseDuration: cfg.LeaseDuration, RenewDeadline: cfg.RenewDeadline, RetryPeriod: cfg.RetryPeriod, LeaseSize: cfg.LeaseSize,
			OnStartedLeading: r.startedLeading,
			OnStoppedLeading: r.stoppedLeading,
		})
		if err != nil {
			return nil, err
		}
		r.el = el
	}
	r.cycleTimer = eng.NewTimer(r, kindCycle)
	r.doneTimer = eng.NewTimer(r, kindCycleDone)
	r.backoffTimer = eng.NewTimer(r, kindBackoffFlush)
	r.unschedTimer = eng.NewTimer(r, kindUnschedFlush)
	r.syncPoll = eng.NewTimer(r, kindSyncPoll)
	r.restart = eng.NewTimer(r, kindRestart)
	if err := r.reset(); err != nil {
		return nil, err
	}
	return r, nil
}

// reset gives the process a fresh cache, queue and algorithm state, as a
// restart does.
func (r *Replica) reset() error {
	cfg := &r.s.cfg
	r.snap = scheduler.NewSnapshot(cfg.Interner)
	sched, err := scheduler.New(cfg.Profile)
	if err != nil {
		return err
	}
	r.sched = sched
	q, err := scheduler.NewQueue(cfg.Queue, cfg.Interner, r.rec, "scheduler", cfg.Name, "replica", fmt.Sprint(r.index))
	if err != nil {
		return err
	}
	r.queue = q
	r.cached, r.assumed = r.cached[:0], r.assumed[:0]
	r.waiting = map[int32][]*objects.Pod{}
	r.cur = nil
	return nil
}

// Name is the replica's endpoint name.
func (r *Replica) Name() string { return r.name }

// Queue is the replica's scheduling queue.
func (r *Replica) Queue() *scheduler.Queue { return r.queue }

// Snapshot is the replica's cache.
func (r *Replica) Snapshot() *scheduler.Snapshot { return r.snap }

// Leading reports whether the replica is scheduling.
func (r *Replica) Leading() bool { return r.leading }

// Running reports whether the process is up.
func (r *Replica) Running() bool { return r.running }

// Elector is the replica's leader elector (nil without election).
func (r *Replica) Elector() *leaderelection.Elector { return r.el }

// Start starts the process (kube-scheduler's Run): informers, then, once
// they have synced, leader election or scheduling.
func (r *Replica) Start() {
	if r.running {
		return
	}
	r.running = true
	r.nodes.Start()
	r.pods.Start()
	r.pollSync()
}

// Stop kills the process: informers, queue, cache, elector and requests
// in flight are gone; nothing is released.
func (r *Replica) Stop() {
	if !r.running {
		return
	}
	r.running, r.leading = false, false
	r.epoch++
	for _, t := range []*sim.Timer{r.cycleTimer, r.doneTimer, r.backoffTimer, r.unschedTimer, r.syncPoll} {
		t.Stop()
	}
	r.nodes.Stop()
	r.pods.Stop()
	r.c.Stop()
	if r.el != nil {
		r.el.Stop()
		r.lec.Stop()
	}
	r.queue.Close(r.eng.Now())
	_ = r.reset() // the config was valid at New
}

// pollSync is WaitForCacheSync (then WaitForHandlersSync), polled every
// 100ms; kube-scheduler starts leader election only after it.
func (r *Replica) pollSync() {
	if !r.nodes.HasSynced() || !r.pods.HasSynced() {
		r.syncPoll.Reset(syncedPollPeriod)
		return
	}
	if r.el != nil {
		r.el.Run()
		return
	}
	r.startedLeading()
}

func (r *Replica) startedLeading() {
	r.leading = true
	r.runStart = r.eng.Now()
	// SchedulingQueue.Run: the two flush loops start now (kick arms them).
	r.kick()
}

// stoppedLeading: kube-scheduler exits ("leaderelection lost") and its
// static pod is restarted after the restart delay.
func (r *Replica) stoppedLeading() {
	r.Stop()
	if d := r.s.cfg.RestartDelay; d > 0 {
		r.restart.Reset(d)
	}
}

// Handle dispatches the replica's events.
func (r *Replica) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		if !r.nodes.HandleStream(ev) {
			r.pods.HandleStream(ev)
		}
	case kindSyncPoll:
		if r.running {
			r.pollSync()
		}
	case kindCycle:
		r.scheduleOne()
	case kindCycleDone:
		r.cycleDone()
	case kindBackoffFlush:
		if r.leading {
			r.queue.FlushBackoffCompleted(r.eng.Now())
			r.kick()
		}
	case kindUnschedFlush:
		if r.leading {
			r.queue.FlushUnschedulableLeftover(r.eng.Now())
			r.kick()
		}
	case kindRestart:
		r.Start()
	}
}

// nextTick is the first tick of a loop started at runStart with the
// given period that is at or after t (wait.Until: f runs at once, then a
// period after each run; the flushes take no time).
func (r *Replica) nextTick(t sim.Time, period time.Duration) sim.Time {
	if t <= r.runStart {
		return r.runStart
	}
	k := (t.Sub(r.runStart) + period - 1) / period
	return r.runStart.Add(k * period)
}

// armBackoff arms the 1s flush for the tick that will find the head of
// backoffQ done; ticks that would find nothing to move are skipped, which
// changes no outcome.
func (r *Replica) armBackoff() {
	exp, ok := r.queue.NextBackoffExpiry()
	if !ok {
		return
	}
	at := r.nextTick(max(exp, r.eng.Now()), scheduler.BackoffFlushPeriod)
	if !r.backoffTimer.Active() || r.backoffTimer.When() > at {
		r.backoffTimer.ResetAt(at)
	}
}

// armUnsched runs the 30s flush while unschedulablePods holds pods.
func (r *Replica) armUnsched() {
	if r.queue.Len(scheduler.UnschedulablePods) == 0 || r.unschedTimer.Active() {
		return
	}
	r.unschedTimer.ResetAt(r.nextTick(r.eng.Now().Add(1), scheduler.UnschedulableFlushPeriod))
}

// kick rearms the two flushes for the queue as it now stands and starts
// a cycle if the loop is idle and activeQ has a pod.
func (r *Replica) kick() {
	if !r.leading {
		return
	}
	r.armBackoff()
	r.armUnsched()
	if r.cur != nil || r.cycleTimer.Active() || r.queue.Len(scheduler.ActiveQ) == 0 {
		return
	}
	r.cycleTimer.ResetAt(r.eng.Now())
}

// scheduleOne begins a scheduling cycle: pop, decide on the snapshot as
// it stands, and spend the cycle's modeled time before acting on the
// decision (schedule_one.go scheduleOne).
func (r *Replica) scheduleOne() {
	if !r.leading || r.cur != nil {
		return
	}
	now := r.eng.Now()
	qp := r.queue.Pop(now)
	if qp == nil {
		return
	}
	pod := qp.Pod
	if pod.Terminating || r.isAssumed(pod.ID) {
		// "skip schedule deleting pod", or already assumed.
		r.queue.Done(qp)
		r.kick()
		return
	}
	r.cur, r.curStart = qp, now
	res, err := r.sched.Schedule(pod, r.snap, r.rng)
	r.curResult, r.curErr = res, err
	cost := r.s.cfg.Cost
	d := cost.Base + time.Duration(res.EvaluatedNodes)*cost.PerNodeFiltered + time.Duration(len(res.Scores))*cost.PerNodeScored
	r.doneTimer.Reset(d)
}

// cycleDone ends the scheduling cycle: assume and bind, or handle the
// failure.
func (r *Replica) cycleDone() {
	if r.cur == nil {
		return
	}
	qp, res, err := r.cur, r.curResult, r.curErr
	if err == nil {
		if aerr := r.assume(qp.Pod, res.Node); aerr != nil {
			err = aerr
		}
	}
	if err != nil {
		r.fail(qp, err, r.curStart, true)
		return
	}
	if r.s.cfg.Notes {
		r.noteDecision(qp.Pod, res)
	}
	r.bind(qp, res.Node, r.curStart)
	r.cur = nil
	r.kick()
}

func (r *Replica) isAssumed(id int32) bool {
	return id >= 0 && int(id) < len(r.assumed) && r.assumed[id]
}

func (r *Replica) setCached(id int32, p *objects.Pod, assumed bool) {
	for int(id) >= len(r.cached) {
		r.cached = append(r.cached, nil)
		r.assumed = append(r.assumed, false)
	}
	r.cached[id], r.assumed[id] = p, assumed
}

func (r *Replica) cachedPod(id int32) *objects.Pod {
	if id < 0 || int(id) >= len(r.cached) {
		return nil
	}
	return r.cached[id]
}

// assume puts a copy of the pod, bound to node, in the cache
// (Cache.AssumePod): later cycles see the node's resources taken.
func (r *Replica) assume(p *objects.Pod, node int32) error {
	cp := *p
	cp.NodeName = node
	if err := r.snap.AddPod(&cp); err != nil {
		return err
	}
	r.setCached(p.ID, &cp, true)
	return nil
}

// forget removes an assumed pod (Cache.ForgetPod).
func (r *Replica) forget(id int32) {
	if p := r.cachedPod(id); p != nil && r.assumed[id] {
		_ = r.snap.RemovePod(p)
		r.setCached(id, nil, false)
	}
}

// bind runs the binding cycle: a pods/binding create whose change sets the
// node, refused with 409 if the pod already has one (the binding
// registry's assignPod). The scheduling loop does not wait for it.
func (r *Replica) bind(qp *scheduler.QueuedPod, node int32, start sim.Time) {
	pod := qp.Pod
	req := r.c.NewRequest(api.Create, api.PodBinding, pod.ID)
	req.Namespace = r.namespaceOf(pod.ID)
	req.Object = api.Object{Resource: api.PodBinding, ID: pod.ID, Namespace: req.Namespace, Size: bindingSize}
	req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
		p, ok := cur.Body.(*objects.Pod)
		if !ok {
			return api.Object{}, api.NotFound
		}
		if p.Bound() || p.Terminating {
			// "pod %v is already assigned to node %q", or being deleted.
			return api.Object{}, api.Conflict
		}
		np := *p
		np.NodeName = node
		np.Scheduled, np.Reason, np.Message = api.ConditionTrue, "", ""
		obj := *cur
		obj.Body = &np
		return obj, 0
	}
	r.c.Do(req, &binding{r: r, qp: qp, node: node, start: start, epoch: r.epoch})
}

// bindingSize is a v1.Binding's serialized size (metadata and target):
// orrery's estimate, not a measured figure.
const bindingSize = 200

// namespaceOf is the API namespace of a pod, as the informer has it.
func (r *Replica) namespaceOf(id int32) api.NamespaceID {
	o, _ := r.pods.Get(id)
	return o.Namespace
}

type binding struct {
	r     *Replica
	qp    *scheduler.QueuedPod
	node  int32
	start sim.Time
	epoch uint32
}

// OnResponse ends the binding cycle.
func (b *binding) OnResponse(req *api.Request) {
	r := b.r
	code := req.Code
	r.c.Release(req)
	if b.epoch != r.epoch {
		return // the process has restarted since
	}
	now := r.eng.Now()
	if code.Success() {
		r.queue.Done(b.qp)
		m := r.s.m
		m.attempts[Scheduled].Inc()
		m.attemptDur[Scheduled].Observe(now.Sub(b.start))
		if b.qp.InitialAttempt >= 0 {
			m.sli.Observe(now.Sub(b.qp.InitialAttempt))
		}
		m.e2e.Observe(now.Sub(b.qp.Pod.Created))
		r.trace(b.qp.Pod.ID, b.node, b.start, Scheduled, "")
		return
	}
	// handleBindingCycleError: forget the assumed pod — a pod delete as
	// far as other pods are concerned — then the failure handler.
	r.s.m.bindFail.Inc()
	r.forget(b.qp.Pod.ID)
	r.queue.MoveAllToActiveOrBackoffQueue(scheduler.EventAssignedPodDelete, nil, now)
	r.fail(b.qp, fmt.Errorf("binding rejected: %d", code), b.start, false)
	r.kick()
}

// fail is handleSchedulingFailure: requeue the pod (its latest version)
// unless it is gone or bound meanwhile, and record PodScheduled=False
// with the reason in its status. A failure of the scheduling cycle blocks
// the loop until the status patch is answered (v1.31 patches
// synchronously); one of the binding cycle does not.
func (r *Replica) fail(qp *scheduler.QueuedPod, err error, start sim.Time, inCycle bool) {
	now := r.eng.Now()
	result, reason := Error, "SchedulerError"
	fe, isFit := err.(*scheduler.FitError)
	if isFit {
		result, reason = Unschedulable, "Unschedulable"
		qp.UnschedulablePlugins = fe.UnschedulablePlugins()
	} else {
		qp.UnschedulablePlugins = 0
	}
	m := r.s.m
	m.attempts[result].Inc()
	m.attemptDur[result].Observe(now.Sub(start))
	msg := err.Error()
	r.trace(qp.Pod.ID, objects.NoNode, start, result, msg)
	if r.s.cfg.Notes {
		r.noteFailure(qp.Pod, msg)
	}
	latest, ok := r.pods.Get(qp.Pod.ID)
	var cur *objects.Pod
	if ok {
		cur, _ = latest.Body.(*objects.Pod)
	}
	if cur == nil || cur.Bound() {
		r.queue.Done(qp)
	} else {
		qp.Pod = cur
		_ = r.queue.AddUnschedulableIfNotPresent(qp, r.queue.SchedulingCycle(), now)
	}
	pod := qp.Pod
	if cur != nil {
		pod = cur
	}
	// updatePod: no patch if the condition would not change.
	if pod.Scheduled == api.ConditionFalse && pod.Reason == reason && pod.Message == msg {
		r.endFailedCycle(inCycle)
		return
	}
	m.patches.Inc()
	req := r.c.NewRequest(api.Patch, api.PodStatus, pod.ID)
	req.Namespace = r.namespaceOf(pod.ID)
	req.Object = api.Object{Resource: api.PodStatus, ID: pod.ID, Namespace: req.Namespace, Size: statusPatchSize + int32(len(msg))}
	req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
		p, ok := cur.Body.(*objects.Pod)
		if !ok {
			return api.Object{}, api.NotFound
		}
		np := *p
		np.Scheduled, np.Reason, np.Message = api.ConditionFalse, reason, msg
		obj := *cur
		obj.Body = &np
		return obj, 0
	}
	var wait *Replica
	if inCycle {
		wait = r
	}
	r.c.Do(req, &statusPatch{r: wait, c: r.c, epoch: r.epoch})
	if !inCycle {
		r.kick()
	}
}

// statusPatchSize is the size of a PodScheduled condition patch without
// its message: orrery's estimate, not a measured figure.
const statusPatchSize = 250

func (r *Replica) endFailedCycle(inCycle bool) {
	if inCycle {
		r.cur = nil
	}
	r.kick()
}

type statusPatch struct {
	r     *Replica // the replica whose loop waits for it, if any
	c     *client.Client
	epoch uint32
}

func (p *statusPatch) OnResponse(req *api.Request) {
	p.c.Release(req)
	if p.r != nil && p.r.epoch == p.epoch {
		p.r.endFailedCycle(true)
	}
}

func (r *Replica) trace(pod, node int32, start sim.Time, res Result, msg string) {
	if r.s.cfg.Trace {
		r.s.attempts = append(r.s.attempts, Attempt{Replica: r.index, Pod: pod, Node: node, Start: start, End: r.eng.Now(), Result: res, Message: msg})
	}
}

// The informer handlers.

type nodeHandler struct{ r *Replica }

func nodeOf(o api.Object) *objects.Node {
	n, _ := o.Body.(*objects.Node)
	return n
}

// OnAdd is addNodeToCache: the node joins the cache and unschedulable
// pods that would fit it move (preCheckForNode).
func (h nodeHandler) OnAdd(o api.Object, _ bool) {
	r := h.r
	n := nodeOf(o)
	if n == nil || r.snap.AddNode(n) != nil {
		return
	}
	if early := r.waiting[n.ID]; len(early) > 0 {
		delete(r.waiting, n.ID)
		for _, p := range early {
			r.cache(p)
		}
	}
	r.queue.MoveAllToActiveOrBackoffQueue(scheduler.EventNodeAdd, scheduler.PreCheckForNode(r.snap.NodeInfo(n.ID), r.s.cfg.Interner), r.eng.Now())
	r.kick()
}

// OnUpdate is updateNodeInCache: one move per scheduling property that
// changed (NodeSchedulingPropertiesChange).
func (h nodeHandler) OnUpdate(oldObj, newObj api.Object) {
	r := h.r
	old, n := nodeOf(oldObj), nodeOf(newObj)
	if n == nil || old == n {
		return // a heartbeat: the body is the same
	}
	if r.snap.NodeInfo(n.ID) == nil {
		h.OnAdd(newObj, false)
		return
	}
	if r.snap.UpdateNode(n) != nil {
		return
	}
	if old == nil {
		return
	}
	now := r.eng.Now()
	preCheck := scheduler.PreCheckForNode(r.snap.NodeInfo(n.ID), r.s.cfg.Interner)
	for _, ev := range NodeSchedulingPropertiesChange(old, n) {
		r.queue.MoveAllToActiveOrBackoffQueue(ev, preCheck, now)
	}
	r.kick()
}

// OnDelete is deleteNodeFromCache.
func (h nodeHandler) OnDelete(o api.Object) {
	r := h.r
	r.queue.MoveAllToActiveOrBackoffQueue(scheduler.EventNodeDelete, nil, r.eng.Now())
	_ = r.snap.RemoveNode(o.ID)
	r.kick()
}

// NodeSchedulingPropertiesChange lists the events a node update makes, in
// upstream's order (pkg/scheduler/framework/events.go): a cordon lifted,
// allocatable, labels, taints, conditions (the model's Ready and
// MemoryPressure).
func NodeSchedulingPropertiesChange(old, n *objects.Node) []scheduler.ClusterEvent {
	var evs []scheduler.ClusterEvent
	if old.Unschedulable && !n.Unschedulable {
		evs = append(evs, scheduler.EventNodeSpecUnschedulableChange)
	}
	if old.Allocatable != n.Allocatable || old.MaxPods != n.MaxPods {
		evs = append(evs, scheduler.EventNodeAllocatableChange)
	}
	if !slices.Equal(old.Labels, n.Labels) {
		evs = append(evs, scheduler.EventNodeLabelChange)
	}
	if !slices.Equal(old.Taints, n.Taints) {
		evs = append(evs, scheduler.EventNodeTaintChange)
	}
	if old.Ready != n.Ready || old.MemoryPressure != n.MemoryPressure {
		evs = append(evs, scheduler.EventNodeConditionChange)
	}
	return evs
}

// podHandler splits the pod informer's notifications as kube-scheduler's
// two filtering handlers do: assigned pods feed the cache, unassigned
// pods for this scheduler feed the queue. Finished pods count as deleted:
// kube-scheduler's pod informer selects status.phase!=Succeeded,Failed
// (pkg/scheduler/scheduler.go newPodInformer), which the model applies on
// the client side.
type podHandler struct{ r *Replica }

func podOf(o api.Object) *objects.Pod {
	p, _ := o.Body.(*objects.Pod)
	if p != nil && p.Finished() {
		return nil
	}
	return p
}

func (h podHandler) responsible(p *objects.Pod) bool {
	return p != nil && !p.Bound() && p.SchedulerName == h.r.s.cfg.SchedulerName
}

func (h podHandler) OnAdd(o api.Object, _ bool) {
	p := podOf(o)
	switch {
	case p == nil:
	case p.Bound():
		h.addAssigned(p)
	case h.responsible(p):
		h.r.queue.Add(p, h.r.eng.Now())
		h.r.kick()
	}
}

func (h podHandler) OnUpdate(oldObj, newObj api.Object) {
	old, p := podOf(oldObj), podOf(newObj)
	r := h.r
	// The assigned-pod handler.
	switch oldBound, newBound := old != nil && old.Bound(), p != nil && p.Bound(); {
	case oldBound && newBound:
		h.updateAssigned(old, p)
	case newBound:
		h.addAssigned(p)
	case oldBound:
		h.deleteAssigned(old)
	}
	// The unassigned-pod handler.
	switch oldMine, newMine := h.responsible(old), h.responsible(p); {
	case oldMine && newMine:
		if oldObj.ResourceVersion == newObj.ResourceVersion || r.isAssumed(p.ID) {
			return
		}
		r.queue.Update(old, p, r.eng.Now())
		r.kick()
	case newMine:
		r.queue.Add(p, r.eng.Now())
		r.kick()
	case oldMine:
		r.queue.Delete(old.ID, r.eng.Now())
	}
}

func (h podHandler) OnDelete(o api.Object) {
	p, _ := o.Body.(*objects.Pod)
	if p == nil {
		return
	}
	if p.Bound() {
		h.deleteAssigned(p)
		return
	}
	// An assumed pod stays in the cache until its binding fails.
	h.r.queue.Delete(p.ID, h.r.eng.Now())
}

// cache puts a bound pod from the informer in the cache in place of the
// copy it held (assumed or not); false if the cache refuses it.
func (r *Replica) cache(p *objects.Pod) bool {
	if old := r.cachedPod(p.ID); old != nil {
		_ = r.snap.RemovePod(old)
	}
	r.unwait(p)
	if err := r.snap.AddPod(p); err != nil {
		r.setCached(p.ID, nil, false)
		if errors.Is(err, scheduler.ErrNoSuchNode) {
			r.waiting[p.NodeName] = append(r.waiting[p.NodeName], p)
		}
		return false
	}
	r.setCached(p.ID, p, false)
	return true
}

// unwait forgets pod p if it waits for its node (a bound pod's node
// never changes, so it waits under p.NodeName).
func (r *Replica) unwait(p *objects.Pod) {
	if w := r.waiting[p.NodeName]; len(w) > 0 {
		r.waiting[p.NodeName] = slices.DeleteFunc(w, func(q *objects.Pod) bool { return q.ID == p.ID })
	}
}

// addAssigned is addPodToCache: a bound pod joins the cache, replacing
// its assumed copy if the binding was ours; pods it may unblock move.
func (h podHandler) addAssigned(p *objects.Pod) {
	r := h.r
	if !r.cache(p) {
		return
	}
	r.queue.AssignedPodAdded(p, r.eng.Now())
	r.kick()
}

// updateAssigned is updatePodInCache.
func (h podHandler) updateAssigned(old, p *objects.Pod) {
	r := h.r
	if !r.cache(p) {
		return
	}
	if !slices.Equal(old.Labels, p.Labels) {
		r.queue.AssignedPodUpdated(p, r.eng.Now())
		r.kick()
	}
}

// deleteAssigned is deletePodFromCache: the pod leaves the cache and
// every unschedulable pod a deletion concerns moves.
func (h podHandler) deleteAssigned(p *objects.Pod) {
	r := h.r
	if cur := r.cachedPod(p.ID); cur != nil {
		_ = r.snap.RemovePod(cur)
		r.setCached(p.ID, nil, false)
	}
	r.unwait(p)
	r.queue.MoveAllToActiveOrBackoffQueue(scheduler.EventAssignedPodDelete, nil, r.eng.Now())
	r.kick()
}
