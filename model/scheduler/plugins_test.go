package scheduler

import (
	"testing"

	"github.com/orrery-sim/orrery/model/objects"
)

// Per-plugin cases, each scored through Schedule so that the PreScore and
// normalisation paths run as they do for real. Raw and normalised values
// are computed by hand from the formulas cited in score.go.

// want is one node's expected raw and normalised score.
type want struct {
	n         *objects.Node
	raw, norm int64
}

func checkPlugin(t *testing.T, r Result, p Plugin, wants []want) {
	t.Helper()
	for _, w := range wants {
		s := scoreOf(t, r, w.n)
		if s.Raw[p] != w.raw || s.Normalized[p] != w.norm {
			t.Errorf("%s node %d: raw %d norm %d, want %d %d", p, w.n.ID, s.Raw[p], s.Normalized[p], w.raw, w.norm)
		}
	}
}

func requestsPod(f *fixture, milliCPU, memory int64) *objects.Pod {
	return f.pod(f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(milliCPU, memory)}}}), nil)
}

func TestLeastAllocated(t *testing.T) {
	f := newFixture(t)
	n1 := f.node("n1", 4000, 10000)
	n2 := f.node("n2", 6000, 10000)
	f.using(n2, 0, 0) // an explicit zero request: nothing added to NonZeroRequested
	pod := requestsPod(f, 3000, 5000)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil {
		t.Fatal(err)
	}
	// n1: cpu (4000-3000)·100/4000 = 25, memory (10000-5000)·100/10000 = 50 → 37
	// n2: cpu (6000-3000)·100/6000 = 50, memory 50 → 50
	if got := scoreOf(t, r, n1).Raw[NodeResourcesFit]; got != 37 {
		t.Errorf("n1 %d, want 37", got)
	}
	if got := scoreOf(t, r, n2).Raw[NodeResourcesFit]; got != 50 {
		t.Errorf("n2 %d, want 50", got)
	}
	if r.Node != n2.ID {
		t.Errorf("chose %d", r.Node)
	}
}

// A pod without requests is scored as 100m + 200Mi per container, and so
// are the pods already on a node (NonZeroRequested).
func TestLeastAllocatedUsesNonZeroDefaults(t *testing.T) {
	f := newFixture(t)
	n1 := f.node("n1", 1000, 1*gi)
	n2 := f.node("n2", 1000, 1*gi)
	f.bind(f.pod(f.spec(objects.PodSpec{}), nil), n2) // best-effort: counts 100m, 200Mi
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(f.spec(objects.PodSpec{}), nil))
	if err != nil {
		t.Fatal(err)
	}
	// n1: cpu 900/1000 → 90, memory 824/1024 → 80 → 85
	// n2: cpu 800/1000 → 80, memory 624/1024 → 60 → 70
	if a, b := scoreOf(t, r, n1).Raw[NodeResourcesFit], scoreOf(t, r, n2).Raw[NodeResourcesFit]; a != 85 || b != 70 {
		t.Errorf("least allocated %d, %d; want 85, 70", a, b)
	}
	if r.Node != n1.ID {
		t.Errorf("chose %d", r.Node)
	}
}

// From balanced_allocation_test.go "nothing scheduled, resources
// requested, differently sized nodes": cpu 3000m and memory 5000 on nodes
// of 4000m/10000 and 6000m/10000 score 87 and 100.
func TestBalancedAllocation(t *testing.T) {
	f := newFixture(t)
	n1 := f.node("n1", 4000, 10000)
	n2 := f.node("n2", 6000, 10000)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), requestsPod(f, 3000, 5000))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := scoreOf(t, r, n1).Raw[NodeResourcesBalancedAllocation], scoreOf(t, r, n2).Raw[NodeResourcesBalancedAllocation]; a != 87 || b != 100 {
		t.Errorf("balanced %d, %d; want 87, 100", a, b)
	}
}

