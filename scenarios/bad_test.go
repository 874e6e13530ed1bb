package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// base is a minimal valid scenario. Cases that append to it start at line 12.
const base = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: t
spec:
  duration: 5m
  cluster:
    nodePools:
      - name: node
        count: 5
        zones: [zone-a, zone-b]
`

// badCase is a scenario that must fail, and where and why.
type badCase struct {
	name   string
	yaml   string
	line   int
	field  string
	phrase string
}

// badCases covers the problems Parse must report. Each names the first
// error expected: its line, field path and a key phrase of the message.
var badCases = []badCase{
	{"empty file", "", 1, "", "empty scenario"},
	{"comments only", "# nothing here\n", 1, "", "empty scenario"},
	{"invalid YAML", "apiVersion: [a\n", 1, "", "invalid YAML"},
	{"top level is a list", "- a\n- b\n", 1, "", "expected a mapping at the top level"},
	{"two YAML documents", base + "---\n" + base, 12, "", "a second YAML document"},
	{"unknown top-level field", base + "extra: 1\n", 12, "extra", "unknown field"},
	{"unknown nested field with suggestion", base + "    apiServr:\n      queueLength: 5\n", 12,
		"spec.cluster.apiServr", `unknown field (did you mean "apiServer"?)`},
	{"case-only typo", base + "  Seed: 3\n", 12, "spec.Seed", `did you mean "seed"?`},
	{"duplicate key", base + "  duration: 1m\n", 12, "spec.duration", "duplicate key (first set at line 6)"},
	{"merge key", base + "  <<: {seed: 2}\n", 12, "spec", "merge keys (<<) are not supported"},
	{"non-string key", base + "  1: x\n", 12, "spec", "keys must be strings"},
	{"wrong apiVersion", strings.Replace(base, "orrery.dev/v1alpha1", "v1", 1), 1, "apiVersion", `must be "orrery.dev/v1alpha1", got "v1"`},
	{"wrong kind", strings.Replace(base, "kind: Scenario", "kind: Pod", 1), 2, "kind", `must be "Scenario", got "Pod"`},
	{"missing apiVersion", strings.Replace(base, "apiVersion: orrery.dev/v1alpha1\n", "", 1), 1, "apiVersion", "required field is missing"},
	{"empty name", strings.Replace(base, "name: t\n", "name:\n", 1), 4, "metadata.name", "required field is empty"},
	{"missing name", strings.Replace(base, "name: t\n", "description: x\n", 1), 3, "metadata.name", "required field is missing"},
	{"bad name", strings.Replace(base, "name: t\n", "name: My_Scenario\n", 1), 4, "metadata.name", "DNS-1123"},
	{"name too long", strings.Replace(base, "name: t\n", "name: "+strings.Repeat("a", 64)+"\n", 1), 4, "metadata.name", "at most 63 characters"},
	{"missing duration", strings.Replace(base, "  duration: 5m\n", "", 1), 5, "spec.duration", "required field is missing"},
	{"negative duration", strings.Replace(base, "duration: 5m", "duration: -5m", 1), 6, "spec.duration", "must be greater than 0, got -5m0s"},
	{"zero duration", strings.Replace(base, "duration: 5m", "duration: 0s", 1), 6, "spec.duration", "must be greater than 0"},
	{"duration over 24h", strings.Replace(base, "duration: 5m", "duration: 25h", 1), 6, "spec.duration", "must be at most 24h0m0s"},
	{"bare-integer duration", strings.Replace(base, "duration: 5m", "duration: 300", 1), 6, "spec.duration", "write 300s, not 300"},
	{"bad duration unit", strings.Replace(base, "duration: 5m", "duration: 5 minutes", 1), 6, "spec.duration", `invalid duration "5 minutes"`},
	{"negative seed", base + "  seed: -1\n", 12, "spec.seed", "must not be negative, got -1"},
	{"string seed", base + "  seed: abc\n", 12, "spec.seed", `expected a non-negative integer, got the string "abc"`},
	{"string where int expected", strings.Replace(base, "count: 5", "count: five", 1), 10,
		"spec.cluster.nodePools[0].count", `expected an integer, got the string "five"`},
	{"quoted int", strings.Replace(base, "count: 5", `count: "5"`, 1), 10, "spec.cluster.nodePools[0].count", "expected an integer"},
	{"negative count", strings.Replace(base, "count: 5", "count: -3", 1), 10,
		"spec.cluster.nodePools[0].count", "must be at least 1, got -3"},
	{"zero count", strings.Replace(base, "count: 5", "count: 0", 1), 10, "spec.cluster.nodePools[0].count", "must be at least 1, got 0"},
	{"count overflows int", strings.Replace(base, "count: 5", "count: 99999999999999999999", 1), 10, "spec.cluster.nodePools[0].count", "out of range"},
	{"too many nodes", strings.Replace(base, "count: 5", "count: 100001", 1), 10, "spec.cluster.nodePools[0].count", "at most 100000"},
	{"too many nodes in total", base + "      - name: more\n        count: 99999\n", 8, "spec.cluster.nodePools", "100004 nodes in total"},
	{"no node pools", strings.Replace(base, "    nodePools:\n      - name: node\n        count: 5\n        zones: [zone-a, zone-b]\n", "    nodePools: []\n", 1),
		8, "spec.cluster.nodePools", "at least one node pool"},
	{"missing nodePools", strings.Replace(base, "    nodePools:\n      - name: node\n        count: 5\n        zones: [zone-a, zone-b]\n", "    kubelet: {}\n", 1),
		7, "spec.cluster.nodePools", "required field is missing"},
	{"duplicate pool name", base + "      - name: node\n        count: 1\n", 12, "spec.cluster.nodePools[1].name", `duplicate pool name "node"`},
	{"pool name not a label", strings.Replace(base, "- name: node", "- name: Node", 1), 9, "spec.cluster.nodePools[0].name", "DNS-1123"},
	{"pool is not a mapping", strings.Replace(base, "- name: node\n        count: 5\n        zones: [zone-a, zone-b]\n", "- node\n", 1), 9,
		"spec.cluster.nodePools[0]", `expected a mapping, got the string "node"`},
	{"zones empty", strings.Replace(base, "[zone-a, zone-b]", "[]", 1), 11, "spec.cluster.nodePools[0].zones", "at least one zone"},
	{"zone duplicated", strings.Replace(base, "[zone-a, zone-b]", "[zone-a, zone-a]", 1), 11, "spec.cluster.nodePools[0].zones[1]", `duplicate zone "zone-a"`},
	{"zone not a string", strings.Replace(base, "[zone-a, zone-b]", "[zone-a, [x]]", 1), 11, "spec.cluster.nodePools[0].zones[1]", "expected a string, got a list"},
	{"zones is a mapping", strings.Replace(base, "[zone-a, zone-b]", "{a: b}", 1), 11, "spec.cluster.nodePools[0].zones", "expected a list, got a mapping"},
	{"bad quantity", base + "        cpu: 1.2.3\n", 12, "spec.cluster.nodePools[0].cpu", `invalid quantity "1.2.3"`},
	{"negative quantity", base + "        memory: -1Gi\n", 12, "spec.cluster.nodePools[0].memory", "must not be negative, got -1Gi"},
	{"zero quantity", base + "        cpu: 0\n", 12, "spec.cluster.nodePools[0].cpu", "must be greater than 0"},
	{"quantity unknown suffix", base + "        memory: 1Zi\n", 12, "spec.cluster.nodePools[0].memory", `unknown suffix "Zi"`},
	{"quantity too large", base + "        memory: 9Ei\n", 12, "spec.cluster.nodePools[0].memory", "too large"},
	{"non-mapping spec", strings.Replace(base, "spec:\n", "spec: [1]\nx:\n", 1), 5, "spec", "expected a mapping, got a list"},
	{"non-mapping cluster", strings.Replace(base, "  cluster:\n", "  cluster: big\n  x:\n", 1), 7, "spec.cluster", `expected a mapping, got the string "big"`},
	{"bad kubernetesVersion", base + `  kubernetesVersion: "1.40"` + "\n", 12, "spec.kubernetesVersion", `unsupported version "1.40"`},
	{"kubernetesVersion 1.16", base + `  kubernetesVersion: "1.16"` + "\n", 12, "spec.kubernetesVersion", "supported: 1.20 to 1.35"},
	{"kubernetesVersion major 2", base + "  kubernetesVersion: v2.31.0\n", 12, "spec.kubernetesVersion", "unsupported version"},
	{"kubernetesVersion garbage", base + "  kubernetesVersion: latest\n", 12, "spec.kubernetesVersion", `invalid version "latest"`},
	{"bad dist kind", base + "    storage:\n      commitLatency: {kind: gaussian, mean: 1ms}\n", 13,
		"spec.cluster.storage.commitLatency.kind", `unknown distribution kind "gaussian"`},
	{"dist kind typo", base + "    storage:\n      commitLatency: {kind: lognormall, median: 1ms, p99: 2ms}\n", 13,
		"spec.cluster.storage.commitLatency.kind", `did you mean "lognormal"?`},
	{"dist without kind", base + "    storage:\n      readLatency:\n        mean: 1ms\n", 13,
		"spec.cluster.storage.readLatency.kind", "required field is missing"},
	{"dist with extra key", base + "    storage:\n      commitLatency:\n        kind: exponential\n        mean: 1ms\n        median: 2ms\n", 16,
		"spec.cluster.storage.commitLatency.median", `not a parameter of kind "exponential" (it takes "mean")`},
	{"dist missing parameter", base + "    network:\n      latency: {kind: uniform, min: 1ms}\n", 13,
		"spec.cluster.network.latency.max", `required for kind "uniform"`},
	{"dist unknown key", base + "    network:\n      latency: {kind: constant, valeu: 1ms}\n", 13,
		"spec.cluster.network.latency.valeu", `did you mean "value"?`},
	{"dist is a list", base + "    network:\n      latency: [1ms]\n", 13, "spec.cluster.network.latency", "a duration such as \"2ms\" or a mapping with a kind"},
	{"dist bare number", base + "    network:\n      latency: 2\n", 13, "spec.cluster.network.latency", "write 2s, not 2"},
	{"lognormal p99 < median", base + "    storage:\n      commitLatency:\n        kind: lognormal\n        median: 5ms\n        p99: 2ms\n", 16,
		"spec.cluster.storage.commitLatency.p99", "must be at least median (5ms), got 2ms"},
	{"uniform min > max", base + "    network:\n      latency: {kind: uniform, min: 2ms, max: 1ms}\n", 13,
		"spec.cluster.network.latency.min", "must not exceed max (1ms), got 2ms"},
	{"exponential mean 0", base + "    network:\n      latency: {kind: exponential, mean: 0}\n", 13,
		"spec.cluster.network.latency.mean", "must be greater than 0"},
	{"normal negative stddev", base + "    network:\n      latency: {kind: normal, mean: 1ms, stddev: -1ms}\n", 13,
		"spec.cluster.network.latency.stddev", "must not be negative"},
	{"loss >= 1", base + "    network:\n      loss: 1\n", 13, "spec.cluster.network.loss", "less than 1, got 1"},
	{"negative loss", base + "    network:\n      loss: -0.1\n", 13, "spec.cluster.network.loss", "at least 0"},
	{"loss nan", base + "    network:\n      loss: .nan\n", 13, "spec.cluster.network.loss", "finite number"},
	{"loss as string", base + "    network:\n      loss: 10%\n", 13, "spec.cluster.network.loss", `expected a number, got the string "10%"`},
	{"jitter yes", base + "    kubelet:\n      jitter: yes\n", 13, "spec.cluster.kubelet.jitter", "expected true or false"},
	{"zero lease duration", base + "    kubelet:\n      nodeLeaseDuration: 0s\n", 13, "spec.cluster.kubelet.nodeLeaseDuration", "must be greater than 0"},
	{"grace not above monitor", base + "    nodeLifecycle:\n      gracePeriod: 5s\n", 13,
		"spec.cluster.nodeLifecycle.gracePeriod", "must be greater than monitorPeriod (5s), got 5s"},
	{"monitor above default grace", base + "    nodeLifecycle:\n      monitorPeriod: 1m\n", 13,
		"spec.cluster.nodeLifecycle.monitorPeriod", "must be less than gracePeriod (40s), got 1m0s"},
	{"qps 0", base + "    clients:\n      kubelet:\n        qps: 0\n", 14,
		"spec.cluster.clients.kubelet.qps", "use a negative qps to disable throttling"},
	{"burst 0 with qps", base + "    clients:\n      controllerManager:\n        burst: 0\n", 14,
		"spec.cluster.clients.controllerManager.burst", "must be at least 1 when qps > 0, got 0"},
	{"negative client timeout", base + "    clients:\n      heartbeat:\n        timeout: -1s\n", 14,
		"spec.cluster.clients.heartbeat.timeout", "must not be negative"},
	{"apiserver inflight 0", base + "    apiServer:\n      maxRequestsInflight: 0\n", 13,
		"spec.cluster.apiServer.maxRequestsInflight", "must be at least 1, got 0"},
	{"unknown zone in fault selector", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {zone: zone-c}\n", 15,
		"spec.faults[0].nodes.zone", `no node pool has zone "zone-c"`},
	{"unknown pool in fault selector", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {pool: nodes}\n", 15,
		"spec.faults[0].nodes.pool", `no node pool named "nodes" (did you mean "node"?)`},
	{"unknown node name", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes:\n        names: [node-1, node-5]\n", 16,
		"spec.faults[0].nodes.names[1]", `no node named "node-5": pool "node" has nodes node-0 to node-4`},
	{"node name with leading zero", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {names: [node-01]}\n", 15,
		"spec.faults[0].nodes.names[0]", `no node named "node-01"`},
	{"node name of unknown pool", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {names: [worker-1]}\n", 15,
		"spec.faults[0].nodes.names[0]", `there is no pool "worker"`},
	{"names with pool", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {names: [node-1], pool: node}\n", 15,
		"spec.faults[0].nodes.names", "cannot be combined with pool or zone"},
	{"empty selector", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {}\n", 15,
		"spec.faults[0].nodes", "select nodes by names, pool or zone"},
	{"selector count 0", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {pool: node, count: 0}\n", 15,
		"spec.faults[0].nodes.count", "must be at least 1, got 0"},
	{"selector count too big", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      nodes: {zone: zone-b, count: 3}\n", 15,
		"spec.faults[0].nodes.count", "only 2 nodes match, got count 3"},
	{"unknown fault type", base + "  faults:\n    - at: 1m\n      type: stopKublet\n      nodes: {pool: node}\n", 14,
		"spec.faults[0].type", `unknown fault type "stopKublet" (did you mean "stopKubelet"?)`},
	{"partition without duration", base + "  faults:\n    - at: 1m\n      type: partition\n      nodes: {pool: node}\n", 13,
		"spec.faults[0].duration", "required for partition"},
	{"restartKubelet with duration", base + "  faults:\n    - at: 1m\n      type: restartKubelet\n      nodes: {pool: node}\n      duration: 1m\n", 16,
		"spec.faults[0].duration", "takes no duration"},
	{"fault at after spec.duration", base + "  faults:\n    - at: 10m\n      type: stopKubelet\n      nodes: {pool: node}\n", 13,
		"spec.faults[0].at", "must be before the end of the run (spec.duration 5m0s), got 10m0s"},
	{"fault at equal to spec.duration", base + "  faults:\n    - at: 5m\n      type: stopKubelet\n      nodes: {pool: node}\n", 13,
		"spec.faults[0].at", "must be before the end of the run"},
	{"fault missing nodes", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n", 13, "spec.faults[0].nodes", "required field is missing"},
	{"faults is a mapping", base + "  faults:\n    at: 1m\n", 13, "spec.faults", "expected a list, got a mapping"},
	{"expect without min/max", base + "  expect:\n    - metric: nodes.notReadyTransitions\n", 13, "spec.expect[0]", "give min, max or both"},
	{"expect min > max", base + "  expect:\n    - metric: m\n      min: 2\n      max: 1\n", 14, "spec.expect[0].min", "must not exceed max (1), got 2"},
	{"expect min > max as durations", base + "  expect:\n    - metric: m\n      min: 2s\n      max: 1500ms\n", 14, "spec.expect[0].min", "must not exceed max (1.5), got 2"},
	{"expect empty metric", base + "  expect:\n    - metric: \"\"\n      max: 1\n", 13, "spec.expect[0].metric", "must be a metric name"},
	{"expect bad bound", base + "  expect:\n    - metric: m\n      max: soon\n", 14, "spec.expect[0].max", `expected a number or a duration such as "1s", got "soon"`},
	{"expect missing metric", base + "  expect:\n    - max: 1\n", 13, "spec.expect[0].metric", "required field is missing"},
}

func TestParseRejects(t *testing.T) {
	if len(badCases) < 25 {
		t.Fatalf("only %d bad cases", len(badCases))
	}
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if s != nil {
				t.Errorf("Parse returned a scenario with an error")
			}
			var first *Error
			if !errors.As(err, &first) {
				t.Fatalf("error %q is not a *Error", err)
			}
			if first.File != "bad.yaml" || first.Line != tc.line || first.Field != tc.field || !strings.Contains(first.Msg, tc.phrase) {
				t.Errorf("first error:\n  %v\nwant bad.yaml:%d: %s: ...%s...\nall errors:\n%v", first, tc.line, tc.field, tc.phrase, err)
			}
			prefix := fmt.Sprintf("bad.yaml:%d: ", tc.line)
			if tc.field != "" {
				prefix += tc.field + ": "
			}
			if !strings.HasPrefix(first.Error(), prefix) {
				t.Errorf("message %q does not start with %q", first.Error(), prefix)
			}
		})
	}
}

func TestParseCollectsAllProblems(t *testing.T) {
	doc := base + "    nodeLifecycel: {}\n  seeed: 1\n"
	doc = strings.Replace(doc, "count: 5", "count: x", 1)
	_, err := Parse("bad.yaml", []byte(doc))
	got := Errors(err)
	want := []string{
		"bad.yaml:10: spec.cluster.nodePools[0].count: expected an integer",
		"bad.yaml:12: spec.cluster.nodeLifecycel: unknown field (did you mean \"nodeLifecycle\"?)",
		"bad.yaml:13: spec.seeed: unknown field (did you mean \"seed\"?)",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i].Error(), want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}
