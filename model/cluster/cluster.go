// Package cluster builds a simulated cluster from a scenario: the engine,
// the network, storage, the API server, one kubelet per node and the node
// lifecycle controller, in the state of a cluster that has been running for
// a while (objects stored, informers synced, watches open, heartbeat loops at
// random phases). It schedules the scenario's faults and keeps the
// convergence bookkeeping.
//
// Wiring is the only place that touches several components: after Build,
// components talk only through the network.
package cluster

import (
	"fmt"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/controllers"
	"github.com/orrery-sim/orrery/model/etcd"
	"github.com/orrery-sim/orrery/model/kcm"
	"github.com/orrery-sim/orrery/model/kubelet"
	"github.com/orrery-sim/orrery/model/kubescheduler"
	"github.com/orrery-sim/orrery/model/nodelifecycle"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/workload"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// ControllerManagerName is the controller manager's endpoint name.
const ControllerManagerName = "kube-controller-manager"

// Node is one simulated node.
type Node struct {
	Name, Pool, Zone string
}

// Cluster is a built simulation, ready to run.
type Cluster struct {
	Scenario *scenarios.Scenario
	Eng      *sim.Engine
	Net      *sim.Network
	Rec      *sim.Recorder

	Etcd *etcd.Cluster
	// APIServers are the replicas, each with its own etcd client.
	APIServers  []*apiserver.Server
	EtcdClients []*etcd.Client
	Balancer    *client.Balancer
	Principals  *api.Principals
	Churn       []*workload.Churn
	NodeLife    *nodelifecycle.Controller
	Kubelets    []*kubelet.Kubelet
	Nodes       []Node

	// The pod workload (workloads.go): nil or empty in a scenario
	// without pods.
	Scheduler         *kubescheduler.Scheduler
	ControllerManager *kcm.Process
	Kubectl           *workload.Kubectl
	PodChurn          []*workload.PodChurn
	// ids is the API server's name sequence for generateName.
	ids *apiserver.IDs

	// ConfigMapIDs are the IDs of spec.workload.configMaps, in order.
	ConfigMapIDs []int32
	Writers      []*controllers.Writer
	Controllers  []*controllers.Controller
	// StatusOffsets: controller i writes the status of ConfigMap id as
	// id + StatusOffsets[i].
	StatusOffsets []int32
	// Namespaces names the run's namespaces by api.NamespaceID (0: none).
	Namespaces []string
	nsIDs      map[string]api.NamespaceID
	// ChurnFirstIDs: churn i's objects are ConfigMaps ChurnFirstIDs[i] on.
	ChurnFirstIDs []int32
	// Watchers are spec.workload.watchers, in order.
	Watchers []*workload.WatcherGroup

	Tracker *Tracker
	// PodLog is the pod workload's bookkeeping (podlog.go); nil without pods.
	PodLog *PodLog
	faults []activeFault
	// configMaps are the ConfigMaps seeded before time 0, as stored.
	configMaps []api.Object
	// podsOn are the pods seeded before time 0 by node ID, as stored:
	// their kubelets start running them (startKubelet).
	podsOn [][]api.Object
	// seededPods are the Pods, ReplicaSets and Deployments seeded before
	// time 0, for the Tracker (dropped once it has them).
	seededPods []api.Object
}

// Build makes the cluster a scenario describes.
func Build(sc *scenarios.Scenario) (*Cluster, error) {
	spec := &sc.Spec
	eng := sim.NewEngine(spec.Seed)
	eng.SetMaxEvents(spec.MaxEvents)
	rec := sim.NewRecorder(GaugeBucket(spec.Duration))
	netLatency, err := Dist(spec.Cluster.Network.Latency)
	if err != nil {
		return nil, err
	}
	net := sim.NewNetwork(eng, netLatency)
	net.SetLoss(spec.Cluster.Network.Loss)
	net.SetFailureDetection(spec.Cluster.Network.StreamFailureDetection)

	c := &Cluster{Scenario: sc, Eng: eng, Net: net, Rec: rec}
	c.nameNamespaces()
	if err := c.buildControlPlane(); err != nil {
		return nil, err
	}
	if err := c.buildNodes(); err != nil {
		return nil, err
	}
	if err := c.buildWorkload(); err != nil {
		return nil, err
	}
	if err := c.buildWatchers(); err != nil {
		return nil, err
	}
	for _, ec := range c.EtcdClients {
		ec.Start()
	}
	c.Tracker = newTracker(eng, rec, c.Nodes, spec.Faults)
	if spec.Trace {
		c.Tracker.narrate = newNarrator(rec, sc.Interner, c.Nodes)
	}
	if RunsPods(sc) {
		c.Tracker.trackPods(sc, c.seededPods)
	}
	c.seededPods = nil
	c.Etcd.SetObserver(c.commitObserver())
	c.startNodeLifecycle()
	if err := c.buildPodWorkload(); err != nil {
		return nil, err
	}
	c.scheduleFaults()
	return c, nil
}

func (c *Cluster) buildControlPlane() error {
	cl := &c.Scenario.Spec.Cluster
	cfg, err := EtcdConfig(&cl.Etcd)
	if err != nil {
		return err
	}
	asc, err := APIServerConfig(&cl.APIServer)
	if err != nil {
		return err
	}
	c.Principals = &api.Principals{}
	asc.Principals = c.Principals
	// One name sequence for creates without a name, whichever replica
	// serves them (apiserver.Config.IDs).
	asc.IDs = &apiserver.IDs{}
	c.ids = asc.IDs
	// The cacher indexes watchers by namespace and name from Kubernetes
	// 1.27 (kubernetes/kubernetes PR #115918).
	asc.WatchScopeIndex = c.Scenario.Version().AtLeast(1, 27)
	c.Etcd = etcd.New(c.Eng, c.Net, c.Rec, cfg)
	var eps []sim.EndpointID
	for i := 0; i < cl.APIServer.Replicas; i++ {
		name := cl.APIServer.ReplicaName(i)
		srv, err := apiserver.New(c.Eng, c.Net, c.Rec, name, sim.NoEndpoint, asc)
		if err != nil {
			return err
		}
		// Each replica's etcd client: connections to every member, the
		// cache's watch, and the compactor.
		ec := etcd.NewClient(c.Etcd, srv, name+"/etcd-client", cl.Etcd.CompactionInterval)
		srv.UseStorage(ec)
		c.APIServers = append(c.APIServers, srv)
		c.EtcdClients = append(c.EtcdClients, ec)
		eps = append(eps, srv.Endpoint())
	}
	c.Balancer = client.NewBalancer(eps)
	return nil
}

// APIServerConfig turns the scenario's apiServer section into the model's
// config (without principals).
func APIServerConfig(a *scenarios.APIServer) (apiserver.Config, error) {
	cfg := apiserver.Config{
		PriorityAndFairness:         a.PriorityAndFairness != nil && *a.PriorityAndFairness,
		MaxRequestsInflight:         a.MaxRequestsInflight,
		MaxMutatingRequestsInflight: a.MaxMutatingRequestsInflight,
		CPUs:                        a.CPUs,
		APF:                         apf.DefaultConfig(),
	}
	cfg.APF.ServerConcurrencyLimit = a.MaxRequestsInflight + a.MaxMutatingRequestsInflight
	cfg.APF.RequestTimeout = a.RequestTimeout
	co := &a.Costs
	cfg.Costs = apiserver.Costs{
		DecodePerObject: co.DecodePerObject, EncodePerObject: co.EncodePerObject,
		DecodeBytesPerSecond: float64(co.DecodeThroughput), EncodeBytesPerSecond: float64(co.EncodeThroughput),
		WatchFilterPerWatcher: co.WatchFilterPerWatcher, WatchSendPerWatcher: co.WatchSendPerWatcher,
	}
	var err error
	for _, d := range []struct {
		dst *sim.Dist
		src scenarios.Dist
	}{{&cfg.Costs.Authentication, co.Authentication}, {&cfg.Costs.Authorization, co.Authorization}, {&cfg.Costs.Admission, co.Admission}} {
		if *d.dst, err = Dist(d.src); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// EtcdConfig turns the scenario's etcd section into the model's config.
func EtcdConfig(e *scenarios.Etcd) (etcd.Config, error) {
	cfg := etcd.Config{
		Members:           e.Members,
		TickInterval:      e.HeartbeatInterval,
		ElectionTicks:     int(e.ElectionTimeout / e.HeartbeatInterval),
		PreVote:           e.PreVote != nil && *e.PreVote,
		CheckQuorum:       true,
		QuotaBackendBytes: e.QuotaBackendBytes,
		DefragThroughput:  e.DefragThroughput,
		SnapshotCount:     etcd.SnapshotCountFor(e.Version),
	}
	var err error
	for _, d := range []struct {
		dst *sim.Dist
		src scenarios.Dist
	}{{&cfg.PeerLatency, e.PeerLatency}, {&cfg.WALFsync, e.WALFsync}, {&cfg.BackendCommit, e.BackendCommit}, {&cfg.ApplyCost, e.ApplyCost}, {&cfg.ReadCost, e.ReadCost}} {
		if *d.dst, err = Dist(d.src); err != nil {
			return cfg, err
		}
	}
	if len(e.MemberOverrides) > 0 {
		cfg.MemberWALFsync = make([]sim.Dist, e.Members)
		for _, o := range e.MemberOverrides {
			i, ok := e.MemberIndex(o.Name)
			if !ok {
				return cfg, fmt.Errorf("unknown etcd member %q", o.Name)
			}
			if cfg.MemberWALFsync[i], err = Dist(o.WALFsync); err != nil {
				return cfg, err
			}
		}
	}
	return cfg, nil
}

// nameNamespaces numbers the workload's namespaces from 1 (0 is none).
func (c *Cluster) nameNamespaces() {
	c.Namespaces = append([]string{""}, c.Scenario.Spec.Workload.Namespaces()...)
	if RunsPods(c.Scenario) && !slices.Contains(c.Namespaces, kubeSystem) {
		c.Namespaces = append(c.Namespaces, kubeSystem)
	}
	c.nsIDs = map[string]api.NamespaceID{}
	for i, ns := range c.Namespaces {
		c.nsIDs[ns] = api.NamespaceID(i)
	}
}

// NamespaceID is the ID of the namespace called name (0 for "" or none).
func (c *Cluster) NamespaceID(name string) api.NamespaceID { return c.nsIDs[name] }

// buildWorkload seeds the churn writers' ConfigMaps and starts the writers.
func (c *Cluster) buildWorkload() error {
	spec := &c.Scenario.Spec
	shared := client.NewShared(c.Rec)
	first := int32(0)
	for i := range spec.Workload.Churn {
		ch := &spec.Workload.Churn[i]
		var end sim.Time
		if ch.Duration > 0 {
			end = sim.Time(ch.Start + ch.Duration)
		}
		// The writer runs as a controller in a pod, under its own service
		// account: APF's service-accounts schema, workload-low.
		principal := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount("churn", ch.Name), Namespace: "churn"})
		cfg := workload.ChurnConfig{
			Name: ch.Name, FirstID: first, Objects: ch.Objects, ObjectBytes: int32(ch.ObjectBytes),
			Rate: ch.Rate, Start: sim.Time(ch.Start), End: end,
			FirstNamespace: c.NamespaceID(ch.NamespaceName(0)), Namespaces: max(ch.Namespaces, 1), Shards: ch.Shards,
			// orrery assumption: the writer is unthrottled (a plain client-go
			// client's 5 QPS / 10 burst would cap the churn, not the cluster),
			// and gives up after the API server's --request-timeout, 60s
			// (k8s.io/apiserver pkg/server/config.go).
			Client: client.Config{QPS: -1, Timeout: time.Minute, Principal: principal, Balancer: c.Balancer, NoJitter: c.noClientJitter()},
		}
		for i := 0; i < ch.Objects; i++ {
			c.seed(cfg.Object(i))
		}
		c.Churn = append(c.Churn, workload.NewChurn(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, cfg))
		c.ChurnFirstIDs = append(c.ChurnFirstIDs, first)
		first += int32(ch.Objects)
	}
	return c.buildWritersAndControllers(shared, first)
}

// buildWritersAndControllers seeds the shared ConfigMaps, from ID first on,
// each with its counter at 0, and starts the writers and the controllers.
// Controller i's status objects follow, (i+1)·len(configMaps) IDs on.
// Controllers start cold (list, sync, reconcile every object once), the
// way a restarted kube-controller-manager does, unless they are warm:
// running before time 0 with every ConfigMap in their informer, on an open
// watch, nothing left to do.
func (c *Cluster) buildWritersAndControllers(shared *client.Shared, first int32) error {
	w := &c.Scenario.Spec.Workload
	ids := map[string]int32{}
	for i, name := range w.ConfigMaps {
		id := first + int32(i)
		ids[name] = id
		c.ConfigMapIDs = append(c.ConfigMapIDs, id)
		c.seed(api.Object{Resource: api.ConfigMaps, ID: id, Namespace: c.NamespaceID(scenarios.SharedNamespace)})
	}
	for _, wr := range w.Writers {
		var end sim.Time
		if wr.Duration > 0 {
			end = sim.Time(wr.Start + wr.Duration)
		}
		retry := controllers.DefaultRetry()
		if wr.Retry == scenarios.RetryBackoff {
			retry = controllers.DefaultBackoff()
		}
		// A client in a pod, under its own service account: APF's
		// service-accounts schema, workload-low.
		p := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount(workloadNamespace, wr.Name), Namespace: workloadNamespace})
		c.Writers = append(c.Writers, controllers.NewWriter(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, controllers.WriterConfig{
			Name: wr.Name, Object: ids[wr.Object], Increments: wr.Increments, Period: wr.Period,
			Start: sim.Time(wr.Start), End: end, FromCache: wr.FromCache, Retry: retry,
			Client: c.clientConfig(wr.Client, p),
		}))
	}
	var warm []*controllers.Controller
	for i, ct := range w.Controllers {
		reconcile, err := Dist(ct.ReconcileTime)
		if err != nil {
			return err
		}
		// The controller was in step before time 0: each status exists
		// and holds its object's counter, 0.
		offset := int32(i+1) * int32(len(w.ConfigMaps))
		var sources []int32
		for _, name := range ct.Objects {
			sources = append(sources, ids[name])
			c.seed(api.Object{Resource: api.ConfigMaps, ID: ids[name] + offset, Namespace: c.NamespaceID(scenarios.SharedNamespace)})
		}
		failUntil := sim.Time(ct.FailUntil)
		if ct.FailForever {
			failUntil = controllers.FailForever
		}
		// A kube-controller-manager controller with
		// --use-service-account-credentials: its own service account in
		// kube-system. APF sends its lists and watches to workload-high
		// (kube-system-service-accounts), its ConfigMap gets and writes to
		// leader-election (workload-leader-election). Its objects live in
		// the workload's namespace.
		p := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount(apf.NamespaceSystem, ct.Name), Namespace: workloadNamespace})
		ctl := controllers.New(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, controllers.Config{
			Name: ct.Name, Workers: ct.Workers, Client: c.clientConfig(ct.Client, p),
			Sources: sources, StatusOffset: offset, ReconcileTime: reconcile,
			FailUntil: failUntil, FailWrite: ct.FailWrite, MaxRetries: ct.MaxRetries,
			Namespace: c.NamespaceID(scenarios.SharedNamespace),
		})
		if ct.Warm {
			warm = append(warm, ctl)
		} else {
			ctl.Start()
		}
		c.Controllers = append(c.Controllers, ctl)
		c.StatusOffsets = append(c.StatusOffsets, offset)
	}
	// Warm controllers start once every ConfigMap is stored.
	for _, ctl := range warm {
		srv := c.replica(ctl.Client().Connect())
		stream := c.Net.OpenStream(ctl.Endpoint(), srv.Endpoint())
		srv.AttachWatch(stream, api.ConfigMaps, -1)
		ctl.StartRunning(c.configMaps, c.Etcd.Revision(), stream)
	}
	return nil
}

