package cluster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

const (
	kindFaultStart int32 = iota
	kindFaultEnd
)

type activeFault struct {
	spec        scenarios.Fault
	nodes       []int32
	servers     []int // API server replicas
	controllers []int // workload controllers
	managers    []int // kube-controller-manager instances
	partition   sim.PartitionID
	members     []int             // etcd members the fault acts on
	partitions  []sim.PartitionID // etcd partitions to heal
}

// faultInjector is the engine target of fault events; it acts on the
// components directly, as a person with a shell on the machines would.
type faultInjector struct{ c *Cluster }

func (f *faultInjector) Handle(ev *sim.Event) {
	c := f.c
	i := int(ev.A)
	switch ev.Kind {
	case kindFaultStart:
		c.startFault(i)
	case kindFaultEnd:
		c.endFault(i)
	}
}

// SelectNodes resolves a node selector to node IDs, in node order.
func (c *Cluster) SelectNodes(sel scenarios.NodeSelector) []int32 {
	var out []int32
	for id, n := range c.Nodes {
		if sel.Count > 0 && len(out) == sel.Count {
			break
		}
		if len(sel.Names) > 0 && !slices.Contains(sel.Names, n.Name) {
			continue
		}
		if sel.Pool != "" && n.Pool != sel.Pool {
			continue
		}
		if sel.Zone != "" && n.Zone != sel.Zone {
			continue
		}
		out = append(out, int32(id))
	}
	return out
}

func (c *Cluster) scheduleFaults() {
	inj := &faultInjector{c: c}
	for i, spec := range c.Scenario.Spec.Faults {
		var nodes []int32
		switch spec.Type {
		case scenarios.FaultStopKubelet, scenarios.FaultRestartKubelet, scenarios.FaultPartition:
			nodes = c.SelectNodes(spec.Nodes)
		}
		c.faults = append(c.faults, activeFault{spec: spec, nodes: nodes})
		c.Tracker.faults[i].Nodes = c.faults[i].nodes
		at := sim.Time(spec.At)
		c.Eng.ScheduleWithPriority(sim.Event{At: at, Target: inj, Kind: kindFaultStart, A: int64(i), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream}, sim.PriorityUrgent)
		if spec.Duration > 0 {
			c.Eng.ScheduleWithPriority(sim.Event{At: at.Add(spec.Duration), Target: inj, Kind: kindFaultEnd, A: int64(i), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream}, sim.PriorityUrgent)
		}
	}
}

func (c *Cluster) nodeList(ids []int32) string {
	const shown = 5
	var names []string
	for i, id := range ids {
		if i == shown {
			names = append(names, fmt.Sprintf("and %d more", len(ids)-shown))
			break
		}
		names = append(names, c.Nodes[id].Name)
	}
	return strings.Join(names, ", ")
}

