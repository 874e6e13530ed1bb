package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/model/kubescheduler"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// This file reports what runs pods (runs with spec.workload.objects or
// podChurn): pod startup against its SLO, scheduling, the
// kube-controller-manager's controllers, Deployments, evictions, and,
// with the other SLOs, where the time of each failed SLO went. A run
// without pods has none of it.

// PodStartupSLOSeconds is sig-scalability's pod startup SLO: the 99th
// percentile of the startup latency of stateless pods, image pulls
// excluded, is at most 5 s (kubernetes/community
// sig-scalability/slos/pod_startup_latency.md). The SLO is per
// cluster-day; here, over the run.
const PodStartupSLOSeconds = 5

// PodStats is the pod workload.
type PodStats struct {
	// AtEnd counts the pods stored at the end of the run.
	AtEnd   PodCountStats `json:"atEnd"`
	Startup StartupStats  `json:"startup"`
	// Scheduling is kube-scheduler's work.
	Scheduling SchedulingStats `json:"scheduling"`
	// Controllers are kube-controller-manager's workload controllers, by
	// name.
	Controllers []KCMControllerStats `json:"controllers"`
	// LeaderElection is each lock's acquisitions and losses.
	LeaderElection []LeaderStats      `json:"leaderElection"`
	Deployments    []DeploymentStats  `json:"deployments"`
	Evictions      EvictionStats      `json:"evictions"`
	Created        []NamedCount       `json:"podsCreated"`
	Deleted        []NamedCount       `json:"podsDeleted"`
	Bottlenecks    []BottleneckReport `json:"bottlenecks"`
}

// PodCountStats are the pods stored at one moment: those that exist; of
// them Pending (not being deleted; Unscheduled: without a node), Running,
// Succeeded, Failed; Terminating, with a deletion timestamp.
type PodCountStats struct {
	Existing    int `json:"existing"`
	Pending     int `json:"pending"`
	Unscheduled int `json:"unscheduled"`
	Running     int `json:"running"`
	Succeeded   int `json:"succeeded"`
	Failed      int `json:"failed"`
	Terminating int `json:"terminating"`
}

// StartupStats is pod startup latency as the kubelets measured it.
type StartupStats struct {
	// SLI: creation → running and observed by the kubelet's watch, minus
	// the image pulls (kubelet_pod_start_sli_duration_seconds); WithPulls
	// without the subtraction (kubelet_pod_start_total_duration_seconds).
	SLI       Percentiles `json:"sli"`
	WithPulls Percentiles `json:"withPulls"`
	// SLO is the verdict on SLI's p99 (absent: no pod started).
	SLO            *SLO        `json:"slo,omitempty"`
	ImagePulls     int64       `json:"imagePulls"`
	ImageCacheHits int64       `json:"imageCacheHits"`
	ImagePull      Percentiles `json:"imagePull"`
	// Phases split the SLI's mean (see startupPhases); Dominant names the
	// largest.
	Phases   []StartupPhase `json:"phases"`
	Dominant string         `json:"dominant"`
}

// StartupPhase is one part of pod startup: its mean per started pod, its
// share of the SLI's mean, and the component it belongs to.
type StartupPhase struct {
	// Key names the part in metrics: pods.startup.phase.<Key>.mean.
	Key         string  `json:"key"`
	Name        string  `json:"name"`
	Component   string  `json:"component"`
	MeanSeconds float64 `json:"meanSeconds"`
	Share       float64 `json:"share"`
}

// SchedulingStats is kube-scheduler's work: attempts by result, latency,
// throughput, its queues, and the pods left unscheduled.
type SchedulingStats struct {
	Scheduled     int64 `json:"scheduled"`
	Unschedulable int64 `json:"unschedulable"`
	Errors        int64 `json:"errors"`
	BindFailures  int64 `json:"bindFailures"`
	// SLI is scheduler_pod_scheduling_sli_duration_seconds: the pod's first
	// entry into the active queue → bound; E2E creation → bound.
	SLI Percentiles `json:"sli"`
	E2E Percentiles `json:"createdToBound"`
	// Attempts is scheduler_scheduling_attempt_duration_seconds by result.
	Attempts []AttemptStats `json:"attempts"`
	// Throughput is pods stored bound per second: Peak in the busiest
	// gauge bucket, Mean from the first bucket with a binding to the last.
	ThroughputPeak float64 `json:"throughputPeak"`
	ThroughputMean float64 `json:"throughputMean"`
	BucketSeconds  float64 `json:"bucketSeconds"`
	// PeakQueue is each scheduling queue's deepest (scheduler_pending_pods,
	// summed over replicas).
	PeakQueue map[string]float64 `json:"peakQueue"`
	// Unscheduled are the pods stored pending without a node at the end,
	// grouped by their status message (the scheduler's "0/N nodes are
	// available: ..."), largest group first.
	Unscheduled      []PendingGroup `json:"unscheduled"`
	UnscheduledTotal int            `json:"unscheduledTotal"`
}