// BalancedAllocation uses real requests: a best-effort pod on a node adds
// nothing, and a fraction above 1 is capped.
func TestBalancedAllocationUsesRealRequestsAndCaps(t *testing.T) {
	f := newFixture(t)
	n1 := f.node("n1", 1000, 1000)
	f.bind(f.pod(f.spec(objects.PodSpec{}), nil), n1)
	n2 := f.node("n2", 1000, 1000)
	f.using(n2, 900, 0)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), requestsPod(f, 0, 500))
	if err != nil {
		t.Fatal(err)
	}
	// n1: cpu 0, memory 0.5 → 100·(1 − 0.25) = 75; n2: cpu 0.9, memory 0.5 → 80.
	if a, b := scoreOf(t, r, n1).Raw[NodeResourcesBalancedAllocation], scoreOf(t, r, n2).Raw[NodeResourcesBalancedAllocation]; a != 75 || b != 80 {
		t.Errorf("balanced %d, %d; want 75, 80", a, b)
	}
	if got := balancedAllocation(objects.Resources{MilliCPU: 3000, Memory: 500}, objects.Resources{MilliCPU: 1000, Memory: 1000}); got != 75 {
		t.Errorf("capped fraction: %d, want 75", got)
	}
}

// From v1.33 BalancedAllocation skips pods that request nothing
// (kubernetes/kubernetes#130260); before, it scores them.
func TestBalancedAllocationSkipsBestEffortFrom133(t *testing.T) {
	for _, c := range []struct {
		minor  int
		scored bool
	}{{32, true}, {33, false}} {
		f := newFixture(t)
		f.node("n1", 1000, 1000)
		f.node("n2", 2000, 1000)
		r, err := f.schedule(f.scheduler(DefaultConfig(c.minor)), f.pod(f.spec(objects.PodSpec{}), nil))
		if err != nil {
			t.Fatal(err)
		}
		if r.Scored(NodeResourcesBalancedAllocation) != c.scored {
			t.Errorf("v1.%d: balanced scored %v, want %v", c.minor, !c.scored, c.scored)
		}
	}
}

func TestTaintTolerationScore(t *testing.T) {
	f := newFixture(t)
	k1, k2, v := f.sym("k1"), f.sym("k2"), f.sym("v")
	clean := f.node("clean", 1000, gi)
	one := f.node("one", 1000, gi, taint(k1, v, objects.PreferNoSchedule), taint(k2, v, objects.PreferNoSchedule))
	two := f.node("two", 1000, gi, taint(k1, v, objects.PreferNoSchedule), taint(k2, v, objects.PreferNoSchedule),
		taint(f.sym("k3"), v, objects.PreferNoSchedule))
	// The pod tolerates k1 (any effect); k2's NoSchedule toleration does
	// not count for scoring.
	pod := f.pod(f.spec(objects.PodSpec{Tolerations: []objects.Toleration{
		{Key: k1, Operator: objects.TolerateExists},
		{Key: k2, Operator: objects.TolerateExists, Effect: objects.NoSchedule},
	}}), nil)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil {
		t.Fatal(err)
	}
	// Intolerable PreferNoSchedule taints 0, 1, 2 → reversed 100, 50, 0.
	checkPlugin(t, r, TaintToleration, []want{{clean, 0, 100}, {one, 1, 50}, {two, 2, 0}})
}

