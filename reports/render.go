package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// JSON writes the report as indented JSON. Map keys are sorted by
// encoding/json, so the output is deterministic.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Text writes the terminal summary.
func (r *Report) Text(w io.Writer) error {
	p := &printer{w: w}
	s := r.Scenario
	name := s.Name
	if s.Variant != "" {
		name += " [variant " + s.Variant + "]"
	}
	p.f("orrery · %s (%s) · seed %d · %s of virtual time · Kubernetes %s\n", name, s.File, s.Seed, s.Duration, s.KubernetesVersion)
	if s.Description != "" {
		p.f("%s\n", s.Description)
	}
	p.f("%d nodes (%d Ready at the end) · %d events\n", r.Summary.Nodes, r.Summary.NodesReadyAtEnd, r.Summary.Events)

	p.section("REQUESTS — latency as the API server measures it (apiserver_request_duration_seconds); client = as the caller saw it")
	tw := p.table()
	fmt.Fprintln(tw, "verb\tresource\tscope\tcount\terrors\treq/s\tp50\tp90\tp99\tmax\tclient p99\tSLO p99\t")
	for _, q := range r.Requests {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", q.Verb, q.Resource, q.Scope, q.Count, q.Errors, q.PerSecond,
			dur(q.Latency.P50), dur(q.Latency.P90), dur(q.Latency.P99), dur(q.Latency.Max), dur(q.ClientSide.P99), sloText(q.SLO))
	}
	tw.Flush()

	p.apiServer(&r.APIServer)

	if len(r.Resources) > 0 {
		p.resources(r.Resources)
	}

	p.etcd(&r.Etcd)

	if r.Workload != nil {
		p.workload(r.Workload)
	}

	if r.Pods != nil {
		p.pods(r.Pods)
	}

	p.section("CONVERGENCE — detected: first affected node stored NotReady; converged: every node Ready again after the fault ended")
	if len(r.Convergence.Faults) == 0 {
		p.f("no faults\n")
	}
	for _, f := range r.Convergence.Faults {
		on := strings.Join(append(shortList(f.Nodes), f.Members...), ", ")
		switch {
		case on != "":
		case strings.HasPrefix(f.Type, "etcd"):
			on = "the etcd cluster"
		default:
			on = "the control plane"
		}
		p.f("fault %d  %s on %s at %s: %s; %s\n", f.Index, f.Type, on, secs(f.At), detection(f), recovery(f))
	}
	verdict := "yes"
	if !r.Convergence.AllConverged {
		verdict = "NO"
	}
	p.f("all faults converged: %s\n", verdict)
	if len(r.Convergence.Pods) > 0 {
		p.podConvergence(r.Convergence.Pods)
	}

	p.settling(r.Settling, r.Pods != nil)

	p.section("TIMELINE")
	for _, e := range r.Timeline.Entries {
		p.f("%s  %-26s %s\n", e.At, e.Component, e.Event)
	}
	if r.Timeline.Dropped > 0 {
		p.f("(%d more entries not kept)\n", r.Timeline.Dropped)
	}

	if len(r.Expectations) > 0 {
		p.section("EXPECTATIONS")
		for _, e := range r.Expectations {
			p.expectation(e)
		}
		p.f("%d of %d expectations met\n", len(r.Expectations)-r.Failed(), len(r.Expectations))
	}
	if r.Run != nil {
		p.section("RUN — wall-clock figures, not part of the deterministic report")
		p.f("wall %.3fs · %.0f events/s · %.0f× real time · peak memory %s\n", r.Run.WallSeconds, r.Run.EventsPerSecond,
			r.Run.SimSecondsPerWallSec, byteSize(int64(r.Run.PeakMemoryBytes)))
	}
	return p.err
}

func (p *printer) resources(rs []ResourceStat) {
	p.section("RESOURCES — utilization = busy unit-time / (capacity × duration); wait = time queued for a unit")
	tw := p.table()
	fmt.Fprintln(tw, "resource\tcapacity\tutilization\tpeak in use\tmean queue\tpeak queue\twait p99\twait max\t")
	for _, res := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.0f\t%.3f\t%d\t%s\t%s\t\n", res.Name, res.Capacity, 100*res.Utilization, res.PeakInUse,
			res.MeanQueueLength, res.PeakQueueLength, dur(res.QueueWait.P99), dur(res.QueueWait.Max))
	}
	tw.Flush()

}

// shortList is the first five names and a count of the rest.
func shortList(names []string) []string {
	const shown = 5
	if len(names) <= shown {
		return append([]string(nil), names...)
	}
	return append(append([]string(nil), names[:shown]...), fmt.Sprintf("and %d more", len(names)-shown))
}

func sloText(s *SLO) string {
	if s == nil {
		return "-"
	}
	mark := "ok"
	if !s.Met {
		mark = "VIOLATED"
	}
	return fmt.Sprintf("≤ %gs %s", s.ThresholdSeconds, mark)
}

