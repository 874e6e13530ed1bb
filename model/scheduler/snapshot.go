package scheduler

import (
	"errors"
	"fmt"
	"slices"

	"github.com/orrery-sim/orrery/model/objects"
)

// NodeInfo is a node with the pods bound or assumed to it and their summed
// requests (pkg/scheduler/framework/types.go NodeInfo).
type NodeInfo struct {
	Node *objects.Node
	Pods []*objects.Pod
	// Requested sums the pods' requests; NonZeroRequested the same with
	// the 100m / 200Mi defaults for containers that request nothing.
	Requested        objects.Resources
	NonZeroRequested objects.Resources
	// Pods with any pod (anti-)affinity term, and with a required
	// anti-affinity term (NodeInfo.PodsWithAffinity,
	// PodsWithRequiredAntiAffinity).
	podsWithAffinity, podsWithRequiredAnti int
	// labelCounts counts the node's non-terminating pods by namespace and
	// label pair, so that a one-label selector (app=web, the usual spread
	// selector) counts a node's matching pods with one lookup.
	labelCounts map[nsLabel]int32
}

type nsLabel struct{ ns, key, value objects.Sym }

// imageSize returns the size of the named image if the node has it.
func (ni *NodeInfo) imageSize(image objects.Sym) (int64, bool) {
	for _, img := range ni.Node.Images {
		if img.Name == image {
			return img.Size, true
		}
	}
	return 0, false
}

type zoneKey struct{ region, zone objects.Sym }

type zoneNodes struct {
	key   zoneKey
	nodes []int32
}

