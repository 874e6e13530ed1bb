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

// controllerBase adds a ConfigMap and a controller on it to base, ending
// at line 16: a field appended to the controller is on line 17.
const controllerBase = base + `  workload:
    configMaps: [app]
    controllers:
      - name: mirror
        objects: [app]
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
	{"zone not a label value", strings.Replace(base, "[zone-a, zone-b]", "[zone-a, zone_]", 1), 11, "spec.cluster.nodePools[0].zones[1]", `must be a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got "zone_"`},
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
	{"bad dist kind", etcdField("walFsync: {kind: gaussian, mean: 1ms}"), 13,
		"spec.cluster.etcd.walFsync.kind", `unknown distribution kind "gaussian"`},
	{"dist kind typo", etcdField("walFsync: {kind: lognormall, median: 1ms, p99: 2ms}"), 13,
		"spec.cluster.etcd.walFsync.kind", `did you mean "lognormal"?`},
	{"dist without kind", etcdField("readCost:\n        mean: 1ms"), 13,
		"spec.cluster.etcd.readCost.kind", "required field is missing"},
	{"dist with extra key", etcdField("walFsync:\n        kind: exponential\n        mean: 1ms\n        median: 2ms"), 16,
		"spec.cluster.etcd.walFsync.median", `not a parameter of kind "exponential" (it takes "mean")`},
	{"dist missing parameter", base + "    network:\n      latency: {kind: uniform, min: 1ms}\n", 13,
		"spec.cluster.network.latency.max", `required for kind "uniform"`},
	{"dist unknown key", base + "    network:\n      latency: {kind: constant, valeu: 1ms}\n", 13,
		"spec.cluster.network.latency.valeu", `did you mean "value"?`},
	{"dist is a list", base + "    network:\n      latency: [1ms]\n", 13, "spec.cluster.network.latency", "a duration such as \"2ms\" or a mapping with a kind"},
	{"dist bare number", base + "    network:\n      latency: 2\n", 13, "spec.cluster.network.latency", "write 2s, not 2"},
	{"lognormal p99 < median", etcdField("walFsync:\n        kind: lognormal\n        median: 5ms\n        p99: 2ms"), 16,
		"spec.cluster.etcd.walFsync.p99", "must be at least median (5ms), got 2ms"},
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
	{"client jitter not a bool", base + "    clients:\n      jitter: sometimes\n", 13, "spec.cluster.clients.jitter", `expected true or false, got the string "sometimes"`},
	{"client jitter misplaced", base + "    clients:\n      kubelet:\n        jitter: false\n", 14, "spec.cluster.clients.kubelet.jitter", "unknown field"},
	{"zero lease duration", base + "    kubelet:\n      nodeLeaseDuration: 0s\n", 13, "spec.cluster.kubelet.nodeLeaseDuration", "must be greater than 0"},
	{"grace not above monitor", base + "    nodeLifecycle:\n      gracePeriod: 5s\n", 13,
		"spec.cluster.nodeLifecycle.gracePeriod", "must be greater than monitorPeriod (5s), got 5s"},
	{"monitor above default grace", base + "    nodeLifecycle:\n      monitorPeriod: 1m\n", 13,
		"spec.cluster.nodeLifecycle.monitorPeriod", "must be less than gracePeriod (40s), got 1m0s"},
	{"no scheduler", base + "    scheduler:\n      replicas: 0\n", 13,
		"spec.cluster.scheduler.replicas", "must be at least 1, got 0"},
	{"score percentage above 100", base + "    scheduler:\n      percentageOfNodesToScore: 101\n", 13,
		"spec.cluster.scheduler.percentageOfNodesToScore", "must be between 0 (adaptive) and 100, got 101"},
	{"unknown replicaset controller", base + "    controllerManager:\n      replicaSetController: lazy\n", 13,
		"spec.cluster.controllerManager.replicaSetController", `must be "level" or "edge", got "lazy"`},
	{"qps 0", base + "    clients:\n      kubelet:\n        qps: 0\n", 14,
		"spec.cluster.clients.kubelet.qps", "use a negative qps to disable throttling"},
	{"burst 0 with qps", base + "    clients:\n      controllerManager:\n        burst: 0\n", 14,
		"spec.cluster.clients.controllerManager.burst", "must be at least 1 when qps > 0, got 0"},
	{"negative client timeout", base + "    clients:\n      heartbeat:\n        timeout: -1s\n", 14,
		"spec.cluster.clients.heartbeat.timeout", "must not be negative"},
	{"apiserver inflight 0", base + "    apiServer:\n      maxRequestsInflight: 0\n", 13,
		"spec.cluster.apiServer.maxRequestsInflight", "must be at least 1, got 0"},
	{"apiserver replicas 0", base + "    apiServer:\n      replicas: 0\n", 13,
		"spec.cluster.apiServer.replicas", "must be at least 1, got 0"},
	{"apiserver cpus 0", base + "    apiServer:\n      cpus: 0\n", 13,
		"spec.cluster.apiServer.cpus", "must be at least 1, got 0"},
	{"apiserver APF not a bool", base + "    apiServer:\n      priorityAndFairness: sometimes\n", 13,
		"spec.cluster.apiServer.priorityAndFairness", `expected true or false, got the string "sometimes"`},
	{"apiserver request timeout tiny", base + "    apiServer:\n      requestTimeout: 1ms\n", 13,
		"spec.cluster.apiServer.requestTimeout", "must be at least 4ms"},
	{"apiserver decode throughput 0", base + "    apiServer:\n      costs:\n        decodeThroughput: 0\n", 14,
		"spec.cluster.apiServer.costs.decodeThroughput", "must be greater than 0"},
	{"apiserver negative watch send", base + "    apiServer:\n      costs:\n        watchSendPerWatcher: -1ms\n", 14,
		"spec.cluster.apiServer.costs.watchSendPerWatcher", "must not be negative"},
	{"apiserver negative watch filter", base + "    apiServer:\n      costs:\n        watchFilterPerWatcher: -1us\n", 14,
		"spec.cluster.apiServer.costs.watchFilterPerWatcher", "must not be negative"},
	{"apiserver unknown cost", base + "    apiServer:\n      costs:\n        admision: 1ms\n", 14,
		"spec.cluster.apiServer.costs.admision", `unknown field (did you mean "admission"?)`},
	{"apiserver removed queueLength", base + "    apiServer:\n      queueLength: 50\n", 13,
		"spec.cluster.apiServer.queueLength", "removed: with priorityAndFairness on"},
	{"restartAPIServer unknown replica", base + "  faults:\n    - at: 1m\n      type: restartAPIServer\n      servers: [kube-apiserver-1]\n", 15,
		"spec.faults[0].servers[0]", `no API server replica named "kube-apiserver-1"`},
	{"restartControllers unknown controller", controllerBase + "  faults:\n    - at: 1m\n      type: restartControllers\n      controllers: [mirrror]\n", 20,
		"spec.faults[0].controllers[0]", `no controller named "mirrror" (did you mean "mirror"?)`},
	{"restartControllers twice the same", controllerBase + "  faults:\n    - at: 1m\n      type: restartControllers\n      controllers: [mirror, mirror]\n", 20,
		"spec.faults[0].controllers[1]", `controller "mirror" is listed twice`},
	{"restartControllers without controllers", base + "  faults:\n    - at: 1m\n      type: restartControllers\n", 14,
		"spec.faults[0].type", "spec.workload.controllers is empty"},
	{"restartControllers with a duration", controllerBase + "  faults:\n    - at: 1m\n      type: restartControllers\n      duration: 10s\n", 20,
		"spec.faults[0].duration", "instantaneous and takes no duration"},
	{"restartControllers with nodes", controllerBase + "  faults:\n    - at: 1m\n      type: restartControllers\n      nodes: {pool: node}\n", 20,
		"spec.faults[0].nodes", "restartControllers takes controllers"},
	{"controllers on a node fault", base + "  faults:\n    - at: 1m\n      type: restartKubelet\n      nodes: {pool: node}\n      controllers: [x]\n", 16,
		"spec.faults[0].controllers", "only restartControllers takes controllers"},
	{"controller warm not a bool", controllerBase + "        warm: maybe\n", 17,
		"spec.workload.controllers[0].warm", `expected true or false, got the string "maybe"`},
	{"restartAPIServer replica twice", base + "    apiServer: {replicas: 2}\n  faults:\n    - at: 1m\n      type: restartAPIServer\n      servers: [kube-apiserver-1, kube-apiserver-1]\n", 16,
		"spec.faults[0].servers[1]", `replica "kube-apiserver-1" is listed twice`},
	{"restartControllers with servers", controllerBase + "  faults:\n    - at: 1m\n      type: restartControllers\n      servers: [kube-apiserver]\n", 20,
		"spec.faults[0].servers", "restartControllers takes controllers (spec.workload.controllers names), not servers"},
	{"restartAPIServer with nodes", base + "  faults:\n    - at: 1m\n      type: restartAPIServer\n      nodes: {names: [node-0]}\n", 15,
		"spec.faults[0].nodes", "restartAPIServer takes servers (replica names), not nodes"},
	{"servers on a node fault", base + "  faults:\n    - at: 1m\n      type: stopKubelet\n      servers: [kube-apiserver]\n      nodes: {names: [node-0]}\n", 15,
		"spec.faults[0].servers", "only restartAPIServer takes servers"},
	{"apiserver removed serviceTime", base + "    apiServer:\n      serviceTime: 1ms\n", 13,
		"spec.cluster.apiServer.serviceTime", "replaced by apiServer.costs"},
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
	{"fault duration over 24h", fault("type: stopKubelet", "nodes: {pool: node}", "duration: 25h"), 16,
		"spec.faults[0].duration", "must be at most 24h0m0s, got 25h0m0s"},
}

// etcdField puts one field (more lines indented by 8) under
// spec.cluster.etcd, at line 13.
func etcdField(field string) string { return base + "    etcd:\n      " + field + "\n" }

// fault appends one fault at 1m whose fields start at line 14.
func fault(fields ...string) string {
	return base + "  faults:\n    - at: 1m\n      " + strings.Join(fields, "\n      ") + "\n"
}

// churnBase has one valid churn writer: "- name" at line 14, objects 15,
// objectBytes 16, rate 17.
const churnBase = base + `  workload:
    churn:
      - name: cm
        objects: 10
        objectBytes: 1Ki
        rate: 5
