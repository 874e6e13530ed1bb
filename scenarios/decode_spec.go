package scenarios

import (
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file is the schema: one function per mapping, listing its keys (the
// json tag names in types.go) and how each value is read.

func (d *decoder) scenario(root *yaml.Node, s *Scenario) {
	m, ok := d.mapping(root, "", "apiVersion", "kind", "metadata", "spec")
	if !ok {
		return
	}
	required(m, "apiVersion", d.str, &s.APIVersion)
	required(m, "kind", d.str, &s.Kind)
	required(m, "metadata", d.metadata, &s.Metadata)
	required(m, "spec", d.spec, &s.Spec)
}

func (d *decoder) metadata(n *yaml.Node, path string, dst *Metadata) bool {
	m, ok := d.mapping(n, path, "name", "description")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	optional(m, "description", d.str, &dst.Description)
	return true
}

func (d *decoder) spec(n *yaml.Node, path string, dst *Spec) bool {
	m, ok := d.mapping(n, path, "seed", "duration", "kubernetesVersion", "maxEvents", "trace", "cluster", "workload", "faults", "expect", "variants")
	if !ok {
		return false
	}
	optional(m, "seed", d.uint64, &dst.Seed)
	required(m, "duration", d.duration, &dst.Duration)
	optional(m, "kubernetesVersion", d.kubernetesVersion, &dst.KubernetesVersion)
	optional(m, "maxEvents", d.uint64, &dst.MaxEvents)
	optional(m, "trace", d.boolean, &dst.Trace)
	required(m, "cluster", d.cluster, &dst.Cluster)
	optional(m, "workload", d.workload, &dst.Workload)
	optional(m, "faults", list(d, d.fault), &dst.Faults)
	optional(m, "expect", d.expectations, &dst.Expect)
	optional(m, "variants", list(d, d.variant), &dst.Variants)
	return true
}

// kubernetesVersion takes the text as written, so that an unquoted 1.30
// (a YAML float) still means "1.30", and checks it now: defaults depend on it.
func (d *decoder) kubernetesVersion(n *yaml.Node, path string, dst *string) bool {
	if !d.scalar(n, path, `a version such as "1.31"`, "!!str", "!!float", "!!int") {
		return false
	}
	if _, err := ParseVersion(n.Value); err != nil {
		d.fail(n.Line, path, "%v", err)
		return false
	}
	*dst = n.Value
	return true
}

func (d *decoder) cluster(n *yaml.Node, path string, dst *Cluster) bool {
	m, ok := d.mapping(n, path, "nodePools", "apiServer", "etcd", "network", "kubelet", "nodeLifecycle", "scheduler", "controllerManager", "clients", "objectSizes")
	if !ok {
		return false
	}
	optional(m, "objectSizes", d.objectSizes, &dst.ObjectSizes)
	required(m, "nodePools", list(d, d.nodePool), &dst.NodePools)
	optional(m, "apiServer", d.apiServer, &dst.APIServer)
	optional(m, "etcd", d.etcd, &dst.Etcd)
	optional(m, "network", d.network, &dst.Network)
	optional(m, "kubelet", d.kubelet, &dst.Kubelet)
	optional(m, "nodeLifecycle", d.nodeLifecycle, &dst.NodeLifecycle)
	optional(m, "scheduler", d.scheduler, &dst.Scheduler)
	optional(m, "controllerManager", d.controllerManager, &dst.ControllerManager)
	optional(m, "clients", d.clients, &dst.Clients)
	return true
}

func (d *decoder) nodePool(n *yaml.Node, path string, dst *NodePool) bool {
	m, ok := d.mapping(n, path, "name", "count", "zones", "cpu", "memory", "pods", "labels", "taints", "images")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "count", d.int, &dst.Count)
	optional(m, "zones", d.stringList, &dst.Zones)
	optional(m, "cpu", d.quantity(parseMilliValue), &dst.CPUMilli)
	optional(m, "memory", d.quantity(parseValue), &dst.MemoryBytes)
	optional(m, "pods", d.int, &dst.Pods)
	optional(m, "labels", d.poolLabels, &dst.Labels)
	optional(m, "taints", list(d, d.poolTaint), &dst.Taints)
	optional(m, "images", list(d, d.poolImage), &dst.Images)
	return true
}

// poolLabels reads a mapping of label keys to values, sorted by key.
func (d *decoder) poolLabels(n *yaml.Node, path string, dst *[]KeyValue) bool {
	kvs, ok := d.stringMap(n, path)
	if !ok {
		return false
	}
	slices.SortFunc(kvs, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	*dst = kvs
	return true
}

func (d *decoder) poolTaint(n *yaml.Node, path string, dst *PoolTaint) bool {
	m, ok := d.mapping(n, path, "key", "value", "effect")
	if !ok {
		return false
	}
	required(m, "key", d.str, &dst.Key)
	optional(m, "value", d.str, &dst.Value)
	required(m, "effect", d.str, &dst.Effect)
	return true
}

func (d *decoder) poolImage(n *yaml.Node, path string, dst *NodeImage) bool {
	m, ok := d.mapping(n, path, "name", "size")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "size", d.quantity(parseValue), &dst.Size)
	return true
}

func (d *decoder) objectSizes(n *yaml.Node, path string, dst *ObjectSizes) bool {
	m, ok := d.mapping(n, path, "lease", "node", "pod", "replicaSet", "deployment")
	if !ok {
		return false
	}
	optional(m, "lease", d.quantity(parseValue), &dst.Lease)
	optional(m, "node", d.quantity(parseValue), &dst.Node)
	optional(m, "pod", d.quantity(parseValue), &dst.Pod)
	optional(m, "replicaSet", d.quantity(parseValue), &dst.ReplicaSet)
	optional(m, "deployment", d.quantity(parseValue), &dst.Deployment)
	return true
}

func (d *decoder) apiServer(n *yaml.Node, path string, dst *APIServer) bool {
	m, ok := d.mapping(n, path, "replicas", "priorityAndFairness", "maxRequestsInflight", "maxMutatingRequestsInflight",
		"requestTimeout", "cpus", "costs")
	if !ok {
		return false
	}
	optional(m, "replicas", d.int, &dst.Replicas)
	optional(m, "priorityAndFairness", d.boolPointer, &dst.PriorityAndFairness)
	optional(m, "maxRequestsInflight", d.int, &dst.MaxRequestsInflight)
	optional(m, "maxMutatingRequestsInflight", d.int, &dst.MaxMutatingRequestsInflight)
	optional(m, "requestTimeout", d.duration, &dst.RequestTimeout)
	optional(m, "cpus", d.int, &dst.CPUs)
	optional(m, "costs", d.apiServerCosts, &dst.Costs)
	return true
}

func (d *decoder) apiServerCosts(n *yaml.Node, path string, dst *APIServerCosts) bool {
	m, ok := d.mapping(n, path, "authentication", "authorization", "admission", "decodePerObject", "decodeThroughput",
		"encodePerObject", "encodeThroughput", "watchFilterPerWatcher", "watchSendPerWatcher")
	if !ok {
		return false
	}
	optional(m, "authentication", d.dist, &dst.Authentication)
	optional(m, "authorization", d.dist, &dst.Authorization)
	optional(m, "admission", d.dist, &dst.Admission)
	optional(m, "decodePerObject", d.duration, &dst.DecodePerObject)
	optional(m, "decodeThroughput", d.bytesPerSecond, &dst.DecodeThroughput)
	optional(m, "encodePerObject", d.duration, &dst.EncodePerObject)
	optional(m, "encodeThroughput", d.bytesPerSecond, &dst.EncodeThroughput)
	optional(m, "watchFilterPerWatcher", d.duration, &dst.WatchFilterPerWatcher)
	optional(m, "watchSendPerWatcher", d.duration, &dst.WatchSendPerWatcher)
	return true
}

func (d *decoder) etcd(n *yaml.Node, path string, dst *Etcd) bool {
	m, ok := d.mapping(n, path, "version", "members", "heartbeatInterval", "electionTimeout", "preVote",
		"peerLatency", "walFsync", "backendCommit", "applyCost", "readCost",
		"quotaBackendBytes", "compactionInterval", "defragThroughput", "memberOverrides")
	if !ok {
		return false
	}
	optional(m, "version", d.etcdVersion, &dst.Version)
	optional(m, "members", d.int, &dst.Members)
	optional(m, "heartbeatInterval", d.duration, &dst.HeartbeatInterval)
	optional(m, "electionTimeout", d.duration, &dst.ElectionTimeout)
	optional(m, "preVote", d.boolPointer, &dst.PreVote)
	optional(m, "peerLatency", d.dist, &dst.PeerLatency)
	optional(m, "walFsync", d.dist, &dst.WALFsync)
	optional(m, "backendCommit", d.dist, &dst.BackendCommit)
	optional(m, "applyCost", d.dist, &dst.ApplyCost)
	optional(m, "readCost", d.dist, &dst.ReadCost)
	optional(m, "quotaBackendBytes", d.quotaBackendBytes, &dst.QuotaBackendBytes)
	optional(m, "compactionInterval", d.duration, &dst.CompactionInterval)
	optional(m, "defragThroughput", d.bytesPerSecond, &dst.DefragThroughput)
	optional(m, "memberOverrides", list(d, d.memberOverride), &dst.MemberOverrides)
	return true
}

// etcdVersion takes the text as written, as kubernetesVersion does, and
// stores the minor version it names ("v3.5.9" → "3.5").
func (d *decoder) etcdVersion(n *yaml.Node, path string, dst *string) bool {
	if !d.scalar(n, path, `a version such as "3.5"`, "!!str", "!!float", "!!int") {
		return false
	}
	minor, err := ParseEtcdVersion(n.Value)
	if err != nil {
		d.fail(n.Line, path, "%v", err)
		return false
	}
	*dst = minor
	return true
}

// quotaBackendBytes is a byte quantity. etcd reads a negative quota as
// "no quota" (server/storage/quota.go), which orrery does not model; the
// message says what to write instead.
func (d *decoder) quotaBackendBytes(n *yaml.Node, path string, dst *int64) bool {
	if n.Kind == yaml.ScalarNode {
		if _, err := parseValue(n.Value); err == errQuantityNegative {
			d.fail(n.Line, path, "must not be negative, got %s (etcd reads a negative quota as no quota at all, which orrery does not model: give a large quota such as 8Gi instead)", n.Value)
			return false
		}
	}
	return d.quantity(parseValue)(n, path, dst)
}

// bytesPerSecond is a byte quantity meaning a rate; "100Mi/s" gets a hint.
func (d *decoder) bytesPerSecond(n *yaml.Node, path string, dst *int64) bool {
	if n.Kind == yaml.ScalarNode {
		if perSecond, ok := strings.CutSuffix(n.Value, "/s"); ok {
			d.fail(n.Line, path, "invalid quantity %q: write the bytes per second without \"/s\", such as %q", n.Value, perSecond)
			return false
		}
	}
	return d.quantity(parseValue)(n, path, dst)
}

func (d *decoder) memberOverride(n *yaml.Node, path string, dst *EtcdMember) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "walFsync")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "walFsync", d.dist, &dst.WALFsync)
	return true
}

