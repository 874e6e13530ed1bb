package scenarios

import (
	"time"

	"github.com/orrery-sim/orrery/model/objects"
)

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
	defaultAPIServer(&c.APIServer, set, v)
	defaultEtcd(&c.Etcd, set, v)
	defaultNetwork(&c.Network, set)
	defaultKubelet(&c.Kubelet, set, v)
	defaultNodeLifecycle(&c.NodeLifecycle, set, v)
	// One instance of each, as kubeadm runs them on a single control-plane
	// node (orrery assumption for the replica count).
	setDefault(set, &c.Scheduler.Replicas, 1)
	setDefault(set, &c.ControllerManager.Replicas, 1)
	setDefault(set, &c.ControllerManager.ReplicaSetController, LevelTriggered)
	defaultClients(&c.Clients, &c.Kubelet, set, v)
	defaultObjectSizes(&c.ObjectSizes, set)
	defaultWorkload(&s.Spec.Workload, &c.Clients, set)
	for i := range s.Spec.Faults {
		for j := range s.Spec.Faults[i].Pods {
			// kubectl's namespace when none is given.
			setDefault(set, &s.Spec.Faults[i].Pods[j].Namespace, SharedNamespace)
		}
	}
}

func defaultObjectSizes(o *ObjectSizes, set fieldSet) {
	// model/objects DefaultLeaseSize and DefaultSizes, which cite their
	// sources (Lease ~300 B: kubernetes/community
	// sig-scalability/configs-and-limits/faq.md).
	setDefault(set, &o.Lease, objects.DefaultLeaseSize)
	d := objects.DefaultSizes
	setDefault(set, &o.Node, int64(d.Node))
	setDefault(set, &o.Pod, int64(d.Pod))
	setDefault(set, &o.ReplicaSet, int64(d.ReplicaSet))
	setDefault(set, &o.Deployment, int64(d.Deployment))
}

// defaultWorkload runs after defaultClients: controllers' clients default
// to the controller manager's. spec.workload.churn needs no defaults: start
// 0 and duration 0 (to the end of the run) are the zero values; nor do a
// writer's increments, period, start and duration (no limit, back to back,
// from 0, to the end) or a controller's failure fields (none).
func defaultWorkload(w *Workload, cl *Clients, set fieldSet) {
	for i := range w.Churn {
		// orrery assumption: one namespace, named after the churn.
		setDefault(set, &w.Churn[i].Namespaces, 1)
	}
	for i := range w.Watchers {
		g := &w.Watchers[i]
		// orrery assumption: a client that reads as fast as events come.
		setDefault(set, &g.ReadTime, Dist{Kind: "constant"})
		defaultPlainClient(&g.Client, set)
	}
	for i := range w.Writers {
		wr := &w.Writers[i]
		// retry.DefaultRetry, "the recommended retry for a conflict where
		// multiple clients are making changes to the same resource"
		// (k8s.io/client-go/util/retry/util.go).
		setDefault(set, &wr.Retry, RetryDefault)
		defaultPlainClient(&wr.Client, set)
	}
	for i := range w.PodChurn {
		pc := &w.PodChurn[i]
		setDefault(set, &pc.Namespace, SharedNamespace)
		// orrery assumption: a load generator keeps its rate, as
		// clusterloader2 paces its creations by its tuning set rather than
		// by client-side throttling.
		setDefault(set, &pc.Client.QPS, -1)
		setDefault(set, &pc.Client.Burst, 0)
		setDefault(set, &pc.Client.Timeout, 0)
	}
	for i := range w.Controllers {
		ct := &w.Controllers[i]
		// 5 workers: kube-controller-manager's --concurrent-deployment-syncs
		// (kubernetes/kubernetes pkg/controller/deployment/config/v1alpha1/
		// defaults.go, ConcurrentDeploymentSyncs 5), the size of most of its
		// --concurrent-*-syncs flags.
		setDefault(set, &ct.Workers, 5)
		// orrery assumption: the sync handler's own work is free next to
		// its status write.
		setDefault(set, &ct.ReconcileTime, Dist{Kind: "constant"})
		// With --use-service-account-credentials (kubeadm's default),
		// kube-controller-manager gives each controller its own client
		// (k8s.io/controller-manager/pkg/clientbuilder,
		// SAControllerClientBuilder) with the manager's --kube-api-qps,
		// --kube-api-burst and timeout: spec.cluster.clients.controllerManager.
		setDefault(set, &ct.Client.QPS, cl.ControllerManager.QPS)
		setDefault(set, &ct.Client.Burst, cl.ControllerManager.Burst)
		setDefault(set, &ct.Client.Timeout, cl.ControllerManager.Timeout)
	}
}

