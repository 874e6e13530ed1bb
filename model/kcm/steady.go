package kcm

import (
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// SteadyDeployment is a Deployment as the controllers leave it once its
// first rollout has completed and every pod is available: the Deployment
// at revision 1 with its status, its one ReplicaSet (named and labelled
// by the template hash, with the revision and replica annotations the
// deployment controller writes) with its status. A cluster that has been
// running a while starts from it; the controllers, syncing it, find
// nothing to do.
func SteadyDeployment(d *objects.Deployment, rsID int32, created sim.Time, in *objects.Interner, sizes objects.Sizes) (objects.Deployment, objects.ReplicaSet) {
	dep := *d
	hash := in.Intern(objects.TemplateHash(&dep.Template, dep.CollisionCount, in))
	sel := dep.Selector
	sel.MatchLabels = sel.MatchLabels.With(objects.LabelPodTemplateHash, hash)
	full := objects.ReplicaSetStatus{Replicas: dep.Replicas, ReadyReplicas: dep.Replicas, AvailableReplicas: dep.Replicas}
	rs := objects.ReplicaSet{
		ID:              rsID,
		Namespace:       dep.Namespace,
		Name:            in.Intern(in.String(dep.Name) + "-" + in.String(hash)),
		Owner:           objects.OwnerRef{Kind: objects.OwnedByDeployment, ID: dep.ID},
		Replicas:        dep.Replicas,
		Selector:        sel,
		Template:        objects.PodTemplate{Labels: dep.Template.Labels.With(objects.LabelPodTemplateHash, hash), Spec: dep.Template.Spec},
		MinReadySeconds: dep.MinReadySeconds,
		TemplateHash:    hash,
		Size:            sizes.ReplicaSet,
		Created:         created,
		Revision:        1,
		DesiredReplicas: dep.Replicas,
		MaxReplicas:     dep.Replicas + maxSurge(&dep),
		Status:          full,
	}
	dep.Revision = 1
	dep.Status = objects.DeploymentStatus{
		Replicas: dep.Replicas, UpdatedReplicas: dep.Replicas, ReadyReplicas: dep.Replicas, AvailableReplicas: dep.Replicas,
		Available: true,
	}
	return dep, rs
}

// SteadyReplicaSet is a stand-alone ReplicaSet with every pod available.
func SteadyReplicaSet(rs *objects.ReplicaSet) objects.ReplicaSet {
	out := *rs
	out.Status = objects.ReplicaSetStatus{Replicas: rs.Replicas, ReadyReplicas: rs.Replicas, AvailableReplicas: rs.Replicas}
	return out
}

// SteadyPod is pod id of rs (rsID), stamped from its template as the
// ReplicaSet controller stamps pods, bound to node and Running and Ready
// since ready.
func SteadyPod(rs *objects.ReplicaSet, rsID, id, node int32, created, ready sim.Time, size int32) objects.Pod {
	return objects.Pod{
		ID: id, Namespace: rs.Namespace, Labels: rs.Template.Labels,
		Owner: objects.OwnerRef{Kind: objects.OwnedByReplicaSet, ID: rsID},
		Spec:  rs.Template.Spec, NodeName: node, Phase: objects.PodRunning, Size: size,
		Created: created, Scheduled: api.ConditionTrue, StartTime: created,
		Ready: true, ReadySince: ready,
	}
}
