package scheduler

import (
	"fmt"
	"slices"
	"testing"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Cases of schedule_one_test.go TestNumFeasibleNodesToFind, plus the
// sizes orrery runs.
func TestNumFeasibleNodesToFind(t *testing.T) {
	cases := []struct {
		percentage int32
		nodes      int32
		want       int32
	}{
		{0, 10, 10}, // fewer than 100 nodes: all
		{40, 10, 10},
		{0, 50, 50},
		{0, 100, 100},   // 50% of 100 = 50, raised to the minimum 100
		{0, 1000, 420},  // 50 − 1000/125 = 42%
		{40, 1000, 400}, // configured
		{0, 5000, 500},  // 50 − 40 = 10%
		{0, 6000, 300},  // 50 − 48 = 2%, floored to 5%
		{40, 6000, 2400},
		{10, 500, 100}, // 50 raised to 100
	}
	for _, c := range cases {
		s, err := New(Config{PercentageOfNodesToScore: c.percentage})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.NumFeasibleNodesToFind(c.nodes); got != c.want {
			t.Errorf("percentage %d, %d nodes: %d, want %d", c.percentage, c.nodes, got, c.want)
		}
	}
}

// The node list interleaves zones (node_tree.go list): zone a's nodes
// a0 a1 a2, zone b's b0, and zone-less z0 come out a0 b0 z0 a1 a2.
func TestNodeTreeOrder(t *testing.T) {
	f := newFixture(t)
	zone := func(z string) func(*objects.Node) { return withLabels(f.labels("topology.kubernetes.io/zone", z)) }
	a0 := f.node("a0", 1000, gi, zone("a"))
	b0 := f.node("b0", 1000, gi, zone("b"))
	a1 := f.node("a1", 1000, gi, zone("a"))
	z0 := f.node("z0", 1000, gi)
	a2 := f.node("a2", 1000, gi, zone("a"))
	want := []int32{a0.ID, b0.ID, z0.ID, a1.ID, a2.ID}
	if got := f.snap.List(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	// Moving a1 to zone b puts it at the end of zone b.
	moved := *a1
	moved.Labels = f.labels("topology.kubernetes.io/zone", "b", "kubernetes.io/hostname", "a1")
	if err := f.snap.UpdateNode(&moved); err != nil {
		t.Fatal(err)
	}
	want = []int32{a0.ID, b0.ID, z0.ID, a2.ID, a1.ID}
	if got := f.snap.List(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after move %v, want %v", got, want)
	}
	// Removing b0 and a1 empties zone b, which leaves the rotation.
	for _, id := range []int32{b0.ID, a1.ID} {
		if err := f.snap.RemoveNode(id); err != nil {
			t.Fatal(err)
		}
	}
	want = []int32{a0.ID, z0.ID, a2.ID}
	if got := f.snap.List(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after removal %v, want %v", got, want)
	}
}

// The walk starts where the last cycle stopped. With 200 nodes the quota
// is 100 (50 − 200/125 = 49% is 98, raised to 100). Cycle 1 keeps nodes
// 0..99; as upstream's loop does with one worker, it goes on past the
// quota until the next feasible node: 100..109 are full and rejected (and
// counted), 110 passes and ends the walk uncounted. Cycle 2 starts at 110.
func TestRoundRobinStartIndex(t *testing.T) {
	f := newFixture(t)
	var nodes []*objects.Node
	for i := range 200 {
		nodes = append(nodes, f.node(fmt.Sprintf("n%03d", i), 1000, gi))
	}
	for _, n := range nodes[100:110] {
		f.using(n, 1000, 0)
	}
	s := f.scheduler(DefaultConfig(31))
	pod := requestsPod(f, 500, mi)
	r, err := f.schedule(s, pod)
	if err != nil {
		t.Fatal(err)
	}
	if r.FeasibleNodes != 100 || r.EvaluatedNodes != 110 || len(r.Rejected) != 10 || s.NextStartNodeIndex() != 110 {
		t.Fatalf("cycle 1: feasible %d evaluated %d next %d", r.FeasibleNodes, r.EvaluatedNodes, s.NextStartNodeIndex())
	}
	if r.Scores[0].Node != nodes[0].ID || r.Scores[99].Node != nodes[99].ID || r.Rejected[0].Node != nodes[100].ID {
		t.Fatalf("cycle 1 scored %d..%d", r.Scores[0].Node, r.Scores[99].Node)
	}
	r, err = f.schedule(s, pod)
	if err != nil {
		t.Fatal(err)
	}
	// 110..199 (90 nodes) and 0..9 (10): 100 feasible; node 10 ends it.
	if r.FeasibleNodes != 100 || r.EvaluatedNodes != 100 || s.NextStartNodeIndex() != 10 {
		t.Fatalf("cycle 2: feasible %d evaluated %d next %d", r.FeasibleNodes, r.EvaluatedNodes, s.NextStartNodeIndex())
	}
	if r.Scores[0].Node != nodes[110].ID || r.Scores[99].Node != nodes[9].ID {
		t.Fatalf("cycle 2 scored %d..%d", r.Scores[0].Node, r.Scores[99].Node)
	}
}

// Reasons are counted and the "count reason" strings sorted as strings,
// as FitError.Error does: "10 Insufficient cpu" sorts before "2 ...". A
// node short of CPU and memory counts once for each.
func TestFitErrorMessage(t *testing.T) {
	f := newFixture(t)
	k := f.sym("dedicated")
	for i := range 10 {
		f.node(fmt.Sprintf("small-%d", i), 500, 4*gi)
	}
	f.node("tiny", 500, 512*mi)
	f.node("gpu-1", 8000, 8*gi, taint(k, f.sym("gpu"), objects.NoSchedule))
	f.node("gpu-2", 8000, 8*gi, taint(k, f.sym("gpu"), objects.NoExecute))
	f.node("db", 8000, 8*gi, taint(k, f.sym("db"), objects.NoSchedule))
	pod := requestsPod(f, 1000, 1*gi)
	_, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	want := "0/14 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: db}, " +
		"11 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}." +
		" preemption: 0/14 nodes are available: 14 Preemption is not helpful for scheduling."
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	// Without DefaultPreemption there is no PostFilter message.
	cfg := DefaultConfig(31)
	cfg.Preemption = false
	_, err = f.schedule(f.scheduler(cfg), pod)
	if want := want[:len("0/14 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: db}, 11 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.")]; err.Error() != want {
		t.Fatalf("no preemption: %v", err)
	}
}

func TestNoNodes(t *testing.T) {
	f := newFixture(t)
	if _, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(f.spec(objects.PodSpec{}), nil)); err != ErrNoNodesAvailable {
		t.Fatalf("err %v", err)
	}
	if _, err := f.schedule(f.scheduler(DefaultConfig(31)), &objects.Pod{Spec: &objects.PodSpec{}}); err != ErrUnfinished {
		t.Fatalf("unfinished spec: %v", err)
	}
}

// With a single feasible node upstream skips scoring.
func TestSingleFeasibleNodeIsNotScored(t *testing.T) {
	f := newFixture(t)
	f.node("small", 100, gi)
	big := f.node("big", 4000, gi)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), requestsPod(f, 1000, mi))
	if err != nil || r.Node != big.ID || len(r.Scores) != 0 || r.Scored(NodeResourcesFit) {
		t.Fatalf("%+v %v", r, err)
	}
}