func TestNodeAffinityScore(t *testing.T) {
	f := newFixture(t)
	disk, zone := f.sym("disk"), f.sym("zone")
	both := f.node("both", 1000, gi, withLabels(f.labels("disk", "ssd", "zone", "a")))
	one := f.node("one", 1000, gi, withLabels(f.labels("zone", "a")))
	none := f.node("none", 1000, gi)
	in := func(k objects.Sym, v string) objects.NodeSelectorTerm {
		return objects.NodeSelectorTerm{MatchExpressions: []objects.Requirement{{Key: k, Op: objects.OpIn, Values: []objects.Sym{f.sym(v)}}}}
	}
	pod := f.pod(f.spec(objects.PodSpec{NodeAffinity: objects.NodeAffinity{Preferred: []objects.PreferredSchedulingTerm{
		{Weight: 2, Term: in(disk, "ssd")},
		{Weight: 5, Term: in(zone, "a")},
	}}}), nil)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil {
		t.Fatal(err)
	}
	// 7, 5, 0 → 100, 5·100/7 = 71, 0.
	checkPlugin(t, r, NodeAffinity, []want{{both, 7, 100}, {one, 5, 71}, {none, 0, 0}})
	if r.Node != both.ID {
		t.Errorf("chose %d", r.Node)
	}
}

func TestImageLocality(t *testing.T) {
	f := newFixture(t)
	big, small, side := f.sym("big:1"), f.sym("small:1"), f.sym("side:1")
	img := func(imgs ...objects.NodeImage) func(*objects.Node) {
		return func(n *objects.Node) { n.Images = imgs }
	}
	n1 := f.node("n1", 1000, gi, img(objects.NodeImage{Name: big, Size: 500 * mi}, objects.NodeImage{Name: small, Size: 10 * mi}))
	n2 := f.node("n2", 1000, gi, img(objects.NodeImage{Name: small, Size: 10 * mi}, objects.NodeImage{Name: side, Size: 1000 * mi}))
	n3 := f.node("n3", 1000, gi)
	f.node("n4", 1000, gi)
	pod := f.pod(f.spec(objects.PodSpec{
		InitContainers: []objects.Container{{Image: side}},
		Containers:     []objects.Container{{Image: big}, {Image: small}},
	}), nil)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil {
		t.Fatal(err)
	}
	// 4 nodes, 3 containers: thresholds 23 MiB .. 3000 MiB.
	// n1: big 500·¼ = 125 MiB + small 10·½ = 5 → 130 MiB → 100·107/2977 = 3
	// n2: side 1000·¼ = 250 + small 5 → 255 MiB → 100·232/2977 = 7
	// n3: nothing → 0
	for _, c := range []struct {
		n    *objects.Node
		want int64
	}{{n1, 3}, {n2, 7}, {n3, 0}} {
		if got := scoreOf(t, r, c.n).Raw[ImageLocality]; got != c.want {
			t.Errorf("node %d: %d, want %d", c.n.ID, got, c.want)
		}
	}
}

// Filter order: the first plugin to reject a node decides its status, so a
// cordoned, tainted node short of CPU reports only that it is cordoned.
func TestFilterOrderAndCodes(t *testing.T) {
	f := newFixture(t)
	k, v := f.sym("k"), f.sym("v")
	cordoned := f.node("cordoned", 100, gi, taint(k, v, objects.NoSchedule), func(n *objects.Node) { n.Unschedulable = true })
	tainted := f.node("tainted", 100, gi, taint(k, v, objects.PreferNoSchedule), taint(k, v, objects.NoExecute))
	labelled := f.node("labelled", 100, gi)
	full := f.node("full", 1000, gi, func(n *objects.Node) { n.MaxPods = 1 })
	f.using(full, 900, 0)
	small := f.node("small", 500, 512*mi)
	pod := f.pod(f.spec(objects.PodSpec{
		Containers:   []objects.Container{{Requests: objects.Requests(600, 600*mi)}},
		NodeSelector: f.labels("disk", "ssd"),
	}), nil)
	// Only "full" and "small" satisfy the selector, to reach the fit plugin.
	for _, n := range []*objects.Node{full, small} {
		n2 := *n
		n2.Labels = n.Labels.With(f.sym("disk"), f.sym("ssd"))
		if err := f.snap.UpdateNode(&n2); err != nil {
			t.Fatal(err)
		}
	}
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	fe, ok := err.(*FitError)
	if !ok {
		t.Fatalf("err %v", err)
	}
	want := map[int32]struct {
		plugin  Plugin
		code    Code
		reasons string
	}{
		cordoned.ID: {NodeUnschedulable, UnschedulableAndUnresolvable, "node(s) were unschedulable"},
		tainted.ID:  {TaintToleration, UnschedulableAndUnresolvable, "node(s) had untolerated taint {k: v}"},
		labelled.ID: {NodeAffinity, UnschedulableAndUnresolvable, "node(s) didn't match Pod's node affinity/selector"},
		full.ID:     {NodeResourcesFit, Unschedulable, "Too many pods|Insufficient cpu"},
		small.ID:    {NodeResourcesFit, UnschedulableAndUnresolvable, "Insufficient cpu|Insufficient memory"},
	}
	if len(r.Rejected) != 5 || len(fe.Statuses) != 5 {
		t.Fatalf("rejected %d", len(r.Rejected))
	}
	for _, st := range fe.Statuses {
		w := want[st.Node]
		var reasons string
		for i, rs := range st.Reasons[:st.N] {
			if i > 0 {
				reasons += "|"
			}
			reasons += rs.Text(f.in)
		}
		if st.Plugin != w.plugin || st.Code != w.code || reasons != w.reasons {
			t.Errorf("node %d: %s %s %q; want %s %s %q", st.Node, st.Plugin, st.Code, reasons, w.plugin, w.code, w.reasons)
		}
	}
}

