package scenarios

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file reads a pod spec: containers and their resources, tolerations,
// node selector, affinity and topology spread, checked as
// pkg/apis/core/validation checks them.

// Pod spec and container fields orrery does not model.
var (
	podSpecIgnored = []string{"volumes", "ephemeralContainers", "restartPolicy", "activeDeadlineSeconds", "dnsPolicy",
		"serviceAccountName", "serviceAccount", "automountServiceAccountToken", "hostNetwork", "hostPID", "hostIPC",
		"shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "schedulerName",
		"priorityClassName", "priority", "dnsConfig", "readinessGates", "runtimeClassName", "enableServiceLinks",
		"preemptionPolicy", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources",
		"hostAliases"}
	containerIgnored = []string{"command", "args", "workingDir", "ports", "envFrom", "env", "resizePolicy", "volumeMounts",
		"volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
		"terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty", "restartPolicy",
		"restartPolicyRules"}
)

// The affinity fields' long names.
const (
	requiredTerms  = "requiredDuringSchedulingIgnoredDuringExecution"
	preferredTerms = "preferredDuringSchedulingIgnoredDuringExecution"
)

// podSpec reads a pod spec into t.Spec, finished. For a Pod (pod not nil)
// spec.nodeName is read into it; in a template it is not modeled.
func (d *decoder) podSpec(n *yaml.Node, path string, t *objects.PodTemplate, pod *Object) bool {
	modeled := []string{"containers", "initContainers", "overhead", "tolerations", "nodeSelector", "affinity", "topologySpreadConstraints",
		"terminationGracePeriodSeconds"}
	ignored := podSpecIgnored
	if pod != nil {
		modeled = append(modeled, "nodeName")
	} else {
		ignored = append(slices.Clip(ignored), "nodeName")
	}
	m, ok := d.k8sMapping(n, path, modeled, ignored...)
	if !ok {
		return false
	}
	spec := &objects.PodSpec{}
	before := len(d.errs)
	required(m, "containers", list(d, d.container(false)), &spec.Containers)
	optional(m, "initContainers", list(d, d.container(true)), &spec.InitContainers)
	var overhead objects.Quantities
	optional(m, "overhead", d.quantities, &overhead)
	spec.Overhead = overhead.Resources
	optional(m, "tolerations", list(d, d.toleration), &spec.Tolerations)
	optional(m, "nodeSelector", d.labels, &spec.NodeSelector)
	optional(m, "affinity", d.affinity, spec)
	optional(m, "topologySpreadConstraints", list(d, d.spreadConstraint), &spec.TopologySpread)
	optional(m, "terminationGracePeriodSeconds", d.gracePeriodSeconds, &spec.TerminationGracePeriod)
	if pod != nil && optional(m, "nodeName", d.str, &pod.NodeName) {
		pod.nodeNameLine = d.lines[m.child("nodeName")]
	}
	if len(d.errs) > before {
		return false
	}
	if len(spec.Containers) == 0 {
		d.fail(d.lineOf(m.child("containers")), m.child("containers"), "must list at least one container")
		return false
	}
	// validateContainers: container names are unique across init and app
	// containers.
	seen := map[objects.Sym]string{}
	for _, cs := range []struct {
		field string
		list  []objects.Container
	}{{"initContainers", spec.InitContainers}, {"containers", spec.Containers}} {
		for i, c := range cs.list {
			p := itemPath(m.child(cs.field), i) + ".name"
			if first, dup := seen[c.Name]; dup {
				d.fail(d.lineOf(p), p, "duplicate container name %q (also %s)", d.in.String(c.Name), first)
				return false
			}
			seen[c.Name] = p
		}
	}
	if err := spec.Finish(); err != nil {
		d.failObjects(path, err)
		return false
	}
	t.Spec = spec
	return true
}

