package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
)

const mi = 1 << 20

// sym interns s in the scenario's interner.
func sym(s *Scenario, str string) objects.Sym {
	id, ok := s.Interner.Lookup(str)
	if !ok {
		return objects.Sym(-1)
	}
	return id
}

func labelsOf(s *Scenario, kv ...string) objects.Labels {
	var ls []objects.Label
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, objects.Label{Key: s.Interner.Intern(kv[i]), Value: s.Interner.Intern(kv[i+1])})
	}
	out, _ := objects.MakeLabels(ls...)
	return out
}

func warningTexts(s *Scenario) []string {
	var out []string
	for _, w := range s.Warnings() {
		out = append(out, w.Error())
	}
	return out
}

// The Kubernetes documentation's nginx Deployment, its two-container
// frontend Pod and its Service, read from a manifest file next to the
// scenario, convert exactly; the fields orrery does not model are
// warnings.
func TestDocsManifestsConvertExactly(t *testing.T) {
	doc := base + "  workload:\n    objects:\n      - file: manifests/app.yaml\n"
	s, err := Parse(filepath.Join("testdata", "scenario.yaml"), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	objs := s.Spec.Workload.Objects
	if len(objs) != 3 {
		t.Fatalf("%d objects, want the Deployment, the Pod and the Service: %+v", len(objs), objs)
	}
	file := filepath.Join("testdata", "manifests", "app.yaml")

	d := objs[0]
	if d.Kind != KindDeployment || d.Name != "nginx-deployment" || d.Namespace != "default" || d.File != file || d.Line != 4 || d.Deferred {
		t.Errorf("deployment object = %+v", d)
	}
	dep := d.Deployment
	app := labelsOf(s, "app", "nginx")
	if dep.Replicas != 3 || dep.Name != sym(s, "nginx-deployment") || dep.Namespace != objects.NamespaceDefault || dep.ID != 0 || dep.Size != 4000 {
		t.Errorf("deployment = %+v", dep)
	}
	if !reflect.DeepEqual(dep.Selector.MatchLabels, app) || dep.Selector.MatchExpressions != nil || !reflect.DeepEqual(dep.Template.Labels, app) {
		t.Errorf("selector %+v, template labels %+v, want app=nginx", dep.Selector, dep.Template.Labels)
	}
	// SetDefaults_Deployment: RollingUpdate 25%/25%, 10 old ReplicaSets, 600s.
	if dep.Strategy != objects.RollingUpdate || dep.MaxSurge != objects.Percent(25) || dep.MaxUnavailable != objects.Percent(25) ||
		dep.RevisionHistoryLimit != 10 || dep.ProgressDeadlineSeconds != 600 || dep.MinReadySeconds != 0 {
		t.Errorf("deployment defaults = %+v", dep)
	}
	// 25% of 3: surge rounds up to 1, unavailable down to 0.
	if surge, unavail := objects.ResolveFenceposts(dep.MaxSurge, dep.MaxUnavailable, dep.Replicas); surge != 1 || unavail != 0 {
		t.Errorf("fenceposts = %d, %d, want 1, 0", surge, unavail)
	}
	spec := dep.Template.Spec
	if len(spec.Containers) != 1 || spec.Containers[0].Name != sym(s, "nginx") || spec.Containers[0].Image != sym(s, "nginx:1.14.2") ||
		spec.Containers[0].Requests != (objects.Quantities{}) || spec.QOS() != objects.BestEffort ||
		spec.NonZeroRequests() != objects.NonZeroDefaults {
		t.Errorf("nginx template spec = %+v, qos %v", spec.Containers, spec.QOS())
	}

	p := objs[1]
	if p.Kind != KindPod || p.Name != "frontend" || p.Line != 27 || p.Pod.ID != 0 || p.Pod.NodeName != objects.NoNode || p.Pod.Size != 4000 {
		t.Errorf("pod object = %+v, pod %+v", p, p.Pod)
	}
	ps := p.Pod.Spec
	want := objects.Quantities{Resources: objects.Resources{MilliCPU: 250, Memory: 64 * mi}, Set: objects.CPU | objects.Memory}
	lim := objects.Quantities{Resources: objects.Resources{MilliCPU: 500, Memory: 128 * mi}, Set: objects.CPU | objects.Memory}
	for i, c := range ps.Containers {
		if c.Requests != want || c.Limits != lim {
			t.Errorf("container %d requests %+v limits %+v", i, c.Requests, c.Limits)
		}
	}
	if ps.Requests() != (objects.Resources{MilliCPU: 500, Memory: 128 * mi}) || ps.QOS() != objects.Burstable {
		t.Errorf("pod requests %+v qos %v, want 500m 128Mi Burstable", ps.Requests(), ps.QOS())
	}
	if ps.Containers[1].Image != sym(s, "images.my-company.example/log-aggregator:v6") {
		t.Errorf("image %q", s.Interner.String(ps.Containers[1].Image))
	}

	sv := objs[2]
	wantSvc := objects.Service{ID: 0, Namespace: objects.NamespaceDefault, Name: sym(s, "my-service"),
		Selector: labelsOf(s, "app.kubernetes.io/name", "MyApp"), Ports: 1, Size: objects.DefaultServiceSize}
	if sv.Kind != KindService || sv.Name != "my-service" || sv.Line != 53 || !reflect.DeepEqual(*sv.Service, wantSvc) {
		t.Errorf("service object = %+v, service %+v", sv, sv.Service)
	}

	wantWarnings := []string{
		file + ":23: spec.template.spec.containers[0].ports: not modeled by orrery; ignored",
	}
	if got := warningTexts(s); !slices.Equal(got, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantWarnings, "\n"))
	}
	if got := s.Spec.Workload.Namespaces(); !slices.Equal(got, []string{"default"}) {
		t.Errorf("namespaces = %v", got)
	}
}

