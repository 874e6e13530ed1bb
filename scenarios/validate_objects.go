package scenarios

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file checks the workload's objects, the actions on them, the pod
// churn, and what node pools give their nodes.

// Limits on pod churn (orrery limits).
const (
	MaxPodChurns = 100
	// MaxPodChurnRate is 10× the 1000 pods/s that the largest published
	// scheduler-throughput tests reach; sig-scalability's SLOs assume at
	// most 20 pods/s of churn (community sig-scalability/slos/slos.md).
	MaxPodChurnRate = 10000
	MaxActions      = 10000
)

var actionTypes = []string{ActionCreate, ActionScale, ActionUpdate, ActionDelete}

// failAt reports a problem at a known file and line (a manifest's).
func (v *validator) failAt(file string, line int, path, format string, args ...any) {
	if file == "" {
		file = v.file
	}
	v.errs = append(v.errs, &Error{File: file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// poolExtras checks a pool's pods, labels, taints and images.
func (v *validator) poolExtras(path string, p *NodePool) {
	if p.Pods < 1 {
		v.fail(path+".pods", "must be at least 1, got %d", p.Pods)
	}
	for i, l := range p.Labels {
		lp := path + ".labels." + l.Key
		switch {
		case l.Key == "kubernetes.io/hostname":
			v.fail(lp, "is set on each node to its name")
		case l.Key == "topology.kubernetes.io/zone":
			v.fail(lp, "is set on each node from the pool's zones")
		case qualifiedNameProblem(l.Key) != "":
			v.fail(lp, "%s", qualifiedNameProblem(l.Key))
		case labelValueProblem(l.Value) != "":
			v.fail(lp, "%s", labelValueProblem(l.Value))
		case slices.IndexFunc(p.Labels[:i], func(o KeyValue) bool { return o.Key == l.Key }) >= 0:
			v.fail(lp, "label %q given twice", l.Key)
		}
	}
	for i, t := range p.Taints {
		tp := itemPath(path+".taints", i)
		switch {
		case qualifiedNameProblem(t.Key) != "":
			v.fail(tp+".key", "%s", qualifiedNameProblem(t.Key))
		case labelValueProblem(t.Value) != "":
			v.fail(tp+".value", "%s", labelValueProblem(t.Value))
		case taintEffects[t.Effect] == objects.EffectAll:
			v.fail(tp+".effect", "unknown effect %q%s; want %s", t.Effect, didYouMean(t.Effect, taintEffectNames), quoteList(taintEffectNames))
		case slices.IndexFunc(p.Taints[:i], func(o PoolTaint) bool { return o.Key == t.Key && o.Effect == t.Effect }) >= 0:
			v.fail(tp, "taint %s:%s given twice (a key may appear once per effect)", t.Key, t.Effect)
		}
	}
	for i, img := range p.Images {
		ip := itemPath(path+".images", i)
		switch {
		case img.Name == "":
			v.fail(ip+".name", "must not be empty")
		case img.Size < 0:
			v.fail(ip+".size", "must not be negative, got %d", img.Size)
		case slices.IndexFunc(p.Images[:i], func(o NodeImage) bool {
			return objects.NormalizeImageName(o.Name) == objects.NormalizeImageName(img.Name)
		}) >= 0:
			v.fail(ip+".name", "image %q listed twice", objects.NormalizeImageName(img.Name))
		}
	}
}

func (v *validator) objectSizes(path string, s *ObjectSizes) {
	for _, f := range []struct {
		name string
		v    int64
	}{{"lease", s.Lease}, {"node", s.Node}, {"pod", s.Pod}, {"replicaSet", s.ReplicaSet}, {"deployment", s.Deployment}} {
		if f.v < 1 || f.v > objects.MaxSize {
			v.fail(path+"."+f.name, "must be 1 to %d bytes (1.5Mi, etcd's request limit), got %d", objects.MaxSize, f.v)
		}
	}
}

// objectPath is where an object's problems are reported.
func objectPath(o *Object, field string) string { return childPath(o.path, field) }

// workloadObjects checks the objects, then replays the actions in time
// order against them, and checks the pod churn.
func (v *validator) workloadObjects(path string, w *Workload, sp *Spec) {
	v.atMost(path+".objects", len(w.Objects), MaxObjects, "objects")
	for i := range w.Objects {
		v.object(&w.Objects[i], sp)
	}
	v.atMost(path+".actions", len(w.Actions), MaxActions, "actions")
	for i := range w.Actions {
		v.action(itemPath(path+".actions", i), &w.Actions[i], w, sp)
	}
	v.replay(path+".actions", w, sp)
	v.atMost(path+".podChurn", len(w.PodChurn), MaxPodChurns, "pod churn generators")
	first := map[string]int{}
	for i := range w.PodChurn {
		v.podChurn(itemPath(path+".podChurn", i), &w.PodChurn[i], sp)
		v.unique(first, path+".podChurn", i, "pod churn name", w.PodChurn[i].Name)
	}
}

// object checks what its manifest could not: that its body matches its
// kind (for objects built in code), and its references to nodes.
func (v *validator) object(o *Object, sp *Spec) {
	bodies := btoi(o.Pod != nil) + btoi(o.ReplicaSet != nil) + btoi(o.Deployment != nil) + btoi(o.Node != nil) + btoi(o.Service != nil)
	if bodies != 1 || !o.bodyMatches() {
		v.failAt(o.File, o.Line, o.path, "a %s object needs its %s form and no other", o.Kind, o.Kind)
		return
	}
	switch o.Kind {
	case KindPod:
		if o.Pod.Spec == nil || !o.Pod.Spec.Finished() {
			v.failAt(o.File, o.Line, objectPath(o, "spec"), "needs a finished pod spec")
		}
		if o.NodeName != "" && nodeMissing(o.NodeName, sp.Cluster.NodePools) != "" && !nodeObject(o.NodeName, sp.Workload.Objects) {
			v.failAt(o.File, o.nodeNameLine, objectPath(o, "spec.nodeName"), "no node named %q: not a pool node (\"<pool>-<i>\") nor a Node of spec.workload.objects", o.NodeName)
		}
	case KindNode:
		if nodeMissing(o.Name, sp.Cluster.NodePools) == "" {
			v.failAt(o.File, o.Line, objectPath(o, "metadata.name"), "node %q is already a node of a pool", o.Name)
		}
	}
}

func nodeObject(name string, objs []Object) bool {
	return slices.ContainsFunc(objs, func(o Object) bool { return o.Kind == KindNode && o.Name == name })
}

// action checks one action's fields against its type; replay checks it
// against the objects that exist at its time.
func (v *validator) action(path string, a *Action, w *Workload, sp *Spec) {
	if v.nonNegative(path+".at", a.At) && a.At >= sp.Duration {
		v.fail(path+".at", "must be before the end of the run (spec.duration %v), got %v", sp.Duration, a.At)
	}
	if !slices.Contains(actionTypes, a.Type) {
		v.fail(path+".type", "unknown action type %q%s; want %s", a.Type, didYouMean(a.Type, actionTypes), quoteList(actionTypes))
		return
	}
	only := func(field, owner string, given bool) {
		if given && a.Type != owner {
			v.fail(path+"."+field, "only %s takes %s, not %s", owner, field, a.Type)
		}
	}
	only("replicas", ActionScale, v.given(&a.Replicas, a.Replicas != 0))
	only("container", ActionUpdate, v.given(&a.Container, a.Container != ""))
	only("image", ActionUpdate, v.given(&a.Image, a.Image != ""))
	only("requests", ActionUpdate, v.given(&a.Requests, a.Requests.Set != 0))
	only("limits", ActionUpdate, v.given(&a.Limits, a.Limits.Set != 0))
	only("gracePeriod", ActionDelete, v.given(&a.GracePeriod, a.GraceSet))
	only("selector", ActionDelete, v.given(&a.Selector, a.Selector != nil))
	only("count", ActionDelete, v.given(&a.Count, a.Count != 0))
	if a.Object.Namespace != "" {
		v.dnsLabel(path+".namespace", a.Object.Namespace)
	}
	switch a.Type {
	case ActionCreate:
		if len(a.Objects) == 0 && a.Object.Name == "" {
			v.fail(path, "create needs object (the name of one of spec.workload.objects), manifest or file")
		}
		for _, i := range a.Objects {
			if i < 0 || i >= len(w.Objects) {
				v.fail(path, "creates object %d, but spec.workload has %d objects", i, len(w.Objects))
			}
		}
	case ActionScale:
		if a.Replicas < 0 {
			v.fail(path+".replicas", "must be greater than or equal to 0, got %d", a.Replicas)
		}
		if v.set != nil && !v.set[&a.Replicas] {
			v.fail(path+".replicas", "required field is missing: the number of replicas to scale to")
		}
	case ActionUpdate:
		if a.Image == "" && a.Requests.Set == 0 && a.Limits.Set == 0 {
			v.fail(path, "update needs image, requests or limits: what changes in the template")
		}
		if a.Container != "" {
			v.dnsLabel(path+".container", a.Container)
		}
	case ActionDelete:
		switch {
		case a.GracePeriod < 0:
			v.fail(path+".gracePeriod", "must not be negative, got %v", a.GracePeriod)
		case a.GracePeriod%time.Second != 0:
			v.fail(path+".gracePeriod", "must be whole seconds (gracePeriodSeconds), got %v", a.GracePeriod)
		}
		v.deleteSelector(path, a)
		if v.given(&a.Selector, a.Selector != nil) {
			return
		}
	}
	if a.Type != ActionCreate && a.Object.Name == "" {
		v.fail(path+".object", "required field is missing: the %s's target, such as deployment/nginx", a.Type)
	}
}

// deleteSelector checks a delete's selector and count: a selector of
// valid labels instead of an object; a count only with a selector.
func (v *validator) deleteSelector(path string, a *Action) {
	sel := v.given(&a.Selector, a.Selector != nil)
	switch {
	case sel && a.Object.Name != "":
		v.fail(path+".selector", "give object or selector, not both")
	case sel && len(a.Selector) == 0:
		v.fail(path+".selector", "must have at least one label (kubectl delete pods -l app=web); to delete one object, give object")
	case !sel && v.given(&a.Count, a.Count != 0):
		v.fail(path+".count", "goes with selector: how many of the pods selected to delete")
	case a.Count < 0:
		v.fail(path+".count", "must be at least 1, got %d (leave count out to delete every pod selected)", a.Count)
	case a.Count == 0 && v.set[&a.Count]:
		v.fail(path+".count", "must be at least 1, got 0 (leave count out to delete every pod selected)")
	}
	for _, l := range a.Selector {
		lp := path + ".selector." + l.Key
		if why := qualifiedNameProblem(l.Key); why != "" {
			v.fail(lp, "%s", why)
		} else if why := labelValueProblem(l.Value); why != "" {
			v.fail(lp, "%s", why)
		}
	}
}

// replay runs the actions in time order (those at the same time in the
// order written) against the objects that exist: those not Deferred from
// time 0, and the pool nodes. A create must not make an object that
// exists, the others need their target to exist and be of a kind they
// apply to. An update's Template — the Deployment's template after it —
// is derived here, from the template the Deployment has at that time.
func (v *validator) replay(path string, w *Workload, sp *Spec) {
	type live struct {
		template *objects.PodTemplate // a Deployment's current template
		what     string               // where it came from, for messages
	}
	alive := map[ObjectRef]*live{}
	gonePool := map[string]bool{}
	exists := func(r ObjectRef) bool {
		if r.Kind == KindNode && nodeMissing(r.Name, sp.Cluster.NodePools) == "" {
			return !gonePool[r.Name]
		}
		return alive[r] != nil
	}
	add := func(o *Object, what string) {
		l := &live{what: what}
		if o.Deployment != nil {
			l.template = &o.Deployment.Template
		}
		alive[o.Ref()] = l
	}
	for i := range w.Objects {
		o := &w.Objects[i]
		if o.Deferred || !o.bodyMatches() {
			continue
		}
		if l := alive[o.Ref()]; l != nil {
			v.failAt(o.File, o.Line, objectPath(o, "metadata.name"), "%s is declared twice (also %s)", o.Ref(), l.what)
			continue
		}
		add(o, where(o))
	}
	order := make([]int, len(w.Actions))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return w.Actions[order[i]].At < w.Actions[order[j]].At })
	for _, i := range order {
		a := &w.Actions[i]
		ap := itemPath(path, i)
		if !slices.Contains(actionTypes, a.Type) {
			continue
		}
		if a.Type == ActionCreate {
			if len(a.Objects) == 0 && a.Object.Name != "" {
				v.fail(ap+".object", "no %s in spec.workload.objects to create", a.Object)
			}
			for _, j := range a.Objects {
				if j < 0 || j >= len(w.Objects) || !w.Objects[j].bodyMatches() {
					continue
				}
				o := &w.Objects[j]
				if exists(o.Ref()) {
					v.fail(ap, "%s already exists at %v", o.Ref(), a.At)
					continue
				}
				add(o, fmt.Sprintf("created by %s", ap))
			}
			continue
		}
		r := a.Object
		if r.Name == "" {
			continue
		}
		if !exists(r) {
			v.fail(ap+".object", "no %s exists at %v", r, a.At)
			continue
		}
		switch a.Type {
		case ActionScale:
			if r.Kind != KindDeployment && r.Kind != KindReplicaSet {
				v.fail(ap+".object", "scale applies to a Deployment or a ReplicaSet, not a %s", r.Kind)
			}
		case ActionUpdate:
			if r.Kind != KindDeployment {
				v.fail(ap+".object", "update applies to a Deployment, not a %s", r.Kind)
				continue
			}
			l := alive[r]
			if t, msg := v.updated(l.template, a); msg != "" {
				v.fail(ap, "%s", msg)
			} else if t != nil {
				a.Template, l.template = t, t
			}
		case ActionDelete:
			if alive[r] != nil {
				delete(alive, r)
			} else {
				gonePool[r.Name] = true
			}
		}
	}
}

// bodyMatches reports whether an object has the body its kind needs
// (validator.object reports those that do not, or have another too).
func (o *Object) bodyMatches() bool {
	switch o.Kind {
	case KindPod:
		return o.Pod != nil
	case KindReplicaSet:
		return o.ReplicaSet != nil
	case KindDeployment:
		return o.Deployment != nil
	case KindNode:
		return o.Node != nil
	case KindService:
		return o.Service != nil
	}
	return false
}

func where(o *Object) string {
	if o.path != "" {
		return o.path
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}

// updated applies an update to a Deployment's template as kubectl set
// image and set resources do: the named container, or every app container,
// gets the new image and the requests and limits named (others stay).
func (v *validator) updated(t *objects.PodTemplate, a *Action) (*objects.PodTemplate, string) {
	if v.in == nil || t == nil || t.Spec == nil || !t.Spec.Finished() {
		return nil, ""
	}
	spec := t.Spec.Edit()
	change := func(c *objects.Container) {
		if a.Image != "" {
			c.Image = v.in.Intern(objects.NormalizeImageName(a.Image))
		}
		c.Requests = merge(c.Requests, a.Requests)
		c.Limits = merge(c.Limits, a.Limits)
	}
	if a.Container == "" {
		for i := range spec.Containers {
			change(&spec.Containers[i])
		}
	} else {
		var names []string
		found := false
		for _, cs := range [][]objects.Container{spec.Containers, spec.InitContainers} {
			for i := range cs {
				name := v.in.String(cs[i].Name)
				names = append(names, name)
				if name == a.Container {
					change(&cs[i])
					found = true
				}
			}
		}
		if !found {
			return nil, fmt.Sprintf("the template has no container %q%s; its containers are %s", a.Container, didYouMean(a.Container, names), quoteList(names))
		}
	}
	if err := spec.Finish(); err != nil {
		return nil, "the updated template is invalid: " + err.Error()
	}
	return &objects.PodTemplate{Labels: t.Labels, Spec: spec}, ""
}

// merge sets the resources q names in old.
func merge(old, q objects.Quantities) objects.Quantities {
	if q.Has(objects.CPU) {
		old.MilliCPU = q.MilliCPU
		old.Set |= objects.CPU
	}
	if q.Has(objects.Memory) {
		old.Memory = q.Memory
		old.Set |= objects.Memory
	}
	return old
}

func (v *validator) podChurn(path string, c *PodChurn, sp *Spec) {
	v.dnsLabel(path+".name", c.Name)
	v.dnsLabel(path+".namespace", c.Namespace)
	switch {
	case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		v.fail(path+".rate", "must be a finite number, got %v", c.Rate)
	case c.Rate < MinChurnRate:
		v.fail(path+".rate", "must be at least one pod a day (%.6g per second), got %v", MinChurnRate, c.Rate)
	case c.Rate > MaxPodChurnRate:
		v.fail(path+".rate", "must be at most %d pods per second, got %v", MaxPodChurnRate, c.Rate)
	}
	if c.Template.Spec == nil || !c.Template.Spec.Finished() {
		v.fail(path+".template", "needs a finished pod spec")
	}
	v.dist(path+".lifetime", c.Lifetime)
	if c.Lifetime.Kind == "constant" && c.Lifetime.Value <= 0 || c.Lifetime.Kind == "uniform" && c.Lifetime.Max <= 0 ||
		c.Lifetime.Kind == "normal" && c.Lifetime.Mean <= 0 {
		v.fail(path+".lifetime", "a pod must live a while: the lifetime must be able to exceed 0")
	}
	v.window(path, c.Start, c.Duration, sp)
	v.client(path+".client", &c.Client)
}
