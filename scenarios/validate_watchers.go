package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file checks the churn writers' namespaces and labels and
// spec.workload.watchers.

// Limits on namespaces, labels and watchers.
const (
	// MaxNamespaces is the number of namespaces sig-scalability tests a
	// cluster with (kubernetes/community sig-scalability/configs-and-limits/
	// thresholds.md: 10000).
	MaxNamespaces = 10000
	// MaxShards bounds a churn's shard label values (0 … MaxShards-1): the
	// model keeps the value in 16 bits.
	MaxShards = 65535
	// MaxWatchers bounds the watchers of all groups (an orrery limit:
	// each one is a client with its own connection).
	MaxWatchers = 20000
	// MaxWatcherGroups bounds spec.workload.watchers.
	MaxWatcherGroups = 100
)

// churnNamespaces checks each churn's namespaces and shards, and that no
// two namespaces share a name.
func (v *validator) churnNamespaces(path string, w *Workload) {
	owner := map[string]string{SharedNamespace: "the shared ConfigMaps' namespace"}
	total := 1
	for i := range w.Churn {
		c := &w.Churn[i]
		cp := itemPath(path+".churn", i)
		switch {
		case c.Namespaces == 0 && !v.set[&c.Namespaces]:
			// A scenario built in code: 0 is the default, one namespace.
		case c.Namespaces < 1:
			v.fail(cp+".namespaces", "must be at least 1, got %d", c.Namespaces)
			continue
		case c.Namespaces > MaxNamespaces:
			v.fail(cp+".namespaces", "must be at most %d (sig-scalability's tested number of namespaces), got %d", MaxNamespaces, c.Namespaces)
			continue
		case c.Objects >= 1 && c.Namespaces > c.Objects:
			v.fail(cp+".namespaces", "must be at most objects (%d): each namespace holds at least one object, got %d", c.Objects, c.Namespaces)
		}
		if c.Shards < 0 || c.Shards > MaxShards {
			v.fail(cp+".shards", "must be between 0 (no label) and %d, got %d", MaxShards, c.Shards)
		}
		total += max(c.Namespaces, 1)
		if total > MaxNamespaces {
			v.fail(path+".churn", "%d namespaces in total, more than the maximum of %d", total, MaxNamespaces)
			return
		}
		if slices.IndexFunc(w.Churn[:i], func(o Churn) bool { return o.Name == c.Name }) >= 0 {
			continue // a duplicate churn name, reported already
		}
		for k := 0; k < max(c.Namespaces, 1); k++ {
			ns := c.NamespaceName(k)
			if len(ns) > 63 {
				v.fail(cp+".name", "makes namespace name %q, longer than 63 characters", ns)
				break
			}
			if o, dup := owner[ns]; dup {
				v.fail(cp+".name", "makes namespace %q, which is also %s", ns, o)
				break
			}
			owner[ns] = fmt.Sprintf("a namespace of %s", cp)
		}
	}
}

func (v *validator) watcherGroups(path string, w *Workload, sp *Spec) {
	p := path + ".watchers"
	v.atMost(p, len(w.Watchers), MaxWatcherGroups, "watcher groups")
	first := map[string]int{}
	total := 0
	namespaces := map[string]bool{}
	for _, ns := range w.Namespaces() {
		namespaces[ns] = true
	}
	for i := range w.Watchers {
		g := &w.Watchers[i]
		gp := itemPath(p, i)
		v.dnsLabel(gp+".name", g.Name)
		v.unique(first, p, i, "watcher group name", g.Name)
		switch {
		case g.Count < 1:
			v.fail(gp+".count", "must be at least 1, got %d", g.Count)
			continue
		case g.Count > MaxWatchers:
			v.fail(gp+".count", "must be at most %d, got %d", MaxWatchers, g.Count)
			continue
		}
		total += g.Count
		v.watcherGroup(gp, g, w, sp, namespaces)
	}
	if total > MaxWatchers {
		v.fail(p, "%d watchers in total, more than the maximum of %d", total, MaxWatchers)
	}
}

