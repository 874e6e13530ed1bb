package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// APIVersion and Kind identify an orrery scenario document.
const (
	APIVersion = "orrery.dev/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is one parsed, validated and defaulted scenario file. It reads
// like a Kubernetes object: apiVersion, kind, metadata, spec.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`

	// File is where the scenario came from ("builtin:quickstart" for an
	// embedded one). Not part of the document.
	File string `json:"-"`
	// VariantName is the variant this scenario is one run of ("" for the
	// scenario as written). Not part of the document.
	VariantName string `json:"-"`
	// Interner holds the symbols of the workload's objects and of the
	// nodes PoolNode builds: one per scenario (each variant's run has its
	// own), shared by the run that simulates it.
	Interner *objects.Interner `json:"-"`
	// runs are the variants' scenarios, built by Parse.
	runs []*Scenario
	// warnings are problems Parse let pass (see Warnings).
	warnings []*Error
}

// Metadata names the scenario.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Spec is what the scenario asks for.
type Spec struct {
	// Seed is the root of every random stream in the run. Default 1.
	Seed uint64 `json:"seed"`
	// Duration is how much virtual time the run covers. Required, > 0.
	Duration time.Duration `json:"duration"`
	// KubernetesVersion picks version-dependent defaults ("1.31", "v1.32.0").
	// Default "1.31". Supported: 1.20 up to 1.35.
	KubernetesVersion string `json:"kubernetesVersion"`
	// MaxEvents caps the events the engine processes (0: no cap).
	MaxEvents uint64 `json:"maxEvents,omitempty"`
	// Trace narrates every change of a Deployment, ReplicaSet or Pod on
	// the timeline as etcd commits it (created, scaled, scheduled,
	// started, Ready, terminating, deleted): the walkthrough of small
	// scenarios. Off by default: a large run would drown its timeline.
	Trace bool `json:"trace,omitempty"`

	Cluster  Cluster  `json:"cluster"`
	Workload Workload `json:"workload"`
	Faults   []Fault  `json:"faults,omitempty"`
	Expect   []Expect `json:"expect,omitempty"`
	// Variants, if any, turn the scenario into a comparison: each variant
	// is one full run of the scenario with its settings changed, all with
	// the same seed. See Scenario.Runs.
	Variants []Variant `json:"variants,omitempty"`
}

// Variant is one run of a comparison: the scenario as written, with the
// fields named in Set changed.
type Variant struct {
	Name string    `json:"name"`
	Set  []Setting `json:"set,omitempty"`
	Line int       `json:"-"`
}

// Setting is one override of a variant: a dotted field path under spec
// (list items by index, e.g. "workload.churn.0.rate") and the value
// written for it, as text.
type Setting struct {
	Path  string `json:"path"`
	Value string `json:"value"`
	Line  int    `json:"-"`
	node  *yaml.Node
}

// Version is a parsed Kubernetes minor version.
type Version struct{ Major, Minor int }

// Cluster describes what is simulated.
type Cluster struct {
	NodePools     []NodePool    `json:"nodePools"`
	APIServer     APIServer     `json:"apiServer"`
	Etcd          Etcd          `json:"etcd"`
	Network       Network       `json:"network"`
	Kubelet       Kubelet       `json:"kubelet"`
	NodeLifecycle NodeLifecycle `json:"nodeLifecycle"`
	// Scheduler and ControllerManager run only in scenarios with pods
	// (spec.workload.objects or podChurn).
	Scheduler         Scheduler         `json:"scheduler"`
	ControllerManager ControllerManager `json:"controllerManager"`
	Clients           Clients           `json:"clients"`
	// ObjectSizes are the serialized sizes of new objects, by kind.
	ObjectSizes ObjectSizes `json:"objectSizes"`
}

// NodePool is a group of identical nodes. Node i of pool "p" is named
// "p-i" (0-based) and sits in zone Zones[i % len(Zones)].
type NodePool struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Zones []string `json:"zones"`
	// CPU and Memory are node capacity: quantities such as "4", "500m", "64Gi".
	// Stored exactly: CPU in millicores, Memory in bytes.
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
	// Pods is the node's allocatable pod count (the kubelet's maxPods).
	Pods int `json:"pods"`
	// Labels, Taints and Images are given to every node of the pool, which
	// also gets kubernetes.io/hostname=<node name> and
	// topology.kubernetes.io/zone=<its zone> (see Scenario.PoolNode).
	// Labels are sorted by key.
	Labels []KeyValue  `json:"labels,omitempty"`
	Taints []PoolTaint `json:"taints,omitempty"`
	Images []NodeImage `json:"images,omitempty"`
}

