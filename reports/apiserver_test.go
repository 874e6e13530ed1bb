package reports

import (
	"testing"

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
