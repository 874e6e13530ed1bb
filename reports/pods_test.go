package reports

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/kubescheduler"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// TestKubectlApplyReport pins the pod sections of the kubectl-apply
// built-in: a 3-replica Deployment, one ReplicaSet, three pods created,
// bound and started, and the cluster converged after the create.
func TestKubectlApplyReport(t *testing.T) {
	sc, err := scenarios.LoadBuiltin("kubectl-apply")
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	ps := r.Pods
	if ps == nil {
		t.Fatal("no pods section")
	}
	if want := (PodCountStats{Existing: 3, Running: 3}); ps.AtEnd != want {
		t.Errorf("at the end %+v, want %+v", ps.AtEnd, want)
	}
	s := &ps.Scheduling
	if s.Scheduled != 3 || s.Unschedulable != 0 || s.Errors != 0 || s.BindFailures != 0 || s.SLI.Count != 3 || s.E2E.Count != 3 || s.UnscheduledTotal != 0 {
		t.Errorf("scheduling %+v", s)
	}
	// The three bindings fall in one 1s bucket.
	if s.ThroughputPeak != 3 || s.ThroughputMean != 3 {
		t.Errorf("throughput peak %v mean %v, want 3 and 3", s.ThroughputPeak, s.ThroughputMean)
	}
	ctl := map[string]KCMControllerStats{}
	for _, c := range ps.Controllers {
		ctl[c.Name] = c
	}
	if _, ok := ctl["deployment"]; !ok {
		t.Fatalf("controllers %+v", ps.Controllers)
	}
	if d, rs := ctl["deployment"], ctl["replicaset"]; d.Writes["replicasets_created"] != 1 || rs.Writes["pods_created"] != 3 ||
		rs.Writes["pods_deleted"] != 0 || rs.Reconciles == 0 || rs.PeakQueueDepth < 1 || rs.QueueWait.Count == 0 || rs.Work.Count == 0 {
		t.Errorf("deployment controller %+v, replicaset controller %+v", d, rs)
	}
	if len(ps.Deployments) != 1 {
		t.Fatalf("deployments %+v", ps.Deployments)
	}
	d := ps.Deployments[0]
	if d.Name != "nginx-deployment" || d.Replicas != 3 || d.Available != 3 || d.Updated != 3 || !d.Complete || d.CompleteAt == nil {
		t.Fatalf("deployment %+v", d)
	}
	// The create at 1s is the one perturbation; the cluster converged when
	// the Deployment became complete.
	cv := r.Convergence.Pods
	if len(cv) != 1 || cv[0].Kind != "action" || cv[0].At != 1 || cv[0].ConvergedAt == nil || *cv[0].ConvergedAt != *d.CompleteAt || math.Abs(*cv[0].Seconds-(*d.CompleteAt-1)) > 1e-9 {
		t.Fatalf("pod convergence %+v (deployment complete at %v)", cv, *d.CompleteAt)
	}
	st := &ps.Startup
	if st.SLI.Count != 3 || st.WithPulls.Count != 3 || st.ImagePulls != 3 || st.SLO == nil || !st.SLO.Met || st.SLO.ThresholdSeconds != 5 {
		t.Errorf("startup %+v", st)
	}
	// The parts add up to the SLI's mean.
	var sum float64
	for _, ph := range st.Phases {
		sum += ph.MeanSeconds
	}
	if len(st.Phases) != 10 || math.Abs(sum-st.SLI.Mean) > 1e-9 {
		t.Errorf("phases %+v sum to %v, SLI mean %v", st.Phases, sum, st.SLI.Mean)
	}
	for _, l := range ps.LeaderElection {
		if l.Acquired != 1 || l.Changes != 0 {
			t.Errorf("leader election %+v", l)
		}
	}
	if len(ps.LeaderElection) != 2 || len(ps.Bottlenecks) != 0 || ps.Evictions.Pods != 0 {
		t.Errorf("leaders %+v, bottlenecks %+v, evictions %+v", ps.LeaderElection, ps.Bottlenecks, ps.Evictions)
	}
	m := r.Metrics
	for name, want := range map[string]float64{
		"pods.running": 3, "pods.pending": 0, "pods.startup.slo.met": 1, "scheduler.scheduled": 3, "scheduler.throughput.peak": 3,
		"controller.replicaset.podsCreated": 3, "controller.deployment.replicasetsCreated": 1, "evictions.total": 0,
		"convergence.pods.allConverged": 1, "deployment.nginx-deployment.availableAtSeconds": *d.CompleteAt,
		"convergence.pods.seconds": *cv[0].Seconds, "action.0.podsConvergeSeconds": *cv[0].Seconds, "pods.startup.p99": st.SLI.P99,
		"scheduler.latency.p99": s.SLI.P99, "controller.replicaset.reconciles": float64(ctl["replicaset"].Reconciles),
		"leaderElection.kube-scheduler.changes": 0,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("metric %s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	var buf bytes.Buffer
	if err := r.Text(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nPODS — ", "\nSCHEDULING — ", "\nCONTROLLERS — ", "\nBOTTLENECKS — ", "every SLO met",
		"action 0: create deployment/nginx-deployment", "no pod Pending — to the end of the window"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

// TestReportsWithoutPodsHaveNoPodSections: a run without pods reports
// nothing new.
func TestReportsWithoutPodsHaveNoPodSections(t *testing.T) {
	sc, err := scenarios.LoadBuiltin("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	if r.Pods != nil || r.Convergence.Pods != nil {
		t.Fatalf("pods %+v, pod convergence %+v", r.Pods, r.Convergence.Pods)
	}
	for name := range r.Metrics {
		for _, p := range []string{"pods.", "scheduler.", "deployment.", "convergence.pods", "evictions."} {
			if strings.HasPrefix(name, p) {
				t.Errorf("metric %s in a run without pods", name)
			}
		}
	}
	var buf bytes.Buffer
	_ = r.Text(&buf)
	if strings.Contains(buf.String(), "\nPODS — ") || strings.Contains(buf.String(), "no pod Pending") {
		t.Error("text report of a run without pods has pod sections")
	}
}

// tightScenario: one node with 2 CPUs, a Deployment of three pods of 800m
// each, created at 1s: two fit, the third stays pending.
const tightScenario = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: tight
spec:
  seed: 3
  duration: 40s
  cluster:
    nodePools:
      - name: node
        count: 1
        cpu: "2"
        memory: 8Gi
  workload:
    objects:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: "nginx:1.25", resources: {requests: {cpu: 800m}}}]
    actions:
      - {at: 1s, type: create, object: deployment/web}
`

// TestUnschedulablePodsAtTheEnd: the pod that does not fit is reported
// with the scheduler's message, the Deployment is not complete, and the
// cluster never converges; expecting its convergence time is a failed
// expectation, not a bad input.
func TestUnschedulablePodsAtTheEnd(t *testing.T) {
	sc, err := scenarios.Parse("tight.yaml", []byte(tightScenario+`  expect:
    - metric: convergence.pods.seconds
      max: 1m
`))
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	ps := r.Pods
	if want := (PodCountStats{Existing: 3, Pending: 1, Unscheduled: 1, Running: 2}); ps.AtEnd != want {
		t.Errorf("at the end %+v, want %+v", ps.AtEnd, want)
	}
	s := &ps.Scheduling
	if s.Scheduled != 2 || s.Unschedulable == 0 || s.UnscheduledTotal != 1 || len(s.Unscheduled) != 1 {
		t.Fatalf("scheduling %+v", s)
	}
	g := s.Unscheduled[0]
	if g.Count != 1 || !strings.HasPrefix(g.Message, "0/1 nodes are available: 1 Insufficient cpu.") ||
		len(g.Pods) != 1 || !strings.HasPrefix(g.Pods[0], "default/web-") {
		t.Errorf("unscheduled group %+v", g)
	}
	if d := ps.Deployments[0]; d.Complete || d.Available != 2 || d.CompleteAt != nil {
		t.Errorf("deployment %+v", d)
	}
	if cv := r.Convergence.Pods; len(cv) != 1 || cv[0].Kind != "action" || cv[0].Seconds != nil {
		t.Errorf("pod convergence %+v", cv)
	}
	if _, ok := r.Metrics["convergence.pods.seconds"]; ok || r.Metrics["convergence.pods.allConverged"] != 0 || r.Metrics["pods.pending"] != 1 {
		t.Errorf("convergence metrics: %v, allConverged %v, pending %v", r.Metrics["convergence.pods.seconds"],
			r.Metrics["convergence.pods.allConverged"], r.Metrics["pods.pending"])
	}
	if e := r.Expectations; len(e) != 1 || e[0].Pass || e[0].Value != nil {
		t.Errorf("expectations %+v", e)
	}
	var buf bytes.Buffer
	_ = r.Text(&buf)
	if !strings.Contains(buf.String(), `1 × "0/1 nodes are available: 1 Insufficient cpu.`) || !strings.Contains(buf.String(), "NOT converged") {
		t.Errorf("text report:\n%s", buf.String())
	}

	// An action that does not exist is a bad input.
	bad, err := scenarios.Parse("tight.yaml", []byte(tightScenario+`  expect:
    - metric: action.1.podsConvergeSeconds
      max: 1m
`))
	if err != nil {
		t.Fatal(err)
	}
	var unknown *UnknownMetricError
	if err := CheckExpectations(r, bad); !errors.As(err, &unknown) || unknown.Line != 29 {
		t.Errorf("CheckExpectations = %v, want an unknown metric at line 29", err)
	}
}