// APIServer configures the API server replicas.
type APIServer struct {
	// Replicas is the number of API server replicas behind the load
	// balancer (default 1).
	Replicas int `json:"replicas"`
	// PriorityAndFairness turns API Priority and Fairness on (default: on
	// from 1.20, when it went beta; off before). Off, the max-inflight
	// filter limits requests.
	PriorityAndFairness *bool `json:"priorityAndFairness"`
	// MaxRequestsInflight and MaxMutatingRequestsInflight are the
	// --max-requests-inflight / --max-mutating-requests-inflight limits
	// (defaults 400 / 200, k8s.io/apiserver pkg/server/config.go). With
	// APF on, their sum is the server's concurrency limit.
	MaxRequestsInflight         int `json:"maxRequestsInflight"`
	MaxMutatingRequestsInflight int `json:"maxMutatingRequestsInflight"`
	// RequestTimeout is --request-timeout (default 60s); APF lets a request
	// wait in its queue for a quarter of it, at most a minute.
	RequestTimeout time.Duration `json:"requestTimeout"`
	// CPUs is the number of cores each replica's work runs on.
	CPUs int `json:"cpus"`
	// Costs are the CPU times of the request pipeline's stages.
	Costs APIServerCosts `json:"costs"`
}

// ReplicaName is replica i's name: "kube-apiserver" when there is one,
// "kube-apiserver-<i>" when there are several.
func (a *APIServer) ReplicaName(i int) string {
	if a.Replicas <= 1 {
		return "kube-apiserver"
	}
	return fmt.Sprintf("kube-apiserver-%d", i)
}

// APIServerCosts are the CPU costs of the request pipeline's stages.
type APIServerCosts struct {
	Authentication Dist `json:"authentication"`
	Authorization  Dist `json:"authorization"`
	Admission      Dist `json:"admission"`
	// Decoding (with conversion and validation) of a write's body, and
	// encoding of each object sent: a cost per object plus the bytes at a
	// throughput (bytes per second).
	DecodePerObject  time.Duration `json:"decodePerObject"`
	DecodeThroughput int64         `json:"decodeThroughput"`
	EncodePerObject  time.Duration `json:"encodePerObject"`
	EncodeThroughput int64         `json:"encodeThroughput"`
	// WatchFilterPerWatcher is the cost an event has for each watcher the
	// watch cache's dispatch loop visits (the hand-off into its channel and
	// its selector check), matching or not.
	WatchFilterPerWatcher time.Duration `json:"watchFilterPerWatcher"`
	// WatchSendPerWatcher is the cost of handing an encoded watch event to
	// one matching watcher and writing it to its connection.
	WatchSendPerWatcher time.Duration `json:"watchSendPerWatcher"`
}

