package scenarios

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file reads spec.workload.actions and spec.workload.podChurn.

// kindNames are the names kubectl takes for the kinds, lower-cased:
// singular, plural and short (kubectl api-resources).
var kindNames = map[string]ObjectKind{
	"pod": KindPod, "pods": KindPod, "po": KindPod,
	"replicaset": KindReplicaSet, "replicasets": KindReplicaSet, "rs": KindReplicaSet,
	"deployment": KindDeployment, "deployments": KindDeployment, "deploy": KindDeployment,
	"node": KindNode, "nodes": KindNode, "no": KindNode,
	"service": KindService, "services": KindService, "svc": KindService,
}

var kindNameList = []string{"pod", "replicaset", "deployment", "node", "service", "pods", "replicasets", "deployments", "nodes", "services",
	"po", "rs", "deploy", "no", "svc"}

// objectRef reads "kind/name" as kubectl takes it ("deployment/nginx",
// "deploy/nginx", "Deployment/nginx").
func (d *decoder) objectRef(n *yaml.Node, path string, dst *ObjectRef) bool {
	var s string
	if !d.str(n, path, &s) {
		return false
	}
	kind, name, ok := strings.Cut(s, "/")
	if !ok || name == "" || strings.Contains(name, "/") {
		d.fail(n.Line, path, "expected kind/name such as deployment/nginx, got %q", s)
		return false
	}
	k, ok := kindNames[strings.ToLower(kind)]
	if !ok {
		d.fail(n.Line, path, "unknown kind %q%s; want pod, replicaset, deployment, node or service (or their plural and short names)", kind, didYouMean(strings.ToLower(kind), kindNameList))
		return false
	}
	*dst = ObjectRef{Kind: k, Name: name}
	return true
}

func (d *decoder) action(n *yaml.Node, path string, dst *Action) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "at", "type", "object", "namespace", "manifest", "file",
		"replicas", "container", "image", "requests", "limits", "gracePeriod", "selector", "count")
	if !ok {
		return false
	}
	required(m, "at", d.duration, &dst.At)
	required(m, "type", d.str, &dst.Type)
	optional(m, "object", d.objectRef, &dst.Object)
	if optional(m, "namespace", d.str, &dst.Object.Namespace) && dst.Object.Kind == KindNode {
		d.fail(d.lines[m.child("namespace")], m.child("namespace"), "a Node is cluster-scoped: it has no namespace")
	} else if dst.Object.Namespace == "" && dst.Object.Kind != KindNode && dst.Object.Name != "" {
		dst.Object.Namespace = SharedNamespace
	}
	given := func(key string) bool { _, ok := m.values[key]; return ok }
	switch n := btoi(given("object")) + btoi(given("manifest")) + btoi(given("file")); {
	case dst.Type == ActionCreate && n > 1:
		d.fail(dst.Line, path, "a create takes one of object, manifest and file")
	case dst.Type != ActionCreate && (given("manifest") || given("file")):
		key := "manifest"
		if given("file") {
			key = "file"
		}
		d.fail(d.lines[m.child(key)], m.child(key), "only create takes %s", key)
	case given("manifest"):
		d.manifest(m.values["manifest"], m.child("manifest"), &dst.created)
	case given("file"):
		d.manifestFile(m.values["file"], m.child("file"), &dst.created)
	}
	if optional(m, "selector", d.poolLabels, &dst.Selector) && !given("object") {
		// kubectl delete pods -l: the pods of a namespace.
		dst.Object.Kind = KindPod
		if dst.Object.Namespace == "" {
			dst.Object.Namespace = SharedNamespace
		}
	}
	optional(m, "count", d.int, &dst.Count)
	if given("namespace") && !given("object") && !given("selector") {
		d.fail(d.lines[m.child("namespace")], m.child("namespace"), "goes with object or selector: the namespace of the object named or of the pods selected (a manifest says its own)")
	}
	optional(m, "replicas", d.int32, &dst.Replicas)
	optional(m, "container", d.str, &dst.Container)
	optional(m, "image", d.str, &dst.Image)
	optional(m, "requests", d.actionQuantities, &dst.Requests)
	optional(m, "limits", d.actionQuantities, &dst.Limits)
	dst.GraceSet = optional(m, "gracePeriod", d.duration, &dst.GracePeriod)
	return true
}

// actionQuantities reads an update's requests or limits: cpu and memory.
func (d *decoder) actionQuantities(n *yaml.Node, path string, dst *objects.Quantities) bool {
	m, ok := d.mapping(n, path, "cpu", "memory")
	return ok && d.cpuAndMemory(m, dst)
}

func (d *decoder) podChurn(n *yaml.Node, path string, dst *PodChurn) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "namespace", "rate", "template", "lifetime", "start", "duration", "client")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	optional(m, "namespace", d.str, &dst.Namespace)
	required(m, "rate", d.float, &dst.Rate)
	required(m, "template", d.podTemplate, &dst.Template)
	required(m, "lifetime", d.dist, &dst.Lifetime)
	optional(m, "start", d.duration, &dst.Start)
	optional(m, "duration", d.duration, &dst.Duration)
	optional(m, "client", d.clientLimits, &dst.Client)
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