// workloadNamespace is where the writers' and controllers' ConfigMaps live.
const workloadNamespace = scenarios.SharedNamespace

func (c *Cluster) clientConfig(l scenarios.ClientLimits, p api.PrincipalID) client.Config {
	return client.Config{QPS: l.QPS, Burst: l.Burst, Timeout: l.Timeout, Principal: p, Balancer: c.Balancer, NoJitter: c.noClientJitter()}
}

// noClientJitter: spec.cluster.clients.jitter is off.
func (c *Cluster) noClientJitter() bool {
	j := c.Scenario.Spec.Cluster.Clients.Jitter
	return j != nil && !*j
}

// buildNodes stores the Nodes (the pools', then the workload's) and,
// unless the kubelets run the legacy NodeStatus mode (kubelet.nodeLease:
// false, which has none), their Leases, sized by spec.cluster.objectSizes;
// each node's kubelet starts as one that has been running.
func (c *Cluster) buildNodes() error {
	spec := &c.Scenario.Spec
	kc := spec.Cluster.Kubelet
	sizes := spec.Cluster.ObjectSizes
	legacy := kc.NodeLease != nil && !*kc.NodeLease
	cfg := kubelet.Config{
		NodeLeaseDuration:         kc.NodeLeaseDuration,
		NodeStatusUpdateFrequency: kc.NodeStatusUpdateFrequency,
		NodeStatusReportFrequency: kc.NodeStatusReportFrequency,
		Jitter:                    kc.Jitter == nil || *kc.Jitter,
		LeaseSize:                 int32(sizes.Lease),
		NodeSize:                  int32(sizes.Node),
		LegacyNodeStatus:          legacy,
		Pods:                      c.kubeletPodConfig(),
	}
	shared := client.NewShared(c.Rec)
	metrics := kubelet.NewMetrics(c.Rec)
	// With pods, every node carries its typed content for the scheduler:
	// the pool's (Scenario.PoolNode), or the workload's Node objects.
	withBodies := cfg.Pods != nil
	var bodies []*objects.Node
	for p, pool := range spec.Cluster.NodePools {
		for i := 0; i < pool.Count; i++ {
			c.Nodes = append(c.Nodes, Node{Name: fmt.Sprintf("%s-%d", pool.Name, i), Pool: pool.Name, Zone: pool.Zones[i%len(pool.Zones)]})
			if withBodies {
				b, err := nodeBody(c.Scenario, p, i)
				if err != nil {
					return err
				}
				bodies = append(bodies, b)
			}
		}
	}
	for i := range spec.Workload.Objects {
		o := &spec.Workload.Objects[i]
		if o.Kind != scenarios.KindNode {
			continue
		}
		b := *o.Node
		if b.Ready == api.ConditionUnknown {
			b.Ready = api.ConditionTrue
		}
		zone, _ := b.Labels.Get(objects.LabelTopologyZone)
		c.Nodes = append(c.Nodes, Node{Name: o.Name, Zone: c.Scenario.Interner.String(zone)})
		bodies = append(bodies, &b)
	}
	if withBodies {
		if err := c.seedWorkload(bodies); err != nil {
			return err
		}
	}
	for id, n := range c.Nodes {
		obj := api.Object{Resource: api.Nodes, ID: int32(id), Size: int32(sizes.Node), Ready: api.ConditionTrue}
		if id < len(bodies) {
			obj.Body = bodies[id]
		}
		node := c.seed(obj)
		var lease api.Object
		if !legacy {
			lease = c.seed(api.Object{Resource: api.Leases, ID: int32(id), Size: int32(sizes.Lease)})
		}
		// The node authorizer's identity: APF's system-node-high schema.
		p := c.Principals.Add(api.Principal{Identity: apf.Kubelet(n.Name), Namespace: apf.NamespaceNodeLease})
		kcfg := cfg
		kcfg.Heartbeat = c.clientConfig(spec.Cluster.Clients.Heartbeat, p)
		kcfg.Main = c.clientConfig(spec.Cluster.Clients.Kubelet, p)
		k := kubelet.New(c.Eng, c.Net, c.Rec, shared, metrics, n.Name, int32(id), sim.NoEndpoint, kcfg)
		var pods []api.Object
		if id < len(c.podsOn) {
			pods = c.podsOn[id]
		}
		c.startKubelet(k, int32(id), lease, node, pods)
		c.Kubelets = append(c.Kubelets, k)
	}
	return nil
}

