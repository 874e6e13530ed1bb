// Package kubelet models the kubelet's two heartbeats, as the kubelet and
// k8s.io/component-helpers implement them:
//
//   - The node Lease (component-helpers apimachinery/lease/controller.go):
//     wait.JitterUntil(sync, renewInterval, 0.04, sliding) where
//     renewInterval = 0.25 × nodeLeaseDurationSeconds. A sync updates the
//     Lease from the last one it wrote, with up to 5 immediate retries; a
//     409 Conflict or five failures fall back to backoffEnsureLease, which
//     GETs (and if need be creates) the Lease, sleeping 200ms, 400ms, … up
//     to 7s between failed attempts.
//   - Node status (pkg/kubelet/kubelet_node_status.go): every
//     nodeStatusUpdateFrequency (jittered 0.04, sliding) the kubelet compares
//     the status it would post with the Node in its informer (try 0) or a GET
//     from the API server (tries 1–4), and PATCHes nodes/status only if the
//     Ready condition changed or nodeStatusReportFrequency has passed since
//     the last report.
//
// With Config.LegacyNodeStatus the kubelet runs as before KEP-589
// (kubernetes/enhancements keps/sig-node/589-efficient-node-heartbeats),
// the NodeLease feature gate off: no Lease at all, and every status sync
// PATCHes the full NodeStatus, changed or not. In
// pkg/kubelet/kubelet_node_status.go tryUpdateNodeStatus (v1.13–v1.16)
// the skip of an unchanged status within nodeStatusReportFrequency is
// guarded by the NodeLease gate, so with it off every computed status is
// posted, one every nodeStatusUpdateFrequency; each post refreshes the
// Ready condition's lastHeartbeatTime, the node lifecycle controller's
// health signal when there is no Lease. The mode keeps the rest of the
// version's status loop (the try-0 read from the node informer, which
// the kubelets of that era made as a GET with resourceVersion "0" from
// the API server's cache, and the loop's jitter).
//
// Both heartbeats use the heartbeat client (QPS -1: unthrottled, timeout
// min(nodeStatusUpdateFrequency, lease duration), cmd/kubelet/app/server.go);
// the node informer uses the main client (kubeAPIQPS/kubeAPIBurst).
//
// A restarted kubelet (Start) knows nothing: its informer lists and
// watches its Node, the Lease loop GETs the Lease before updating it, and
// the first status sync registers the node first (kubelet_node_status.go
// registerWithAPIServer: sleep 100ms, doubling up to 7s, before each
// attempt; an attempt is a POST of the Node through the main client,
// answered AlreadyExists (409), then a GET of the existing Node), then
// reports its status at once: it has never reported.
//
// With Config.Pods set, the kubelet also runs its pods (pods.go,
// eviction.go):
//
//   - The pod source (pkg/kubelet/config/apiserver.go): a reflector on the
//     pods with fieldSelector spec.nodeName=<node>, through the main client.
//   - A pod worker per pod (pod_workers.go, kuberuntime SyncPod): the
//     first sync hands the status manager the pod's status (startTime,
//     Pending), then the runtime creates the sandbox, and for each
//     container (init containers first) ensures its image (IfNotPresent:
//     pull only if the node's image store lacks it; pulls are serialized
//     per node unless ParallelImagePulls, as serializeImagePulls=true) and
//     starts it. The generic PLEG's next relist (every 1s) notices the
//     running containers; the pod worker then reports Running and Ready.
//   - The status manager (status/status_manager.go): each new status is
//     synced at once by a GET of the pod from the API server and, if the
//     status differs, a PATCH of pods/status; failed syncs are retried by
//     the 10s batch sync. A deleted pod whose containers have stopped gets
//     its terminal status written, then is deleted with grace 0.
//   - Graceful deletion: a pod with a deletionTimestamp is stopped, each
//     container within the grace period (at least 2s); one deleted outright
//     is torn down at once. Pods whose containers all exited in time end
//     Succeeded, others Failed (getPhase with podIsTerminal).
//   - The pod startup latency tracker (util/pod_startup_latency_tracker.go):
//     for pods first seen without a startTime, creation to the watch
//     showing them Running, with and without the image pull time.
//   - Memory eviction (eviction.go).
//   - The runtime's pods and images outlive the kubelet process: a
//     restarted kubelet relists and finds its pods' containers running.
//   - A kubelet that has been running its pods before time 0
//     (StartRunningPods) holds them as it would after reporting them:
//     containers running, images in the store, statuses written, its pod
//     watch open; it writes nothing for them until something changes.
//
// What the model leaves out: volumes, probes (a running container is
// Ready), container restarts and exits, init containers' run time (each
// starts and completes at once), the pull policies Always and Never (every
// pull is IfNotPresent), the node's status.images after a pull, the
// MemoryPressure condition and every other eviction signal, pod admission
// (resources, pod count), the pod status's conditions other than Ready,
// the UID preconditions of the status manager's writes, and the other
// kubelet-owned statuses (container statuses, pod IPs). Also every
// condition of the node but Ready; the reconciling PATCH registration
// sends when labels or annotations of the existing Node differ (they
// never do here); the fast status updates at startup. A status PATCH
// counts the Node's full size on the wire as in storage, where upstream's
// patch body is small ("even though the patch send over network is
// small, in etcd we store the whole Node object", KEP-589).
package kubelet

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Config holds the kubelet settings the model uses.
type Config struct {
	NodeLeaseDuration         time.Duration
	NodeStatusUpdateFrequency time.Duration
	NodeStatusReportFrequency time.Duration
	Jitter                    bool
	Heartbeat, Main           client.Config
	// LeaseSize and NodeSize are the serialized sizes of the Lease and
	// the Node the kubelet writes (0: objects.DefaultLeaseSize and
	// objects.DefaultSizes.Node).
	LeaseSize, NodeSize int32
	// LegacyNodeStatus turns the NodeLease feature off: no Lease, the full
	// NodeStatus posted every NodeStatusUpdateFrequency (the mode before
	// KEP-589; NodeLeaseDuration and NodeStatusReportFrequency unused).
	LegacyNodeStatus bool
	// Pods turns on the pod side (a watch on the node's pods, their
	// lifecycle, eviction); nil: the kubelet knows no pods and costs
	// nothing for them.
	Pods *PodConfig
}