// A built-in scenario reads its manifests from the embedded builtin/
// directory, and cannot climb out of it.
func TestBuiltinManifest(t *testing.T) {
	doc := base + "  workload:\n    objects:\n      - file: manifests/nginx-deployment.yaml\n"
	s, err := Parse("builtin:x", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Spec.Workload.Objects; len(o) != 1 || o[0].Deployment == nil || o[0].File != "builtin:manifests/nginx-deployment.yaml" || o[0].Line != 4 {
		t.Fatalf("objects = %+v", o)
	}
	if got := warningTexts(s); len(got) != 1 || got[0] != "builtin:manifests/nginx-deployment.yaml:23: spec.template.spec.containers[0].ports: not modeled by orrery; ignored" {
		t.Errorf("warnings = %q", got)
	}
	_, err = Parse("builtin:x", []byte(strings.Replace(doc, "manifests/nginx", "../nginx", 1)))
	if err == nil || !strings.Contains(err.Error(), "must be inside builtin/") {
		t.Errorf("escaping builtin/: %v", err)
	}
	for _, name := range Builtins() {
		if strings.Contains(name, "manifests") {
			t.Errorf("Builtins lists %q", name)
		}
	}
}

// objectsBase has two node pools and an inline Deployment, ReplicaSet, Pod
// and Node; actions follow at line 70.
const objectsBase = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: objects
spec:
  duration: 10m
  cluster:
    nodePools:
      - name: a
        count: 2
        zones: [z1, z2]
        labels: {disk: ssd}
        taints: [{key: dedicated, value: a, effect: NoSchedule}]
        images: [{name: nginx, size: 50Mi}]
      - name: b
        count: 1
        pods: 30
  workload:
    objects:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          replicas: 4
          selector: {matchLabels: {app: web}}
          strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: "50%"}}
          minReadySeconds: 5
          template:
            metadata: {labels: {app: web, tier: front}}
            spec:
              containers:
                - name: web
                  image: nginx:1.25
                  resources: {limits: {cpu: "1", memory: 1Gi}}
                - name: sidecar
                  image: envoy
              tolerations:
                - {key: dedicated, operator: Equal, value: a, effect: NoSchedule}
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                      - matchExpressions: [{key: disk, operator: In, values: [ssd]}]
                podAntiAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 50
                      podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
              topologySpreadConstraints:
                - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: cache}
        spec:
          selector: {matchExpressions: [{key: app, operator: Exists}]}
          template:
            metadata: {labels: {app: cache}}
            spec: {containers: [{name: redis, image: redis, resources: {requests: {cpu: 100m}}}]}
      - apiVersion: v1
        kind: Pod
        metadata: {name: pinned, labels: {app: pinned}}
        spec: {nodeName: extra, terminationGracePeriodSeconds: 0, containers: [{name: c, image: busybox}]}
      - apiVersion: v1
        kind: Node
        metadata: {name: extra, labels: {topology.kubernetes.io/zone: z9}}
        spec: {taints: [{key: gpu, effect: NoExecute}], unschedulable: true}
        status:
          allocatable: {cpu: "8", memory: 32Gi, pods: "250"}
          images: [{names: ["registry.k8s.io/pause@sha256:abc", "registry.k8s.io/pause:3.9"], sizeBytes: 300000}]
    actions:
