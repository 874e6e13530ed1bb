package scheduler

import (
	"math"

	"github.com/orrery-sim/orrery/model/objects"
)

// topoPair is a topology domain: a label key and its value.
type topoPair struct{ key, value objects.Sym }

// spreadConstraint is a DoNotSchedule topology spread constraint with the
// counts PreFilter computed for it (podtopologyspread/filtering.go
// preFilterState, per constraint as in current releases).
type spreadConstraint struct {
	c *objects.TopologySpreadConstraint
	// counts: matching pods per domain value, over eligible nodes; every
	// eligible domain has an entry, zero or not.
	counts    map[objects.Sym]int
	minMatch  int // the global minimum, with minDomains applied
	selfMatch int // 1 if the incoming pod matches its own selector
}

// interPodState is InterPodAffinity's PreFilter state
// (interpodaffinity/filtering.go preFilterState).
type interPodState struct {
	active bool
	// Domains where existing pods' required anti-affinity terms match the
	// incoming pod.
	existingAnti map[topoPair]int64
	// Domains with existing pods matching all of the incoming pod's
	// required affinity terms, and with pods matching each of its required
	// anti-affinity terms.
	affinity, anti map[topoPair]int64
}

// preFilter computes the per-pod state the filters share: the pod's
// tolerance of the unschedulable taint, its spread counts and its
// inter-pod affinity counts. Like upstream's PreFilter, it looks at every
// node, not only those the cycle will evaluate.
func (s *Scheduler) preFilter() {
	spec := s.pod.Spec
	s.toleratesUnschedulable = objects.TolerationsTolerate(spec.Tolerations,
		&objects.Taint{Key: objects.TaintNodeUnschedulable, Effect: objects.NoSchedule})
	s.preFilterSpread()
	s.preFilterInterPod()
}

// countPodsMatchSelector counts the node's pods in namespace ns that the
// selector matches, skipping terminating pods; an empty selector counts
// none (podtopologyspread/common.go countPodsMatchSelector). A one-label
// selector is answered from the node's label index.
func countPodsMatchSelector(ni *NodeInfo, sel *objects.LabelSelector, ns objects.Sym, in *objects.Interner) int {
	if sel == nil || sel.Empty() {
		return 0
	}
	if len(sel.MatchLabels) == 1 && len(sel.MatchExpressions) == 0 {
		l := sel.MatchLabels[0]
		return int(ni.labelCounts[nsLabel{ns, l.Key, l.Value}])
	}
	n := 0
	for _, p := range ni.Pods {
		if p.Terminating || p.Namespace != ns {
			continue
		}
		if sel.Matches(p.Labels, in) {
			n++
		}
	}
	return n
}

// nodeHasKeys reports whether the node has every constraint's topology key
// (nodeLabelsMatchSpreadConstraints).
func nodeHasKeys(ls objects.Labels, cs []objects.TopologySpreadConstraint, want objects.Unsatisfiable) bool {
	for i := range cs {
		if cs[i].WhenUnsatisfiable == want && !ls.Has(cs[i].TopologyKey) {
			return false
		}
	}
	return true
}

func (s *Scheduler) preFilterSpread() {
	spec, in := s.pod.Spec, s.snap.in
	s.spread = s.spread[:0]
	for i := range spec.TopologySpread {
		c := &spec.TopologySpread[i]
		if c.WhenUnsatisfiable != objects.DoNotSchedule {
			continue
		}
		k := len(s.spread)
		if k == len(s.spreadMaps) {
			s.spreadMaps = append(s.spreadMaps, map[objects.Sym]int{})
		}
		m := s.spreadMaps[k]
		clear(m)
		self := 0
		if c.Selector.Matches(s.pod.Labels, in) {
			self = 1
		}
		s.spread = append(s.spread, spreadConstraint{c: c, counts: m, selfMatch: self})
	}
	if len(s.spread) == 0 {
		return
	}
	for _, ni := range s.snap.nodes {
		if ni == nil {
			continue
		}
		n := ni.Node
		// nodeAffinityPolicy Honor: only nodes the pod could land on by
		// its nodeSelector and required node affinity count.
		if !spec.MatchesRequiredNodeAffinity(n.Labels, in) {
			continue
		}
		if !nodeHasKeys(n.Labels, spec.TopologySpread, objects.DoNotSchedule) {
			continue
		}
		for k := range s.spread {
			sc := &s.spread[k]
			v, _ := n.Labels.Get(sc.c.TopologyKey)
			sc.counts[v] += countPodsMatchSelector(ni, sc.c.Selector, s.pod.Namespace, in)
		}
	}
	for k := range s.spread {
		sc := &s.spread[k]
		sc.minMatch = math.MaxInt32
		for _, n := range sc.counts { // a minimum: iteration order does not matter
			sc.minMatch = min(sc.minMatch, n)
		}
		// With fewer eligible domains than minDomains (unset: 1) the
		// global minimum is taken as 0 (preFilterState.minMatchNum).
		if len(sc.counts) < int(max(sc.c.MinDomains, 1)) {
			sc.minMatch = 0
		}
	}
}