// Etcd configures the modeled etcd cluster behind the API server.
type Etcd struct {
	// Version is the etcd minor version ("3.4", "3.5", "3.6"). Default:
	// the version kubeadm pairs with the scenario's kubernetesVersion
	// (kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go
	// SupportedEtcdVersion). It picks PreVote's default.
	Version string `json:"version"`
	// Members is the number of etcd members, 1 to 7 (default 3). Members are
	// named etcd-0 … etcd-(n-1).
	Members int `json:"members"`
	// HeartbeatInterval is --heartbeat-interval (default 100ms), one Raft
	// tick. ElectionTimeout is --election-timeout (default 1000ms); it must
	// be a multiple of the heartbeat interval and at least 5 of them
	// (etcd-io/etcd server/embed/config.go, etcdmain).
	HeartbeatInterval time.Duration `json:"heartbeatInterval"`
	ElectionTimeout   time.Duration `json:"electionTimeout"`
	// PreVote is --pre-vote: off by default in 3.4, on from 3.5.
	PreVote *bool `json:"preVote"`
	// PeerLatency is the one-way delay of a message between two members.
	PeerLatency Dist `json:"peerLatency"`
	// WALFsync is the latency of one WAL write + fsync on every member's
	// disk (etcd_disk_wal_fsync_duration_seconds).
	WALFsync Dist `json:"walFsync"`
	// BackendCommit is the latency of one bbolt batch commit
	// (etcd_disk_backend_commit_duration_seconds), every 100ms.
	BackendCommit Dist `json:"backendCommit"`
	// ApplyCost is the CPU time a member spends applying one entry to the
	// MVCC store; ReadCost the time it spends serving one range.
	ApplyCost Dist `json:"applyCost"`
	ReadCost  Dist `json:"readCost"`
	// QuotaBackendBytes is --quota-backend-bytes, a quantity such as "2Gi"
	// (default 2 GiB). Writes fail with NOSPACE once the database reaches it.
	QuotaBackendBytes int64 `json:"quotaBackendBytes"`
	// CompactionInterval is the API server's --etcd-compaction-interval
	// (default 5m); 0 turns the API server's compactor off.
	CompactionInterval time.Duration `json:"compactionInterval"`
	// DefragThroughput is how many bytes of live data a defragmentation
	// copies per second while it blocks its member.
	DefragThroughput int64 `json:"defragThroughput"`
	// MemberOverrides set per-member disks, by member name.
	MemberOverrides []EtcdMember `json:"memberOverrides,omitempty"`
}

// EtcdMember overrides one member's settings.
type EtcdMember struct {
	Name     string `json:"name"`
	WALFsync Dist   `json:"walFsync"`
	// Line is the entry's line in the scenario file, for messages.
	Line int `json:"-"`
}

// Workload is the load the scenario puts on the cluster beyond the
// built-in node heartbeats.
type Workload struct {
	Churn []Churn `json:"churn,omitempty"`
	// ConfigMaps names the ConfigMaps that writers and controllers share.
	// Each holds a counter (its size stands in for its content), 0 at the
	// start.
	ConfigMaps  []string     `json:"configMaps,omitempty"`
	Writers     []Writer     `json:"writers,omitempty"`
	Controllers []Controller `json:"controllers,omitempty"`
	// Watchers are groups of watch clients, each watcher a reflector on
	// its own client.
	Watchers []WatcherGroup `json:"watchers,omitempty"`

	// Objects are the Kubernetes objects of spec.workload.objects and of
	// the create actions, converted, in the order written (a manifest
	// file's documents in file order). Each is created at time 0 unless
	// Deferred: then the create actions that list it create it.
	Objects []Object `json:"-"`
	// Actions are changes to objects at virtual times, in the order
	// written.
	Actions []Action `json:"actions,omitempty"`
	// PodChurn are generators of short-lived pods.
	PodChurn []PodChurn `json:"podChurn,omitempty"`
	// declared is how many of Objects spec.workload.objects holds (the
	// rest come from create actions' manifests).
	declared int
}

// SharedNamespace is where the shared ConfigMaps (Workload.ConfigMaps)
// and the controllers' status objects live.
const SharedNamespace = "default"

// Watched resources: what a watcher group may watch.
var WatchableResources = []string{"nodes", "leases", "configmaps"}

// ShardLabel is the one label the model gives objects: churn object i
// carries shard=<i mod shards> when its churn has shards.
const ShardLabel = "shard"

// WatcherGroup is Count identical watch clients: each a reflector (list,
// then watch; re-watch on timeout; relist after a broken watch or a 410)
// on its own client and connection, keeping a store of the objects it
// selects. In Namespace, FieldSelector and LabelSelector, "{i}" stands
// for the watcher's index in the group, 0 to Count-1, so that each
// watcher can watch its own namespace or object.
type WatcherGroup struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// Resource is nodes, leases or configmaps.
	Resource string `json:"resource"`
	// Namespace is the namespace watched ("": all namespaces).
	Namespace string `json:"namespace,omitempty"`
	// FieldSelector is "metadata.name=<name>" ("": every object).
	FieldSelector string `json:"fieldSelector,omitempty"`
	// LabelSelector is "shard=<n>" ("": no label selector).
	LabelSelector string `json:"labelSelector,omitempty"`
	// ReadTime is how long a watcher takes to read one event off its
	// connection, drawn once per watcher (0: as fast as they come).
	ReadTime Dist `json:"readTime"`
	// Start: a group starting at 0 was already watching when the run
	// began (synced stores, open watches, as the kubelets); a later start
	// lists, then watches, at that time.
	Start  time.Duration `json:"start"`
	Client ClientLimits  `json:"client"`
	Line   int           `json:"-"`
}