`

func TestInlineObjects(t *testing.T) {
	s := mustParse(t, objectsBase)
	objs := s.Spec.Workload.Objects
	if len(objs) != 4 {
		t.Fatalf("%d objects", len(objs))
	}
	if len(s.Warnings()) != 0 {
		t.Errorf("warnings: %v", warningTexts(s))
	}
	dep := objs[0].Deployment
	if objs[0].Namespace != "shop" || dep.Namespace != sym(s, "shop") || dep.Replicas != 4 || dep.MaxSurge != objects.Int(1) ||
		dep.MaxUnavailable != objects.Percent(50) || dep.MinReadySeconds != 5 {
		t.Errorf("deployment %+v", dep)
	}
	spec := dep.Template.Spec
	// Requests default to limits in a finished spec: the web container is
	// 1 CPU / 1Gi, the sidecar requests nothing: Burstable.
	if spec.Requests() != (objects.Resources{MilliCPU: 1000, Memory: 1 << 30}) || spec.QOS() != objects.Burstable {
		t.Errorf("requests %+v qos %v", spec.Requests(), spec.QOS())
	}
	if spec.Containers[1].Image != sym(s, "envoy:latest") {
		t.Errorf("sidecar image not normalised: %q", s.Interner.String(spec.Containers[1].Image))
	}
	wantTol := objects.Toleration{Key: sym(s, "dedicated"), Operator: objects.TolerateEqual, Value: sym(s, "a"), Effect: objects.NoSchedule}
	if len(spec.Tolerations) != 1 || spec.Tolerations[0] != wantTol {
		t.Errorf("tolerations %+v", spec.Tolerations)
	}
	req := spec.NodeAffinity.Required
	if len(req) != 1 || len(req[0].MatchExpressions) != 1 || req[0].MatchExpressions[0].Op != objects.OpIn ||
		!slices.Equal(req[0].MatchExpressions[0].Values, []objects.Sym{sym(s, "ssd")}) {
		t.Errorf("node affinity %+v", spec.NodeAffinity)
	}
	anti := spec.PodAntiAffinity.Preferred
	if len(anti) != 1 || anti[0].Weight != 50 || anti[0].Term.TopologyKey != objects.LabelHostname ||
		!reflect.DeepEqual(anti[0].Term.Selector.MatchLabels, labelsOf(s, "app", "web")) {
		t.Errorf("anti-affinity %+v", spec.PodAntiAffinity)
	}
	ts := spec.TopologySpread
	if len(ts) != 1 || ts[0].MaxSkew != 1 || ts[0].TopologyKey != objects.LabelTopologyZone || ts[0].WhenUnsatisfiable != objects.DoNotSchedule {
		t.Errorf("spread %+v", ts)
	}

	rs := objs[1].ReplicaSet
	if objs[1].Namespace != "default" || rs.Replicas != 1 || rs.Selector.MatchExpressions[0].Op != objects.OpExists || rs.ID != 0 ||
		rs.Template.Spec.Requests() != (objects.Resources{MilliCPU: 100}) {
		t.Errorf("replicaset %+v", rs)
	}

	// Pool nodes are 0-2; the Node object is 3, and the pod bound to it.
	pod := objs[2].Pod
	if objs[2].NodeName != "extra" || pod.NodeName != 3 || !reflect.DeepEqual(pod.Labels, labelsOf(s, "app", "pinned")) ||
		pod.Spec.TerminationGracePeriod != 0 || spec.TerminationGracePeriod != objects.DefaultTerminationGracePeriod {
		t.Errorf("pod %+v (node name %q)", pod, objs[2].NodeName)
	}
	node := objs[3].Node
	if node.ID != 3 || node.Allocatable != (objects.Resources{MilliCPU: 8000, Memory: 32 << 30}) || node.MaxPods != 250 || !node.Unschedulable ||
		len(node.Taints) != 1 || node.Taints[0] != (objects.Taint{Key: sym(s, "gpu"), Effect: objects.NoExecute}) ||
		len(node.Images) != 1 || node.Images[0] != (objects.NodeImage{Name: sym(s, "registry.k8s.io/pause:3.9"), Size: 300000}) || node.Size != 15000 {
		t.Errorf("node %+v", node)
	}
	if z, _ := node.Labels.Get(objects.LabelTopologyZone); z != sym(s, "z9") || !node.Labels.Has(objects.LabelHostname) {
		t.Errorf("node labels %+v", node.Labels)
	}
	if id, ok := s.NodeID("extra"); !ok || id != 3 {
		t.Errorf("NodeID(extra) = %d, %v", id, ok)
	}
	if got := s.Spec.Workload.Namespaces(); !slices.Equal(got, []string{"default", "shop"}) {
		t.Errorf("namespaces = %v", got)
	}
}

// Pool nodes carry the pool's labels, taints and images, their hostname
// and zone, and IDs in pool order.
func TestPoolNode(t *testing.T) {
	s := mustParse(t, objectsBase)
	if s.PoolNodes() != 3 {
		t.Fatalf("PoolNodes = %d", s.PoolNodes())
	}
	n := s.PoolNode(0, 1)
	want := objects.Node{
		ID: 1, Name: sym(s, "a-1"),
		Labels:      labelsOf(s, "disk", "ssd", "kubernetes.io/hostname", "a-1", "topology.kubernetes.io/zone", "z2"),
		Allocatable: objects.Resources{MilliCPU: 4000, Memory: 16 << 30}, MaxPods: 110,
		Taints: []objects.Taint{{Key: sym(s, "dedicated"), Value: sym(s, "a"), Effect: objects.NoSchedule}},
		Images: []objects.NodeImage{{Name: sym(s, "nginx:latest"), Size: 50 * mi}},
		Size:   15000,
	}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("PoolNode(0, 1) =\n %+v\nwant\n %+v", n, want)
	}
	if b := s.PoolNode(1, 0); b.ID != 2 || b.MaxPods != 30 || b.Taints != nil || len(b.Labels) != 2 {
		t.Errorf("PoolNode(1, 0) = %+v", b)
	}
	for name, want := range map[string]int32{"a-0": 0, "a-1": 1, "b-0": 2} {
		if id, ok := s.NodeID(name); !ok || id != want {
			t.Errorf("NodeID(%s) = %d, %v", name, id, ok)
		}
	}
	for _, name := range []string{"a-2", "b-00", "c-0", "extr"} {
		if _, ok := s.NodeID(name); ok {
			t.Errorf("NodeID(%s) found", name)
		}
	}
}

func TestActions(t *testing.T) {
	doc := objectsBase + `      - {at: 1m, type: scale, object: deployment/web, namespace: shop, replicas: 10}
      - {at: 2m, type: update, object: deploy/web, namespace: shop, container: web, image: "nginx:1.26", requests: {cpu: 500m}}
      - {at: 3m, type: update, object: Deployment/web, namespace: shop, limits: {memory: 2Gi}}
      - {at: 4m, type: delete, object: rs/cache, gracePeriod: 0s}
      - at: 5m
        type: create
        manifest:
          apiVersion: v1
          kind: Pod
          metadata: {name: late}
          spec: {containers: [{name: c, image: busybox}]}
      - {at: 6m, type: create, object: pod/pinned}
      - {at: 30s, type: delete, object: node/b-0}
      - {at: 7m, type: scale, object: deployments/web, namespace: shop, replicas: 0}
