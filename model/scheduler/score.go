package scheduler

import (
	"math"

	"github.com/orrery-sim/orrery/model/objects"
)

// NodeScore is one feasible node's scores: each plugin's raw score, its
// score normalised to 0..100, and the weighted total.
type NodeScore struct {
	Node       int32
	Raw        [NumPlugins]int64
	Normalized [NumPlugins]int64
	Total      int64
}

// ImageLocality thresholds (imagelocality/image_locality.go): the score
// grows from 0 at 23 MiB of (spread-scaled) local image bytes to 100 at
// 1000 MiB per container.
const (
	mib                   int64 = 1024 * 1024
	minThreshold                = 23 * mib
	maxContainerThreshold       = 1000 * mib
)

// prioritize runs the score plugins over the feasible nodes
// (schedule_one.go prioritizeNodes, framework RunScorePlugins): PreScore
// may skip a plugin for the whole cycle; each plugin's scores are
// normalised over the feasible nodes and multiplied by its weight.
func (s *Scheduler) prioritize() {
	if cap(s.scores) < len(s.feasible) {
		s.scores = make([]NodeScore, len(s.feasible))
	}
	s.scores = s.scores[:len(s.feasible)]
	for i, id := range s.feasible {
		s.scores[i] = NodeScore{Node: id}
	}
	s.skipped = 0
	for _, p := range ScorePlugins {
		if s.cfg.Weights[p] == 0 || !s.scorePlugin(p) {
			s.skipped = s.skipped.With(p)
			continue
		}
		w := s.cfg.Weights[p]
		for i := range s.scores {
			s.scores[i].Total += s.scores[i].Normalized[p] * w
		}
	}
}

// scorePlugin fills in one plugin's raw and normalised scores; false means
// its PreScore skipped it.
func (s *Scheduler) scorePlugin(p Plugin) bool {
	spec := s.pod.Spec
	switch p {
	case TaintToleration:
		s.scoreTaintToleration()
		s.defaultNormalize(p, true)
	case NodeAffinity:
		// PreScore skips a pod without preferred terms.
		if len(spec.NodeAffinity.Preferred) == 0 {
			return false
		}
		for i := range s.scores {
			n := s.snap.nodes[s.scores[i].Node].Node
			var sum int64
			for _, t := range spec.NodeAffinity.Preferred {
				if t.Term.Matches(n.Labels, s.snap.in) {
					sum += int64(t.Weight)
				}
			}
			s.scores[i].Raw[p] = sum
		}
		s.defaultNormalize(p, false)
	case NodeResourcesFit:
		req := spec.NonZeroRequests()
		for i := range s.scores {
			ni := s.snap.nodes[s.scores[i].Node]
			v := leastAllocated(ni.NonZeroRequested.Add(req), ni.Node.Allocatable)
			s.scores[i].Raw[p], s.scores[i].Normalized[p] = v, v
		}
	case NodeResourcesBalancedAllocation:
		req := spec.Requests()
		if s.cfg.BalancedAllocationSkipsBestEffort && req.IsZero() {
			return false
		}
		for i := range s.scores {
			ni := s.snap.nodes[s.scores[i].Node]
			v := balancedAllocation(ni.Requested.Add(req), ni.Node.Allocatable)
			s.scores[i].Raw[p], s.scores[i].Normalized[p] = v, v
		}
	case ImageLocality:
		for i := range s.scores {
			v := s.imageLocality(s.snap.nodes[s.scores[i].Node])
			s.scores[i].Raw[p], s.scores[i].Normalized[p] = v, v
		}
	case PodTopologySpread:
		return s.scoreSpread()
	case InterPodAffinity:
		return s.scoreInterPod()
	}
	return true
}