// identical builds n identical nodes for tie tests.
func identical(t testing.TB, n int) (*fixture, *objects.Pod) {
	f := newFixture(t)
	for i := range n {
		f.node(fmt.Sprintf("n%d", i), 4000, 4*gi)
	}
	return f, requestsPod(f, 100, mi)
}

// Ties are broken by reservoir sampling with the caller's stream: the same
// stream gives the same pick, and over many streams each tied node wins
// about equally often.
func TestTieBreaking(t *testing.T) {
	f, pod := identical(t, 3)
	pick := func(seed uint64) int32 {
		s := f.scheduler(DefaultConfig(31))
		r, err := s.Schedule(pod, f.snap, sim.NewRand(seed, "scheduler"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Ties != 3 {
			t.Fatalf("ties %d", r.Ties)
		}
		return r.Node
	}
	for seed := uint64(0); seed < 20; seed++ {
		if a, b := pick(seed), pick(seed); a != b {
			t.Fatalf("seed %d: %d then %d", seed, a, b)
		}
	}
	// Reservoir sampling with the stream's own draws: node 1 replaces node
	// 0 if IntN(2) == 0; node 2 replaces the pick if IntN(3) == 0.
	rng := sim.NewRand(7, "scheduler")
	want := int32(0)
	if rng.IntN(2) == 0 {
		want = 1
	}
	if rng.IntN(3) == 0 {
		want = 2
	}
	if got := pick(7); got != want {
		t.Fatalf("seed 7 picked %d, reservoir sampling gives %d", got, want)
	}
	const trials = 3000
	var wins [3]int
	for seed := uint64(0); seed < trials; seed++ {
		wins[pick(seed+1000)]++
	}
	for i, w := range wins {
		// Binomial(3000, 1/3): mean 1000, sd ≈ 26; ±130 is five sd.
		if w < 870 || w > 1130 {
			t.Errorf("node %d won %d of %d", i, w, trials)
		}
	}
}

// A scheduling cycle allocates nothing per node: the count stays the same
// from 200 to 5000 nodes.
func TestScheduleAllocations(t *testing.T) {
	counts := map[int]float64{}
	for _, n := range []int{200, 5000} {
		f, pod := identical(t, n)
		s := f.scheduler(DefaultConfig(31))
		rng := sim.NewRand(1, "s")
		if _, err := s.Schedule(pod, f.snap, rng); err != nil { // warm the buffers
			t.Fatal(err)
		}
		counts[n] = testing.AllocsPerRun(20, func() {
			if _, err := s.Schedule(pod, f.snap, rng); err != nil {
				t.Fatal(err)
			}
		})
	}
	if counts[200] > 2 || counts[5000] != counts[200] {
		t.Fatalf("allocations per cycle: %v", counts)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{PercentageOfNodesToScore: -1},
		{PercentageOfNodesToScore: 101},
		{HardPodAffinityWeight: 101},
		{Weights: [NumPlugins]int64{NodeName: 1}},
		{Weights: [NumPlugins]int64{ImageLocality: -1}},
		{Weights: [NumPlugins]int64{ImageLocality: maxWeight + 1}},
	}
	for i, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	if _, err := New(Config{Weights: [NumPlugins]int64{ImageLocality: maxWeight}}); err != nil {
		t.Errorf("weight %d refused: %v", maxWeight, err)
	}
	if c := DefaultConfig(31); c.Weights != DefaultWeights || c.BalancedAllocationSkipsBestEffort || !c.Preemption || c.HardPodAffinityWeight != 1 {
		t.Errorf("DefaultConfig(31) = %+v", c)
	}
	// A zero weight turns a score off.
	cfg := DefaultConfig(31)
	cfg.Weights[TaintToleration] = 0
	f, pod := identical(t, 2)
	r, err := f.schedule(f.scheduler(cfg), pod)
	if err != nil || r.Scored(TaintToleration) || r.Scores[0].Total != r.Scores[0].Normalized[NodeResourcesFit]+r.Scores[0].Normalized[NodeResourcesBalancedAllocation] {
		t.Fatalf("zero weight: %+v %v", r.Scores[0], err)
	}
}

func TestSnapshotAccounting(t *testing.T) {
	f := newFixture(t)
	n := f.node("n", 4000, 4*gi, func(n *objects.Node) {
		n.Images = []objects.NodeImage{{Name: f.sym("a:1"), Size: 1}, {Name: f.sym("a:1"), Size: 1}}
	})
	p := f.bind(f.pod(f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.CPUOnly(300)}}}), nil), n)
	ni := f.snap.NodeInfo(n.ID)
	if ni.Requested != (objects.Resources{MilliCPU: 300}) || ni.NonZeroRequested != (objects.Resources{MilliCPU: 300, Memory: objects.DefaultMemoryRequest}) {
		t.Fatalf("requested %+v non-zero %+v", ni.Requested, ni.NonZeroRequested)
	}
	if f.snap.imageNodes[f.sym("a:1")] != 1 {
		t.Fatalf("an image listed twice counts one node: %d", f.snap.imageNodes[f.sym("a:1")])
	}
	// UpdateNode swaps the node object, recounts its images, keeps its pods.
	upd := *n
	upd.Images = []objects.NodeImage{{Name: f.sym("b:1"), Size: 1}}
	if err := f.snap.UpdateNode(&upd); err != nil || ni.Node != &upd || len(ni.Pods) != 1 ||
		f.snap.imageNodes[f.sym("a:1")] != 0 || f.snap.imageNodes[f.sym("b:1")] != 1 {
		t.Fatalf("update node: %v, images %v", err, f.snap.imageNodes)
	}
	if err := f.snap.RemovePod(p); err != nil || ni.Requested != (objects.Resources{}) || len(ni.Pods) != 0 {
		t.Fatalf("after removal %+v %v", ni.Requested, err)
	}
	if err := f.snap.RemovePod(p); err != ErrNoSuchPod {
		t.Fatalf("second removal: %v", err)
	}
	if err := f.snap.AddNode(n); err != ErrNodeExists {
		t.Fatalf("re-adding: %v", err)
	}
	if err := f.snap.AddPod(&objects.Pod{NodeName: objects.NoNode}); err != ErrPodUnbound {
		t.Fatalf("unbound pod: %v", err)
	}
	if err := f.snap.RemoveNode(n.ID); err != nil || f.snap.NumNodes() != 0 || len(f.snap.imageNodes) != 0 {
		t.Fatalf("remove node: %v", err)
	}
}