`
	s := mustParse(t, doc)
	w := s.Spec.Workload
	if len(w.Objects) != 5 || w.Objects[4].Name != "late" || !w.Objects[4].Deferred || w.Objects[4].Pod.ID != 1 {
		t.Fatalf("objects %+v", w.Objects)
	}
	a := w.Actions
	if a[0].Type != ActionScale || a[0].Replicas != 10 || a[0].Object != (ObjectRef{KindDeployment, "shop", "web"}) || a[0].Line != 70 {
		t.Errorf("scale %+v", a[0])
	}
	web := w.Objects[0].Deployment
	t1 := a[1].Template
	if t1 == nil || t1.Spec.Containers[0].Image != sym(s, "nginx:1.26") || t1.Spec.Containers[1].Image != sym(s, "envoy:latest") ||
		t1.Spec.Requests() != (objects.Resources{MilliCPU: 500, Memory: 1 << 30}) || !reflect.DeepEqual(t1.Labels, web.Template.Labels) {
		t.Fatalf("first update's template %+v", t1)
	}
	// The second update starts from the first's template: the new image
	// and the 500m request stay. With no container named it sets the 2Gi
	// memory limit on both containers (kubectl set resources without -c),
	// and each memory request follows it (web's was only ever defaulted
	// from its limit; the sidecar had none): 4Gi in all.
	t2 := a[2].Template
	if t2 == nil || t2.Spec.Containers[0].Image != sym(s, "nginx:1.26") ||
		t2.Spec.Requests() != (objects.Resources{MilliCPU: 500, Memory: 4 << 30}) {
		t.Fatalf("second update's template requests %+v image %q", t2.Spec.Requests(), s.Interner.String(t2.Spec.Containers[0].Image))
	}
	if web.Template.Spec.Containers[0].Image != sym(s, "nginx:1.25") {
		t.Errorf("the Deployment's own template changed")
	}
	if objects.TemplateHash(t1, 0, s.Interner) == objects.TemplateHash(&web.Template, 0, s.Interner) {
		t.Errorf("the update did not change the template hash")
	}
	if a[3].Type != ActionDelete || !a[3].GraceSet || a[3].GracePeriod != 0 {
		t.Errorf("delete %+v", a[3])
	}
	if !slices.Equal(a[4].Objects, []int{4}) || !slices.Equal(a[5].Objects, []int{2}) || !w.Objects[2].Deferred || w.Objects[1].Deferred {
		t.Errorf("creates %v %v, pinned deferred %v", a[4].Objects, a[5].Objects, w.Objects[2].Deferred)
	}
	if a[6].Object != (ObjectRef{Kind: KindNode, Name: "b-0"}) || a[7].Replicas != 0 || a[7].Object.Kind != KindDeployment {
		t.Errorf("node delete %+v, scale to 0 %+v", a[6], a[7])
	}
}

// The actions replay in time order: creating the ReplicaSet by name
// defers it, so scaling it before its create fails; deleting a pool node
// twice fails the second time.
func TestActionsReplayInTimeOrder(t *testing.T) {
	doc := objectsBase + `      - {at: 2m, type: create, object: replicaset/cache}
      - {at: 1m, type: scale, object: rs/cache, replicas: 2}
      - {at: 1m, type: delete, object: node/a-0}
      - {at: 3m, type: delete, object: node/a-0}