// A pod tolerating the unschedulable taint may land on a cordoned node;
// a pod naming a node fits only there.
func TestNodeUnschedulableTolerationAndNodeName(t *testing.T) {
	f := newFixture(t)
	cordoned := f.node("cordoned", 1000, gi, func(n *objects.Node) { n.Unschedulable = true })
	other := f.node("other", 1000, gi)
	pod := f.pod(f.spec(objects.PodSpec{Tolerations: []objects.Toleration{{Key: objects.TaintNodeUnschedulable, Operator: objects.TolerateExists, Effect: objects.NoSchedule}}}), nil)
	pod.NodeName = cordoned.ID
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil || r.Node != cordoned.ID || len(r.Rejected) != 1 || r.Rejected[0].Node != other.ID || r.Rejected[0].Plugin != NodeName {
		t.Fatalf("result %+v, %v", r, err)
	}
}

// A zone-spread DoNotSchedule constraint (the shape of podtopologyspread
// filtering_test.go "spreading pods on zones"): zone a holds 2 matching
// pods, zone b none, maxSkew 1; a node without the zone label is
// unresolvable.
func TestPodTopologySpreadFilter(t *testing.T) {
	f := newFixture(t)
	zone := objects.LabelTopologyZone
	a1 := f.node("a1", 4000, 4*gi, withLabels(f.labels("topology.kubernetes.io/zone", "a")))
	a2 := f.node("a2", 4000, 4*gi, withLabels(f.labels("topology.kubernetes.io/zone", "a")))
	b1 := f.node("b1", 4000, 4*gi, withLabels(f.labels("topology.kubernetes.io/zone", "b")))
	bare := f.node("bare", 4000, 4*gi)
	web := f.labels("app", "web")
	spec := f.spec(objects.PodSpec{TopologySpread: []objects.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: zone, WhenUnsatisfiable: objects.DoNotSchedule,
		Selector: &objects.LabelSelector{MatchLabels: web},
	}}})
	f.bind(f.pod(spec, web), a1)
	f.bind(f.pod(spec, web), a2)
	// A terminating pod and a pod in another namespace do not count.
	term := f.pod(spec, web)
	term.Terminating = true
	f.bind(term, b1)
	other := f.pod(spec, web)
	other.Namespace = f.sym("other")
	f.bind(other, b1)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(spec, web))
	if err != nil {
		t.Fatal(err)
	}
	if r.Node != b1.ID || r.FeasibleNodes != 1 {
		t.Fatalf("chose %d of %d feasible", r.Node, r.FeasibleNodes)
	}
	got := map[int32]Reason{}
	for _, st := range r.Rejected {
		got[st.Node] = st.Reasons[0]
	}
	if got[a1.ID].Kind != ReasonSpreadConstraints || got[a2.ID].Kind != ReasonSpreadConstraints || got[bare.ID].Kind != ReasonSpreadMissingLabel {
		t.Fatalf("rejections %+v", got)
	}
	// With minDomains 3 and only two zones, the global minimum is 0, so
	// zone b (0 pods) still fits and zone a (2 + 1 > 1) does not; with
	// maxSkew 3 zone a fits too.
	spec3 := f.spec(objects.PodSpec{TopologySpread: []objects.TopologySpreadConstraint{{
		MaxSkew: 3, TopologyKey: zone, WhenUnsatisfiable: objects.DoNotSchedule, MinDomains: 3,
		Selector: &objects.LabelSelector{MatchLabels: web},
	}}})
	r, err = f.schedule(f.scheduler(DefaultConfig(31)), f.pod(spec3, web))
	if err != nil || r.FeasibleNodes != 3 {
		t.Fatalf("maxSkew 3: feasible %d, %v", r.FeasibleNodes, err)
	}
}