// container decodes a container; init containers may be sidecars
// (restartPolicy: Always).
func (d *decoder) container(init bool) decodeFunc[objects.Container] {
	return func(n *yaml.Node, path string, dst *objects.Container) bool {
		modeled := []string{"name", "image", "resources"}
		if init {
			modeled = append(modeled, "restartPolicy")
		}
		m, ok := d.k8sMapping(n, path, modeled, containerIgnored...)
		if !ok {
			return false
		}
		before := len(d.errs)
		var name, image, restart string
		var c objects.Container
		required(m, "name", d.str, &name)
		required(m, "image", d.str, &image)
		optional(m, "resources", d.containerResources, &c)
		optional(m, "restartPolicy", d.str, &restart)
		if len(d.errs) > before {
			return false
		}
		if !d.label(m.child("name"), name) {
			return false
		}
		if image == "" {
			d.fail(d.lineOf(m.child("image")), m.child("image"), "must not be empty")
			return false
		}
		switch restart {
		case "":
		case "Always":
			// KEP-753: an init container with restartPolicy Always is a
			// sidecar; no other value is allowed on a container.
			c.Sidecar = true
		default:
			d.fail(d.lineOf(m.child("restartPolicy")), m.child("restartPolicy"), "must be Always (a sidecar) or unset, got %q", restart)
			return false
		}
		c.Name = d.in.Intern(name)
		c.Image = d.in.Intern(objects.NormalizeImageName(image))
		*dst = c
		return true
	}
}

// containerResources reads resources.requests and limits, and checks that
// no request exceeds its limit (ValidateResourceRequirements).
func (d *decoder) containerResources(n *yaml.Node, path string, c *objects.Container) bool {
	m, ok := d.k8sMapping(n, path, []string{"requests", "limits"}, "claims")
	if !ok {
		return false
	}
	before := len(d.errs)
	optional(m, "requests", d.quantities, &c.Requests)
	optional(m, "limits", d.quantities, &c.Limits)
	if len(d.errs) > before {
		return false
	}
	for _, r := range []struct {
		name string
		set  objects.ResourceSet
		req  int64
		lim  int64
	}{{"cpu", objects.CPU, c.Requests.MilliCPU, c.Limits.MilliCPU}, {"memory", objects.Memory, c.Requests.Memory, c.Limits.Memory}} {
		if c.Requests.Has(r.set) && c.Limits.Has(r.set) && r.req > r.lim {
			p := m.child("requests") + "." + r.name
			d.fail(d.lineOf(p), p, "must be less than or equal to the %s limit", r.name)
			return false
		}
	}
	return true
}

// quantities reads a resource list's cpu and memory, noting which are set.
func (d *decoder) quantities(n *yaml.Node, path string, dst *objects.Quantities) bool {
	m, ok := d.resourceMapping(n, path)
	return ok && d.cpuAndMemory(m, dst)
}

// cpuAndMemory reads the cpu and memory quantities of m, noting which are
// set.
func (d *decoder) cpuAndMemory(m *mapping, dst *objects.Quantities) bool {
	before := len(d.errs)
	var q objects.Quantities
	if optional(m, "cpu", d.quantity(objects.ParseCPU), &q.MilliCPU) {
		q.Set |= objects.CPU
	}
	if optional(m, "memory", d.quantity(objects.ParseMemory), &q.Memory) {
		q.Set |= objects.Memory
	}
	if len(d.errs) > before {
		return false
	}
	*dst = q
	return true
}

// toleration reads a toleration, checked as validateTolerations does.
func (d *decoder) toleration(n *yaml.Node, path string, dst *objects.Toleration) bool {
	m, ok := d.k8sMapping(n, path, []string{"key", "operator", "value", "effect", "tolerationSeconds"})
	if !ok {
		return false
	}
	before := len(d.errs)
	var key, op, value, effect string
	var t objects.Toleration
	optional(m, "key", d.str, &key)
	optional(m, "operator", d.str, &op)
	optional(m, "value", d.str, &value)
	optional(m, "effect", d.str, &effect)
	t.HasSeconds = optional(m, "tolerationSeconds", d.int64, &t.Seconds)
	if len(d.errs) > before {
		return false
	}
	fail := func(field, format string, args ...any) bool {
		d.fail(d.lineOf(m.child(field)), m.child(field), format, args...)
		return false
	}
	if key != "" {
		if msg := qualifiedNameProblem(key); msg != "" {
			return fail("key", "%s", msg)
		}
	}
	switch op {
	case "", "Equal":
		t.Operator = objects.TolerateEqual
		if key == "" {
			return fail("operator", "must be Exists when key is empty")
		}
		if msg := labelValueProblem(value); msg != "" {
			return fail("value", "%s", msg)
		}
	case "Exists":
		t.Operator = objects.TolerateExists
		if value != "" {
			return fail("value", "must be empty when operator is Exists")
		}
	default:
		ops := []string{"Equal", "Exists"}
		return fail("operator", "unknown operator %q%s; want %s", op, didYouMean(op, ops), quoteList(ops))
	}
	if effect != "" {
		e, ok := taintEffects[effect]
		if !ok {
			return fail("effect", "unknown effect %q%s; want %s or empty (every effect)", effect, didYouMean(effect, taintEffectNames), quoteList(taintEffectNames))
		}
		t.Effect = e
	}
	if t.HasSeconds && t.Effect != objects.NoExecute {
		return fail("tolerationSeconds", "needs effect NoExecute")
	}
	t.Key, t.Value = d.in.Intern(key), d.in.Intern(value)
	*dst = t
	return true
}

