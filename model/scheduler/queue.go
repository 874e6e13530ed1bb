package scheduler

import (
	"errors"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// The scheduling queue's defaults (pkg/scheduler/internal/queue
// scheduling_queue.go in v1.31, pkg/scheduler/backend/queue from v1.32;
// the two backoff durations are also podInitialBackoffSeconds and
// podMaxBackoffSeconds in pkg/scheduler/apis/config/v1/defaults.go).
const (
	// DefaultPodInitialBackoff is a pod's backoff after its first failed
	// attempt (DefaultPodInitialBackoffDuration).
	DefaultPodInitialBackoff = time.Second
	// DefaultPodMaxBackoff caps the backoff, which doubles per attempt
	// (DefaultPodMaxBackoffDuration).
	DefaultPodMaxBackoff = 10 * time.Second
	// DefaultPodMaxInUnschedulablePods: a pod left in unschedulablePods
	// longer than this goes back to the active or backoff queue
	// (DefaultPodMaxInUnschedulablePodsDuration).
	DefaultPodMaxInUnschedulablePods = 5 * time.Minute
	// BackoffFlushPeriod and UnschedulableFlushPeriod are the periods of
	// the two goroutines PriorityQueue.Run starts: flushBackoffQCompleted
	// every second and flushUnschedulablePodsLeftover every 30 seconds.
	BackoffFlushPeriod       = time.Second
	UnschedulableFlushPeriod = 30 * time.Second
)

// QueueConfig is the scheduling queue's settings.
type QueueConfig struct {
	PodInitialBackoff, PodMaxBackoff time.Duration
	PodMaxInUnschedulablePods        time.Duration
	// QueueingHints is the SchedulerQueueingHints feature gate: beta and
	// on in v1.28, off in v1.29–v1.31, on again from v1.32
	// (kubernetes/website feature-gates/scheduler-queueing-hints.md). Off,
	// a pod that fails goes to backoffQ if any move request came during
	// its cycle (moveRequestCycle), and node events pass the preCheck.
	// On, the queue keeps the events that came while pods were in flight
	// and requeues a failed pod only if one of them concerns a plugin that
	// rejected it; the preCheck is skipped.
	QueueingHints bool
}

// DefaultQueueConfig returns the queue defaults of Kubernetes 1.minor.
func DefaultQueueConfig(minor int) QueueConfig {
	return QueueConfig{
		PodInitialBackoff:         DefaultPodInitialBackoff,
		PodMaxBackoff:             DefaultPodMaxBackoff,
		PodMaxInUnschedulablePods: DefaultPodMaxInUnschedulablePods,
		QueueingHints:             minor == 28 || minor >= 32,
	}
}

// Validate checks the durations.
func (c *QueueConfig) Validate() error {
	switch {
	case c.PodInitialBackoff <= 0:
		return errors.New("scheduler: podInitialBackoffSeconds: must be greater than 0")
	case c.PodMaxBackoff < c.PodInitialBackoff:
		return errors.New("scheduler: podMaxBackoffSeconds: must be greater than or equal to podInitialBackoffSeconds")
	case c.PodMaxInUnschedulablePods <= 0:
		return errors.New("scheduler: podMaxInUnschedulablePodsDuration: must be greater than 0")
	}
	return nil
}

// ClusterEvent is a change in the cluster that may make unschedulable
// pods schedulable (framework.ClusterEvent, with upstream's labels).
type ClusterEvent uint8

const (
	EventNodeAdd ClusterEvent = iota
	EventNodeDelete
	// The node update events, in the order NodeSchedulingPropertiesChange
	// derives them (pkg/scheduler/framework/events.go).
	EventNodeSpecUnschedulableChange // a cordon lifted
	EventNodeAllocatableChange
	EventNodeLabelChange
	EventNodeTaintChange
	EventNodeConditionChange
	EventAssignedPodAdd
	EventAssignedPodUpdate // an assigned pod's labels changed
	EventAssignedPodDelete
	// EventUnschedulableTimeout is the flush of pods left in
	// unschedulablePods too long: a wildcard that moves every pod.
	EventUnschedulableTimeout
	numClusterEvents
)

var eventNames = [numClusterEvents]string{
	"NodeAdd", "NodeDelete", "NodeSpecUnschedulableChange", "NodeAllocatableChange",
	"NodeLabelChange", "NodeTaintChange", "NodeConditionChange",
	"AssignedPodAdd", "AssignedPodUpdate", "AssignedPodDelete", "UnschedulableTimeout",
}

func (e ClusterEvent) String() string { return eventNames[e] }

var allFilterPlugins = pluginSet(FilterPlugins...)

// eventPlugins: the filter plugins that registered each event, from their
// EventsToRegister in v1.31 (pkg/scheduler/framework/plugins/...): every
// plugin that registers Node/Add also registers UpdateNodeTaint and
// UpdateNodeLabel, because the preCheck can make a pod miss a Node/Add
// (noderesources/fit.go, kubernetes/kubernetes#109437); a lifted cordon
// is an UpdateNodeTaint; only NodeResourcesFit asks for allocatable
// changes; only PodTopologySpread for node deletions; no default filter
// for condition changes (conditions reach the scheduler as taints).
// Assigned pods: NodeResourcesFit registers Pod/Delete, PodTopologySpread
// Add|UpdatePodLabel|Delete, InterPodAffinity Pod/All.
var eventPlugins = [numClusterEvents]PluginSet{
	EventNodeAdd:                     allFilterPlugins,
	EventNodeDelete:                  pluginSet(PodTopologySpread),
	EventNodeSpecUnschedulableChange: allFilterPlugins,
	EventNodeAllocatableChange:       pluginSet(NodeResourcesFit),
	EventNodeLabelChange:             allFilterPlugins,
	EventNodeTaintChange:             allFilterPlugins,
	EventNodeConditionChange:         0,
	EventAssignedPodAdd:              pluginSet(PodTopologySpread, InterPodAffinity),
	EventAssignedPodUpdate:           pluginSet(PodTopologySpread, InterPodAffinity),
	EventAssignedPodDelete:           pluginSet(NodeResourcesFit, PodTopologySpread, InterPodAffinity),
	EventUnschedulableTimeout:        allFilterPlugins,
}

// wildcard events move every pod, whatever rejected it.
func (e ClusterEvent) wildcard() bool { return e == EventUnschedulableTimeout }

// QueueName names one of the three sub-queues.
type QueueName uint8

const (
	NotQueued QueueName = iota // in flight, or not known
	ActiveQ
	BackoffQ
	UnschedulablePods
)

var queueNames = [...]string{"none", "active", "backoff", "unschedulable"}

func (q QueueName) String() string { return queueNames[q] }

// QueuedPod is a pod in the scheduling queue (framework.QueuedPodInfo).
type QueuedPod struct {
	Pod *objects.Pod
	// Timestamp is when the pod was added, or last failed: the activeQ
	// orders by it and backoff counts from it.
	Timestamp sim.Time
	// InitialAttempt is when the pod first entered activeQ (-1: never);
	// e2e scheduling latency counts from it.
	InitialAttempt sim.Time
	// Attempts counts the pod's pops.
	Attempts int
	// UnschedulablePlugins are the plugins that rejected the pod in its
	// last attempt (empty after an error that was not a FitError).
	UnschedulablePlugins PluginSet

	where   QueueName
	idx     int    // position in its heap or in the unschedulable list
	seq     uint64 // insertion order: the tie-break of equal keys
	backoff sim.Time
	// cycle is the scheduling cycle of its last pop; inFlight: popped
	// and not yet Done; since: where its in-flight events begin.
	cycle    int64
	inFlight bool
	since    uint64
	// updatedInFlight: the pod itself changed while in flight (hints on:
	// addEventIfPodInFlight), which makes it worth retrying.
	updatedInFlight bool
}

// Cycle is the scheduling cycle of the pod's last pop.
func (qp *QueuedPod) Cycle() int64 { return qp.cycle }

// Where reports the sub-queue the pod is in.
func (qp *QueuedPod) Where() QueueName { return qp.where }

// Errors from AddUnschedulableIfNotPresent.
var (
	ErrAlreadyQueued = errors.New("scheduler: pod is already in the scheduling queue")
	ErrNotInFlight   = errors.New("scheduler: pod is not in flight")
)

// Queue is kube-scheduler's PriorityQueue: activeQ (a heap by priority,
// then timestamp; the model has no priorities, so it is FIFO by
// timestamp), backoffQ (a heap by backoff expiry) and unschedulablePods.
// It is pure logic: the caller passes the virtual time to every call and
// runs the two flushes on its own timers.
type Queue struct {
	cfg     QueueConfig
	in      *objects.Interner
	pods    []*QueuedPod // by pod ID: every pod the queue knows, in flight included
	active  podHeap
	backoff podHeap
	unsched []*QueuedPod
	seq     uint64

	schedCycle int64
	// moveRequestCycle is the scheduling cycle of the last move request
	// (-1: none). A pod whose cycle started at or before it goes to
	// backoffQ when it fails, since the event may have made it
	// schedulable (QueueingHints off).
	moveRequestCycle int64

	// In-flight events (QueueingHints on): the events received while any
	// pod was in flight, numbered from eventBase.
	flying    []*QueuedPod
	events    []PluginSet
	eventBase uint64

	gauges   [4]*sim.Gauge
	incoming map[incomingKey]*sim.Counter
	rec      *sim.Recorder
	labels   []string
}

type incomingKey struct {
	q     QueueName
	event string
}

// NewQueue returns an empty queue. rec may be nil; otherwise the queue
// keeps scheduler_pending_pods{queue} and
// scheduler_queue_incoming_pods_total{queue,event} as upstream's metrics
// do, with labels (key, value pairs) added to each.
func NewQueue(cfg QueueConfig, in *objects.Interner, rec *sim.Recorder, labels ...string) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, in: in, moveRequestCycle: -1, rec: rec, labels: labels}
	q.active.less = func(a, b *QueuedPod) bool {
		return a.Timestamp < b.Timestamp || (a.Timestamp == b.Timestamp && a.seq < b.seq)
	}
	q.backoff.less = func(a, b *QueuedPod) bool {
		return a.backoff < b.backoff || (a.backoff == b.backoff && a.seq < b.seq)
	}
	if rec != nil {
		for _, n := range []QueueName{ActiveQ, BackoffQ, UnschedulablePods} {
			q.gauges[n] = rec.Gauge(PendingPodsGauge, append([]string{"queue", n.String()}, labels...)...)
		}
		q.incoming = map[incomingKey]*sim.Counter{}
	}
	return q, nil
}