// minDomains raises the skew: with one zone of 1 pod and minDomains 2,
// the global minimum is 0 and the zone is full at maxSkew 1.
func TestPodTopologySpreadMinDomains(t *testing.T) {
	f := newFixture(t)
	a := f.node("a", 4000, 4*gi, withLabels(f.labels("topology.kubernetes.io/zone", "a")))
	web := f.labels("app", "web")
	mk := func(minDomains int32) *objects.PodSpec {
		return f.spec(objects.PodSpec{TopologySpread: []objects.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: objects.LabelTopologyZone, MinDomains: minDomains,
			Selector: &objects.LabelSelector{MatchLabels: web},
		}}})
	}
	f.bind(f.pod(mk(0), web), a)
	// minDomains 1: min is the zone's own 1; skew 1 + 1 - 1 = 1 fits.
	if _, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(mk(0), web)); err != nil {
		t.Fatalf("minDomains 1: %v", err)
	}
	// minDomains 2: min 0; skew 2 > 1.
	_, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(mk(2), web))
	if err == nil || err.Error() != "0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod." {
		t.Fatalf("minDomains 2: %v", err)
	}
}

// Hostname spreading with ScheduleAnyway scores 0, 1, 2 matching pods as
// round(n·ln(3+2)) = 0, 2, 3, normalised 100·(3+0−s)/3 = 100, 33, 0.
func TestPodTopologySpreadScore(t *testing.T) {
	f := newFixture(t)
	web := f.labels("app", "web")
	spec := f.spec(objects.PodSpec{TopologySpread: []objects.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: objects.LabelHostname, WhenUnsatisfiable: objects.ScheduleAnyway,
		Selector: &objects.LabelSelector{MatchLabels: web},
	}}})
	var nodes []*objects.Node
	for i, name := range []string{"n0", "n1", "n2"} {
		n := f.node(name, 4000, 4*gi)
		nodes = append(nodes, n)
		for range i {
			f.bind(f.pod(spec, web), n)
		}
	}
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(spec, web))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ raw, norm int64 }{{0, 100}, {2, 33}, {3, 0}} {
		s := scoreOf(t, r, nodes[i])
		if s.Raw[PodTopologySpread] != c.raw || s.Normalized[PodTopologySpread] != c.norm {
			t.Errorf("n%d: raw %d norm %d, want %d %d", i, s.Raw[PodTopologySpread], s.Normalized[PodTopologySpread], c.raw, c.norm)
		}
	}
	if r.Node != nodes[0].ID {
		t.Errorf("chose %d", r.Node)
	}
	// Zone spreading: nodes without the zone label are ignored (score 0);
	// the zone weight is ln(2 zones + 2); counts are per zone.
	f2 := newFixture(t)
	za1 := f2.node("za1", 4000, 4*gi, withLabels(f2.labels("topology.kubernetes.io/zone", "a")))
	za2 := f2.node("za2", 4000, 4*gi, withLabels(f2.labels("topology.kubernetes.io/zone", "a")))
	zb := f2.node("zb", 4000, 4*gi, withLabels(f2.labels("topology.kubernetes.io/zone", "b")))
	bare := f2.node("bare", 4000, 4*gi)
	web2 := f2.labels("app", "web")
	spec2 := f2.spec(objects.PodSpec{TopologySpread: []objects.TopologySpreadConstraint{{
		MaxSkew: 2, TopologyKey: objects.LabelTopologyZone, WhenUnsatisfiable: objects.ScheduleAnyway,
		Selector: &objects.LabelSelector{MatchLabels: web2},
	}}})
	f2.bind(f2.pod(spec2, web2), za1)
	f2.bind(f2.pod(spec2, web2), za2)
	f2.bind(f2.pod(spec2, web2), bare) // on an ignored node: not counted
	r, err = f2.schedule(f2.scheduler(DefaultConfig(31)), f2.pod(spec2, web2))
	if err != nil {
		t.Fatal(err)
	}
	// zone a: 2·ln 4 + 1 = 3.77 → 4; zone b: 0 + 1 = 1. Normalised with
	// max 4, min 1: a → 100·(4+1−4)/4 = 25, b → 100·(4+1−1)/4 = 100.
	checkPlugin(t, r, PodTopologySpread, []want{{za1, 4, 25}, {za2, 4, 25}, {zb, 1, 100}, {bare, 0, 0}})
}

