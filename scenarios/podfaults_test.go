package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// podFaultBase is base with two kube-controller-manager instances and a
// bare pod p (line 15); pf appends one fault at line 17 ("- at: 1m"), its
// type at 18 and further fields from 19.
const podFaultBase = base + `    controllerManager: {replicas: 2}
  workload:
    objects:
      - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: i}]}}
  faults:
`

func pf(fields ...string) string {
	return podFaultBase + "    - at: 1m\n      " + strings.Join(fields, "\n      ") + "\n"
}

func TestPodFaultsParse(t *testing.T) {
	doc := podFaultBase + `    - {at: 10s, type: stopControllerManager, instances: {leader: true}, duration: 20s}
    - {at: 20s, type: stopControllerManager, instances: {names: [kube-controller-manager-1]}}
    - {at: 30s, type: stopControllerManager}
    - at: 40s
      type: memoryPressure
      pods:
        - {name: p, memory: 1.5Gi}
        - {name: p, namespace: other, memory: "0"}
      duration: 1m
`
	doc = strings.Replace(doc, "      - {apiVersion: v1, kind: Pod, metadata: {name: p}",
		"      - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: other}, spec: {containers: [{name: c, image: i}]}}\n      - {apiVersion: v1, kind: Pod, metadata: {name: p}", 1)
	s := mustParse(t, doc)
	want := []Fault{
		{At: 10 * time.Second, Type: FaultStopControllerManager, Instances: MemberSelector{Leader: true}, Duration: 20 * time.Second, Line: 18},
		{At: 20 * time.Second, Type: FaultStopControllerManager, Instances: MemberSelector{Names: []string{"kube-controller-manager-1"}}, Line: 19},
		{At: 30 * time.Second, Type: FaultStopControllerManager, Line: 20},
		{At: 40 * time.Second, Type: FaultMemoryPressure, Pods: []PodMemory{
			{Name: "p", Namespace: "default", MemoryBytes: 3 << 29, Line: 24},
			{Name: "p", Namespace: "other", MemoryBytes: 0, Line: 25},
		}, Duration: time.Minute, Line: 21},
	}
	if got := s.Spec.Faults; !reflect.DeepEqual(got, want) {
		t.Errorf("faults:\n got %+v\nwant %+v", got, want)
	}
	cm := s.Spec.Cluster.ControllerManager
	if cm.InstanceName(0) != "kube-controller-manager-0" || cm.InstanceName(1) != "kube-controller-manager-1" {
		t.Errorf("instance names %q, %q", cm.InstanceName(0), cm.InstanceName(1))
	}
	if one := (ControllerManager{Replicas: 1}); one.InstanceName(0) != "kube-controller-manager" {
		t.Errorf("single instance name %q", one.InstanceName(0))
	}
}

func TestSelectorDeleteParse(t *testing.T) {
	s := mustParse(t, actionBase+`      - {at: 1m, type: delete, selector: {app: web, tier: front}, count: 2, gracePeriod: 0s}
      - {at: 2m, type: delete, selector: {app: web}, namespace: shop}
`)
	want := []Action{
		{At: time.Minute, Type: ActionDelete, Object: ObjectRef{Kind: KindPod, Namespace: "default"},
			Selector: []KeyValue{{"app", "web"}, {"tier", "front"}}, Count: 2, GraceSet: true, Line: 27},
		{At: 2 * time.Minute, Type: ActionDelete, Object: ObjectRef{Kind: KindPod, Namespace: "shop"},
			Selector: []KeyValue{{"app", "web"}}, Line: 28},
	}
	if got := s.Spec.Workload.Actions; !reflect.DeepEqual(got, want) {
		t.Errorf("actions:\n got %+v\nwant %+v", got, want)
	}
}

func init() { badCases = append(badCases, podFaultBadCases...) }