// PendingPodsGauge names the gauge of pending pods per sub-queue.
const PendingPodsGauge = "scheduler_pending_pods"

// Config is the queue's configuration.
func (q *Queue) Config() QueueConfig { return q.cfg }

// Len returns the number of pods in a sub-queue.
func (q *Queue) Len(n QueueName) int {
	switch n {
	case ActiveQ:
		return len(q.active.h)
	case BackoffQ:
		return len(q.backoff.h)
	case UnschedulablePods:
		return len(q.unsched)
	}
	return 0
}

// Pending is the number of pods in the three sub-queues.
func (q *Queue) Pending() int { return len(q.active.h) + len(q.backoff.h) + len(q.unsched) }

// Get returns the queue's entry for pod id (nil if unknown).
func (q *Queue) Get(id int32) *QueuedPod {
	if id < 0 || int(id) >= len(q.pods) {
		return nil
	}
	return q.pods[id]
}

// SchedulingCycle is the number of pops so far.
func (q *Queue) SchedulingCycle() int64 { return q.schedCycle }

// MoveRequestCycle is the cycle of the last move request (-1: none).
func (q *Queue) MoveRequestCycle() int64 { return q.moveRequestCycle }

// BackoffDuration is the backoff of a pod after the given number of
// attempts: initial × 2^(attempts−1), capped (calculateBackoffDuration).
func (q *Queue) BackoffDuration(attempts int) time.Duration {
	d := q.cfg.PodInitialBackoff
	for i := 1; i < attempts; i++ {
		if d > q.cfg.PodMaxBackoff-d {
			return q.cfg.PodMaxBackoff
		}
		d += d
	}
	return d
}