func TestInterPodAffinityFilter(t *testing.T) {
	f := newFixture(t)
	zone := func(z string) func(*objects.Node) { return withLabels(f.labels("topology.kubernetes.io/zone", z)) }
	a1, a2 := f.node("a1", 4000, 4*gi, zone("a")), f.node("a2", 4000, 4*gi, zone("a"))
	b1 := f.node("b1", 4000, 4*gi, zone("b"))
	cache, web := f.labels("app", "cache"), f.labels("app", "web")
	sel := func(ls objects.Labels) *objects.LabelSelector { return &objects.LabelSelector{MatchLabels: ls} }

	// Required affinity to app=cache in the same zone, before any cache pod
	// exists: a pod that matches its own term may go anywhere (the first
	// of its group); one that does not is Pending.
	selfAff := f.spec(objects.PodSpec{PodAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{{Selector: sel(cache), TopologyKey: objects.LabelTopologyZone}}}})
	if r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(selfAff, cache)); err != nil || r.FeasibleNodes != 3 {
		t.Fatalf("first of its group: %d feasible, %v", r.FeasibleNodes, err)
	}
	if _, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(selfAff, web)); err == nil ||
		err.Error() != "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling." {
		t.Fatalf("no cache pod: %v", err)
	}
	// Once a cache pod runs on a1, only zone a fits.
	f.bind(f.pod(f.spec(objects.PodSpec{}), cache), a1)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(selfAff, web))
	if err != nil || r.FeasibleNodes != 2 || len(r.Rejected) != 1 || r.Rejected[0].Node != b1.ID {
		t.Fatalf("affinity to zone a: %+v %v", r, err)
	}

	// Required anti-affinity per host against app=cache: a1 is out.
	anti := f.spec(objects.PodSpec{PodAntiAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{{Selector: sel(cache), TopologyKey: objects.LabelHostname}}}})
	r, err = f.schedule(f.scheduler(DefaultConfig(31)), f.pod(anti, web))
	if err != nil || r.FeasibleNodes != 2 || r.Rejected[0].Node != a1.ID || r.Rejected[0].Reasons[0].Kind != ReasonPodAntiAffinity || r.Rejected[0].Code != Unschedulable {
		t.Fatalf("anti-affinity: %+v %v", r, err)
	}

	// An existing pod on a2 refuses app=web in its zone: zone a is out
	// for web pods, by the existing pod's rule.
	guard := f.spec(objects.PodSpec{PodAntiAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{{Selector: sel(web), TopologyKey: objects.LabelTopologyZone}}}})
	f.bind(f.pod(guard, f.labels("app", "guard")), a2)
	r, err = f.schedule(f.scheduler(DefaultConfig(31)), f.pod(f.spec(objects.PodSpec{}), web))
	if err != nil || r.Node != b1.ID || len(r.Rejected) != 2 {
		t.Fatalf("existing anti-affinity: %+v %v", r, err)
	}
	for _, st := range r.Rejected {
		if st.Reasons[0].Kind != ReasonExistingAntiAffinity {
			t.Errorf("node %d: %v", st.Node, st.Reasons[0].Text(f.in))
		}
	}
	// Pods in another namespace are not matched by a term without
	// namespaces.
	other := f.pod(f.spec(objects.PodSpec{}), web)
	other.Namespace = f.sym("other")
	if r, err := f.schedule(f.scheduler(DefaultConfig(31)), other); err != nil || r.FeasibleNodes != 3 {
		t.Fatalf("other namespace: %d feasible, %v", r.FeasibleNodes, err)
	}
}

