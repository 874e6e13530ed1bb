package reports

import (
	"fmt"
	"strings"
)

// pods prints the PODS, SCHEDULING, CONTROLLERS and BOTTLENECKS sections.
func (p *printer) pods(ps *PodStats) {
	a := &ps.AtEnd
	p.section("PODS — as stored at the end; startup latency = created → running and observed by the kubelet's watch " +
		"(kubelet_pod_start_sli_duration_seconds), image pulls left out; SLO p99 ≤ 5s (sig-scalability pod startup latency)")
	p.f("at the end: %d pods — %d Running, %d Pending (%d without a node), %d Succeeded, %d Failed; %d terminating\n",
		a.Existing, a.Running, a.Pending, a.Unscheduled, a.Succeeded, a.Failed, a.Terminating)
	p.f("created by %s · deleted by %s · evicted %d%s\n", counts(ps.Created), counts(ps.Deleted), ps.Evictions.Pods, evictionDetail(ps.Evictions))
	s := &ps.Startup
	tw := p.table()
	fmt.Fprintln(tw, "startup\tcount\tmean\tp50\tp90\tp99\tmax\tSLO p99\t")
	row := func(name string, q Percentiles, slo string) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, q.Count, dur(q.Mean), dur(q.P50), dur(q.P90), dur(q.P99), dur(q.Max), slo)
	}
	row("SLI (pulls left out)", s.SLI, sloText(s.SLO))
	row("with image pulls", s.WithPulls, "-")
	row("image pull", s.ImagePull, "-")
	tw.Flush()
	p.f("image pulls %d, image already on the node %d\n", s.ImagePulls, s.ImageCacheHits)
	if len(s.Phases) > 0 {
		p.f("where the startup time went (mean per pod; the rest is the SLI's mean minus the parts above it; the component with the most: %s):\n", s.Dominant)
		tw = p.table()
		fmt.Fprintln(tw, "part\tcomponent\tmean\tshare\t")
		for _, ph := range s.Phases {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f%%\t\n", ph.Name, ph.Component, dur(ph.MeanSeconds), 100*ph.Share)
		}
		tw.Flush()
	}
	if len(ps.Deployments) > 0 {
		p.f("deployments (complete: updated = total = available = replicas, the newest ReplicaSet rolled out, the old ones at 0):\n")
		tw = p.table()
		fmt.Fprintln(tw, "deployment\treplicas\tupdated\tready\tavailable\tcomplete\t")
		for _, d := range ps.Deployments {
			done := "NO"
			if d.CompleteAt != nil {
				done = "since T+" + secs(*d.CompleteAt)
			}
			fmt.Fprintf(tw, "%s/%s\t%d\t%d\t%d\t%d\t%s\t\n", d.Namespace, d.Name, d.Replicas, d.Updated, d.Ready, d.Available, done)
		}
		tw.Flush()
	}

	sc := &ps.Scheduling
	p.section("SCHEDULING — kube-scheduler; SLI = first entry into the active queue → bound (scheduler_pod_scheduling_sli_duration_seconds); " +
		"attempts by result (scheduler_scheduling_attempt_duration_seconds); throughput = pods bound per second, as etcd stores the bindings")
	p.f("scheduled %d · unschedulable attempts %d · errors %d · bind failures %d\n", sc.Scheduled, sc.Unschedulable, sc.Errors, sc.BindFailures)
	p.f("throughput: peak %.1f pods/s (busiest %s bucket), mean %.1f pods/s (from the first bucket with a binding to the last)\n",
		sc.ThroughputPeak, secs(sc.BucketSeconds), sc.ThroughputMean)
	var queues []string
	for _, q := range []string{"active", "backoff", "unschedulable"} {
		if v, ok := sc.PeakQueue[q]; ok {
			queues = append(queues, fmt.Sprintf("%s %.0f", q, v))
		}
	}
	if len(queues) > 0 {
		p.f("peak queue length: %s\n", strings.Join(queues, ", "))
	}
	tw = p.table()
	fmt.Fprintln(tw, "latency\tcount\tp50\tp90\tp99\tmax\t")
	lat := func(name string, q Percentiles) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", name, q.Count, dur(q.P50), dur(q.P90), dur(q.P99), dur(q.Max))
	}
	lat("SLI", sc.SLI)
	lat("created → bound", sc.E2E)
	for _, at := range sc.Attempts {
		lat("attempt, "+at.Result, at.Duration)
	}
	tw.Flush()
	if sc.UnscheduledTotal == 0 {
		p.f("pods without a node at the end: none\n")
	} else {
		p.f("pods without a node at the end: %d, by the scheduler's message:\n", sc.UnscheduledTotal)
		for i, g := range sc.Unscheduled {
			if i == 5 {
				p.f("  … and %d more messages\n", len(sc.Unscheduled)-5)
				break
			}
			more := ""
			if g.Count > len(g.Pods) {
				more = ", …"
			}
			p.f("  %d × %q (%s%s)\n", g.Count, g.Message, strings.Join(g.Pods, ", "), more)
		}
	}

	p.section("CONTROLLERS — kube-controller-manager; per controller its work queue (adds, peak depth, wait = added → taken by a worker " +
		"(workqueue_queue_duration_seconds), work = one sync (workqueue_work_duration_seconds)), syncs, errors, retries and writes")
	if len(ps.Controllers) > 0 {
		tw = p.table()
		fmt.Fprintln(tw, "controller\tadds\tsyncs\terrors\tretries\tpeak queue\twait p99\twork p99\twrites\t")
		for _, ct := range ps.Controllers {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", ct.Name, ct.Adds, ct.Reconciles, ct.Errors, ct.Retries,
				ct.PeakQueueDepth, dur(ct.QueueWait.P99), dur(ct.Work.P99), writes(ct.Writes))
		}
		tw.Flush()
	}
	var leaders []string
	for _, l := range ps.LeaderElection {
		leaders = append(leaders, fmt.Sprintf("%s acquired %d, lost %d, leader changes %d", l.Name, l.Acquired, l.Lost, l.Changes))
	}
	if len(leaders) > 0 {
		p.f("leader election: %s\n", strings.Join(leaders, " · "))
	}

	p.section("BOTTLENECKS — for each SLO that failed, the component its time went to. API calls: the API server stage with most of " +
		"the request's mean time (storage is etcd's). Pod startup: the component whose parts of startup (the table above) add up to most of its mean")
	if len(ps.Bottlenecks) == 0 {
		p.f("every SLO met\n")
	}
	for _, b := range ps.Bottlenecks {
		p.f("%s: p99 %s > %gs → %s (%s)\n", b.SLO, dur(b.Measured), b.Threshold, b.Component, b.Evidence)
	}
}

// podConvergence prints the time to converge after each perturbation.
func (p *printer) podConvergence(rows []PodConvergence) {
	p.f("pods — after the workload seeded at time 0, each action and each fault (from its end): when every Deployment was complete, " +
		"no pod Pending and every node Ready, and still so at the next perturbation (or the end):\n")
	tw := p.table()
	fmt.Fprintln(tw, "perturbation\tat\tconverged after\t")
	for _, r := range rows {
		after := "NOT converged"
		switch {
		case r.Seconds != nil:
			after = secs(*r.Seconds)
		case r.From == nil:
			after = "never ended"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", r.What, secs(r.At), after)
	}
	tw.Flush()
}

func counts(cs []NamedCount) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func evictionDetail(e EvictionStats) string {
	var parts []string
	for _, c := range e.Counters {
		if c.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func writes(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), m[k]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
