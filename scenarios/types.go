package scenarios

import "time"

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

	Cluster Cluster  `json:"cluster"`
	Faults  []Fault  `json:"faults,omitempty"`
	Expect  []Expect `json:"expect,omitempty"`
}

// Version is a parsed Kubernetes minor version.
type Version struct{ Major, Minor int }

// Cluster describes what is simulated.
type Cluster struct {
	NodePools     []NodePool    `json:"nodePools"`
	APIServer     APIServer     `json:"apiServer"`
	Storage       Storage       `json:"storage"`
	Network       Network       `json:"network"`
	Kubelet       Kubelet       `json:"kubelet"`
	NodeLifecycle NodeLifecycle `json:"nodeLifecycle"`
	Clients       Clients       `json:"clients"`
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
}

// APIServer configures the API server model.
type APIServer struct {
	// MaxRequestsInflight and MaxMutatingRequestsInflight are the
	// --max-requests-inflight / --max-mutating-requests-inflight limits
	// (defaults 400 / 200, k8s.io/apiserver pkg/server/config.go).
	MaxRequestsInflight         int `json:"maxRequestsInflight"`
	MaxMutatingRequestsInflight int `json:"maxMutatingRequestsInflight"`
	// QueueLength bounds the requests waiting for a seat (default 50, the
	// APF queueLengthLimit of the bootstrap priority levels).
	QueueLength int `json:"queueLength"`
	// QueueWaitLimit is how long a request may wait for a seat before a
	// 429 (default 15s: min(60s/4, 1m), pkg/server/filters/priority-and-fairness.go).
	QueueWaitLimit time.Duration `json:"queueWaitLimit"`
	// ServiceTime is the CPU time one request costs the server, excluding
	// the storage call.
	ServiceTime Dist `json:"serviceTime"`
}

// Storage configures the storage stand-in that the etcd model replaces.
type Storage struct {
	// CommitLatency is the time one batch of writes takes to commit
	// (replication + WAL fsync). Writes that arrive during a commit wait for
	// the next batch.
	CommitLatency Dist `json:"commitLatency"`
	// ReadLatency is the time a read served by storage takes.
	ReadLatency Dist `json:"readLatency"`
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
	// NodeStatusReportFrequency default 5m (1m before 1.17).
	NodeStatusReportFrequency time.Duration `json:"nodeStatusReportFrequency"`
	// Jitter turns the 0.04 JitterUntil factor on (default true); off is
	// for comparison runs only.
	Jitter *bool `json:"jitter"`
}

// NodeLifecycle configures the node lifecycle controller.
type NodeLifecycle struct {
	// MonitorPeriod is --node-monitor-period (default 5s).
	MonitorPeriod time.Duration `json:"monitorPeriod"`
	// GracePeriod is --node-monitor-grace-period (40s before 1.32, 50s from 1.32).
	GracePeriod time.Duration `json:"gracePeriod"`
}

// Clients holds per-component client-go rate limits.
type Clients struct {
	Kubelet           ClientLimits `json:"kubelet"`
	Heartbeat         ClientLimits `json:"heartbeat"`
	ControllerManager ClientLimits `json:"controllerManager"`
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
)

// Fault is something that happens at a virtual time.
type Fault struct {
	// At is the virtual time the fault starts.
	At time.Duration `json:"at"`
	// Type is one of stopKubelet, restartKubelet, partition.
	Type string `json:"type"`
	// Nodes selects the nodes the fault applies to.
	Nodes NodeSelector `json:"nodes"`
	// Duration, for partition: how long until it heals (required > 0).
	// For stopKubelet: if set, the kubelet restarts after it.
	Duration time.Duration `json:"duration,omitempty"`

	// Line is the fault's line in the scenario file, for messages.
	Line int `json:"-"`
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
type Expect struct {
	Metric string   `json:"metric"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`

	// Line is the expectation's line in the scenario file, for messages.
	Line int `json:"-"`
}