func TestInterPodAffinityScore(t *testing.T) {
	f := newFixture(t)
	n1, n2, n3 := f.node("n1", 4000, 4*gi), f.node("n2", 4000, 4*gi), f.node("n3", 4000, 4*gi)
	cache, db := f.labels("app", "cache"), f.labels("app", "db")
	f.bind(f.pod(f.spec(objects.PodSpec{}), cache), n1)
	f.bind(f.pod(f.spec(objects.PodSpec{}), db), n2)
	term := func(ls objects.Labels, w int32) objects.WeightedPodAffinityTerm {
		return objects.WeightedPodAffinityTerm{Weight: w, Term: objects.PodAffinityTerm{Selector: &objects.LabelSelector{MatchLabels: ls}, TopologyKey: objects.LabelHostname}}
	}
	pod := f.pod(f.spec(objects.PodSpec{
		PodAffinity:     objects.PodAffinity{Preferred: []objects.WeightedPodAffinityTerm{term(cache, 10)}},
		PodAntiAffinity: objects.PodAffinity{Preferred: []objects.WeightedPodAffinityTerm{term(db, 5)}},
	}), nil)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), pod)
	if err != nil {
		t.Fatal(err)
	}
	// raw 10, -5, 0 → min-max: 100, 0, 100·5/15 = 33.
	checkPlugin(t, r, InterPodAffinity, []want{{n1, 10, 100}, {n2, -5, 0}, {n3, 0, 33}})
	if r.Node != n1.ID {
		t.Errorf("chose %d", r.Node)
	}
	// An existing pod's required affinity that the incoming pod satisfies
	// adds hardPodAffinityWeight (1) to that pod's domain.
	f2 := newFixture(t)
	m1, m2 := f2.node("m1", 4000, 4*gi), f2.node("m2", 4000, 4*gi)
	web := f2.labels("app", "web")
	needsWeb := f2.spec(objects.PodSpec{PodAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{
		{Selector: &objects.LabelSelector{MatchLabels: web}, TopologyKey: objects.LabelHostname}}}})
	f2.bind(f2.pod(needsWeb, web), m2)
	r, err = f2.schedule(f2.scheduler(DefaultConfig(31)), f2.pod(f2.spec(objects.PodSpec{}), web))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := scoreOf(t, r, m1), scoreOf(t, r, m2); a.Raw[InterPodAffinity] != 0 || b.Raw[InterPodAffinity] != 1 || b.Normalized[InterPodAffinity] != 100 {
		t.Errorf("hard affinity weight: %d, %d", a.Raw[InterPodAffinity], b.Raw[InterPodAffinity])
	}
	// Without any affinity in the cluster the plugin is skipped.
	f3 := newFixture(t)
	f3.node("x", 1000, gi)
	f3.node("y", 1000, gi)
	r, _ = f3.schedule(f3.scheduler(DefaultConfig(31)), f3.pod(f3.spec(objects.PodSpec{}), nil))
	if r.Scored(InterPodAffinity) {
		t.Error("InterPodAffinity scored with no affinity anywhere")
	}
}