// AttemptStats is the scheduling attempts with one result.
type AttemptStats struct {
	Result   string      `json:"result"`
	Count    int64       `json:"count"`
	Duration Percentiles `json:"duration"`
}

// PendingGroup is the unscheduled pods with one status message, with up
// to three of them named.
type PendingGroup struct {
	Message string   `json:"message"`
	Count   int      `json:"count"`
	Pods    []string `json:"pods"`
}

// KCMControllerStats is one kube-controller-manager controller, summed
// over the replicas that ran it.
type KCMControllerStats struct {
	Name string `json:"name"`
	// Adds, Retries: workqueue_adds_total and _retries_total; Reconciles
	// and Errors: controller_runtime_reconcile_total and
	// _reconcile_errors_total.
	Adds       int64 `json:"adds"`
	Reconciles int64 `json:"reconciles"`
	Errors     int64 `json:"errors"`
	Retries    int64 `json:"retries"`
	// PeakQueueDepth is workqueue_depth's peak; QueueWait a key's time in
	// the queue (workqueue_queue_duration_seconds); Work one sync
	// (workqueue_work_duration_seconds).
	PeakQueueDepth float64     `json:"peakQueueDepth"`
	QueueWait      Percentiles `json:"queueWait"`
	Work           Percentiles `json:"work"`
	// Writes are its write counters (controller_<what>_total), by what;
	// WritesTotal the successful ones (failures and conflicts left out).
	Writes      map[string]int64 `json:"writes"`
	WritesTotal int64            `json:"writesTotal"`
}

// LeaderStats is one leader-election lock: acquisitions, losses, and
// leader changes (acquisitions after the first).
type LeaderStats struct {
	Name     string `json:"name"`
	Acquired int64  `json:"acquired"`
	Lost     int64  `json:"lost"`
	Changes  int64  `json:"changes"`
}

// DeploymentStats is a Deployment as stored at the end.
type DeploymentStats struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Replicas  int32  `json:"replicas"`
	Updated   int32  `json:"updated"`
	Ready     int32  `json:"ready"`
	Available int32  `json:"available"`
	// Complete: updated, total and available replicas equal spec.replicas
	// and the newest ReplicaSet is rolled out (cluster.DeploymentRecord);
	// CompleteAt is when it last became so, in seconds.
	Complete   bool     `json:"complete"`
	CompleteAt *float64 `json:"completeAt,omitempty"`
}

// EvictionStats are the eviction counters: every counter whose name says
// evict, by key, and the pods they evicted (node-level counters left out
// of the sum).
type EvictionStats struct {
	Counters []NamedCount `json:"counters"`
	Pods     int64        `json:"pods"`
}

// NamedCount is a count with a name.
type NamedCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// BottleneckReport names, for one failed SLO, the component its time went
// to, by the rule in bottlenecks.
type BottleneckReport struct {
	SLO       string  `json:"slo"`
	Measured  float64 `json:"measuredSeconds"`
	Threshold float64 `json:"thresholdSeconds"`
	Component string  `json:"component"`
	Evidence  string  `json:"evidence"`
}

// nodeLevelEvictionCounters count nodes, not pods: upstream's
// node_collector_evictions_total counts the nodes whose pods the node
// lifecycle controller evicted (pkg/controller/nodelifecycle/metrics.go).
var nodeLevelEvictionCounters = []string{"node_collector_evictions_total"}

