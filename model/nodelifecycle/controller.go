// Package nodelifecycle models the node health part of kube-controller-
// manager's node lifecycle controller
// (pkg/controller/nodelifecycle/node_lifecycle_controller.go).
//
// Every --node-monitor-period (sliding: the next pass starts a period after
// the previous one finished) monitorNodeHealth walks the Nodes in its
// informer. For each it keeps a probe timestamp, refreshed — to the
// controller's own clock — whenever it observes a newer Lease renewTime or a
// changed Ready heartbeat time. A node whose probe is older than
// --node-monitor-grace-period gets its Ready condition set to Unknown
// ("Kubelet stopped posting node status") by an UpdateStatus through the
// controller manager's client (QPS 20, burst 30), 8 nodes at a time
// (nodeUpdateWorkerSize); a failed update is retried up to 5 times after a
// fresh GET of the Node. The kubelet, once it can reach the API server
// again, sees Unknown in its own informer and patches Ready back to True.
//
// What the model leaves out: taints and taint-based eviction, zone states
// and eviction rate limiting, marking pods NotReady, the other node
// conditions, the startup grace period, leader election.
package nodelifecycle

import (
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// Config is the controller's configuration.
type Config struct {
	MonitorPeriod time.Duration
	GracePeriod   time.Duration
	Client        client.Config
	NodeSize      int32
	NodeNames     []string // for timeline messages
}

// nodeUpdateWorkerSize is the parallelism of node health updates
// (node_lifecycle_controller.go: nodeUpdateWorkerSize = 8).
const nodeUpdateWorkerSize = 8

// nodeStatusUpdateRetry bounds the update attempts per node per pass
// (node_lifecycle_controller.go: nodeStatusUpdateRetry = 5).
const nodeStatusUpdateRetry = 5

const kindMonitor int32 = api.KindPrivate + 40

// nodeHealth is what the controller remembers of a node between passes.
type nodeHealth struct {
	known         bool
	probe         sim.Time
	heartbeat     sim.Time
	renew         sim.Time
	observedReady api.ConditionStatus
	marked        bool // set Unknown in this outage; cleared by a fresh probe
}

// objectCache is an informer store: the latest object by ID.
type objectCache struct{ api.ObjectTable }

func (c *objectCache) Replace(items []api.Object) {
	c.Clear()
	for _, o := range items {
		c.Set(o)
	}
}

func (c *objectCache) Apply(ev *api.WatchEvent) {
	if ev.Type == api.Deleted {
		c.Delete(ev.Object.ID)
		return
	}
	c.Set(ev.Object)
}

// Controller is the node lifecycle controller.
type Controller struct {
	eng *sim.Engine
	rec *sim.Recorder
	cfg Config
	c   *client.Client

	nodes, leases     objectCache
	nodeInf, leaseInf *client.Reflector
	health            []nodeHealth

	monitor  *sim.Timer
	todo     []int32 // nodes to mark Unknown in this pass
	tries    []uint8 // update attempts per node in this pass
	inFlight int

	marked      *sim.Counter
	observedOff *sim.Counter
	passes      *sim.Counter
}

// New returns the controller, registered on the network as name (the
// controller manager's endpoint).
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, name string, server sim.EndpointID, cfg Config) *Controller {
	nc := &Controller{eng: eng, rec: rec, cfg: cfg}
	self := net.AddEndpoint(name, nc)
	rng := eng.Rand("node-lifecycle-controller")
	nc.c = client.New(eng, net, sh, self, server, cfg.Client)
	nc.nodeInf = client.NewReflector(nc.c, net, rng.Fork("nodes"), rec, api.Nodes, -1, &nc.nodes)
	nc.leaseInf = client.NewReflector(nc.c, net, rng.Fork("leases"), rec, api.Leases, -1, &nc.leases)
	nc.monitor = eng.NewTimer(nc, kindMonitor)
	nc.marked = rec.Counter("nodelifecycle_nodes_marked_unknown_total")
	nc.observedOff = rec.Counter("nodelifecycle_ready_transitions_observed_total")
	nc.passes = rec.Counter("nodelifecycle_monitor_passes_total")
	return nc
}

// Endpoint is the controller manager's network endpoint.
func (nc *Controller) Endpoint() sim.EndpointID { return nc.c.Endpoint() }

// Connect connects the controller's client and returns the API server
// replica it goes to.
func (nc *Controller) Connect() sim.EndpointID { return nc.c.Connect() }

// StartRunning starts from synced informers on open watch streams: a
// controller that was running before time 0. The first pass is at a random
// phase of the monitor period.
func (nc *Controller) StartRunning(nodes, leases []api.Object, rv int64, nodeWatch, leaseWatch sim.StreamID, phase float64) {
	nc.nodes.Replace(nodes)
	nc.leases.Replace(leases)
	nc.nodeInf.StartWatching(rv, nodeWatch)
	nc.leaseInf.StartWatching(rv, leaseWatch)
	nc.monitor.Reset(time.Duration(phase * float64(nc.cfg.MonitorPeriod)))
}

// Handle dispatches the controller's events.
func (nc *Controller) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		if !nc.nodeInf.HandleStream(ev) {
			nc.leaseInf.HandleStream(ev)
		}
	case kindMonitor:
		nc.monitorNodeHealth()
	}
}