// backoffExpiry is getBackoffTime: the last timestamp plus the backoff.
func (q *Queue) backoffExpiry(qp *QueuedPod) sim.Time {
	return qp.Timestamp.Add(q.BackoffDuration(qp.Attempts))
}

// BackingOff reports whether the pod is still waiting out its backoff
// (isPodBackingoff).
func (q *Queue) BackingOff(qp *QueuedPod, now sim.Time) bool { return q.backoffExpiry(qp) > now }

// NextBackoffExpiry is when the head of backoffQ completes its backoff.
func (q *Queue) NextBackoffExpiry() (sim.Time, bool) {
	if len(q.backoff.h) == 0 {
		return 0, false
	}
	return q.backoff.h[0].backoff, true
}

// Add queues a new pending pod in activeQ (Add: newQueuedPodInfo, then
// moveToActiveQ). A pod the queue already holds is moved to activeQ
// with its new object, keeping its attempts.
func (q *Queue) Add(p *objects.Pod, now sim.Time) { q.add(p, now, "PodAdd") }

// add moves p to activeQ with its new object, making its entry (added
// now) if the queue does not know it.
func (q *Queue) add(p *objects.Pod, now sim.Time, event string) {
	if p.ID < 0 {
		return
	}
	for int(p.ID) >= len(q.pods) {
		q.pods = append(q.pods, nil)
	}
	qp := q.pods[p.ID]
	if qp == nil {
		qp = &QueuedPod{Timestamp: now, InitialAttempt: -1}
		q.pods[p.ID] = qp
	}
	qp.Pod = p
	q.moveToActive(qp, now, event)
}