`

func init() { badCases = append(badCases, etcdBadCases...) }

// etcdBadCases covers spec.cluster.etcd, spec.workload and the etcd faults.
var etcdBadCases = []badCase{
	// spec.cluster.etcd
	{"old storage section", base + "    storage:\n      commitLatency: 2ms\n", 12, "spec.cluster.storage", "replaced by spec.cluster.etcd"},
	{"unknown etcd field", etcdField("heartbeatIntreval: 50ms"), 13, "spec.cluster.etcd.heartbeatIntreval", `unknown field (did you mean "heartbeatInterval"?)`},
	{"etcd is a number", base + "    etcd: 3\n", 12, "spec.cluster.etcd", "expected a mapping, got the integer 3"},
	{"etcd version 3.3", etcdField(`version: "3.3"`), 13, "spec.cluster.etcd.version", `unsupported etcd version "3.3" (supported: 3.4, 3.5, 3.6)`},
	{"etcd version 3.50", etcdField("version: 3.50"), 13, "spec.cluster.etcd.version", `unsupported etcd version "3.50"`},
	{"etcd version garbage", etcdField("version: latest"), 13, "spec.cluster.etcd.version", `invalid etcd version "latest"`},
	{"etcd version list", etcdField("version: [3.5]"), 13, "spec.cluster.etcd.version", `expected a version such as "3.5", got a list`},
	{"etcd members 0", etcdField("members: 0"), 13, "spec.cluster.etcd.members", "must be between 1 and 7, got 0"},
	{"etcd members 9", etcdField("members: 9"), 13, "spec.cluster.etcd.members", "must be between 1 and 7, got 9 (etcd's FAQ"},
	{"etcd members string", etcdField("members: three"), 13, "spec.cluster.etcd.members", `expected an integer, got the string "three"`},
	{"heartbeat 0", etcdField("heartbeatInterval: 0s"), 13, "spec.cluster.etcd.heartbeatInterval", "must be greater than 0, got 0s"},
	{"heartbeat bare number", etcdField("heartbeatInterval: 100"), 13, "spec.cluster.etcd.heartbeatInterval", "write 100s, not 100"},
	{"heartbeat not whole ms", etcdField("heartbeatInterval: 100500us"), 13, "spec.cluster.etcd.heartbeatInterval",
		"must be a whole number of milliseconds (etcd's --heartbeat-interval counts in ms), got 100.5ms"},
	{"heartbeat over 10s", etcdField("heartbeatInterval: 11s"), 13, "spec.cluster.etcd.heartbeatInterval", "must be at most 10s, got 11s"},
	{"election under 5 heartbeats", etcdField("electionTimeout: 400ms"), 13, "spec.cluster.etcd.electionTimeout",
		`must be at least 5 times heartbeatInterval (500ms), got 400ms (etcd refuses to start: "--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]")`},
	{"heartbeat over default election / 5", etcdField("heartbeatInterval: 300ms"), 13, "spec.cluster.etcd.heartbeatInterval",
		"must be at most electionTimeout / 5 (200ms), got 300ms"},
	{"election not whole heartbeats", etcdField("electionTimeout: 1050ms"), 13, "spec.cluster.etcd.electionTimeout",
		"must be a whole number of heartbeatInterval (100ms) ticks, got 1.05s"},
	{"heartbeat not dividing default election", etcdField("heartbeatInterval: 150ms"), 13, "spec.cluster.etcd.heartbeatInterval",
		"must divide electionTimeout (1s) evenly, got 150ms"},
	{"both timings set, election blamed", etcdField("heartbeatInterval: 300ms\n      electionTimeout: 1s"), 14, "spec.cluster.etcd.electionTimeout",
		"must be at least 5 times heartbeatInterval (1.5s), got 1s"},
	{"election over 50s", etcdField("electionTimeout: 51s"), 13, "spec.cluster.etcd.electionTimeout", "must be at most 50s (etcd's maxElectionMs), got 51s"},
	{"election negative", etcdField("electionTimeout: -1s"), 13, "spec.cluster.etcd.electionTimeout", "must be greater than 0, got -1s"},
	{"preVote yes", etcdField("preVote: yes"), 13, "spec.cluster.etcd.preVote", `expected true or false, got the string "yes"`},
	{"quota 0", etcdField("quotaBackendBytes: 0"), 13, "spec.cluster.etcd.quotaBackendBytes",
		"must be greater than 0 (etcd reads 0 as its default of 2Gi: leave quotaBackendBytes out for that)"},
	{"quota negative", etcdField("quotaBackendBytes: -1"), 13, "spec.cluster.etcd.quotaBackendBytes",
		"must not be negative, got -1 (etcd reads a negative quota as no quota at all, which orrery does not model: give a large quota such as 8Gi instead)"},
	{"quota GB", etcdField("quotaBackendBytes: 2GB"), 13, "spec.cluster.etcd.quotaBackendBytes", `invalid quantity "2GB": unknown suffix "GB"`},
	{"quota too large", etcdField("quotaBackendBytes: 8Ei"), 13, "spec.cluster.etcd.quotaBackendBytes", `quantity "8Ei" is too large`},
	{"compaction negative", etcdField("compactionInterval: -5m"), 13, "spec.cluster.etcd.compactionInterval", "must not be negative, got -5m0s"},
	{"defrag throughput 0", etcdField("defragThroughput: 0"), 13, "spec.cluster.etcd.defragThroughput", "must be greater than 0, got 0 bytes per second"},
	{"defrag throughput per second", etcdField("defragThroughput: 100Mi/s"), 13, "spec.cluster.etcd.defragThroughput",
		`invalid quantity "100Mi/s": write the bytes per second without "/s", such as "100Mi"`},
	{"override of a missing member", etcdField("memberOverrides:\n        - name: etcd-3\n          walFsync: 5ms"), 14,
		"spec.cluster.etcd.memberOverrides[0].name", `no etcd member named "etcd-3": members are etcd-0 to etcd-2`},
	{"override name typo", etcdField("memberOverrides:\n        - name: etdc-1\n          walFsync: 5ms"), 14,
		"spec.cluster.etcd.memberOverrides[0].name", `no etcd member named "etdc-1" (did you mean "etcd-1"?): members are etcd-0 to etcd-2`},
	{"override with leading zero", etcdField("memberOverrides:\n        - name: etcd-01\n          walFsync: 5ms"), 14,
		"spec.cluster.etcd.memberOverrides[0].name", `no etcd member named "etcd-01": members`},
	{"override of one member", etcdField("members: 1\n      memberOverrides: [{name: etcd-1, walFsync: 5ms}]"), 14,
		"spec.cluster.etcd.memberOverrides[0].name", `no etcd member named "etcd-1": the only member is etcd-0`},
	{"override twice", etcdField("memberOverrides:\n        - {name: etcd-1, walFsync: 5ms}\n        - {name: etcd-1, walFsync: 6ms}"), 15,
		"spec.cluster.etcd.memberOverrides[1].name", `duplicate override for "etcd-1" (also spec.cluster.etcd.memberOverrides[0])`},
	{"override without walFsync", etcdField("memberOverrides:\n        - name: etcd-1"), 14,
		"spec.cluster.etcd.memberOverrides[0].walFsync", "required field is missing"},
	{"override bad dist", etcdField("memberOverrides:\n        - name: etcd-1\n          walFsync: {kind: uniform, min: 2ms, max: 1ms}"), 15,
		"spec.cluster.etcd.memberOverrides[0].walFsync.min", "must not exceed max (1ms), got 2ms"},
	{"override unknown field", etcdField("memberOverrides:\n        - name: etcd-1\n          walFsync: 5ms\n          walFsnc: 5ms"), 16,
		"spec.cluster.etcd.memberOverrides[0].walFsnc", `did you mean "walFsync"?`},

	// spec.workload
	{"workload unknown field", base + "  workload:\n    chrun: []\n", 13, "spec.workload.chrun", `unknown field (did you mean "churn"?)`},
	{"churn is a mapping", base + "  workload:\n    churn: {name: cm}\n", 13, "spec.workload.churn", "expected a list, got a mapping"},
	{"churn without rate", strings.Replace(churnBase, "        rate: 5\n", "", 1), 14, "spec.workload.churn[0].rate", "required field is missing"},
	{"churn name not a label", strings.Replace(churnBase, "name: cm", "name: CM", 1), 14, "spec.workload.churn[0].name", "DNS-1123"},
	{"churn name twice", churnBase + "      - {name: cm, objects: 1, objectBytes: 1, rate: 1}\n", 18,
		"spec.workload.churn[1].name", `duplicate churn name "cm" (also spec.workload.churn[0])`},
	{"churn objects 0", strings.Replace(churnBase, "objects: 10", "objects: 0", 1), 15, "spec.workload.churn[0].objects", "must be at least 1, got 0"},
	{"churn objects too many", strings.Replace(churnBase, "objects: 10", "objects: 2000000", 1), 15, "spec.workload.churn[0].objects", "must be at most 1500000"},
	{"churn objects in total", churnBase + "      - {name: more, objects: 1499995, objectBytes: 1, rate: 1}\n", 13,
		"spec.workload.churn", "1500005 objects in total, more than the maximum of 1500000"},
	{"churn objectBytes 0", strings.Replace(churnBase, "objectBytes: 1Ki", "objectBytes: 0", 1), 16, "spec.workload.churn[0].objectBytes", "must be greater than 0"},
	{"churn objectBytes over 1.5Mi", strings.Replace(churnBase, "objectBytes: 1Ki", "objectBytes: 2Mi", 1), 16, "spec.workload.churn[0].objectBytes",
		"must be at most 1.5Mi (1572864 bytes, etcd's default --max-request-bytes), got 2097152 bytes"},
	{"churn objectBytes bad", strings.Replace(churnBase, "objectBytes: 1Ki", "objectBytes: 1KB", 1), 16, "spec.workload.churn[0].objectBytes", `unknown suffix "KB"`},
	{"churn rate 0", strings.Replace(churnBase, "rate: 5", "rate: 0", 1), 17, "spec.workload.churn[0].rate", "must be greater than 0 updates per second, got 0"},
	{"churn rate with unit", strings.Replace(churnBase, "rate: 5", "rate: 5/s", 1), 17, "spec.workload.churn[0].rate", `expected a number, got the string "5/s"`},
	{"churn rate too high", strings.Replace(churnBase, "rate: 5", "rate: 1e6", 1), 17, "spec.workload.churn[0].rate", "must be at most 100000 updates per second"},
	{"churn rate too low", strings.Replace(churnBase, "rate: 5", "rate: 1e-9", 1), 17, "spec.workload.churn[0].rate", "must be at least one update a day"},
	{"churn start at the end", churnBase + "        start: 5m\n", 18, "spec.workload.churn[0].start", "must be before the end of the run (spec.duration 5m0s), got 5m0s"},
	{"churn negative duration", churnBase + "        duration: -1s\n", 18, "spec.workload.churn[0].duration", "must not be negative"},
	{"churn duration over 24h", churnBase + "        duration: 25h\n", 18, "spec.workload.churn[0].duration",
		"must be at most 24h0m0s, got 25h0m0s (0 means to the end of the run)"},
	{"churn unknown field", churnBase + "        objectByte: 1Ki\n", 18, "spec.workload.churn[0].objectByte", `did you mean "objectBytes"?`},

	// etcd faults
	{"etcd fault type typo", fault("type: etcdCrsh", "members: {leader: true}"), 14, "spec.faults[0].type", `unknown fault type "etcdCrsh" (did you mean "etcdCrash"?)`},
	{"etcdCrash without members", fault("type: etcdCrash"), 13, "spec.faults[0].members", "required for etcdCrash: give names or leader: true"},
	{"etcdCrash names and leader", fault("type: etcdCrash", "members: {names: [etcd-0], leader: true}"), 15, "spec.faults[0].members", "give names or leader: true, not both"},
	{"etcdCrash empty names", fault("type: etcdCrash", "members: {names: []}"), 15, "spec.faults[0].members.names", "must list at least one member"},
	{"etcdCrash missing member", fault("type: etcdCrash", "members: {names: [etcd-0, etcd-3]}"), 15,
		"spec.faults[0].members.names[1]", `no etcd member named "etcd-3": members are etcd-0 to etcd-2`},
	{"etcdCrash member typo", fault("type: etcdCrash", "members: {names: [etcd1]}"), 15,
		"spec.faults[0].members.names[0]", `no etcd member named "etcd1" (did you mean "etcd-1"?)`},
	{"etcdCrash member twice", fault("type: etcdCrash", "members:\n        names:\n          - etcd-1\n          - etcd-1"), 18,
		"spec.faults[0].members.names[1]", `member "etcd-1" is listed twice`},
	{"etcdCrash with nodes", fault("type: etcdCrash", "members: {leader: true}", "nodes: {pool: node}"), 16,
		"spec.faults[0].nodes", "etcdCrash is an etcd fault: it takes no nodes"},
	{"etcdCrash with walFsync", fault("type: etcdCrash", "members: {leader: true}", "walFsync: 5ms"), 16,
		"spec.faults[0].walFsync", "only etcdSlowDisk takes walFsync, not etcdCrash"},
	{"etcdCrash with groups", fault("type: etcdCrash", "members: {leader: true}", "groups: [[etcd-0]]"), 16,
		"spec.faults[0].groups", "only etcdPartition takes groups, not etcdCrash"},
	{"members unknown field", fault("type: etcdCrash", "members: {leadr: true}"), 15, "spec.faults[0].members.leadr", `did you mean "leader"?`},
	{"members leader yes", fault("type: etcdCrash", "members: {leader: yes}"), 15, "spec.faults[0].members.leader", "expected true or false"},
	{"members names not a list", fault("type: etcdCrash", "members: {names: etcd-0}"), 15, "spec.faults[0].members.names", `expected a list, got the string "etcd-0"`},
	{"etcdRestart of the leader", fault("type: etcdRestart", "members: {leader: true}"), 15,
		"spec.faults[0].members.leader", "a crashed member is never the leader"},
	{"etcdRestart without names", fault("type: etcdRestart"), 13, "spec.faults[0].members.names", "required for etcdRestart"},
	{"etcdRestart with duration", fault("type: etcdRestart", "members: {names: [etcd-0]}", "duration: 1m"), 16,
		"spec.faults[0].duration", "etcdRestart is instantaneous and takes no duration (use etcdCrash with a duration)"},
	{"etcdPartition without groups", fault("type: etcdPartition", "duration: 30s"), 13, "spec.faults[0].groups", "required for etcdPartition"},
	{"etcdPartition without duration", fault("type: etcdPartition", "groups: [[etcd-0]]"), 13,
		"spec.faults[0].duration", "required for etcdPartition: how long until the partition heals"},
	{"etcdPartition empty group", fault("type: etcdPartition", "groups: [[etcd-0], []]", "duration: 30s"), 15,
		"spec.faults[0].groups[1]", "must list at least one member"},
	{"etcdPartition overlapping groups", fault("type: etcdPartition", "groups: [[etcd-0, etcd-1], [etcd-1]]", "duration: 30s"), 15,
		"spec.faults[0].groups[1][0]", `member "etcd-1" is already in spec.faults[0].groups[0]: the sides must not overlap`},
	{"etcdPartition member twice in a group", fault("type: etcdPartition", "groups: [[etcd-0, etcd-0]]", "duration: 30s"), 15,
		"spec.faults[0].groups[0][1]", `member "etcd-0" is listed twice`},
	{"etcdPartition missing member", fault("type: etcdPartition", "groups:\n        - [etcd-0]\n        - [etcd-7]", "duration: 30s"), 17,
		"spec.faults[0].groups[1][0]", `no etcd member named "etcd-7"`},
	{"etcdPartition single side", fault("type: etcdPartition", "groups: [[etcd-0, etcd-1, etcd-2]]", "duration: 30s"), 15,
		"spec.faults[0].groups", "makes a single side: every member is in spec.faults[0].groups[0]"},
	{"etcdPartition groups of names", fault("type: etcdPartition", "groups: [etcd-0, etcd-1]", "duration: 30s"), 15,
		"spec.faults[0].groups[0]", `expected a list, got the string "etcd-0"`},
	{"etcdPartition with members", fault("type: etcdPartition", "members: {leader: true}", "groups: [[etcd-0]]", "duration: 30s"), 15,
		"spec.faults[0].members", "etcdPartition takes no members: it takes groups"},
	{"etcdIsolateLeader without duration", fault("type: etcdIsolateLeader"), 13,
		"spec.faults[0].duration", "required for etcdIsolateLeader: how long until the leader is reconnected"},
	{"etcdIsolateLeader with members", fault("type: etcdIsolateLeader", "members: {names: [etcd-0]}", "duration: 30s"), 15,
		"spec.faults[0].members", "etcdIsolateLeader takes no members: it isolates whichever member leads at the time"},
	{"etcdSlowDisk without walFsync", fault("type: etcdSlowDisk", "members: {leader: true}", "duration: 1m"), 13,
		"spec.faults[0].walFsync", "required for etcdSlowDisk"},
	{"etcdSlowDisk without duration", fault("type: etcdSlowDisk", "members: {leader: true}", "walFsync: 50ms"), 13,
		"spec.faults[0].duration", "required for etcdSlowDisk: how long the disk stays slow"},
	{"etcdSlowDisk without members", fault("type: etcdSlowDisk", "walFsync: 50ms", "duration: 1m"), 13,
		"spec.faults[0].members", "required for etcdSlowDisk: give names or leader: true"},
	{"etcdSlowDisk bad walFsync", fault("type: etcdSlowDisk", "members: {leader: true}", "walFsync: {kind: lognormal, median: 50ms, p99: 5ms}", "duration: 1m"), 16,
		"spec.faults[0].walFsync.p99", "must be at least median (50ms), got 5ms"},
	{"etcdCompact with members", fault("type: etcdCompact", "members: {leader: true}"), 15,
		"spec.faults[0].members", "etcdCompact takes no members"},
	{"etcdCompact with duration", fault("type: etcdCompact", "duration: 1s"), 15,
		"spec.faults[0].duration", "etcdCompact is a one-off request and takes no duration"},
	{"etcdAlarmDisarm with members", fault("type: etcdAlarmDisarm", "members: {names: [etcd-0]}"), 15,
		"spec.faults[0].members", "etcdAlarmDisarm takes no members"},
	{"etcdAlarmDisarm with duration", fault("type: etcdAlarmDisarm", "duration: 1s"), 15,
		"spec.faults[0].duration", "etcdAlarmDisarm is a one-off request"},
	{"etcdDefrag of the leader", fault("type: etcdDefrag", "members: {leader: true}"), 15,
		"spec.faults[0].members.leader", "etcdDefrag takes members by names, or none for every member"},
	{"etcdDefrag with duration", fault("type: etcdDefrag", "duration: 10s"), 15,
		"spec.faults[0].duration", "etcdDefrag takes no duration"},
	{"etcdDefrag missing member", fault("type: etcdDefrag", "members: {names: [etcd-4]}"), 15,
		"spec.faults[0].members.names[0]", `no etcd member named "etcd-4"`},
	{"etcdDefrag empty names", fault("type: etcdDefrag", "members: {names: []}"), 15,
		"spec.faults[0].members.names", "must list at least one member (leave members out to defragment every member)"},
	{"etcd fault with nodes only", fault("type: etcdCompact", "nodes: {pool: node}"), 15,
		"spec.faults[0].nodes", "etcdCompact is an etcd fault: it takes no nodes"},

	// node faults with etcd fields
	{"node fault with members", fault("type: stopKubelet", "nodes: {pool: node}", "members: {leader: true}"), 16,
		"spec.faults[0].members", "stopKubelet is a node fault: it takes nodes, not members"},
	{"node fault with groups", fault("type: partition", "nodes: {pool: node}", "groups: [[etcd-0]]", "duration: 1m"), 16,
		"spec.faults[0].groups", "only etcdPartition takes groups, not partition"},
	{"node fault with walFsync", fault("type: stopKubelet", "nodes: {pool: node}", "walFsync: 5ms"), 16,
		"spec.faults[0].walFsync", "only etcdSlowDisk takes walFsync, not stopKubelet"},
	{"node fault with empty members", fault("type: restartKubelet", "nodes: {pool: node}", "members: {}"), 16,
		"spec.faults[0].members", "restartKubelet is a node fault"},
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

// sharedBase has a writer and a controller on shared ConfigMaps:
// configMaps at line 13, the writer's "- name" at 15 and object at 16, the
// controller's "- name" at 18 and objects at 19; wr and ctl add a field
// to the writer (line 17) or to the controller (line 20).
const sharedBase = base + `  workload:
    configMaps: [counter, other]
    writers:
      - name: w
        object: counter
    controllers:
      - name: c
        objects: [counter]
