// Package reports turns a finished run into a report: it analyses what the
// recorder collected (latency percentiles, throughput, utilization and queue
// wait, convergence after each fault, the herd after each fault and when it
// settled, a timeline; in runs with pods, pod startup against its SLO,
// scheduling, the controllers, convergence after each perturbation and the
// component each failed SLO's time went to), checks the scenario's
// expectations against a flat table of named metrics, and renders the result
// as text for a terminal or as JSON with a stable, versioned schema.
//
// Everything in a report except its "run" section is a function of the
// scenario and seed alone: same inputs, same bytes. The "run" section holds
// wall-clock figures (wall time, events per second, peak memory) and is
// left out when reports are compared.
package reports

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/sim"
)

// Schema names the JSON report format. Bump the version on any change that
// removes or renames a field.
const Schema = "orrery.dev/report/v1"

// Report is one run's report.
type Report struct {
	Schema       string             `json:"schema"`
	Scenario     ScenarioInfo       `json:"scenario"`
	Summary      Summary            `json:"summary"`
	Requests     []RequestStats     `json:"requests"`
	APIServer    APIServerStats     `json:"apiServer"`
	Resources    []ResourceStat     `json:"resources"`
	Etcd         EtcdStats          `json:"etcd"`
	Convergence  Convergence        `json:"convergence"`
	Settling     []SettleWindow     `json:"settling"`
	Workload     *WorkloadStats     `json:"workload,omitempty"`
	Pods         *PodStats          `json:"pods,omitempty"`
	Timeline     Timeline           `json:"timeline"`
	Series       []Series           `json:"series"`
	Counters     map[string]int64   `json:"counters"`
	Metrics      map[string]float64 `json:"metrics"`
	Expectations []ExpectResult     `json:"expectations"`
	Config       Config             `json:"config"`
	Run          *RunInfo           `json:"run,omitempty"`
}

// ScenarioInfo says what ran.
type ScenarioInfo struct {
	Name              string `json:"name"`
	Variant           string `json:"variant,omitempty"`
	Description       string `json:"description,omitempty"`
	File              string `json:"file"`
	Seed              uint64 `json:"seed"`
	Duration          string `json:"duration"`
	KubernetesVersion string `json:"kubernetesVersion"`
}

// Summary holds the run's size.
type Summary struct {
	VirtualSeconds  float64 `json:"virtualSeconds"`
	Events          uint64  `json:"events"`
	Nodes           int     `json:"nodes"`
	NodesReadyAtEnd int     `json:"nodesReadyAtEnd"`
}

// Percentiles summarises a latency series, in seconds.
type Percentiles struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// RequestStats is one (verb, resource) as the API server saw it.
type RequestStats struct {
	Verb       string           `json:"verb"`
	Resource   string           `json:"resource"`
	Scope      string           `json:"scope"`
	Count      int64            `json:"count"`
	Errors     int64            `json:"errors"`
	Codes      map[string]int64 `json:"codes"`
	PerSecond  float64          `json:"perSecond"`
	Latency    Percentiles      `json:"latency"`
	ClientSide Percentiles      `json:"clientLatency"`
	SLO        *SLO             `json:"slo,omitempty"`
}

// ResourceStat is one modeled resource's utilization and queueing.
type ResourceStat struct {
	Name            string      `json:"name"`
	Capacity        int         `json:"capacity"`
	Utilization     float64     `json:"utilization"`
	PeakInUse       float64     `json:"peakInUse"`
	MeanQueueLength float64     `json:"meanQueueLength"`
	PeakQueueLength int         `json:"peakQueueLength"`
	QueueWait       Percentiles `json:"queueWait"`
}

// EtcdStats describes the etcd cluster's work and health.
type EtcdStats struct {
	Members int    `json:"members"`
	Version string `json:"version"`
	// Writes and WriteBytes count committed changes (object bytes).
	Writes     int64 `json:"writes"`
	WriteBytes int64 `json:"writeBytes"`
	// Conflicts are transactions whose compare failed (409s to the API server).
	Conflicts int64 `json:"conflicts"`
	// CommitLatency is proposal → applied on the leader.
	CommitLatency Percentiles `json:"commitLatency"`
	// RequestLatency is every storage call as the API server's etcd client saw it.
	RequestLatency     Percentiles `json:"requestLatency"`
	WALFsync           Percentiles `json:"walFsync"`
	BackendCommit      Percentiles `json:"backendCommit"`
	ProposalsCommitted int64       `json:"proposalsCommitted"`
	ProposalsFailed    int64       `json:"proposalsFailed"`
	// FailedRequests counts storage calls that failed, by etcd's error text.
	FailedRequests map[string]int64 `json:"failedRequests"`
	LeaderChanges  int64            `json:"leaderChanges"`
	// LeaderlessWindows are the stretches without a leader of a quorum.
	LeaderlessWindows []WindowReport `json:"leaderlessWindows"`
	Alarms            int64          `json:"alarms"`
	AlarmActiveAtEnd  bool           `json:"alarmActiveAtEnd"`
	Compactions       int64          `json:"compactions"`
	// DBSizeBytes is the largest member's database size (the quota's
	// measure) at its peak and at the end; DBInUseBytes the live part at the end.
	DBSizePeakBytes int64 `json:"dbSizePeakBytes"`
	DBSizeBytes     int64 `json:"dbSizeBytes"`
	DBInUseBytes    int64 `json:"dbInUseBytes"`
	QuotaBytes      int64 `json:"quotaBytes"`
}