`
	_, err := Parse("bad.yaml", []byte(doc))
	got := Errors(err)
	want := []string{
		`bad.yaml:71: spec.workload.actions[1].object: no replicaset/cache exists at 1m0s`,
		`bad.yaml:73: spec.workload.actions[3].object: no node/a-0 exists at 3m0s`,
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%v", err)
	}
	for i := range want {
		if got[i].Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestPodChurn(t *testing.T) {
	doc := base + `  workload:
    podChurn:
      - name: batch
        rate: 20
        lifetime: {kind: exponential, mean: 5m}
        start: 1m
        template:
          metadata: {labels: {app: batch}}
          spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 100m, memory: 64Mi}}}]}
      - name: jobs
        namespace: batch-ns
        rate: 0.5
        lifetime: 30s
        duration: 2m
        client: {qps: 10, burst: 20}
        template: {spec: {containers: [{name: c, image: busybox}]}}
`
	s := mustParse(t, doc)
	pc := s.Spec.Workload.PodChurn
	if len(pc) != 2 {
		t.Fatalf("podChurn %+v", pc)
	}
	b := pc[0]
	if b.Name != "batch" || b.Namespace != "default" || b.Rate != 20 || b.Lifetime != (Dist{Kind: "exponential", Mean: 5 * time.Minute}) ||
		b.Start != time.Minute || b.Duration != 0 || b.Client != (ClientLimits{QPS: -1}) || b.Line != 14 {
		t.Errorf("batch %+v", b)
	}
	if b.Template.Spec.Requests() != (objects.Resources{MilliCPU: 100, Memory: 64 * mi}) || !reflect.DeepEqual(b.Template.Labels, labelsOf(s, "app", "batch")) {
		t.Errorf("batch template %+v", b.Template)
	}
	j := pc[1]
	if j.Namespace != "batch-ns" || j.Lifetime != (Dist{Kind: "constant", Value: 30 * time.Second}) || j.Client != (ClientLimits{QPS: 10, Burst: 20}) ||
		j.Template.Spec.QOS() != objects.BestEffort {
		t.Errorf("jobs %+v", j)
	}
	if got := s.Spec.Workload.Namespaces(); !slices.Equal(got, []string{"default", "batch-ns"}) {
		t.Errorf("namespaces = %v", got)
	}
}

// A variant's run has its own objects and interner, and its warnings add
// to the scenario's without repeating them.
func TestObjectsInVariants(t *testing.T) {
	doc := objectsBase + `  variants:
    - name: a
    - name: b
      set:
        workload.objects.0.spec.replicas: 8
        workload.objects.2.spec.hostNetwork: true