`

func wr(field string) string {
	return strings.Replace(sharedBase, "        object: counter\n", "        object: counter\n        "+field+"\n", 1)
}

func ctl(field string) string { return sharedBase + "        " + field + "\n" }

// flowList is a YAML flow list of n items made by item(i).
func flowList(n int, item func(i int) string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item(i)
	}
	return "[" + strings.Join(items, ", ") + "]"
}

func init() { badCases = append(badCases, sharedBadCases...) }

// sharedBadCases covers spec.workload's configMaps, writers and controllers.
var sharedBadCases = []badCase{
	{"configMaps typo", base + "  workload:\n    configmaps: [a]\n", 13, "spec.workload.configmaps", `unknown field (did you mean "configMaps"?)`},
	{"configMaps not a list", strings.Replace(sharedBase, "[counter, other]", "counter", 1), 13, "spec.workload.configMaps", `expected a list, got the string "counter"`},
	{"configMap name not a label", strings.Replace(sharedBase, "[counter, other]", "[counter, Other]", 1), 13, "spec.workload.configMaps[1]", "DNS-1123"},
	{"configMap name a number", strings.Replace(sharedBase, "[counter, other]", "[counter, 7]", 1), 13, "spec.workload.configMaps[1]", "expected a string, got the integer 7"},
	{"configMap twice", strings.Replace(sharedBase, "[counter, other]", "[counter, other, counter]", 1), 13,
		"spec.workload.configMaps[2]", `duplicate ConfigMap name "counter" (also spec.workload.configMaps[0])`},
	{"too many configMaps", strings.Replace(sharedBase, "[counter, other]", flowList(1001, func(i int) string { return fmt.Sprintf("cm-%d", i) }), 1), 13,
		"spec.workload.configMaps", "1001 ConfigMaps, more than the maximum of 1000"},

	// writers
	{"writers is a mapping", base + "  workload:\n    writers: {name: w}\n", 13, "spec.workload.writers", "expected a list, got a mapping"},
	{"writer without object", strings.Replace(sharedBase, "        object: counter\n", "", 1), 15, "spec.workload.writers[0].object", "required field is missing"},
	{"writer without name", strings.Replace(sharedBase, "      - name: w\n        object: counter\n", "      - object: counter\n", 1), 15,
		"spec.workload.writers[0].name", "required field is missing"},
	{"writer unknown field", wr("incremnts: 5"), 17, "spec.workload.writers[0].incremnts", `unknown field (did you mean "increments"?)`},
	{"writer name not a label", strings.Replace(sharedBase, "name: w\n", "name: W\n", 1), 15, "spec.workload.writers[0].name", "DNS-1123"},
	{"writer name twice", strings.Replace(sharedBase, "    controllers:\n", "      - {name: w, object: other}\n    controllers:\n", 1), 17,
		"spec.workload.writers[1].name", `duplicate writer name "w" (also spec.workload.writers[0])`},
	{"writer object typo", strings.Replace(sharedBase, "object: counter", "object: conter", 1), 16,
		"spec.workload.writers[0].object", `no ConfigMap named "conter" in spec.workload.configMaps (did you mean "counter"?)`},
	{"writer object undeclared", base + "  workload:\n    writers:\n      - name: w\n        object: counter\n", 15,
		"spec.workload.writers[0].object", `no ConfigMap named "counter": declare it in spec.workload.configMaps`},
	{"writer object empty", strings.Replace(sharedBase, "object: counter", `object: ""`, 1), 16, "spec.workload.writers[0].object", "must not be empty"},
	{"writer object a list", strings.Replace(sharedBase, "object: counter", "object: [counter]", 1), 16,
		"spec.workload.writers[0].object", "expected a string, got a list"},
	{"writer increments negative", wr("increments: -1"), 17, "spec.workload.writers[0].increments", "must not be negative, got -1 (0 means no limit)"},
	{"writer increments a string", wr("increments: many"), 17, "spec.workload.writers[0].increments", `expected an integer, got the string "many"`},
	{"writer period negative", wr("period: -1s"), 17, "spec.workload.writers[0].period", "must not be negative, got -1s"},
	{"writer period bare number", wr("period: 10"), 17, "spec.workload.writers[0].period", "write 10s, not 10"},
	{"writer period over 24h", wr("period: 25h"), 17, "spec.workload.writers[0].period", "must be at most 24h0m0s"},
	{"writer start at the end", wr("start: 5m"), 17, "spec.workload.writers[0].start", "must be before the end of the run (spec.duration 5m0s), got 5m0s"},
	{"writer duration negative", wr("duration: -1s"), 17, "spec.workload.writers[0].duration", "must not be negative"},
	{"writer fromCache yes", wr("fromCache: yes"), 17, "spec.workload.writers[0].fromCache", "expected true or false"},
	{"writer retry typo", wr("retry: defaultRetyr"), 17, "spec.workload.writers[0].retry",
		`unknown retry "defaultRetyr" (did you mean "defaultRetry"?); want "defaultRetry" or "defaultBackoff"`},
	{"writer client qps 0", wr("client: {qps: 0}"), 17, "spec.workload.writers[0].client.qps", "must not be 0"},
	{"writer client burst 0", wr("client: {qps: 5, burst: 0}"), 17, "spec.workload.writers[0].client.burst", "must be at least 1 when qps > 0"},
	{"writer client typo", wr("client: {qpps: 5}"), 17, "spec.workload.writers[0].client.qpps", `did you mean "qps"?`},
	{"too many writers", strings.Replace(sharedBase, "    writers:\n      - name: w\n        object: counter\n",
		"    writers: "+flowList(101, func(i int) string { return fmt.Sprintf("{name: w%d, object: counter}", i) })+"\n", 1), 14,
		"spec.workload.writers", "101 writers, more than the maximum of 100"},

	// controllers
	{"controllers is a string", base + "  workload:\n    controllers: mirror\n", 13, "spec.workload.controllers", `expected a list, got the string "mirror"`},
	{"controller without objects", strings.Replace(sharedBase, "        objects: [counter]\n", "", 1), 18, "spec.workload.controllers[0].objects", "required field is missing"},
	{"controller objects empty", strings.Replace(sharedBase, "objects: [counter]", "objects: []", 1), 19, "spec.workload.controllers[0].objects", "must list at least one ConfigMap"},
	{"controller objects a string", strings.Replace(sharedBase, "objects: [counter]", "objects: counter", 1), 19,
		"spec.workload.controllers[0].objects", `expected a list, got the string "counter"`},
	{"controller object undeclared", strings.Replace(sharedBase, "objects: [counter]", "objects: [counter, missing]", 1), 19,
		"spec.workload.controllers[0].objects[1]", `no ConfigMap named "missing" in spec.workload.configMaps`},
	{"controller object twice", strings.Replace(sharedBase, "objects: [counter]", "objects: [counter, other, counter]", 1), 19,
		"spec.workload.controllers[0].objects[2]", `ConfigMap "counter" is listed twice`},
	{"controller unknown field", ctl("failUntill: 1m"), 20, "spec.workload.controllers[0].failUntill", `unknown field (did you mean "failUntil"?)`},
	{"controller name not a label", strings.Replace(sharedBase, "name: c\n", "name: my_controller\n", 1), 18, "spec.workload.controllers[0].name", "DNS-1123"},
	{"controller name twice", sharedBase + "      - {name: c, objects: [other]}\n", 20,
		"spec.workload.controllers[1].name", `duplicate controller name "c" (also spec.workload.controllers[0])`},
	{"controller workers 0", ctl("workers: 0"), 20, "spec.workload.controllers[0].workers", "must be at least 1, got 0"},
	{"controller workers too many", ctl("workers: 1001"), 20, "spec.workload.controllers[0].workers", "must be at most 1000, got 1001"},
	{"controller reconcileTime bare number", ctl("reconcileTime: 5"), 20, "spec.workload.controllers[0].reconcileTime", "write 5s, not 5"},
	{"controller reconcileTime bad lognormal", ctl("reconcileTime: {kind: lognormal, median: 5ms, p99: 1ms}"), 20,
		"spec.workload.controllers[0].reconcileTime.p99", "must be at least median (5ms), got 1ms"},
	{"controller reconcileTime unknown kind", ctl("reconcileTime: {kind: gamma, mean: 1ms}"), 20,
		"spec.workload.controllers[0].reconcileTime.kind", `unknown distribution kind "gamma"`},
	{"controller failUntil negative", ctl("failUntil: -1s"), 20, "spec.workload.controllers[0].failUntil", "must not be negative, got -1s"},
	{"controller failUntil at the end", ctl("failUntil: 5m"), 20, "spec.workload.controllers[0].failUntil",
		"must be before the end of the run (spec.duration 5m0s), got 5m0s (for reconciles that fail to the end, write failForever: true)"},
	{"controller failUntil and failForever", ctl("failUntil: 1m\n        failForever: true"), 20, "spec.workload.controllers[0].failUntil",
		"cannot be combined with failForever"},
	{"controller failForever not a bool", ctl("failForever: always"), 20, "spec.workload.controllers[0].failForever", `expected true or false, got the string "always"`},
	{"controller failWrite without failures", ctl("failWrite: true"), 20, "spec.workload.controllers[0].failWrite", "needs failUntil or failForever"},
	{"controller maxRetries negative", ctl("maxRetries: -3"), 20, "spec.workload.controllers[0].maxRetries", "must not be negative, got -3 (0 means retry forever)"},
	{"controller client timeout negative", ctl("client: {timeout: -1s}"), 20, "spec.workload.controllers[0].client.timeout", "must not be negative"},
	{"controller client qps not a number", ctl("client: {qps: fast}"), 20, "spec.workload.controllers[0].client.qps", `expected a number, got the string "fast"`},
	{"too many controllers", strings.Replace(sharedBase, "    controllers:\n      - name: c\n        objects: [counter]\n", "    controllers: "+flowList(101, func(i int) string { return fmt.Sprintf("{name: x%d, objects: [other]}", i) })+"\n", 1), 17,
		"spec.workload.controllers", "101 controllers, more than the maximum of 100"},
}

// deploymentBase is base with an inline Deployment: the item starts at
// line 14 (apiVersion), metadata at 16, spec at 17, replicas 18, selector
// 19, template 20, its labels 21, its spec 22, containers 23, the
// container's name 24 and image 25. dep and depField edit it.
const deploymentBase = base + `  workload:
    objects:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: c
                  image: nginx
