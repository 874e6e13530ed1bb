package reports

import (
	"fmt"
	"strings"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/sim"
)

// WorkloadStats reports spec.workload's shared ConfigMaps, writers and
// controllers. It is absent from a report whose scenario has none.
type WorkloadStats struct {
	ConfigMaps  []ConfigMapStats  `json:"configMaps"`
	Writers     []WriterStats     `json:"writers"`
	Controllers []ControllerStats `json:"controllers"`
	Watchers    []WatcherStats    `json:"watchers,omitempty"`
}

// WatcherStats is one watcher group, summed over its watchers.
type WatcherStats struct {
	Name     string `json:"name"`
	Count    int    `json:"count"`
	Resource string `json:"resource"`
	// Selector is the group's namespace and selectors as written.
	Selector string `json:"selector"`
	// EventsReceived are watch events its stores took (bookmarks not
	// counted); Lists every list, Relists those by a watcher that had been
	// synced before; TooOld watches answered 410 Gone.
	EventsReceived int64 `json:"eventsReceived"`
	Lists          int64 `json:"lists"`
	Relists        int64 `json:"relists"`
	TooOld         int64 `json:"tooOld"`
	// PeakLagSeconds is the worst lag of an event received: its receive
	// time minus when the API server's cache took the change.
	PeakLagSeconds float64 `json:"peakLagSeconds"`
}

// ConfigMapStats is one shared ConfigMap at the end of the run.
type ConfigMapStats struct {
	Name string `json:"name"`
	// Value is its counter as stored at the end; Increments is the sum of
	// the increments its writers reported applied. Optimistic concurrency
	// loses none: the two are equal unless an update whose outcome a writer
	// could not know (a timeout) was applied.
	Value      int64 `json:"value"`
	Increments int64 `json:"increments"`
}

// WriterStats is one read-modify-write writer.
type WriterStats struct {
	Name   string `json:"name"`
	Object string `json:"object"`
	// Increments applied; Conflicts are updates answered 409; Retries are
	// attempts after a conflict; GaveUp increments abandoned after the
	// backoff's last attempt; Errors other failures; Ambiguous updates with
	// an unknown outcome; TicksSkipped periods that found the last
	// increment still running.
	Increments   int64 `json:"increments"`
	Conflicts    int64 `json:"conflicts"`
	Retries      int64 `json:"retries"`
	GaveUp       int64 `json:"gaveUp"`
	Errors       int64 `json:"errors"`
	Ambiguous    int64 `json:"ambiguous"`
	TicksSkipped int64 `json:"ticksSkipped"`
	// IncrementDuration is one increment, first GET to final answer.
	IncrementDuration Percentiles `json:"incrementDuration"`
}

// ControllerStats is one controller.
type ControllerStats struct {
	Name    string   `json:"name"`
	Objects []string `json:"objects"`
	// Observed counts its event handler's calls for its objects;
	// Reconciles the reconciles, Succeeded and Failed; Retries the keys
	// requeued with backoff (workqueue_retries_total); Dropped the keys
	// given up after maxRetries.
	Observed   int64 `json:"observed"`
	Reconciles int64 `json:"reconciles"`
	Succeeded  int64 `json:"succeeded"`
	Failed     int64 `json:"failed"`
	Retries    int64 `json:"retries"`
	Dropped    int64 `json:"dropped"`
	// ReconcileTime is from taking a key to the end of its reconcile, the
	// status write included.
	ReconcileTime Percentiles `json:"reconcileTime"`
	// LastReconcileAt is when the last reconcile began, LastSuccessAt when
	// the last successful one ended, in seconds (absent: never).
	LastReconcileAt *float64 `json:"lastReconcileAt,omitempty"`
	LastSuccessAt   *float64 `json:"lastSuccessAt,omitempty"`
	// OutOfSync counts its objects whose status does not hold the
	// object's counter at the end.
	OutOfSync int `json:"outOfSync"`
	// PeakQueueDepth is the work queue's deepest (workqueue_depth);
	// QueueWait a key's time in the queue before a worker took it
	// (workqueue_queue_duration_seconds).
	PeakQueueDepth float64     `json:"peakQueueDepth"`
	QueueWait      Percentiles `json:"queueWait"`
	// Relists are its informer's lists after the first (a broken watch,
	// a 410).
	Relists int64 `json:"relists"`
}