func (d *decoder) workload(n *yaml.Node, path string, dst *Workload) bool {
	m, ok := d.mapping(n, path, "churn", "configMaps", "writers", "controllers", "watchers", "objects", "actions", "podChurn")
	if !ok {
		return false
	}
	optional(m, "objects", d.objectEntries, &dst.Objects)
	dst.declared = len(dst.Objects)
	optional(m, "actions", list(d, d.action), &dst.Actions)
	optional(m, "podChurn", list(d, d.podChurn), &dst.PodChurn)
	// The objects of create actions with manifests follow the declared
	// ones, created by their actions only.
	for i := range dst.Actions {
		a := &dst.Actions[i]
		for _, o := range a.created {
			o.Deferred = true
			a.Objects = append(a.Objects, len(dst.Objects))
			dst.Objects = append(dst.Objects, o)
		}
		a.created = nil
	}
	if len(dst.Objects) > MaxObjects {
		d.fail(m.line, m.child("objects"), "%d objects, more than the maximum of %d", len(dst.Objects), MaxObjects)
	}
	optional(m, "churn", list(d, d.churn), &dst.Churn)
	optional(m, "configMaps", d.stringList, &dst.ConfigMaps)
	optional(m, "writers", list(d, d.writer), &dst.Writers)
	optional(m, "controllers", list(d, d.controller), &dst.Controllers)
	optional(m, "watchers", list(d, d.watcherGroup), &dst.Watchers)
	return true
}

