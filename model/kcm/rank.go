package kcm

import (
	"math"
	"slices"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// podPhaseOrdinal is podPhaseToOrdinal (pkg/controller/controller_utils.go):
// Pending < Unknown < Running; the terminal phases are never ranked (only
// active pods are).
func podPhaseOrdinal(p objects.PodPhase) int {
	switch p {
	case objects.PodUnknown:
		return 1
	case objects.PodRunning:
		return 2
	}
	return 0
}

// logarithmicRankDiff is upstream's: the difference of the base-2
// logarithms of two ages, in nanoseconds, at now (LogarithmicScaleDown, GA
// in 1.31, so two pods created or readied within the same power of two
// ago rank equal).
func logarithmicRankDiff(t1, t2, now sim.Time) int64 {
	d1, d2 := now.Sub(t1), now.Sub(t2)
	r1, r2 := int64(-1), int64(-1)
	if d1 > 0 {
		r1 = int64(math.Log2(float64(d1)))
	}
	if d2 > 0 {
		r2 = int64(math.Log2(float64(d2)))
	}
	return r1 - r2
}

// rankedPod is a pod and its rank: how many active pods related to it
// (of the ReplicaSets of the same owner) share its node.
type rankedPod struct {
	podRef
	rank int
}

// deleteBefore is ActivePodsWithRanks.Less (pkg/controller/controller_utils.go):
// whether a should be deleted before b. The criteria the model has no data
// for (pod-deletion-cost, container restarts) are equal for every pod; a
// pod with time 0 is not treated as having no timestamp.
func deleteBefore(a, b *rankedPod, now sim.Time) bool {
	pa, pb := a.p, b.p
	// 1. Unassigned < assigned.
	if pa.NodeName != pb.NodeName && (!pa.Bound() || !pb.Bound()) {
		return !pa.Bound()
	}
	// 2. Pending < Unknown < Running.
	if oa, ob := podPhaseOrdinal(pa.Phase), podPhaseOrdinal(pb.Phase); oa != ob {
		return oa < ob
	}
	// 3. Not ready < ready.
	if pa.Ready != pb.Ready {
		return !pa.Ready
	}
	// 5. Doubled up < not doubled up: more related pods on the node first.
	if a.rank != b.rank {
		return a.rank > b.rank
	}
	// 6. Ready for less time < more time, by logarithmic buckets.
	if pa.Ready && pb.Ready && pa.ReadySince != pb.ReadySince {
		if d := logarithmicRankDiff(pa.ReadySince, pb.ReadySince, now); d != 0 {
			return d < 0
		}
		return pa.ID < pb.ID
	}
	// 8. Newer < older, by logarithmic buckets.
	if pa.Created != pb.Created {
		if d := logarithmicRankDiff(pa.Created, pb.Created, now); d != 0 {
			return d < 0
		}
		return pa.ID < pb.ID
	}
	return false
}

// podsToDelete is getPodsToDelete (pkg/controller/replicaset/replica_set.go):
// the first n of active in deletion order, each ranked by the active pods
// of related (getPodsRankedByRelatedPodsOnSameNode). active is in ID
// order; the sort is stable, so equal pods keep it.
func podsToDelete(active, related []podRef, n int, now sim.Time) []podRef {
	if n >= len(active) {
		return active[:len(active):len(active)]
	}
	onNode := make(map[int32]int, len(related)) // looked up, never iterated
	for _, r := range related {
		if isPodActive(r.p) {
			onNode[r.p.NodeName]++
		}
	}
	ranked := make([]rankedPod, len(active))
	for i, r := range active {
		ranked[i] = rankedPod{podRef: r, rank: onNode[r.p.NodeName]}
	}
	slices.SortStableFunc(ranked, func(a, b rankedPod) int {
		switch {
		case deleteBefore(&a, &b, now):
			return -1
		case deleteBefore(&b, &a, now):
			return 1
		}
		return 0
	})
	out := make([]podRef, n)
	for i := range out {
		out[i] = ranked[i].podRef
	}
	return out
}