// defaultPlainClient gives a client the defaults of a plain client-go
// client: rest.Config's DefaultQPS 5 and DefaultBurst 10
// (k8s.io/client-go/rest/config.go), no Timeout.
func defaultPlainClient(c *ClientLimits, set fieldSet) {
	setDefault(set, &c.QPS, 5)
	setDefault(set, &c.Burst, 10)
	setDefault(set, &c.Timeout, 0)
}

func defaultNodePool(p *NodePool, set fieldSet) {
	// orrery assumptions: a single zone, and a common 4 CPU / 16Gi node.
	setDefault(set, &p.Zones, []string{"zone-a"})
	setDefault(set, &p.CPUMilli, 4000)
	setDefault(set, &p.MemoryBytes, 16<<30)
	// The kubelet's maxPods 110 (pkg/kubelet/apis/config/v1beta1/
	// defaults.go), which becomes the node's allocatable pods.
	setDefault(set, &p.Pods, objects.DefaultMaxPods)
}

func defaultAPIServer(a *APIServer, set fieldSet, v Version) {
	// orrery assumption: one replica (kubeadm's stacked HA runs three; set
	// replicas: 3 for it).
	setDefault(set, &a.Replicas, 1)
	// APIPriorityAndFairness: beta and on by default from 1.20, GA in 1.29
	// (k8s.io/apiserver pkg/features/kube_features.go at those tags).
	if a.PriorityAndFairness == nil {
		on := v.AtLeast(1, 20)
		a.PriorityAndFairness = &on
	}
	// --max-requests-inflight 400, --max-mutating-requests-inflight 200:
	// k8s.io/apiserver pkg/server/config.go (NewConfig).
	setDefault(set, &a.MaxRequestsInflight, 400)
	setDefault(set, &a.MaxMutatingRequestsInflight, 200)
	// --request-timeout 60s: k8s.io/apiserver pkg/server/config.go.
	setDefault(set, &a.RequestTimeout, time.Minute)
	// orrery assumption: an 8-core control-plane machine.
	setDefault(set, &a.CPUs, 8)
	// orrery assumptions, not upstream figures (none is published per
	// stage): token and RBAC checks of tens of microseconds, admission
	// chains of ~100µs without webhooks, JSON/protobuf (de)serialization
	// of ~20µs per object plus 100–200 MB/s, ~1µs for each watcher the
	// watch cache visits with an event (a channel send and a selector
	// check), and ~5µs to hand an encoded event to one watcher's
	// connection.
	c := &a.Costs
	setDefault(set, &c.Authentication, Dist{Kind: "lognormal", Median: 20 * time.Microsecond, P99: 100 * time.Microsecond})
	setDefault(set, &c.Authorization, Dist{Kind: "lognormal", Median: 20 * time.Microsecond, P99: 100 * time.Microsecond})
	setDefault(set, &c.Admission, Dist{Kind: "lognormal", Median: 100 * time.Microsecond, P99: 500 * time.Microsecond})
	setDefault(set, &c.DecodePerObject, 20*time.Microsecond)
	setDefault(set, &c.DecodeThroughput, 100<<20)
	setDefault(set, &c.EncodePerObject, 10*time.Microsecond)
	setDefault(set, &c.EncodeThroughput, 200<<20)
	setDefault(set, &c.WatchFilterPerWatcher, time.Microsecond)
	setDefault(set, &c.WatchSendPerWatcher, 5*time.Microsecond)
}

