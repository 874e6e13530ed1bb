package scenarios

import (
	"strings"
	"testing"
	"time"
)

// watcherBase has a churn of 10 objects over 5 namespaces (cm-ns-0 …
// cm-ns-4) with 2 shards, and one watcher group: "- name" at line 21,
// count 22, resource 23; watchers adds fields from line 24.
const watcherBase = base + `  workload:
    churn:
      - name: cm
        objects: 10
        objectBytes: 1Ki
        rate: 5
        namespaces: 5
        shards: 2
    watchers:
      - name: w
        count: 5
        resource: configmaps
`

// group replaces old with new in the watcher group.
func group(old, new string) string {
	i := strings.Index(watcherBase, "    watchers:")
	return watcherBase[:i] + strings.Replace(watcherBase[i:], old, new, 1)
}

func watchers(fields ...string) string {
	return watcherBase + "        " + strings.Join(fields, "\n        ") + "\n"
}

func init() { badCases = append(badCases, watcherBadCases...) }

// watcherBadCases covers the churns' namespaces and shards and
// spec.workload.watchers.
var watcherBadCases = []badCase{
	{"churn namespaces 0", strings.Replace(watcherBase, "namespaces: 5", "namespaces: 0", 1), 18, "spec.workload.churn[0].namespaces", "must be at least 1, got 0"},
	{"churn namespaces over objects", strings.Replace(watcherBase, "namespaces: 5", "namespaces: 11", 1), 18, "spec.workload.churn[0].namespaces",
		"must be at most objects (10): each namespace holds at least one object"},
	{"churn namespaces over the limit", strings.Replace(strings.Replace(watcherBase, "namespaces: 5", "namespaces: 10001", 1), "objects: 10", "objects: 20000", 1), 18,
		"spec.workload.churn[0].namespaces", "must be at most 10000"},
	{"churn namespace clash", strings.Replace(strings.Replace(watcherBase, "name: cm\n", "name: default\n", 1), "    watchers:\n", "      - {name: default-ns-1, objects: 1, objectBytes: 1, rate: 1}\n    watchers:\n", 1), 20,
		"spec.workload.churn[1].name", `makes namespace "default-ns-1", which is also a namespace of spec.workload.churn[0]`},
	{"churn named like the shared namespace", strings.Replace(strings.Replace(watcherBase, "name: cm\n", "name: default\n", 1), "namespaces: 5", "namespaces: 1", 1), 14,
		"spec.workload.churn[0].name", `makes namespace "default", which is also the shared ConfigMaps' namespace`},
	{"churn namespaces in total", strings.Replace(strings.Replace(watcherBase, "namespaces: 5", "namespaces: 10000", 1), "objects: 10", "objects: 10000", 1), 13,
		"spec.workload.churn", "10001 namespaces in total, more than the maximum of 10000"},
	{"churn namespace name too long", strings.Replace(watcherBase, "name: cm\n", "name: "+strings.Repeat("c", 60)+"\n", 1), 14,
		"spec.workload.churn[0].name", "-ns-0\", longer than 63 characters"},
	{"churn shards negative", strings.Replace(watcherBase, "shards: 2", "shards: -1", 1), 19, "spec.workload.churn[0].shards", "must be between 0 (no label) and 65535"},
	{"watchers is a mapping", base + "  workload:\n    watchers: {name: w}\n", 13, "spec.workload.watchers", "expected a list, got a mapping"},
	{"watcher without count", strings.Replace(watcherBase, "        count: 5\n        resource", "        resource", 1), 21, "spec.workload.watchers[0].count", "required field is missing"},
	{"watcher without resource", strings.Replace(watcherBase, "        resource: configmaps\n", "", 1), 21, "spec.workload.watchers[0].resource", "required field is missing"},
	{"watcher unknown field", watchers("namespce: cm-ns-1"), 24, "spec.workload.watchers[0].namespce", `unknown field (did you mean "namespace"?)`},
	{"watcher name not a label", strings.Replace(watcherBase, "- name: w\n", "- name: W\n", 1), 21, "spec.workload.watchers[0].name", "DNS-1123"},
	{"watcher name twice", watcherBase + "      - {name: w, count: 1, resource: nodes}\n", 24,
		"spec.workload.watchers[1].name", `duplicate watcher group name "w" (also spec.workload.watchers[0])`},
	{"watcher count 0", group("count: 5", "count: 0"), 22, "spec.workload.watchers[0].count", "must be at least 1, got 0"},
	{"watcher count over the limit", group("count: 5", "count: 20001"), 22, "spec.workload.watchers[0].count", "must be at most 20000"},
	{"watchers over the limit in total", watcherBase + "      - {name: x, count: 19999, resource: nodes}\n", 20,
		"spec.workload.watchers", "20004 watchers in total, more than the maximum of 20000"},
	{"watcher unknown resource", strings.Replace(watcherBase, "resource: configmaps", "resource: configmap", 1), 23,
		"spec.workload.watchers[0].resource", `unknown resource "configmap" (did you mean "configmaps"?)`},
	{"watcher namespace unknown", watchers("namespace: cm-ns-9"), 24, "spec.workload.watchers[0].namespace",
		`watcher 0's namespace "cm-ns-9" does not exist (did you mean "cm-ns-0"?); the namespaces are "default", "cm-ns-0" … "cm-ns-4"`},
	{"watcher namespace template past the last", strings.Replace(watchers("namespace: cm-ns-{i}"), "count: 5\n        resource", "count: 6\n        resource", 1), 24, "spec.workload.watchers[0].namespace",
		`watcher 5's namespace "cm-ns-5" does not exist`},
	{"watcher bad placeholder", watchers("namespace: cm-ns-{n}"), 24, "spec.workload.watchers[0].namespace", "the only placeholder is {i}"},
	{"watcher namespace on nodes", strings.Replace(watchers("namespace: default"), "resource: configmaps", "resource: nodes", 1), 24,
		"spec.workload.watchers[0].namespace", "nodes are cluster-scoped"},
	{"watcher namespace on leases", strings.Replace(watchers("namespace: default"), "resource: configmaps", "resource: leases", 1), 24,
		"spec.workload.watchers[0].namespace", "the model's Leases carry no namespace"},
	{"watcher field selector on another field", watchers("fieldSelector: spec.nodeName=node-0"), 24, "spec.workload.watchers[0].fieldSelector",
		"must be metadata.name=<name>"},
	{"watcher field selector unknown object", watchers("fieldSelector: metadata.name=cm-10"), 24, "spec.workload.watchers[0].fieldSelector",
		`watcher 0: no ConfigMap named "cm-10"`},
	{"watcher field selector in another namespace", watchers("namespace: cm-ns-1", "fieldSelector: metadata.name=cm-{i}"), 25,
		"spec.workload.watchers[0].fieldSelector", `watcher 0: ConfigMap "cm-0" lives in namespace "cm-ns-0", not "cm-ns-1"`},
	{"watcher field selector unknown node", strings.Replace(strings.Replace(watchers("fieldSelector: metadata.name=node-{i}"), "resource: configmaps", "resource: nodes", 1),
		"count: 5\n        resource", "count: 6\n        resource", 1), 24,
		"spec.workload.watchers[0].fieldSelector", `watcher 5: no node named "node-5": pool "node" has nodes node-0 to node-4`},
	{"watcher label selector on another key", watchers("labelSelector: app=x"), 24, "spec.workload.watchers[0].labelSelector", "must be shard=<n>"},
	{"watcher label selector not a number", watchers("labelSelector: shard=x{i}"), 24, "spec.workload.watchers[0].labelSelector",
		`watcher 0's shard value "x0" is not a whole number`},
	{"watcher label selector on nodes", strings.Replace(watchers("labelSelector: shard=1"), "resource: configmaps", "resource: nodes", 1), 24,
		"spec.workload.watchers[0].labelSelector", "only churn ConfigMaps carry the shard label"},
	{"watcher read time negative", watchers("readTime: -1ms"), 24, "spec.workload.watchers[0].readTime.value", "must not be negative"},
	{"watcher read time unknown kind", watchers("readTime: {kind: pareto, mean: 1ms}"), 24, "spec.workload.watchers[0].readTime.kind", `unknown distribution kind "pareto"`},
	{"watcher start at the end", watchers("start: 5m"), 24, "spec.workload.watchers[0].start", "must be before the end of the run"},
	{"watcher client qps 0", watchers("client: {qps: 0}"), 24, "spec.workload.watchers[0].client.qps", "must not be 0"},
	// The slowWatcher fault at line 25: its fields start at line 27.
	{"slow watcher without watchers", slowFault("readTime: 1s"), 25, "spec.faults[0].watchers", `required field is missing: the watcher groups to slow down, of "w"`},
	{"slow watcher without groups to name", fault("type: slowWatcher", "readTime: 1s"), 13, "spec.faults[0].watchers",
		"slowWatcher needs watcher groups, and spec.workload.watchers has none"},
	{"slow watcher unknown group", slowFault("watchers: [v]", "readTime: 1s"), 27, "spec.faults[0].watchers[0]", `no watcher group named "v" (did you mean "w"?)`},
	{"slow watcher group twice", slowFault("watchers: [w, w]", "readTime: 1s"), 27, "spec.faults[0].watchers[1]", `group "w" is listed twice`},
	{"slow watcher without read time", slowFault("watchers: [w]"), 25, "spec.faults[0].readTime", "required field is missing"},
	{"slow watcher read time 0", slowFault("watchers: [w]", "readTime: 0s"), 28, "spec.faults[0].readTime", "must be greater than 0, got 0s"},
	{"slow watcher with nodes", slowFault("watchers: [w]", "readTime: 1s", "nodes: {names: [node-0]}"), 29, "spec.faults[0].nodes",
		"slowWatcher takes watchers (watcher group names) and readTime, not nodes"},
	{"watchers on another fault", fault("type: stopKubelet", "nodes: {names: [node-0]}", "watchers: [w]"), 16, "spec.faults[0].watchers",
		"only slowWatcher takes watchers, not stopKubelet"},
	{"read time on another fault", fault("type: etcdCompact", "readTime: 1s"), 15, "spec.faults[0].readTime", "only slowWatcher takes readTime, not etcdCompact"},
}