// podFaultBadCases covers stopControllerManager, memoryPressure and
// deletes by selector.
var podFaultBadCases = []badCase{
	// stopControllerManager
	{"stopControllerManager without pods", base + "  faults:\n    - at: 1m\n      type: stopControllerManager\n", 14,
		"spec.faults[0].type", "stopControllerManager needs kube-controller-manager, which runs only with pods"},
	{"stopControllerManager unknown instance", pf("type: stopControllerManager", "instances: {names: [kube-controller-manager-2]}"), 19,
		"spec.faults[0].instances.names[0]", `no kube-controller-manager instance named "kube-controller-manager-2" (did you mean "kube-controller-manager-0"?); the instances are`},
	{"stopControllerManager instance of one replica", strings.Replace(pf("type: stopControllerManager", "instances: {names: [kube-controller-manager-0]}"), "replicas: 2", "replicas: 1", 1), 19,
		"spec.faults[0].instances.names[0]", `the instances are "kube-controller-manager" (spec.cluster.controllerManager.replicas: 1)`},
	{"stopControllerManager names and leader", pf("type: stopControllerManager", "instances: {names: [kube-controller-manager-0], leader: true}"), 19,
		"spec.faults[0].instances", "give names or leader: true, not both"},
	{"stopControllerManager empty names", pf("type: stopControllerManager", "instances: {names: []}"), 19,
		"spec.faults[0].instances.names", "must list at least one instance"},
	{"stopControllerManager instance twice", pf("type: stopControllerManager", "instances: {names: [kube-controller-manager-1, kube-controller-manager-1]}"), 19,
		"spec.faults[0].instances.names[1]", `instance "kube-controller-manager-1" is listed twice`},
	{"stopControllerManager instances typo", pf("type: stopControllerManager", "instances: {leeder: true}"), 19,
		"spec.faults[0].instances.leeder", `unknown field (did you mean "leader"?)`},
	{"stopControllerManager with nodes", pf("type: stopControllerManager", "nodes: {pool: node}"), 19,
		"spec.faults[0].nodes", "stopControllerManager takes instances (kube-controller-manager instance names, or leader: true), not nodes"},
	{"stopControllerManager with members", pf("type: stopControllerManager", "members: {leader: true}"), 19,
		"spec.faults[0].members", "stopControllerManager takes instances"},
	{"instances on stopKubelet", pf("type: stopKubelet", "nodes: {pool: node}", "instances: {leader: true}"), 20,
		"spec.faults[0].instances", "only stopControllerManager takes instances, not stopKubelet"},
	{"stopControllerManager type typo", pf("type: stopControllerManagr"), 18,
		"spec.faults[0].type", `unknown fault type "stopControllerManagr" (did you mean "stopControllerManager"?)`},

	// memoryPressure
	{"memoryPressure without pods", pf("type: memoryPressure"), 17,
		"spec.faults[0].pods", "required field is missing: memoryPressure needs the pods' working sets"},
	{"memoryPressure unknown pod", pf("type: memoryPressure", "pods: [{name: q, memory: 1Gi}]"), 19,
		"spec.faults[0].pods[0].name", `no Pod "q" in namespace "default" in spec.workload.objects (did you mean "p"?)`},
	{"memoryPressure pod in another namespace", pf("type: memoryPressure", "pods: [{name: p, namespace: shop, memory: 1Gi}]"), 19,
		"spec.faults[0].pods[0].name", `no Pod "p" in namespace "shop"`},
	{"memoryPressure pod twice", pf("type: memoryPressure", "pods: [{name: p, memory: 1Gi}, {name: p, memory: 2Gi}]"), 19,
		"spec.faults[0].pods[1].name", `pod "p" is listed twice (also spec.faults[0].pods[0])`},
	{"memoryPressure without memory", pf("type: memoryPressure", "pods: [{name: p}]"), 19,
		"spec.faults[0].pods[0].memory", "required field is missing"},
	{"memoryPressure without name", pf("type: memoryPressure", "pods: [{memory: 1Gi}]"), 19,
		"spec.faults[0].pods[0].name", "required field is missing"},
	{"memoryPressure memory not a quantity", pf("type: memoryPressure", "pods: [{name: p, memory: lots}]"), 19,
		"spec.faults[0].pods[0].memory", `invalid quantity "lots"`},
	{"memoryPressure memory negative", pf("type: memoryPressure", "pods: [{name: p, memory: -1Gi}]"), 19,
		"spec.faults[0].pods[0].memory", "must not be negative, got -1Gi"},
	{"memoryPressure pod typo", pf("type: memoryPressure", "pods: [{name: p, memroy: 1Gi}]"), 19,
		"spec.faults[0].pods[0].memroy", `unknown field (did you mean "memory"?)`},
	{"memoryPressure with nodes", pf("type: memoryPressure", "pods: [{name: p, memory: 1Gi}]", "nodes: {pool: node}"), 20,
		"spec.faults[0].nodes", "memoryPressure takes pods (names and working sets), not nodes"},
	{"pods on stopKubelet", pf("type: stopKubelet", "nodes: {pool: node}", "pods: [{name: p, memory: 1Gi}]"), 20,
		"spec.faults[0].pods", "only memoryPressure takes pods, not stopKubelet"},

	// deletes by selector
	{"delete selector and object", act("{at: 1m, type: delete, object: deployment/web, selector: {app: web}}"), 27,
		"spec.workload.actions[0].selector", "give object or selector, not both"},
	{"delete selector empty", act("{at: 1m, type: delete, selector: {}}"), 27,
		"spec.workload.actions[0].selector", "must have at least one label"},
	{"delete count without selector", act("{at: 1m, type: delete, object: deployment/web, count: 1}"), 27,
		"spec.workload.actions[0].count", "goes with selector"},
	{"delete count 0", act("{at: 1m, type: delete, selector: {app: web}, count: 0}"), 27,
		"spec.workload.actions[0].count", "must be at least 1, got 0 (leave count out to delete every pod selected)"},
	{"delete count negative", act("{at: 1m, type: delete, selector: {app: web}, count: -2}"), 27,
		"spec.workload.actions[0].count", "must be at least 1, got -2"},
	{"scale with selector", act("{at: 1m, type: scale, object: deployment/web, replicas: 3, selector: {app: web}}"), 27,
		"spec.workload.actions[0].selector", "only delete takes selector, not scale"},
	{"delete selector bad value", act(`{at: 1m, type: delete, selector: {app: "a b"}}`), 27,
		"spec.workload.actions[0].selector.app", `"a b" is not a label value`},
	{"delete selector value a number", act("{at: 1m, type: delete, selector: {v: 1}}"), 27,
		"spec.workload.actions[0].selector.v", `expected a string, got the integer 1 (quote it: "1")`},
	{"delete without object or selector", act("{at: 1m, type: delete}"), 27,
		"spec.workload.actions[0].object", "required field is missing"},
}
