package reports

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"

	"github.com/orrery-sim/orrery/scenarios"
)

func TestLevelsOverTime(t *testing.T) {
	sc, err := scenarios.LoadBuiltin("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	if len(r.APIServer.Levels) == 0 {
		t.Fatal("no priority levels")
	}
	for _, l := range r.APIServer.Levels {
		o := l.OverTime
		cols := len(o.SeatsInUse)
		if cols == 0 || cols > overTimeColumns || len(o.QueueLength) != cols {
			t.Fatalf("%s: %d seat columns, %d queue columns", l.Name, cols, len(o.QueueLength))
		}
		if covered := o.StepSeconds * float64(cols); covered < r.Summary.VirtualSeconds || covered-o.StepSeconds >= r.Summary.VirtualSeconds {
			t.Errorf("%s: %d columns of %gs do not just cover %gs", l.Name, cols, o.StepSeconds, r.Summary.VirtualSeconds)
		}
		// One replica: the highest column is the level's peak.
		peak := 0.0
		for _, v := range o.SeatsInUse {
			peak = max(peak, v)
		}
		if peak != l.PeakSeats {
			t.Errorf("%s: highest column %v, peak seats %v", l.Name, peak, l.PeakSeats)
		}
	}
}

func TestSparkline(t *testing.T) {
	if got := sparkline([]float64{0, 1, 4, 8, 9}, 8); got != " ▂▅██" {
		t.Errorf("sparkline = %q", got)
	}
}

func TestSLOThresholdsByScope(t *testing.T) {
	for _, c := range []struct {
		verb, scope string
		p99         float64
		name        string
		met         bool
	}{
		{"update", "resource", 1.0, "mutating", true},
		{"create", "resource", 1.01, "mutating", false},
		{"get", "resource", 1.01, "read-only resource", false},
		{"list", "namespace", 4.9, "read-only namespace", true},
		{"list", "namespace", 5.1, "read-only namespace", false},
		{"list", "cluster", 29, "read-only cluster", true},
		{"list", "cluster", 31, "read-only cluster", false},
	} {
		s := sloFor(c.verb, c.scope, c.p99)
		if s == nil || s.Name != c.name || s.Met != c.met {
			t.Errorf("%s %s p99 %v: %+v, want %s met=%v", c.verb, c.scope, c.p99, s, c.name, c.met)
		}
	}
	if sloFor("watch", "cluster", 100) != nil {
		t.Error("a watch has no latency SLO")
	}
}

// A verb and resource served in two scopes gets a row per scope, each
// judged by its own SLO: a cluster-wide list of 3 s passes (30 s), a
// list by name of 3 s fails (1 s). Merged, one would hide the other.
func TestRequestRowsArePerScope(t *testing.T) {
	rec := sim.NewRecorder(time.Second)
	for _, sc := range []string{"cluster", "resource"} {
		rec.Latency("apiserver_request_duration_seconds", "verb", "list", "resource", "nodes", "scope", sc).Observe(3 * time.Second)
		rec.Counter("apiserver_request_total", "verb", "list", "resource", "nodes", "scope", sc, "code", "200").Inc()
	}
	rows := requestStats(rec, sim.Time(time.Minute))
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rows), rows)
	}
	want := map[string]bool{"cluster": true, "resource": false}
	for _, r := range rows {
		if r.Count != 1 || r.SLO == nil || r.SLO.Met != want[r.Scope] {
			t.Errorf("list nodes %s: count %d, SLO %+v; want met=%v", r.Scope, r.Count, r.SLO, want[r.Scope])
		}
	}
	m := map[string]float64{}
	(&Report{Requests: rows}).requestMetrics(func(k string, v float64) { m[k] = v })
	if m["slo.list.nodes.cluster.met"] != 1 || m["slo.list.nodes.resource.met"] != 0 {
		t.Errorf("scoped metrics: %v", m)
	}
}
