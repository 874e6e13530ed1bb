package scenarios

import (
	"strconv"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file holds the types of the workload's Kubernetes objects (read
// from manifests, see manifest.go), the actions on them, the pod churn
// generators, and what node pools give their nodes.

// ObjectKind is the kind of a workload object, as a manifest's kind says it.
type ObjectKind string

// The kinds spec.workload.objects may hold.
const (
	KindPod        ObjectKind = "Pod"
	KindReplicaSet ObjectKind = "ReplicaSet"
	KindDeployment ObjectKind = "Deployment"
	KindNode       ObjectKind = "Node"
	KindService    ObjectKind = "Service"
)

// Object is one Kubernetes object of the workload, converted to its
// model/objects form with its symbols in Scenario.Interner. Exactly one of
// Pod, ReplicaSet, Deployment, Node and Service is set, after Kind. Each
// has its ID within its kind: its position among the workload's objects
// of that kind (for a Node, after every pool node: see Scenario.PoolNode),
// and its serialized size from spec.cluster.objectSizes (a Service's is
// objects.DefaultServiceSize). The specs are finished
// (objects.PodSpec.Finish) and validated; the API server's admission
// (default tolerations) is left to the run.
type Object struct {
	Kind ObjectKind
	// Namespace is "" for a Node.
	Namespace string
	Name      string

	Pod        *objects.Pod
	ReplicaSet *objects.ReplicaSet
	Deployment *objects.Deployment
	Node       *objects.Node
	Service    *objects.Service

	// NodeName is a Pod's spec.nodeName as written ("" if unbound); its
	// Pod.NodeName holds that node's ID.
	NodeName string
	// Deferred objects are created by the create actions that list them
	// (Action.Objects), not at time 0.
	Deferred bool

	// File and Line are where the object's manifest starts.
	File string
	Line int
	// path is the object's field path in the scenario ("" for a document
	// of a manifest file); nodeNameLine is where spec.nodeName is written.
	path         string
	nodeNameLine int
}

// Ref is the object's kind, namespace and name.
func (o *Object) Ref() ObjectRef {
	return ObjectRef{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// ObjectRef names an object: kind, namespace ("" for a Node) and name.
type ObjectRef struct {
	Kind      ObjectKind `json:"kind"`
	Namespace string     `json:"namespace,omitempty"`
	Name      string     `json:"name"`
}

// String renders the reference as kubectl does, "deployment/nginx", with
// the namespace when it is not "default".
func (r ObjectRef) String() string {
	s := strings.ToLower(string(r.Kind)) + "/" + r.Name
	if r.Namespace != "" && r.Namespace != SharedNamespace {
		s += " in namespace " + r.Namespace
	}
	return s
}

// Action types.
const (
	// ActionCreate creates objects: one of spec.workload.objects by name
	// (Object), or those of an inline manifest or a manifest file.
	ActionCreate = "create"
	// ActionScale sets a Deployment's or ReplicaSet's replicas
	// (kubectl scale).
	ActionScale = "scale"
	// ActionUpdate changes a Deployment's pod template: images, requests
	// and limits (kubectl set image, kubectl set resources), which starts a
	// rollout.
	ActionUpdate = "update"
	// ActionDelete deletes an object (kubectl delete).
	ActionDelete = "delete"
)

// Action is a change to the workload's objects at a virtual time, as
// kubectl would make it.
type Action struct {
	At   time.Duration `json:"at"`
	Type string        `json:"type"`
	// Object is the target of scale, update and delete, and the object a
	// create names (empty for a create of a manifest).
	Object ObjectRef `json:"object"`
	// Objects, for create: what it creates, as indices in
	// Workload.Objects.
	Objects []int `json:"-"`

	// Replicas, for scale.
	Replicas int32 `json:"replicas,omitempty"`

	// For update: the containers changed (Container, or every container
	// when empty), their new Image if set, and the requests and limits
	// set (the resources named replace the old values; others stay).
	Container string             `json:"container,omitempty"`
	Image     string             `json:"image,omitempty"`
	Requests  objects.Quantities `json:"-"`
	Limits    objects.Quantities `json:"-"`
	// Template, for update: the Deployment's pod template after the
	// change, finished.
	Template *objects.PodTemplate `json:"-"`

	// GracePeriod, for delete: gracePeriodSeconds, when GraceSet (unset:
	// the pod's own terminationGracePeriodSeconds).
	GracePeriod time.Duration `json:"gracePeriod,omitempty"`
	GraceSet    bool          `json:"-"`

	// Selector, for delete instead of Object: the pods (in
	// Object.Namespace) whose labels include these, as kubectl delete pods
	// -l; Count, if not 0, limits it to the first Count of them, oldest
	// first. Object.Kind is then KindPod and Object.Name empty.
	Selector []KeyValue `json:"selector,omitempty"`
	Count    int        `json:"count,omitempty"`

	Line int `json:"-"`
	// created, while decoding: the objects of a create's manifest, before
	// they join Workload.Objects.
	created []Object
}

// PodChurn creates pods at a steady rate and deletes each after its
// lifetime: the churn of short-lived pods of a busy cluster. Pods are bare
// (no owner), created with generateName "<name>-" in Namespace, one every
// 1/Rate seconds from Start for Duration (0: to the end of the run); pod k
// is deleted Lifetime (drawn per pod) after it was created, with the
// pod's own grace period.
type PodChurn struct {
	Name      string  `json:"name"`
	Namespace string  `json:"namespace"`
	Rate      float64 `json:"rate"`
	// Template is every pod's labels and spec (one shared, finished spec).
	Template objects.PodTemplate `json:"-"`
	Lifetime Dist                `json:"lifetime"`
	Start    time.Duration       `json:"start"`
	Duration time.Duration       `json:"duration,omitempty"`
	Client   ClientLimits        `json:"client"`
	Line     int                 `json:"-"`
}

// KeyValue is one label of a node pool.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// PoolTaint is a taint on every node of a pool.
type PoolTaint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// NodeImage is an image every node of a pool has, with its size in bytes.
type NodeImage struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// ObjectSizes are the modeled serialized sizes of objects, in bytes.
type ObjectSizes struct {
	Lease      int64 `json:"lease"`
	Node       int64 `json:"node"`
	Pod        int64 `json:"pod"`
	ReplicaSet int64 `json:"replicaSet"`
	Deployment int64 `json:"deployment"`
}

// Objects returns the sizes as model/objects takes them.
func (s ObjectSizes) Objects() objects.Sizes {
	return objects.Sizes{Pod: int32(s.Pod), Node: int32(s.Node), ReplicaSet: int32(s.ReplicaSet), Deployment: int32(s.Deployment)}
}

// PoolNodes is the number of nodes in all node pools.
func (s *Scenario) PoolNodes() int {
	n := 0
	for i := range s.Spec.Cluster.NodePools {
		n += s.Spec.Cluster.NodePools[i].Count
	}
	return n
}

// PoolNode builds node i of pool p (an index in spec.cluster.nodePools):
// its ID is its position in the pools' node order, its name "<pool>-<i>",
// its labels the pool's plus kubernetes.io/hostname and
// topology.kubernetes.io/zone, its allocatable, taints and images the
// pool's. Symbols go to s.Interner.
func (s *Scenario) PoolNode(p, i int) objects.Node {
	pools := s.Spec.Cluster.NodePools
	id := 0
	for j := range p {
		id += pools[j].Count
	}
	pool := &pools[p]
	in := s.Interner
	name := in.Intern(pool.Name + "-" + strconv.Itoa(i))
	pairs := make([]objects.Label, 0, len(pool.Labels)+2)
	for _, l := range pool.Labels {
		pairs = append(pairs, objects.Label{Key: in.Intern(l.Key), Value: in.Intern(l.Value)})
	}
	// The kubelet sets the hostname label and the cloud provider the zone
	// label (k8s.io/api/core/v1 well_known_labels.go); validation keeps
	// both out of the pool's labels.
	pairs = append(pairs,
		objects.Label{Key: objects.LabelHostname, Value: name},
		objects.Label{Key: objects.LabelTopologyZone, Value: in.Intern(pool.Zones[i%len(pool.Zones)])})
	labels, _ := objects.MakeLabels(pairs...)
	n := objects.Node{
		ID:          int32(id + i),
		Name:        name,
		Labels:      labels,
		Allocatable: objects.Resources{MilliCPU: pool.CPUMilli, Memory: pool.MemoryBytes},
		MaxPods:     int64(pool.Pods),
		Size:        int32(s.Spec.Cluster.ObjectSizes.Node),
	}
	for _, t := range pool.Taints {
		n.Taints = append(n.Taints, objects.Taint{Key: in.Intern(t.Key), Value: in.Intern(t.Value), Effect: taintEffects[t.Effect]})
	}
	for _, img := range pool.Images {
		n.Images = append(n.Images, objects.NodeImage{Name: in.Intern(objects.NormalizeImageName(img.Name)), Size: img.Size})
	}
	return n
}

// taintEffects are the effects a node taint may have.
var taintEffects = map[string]objects.TaintEffect{
	"NoSchedule":       objects.NoSchedule,
	"PreferNoSchedule": objects.PreferNoSchedule,
	"NoExecute":        objects.NoExecute,
}

var taintEffectNames = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}

// Warnings returns what Parse let pass: fields of Kubernetes manifests
// that orrery does not model, and objects of kinds it does not model,
// each ignored. A variant's run adds the warnings of its settings.
func (s *Scenario) Warnings() []*Error {
	out := append([]*Error(nil), s.warnings...)
	seen := map[string]bool{}
	for _, w := range out {
		seen[w.Error()] = true
	}
	for _, r := range s.runs {
		for _, w := range r.warnings {
			if !seen[w.Error()] {
				seen[w.Error()] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// NodeID is the ID of the node called name: a pool node ("<pool>-<i>",
// see PoolNode) or a Node of the workload's objects, numbered after the
// pool nodes in the order written.
func (s *Scenario) NodeID(name string) (int32, bool) {
	pools := s.Spec.Cluster.NodePools
	if nodeMissing(name, pools) == "" {
		dash := strings.LastIndexByte(name, '-')
		i, _ := strconv.Atoi(name[dash+1:])
		id := 0
		for j := range pools {
			if pools[j].Name == name[:dash] {
				return int32(id + i), true
			}
			id += pools[j].Count
		}
	}
	k := 0
	for i := range s.Spec.Workload.Objects {
		o := &s.Spec.Workload.Objects[i]
		if o.Kind != KindNode {
			continue
		}
		if o.Name == name {
			return int32(s.PoolNodes() + k), true
		}
		k++
	}
	return 0, false
}

// finishWorkload completes the workload's objects once defaults are in:
// each gets its ID and size, a pod's spec.nodeName its node's ID, and a
// create action that names an object of spec.workload.objects that
// object, which becomes Deferred. What cannot be resolved is left for the
// validator to report.
func finishWorkload(s *Scenario) {
	w := &s.Spec.Workload
	sizes := s.Spec.Cluster.ObjectSizes
	var pods, replicaSets, deployments, services int32
	nodes := int32(s.PoolNodes())
	for i := range w.Objects {
		o := &w.Objects[i]
		switch {
		case o.Pod != nil:
			o.Pod.ID, o.Pod.Size = pods, int32(sizes.Pod)
			pods++
		case o.ReplicaSet != nil:
			o.ReplicaSet.ID, o.ReplicaSet.Size = replicaSets, int32(sizes.ReplicaSet)
			replicaSets++
		case o.Deployment != nil:
			o.Deployment.ID, o.Deployment.Size = deployments, int32(sizes.Deployment)
			deployments++
		case o.Node != nil:
			o.Node.ID, o.Node.Size = nodes, int32(sizes.Node)
			nodes++
		case o.Service != nil:
			o.Service.ID, o.Service.Size = services, objects.DefaultServiceSize
			services++
		}
	}
	for i := range w.Objects {
		o := &w.Objects[i]
		if o.Pod != nil && o.NodeName != "" {
			if id, ok := s.NodeID(o.NodeName); ok {
				o.Pod.NodeName = id
			}
		}
	}
	for i := range w.Actions {
		a := &w.Actions[i]
		if a.Type != ActionCreate || a.Object.Name == "" || len(a.Objects) > 0 {
			continue
		}
		for j := range w.declared {
			if w.Objects[j].Ref() == a.Object {
				a.Objects = []int{j}
				w.Objects[j].Deferred = true
				break
			}
		}
	}
}
