package reports

import (
	"slices"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/sim"
)

// SLO is a sig-scalability API call latency SLO verdict for one row of
// the request table (kubernetes/community sig-scalability/slos/
// api_call_latency.md): p99 of apiserver_request_duration_seconds ≤ 1s for
// mutating calls and for read-only calls on one object (scope resource),
// ≤ 5s for read-only calls on a namespace, ≤ 30s on the cluster. Watches
// have no latency SLO. The SLO is on p99 per cluster-day; here, over the
// run.
type SLO struct {
	Name             string  `json:"name"`
	ThresholdSeconds float64 `json:"thresholdSeconds"`
	Met              bool    `json:"met"`
}

func sloFor(verb, scope string, p99 float64) *SLO {
	var s SLO
	switch {
	case verb == "watch":
		return nil
	case verb == "create" || verb == "update" || verb == "patch" || verb == "delete":
		s = SLO{Name: "mutating", ThresholdSeconds: 1}
	case scope == "resource":
		s = SLO{Name: "read-only resource", ThresholdSeconds: 1}
	case scope == "namespace":
		s = SLO{Name: "read-only namespace", ThresholdSeconds: 5}
	default:
		s = SLO{Name: "read-only " + scope, ThresholdSeconds: 30}
	}
	s.Met = p99 <= s.ThresholdSeconds
	return &s
}

// APIServerStats summarises the API server replicas.
type APIServerStats struct {
	Replicas            int  `json:"replicas"`
	PriorityAndFairness bool `json:"priorityAndFairness"`
	// Levels are APF's priority levels that saw any request.
	Levels []LevelStats `json:"levels,omitempty"`
	// CPU per replica: mean and peak (per gauge bucket) utilisation.
	CPU []CPUStats `json:"cpu"`
	// Stages: where requests' time went, per (verb, resource).
	Stages       []StageStats `json:"stages"`
	WatchEvents  int64        `json:"watchEventsSent"`
	PeakWatchers float64      `json:"peakWatchers"`
	Lists        int64        `json:"lists"`
	Restarts     int64        `json:"restarts"`
	Rejected     int64        `json:"rejected"`
	// PeakRequestRate is the highest request arrival rate over one gauge
	// bucket, summed over replicas bucket by bucket.
	PeakRequestRate float64  `json:"peakRequestsPerSecond"`
	SLOsViolated    []string `json:"slosViolated"`
	DominantStage   string   `json:"dominantStage"`
	// Watch is the watch cache's dispatch per watched resource, summed
	// over replicas, in resource order.
	Watch []WatchDispatch `json:"watchDispatch,omitempty"`
	// WatchersTerminated: watchers the dispatch loop closed for being
	// unresponsive (apiserver_terminated_watchers_total); WatchesTooOld:
	// watches answered 410 Gone; BookmarksSent: bookmark events handed to
	// watchers; Relists: lists by reflectors that had been synced before.
	WatchersTerminated int64 `json:"watchersTerminated"`
	WatchesTooOld      int64 `json:"watchesTooOld"`
	BookmarksSent      int64 `json:"bookmarksSent"`
	Relists            int64 `json:"relists"`
}

// WatchDispatch is what dispatching one resource's watch events cost: CPU
// time for encoding (once per event), each visited watcher's filter and
// each matching watcher's hand-off; the watchers the dispatch loop
// visited; the events handed to watchers (catch-up events included).
type WatchDispatch struct {
	Resource        string  `json:"resource"`
	CPUSeconds      float64 `json:"cpuSeconds"`
	WatchersVisited int64   `json:"watchersVisited"`
	EventsSent      int64   `json:"eventsSent"`
}

// LevelStats is one priority level, summed over the replicas.
type LevelStats struct {
	Name        string           `json:"name"`
	Seats       int              `json:"seats"`
	PeakSeats   float64          `json:"peakSeatsInUse"`
	Utilization float64          `json:"utilization"`
	PeakQueue   int              `json:"peakQueueLength"`
	Wait        Percentiles      `json:"queueWait"`
	Dispatched  int64            `json:"dispatched"`
	Rejected    map[string]int64 `json:"rejected"`
	// OverTime is the level's seats in use and queue length over the run.
	OverTime LevelSeries `json:"overTime"`
}

// LevelSeries is a priority level over time, summed over replicas: the
// highest seats in use and queue length in each of up to overTimeColumns
// equal stretches of the run.
type LevelSeries struct {
	StepSeconds float64   `json:"stepSeconds"`
	SeatsInUse  []float64 `json:"seatsInUse"`
	QueueLength []float64 `json:"queueLength"`
}