func workloadStats(c *cluster.Cluster) *WorkloadStats {
	w := &c.Scenario.Spec.Workload
	if len(w.ConfigMaps) == 0 && len(w.Writers) == 0 && len(w.Controllers) == 0 && len(w.Watchers) == 0 {
		return nil
	}
	rec := c.Rec
	out := &WorkloadStats{ConfigMaps: []ConfigMapStats{}, Writers: []WriterStats{}, Controllers: []ControllerStats{}}
	stored := func(id int32) (int64, bool) {
		o, ok := c.Etcd.Get(api.ConfigMaps, id)
		return int64(o.Size), ok
	}
	for i, name := range w.ConfigMaps {
		v, _ := stored(c.ConfigMapIDs[i])
		out.ConfigMaps = append(out.ConfigMaps, ConfigMapStats{Name: name, Value: v})
	}
	for i, spec := range w.Writers {
		wr := c.Writers[i]
		l := []string{"writer", spec.Name}
		s := WriterStats{
			Name: spec.Name, Object: spec.Object,
			Increments: wr.Increments(), Conflicts: wr.Conflicts(), Retries: wr.Retries(), GaveUp: wr.GaveUp(),
			Errors: rec.Counter("writer_errors_total", l...).Value, Ambiguous: wr.Ambiguous(),
			TicksSkipped:      rec.Counter("writer_ticks_skipped_total", l...).Value,
			IncrementDuration: percentiles(rec.Latency("writer_increment_duration_seconds", l...).Samples()),
		}
		for j, name := range w.ConfigMaps {
			if name == spec.Object {
				out.ConfigMaps[j].Increments += s.Increments
			}
		}
		out.Writers = append(out.Writers, s)
	}
	for i, spec := range w.Controllers {
		ctl := c.Controllers[i]
		ok, failed := ctl.Reconciles()
		s := ControllerStats{
			Name: spec.Name, Objects: spec.Objects,
			Observed: ctl.Observed(), Reconciles: ok + failed, Succeeded: ok, Failed: failed,
			Retries:         rec.Counter("workqueue_retries_total", "name", spec.Name).Value,
			Dropped:         rec.Counter("controller_keys_dropped_total", "controller", spec.Name).Value,
			ReconcileTime:   percentiles(rec.Latency("controller_runtime_reconcile_time_seconds", "controller", spec.Name).Samples()),
			LastReconcileAt: timeOrNil(ctl.LastStart()),
			LastSuccessAt:   timeOrNil(ctl.LastSuccess()),
			PeakQueueDepth:  rec.Gauge("workqueue_depth", "name", spec.Name).Peak(),
			QueueWait:       percentiles(rec.Latency("workqueue_queue_duration_seconds", "name", spec.Name).Samples()),
			Relists:         rec.Counter("reflector_relists_total", "controller", spec.Name).Value,
		}
		for _, name := range spec.Objects {
			for j, n := range w.ConfigMaps {
				if n != name {
					continue
				}
				id := c.ConfigMapIDs[j]
				src, _ := stored(id)
				status, exists := stored(id + c.StatusOffsets[i])
				if !exists || status != src {
					s.OutOfSync++
				}
			}
		}
		out.Controllers = append(out.Controllers, s)
	}
	for _, g := range w.Watchers {
		l := []string{"group", g.Name}
		var sel []string
		for _, x := range []struct{ k, v string }{{"namespace", g.Namespace}, {"fields", g.FieldSelector}, {"labels", g.LabelSelector}} {
			if x.v != "" {
				sel = append(sel, x.k+" "+x.v)
			}
		}
		if len(sel) == 0 {
			sel = append(sel, "all")
		}
		out.Watchers = append(out.Watchers, WatcherStats{
			Name: g.Name, Count: g.Count, Resource: g.Resource, Selector: strings.Join(sel, ", "),
			EventsReceived: rec.Counter("watcher_events_received_total", l...).Value,
			Lists:          rec.Counter("reflector_lists_total", l...).Value,
			Relists:        rec.Counter("reflector_relists_total", l...).Value,
			TooOld:         rec.Counter("watcher_too_old_total", l...).Value,
			PeakLagSeconds: rec.Gauge("watcher_lag_seconds", l...).Peak(),
		})
	}
	return out
}

func timeOrNil(t sim.Time) *float64 {
	if t < 0 {
		return nil
	}
	return ptr(t.Seconds())
}