`

// dep replaces old with new in deploymentBase.
func dep(old, new string) string { return strings.Replace(deploymentBase, old, new, 1) }

// container adds fields to the container, from line 26.
func container(fields ...string) string {
	return deploymentBase + "                  " + strings.Join(fields, "\n                  ") + "\n"
}

// podSpecField adds a pod spec field after the containers, at line 26.
func podSpecField(field string) string { return deploymentBase + "              " + field + "\n" }

// actionBase adds an actions list to deploymentBase; act appends one
// action at line 27.
const actionBase = deploymentBase + "    actions:\n"

func act(a string) string { return actionBase + "      - " + a + "\n" }

// podChurnBase is base with one pod churn generator: name at line 14,
// template at 17 (its spec's containers at 18); churnField adds a field at
// line 19.
const podChurnBase = base + `  workload:
    podChurn:
      - name: batch
        rate: 5
        lifetime: 1m
        template:
          spec: {containers: [{name: c, image: busybox}]}
`

func churnField(f string) string { return podChurnBase + "        " + f + "\n" }

// serviceBase is base with an inline Service: the item starts at line 14
// (apiVersion), metadata at 16, spec at 17, selector 18, ports 19, the
// port 20. svc edits it; svcField adds a spec field at line 21.
const serviceBase = base + `  workload:
    objects:
      - apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports:
            - port: 80