// Expand replaces "{i}" in s with i.
func Expand(s string, i int) string { return strings.ReplaceAll(s, "{i}", strconv.Itoa(i)) }

// NamespaceOf is watcher i's namespace ("" for all).
func (g *WatcherGroup) NamespaceOf(i int) string { return Expand(g.Namespace, i) }

// NameOf is the object name watcher i selects ("" for all).
func (g *WatcherGroup) NameOf(i int) string {
	_, name, _ := strings.Cut(Expand(g.FieldSelector, i), "=")
	return name
}

// ShardOf is the shard label value watcher i selects (ok false: none).
func (g *WatcherGroup) ShardOf(i int) (shard int, ok bool) {
	if g.LabelSelector == "" {
		return 0, false
	}
	_, v, _ := strings.Cut(Expand(g.LabelSelector, i), "=")
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// NamespaceName is the name of the churn's namespace k: the churn's name
// when it has one namespace, "<name>-ns-<k>" when it has several.
func (c *Churn) NamespaceName(k int) string {
	if c.Namespaces <= 1 {
		return c.Name
	}
	return c.Name + "-ns-" + strconv.Itoa(k)
}

// Namespaces lists the workload's namespaces: SharedNamespace, then each
// churn's, in order.
//
// The namespaces of the workload's objects and pod churn follow, each
// once, in the order first used.
func (w *Workload) Namespaces() []string {
	out := []string{SharedNamespace}
	for i := range w.Churn {
		c := &w.Churn[i]
		for k := 0; k < max(c.Namespaces, 1); k++ {
			out = append(out, c.NamespaceName(k))
		}
	}
	seen := map[string]bool{}
	for _, ns := range out {
		seen[ns] = true
	}
	add := func(ns string) {
		if ns != "" && !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	for i := range w.Objects {
		add(w.Objects[i].Namespace)
	}
	for i := range w.PodChurn {
		add(w.PodChurn[i].Namespace)
	}
	return out
}

// Writer retry backoffs: client-go's retry.DefaultRetry and
// retry.DefaultBackoff.
const (
	RetryDefault = "defaultRetry"
	RetryBackoff = "defaultBackoff"
)

// Writer is a client that increments the counter in one ConfigMap with a
// read-modify-write under retry.RetryOnConflict: GET, add one, UPDATE with
// the resourceVersion it read; a 409 Conflict sleeps and starts over.
type Writer struct {
	Name string `json:"name"`
	// Object is the ConfigMap, by its name in Workload.ConfigMaps.
	Object string `json:"object"`
	// Increments is how many increments to make (0: no limit).
	Increments int `json:"increments,omitempty"`
	// Period starts an increment every Period (a tick that finds the last
	// one still running is skipped); 0: each starts when the last ends.
	Period time.Duration `json:"period,omitempty"`
	// Start and Duration bound the writer in time (Duration 0: to the end).
	Start    time.Duration `json:"start"`
	Duration time.Duration `json:"duration,omitempty"`
	// FromCache reads with resourceVersion="0", from the API server's
	// cache, instead of a quorum read.
	FromCache bool `json:"fromCache,omitempty"`
	// Retry is RetryOnConflict's backoff: RetryDefault or RetryBackoff.
	Retry  string       `json:"retry"`
	Client ClientLimits `json:"client"`
	Line   int          `json:"-"`
}

// Controller is a level-triggered controller over ConfigMaps, written the
// kube-controller-manager way: an informer, a rate-limited work queue and
// workers. Each reconcile of an object writes a status ConfigMap that
// mirrors the object's counter.
type Controller struct {
	Name string `json:"name"`
	// Objects are the ConfigMaps it reconciles, by their names in
	// Workload.ConfigMaps.
	Objects []string `json:"objects"`
	Workers int      `json:"workers"`
	// ReconcileTime is the sync handler's own work before it writes.
	ReconcileTime Dist `json:"reconcileTime"`
	// FailUntil makes reconciles that end before it fail (0: none);
	// FailForever makes every reconcile fail.
	FailUntil   time.Duration `json:"failUntil,omitempty"`
	FailForever bool          `json:"failForever,omitempty"`
	// FailWrite makes a failing reconcile send its status write, which the
	// API server answers 409 Conflict, instead of failing before writing.
	FailWrite bool `json:"failWrite,omitempty"`
	// MaxRetries drops an object after that many failures in a row (0:
	// retry forever).
	MaxRetries int `json:"maxRetries,omitempty"`
	// Warm starts the controller as one that was running before time 0
	// and had caught up: informer synced and watching, nothing queued. By
	// default it starts cold at time 0, as after a kube-controller-manager
	// restart: list, wait for the sync, reconcile every object.
	Warm   bool         `json:"warm,omitempty"`
	Client ClientLimits `json:"client"`
	Line   int          `json:"-"`
}

// Churn is a writer that keeps updating a set of objects (ConfigMaps)
// through the API server: Rate updates per second spread round-robin over
// Objects objects of ObjectBytes each, from Start for Duration (0: to the
// end of the run).
//
// Object i is named "<name>-<i>" and lives in namespace i mod Namespaces
// (NamespaceName); with Shards > 0 it carries the label
// shard=<i mod Shards>.
type Churn struct {
	Name        string        `json:"name"`
	Objects     int           `json:"objects"`
	ObjectBytes int64         `json:"objectBytes"`
	Rate        float64       `json:"rate"`
	Start       time.Duration `json:"start"`
	Duration    time.Duration `json:"duration,omitempty"`
	Namespaces  int           `json:"namespaces"`
	Shards      int           `json:"shards,omitempty"`
	Line        int           `json:"-"`
}

// Network configures the simulated network.
type Network struct {
	// Latency is one-way delay for every message between two endpoints.
	Latency Dist `json:"latency"`
	// Loss is the probability in [0, 1) that a request or response is lost.
	Loss float64 `json:"loss"`
	// StreamFailureDetection is how long a long-lived stream (a watch) takes
	// to notice that its peer is unreachable (default 45s: client-go's HTTP/2
	// ReadIdleTimeout 30s + PingTimeout 15s).
	StreamFailureDetection time.Duration `json:"streamFailureDetection"`
}

// Kubelet configures every node's kubelet.
type Kubelet struct {
	// NodeLeaseDuration default 40s; the Lease is renewed every 0.25 of it.
	NodeLeaseDuration time.Duration `json:"nodeLeaseDuration"`
	// NodeStatusUpdateFrequency default 10s.
	NodeStatusUpdateFrequency time.Duration `json:"nodeStatusUpdateFrequency"`
	// NodeStatusReportFrequency default 5m (1m before 1.17): with an
	// unchanged status the kubelet reports at most this often, coalescing
	// the status it computes every NodeStatusUpdateFrequency into one report
	// of the latest state. Set it to NodeStatusUpdateFrequency to report
	// every computation (no coalescing, as before node Leases).
	NodeStatusReportFrequency time.Duration `json:"nodeStatusReportFrequency"`
	// Jitter turns the 0.04 JitterUntil factor on (default true); off is
	// for comparison runs only.
	Jitter *bool `json:"jitter"`
	// NodeLease is the NodeLease feature (default true): the kubelet
	// renews a Lease and reports its status on change or every
	// NodeStatusReportFrequency. Off is the legacy mode from before
	// KEP-589: no Lease, the full NodeStatus posted every
	// NodeStatusUpdateFrequency (NodeStatusReportFrequency and
	// NodeLeaseDuration unused), for comparison runs
	// (kubelet.Config.LegacyNodeStatus).
	NodeLease *bool `json:"nodeLease"`
}

// Scheduler configures kube-scheduler.
type Scheduler struct {
	// Replicas are kube-scheduler instances electing a leader through a
	// Lease (default 1; leader election is on, as upstream's default).
	Replicas int `json:"replicas"`
	// PercentageOfNodesToScore: 0 is upstream's adaptive default
	// (50% minus nodes/125, at least 5%).
	PercentageOfNodesToScore int `json:"percentageOfNodesToScore"`
}

// ControllerManager configures kube-controller-manager.
type ControllerManager struct {
	// Replicas are kube-controller-manager instances electing a leader
	// through a Lease (default 1).
	Replicas int `json:"replicas"`
	// ReplicaSetController is "level" (upstream's, the default) or "edge":
	// the edge-triggered variant that acts on events, for comparison.
	ReplicaSetController string `json:"replicaSetController"`
}

// InstanceName is instance i's name: "kube-controller-manager" when there
// is one, "kube-controller-manager-<i>" when there are several (as
// APIServer.ReplicaName).
func (c *ControllerManager) InstanceName(i int) string {
	if c.Replicas <= 1 {
		return "kube-controller-manager"
	}
	return fmt.Sprintf("kube-controller-manager-%d", i)
}

// ReplicaSet controller kinds.
const (
	LevelTriggered = "level"
	EdgeTriggered  = "edge"
)

// NodeLifecycle configures the node lifecycle controller.
type NodeLifecycle struct {
	// MonitorPeriod is --node-monitor-period (default 5s).
	MonitorPeriod time.Duration `json:"monitorPeriod"`
	// GracePeriod is --node-monitor-grace-period (40s before 1.32, 50s from 1.32).
	GracePeriod time.Duration `json:"gracePeriod"`
}

// Clients holds per-component client-go rate limits, and whether clients
// jitter their waits.
type Clients struct {
	Kubelet           ClientLimits `json:"kubelet"`
	Heartbeat         ClientLimits `json:"heartbeat"`
	ControllerManager ClientLimits `json:"controllerManager"`
	// Jitter turns client-go's randomised waits on (default true): the
	// reflector's relist backoff jitter and watch timeout randomisation,
	// and RetryOnConflict's jitter. Off is for comparison runs only (the
	// kubelet's own loops have cluster.kubelet.jitter).
	Jitter *bool `json:"jitter"`
}

// ClientLimits is a client-go token bucket. QPS < 0 disables throttling,
// as in client-go's rest.Config.
type ClientLimits struct {
	QPS   float64 `json:"qps"`
	Burst int     `json:"burst"`
	// Timeout is the client's per-request timeout (0: none).
	Timeout time.Duration `json:"timeout"`
}

// Dist is a latency distribution. In YAML it is either a duration
// ("2ms", meaning constant) or a mapping with "kind" and its parameters:
//
//	{kind: constant, value: 2ms}
//	{kind: uniform, min: 1ms, max: 3ms}
//	{kind: exponential, mean: 2ms}
//	{kind: lognormal, median: 2ms, p99: 10ms}
//	{kind: normal, mean: 2ms, stddev: 500us}   (truncated at 0)
type Dist struct {
	Kind   string        `json:"kind"`
	Value  time.Duration `json:"value,omitempty"`
	Min    time.Duration `json:"min,omitempty"`
	Max    time.Duration `json:"max,omitempty"`
	Mean   time.Duration `json:"mean,omitempty"`
	Median time.Duration `json:"median,omitempty"`
	P99    time.Duration `json:"p99,omitempty"`
	Stddev time.Duration `json:"stddev,omitempty"`
}

// Fault types.
const (
	FaultStopKubelet    = "stopKubelet"
	FaultRestartKubelet = "restartKubelet"
	FaultPartition      = "partition"

	// etcd faults and operations.
	// FaultRestartAPIServer stops API server replicas (Servers; all if
	// empty): their connections reset, requests in flight fail, watches
	// close. They start again after Duration (0: at once).
	FaultRestartAPIServer = "restartAPIServer"
	// FaultRestartControllers restarts workload controllers (Controllers;
	// all if empty) at once, as a kube-controller-manager restart does:
	// each drops its cache, queue and work in progress and starts cold.
	FaultRestartControllers = "restartControllers"

	FaultEtcdCrash         = "etcdCrash"         // crash members; restart after Duration if set
	FaultEtcdRestart       = "etcdRestart"       // restart crashed members
	FaultEtcdPartition     = "etcdPartition"     // split members into Groups for Duration
	FaultEtcdIsolateLeader = "etcdIsolateLeader" // cut the current leader off from every other member and the API server for Duration
	FaultEtcdSlowDisk      = "etcdSlowDisk"      // members' WAL fsync follows WALFsync for Duration
	FaultEtcdCompact       = "etcdCompact"       // etcdctl compact <current revision>
	FaultEtcdDefrag        = "etcdDefrag"        // etcdctl defrag, member by member
	FaultEtcdAlarmDisarm   = "etcdAlarmDisarm"   // etcdctl alarm disarm

	// FaultSlowWatcher makes the watchers of the groups in Watchers take
	// ReadTime per event, for Duration (0: to the end of the run).
	FaultSlowWatcher = "slowWatcher"

	// FaultStopControllerManager kills kube-controller-manager instances
	// (Instances: names, or the leader at the time; every instance if
	// empty); with a Duration they start again after it.
	FaultStopControllerManager = "stopControllerManager"
	// FaultMemoryPressure sets the memory working sets of running pods
	// (Pods); with a Duration each goes back to the pod's memory request
	// after it.
	FaultMemoryPressure = "memoryPressure"
)

// Fault is something that happens at a virtual time.
type Fault struct {
	// At is the virtual time the fault starts.
	At time.Duration `json:"at"`
	// Type is one of the Fault* constants.
	Type string `json:"type"`
	// Nodes selects the nodes a node fault applies to.
	Nodes NodeSelector `json:"nodes"`
	// Members selects the etcd members an etcd fault applies to.
	Members MemberSelector `json:"members"`
	// Groups, for etcdPartition: the sides of the partition, each a list
	// of member names. Members in no group form one more side. The API
	// server stays connected to every member.
	Groups [][]string `json:"groups,omitempty"`
	// Servers, for restartAPIServer: the replicas, by name
	// (APIServer.ReplicaName); empty for all.
	Servers []string `json:"servers,omitempty"`
	// Controllers, for restartControllers: spec.workload.controllers by
	// name; empty for all.
	Controllers []string `json:"controllers,omitempty"`
	// WALFsync, for etcdSlowDisk: the fsync latency during the fault.
	WALFsync Dist `json:"walFsync"`
	// Watchers, for slowWatcher: the watcher groups, by name; ReadTime
	// their time per event during the fault.
	Watchers []string      `json:"watchers,omitempty"`
	ReadTime time.Duration `json:"readTime,omitempty"`
	// Instances, for stopControllerManager: kube-controller-manager
	// instances by name (ControllerManager.InstanceName), or the leader at
	// the time; empty for all.
	Instances MemberSelector `json:"instances,omitempty"`
	// Pods, for memoryPressure: each pod's working set during the fault.
	Pods []PodMemory `json:"pods,omitempty"`
	// Duration, for partition, etcdPartition, etcdIsolateLeader and
	// etcdSlowDisk: how long until it heals (required > 0). For stopKubelet
	// and etcdCrash: if set, the kubelet or member restarts after it.
	Duration time.Duration `json:"duration,omitempty"`

	// Line is the fault's line in the scenario file, for messages.
	Line int `json:"-"`
}

// PodMemory is one pod's memory working set in a memoryPressure fault:
// a Pod of spec.workload.objects by namespace and name.
type PodMemory struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// MemoryBytes is the working set, in bytes.
	MemoryBytes int64 `json:"memoryBytes"`
	Line        int   `json:"-"`
}

// MemberSelector picks etcd members (or, for stopControllerManager,
// kube-controller-manager instances): by name, or the leader at the time
// of the fault. Empty means every member (for etcdDefrag).
type MemberSelector struct {
	Names  []string `json:"names,omitempty"`
	Leader bool     `json:"leader,omitempty"`
}

// NodeSelector picks nodes: by explicit names, or by pool and/or zone,
// optionally limited to the first Count matches in node order.
type NodeSelector struct {
	Names []string `json:"names,omitempty"`
	Pool  string   `json:"pool,omitempty"`
	Zone  string   `json:"zone,omitempty"`
	Count int      `json:"count,omitempty"`
}

// Expect is an assertion on one report metric: Min <= value <= Max.
// Min and Max accept numbers or durations (converted to seconds).
//
// In a scenario with variants, Variant limits the check to one variant's
// run (empty: every variant's), and RelativeTo turns it into a comparison:
// the value checked is the metric in Variant divided by the same metric in
// the RelativeTo variant.
type Expect struct {
	Metric     string   `json:"metric"`
	Min        *float64 `json:"min,omitempty"`
	Max        *float64 `json:"max,omitempty"`
	Variant    string   `json:"variant,omitempty"`
	RelativeTo string   `json:"relativeTo,omitempty"`

	// Line is the expectation's line in the scenario file, for messages;
	// Index its position in spec.expect.
	Line  int `json:"-"`
	Index int `json:"-"`
}