// renewIntervalFraction: the Lease is renewed every 0.25 of its duration
// (pkg/kubelet/kubelet.go: nodeLeaseRenewIntervalFraction).
const renewIntervalFraction = 0.25

// jitterFactor is the JitterUntil factor of both heartbeat loops.
const jitterFactor = 0.04

// maxUpdateRetries: immediate Lease update attempts per sync
// (component-helpers lease/controller.go). nodeStatusUpdateRetry is the same
// for node status (pkg/kubelet/kubelet.go).
const (
	maxUpdateRetries      = 5
	nodeStatusUpdateRetry = 5
	ensureMaxBackoff      = 7 * time.Second
)

const (
	kindRenew int32 = api.KindPrivate + 20 + iota
	kindEnsureRetry
	kindStatus
	kindRegister
)

// registerFirstStep and ensureMaxBackoff bound registerWithAPIServer's
// sleeps: 100ms before the first attempt, doubling, at most 7s
// (pkg/kubelet/kubelet_node_status.go).
const registerFirstStep = 100 * time.Millisecond

// After an ensure (GET or create of the Lease), where the sync continues.
type ensureThen uint8

const (
	thenUpdateFromEnsured ensureThen = iota // sync's fallback: update from the ensured Lease
	thenContinueUpdates                     // a conflict inside an update loop: next attempt
)