// WindowReport is one leaderless window, in seconds of virtual time.
type WindowReport struct {
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Seconds   float64 `json:"seconds"`
	NewLeader string  `json:"newLeader,omitempty"`
}

// Convergence reports each fault's detection and recovery.
type Convergence struct {
	AllConverged bool          `json:"allConverged"`
	Faults       []FaultReport `json:"faults"`
	// Pods, in runs with pods: the time to converge after each
	// perturbation.
	Pods []PodConvergence `json:"pods,omitempty"`
}

// FaultReport is one fault's story. Times are seconds of virtual time;
// absent values mean "never".
type FaultReport struct {
	Index     int      `json:"index"`
	Type      string   `json:"type"`
	Nodes     []string `json:"nodes"`
	Members   []string `json:"members,omitempty"`
	At        float64  `json:"at"`
	End       *float64 `json:"end,omitempty"`
	Detected  *float64 `json:"detectedAt,omitempty"`
	Converged *float64 `json:"convergedAt,omitempty"`
	// DetectSeconds is detection − start; ConvergeSeconds is convergence − end.
	DetectSeconds   *float64 `json:"detectSeconds,omitempty"`
	ConvergeSeconds *float64 `json:"convergeSeconds,omitempty"`
}

// Timeline is the run's notable events in time order.
type Timeline struct {
	Entries []TimelineEntry `json:"entries"`
	Dropped int             `json:"dropped"`
}

// TimelineEntry is one notable event.
type TimelineEntry struct {
	At        string  `json:"at"`
	Seconds   float64 `json:"seconds"`
	Component string  `json:"component"`
	Event     string  `json:"event"`
}

// Series is a gauge over time: one [last, max] pair per bucket.
type Series struct {
	Name          string       `json:"name"`
	BucketSeconds float64      `json:"bucketSeconds"`
	Peak          float64      `json:"peak"`
	Points        [][2]float64 `json:"points"`
}

// RunInfo holds the wall-clock figures of a run. Not deterministic.
type RunInfo struct {
	WallSeconds          float64 `json:"wallSeconds"`
	EventsPerSecond      float64 `json:"eventsPerSecond"`
	SimSecondsPerWallSec float64 `json:"simulatedSecondsPerWallSecond"`
	PeakMemoryBytes      uint64  `json:"peakMemoryBytes"`
}

// Build analyses a finished cluster run.
func Build(c *cluster.Cluster) *Report {
	sc := c.Scenario
	end := c.End()
	r := &Report{
		Schema: Schema,
		Scenario: ScenarioInfo{
			Name: sc.Metadata.Name, Variant: sc.VariantName, Description: sc.Metadata.Description, File: sc.File,
			Seed: sc.Spec.Seed, Duration: sc.Spec.Duration.String(), KubernetesVersion: sc.Spec.KubernetesVersion,
		},
		Summary: Summary{VirtualSeconds: end.Seconds(), Events: c.Eng.Processed(), Nodes: len(c.Nodes), NodesReadyAtEnd: c.Tracker.Ready()},
		Config:  Config{reflect.ValueOf(sc.Spec)},
	}
	r.Requests = requestStats(c.Rec, end)
	r.APIServer = apiServerStats(c, r.Requests)
	r.Resources = resourceStats(c.Rec, end)
	r.Etcd = etcdStats(c)
	r.Convergence = convergence(c)
	r.Settling = settling(c)
	r.Workload = workloadStats(c)
	r.Pods = podStats(c, r.Requests, r.APIServer.Stages)
	r.Convergence.Pods = podConvergence(c)
	tl, dropped := c.Rec.Timeline()
	for _, n := range tl {
		r.Timeline.Entries = append(r.Timeline.Entries, TimelineEntry{At: n.At.String(), Seconds: n.At.Seconds(), Component: n.Component, Event: n.Message})
	}
	r.Timeline.Dropped = dropped
	for _, g := range c.Rec.Gauges() {
		s := Series{Name: g.Key(), BucketSeconds: c.Rec.Bucket().Seconds(), Peak: g.Peak()}
		for _, p := range g.Points(end) {
			s.Points = append(s.Points, [2]float64{p.Last, p.Max})
		}
		r.Series = append(r.Series, s)
	}
	r.Counters = map[string]int64{}
	for _, ctr := range c.Rec.Counters() {
		r.Counters[ctr.Key()] = ctr.Value
	}
	r.Metrics = metrics(r, c)
	return r
}