func podStats(c *cluster.Cluster, requests []RequestStats, stages []StageStats) *PodStats {
	if !c.Tracker.RunsPods() {
		return nil
	}
	rec := c.Rec
	in := c.Scenario.Interner
	pc := c.Tracker.Pods()
	p := &PodStats{
		AtEnd: PodCountStats{Existing: pc.Existing, Pending: pc.Pending, Unscheduled: pc.Unscheduled, Running: pc.Running,
			Succeeded: pc.Succeeded, Failed: pc.Failed, Terminating: pc.Terminating},
		Controllers: []KCMControllerStats{}, LeaderElection: []LeaderStats{}, Deployments: []DeploymentStats{},
		Created: []NamedCount{}, Deleted: []NamedCount{}, Bottlenecks: []BottleneckReport{},
		Evictions: EvictionStats{Counters: []NamedCount{}},
	}
	p.Startup = startupStats(rec)
	p.Scheduling = schedulingStats(c)
	p.Controllers = kcmControllers(c)
	for _, ctr := range rec.Counters() {
		switch ctr.Name {
		case "leader_election_acquired_total":
			p.LeaderElection = append(p.LeaderElection, LeaderStats{Name: ctr.Label("name"), Acquired: ctr.Value,
				Lost: rec.Counter("leader_election_lost_total", "name", ctr.Label("name")).Value, Changes: max(ctr.Value-1, 0)})
		case "controller_pods_created_total":
			p.Created = append(p.Created, NamedCount{ctr.Label("controller"), ctr.Value})
		case "controller_pods_deleted_total":
			p.Deleted = append(p.Deleted, NamedCount{ctr.Label("controller"), ctr.Value})
		case "podchurn_pods_created_total":
			p.Created = append(p.Created, NamedCount{"podChurn " + ctr.Label("churn"), ctr.Value})
		case "podchurn_pods_deleted_total":
			p.Deleted = append(p.Deleted, NamedCount{"podChurn " + ctr.Label("churn"), ctr.Value})
		}
		if strings.Contains(ctr.Name, "evict") && strings.HasSuffix(ctr.Name, "_total") {
			p.Evictions.Counters = append(p.Evictions.Counters, NamedCount{ctr.Key(), ctr.Value})
			if !slices.Contains(nodeLevelEvictionCounters, ctr.Name) {
				p.Evictions.Pods += ctr.Value
			}
		}
	}
	for _, d := range c.Tracker.Deployments() {
		ds := DeploymentStats{Namespace: in.String(d.Namespace), Name: in.String(d.Name), Replicas: d.Replicas,
			Updated: d.Status.UpdatedReplicas, Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas, Complete: d.Complete}
		if d.Complete {
			ds.CompleteAt = ptr(d.CompleteSince.Seconds())
		}
		p.Deployments = append(p.Deployments, ds)
	}
	p.Bottlenecks = bottlenecks(p, requests, stages)
	return p
}

func startupStats(rec *sim.Recorder) StartupStats {
	s := StartupStats{
		SLI:            percentiles(rec.Latency("kubelet_pod_start_sli_duration_seconds").Samples()),
		WithPulls:      percentiles(rec.Latency("kubelet_pod_start_total_duration_seconds").Samples()),
		ImagePulls:     rec.Counter("kubelet_image_pulls_total").Value,
		ImageCacheHits: rec.Counter("kubelet_image_cache_hits_total").Value,
		ImagePull:      percentiles(rec.Latency("kubelet_image_pull_duration_seconds").Samples()),
	}
	if s.SLI.Count > 0 {
		s.SLO = &SLO{Name: "pod startup", ThresholdSeconds: PodStartupSLOSeconds, Met: s.SLI.P99 <= PodStartupSLOSeconds}
	}
	s.Phases, s.Dominant = startupPhases(rec, s.SLI)
	return s
}

// Components that startup time is attributed to.
const (
	compClient    = "client side (token bucket, network)"
	compAPIServer = "API server and watches"
	compQueue     = "kube-scheduler queue"
	compScheduler = "kube-scheduler"
	compSandbox   = "kubelet: sandbox"
	compContainer = "kubelet: container start"
	compPLEG      = "kubelet: PLEG relist"
)

