package reports

import (
	"regexp"
	"strings"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/scenarios"
)

// objectMetrics puts, for a run with pods, the state of the workload's
// named objects at the end of the run — read from storage, the cluster's
// state of record — and the PodLog's times:
//
//   - deployment.<ref>.pods, replicaset.<ref>.pods: the active pods (not
//     finished, not terminating) the object controls at the end, through
//     its ReplicaSets for a Deployment; ….lastPodCreatedSeconds: the
//     newest of those pods' creation times (absent without pods; negative
//     for pods seeded at time 0, which the cluster has run a while);
//   - pod.<ref>.bound, .running, .evicted (0 or 1) at the end, and
//     .boundAtSeconds, .runningAtSeconds, .evictedAtSeconds: when it was
//     first stored so (absent if never), for the workload's bare pods;
//   - node.<name>.pods: the active pods bound to each node at the end, in
//     clusters of at most maxNodeMetrics nodes;
//   - leaderElection.<lock>.lastChangeSeconds: when the Lease of
//     kube-scheduler or kube-controller-manager last changed holder in
//     storage (absent: never held); .changes (pods.go) counts them.
//
// <ref> is the object's name, or namespace/name outside "default".
func objectMetrics(put func(string, float64), c *cluster.Cluster) {
	if c.PodLog == nil {
		return
	}
	w := &c.Scenario.Spec.Workload
	// Active pods by owning ReplicaSet and by node, and their newest
	// creation time per ReplicaSet.
	podsOf := map[int32]int{}
	newestOf := map[int32]float64{}
	onNode := make([]int, len(c.Nodes))
	bare := map[int32]*objects.Pod{}
	c.EachStored(api.Pods, func(o api.Object) {
		p, ok := o.Body.(*objects.Pod)
		if !ok {
			return
		}
		if p.Owner.Kind == objects.NoOwner {
			bare[p.ID] = p
		}
		if p.Finished() || p.Terminating {
			return
		}
		if p.Bound() && int(p.NodeName) < len(onNode) {
			onNode[p.NodeName]++
		}
		if p.Owner.Kind == objects.OwnedByReplicaSet {
			rs, at := p.Owner.ID, p.Created.Seconds()
			if podsOf[rs] == 0 || at > newestOf[rs] {
				newestOf[rs] = at
			}
			podsOf[rs]++
		}
	})
	rsOf := map[int32][]int32{} // Deployment → its ReplicaSets
	c.EachStored(api.ReplicaSets, func(o api.Object) {
		if rs, ok := o.Body.(*objects.ReplicaSet); ok && rs.Owner.Kind == objects.OwnedByDeployment {
			rsOf[rs.Owner.ID] = append(rsOf[rs.Owner.ID], o.ID)
		}
	})
	owned := func(prefix string, rss []int32) {
		n, newest := 0, 0.0
		for _, rs := range rss {
			if k := podsOf[rs]; k > 0 {
				if n == 0 || newestOf[rs] > newest {
					newest = newestOf[rs]
				}
				n += k
			}
		}
		put(prefix+".pods", float64(n))
		if n > 0 {
			put(prefix+".lastPodCreatedSeconds", newest)
		}
	}
	for i := range w.Objects {
		o := &w.Objects[i]
		ref := metricRef(o.Ref())
		switch {
		case o.Deployment != nil:
			owned("deployment."+ref, rsOf[o.Deployment.ID])
		case o.ReplicaSet != nil:
			owned("replicaset."+ref, []int32{o.ReplicaSet.ID})
		}
	}
	for _, r := range c.PodLog.Pods {
		p := "pod." + metricRef(r.Ref)
		cur := bare[r.ID]
		put(p+".bound", boolMetric(cur != nil && cur.Bound()))
		put(p+".running", boolMetric(cur != nil && cur.Phase == objects.PodRunning && !cur.Terminating))
		put(p+".evicted", boolMetric(cur != nil && cur.Phase == objects.PodFailed && cur.Reason == "Evicted"))
		for _, t := range []struct {
			name string
			at   float64
		}{{"boundAtSeconds", r.BoundAt.Seconds()}, {"runningAtSeconds", r.RunningAt.Seconds()}, {"evictedAtSeconds", r.EvictedAt.Seconds()}} {
			if t.at >= 0 {
				put(p+"."+t.name, t.at)
			}
		}
	}
	if len(c.Nodes) <= maxNodeMetrics {
		for id, n := range c.Nodes {
			put("node."+n.Name+".pods", float64(onNode[id]))
		}
	}
	for _, l := range c.PodLog.Leases {
		if l.LastChange >= 0 {
			put("leaderElection."+l.Name+".lastChangeSeconds", l.LastChange.Seconds())
		}
	}
}

// maxNodeMetrics bounds the clusters whose nodes get a metric each: a
// small scenario's story, not a 5000-node table.
const maxNodeMetrics = 100

// metricRef is an object's name in metric names: namespace/name outside
// "default".
func metricRef(r scenarios.ObjectRef) string {
	if r.Namespace == "" || r.Namespace == scenarios.SharedNamespace {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// objectMetricFamilies are the object metrics a run may leave without a
// value (a pod never evicted, a Deployment without pods).
var objectMetricFamilies = []*regexp.Regexp{
	regexp.MustCompile(`^(deployment|replicaset)\.[a-z0-9./-]+\.lastPodCreatedSeconds$`),
	regexp.MustCompile(`^pod\.[a-z0-9./-]+\.(boundAtSeconds|runningAtSeconds|evictedAtSeconds)$`),
	regexp.MustCompile(`^leaderElection\.(kube-scheduler|kube-controller-manager)\.lastChangeSeconds$`),
	regexp.MustCompile(`^node\.[a-z0-9.-]+\.pods$`), // a large cluster's

}

// counterPrefix: "counter.<key>" is the counter <key> of the report's
// counters section (its Prometheus-style key, labels included), looked
// up when an expectation names it.
const counterPrefix = "counter."

// metric is the value of a named metric: one of Metrics, or a counter.
func (r *Report) metric(name string) (float64, bool) {
	if v, ok := r.Metrics[name]; ok {
		return v, true
	}
	if key, ok := strings.CutPrefix(name, counterPrefix); ok {
		if v, ok := r.Counters[key]; ok {
			return float64(v), true
		}
	}
	return 0, false
}

// closestMetric suggests a metric for an unknown name: a counter's key
// for a counter.<key>, else the closest metric.
func (r *Report) closestMetric(name string) string {
	if key, ok := strings.CutPrefix(name, counterPrefix); ok {
		keys := map[string]float64{}
		for k := range r.Counters {
			keys[k] = 0
		}
		if s := closest(key, keys); s != "" {
			return counterPrefix + s
		}
	}
	return closest(name, r.Metrics)
}
