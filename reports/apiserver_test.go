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