// defaultNormalize is helper.DefaultNormalizeScore: scale to
// [0, MaxNodeScore] by the highest raw score (integer division), reversed
// if asked; all zero gives 0 (or MaxNodeScore reversed).
func (s *Scheduler) defaultNormalize(p Plugin, reverse bool) {
	var maxCount int64
	for i := range s.scores {
		maxCount = max(maxCount, s.scores[i].Raw[p])
	}
	for i := range s.scores {
		var v int64
		if maxCount == 0 {
			if reverse {
				v = MaxNodeScore
			}
		} else {
			v = MaxNodeScore * s.scores[i].Raw[p] / maxCount
			if reverse {
				v = MaxNodeScore - v
			}
		}
		s.scores[i].Normalized[p] = v
	}
}

// scoreTaintToleration counts each node's PreferNoSchedule taints that the
// pod's PreferNoSchedule (or effect-less) tolerations do not tolerate
// (tainttoleration/taint_toleration.go Score).
func (s *Scheduler) scoreTaintToleration() {
	s.tolerations = s.tolerations[:0]
	for _, t := range s.pod.Spec.Tolerations {
		if t.Effect == objects.EffectAll || t.Effect == objects.PreferNoSchedule {
			s.tolerations = append(s.tolerations, t)
		}
	}
	for i := range s.scores {
		n := s.snap.nodes[s.scores[i].Node].Node
		var count int64
		for j := range n.Taints {
			t := &n.Taints[j]
			if t.Effect == objects.PreferNoSchedule && !objects.TolerationsTolerate(s.tolerations, t) {
				count++
			}
		}
		s.scores[i].Raw[TaintToleration] = count
	}
}

// leastRequestedScore is noderesources/least_allocated.go
// leastRequestedScore: the unused share of capacity, 0..100, truncated.
func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * MaxNodeScore / capacity
}

// leastAllocated is the NodeResourcesFit score with the default
// LeastAllocated strategy, cpu and memory weighted 1 each
// (least_allocated.go leastResourceScorer): the weighted mean of the
// per-resource scores, skipping a resource the node has none of. requested
// is the node's NonZeroRequested plus the pod's non-zero request.
func leastAllocated(requested, alloc objects.Resources) int64 {
	var score, weights int64
	if alloc.MilliCPU != 0 {
		score += leastRequestedScore(requested.MilliCPU, alloc.MilliCPU)
		weights++
	}
	if alloc.Memory != 0 {
		score += leastRequestedScore(requested.Memory, alloc.Memory)
		weights++
	}
	if weights == 0 {
		return 0
	}
	return score / weights
}

// balancedAllocation is NodeResourcesBalancedAllocation
// (balanced_allocation.go balancedResourceScorer): with the pod placed,
// each resource's requested fraction of allocatable (capped at 1); the
// score is (1 - standard deviation) × 100, truncated, which for two
// resources is 100 × (1 - |cpu - memory| / 2). requested is the node's
// Requested (real requests, no defaults) plus the pod's.
func balancedAllocation(requested, alloc objects.Resources) int64 {
	var fractions [2]float64
	n := 0
	for _, r := range [2][2]int64{{requested.MilliCPU, alloc.MilliCPU}, {requested.Memory, alloc.Memory}} {
		if r[1] == 0 {
			continue
		}
		f := float64(r[0]) / float64(r[1])
		if f > 1 {
			f = 1
		}
		fractions[n] = f
		n++
	}
	std := 0.0
	if n == 2 {
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	}
	return int64((1 - std) * float64(MaxNodeScore))
}

// imageLocality is the ImageLocality score (imagelocality/image_locality.go):
// each init and app container whose image the node has adds the image's
// size scaled by the share of all nodes that have it; the sum is clamped
// to [23 MiB, 1000 MiB × containers] and mapped onto 0..100.
func (s *Scheduler) imageLocality(ni *NodeInfo) int64 {
	spec := s.pod.Spec
	total := float64(s.snap.num)
	var sum int64
	add := func(cs []objects.Container) {
		for i := range cs {
			if size, ok := ni.imageSize(cs[i].Image); ok {
				spread := float64(s.snap.imageNodes[cs[i].Image]) / total
				sum += int64(float64(size) * spread)
			}
		}
	}
	add(spec.InitContainers)
	add(spec.Containers)
	maxThreshold := maxContainerThreshold * int64(len(spec.InitContainers)+len(spec.Containers))
	sum = min(max(sum, minThreshold), maxThreshold)
	return MaxNodeScore * (sum - minThreshold) / (maxThreshold - minThreshold)
}

