package scheduler

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/orrery-sim/orrery/model/objects"
)

// ErrNoNodesAvailable is returned when the snapshot has no nodes
// (pkg/scheduler/schedule_one.go).
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// Code is a filter plugin's verdict on a node (fwk.Code).
type Code uint8

const (
	Success Code = iota
	// Unschedulable: the node does not fit now; preempting pods might help.
	Unschedulable
	// UnschedulableAndUnresolvable: preemption cannot help on this node.
	UnschedulableAndUnresolvable
)

var codeNames = [...]string{"Success", "Unschedulable", "UnschedulableAndUnresolvable"}

func (c Code) String() string { return codeNames[c] }

// ReasonKind is one of the reason strings the modeled filter plugins give.
type ReasonKind uint8

const (
	// NodeUnschedulable (nodeunschedulable/node_unschedulable.go).
	ReasonNodeUnschedulable ReasonKind = iota
	// NodeName (nodename/node_name.go).
	ReasonNodeName
	// TaintToleration (tainttoleration/taint_toleration.go): names the
	// first untolerated NoSchedule or NoExecute taint.
	ReasonUntoleratedTaint
	// NodeAffinity (nodeaffinity/node_affinity.go ErrReasonPod).
	ReasonNodeAffinity
	// NodeResourcesFit (noderesources/fit.go fitsRequest).
	ReasonTooManyPods
	ReasonInsufficientCPU
	ReasonInsufficientMemory
	// PodTopologySpread (podtopologyspread/plugin.go).
	ReasonSpreadConstraints
	ReasonSpreadMissingLabel
	// InterPodAffinity (interpodaffinity/filtering.go).
	ReasonPodAffinity
	ReasonPodAntiAffinity
	ReasonExistingAntiAffinity
)

var reasonFormats = [...]string{
	ReasonNodeUnschedulable:    "node(s) were unschedulable",
	ReasonNodeName:             "node(s) didn't match the requested node name",
	ReasonUntoleratedTaint:     "node(s) had untolerated taint {%s: %s}",
	ReasonNodeAffinity:         "node(s) didn't match Pod's node affinity/selector",
	ReasonTooManyPods:          "Too many pods",
	ReasonInsufficientCPU:      "Insufficient cpu",
	ReasonInsufficientMemory:   "Insufficient memory",
	ReasonSpreadConstraints:    "node(s) didn't match pod topology spread constraints",
	ReasonSpreadMissingLabel:   "node(s) didn't match pod topology spread constraints (missing required label)",
	ReasonPodAffinity:          "node(s) didn't match pod affinity rules",
	ReasonPodAntiAffinity:      "node(s) didn't match pod anti-affinity rules",
	ReasonExistingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
}

// Reason is one reason a node was rejected; Key and Value are the taint's
// for ReasonUntoleratedTaint.
type Reason struct {
	Kind       ReasonKind
	Key, Value objects.Sym
}

// Text formats the reason as the scheduler does.
func (r Reason) Text(in *objects.Interner) string {
	if r.Kind == ReasonUntoleratedTaint {
		return fmt.Sprintf(reasonFormats[r.Kind], in.String(r.Key), in.String(r.Value))
	}
	return reasonFormats[r.Kind]
}

// maxReasons: NodeResourcesFit can give three at once (pods, cpu, memory).
const maxReasons = 3

// NodeStatus is the verdict of the filter plugin that rejected a node.
type NodeStatus struct {
	Node    int32
	Plugin  Plugin
	Code    Code
	N       uint8 // reasons used
	Reasons [maxReasons]Reason
}

func (s *NodeStatus) add(r Reason) {
	s.Reasons[s.N] = r
	s.N++
}

// Preemption's verdicts on a node when no pod has a lower priority than
// the incoming one (the model has no priorities): a node rejected as
// unresolvable is not worth preempting on, and every other node has no
// victims (pkg/scheduler/framework/preemption/preemption.go and
// defaultpreemption/default_preemption.go SelectVictimsOnNode).
const (
	preemptionNotHelpful = "Preemption is not helpful for scheduling"
	preemptionNoVictims  = "No preemption victims found for incoming pod"
)

// FitError is Schedule's error when no node fits the pod.
type FitError struct {
	NumAllNodes int
	// Statuses of the rejected nodes, in evaluation order.
	Statuses []NodeStatus
	// PostFilterMsg is what preemption said (empty if it did not run).
	PostFilterMsg string
	in            *objects.Interner
}

// Error formats the message as FitError.Error does
// (pkg/scheduler/framework/types.go): "0/N nodes are available:", then
// "<count> <reason>" for every distinct reason, sorted as strings (so
// "10 Insufficient cpu" sorts before "2 Insufficient cpu"), joined by ", "
// and ended with ".", then the PostFilter message.
func (f *FitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "0/%d nodes are available:", f.NumAllNodes)
	counts := map[string]int{}
	for i := range f.Statuses {
		s := &f.Statuses[i]
		for _, r := range s.Reasons[:s.N] {
			counts[r.Text(f.in)]++
		}
	}
	if h := histogram(counts); h != "" {
		b.WriteString(" " + h + ".")
	}
	if f.PostFilterMsg != "" {
		b.WriteString(" " + f.PostFilterMsg)
	}
	return b.String()
}

// histogram renders counts as upstream's sortReasonsHistogram does.
func histogram(counts map[string]int) string {
	items := make([]string, 0, len(counts))
	for reason, n := range counts {
		items = append(items, fmt.Sprintf("%d %s", n, reason))
	}
	sort.Strings(items)
	return strings.Join(items, ", ")
}

// preemptionMessage is DefaultPreemption's PostFilter message when no
// node has a victim: "preemption: " and a FitError of its own over the
// same nodes.
func preemptionMessage(numAllNodes int, statuses []NodeStatus) string {
	counts := map[string]int{}
	for i := range statuses {
		if statuses[i].Code == UnschedulableAndUnresolvable {
			counts[preemptionNotHelpful]++
		} else {
			counts[preemptionNoVictims]++
		}
	}
	return fmt.Sprintf("preemption: 0/%d nodes are available: %s.", numAllNodes, histogram(counts))
}

// UnschedulablePlugins are the plugins that rejected at least one node
// (Diagnosis.UnschedulablePlugins): what the scheduling queue keeps to
// decide which cluster events may make the pod schedulable.
func (f *FitError) UnschedulablePlugins() PluginSet {
	var s PluginSet
	for i := range f.Statuses {
		s = s.With(f.Statuses[i].Plugin)
	}
	return s
}
