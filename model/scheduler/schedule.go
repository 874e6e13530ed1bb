package scheduler

import (
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Result is one scheduling decision. Its slices belong to the Scheduler
// and are overwritten by the next Schedule call; copy what must outlive it.
type Result struct {
	// Node is the chosen node's ID, or objects.NoNode.
	Node int32
	// EvaluatedNodes: nodes the filters ran on; FeasibleNodes: those that
	// passed (schedule_one.go ScheduleResult).
	EvaluatedNodes, FeasibleNodes int
	// Scores of the feasible nodes, in evaluation order. Empty when only
	// one node passed: upstream then skips scoring.
	Scores []NodeScore
	// Rejected: the nodes the filters turned down, in evaluation order.
	Rejected []NodeStatus
	// Skipped holds the score plugins that did not run this cycle (their
	// PreScore skipped them, or their weight is 0).
	Skipped PluginSet
	// Weights are the profile's score weights: plugin p added
	// Normalized[p] × Weights[p] to a node's Total.
	Weights [NumPlugins]int64
	// Ties: how many feasible nodes shared the top total (the winner was
	// drawn uniformly among them).
	Ties int
}

// Scored reports whether score plugin p contributed this cycle.
func (r *Result) Scored(p Plugin) bool { return len(r.Scores) > 0 && !r.Skipped.Has(p) }

// Scheduler decides where pods go: the framework's filter and score
// plugins run over a Snapshot. It keeps upstream's round-robin start index
// between cycles and reuses its buffers, so a cycle allocates nothing per
// node. It is a plain state machine: no clock, no goroutines; its only
// randomness is the tie-break, drawn from the *sim.Rand given to Schedule.
type Scheduler struct {
	cfg Config
	// nextStartNodeIndex is where the next cycle starts walking the node
	// list (schedule_one.go), so that every node gets examined in turn.
	nextStartNodeIndex int

	// The current cycle.
	pod  *objects.Pod
	snap *Snapshot

	// PreFilter state.
	toleratesUnschedulable bool
	spread                 []spreadConstraint
	spreadMaps             []map[objects.Sym]int
	interPod               interPodState

	// Buffers reused across cycles.
	feasible    []int32
	rejected    []NodeStatus
	scores      []NodeScore
	skipped     PluginSet
	tolerations []objects.Toleration
	soft        []*objects.TopologySpreadConstraint
	softCounts  []map[objects.Sym]int64
	softWeights []float64
	ignored     []bool
	topoScore   map[topoPair]int64
}

// New returns a scheduler with the given profile.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Scheduler{cfg: cfg}, nil
}

// Config returns the scheduler's profile.
func (s *Scheduler) Config() Config { return s.cfg }

// NextStartNodeIndex is where the next cycle starts in the node list.
func (s *Scheduler) NextStartNodeIndex() int { return s.nextStartNodeIndex }

// NumFeasibleNodesToFind is how many feasible nodes a cycle looks for
// before it stops filtering (schedule_one.go numFeasibleNodesToFind): all
// nodes below 100; otherwise percentageOfNodesToScore of them, the
// adaptive default being max(5, 50 - n/125) percent, and at least 100.
func (s *Scheduler) NumFeasibleNodesToFind(numAllNodes int32) int32 {
	if numAllNodes < minFeasibleNodesToFind {
		return numAllNodes
	}
	percentage := s.cfg.PercentageOfNodesToScore
	if percentage == 0 {
		percentage = max(int32(50)-numAllNodes/125, minFeasibleNodesPercentageToFind)
	}
	return max(numAllNodes*percentage/100, minFeasibleNodesToFind)
}

