package objects

import (
	"errors"
	"fmt"

	"github.com/orrery-sim/orrery/model/api"
)

// NodeImage is one image in a node's status.images, with its size in
// bytes as the container runtime reports it.
type NodeImage struct {
	Name Sym // normalised with NormalizeImageName
	Size int64
}

// DefaultMaxPods is the kubelet's default maxPods, which becomes the
// node's allocatable "pods" (pkg/kubelet/apis/config/v1beta1/defaults.go).
const DefaultMaxPods = 110

// Node is the compact form of a node: labels, allocatable resources,
// taints, images and the conditions the model tracks.
type Node struct {
	ID     int32
	Name   Sym
	Labels Labels
	// Allocatable is status.allocatable CPU and memory; MaxPods its "pods"
	// (0 means the kubelet's default, DefaultMaxPods, filled in by Finish).
	Allocatable Resources
	MaxPods     int64
	Taints      []Taint
	Images      []NodeImage
	// Ready and MemoryPressure are the two conditions modeled. The
	// scheduler does not read them: since v1.17 it sees conditions only
	// through the taints the node lifecycle controller adds for them
	// (TaintNodesByCondition), so a NotReady node is filtered by its
	// node.kubernetes.io/not-ready taint, not by this field.
	Ready          api.ConditionStatus
	MemoryPressure api.ConditionStatus
	// Unschedulable is spec.unschedulable (a cordoned node).
	Unschedulable bool
	// Size is the node's serialized size in bytes.
	Size int32
}

// Errors from Node.Finish.
var ErrNoName = errors.New("objects: a node needs a name")

// Finish validates the node, defaults MaxPods to 110, and adds the
// kubernetes.io/hostname label the kubelet sets to the node's name when
// registering it (pkg/kubelet/kubelet_node_status.go initialNode), unless
// one is set.
func (n *Node) Finish() error {
	if n.Name == None {
		return ErrNoName
	}
	if n.Allocatable.MilliCPU < 0 || n.Allocatable.Memory < 0 || n.MaxPods < 0 {
		return fmt.Errorf("objects: node allocatable: must not be negative")
	}
	for i, t := range n.Taints {
		if t.Key == None {
			return fmt.Errorf("objects: node taints[%d].key: required", i)
		}
		if t.Effect == EffectAll {
			return fmt.Errorf("objects: node taints[%d].effect: required", i)
		}
		for j := range i {
			if n.Taints[j].Key == t.Key && n.Taints[j].Effect == t.Effect {
				return fmt.Errorf("objects: node taints[%d]: duplicate key and effect", i)
			}
		}
	}
	for i, img := range n.Images {
		if img.Size < 0 {
			return fmt.Errorf("objects: node images[%d].sizeBytes: must not be negative", i)
		}
	}
	if n.MaxPods == 0 {
		n.MaxPods = DefaultMaxPods
	}
	if !n.Labels.Has(LabelHostname) {
		n.Labels = n.Labels.With(LabelHostname, n.Name)
	}
	return nil
}

// ZoneKey is the node's zone for the scheduler's node tree: its region and
// zone labels, or their deprecated failure-domain.beta forms when the GA
// ones are absent (component-helpers/node/topology GetZoneKey). Nodes with
// neither share the zone (None, None).
func (n *Node) ZoneKey() (region, zone Sym) {
	zone, ok := n.Labels.Get(LabelTopologyZone)
	if !ok {
		zone, _ = n.Labels.Get(LabelFailureDomainBetaZone)
	}
	region, ok = n.Labels.Get(LabelTopologyRegion)
	if !ok {
		region, _ = n.Labels.Get(LabelFailureDomainBetaRegion)
	}
	return region, zone
}
