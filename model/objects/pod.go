package objects

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// TaintEffect is a taint's effect, or a toleration's (where EffectAll, the
// empty effect, matches every effect).
type TaintEffect uint8

const (
	EffectAll TaintEffect = iota // tolerations only: ""
	NoSchedule
	PreferNoSchedule
	NoExecute
)

var effectNames = [...]string{"", "NoSchedule", "PreferNoSchedule", "NoExecute"}

func (e TaintEffect) String() string { return effectNames[e] }

// Taint is a node taint.
type Taint struct {
	Key, Value Sym
	Effect     TaintEffect
}

// TolerationOperator is Equal or Exists.
type TolerationOperator uint8

const (
	TolerateEqual TolerationOperator = iota // the empty operator means Equal
	TolerateExists
)

// Toleration is a pod toleration. Key None with TolerateExists tolerates
// every taint.
type Toleration struct {
	Key      Sym
	Operator TolerationOperator
	Value    Sym
	Effect   TaintEffect // EffectAll matches every effect
	// Seconds is tolerationSeconds for NoExecute (how long the pod stays
	// bound after the taint appears); HasSeconds tells "unset" (forever)
	// from 0. The scheduler ignores it.
	Seconds    int64
	HasSeconds bool
}

// Tolerates reports whether the toleration tolerates the taint
// (k8s.io/api/core/v1 toleration.go ToleratesTaint, without the Lt/Gt
// operators added as alpha in v1.35).
func (t *Toleration) Tolerates(taint *Taint) bool {
	if t.Effect != EffectAll && t.Effect != taint.Effect {
		return false
	}
	if t.Key != None && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case TolerateEqual:
		return t.Value == taint.Value
	case TolerateExists:
		return true
	}
	return false
}

// TolerationsTolerate reports whether any toleration tolerates the taint
// (component-helpers/scheduling/corev1 TolerationsTolerateTaint).
func TolerationsTolerate(ts []Toleration, taint *Taint) bool {
	for i := range ts {
		if ts[i].Tolerates(taint) {
			return true
		}
	}
	return false
}

// DefaultTolerationSeconds is what the DefaultTolerationSeconds admission
// plugin gives a pod that does not already tolerate the not-ready and
// unreachable NoExecute taints (plugin/pkg/admission/defaulttolerationseconds
// admission.go, flags --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds, both 300).
const DefaultTolerationSeconds = 300

// AddDefaultTolerations does what the DefaultTolerationSeconds admission
// plugin does to every pod the API server admits: it adds
// "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" and the same
// for unreachable, unless the pod already tolerates that taint.
func (s *PodSpec) AddDefaultTolerations() {
	for _, key := range []Sym{TaintNodeNotReady, TaintNodeUnreachable} {
		taint := Taint{Key: key, Effect: NoExecute}
		if TolerationsTolerate(s.Tolerations, &taint) {
			continue
		}
		s.Tolerations = append(s.Tolerations, Toleration{
			Key: key, Operator: TolerateExists, Effect: NoExecute,
			Seconds: DefaultTolerationSeconds, HasSeconds: true,
		})
	}
}

// PreferredSchedulingTerm is a weighted preferred node-affinity term.
type PreferredSchedulingTerm struct {
	Weight int32 // 1..100
	Term   NodeSelectorTerm
}

// NodeAffinity is a pod's node affinity. Required nil means none; a
// non-nil Required with no terms (or only empty ones) matches no node.
type NodeAffinity struct {
	Required  []NodeSelectorTerm
	Preferred []PreferredSchedulingTerm
}

// PodAffinityTerm selects pods, in the listed namespaces (none: the pod's
// own namespace), whose co-location is judged per topology domain: nodes
// sharing the TopologyKey label's value. namespaceSelector is not modeled.
type PodAffinityTerm struct {
	Selector    *LabelSelector
	Namespaces  []Sym
	TopologyKey Sym
}