// unlink takes the pod out of whichever sub-queue holds it.
func (q *Queue) unlink(qp *QueuedPod, now sim.Time) {
	switch qp.where {
	case ActiveQ:
		q.active.remove(qp)
	case BackoffQ:
		q.backoff.remove(qp)
	case UnschedulablePods:
		last := len(q.unsched) - 1
		moved := q.unsched[last]
		q.unsched[qp.idx] = moved
		moved.idx = qp.idx
		q.unsched[last] = nil
		q.unsched = q.unsched[:last]
	default:
		return
	}
	old := qp.where
	qp.where = NotQueued
	q.setGauge(old, now)
}

func (q *Queue) place(qp *QueuedPod, to QueueName, now sim.Time, event string) {
	q.unlink(qp, now)
	q.seq++
	qp.seq = q.seq
	qp.where = to
	switch to {
	case ActiveQ:
		if qp.InitialAttempt < 0 {
			qp.InitialAttempt = now
		}
		q.active.push(qp)
	case BackoffQ:
		qp.backoff = q.backoffExpiry(qp)
		q.backoff.push(qp)
	case UnschedulablePods:
		qp.idx = len(q.unsched)
		q.unsched = append(q.unsched, qp)
	}
	q.setGauge(to, now)
	if q.incoming != nil {
		k := incomingKey{to, event}
		c := q.incoming[k]
		if c == nil {
			c = q.rec.Counter("scheduler_queue_incoming_pods_total", append([]string{"queue", to.String(), "event", event}, q.labels...)...)
			q.incoming[k] = c
		}
		c.Inc()
	}
}

func (q *Queue) moveToActive(qp *QueuedPod, now sim.Time, event string) {
	q.place(qp, ActiveQ, now, event)
}

func (q *Queue) setGauge(n QueueName, now sim.Time) {
	if g := q.gauges[n]; g != nil {
		g.Set(now, float64(q.Len(n)))
	}
}

// Pop takes the head of activeQ (activeQueue.pop): the pod's attempts
// and the scheduling cycle go up, its unschedulable plugins are reset,
// and it is in flight until Done (or AddUnschedulableIfNotPresent). It
// returns nil if activeQ is empty; upstream's Pop would block.
func (q *Queue) Pop(now sim.Time) *QueuedPod {
	if len(q.active.h) == 0 {
		return nil
	}
	qp := q.active.h[0]
	q.unlink(qp, now)
	qp.Attempts++
	q.schedCycle++
	qp.cycle = q.schedCycle
	qp.UnschedulablePlugins = 0
	// A pod queued again while in flight and popped once more is in
	// flight once (upstream's inFlightPods is a map by UID); its events
	// start anew.
	if !qp.inFlight {
		q.flying = append(q.flying, qp)
	}
	qp.inFlight, qp.updatedInFlight = true, false
	qp.since = q.eventBase + uint64(len(q.events))
	return qp
}

// Done ends a popped pod's flight (PriorityQueue.Done): after its
// binding, or when it is requeued.
func (q *Queue) Done(qp *QueuedPod) {
	if !qp.inFlight {
		return
	}
	qp.inFlight = false
	i := slices.Index(q.flying, qp)
	q.flying = slices.Delete(q.flying, i, i+1)
	q.pruneEvents()
}