// Kubelet is one node's kubelet.
type Kubelet struct {
	eng  *sim.Engine
	rng  *sim.Rand
	cfg  Config
	id   int32
	name string

	self      sim.EndpointID
	heartbeat *client.Client
	main      *client.Client
	informer  *client.Reflector
	node      nodeStore
	running   bool

	// Lease controller.
	latest      api.Object
	haveLatest  bool
	updateTries int
	fallback    bool // the update loop started from an ensured Lease; failing it ends the sync
	ensureThen  ensureThen
	ensureSleep time.Duration
	renewTimer  *sim.Timer
	ensureTimer *sim.Timer

	// Node registration (registerWithAPIServer), done before the first
	// status sync of a restarted kubelet.
	registered    bool
	registerStep  time.Duration
	registerTimer *sim.Timer

	// Node status loop.
	statusTry   int
	lastReport  sim.Time
	statusTimer *sim.Timer
	// The loop's idle ticks are computed, not simulated: ticks follow
	// statusFrom at jittered intervals drawn from statusRand, and the timer
	// is armed only for the first tick at which the loop would act.
	// statusSaved is statusRand's state at statusFrom, so the same ticks can
	// be replayed when the informer changes.
	statusRand  *sim.Rand
	statusSaved sim.Rand
	statusFrom  sim.Time
	statusBusy  bool // a sync is in progress

	pods *podSide // nil unless Config.Pods is set

	m *Metrics
}

// Metrics are the kubelets' shared counters.
type Metrics struct {
	LeaseSyncFailures  *sim.Counter
	StatusSyncFailures *sim.Counter
	Restarts           *sim.Counter
	// Pods is made by the first kubelet with its pod side on.
	Pods *PodMetrics
}

// NewMetrics registers the kubelet counters.
func NewMetrics(rec *sim.Recorder) *Metrics {
	return &Metrics{
		LeaseSyncFailures:  rec.Counter("kubelet_lease_sync_failures_total"),
		StatusSyncFailures: rec.Counter("kubelet_node_status_sync_failures_total"),
		Restarts:           rec.Counter("kubelet_restarts_total"),
	}
}

// nodeStore is the kubelet's node informer cache: its own Node only. A
// change may make the status loop act earlier, so it re-plans the loop.
type nodeStore struct {
	obj api.Object
	ok  bool
	k   *Kubelet
}

func (s *nodeStore) Replace(items []api.Object) {
	s.ok = len(items) > 0
	if s.ok {
		s.obj = items[0]
	}
	s.changed()
}

func (s *nodeStore) Apply(ev *api.WatchEvent) {
	s.obj, s.ok = ev.Object, ev.Type != api.Deleted
	s.changed()
}

// changed re-plans the status loop and, the node's memory capacity coming
// from its allocatable, rechecks memory pressure: a restarted kubelet
// knows its capacity only once its informer has listed the Node.
func (s *nodeStore) changed() {
	s.k.replanStatus()
	if s.k.pods != nil {
		s.k.pods.checkMemory()
	}
}

// New returns a stopped kubelet for node id, registered on the network as name.
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, m *Metrics, name string, id int32, server sim.EndpointID, cfg Config) *Kubelet {
	if cfg.LeaseSize == 0 {
		cfg.LeaseSize = objects.DefaultLeaseSize
	}
	if cfg.NodeSize == 0 {
		cfg.NodeSize = objects.DefaultSizes.Node
	}
	k := &Kubelet{eng: eng, rng: eng.Rand("kubelet/" + name), cfg: cfg, id: id, name: name, m: m}
	k.self = net.AddEndpoint(name, k)
	k.heartbeat = client.New(eng, net, sh, k.self, server, cfg.Heartbeat)
	k.main = client.New(eng, net, sh, k.self, server, cfg.Main)
	k.node.k = k
	k.statusRand = k.rng.Fork("node-status")
	k.informer = client.NewReflector(k.main, net, k.rng.Fork("reflector"), rec, api.Nodes, id, &k.node)
	k.renewTimer = eng.NewTimer(k, kindRenew)
	k.ensureTimer = eng.NewTimer(k, kindEnsureRetry)
	k.statusTimer = eng.NewTimer(k, kindStatus)
	k.registerTimer = eng.NewTimer(k, kindRegister)
	if cfg.Pods != nil {
		k.pods = newPodSide(k, rec, net, m)
	}
	return k
}