// MatchesPod reports whether pod p is selected by the term of a pod in
// namespace ownerNS (scheduler util PodMatchesTermsNamespaceAndSelector).
func (t *PodAffinityTerm) MatchesPod(ownerNS Sym, p *Pod, in *Interner) bool {
	if len(t.Namespaces) == 0 {
		if p.Namespace != ownerNS {
			return false
		}
	} else if !slices.Contains(t.Namespaces, p.Namespace) {
		return false
	}
	return t.Selector.Matches(p.Labels, in)
}

// WeightedPodAffinityTerm is a preferred pod (anti-)affinity term.
type WeightedPodAffinityTerm struct {
	Weight int32 // 1..100
	Term   PodAffinityTerm
}

// PodAffinity is a pod affinity or anti-affinity.
type PodAffinity struct {
	Required  []PodAffinityTerm
	Preferred []WeightedPodAffinityTerm
}

func (a *PodAffinity) empty() bool { return len(a.Required) == 0 && len(a.Preferred) == 0 }

// Unsatisfiable is a topology spread constraint's whenUnsatisfiable.
type Unsatisfiable uint8

const (
	DoNotSchedule Unsatisfiable = iota
	ScheduleAnyway
)

// TopologySpreadConstraint is a pod topology spread constraint. The node
// inclusion policies are upstream's defaults (nodeAffinityPolicy Honor,
// nodeTaintsPolicy Ignore); matchLabelKeys is not modeled.
type TopologySpreadConstraint struct {
	MaxSkew           int32
	TopologyKey       Sym
	WhenUnsatisfiable Unsatisfiable
	Selector          *LabelSelector
	// MinDomains: 0 means unset, which the scheduler treats as 1
	// (podtopologyspread/common.go: ptr.Deref(c.MinDomains, 1)).
	MinDomains int32
}

// PodSpec is the part of a pod a controller stamps out from a template:
// containers, scheduling constraints. Many pods share one *PodSpec; it is
// immutable once Finish has run, and Finish computes what the scheduler
// needs from it once rather than per pod.
type PodSpec struct {
	Containers     []Container
	InitContainers []Container
	// Overhead is the RuntimeClass overhead the API server copies into the
	// pod; it is added to the pod's requests.
	Overhead        Resources
	Tolerations     []Toleration
	NodeSelector    Labels
	NodeAffinity    NodeAffinity
	PodAffinity     PodAffinity
	PodAntiAffinity PodAffinity
	TopologySpread  []TopologySpreadConstraint
	// TerminationGracePeriod is terminationGracePeriodSeconds: how long the
	// kubelet lets a deleted pod's containers stop. Before Finish, 0 means
	// the default, 30s (k8s.io/api core/v1 types.go
	// DefaultTerminationGracePeriodSeconds), and NoGracePeriod an explicit
	// 0; after Finish it is the period itself.
	TerminationGracePeriod time.Duration
	// Priority is spec.priority, which the Priority admission plugin
	// resolves from priorityClassName (0 without one). The kubelet's
	// eviction ranking reads it.
	Priority int32

	finished bool
	requests Resources // what NodeResourcesFit checks and Requested sums
	nonZero  Resources // with the 100m / 200Mi defaults: NonZeroRequested
	qos      QOSClass
}

// DefaultTerminationGracePeriod is terminationGracePeriodSeconds' default
// (k8s.io/api core/v1 types.go DefaultTerminationGracePeriodSeconds).
const DefaultTerminationGracePeriod = 30 * time.Second

// NoGracePeriod is PodSpec.TerminationGracePeriod for an explicit 0.
const NoGracePeriod time.Duration = -1

// Errors from Finish.
var (
	ErrFinished     = errors.New("objects: pod spec already finished")
	ErrNoContainers = errors.New("objects: a pod needs at least one container")
)