`
	s := mustParse(t, doc)
	runs := s.Runs()
	if runs[0].Spec.Workload.Objects[0].Deployment.Replicas != 4 || runs[1].Spec.Workload.Objects[0].Deployment.Replicas != 8 {
		t.Errorf("replicas %d, %d", runs[0].Spec.Workload.Objects[0].Deployment.Replicas, runs[1].Spec.Workload.Objects[0].Deployment.Replicas)
	}
	if runs[0].Interner == runs[1].Interner || runs[0].Interner == nil {
		t.Errorf("runs share an interner")
	}
	if got := warningTexts(s); len(got) != 1 || !strings.Contains(got[0], "spec.workload.objects[2].spec.hostNetwork: not modeled by orrery; ignored") {
		t.Errorf("warnings = %q", got)
	}
}

// Unknown Kubernetes fields are warnings, each at its line; a near miss
// of a modeled field is an error.
func TestManifestWarnings(t *testing.T) {
	doc := base + `  workload:
    objects:
      - apiVersion: v1
        kind: Pod
        metadata: {name: p, annotations: {a: b}}
        spec:
          restartPolicy: Never
          futureField: 1
          containers:
            - name: c
              image: busybox
              resources: {requests: {nvidia.com/gpu: 1, ephemeral-storage: 1Gi}}
        status: {phase: Running}
`
	s := mustParse(t, doc)
	want := []string{
		"good.yaml:16: spec.workload.objects[0].metadata.annotations: not modeled by orrery; ignored",
		"good.yaml:18: spec.workload.objects[0].spec.restartPolicy: not modeled by orrery; ignored",
		"good.yaml:19: spec.workload.objects[0].spec.futureField: unknown field; ignored",
		`good.yaml:23: spec.workload.objects[0].spec.containers[0].resources.requests.nvidia.com/gpu: resource "nvidia.com/gpu" is not modeled by orrery (only "cpu" or "memory"); ignored`,
		`good.yaml:23: spec.workload.objects[0].spec.containers[0].resources.requests.ephemeral-storage: resource "ephemeral-storage" is not modeled by orrery (only "cpu" or "memory"); ignored`,
		"good.yaml:24: spec.workload.objects[0].status: not modeled by orrery; ignored",
	}
	if got := warningTexts(s); !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, err := Parse("bad.yaml", []byte(strings.Replace(doc, "restartPolicy", "replicas", 1)))
	if err != nil {
		t.Errorf("replicas in a pod spec is no near miss of a pod field: %v", err)
	}
}

// A manifest file on disk: relative to the scenario, problems named with
// the manifest's own file and lines.
func TestManifestFileProblems(t *testing.T) {
	dir := t.TempDir()
	manifest := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: -1\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}\n"
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(dir, "s.yaml")
	doc := base + "  workload:\n    objects:\n      - file: m.yaml\n"
	if err := os.WriteFile(scenario, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(scenario)
	want := filepath.Join(dir, "m.yaml") + ":5: spec.replicas: must be greater than or equal to 0, got -1"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	_, err = ParseFile(scenario + ".missing")
	if err == nil {
		t.Error("missing scenario parsed")
	}
	if err := os.WriteFile(scenario, []byte(strings.Replace(doc, "m.yaml", "none.yaml", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ParseFile(scenario)
	if es := Errors(err); len(es) != 1 || es[0].Line != 14 || es[0].Field != "spec.workload.objects[0].file" || !strings.Contains(es[0].Msg, "reading manifest") {
		t.Errorf("missing manifest: %v", err)
	}
}

// Objects built in code are checked for their body: one, matching the
// kind. Such objects are left out of the replay of the actions.
func TestValidateObjectBodies(t *testing.T) {
	s := mustParse(t, objectsBase)
	w := &s.Spec.Workload
	w.Objects[1].Kind = KindDeployment  // a ReplicaSet body
	w.Objects[3].Pod = w.Objects[2].Pod // a Node with a Pod body too
	got := Errors(s.Validate())
	want := []string{
		"good.yaml:50: spec.workload.objects[1]: a Deployment object needs its Deployment form and no other",
		"good.yaml:62: spec.workload.objects[3]: a Node object needs its Node form and no other",
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%v", s.Validate())
	}
	for i := range want {
		if got[i].Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// A v1 List holds several objects; a Node's namespace, and its capacity
// beside allocatable, are warnings; a Node with capacity only gets it as
// allocatable. A Recreate Deployment has no surge, and a pod spec keeps
// its overhead, sidecars and pod-affinity namespaces.
func TestManifestListNodesAndStrategy(t *testing.T) {
	doc := base + `  workload:
    objects:
      - apiVersion: v1
        kind: List
        metadata: {resourceVersion: "1"}
        items:
          - apiVersion: v1
            kind: Node
            metadata: {name: cap, namespace: default}
            status: {capacity: {cpu: "2", memory: 4Gi, pods: "50"}}
          - apiVersion: v1
            kind: Node
            metadata: {name: both}
            status:
              allocatable: {cpu: 1500m}
              capacity: {cpu: "2"}
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: db}
        spec:
          selector: {matchLabels: {app: db}}
          strategy: {type: Recreate}
          template:
            metadata: {labels: {app: db}}
            spec:
              overhead: {cpu: 250m, memory: 120Mi}
              initContainers: [{name: proxy, image: envoy, restartPolicy: Always}]
              containers: [{name: db, image: postgres}]
              affinity:
                podAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    - {labelSelector: {matchLabels: {app: web}}, namespaces: [shop, default], topologyKey: kubernetes.io/hostname}