// pruneEvents drops the in-flight events no pod in flight can still need.
func (q *Queue) pruneEvents() {
	if len(q.events) == 0 {
		return
	}
	oldest := q.eventBase + uint64(len(q.events))
	for _, qp := range q.flying {
		oldest = min(oldest, qp.since)
	}
	if drop := int(oldest - q.eventBase); drop > 0 {
		q.events = append(q.events[:0], q.events[drop:]...)
		q.eventBase = oldest
	}
}

// AddUnschedulableIfNotPresent requeues a pod whose attempt failed and
// ends its flight. Its timestamp becomes now. podCycle is the scheduling
// cycle the caller names: the scheduler passes the queue's current one
// (handleSchedulingFailure: SchedulingQueue.SchedulingCycle()), which is
// the pod's own when it failed in its scheduling cycle. With
// QueueingHints off (addUnschedulableWithoutQueueingHint) it goes to
// backoffQ if a move request came at or after podCycle, or if no plugin
// rejected it (an
// error, not a FitError); otherwise to unschedulablePods. With hints on,
// it goes to activeQ or backoffQ (by its backoff) if an event that came
// while it was in flight concerns a plugin that rejected it, or if none
// rejected it; otherwise to unschedulablePods.
func (q *Queue) AddUnschedulableIfNotPresent(qp *QueuedPod, podCycle int64, now sim.Time) error {
	if !qp.inFlight {
		return ErrNotInFlight
	}
	defer q.Done(qp)
	if qp.where != NotQueued {
		// Re-added (e.g. by an update) while it was in flight.
		return ErrAlreadyQueued
	}
	qp.Timestamp = now
	rejectors := qp.UnschedulablePlugins
	if !q.cfg.QueueingHints {
		if q.moveRequestCycle >= podCycle || rejectors == 0 {
			q.place(qp, BackoffQ, now, "ScheduleAttemptFailure")
		} else {
			q.place(qp, UnschedulablePods, now, "ScheduleAttemptFailure")
		}
		return nil
	}
	requeue := rejectors == 0 || qp.updatedInFlight
	for _, plugins := range q.events[qp.since-q.eventBase:] {
		if plugins&rejectors != 0 {
			requeue = true
			break
		}
	}
	if !requeue {
		q.place(qp, UnschedulablePods, now, "ScheduleAttemptFailure")
		return nil
	}
	q.requeue(qp, now, "ScheduleAttemptFailure")
	return nil
}

// requeue is requeuePodViaQueueingHint with queueAfterBackoff: backoffQ
// while the pod backs off, else activeQ.
func (q *Queue) requeue(qp *QueuedPod, now sim.Time, event string) {
	if q.BackingOff(qp, now) {
		q.place(qp, BackoffQ, now, event)
		return
	}
	q.moveToActive(qp, now, event)
}

// FlushBackoffCompleted moves the pods whose backoff has ended to activeQ
// (flushBackoffQCompleted); it returns how many it moved.
func (q *Queue) FlushBackoffCompleted(now sim.Time) int {
	n := 0
	for len(q.backoff.h) > 0 && q.backoff.h[0].backoff <= now {
		q.moveToActive(q.backoff.h[0], now, "BackoffComplete")
		n++
	}
	return n
}

// FlushUnschedulableLeftover moves the pods that have been in
// unschedulablePods longer than PodMaxInUnschedulablePods to activeQ or
// backoffQ (flushUnschedulablePodsLeftover).
func (q *Queue) FlushUnschedulableLeftover(now sim.Time) int {
	var move []*QueuedPod
	for _, qp := range q.unsched {
		if now.Sub(qp.Timestamp) > q.cfg.PodMaxInUnschedulablePods {
			move = append(move, qp)
		}
	}
	return q.movePods(move, EventUnschedulableTimeout, now)
}

// PreEnqueueCheck filters the pods a node event may move (nil: all).
type PreEnqueueCheck func(p *objects.Pod) bool

// MoveAllToActiveOrBackoffQueue moves the unschedulable pods that pass
// preCheck and that the event concerns to activeQ, or to backoffQ while
// they back off, and records the move request. With QueueingHints on the
// preCheck is not used (preCheckForNode returns nil).
func (q *Queue) MoveAllToActiveOrBackoffQueue(event ClusterEvent, preCheck PreEnqueueCheck, now sim.Time) int {
	if !q.interesting(event) {
		return 0
	}
	if q.cfg.QueueingHints {
		preCheck = nil
	}
	var move []*QueuedPod
	for _, qp := range q.unsched {
		if preCheck == nil || preCheck(qp.Pod) {
			move = append(move, qp)
		}
	}
	return q.movePods(move, event, now)
}