// Finish validates the spec, applies the API server's defaulting
// (requests default to limits), and computes the summed requests and the
// QoS class. A spec is used by pods only after Finish.
func (s *PodSpec) Finish() error {
	if s.finished {
		return ErrFinished
	}
	if len(s.Containers) == 0 {
		return ErrNoContainers
	}
	if s.Overhead.MilliCPU < 0 || s.Overhead.Memory < 0 {
		return fmt.Errorf("objects: overhead: must not be negative")
	}
	switch {
	case s.TerminationGracePeriod == 0:
		s.TerminationGracePeriod = DefaultTerminationGracePeriod
	case s.TerminationGracePeriod == NoGracePeriod:
		s.TerminationGracePeriod = 0
	case s.TerminationGracePeriod < 0:
		return fmt.Errorf("objects: terminationGracePeriodSeconds: must be greater than or equal to 0")
	}
	for i := range s.Containers {
		if err := s.Containers[i].validate(); err != nil {
			return fmt.Errorf("objects: containers[%d].%w", i, err)
		}
		if s.Containers[i].Sidecar {
			return fmt.Errorf("objects: containers[%d]: only init containers can be sidecars", i)
		}
	}
	for i := range s.InitContainers {
		if err := s.InitContainers[i].validate(); err != nil {
			return fmt.Errorf("objects: initContainers[%d].%w", i, err)
		}
	}
	for i := range s.Tolerations {
		t := &s.Tolerations[i]
		// pkg/apis/core/validation validateTolerations: Exists takes no
		// value; an empty key needs Exists.
		if t.Operator == TolerateExists && t.Value != None {
			return fmt.Errorf("objects: tolerations[%d].value: must be empty when operator is Exists", i)
		}
		if t.Key == None && t.Operator != TolerateExists {
			return fmt.Errorf("objects: tolerations[%d].operator: must be Exists when key is empty", i)
		}
	}
	for i := range s.NodeAffinity.Required {
		if err := s.NodeAffinity.Required[i].validate(); err != nil {
			return fmt.Errorf("objects: nodeAffinity.required[%d].%w", i, err)
		}
	}
	for i, p := range s.NodeAffinity.Preferred {
		if p.Weight < 1 || p.Weight > 100 {
			return fmt.Errorf("objects: nodeAffinity.preferred[%d].weight: must be in the range 1-100", i)
		}
		if err := p.Term.validate(); err != nil {
			return fmt.Errorf("objects: nodeAffinity.preferred[%d].%w", i, err)
		}
	}
	for _, a := range []struct {
		name string
		aff  *PodAffinity
	}{{"podAffinity", &s.PodAffinity}, {"podAntiAffinity", &s.PodAntiAffinity}} {
		for i := range a.aff.Required {
			if err := a.aff.Required[i].validate(); err != nil {
				return fmt.Errorf("objects: %s.required[%d].%w", a.name, i, err)
			}
		}
		for i := range a.aff.Preferred {
			w := &a.aff.Preferred[i]
			if w.Weight < 1 || w.Weight > 100 {
				return fmt.Errorf("objects: %s.preferred[%d].weight: must be in the range 1-100", a.name, i)
			}
			if err := w.Term.validate(); err != nil {
				return fmt.Errorf("objects: %s.preferred[%d].%w", a.name, i, err)
			}
		}
	}
	for i := range s.TopologySpread {
		c := &s.TopologySpread[i]
		switch {
		case c.MaxSkew < 1:
			return fmt.Errorf("objects: topologySpreadConstraints[%d].maxSkew: must be greater than zero", i)
		case c.TopologyKey == None:
			return fmt.Errorf("objects: topologySpreadConstraints[%d].topologyKey: required", i)
		case c.MinDomains < 0:
			return fmt.Errorf("objects: topologySpreadConstraints[%d].minDomains: must be greater than zero", i)
		case c.MinDomains > 1 && c.WhenUnsatisfiable != DoNotSchedule:
			return fmt.Errorf("objects: topologySpreadConstraints[%d].minDomains: only allowed with whenUnsatisfiable DoNotSchedule", i)
		}
		if err := c.Selector.validate(); err != nil {
			return fmt.Errorf("objects: topologySpreadConstraints[%d].labelSelector.%w", i, err)
		}
	}
	for i := range s.Containers {
		s.Containers[i].defaultRequestsFromLimits()
	}
	for i := range s.InitContainers {
		s.InitContainers[i].defaultRequestsFromLimits()
	}
	s.requests = aggregateRequests(s, false)
	s.nonZero = aggregateRequests(s, true)
	s.qos = computeQOS(s)
	s.finished = true
	return nil
}

