package reports

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/orrery-sim/orrery/scenarios"
)

func parseScenario(t *testing.T, doc string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("settle.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// The run is cut into windows at the faults: the start window, then one
// per fault start, faults at the same time (and given in any order)
// sharing one. The windows' buckets cover the run once: their requests add
// up to all the API server's.
func TestSettlingWindows(t *testing.T) {
	r := runReport(t, parseScenario(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: settle}
spec:
  seed: 3
  duration: 2m
  cluster:
    nodePools: [{name: node, count: 20}]
  faults:
    - {at: 80s, type: restartKubelet, nodes: {pool: node, count: 5}}
    - {at: 30s, type: restartAPIServer, duration: 5s}
    - {at: 80s, type: restartKubelet, nodes: {pool: node}}
`))
	w := r.Settling
	if len(w) != 3 {
		t.Fatalf("%d windows: %+v", len(w), w)
	}
	if w[0].Name != "start" || w[0].From != 0 || w[0].To != 30 || len(w[0].Faults) != 0 ||
		w[1].From != 30 || w[1].To != 80 || !slices.Equal(w[1].Faults, []int{1}) ||
		w[2].From != 80 || w[2].To != 120 || !slices.Equal(w[2].Faults, []int{0, 2}) ||
		w[2].Name != "fault 0 (restartKubelet), fault 2 (restartKubelet)" {
		t.Fatalf("windows %+v", w)
	}
	// Nothing happens before the first fault: settled from the start.
	if w[0].SettleSeconds == nil || *w[0].SettleSeconds != 0 {
		t.Fatalf("start window settled after %v", w[0].SettleSeconds)
	}
	// The API server is down 5s; its clients relist after it is back,
	// within their backoff (at most 6.4s·2 after the 5s).
	if s := w[1].SettleSeconds; s == nil || *s < 5 || *s > 20 {
		t.Fatalf("API server restart settled after %v, want within (5s, 20s]", s)
	}
	// A kubelet restart settles within seconds.
	if s := w[2].SettleSeconds; s == nil || *s <= 0 || *s > 5 {
		t.Fatalf("kubelet restarts settled after %v", s)
	}
	var total float64
	for _, ws := range w {
		total += float64(ws.Requests)
		if ws.PeakRequestsPerSecond <= 0 {
			t.Errorf("window %s: peak %v", ws.Name, ws.PeakRequestsPerSecond)
		}
	}
	var all float64
	for _, s := range r.Series {
		if strings.HasPrefix(s.Name, "apiserver_requests_per_second{") {
			for _, p := range s.Points {
				all += p[0] * s.BucketSeconds
			}
		}
	}
	if math.Abs(total-all) > 0.5 || total < 300 {
		t.Fatalf("windows hold %v requests, the API server saw %v arrive", total, all)
	}
	// Both faults of the shared window carry its figures.
	for _, m := range []string{"peakRequestsPerSecond", "requests", "rejected", "settled", "settleSeconds"} {
		a, okA := r.Metrics["fault.0."+m]
		b, okB := r.Metrics["fault.2."+m]
		if !okA || !okB || a != b {
			t.Errorf("fault.0.%s = %v (%v), fault.2.%s = %v (%v)", m, a, okA, m, b, okB)
		}
	}
	if r.Metrics["start.settleSeconds"] != 0 || r.Metrics["fault.1.settled"] != 1 {
		t.Errorf("start.settleSeconds %v, fault.1.settled %v", r.Metrics["start.settleSeconds"], r.Metrics["fault.1.settled"])
	}
	var buf bytes.Buffer
	if err := r.Text(&buf); err != nil || !strings.Contains(buf.String(), "\nSETTLING — ") {
		t.Fatalf("text report without a SETTLING section (%v)", err)
	}
}

// A window whose last bucket is still unsettled has no settle time and
// names what was pending; 429s are counted in the window they were sent.
func TestSettlingNotSettledAndRejections(t *testing.T) {
	r := runReport(t, parseScenario(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: settle}
spec:
  seed: 1
  duration: 2m
  cluster:
    nodePools: [{name: node, count: 300}]
    apiServer: {priorityAndFairness: false, maxRequestsInflight: 20, maxMutatingRequestsInflight: 10}
  faults:
    - {at: 20s, type: restartKubelet, nodes: {pool: node}}
    - {at: 60s, type: stopKubelet, nodes: {names: [node-7]}}
`))
	w := r.Settling
	if len(w) != 3 {
		t.Fatalf("%d windows", len(w))
	}
	// 300 kubelets restart at once into the max-inflight filter's 20
	// read-only and 10 mutating seats, which queue nothing: 429s go back,
	// all within the restart's window.
	if w[1].Rejected == 0 || float64(w[1].Rejected) != r.Metrics["apiserver.rejected"] || w[0].Rejected != 0 || w[2].Rejected != 0 {
		t.Fatalf("429s per window %d, %d, %d; %v in all", w[0].Rejected, w[1].Rejected, w[2].Rejected, r.Metrics["apiserver.rejected"])
	}
	if w[1].SettleSeconds == nil {
		t.Fatalf("the restart never settled: pending %v", w[1].Pending)
	}
	// node-7 stops for good: marked NotReady after the grace period and
	// still so at the end.
	if w[2].SettleSeconds != nil || !slices.Equal(w[2].Pending, []string{"nodes"}) {
		t.Fatalf("stopped kubelet's window: settled after %v, pending %v", w[2].SettleSeconds, w[2].Pending)
	}
	if _, ok := r.Metrics["fault.1.settleSeconds"]; ok || r.Metrics["fault.1.settled"] != 0 {
		t.Fatalf("fault.1.settled %v", r.Metrics["fault.1.settled"])
	}
}