// startupPhases splits the SLI's mean into the parts of a pod's start, in
// order, each with the component it belongs to:
//
//   - the pod's create: the client's share (its request latency minus the
//     API server's: the token bucket and the network; the model stamps
//     creationTimestamp when the client builds the request), then the API
//     server's (apiserver_request_duration_seconds of create pods);
//   - waiting to be scheduled: creation → bound minus the create and the
//     successful attempt (the scheduler's informer, its queues, failed
//     attempts);
//   - the scheduling cycle: the successful attempt minus its binding call;
//   - the binding call: the client's share, then the API server's;
//   - the kubelet's sandbox, container starts and wait for the PLEG
//     relist;
//   - the rest — the bound pod reaching the kubelet's watch, the status
//     report through the API server and the watch back — as the SLI's
//     mean minus the other parts.
//
// A scheduler part's mean is over the pods bound, a kubelet part's is its
// series' total over the pods started, a request's is that request's
// mean: the split is exact only when every bound pod started. Parts also
// overlap a little (the scheduler's watch carries the new pod while the
// create's response is still on its way), so a part that comes out below
// zero is shown as 0. Dominant is the component whose parts add up to the
// most.
func startupPhases(rec *sim.Recorder, sli Percentiles) ([]StartupPhase, string) {
	if sli.Count == 0 {
		return []StartupPhase{}, ""
	}
	type acc struct {
		ns int64
		n  int
	}
	add := func(a *acc, l *sim.LatencySeries) {
		for _, v := range l.Samples() {
			a.ns += v
		}
		a.n += l.Count()
	}
	mean := func(a acc) float64 {
		if a.n == 0 {
			return 0
		}
		return seconds(a.ns) / float64(a.n)
	}
	var e2e, attempt, createSrv, createCli, bindSrv, bindCli acc
	for _, l := range rec.Latencies() {
		res, verb := l.Label("resource"), l.Label("verb")
		switch {
		case l.Name == kubescheduler.E2EMetric:
			add(&e2e, l)
		case l.Name == kubescheduler.AttemptDurationMetric && l.Label("result") == "scheduled":
			add(&attempt, l)
		case verb != "create":
		case l.Name == "apiserver_request_duration_seconds" && res == "pods":
			add(&createSrv, l)
		case l.Name == "rest_client_request_duration_seconds" && res == "pods":
			add(&createCli, l)
		case l.Name == "apiserver_request_duration_seconds" && res == "pods/binding":
			add(&bindSrv, l)
		case l.Name == "rest_client_request_duration_seconds" && res == "pods/binding":
			add(&bindCli, l)
		}
	}
	var kubelet [3]acc
	add(&kubelet[0], rec.Latency("kubelet_run_podsandbox_duration_seconds"))
	add(&kubelet[1], rec.Latency("kubelet_runtime_operations_duration_seconds", "operation_type", "start_container"))
	add(&kubelet[2], rec.Latency("kubelet_pod_pleg_wait_seconds"))
	perPod := func(a acc) float64 { return seconds(a.ns) / float64(sli.Count) }
	create, bind := mean(createCli), mean(bindCli)
	if e2e.n == 0 {
		create, bind = 0, 0 // no pod was bound by a scheduler
	}
	phases := []StartupPhase{
		{Key: "createClient", Name: "the pod's create, client side", Component: compClient, MeanSeconds: max(create-mean(createSrv), 0)},
		{Key: "createServer", Name: "the pod's create, API server", Component: compAPIServer, MeanSeconds: min(mean(createSrv), create)},
		{Key: "schedulingWait", Name: "waiting to be scheduled", Component: compQueue, MeanSeconds: max(mean(e2e)-mean(attempt)-create, 0)},
		{Key: "scheduling", Name: "scheduling cycle", Component: compScheduler, MeanSeconds: max(mean(attempt)-bind, 0)},
		{Key: "bindingClient", Name: "binding, client side", Component: compClient, MeanSeconds: max(bind-mean(bindSrv), 0)},
		{Key: "bindingServer", Name: "binding, API server", Component: compAPIServer, MeanSeconds: min(mean(bindSrv), bind)},
		{Key: "sandbox", Name: "pod sandbox", Component: compSandbox, MeanSeconds: perPod(kubelet[0])},
		{Key: "containerStart", Name: "container start", Component: compContainer, MeanSeconds: perPod(kubelet[1])},
		{Key: "plegWait", Name: "PLEG relist wait", Component: compPLEG, MeanSeconds: perPod(kubelet[2])},
	}
	rest := sli.Mean
	for _, ph := range phases {
		rest -= ph.MeanSeconds
	}
	phases = append(phases, StartupPhase{Key: "apiAndWatch", Name: "the rest: watch to the kubelet, status report, watch back",
		Component: compAPIServer, MeanSeconds: max(rest, 0)})
	byComponent := map[string]float64{}
	var order []string
	for i := range phases {
		if sli.Mean > 0 {
			phases[i].Share = phases[i].MeanSeconds / sli.Mean
		}
		c := phases[i].Component
		if _, ok := byComponent[c]; !ok {
			order = append(order, c)
		}
		byComponent[c] += phases[i].MeanSeconds
	}
	best := order[0]
	for _, c := range order {
		if byComponent[c] > byComponent[best] {
			best = c
		}
	}
	return phases, best
}