// Connect connects the kubelet's main client (the one its informer
// watches through) and returns the API server replica it goes to.
func (k *Kubelet) Connect() sim.EndpointID { return k.main.Connect() }

// Endpoint is the kubelet's network endpoint.
func (k *Kubelet) Endpoint() sim.EndpointID { return k.self }

// Name is the node's name.
func (k *Kubelet) Name() string { return k.name }

// PodsOn reports whether the kubelet's pod side is on (Config.Pods).
func (k *Kubelet) PodsOn() bool { return k.pods != nil }

// Running reports whether the kubelet process is up.
func (k *Kubelet) Running() bool { return k.running }

// StartRunning puts the kubelet in the state of one that has been running
// before time 0: it holds the Lease it last wrote (lease is ignored in the
// legacy mode, which has none), its informer is synced on an open watch
// stream, and its loops are at random phases. With its pod side on, its
// pod reflector lists the node's pods (a kubelet whose pods were running
// before time 0 starts with StartRunningPods instead).
func (k *Kubelet) StartRunning(lease, node api.Object, watch sim.StreamID) {
	from := k.startRunning(lease, node, watch)
	if k.pods != nil {
		k.pods.begin(from)
	}
}

// StartRunningPods is StartRunning for a kubelet with its pod side on
// that has been running pods before time 0: pods are the node's pods as
// stored (those bound elsewhere are ignored), whose containers are
// running (and their images in the node's store); its pod watch is open
// on podWatch at resource version rv, which the API server must serve as
// PodWatchRequest describes, with the timeout returned. A pod stored
// with the status the kubelet would report for it (Running, Ready: see
// WarmPod) costs nothing: no request, no startup latency sample; one
// stored otherwise has its status synced, a terminating one is stopped
// and a finished one is treated as after a relist.
func (k *Kubelet) StartRunningPods(lease, node api.Object, watch sim.StreamID, pods []api.Object, rv int64, podWatch sim.StreamID) time.Duration {
	if k.pods == nil {
		panic("kubelet: StartRunningPods without Config.Pods")
	}
	from := k.startRunning(lease, node, watch)
	return k.pods.beginWarm(from, pods, rv, podWatch)
}

// PodWatchRequest is the watch the kubelet's pod reflector keeps: the
// pods with spec.nodeName=<node> (pkg/kubelet/config/apiserver.go), for
// a caller opening it before time 0 (StartRunningPods).
func (k *Kubelet) PodWatchRequest(timeout time.Duration) *api.Request {
	return &api.Request{Verb: api.Watch, Resource: api.Pods, Name: -1, ByNode: true, Node: k.id, AllowBookmarks: true, WatchTimeout: timeout}
}

// startRunning is the node half of StartRunning; it returns when the pod
// loops' ticks began.
func (k *Kubelet) startRunning(lease, node api.Object, watch sim.StreamID) sim.Time {
	k.running = true
	k.registered = true
	k.node = nodeStore{obj: node, ok: true, k: k}
	k.informer.StartWatching(node.ResourceVersion, watch)
	// The phases are drawn in both modes, so that a legacy run's status
	// loop keeps the phase the same seed gives a Lease run.
	renewPhase := time.Duration(k.rng.Float64() * float64(k.renewInterval()))
	if !k.cfg.LegacyNodeStatus {
		k.latest, k.haveLatest = lease, true
		k.renewTimer.Reset(renewPhase)
	}
	k.lastReport = sim.Time(-int64(k.rng.Float64() * float64(k.cfg.NodeStatusReportFrequency)))
	// The loop's last tick was a random fraction of a period ago.
	k.planStatus(k.eng.Now().Add(-time.Duration(k.rng.Float64() * float64(k.cfg.NodeStatusUpdateFrequency))))
	if k.pods == nil {
		return k.eng.Now()
	}
	if n, ok := node.Body.(*objects.Node); ok {
		k.pods.seedImages(n.Images)
	}
	// The pod loops run at random phases.
	return k.eng.Now().Add(-time.Duration(k.rng.Float64() * float64(time.Second)))
}

