package scheduler

import (
	"testing"

	"github.com/orrery-sim/orrery/model/objects"
)

// The seeds' scheduler examples (CONCEPTS row 12), scored by the real
// plugins. docs/design/scheduler-model.md shows these numbers beside the
// seeds' and explains each difference; keep the two in step.

type pluginScores struct {
	raw, normalized int64
}

func checkScores(t *testing.T, name string, got NodeScore, want map[Plugin]pluginScores, total int64) {
	t.Helper()
	for p, w := range want {
		if got.Raw[p] != w.raw || got.Normalized[p] != w.normalized {
			t.Errorf("%s %s: raw %d normalised %d, want %d and %d", name, p, got.Raw[p], got.Normalized[p], w.raw, w.normalized)
		}
	}
	if got.Total != total {
		t.Errorf("%s total %d, want %d", name, got.Total, total)
	}
	// Skipped plugins leave their normalised score at 0.
	var sum int64
	for _, p := range ScorePlugins {
		sum += got.Normalized[p] * DefaultWeights[p]
	}
	if sum != total {
		t.Errorf("%s: Σ normalised × weight = %d, total %d", name, sum, total)
	}
}

// Seed 001 ("Scheduler Pod 배치 알고리즘"): two 16-core nodes, 8 and 4
// cores in use, a pod asking for 2 cores that prefers disktype=ssd and
// whose image only Node1 has. The seed gives CPU for LeastAllocated and
// memory shares (70%, 50%) for BalancedResourceAllocation; memory sizes,
// the pod's memory and the image size are assumptions, stated in the doc.
func TestSeed001TwoNodeExample(t *testing.T) {
	f := newFixture(t)
	nginx := f.sym("nginx:1.21")
	const nginxBytes = 135 * mi // assumed: nginx:1.21 unpacked
	node1 := f.node("node1", 16000, 60*gi, func(n *objects.Node) {
		n.Images = []objects.NodeImage{{Name: nginx, Size: nginxBytes}}
	})
	node2 := f.node("node2", 16000, 60*gi, withLabels(f.labels("disktype", "ssd")))
	f.using(node1, 8000, 42*gi) // 50% CPU, 70% memory
	f.using(node2, 4000, 30*gi) // 25% CPU, 50% memory
	pod := f.pod(f.spec(objects.PodSpec{
		Containers: []objects.Container{{Image: nginx, Requests: objects.Requests(2000, 2*gi)}},
		NodeAffinity: objects.NodeAffinity{Preferred: []objects.PreferredSchedulingTerm{{
			Weight: 1,
			Term:   objects.NodeSelectorTerm{MatchExpressions: []objects.Requirement{{Key: f.sym("disktype"), Op: objects.OpIn, Values: []objects.Sym{f.sym("ssd")}}}},
		}}},
	}), nil)
	s := f.scheduler(DefaultConfig(31))
	r, err := f.schedule(s, pod)
	if err != nil {
		t.Fatal(err)
	}
	if r.Node != node2.ID {
		t.Fatalf("chose node %d, want node2 (%d)", r.Node, node2.ID)
	}
	if r.Weights != DefaultWeights {
		t.Errorf("weights %v", r.Weights)
	}
	if r.Scored(PodTopologySpread) || r.Scored(InterPodAffinity) {
		t.Errorf("spread and inter-pod affinity should be skipped (skipped=%b)", r.Skipped)
	}
	checkScores(t, "node1", scoreOf(t, r, node1), map[Plugin]pluginScores{
		TaintToleration:                 {0, 100},
		NodeAffinity:                    {0, 0},
		NodeResourcesFit:                {31, 31}, // cpu 6/16 free → 37, memory 16/60 → 26; mean 31
		NodeResourcesBalancedAllocation: {94, 94}, // 10/16 = 0.625 vs 44/60 = 0.733
		ImageLocality:                   {4, 4},   // 135 MiB × ½ of nodes = 67.5 MiB
	}, 300+0+31+94+4)
	checkScores(t, "node2", scoreOf(t, r, node2), map[Plugin]pluginScores{
		TaintToleration:                 {0, 100},
		NodeAffinity:                    {1, 100},
		NodeResourcesFit:                {54, 54}, // cpu 10/16 → 62, memory 28/60 → 46; mean 54
		NodeResourcesBalancedAllocation: {92, 92}, // 0.375 vs 0.533
		ImageLocality:                   {0, 0},
	}, 300+200+54+92+0)
}

// Seed 002 (the "간단한 시나리오"): Node A 8 cores / 16Gi with 6 / 12Gi
// free, Node B 4 / 8Gi with 1 / 1Gi free, Node C 8 / 16Gi with 7 / 15Gi
// free but tainted dedicated=database:NoSchedule; the pod asks for 1 core
// and 512Mi.
func seed002(t *testing.T) (*fixture, [3]*objects.Node) {
	f := newFixture(t)
	a := f.node("node-a", 8000, 16*gi)
	b := f.node("node-b", 4000, 8*gi)
	c := f.node("node-c", 8000, 16*gi, taint(f.sym("dedicated"), f.sym("database"), objects.NoSchedule))
	f.using(a, 2000, 4*gi)
	f.using(b, 3000, 7*gi)
	f.using(c, 1000, 1*gi)
	return f, [3]*objects.Node{a, b, c}
}

func TestSeed002ThreeNodeExample(t *testing.T) {
	f, nodes := seed002(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	pod := f.pod(f.spec(objects.PodSpec{Containers: []objects.Container{{Image: f.sym("nginx:1.21"), Requests: objects.Requests(1000, 512*mi)}}}), nil)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil {
		t.Fatal(err)
	}
	if r.Node != a.ID || r.FeasibleNodes != 2 || r.EvaluatedNodes != 3 {
		t.Fatalf("chose %d (feasible %d of %d), want node-a", r.Node, r.FeasibleNodes, r.EvaluatedNodes)
	}
	if len(r.Rejected) != 1 || r.Rejected[0].Node != c.ID || r.Rejected[0].Plugin != TaintToleration ||
		r.Rejected[0].Reasons[0].Text(f.in) != "node(s) had untolerated taint {dedicated: database}" {
		t.Fatalf("rejected %+v", r.Rejected)
	}
	checkScores(t, "node-a", scoreOf(t, r, a), map[Plugin]pluginScores{
		TaintToleration:                 {0, 100},
		NodeResourcesFit:                {66, 66}, // cpu 5/8 free → 62, memory 11.5/16 → 71
		NodeResourcesBalancedAllocation: {95, 95}, // 0.375 vs 0.281
		ImageLocality:                   {0, 0},
	}, 300+66+95)
	checkScores(t, "node-b", scoreOf(t, r, b), map[Plugin]pluginScores{
		TaintToleration:                 {0, 100},
		NodeResourcesFit:                {3, 3},   // cpu full → 0, memory 0.5/8 → 6
		NodeResourcesBalancedAllocation: {96, 96}, // 1.0 vs 0.9375: better balanced than A
		ImageLocality:                   {0, 0},
	}, 300+3+96)
	if r.Scored(NodeAffinity) {
		t.Error("NodeAffinity should be skipped for a pod without preferred terms")
	}
}

// The same cluster and a pod asking for 8 cores: Pending, with upstream's
// message. Node B's 4 cores can never hold 8, so preemption could not help
// there; node A could hold it if pods were evicted, but none has a lower
// priority.
func TestSeed002PendingPod(t *testing.T) {
	f, _ := seed002(t)
	pod := f.pod(f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(8000, 512*mi)}}}), nil)
	_, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	want := "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: database}, 2 Insufficient cpu." +
		" preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
	if err == nil || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
}