// scoreSpread is PodTopologySpread's PreScore, Score and NormalizeScore
// (podtopologyspread/scoring.go) for ScheduleAnyway constraints; the
// cluster-default constraints are off, so a pod without such constraints
// skips it. A node's raw score sums, per constraint, the matching pods in
// its domain × log(domains + 2) + maxSkew - 1, rounded; fewer pods scores
// higher after normalisation.
func (s *Scheduler) scoreSpread() bool {
	spec, in := s.pod.Spec, s.snap.in
	s.soft = s.soft[:0]
	for i := range spec.TopologySpread {
		if spec.TopologySpread[i].WhenUnsatisfiable == objects.ScheduleAnyway {
			s.soft = append(s.soft, &spec.TopologySpread[i])
		}
	}
	if len(s.soft) == 0 {
		return false
	}
	for len(s.softCounts) < len(s.soft) {
		s.softCounts = append(s.softCounts, map[objects.Sym]int64{})
	}
	if cap(s.ignored) < len(s.scores) {
		s.ignored = make([]bool, len(s.scores))
	}
	s.ignored = s.ignored[:len(s.scores)]
	s.softWeights = s.softWeights[:0]
	// Domains of the feasible nodes; nodes missing a key are ignored.
	numIgnored := 0
	for k := range s.soft {
		clear(s.softCounts[k])
	}
	for i := range s.scores {
		n := s.snap.nodes[s.scores[i].Node].Node
		s.ignored[i] = !nodeHasKeys(n.Labels, spec.TopologySpread, objects.ScheduleAnyway)
		if s.ignored[i] {
			numIgnored++
			continue
		}
		for k, c := range s.soft {
			if c.TopologyKey == objects.LabelHostname {
				continue // counted per node in Score
			}
			v, _ := n.Labels.Get(c.TopologyKey)
			s.softCounts[k][v] += 0
		}
	}
	for k, c := range s.soft {
		size := len(s.softCounts[k])
		if c.TopologyKey == objects.LabelHostname {
			size = len(s.scores) - numIgnored
		}
		s.softWeights = append(s.softWeights, math.Log(float64(size+2)))
	}
	// Matching pods in those domains, over all nodes that pass the pod's
	// required node affinity and have every key.
	for _, ni := range s.snap.nodes {
		if ni == nil {
			continue
		}
		n := ni.Node
		if !spec.MatchesRequiredNodeAffinity(n.Labels, in) || !nodeHasKeys(n.Labels, spec.TopologySpread, objects.ScheduleAnyway) {
			continue
		}
		for k, c := range s.soft {
			if c.TopologyKey == objects.LabelHostname {
				continue
			}
			v, _ := n.Labels.Get(c.TopologyKey)
			if _, ok := s.softCounts[k][v]; ok {
				s.softCounts[k][v] += int64(countPodsMatchSelector(ni, c.Selector, s.pod.Namespace, in))
			}
		}
	}
	// Score.
	for i := range s.scores {
		if s.ignored[i] {
			continue
		}
		ni := s.snap.nodes[s.scores[i].Node]
		var score float64
		for k, c := range s.soft {
			v, _ := ni.Node.Labels.Get(c.TopologyKey)
			var cnt int64
			if c.TopologyKey == objects.LabelHostname {
				cnt = int64(countPodsMatchSelector(ni, c.Selector, s.pod.Namespace, in))
			} else {
				cnt = s.softCounts[k][v]
			}
			score += float64(cnt)*s.softWeights[k] + float64(c.MaxSkew-1)
		}
		s.scores[i].Raw[PodTopologySpread] = int64(math.Round(score))
	}
	// NormalizeScore: MaxNodeScore × (max + min - score) / max; ignored
	// nodes score 0; all zero gives MaxNodeScore.
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i := range s.scores {
		if s.ignored[i] {
			continue
		}
		minScore = min(minScore, s.scores[i].Raw[PodTopologySpread])
		maxScore = max(maxScore, s.scores[i].Raw[PodTopologySpread])
	}
	for i := range s.scores {
		sc := &s.scores[i]
		switch {
		case s.ignored[i]:
			sc.Normalized[PodTopologySpread] = 0
		case maxScore == 0:
			sc.Normalized[PodTopologySpread] = MaxNodeScore
		default:
			sc.Normalized[PodTopologySpread] = MaxNodeScore * (maxScore + minScore - sc.Raw[PodTopologySpread]) / maxScore
		}
	}
	return true
}