func schedulingStats(c *cluster.Cluster) SchedulingStats {
	rec := c.Rec
	s := SchedulingStats{PeakQueue: map[string]float64{}, Attempts: []AttemptStats{}, Unscheduled: []PendingGroup{},
		BucketSeconds: rec.Bucket().Seconds()}
	var sli, e2e []int64
	byResult := map[string]*AttemptStats{}
	durations := map[string][]int64{}
	var results []string
	for _, l := range rec.Latencies() {
		switch l.Name {
		case kubescheduler.SLIMetric:
			sli = append(sli, l.Samples()...)
		case kubescheduler.E2EMetric:
			e2e = append(e2e, l.Samples()...)
		case kubescheduler.AttemptDurationMetric:
			r := l.Label("result")
			if byResult[r] == nil {
				byResult[r] = &AttemptStats{Result: r}
				results = append(results, r)
			}
			durations[r] = append(durations[r], l.Samples()...)
		}
	}
	s.SLI, s.E2E = percentiles(sli), percentiles(e2e)
	for _, ctr := range rec.Counters() {
		switch ctr.Name {
		case kubescheduler.AttemptsMetric:
			r := ctr.Label("result")
			switch r {
			case "scheduled":
				s.Scheduled += ctr.Value
			case "unschedulable":
				s.Unschedulable += ctr.Value
			default:
				s.Errors += ctr.Value
			}
			if a := byResult[r]; a != nil {
				a.Count += ctr.Value
			}
		case kubescheduler.BindFailureMetric:
			s.BindFailures += ctr.Value
		}
	}
	slices.SortFunc(results, func(a, b string) int { return resultRank(a) - resultRank(b) })
	for _, r := range results {
		a := byResult[r]
		a.Duration = percentiles(durations[r])
		s.Attempts = append(s.Attempts, *a)
	}
	for _, g := range rec.Gauges() {
		if g.Name == scheduler.PendingPodsGauge {
			s.PeakQueue[g.Label("queue")] += g.Peak()
		}
	}
	binds := c.Tracker.BindsPerBucket()
	first, last := -1, -1
	var total int64
	for i, n := range binds {
		if n == 0 {
			continue
		}
		if first < 0 {
			first = i
		}
		last = i
		total += int64(n)
		s.ThroughputPeak = max(s.ThroughputPeak, float64(n)/s.BucketSeconds)
	}
	if first >= 0 {
		s.ThroughputMean = float64(total) / (float64(last-first+1) * s.BucketSeconds)
	}
	s.Unscheduled, s.UnscheduledTotal = unscheduled(c)
	return s
}

// resultRank orders attempt results as kube-scheduler's metrics list them.
func resultRank(r string) int {
	if i := slices.Index([]string{"scheduled", "unschedulable", "error"}, r); i >= 0 {
		return i
	}
	return 3
}