// TestScaleDownConverges: scaling the Deployment to what fits deletes the
// pending pod and the cluster converges after the action, not before.
func TestScaleDownConverges(t *testing.T) {
	sc, err := scenarios.Parse("tight.yaml", []byte(tightScenario+`      - {at: 20s, type: scale, object: deployment/web, replicas: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	ps := r.Pods
	if want := (PodCountStats{Existing: 2, Running: 2}); ps.AtEnd != want {
		t.Errorf("at the end %+v, want %+v", ps.AtEnd, want)
	}
	if m := r.Metrics; m["controller.replicaset.podsDeleted"] != 1 || m["pods.deleted"] != 1 || m["deployment.web.complete"] != 1 {
		t.Errorf("pods deleted %v (%v), deployment complete %v", m["controller.replicaset.podsDeleted"], m["pods.deleted"], m["deployment.web.complete"])
	}
	cv := r.Convergence.Pods
	if len(cv) != 2 || cv[0].Index != 0 || cv[0].Seconds != nil || cv[1].Index != 1 || cv[1].Seconds == nil {
		t.Fatalf("pod convergence %+v", cv)
	}
	// The scale's PATCH, the ReplicaSet's resize, the delete and the
	// status roll-up take well under a second.
	if s := *cv[1].Seconds; s <= 0 || s > 1 {
		t.Errorf("converged %vs after the scale", s)
	}
	if r.Metrics["action.0.podsConverged"] != 0 || r.Metrics["action.1.podsConverged"] != 1 || r.Metrics["convergence.pods.allConverged"] != 0 {
		t.Errorf("metrics %v %v %v", r.Metrics["action.0.podsConverged"], r.Metrics["action.1.podsConverged"], r.Metrics["convergence.pods.allConverged"])
	}
}

// TestMemoryEvictionIsCounted: two pods bound by spec.nodeName ask for
// more memory than the node has; the kubelet evicts one.
func TestMemoryEvictionIsCounted(t *testing.T) {
	sc, err := scenarios.Parse("evict.yaml", []byte(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: evict
spec:
  seed: 1
  duration: 40s
  cluster:
    nodePools:
      - name: node
        count: 1
        memory: 1Gi
  workload:
    objects:
      - apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          nodeName: node-0
          containers: [{name: c, image: busybox, resources: {requests: {memory: 600Mi}}}]
      - apiVersion: v1
        kind: Pod
        metadata: {name: b}
        spec:
          nodeName: node-0
          containers: [{name: c, image: busybox, resources: {requests: {memory: 600Mi}}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	ps := r.Pods
	if ps.Evictions.Pods != 1 || r.Metrics["evictions.total"] != 1 || ps.AtEnd.Failed != 1 || ps.AtEnd.Running != 1 {
		t.Errorf("evictions %+v, at the end %+v", ps.Evictions, ps.AtEnd)
	}
	// Pods created with spec.nodeName are not scheduled.
	if ps.Scheduling.Scheduled != 0 || ps.Scheduling.ThroughputPeak != 0 {
		t.Errorf("scheduling %+v", ps.Scheduling)
	}
}

// TestStartupPhasesSplitTheMean checks the split of the SLI's mean on
// hand-made series, and the component named.
func TestStartupPhasesSplitTheMean(t *testing.T) {
	rec := sim.NewRecorder(time.Second)
	obs := func(l *sim.LatencySeries, ds ...time.Duration) {
		for _, d := range ds {
			l.Observe(d)
		}
	}
	s := time.Second
	ms := time.Millisecond
	obs(rec.Latency(kubescheduler.E2EMetric, "scheduler", "kube-scheduler"), 2*s, 4*s)
	obs(rec.Latency(kubescheduler.AttemptDurationMetric, "scheduler", "kube-scheduler", "result", "scheduled"), s, s)
	obs(rec.Latency(kubescheduler.AttemptDurationMetric, "scheduler", "kube-scheduler", "result", "unschedulable"), 9*s)
	obs(rec.Latency("apiserver_request_duration_seconds", "verb", "create", "resource", "pods", "scope", "resource"), 200*ms, 200*ms)
	obs(rec.Latency("rest_client_request_duration_seconds", "verb", "create", "resource", "pods"), 500*ms, 500*ms)
	obs(rec.Latency("apiserver_request_duration_seconds", "verb", "create", "resource", "pods/binding", "scope", "resource"), 300*ms)
	obs(rec.Latency("rest_client_request_duration_seconds", "verb", "create", "resource", "pods/binding"), 400*ms)
	obs(rec.Latency("apiserver_request_duration_seconds", "verb", "get", "resource", "pods", "scope", "resource"), 9*s)
	obs(rec.Latency("kubelet_run_podsandbox_duration_seconds"), s, s, 1200*ms)
	obs(rec.Latency("kubelet_runtime_operations_duration_seconds", "operation_type", "start_container"), s/2, s/2)
	obs(rec.Latency("kubelet_pod_pleg_wait_seconds"), s/5, s/5)
	sli := percentiles([]int64{int64(5 * s), int64(7 * s)})
	phases, dominant := startupPhases(rec, sli)
	want := map[string]float64{"createClient": 0.3, "createServer": 0.2, "schedulingWait": 1.5, "scheduling": 0.6, "bindingClient": 0.1,
		"bindingServer": 0.3, "sandbox": 1.6, "containerStart": 0.5, "plegWait": 0.2, "apiAndWatch": 0.7}
	if len(phases) != len(want) {
		t.Fatalf("phases %+v", phases)
	}
	for _, ph := range phases {
		if math.Abs(ph.MeanSeconds-want[ph.Key]) > 1e-9 || math.Abs(ph.Share-want[ph.Key]/6) > 1e-9 {
			t.Errorf("%s: mean %v share %v, want %v and %v", ph.Key, ph.MeanSeconds, ph.Share, want[ph.Key], want[ph.Key]/6)
		}
	}
	// By component: sandbox 1.6, the queue 1.5, the API server
	// 0.2 + 0.3 + 0.7 = 1.2.
	if dominant != "kubelet: sandbox" {
		t.Errorf("dominant %q", dominant)
	}
	// A slow binding (mean 1.65s in the API server): the API server's
	// parts add up to the most.
	obs(rec.Latency("apiserver_request_duration_seconds", "verb", "create", "resource", "pods/binding", "scope", "resource"), 3*s)
	obs(rec.Latency("rest_client_request_duration_seconds", "verb", "create", "resource", "pods/binding"), 3*s)
	if _, dominant := startupPhases(rec, sli); dominant != "API server and watches" {
		t.Errorf("dominant %q with a slower binding", dominant)
	}
}

// TestBottleneckRule checks the attribution of each failed SLO.
func TestBottleneckRule(t *testing.T) {
	row := func(verb, res string, p99 float64) RequestStats {
		r := RequestStats{Verb: verb, Resource: res, Scope: "resource", Latency: Percentiles{Count: 10, P99: p99}}
		r.SLO = sloFor(verb, "resource", p99)
		return r
	}
	stage := func(verb, res, dominant string) StageStats {
		return StageStats{Verb: verb, Resource: res, Mean: map[string]float64{dominant: 0.9, "authentication": 0.1}, Dominant: dominant}
	}
	requests := []RequestStats{
		row("update", "leases", 2), row("create", "pods", 3), row("get", "nodes", 1.5),
		row("patch", "nodes/status", 1.2), row("get", "leases", 0.5), // met: no row
	}
	stages := []StageStats{stage("update", "leases", "storage"), stage("create", "pods", "queue"), stage("get", "nodes", "cpuWait"), stage("patch", "nodes/status", "admission")}
	p := &PodStats{Startup: StartupStats{SLI: Percentiles{Count: 100, Mean: 4, P99: 8}, SLO: &SLO{ThresholdSeconds: 5}, Dominant: compClient,
		Phases: []StartupPhase{
			{Name: "the pod's create, client side", Component: compClient, MeanSeconds: 1},
			{Name: "pod sandbox", Component: compSandbox, MeanSeconds: 1.5},
			{Name: "binding, client side", Component: compClient, MeanSeconds: 1},
		}}}
	got := bottlenecks(p, requests, stages)
	want := []string{"etcd", "API server: flow control queue (APF or max-inflight)", "API server: CPU", "API server: admission", compClient}
	if len(got) != len(want) {
		t.Fatalf("bottlenecks %+v", got)
	}
	for i, w := range want {
		if got[i].Component != w {
			t.Errorf("bottleneck %d (%s) = %q, want %q", i, got[i].SLO, got[i].Component, w)
		}
	}
	if got[0].Evidence != "storage is 90% of the mean 1s" {
		t.Errorf("evidence %q", got[0].Evidence)
	}
	if b := got[4]; b.SLO != "pod startup latency" || b.Measured != 8 || b.Threshold != 5 ||
		b.Evidence != "50% of the mean startup 4s: the pod's create, client side 1s, binding, client side 1s" {
		t.Errorf("pod startup bottleneck %+v", b)
	}
	// SLOs met: nothing to name.
	p.Startup.SLO.Met = true
	if got := bottlenecks(p, requests[4:], stages); len(got) != 0 {
		t.Errorf("bottlenecks with every SLO met: %+v", got)
	}
}

// TestSeededWorkloadIsTracked: a Deployment that exists from time 0 is
// seeded in its steady state (etcd.Seed, which no commit observer sees);
// the report still counts its pods and Deployment, complete and converged
// from the start.
func TestSeededWorkloadIsTracked(t *testing.T) {
	doc := strings.Replace(tightScenario, "replicas: 3", "replicas: 2", 1)
	doc = strings.Replace(doc, "    actions:\n      - {at: 1s, type: create, object: deployment/web}\n", "", 1)
	sc, err := scenarios.Parse("seeded.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	if want := (PodCountStats{Existing: 2, Running: 2}); r.Pods.AtEnd != want {
		t.Errorf("at the end %+v, want %+v", r.Pods.AtEnd, want)
	}
	d := r.Pods.Deployments
	if len(d) != 1 || d[0].Name != "web" || !d[0].Complete || d[0].CompleteAt == nil {
		t.Fatalf("deployments %+v", d)
	}
	cv := r.Convergence.Pods
	if len(cv) != 1 || cv[0].Kind != "start" || cv[0].Seconds == nil || *cv[0].Seconds != 0 || *d[0].CompleteAt != 0 {
		t.Errorf("pod convergence %+v, deployment complete at %v", cv, *d[0].CompleteAt)
	}
	if r.Pods.Scheduling.Scheduled != 0 || r.Pods.Scheduling.ThroughputPeak != 0 {
		t.Errorf("seeded pods were scheduled: %+v", r.Pods.Scheduling)
	}
}