// Stop kills the kubelet process: timers stop, outstanding requests are
// forgotten, the watch connection closes.
func (k *Kubelet) Stop() {
	if !k.running {
		return
	}
	k.running = false
	k.renewTimer.Stop()
	k.ensureTimer.Stop()
	k.statusTimer.Stop()
	k.registerTimer.Stop()
	k.informer.Stop()
	if k.pods != nil {
		k.pods.stop()
	}
	k.heartbeat.Stop()
	k.main.Stop()
}

// Start starts the kubelet process from scratch: it knows no Lease, lists
// its Node, and runs both loops at once (JitterUntil runs f immediately);
// the status loop's first sync registers the node before anything else.
func (k *Kubelet) Start() {
	if k.running {
		return
	}
	k.running = true
	k.registered = false
	k.registerStep = registerFirstStep
	k.haveLatest = false
	k.node = nodeStore{k: k}
	k.statusBusy = false
	k.lastReport = sim.Time(-1 << 62) // never reported: the first sync reports
	k.informer.Start()
	if k.pods != nil {
		k.pods.begin(k.eng.Now())
	}
	if !k.cfg.LegacyNodeStatus {
		k.syncLease()
	}
	k.syncStatus()
}

// Restart stops and starts the process.
func (k *Kubelet) Restart() {
	k.m.Restarts.Inc()
	k.Stop()
	k.Start()
}

func (k *Kubelet) renewInterval() time.Duration {
	return time.Duration(renewIntervalFraction * float64(k.cfg.NodeLeaseDuration))
}

func (k *Kubelet) jittered(d time.Duration) time.Duration {
	if !k.cfg.Jitter {
		return d
	}
	return client.Jitter(k.rng, d, jitterFactor)
}

// Handle dispatches the kubelet's events.
func (k *Kubelet) Handle(ev *sim.Event) {
	if !k.running {
		return
	}
	switch ev.Kind {
	case api.KindResponse:
		req := ev.Data.(*api.Request)
		req.Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		if !k.informer.HandleStream(ev) && k.pods != nil {
			k.pods.refl.HandleStream(ev)
		}
	case kindRenew:
		k.syncLease()
	case kindEnsureRetry:
		k.getLease()
	case kindStatus:
		k.syncStatus()
	case kindRegister:
		k.tryRegister()
	case kindPodStep:
		k.pods.step(int32(ev.A))
	case kindPodStatusBatch:
		k.pods.batch()
	case kindEvictionCheck:
		k.pods.evictionCheck()
	}
}

// OnResponse routes the outcome of the kubelet's own requests.
func (k *Kubelet) OnResponse(req *api.Request) {
	if req.Via == k.main {
		// Registration and the status manager use the main client for
		// single requests.
		defer k.main.Release(req)
		if req.Resource.Stored() == api.Pods {
			k.pods.onResponse(req)
			return
		}
		k.onRegisterResponse(req)
		return
	}
	defer k.heartbeat.Release(req)
	switch {
	case req.Resource == api.Leases && req.Verb == api.Update:
		k.onLeaseUpdate(req)
	case req.Resource == api.Leases && req.Verb == api.Get:
		k.onLeaseGet(req)
	case req.Resource == api.Leases && req.Verb == api.Create:
		k.onLeaseCreate(req)
	case req.Resource == api.NodeStatus && req.Verb == api.Patch:
		k.onStatusPatch(req)
	case req.Resource == api.Nodes && req.Verb == api.Get:
		k.onNodeGet(req)
	}
}

// --- Lease controller ---

func (k *Kubelet) syncLease() {
	if k.haveLatest {
		k.fallback = false
		k.updateTries = 0
		k.updateLease()
		return
	}
	k.ensureLease(thenUpdateFromEnsured)
}

func (k *Kubelet) updateLease() {
	req := k.heartbeat.NewRequest(api.Update, api.Leases, k.id)
	req.ResourceVersion = k.latest.ResourceVersion
	req.Object = k.latest
	req.Object.RenewTime = k.eng.Now()
	req.Object.Size = k.cfg.LeaseSize
	k.heartbeat.Do(req, k)
}