// scoreInterPod is InterPodAffinity's PreScore, Score and NormalizeScore
// (interpodaffinity/scoring.go). Each existing pod adds to its node's
// domains: the incoming pod's preferred affinity weights it matches (minus
// anti-affinity), HardPodAffinityWeight for each of its required affinity
// terms the incoming pod matches, and its own preferred (anti-)affinity
// weights the incoming pod matches. A node scores the sum over its
// domains, min-max normalised. Skipped when no term applies anywhere.
func (s *Scheduler) scoreInterPod() bool {
	spec, pod, in := s.pod.Spec, s.pod, s.snap.in
	hasConstraints := len(spec.PodAffinity.Preferred) > 0 || len(spec.PodAntiAffinity.Preferred) > 0
	if !hasConstraints && s.snap.podsWithAffinity == 0 {
		return false
	}
	if s.topoScore == nil {
		s.topoScore = map[topoPair]int64{}
	}
	clear(s.topoScore)
	touched := false
	add := func(t *objects.PodAffinityTerm, weight int64, ownerNS objects.Sym, p *objects.Pod, node *objects.Node) {
		if !t.MatchesPod(ownerNS, p, in) {
			return
		}
		if v, ok := node.Labels.Get(t.TopologyKey); ok {
			s.topoScore[topoPair{t.TopologyKey, v}] += weight
			touched = true
		}
	}
	for _, ni := range s.snap.nodes {
		if ni == nil || (!hasConstraints && ni.podsWithAffinity == 0) {
			continue
		}
		node := ni.Node
		if len(node.Labels) == 0 {
			continue
		}
		for _, e := range ni.Pods {
			if !hasConstraints && !e.Spec.HasPodAffinity() {
				continue
			}
			for _, w := range spec.PodAffinity.Preferred {
				add(&w.Term, int64(w.Weight), pod.Namespace, e, node)
			}
			for _, w := range spec.PodAntiAffinity.Preferred {
				add(&w.Term, -int64(w.Weight), pod.Namespace, e, node)
			}
			if s.cfg.HardPodAffinityWeight > 0 {
				for i := range e.Spec.PodAffinity.Required {
					add(&e.Spec.PodAffinity.Required[i], int64(s.cfg.HardPodAffinityWeight), e.Namespace, pod, node)
				}
			}
			for _, w := range e.Spec.PodAffinity.Preferred {
				add(&w.Term, int64(w.Weight), e.Namespace, pod, node)
			}
			for _, w := range e.Spec.PodAntiAffinity.Preferred {
				add(&w.Term, -int64(w.Weight), e.Namespace, pod, node)
			}
		}
	}
	if !touched {
		return false
	}
	var minCount int64 = math.MaxInt64
	var maxCount int64 = math.MinInt64
	for i := range s.scores {
		n := s.snap.nodes[s.scores[i].Node].Node
		var score int64
		for _, l := range n.Labels {
			score += s.topoScore[topoPair{l.Key, l.Value}]
		}
		s.scores[i].Raw[InterPodAffinity] = score
		minCount = min(minCount, score)
		maxCount = max(maxCount, score)
	}
	diff := maxCount - minCount
	for i := range s.scores {
		var f float64
		if diff > 0 {
			f = float64(MaxNodeScore) * (float64(s.scores[i].Raw[InterPodAffinity]-minCount) / float64(diff))
		}
		s.scores[i].Normalized[InterPodAffinity] = int64(f)
	}
	return true
}