func (c *Cluster) startFault(i int) {
	f := &c.faults[i]
	now := c.Eng.Now()
	c.Tracker.faultStarted(now, i)
	switch f.spec.Type {
	case scenarios.FaultStopKubelet:
		for _, id := range f.nodes {
			c.Kubelets[id].Stop()
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: stop kubelet on %s", i, c.nodeList(f.nodes)))
	case scenarios.FaultRestartKubelet:
		for _, id := range f.nodes {
			c.Kubelets[id].Restart()
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: restart kubelet on %s", i, c.nodeList(f.nodes)))
		c.Tracker.faultEnded(now, i)
		c.Tracker.restarted(now, f.nodes)
	case scenarios.FaultRestartAPIServer:
		f.servers = c.selectServers(f.spec.Servers)
		var names []string
		for _, s := range f.servers {
			c.APIServers[s].Stop()
			c.Balancer.SetHealthy(s, false)
			names = append(names, c.APIServers[s].Name())
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: stop %s", i, strings.Join(names, ", ")))
		if f.spec.Duration == 0 {
			c.startServers(i, f)
			c.Tracker.faultEnded(now, i)
		}
	case scenarios.FaultEtcdCrash, scenarios.FaultEtcdRestart, scenarios.FaultEtcdPartition, scenarios.FaultEtcdIsolateLeader,
		scenarios.FaultEtcdSlowDisk, scenarios.FaultEtcdCompact, scenarios.FaultEtcdDefrag, scenarios.FaultEtcdAlarmDisarm:
		c.startEtcdFault(i, f)
	case scenarios.FaultSlowWatcher:
		n := c.SlowWatchers(f.spec.Watchers, f.spec.ReadTime, false)
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: %d watchers of %s read %v per event", i, n, strings.Join(f.spec.Watchers, ", "), f.spec.ReadTime))
	case scenarios.FaultRestartControllers:
		var names []string
		for j, ct := range c.Scenario.Spec.Workload.Controllers {
			if len(f.spec.Controllers) == 0 || slices.Contains(f.spec.Controllers, ct.Name) {
				f.controllers = append(f.controllers, j)
				names = append(names, ct.Name)
			}
		}
		for _, j := range f.controllers {
			c.Controllers[j].Restart()
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: restart controllers %s", i, strings.Join(names, ", ")))
		c.Tracker.faultEnded(now, i)
	case scenarios.FaultStopControllerManager, scenarios.FaultMemoryPressure:
		c.startPodFault(i, f)
	case scenarios.FaultPartition:
		eps := make([]sim.EndpointID, len(f.nodes))
		for j, id := range f.nodes {
			eps[j] = c.Kubelets[id].Endpoint()
		}
		var servers []sim.EndpointID
		for _, srv := range c.APIServers {
			servers = append(servers, srv.Endpoint())
		}
		f.partition = c.Net.Partition(fmt.Sprintf("fault-%d", i), eps, servers)
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: partition %s from the API server for %v", i, c.nodeList(f.nodes), f.spec.Duration))
	}
}

func (c *Cluster) endFault(i int) {
	f := &c.faults[i]
	now := c.Eng.Now()
	switch f.spec.Type {
	case scenarios.FaultStopKubelet:
		for _, id := range f.nodes {
			c.Kubelets[id].Start()
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: start kubelet on %s", i, c.nodeList(f.nodes)))
	case scenarios.FaultPartition:
		c.Net.Heal(f.partition)
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: partition healed", i))
	case scenarios.FaultRestartAPIServer:
		c.startServers(i, f)
	case scenarios.FaultSlowWatcher:
		c.SlowWatchers(f.spec.Watchers, 0, true)
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: watchers of %s read at their own speed again", i, strings.Join(f.spec.Watchers, ", ")))
	case scenarios.FaultStopControllerManager, scenarios.FaultMemoryPressure:
		c.endPodFault(i, f)
	default:
		c.endEtcdFault(i, f)
	}
	c.Tracker.faultEnded(now, i)
}

// selectServers resolves replica names (none: every replica) to indexes.
func (c *Cluster) selectServers(names []string) []int {
	var out []int
	for i, srv := range c.APIServers {
		if len(names) == 0 || slices.Contains(names, srv.Name()) {
			out = append(out, i)
		}
	}
	return out
}

// startServers starts the fault's replicas again: each relists etcd into
// its cache through its own etcd client, and rejoins the balancer.
func (c *Cluster) startServers(i int, f *activeFault) {
	for _, s := range f.servers {
		c.APIServers[s].Start(c.EtcdClients[s].Relist)
		c.Balancer.SetHealthy(s, true)
		c.Rec.Note(c.Eng.Now(), "fault", fmt.Sprintf("fault %d: %s started", i, c.APIServers[s].Name()))
	}
}

// FaultRecord is what happened with one fault, for the convergence report.
type FaultRecord struct {
	Index int
	Type  string
	Nodes []int32
	// Members are the etcd members an etcd fault acted on, resolved when
	// it started (the leader at that time, for leader faults).
	Members []string
	At      sim.Time
	// End is when the fault stopped acting (heal, restart); -1 if it never did.
	End sim.Time
	// DetectedAt is when the first affected node was stored not Ready; -1 if never.
	DetectedAt sim.Time
	// ConvergedAt is when every node was stored Ready again after End (and
	// stayed so until the next fault or the end of the run); -1 if never.
	ConvergedAt sim.Time
	judged      bool
}

// NotReadyGauge names the gauge of nodes stored not Ready.
const NotReadyGauge = "nodes_not_ready"

// Tracker watches committed Node objects — the cluster's state of record —
// to count Ready nodes and to time each fault's detection and convergence.
// It is bookkeeping installed as a storage observer, not a component.
type Tracker struct {
	eng   *sim.Engine
	rec   *sim.Recorder
	nodes []Node
	// narrate, with spec.trace, tells object changes on the timeline.
	narrate       *narrator
	readyNow      []bool
	ready         int
	allReadySince sim.Time // -1 while some node is not Ready
	faults        []FaultRecord

	readyGauge    *sim.Gauge
	notReadyGauge *sim.Gauge // its complement, whose per-bucket max shows any dip
	transitions   *sim.Counter

	pods *podTracker // runs with pods only (podtracker.go)
}

func newTracker(eng *sim.Engine, rec *sim.Recorder, nodes []Node, faults []scenarios.Fault) *Tracker {
	t := &Tracker{eng: eng, rec: rec, nodes: nodes, readyNow: make([]bool, len(nodes)), ready: len(nodes),
		readyGauge: rec.Gauge("nodes_ready"), notReadyGauge: rec.Gauge(NotReadyGauge), transitions: rec.Counter("nodes_not_ready_transitions_total")}
	for i := range t.readyNow {
		t.readyNow[i] = true
	}
	t.readyGauge.Set(0, float64(len(nodes)))
	for i, f := range faults {
		t.faults = append(t.faults, FaultRecord{Index: i, Type: f.Type, At: sim.Time(f.At), End: -1, DetectedAt: -1, ConvergedAt: -1})
	}
	return t
}

// Faults returns the fault records.
func (t *Tracker) Faults() []FaultRecord { return t.faults }

// Ready is the number of nodes stored Ready now.
func (t *Tracker) Ready() int { return t.ready }

// NotReadyTransitions counts stored Ready→not-Ready transitions.
func (t *Tracker) NotReadyTransitions() int64 { return t.transitions.Value }

// Committed implements etcd.CommitObserver.
func (t *Tracker) Committed(now sim.Time, existed bool, cur *api.Object) {
	if t.narrate != nil {
		t.narrate.committed(now, cur)
	}
	if t.pods != nil {
		t.advancePods(now)
		if cur.Resource != api.Nodes {
			t.podCommitted(now, cur)
			return
		}
	}
	if cur.Resource != api.Nodes || int(cur.ID) >= len(t.nodes) {
		return
	}
	id := cur.ID
	isReady := cur.Ready == api.ConditionTrue
	if t.readyNow[id] == isReady {
		return
	}
	t.readyNow[id] = isReady
	name := t.nodes[id].Name
	if isReady {
		t.ready++
		t.rec.Note(now, "cluster", fmt.Sprintf("%s is Ready again", name))
	} else {
		t.ready--
		t.transitions.Inc()
		t.rec.Note(now, "cluster", fmt.Sprintf("%s is NotReady (Ready=%s)", name, cur.Ready))
		t.detected(now, id)
	}
	t.readyGauge.Set(now, float64(t.ready))
	t.notReadyGauge.Set(now, float64(len(t.nodes)-t.ready))
	if t.ready == len(t.nodes) {
		t.allReadySince = now
		t.rec.Note(now, "cluster", "all nodes Ready")
	} else {
		t.allReadySince = -1
	}
	if t.pods != nil {
		t.podsChanged(now)
	}
}

func (t *Tracker) detected(now sim.Time, id int32) {
	for i := range t.faults {
		f := &t.faults[i]
		if f.judged || f.DetectedAt >= 0 || now < f.At || !f.affects(id) {
			continue
		}
		f.DetectedAt = now
	}
}

func (f *FaultRecord) affects(id int32) bool {
	for _, n := range f.Nodes {
		if n == id {
			return true
		}
	}
	return false
}

// faultStarted judges the convergence of earlier faults that have ended:
// a new fault starts a new story.
func (t *Tracker) faultStarted(now sim.Time, index int) {
	for i := range t.faults {
		if i != index && t.faults[i].At <= now {
			t.judge(&t.faults[i], now, false)
		}
	}
}

func (t *Tracker) faultEnded(now sim.Time, index int) {
	if t.faults[index].End < 0 {
		t.faults[index].End = now
	}
}

// restarted ends earlier stopKubelet faults whose nodes have all been
// restarted by a restartKubelet fault.
func (t *Tracker) restarted(now sim.Time, ids []int32) {
	for i := range t.faults {
		f := &t.faults[i]
		if f.Type != scenarios.FaultStopKubelet || f.End >= 0 || f.At > now {
			continue
		}
		all := true
		for _, n := range f.Nodes {
			if !slices.Contains(ids, n) {
				all = false
			}
		}
		if all {
			f.End = now
		}
	}
}

// judge decides whether an ended fault converged, looking at the state at
// now. final marks the end of the run.
func (t *Tracker) judge(f *FaultRecord, now sim.Time, final bool) {
	if f.judged || f.End < 0 || f.End > now {
		if final {
			f.judged = true
		}
		return
	}
	f.judged = true
	if t.allReadySince >= 0 {
		f.ConvergedAt = max(t.allReadySince, f.End)
	}
}

func (t *Tracker) finish(end sim.Time) {
	for i := range t.faults {
		t.judge(&t.faults[i], end, true)
	}
	if t.pods != nil {
		t.finishPods(end)
	}
}