// BenchmarkSchedule5000 is one cycle over 5000 nodes of three zones with
// 30 pods each, for a pod with requests and a preferred node affinity: the
// cost of one decision at the reference scale (the scheduler has to keep
// up with 100 pods/s).
func BenchmarkSchedule5000(b *testing.B) {
	f := bench5000(b)
	pod := f.pod(f.spec(objects.PodSpec{
		Containers: []objects.Container{{Requests: objects.Requests(500, 512*mi)}},
		NodeAffinity: objects.NodeAffinity{Preferred: []objects.PreferredSchedulingTerm{{Weight: 10, Term: objects.NodeSelectorTerm{
			MatchExpressions: []objects.Requirement{{Key: objects.LabelTopologyZone, Op: objects.OpIn, Values: []objects.Sym{f.sym("a")}}}}}}},
	}), f.labels("app", "web"))
	benchSchedule(b, f, pod, true)
}

// bench5000 builds the benchmark cluster: 5000 nodes in three zones, 30
// pods labelled app=load on each (150,000 pods).
func bench5000(b *testing.B) *fixture {
	f := newFixture(b)
	zones := []string{"a", "b", "c"}
	spec := f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(100, 128*mi)}}})
	load := f.labels("app", "load")
	for i := range 5000 {
		n := f.node(fmt.Sprintf("node-%04d", i), 16000, 64*gi, withLabels(f.labels("topology.kubernetes.io/zone", zones[i%3])))
		for range 30 {
			f.bind(f.pod(spec, load), n)
		}
	}
	return f
}