// affinity reads node affinity, pod affinity and pod anti-affinity.
func (d *decoder) affinity(n *yaml.Node, path string, spec *objects.PodSpec) bool {
	m, ok := d.k8sMapping(n, path, []string{"nodeAffinity", "podAffinity", "podAntiAffinity"})
	if !ok {
		return false
	}
	optional(m, "nodeAffinity", d.nodeAffinity, &spec.NodeAffinity)
	optional(m, "podAffinity", d.podAffinity, &spec.PodAffinity)
	optional(m, "podAntiAffinity", d.podAffinity, &spec.PodAntiAffinity)
	return true
}

func (d *decoder) nodeAffinity(n *yaml.Node, path string, dst *objects.NodeAffinity) bool {
	m, ok := d.k8sMapping(n, path, []string{requiredTerms, preferredTerms})
	if !ok {
		return false
	}
	if rn, ok := m.values[requiredTerms]; ok {
		if r, ok := d.k8sMapping(rn, m.child(requiredTerms), []string{"nodeSelectorTerms"}); ok {
			terms := []objects.NodeSelectorTerm{}
			required(r, "nodeSelectorTerms", list(d, d.nodeSelectorTerm), &terms)
			if _, ok := r.values["nodeSelectorTerms"]; ok && len(terms) == 0 {
				d.fail(d.lineOf(r.child("nodeSelectorTerms")), r.child("nodeSelectorTerms"), "must have at least one node selector term")
			}
			dst.Required = terms
		}
	}
	optional(m, preferredTerms, list(d, d.preferredSchedulingTerm), &dst.Preferred)
	return true
}

func (d *decoder) nodeSelectorTerm(n *yaml.Node, path string, dst *objects.NodeSelectorTerm) bool {
	m, ok := d.k8sMapping(n, path, []string{"matchExpressions"}, "matchFields")
	if !ok {
		return false
	}
	optional(m, "matchExpressions", list(d, d.requirementOf(true)), &dst.MatchExpressions)
	return true
}

// weight reads a preferred term's weight, 1 to 100.
func (d *decoder) weight(n *yaml.Node, path string, dst *int32) bool {
	var w int32
	if !d.int32(n, path, &w) {
		return false
	}
	if w < 1 || w > 100 {
		d.fail(n.Line, path, "must be in the range 1-100, got %d", w)
		return false
	}
	*dst = w
	return true
}

func (d *decoder) preferredSchedulingTerm(n *yaml.Node, path string, dst *objects.PreferredSchedulingTerm) bool {
	m, ok := d.k8sMapping(n, path, []string{"weight", "preference"})
	if !ok {
		return false
	}
	required(m, "weight", d.weight, &dst.Weight)
	required(m, "preference", d.nodeSelectorTerm, &dst.Term)
	return true
}

func (d *decoder) podAffinity(n *yaml.Node, path string, dst *objects.PodAffinity) bool {
	m, ok := d.k8sMapping(n, path, []string{requiredTerms, preferredTerms})
	if !ok {
		return false
	}
	optional(m, requiredTerms, list(d, d.podAffinityTerm), &dst.Required)
	optional(m, preferredTerms, list(d, d.weightedPodAffinityTerm), &dst.Preferred)
	return true
}