// seed stores an object of the initial state in storage and the API cache.
func (c *Cluster) seed(obj api.Object) api.Object {
	obj = c.Etcd.Seed(obj)
	switch obj.Resource {
	case api.ConfigMaps:
		c.configMaps = append(c.configMaps, obj)
	case api.Pods, api.ReplicaSets, api.Deployments:
		c.seededPods = append(c.seededPods, obj)
	}
	if p, ok := obj.Body.(*objects.Pod); ok && p.Bound() {
		for int(p.NodeName) >= len(c.podsOn) {
			c.podsOn = append(c.podsOn, nil)
		}
		c.podsOn[p.NodeName] = append(c.podsOn[p.NodeName], obj)
	}
	for _, srv := range c.APIServers {
		srv.SeedCache(obj)
	}
	return obj
}

// replica is the API server with endpoint ep.
func (c *Cluster) replica(ep sim.EndpointID) *apiserver.Server {
	for _, srv := range c.APIServers {
		if srv.Endpoint() == ep {
			return srv
		}
	}
	panic("cluster: no API server replica at endpoint " + c.Net.Name(ep))
}

func (c *Cluster) startNodeLifecycle() {
	spec := &c.Scenario.Spec
	names := make([]string, len(c.Nodes))
	var nodes, leases []api.Object
	for i, n := range c.Nodes {
		names[i] = n.Name
		node, _ := c.Etcd.Get(api.Nodes, int32(i))
		nodes = append(nodes, node)
		// The legacy NodeStatus mode has no Leases.
		if lease, ok := c.Etcd.Get(api.Leases, int32(i)); ok {
			leases = append(leases, lease)
		}
	}
	// kube-controller-manager with --use-service-account-credentials
	// (kubeadm's default): the controller's own service account, APF's
	// kube-system-service-accounts schema, workload-high.
	p := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount(apf.NamespaceSystem, "node-controller"), Namespace: apf.NamespaceSystem})
	c.NodeLife = nodelifecycle.New(c.Eng, c.Net, c.Rec, client.NewShared(c.Rec), ControllerManagerName, sim.NoEndpoint, nodelifecycle.Config{
		MonitorPeriod: spec.Cluster.NodeLifecycle.MonitorPeriod,
		GracePeriod:   spec.Cluster.NodeLifecycle.GracePeriod,
		Client:        c.clientConfig(spec.Cluster.Clients.ControllerManager, p),
		NodeSize:      int32(spec.Cluster.ObjectSizes.Node),
		NodeNames:     names,
	})
	srv := c.replica(c.NodeLife.Connect())
	nodeWatch := c.Net.OpenStream(c.NodeLife.Endpoint(), srv.Endpoint())
	leaseWatch := c.Net.OpenStream(c.NodeLife.Endpoint(), srv.Endpoint())
	srv.AttachWatch(nodeWatch, api.Nodes, -1)
	srv.AttachWatch(leaseWatch, api.Leases, -1)
	phase := c.Eng.Rand("cluster/node-lifecycle-phase").Float64()
	c.NodeLife.StartRunning(nodes, leases, c.Etcd.Revision(), nodeWatch, leaseWatch, phase)
}