// Existing pods' preferred terms score the incoming pod's placement too
// (interpodaffinity/scoring.go processExistingPod): a pod on n1 prefers
// app=web beside it (weight 7), one on n2 prefers app=web away (weight 3).
// The incoming app=web pod has no terms of its own.
func TestInterPodAffinityScoreFromExistingPreferredTerms(t *testing.T) {
	f := newFixture(t)
	n1, n2, n3 := f.node("n1", 4000, 4*gi), f.node("n2", 4000, 4*gi), f.node("n3", 4000, 4*gi)
	web := f.labels("app", "web")
	term := func(w int32) []objects.WeightedPodAffinityTerm {
		return []objects.WeightedPodAffinityTerm{{Weight: w, Term: objects.PodAffinityTerm{
			Selector: &objects.LabelSelector{MatchLabels: web}, TopologyKey: objects.LabelHostname}}}
	}
	f.bind(f.pod(f.spec(objects.PodSpec{PodAffinity: objects.PodAffinity{Preferred: term(7)}}), f.labels("app", "a")), n1)
	f.bind(f.pod(f.spec(objects.PodSpec{PodAntiAffinity: objects.PodAffinity{Preferred: term(3)}}), f.labels("app", "b")), n2)
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(f.spec(objects.PodSpec{}), web))
	if err != nil {
		t.Fatal(err)
	}
	// raw 7, -3, 0 → min-max over 10: 100, 0, 30.
	checkPlugin(t, r, InterPodAffinity, []want{{n1, 7, 100}, {n2, -3, 0}, {n3, 0, 30}})
	// A pod the terms do not select scores nothing, and the plugin is
	// skipped.
	r, err = f.schedule(f.scheduler(DefaultConfig(31)), f.pod(f.spec(objects.PodSpec{}), f.labels("app", "other")))
	if err != nil || r.Scored(InterPodAffinity) {
		t.Fatalf("unselected pod: scored %v, %v", r.Scored(InterPodAffinity), err)
	}
}

// Required pod affinity needs the term's topology key on the node, even
// where a matching pod runs elsewhere (interpodaffinity satisfyPodAffinity:
// "All topology labels must exist on the node").
func TestInterPodAffinityNeedsTopologyKey(t *testing.T) {
	f := newFixture(t)
	zoned := f.node("zoned", 4000, 4*gi, withLabels(f.labels("topology.kubernetes.io/zone", "a")))
	bare := f.node("bare", 4000, 4*gi)
	cache := f.labels("app", "cache")
	f.bind(f.pod(f.spec(objects.PodSpec{}), cache), bare)
	f.bind(f.pod(f.spec(objects.PodSpec{}), cache), zoned)
	spec := f.spec(objects.PodSpec{PodAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{{
		Selector: &objects.LabelSelector{MatchLabels: cache}, TopologyKey: objects.LabelTopologyZone}}}})
	r, err := f.schedule(f.scheduler(DefaultConfig(31)), f.pod(spec, nil))
	if err != nil || r.Node != zoned.ID || len(r.Rejected) != 1 {
		t.Fatalf("result %+v, %v", r, err)
	}
	if st := r.Rejected[0]; st.Node != bare.ID || st.Code != UnschedulableAndUnresolvable || st.Reasons[0].Kind != ReasonPodAffinity {
		t.Fatalf("bare node: %+v", st)
	}
}