func (t *PodAffinityTerm) validate() error {
	if t.TopologyKey == None {
		return errors.New("topologyKey: required")
	}
	if err := t.Selector.validate(); err != nil {
		return fmt.Errorf("labelSelector.%w", err)
	}
	return nil
}

// Edit returns an unfinished copy of the spec as written, to change and
// Finish: its containers and init containers are copies with the requests
// Finish copied from limits taken back out (upstream defaults them in a
// Pod, never in a template: pkg/apis/core/v1/defaults.go SetDefaults_Pod),
// its other parts shared with s (nothing may change them). A Deployment's
// template update — a new image, new requests — is an edit of its
// current spec.
func (s *PodSpec) Edit() *PodSpec {
	c := *s
	c.Containers = slices.Clone(s.Containers)
	c.InitContainers = slices.Clone(s.InitContainers)
	for i := range c.Containers {
		c.Containers[i].undoDefaults()
	}
	for i := range c.InitContainers {
		c.InitContainers[i].undoDefaults()
	}
	if c.TerminationGracePeriod == 0 {
		c.TerminationGracePeriod = NoGracePeriod // an explicit 0, as written
	}
	c.finished = false
	c.requests, c.nonZero, c.qos = Resources{}, Resources{}, BestEffort
	return &c
}

// Finished reports whether Finish has run.
func (s *PodSpec) Finished() bool { return s.finished }

// Requests is the pod's summed requests (init containers, sidecars and
// overhead included): what NodeResourcesFit checks against a node and what
// the node's Requested grows by.
func (s *PodSpec) Requests() Resources { return s.requests }

// NonZeroRequests is Requests with 100m CPU / 200Mi memory assumed for each
// container that requests none: what the LeastAllocated score uses and
// what the node's NonZeroRequested grows by.
func (s *PodSpec) NonZeroRequests() Resources { return s.nonZero }

// QOS is the pod's quality-of-service class.
func (s *PodSpec) QOS() QOSClass { return s.qos }

// HasPodAffinity reports whether the spec has any pod affinity or
// anti-affinity term (NodeInfo.PodsWithAffinity holds such pods).
func (s *PodSpec) HasPodAffinity() bool {
	return !s.PodAffinity.empty() || !s.PodAntiAffinity.empty()
}

// HasRequiredAntiAffinity reports whether the spec has a required pod
// anti-affinity term (NodeInfo.PodsWithRequiredAntiAffinity).
func (s *PodSpec) HasRequiredAntiAffinity() bool { return len(s.PodAntiAffinity.Required) > 0 }

// MatchesRequiredNodeAffinity reports whether a node's labels satisfy the
// pod's nodeSelector and required node affinity
// (component-helpers/scheduling/corev1/nodeaffinity RequiredNodeAffinity.Match):
// every nodeSelector pair must be on the node, and if a required node
// affinity is given, one of its terms must match.
func (s *PodSpec) MatchesRequiredNodeAffinity(ls Labels, in *Interner) bool {
	if !ls.hasAll(s.NodeSelector) {
		return false
	}
	if s.NodeAffinity.Required == nil {
		return true
	}
	for i := range s.NodeAffinity.Required {
		if s.NodeAffinity.Required[i].Matches(ls, in) {
			return true
		}
	}
	return false
}