`
	s := mustParse(t, doc)
	objs := s.Spec.Workload.Objects
	if len(objs) != 3 || objs[0].Node == nil || objs[1].Node == nil || objs[2].Deployment == nil {
		t.Fatalf("objects %+v", objs)
	}
	wantWarnings := []string{
		"good.yaml:16: spec.workload.objects[0].metadata: not modeled by orrery; ignored",
		"good.yaml:20: spec.workload.objects[0].items[0].metadata.namespace: a Node is cluster-scoped; namespace ignored",
		"good.yaml:27: spec.workload.objects[0].items[1].status.capacity: not modeled by orrery beside allocatable; ignored",
	}
	if got := warningTexts(s); !slices.Equal(got, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantWarnings, "\n"))
	}
	if n := objs[0].Node; objs[0].Namespace != "" || n.Allocatable != (objects.Resources{MilliCPU: 2000, Memory: 4 << 30}) || n.MaxPods != 50 || n.ID != 5 {
		t.Errorf("node cap: namespace %q, %+v", objs[0].Namespace, n)
	}
	if n := objs[1].Node; n.Allocatable != (objects.Resources{MilliCPU: 1500}) || n.ID != 6 {
		t.Errorf("node both: %+v", n)
	}
	dep := objs[2].Deployment
	if dep.Strategy != objects.Recreate || dep.MaxSurge != (objects.IntOrPercent{}) || dep.MaxUnavailable != (objects.IntOrPercent{}) {
		t.Errorf("recreate deployment %+v", dep)
	}
	spec := dep.Template.Spec
	if spec.Overhead != (objects.Resources{MilliCPU: 250, Memory: 120 * mi}) || len(spec.InitContainers) != 1 || !spec.InitContainers[0].Sidecar {
		t.Errorf("overhead %+v, init containers %+v", spec.Overhead, spec.InitContainers)
	}
	if req := spec.PodAffinity.Required; len(req) != 1 || !slices.Equal(req[0].Namespaces, []objects.Sym{sym(s, "shop"), sym(s, "default")}) {
		t.Errorf("pod affinity %+v", spec.PodAffinity)
	}
}

// A manifest file must be a regular file of at most MaxManifestBytes, and
// hold an object but at most MaxObjects; one of only kinds orrery does not model is warned about,
// not refused. A built-in scenario's manifest must exist.
func TestManifestFileLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.yaml", "# nothing yet\n---\n")
	write("configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n")
	write("huge.yaml", strings.Repeat("#", MaxManifestBytes+1))
	var many strings.Builder
	many.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := 0; i <= MaxObjects; i++ {
		fmt.Fprintf(&many, "  - {apiVersion: v1, kind: Node, metadata: {name: n%d}}\n", i)
	}
	write("many.yaml", many.String())
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	parse := func(name string) ([]*Error, *Scenario) {
		s, err := Parse(filepath.Join(dir, "s.yaml"), []byte(base+"  workload:\n    objects:\n      - file: "+name+"\n"))
		return Errors(err), s
	}
	for _, c := range []struct{ file, want string }{
		{"empty.yaml", "manifest " + filepath.Join(dir, "empty.yaml") + " holds no objects"},
		{"huge.yaml", "manifest " + filepath.Join(dir, "huge.yaml") + " is larger than 16777216 bytes"},
		{"sub.yaml", "reading manifest: " + filepath.Join(dir, "sub.yaml") + " is not a regular file"},
		{"many.yaml", "more than 10000 objects"},
	} {
		errs, _ := parse(c.file)
		if len(errs) != 1 || errs[0].Line != 14 || errs[0].Field != "spec.workload.objects[0].file" || errs[0].Msg != c.want {
			t.Errorf("%s: %v, want line 14 %q", c.file, errs, c.want)
		}
	}
	errs, s := parse("configmap.yaml")
	if len(errs) != 0 || len(s.Spec.Workload.Objects) != 0 || len(s.Warnings()) != 1 ||
		!strings.Contains(s.Warnings()[0].Error(), "kind ConfigMap is not modeled by orrery") {
		t.Errorf("ConfigMap only: errors %v, warnings %v", errs, s.Warnings())
	}
	_, err := Parse("builtin:x", []byte(base+"  workload:\n    objects:\n      - file: manifests/none.yaml\n"))
	if es := Errors(err); len(es) != 1 || es[0].Msg != `no built-in manifest "manifests/none.yaml"` {
		t.Errorf("missing built-in manifest: %v", err)
	}
}

// Problems are grouped by file, in the order the files first have one (the
// scenario's line 12 before the manifest's line 4), and ordered by line
// within each.
func TestProblemsGroupedByFile(t *testing.T) {
	dir := t.TempDir()
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := base + "        pods: many\n  workload:\n    objects:\n      - file: m.yaml\n"
	_, err := Parse(filepath.Join(dir, "s.yaml"), []byte(doc))
	got := Errors(err)
	want := []string{
		filepath.Join(dir, "s.yaml") + `:12: spec.cluster.nodePools[0].pods: expected an integer, got the string "many"`,
		filepath.Join(dir, "m.yaml") + ":4: spec.containers[0].image: required field is missing",
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%v", err)
	}
	for i := range want {
		if got[i].Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// Services as kubectl accepts them: a LoadBalancer with named ports and
// fields orrery does not model (warnings), a headless Service without
// ports, an ExternalName one; each converts exactly.
func TestServiceManifests(t *testing.T) {
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {owner: team-a}
spec:
  type: LoadBalancer
  selector:
    app: web
    tier: front
  ports:
    - name: http
      port: 80
      targetPort: http-web
      nodePort: 30080
    - name: https
      protocol: TCP
      port: 443
      targetPort: 8443
      appProtocol: https
  publishNotReadyAddresses: true
  sessionAffinity: ClientIP
  externalTrafficPolicy: Local
  ipFamilies: [IPv4]
status:
  loadBalancer: {}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
---
apiVersion: v1
kind: Service
metadata: {name: search}
spec:
  type: ExternalName
  externalName: search.example.com.
`
	if err := os.WriteFile(filepath.Join(dir, "svc.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := base + "  workload:\n    objects:\n      - file: svc.yaml\n    actions:\n      - {at: 1m, type: delete, object: svc/db}\n"
	s, err := Parse(filepath.Join(dir, "s.yaml"), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	objs := s.Spec.Workload.Objects
	if len(objs) != 3 {
		t.Fatalf("%d objects", len(objs))
	}
	want := []objects.Service{
		{ID: 0, Namespace: sym(s, "shop"), Name: sym(s, "web"), Selector: labelsOf(s, "app", "web", "tier", "front"), Ports: 2,
			PublishNotReadyAddresses: true, Size: objects.DefaultServiceSize},
		{ID: 1, Namespace: objects.NamespaceDefault, Name: sym(s, "db"), Selector: labelsOf(s, "app", "db"), Size: objects.DefaultServiceSize},
		{ID: 2, Namespace: objects.NamespaceDefault, Name: sym(s, "search"), ExternalName: true, Size: objects.DefaultServiceSize},
	}
	for i, o := range objs {
		if o.Kind != KindService || o.Service == nil || !reflect.DeepEqual(*o.Service, want[i]) {
			t.Errorf("object %d = %+v, service %+v, want %+v", i, o, o.Service, want[i])
		}
	}
	if a := s.Spec.Workload.Actions[0]; a.Object != (ObjectRef{Kind: KindService, Namespace: "default", Name: "db"}) {
		t.Errorf("action object %+v", a.Object)
	}
	file := filepath.Join(dir, "svc.yaml")
	wantWarnings := []string{
		file + ":7: metadata.annotations: not modeled by orrery; ignored",
		file + ":17: spec.ports[0].nodePort: not modeled by orrery; ignored",
		file + ":22: spec.ports[1].appProtocol: not modeled by orrery; ignored",
		file + ":24: spec.sessionAffinity: not modeled by orrery; ignored",
		file + ":25: spec.externalTrafficPolicy: not modeled by orrery; ignored",
		file + ":26: spec.ipFamilies: not modeled by orrery; ignored",
		file + ":27: status: not modeled by orrery; ignored",
	}
	if got := warningTexts(s); !slices.Equal(got, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantWarnings, "\n"))
	}
	if got := s.Spec.Workload.Namespaces(); !slices.Equal(got, []string{"default", "shop"}) {
		t.Errorf("namespaces = %v", got)
	}
}