func (nc *Controller) nodeName(id int32) string {
	if int(id) < len(nc.cfg.NodeNames) {
		return nc.cfg.NodeNames[id]
	}
	return fmt.Sprintf("node#%d", id)
}

// monitorNodeHealth is one pass over every node, in ID order.
func (nc *Controller) monitorNodeHealth() {
	nc.passes.Inc()
	now := nc.eng.Now()
	nc.todo = nc.todo[:0]
	for id := range nc.nodes.IDs() {
		node, ok := nc.nodes.Get(id)
		if !ok {
			continue
		}
		if nc.needsUnknown(id, node, now) {
			nc.todo = append(nc.todo, id)
		}
	}
	if len(nc.todo) == 0 {
		nc.monitor.Reset(nc.cfg.MonitorPeriod)
		return
	}
	for len(nc.tries) < int(nc.nodes.IDs()) {
		nc.tries = append(nc.tries, 0)
	}
	for nc.inFlight < nodeUpdateWorkerSize && len(nc.todo) > 0 {
		nc.startUpdate()
	}
}

// needsUnknown refreshes the node's probe from what the informers show and
// reports whether the grace period has run out (tryUpdateNodeHealth).
func (nc *Controller) needsUnknown(id int32, node api.Object, now sim.Time) bool {
	for int(id) >= len(nc.health) {
		nc.health = append(nc.health, nodeHealth{})
	}
	h := &nc.health[id]
	if !h.known {
		*h = nodeHealth{known: true, probe: now, heartbeat: node.HeartbeatTime, observedReady: node.Ready}
	}
	if node.HeartbeatTime != h.heartbeat {
		h.heartbeat, h.probe, h.marked = node.HeartbeatTime, now, false
	}
	if lease, ok := nc.leases.Get(id); ok && lease.RenewTime > h.renew {
		h.renew, h.probe, h.marked = lease.RenewTime, now, false
	}
	if node.Ready != h.observedReady {
		nc.observedOff.Inc()
		nc.rec.Note(now, "node-lifecycle-controller", fmt.Sprintf("observed %s Ready %s → %s", nc.nodeName(id), h.observedReady, node.Ready))
		h.observedReady = node.Ready
	}
	return now > h.probe.Add(nc.cfg.GracePeriod) && node.Ready != api.ConditionUnknown && !h.marked
}

func (nc *Controller) startUpdate() {
	id := nc.todo[0]
	nc.todo = nc.todo[1:]
	nc.tries[id] = 0
	node, _ := nc.nodes.Get(id)
	nc.inFlight++
	nc.sendUnknown(node)
}

func (nc *Controller) sendUnknown(node api.Object) {
	nc.tries[node.ID]++
	req := nc.c.NewRequest(api.Update, api.NodeStatus, node.ID)
	req.ResourceVersion = node.ResourceVersion
	req.Object = node
	req.Object.Ready = api.ConditionUnknown
	req.Object.LastTransitionTime = nc.eng.Now()
	req.Object.Size = nc.cfg.NodeSize
	nc.c.Do(req, nc)
}

// OnResponse handles update and re-read results of the current pass.
func (nc *Controller) OnResponse(req *api.Request) {
	defer nc.c.Release(req)
	switch req.Verb {
	case api.Update:
		if req.Code.Success() {
			nc.markedUnknown(req.Name)
			return
		}
		nc.retryOrGiveUp(req.Name, func() {
			nc.c.Do(nc.c.NewRequest(api.Get, api.Nodes, req.Name), nc)
		})
	case api.Get:
		if !req.Code.Success() {
			nc.retryOrGiveUp(req.Name, func() {
				nc.c.Do(nc.c.NewRequest(api.Get, api.Nodes, req.Name), nc)
			})
			return
		}
		// Re-run the health check on the fresh Node: a heartbeat that
		// arrived meanwhile refreshes the probe and cancels the update.
		fresh := req.Result
		if nc.needsUnknown(fresh.ID, fresh, nc.eng.Now()) {
			nc.sendUnknown(fresh)
			return
		}
		nc.updateDone()
	}
}

func (nc *Controller) retryOrGiveUp(id int32, retry func()) {
	if nc.tries[id] < nodeStatusUpdateRetry {
		retry()
		return
	}
	nc.updateDone()
}

func (nc *Controller) markedUnknown(id int32) {
	now := nc.eng.Now()
	h := &nc.health[id]
	h.marked = true
	nc.marked.Inc()
	nc.rec.Note(now, "node-lifecycle-controller", fmt.Sprintf("set %s Ready=Unknown: no heartbeat for %v (grace %v)", nc.nodeName(id), now.Sub(h.probe).Round(time.Millisecond), nc.cfg.GracePeriod))
	nc.updateDone()
}

// updateDone frees a worker; when the pass's last update is done, the next
// pass is scheduled a monitor period later.
func (nc *Controller) updateDone() {
	nc.inFlight--
	if len(nc.todo) > 0 {
		nc.startUpdate()
		return
	}
	if nc.inFlight == 0 {
		nc.monitor.Reset(nc.cfg.MonitorPeriod)
	}
}