// workloadMetrics adds the writers', controllers' and shared ConfigMaps'
// figures to the flat metrics.
func workloadMetrics(put func(string, float64), w *WorkloadStats) {
	if w == nil {
		return
	}
	for _, cm := range w.ConfigMaps {
		p := "configmap." + cm.Name
		put(p+".value", float64(cm.Value))
		put(p+".increments", float64(cm.Increments))
		put(p+".lostIncrements", float64(cm.Increments-cm.Value))
	}
	for _, wr := range w.Writers {
		p := "writer." + wr.Name
		put(p+".increments", float64(wr.Increments))
		put(p+".conflicts", float64(wr.Conflicts))
		put(p+".retries", float64(wr.Retries))
		put(p+".gaveUp", float64(wr.GaveUp))
		put(p+".errors", float64(wr.Errors))
		put(p+".ambiguous", float64(wr.Ambiguous))
		put(p+".ticksSkipped", float64(wr.TicksSkipped))
		putPercentiles(put, p+".incrementDuration", wr.IncrementDuration)
	}
	for _, ct := range w.Controllers {
		p := "controller." + ct.Name
		put(p+".observed", float64(ct.Observed))
		put(p+".reconciles", float64(ct.Reconciles))
		put(p+".succeeded", float64(ct.Succeeded))
		put(p+".failed", float64(ct.Failed))
		put(p+".retries", float64(ct.Retries))
		put(p+".dropped", float64(ct.Dropped))
		put(p+".outOfSync", float64(ct.OutOfSync))
		put(p+".peakQueueDepth", ct.PeakQueueDepth)
		put(p+".relists", float64(ct.Relists))
		putPercentiles(put, p+".reconcileTime", ct.ReconcileTime)
		putPercentiles(put, p+".queueWait", ct.QueueWait)
		if ct.LastReconcileAt != nil {
			put(p+".lastReconcileAt", *ct.LastReconcileAt)
		}
		if ct.LastSuccessAt != nil {
			put(p+".lastSuccessAt", *ct.LastSuccessAt)
		}
	}
	for _, g := range w.Watchers {
		p := "watchers." + g.Name
		put(p+".eventsReceived", float64(g.EventsReceived))
		put(p+".lists", float64(g.Lists))
		put(p+".relists", float64(g.Relists))
		put(p+".tooOld", float64(g.TooOld))
		put(p+".peakLagSeconds", g.PeakLagSeconds)
	}
}

func (p *printer) workload(w *WorkloadStats) {
	p.section("WORKLOAD — shared ConfigMaps, read-modify-write writers (RetryOnConflict), controllers (informer → work queue → workers), watchers")
	if len(w.ConfigMaps) > 0 {
		tw := p.table()
		fmt.Fprintln(tw, "configmap\tcounter at end\tincrements by writers\t")
		for _, cm := range w.ConfigMaps {
			fmt.Fprintf(tw, "%s\t%d\t%d\t\n", cm.Name, cm.Value, cm.Increments)
		}
		tw.Flush()
	}
	if len(w.Writers) > 0 {
		tw := p.table()
		fmt.Fprintln(tw, "writer\tobject\tincrements\tconflicts (409)\tretries\tgave up\terrors\tincrement p50\tp99\t")
		for _, wr := range w.Writers {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", wr.Name, wr.Object, wr.Increments, wr.Conflicts, wr.Retries,
				wr.GaveUp, wr.Errors+wr.Ambiguous, dur(wr.IncrementDuration.P50), dur(wr.IncrementDuration.P99))
		}
		tw.Flush()
	}
	if len(w.Controllers) > 0 {
		tw := p.table()
		fmt.Fprintln(tw, "controller\tobjects\tevents seen\treconciles\tfailed\tretries\tdropped\treconcile p99\tpeak queue\tqueue wait p99\trelists\tlast reconcile\tout of sync at end\t")
		for _, ct := range w.Controllers {
			last := "-"
			if ct.LastReconcileAt != nil {
				last = "T+" + secs(*ct.LastReconcileAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%.0f\t%s\t%d\t%s\t%d\t\n", ct.Name, strings.Join(ct.Objects, ","), ct.Observed, ct.Reconciles,
				ct.Failed, ct.Retries, ct.Dropped, dur(ct.ReconcileTime.P99), ct.PeakQueueDepth, dur(ct.QueueWait.P99), ct.Relists, last, ct.OutOfSync)
		}
		tw.Flush()
	}
	if len(w.Watchers) > 0 {
		tw := p.table()
		fmt.Fprintln(tw, "watchers\tcount\tresource\tselector\tevents received\tlists\trelists\t410s\tpeak lag\t")
		for _, g := range w.Watchers {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t\n", g.Name, g.Count, g.Resource, g.Selector, g.EventsReceived,
				g.Lists, g.Relists, g.TooOld, dur(g.PeakLagSeconds))
		}
		tw.Flush()
	}
}