func (s *Scheduler) preFilterInterPod() {
	st := &s.interPod
	if st.existingAnti == nil {
		st.existingAnti = map[topoPair]int64{}
		st.affinity = map[topoPair]int64{}
		st.anti = map[topoPair]int64{}
	}
	clear(st.existingAnti)
	clear(st.affinity)
	clear(st.anti)
	pod, spec, in := s.pod, s.pod.Spec, s.snap.in
	if s.snap.podsWithRequiredAnti > 0 {
		for _, ni := range s.snap.nodes {
			if ni == nil || ni.podsWithRequiredAnti == 0 {
				continue
			}
			for _, e := range ni.Pods {
				for i := range e.Spec.PodAntiAffinity.Required {
					t := &e.Spec.PodAntiAffinity.Required[i]
					if !t.MatchesPod(e.Namespace, pod, in) {
						continue
					}
					if v, ok := ni.Node.Labels.Get(t.TopologyKey); ok {
						st.existingAnti[topoPair{t.TopologyKey, v}]++
					}
				}
			}
		}
	}
	aff, anti := spec.PodAffinity.Required, spec.PodAntiAffinity.Required
	if len(aff) > 0 || len(anti) > 0 {
		for _, ni := range s.snap.nodes {
			if ni == nil {
				continue
			}
			for _, e := range ni.Pods {
				if matchesAllTerms(aff, pod.Namespace, e, in) {
					for i := range aff {
						if v, ok := ni.Node.Labels.Get(aff[i].TopologyKey); ok {
							st.affinity[topoPair{aff[i].TopologyKey, v}]++
						}
					}
				}
				for i := range anti {
					if !anti[i].MatchesPod(pod.Namespace, e, in) {
						continue
					}
					if v, ok := ni.Node.Labels.Get(anti[i].TopologyKey); ok {
						st.anti[topoPair{anti[i].TopologyKey, v}]++
					}
				}
			}
		}
	}
	st.active = len(st.existingAnti) > 0 || len(aff) > 0 || len(anti) > 0
}

// matchesAllTerms reports whether p matches every term (false for none)
// (interpodaffinity podMatchesAllAffinityTerms).
func matchesAllTerms(terms []objects.PodAffinityTerm, ownerNS objects.Sym, p *objects.Pod, in *objects.Interner) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].MatchesPod(ownerNS, p, in) {
			return false
		}
	}
	return true
}

