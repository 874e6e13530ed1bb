package cluster

import (
	"fmt"
	"strconv"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// narrator tells, on the timeline, every change of a Deployment,
// ReplicaSet or Pod as etcd commits it (spec.trace): the step-by-step
// walkthrough of kubectl apply. It reads commits through the storage's
// metering hook, so it costs the simulated cluster nothing and changes no
// event; the time of each line is when the first etcd member applied the
// write. It compares each object with its last committed version to say
// what changed.
type narrator struct {
	rec   *sim.Recorder
	in    *objects.Interner
	nodes []Node
	last  map[key]any // the last committed body of each object
	names map[key]string
}

type key struct {
	res api.Resource
	id  int32
}

func newNarrator(rec *sim.Recorder, in *objects.Interner, nodes []Node) *narrator {
	return &narrator{rec: rec, in: in, nodes: nodes, last: map[key]any{}, names: map[key]string{}}
}

func (n *narrator) note(now sim.Time, msg string) { n.rec.Note(now, "etcd commit", msg) }

// committed narrates one committed write.
func (n *narrator) committed(now sim.Time, cur *api.Object) {
	k := key{cur.Resource, cur.ID}
	switch cur.Resource {
	case api.Deployments, api.ReplicaSets, api.Pods:
	default:
		return
	}
	if cur.Body == nil { // a delete
		if name, ok := n.names[k]; ok {
			n.note(now, name+" deleted")
			delete(n.names, k)
			delete(n.last, k)
		}
		return
	}
	prev := n.last[k]
	n.last[k] = cur.Body
	switch b := cur.Body.(type) {
	case *objects.Deployment:
		name := "deployment/" + n.in.String(b.Name)
		n.names[k] = name
		n.deployment(now, name, prev, b)
	case *objects.ReplicaSet:
		name := "replicaset/" + n.in.String(b.Name)
		n.names[k] = name
		n.replicaSet(now, name, prev, b)
	case *objects.Pod:
		name := n.podName(b)
		n.names[k] = name
		n.pod(now, name, prev, b)
	}
}

func (n *narrator) deployment(now sim.Time, name string, prev any, d *objects.Deployment) {
	old, _ := prev.(*objects.Deployment)
	switch {
	case old == nil:
		n.note(now, fmt.Sprintf("%s created: %d replicas", name, d.Replicas))
		return
	case old.Replicas != d.Replicas:
		n.note(now, fmt.Sprintf("%s scaled to %d replicas", name, d.Replicas))
	case old.Template.Spec != d.Template.Spec:
		n.note(now, name+" pod template changed: a new rollout")
	case old.Revision != d.Revision:
		n.note(now, fmt.Sprintf("%s at revision %d (deployment controller)", name, d.Revision))
	}
	s, o := d.Status, old.Status
	if s != o {
		msg := fmt.Sprintf("%s status: %d updated, %d ready, %d available of %d", name, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas, d.Replicas)
		if s.Available && !o.Available {
			msg += "; Available"
		}
		n.note(now, msg)
	}
}

func (n *narrator) replicaSet(now sim.Time, name string, prev any, rs *objects.ReplicaSet) {
	old, _ := prev.(*objects.ReplicaSet)
	switch {
	case old == nil:
		by := ""
		if rs.Owner.Kind == objects.OwnedByDeployment {
			by = " by the deployment controller"
		}
		n.note(now, fmt.Sprintf("%s created%s: %d replicas", name, by, rs.Replicas))
		return
	case old.Replicas != rs.Replicas:
		n.note(now, fmt.Sprintf("%s scaled to %d replicas", name, rs.Replicas))
	}
	if s, o := rs.Status, old.Status; s != o {
		n.note(now, fmt.Sprintf("%s status: %d pods, %d ready, %d available (replicaset controller)", name, s.Replicas, s.ReadyReplicas, s.AvailableReplicas))
	}
}

func (n *narrator) pod(now sim.Time, name string, prev any, p *objects.Pod) {
	old, _ := prev.(*objects.Pod)
	if old == nil {
		by := ""
		if p.Owner.Kind == objects.OwnedByReplicaSet {
			by = " by the replicaset controller"
		}
		n.note(now, name+" created"+by+": Pending, no node")
		if !p.Bound() {
			return
		}
		old = &objects.Pod{NodeName: objects.NoNode}
	}
	if !old.Bound() && p.Bound() {
		n.note(now, name+" bound to "+n.nodeName(p.NodeName)+" (scheduler)")
	}
	if old.Message != p.Message && p.Message != "" {
		n.note(now, name+": "+p.Message)
	}
	if old.StartTime == 0 && p.StartTime != 0 {
		n.note(now, name+" accepted by the kubelet (startTime "+p.StartTime.String()+")")
	}
	if old.Phase != p.Phase {
		n.note(now, name+" "+p.Phase.String()+" (kubelet)")
	}
	if !old.Ready && p.Ready {
		n.note(now, name+" Ready (kubelet)")
	}
	if old.DeletionTimestamp == 0 && p.DeletionTimestamp != 0 {
		n.note(now, fmt.Sprintf("%s terminating: grace period %v", name, p.DeletionGrace))
	}
}

// podName is the pod's name, or for a generated one its owner's name and
// its ID (the model does not keep generated suffixes).
func (n *narrator) podName(p *objects.Pod) string {
	if p.Name != objects.None {
		return "pod/" + n.in.String(p.Name)
	}
	if p.Owner.Kind == objects.OwnedByReplicaSet {
		if owner, ok := n.names[key{api.ReplicaSets, p.Owner.ID}]; ok {
			return "pod/" + owner[len("replicaset/"):] + "-" + strconv.Itoa(int(p.ID))
		}
	}
	return "pod/" + strconv.Itoa(int(p.ID))
}

func (n *narrator) nodeName(id int32) string {
	if int(id) < len(n.nodes) {
		return "node/" + n.nodes[id].Name
	}
	return "node " + strconv.Itoa(int(id))
}