func seconds(ns int64) float64 { return time.Duration(ns).Seconds() }

// percentiles summarises samples (nanoseconds) with gonum's empirical quantiles.
func percentiles(samples []int64) Percentiles {
	if len(samples) == 0 {
		return Percentiles{}
	}
	xs := make([]float64, len(samples))
	for i, s := range samples {
		xs[i] = seconds(s)
	}
	slices.Sort(xs)
	return Percentiles{
		Count: len(xs),
		Mean:  stat.Mean(xs, nil),
		P50:   stat.Quantile(0.50, stat.Empirical, xs, nil),
		P90:   stat.Quantile(0.90, stat.Empirical, xs, nil),
		P99:   stat.Quantile(0.99, stat.Empirical, xs, nil),
		Max:   xs[len(xs)-1],
	}
}

func requestStats(rec *sim.Recorder, end sim.Time) []RequestStats {
	// One row per (verb, resource, scope), as the SLOs are judged: a
	// cluster-wide list and a namespaced one have different thresholds
	// (sig-scalability slos/api_call_latency.md).
	type key struct{ verb, res, scope string }
	byKey := map[key]*RequestStats{}
	var order []key
	get := func(verb, res, scope string) *RequestStats {
		k := key{verb, res, scope}
		if s, ok := byKey[k]; ok {
			return s
		}
		s := &RequestStats{Verb: verb, Resource: res, Scope: scope, Codes: map[string]int64{}}
		byKey[k] = s
		order = append(order, k)
		return s
	}
	server := map[key][]int64{}
	// Client-side latency has no scope label (rest_client_request_duration
	// _seconds{verb, host}): it is shown on each scope's row.
	type vr struct{ verb, res string }
	client := map[vr]Percentiles{}
	for _, l := range rec.Latencies() {
		switch l.Name {
		case "apiserver_request_duration_seconds":
			k := key{l.Label("verb"), l.Label("resource"), l.Label("scope")}
			get(k.verb, k.res, k.scope)
			server[k] = append(server[k], l.Samples()...)
		case "rest_client_request_duration_seconds":
			client[vr{l.Label("verb"), l.Label("resource")}] = percentiles(l.Samples())
		}
	}
	for _, ctr := range rec.Counters() {
		if ctr.Name != "apiserver_request_total" {
			continue
		}
		s := get(ctr.Label("verb"), ctr.Label("resource"), ctr.Label("scope"))
		code := ctr.Label("code")
		s.Codes[code] += ctr.Value
		s.Count += ctr.Value
		if !strings.HasPrefix(code, "2") {
			s.Errors += ctr.Value
		}
	}
	// A verb and resource only clients saw (every request failed before
	// reaching a server) still gets its row.
	for k := range client {
		found := false
		for _, o := range order {
			if o.verb == k.verb && o.res == k.res {
				found = true
				break
			}
		}
		if !found {
			get(k.verb, k.res, "")
		}
	}
	slices.SortFunc(order, func(a, b key) int {
		if c := strings.Compare(a.res, b.res); c != 0 {
			return c
		}
		if c := verbRank(a.verb) - verbRank(b.verb); c != 0 {
			return c
		}
		return strings.Compare(a.scope, b.scope)
	})
	out := make([]RequestStats, 0, len(order))
	for _, k := range order {
		s := byKey[k]
		s.ClientSide = client[vr{k.verb, k.res}]
		if samples := server[k]; len(samples) > 0 {
			s.Latency = percentiles(samples)
			s.SLO = sloFor(s.Verb, s.Scope, s.Latency.P99)
		}
		if end > 0 {
			s.PerSecond = float64(s.Count) / end.Seconds()
		}
		out = append(out, *s)
	}
	return out
}

func verbRank(v string) int {
	for _, verb := range api.Verbs() {
		if verb.String() == v {
			return int(verb)
		}
	}
	return 99
}