// BenchmarkSchedule5000Spread: the pod spreads over zones (DoNotSchedule)
// and hosts (ScheduleAnyway) with the 150,000 app=load pods, so PreFilter
// and PreScore count pods on every node, as upstream's do.
func BenchmarkSchedule5000Spread(b *testing.B) {
	f := bench5000(b)
	load := f.labels("app", "load")
	sel := &objects.LabelSelector{MatchLabels: load}
	pod := f.pod(f.spec(objects.PodSpec{
		Containers: []objects.Container{{Requests: objects.Requests(500, 512*mi)}},
		TopologySpread: []objects.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: objects.LabelTopologyZone, WhenUnsatisfiable: objects.DoNotSchedule, Selector: sel},
			{MaxSkew: 1, TopologyKey: objects.LabelHostname, WhenUnsatisfiable: objects.ScheduleAnyway, Selector: sel},
		},
	}), load)
	benchSchedule(b, f, pod, true)
}

// BenchmarkSchedule5000Unschedulable: no node fits, so all 5000 are
// filtered and the FitError message is built.
func BenchmarkSchedule5000Unschedulable(b *testing.B) {
	f := bench5000(b)
	benchSchedule(b, f, requestsPod(f, 64000, mi), false)
}

// benchSchedule times one cycle of the default profile for pod over f's
// cluster; fits says whether the pod must find a node. A FitError's
// message is built, as the scheduler reports it.
func benchSchedule(b *testing.B, f *fixture, pod *objects.Pod, fits bool) {
	s := f.scheduler(DefaultConfig(31))
	rng := sim.NewRand(1, "bench")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := s.Schedule(pod, f.snap, rng)
		if (err == nil) != fits {
			b.Fatalf("fits %v: %v", fits, err)
		}
		if err != nil {
			_ = err.Error()
		}
	}
}

