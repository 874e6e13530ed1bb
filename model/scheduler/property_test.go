package scheduler

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// randomRun fills a random cluster with random pods, assuming each
// decision, and returns the placements (node per pod, -1 for Pending) and
// the fixture. Everything comes from seed.
func randomRun(t *testing.T, seed uint64) ([]int32, *fixture) {
	rng := sim.NewRand(seed, "property")
	f := newFixture(t)
	zones := []string{"a", "b", "c"}
	dedicated := f.sym("dedicated")
	gpu := f.sym("gpu")
	for i := range 150 {
		edits := []func(*objects.Node){withLabels(f.labels("topology.kubernetes.io/zone", zones[rng.IntN(3)]))}
		if rng.IntN(10) == 0 {
			edits = append(edits, taint(dedicated, gpu, objects.NoSchedule))
		}
		if rng.IntN(20) == 0 {
			edits = append(edits, func(n *objects.Node) { n.Unschedulable = true })
		}
		edits = append(edits, func(n *objects.Node) { n.MaxPods = int64(5 + rng.IntN(20)) })
		f.node(fmt.Sprintf("n%d", i), int64(2000+rng.IntN(6)*1000), int64(4+rng.IntN(12))*gi, edits...)
	}
	web := f.labels("app", "web")
	sel := &objects.LabelSelector{MatchLabels: web}
	specs := []*objects.PodSpec{
		f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(500, 512*mi)}}}),
		f.spec(objects.PodSpec{}), // best-effort
		f.spec(objects.PodSpec{
			Containers:  []objects.Container{{Requests: objects.Requests(1500, 2*gi)}},
			Tolerations: []objects.Toleration{{Key: dedicated, Operator: objects.TolerateExists}},
		}),
		f.spec(objects.PodSpec{
			Containers: []objects.Container{{Requests: objects.Requests(250, 256*mi)}},
			TopologySpread: []objects.TopologySpreadConstraint{
				{MaxSkew: 1, TopologyKey: objects.LabelTopologyZone, Selector: sel},
				{MaxSkew: 1, TopologyKey: objects.LabelHostname, WhenUnsatisfiable: objects.ScheduleAnyway, Selector: sel},
			},
		}),
		f.spec(objects.PodSpec{
			Containers:      []objects.Container{{Requests: objects.Requests(250, 256*mi)}},
			PodAntiAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{{Selector: sel, TopologyKey: objects.LabelHostname}}},
		}),
	}
	s := f.scheduler(DefaultConfig(31))
	srng := sim.NewRand(seed, "scheduler")
	var placed []int32
	for range 1500 {
		k := rng.IntN(len(specs))
		var labels objects.Labels
		if k >= 3 {
			labels = web
		}
		p := f.pod(specs[k], labels)
		r, err := s.Schedule(p, f.snap, srng)
		if err != nil {
			var fe *FitError
			if !errors.As(err, &fe) {
				t.Fatal(err)
			}
			placed = append(placed, objects.NoNode)
			continue
		}
		if err := f.snap.Assume(p, r.Node); err != nil {
			t.Fatal(err)
		}
		placed = append(placed, r.Node)
	}
	return placed, f
}

// Over seeds: the same seed gives the same placements; every placement
// respects capacity, pod count, taints and cordons, and required
// anti-affinity in both directions; the cluster fills up until pods go
// Pending.
func TestRandomClustersProperties(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		a, f := randomRun(t, seed)
		b, _ := randomRun(t, seed)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("seed %d: placements differ between runs", seed)
		}
		pending := 0
		for _, n := range a {
			if n == objects.NoNode {
				pending++
			}
		}
		if pending == 0 || pending == len(a) {
			t.Fatalf("seed %d: %d of %d pending; the cluster should fill up", seed, pending, len(a))
		}
		for _, id := range f.snap.List() {
			ni := f.snap.NodeInfo(id)
			n := ni.Node
			if ni.Requested.MilliCPU > n.Allocatable.MilliCPU || ni.Requested.Memory > n.Allocatable.Memory || int64(len(ni.Pods)) > n.MaxPods {
				t.Fatalf("seed %d node %d overcommitted: %+v of %+v, %d pods of %d", seed, id, ni.Requested, n.Allocatable, len(ni.Pods), n.MaxPods)
			}
			for _, p := range ni.Pods {
				if n.Unschedulable {
					t.Fatalf("seed %d: pod on cordoned node %d", seed, id)
				}
				for i := range n.Taints {
					if !objects.TolerationsTolerate(p.Spec.Tolerations, &n.Taints[i]) {
						t.Fatalf("seed %d: pod on node %d does not tolerate its taint", seed, id)
					}
				}
			}
		}
		// Required anti-affinity against app=web (itself app=web) works both
		// ways: a node holding such a pod holds no other app=web pod,
		// whichever came first.
		for _, id := range f.snap.List() {
			anti, web := 0, 0
			for _, p := range f.snap.NodeInfo(id).Pods {
				if p.Spec.HasRequiredAntiAffinity() {
					anti++
				}
				if len(p.Labels) > 0 {
					web++
				}
			}
			if anti > 0 && web != 1 {
				t.Fatalf("seed %d node %d: %d anti-affinity pods among %d app=web pods", seed, id, anti, web)
			}
		}
	}
}