func (d *decoder) podAffinityTerm(n *yaml.Node, path string, dst *objects.PodAffinityTerm) bool {
	m, ok := d.k8sMapping(n, path, []string{"labelSelector", "namespaces", "topologyKey"},
		"namespaceSelector", "matchLabelKeys", "mismatchLabelKeys")
	if !ok {
		return false
	}
	before := len(d.errs)
	var key string
	var namespaces []string
	optional(m, "labelSelector", d.labelSelector, &dst.Selector)
	optional(m, "namespaces", d.stringList, &namespaces)
	required(m, "topologyKey", d.str, &key)
	if len(d.errs) > before {
		return false
	}
	if msg := qualifiedNameProblem(key); msg != "" {
		d.fail(d.lineOf(m.child("topologyKey")), m.child("topologyKey"), "%s", msg)
		return false
	}
	dst.TopologyKey = d.in.Intern(key)
	for i, ns := range namespaces {
		if !d.label(itemPath(m.child("namespaces"), i), ns) {
			return false
		}
		dst.Namespaces = append(dst.Namespaces, d.in.Intern(ns))
	}
	return true
}

func (d *decoder) weightedPodAffinityTerm(n *yaml.Node, path string, dst *objects.WeightedPodAffinityTerm) bool {
	m, ok := d.k8sMapping(n, path, []string{"weight", "podAffinityTerm"})
	if !ok {
		return false
	}
	required(m, "weight", d.weight, &dst.Weight)
	required(m, "podAffinityTerm", d.podAffinityTerm, &dst.Term)
	return true
}

// spreadConstraint reads a topology spread constraint, checked as
// validateTopologySpreadConstraints does.
func (d *decoder) spreadConstraint(n *yaml.Node, path string, dst *objects.TopologySpreadConstraint) bool {
	m, ok := d.k8sMapping(n, path, []string{"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains"},
		"nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys")
	if !ok {
		return false
	}
	before := len(d.errs)
	var key, when string
	var c objects.TopologySpreadConstraint
	required(m, "maxSkew", d.int32, &c.MaxSkew)
	required(m, "topologyKey", d.str, &key)
	required(m, "whenUnsatisfiable", d.str, &when)
	optional(m, "labelSelector", d.labelSelector, &c.Selector)
	hasMin := optional(m, "minDomains", d.int32, &c.MinDomains)
	if len(d.errs) > before {
		return false
	}
	fail := func(field, format string, args ...any) bool {
		d.fail(d.lineOf(m.child(field)), m.child(field), format, args...)
		return false
	}
	if c.MaxSkew < 1 {
		return fail("maxSkew", "must be greater than zero, got %d", c.MaxSkew)
	}
	if msg := qualifiedNameProblem(key); msg != "" {
		return fail("topologyKey", "%s", msg)
	}
	whens := []string{"DoNotSchedule", "ScheduleAnyway"}
	switch when {
	case "DoNotSchedule":
		c.WhenUnsatisfiable = objects.DoNotSchedule
	case "ScheduleAnyway":
		c.WhenUnsatisfiable = objects.ScheduleAnyway
	default:
		return fail("whenUnsatisfiable", "unknown value %q%s; want %s", when, didYouMean(when, whens), quoteList(whens))
	}
	if hasMin {
		switch {
		case c.MinDomains < 1:
			return fail("minDomains", "must be greater than zero, got %d", c.MinDomains)
		case c.WhenUnsatisfiable != objects.DoNotSchedule:
			return fail("minDomains", "can only be set with whenUnsatisfiable DoNotSchedule")
		}
	}
	c.TopologyKey = d.in.Intern(key)
	*dst = c
	return true
}

// gracePeriodSeconds reads terminationGracePeriodSeconds, whole seconds
// ≥ 0, as PodSpec.TerminationGracePeriod takes it (an explicit 0 is
// objects.NoGracePeriod).
func (d *decoder) gracePeriodSeconds(n *yaml.Node, path string, dst *time.Duration) bool {
	var v int64
	if !d.int64(n, path, &v) {
		return false
	}
	switch {
	case v < 0:
		d.fail(n.Line, path, "must be greater than or equal to 0, got %d", v)
		return false
	case v > int64(MaxDuration/time.Second):
		d.fail(n.Line, path, "must be at most %d (a day), got %d", int64(MaxDuration/time.Second), v)
		return false
	case v == 0:
		*dst = objects.NoGracePeriod
	default:
		*dst = time.Duration(v) * time.Second
	}
	return true
}