// Run runs the simulation to the scenario's end and closes the books.
func (c *Cluster) Run() error {
	end := sim.Time(c.Scenario.Spec.Duration)
	err := c.Eng.Run(end)
	c.Tracker.finish(c.Eng.Now())
	for _, srv := range c.APIServers {
		srv.Finish(c.Eng.Now())
	}
	c.Etcd.Finish()
	return err
}

// End is the virtual time the run covers.
func (c *Cluster) End() sim.Time { return sim.Time(c.Scenario.Spec.Duration) }

// GaugeBucket picks the gauge resolution for a run: the smallest round
// step that keeps a gauge under about 240 points.
func GaugeBucket(d time.Duration) time.Duration {
	steps := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}
	for _, s := range steps {
		if d/s <= 240 {
			return s
		}
	}
	return time.Hour
}

// Dist turns a scenario distribution into the engine's.
func Dist(d scenarios.Dist) (sim.Dist, error) {
	switch d.Kind {
	case "constant", "":
		return sim.Constant(d.Value), nil
	case "uniform":
		return sim.Uniform{Min: d.Min, Max: d.Max}, nil
	case "exponential":
		return sim.Exponential{Mean: d.Mean}, nil
	case "lognormal":
		return sim.NewLogNormal(d.Median, d.P99), nil
	case "normal":
		return sim.Normal{Mean: d.Mean, Stddev: d.Stddev}, nil
	}
	return nil, fmt.Errorf("unknown distribution kind %q", d.Kind)
}