// overTimeColumns is how many stretches LevelSeries divides the run into:
// one text column each.
const overTimeColumns = 60

// addOverTime adds a gauge's maximum over each step buckets into dst, so
// that replicas sum column by column. (Replicas peak at different moments:
// the sum of their maxima bounds the level's own maximum from above.)
func addOverTime(dst *[]float64, g *sim.Gauge, end sim.Time, step int) {
	pts := g.Points(end)
	cols := (len(pts) + step - 1) / step
	for len(*dst) < cols {
		*dst = append(*dst, 0)
	}
	for c := 0; c < cols; c++ {
		m := 0.0
		for _, p := range pts[c*step : min((c+1)*step, len(pts))] {
			m = max(m, p.Max)
		}
		(*dst)[c] += m
	}
}

// CPUStats is one replica's CPU utilisation.
type CPUStats struct {
	Server string  `json:"server"`
	Mean   float64 `json:"mean"`
	Peak   float64 `json:"peak"`
}

// StageStats is the mean time per request in each stage.
type StageStats struct {
	Verb     string             `json:"verb"`
	Resource string             `json:"resource"`
	Requests int64              `json:"requests"`
	Mean     map[string]float64 `json:"meanSeconds"`
	Dominant string             `json:"dominant"`
}

func apiServerStats(c *cluster.Cluster, requests []RequestStats) APIServerStats {
	rec, end := c.Rec, c.End()
	spec := &c.Scenario.Spec.Cluster.APIServer
	a := APIServerStats{
		Replicas:            spec.Replicas,
		PriorityAndFairness: spec.PriorityAndFairness != nil && *spec.PriorityAndFairness,
		WatchEvents:         rec.Counter("apiserver_watch_events_sent_total").Value,
		PeakWatchers:        rec.Gauge("apiserver_registered_watchers").Peak(),
		Restarts:            rec.Counter("apiserver_restarts_total").Value,
	}
	// Levels, summed over replicas, in APF's configuration order.
	byLevel := map[string]*LevelStats{}
	var order []string
	buckets := int((int64(end) + int64(rec.Bucket()) - 1) / int64(rec.Bucket()))
	step := max(1, (buckets+overTimeColumns-1)/overTimeColumns)
	var waits = map[string][]int64{}
	for _, m := range rec.Resources() {
		if m.Name != "apiserver_flowcontrol_seats" {
			continue
		}
		name := m.Label("priority_level")
		l, ok := byLevel[name]
		if !ok {
			l = &LevelStats{Name: name, Rejected: map[string]int64{}}
			byLevel[name] = l
			order = append(order, name)
		}
		s := m.Summary(end)
		l.Seats += m.Capacity
		l.PeakSeats += s.PeakInUse
		l.Utilization += s.Utilization * float64(m.Capacity)
		l.PeakQueue += s.PeakQueueLength
		l.OverTime.StepSeconds = (time.Duration(step) * rec.Bucket()).Seconds()
		addOverTime(&l.OverTime.SeatsInUse, m.InUseGauge(), end, step)
		addOverTime(&l.OverTime.QueueLength, m.QueueGauge(), end, step)
		waits[name] = append(waits[name], s.Wait.Samples()...)
	}
	for _, ctr := range rec.Counters() {
		l := byLevel[ctr.Label("priority_level")]
		switch {
		case l == nil:
		case ctr.Name == "apiserver_flowcontrol_dispatched_requests_total":
			l.Dispatched += ctr.Value
		case ctr.Name == "apiserver_flowcontrol_rejected_requests_total":
			l.Rejected[ctr.Label("reason")] += ctr.Value
		}
		switch ctr.Name {
		case "reflector_lists_total":
			a.Lists += ctr.Value
		case "reflector_relists_total":
			a.Relists += ctr.Value
		}
	}
	a.Watch = watchDispatch(rec)
	a.WatchersTerminated = rec.Counter("apiserver_terminated_watchers_total").Value
	a.WatchesTooOld = rec.Counter("apiserver_watch_too_old_resource_version_total").Value
	a.BookmarksSent = rec.Counter("apiserver_watch_bookmarks_sent_total").Value
	slices.SortFunc(order, func(x, y string) int {
		if d := levelRank(x) - levelRank(y); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	for _, name := range order {
		l := byLevel[name]
		if l.Seats > 0 {
			l.Utilization /= float64(l.Seats)
		}
		l.Wait = percentiles(waits[name])
		if l.Dispatched == 0 && len(l.Rejected) == 0 {
			continue
		}
		a.Levels = append(a.Levels, *l)
	}
	for _, srv := range c.APIServers {
		g := rec.Gauge("apiserver_cpu_utilization", "server", srv.Name())
		pts := g.Points(end)
		var sum float64
		for _, p := range pts {
			sum += p.Last
		}
		cs := CPUStats{Server: srv.Name(), Peak: g.Peak()}
		if len(pts) > 0 {
			cs.Mean = sum / float64(len(pts))
		}
		a.CPU = append(a.CPU, cs)
	}
	var rate []float64
	for _, srv := range c.APIServers {
		for i, p := range rec.Gauge(apiserver.RequestRateGauge, "server", srv.Name()).Points(end) {
			for len(rate) <= i {
				rate = append(rate, 0)
			}
			rate[i] += p.Last
		}
	}
	for _, r := range rate {
		a.PeakRequestRate = max(a.PeakRequestRate, r)
	}
	a.Stages = stageStats(rec, requests)
	var total [apiserver.NumStages]float64
	for _, st := range a.Stages {
		for i := apiserver.Stage(0); i < apiserver.NumStages; i++ {
			total[i] += st.Mean[i.String()] * float64(st.Requests)
		}
	}
	a.DominantStage = dominant(total[:])
	for _, q := range requests {
		a.Rejected += q.Codes["429"]
		if q.SLO != nil && !q.SLO.Met {
			a.SLOsViolated = append(a.SLOsViolated, q.Verb+" "+q.Resource)
		}
	}
	return a
}

// watchDispatch reads the dispatch counters of every resource that had
// watchers.
func watchDispatch(rec *sim.Recorder) []WatchDispatch {
	var out []WatchDispatch
	for r := api.Resource(0); r < api.NumResources; r++ {
		name := r.String()
		cpu := rec.FindCounter("apiserver_watch_dispatch_cpu_nanoseconds_total", "resource", name)
		if cpu == nil {
			continue
		}
		d := WatchDispatch{Resource: name, CPUSeconds: float64(cpu.Value) / 1e9}
		if c := rec.FindCounter("apiserver_watch_dispatch_watchers_visited_total", "resource", name); c != nil {
			d.WatchersVisited = c.Value
		}
		if c := rec.FindCounter("apiserver_watch_events_total", "resource", name); c != nil {
			d.EventsSent = c.Value
		}
		out = append(out, d)
	}
	return out
}

func dominant(ns []float64) string {
	best := -1
	for i, v := range ns {
		if v > 0 && (best < 0 || v > ns[best]) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return apiserver.Stage(best).String()
}

func stageStats(rec *sim.Recorder, requests []RequestStats) []StageStats {
	type key struct{ verb, res string }
	sums := map[key]*[apiserver.NumStages]float64{}
	for _, ctr := range rec.Counters() {
		if ctr.Name != "apiserver_request_stage_nanoseconds_total" {
			continue
		}
		k := key{ctr.Label("verb"), ctr.Label("resource")}
		if sums[k] == nil {
			sums[k] = &[apiserver.NumStages]float64{}
		}
		for i := apiserver.Stage(0); i < apiserver.NumStages; i++ {
			if i.String() == ctr.Label("stage") {
				sums[k][i] += float64(ctr.Value)
			}
		}
	}
	// Stage times are per verb and resource: the scopes' rows add up.
	served := map[key]int64{}
	for _, q := range requests {
		served[key{q.Verb, q.Resource}] += q.Count - q.Codes["429"]
	}
	var out []StageStats
	for _, q := range requests { // the request table's order
		k := key{q.Verb, q.Resource}
		s, served := sums[k], served[k]
		if s == nil || served <= 0 {
			continue
		}
		delete(sums, k) // one row per verb and resource
		st := StageStats{Verb: q.Verb, Resource: q.Resource, Requests: served, Mean: map[string]float64{}, Dominant: dominant(s[:])}
		for i := apiserver.Stage(0); i < apiserver.NumStages; i++ {
			st.Mean[i.String()] = s[i] / 1e9 / float64(served)
		}
		out = append(out, st)
	}
	return out
}

// levelRank orders priority levels as the bootstrap configuration the
// cluster runs lists them (apf.DefaultLevels); unknown ones go last.
func levelRank(name string) int {
	if i := slices.IndexFunc(bootstrapLevels, func(l apf.LevelConfig) bool { return l.Name == name }); i >= 0 {
		return i
	}
	return len(bootstrapLevels)
}

var bootstrapLevels = apf.DefaultLevels()
