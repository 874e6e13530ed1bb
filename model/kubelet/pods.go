package kubelet

import (
	"cmp"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// PodConfig turns on the kubelet's pod side and sets its timings. Latencies
// marked "model assumption" have no upstream default (they are the
// container runtime's and the registry's speed); the others are upstream's.
type PodConfig struct {
	// SandboxCreate is RunPodSandbox: the pause container, network
	// namespace and CNI setup (model assumption).
	SandboxCreate sim.Dist
	// ContainerStart is CreateContainer + StartContainer of one container
	// (model assumption).
	ContainerStart sim.Dist
	// ContainerStop is how long a container takes to exit after SIGTERM
	// (model assumption); the kubelet kills it at the grace period.
	ContainerStop sim.Dist
	// PullTime, if set, is every image pull's duration. Otherwise a pull
	// takes PullOverhead (registry round trips: auth, manifest) plus the
	// image's size over PullThroughput (model assumptions).
	PullTime       sim.Dist
	PullOverhead   sim.Dist
	PullThroughput int64 // bytes per second
	// ImageSize gives an image's compressed size in bytes; nil: every
	// image is DefaultImageSize.
	ImageSize func(objects.Sym) int64
	// ParallelImagePulls is serializeImagePulls=false (upstream's default
	// is true: one pull at a time per node, pkg/kubelet/apis/config/v1beta1
	// defaults.go); MaxParallelImagePulls bounds the parallel pulls (0:
	// no bound, upstream's nil).
	ParallelImagePulls    bool
	MaxParallelImagePulls int
	// PLEGRelistPeriod is the generic PLEG's relist period: a started
	// container is noticed at the next relist (pkg/kubelet/kubelet.go
	// genericPlegRelistPeriod = 1s).
	PLEGRelistPeriod time.Duration
	// StatusSyncPeriod is the status manager's batch sync period, which
	// retries statuses and deletions that failed to reach the API server
	// (pkg/kubelet/status/status_manager.go syncPeriod = 10s).
	StatusSyncPeriod time.Duration
	// StatusPatchSize is the serialized size of a pod status patch
	// (model assumption).
	StatusPatchSize int32
	// EvictionHardMemory is the memory.available hard eviction threshold
	// in bytes (pkg/kubelet/apis/config/v1beta1/defaults_linux.go
	// DefaultEvictionHard: memory.available<100Mi); 0: no memory eviction.
	EvictionHardMemory int64
	// EvictionMonitoringPeriod is how often the eviction manager checks
	// its signals (pkg/kubelet/kubelet.go evictionMonitoringPeriod = 10s).
	EvictionMonitoringPeriod time.Duration
	// MemoryCapacity is the node's memory capacity in bytes; 0: the
	// Node's allocatable memory plus EvictionHardMemory (allocatable is
	// capacity minus the reservations and the hard eviction threshold;
	// kube- and system-reserved default to none).
	MemoryCapacity int64
}

// DefaultImageSize is an image's size when PodConfig.ImageSize gives none
// (model assumption: a typical application image).
const DefaultImageSize = 100 << 20

// minimumGracePeriod is the least time the runtime gives a container to
// stop: a shorter grace period is raised to it
// (pkg/kubelet/kuberuntime/kuberuntime_container.go
// minimumGracePeriodInSeconds = 2).
const minimumGracePeriod = 2 * time.Second

// DefaultPodConfig is the pod side with upstream's defaults and the
// model's assumed runtime and registry speeds.
func DefaultPodConfig() PodConfig {
	return PodConfig{
		SandboxCreate:            sim.NewLogNormal(300*time.Millisecond, 1500*time.Millisecond),
		ContainerStart:           sim.NewLogNormal(100*time.Millisecond, 500*time.Millisecond),
		ContainerStop:            sim.NewLogNormal(200*time.Millisecond, 3*time.Second),
		PullOverhead:             sim.NewLogNormal(500*time.Millisecond, 2*time.Second),
		PullThroughput:           50 << 20,
		PLEGRelistPeriod:         time.Second,
		StatusSyncPeriod:         10 * time.Second,
		StatusPatchSize:          1000,
		EvictionHardMemory:       100 << 20,
		EvictionMonitoringPeriod: 10 * time.Second,
	}
}

const (
	kindPodStep int32 = api.KindPrivate + 30 + iota // A: the pod's ID
	kindPodStatusBatch
	kindPullDone
	kindEvictionCheck
)

// PodMetrics are the kubelets' shared pod counters. They exist only when
// some kubelet has its pod side on, so runs without workloads report
// nothing new.
type PodMetrics struct {
	// StartSLI is pod startup latency as the SLO defines it: creation to
	// the kubelet's watch observing the pod running, minus the time spent
	// pulling images (sig-scalability slos/pod_startup_latency.md;
	// pkg/kubelet/util/pod_startup_latency_tracker.go). StartTotal is the
	// same without the subtraction.
	StartSLI, StartTotal *sim.LatencySeries
	ImagePulls           *sim.Counter
	ImageCacheHits       *sim.Counter
	ImagePullDuration    *sim.LatencySeries
	// RunningPods is the number of pods with running containers, summed
	// over the nodes.
	RunningPods *sim.Gauge
	running     int
	// GracefulTerminations counts pods stopped after a graceful delete;
	// GraceExpired those whose containers were killed at the grace period.
	GracefulTerminations *sim.Counter
	GraceExpired         *sim.Counter
	Evictions            *sim.Counter
	// ContainerStarts counts containers started
	// (kubelet_started_containers_total).
	ContainerStarts *sim.Counter
	// Sandbox is each RunPodSandbox, ContainerStart each container's
	// create and start (kubelet_run_podsandbox_duration_seconds and
	// kubelet_runtime_operations_duration_seconds{operation_type=
	// "start_container"}, pkg/kubelet/metrics/metrics.go); PLEGWait is
	// from a pod's last container start to the relist that noticed it
	// (orrery's), the report's breakdown of pod startup.
	Sandbox, ContainerStart, PLEGWait *sim.LatencySeries
}

func newPodMetrics(rec *sim.Recorder) *PodMetrics {
	return &PodMetrics{
		StartSLI:             rec.Latency("kubelet_pod_start_sli_duration_seconds"),
		StartTotal:           rec.Latency("kubelet_pod_start_total_duration_seconds"),
		ImagePulls:           rec.Counter("kubelet_image_pulls_total"),
		ImageCacheHits:       rec.Counter("kubelet_image_cache_hits_total"),
		ImagePullDuration:    rec.Latency("kubelet_image_pull_duration_seconds"),
		RunningPods:          rec.Gauge("kubelet_running_pods"),
		GracefulTerminations: rec.Counter("kubelet_pod_graceful_terminations_total"),
		GraceExpired:         rec.Counter("kubelet_pod_grace_period_expired_total"),
		Evictions:            rec.Counter("kubelet_evictions_total", "eviction_signal", "memory.available"),
		ContainerStarts:      rec.Counter("kubelet_started_containers_total"),
		Sandbox:              rec.Latency("kubelet_run_podsandbox_duration_seconds"),
		ContainerStart:       rec.Latency("kubelet_runtime_operations_duration_seconds", "operation_type", "start_container"),
		PLEGWait:             rec.Latency("kubelet_pod_pleg_wait_seconds"),
	}
}

func (m *PodMetrics) addRunning(now sim.Time, d int) {
	m.running += d
	m.RunningPods.Set(now, float64(m.running))
}

// runtimePod is what the container runtime holds for a pod: it outlives
// the kubelet process.
type runtimePod struct {
	id      int32
	spec    *objects.PodSpec
	sandbox bool
	started int  // containers started, init containers first
	running bool // every container started
	usage   int64
}

// workState is where a pod worker is.
type workState uint8

const (
	wsNew workState = iota
	wsSandbox
	wsPullWait // waiting in the pull queue or pulling
	wsContainer
	wsPLEG // containers started; waiting for the relist to notice
	wsRunning
	wsKilling
	wsKilled
)

// podStatus is the part of a pod's status the kubelet writes.
type podStatus struct {
	phase      objects.PodPhase
	startTime  sim.Time
	ready      bool
	readySince sim.Time
	reason     string
	message    string
}

func statusOf(p *objects.Pod) podStatus {
	return podStatus{phase: p.Phase, startTime: p.StartTime, ready: p.Ready, readySince: p.ReadySince, reason: p.Reason, message: p.Message}
}

// mutate is the status patch: the kubelet's status fields set on the
// current pod, every other field left as the API server has it.
func (st podStatus) mutate(cur *api.Object) (api.Object, api.Code) {
	p, ok := cur.Body.(*objects.Pod)
	if !ok {
		return api.Object{}, api.NotFound
	}
	np := *p
	np.Phase, np.StartTime, np.Ready, np.ReadySince, np.Reason, np.Message = st.phase, st.startTime, st.ready, st.readySince, st.reason, st.message
	obj := *cur
	obj.Body = &np
	return obj, 0
}

// podWork is the kubelet's memory of one pod: its pod worker, its entry
// in the status manager and in the startup latency tracker. It is lost
// when the kubelet restarts. Nothing holds one that has left podSide.work:
// its timer is stopped, the pull queue and the pulls let go of it (detach,
// stop), and responses find their pod by ID.
type podWork struct {
	id    int32
	pod   *objects.Pod // as last seen on the watch
	timer *sim.Timer
	state workState

	stepStart sim.Time // when the runtime step in progress began

	pullImg  objects.Sym
	pulled   bool // the image of the next container was just pulled
	forced   bool // killed at the grace period
	evicted  bool
	evictMsg string

	// Pod startup latency tracker: only pods first seen not yet started.
	tracked, recorded   bool
	firstPull, lastPull sim.Time
	havePull            bool

	// Status manager.
	status        podStatus
	hasStatus     bool
	ver, apiVer   uint32
	sending       uint32
	sendingStatus podStatus
	busy          bool
	deleted       bool
}

// pull is one image pull in progress.
type pull struct {
	ps    *podSide
	img   objects.Sym
	w     *podWork // nil once the pod no longer waits for it
	start sim.Time
	timer *sim.Timer
}

func (pl *pull) Handle(*sim.Event) {
	if pl.ps.k.running {
		pl.ps.pullDone(pl)
	}
}

// podSide is a kubelet's pod machinery.
type podSide struct {
	k    *Kubelet
	cfg  PodConfig
	m    *PodMetrics
	rng  *sim.Rand
	refl *client.Reflector

	// The kubelet's memory.
	work     []*podWork // by ID
	queue    []*podWork // waiting to pull
	pulls    []*pull
	plegFrom sim.Time // the PLEG relists at plegFrom + n·period
	smFrom   sim.Time // the status manager's batch sync ticks likewise
	smTimer  *sim.Timer
	evFrom   sim.Time
	evTimer  *sim.Timer

	// The container runtime's state, which survives a kubelet restart.
	rt      []*runtimePod // by ID
	images  []objects.Sym // sorted
	memUsed int64
}

func newPodSide(k *Kubelet, rec *sim.Recorder, net *sim.Network, m *Metrics) *podSide {
	if m.Pods == nil {
		m.Pods = newPodMetrics(rec)
	}
	ps := &podSide{k: k, cfg: *k.cfg.Pods, m: m.Pods, rng: k.rng.Fork("pods")}
	// pkg/kubelet/config/apiserver.go NewSourceApiserver: a reflector on
	// the pods with fieldSelector spec.nodeName=<node>, through the main
	// client, feeding an UndeltaStore (no informer, no resync).
	ps.refl = client.NewReflector(k.main, net, k.rng.Fork("pod-reflector"), rec, api.Pods, -1, ps)
	ps.refl.ByNode, ps.refl.Node = true, k.id
	ps.smTimer = k.eng.NewTimer(k, kindPodStatusBatch)
	ps.evTimer = k.eng.NewTimer(k, kindEvictionCheck)
	return ps
}

// begin starts the pod side of a kubelet process whose loops began at
// from: the pod reflector lists and watches.
func (ps *podSide) begin(from sim.Time) {
	ps.plegFrom, ps.smFrom, ps.evFrom = from, from, from
	ps.refl.Start()
	ps.checkMemory()
}

// beginWarm starts the pod side of a kubelet that ran pods before time 0
// with loops that began at from: each pod is adopted, then the pod
// reflector watches from rv on stream. It returns the watch's timeout.
func (ps *podSide) beginWarm(from sim.Time, pods []api.Object, rv int64, stream sim.StreamID) time.Duration {
	ps.plegFrom, ps.smFrom, ps.evFrom = from, from, from
	for _, o := range pods {
		ps.adopt(o)
	}
	timeout := ps.refl.StartWatching(rv, stream)
	ps.checkMemory()
	return timeout
}

// adopt takes a pod the kubelet has been running: its containers run and
// its images are in the store. Its status as the kubelet would report it
// (reportRunning's) is the status manager's; if the stored status is that,
// it has been written and nothing is sent. A terminating pod is stopped;
// a finished one takes the path of a relisted pod.
func (ps *podSide) adopt(obj api.Object) {
	p, ok := obj.Body.(*objects.Pod)
	if !ok || p.NodeName != ps.k.id || p.Spec == nil {
		return
	}
	if p.Finished() {
		ps.upsert(obj)
		return
	}
	now := ps.k.eng.Now()
	rp := ps.ensureRuntime(obj.ID, p.Spec)
	if !rp.running {
		rp.sandbox, rp.started, rp.running = true, len(p.Spec.InitContainers)+len(p.Spec.Containers), true
		rp.usage = p.Spec.Requests().Memory
		ps.memUsed += rp.usage
		ps.m.addRunning(now, 1)
	}
	for i := range rp.started {
		ps.addImage(containerAt(p.Spec, i).Image)
	}
	i, found := ps.workIndex(obj.ID)
	if found {
		ps.upsert(obj)
		return
	}
	w := &podWork{id: obj.ID, pod: p, timer: ps.k.eng.NewTimer(ps.k, kindPodStep), state: wsRunning}
	w.timer.SetArg(int64(obj.ID))
	ps.work = slices.Insert(ps.work, i, w)
	st := runningStatus(statusOf(p), now)
	w.status, w.hasStatus = st, true
	if st != statusOf(p) {
		w.ver++
		ps.syncStatus(w)
	}
	if p.Terminating {
		ps.kill(w, p.DeletionGrace)
	}
}

// runningStatus is st as the kubelet reports a pod whose containers all
// run: Running and Ready, Ready since now unless it already was, started
// now unless it had started.
func runningStatus(st podStatus, now sim.Time) podStatus {
	if !st.ready {
		st.readySince = now
	}
	if st.startTime == 0 {
		st.startTime = now
	}
	st.phase, st.ready = objects.PodRunning, true
	return st
}

// WarmPod is p as a kubelet that started it at started (before time 0,
// say) has reported it: Running and Ready since started. A pod stored so
// costs its warm kubelet nothing (StartRunningPods).
func WarmPod(p objects.Pod, started sim.Time) objects.Pod {
	p.Phase, p.Ready, p.StartTime, p.ReadySince = objects.PodRunning, true, started, started
	return p
}

// stop forgets everything but the runtime's state.
func (ps *podSide) stop() {
	ps.refl.Stop()
	for _, w := range ps.work {
		w.timer.Stop()
	}
	for _, pl := range ps.pulls {
		pl.timer.Stop() // the runtime's pull is cancelled with the kubelet's call
	}
	ps.work, ps.queue, ps.pulls = nil, nil, nil
	ps.smTimer.Stop()
	ps.evTimer.Stop()
}

// seedImages puts images in the runtime's image store (a node's
// status.images at time 0).
func (ps *podSide) seedImages(imgs []objects.NodeImage) {
	for _, img := range imgs {
		ps.addImage(img.Name)
	}
}

// --- The pod source (client.Store) ---

// Replace takes a list: every listed pod is added or updated; pods the
// kubelet knows and the list lacks were deleted meanwhile, and runtime
// pods nobody lists are killed (HandlePodCleanups).
func (ps *podSide) Replace(items []api.Object) {
	ids := make([]int32, 0, len(items))
	for _, o := range items {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	for _, o := range items {
		ps.upsert(o)
	}
	for _, w := range slices.Clone(ps.work) {
		if _, ok := slices.BinarySearch(ids, w.id); !ok {
			ps.remove(w.id)
		}
	}
	for _, rp := range slices.Clone(ps.rt) {
		if _, ok := slices.BinarySearch(ids, rp.id); !ok {
			ps.remove(rp.id)
		}
	}
}

// Apply takes a watch event.
func (ps *podSide) Apply(ev *api.WatchEvent) {
	if ev.Type == api.Deleted {
		ps.remove(ev.Object.ID)
		return
	}
	ps.upsert(ev.Object)
}

// workIndex and rtIndex find a pod in the kubelet's and the runtime's
// tables, both sorted by ID: its index, or where it would go.
func (ps *podSide) workIndex(id int32) (int, bool) {
	return slices.BinarySearchFunc(ps.work, id, func(w *podWork, id int32) int { return cmp.Compare(w.id, id) })
}

func (ps *podSide) rtIndex(id int32) (int, bool) {
	return slices.BinarySearchFunc(ps.rt, id, func(r *runtimePod, id int32) int { return cmp.Compare(r.id, id) })
}

func (ps *podSide) find(id int32) *podWork {
	i, ok := ps.workIndex(id)
	if !ok {
		return nil
	}
	return ps.work[i]
}

func (ps *podSide) runtime(id int32) *runtimePod {
	i, ok := ps.rtIndex(id)
	if !ok {
		return nil
	}
	return ps.rt[i]
}

func (ps *podSide) ensureRuntime(id int32, spec *objects.PodSpec) *runtimePod {
	i, ok := ps.rtIndex(id)
	if ok {
		return ps.rt[i]
	}
	rp := &runtimePod{id: id, spec: spec}
	ps.rt = slices.Insert(ps.rt, i, rp)
	return rp
}

func (ps *podSide) upsert(obj api.Object) {
	p, ok := obj.Body.(*objects.Pod)
	if !ok || p.NodeName != ps.k.id || p.Spec == nil {
		return
	}
	i, ok := ps.workIndex(obj.ID)
	if !ok {
		w := &podWork{id: obj.ID, pod: p, timer: ps.k.eng.NewTimer(ps.k, kindPodStep)}
		w.timer.SetArg(int64(obj.ID))
		ps.work = slices.Insert(ps.work, i, w)
		// ObservedPodOnWatch tracks only pods the kubelet has not
		// acknowledged yet (no status.startTime).
		w.tracked = p.StartTime == 0 && !p.Finished()
		switch {
		case p.Terminating:
			ps.kill(w, p.DeletionGrace)
		case p.Finished():
			ps.kill(w, 0)
		default:
			ps.start(w)
		}
		return
	}
	w := ps.work[i]
	w.pod = p
	switch {
	case w.state < wsKilling && p.Terminating:
		ps.kill(w, p.DeletionGrace)
	case w.state < wsKilling && p.Finished():
		ps.kill(w, 0)
	case p.Terminating:
		ps.syncStatus(w) // a finished pod's deletion: the status manager deletes it
	}
	if w.tracked && !w.recorded && w.state == wsRunning && p.Phase == objects.PodRunning {
		ps.observeStartup(w)
	}
}

// remove tears a pod down at once: it was deleted from the API (a force
// delete, or the status manager's own final delete) or never listed.
func (ps *podSide) remove(id int32) {
	if i, ok := ps.workIndex(id); ok {
		w := ps.work[i]
		ps.detach(w)
		ps.work = slices.Delete(ps.work, i, i+1)
	}
	ps.dropRuntime(id)
}

func (ps *podSide) dropRuntime(id int32) {
	i, ok := ps.rtIndex(id)
	if !ok {
		return
	}
	rp := ps.rt[i]
	ps.rt = slices.Delete(ps.rt, i, i+1)
	if rp.running {
		ps.m.addRunning(ps.k.eng.Now(), -1)
	}
	ps.memUsed -= rp.usage
}

// detach stops the pod worker's step and takes it off the pull queue; a
// pull in progress goes on for the image store.
func (ps *podSide) detach(w *podWork) {
	w.timer.Stop()
	if i := slices.Index(ps.queue, w); i >= 0 {
		ps.queue = slices.Delete(ps.queue, i, i+1)
	}
	for _, pl := range ps.pulls {
		if pl.w == w {
			pl.w = nil
		}
	}
}

// --- Pod worker ---

// start is the first sync of a pod: the status manager gets its status
// (startTime set, Pending until its containers run), and the runtime
// creates what the pod still lacks (kuberuntime SyncPod). A pod whose
// containers survived a kubelet restart is reported running as it is.
func (ps *podSide) start(w *podWork) {
	rp := ps.ensureRuntime(w.id, w.pod.Spec)
	if rp.running {
		ps.reportRunning(w)
		return
	}
	st := statusOf(w.pod)
	if st.startTime == 0 {
		st.startTime = ps.k.eng.Now()
	}
	st.phase, st.ready = objects.PodPending, false
	ps.setStatus(w, st)
	ps.advance(w, rp)
}

// containerAt is the pod's i-th container, init containers first (they
// are modeled as starting and completing at once, in order).
func containerAt(s *objects.PodSpec, i int) *objects.Container {
	if i < len(s.InitContainers) {
		return &s.InitContainers[i]
	}
	return &s.Containers[i-len(s.InitContainers)]
}

// advance takes the pod's next runtime step: the sandbox, then for each
// container EnsureImageExists (IfNotPresent: pull unless the image is
// there) and its start, one container after the other.
func (ps *podSide) advance(w *podWork, rp *runtimePod) {
	eng := ps.k.eng
	if !rp.sandbox {
		w.state, w.stepStart = wsSandbox, eng.Now()
		w.timer.Reset(ps.cfg.SandboxCreate.Sample(ps.rng))
		return
	}
	if n := len(rp.spec.InitContainers) + len(rp.spec.Containers); rp.started < n {
		c := containerAt(rp.spec, rp.started)
		if !ps.hasImage(c.Image) {
			ps.requestPull(w, c.Image)
			return
		}
		if !w.pulled {
			ps.m.ImageCacheHits.Inc()
		}
		w.pulled = false
		w.state, w.stepStart = wsContainer, eng.Now()
		w.timer.Reset(ps.cfg.ContainerStart.Sample(ps.rng))
		return
	}
	if !rp.running {
		rp.running = true
		ps.m.addRunning(eng.Now(), 1)
		rp.usage = rp.spec.Requests().Memory
		ps.memUsed += rp.usage
		ps.checkMemory()
	}
	w.state, w.stepStart = wsPLEG, eng.Now()
	w.timer.ResetAt(nextTick(ps.plegFrom, ps.cfg.PLEGRelistPeriod, eng.Now()))
}

// nextTick is the first tick of from + n·period strictly after now.
func nextTick(from sim.Time, period time.Duration, now sim.Time) sim.Time {
	if period <= 0 {
		return now
	}
	n := now.Sub(from)/period + 1
	return from.Add(n * period)
}

// step is a pod worker's timer: the step in progress has finished.
func (ps *podSide) step(id int32) {
	w := ps.find(id)
	if w == nil {
		return
	}
	rp := ps.runtime(id)
	switch w.state {
	case wsSandbox:
		rp.sandbox = true
		ps.m.Sandbox.Observe(ps.k.eng.Now().Sub(w.stepStart))
		ps.advance(w, rp)
	case wsContainer:
		rp.started++
		ps.m.ContainerStarts.Inc()
		ps.m.ContainerStart.Observe(ps.k.eng.Now().Sub(w.stepStart))
		ps.advance(w, rp)
	case wsPLEG:
		ps.m.PLEGWait.Observe(ps.k.eng.Now().Sub(w.stepStart))
		ps.reportRunning(w)
	case wsKilling:
		ps.killed(w)
	}
}

// reportRunning is the sync after the relist saw every container
// running: phase Running, Ready (no readiness probes are modeled). A
// condition keeps its transition time if its status is unchanged.
func (ps *podSide) reportRunning(w *podWork) {
	w.state = wsRunning
	st := w.status
	if !w.hasStatus {
		st = statusOf(w.pod)
	}
	ps.setStatus(w, runningStatus(st, ps.k.eng.Now()))
}

// observeStartup records the pod's startup latency when its watch shows
// it running (ObservedPodOnWatch): from its creation, and without the
// time from its first pull request to its last pull's end.
func (ps *podSide) observeStartup(w *podWork) {
	w.recorded = true
	total := ps.k.eng.Now().Sub(w.pod.Created)
	sli := total
	if w.havePull {
		sli -= w.lastPull.Sub(w.firstPull)
	}
	ps.m.StartTotal.Observe(total)
	ps.m.StartSLI.Observe(sli)
}

// kill stops the pod's containers: each gets SIGTERM and is killed at the
// grace period (at least minimumGracePeriod); they stop in parallel.
func (ps *podSide) kill(w *podWork, grace time.Duration) {
	ps.detach(w)
	w.state = wsKilling
	rp := ps.runtime(w.id)
	if rp == nil || rp.started == 0 {
		ps.killed(w)
		return
	}
	limit := max(grace, minimumGracePeriod)
	var d time.Duration
	for range rp.started {
		d = max(d, ps.cfg.ContainerStop.Sample(ps.rng))
	}
	if d > limit {
		d, w.forced = limit, true
	}
	w.timer.Reset(d)
}

// killed: the containers and the sandbox are gone. The status manager
// writes the terminal status (Succeeded if every container exited within
// its grace, Failed if one was killed: getPhase with podIsTerminal,
// pkg/kubelet/kubelet_pods.go) and, for a deleted pod, deletes it.
func (ps *podSide) killed(w *podWork) {
	rp := ps.runtime(w.id)
	started := rp != nil && rp.started > 0
	ps.dropRuntime(w.id)
	w.state = wsKilled
	if w.pod.Terminating {
		ps.m.GracefulTerminations.Inc()
		if w.forced {
			ps.m.GraceExpired.Inc()
		}
	}
	st := w.status
	if !w.hasStatus {
		st = statusOf(w.pod)
	}
	st.ready = false
	switch {
	case w.evicted:
		st.phase, st.reason, st.message = objects.PodFailed, "Evicted", w.evictMsg
	case w.pod.Finished():
		st.phase = w.pod.Phase
	case !started && st.phase == objects.PodPending:
		// No container ever ran: the pod stays Pending.
	case w.forced:
		st.phase = objects.PodFailed
	default:
		st.phase = objects.PodSucceeded
	}
	ps.setStatus(w, st)
	// An unchanged status is no new version, but the pod may now be
	// deleted (TerminatePod forces the sync).
	ps.syncStatus(w)
	ps.checkMemory()
}

// --- Image manager ---

func (ps *podSide) hasImage(img objects.Sym) bool {
	_, ok := slices.BinarySearch(ps.images, img)
	return ok
}

func (ps *podSide) addImage(img objects.Sym) {
	if i, ok := slices.BinarySearch(ps.images, img); !ok {
		ps.images = slices.Insert(ps.images, i, img)
	}
}

// requestPull queues the pod's pull (the serial puller's queue, or the
// parallel one's wait for a slot). The startup tracker counts pull time
// from the request (RecordImageStartedPulling).
func (ps *podSide) requestPull(w *podWork, img objects.Sym) {
	if !w.havePull {
		w.havePull, w.firstPull = true, ps.k.eng.Now()
	}
	w.state, w.pullImg = wsPullWait, img
	ps.queue = append(ps.queue, w)
	ps.pump()
}

func (ps *podSide) canPull() bool {
	if !ps.cfg.ParallelImagePulls {
		return len(ps.pulls) == 0
	}
	return ps.cfg.MaxParallelImagePulls <= 0 || len(ps.pulls) < ps.cfg.MaxParallelImagePulls
}

// pump starts the queued pulls there is room for. A queued pull whose
// image arrived meanwhile (another pod pulled it) completes at once: the
// runtime has the layers.
func (ps *podSide) pump() {
	for len(ps.queue) > 0 && ps.canPull() {
		w := ps.queue[0]
		ps.queue = ps.queue[1:]
		if ps.hasImage(w.pullImg) {
			w.lastPull = ps.k.eng.Now()
			ps.advance(w, ps.runtime(w.id))
			continue
		}
		pl := &pull{ps: ps, img: w.pullImg, w: w, start: ps.k.eng.Now()}
		pl.timer = ps.k.eng.NewTimer(pl, kindPullDone)
		pl.timer.Reset(ps.pullDuration(w.pullImg))
		ps.pulls = append(ps.pulls, pl)
		ps.m.ImagePulls.Inc()
	}
}

func (ps *podSide) pullDuration(img objects.Sym) time.Duration {
	if ps.cfg.PullTime != nil {
		return ps.cfg.PullTime.Sample(ps.rng)
	}
	size := int64(DefaultImageSize)
	if ps.cfg.ImageSize != nil {
		size = ps.cfg.ImageSize(img)
	}
	var d time.Duration
	if ps.cfg.PullOverhead != nil {
		d = ps.cfg.PullOverhead.Sample(ps.rng)
	}
	if ps.cfg.PullThroughput > 0 {
		d += time.Duration(float64(size) / float64(ps.cfg.PullThroughput) * float64(time.Second))
	}
	return d
}

func (ps *podSide) pullDone(pl *pull) {
	ps.pulls = slices.DeleteFunc(ps.pulls, func(x *pull) bool { return x == pl })
	ps.addImage(pl.img)
	now := ps.k.eng.Now()
	ps.m.ImagePullDuration.Observe(now.Sub(pl.start))
	if w := pl.w; w != nil && w.state == wsPullWait {
		w.lastPull, w.pulled = now, true
		ps.advance(w, ps.runtime(w.id))
	}
	ps.pump()
}

// --- Status manager ---

// setStatus is SetPodStatus: a status different from the cached one is a
// new version, synced at once.
func (ps *podSide) setStatus(w *podWork, st podStatus) {
	if w.hasStatus && w.status == st {
		return
	}
	w.status, w.hasStatus = st, true
	w.ver++
	ps.syncStatus(w)
}

// canBeDeleted: a deleted pod whose containers are gone and whose final
// status has been written.
func (ps *podSide) canBeDeleted(w *podWork) bool {
	return w.pod.Terminating && w.state == wsKilled && w.apiVer == w.ver && !w.deleted
}

// syncStatus is the status manager's syncPod: GET the pod from the API
// server, PATCH its status if it differs, then, if the pod can be
// deleted, DELETE it with grace 0. One sync per pod at a time.
func (ps *podSide) syncStatus(w *podWork) {
	if w.busy || (w.apiVer == w.ver && !ps.canBeDeleted(w)) {
		return
	}
	w.busy, w.sending, w.sendingStatus = true, w.ver, w.status
	c := ps.k.main
	c.Do(c.NewRequest(api.Get, api.Pods, w.id), ps.k)
}

func (ps *podSide) onResponse(req *api.Request) {
	w := ps.find(req.Name)
	if w == nil || !w.busy {
		return
	}
	c := ps.k.main
	switch {
	case req.Code == api.NotFound:
		w.busy = false // the pod is gone; its DELETED event follows
	case !req.Code.Success():
		w.busy = false
		ps.armBatch()
	case req.Verb == api.Get:
		cur, ok := req.Result.Body.(*objects.Pod)
		if ok && w.apiVer < w.sending && statusOf(cur) != w.sendingStatus {
			p := c.NewRequest(api.Patch, api.PodStatus, w.id)
			p.Object = api.Object{Resource: api.Pods, ID: w.id, Size: ps.cfg.StatusPatchSize}
			p.Mutate = w.sendingStatus.mutate
			c.Do(p, ps.k)
			return
		}
		ps.written(w)
	case req.Verb == api.Patch:
		ps.written(w)
	case req.Verb == api.Delete:
		w.busy, w.deleted = false, true
	}
}

// written: the version being synced is in the API; delete the pod if it
// can be, else sync the next version if one came meanwhile.
func (ps *podSide) written(w *podWork) {
	w.apiVer = w.sending
	if ps.canBeDeleted(w) {
		c := ps.k.main
		d := c.NewRequest(api.Delete, api.Pods, w.id)
		d.GraceSet, d.GracePeriod = true, 0
		c.Do(d, ps.k)
		return
	}
	w.busy = false
	ps.syncStatus(w)
}

// armBatch arms the batch sync for the next tick after a failed sync.
func (ps *podSide) armBatch() {
	if !ps.smTimer.Active() {
		ps.smTimer.ResetAt(nextTick(ps.smFrom, ps.cfg.StatusSyncPeriod, ps.k.eng.Now()))
	}
}

// batch is syncBatch: every pod whose status or deletion has not reached
// the API server is synced again.
func (ps *podSide) batch() {
	for _, w := range ps.work {
		ps.syncStatus(w)
	}
}
