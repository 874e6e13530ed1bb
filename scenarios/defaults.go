package scenarios

import "time"

// setDefault stores value in *field unless the scenario file set it.
func setDefault[T any](set fieldSet, field *T, value T) {
	if !set[field] {
		*field = value
	}
}

// applyDefaults fills every field the file left out. Each default names
// its upstream source, or says that it is an orrery assumption. The
// Kubernetes version must already be valid: several defaults depend on it.
func applyDefaults(s *Scenario, set fieldSet) {
	setDefault(set, &s.Spec.Seed, 1)
	setDefault(set, &s.Spec.KubernetesVersion, DefaultKubernetesVersion)
	v := s.Version()
	c := &s.Spec.Cluster
	for i := range c.NodePools {
		defaultNodePool(&c.NodePools[i], set)
	}
	defaultAPIServer(&c.APIServer, set)
	defaultStorage(&c.Storage, set)
	defaultNetwork(&c.Network, set)
	defaultKubelet(&c.Kubelet, set, v)
	defaultNodeLifecycle(&c.NodeLifecycle, set, v)
	defaultClients(&c.Clients, &c.Kubelet, set, v)
}

func defaultNodePool(p *NodePool, set fieldSet) {
	// orrery assumptions: a single zone, and a common 4 CPU / 16Gi node.
	setDefault(set, &p.Zones, []string{"zone-a"})
	setDefault(set, &p.CPUMilli, 4000)
	setDefault(set, &p.MemoryBytes, 16<<30)
}

func defaultAPIServer(a *APIServer, set fieldSet) {
	// --max-requests-inflight 400, --max-mutating-requests-inflight 200:
	// k8s.io/apiserver pkg/server/config.go (NewConfig).
	setDefault(set, &a.MaxRequestsInflight, 400)
	setDefault(set, &a.MaxMutatingRequestsInflight, 200)
	// queueLengthLimit 50 of the bootstrap priority levels:
	// kubernetes/apiserver pkg/apis/flowcontrol/bootstrap/default.go.
	setDefault(set, &a.QueueLength, 50)
	// min(request timeout 60s / 4, 1m) = 15s:
	// k8s.io/apiserver pkg/server/filters/priority-and-fairness.go.
	setDefault(set, &a.QueueWaitLimit, 15*time.Second)
	// orrery assumption, not an upstream default: a cheap request's CPU
	// cost on the API server, with a tail.
	setDefault(set, &a.ServiceTime, Dist{Kind: "lognormal", Median: time.Millisecond, P99: 5 * time.Millisecond})
}

func defaultStorage(st *Storage, set fieldSet) {
	// etcd-io/website content/en/docs/v3.5/op-guide/performance.md: a
	// 3-member cluster commits in under 1ms at light load, about 2ms with
	// fsync on SSD; faq.md asks for wal_fsync p99 under 10ms.
	setDefault(set, &st.CommitLatency, Dist{Kind: "lognormal", Median: 2 * time.Millisecond, P99: 10 * time.Millisecond})
	// orrery assumption, not an upstream default: a read served by storage.
	setDefault(set, &st.ReadLatency, Dist{Kind: "lognormal", Median: 500 * time.Microsecond, P99: 2 * time.Millisecond})
}

func defaultNetwork(n *Network, set fieldSet) {
	// orrery assumption, not an upstream default: half a same-region
	// datacenter round trip.
	setDefault(set, &n.Latency, Dist{Kind: "uniform", Min: 200 * time.Microsecond, Max: time.Millisecond})
	setDefault(set, &n.Loss, 0)
	// k8s.io/client-go transport: the HTTP/2 health check's ReadIdleTimeout
	// 30s + PingTimeout 15s before a dead connection is closed.
	setDefault(set, &n.StreamFailureDetection, 45*time.Second)
}

func defaultKubelet(k *Kubelet, set fieldSet, v Version) {
	// nodeLeaseDurationSeconds 40 and nodeStatusUpdateFrequency 10s:
	// kubernetes/kubelet config/v1beta1/types.go.
	setDefault(set, &k.NodeLeaseDuration, 40*time.Second)
	// nodeStatusReportFrequency 5m from 1.17, 1m before (kubelet
	// defaults.go, kubernetes/kubernetes#84007). As upstream, when only
	// nodeStatusUpdateFrequency is set, the report frequency follows it.
	report := 5 * time.Minute
	if !v.AtLeast(1, 17) {
		report = time.Minute
	}
	if set[&k.NodeStatusUpdateFrequency] {
		report = k.NodeStatusUpdateFrequency
	}
	setDefault(set, &k.NodeStatusReportFrequency, report)
	setDefault(set, &k.NodeStatusUpdateFrequency, 10*time.Second)
	// The kubelet runs its status loop under wait.JitterUntil with factor
	// 0.04: kubernetes/kubernetes pkg/kubelet/kubelet.go (Run).
	if k.Jitter == nil {
		on := true
		k.Jitter = &on
	}
}

func defaultNodeLifecycle(nl *NodeLifecycle, set fieldSet, v Version) {
	// --node-monitor-period 5s: kubernetes/kubernetes
	// pkg/controller/nodelifecycle/config/v1alpha1/defaults.go.
	setDefault(set, &nl.MonitorPeriod, 5*time.Second)
	// --node-monitor-grace-period 40s, raised to 50s in 1.32:
	// kubernetes/kubernetes PR #126287, CHANGELOG v1.32.0-alpha.2.
	grace := 40 * time.Second
	if v.AtLeast(1, 32) {
		grace = 50 * time.Second
	}
	setDefault(set, &nl.GracePeriod, grace)
}

// defaultClients runs after defaultKubelet: the heartbeat timeout derives
// from the kubelet's final intervals.
func defaultClients(c *Clients, k *Kubelet, set fieldSet, v Version) {
	// kubeAPIQPS / kubeAPIBurst 50 / 100 from 1.27, 5 / 10 before:
	// kubernetes/kubelet config/v1beta1/types.go at tags 1.26.0 and 1.27.0.
	qps, burst := 50.0, 100
	if !v.AtLeast(1, 27) {
		qps, burst = 5, 10
	}
	setDefault(set, &c.Kubelet.QPS, qps)
	setDefault(set, &c.Kubelet.Burst, burst)
	// The kubelet's main client sets no timeout (cmd/kubelet/app/server.go).
	setDefault(set, &c.Kubelet.Timeout, 0)

	// kubernetes/kubernetes cmd/kubelet/app/server.go (heartbeatClientConfig):
	// a copy of the kubelet's client config with QPS -1 (unthrottled) and
	// Timeout = min(nodeStatusUpdateFrequency, nodeLeaseDuration).
	setDefault(set, &c.Heartbeat.QPS, -1)
	setDefault(set, &c.Heartbeat.Burst, c.Kubelet.Burst)
	setDefault(set, &c.Heartbeat.Timeout, min(k.NodeStatusUpdateFrequency, k.NodeLeaseDuration))

	// kubeAPIQPS 20 / kubeAPIBurst 30: kubernetes/kubernetes
	// pkg/controller/apis/config/v1alpha1/defaults.go.
	setDefault(set, &c.ControllerManager.QPS, 20)
	setDefault(set, &c.ControllerManager.Burst, 30)
	// orrery assumption: client-go sets no timeout for the controller
	// manager; 60s is the API server's --request-timeout default, after
	// which the server answers anyway.
	setDefault(set, &c.ControllerManager.Timeout, 60*time.Second)
}
