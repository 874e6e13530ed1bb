package reports

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/scenarios"
)

// metrics flattens the report into the named figures that `expect:`
// assertions refer to. Durations are in seconds.
func metrics(r *Report, c *cluster.Cluster) map[string]float64 {
	m := map[string]float64{}
	put := func(name string, v float64) { m[name] = v }
	r.requestMetrics(put)
	a := &r.APIServer
	put("apiserver.rejected", float64(a.Rejected))
	put("slo.violations", float64(len(a.SLOsViolated)))
	for _, l := range a.Levels {
		p := "apf." + l.Name
		put(p+".dispatched", float64(l.Dispatched))
		var rej int64
		for reason, n := range l.Rejected {
			put(p+".rejected."+reason, float64(n))
			rej += n
		}
		put(p+".rejected", float64(rej))
		put(p+".peakSeatsInUse", l.PeakSeats)
		put(p+".peakQueueLength", float64(l.PeakQueue))
		putPercentiles(put, p+".queueWait", l.Wait)
	}
	var cpuPeak, cpuMean float64
	for _, c := range a.CPU {
		cpuPeak, cpuMean = max(cpuPeak, c.Peak), max(cpuMean, c.Mean)
	}
	put("apiserver.cpu.peak", cpuPeak)
	put("apiserver.cpu.mean", cpuMean)
	put("apiserver.lists", float64(a.Lists))
	put("apiserver.peakRequestsPerSecond", a.PeakRequestRate)
	put("apiserver.restarts", float64(a.Restarts))
	put("apiserver.peakWatchers", a.PeakWatchers)
	for _, st := range a.Stages {
		for stage, v := range st.Mean {
			put("stage."+st.Verb+"."+st.Resource+"."+stage, v)
		}
	}
	put("apiserver.watchEventsSent", float64(a.WatchEvents))
	var dispatchCPU float64
	var visited int64
	for _, d := range a.Watch {
		p := "watch." + d.Resource
		put(p+".dispatchCPUSeconds", d.CPUSeconds)
		put(p+".watchersVisited", float64(d.WatchersVisited))
		put(p+".eventsSent", float64(d.EventsSent))
		dispatchCPU += d.CPUSeconds
		visited += d.WatchersVisited
	}
	put("watch.dispatchCPUSeconds", dispatchCPU)
	put("watch.watchersVisited", float64(visited))
	put("watch.eventsSent", float64(a.WatchEvents))
	put("watch.watchersTerminated", float64(a.WatchersTerminated))
	put("watch.tooOld", float64(a.WatchesTooOld))
	put("watch.bookmarksSent", float64(a.BookmarksSent))
	put("watch.relists", float64(a.Relists))
	for _, res := range r.Resources {
		p := resourceMetricPrefix(res.Name)
		put(p+".utilization", res.Utilization)
		put(p+".peakInUse", res.PeakInUse)
		put(p+".meanQueueLength", res.MeanQueueLength)
		put(p+".peakQueueLength", float64(res.PeakQueueLength))
		putPercentiles(put, p+".queueWait", res.QueueWait)
	}
	e := &r.Etcd
	put("etcd.writes", float64(e.Writes))
	put("etcd.writeBytes", float64(e.WriteBytes))
	put("etcd.conflicts", float64(e.Conflicts))
	putPercentiles(put, "etcd.commitLatency", e.CommitLatency)
	putPercentiles(put, "etcd.requestLatency", e.RequestLatency)
	putPercentiles(put, "etcd.walFsync", e.WALFsync)
	putPercentiles(put, "etcd.backendCommit", e.BackendCommit)
	put("etcd.proposalsCommitted", float64(e.ProposalsCommitted))
	put("etcd.proposalsFailed", float64(e.ProposalsFailed))
	var failed int64
	for _, n := range e.FailedRequests {
		failed += n
	}
	put("etcd.failedRequests", float64(failed))
	put("etcd.nospaceErrors", float64(r.Counters["etcd_server_nospace_errors_total"]+e.FailedRequests["etcdserver: mvcc: database space exceeded"]))
	put("etcd.leaderChanges", float64(e.LeaderChanges))
	var longest, total float64
	for _, w := range e.LeaderlessWindows {
		longest = max(longest, w.Seconds)
		total += w.Seconds
	}
	put("etcd.leaderlessWindows", float64(len(e.LeaderlessWindows)))
	put("etcd.leaderlessSeconds.max", longest)
	put("etcd.leaderlessSeconds.total", total)
	put("etcd.alarms", float64(e.Alarms))
	put("etcd.alarmActiveAtEnd", boolMetric(e.AlarmActiveAtEnd))
	put("etcd.compactions", float64(e.Compactions))
	put("etcd.dbSizeBytes.peak", float64(e.DBSizePeakBytes))
	put("etcd.dbSizeBytes.end", float64(e.DBSizeBytes))
	put("etcd.dbInUseBytes.end", float64(e.DBInUseBytes))
	for _, ch := range c.Scenario.Spec.Workload.Churn {
		put("churn."+ch.Name+".writes", float64(r.Counters[`churn_writes_total{churn="`+ch.Name+`"}`]))
		put("churn."+ch.Name+".succeeded", float64(r.Counters[`churn_writes_succeeded_total{churn="`+ch.Name+`"}`]))
		put("churn."+ch.Name+".failed", float64(r.Counters[`churn_writes_failed_total{churn="`+ch.Name+`"}`]))
	}
	workloadMetrics(put, r.Workload)
	podMetrics(put, r)
	objectMetrics(put, c)
	put("nodes.total", float64(r.Summary.Nodes))
	put("nodes.readyAtEnd", float64(r.Summary.NodesReadyAtEnd))
	put("nodes.notReadyTransitions", float64(c.Tracker.NotReadyTransitions()))
	put("convergence.allConverged", boolMetric(r.Convergence.AllConverged))
	var slowest float64
	for _, f := range r.Convergence.Faults {
		p := fmt.Sprintf("fault.%d", f.Index)
		put(p+".converged", boolMetric(f.Converged != nil))
		if f.DetectSeconds != nil {
			put(p+".detectSeconds", *f.DetectSeconds)
		}
		if f.ConvergeSeconds != nil {
			put(p+".convergeSeconds", *f.ConvergeSeconds)
			slowest = max(slowest, *f.ConvergeSeconds)
		}
	}
	put("convergence.maxConvergeSeconds", slowest)
	for _, w := range r.Settling {
		prefixes := []string{"start"}
		if len(w.Faults) > 0 {
			prefixes = prefixes[:0]
			for _, i := range w.Faults {
				prefixes = append(prefixes, fmt.Sprintf("fault.%d", i))
			}
		}
		for _, p := range prefixes {
			put(p+".peakRequestsPerSecond", w.PeakRequestsPerSecond)
			put(p+".requests", float64(w.Requests))
			put(p+".rejected", float64(w.Rejected))
			put(p+".settled", boolMetric(w.SettleSeconds != nil))
			if w.SettleSeconds != nil {
				put(p+".settleSeconds", *w.SettleSeconds)
			}
		}
	}
	put("network.lost", float64(c.Net.Stats.Lost))
	put("network.cut", float64(c.Net.Stats.Cut))
	put("network.streamsBroken", float64(c.Net.Stats.StreamsBroken))
	put("events.processed", float64(r.Summary.Events))
	return m
}

