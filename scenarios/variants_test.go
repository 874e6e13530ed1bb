package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// withVariants appends a variants section (and optional expect section)
// to base; its first line is 12.
func withVariants(lines ...string) string {
	return base + strings.Join(lines, "\n") + "\n"
}

const twoVariants = `  variants:
    - name: a
    - name: b
      set:
        cluster.nodePools.0.count: 7
        cluster.kubelet.nodeStatusUpdateFrequency: 20s
        workload.churn: [{name: c, objects: 3, objectBytes: 100, rate: 2, start: 1s}]`

func TestVariantRuns(t *testing.T) {
	doc := withVariants(twoVariants,
		"  expect:",
		"    - metric: nodes.total",
		"      min: 1",
		"    - metric: nodes.total",
		"      variant: b",
		"      min: 7",
		"    - metric: nodes.total",
		"      variant: b",
		"      relativeTo: a",
		"      min: 1.4",
	)
	s, err := Parse("v.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	runs := s.Runs()
	if len(runs) != 2 || runs[0].VariantName != "a" || runs[1].VariantName != "b" {
		t.Fatalf("runs = %d, names %q", len(runs), []string{runs[0].VariantName, runs[1].VariantName})
	}
	a, b := runs[0].Spec, runs[1].Spec
	if a.Cluster.NodePools[0].Count != 5 || b.Cluster.NodePools[0].Count != 7 {
		t.Errorf("counts = %d, %d; want 5, 7", a.Cluster.NodePools[0].Count, b.Cluster.NodePools[0].Count)
	}
	if a.Cluster.Kubelet.NodeStatusUpdateFrequency != 10*time.Second || b.Cluster.Kubelet.NodeStatusUpdateFrequency != 20*time.Second {
		t.Errorf("status frequency = %v, %v", a.Cluster.Kubelet.NodeStatusUpdateFrequency, b.Cluster.Kubelet.NodeStatusUpdateFrequency)
	}
	// A variant is decoded as if its settings were written in the file:
	// the report frequency follows an explicit update frequency
	// (TestReportFrequencyFollowsUpdateFrequency) in b, not in a.
	if a.Cluster.Kubelet.NodeStatusReportFrequency != 5*time.Minute || b.Cluster.Kubelet.NodeStatusReportFrequency != 20*time.Second {
		t.Errorf("report frequency = %v, %v; want 5m, 20s", a.Cluster.Kubelet.NodeStatusReportFrequency, b.Cluster.Kubelet.NodeStatusReportFrequency)
	}
	if len(a.Workload.Churn) != 0 || len(b.Workload.Churn) != 1 || b.Workload.Churn[0].Rate != 2 {
		t.Errorf("churn: a %+v, b %+v", a.Workload.Churn, b.Workload.Churn)
	}
	// Each run keeps the checks that are its own; the ratio stays with
	// the comparison.
	if len(a.Expect) != 1 || len(b.Expect) != 2 || b.Expect[1].Index != 1 {
		t.Errorf("expectations: a %+v, b %+v", a.Expect, b.Expect)
	}
	if a.Variants != nil || b.Variants != nil || len(s.Spec.Expect) != 3 {
		t.Errorf("runs must not carry variants; the scenario keeps every check")
	}
	if got := s.Spec.Variants[1].Set[2].Value; !strings.HasPrefix(got, "[{name: c") {
		t.Errorf("setting text = %q", got)
	}
	s.SetSeed(9)
	if runs[0].Spec.Seed != 9 || runs[1].Spec.Seed != 9 {
		t.Errorf("SetSeed did not reach the runs")
	}
	// Without variants, the scenario is its own run.
	plain, err := Parse("p.yaml", []byte(base))
	if err != nil || len(plain.Runs()) != 1 || plain.Runs()[0] != plain {
		t.Fatalf("plain scenario runs: %v %v", plain.Runs(), err)
	}
}

func init() { badCases = append(badCases, variantBadCases...) }

// variantBadCases covers spec.variants, their settings and the
// expectations that name variants.
var variantBadCases = []badCase{
	{"one variant", withVariants("  variants:", "    - name: a"), 12, "spec.variants", "at least two variants"},
	{"duplicate variant", withVariants("  variants:", "    - name: a", "    - name: a"), 14, "spec.variants[1].name", "duplicate"},
	{"variant name", withVariants("  variants:", "    - name: A_1", "    - name: b"), 13, "spec.variants[0].name", "DNS-1123"},
	{"unknown variant key", withVariants("  variants:", "    - name: a", "      sett: {}", "    - name: b"), 14, "spec.variants[0].sett", `did you mean "set"`},
	{"set is a list", withVariants("  variants:", "    - name: a", "      set: [x]", "    - name: b"), 14, "spec.variants[0].set", "a mapping of field paths"},
	{"empty path element", withVariants("  variants:", "    - name: a", "      set: {cluster..x: 1}", "    - name: b"), 14, "spec.variants[0].set.cluster..x", "a field path"},
	{"set variants", withVariants("  variants:", "    - name: a", "      set: {variants.0.name: c}", "    - name: b"), 14, "spec.variants[0].set.variants.0.name", "cannot change spec.variants"},
	{"set without value", withVariants("  variants:", "    - name: a", "      set: {duration: }", "    - name: b"), 14, "spec.variants[0].set.duration", "give the value"},
	{"unknown field in path", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        cluster.kubelet.jiter: false"), 16,
		"spec.cluster.kubelet.jiter", `unknown field (did you mean "jitter"?) (in variant "b")`},
	{"bad value", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        cluster.nodePools.0.count: lots"), 16,
		"spec.cluster.nodePools[0].count", `expected an integer`},
	{"impossible value", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        duration: -5m"), 16,
		"spec.duration", `must be greater than 0, got -5m0s (in variant "b")`},
	{"index out of range", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        cluster.nodePools.3.count: 1"), 16,
		"spec.variants[1].set.cluster.nodePools.3.count", "cluster.nodePools has 1 items; there is no item 3"},
	{"name on a list", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        cluster.nodePools.first.count: 1"), 16,
		"spec.variants[1].set.cluster.nodePools.first.count", "is a list"},
	{"into a value", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        duration.hours: 1"), 16,
		"spec.variants[1].set.duration.hours", "duration holds a single value"},
	{"expect unknown variant", withVariants("  variants:", "    - name: a", "    - name: b", "  expect:", "    - metric: nodes.total", "      variant: c", "      min: 1"), 17,
		"spec.expect[0].variant", `no variant named "c"`},
	{"expect relativeTo alone", withVariants("  variants:", "    - name: a", "    - name: b", "  expect:", "    - metric: nodes.total", "      relativeTo: a", "      min: 1"), 17,
		"spec.expect[0].relativeTo", "needs variant"},
	{"expect relativeTo itself", withVariants("  variants:", "    - name: a", "    - name: b", "  expect:", "    - metric: nodes.total", "      variant: a", "      relativeTo: a", "      min: 1"), 18,
		"spec.expect[0].relativeTo", "another variant"},
	{"expect variant without variants", withVariants("  expect:", "    - metric: nodes.total", "      variant: a", "      min: 1"), 14,
		"spec.expect[0].variant", "no variants"},
	{"variant not a mapping", withVariants("  variants:", "    - a", "    - name: b"), 13, "spec.variants[0]", `expected a mapping, got the string "a"`},
	{"too many variants", withVariants("  variants: " + flowList(MaxVariants+1, func(i int) string { return fmt.Sprintf("{name: v%d}", i) })), 12,
		"spec.variants", "at most 16 variants (each is a full run), got 17"},
	{"setting twice", withVariants("  variants:", "    - name: a", "      set:", "        seed: 1", "        seed: 2", "    - name: b"), 16,
		"spec.variants[0].set.seed", "duplicate key (first set at line 15)"},
	{"setting key not a string", withVariants("  variants:", "    - name: a", "      set: {1: x}", "    - name: b"), 14, "spec.variants[0].set", "keys must be strings"},
	{"path starts with an index", withVariants("  variants:", "    - name: a", "      set: {0.count: 1}", "    - name: b"), 14,
		"spec.variants[0].set.0.count", "a path under spec starts with a field name"},
	{"index into a mapping", withVariants("  variants:", "    - name: a", "    - name: b", "      set:", "        cluster.0: 1"), 16,
		"spec.variants[1].set.cluster.0", `cluster is a mapping: "0" is not a field name`},
}

// A setting below an alias changes that place only, not the anchor.
func TestVariantSettingBelowAnAlias(t *testing.T) {
	doc := base + `    etcd:
      walFsync: &d {kind: constant, value: 2ms}
      backendCommit: *d
  variants:
    - name: a
    - name: b
      set:
        cluster.etcd.backendCommit.value: 5ms
`
	s, err := Parse("v.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Runs()[0].Spec.Cluster.Etcd, s.Runs()[1].Spec.Cluster.Etcd
	if a.BackendCommit.Value != 2*time.Millisecond || b.BackendCommit.Value != 5*time.Millisecond || b.WALFsync.Value != 2*time.Millisecond {
		t.Errorf("a %v/%v, b %v/%v", a.WALFsync.Value, a.BackendCommit.Value, b.WALFsync.Value, b.BackendCommit.Value)
	}
}

// A setting may replace a whole list item, and fill in a mapping the file
// left empty.
func TestVariantSettingReplacesAnItemAndFillsAnEmptyMapping(t *testing.T) {
	doc := base + `    kubelet:
  faults:
    - {at: 1m, type: stopKubelet, nodes: {names: [node-0]}}
  variants:
    - name: a
    - name: b
      set:
        faults.0: {at: 2m, type: restartKubelet, nodes: {pool: node}}
        cluster.kubelet.jitter: false
`
	s, err := Parse("v.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Runs()[0].Spec, s.Runs()[1].Spec
	if fa, fb := a.Faults[0], b.Faults[0]; fa.Type != FaultStopKubelet || fa.At != time.Minute ||
		fb.Type != FaultRestartKubelet || fb.At != 2*time.Minute || fb.Nodes.Pool != "node" || fb.Line != 19 {
		t.Errorf("faults: a %+v, b %+v", fa, fb)
	}
	if !*a.Cluster.Kubelet.Jitter || *b.Cluster.Kubelet.Jitter {
		t.Errorf("kubelet jitter: a %v, b %v", *a.Cluster.Kubelet.Jitter, *b.Cluster.Kubelet.Jitter)
	}
}