func (p *printer) apiServer(a *APIServerStats) {
	mode := "max-inflight filter (APF off)"
	if a.PriorityAndFairness {
		mode = "API Priority and Fairness"
	}
	p.section(fmt.Sprintf("API SERVER — %d replica(s), %s", a.Replicas, mode))
	p.f("peak %.0f requests/s · 429s %d · watch events sent %d · peak watchers %.0f · lists by informers %d · restarts %d\n",
		a.PeakRequestRate, a.Rejected, a.WatchEvents, a.PeakWatchers, a.Lists, a.Restarts)
	for _, c := range a.CPU {
		p.f("CPU %s: mean %.2f%%, peak %.2f%% (busiest gauge bucket)\n", c.Server, 100*c.Mean, 100*c.Peak)
	}
	if len(a.Watch) > 0 {
		p.f("watches: terminated as unresponsive %d · 410 too old %d · bookmarks sent %d · relists %d\n",
			a.WatchersTerminated, a.WatchesTooOld, a.BookmarksSent, a.Relists)
		p.f("watch dispatch (CPU = one encoding per event + a filter per visited watcher + a hand-off per event sent):\n")
		tw := p.table()
		fmt.Fprintln(tw, "resource\tdispatch CPU\twatchers visited\tevents sent\t")
		for _, d := range a.Watch {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t\n", d.Resource, dur(d.CPUSeconds), d.WatchersVisited, d.EventsSent)
		}
		tw.Flush()
	}
	if len(a.SLOsViolated) > 0 {
		p.f("SLOs violated: %s\n", strings.Join(a.SLOsViolated, ", "))
	}
	if len(a.Levels) > 0 {
		p.f("priority levels (seats summed over replicas; wait = time in an APF queue):\n")
		tw := p.table()
		fmt.Fprintln(tw, "level\tseats\tpeak in use\tutilization\tpeak queue\twait p99\tdispatched\trejected\t")
		for _, l := range a.Levels {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f%%\t%d\t%s\t%d\t%s\t\n", l.Name, l.Seats, l.PeakSeats, 100*l.Utilization, l.PeakQueue,
				dur(l.Wait.P99), l.Dispatched, rejections(l.Rejected))
		}
		tw.Flush()
		if step := a.Levels[0].OverTime.StepSeconds; step > 0 {
			p.f("over time (one column per %s, its highest value; seats: a full block is all the level's seats):\n", secs(step))
			tw = p.table()
			for _, l := range a.Levels {
				peakQ := 0.0
				for _, q := range l.OverTime.QueueLength {
					peakQ = max(peakQ, q)
				}
				fmt.Fprintf(tw, "%s\tseats\t%s\t\n", l.Name, sparkline(l.OverTime.SeatsInUse, float64(l.Seats)))
				if peakQ > 0 {
					fmt.Fprintf(tw, "\tqueue\t%s\tpeak %.0f\t\n", sparkline(l.OverTime.QueueLength, peakQ), peakQ)
				}
			}
			tw.Flush()
		}
	}
	if len(a.Stages) > 0 {
		p.f("where the time went (mean per served request; dominant stage overall: %s):\n", a.DominantStage)
		tw := p.table()
		fmt.Fprintln(tw, "verb\tresource\tqueue\tcpu wait\tauthn\tauthz\tdecode\tadmission\tstorage\tencode\tdominant\t")
		for _, st := range a.Stages {
			m := st.Mean
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", st.Verb, st.Resource,
				dur(m["queue"]), dur(m["cpuWait"]), dur(m["authentication"]), dur(m["authorization"]), dur(m["decode"]),
				dur(m["admission"]), dur(m["storage"]), dur(m["encode"]), st.Dominant)
		}
		tw.Flush()
	}
}

// expectation prints one checked expectation on a line: a metric's value,
// or for a check across variants the ratio and the two values behind it.
func (p *printer) expectation(e ExpectResult) {
	mark := "ok  "
	if !e.Pass {
		mark = "FAIL"
	}
	val := "no value"
	switch {
	case e.Value != nil && e.RelativeTo != "":
		val = fmt.Sprintf("%s (%s / %s)", num(*e.Value), num(*e.VariantValue), num(*e.RelativeValue))
	case e.Value != nil:
		val = num(*e.Value)
	}
	name := e.Metric
	if e.RelativeTo != "" {
		name = fmt.Sprintf("%s: %s ÷ %s", e.Metric, e.Variant, e.RelativeTo)
	}
	p.f("%s %s = %s, want %s", mark, name, val, bounds(e.Min, e.Max))
	if e.Note != "" {
		p.f(" (%s)", e.Note)
	}
	p.f("\n")
}