func (k *Kubelet) onLeaseUpdate(req *api.Request) {
	if req.Code.Success() {
		k.latest, k.haveLatest = req.Result, true
		k.leaseSyncDone()
		return
	}
	k.updateTries++
	if req.Code == api.Conflict && k.updateTries < maxUpdateRetries {
		k.ensureLease(thenContinueUpdates)
		return
	}
	if k.updateTries < maxUpdateRetries {
		k.updateLease()
		return
	}
	k.m.LeaseSyncFailures.Inc()
	if k.fallback {
		k.leaseSyncDone() // "will retry after renewInterval"
		return
	}
	k.ensureLease(thenUpdateFromEnsured)
}

func (k *Kubelet) ensureLease(then ensureThen) {
	k.ensureThen = then
	k.ensureSleep = 100 * time.Millisecond
	k.getLease()
}

func (k *Kubelet) getLease() {
	k.heartbeat.Do(k.heartbeat.NewRequest(api.Get, api.Leases, k.id), k)
}

func (k *Kubelet) onLeaseGet(req *api.Request) {
	switch {
	case req.Code.Success():
		k.ensured(req.Result, false)
	case req.Code == api.NotFound:
		c := k.heartbeat.NewRequest(api.Create, api.Leases, k.id)
		c.Object = api.Object{Resource: api.Leases, ID: k.id, RenewTime: k.eng.Now(), Size: k.cfg.LeaseSize}
		k.heartbeat.Do(c, k)
	default:
		k.retryEnsure()
	}
}

func (k *Kubelet) onLeaseCreate(req *api.Request) {
	if req.Code.Success() {
		k.ensured(req.Result, true)
		return
	}
	k.retryEnsure()
}

// retryEnsure sleeps min(2×sleep, 7s) and tries again (backoffEnsureLease).
func (k *Kubelet) retryEnsure() {
	k.ensureSleep = min(2*k.ensureSleep, ensureMaxBackoff)
	k.ensureTimer.Reset(k.ensureSleep)
}

func (k *Kubelet) ensured(lease api.Object, created bool) {
	k.latest, k.haveLatest = lease, true
	switch k.ensureThen {
	case thenContinueUpdates:
		k.updateLease()
	case thenUpdateFromEnsured:
		if created {
			k.leaseSyncDone() // no update needed right after creating it
			return
		}
		k.fallback = true
		k.updateTries = 0
		k.updateLease()
	}
}

func (k *Kubelet) leaseSyncDone() {
	k.renewTimer.Reset(k.jittered(k.renewInterval()))
}

// --- Node registration ---

// registerLater sleeps before the next registration attempt: 100ms, then
// doubling, at most 7s (registerWithAPIServer sleeps before every attempt).
func (k *Kubelet) registerLater() {
	k.registerTimer.Reset(k.registerStep)
	k.registerStep = min(2*k.registerStep, ensureMaxBackoff)
}

// tryRegister is tryRegisterWithAPIServer: POST the Node.
func (k *Kubelet) tryRegister() {
	req := k.main.NewRequest(api.Create, api.Nodes, k.id)
	req.Object = api.Object{Resource: api.Nodes, ID: k.id, Ready: api.ConditionTrue, HeartbeatTime: k.eng.Now(), Size: k.cfg.NodeSize}
	k.main.Do(req, k)
}

// onRegisterResponse: AlreadyExists (409) is followed by a GET of the
// existing Node; a Node created or read ends the registration, and the
// status sync that was waiting for it goes on. Any other outcome sleeps
// and tries again.
func (k *Kubelet) onRegisterResponse(req *api.Request) {
	switch {
	case req.Verb == api.Create && req.Code == api.Conflict:
		k.main.Do(k.main.NewRequest(api.Get, api.Nodes, k.id), k)
	case req.Code.Success():
		k.registered = true
		k.statusTry = 0
		k.tryStatus()
	default:
		k.registerLater()
	}
}

// --- Node status ---