`

func svc(old, new string) string { return strings.Replace(serviceBase, old, new, 1) }

func svcField(f string) string { return serviceBase + "          " + f + "\n" }

func init() { badCases = append(badCases, objectBadCases...) }

// objectBadCases covers manifests, actions, pod churn and what pools give
// their nodes.
var objectBadCases = []badCase{
	// manifests: shape and kind
	{"objects not a list", base + "  workload:\n    objects: {a: b}\n", 13, "spec.workload.objects", "expected a list, got a mapping"},
	{"object not a mapping", base + "  workload:\n    objects: [web]\n", 13, "spec.workload.objects[0]", `expected a Kubernetes object (apiVersion, kind, metadata, spec), got the string "web"`},
	{"object without kind", dep("        kind: Deployment\n", ""), 14, "spec.workload.objects[0].kind", "required field is missing: Pod, ReplicaSet, Deployment, Node or Service"},
	{"object kind typo", dep("kind: Deployment", "kind: Deploymnet"), 15, "spec.workload.objects[0].kind", `unknown kind "Deploymnet" (did you mean "Deployment"?)`},
	{"object old apiVersion", dep("apps/v1", "extensions/v1beta1"), 14, "spec.workload.objects[0].apiVersion", `Deployment is served as apps/v1, not "extensions/v1beta1"`},
	{"object without apiVersion", dep("      - apiVersion: apps/v1\n        kind", "      - kind"), 14, "spec.workload.objects[0].apiVersion", "required field is missing: apps/v1 for a Deployment"},
	{"object without metadata", dep("        metadata: {name: web}\n", ""), 14, "spec.workload.objects[0].metadata", "required field is missing"},
	{"object without name", dep("{name: web}", "{labels: {a: b}}"), 16, "spec.workload.objects[0].metadata.name", "required field is missing"},
	{"object name not a subdomain", dep("{name: web}", "{name: Web_1}"), 16, "spec.workload.objects[0].metadata.name", `must be a DNS-1123 subdomain`},
	{"object namespace not a label", dep("{name: web}", "{name: web, namespace: a.b}"), 16, "spec.workload.objects[0].metadata.namespace", "must be a DNS-1123 label"},
	{"object without spec", dep("        spec:\n          replicas: 2\n", "        status:\n          replicas: 2\n"), 14, "spec.workload.objects[0].spec", "required field is missing"},
	{"object declared twice", deploymentBase + "      - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}}\n", 26,
		"spec.workload.objects[1].metadata.name", "deployment/web is declared twice (also spec.workload.objects[0])"},
	{"objects file missing", base + "  workload:\n    objects:\n      - file: no-such-manifest.yaml\n", 14, "spec.workload.objects[0].file", "reading manifest"},
	{"objects file with extra key", base + "  workload:\n    objects:\n      - {file: x.yaml, kind: Pod}\n", 14, "spec.workload.objects[0].kind", "unknown field"},
	{"objects file empty", base + "  workload:\n    objects:\n      - file: \"\"\n", 14, "spec.workload.objects[0].file", "must not be empty"},

	// manifests: Deployment and ReplicaSet spec
	{"replicas negative", dep("replicas: 2", "replicas: -1"), 18, "spec.workload.objects[0].spec.replicas", "must be greater than or equal to 0, got -1"},
	{"replicas a string", dep("replicas: 2", `replicas: "3"`), 18, "spec.workload.objects[0].spec.replicas", `expected an integer, got the string "3"`},
	{"replicas typo", dep("replicas: 2", "replica: 2"), 18, "spec.workload.objects[0].spec.replica", `unknown field (did you mean "replicas"?)`},
	{"replicas too large", dep("replicas: 2", "replicas: 3000000000"), 18, "spec.workload.objects[0].spec.replicas", "out of range"},
	{"selector missing", dep("          selector: {matchLabels: {app: web}}\n", ""), 17, "spec.workload.objects[0].spec.selector", "required field is missing"},
	{"selector empty", dep("{matchLabels: {app: web}}", "{}"), 19, "spec.workload.objects[0].spec.selector", "empty selector is invalid"},
	{"selector does not match", dep("{labels: {app: web}}", "{labels: {app: other}}"), 21, "spec.workload.objects[0].spec.template.metadata.labels", "selector does not match template labels"},
	{"selector In without values", dep("{matchLabels: {app: web}}", "{matchExpressions: [{key: app, operator: In}]}"), 19,
		"spec.workload.objects[0].spec.selector.matchExpressions[0].values", "must be specified when operator is In or NotIn"},
	{"selector Exists with values", dep("{matchLabels: {app: web}}", "{matchExpressions: [{key: app, operator: Exists, values: [a]}]}"), 19,
		"spec.workload.objects[0].spec.selector.matchExpressions[0].values", "may not be specified when operator is Exists or DoesNotExist"},
	{"selector Gt outside node affinity", dep("{matchLabels: {app: web}}", "{matchExpressions: [{key: app, operator: Gt, values: [\"1\"]}]}"), 19,
		"spec.workload.objects[0].spec.selector.matchExpressions[0].operator", `unknown operator "Gt"`},
	{"label value an integer", dep("{labels: {app: web}}", "{labels: {app: web, version: 1}}"), 21,
		"spec.workload.objects[0].spec.template.metadata.labels.version", `expected a string, got the integer 1 (quote it: "1")`},
	{"label value invalid", dep("{labels: {app: web}}", "{labels: {app: web, v: \"a b\"}}"), 21,
		"spec.workload.objects[0].spec.template.metadata.labels.v", `"a b" is not a label value`},
	{"label key invalid", dep("{labels: {app: web}}", "{labels: {app: web, \"-x\": y}}"), 21,
		"spec.workload.objects[0].spec.template.metadata.labels.-x", `"-x" is not a qualified name`},
	{"template without spec", dep("            spec:\n              containers:\n                - name: c\n                  image: nginx\n", ""), 20,
		"spec.workload.objects[0].spec.template.spec", "required field is missing"},
	{"maxSurge a plain string", dep("replicas: 2", "replicas: 2\n          strategy: {rollingUpdate: {maxSurge: \"3\"}}"), 19,
		"spec.workload.objects[0].spec.strategy.rollingUpdate.maxSurge", `must be an integer or a percentage such as "25%", got "3"`},
	{"maxSurge negative", dep("replicas: 2", "replicas: 2\n          strategy: {rollingUpdate: {maxSurge: -1}}"), 19,
		"spec.workload.objects[0].spec.strategy.rollingUpdate.maxSurge", "must be greater than or equal to 0, got -1"},
	{"maxSurge and maxUnavailable 0", dep("replicas: 2", "replicas: 2\n          strategy:\n            rollingUpdate:\n              maxSurge: 0\n              maxUnavailable: 0%"), 22,
		"spec.workload.objects[0].spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when maxSurge is 0"},
	{"maxUnavailable over 100%", dep("replicas: 2", "replicas: 2\n          strategy:\n            rollingUpdate:\n              maxUnavailable: 101%"), 21,
		"spec.workload.objects[0].spec.strategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"},
	{"Recreate with rollingUpdate", dep("replicas: 2", "replicas: 2\n          strategy:\n            type: Recreate\n            rollingUpdate: {maxSurge: 1}"), 21,
		"spec.workload.objects[0].spec.strategy.rollingUpdate", "may not be specified when strategy type is Recreate"},
	{"strategy type typo", dep("replicas: 2", "replicas: 2\n          strategy: {type: Recreat}"), 19,
		"spec.workload.objects[0].spec.strategy.type", `unknown strategy type "Recreat" (did you mean "Recreate"?)`},
	{"progressDeadline not after minReady", dep("replicas: 2", "replicas: 2\n          minReadySeconds: 600"), 17,
		"spec.workload.objects[0].spec.progressDeadlineSeconds", "must be greater than minReadySeconds"},

	// manifests: pod spec
	{"container without image", dep("                  image: nginx\n", ""), 24, "spec.workload.objects[0].spec.template.spec.containers[0].image", "required field is missing"},
	{"container image empty", dep("image: nginx", `image: ""`), 25, "spec.workload.objects[0].spec.template.spec.containers[0].image", "must not be empty"},
	{"container name not a label", dep("- name: c", "- name: C"), 24, "spec.workload.objects[0].spec.template.spec.containers[0].name", "must be a DNS-1123 label"},
	{"no containers", dep("              containers:\n                - name: c\n                  image: nginx\n", "              containers: []\n"), 23,
		"spec.workload.objects[0].spec.template.spec.containers", "must list at least one container"},
	{"container name twice", deploymentBase + "                - {name: c, image: other}\n", 26,
		"spec.workload.objects[0].spec.template.spec.containers[1].name", `duplicate container name "c" (also spec.workload.objects[0].spec.template.spec.containers[0].name)`},
	{"cpu request bad quantity", container("resources: {requests: {cpu: 1.2.3}}"), 26,
		"spec.workload.objects[0].spec.template.spec.containers[0].resources.requests.cpu", `invalid quantity "1.2.3"`},
	{"memory request negative", container("resources: {requests: {memory: -1Gi}}"), 26,
		"spec.workload.objects[0].spec.template.spec.containers[0].resources.requests.memory", "must not be negative, got -1Gi"},
	{"request over limit", container("resources:", "  requests: {cpu: \"2\"}", "  limits: {cpu: \"1\"}"), 27,
		"spec.workload.objects[0].spec.template.spec.containers[0].resources.requests.cpu", "must be less than or equal to the cpu limit"},
	{"resources typo", container("resourses: {requests: {cpu: 1}}"), 26,
		"spec.workload.objects[0].spec.template.spec.containers[0].resourses", `unknown field (did you mean "resources"?)`},
	{"init container restartPolicy OnFailure", podSpecField("initContainers: [{name: i, image: busybox, restartPolicy: OnFailure}]"), 26,
		"spec.workload.objects[0].spec.template.spec.initContainers[0].restartPolicy", `must be Always (a sidecar) or unset, got "OnFailure"`},
	{"toleration Exists with a value", podSpecField("tolerations: [{key: k, operator: Exists, value: v}]"), 26,
		"spec.workload.objects[0].spec.template.spec.tolerations[0].value", "must be empty when operator is Exists"},
	{"toleration without key needs Exists", podSpecField("tolerations: [{value: v}]"), 26,
		"spec.workload.objects[0].spec.template.spec.tolerations[0].operator", "must be Exists when key is empty"},
	{"toleration seconds without NoExecute", podSpecField("tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}]"), 26,
		"spec.workload.objects[0].spec.template.spec.tolerations[0].tolerationSeconds", "needs effect NoExecute"},
	{"toleration effect typo", podSpecField("tolerations: [{key: k, operator: Exists, effect: NoExecut}]"), 26,
		"spec.workload.objects[0].spec.template.spec.tolerations[0].effect", `unknown effect "NoExecut" (did you mean "NoExecute"?)`},
	{"node affinity Gt not an integer", podSpecField("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: [many]}]}]}}}"), 26,
		"spec.workload.objects[0].spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
		`must be an integer when operator is Gt or Lt, got "many"`},
	{"node affinity without terms", podSpecField("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}"), 26,
		"spec.workload.objects[0].spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", "must have at least one node selector term"},
	{"pod affinity weight 0", podSpecField("affinity: {podAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, podAffinityTerm: {topologyKey: zone}}]}}"), 26,
		"spec.workload.objects[0].spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "must be in the range 1-100, got 0"},
	{"pod affinity without topologyKey", podSpecField("affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: web}}}]}}"), 26,
		"spec.workload.objects[0].spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey", "required field is missing"},
	{"spread maxSkew 0", podSpecField("topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]"), 26,
		"spec.workload.objects[0].spec.template.spec.topologySpreadConstraints[0].maxSkew", "must be greater than zero, got 0"},
	{"spread minDomains with ScheduleAnyway", podSpecField("topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 2}]"), 26,
		"spec.workload.objects[0].spec.template.spec.topologySpreadConstraints[0].minDomains", "can only be set with whenUnsatisfiable DoNotSchedule"},
	{"grace period negative", podSpecField("terminationGracePeriodSeconds: -5"), 26,
		"spec.workload.objects[0].spec.template.spec.terminationGracePeriodSeconds", "must be greater than or equal to 0, got -5"},
	{"pod on an unknown node", base + "  workload:\n    objects:\n      - apiVersion: v1\n        kind: Pod\n        metadata: {name: p}\n        spec:\n          nodeName: node-9\n          containers: [{name: c, image: i}]\n", 18,
		"spec.workload.objects[0].spec.nodeName", `no node named "node-9"`},
	{"node named like a pool node", base + "  workload:\n    objects:\n      - {apiVersion: v1, kind: Node, metadata: {name: node-1}}\n", 14,
		"spec.workload.objects[0].metadata.name", `node "node-1" is already a node of a pool`},
	{"node taint without effect", base + "  workload:\n    objects:\n      - {apiVersion: v1, kind: Node, metadata: {name: n}, spec: {taints: [{key: k}]}}\n", 14,
		"spec.workload.objects[0].spec.taints[0].effect", "required field is missing"},
	{"node image without names", base + "  workload:\n    objects:\n      - {apiVersion: v1, kind: Node, metadata: {name: n}, status: {images: [{names: [], sizeBytes: 1}]}}\n", 14,
		"spec.workload.objects[0].status.images[0].names", "must list at least one name"},
	{"node image size negative", base + "  workload:\n    objects:\n      - {apiVersion: v1, kind: Node, metadata: {name: n}, status: {images: [{names: [a], sizeBytes: -1}]}}\n", 14,
		"spec.workload.objects[0].status.images[0].sizeBytes", "must not be negative, got -1"},
	{"List item without spec", base + "  workload:\n    objects:\n      - {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod, metadata: {name: p}}]}\n", 14,
		"spec.workload.objects[0].items[0].spec", "required field is missing"},

	// manifests: Service
	{"service name not a DNS-1035 label", svc("{name: web}", "{name: 1web}"), 16, "spec.workload.objects[0].metadata.name", "a Service name must be a DNS-1035 label"},
	{"service name with a dot", svc("{name: web}", "{name: web.v1}"), 16, "spec.workload.objects[0].metadata.name", "must be a DNS-1035 label"},
	{"service name too long", svc("{name: web}", "{name: "+strings.Repeat("w", 64)+"}"), 16, "spec.workload.objects[0].metadata.name", "at most 63 characters, got 64"},
	{"service old apiVersion", svc("apiVersion: v1", "apiVersion: apps/v1"), 14, "spec.workload.objects[0].apiVersion", `Service is served as v1, not "apps/v1"`},
	{"service without spec", svc("        spec:\n          selector: {app: web}\n          ports:\n            - port: 80\n", ""), 14,
		"spec.workload.objects[0].spec", "required field is missing"},
	{"service spec typo", svc("selector:", "selecter:"), 18, "spec.workload.objects[0].spec.selecter", `unknown field (did you mean "selector"?)`},
	{"service selector value", svc("{app: web}", "{app: a b}"), 18, "spec.workload.objects[0].spec.selector.app", `"a b" is not a label value`},
	{"service selector not strings", svc("{app: web}", "{replicas: 3}"), 18, "spec.workload.objects[0].spec.selector.replicas", `expected a string, got the integer 3 (quote it: "3")`},
	{"service without ports", svc("          ports:\n            - port: 80\n", ""), 17, "spec.workload.objects[0].spec.ports",
		"required field is missing: a ClusterIP Service needs at least one port"},
	{"service port 0", svc("port: 80", "port: 0"), 20, "spec.workload.objects[0].spec.ports[0].port", "must be between 1 and 65535, inclusive, got 0"},
	{"service port too large", svc("port: 80", "port: 70000"), 20, "spec.workload.objects[0].spec.ports[0].port", "must be between 1 and 65535, inclusive, got 70000"},
	{"service port missing", svc("- port: 80", "- name: http"), 20, "spec.workload.objects[0].spec.ports[0].port", "required field is missing"},
	{"service port a string", svc("port: 80", "port: http"), 20, "spec.workload.objects[0].spec.ports[0].port", `expected an integer, got the string "http"`},
	{"service port protocol", svc("- port: 80", "- {port: 80, protocol: tcp}"), 20, "spec.workload.objects[0].spec.ports[0].protocol", `unknown protocol "tcp" (did you mean "TCP"?)`},
	{"service port name", svc("- port: 80", "- {port: 80, name: HTTP}"), 20, "spec.workload.objects[0].spec.ports[0].name", "must be a DNS-1123 label"},
	{"service port field typo", svc("- port: 80", "- {port: 80, targetPrt: 8080}"), 20, "spec.workload.objects[0].spec.ports[0].targetPrt", `unknown field (did you mean "targetPort"?)`},
	{"service targetPort name", svc("- port: 80", "- {port: 80, targetPort: http_web}"), 20, "spec.workload.objects[0].spec.ports[0].targetPort",
		`a named port must contain only lower-case letters, digits and '-', got "http_web"`},
	{"service targetPort quoted number", svc("- port: 80", `- {port: 80, targetPort: "8080"}`), 20, "spec.workload.objects[0].spec.ports[0].targetPort",
		"must contain at least one letter"},
	{"service targetPort too large", svc("- port: 80", "- {port: 80, targetPort: 65536}"), 20, "spec.workload.objects[0].spec.ports[0].targetPort", "must be between 1 and 65535"},
	{"service ports without names", svc("- port: 80", "- port: 80\n            - port: 443"), 20, "spec.workload.objects[0].spec.ports[0].name",
		"required field is missing: a Service with several ports names each"},
	{"service port names twice", svc("- port: 80", "- {name: http, port: 80}\n            - {name: http, port: 8080}"), 21, "spec.workload.objects[0].spec.ports[1].name",
		`duplicate port name "http"`},
	{"service port twice", svc("- port: 80", "- {name: a, port: 80}\n            - {name: b, port: 80}"), 21, "spec.workload.objects[0].spec.ports[1].port",
		"duplicate port 80/TCP"},
	{"service type typo", svcField("type: ClusterIp"), 21, "spec.workload.objects[0].spec.type", `unknown Service type "ClusterIp" (did you mean "ClusterIP"?)`},
	{"service ExternalName without externalName", svcField("type: ExternalName"), 17, "spec.workload.objects[0].spec.externalName",
		"required field is missing for an ExternalName Service"},
	{"service ExternalName with clusterIP", svcField("type: ExternalName\n          externalName: db.example.com\n          clusterIP: 10.0.0.1"), 23,
		"spec.workload.objects[0].spec.clusterIP", "must be empty for ExternalName services"},
	{"service externalName not a name", svcField("type: ExternalName\n          externalName: db_1"), 22, "spec.workload.objects[0].spec.externalName", "DNS-1123 subdomain"},
	{"service headless NodePort", svcField("type: NodePort\n          clusterIP: None"), 22, "spec.workload.objects[0].spec.clusterIP",
		"may not be set to 'None' for NodePort services"},
	{"service clusterIP garbage", svcField("clusterIP: auto"), 21, "spec.workload.objects[0].spec.clusterIP", `must be empty, 'None', or a valid IP address, got "auto"`},
	{"service publishNotReadyAddresses", svcField(`publishNotReadyAddresses: "true"`), 21, "spec.workload.objects[0].spec.publishNotReadyAddresses", "expected true or false"},
	{"scale a service", serviceBase + "    actions:\n      - {at: 1m, type: scale, object: svc/web, replicas: 2}\n", 22,
		"spec.workload.actions[0].object", "scale applies to a Deployment or a ReplicaSet, not a Service"},
	{"update a service", serviceBase + "    actions:\n      - {at: 1m, type: update, object: service/web, image: x}\n", 22,
		"spec.workload.actions[0].object", "update applies to a Deployment, not a Service"},
	{"delete a service twice", serviceBase + "    actions:\n      - {at: 1m, type: delete, object: svc/web}\n      - {at: 2m, type: delete, object: services/web}\n", 23,
		"spec.workload.actions[1].object", "no service/web exists at 2m0s"},

	// actions
	{"action type typo", act("{at: 1m, type: scael, object: deployment/web, replicas: 3}"), 27, "spec.workload.actions[0].type", `unknown action type "scael" (did you mean "scale"?)`},
	{"action after the end", act("{at: 5m, type: delete, object: deployment/web}"), 27, "spec.workload.actions[0].at", "must be before the end of the run (spec.duration 5m0s), got 5m0s"},
	{"action without at", act("{type: delete, object: deployment/web}"), 27, "spec.workload.actions[0].at", "required field is missing"},
	{"scale without replicas", act("{at: 1m, type: scale, object: deployment/web}"), 27, "spec.workload.actions[0].replicas", "required field is missing"},
	{"scale negative", act("{at: 1m, type: scale, object: deployment/web, replicas: -2}"), 27, "spec.workload.actions[0].replicas", "must be greater than or equal to 0, got -2"},
	{"scale a node", act("{at: 1m, type: scale, object: node/node-0, replicas: 2}"), 27, "spec.workload.actions[0].object", "scale applies to a Deployment or a ReplicaSet, not a Node"},
	{"scale an unknown deployment", act("{at: 1m, type: scale, object: deployment/wbe, replicas: 2}"), 27, "spec.workload.actions[0].object", "no deployment/wbe exists at 1m0s"},
	{"scale in another namespace", act("{at: 1m, type: scale, object: deployment/web, namespace: prod, replicas: 2}"), 27,
		"spec.workload.actions[0].object", "no deployment/web in namespace prod exists at 1m0s"},
	{"update changes nothing", act("{at: 1m, type: update, object: deployment/web}"), 27, "spec.workload.actions[0]", "update needs image, requests or limits"},
	{"update unknown container", act("{at: 1m, type: update, object: deployment/web, container: nginx, image: nginx:2}"), 27,
		"spec.workload.actions[0]", `the template has no container "nginx"; its containers are "c"`},
	{"update over the limit", container("resources: {limits: {cpu: 500m}}") + "    actions:\n      - {at: 1m, type: update, object: deployment/web, requests: {cpu: \"1\"}}\n", 28,
		"spec.workload.actions[0]", "the updated template is invalid: objects: containers[0].requests.cpu: must be less than or equal to cpu limit"},
	{"update a pod", base + "  workload:\n    objects:\n      - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: i}]}}\n    actions:\n      - {at: 1s, type: update, object: pod/p, image: x}\n", 16,
		"spec.workload.actions[0].object", "update applies to a Deployment, not a Pod"},
	{"update requests typo", act("{at: 1m, type: update, object: deployment/web, requests: {cpus: 1}}"), 27, "spec.workload.actions[0].requests.cpus", `did you mean "cpu"?`},
	{"replicas on delete", act("{at: 1m, type: delete, object: deployment/web, replicas: 0}"), 27, "spec.workload.actions[0].replicas", "only scale takes replicas, not delete"},
	{"image on scale", act("{at: 1m, type: scale, object: deployment/web, replicas: 1, image: x}"), 27, "spec.workload.actions[0].image", "only update takes image, not scale"},
	{"delete without object", act("{at: 1m, type: delete}"), 27, "spec.workload.actions[0].object", "required field is missing: the delete's target"},
	{"delete grace not whole seconds", act("{at: 1m, type: delete, object: deployment/web, gracePeriod: 1500ms}"), 27,
		"spec.workload.actions[0].gracePeriod", "must be whole seconds"},
	{"delete twice", actionBase + "      - {at: 1m, type: delete, object: deployment/web}\n      - {at: 2m, type: delete, object: deploy/web}\n", 28,
		"spec.workload.actions[1].object", "no deployment/web exists at 2m0s"},
	{"object ref without kind", act("{at: 1m, type: delete, object: web}"), 27, "spec.workload.actions[0].object", `expected kind/name such as deployment/nginx, got "web"`},
	{"object ref unknown kind", act("{at: 1m, type: delete, object: cm/web}"), 27, "spec.workload.actions[0].object", `unknown kind "cm"`},
	{"node ref with namespace", act("{at: 1m, type: delete, object: node/node-0, namespace: default}"), 27, "spec.workload.actions[0].namespace", "a Node is cluster-scoped"},
	{"create with object and manifest", act("{at: 1m, type: create, object: deployment/web, manifest: {apiVersion: v1, kind: Pod}}"), 27,
		"spec.workload.actions[0]", "a create takes one of object, manifest and file"},
	{"create of nothing", act("{at: 1m, type: create}"), 27, "spec.workload.actions[0]", "create needs object"},
	{"create of an unknown object", act("{at: 1m, type: create, object: deployment/api}"), 27, "spec.workload.actions[0].object", "no deployment/api in spec.workload.objects to create"},
	{"create of an existing object", act("{at: 1m, type: create, manifest: {apiVersion: v1, kind: Node, metadata: {name: n}}}") +
		"      - {at: 2m, type: create, manifest: {apiVersion: v1, kind: Node, metadata: {name: n}}}\n", 28, "spec.workload.actions[1]", "node/n already exists at 2m0s"},
	{"create a pool node", act("{at: 1m, type: create, manifest: {apiVersion: v1, kind: Node, metadata: {name: node-0}}}"), 27,
		"spec.workload.actions[0].manifest.metadata.name", `node "node-0" is already a node of a pool`},
	{"manifest on scale", act("{at: 1m, type: scale, object: deployment/web, replicas: 1, manifest: {kind: Pod}}"), 27,
		"spec.workload.actions[0].manifest", "only create takes manifest"},
	{"namespace without object", act("{at: 1m, type: create, namespace: x, manifest: {apiVersion: v1, kind: Node, metadata: {name: n}}}"), 27,
		"spec.workload.actions[0].namespace", "goes with object"},
	{"bad manifest in an action", act("{at: 1m, type: create, manifest: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c}]}}}"), 27,
		"spec.workload.actions[0].manifest.spec.containers[0].image", "required field is missing"},

	// pod churn
	{"podChurn rate 0", strings.Replace(podChurnBase, "rate: 5", "rate: 0", 1), 15, "spec.workload.podChurn[0].rate", "must be at least one pod a day"},
	{"podChurn rate too high", strings.Replace(podChurnBase, "rate: 5", "rate: 20000", 1), 15, "spec.workload.podChurn[0].rate", "must be at most 10000 pods per second"},
	{"podChurn without template", strings.Replace(podChurnBase, "        template:\n          spec: {containers: [{name: c, image: busybox}]}\n", "", 1), 14,
		"spec.workload.podChurn[0].template", "required field is missing"},
	{"podChurn template without containers", strings.Replace(podChurnBase, "{containers: [{name: c, image: busybox}]}", "{nodeSelector: {a: b}}", 1), 18,
		"spec.workload.podChurn[0].template.spec.containers", "required field is missing"},
	{"podChurn lifetime 0", strings.Replace(podChurnBase, "lifetime: 1m", "lifetime: 0s", 1), 16, "spec.workload.podChurn[0].lifetime", "must be able to exceed 0"},
	{"podChurn lifetime missing", strings.Replace(podChurnBase, "        lifetime: 1m\n", "", 1), 14, "spec.workload.podChurn[0].lifetime", "required field is missing"},
	{"podChurn field typo", churnField("lifetme: 1m"), 19, "spec.workload.podChurn[0].lifetme", `did you mean "lifetime"?`},
	{"podChurn start at the end", churnField("start: 5m"), 19, "spec.workload.podChurn[0].start", "must be before the end of the run"},
	{"podChurn name twice", podChurnBase + "      - {name: batch, rate: 1, lifetime: 1s, template: {spec: {containers: [{name: c, image: i}]}}}\n", 19,
		"spec.workload.podChurn[1].name", `duplicate pod churn name "batch"`},
	{"podChurn namespace not a label", churnField("namespace: Batch"), 19, "spec.workload.podChurn[0].namespace", "must be a DNS-1123 label"},

	// node pools, object sizes, kubelet
	{"pool pods 0", base + "        pods: 0\n", 12, "spec.cluster.nodePools[0].pods", "must be at least 1, got 0"},
	{"pool label sets the hostname", base + "        labels: {kubernetes.io/hostname: x}\n", 12, "spec.cluster.nodePools[0].labels.kubernetes.io/hostname", "is set on each node to its name"},
	{"pool label sets the zone", base + "        labels: {topology.kubernetes.io/zone: x}\n", 12, "spec.cluster.nodePools[0].labels.topology.kubernetes.io/zone", "from the pool's zones"},
	{"pool label key invalid", base + "        labels: {\"a/b/c\": x}\n", 12, "spec.cluster.nodePools[0].labels.a/b/c", "is not a qualified name"},
	{"pool label value a bool", base + "        labels: {ssd: true}\n", 12, "spec.cluster.nodePools[0].labels.ssd", `expected a string, got the boolean true (quote it: "true")`},
	{"pool taint effect typo", base + "        taints: [{key: k, effect: NoSchedul}]\n", 12, "spec.cluster.nodePools[0].taints[0].effect", `unknown effect "NoSchedul" (did you mean "NoSchedule"?)`},
	{"pool taint twice", base + "        taints: [{key: k, effect: NoSchedule}, {key: k, value: v, effect: NoSchedule}]\n", 12,
		"spec.cluster.nodePools[0].taints[1]", "taint k:NoSchedule given twice"},
	{"pool taint without key", base + "        taints: [{effect: NoSchedule}]\n", 12, "spec.cluster.nodePools[0].taints[0].key", "required field is missing"},
	{"pool image size negative", base + "        images: [{name: nginx, size: -1}]\n", 12, "spec.cluster.nodePools[0].images[0].size", "must not be negative"},
	{"pool image twice", base + "        images: [{name: nginx, size: 1}, {name: \"nginx:latest\", size: 2}]\n", 12,
		"spec.cluster.nodePools[0].images[1].name", `image "nginx:latest" listed twice`},
	{"object size too large", base + "    objectSizes: {pod: 2Mi}\n", 12, "spec.cluster.objectSizes.pod", "must be 1 to 1572864 bytes"},
	{"object size unknown kind", base + "    objectSizes: {service: 1Ki}\n", 12, "spec.cluster.objectSizes.service", "unknown field"},
	{"nodeLease not a bool", base + "    kubelet: {nodeLease: legacy}\n", 12, "spec.cluster.kubelet.nodeLease", `expected true or false, got the string "legacy"`},
}
