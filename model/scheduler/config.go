package scheduler

import (
	"fmt"
	"slices"
)

// Plugin names one of the modeled scheduler framework plugins. The order
// is the default profile's (pkg/scheduler/apis/config/v1/default_plugins.go),
// which is the order the framework runs filters in.
type Plugin uint8

const (
	NodeUnschedulable Plugin = iota
	NodeName
	TaintToleration
	NodeAffinity
	NodeResourcesFit
	PodTopologySpread
	InterPodAffinity
	NodeResourcesBalancedAllocation
	ImageLocality
	NumPlugins
)

var pluginNames = [NumPlugins]string{
	"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
	"NodeResourcesFit", "PodTopologySpread", "InterPodAffinity",
	"NodeResourcesBalancedAllocation", "ImageLocality",
}

func (p Plugin) String() string { return pluginNames[p] }

// PluginSet is a set of plugins, bit p for Plugin p.
type PluginSet uint16

// Has reports whether p is in the set.
func (s PluginSet) Has(p Plugin) bool { return s&(1<<p) != 0 }

// With returns the set with p added.
func (s PluginSet) With(p Plugin) PluginSet { return s | 1<<p }

func pluginSet(ps ...Plugin) PluginSet {
	var s PluginSet
	for _, p := range ps {
		s = s.With(p)
	}
	return s
}

// FilterPlugins are the modeled filter plugins, in the order they run; the
// first to reject a node decides its status (framework.RunFilterPlugins).
var FilterPlugins = []Plugin{
	NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
	NodeResourcesFit, PodTopologySpread, InterPodAffinity,
}

// ScorePlugins are the modeled score plugins, in the default profile's order.
var ScorePlugins = []Plugin{
	TaintToleration, NodeAffinity, NodeResourcesFit, PodTopologySpread,
	InterPodAffinity, NodeResourcesBalancedAllocation, ImageLocality,
}

// MaxNodeScore is the top of every score plugin's normalised range
// (k8s.io/kube-scheduler/framework MaxNodeScore).
const MaxNodeScore int64 = 100

// Defaults of the scheduler (pkg/scheduler/schedule_one.go and
// pkg/scheduler/apis/config/v1/defaults.go).
const (
	// minFeasibleNodesToFind: at least this many nodes are scored each
	// cycle when the cluster has them.
	minFeasibleNodesToFind = 100
	// minFeasibleNodesPercentageToFind floors the adaptive percentage.
	minFeasibleNodesPercentageToFind = 5
	// DefaultHardPodAffinityWeight is InterPodAffinityArgs'
	// hardPodAffinityWeight default (pkg/scheduler/apis/config/v1/defaults.go).
	DefaultHardPodAffinityWeight = 1
	// maxWeight bounds a score weight. It is orrery's limit: upstream's
	// weight is an int32, and the framework refuses only weights whose
	// sum × MaxNodeScore could overflow an int64
	// (pkg/scheduler/framework/runtime/framework.go NewFramework, "total
	// score of Score plugins could overflow").
	maxWeight = 1_000_000
)

// DefaultWeights are the default profile's score weights
// (pkg/scheduler/apis/config/v1/default_plugins.go): TaintToleration 3,
// NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit
// 1, NodeResourcesBalancedAllocation 1, ImageLocality 1.
var DefaultWeights = [NumPlugins]int64{
	TaintToleration:                 3,
	NodeAffinity:                    2,
	NodeResourcesFit:                1,
	PodTopologySpread:               2,
	InterPodAffinity:                2,
	NodeResourcesBalancedAllocation: 1,
	ImageLocality:                   1,
}

// Config is one scheduler profile's settings.
type Config struct {
	// PercentageOfNodesToScore: 0 is the adaptive default (50% minus 1%
	// per 125 nodes, at least 5%); otherwise 1..100.
	PercentageOfNodesToScore int32
	// Weights of the score plugins. 0 turns a plugin's score off, as
	// disabling it in the profile would; filter-only plugins must be 0.
	Weights [NumPlugins]int64
	// HardPodAffinityWeight: how much an existing pod's required affinity
	// that the incoming pod satisfies adds to the InterPodAffinity score
	// (0..100).
	HardPodAffinityWeight int32
	// BalancedAllocationSkipsBestEffort: NodeResourcesBalancedAllocation
	// does not score pods that request no CPU and no memory (v1.33+,
	// kubernetes/kubernetes#130260 fixing #129138).
	BalancedAllocationSkipsBestEffort bool
	// Preemption: the default profile's DefaultPreemption PostFilter runs
	// when no node fits, and its verdict is appended to the FitError
	// message. The model has no pod priorities, so it never finds victims.
	Preemption bool
}

// DefaultConfig returns the default profile of Kubernetes 1.minor.
func DefaultConfig(minor int) Config {
	return Config{
		Weights:                           DefaultWeights,
		HardPodAffinityWeight:             DefaultHardPodAffinityWeight,
		BalancedAllocationSkipsBestEffort: minor >= 33,
		Preemption:                        true,
	}
}

// Validate checks the settings as the scheduler's config validation does
// (pkg/scheduler/apis/config/validation).
func (c *Config) Validate() error {
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		return fmt.Errorf("scheduler: percentageOfNodesToScore %d: must be in 0..100", c.PercentageOfNodesToScore)
	}
	if c.HardPodAffinityWeight < 0 || c.HardPodAffinityWeight > 100 {
		return fmt.Errorf("scheduler: hardPodAffinityWeight %d: must be in 0..100", c.HardPodAffinityWeight)
	}
	for p := Plugin(0); p < NumPlugins; p++ {
		w := c.Weights[p]
		switch {
		case w < 0:
			return fmt.Errorf("scheduler: weight of %s %d: must not be negative", p, w)
		case w > 0 && !slices.Contains(ScorePlugins, p):
			return fmt.Errorf("scheduler: weight of %s: it has no score", p)
		case w > maxWeight:
			return fmt.Errorf("scheduler: weight of %s %d: too large", p, w)
		}
	}
	return nil
}