func (d *decoder) watcherGroup(n *yaml.Node, path string, dst *WatcherGroup) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "count", "resource", "namespace", "fieldSelector", "labelSelector", "readTime", "start", "client")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "count", d.int, &dst.Count)
	required(m, "resource", d.str, &dst.Resource)
	optional(m, "namespace", d.str, &dst.Namespace)
	optional(m, "fieldSelector", d.str, &dst.FieldSelector)
	optional(m, "labelSelector", d.str, &dst.LabelSelector)
	optional(m, "readTime", d.dist, &dst.ReadTime)
	optional(m, "start", d.duration, &dst.Start)
	optional(m, "client", d.clientLimits, &dst.Client)
	return true
}

func (d *decoder) writer(n *yaml.Node, path string, dst *Writer) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "object", "increments", "period", "start", "duration", "fromCache", "retry", "client")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "object", d.str, &dst.Object)
	optional(m, "increments", d.int, &dst.Increments)
	optional(m, "period", d.duration, &dst.Period)
	optional(m, "start", d.duration, &dst.Start)
	optional(m, "duration", d.duration, &dst.Duration)
	optional(m, "fromCache", d.boolean, &dst.FromCache)
	optional(m, "retry", d.str, &dst.Retry)
	optional(m, "client", d.clientLimits, &dst.Client)
	return true
}