func (k *Kubelet) syncStatus() {
	k.statusBusy = true
	if !k.registered {
		k.registerLater()
		return
	}
	k.statusTry = 0
	k.tryStatus()
}

func (k *Kubelet) tryStatus() {
	if k.statusTry == 0 {
		if !k.informer.Synced() || !k.node.ok {
			k.statusFailed() // "error getting node": the lister has not synced
			return
		}
		k.decideStatus(k.node.obj)
		return
	}
	k.heartbeat.Do(k.heartbeat.NewRequest(api.Get, api.Nodes, k.id), k)
}

func (k *Kubelet) onNodeGet(req *api.Request) {
	if !req.Code.Success() {
		k.statusFailed()
		return
	}
	k.decideStatus(req.Result)
}

// decideStatus patches the Node if Ready changed or a report is due; in
// the legacy mode, always.
func (k *Kubelet) decideStatus(orig api.Object) {
	now := k.eng.Now()
	changed := orig.Ready != api.ConditionTrue
	if !changed && !k.cfg.LegacyNodeStatus && now.Sub(k.lastReport) < k.cfg.NodeStatusReportFrequency {
		k.statusDone()
		return
	}
	req := k.heartbeat.NewRequest(api.Patch, api.NodeStatus, k.id)
	req.Object = orig
	req.Object.Ready, req.Object.HeartbeatTime = api.ConditionTrue, now
	if changed {
		req.Object.LastTransitionTime = now
	}
	req.Object.Size = k.cfg.NodeSize
	k.heartbeat.Do(req, k)
}

func (k *Kubelet) onStatusPatch(req *api.Request) {
	if !req.Code.Success() {
		k.statusFailed()
		return
	}
	k.lastReport = k.eng.Now()
	k.statusDone()
}

func (k *Kubelet) statusFailed() {
	k.statusTry++
	if k.statusTry < nodeStatusUpdateRetry {
		k.tryStatus()
		return
	}
	k.m.StatusSyncFailures.Inc()
	k.statusDone()
}

// statusDone ends a sync; JitterUntil is sliding, so ticks restart from now.
func (k *Kubelet) statusDone() {
	k.statusBusy = false
	k.planStatus(k.eng.Now())
}

// statusWouldAct reports whether a sync at tick t would do anything more
// than compare: the informer has no Node (try 0 fails), Ready is not True,
// or a report is due. In the legacy mode every sync posts.
func (k *Kubelet) statusWouldAct(t sim.Time) bool {
	return k.cfg.LegacyNodeStatus || !k.informer.Synced() || !k.node.ok || k.node.obj.Ready != api.ConditionTrue ||
		t.Sub(k.lastReport) >= k.cfg.NodeStatusReportFrequency
}

// planStatus starts a tick sequence at from and arms the timer for its
// first acting tick.
func (k *Kubelet) planStatus(from sim.Time) {
	k.statusFrom = from
	k.statusSaved = *k.statusRand
	k.armStatus(from)
}

// replanStatus re-arms after an informer change: ticks before now were
// idle under the old state, so the first acting tick at or after now wins.
// The sequence is replayed from the saved state: the same ticks as before.
func (k *Kubelet) replanStatus() {
	if !k.running || k.statusBusy {
		return
	}
	*k.statusRand = k.statusSaved
	k.armStatus(k.eng.Now())
}

// armStatus walks the ticks after statusFrom and arms the timer for the
// first one at or after notBefore at which the loop would act. A report is
// due within NodeStatusReportFrequency, so the walk is bounded.
func (k *Kubelet) armStatus(notBefore sim.Time) {
	t := k.statusFrom
	for {
		t = t.Add(k.statusInterval())
		if t >= notBefore && k.statusWouldAct(t) {
			k.statusTimer.ResetAt(t)
			return
		}
	}
}

func (k *Kubelet) statusInterval() time.Duration {
	if !k.cfg.Jitter {
		return k.cfg.NodeStatusUpdateFrequency
	}
	return client.Jitter(k.statusRand, k.cfg.NodeStatusUpdateFrequency, jitterFactor)
}