// Schedule runs one scheduling cycle for pod over the snapshot, without
// changing it (call Snapshot.Assume to place the pod). It filters nodes
// from the round-robin start until it has found NumFeasibleNodesToFind
// feasible ones, scores them, and picks the highest total, breaking ties
// uniformly at random with rng. If no node fits, the error is a *FitError
// whose message is upstream's "0/N nodes are available: ...".
func (s *Scheduler) Schedule(pod *objects.Pod, snap *Snapshot, rng *sim.Rand) (Result, error) {
	res := Result{Node: objects.NoNode}
	if pod.Spec == nil || !pod.Spec.Finished() {
		return res, ErrUnfinished
	}
	all := snap.List()
	n := len(all)
	if n == 0 {
		return res, ErrNoNodesAvailable
	}
	s.pod, s.snap = pod, snap
	defer func() { s.pod, s.snap = nil, nil }()
	s.preFilter()

	// findNodesThatPassFilters, as upstream runs it with one worker: walk
	// from the start index; a node past the quota that passes ends the
	// walk (it is neither kept nor counted), rejected ones are counted.
	toFind := int(s.NumFeasibleNodesToFind(int32(n)))
	start := s.nextStartNodeIndex % n
	s.feasible, s.rejected = s.feasible[:0], s.rejected[:0]
	for i := 0; i < n; i++ {
		ni := snap.nodes[all[(start+i)%n]]
		st := s.filter(ni)
		if st.Code != Success {
			s.rejected = append(s.rejected, st)
			continue
		}
		if len(s.feasible) == toFind {
			break
		}
		s.feasible = append(s.feasible, ni.Node.ID)
	}
	evaluated := len(s.feasible) + len(s.rejected)
	s.nextStartNodeIndex = (start + evaluated) % n
	res.EvaluatedNodes, res.FeasibleNodes, res.Rejected = evaluated, len(s.feasible), s.rejected

	switch len(s.feasible) {
	case 0:
		fe := &FitError{NumAllNodes: n, Statuses: append([]NodeStatus(nil), s.rejected...), in: snap.in}
		if s.cfg.Preemption {
			fe.PostFilterMsg = preemptionMessage(n, s.rejected)
		}
		return res, fe
	case 1:
		res.Node = s.feasible[0]
		res.Ties = 1
		return res, nil
	}
	s.prioritize()
	res.Scores, res.Skipped, res.Weights = s.scores, s.skipped, s.cfg.Weights
	res.Node, res.Ties = selectHost(s.scores, rng)
	return res, nil
}

// selectHost picks the node with the highest total, choosing uniformly
// among equal totals by reservoir sampling over the evaluation order, as
// selectHost in pkg/scheduler/schedule_one.go did through v1.26: the k-th
// node seen with the top score replaces the pick with probability 1/k.
// (Later releases draw from a heap with a random tie-break key; the
// choice among ties is uniform either way, and upstream's draws come from
// an unseeded generator, so no particular sequence is "the" real one.)
func selectHost(scores []NodeScore, rng *sim.Rand) (node int32, ties int) {
	best := scores[0].Total
	node, ties = scores[0].Node, 1
	for _, ns := range scores[1:] {
		switch {
		case ns.Total > best:
			best, node, ties = ns.Total, ns.Node, 1
		case ns.Total == best:
			ties++
			if rng.IntN(ties) == 0 {
				node = ns.Node
			}
		}
	}
	return node, ties
}

// FirstFit places pod on the first node, from the round-robin start index
// on, that passes every filter, without scoring: the cheap placement of a
// cluster's pre-existing pods at build time (identical pods spread over
// the nodes in turn, as LeastAllocated would spread them). It returns
// objects.NoNode when no node fits.
func (s *Scheduler) FirstFit(pod *objects.Pod, snap *Snapshot) (int32, error) {
	if pod.Spec == nil || !pod.Spec.Finished() {
		return objects.NoNode, ErrUnfinished
	}
	all := snap.List()
	n := len(all)
	if n == 0 {
		return objects.NoNode, nil
	}
	s.pod, s.snap = pod, snap
	defer func() { s.pod, s.snap = nil, nil }()
	s.preFilter()
	start := s.nextStartNodeIndex % n
	for i := 0; i < n; i++ {
		ni := snap.nodes[all[(start+i)%n]]
		if st := s.filter(ni); st.Code == Success {
			s.nextStartNodeIndex = (start + i + 1) % n
			return ni.Node.ID, nil
		}
	}
	return objects.NoNode, nil
}
