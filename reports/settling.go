package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/sim"
)

// SettleWindow is one stretch of the run and the herd in it: from the start
// of the run to the first fault ("start"), or from a fault to the next
// fault that starts later (faults at the same time share a window), or to
// the end. Times are seconds of virtual time, to the gauge bucket.
type SettleWindow struct {
	Name string `json:"name"`
	// Faults are the indexes of the faults that open the window, in index
	// order; none for the start window.
	Faults []int   `json:"faults,omitempty"`
	From   float64 `json:"from"`
	To     float64 `json:"to"`
	// Requests arrived at the API server replicas in the window; the peak is
	// the busiest gauge bucket's rate, summed over replicas.
	Requests              int64   `json:"requests"`
	PeakRequestsPerSecond float64 `json:"peakRequestsPerSecond"`
	// Rejected is the 429 answers sent in the window.
	Rejected int64 `json:"rejected"`
	// SettledAt is the end of the window's last unsettled bucket (see
	// settleSignals), SettleSeconds that minus From; both absent when the
	// window's last bucket is still unsettled. Pending names what was
	// unsettled in that bucket.
	SettledAt     *float64 `json:"settledAt,omitempty"`
	SettleSeconds *float64 `json:"settleSeconds,omitempty"`
	Pending       []string `json:"pending,omitempty"`
}

// settleSignals are what keeps a gauge bucket unsettled: a running
// reflector without a watch (a client listing or backing off to relist), a
// controller with work queued or a reconcile running, a node stored not
// Ready, a 429 answered, or, in a run with pods, a pod stored Pending. A
// window has settled from the end of its last bucket with any of them. A
// scenario whose controllers are never idle (steady churn on their
// objects) therefore never settles by this measure.
var settleSignals = []string{"watches", "controllers", "nodes", "429s", "pods"}

// settling cuts the run into windows at the faults and measures each.
func settling(c *cluster.Cluster) []SettleWindow {
	rec, end := c.Rec, c.End()
	bucket := rec.Bucket()
	n := int((int64(end) + int64(bucket) - 1) / int64(bucket))
	rate := make([]float64, n)
	rejected := make([]float64, n)
	unsettled := make([][]bool, len(settleSignals))
	for i := range unsettled {
		unsettled[i] = make([]bool, n)
	}
	mark := func(signal int, pts []sim.GaugePoint) {
		for i, p := range pts {
			if p.Max > 0 {
				unsettled[signal][i] = true
			}
		}
	}
	for _, g := range rec.Gauges() {
		pts := g.Points(end)
		switch g.Name {
		case apiserver.RequestRateGauge:
			for i, p := range pts {
				rate[i] += p.Last
			}
		case apiserver.RejectionRateGauge:
			for i, p := range pts {
				rejected[i] += p.Last * bucket.Seconds()
			}
		case client.UnwatchedGauge:
			mark(0, pts)
		case "workqueue_depth", "controller_runtime_active_workers":
			mark(1, pts)
		case cluster.NotReadyGauge:
			mark(2, pts)
		case cluster.PendingPodsGauge:
			mark(4, pts)
		}
	}
	for i, r := range rejected {
		unsettled[3][i] = r > 0
	}

	type cut struct {
		at     sim.Time
		faults []int
	}
	cuts := []cut{{at: 0}}
	faults := c.Scenario.Spec.Faults
	order := make([]int, len(faults))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(faults[a].At, faults[b].At) })
	for _, i := range order {
		at := min(sim.Time(faults[i].At), end)
		last := &cuts[len(cuts)-1]
		if at > last.at {
			cuts = append(cuts, cut{at, []int{i}})
			continue
		}
		last.faults = append(last.faults, i) // a fault at 0 opens the first window
		slices.Sort(last.faults)
	}
	var out []SettleWindow
	for k, ct := range cuts {
		to, hi := end, n
		if k+1 < len(cuts) {
			to = cuts[k+1].at
			hi = int(int64(to) / int64(bucket))
		}
		name := "start"
		for j, i := range ct.faults {
			if j == 0 {
				name = ""
			} else {
				name += ", "
			}
			name += fmt.Sprintf("fault %d (%s)", i, faults[i].Type)
		}
		w := measureWindow(name, ct.at, to, bucket, hi, rate, rejected, unsettled)
		w.Faults = ct.faults
		out = append(out, w)
	}
	return out
}

// measureWindow measures the window [from, to), whose buckets are those
// that end after from and by to: from floor(from/bucket) to hi
// (exclusive). A bucket that straddles a fault belongs to the fault's window.
func measureWindow(name string, from, to sim.Time, bucket time.Duration, hi int, rate, rejected []float64, unsettled [][]bool) SettleWindow {
	w := SettleWindow{Name: name, From: from.Seconds(), To: to.Seconds()}
	lo := int(int64(from) / int64(bucket))
	if hi <= lo {
		return w // shorter than a bucket: nothing to measure
	}
	last := -1
	for i := lo; i < hi; i++ {
		w.PeakRequestsPerSecond = max(w.PeakRequestsPerSecond, rate[i])
		w.Requests += int64(math.Round(rate[i] * bucket.Seconds()))
		w.Rejected += int64(math.Round(rejected[i]))
		for s := range unsettled {
			if unsettled[s][i] {
				last = i
			}
		}
	}
	if last == hi-1 {
		for s, name := range settleSignals {
			if unsettled[s][last] {
				w.Pending = append(w.Pending, name)
			}
		}
		return w
	}
	at := from
	if last >= 0 {
		at = max(from, sim.Time(int64(last+1)*int64(bucket)))
	}
	w.SettledAt = ptr(at.Seconds())
	w.SettleSeconds = ptr(at.Sub(from).Seconds())
	return w
}