// HasRequiredNodeAffinity reports whether the pod constrains nodes by
// nodeSelector or required node affinity.
func (s *PodSpec) HasRequiredNodeAffinity() bool {
	return len(s.NodeSelector) > 0 || s.NodeAffinity.Required != nil
}

// PodPhase is a pod's status.phase.
type PodPhase uint8

const (
	PodPending PodPhase = iota
	PodRunning
	PodSucceeded
	PodFailed
	PodUnknown
)

var phaseNames = [...]string{"Pending", "Running", "Succeeded", "Failed", "Unknown"}

func (p PodPhase) String() string { return phaseNames[p] }

// OwnerKind is the kind of an object's controlling owner.
type OwnerKind uint8

const (
	NoOwner OwnerKind = iota
	OwnedByReplicaSet
	OwnedByDeployment
)

// OwnerRef is an object's controller owner reference: the kind and the
// owner's ID within its kind.
type OwnerRef struct {
	Kind OwnerKind
	ID   int32
}

// NoNode is Pod.NodeName for an unbound pod.
const NoNode int32 = -1

// Pod is the compact form of a pod: identity, labels, the shared spec, and
// the fields the scheduler and the kubelet change.
type Pod struct {
	ID        int32
	Namespace Sym
	Name      Sym
	Labels    Labels
	Owner     OwnerRef
	Spec      *PodSpec
	// NodeName is the ID of the node the pod is bound to, or NoNode.
	NodeName int32
	Phase    PodPhase
	// Terminating: the pod has a deletionTimestamp. Topology spreading
	// does not count it (podtopologyspread/common.go); inter-pod affinity
	// still does.
	Terminating bool
	// Size is the pod's serialized size in bytes, for write and watch
	// volume accounting.
	Size int32
	// SchedulerName is spec.schedulerName: the scheduler profile that
	// places the pod (None: "default-scheduler").
	SchedulerName Sym

	// Created is metadata.creationTimestamp.
	Created sim.Time
	// DeletionTimestamp (set when Terminating) is when a graceful delete
	// asked the kubelet to stop the pod, DeletionGrace the grace it gave.
	DeletionTimestamp sim.Time
	DeletionGrace     time.Duration
	// Scheduled is the PodScheduled condition (Unknown until the scheduler
	// writes it); Reason and Message are the pod's status reason and
	// message (the scheduler's "Unschedulable" and "0/N nodes are
	// available: ...", the kubelet's "Evicted").
	Scheduled api.ConditionStatus
	Reason    string
	Message   string
	// StartTime is status.startTime: when the kubelet accepted the pod.
	StartTime sim.Time
	// Ready is the pod's Ready condition, ReadySince its lastTransitionTime
	// to True (what minReadySeconds counts from).
	Ready      bool
	ReadySince sim.Time
}

// Bound reports whether the pod has a node.
func (p *Pod) Bound() bool { return p.NodeName != NoNode }

// Finished reports whether the pod reached a terminal phase.
func (p *Pod) Finished() bool { return p.Phase == PodSucceeded || p.Phase == PodFailed }

// HasIP reports whether the pod's status carries its IP: it is bound and
// Running. Upstream's kubelet reports the IP once the sandbox is up, which
// may be while the pod is still Pending; the modeled kubelet writes no
// status between the Pending one before the sandbox and the Running one,
// so Running is when the model's pod IP appears. A terminal pod keeps its
// IP upstream, but no endpoint reads it (ShouldPodBeInEndpoints skips
// terminal pods first).
func (p *Pod) HasIP() bool { return p.Bound() && p.Phase == PodRunning }

// NormalizeImageName adds the ":latest" tag to an image reference that has
// none, as the ImageLocality plugin and the kubelet do
// (imagelocality/image_locality.go normalizedImageName). A reference is
// untagged when its last ":" comes before its last "/" (a registry port, as
// in "host:5000/app").
func NormalizeImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		return name + ":latest"
	}
	return name
}
