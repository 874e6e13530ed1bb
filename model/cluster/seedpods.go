package cluster

import (
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/kcm"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// seededAge is how long the workload seeded at time 0 has been running:
// its objects were created, and its pods became Ready, this long before.
const seededAge = time.Hour

// seedWorkload stores the objects of spec.workload.objects that exist
// from time 0 (all but those a create action defers) in the state a
// cluster that has been running a while has them: Deployments rolled out
// (kcm.SteadyDeployment), ReplicaSets with every pod, pods Running and
// Ready on their nodes. Pods without a node are placed one at a time on
// the next node, round robin, that passes the scheduler's filters
// (model/scheduler FirstFit, the run's profile) given the pods placed
// before them — identical pods spread evenly, as the default scores would
// spread them, at a fraction of the cost of scoring 150,000 pods; a pod
// that fits nowhere is left Pending for the run's scheduler. Named objects' IDs are reserved first, so generated
// names never take them.
func (c *Cluster) seedWorkload(nodes []*objects.Node) error {
	sc := c.Scenario
	w := &sc.Spec.Workload
	sizes := sc.Spec.Cluster.ObjectSizes.Objects()
	for i := range w.Objects {
		if o := &w.Objects[i]; o.Kind != scenarios.KindNode {
			res, id := objectKey(o)
			c.ids.Reserve(res, id)
		}
	}
	pl, err := newPlacer(sc, nodes)
	if err != nil {
		return err
	}
	created := sim.Time(-seededAge)
	seedPods := func(rs *objects.ReplicaSet, rsID int32, ns api.NamespaceID) error {
		for range rs.Replicas {
			p := kcm.SteadyPod(rs, rsID, c.ids.Next(api.Pods), objects.NoNode, created, created, sizes.Pod)
			if err := c.seedPod(pl, &p, ns); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range w.Objects {
		o := &w.Objects[i]
		if o.Deferred || o.Kind == scenarios.KindNode {
			continue
		}
		ns := c.NamespaceID(o.Namespace)
		switch {
		case o.Deployment != nil:
			rsID := c.ids.Next(api.ReplicaSets)
			dep, rs := kcm.SteadyDeployment(o.Deployment, rsID, created, sc.Interner, sizes)
			c.seed(api.Object{Resource: api.Deployments, ID: dep.ID, Namespace: ns, Size: dep.Size, Body: &dep})
			c.seed(api.Object{Resource: api.ReplicaSets, ID: rsID, Namespace: ns, Size: rs.Size, Body: &rs})
			if err := seedPods(&rs, rsID, ns); err != nil {
				return err
			}
		case o.ReplicaSet != nil:
			rs := kcm.SteadyReplicaSet(o.ReplicaSet)
			rs.Created = created
			c.seed(api.Object{Resource: api.ReplicaSets, ID: rs.ID, Namespace: ns, Size: rs.Size, Body: &rs})
			if err := seedPods(&rs, rs.ID, ns); err != nil {
				return err
			}
		case o.Service != nil:
			c.seed(api.Object{Resource: api.Services, ID: o.Service.ID, Namespace: ns, Size: o.Service.Size, Body: o.Service})
		case o.Pod != nil:
			p := *o.Pod
			p.Created = created
			if p.Bound() {
				p.Phase, p.Scheduled, p.StartTime, p.Ready, p.ReadySince = objects.PodRunning, api.ConditionTrue, created, true, created
			}
			if err := c.seedPod(pl, &p, ns); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedPod places p if it has no node (running there if it fits, Pending
// otherwise) and stores it.
func (c *Cluster) seedPod(pl *placer, p *objects.Pod, ns api.NamespaceID) error {
	if !p.Bound() {
		node, err := pl.place(p)
		if err != nil {
			return err
		}
		if node == objects.NoNode {
			p.Phase, p.Scheduled, p.StartTime, p.Ready, p.ReadySince = objects.PodPending, api.ConditionUnknown, 0, false, 0
		}
		p.NodeName = node
	} else if err := pl.snap.AddPod(p); err != nil {
		return fmt.Errorf("seeding pod %d on node %d: %w", p.ID, p.NodeName, err)
	}
	c.seed(api.Object{Resource: api.Pods, ID: p.ID, Namespace: ns, Size: p.Size, Body: p})
	return nil
}

// placer runs the scheduling algorithm at build time.
type placer struct {
	s    *scheduler.Scheduler
	snap *scheduler.Snapshot
}

func newPlacer(sc *scenarios.Scenario, nodes []*objects.Node) (*placer, error) {
	profile := scheduler.DefaultConfig(sc.Version().Minor)
	profile.PercentageOfNodesToScore = int32(sc.Spec.Cluster.Scheduler.PercentageOfNodesToScore)
	s, err := scheduler.New(profile)
	if err != nil {
		return nil, err
	}
	snap := scheduler.NewSnapshot(sc.Interner)
	for _, n := range nodes {
		if err := snap.AddNode(n); err != nil {
			return nil, err
		}
	}
	return &placer{s: s, snap: snap}, nil
}

// place picks p's node (objects.NoNode if none fits) and counts p there.
func (pl *placer) place(p *objects.Pod) (int32, error) {
	node, err := pl.s.FirstFit(p, pl.snap)
	if err != nil || node == objects.NoNode {
		return objects.NoNode, err
	}
	return node, pl.snap.Assume(p, node)
}