// AssignedPodAdded is the handler of a newly bound pod with QueueingHints
// off: only the unschedulable pods it may unblock are considered — those
// PodTopologySpread rejected in its namespace and those with a required
// pod-affinity term it matches (getUnschedulablePodsWithCrossTopologyTerm).
// With hints on, upstream calls MoveAllToActiveOrBackoffQueue instead.
func (q *Queue) AssignedPodAdded(p *objects.Pod, now sim.Time) int {
	return q.assignedPodEvent(p, EventAssignedPodAdd, now)
}

// AssignedPodUpdated is the same for a bound pod whose labels changed.
func (q *Queue) AssignedPodUpdated(p *objects.Pod, now sim.Time) int {
	return q.assignedPodEvent(p, EventAssignedPodUpdate, now)
}

func (q *Queue) assignedPodEvent(p *objects.Pod, event ClusterEvent, now sim.Time) int {
	if q.cfg.QueueingHints {
		return q.MoveAllToActiveOrBackoffQueue(event, nil, now)
	}
	var move []*QueuedPod
	for _, qp := range q.unsched {
		if qp.UnschedulablePlugins.Has(PodTopologySpread) && qp.Pod.Namespace == p.Namespace {
			move = append(move, qp)
			continue
		}
		for i := range qp.Pod.Spec.PodAffinity.Required {
			if qp.Pod.Spec.PodAffinity.Required[i].MatchesPod(qp.Pod.Namespace, p, q.in) {
				move = append(move, qp)
				break
			}
		}
	}
	return q.movePods(move, event, now)
}

// interesting is isEventOfInterest: some plugin registered the event.
func (q *Queue) interesting(event ClusterEvent) bool {
	return event.wildcard() || eventPlugins[event] != 0
}

// movePods is movePodsToActiveOrBackoffQueue: each pod the event
// concerns (a plugin that rejected it registered the event, or nothing
// rejected it, or the event is a wildcard) goes to backoffQ while it
// backs off, else to activeQ. Then the move request is recorded: the
// cycle for pods that fail later (hints off), the event for pods in
// flight (hints on). The pods move in timestamp order, then by ID (upstream
// walks a map).
func (q *Queue) movePods(move []*QueuedPod, event ClusterEvent, now sim.Time) int {
	if !q.interesting(event) {
		return 0
	}
	slices.SortFunc(move, func(a, b *QueuedPod) int {
		if a.Timestamp != b.Timestamp {
			if a.Timestamp < b.Timestamp {
				return -1
			}
			return 1
		}
		return int(a.Pod.ID - b.Pod.ID)
	})
	moved := 0
	for _, qp := range move {
		if !q.worthRequeuing(qp, event) {
			continue
		}
		q.requeue(qp, now, event.String())
		moved++
	}
	q.moveRequestCycle = q.schedCycle
	if q.cfg.QueueingHints && len(q.flying) > 0 {
		plugins := eventPlugins[event]
		if event.wildcard() {
			plugins = ^PluginSet(0)
		}
		q.events = append(q.events, plugins)
	}
	return moved
}

// worthRequeuing is isPodWorthRequeuing with every registered hint
// answering Queue (the hints of a disabled feature gate).
func (q *Queue) worthRequeuing(qp *QueuedPod, event ClusterEvent) bool {
	return qp.UnschedulablePlugins == 0 || event.wildcard() || qp.UnschedulablePlugins&eventPlugins[event] != 0
}

// Update handles an update of a pending pod (PriorityQueue.Update). In
// activeQ or backoffQ the pod's object is replaced. In unschedulablePods,
// a change beyond its status (isPodUpdated) moves it to backoffQ while it
// backs off, else to activeQ; a status-only change leaves it. A pod not
// queued is added to activeQ — with hints off even one in flight, as
// upstream does (its failure then finds it queued). With hints on an
// in-flight pod's update is only noted, and makes its failure requeue it.
func (q *Queue) Update(old, p *objects.Pod, now sim.Time) {
	qp := q.Get(p.ID)
	if qp != nil && qp.inFlight && q.cfg.QueueingHints && qp.where == NotQueued {
		qp.Pod, qp.updatedInFlight = p, true
		return
	}
	if qp == nil || qp.where == NotQueued {
		q.add(p, now, "PodUpdate")
		return
	}
	qp.Pod = p
	switch qp.where {
	case ActiveQ:
		q.active.fix(qp)
	case BackoffQ:
		q.backoff.fix(qp)
	case UnschedulablePods:
		if old == nil || !podUpdated(old, p) {
			return
		}
		if q.BackingOff(qp, now) {
			q.place(qp, BackoffQ, now, "PodUpdate")
			return
		}
		q.moveToActive(qp, now, "BackoffComplete")
	}
}