// Snapshot is the scheduler's view of the cluster: nodes, the pods on
// them, and the indexes the plugins need. The scheduler takes it at the
// start of every cycle (Cache.UpdateSnapshot); here the caller keeps one
// up to date by calling Add and Remove as it learns of changes.
//
// Nodes are listed in upstream's node-tree order (pkg/scheduler/backend/cache
// node_tree.go): zones in the order their first node arrived, nodes within
// a zone in arrival order, and the list takes one node from each zone in
// turn. The round-robin start index walks this list.
type Snapshot struct {
	in    *objects.Interner
	nodes []*NodeInfo // by node ID; nil if absent
	num   int

	zones     []zoneNodes
	order     []int32
	orderDone bool

	// imageNodes counts the nodes that have each image
	// (ImageStateSummary.NumNodes).
	imageNodes map[objects.Sym]int32
	// Cluster-wide counts of pods with (anti-)affinity, to skip the
	// inter-pod affinity work when there are none.
	podsWithAffinity, podsWithRequiredAnti int
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot(in *objects.Interner) *Snapshot {
	return &Snapshot{in: in, imageNodes: map[objects.Sym]int32{}}
}

// Snapshot errors.
var (
	ErrNodeExists = errors.New("scheduler: node already in the snapshot")
	ErrNoSuchNode = errors.New("scheduler: node not in the snapshot")
	ErrPodUnbound = errors.New("scheduler: pod has no node")
	ErrNoSuchPod  = errors.New("scheduler: pod not on its node")
	ErrUnfinished = errors.New("scheduler: pod spec not finished")
)

// NumNodes is the number of nodes.
func (s *Snapshot) NumNodes() int { return s.num }

// Interner is the snapshot's interner.
func (s *Snapshot) Interner() *objects.Interner { return s.in }

// NodeInfo returns the node with the given ID, or nil.
func (s *Snapshot) NodeInfo(id int32) *NodeInfo {
	if id < 0 || int(id) >= len(s.nodes) {
		return nil
	}
	return s.nodes[id]
}

// AddNode adds a node (already Finished) with no pods.
func (s *Snapshot) AddNode(n *objects.Node) error {
	if n.ID < 0 {
		return fmt.Errorf("scheduler: node ID %d: must not be negative", n.ID)
	}
	for int(n.ID) >= len(s.nodes) {
		s.nodes = append(s.nodes, nil)
	}
	if s.nodes[n.ID] != nil {
		return ErrNodeExists
	}
	ni := &NodeInfo{Node: n}
	s.nodes[n.ID] = ni
	s.num++
	s.addToTree(n)
	s.countImages(n, 1)
	return nil
}

// UpdateNode replaces a node's object (labels, taints, allocatable,
// images, conditions), keeping its pods.
func (s *Snapshot) UpdateNode(n *objects.Node) error {
	ni := s.NodeInfo(n.ID)
	if ni == nil {
		return ErrNoSuchNode
	}
	old := ni.Node
	s.countImages(old, -1)
	s.countImages(n, 1)
	if zoneOf(old) != zoneOf(n) {
		s.removeFromTree(old)
		s.addToTree(n)
	}
	ni.Node = n
	return nil
}

// RemoveNode removes a node and forgets its pods.
func (s *Snapshot) RemoveNode(id int32) error {
	ni := s.NodeInfo(id)
	if ni == nil {
		return ErrNoSuchNode
	}
	s.removeFromTree(ni.Node)
	s.countImages(ni.Node, -1)
	s.podsWithAffinity -= ni.podsWithAffinity
	s.podsWithRequiredAnti -= ni.podsWithRequiredAnti
	s.nodes[id] = nil
	s.num--
	return nil
}

// AddPod accounts a pod bound (or assumed) to node p.NodeName.
func (s *Snapshot) AddPod(p *objects.Pod) error {
	if p.NodeName == objects.NoNode {
		return ErrPodUnbound
	}
	if p.Spec == nil || !p.Spec.Finished() {
		return ErrUnfinished
	}
	ni := s.NodeInfo(p.NodeName)
	if ni == nil {
		return ErrNoSuchNode
	}
	ni.Pods = append(ni.Pods, p)
	s.account(ni, p, 1)
	return nil
}

// RemovePod forgets a pod on node p.NodeName.
func (s *Snapshot) RemovePod(p *objects.Pod) error {
	ni := s.NodeInfo(p.NodeName)
	if ni == nil {
		return ErrNoSuchNode
	}
	for i, q := range ni.Pods {
		if q == p {
			last := len(ni.Pods) - 1
			ni.Pods[i] = ni.Pods[last]
			ni.Pods[last] = nil
			ni.Pods = ni.Pods[:last]
			s.account(ni, p, -1)
			return nil
		}
	}
	return ErrNoSuchPod
}

// Assume binds p to the node and accounts it, as the scheduler's cache
// does between deciding and the binding's confirmation.
func (s *Snapshot) Assume(p *objects.Pod, node int32) error {
	if s.NodeInfo(node) == nil {
		return ErrNoSuchNode
	}
	p.NodeName = node
	return s.AddPod(p)
}

// MarkTerminating sets p.Terminating (a deletionTimestamp appeared); pods
// in the snapshot must change it only through here, which keeps the
// label index right.
func (s *Snapshot) MarkTerminating(p *objects.Pod) {
	if p.Terminating {
		return
	}
	if ni := s.NodeInfo(p.NodeName); ni != nil && slices.Contains(ni.Pods, p) {
		ni.countLabels(p, -1)
	}
	p.Terminating = true
}

func (ni *NodeInfo) countLabels(p *objects.Pod, delta int32) {
	if p.Terminating {
		return
	}
	if ni.labelCounts == nil {
		ni.labelCounts = map[nsLabel]int32{}
	}
	for _, l := range p.Labels {
		k := nsLabel{p.Namespace, l.Key, l.Value}
		if c := ni.labelCounts[k] + delta; c != 0 {
			ni.labelCounts[k] = c
		} else {
			delete(ni.labelCounts, k)
		}
	}
}

func (s *Snapshot) account(ni *NodeInfo, p *objects.Pod, sign int64) {
	ni.countLabels(p, int32(sign))
	ni.Requested.MilliCPU += sign * p.Spec.Requests().MilliCPU
	ni.Requested.Memory += sign * p.Spec.Requests().Memory
	ni.NonZeroRequested.MilliCPU += sign * p.Spec.NonZeroRequests().MilliCPU
	ni.NonZeroRequested.Memory += sign * p.Spec.NonZeroRequests().Memory
	if p.Spec.HasPodAffinity() {
		ni.podsWithAffinity += int(sign)
		s.podsWithAffinity += int(sign)
	}
	if p.Spec.HasRequiredAntiAffinity() {
		ni.podsWithRequiredAnti += int(sign)
		s.podsWithRequiredAnti += int(sign)
	}
}

func (s *Snapshot) countImages(n *objects.Node, delta int32) {
	for i, img := range n.Images {
		dup := false
		for _, prev := range n.Images[:i] {
			if prev.Name == img.Name {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if c := s.imageNodes[img.Name] + delta; c > 0 {
			s.imageNodes[img.Name] = c
		} else {
			delete(s.imageNodes, img.Name)
		}
	}
}

func zoneOf(n *objects.Node) zoneKey {
	r, z := n.ZoneKey()
	return zoneKey{r, z}
}

func (s *Snapshot) addToTree(n *objects.Node) {
	key := zoneOf(n)
	s.orderDone = false
	for i := range s.zones {
		if s.zones[i].key == key {
			s.zones[i].nodes = append(s.zones[i].nodes, n.ID)
			return
		}
	}
	s.zones = append(s.zones, zoneNodes{key: key, nodes: []int32{n.ID}})
}

func (s *Snapshot) removeFromTree(n *objects.Node) {
	key := zoneOf(n)
	for i := range s.zones {
		if s.zones[i].key != key {
			continue
		}
		nodes := s.zones[i].nodes
		for j, id := range nodes {
			if id == n.ID {
				s.zones[i].nodes = append(nodes[:j], nodes[j+1:]...)
				break
			}
		}
		if len(s.zones[i].nodes) == 0 {
			s.zones = append(s.zones[:i], s.zones[i+1:]...)
		}
		s.orderDone = false
		return
	}
}

// List returns the node IDs in node-tree order. The slice belongs to the
// snapshot and changes when nodes are added or removed.
func (s *Snapshot) List() []int32 {
	if s.orderDone {
		return s.order
	}
	s.order = s.order[:0]
	for idx := 0; len(s.order) < s.num; idx++ {
		for z := range s.zones {
			if idx < len(s.zones[z].nodes) {
				s.order = append(s.order, s.zones[z].nodes[idx])
			}
		}
	}
	s.orderDone = true
	return s.order
}