func resourceStats(rec *sim.Recorder, end sim.Time) []ResourceStat {
	var out []ResourceStat
	for _, m := range rec.Resources() {
		if m.Name == "apiserver_flowcontrol_seats" {
			continue // in the API server section
		}
		s := m.Summary(end)
		out = append(out, ResourceStat{
			Name: m.Key(), Capacity: m.Capacity, Utilization: s.Utilization, PeakInUse: s.PeakInUse,
			MeanQueueLength: s.MeanQueueLength, PeakQueueLength: s.PeakQueueLength, QueueWait: percentiles(s.Wait.Samples()),
		})
	}
	return out
}

func etcdStats(c *cluster.Cluster) EtcdStats {
	rec, end := c.Rec, c.End()
	e := EtcdStats{
		Members:            len(c.Etcd.Members),
		Version:            c.Scenario.Spec.Cluster.Etcd.Version,
		Writes:             rec.Counter("etcd_writes_total").Value,
		WriteBytes:         rec.Counter("etcd_write_bytes_total").Value,
		Conflicts:          rec.Counter("etcd_txn_compare_failed_total").Value,
		CommitLatency:      percentiles(rec.Latency("etcd_server_commit_duration_seconds").Samples()),
		WALFsync:           percentiles(rec.Latency("etcd_disk_wal_fsync_duration_seconds").Samples()),
		BackendCommit:      percentiles(rec.Latency("etcd_disk_backend_commit_duration_seconds").Samples()),
		ProposalsCommitted: rec.Counter("etcd_server_proposals_committed_total").Value,
		ProposalsFailed:    rec.Counter("etcd_server_proposals_failed_total").Value,
		FailedRequests:     map[string]int64{},
		LeaderChanges:      rec.Counter("etcd_server_leader_changes_seen_total").Value,
		Alarms:             rec.Counter("etcd_server_alarms_raised_total").Value,
		AlarmActiveAtEnd:   rec.Gauge("etcd_server_alarm_nospace").Value() == 1,
		Compactions:        rec.Counter("apiserver_etcd_compactions_total").Value,
		QuotaBytes:         c.Scenario.Spec.Cluster.Etcd.QuotaBackendBytes,
	}
	var all []int64
	for _, l := range rec.Latencies() {
		if l.Name == "etcd_request_duration_seconds" {
			all = append(all, l.Samples()...)
		}
	}
	e.RequestLatency = percentiles(all)
	for _, ctr := range rec.Counters() {
		if ctr.Name == "etcd_requests_failed_total" {
			e.FailedRequests[ctr.Label("error")] += ctr.Value
		}
	}
	for _, w := range c.Etcd.LeaderlessWindows(end) {
		e.LeaderlessWindows = append(e.LeaderlessWindows, WindowReport{Start: w.Start.Seconds(), End: w.End.Seconds(), Seconds: w.End.Sub(w.Start).Seconds(), NewLeader: w.NewLeader})
	}
	for _, g := range rec.Gauges() {
		switch g.Name {
		case "etcd_mvcc_db_total_size_in_bytes":
			e.DBSizePeakBytes = max(e.DBSizePeakBytes, int64(g.Peak()))
			e.DBSizeBytes = max(e.DBSizeBytes, int64(g.Value()))
		case "etcd_mvcc_db_total_size_in_use_in_bytes":
			e.DBInUseBytes = max(e.DBInUseBytes, int64(g.Value()))
		}
	}
	return e
}

func convergence(c *cluster.Cluster) Convergence {
	out := Convergence{AllConverged: true}
	for _, f := range c.Tracker.Faults() {
		fr := FaultReport{Index: f.Index, Type: f.Type, At: f.At.Seconds()}
		for _, id := range f.Nodes {
			fr.Nodes = append(fr.Nodes, c.Nodes[id].Name)
		}
		fr.Members = f.Members
		if f.End >= 0 {
			fr.End = ptr(f.End.Seconds())
		}
		if f.DetectedAt >= 0 {
			fr.Detected = ptr(f.DetectedAt.Seconds())
			fr.DetectSeconds = ptr(f.DetectedAt.Sub(f.At).Seconds())
		}
		if f.ConvergedAt >= 0 {
			fr.Converged = ptr(f.ConvergedAt.Seconds())
			fr.ConvergeSeconds = ptr(f.ConvergedAt.Sub(f.End).Seconds())
		} else if f.End >= 0 {
			out.AllConverged = false
		}
		out.Faults = append(out.Faults, fr)
	}
	return out
}

func ptr(f float64) *float64 { return &f }