func boolMetric(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// resourceMetricPrefix turns `apiserver_seats{kind="mutating"}` into
// `apiserver.seats.mutating`.
func resourceMetricPrefix(key string) string {
	name, labels, _ := strings.Cut(key, "{")
	parts := []string{strings.ReplaceAll(name, "_", ".")}
	for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
		if _, v, ok := strings.Cut(kv, "="); ok {
			parts = append(parts, strings.Trim(v, `"`))
		}
	}
	return strings.Join(parts, ".")
}

// metricFamilies are the names a scenario may assert on even when the run
// produced no value for them (no request of that kind, a fault never
// detected): such an expectation fails instead of being a bad input.
var metricFamilies = []*regexp.Regexp{
	regexp.MustCompile(`^(latency|clientLatency)\.(get|list|watch|create|update|patch|delete)\.[a-z/]+\.(count|mean|p50|p90|p99|max)$`),
	regexp.MustCompile(`^requests\.(get|list|watch|create|update|patch|delete)\.[a-z/]+\.(count|errors|perSecond)$`),
	regexp.MustCompile(`^[a-z.A-Z]+\.queueWait\.(count|mean|p50|p90|p99|max)$`),
	regexp.MustCompile(`^etcd\.(commitLatency|requestLatency|walFsync|backendCommit)\.(count|mean|p50|p90|p99|max)$`),
	// Writers and controllers whose increments or reconciles never ran.
	regexp.MustCompile(`^writer\.[a-z0-9-]+\.incrementDuration\.(count|mean|p50|p90|p99|max)$`),
	regexp.MustCompile(`^controller\.[a-z0-9-]+\.((reconcileTime|queueWait)\.(count|mean|p50|p90|p99|max)|lastReconcileAt|lastSuccessAt)$`),
	// The start window's settle time, absent while it has not settled.
	regexp.MustCompile(`^start\.(settleSeconds|podsConvergeSeconds|podsConverged)$`),
	// Runs with pods: figures of pods, schedulers, controllers and
	// Deployments that never came to be, and convergence never reached.
	regexp.MustCompile(`^pods\.(startup|startupWithPulls|imagePull)\.(count|mean|p50|p90|p99|max)$`),
	regexp.MustCompile(`^pods\.startup\.(slo\.met|phase\.[a-zA-Z]+\.mean)$`),
	regexp.MustCompile(`^scheduler\.(latency|createdToBound|attempt\.[a-z]+)\.(count|mean|p50|p90|p99|max)$`),
	regexp.MustCompile(`^controller\.[a-z0-9-]+\.(queueWait|work)\.(count|mean|p50|p90|p99|max)$`),
	regexp.MustCompile(`^deployment\.[a-z0-9.-]+\.availableAtSeconds$`),
	regexp.MustCompile(`^convergence\.pods\.seconds$`),
}