// unscheduled reads the pods left pending without a node from the store
// of record and groups them by their status message.
func unscheduled(c *cluster.Cluster) ([]PendingGroup, int) {
	in := c.Scenario.Interner
	ids := c.Tracker.UnscheduledPods()
	byMsg := map[string]*PendingGroup{}
	var order []string
	for _, id := range ids {
		obj, ok := c.Etcd.Get(api.Pods, id)
		if !ok {
			continue
		}
		pod, _ := obj.Body.(*objects.Pod)
		if pod == nil {
			continue
		}
		msg := pod.Message
		if msg == "" {
			msg = "(no message: not yet tried by the scheduler)"
		}
		g := byMsg[msg]
		if g == nil {
			g = &PendingGroup{Message: msg, Pods: []string{}}
			byMsg[msg] = g
			order = append(order, msg)
		}
		g.Count++
		if len(g.Pods) < 3 {
			g.Pods = append(g.Pods, podName(c, in, pod))
		}
	}
	out := make([]PendingGroup, 0, len(order))
	for _, m := range order {
		out = append(out, *byMsg[m])
	}
	slices.SortStableFunc(out, func(a, b PendingGroup) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out, len(ids)
}

// podName is namespace/name; a pod named by the API server
// (generateName) is its owner's name and its ID.
func podName(c *cluster.Cluster, in *objects.Interner, p *objects.Pod) string {
	name := in.String(p.Name)
	if name == "" {
		name = fmt.Sprintf("#%d", p.ID)
		if p.Owner.Kind == objects.OwnedByReplicaSet {
			if o, ok := c.Etcd.Get(api.ReplicaSets, p.Owner.ID); ok {
				if rs, _ := o.Body.(*objects.ReplicaSet); rs != nil {
					name = in.String(rs.Name) + "-" + name
				}
			}
		}
	}
	if ns := in.String(p.Namespace); ns != "" {
		return ns + "/" + name
	}
	return name
}

// kcmControllers reports every controller with reconcile counters that
// is not one of the scenario's own ConfigMap controllers (those are in
// WORKLOAD): kube-controller-manager's, in name order.
func kcmControllers(c *cluster.Cluster) []KCMControllerStats {
	rec := c.Rec
	own := map[string]bool{}
	for _, ct := range c.Scenario.Spec.Workload.Controllers {
		own[ct.Name] = true
	}
	var names []string
	for _, ctr := range rec.Counters() {
		if ctr.Name == "controller_runtime_reconcile_total" {
			if n := ctr.Label("controller"); !own[n] && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	out := []KCMControllerStats{}
	for _, n := range names {
		s := KCMControllerStats{Name: n, Writes: map[string]int64{},
			Adds:           rec.Counter("workqueue_adds_total", "name", n).Value,
			Reconciles:     rec.Counter("controller_runtime_reconcile_total", "controller", n, "result", "success").Value + rec.Counter("controller_runtime_reconcile_total", "controller", n, "result", "error").Value,
			Errors:         rec.Counter("controller_runtime_reconcile_errors_total", "controller", n).Value,
			Retries:        rec.Counter("workqueue_retries_total", "name", n).Value,
			PeakQueueDepth: rec.Gauge("workqueue_depth", "name", n).Peak(),
			QueueWait:      percentiles(rec.Latency("workqueue_queue_duration_seconds", "name", n).Samples()),
			Work:           percentiles(rec.Latency("workqueue_work_duration_seconds", "name", n).Samples()),
		}
		for _, ctr := range rec.Counters() {
			what, ok := writeCounter(ctr.Name)
			if !ok || ctr.Label("controller") != n {
				continue
			}
			s.Writes[what] += ctr.Value
			if !strings.Contains(what, "failures") && !strings.Contains(what, "conflicts") {
				s.WritesTotal += ctr.Value
			}
		}
		out = append(out, s)
	}
	return out
}

// writeCounter reads controller_<what>_total as a write counter of a
// kube-controller-manager controller: pods created, status writes, ...
func writeCounter(name string) (string, bool) {
	if !strings.HasPrefix(name, "controller_") || !strings.HasSuffix(name, "_total") {
		return "", false
	}
	what := strings.TrimSuffix(strings.TrimPrefix(name, "controller_"), "_total")
	for _, not := range []string{"runtime_", "events_observed", "keys_dropped", "restarts", "manager_"} {
		if strings.HasPrefix(what, not) {
			return "", false
		}
	}
	return what, true
}

// bottlenecks names, for each failed SLO, where its time went.
//
// API call latency (a request row over its threshold): the API server
// stage that took most of that verb and resource's mean time (the stage
// table's dominant stage); storage is etcd's — the API server waits on
// its etcd client there — so it is named etcd, with etcd's request and
// commit p99 as the evidence; the APF queue is named as the API server's
// flow control, the CPU wait as its CPU.
//
// Pod startup: the component whose parts of startup add up to the largest
// share of its mean (startupPhases).
func bottlenecks(p *PodStats, requests []RequestStats, stages []StageStats) []BottleneckReport {
	out := []BottleneckReport{}
	for _, q := range requests {
		if q.SLO == nil || q.SLO.Met {
			continue
		}
		b := BottleneckReport{SLO: fmt.Sprintf("API call latency: %s %s (%s)", q.Verb, q.Resource, q.Scope),
			Measured: q.Latency.P99, Threshold: q.SLO.ThresholdSeconds}
		var st *StageStats
		for i := range stages {
			if stages[i].Verb == q.Verb && stages[i].Resource == q.Resource {
				st = &stages[i]
			}
		}
		switch {
		case st == nil:
			b.Component = "API server"
			b.Evidence = "no stage times recorded"
		case st.Dominant == "storage":
			b.Component = "etcd"
			b.Evidence = fmt.Sprintf("storage is %s of the mean %s", share(st.Mean, "storage"), dur(sumMap(st.Mean)))
		case st.Dominant == "queue":
			b.Component = "API server: flow control queue (APF or max-inflight)"
			b.Evidence = fmt.Sprintf("queueing is %s of the mean %s", share(st.Mean, "queue"), dur(sumMap(st.Mean)))
		case st.Dominant == "cpuWait":
			b.Component = "API server: CPU"
			b.Evidence = fmt.Sprintf("waiting for a core is %s of the mean %s", share(st.Mean, "cpuWait"), dur(sumMap(st.Mean)))
		default:
			b.Component = "API server: " + st.Dominant
			b.Evidence = fmt.Sprintf("%s is %s of the mean %s", st.Dominant, share(st.Mean, st.Dominant), dur(sumMap(st.Mean)))
		}
		out = append(out, b)
	}
	s := &p.Startup
	if s.SLO != nil && !s.SLO.Met {
		b := BottleneckReport{SLO: "pod startup latency", Measured: s.SLI.P99, Threshold: s.SLO.ThresholdSeconds, Component: s.Dominant}
		var total float64
		var parts []string
		for _, ph := range s.Phases {
			if ph.Component == s.Dominant && ph.MeanSeconds > 0 {
				total += ph.MeanSeconds
				parts = append(parts, fmt.Sprintf("%s %s", ph.Name, dur(ph.MeanSeconds)))
			}
		}
		share := 0.0
		if s.SLI.Mean > 0 {
			share = total / s.SLI.Mean
		}
		b.Evidence = fmt.Sprintf("%.0f%% of the mean startup %s: %s", 100*share, dur(s.SLI.Mean), strings.Join(parts, ", "))
		out = append(out, b)
	}
	return out
}

func sumMap(m map[string]float64) float64 {
	var s float64
	for _, k := range sortedKeys(m) {
		s += m[k]
	}
	return s
}

func share(m map[string]float64, k string) string {
	if t := sumMap(m); t > 0 {
		return fmt.Sprintf("%.0f%%", 100*m[k]/t)
	}
	return "-"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// podConvergence reports the time to converge after each perturbation.
func podConvergence(c *cluster.Cluster) []PodConvergence {
	var out []PodConvergence
	for _, pt := range c.Tracker.Perturbations() {
		pc := PodConvergence{Kind: pt.Kind, Index: pt.Index, At: pt.At.Seconds(), What: perturbationText(c.Scenario, pt)}
		if pt.From >= 0 {
			pc.From = ptr(pt.From.Seconds())
		}
		if pt.ConvergedAt >= 0 {
			pc.ConvergedAt = ptr(pt.ConvergedAt.Seconds())
			pc.Seconds = ptr(pt.ConvergedAt.Sub(pt.From).Seconds())
		}
		out = append(out, pc)
	}
	return out
}

// PodConvergence is one perturbation and the time the cluster took to
// converge after it (see cluster.Perturbation): every Deployment
// complete, no pod Pending, every node Ready. Times in seconds; absent:
// never.
type PodConvergence struct {
	// Kind is start, action or fault; Index the action's or fault's.
	Kind  string  `json:"kind"`
	Index int     `json:"index"`
	What  string  `json:"what"`
	At    float64 `json:"at"`
	// From is when the clock started (a fault's end); ConvergedAt when the
	// converged stretch began; Seconds their difference.
	From        *float64 `json:"from,omitempty"`
	ConvergedAt *float64 `json:"convergedAt,omitempty"`
	Seconds     *float64 `json:"seconds,omitempty"`
}

func perturbationText(sc *scenarios.Scenario, pt cluster.Perturbation) string {
	switch pt.Kind {
	case "action":
		a := &sc.Spec.Workload.Actions[pt.Index]
		what := a.Object.String()
		if a.Type == scenarios.ActionCreate {
			var refs []string
			for _, i := range a.Objects {
				refs = append(refs, sc.Spec.Workload.Objects[i].Ref().String())
			}
			what = strings.Join(shortList(refs), ", ")
		}
		switch a.Type {
		case scenarios.ActionScale:
			what += fmt.Sprintf(" to %d", a.Replicas)
		case scenarios.ActionUpdate:
			if a.Image != "" {
				what += " image " + a.Image
			}
		}
		return fmt.Sprintf("action %d: %s %s", pt.Index, a.Type, what)
	case "fault":
		return fmt.Sprintf("fault %d: %s", pt.Index, sc.Spec.Faults[pt.Index].Type)
	}
	return "start: the workload as seeded at time 0"
}

// podMetrics adds the pod workload's figures to the flat metrics.
func podMetrics(put func(string, float64), r *Report) {
	ps := r.Pods
	if ps == nil {
		return
	}
	a := &ps.AtEnd
	for _, x := range []struct {
		name string
		v    int
	}{{"existing", a.Existing}, {"running", a.Running}, {"pending", a.Pending}, {"unscheduled", a.Unscheduled},
		{"succeeded", a.Succeeded}, {"failed", a.Failed}, {"terminating", a.Terminating}} {
		put("pods."+x.name, float64(x.v))
	}
	s := &ps.Startup
	putPercentiles(put, "pods.startup", s.SLI)
	putPercentiles(put, "pods.startupWithPulls", s.WithPulls)
	putPercentiles(put, "pods.imagePull", s.ImagePull)
	if s.SLO != nil {
		put("pods.startup.slo.met", boolMetric(s.SLO.Met))
	}
	put("pods.imagePulls", float64(s.ImagePulls))
	put("pods.imageCacheHits", float64(s.ImageCacheHits))
	for _, ph := range s.Phases {
		put("pods.startup.phase."+ph.Key+".mean", ph.MeanSeconds)
	}
	var created, deleted int64
	for _, c := range ps.Created {
		created += c.Count
	}
	for _, c := range ps.Deleted {
		deleted += c.Count
	}
	put("pods.created", float64(created))
	put("pods.deleted", float64(deleted))
	put("evictions.total", float64(ps.Evictions.Pods))

	sch := &ps.Scheduling
	put("scheduler.scheduled", float64(sch.Scheduled))
	put("scheduler.unschedulable", float64(sch.Unschedulable))
	put("scheduler.errors", float64(sch.Errors))
	put("scheduler.bindFailures", float64(sch.BindFailures))
	put("scheduler.throughput.peak", sch.ThroughputPeak)
	put("scheduler.throughput.mean", sch.ThroughputMean)
	put("scheduler.unscheduledAtEnd", float64(sch.UnscheduledTotal))
	putPercentiles(put, "scheduler.latency", sch.SLI)
	putPercentiles(put, "scheduler.createdToBound", sch.E2E)
	for _, at := range sch.Attempts {
		putPercentiles(put, "scheduler.attempt."+at.Result, at.Duration)
	}
	for _, q := range sortedKeys(sch.PeakQueue) {
		put("scheduler.peakQueue."+q, sch.PeakQueue[q])
	}

	for _, ct := range ps.Controllers {
		p := "controller." + ct.Name
		put(p+".adds", float64(ct.Adds))
		put(p+".reconciles", float64(ct.Reconciles))
		put(p+".errors", float64(ct.Errors))
		put(p+".retries", float64(ct.Retries))
		put(p+".peakQueueDepth", ct.PeakQueueDepth)
		putPercentiles(put, p+".queueWait", ct.QueueWait)
		putPercentiles(put, p+".work", ct.Work)
		put(p+".writes", float64(ct.WritesTotal))
		for _, k := range sortedKeys(ct.Writes) {
			put(p+"."+camel(k), float64(ct.Writes[k]))
		}
	}
	for _, l := range ps.LeaderElection {
		p := "leaderElection." + l.Name
		put(p+".acquired", float64(l.Acquired))
		put(p+".lost", float64(l.Lost))
		put(p+".changes", float64(l.Changes))
	}
	for _, d := range ps.Deployments {
		p := "deployment." + d.Name
		put(p+".complete", boolMetric(d.Complete))
		put(p+".availableReplicas", float64(d.Available))
		if d.CompleteAt != nil {
			put(p+".availableAtSeconds", *d.CompleteAt)
		}
	}

	all, slowest := true, 0.0
	for _, pc := range r.Convergence.Pods {
		p := "start"
		if pc.Kind != "start" {
			p = fmt.Sprintf("%s.%d", pc.Kind, pc.Index)
		}
		put(p+".podsConverged", boolMetric(pc.Seconds != nil))
		if pc.Seconds == nil {
			all = false
			continue
		}
		put(p+".podsConvergeSeconds", *pc.Seconds)
		slowest = max(slowest, *pc.Seconds)
	}
	put("convergence.pods.allConverged", boolMetric(all))
	if all {
		put("convergence.pods.seconds", slowest)
	}
}

// camel turns pods_created into podsCreated.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