// filter runs the filter plugins on one node in the default profile's
// order and returns the first rejection, or a Success status.
func (s *Scheduler) filter(ni *NodeInfo) NodeStatus {
	n, pod, spec, in := ni.Node, s.pod, s.pod.Spec, s.snap.in
	st := NodeStatus{Node: n.ID}
	reject := func(p Plugin, c Code, r Reason) NodeStatus {
		st.Plugin, st.Code = p, c
		st.add(r)
		return st
	}

	// NodeUnschedulable: a cordoned node, unless the pod tolerates the
	// unschedulable taint (nodeunschedulable/node_unschedulable.go).
	if n.Unschedulable && !s.toleratesUnschedulable {
		return reject(NodeUnschedulable, UnschedulableAndUnresolvable, Reason{Kind: ReasonNodeUnschedulable})
	}
	// NodeName: a pod naming a node fits only there.
	if pod.NodeName != objects.NoNode && pod.NodeName != n.ID {
		return reject(NodeName, UnschedulableAndUnresolvable, Reason{Kind: ReasonNodeName})
	}
	// TaintToleration: the first NoSchedule or NoExecute taint the pod does
	// not tolerate (FindMatchingUntoleratedTaint with
	// DoNotScheduleTaintsFilterFunc); PreferNoSchedule only scores.
	for i := range n.Taints {
		t := &n.Taints[i]
		if t.Effect != objects.NoSchedule && t.Effect != objects.NoExecute {
			continue
		}
		if !objects.TolerationsTolerate(spec.Tolerations, t) {
			return reject(TaintToleration, UnschedulableAndUnresolvable, Reason{ReasonUntoleratedTaint, t.Key, t.Value})
		}
	}
	// NodeAffinity: nodeSelector and required node affinity.
	if spec.HasRequiredNodeAffinity() && !spec.MatchesRequiredNodeAffinity(n.Labels, in) {
		return reject(NodeAffinity, UnschedulableAndUnresolvable, Reason{Kind: ReasonNodeAffinity})
	}
	// NodeResourcesFit.
	if code := fitsRequest(ni, spec, &st); st.N > 0 {
		st.Plugin, st.Code = NodeResourcesFit, code
		return st
	}
	// PodTopologySpread: for each DoNotSchedule constraint,
	// matching pods in the node's domain + 1 if the pod matches itself -
	// the global minimum must not exceed maxSkew.
	for k := range s.spread {
		sc := &s.spread[k]
		v, ok := n.Labels.Get(sc.c.TopologyKey)
		if !ok {
			return reject(PodTopologySpread, UnschedulableAndUnresolvable, Reason{Kind: ReasonSpreadMissingLabel})
		}
		if skew := sc.counts[v] + sc.selfMatch - sc.minMatch; skew > int(sc.c.MaxSkew) {
			return reject(PodTopologySpread, Unschedulable, Reason{Kind: ReasonSpreadConstraints})
		}
	}
	// InterPodAffinity.
	if ip := &s.interPod; ip.active {
		if !s.satisfiesPodAffinity(n) {
			return reject(InterPodAffinity, UnschedulableAndUnresolvable, Reason{Kind: ReasonPodAffinity})
		}
		for i := range spec.PodAntiAffinity.Required {
			t := &spec.PodAntiAffinity.Required[i]
			if v, ok := n.Labels.Get(t.TopologyKey); ok && ip.anti[topoPair{t.TopologyKey, v}] > 0 {
				return reject(InterPodAffinity, Unschedulable, Reason{Kind: ReasonPodAntiAffinity})
			}
		}
		if len(ip.existingAnti) > 0 {
			for _, l := range n.Labels {
				if ip.existingAnti[topoPair{l.Key, l.Value}] > 0 {
					return reject(InterPodAffinity, Unschedulable, Reason{Kind: ReasonExistingAntiAffinity})
				}
			}
		}
	}
	return st
}

// fitsRequest is NodeResourcesFit's check (noderesources/fit.go
// fitsRequest, which preCheckForNode's AdmissionCheck runs too): every
// shortage of pods, CPU or memory is a reason added to st; the code is
// UnschedulableAndUnresolvable if one is beyond what preemption could cure
// (the pod asks for more than the node's allocatable).
func fitsRequest(ni *NodeInfo, spec *objects.PodSpec, st *NodeStatus) Code {
	n, code := ni.Node, Unschedulable
	if int64(len(ni.Pods))+1 > n.MaxPods {
		st.add(Reason{Kind: ReasonTooManyPods})
	}
	if req := spec.Requests(); !req.IsZero() {
		if req.MilliCPU > 0 && req.MilliCPU > n.Allocatable.MilliCPU-ni.Requested.MilliCPU {
			st.add(Reason{Kind: ReasonInsufficientCPU})
			if req.MilliCPU > n.Allocatable.MilliCPU {
				code = UnschedulableAndUnresolvable
			}
		}
		if req.Memory > 0 && req.Memory > n.Allocatable.Memory-ni.Requested.Memory {
			st.add(Reason{Kind: ReasonInsufficientMemory})
			if req.Memory > n.Allocatable.Memory {
				code = UnschedulableAndUnresolvable
			}
		}
	}
	return code
}

// satisfiesPodAffinity is interpodaffinity satisfyPodAffinity: the node
// must have every term's topology key, and each term's domain must hold a
// pod matching all terms — unless no such pod exists anywhere and the pod
// matches its own terms (the first of a group that wants to be together).
func (s *Scheduler) satisfiesPodAffinity(n *objects.Node) bool {
	terms := s.pod.Spec.PodAffinity.Required
	podsExist := true
	for i := range terms {
		v, ok := n.Labels.Get(terms[i].TopologyKey)
		if !ok {
			return false
		}
		if s.interPod.affinity[topoPair{terms[i].TopologyKey, v}] <= 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	return len(s.interPod.affinity) == 0 && matchesAllTerms(terms, s.pod.Namespace, s.pod, s.snap.in)
}