func (d *decoder) controller(n *yaml.Node, path string, dst *Controller) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "objects", "workers", "reconcileTime", "failUntil", "failForever", "failWrite",
		"maxRetries", "warm", "client")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "objects", d.stringList, &dst.Objects)
	optional(m, "workers", d.int, &dst.Workers)
	optional(m, "reconcileTime", d.dist, &dst.ReconcileTime)
	optional(m, "failUntil", d.duration, &dst.FailUntil)
	optional(m, "failForever", d.boolean, &dst.FailForever)
	optional(m, "failWrite", d.boolean, &dst.FailWrite)
	optional(m, "maxRetries", d.int, &dst.MaxRetries)
	optional(m, "warm", d.boolean, &dst.Warm)
	optional(m, "client", d.clientLimits, &dst.Client)
	return true
}

func (d *decoder) churn(n *yaml.Node, path string, dst *Churn) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "objects", "objectBytes", "rate", "start", "duration", "namespaces", "shards")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	required(m, "objects", d.int, &dst.Objects)
	required(m, "objectBytes", d.quantity(parseValue), &dst.ObjectBytes)
	required(m, "rate", d.float, &dst.Rate)
	optional(m, "start", d.duration, &dst.Start)
	optional(m, "duration", d.duration, &dst.Duration)
	optional(m, "namespaces", d.int, &dst.Namespaces)
	optional(m, "shards", d.int, &dst.Shards)
	return true
}

func (d *decoder) network(n *yaml.Node, path string, dst *Network) bool {
	m, ok := d.mapping(n, path, "latency", "loss", "streamFailureDetection")
	if !ok {
		return false
	}
	optional(m, "latency", d.dist, &dst.Latency)
	optional(m, "loss", d.float, &dst.Loss)
	optional(m, "streamFailureDetection", d.duration, &dst.StreamFailureDetection)
	return true
}

func (d *decoder) kubelet(n *yaml.Node, path string, dst *Kubelet) bool {
	m, ok := d.mapping(n, path, "nodeLeaseDuration", "nodeStatusUpdateFrequency", "nodeStatusReportFrequency", "jitter", "nodeLease")
	if !ok {
		return false
	}
	optional(m, "nodeLease", d.boolPointer, &dst.NodeLease)
	optional(m, "nodeLeaseDuration", d.duration, &dst.NodeLeaseDuration)
	optional(m, "nodeStatusUpdateFrequency", d.duration, &dst.NodeStatusUpdateFrequency)
	optional(m, "nodeStatusReportFrequency", d.duration, &dst.NodeStatusReportFrequency)
	optional(m, "jitter", d.boolPointer, &dst.Jitter)
	return true
}