// sparkline draws values as block characters, a full block at full (a
// space for exactly zero, so idle stretches stand out).
func sparkline(values []float64, full float64) string {
	const blocks = "▁▂▃▄▅▆▇█"
	levels := []rune(blocks)
	var b strings.Builder
	for _, v := range values {
		switch {
		case v <= 0 || full <= 0:
			b.WriteRune(' ')
		default:
			i := int(v / full * float64(len(levels)))
			b.WriteRune(levels[min(max(i, 0), len(levels)-1)])
		}
	}
	return b.String()
}

func rejections(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func (p *printer) etcd(e *EtcdStats) {
	p.section(fmt.Sprintf("ETCD — %d members, etcd %s; commit = proposal → applied on the leader", e.Members, e.Version))
	p.f("writes %d (%s), compare failures %d, proposals committed %d, failed %d\n",
		e.Writes, byteSize(e.WriteBytes), e.Conflicts, e.ProposalsCommitted, e.ProposalsFailed)
	tw := p.table()
	fmt.Fprintln(tw, "latency\tcount\tp50\tp90\tp99\tmax\t")
	for _, row := range []struct {
		name string
		p    Percentiles
	}{{"commit", e.CommitLatency}, {"request (API server's client)", e.RequestLatency}, {"WAL fsync", e.WALFsync}, {"backend commit", e.BackendCommit}} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", row.name, row.p.Count, dur(row.p.P50), dur(row.p.P90), dur(row.p.P99), dur(row.p.Max))
	}
	tw.Flush()
	p.f("leader changes %d; leaderless windows %d", e.LeaderChanges, len(e.LeaderlessWindows))
	for i, w := range e.LeaderlessWindows {
		if i == 10 {
			p.f(" …")
			break
		}
		p.f("%s %s at %s", map[bool]string{true: ":", false: ","}[i == 0], secs(w.Seconds), secs(w.Start))
	}
	p.f("\n")
	p.f("database %s (peak %s, in use %s, quota %s); compactions %d; NOSPACE alarms %d", byteSize(e.DBSizeBytes), byteSize(e.DBSizePeakBytes),
		byteSize(e.DBInUseBytes), byteSize(e.QuotaBytes), e.Compactions, e.Alarms)
	if e.AlarmActiveAtEnd {
		p.f(" (still active at the end)")
	}
	p.f("\n")
	if len(e.FailedRequests) > 0 {
		keys := make([]string, 0, len(e.FailedRequests))
		for k := range e.FailedRequests {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p.f("failed: %d × %q\n", e.FailedRequests[k], k)
		}
	}
}

type printer struct {
	w   io.Writer
	err error
}

// settling prints the windows between faults and the herd in each.
func (p *printer) settling(ws []SettleWindow, pods bool) {
	noPending := ""
	if pods {
		noPending = ", no pod Pending"
	}
	p.section("SETTLING — each window from a fault to the next (the first from the start of the run): requests, the busiest second, 429s, and when it settled " +
		"(no reflector without its watch, no controller work queued or running, every node Ready, no 429" + noPending + " — to the end of the window)")
	tw := p.table()
	fmt.Fprintln(tw, "window\tfrom\tto\trequests\tpeak req/s\t429s\tsettled after\t")
	for _, w := range ws {
		settled := "NOT settled: " + strings.Join(w.Pending, ", ")
		switch {
		case w.SettleSeconds != nil:
			settled = secs(*w.SettleSeconds)
		case len(w.Pending) == 0:
			settled = "(shorter than a bucket)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%d\t%s\t\n", w.Name, secs(w.From), secs(w.To), w.Requests, w.PeakRequestsPerSecond, w.Rejected, settled)
	}
	tw.Flush()
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) section(title string) { p.f("\n%s\n", title) }

func (p *printer) table() *tabwriter.Writer {
	return tabwriter.NewWriter(p.w, 0, 0, 2, ' ', tabwriter.AlignRight)
}

func detection(f FaultReport) string {
	if f.DetectSeconds == nil {
		return "not detected"
	}
	return fmt.Sprintf("detected after %s", secs(*f.DetectSeconds))
}

func recovery(f FaultReport) string {
	switch {
	case f.End == nil:
		return "never ended"
	case f.ConvergeSeconds == nil:
		return fmt.Sprintf("ended at %s, NOT converged", secs(*f.End))
	}
	return fmt.Sprintf("ended at %s, converged %s later", secs(*f.End), secs(*f.ConvergeSeconds))
}

func bounds(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("[%s, %s]", num(*lo), num(*hi))
	case lo != nil:
		return "≥ " + num(*lo)
	case hi != nil:
		return "≤ " + num(*hi)
	}
	return "anything"
}

func num(v float64) string { return fmt.Sprintf("%.6g", v) }

func dur(s float64) string {
	if s == 0 {
		return "-"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