// podUpdated is isPodUpdated: the pod changed in more than its status
// (and resourceVersion). The compact pod's spec, labels and node are
// what the scheduler reads.
func podUpdated(old, p *objects.Pod) bool {
	return old.Spec != p.Spec || !slices.Equal(old.Labels, p.Labels) || old.NodeName != p.NodeName ||
		old.Namespace != p.Namespace
}

// Delete forgets a pod (PriorityQueue.Delete). A pod in flight ends its
// flight at once, where upstream keeps it in inFlightPods until Done: its
// in-flight events could only matter to its own requeue, which a deleted
// pod never gets.
func (q *Queue) Delete(id int32, now sim.Time) {
	qp := q.Get(id)
	if qp == nil {
		return
	}
	q.unlink(qp, now)
	if qp.inFlight {
		q.Done(qp)
	}
	q.pods[id] = nil
}

// Close is the end of the process holding the queue: its pending-pod
// gauges drop to zero (the queue itself is dropped by the caller).
func (q *Queue) Close(now sim.Time) {
	for _, g := range q.gauges {
		if g != nil {
			g.Set(now, 0)
		}
	}
}

// InFlight is the number of pods popped and not yet Done.
func (q *Queue) InFlight() int { return len(q.flying) }

// podHeap is a binary min-heap of queued pods that keeps each pod's index.
type podHeap struct {
	h    []*QueuedPod
	less func(a, b *QueuedPod) bool
}

func (ph *podHeap) push(qp *QueuedPod) {
	qp.idx = len(ph.h)
	ph.h = append(ph.h, qp)
	ph.up(qp.idx)
}

func (ph *podHeap) remove(qp *QueuedPod) {
	i, last := qp.idx, len(ph.h)-1
	if i != last {
		ph.swap(i, last)
	}
	ph.h[last] = nil
	ph.h = ph.h[:last]
	if i != last {
		ph.fixAt(i)
	}
}

func (ph *podHeap) fix(qp *QueuedPod) { ph.fixAt(qp.idx) }

func (ph *podHeap) fixAt(i int) {
	if !ph.down(i) {
		ph.up(i)
	}
}

func (ph *podHeap) swap(i, j int) {
	ph.h[i], ph.h[j] = ph.h[j], ph.h[i]
	ph.h[i].idx, ph.h[j].idx = i, j
}

func (ph *podHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !ph.less(ph.h[i], ph.h[p]) {
			return
		}
		ph.swap(i, p)
		i = p
	}
}

func (ph *podHeap) down(i int) bool {
	start, n := i, len(ph.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && ph.less(ph.h[r], ph.h[l]) {
			m = r
		}
		if !ph.less(ph.h[m], ph.h[i]) {
			break
		}
		ph.swap(i, m)
		i = m
	}
	return i > start
}

// PreCheckForNode is the preCheck of node events with QueueingHints off
// (pkg/scheduler/eventhandlers.go preCheckForNode): a pod is moved only
// if it would pass AdmissionCheck on the node — NodeResourcesFit with the
// node's pods, required node affinity and nodeSelector, NodeName (node
// ports are not modeled) — and the node has no NoSchedule taint the pod
// does not tolerate. NoExecute taints are not checked here.
func PreCheckForNode(ni *NodeInfo, in *objects.Interner) PreEnqueueCheck {
	return func(p *objects.Pod) bool {
		n, spec := ni.Node, p.Spec
		var st NodeStatus
		if fitsRequest(ni, spec, &st); st.N > 0 {
			return false
		}
		if spec.HasRequiredNodeAffinity() && !spec.MatchesRequiredNodeAffinity(n.Labels, in) {
			return false
		}
		if p.NodeName != objects.NoNode && p.NodeName != n.ID {
			return false
		}
		for i := range n.Taints {
			t := &n.Taints[i]
			if t.Effect == objects.NoSchedule && !objects.TolerationsTolerate(spec.Tolerations, t) {
				return false
			}
		}
		return true
	}
}