func defaultEtcd(e *Etcd, set fieldSet, v Version) {
	// The etcd that kubeadm deploys with the Kubernetes version: see
	// kubeadmEtcdVersion.
	setDefault(set, &e.Version, kubeadmEtcdVersion(v))
	// orrery assumption: the common HA size, kubeadm's stacked etcd on
	// three control-plane nodes (kubernetes.io "Options for Highly
	// Available topology").
	setDefault(set, &e.Members, 3)
	// --heartbeat-interval 100ms, --election-timeout 1000ms: etcd-io/etcd
	// server/embed/config.go (NewConfig: TickMs 100, ElectionMs 1000).
	setDefault(set, &e.HeartbeatInterval, 100*time.Millisecond)
	setDefault(set, &e.ElectionTimeout, 1000*time.Millisecond)
	// --pre-vote: false in etcd 3.4, true from 3.5 (server/embed/config.go
	// NewConfig at v3.4.0 and v3.5.0; etcd CHANGELOG-3.5). It follows the
	// version, the file's or the default one.
	if e.PreVote == nil {
		on := e.Version != "3.4"
		e.PreVote = &on
	}
	// orrery assumption, not an upstream default: the same same-region
	// datacenter one-way delay as network.latency's default. Control-plane
	// nodes share a region even when workers do not, so it does not follow
	// network.latency.
	setDefault(set, &e.PeerLatency, Dist{Kind: "uniform", Min: 200 * time.Microsecond, Max: time.Millisecond})
	// p99 10ms is the healthy ceiling of etcd_disk_wal_fsync_duration_seconds
	// in etcd-io/website content/en/docs/v3.5/faq.md; the 2ms median is an
	// orrery assumption (a network block device SSD, between the < 1ms of a
	// local SSD and the ~10ms of an HDD in op-guide/hardware.md).
	setDefault(set, &e.WALFsync, Dist{Kind: "lognormal", Median: 2 * time.Millisecond, P99: 10 * time.Millisecond})
	// p99 25ms is the healthy ceiling of
	// etcd_disk_backend_commit_duration_seconds in the same faq.md; the 5ms
	// median is an orrery assumption.
	setDefault(set, &e.BackendCommit, Dist{Kind: "lognormal", Median: 5 * time.Millisecond, P99: 25 * time.Millisecond})
	// orrery assumptions, not upstream defaults: CPU time to apply one
	// small entry to the MVCC store, and to serve one range (the former
	// storage stand-in's read latency).
	setDefault(set, &e.ApplyCost, Dist{Kind: "lognormal", Median: 20 * time.Microsecond, P99: 100 * time.Microsecond})
	setDefault(set, &e.ReadCost, Dist{Kind: "lognormal", Median: 500 * time.Microsecond, P99: 2 * time.Millisecond})
	// --quota-backend-bytes 2 GiB: etcd-io/etcd server/storage/quota.go
	// (DefaultQuotaBytes), which etcd also uses when the flag is 0.
	setDefault(set, &e.QuotaBackendBytes, 2<<30)
	// kube-apiserver --etcd-compaction-interval 5m: k8s.io/apiserver
	// pkg/storage/storagebackend/config.go (DefaultCompactInterval).
	setDefault(set, &e.CompactionInterval, 5*time.Minute)
	// orrery assumption, unconfirmed: no upstream figure found. 100 MiB/s is
	// conservative next to one report of an 8 GB database taking 30–40s on
	// dedicated nodes (k3s-io/k3s#11122, about 200–270 MB/s).
	setDefault(set, &e.DefragThroughput, 100<<20)
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
	// The NodeLease feature gate: on by default from 1.14, GA in 1.17, its
	// gate since removed (kubernetes/kubernetes#105222; kubernetes.io
	// "Feature Gates (removed)"): every version orrery supports renews
	// Leases. Off is the mode before KEP-589: in pkg/kubelet/
	// kubelet_node_status.go tryUpdateNodeStatus (v1.16) the skip of an
	// unchanged status within nodeStatusReportFrequency applies only with
	// the gate on, so without it every computed status is posted.
	if k.NodeLease == nil {
		on := true
		k.NodeLease = &on
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
	// client-go jitters the reflector's relist backoff (wait.Backoff Jitter
	// 1.0) and its watch timeouts (rand[1,2) × 5m), k8s.io/client-go
	// tools/cache/reflector.go; retry.DefaultRetry and DefaultBackoff have
	// Jitter 0.1 (util/retry/util.go).
	if c.Jitter == nil {
		on := true
		c.Jitter = &on
	}
	// orrery assumption: client-go sets no timeout for the controller
	// manager; 60s is the API server's --request-timeout default, after
	// which the server answers anyway.
	setDefault(set, &c.ControllerManager.Timeout, 60*time.Second)
}