var faultMetric = regexp.MustCompile(`^fault\.(\d+)\.(detectSeconds|convergeSeconds|converged|peakRequestsPerSecond|requests|rejected|settled|settleSeconds|podsConvergeSeconds|podsConverged)$`)

var actionMetric = regexp.MustCompile(`^action\.(\d+)\.(podsConvergeSeconds|podsConverged)$`)

// ExpectResult is one checked expectation.
type ExpectResult struct {
	Metric string   `json:"metric"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Value  *float64 `json:"value,omitempty"`
	Pass   bool     `json:"pass"`
	Note   string   `json:"note,omitempty"`
	Line   int      `json:"line"`
	// For a check across variants: the variants compared, and the metric
	// in each (Value is their ratio).
	Variant       string   `json:"variant,omitempty"`
	RelativeTo    string   `json:"relativeTo,omitempty"`
	VariantValue  *float64 `json:"variantValue,omitempty"`
	RelativeValue *float64 `json:"relativeValue,omitempty"`
}

// UnknownMetricError is an expectation naming a metric no run can produce.
type UnknownMetricError struct {
	File, Metric, Suggestion string
	Line, Index              int
}

func (e *UnknownMetricError) Error() string {
	msg := fmt.Sprintf("%s:%d: spec.expect[%d].metric: unknown metric %q", e.File, e.Line, e.Index, e.Metric)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg + "; `orrery run --format json` lists every metric under \"metrics\""
}

// CheckExpectations evaluates the scenario's expectations against the
// report's metrics, storing the results in the report. It returns an
// *UnknownMetricError for a metric that cannot exist.
func CheckExpectations(r *Report, sc *scenarios.Scenario) error {
	r.Expectations = []ExpectResult{}
	for _, e := range sc.Spec.Expect {
		res := ExpectResult{Metric: e.Metric, Min: e.Min, Max: e.Max, Line: e.Line}
		v, ok := r.metric(e.Metric)
		if !ok {
			if !knownFamily(e.Metric, sc) {
				return &UnknownMetricError{File: sc.File, Line: e.Line, Index: e.Index, Metric: e.Metric, Suggestion: r.closestMetric(e.Metric)}
			}
			res.Note = "no value: the run produced no sample for this metric"
			r.Expectations = append(r.Expectations, res)
			continue
		}
		res.Value = &v
		res.Pass = (e.Min == nil || v >= *e.Min) && (e.Max == nil || v <= *e.Max)
		r.Expectations = append(r.Expectations, res)
	}
	return nil
}

// Failed counts failed expectations.
func (r *Report) Failed() int {
	n := 0
	for _, e := range r.Expectations {
		if !e.Pass {
			n++
		}
	}
	return n
}

func knownFamily(name string, sc *scenarios.Scenario) bool {
	if m := faultMetric.FindStringSubmatch(name); m != nil {
		i, err := strconv.Atoi(m[1])
		return err == nil && i < len(sc.Spec.Faults)
	}
	if m := actionMetric.FindStringSubmatch(name); m != nil {
		i, err := strconv.Atoi(m[1])
		return err == nil && i < len(sc.Spec.Workload.Actions)
	}
	for _, re := range slices.Concat(metricFamilies, objectMetricFamilies) {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// closest suggests the known metric with the smallest edit distance.
func closest(name string, known map[string]float64) string {
	keys := make([]string, 0, len(known))
	for k := range known {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	best, bestD := "", len(name)/2+1
	for _, k := range keys {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// requestMetrics puts the request table's figures. A row's metrics are
// keyed <verb>.<resource>, or, when the verb and resource were served in
// several scopes (a cluster-wide and a namespaced list),
// <verb>.<resource>.<scope>.
func (r *Report) requestMetrics(put func(string, float64)) {
	scopes := map[string]int{}
	for _, rs := range r.Requests {
		scopes[rs.Verb+"."+rs.Resource]++
	}
	for _, rs := range r.Requests {
		key := rs.Verb + "." + rs.Resource
		if scopes[key] > 1 {
			key += "." + rs.Scope
		}
		putPercentiles(put, "latency."+key, rs.Latency)
		putPercentiles(put, "clientLatency."+key, rs.ClientSide)
		put("requests."+key+".count", float64(rs.Count))
		put("requests."+key+".errors", float64(rs.Errors))
		put("requests."+key+".perSecond", rs.PerSecond)
		if rs.SLO != nil {
			put("slo."+key+".met", boolMetric(rs.SLO.Met))
		}
	}
}

func putPercentiles(put func(string, float64), prefix string, p Percentiles) {
	if p.Count == 0 {
		return
	}
	put(prefix+".count", float64(p.Count))
	put(prefix+".mean", p.Mean)
	put(prefix+".p50", p.P50)
	put(prefix+".p90", p.P90)
	put(prefix+".p99", p.P99)
	put(prefix+".max", p.Max)
}