// slowFault appends a slowWatcher fault at 1m to watcherBase: "- at" at
// line 25, its fields from line 27.
func slowFault(fields ...string) string {
	return watcherBase + "  faults:\n    - at: 1m\n      type: slowWatcher\n      " + strings.Join(fields, "\n      ") + "\n"
}

func TestWatcherGroupsParse(t *testing.T) {
	sc, err := Parse("w.yaml", []byte(watchers("namespace: cm-ns-{i}", "labelSelector: shard={i}", "readTime: {kind: uniform, min: 1ms, max: 3ms}", "start: 10s")))
	if err != nil {
		t.Fatal(err)
	}
	w := &sc.Spec.Workload
	if got := w.Namespaces(); strings.Join(got, ",") != "default,cm-ns-0,cm-ns-1,cm-ns-2,cm-ns-3,cm-ns-4" {
		t.Errorf("namespaces %v", got)
	}
	g := w.Watchers[0]
	if g.Line != 21 || g.Count != 5 || g.Resource != "configmaps" || g.Start != 10*time.Second ||
		g.ReadTime != (Dist{Kind: "uniform", Min: time.Millisecond, Max: 3 * time.Millisecond}) || g.Client.QPS != 5 || g.Client.Burst != 10 {
		t.Errorf("group %+v", g)
	}
	if ns, shard, ok := g.NamespaceOf(3), 0, false; ns != "cm-ns-3" {
		t.Errorf("watcher 3's namespace %q", ns)
	} else if shard, ok = g.ShardOf(3); !ok || shard != 3 {
		t.Errorf("watcher 3's shard %d %v", shard, ok)
	}
	if ns, ok := ConfigMapNamespace(w, "cm-7"); !ok || ns != "cm-ns-2" {
		t.Errorf("cm-7 lives in %q %v, want cm-ns-2", ns, ok)
	}
	sc, err = Parse("w.yaml", []byte(slowFault("watchers: [w]", "readTime: 250ms", "duration: 30s")))
	if err != nil {
		t.Fatal(err)
	}
	if f := sc.Spec.Faults[0]; f.Type != FaultSlowWatcher || len(f.Watchers) != 1 || f.Watchers[0] != "w" || f.ReadTime != 250*time.Millisecond || f.Duration != 30*time.Second || f.Line != 25 {
		t.Errorf("fault %+v", f)
	}
	// Defaults: no read time, one namespace named after the churn.
	sc, err = Parse("w.yaml", []byte(strings.Replace(watcherBase, "        namespaces: 5\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c, g := sc.Spec.Workload.Churn[0], sc.Spec.Workload.Watchers[0]; c.Namespaces != 1 || c.NamespaceName(0) != "cm" || g.ReadTime != (Dist{Kind: "constant"}) || g.Start != 0 {
		t.Errorf("defaults: churn %+v, group %+v", c, g)
	}
}