func (d *decoder) nodeLifecycle(n *yaml.Node, path string, dst *NodeLifecycle) bool {
	m, ok := d.mapping(n, path, "monitorPeriod", "gracePeriod")
	if !ok {
		return false
	}
	optional(m, "monitorPeriod", d.duration, &dst.MonitorPeriod)
	optional(m, "gracePeriod", d.duration, &dst.GracePeriod)
	return true
}

func (d *decoder) scheduler(n *yaml.Node, path string, dst *Scheduler) bool {
	m, ok := d.mapping(n, path, "replicas", "percentageOfNodesToScore")
	if !ok {
		return false
	}
	optional(m, "replicas", d.int, &dst.Replicas)
	optional(m, "percentageOfNodesToScore", d.int, &dst.PercentageOfNodesToScore)
	return true
}

func (d *decoder) controllerManager(n *yaml.Node, path string, dst *ControllerManager) bool {
	m, ok := d.mapping(n, path, "replicas", "replicaSetController")
	if !ok {
		return false
	}
	optional(m, "replicas", d.int, &dst.Replicas)
	optional(m, "replicaSetController", d.str, &dst.ReplicaSetController)
	return true
}

func (d *decoder) clients(n *yaml.Node, path string, dst *Clients) bool {
	m, ok := d.mapping(n, path, "kubelet", "heartbeat", "controllerManager", "jitter")
	if !ok {
		return false
	}
	optional(m, "kubelet", d.clientLimits, &dst.Kubelet)
	optional(m, "heartbeat", d.clientLimits, &dst.Heartbeat)
	optional(m, "controllerManager", d.clientLimits, &dst.ControllerManager)
	optional(m, "jitter", d.boolPointer, &dst.Jitter)
	return true
}

func (d *decoder) clientLimits(n *yaml.Node, path string, dst *ClientLimits) bool {
	m, ok := d.mapping(n, path, "qps", "burst", "timeout")
	if !ok {
		return false
	}
	optional(m, "qps", d.float, &dst.QPS)
	optional(m, "burst", d.int, &dst.Burst)
	optional(m, "timeout", d.duration, &dst.Timeout)
	return true
}

// Distribution kinds and the parameters each one takes, all required.
var distKinds = []string{"constant", "uniform", "exponential", "lognormal", "normal"}

func distParams(kind string) []string {
	switch kind {
	case "constant":
		return []string{"value"}
	case "uniform":
		return []string{"min", "max"}
	case "exponential":
		return []string{"mean"}
	case "lognormal":
		return []string{"median", "p99"}
	case "normal":
		return []string{"mean", "stddev"}
	}
	return nil
}

// param returns a pointer to the Dist field a parameter name stands for.
func (dist *Dist) param(name string) *time.Duration {
	switch name {
	case "value":
		return &dist.Value
	case "min":
		return &dist.Min
	case "max":
		return &dist.Max
	case "mean":
		return &dist.Mean
	case "median":
		return &dist.Median
	case "p99":
		return &dist.P99
	case "stddev":
		return &dist.Stddev
	}
	return nil
}

var allDistParams = []string{"value", "min", "max", "mean", "median", "p99", "stddev"}

// dist reads a duration (a constant) or a mapping with a kind and exactly
// the parameters that kind takes.
func (d *decoder) dist(n *yaml.Node, path string, dst *Dist) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		var v time.Duration
		if !d.duration(n, path, &v) {
			return false
		}
		*dst = Dist{Kind: "constant", Value: v}
		return true
	case yaml.MappingNode:
	default:
		d.wrongType(n, path, `a duration such as "2ms" or a mapping with a kind`)
		return false
	}
	m, ok := d.mapping(n, path, append([]string{"kind"}, allDistParams...)...)
	if !ok {
		return false
	}
	before := len(d.errs)
	var dist Dist
	required(m, "kind", d.str, &dist.Kind)
	params := distParams(dist.Kind)
	if dist.Kind != "" && params == nil {
		d.fail(m.values["kind"].Line, m.child("kind"), "unknown distribution kind %q%s; want %s", dist.Kind, didYouMean(dist.Kind, distKinds), quoteList(distKinds))
	}
	for _, key := range m.keys {
		if key != "kind" && params != nil && !slices.Contains(params, key) {
			d.fail(d.lines[m.child(key)], m.child(key), "not a parameter of kind %q (it takes %s)", dist.Kind, quoteList(params))
		}
	}
	for _, p := range params {
		var v time.Duration
		if optional(m, p, d.duration, &v) {
			*dist.param(p) = v
		} else {
			d.fail(m.line, m.child(p), "required for kind %q", dist.Kind)
		}
	}
	if len(d.errs) > before {
		return false
	}
	*dst = dist
	return true
}

