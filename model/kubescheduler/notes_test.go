package kubescheduler

import (
	"strings"
	"testing"
	"time"
)

// With Notes, the timeline carries each decision with every feasible
// node's weighted plugin scores (seed 001's numbers, as
// model/scheduler's TestSeed001TwoNodeExample pins them), and each
// failure with its FitError; without, neither.
func TestNotesShowScoresAndFitErrors(t *testing.T) {
	for _, on := range []bool{true, false} {
		r := newRig(t, 1)
		_, _, spec := seed001(r)
		r.start(Config{Notes: on})
		r.createPod(time.Second, spec, nil)
		r.createPod(2*time.Second, r.cpuPod(15000, gi), nil)
		r.Run(t, 5*time.Second)
		notes, _ := r.Rec.Timeline()
		var got []string
		for _, n := range notes {
			if n.Component == "kube-scheduler" && !strings.Contains(n.Message, "lease") {
				got = append(got, n.Message)
			}
		}
		if !on {
			if len(got) != 0 {
				t.Errorf("notes without Notes: %q", got)
			}
			continue
		}
		want := []string{
			"pod/pod → node2 (2 feasible of 2): " +
				"node1 429 = TaintToleration 100×3 + NodeAffinity 0×2 + NodeResourcesFit 31 + NodeResourcesBalancedAllocation 94 + ImageLocality 4; " +
				"node2 646 = TaintToleration 100×3 + NodeAffinity 100×2 + NodeResourcesFit 54 + NodeResourcesBalancedAllocation 92 + ImageLocality 0",
			"pod/pod not scheduled: 0/2 nodes are available: 2 Insufficient cpu. " +
				"preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("notes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
