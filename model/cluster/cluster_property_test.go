package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// propertyFault is one generated fault.
type propertyFault struct {
	typ     string
	at, dur time.Duration
	nodes   []string
}

// propertyScenario generates, from seed, a 10-node cluster with 2–4 faults
// on disjoint sets of 1–2 nodes (so that no fault's detection can be
// credited to another): the first stops kubelets, the second partitions
// nodes from the API server, the rest either. Each starts within the first
// 3 minutes; a stop lasts (0, 120s], a partition (0, 90s].
func propertyScenario(seed uint64) (string, []propertyFault) {
	r := sim.NewRand(seed, "cluster-property")
	perm := make([]int, 10)
	for i := range perm {
		perm[i] = i
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	var faults []propertyFault
	next := 0
	for i := range 2 + r.IntN(3) {
		f := propertyFault{typ: scenarios.FaultStopKubelet}
		if i == 1 || i > 1 && r.IntN(2) == 1 {
			f.typ = scenarios.FaultPartition
		}
		f.at = time.Duration(r.IntN(180000)) * time.Millisecond
		limit := 120000
		if f.typ == scenarios.FaultPartition {
			limit = 90000
		}
		f.dur = time.Duration(1+r.IntN(limit)) * time.Millisecond
		for range 1 + r.IntN(2) {
			f.nodes = append(f.nodes, fmt.Sprintf("node-%d", perm[next]))
			next++
		}
		faults = append(faults, f)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: property-%d
spec:
  seed: %d
  duration: 8m
  cluster:
    nodePools:
      - name: node
        count: 10
  faults:
`, seed, seed)
	for _, f := range faults {
		fmt.Fprintf(&b, "    - at: %s\n      type: %s\n      duration: %s\n      nodes:\n        names: [%s]\n",
			f.at, f.typ, f.dur, strings.Join(f.nodes, ", "))
	}
	return b.String(), faults
}

// TestPropertyFaultsDetectedAndHealed: for 20 seeds, at the end of 8
// minutes every node is Ready in storage; every fault that lasted longer
// than grace + 2 × monitor period + renew interval was detected, and none
// that lasted less than grace − 1.04 × renew interval was.
func TestPropertyFaultsDetectedAndHealed(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		doc, faults := propertyScenario(seed)
		c := mustBuild(t, doc)
		mustRun(t, c)
		cl := &c.Scenario.Spec.Cluster
		grace, monitor := cl.NodeLifecycle.GracePeriod, cl.NodeLifecycle.MonitorPeriod
		renew := cl.Kubelet.NodeLeaseDuration / 4
		long := grace + 2*monitor + renew
		short := grace - renew*104/100

		if got := c.Tracker.Ready(); got != 10 {
			t.Errorf("seed %d: %d of 10 nodes Ready at the end\n%s", seed, got, describe(c, faults))
		}
		for i, rec := range c.Tracker.Faults() {
			f := faults[i]
			detected := rec.DetectedAt >= 0
			switch {
			case f.dur > long && !detected:
				t.Errorf("seed %d: fault %d (%s of %v for %v) was not detected\n%s", seed, i, f.typ, f.nodes, f.dur, describe(c, faults))
			case f.dur < short && detected:
				t.Errorf("seed %d: fault %d (%s of %v for %v) was detected after %v\n%s", seed, i, f.typ, f.nodes, f.dur, rec.DetectedAt.Sub(rec.At), describe(c, faults))
			}
		}
	}
}

func describe(c *Cluster, faults []propertyFault) string {
	var b strings.Builder
	for i, rec := range c.Tracker.Faults() {
		f := faults[i]
		det := "never"
		if rec.DetectedAt >= 0 {
			det = rec.DetectedAt.Sub(rec.At).String()
		}
		fmt.Fprintf(&b, "  fault %d: %s %v at %v for %v; detected after %s\n", i, f.typ, f.nodes, f.at, f.dur, det)
	}
	notes, _ := c.Rec.Timeline()
	for _, n := range notes {
		fmt.Fprintf(&b, "  %v %s: %s\n", n.At, n.Component, n.Message)
	}
	return b.String()
}