func (d *decoder) fault(n *yaml.Node, path string, dst *Fault) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "at", "type", "nodes", "members", "groups", "servers", "controllers", "walFsync", "watchers", "readTime",
		"instances", "pods", "duration")
	if !ok {
		return false
	}
	// Which of nodes, members, groups and walFsync a fault needs depends
	// on its type: validate.go checks that.
	required(m, "at", d.duration, &dst.At)
	required(m, "type", d.str, &dst.Type)
	optional(m, "nodes", d.nodeSelector, &dst.Nodes)
	optional(m, "members", d.memberSelector, &dst.Members)
	optional(m, "groups", d.groups, &dst.Groups)
	optional(m, "servers", d.stringList, &dst.Servers)
	optional(m, "walFsync", d.dist, &dst.WALFsync)
	optional(m, "controllers", d.stringList, &dst.Controllers)
	optional(m, "watchers", d.stringList, &dst.Watchers)
	optional(m, "readTime", d.duration, &dst.ReadTime)
	optional(m, "instances", d.memberSelector, &dst.Instances)
	optional(m, "pods", list(d, d.podMemory), &dst.Pods)
	optional(m, "duration", d.duration, &dst.Duration)
	return true
}

// podMemory reads one pod's working set of a memoryPressure fault.
func (d *decoder) podMemory(n *yaml.Node, path string, dst *PodMemory) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "namespace", "memory")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	optional(m, "namespace", d.str, &dst.Namespace)
	required(m, "memory", d.quantity(objects.ParseMemory), &dst.MemoryBytes)
	return true
}

func (d *decoder) memberSelector(n *yaml.Node, path string, dst *MemberSelector) bool {
	m, ok := d.mapping(n, path, "names", "leader")
	if !ok {
		return false
	}
	optional(m, "names", d.stringList, &dst.Names)
	optional(m, "leader", d.boolean, &dst.Leader)
	return true
}

// groups reads a list of lists of member names.
func (d *decoder) groups(n *yaml.Node, path string, dst *[][]string) bool {
	items, ok := d.items(n, path)
	if !ok {
		return false
	}
	out := make([][]string, len(items))
	good := true
	for i, item := range items {
		good = d.stringList(item, itemPath(path, i), &out[i]) && good
	}
	if good {
		*dst = out
	}
	return good
}

func (d *decoder) nodeSelector(n *yaml.Node, path string, dst *NodeSelector) bool {
	m, ok := d.mapping(n, path, "names", "pool", "zone", "count")
	if !ok {
		return false
	}
	optional(m, "names", d.stringList, &dst.Names)
	optional(m, "pool", d.str, &dst.Pool)
	optional(m, "zone", d.str, &dst.Zone)
	optional(m, "count", d.int, &dst.Count)
	return true
}

// expectations is a list of expect, each knowing its place in it.
func (d *decoder) expectations(n *yaml.Node, path string, dst *[]Expect) bool {
	if !list(d, d.expect)(n, path, dst) {
		return false
	}
	for i := range *dst {
		(*dst)[i].Index = i
	}
	return true
}

func (d *decoder) expect(n *yaml.Node, path string, dst *Expect) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "metric", "min", "max", "variant", "relativeTo")
	if !ok {
		return false
	}
	required(m, "metric", d.str, &dst.Metric)
	optional(m, "min", d.bound, &dst.Min)
	optional(m, "max", d.bound, &dst.Max)
	optional(m, "variant", d.str, &dst.Variant)
	optional(m, "relativeTo", d.str, &dst.RelativeTo)
	return true
}