// The label index answers one-label selectors; over random pods (labels,
// namespaces, terminating, removed) it must agree with matching each pod.
func TestLabelIndexAgreesWithMatching(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := sim.NewRand(seed, "labels")
		f := newFixture(t)
		nodes := []*objects.Node{f.node("a", 1000, gi), f.node("b", 1000, gi)}
		spec := f.spec(objects.PodSpec{})
		keys := []string{"app", "tier"}
		vals := []string{"x", "y", "z"}
		nss := []objects.Sym{objects.NamespaceDefault, f.sym("kube-system")}
		var pods []*objects.Pod
		for range 60 {
			var kv []string
			for _, k := range keys {
				if rng.IntN(3) > 0 {
					kv = append(kv, k, vals[rng.IntN(len(vals))])
				}
			}
			p := f.pod(spec, f.labels(kv...))
			p.Namespace = nss[rng.IntN(2)]
			if rng.IntN(5) == 0 {
				p.Terminating = true // terminating from the start
			}
			pods = append(pods, f.bind(p, nodes[rng.IntN(2)]))
		}
		for _, p := range pods {
			switch rng.IntN(4) {
			case 0:
				f.snap.MarkTerminating(p)
			case 1:
				if err := f.snap.RemovePod(p); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, n := range nodes {
			ni := f.snap.NodeInfo(n.ID)
			for _, k := range keys {
				for _, v := range vals {
					for _, ns := range nss {
						sel := &objects.LabelSelector{MatchLabels: f.labels(k, v)}
						want := 0
						for _, p := range ni.Pods {
							if !p.Terminating && p.Namespace == ns && sel.Matches(p.Labels, f.in) {
								want++
							}
						}
						if got := countPodsMatchSelector(ni, sel, ns, f.in); got != want {
							t.Fatalf("seed %d node %d %s=%s ns %d: index %d, matching %d", seed, n.ID, k, v, ns, got, want)
						}
						// The same selector with a redundant expression is
						// not answered by the index: pod by pod, it must
						// skip the same terminating and foreign pods.
						slow := &objects.LabelSelector{MatchLabels: sel.MatchLabels,
							MatchExpressions: []objects.Requirement{{Key: f.sym(k), Op: objects.OpExists}}}
						if got := countPodsMatchSelector(ni, slow, ns, f.in); got != want {
							t.Fatalf("seed %d node %d %s=%s ns %d: pod by pod %d, matching %d", seed, n.ID, k, v, ns, got, want)
						}
					}
				}
			}
			// An empty selector counts no pods, and neither does a nil one
			// (podtopologyspread/common.go countPodsMatchSelector).
			if a, b := countPodsMatchSelector(ni, &objects.LabelSelector{}, objects.NamespaceDefault, f.in),
				countPodsMatchSelector(ni, nil, objects.NamespaceDefault, f.in); a != 0 || b != 0 {
				t.Fatalf("seed %d node %d: empty selector counts %d, nil %d", seed, n.ID, a, b)
			}
		}
	}
}

// FirstFit walks the nodes round robin from where it stopped and takes
// the first that passes the filters: identical pods spread one per node
// in turn, and a node that is full is passed over.
func TestFirstFitSpreadsRoundRobinAndSkipsFullNodes(t *testing.T) {
	in := objects.NewInterner()
	snap := NewSnapshot(in)
	for id := int32(0); id < 3; id++ {
		n := &objects.Node{ID: id, Name: in.Intern("n" + string(rune('0'+id))), Allocatable: objects.Resources{MilliCPU: 1000, Memory: 1 << 30}}
		if id == 1 {
			n.Allocatable.MilliCPU = 100 // room for no pod
		}
		if err := n.Finish(); err != nil {
			t.Fatal(err)
		}
		if err := snap.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(DefaultConfig(31))
	if err != nil {
		t.Fatal(err)
	}
	spec := &objects.PodSpec{Containers: []objects.Container{{Name: in.Intern("c"), Image: in.Intern("i"), Requests: objects.Requests(400, 1<<20)}}}
	if err := spec.Finish(); err != nil {
		t.Fatal(err)
	}
	var got []int32
	for i := range 5 {
		p := &objects.Pod{ID: int32(i), Spec: spec, NodeName: objects.NoNode}
		node, err := s.FirstFit(p, snap)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, node)
		if node != objects.NoNode {
			if err := snap.Assume(p, node); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 400m each: nodes 0 and 2 take two pods apiece, node 1 none; the
	// fifth pod fits nowhere.
	want := []int32{0, 2, 0, 2, objects.NoNode}
	if !slices.Equal(got, want) {
		t.Fatalf("placed on %v, want %v", got, want)
	}
}