func (v *validator) watcherGroup(path string, g *WatcherGroup, w *Workload, sp *Spec, namespaces map[string]bool) {
	if !slices.Contains(WatchableResources, g.Resource) {
		v.fail(path+".resource", "unknown resource %q%s; want %s", g.Resource, didYouMean(g.Resource, WatchableResources), quoteList(WatchableResources))
		return
	}
	v.dist(path+".readTime", g.ReadTime)
	if v.nonNegative(path+".start", g.Start) && g.Start >= sp.Duration {
		v.fail(path+".start", "must be before the end of the run (spec.duration %v), got %v", sp.Duration, g.Start)
	}
	v.client(path+".client", &g.Client)
	if v.template(path+".namespace", g.Namespace) && g.Namespace != "" {
		switch g.Resource {
		case "nodes":
			v.fail(path+".namespace", "nodes are cluster-scoped: leave namespace out")
		case "leases":
			v.fail(path+".namespace", "the model's Leases carry no namespace (they are kube-node-lease's): watch all of them, or one by fieldSelector")
		default:
			v.eachWatcher(path+".namespace", g.Namespace, g.Count, func(i int) string {
				if ns := g.NamespaceOf(i); !namespaces[ns] {
					return fmt.Sprintf("watcher %d's namespace %q does not exist%s; the namespaces are %s", i, ns, didYouMean(ns, keys(namespaces)), namespaceList(w))
				}
				return ""
			})
		}
	}
	if v.template(path+".fieldSelector", g.FieldSelector) && g.FieldSelector != "" {
		key, _, ok := strings.Cut(g.FieldSelector, "=")
		switch {
		case !ok || key != "metadata.name":
			v.fail(path+".fieldSelector", "must be metadata.name=<name>, got %q (the model selects objects by name only; for metadata.namespace, use namespace)", g.FieldSelector)
		default:
			v.eachWatcher(path+".fieldSelector", g.FieldSelector, g.Count, func(i int) string { return objectMissing(g, i, w, sp) })
		}
	}
	if v.template(path+".labelSelector", g.LabelSelector) && g.LabelSelector != "" {
		key, value, ok := strings.Cut(g.LabelSelector, "=")
		switch {
		case !ok || key != ShardLabel:
			v.fail(path+".labelSelector", "must be %s=<n>, got %q (the one label the model gives objects: churn object i carries %s=<i mod shards>)", ShardLabel, g.LabelSelector, ShardLabel)
		case g.Resource != "configmaps":
			v.fail(path+".labelSelector", "only churn ConfigMaps carry the %s label, not %s", ShardLabel, g.Resource)
		default:
			v.eachWatcher(path+".labelSelector", g.LabelSelector, g.Count, func(i int) string {
				if n, err := strconv.Atoi(Expand(value, i)); err != nil || n < 0 || n >= MaxShards {
					return fmt.Sprintf("watcher %d's %s value %q is not a whole number from 0 to %d", i, ShardLabel, Expand(value, i), MaxShards-1)
				}
				return ""
			})
		}
	}
}

// template checks that "{i}" is the only brace expression in s.
func (v *validator) template(path, s string) bool {
	if strings.ContainsAny(strings.ReplaceAll(s, "{i}", ""), "{}") {
		v.fail(path, "%q: the only placeholder is {i}, the watcher's index in its group", s)
		return false
	}
	return true
}

// eachWatcher fails path with the first problem check finds for a
// watcher of the group: every watcher if the field's template has {i},
// else the first (they are all the same).
func (v *validator) eachWatcher(path, template string, count int, check func(i int) string) {
	if !strings.Contains(template, "{i}") {
		count = 1
	}
	for i := 0; i < count; i++ {
		if msg := check(i); msg != "" {
			v.fail(path, "%s", msg)
			return
		}
	}
}

// objectMissing explains why watcher i's metadata.name selects no object,
// or returns "".
func objectMissing(g *WatcherGroup, i int, w *Workload, sp *Spec) string {
	name := g.NameOf(i)
	switch g.Resource {
	case "nodes", "leases":
		if why := nodeMissing(name, sp.Cluster.NodePools); why != "" {
			return fmt.Sprintf("watcher %d: %s", i, why)
		}
		return ""
	}
	ns, ok := ConfigMapNamespace(w, name)
	switch {
	case !ok:
		return fmt.Sprintf("watcher %d: no ConfigMap named %q (churn object i is named \"<churn>-<i>\"; the shared ConfigMaps are spec.workload.configMaps)", i, name)
	case g.Namespace != "" && g.NamespaceOf(i) != ns:
		return fmt.Sprintf("watcher %d: ConfigMap %q lives in namespace %q, not %q", i, name, ns, g.NamespaceOf(i))
	}
	return ""
}

// ConfigMapNamespace finds the ConfigMap called name: a shared one, or a
// churn object "<churn>-<i>"; it returns the namespace it lives in.
func ConfigMapNamespace(w *Workload, name string) (ns string, ok bool) {
	if slices.Contains(w.ConfigMaps, name) {
		return SharedNamespace, true
	}
	if c, i, ok := ChurnObject(w, name); ok {
		return c.NamespaceName(i % max(c.Namespaces, 1)), true
	}
	return "", false
}

// ChurnObject finds the churn object called name, "<churn>-<i>".
func ChurnObject(w *Workload, name string) (c *Churn, i int, ok bool) {
	dash := strings.LastIndexByte(name, '-')
	if dash < 0 {
		return nil, 0, false
	}
	i, err := strconv.Atoi(name[dash+1:])
	for k := range w.Churn {
		c := &w.Churn[k]
		if err == nil && c.Name == name[:dash] && i >= 0 && i < c.Objects && strconv.Itoa(i) == name[dash+1:] {
			return c, i, true
		}
	}
	return nil, 0, false
}

// namespaceList names the workload's namespaces briefly.
func namespaceList(w *Workload) string {
	parts := []string{strconv.Quote(SharedNamespace)}
	for i := range w.Churn {
		c := &w.Churn[i]
		switch {
		case c.Namespaces <= 1:
			parts = append(parts, strconv.Quote(c.NamespaceName(0)))
		default:
			parts = append(parts, fmt.Sprintf("%q … %q", c.NamespaceName(0), c.NamespaceName(c.Namespaces-1)))
		}
	}
	return strings.Join(parts, ", ")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
