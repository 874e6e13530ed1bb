package scenarios

import (
	"slices"
	"strings"
)

// This file checks the faults on the pod workload: stopControllerManager
// and memoryPressure.

// controllerManagerFault checks stopControllerManager: instances by name
// or the leader (every instance if neither), and nothing else. There must
// be a kube-controller-manager: a run builds one only for a pod workload.
func (v *validator) controllerManagerFault(path string, f *Fault, sp *Spec) {
	v.takesOnly(path, f, "", "instances (kube-controller-manager instance names, or leader: true)")
	if len(sp.Workload.Objects) == 0 && len(sp.Workload.PodChurn) == 0 {
		v.fail(path+".type", "stopControllerManager needs kube-controller-manager, which runs only with pods: spec.workload.objects or spec.workload.podChurn")
		return
	}
	sel := &f.Instances
	switch {
	case len(sel.Names) > 0 && sel.Leader:
		v.fail(path+".instances", "give names or leader: true, not both")
	case sel.Names != nil && len(sel.Names) == 0:
		v.fail(path+".instances.names", "must list at least one instance (leave instances out to stop every one)")
	}
	cm := &sp.Cluster.ControllerManager
	var names []string
	for i := range cm.Replicas {
		names = append(names, cm.InstanceName(i))
	}
	for i, name := range sel.Names {
		np := itemPath(path+".instances.names", i)
		switch {
		case !slices.Contains(names, name):
			v.fail(np, "no kube-controller-manager instance named %q%s; the instances are %s (spec.cluster.controllerManager.replicas: %d)",
				name, didYouMean(name, names), quoteList(names), cm.Replicas)
		case slices.Index(sel.Names, name) < i:
			v.fail(np, "instance %q is listed twice", name)
		}
	}
}

// memoryPressureFault checks memoryPressure: a working set for each of
// one or more bare pods of spec.workload.objects, each pod once, and
// nothing else.
func (v *validator) memoryPressureFault(path string, f *Fault, sp *Spec) {
	v.takesOnly(path, f, "", "pods (names and working sets)")
	if len(f.Pods) == 0 {
		v.fail(path+".pods", "required field is missing: memoryPressure needs the pods' working sets, as [{name: <pod>, memory: <quantity>}]")
		return
	}
	var known []string // namespace/name
	for i := range sp.Workload.Objects {
		if o := &sp.Workload.Objects[i]; o.Kind == KindPod {
			known = append(known, o.Namespace+"/"+o.Name)
		}
	}
	namesIn := func(ns string) []string {
		var out []string
		for _, k := range known {
			if n, ok := strings.CutPrefix(k, ns+"/"); ok {
				out = append(out, n)
			}
		}
		return out
	}
	seen := map[string]int{}
	for i := range f.Pods {
		pm := &f.Pods[i]
		pp := itemPath(path+".pods", i)
		if pm.Name == "" {
			continue // decode reported it
		}
		key := pm.Namespace + "/" + pm.Name
		if j, dup := seen[key]; dup {
			v.fail(pp+".name", "pod %q is listed twice (also %s)", pm.Name, itemPath(path+".pods", j))
			continue
		}
		seen[key] = i
		if !slices.Contains(known, key) {
			v.fail(pp+".name", "no Pod %q in namespace %q in spec.workload.objects%s: memoryPressure names bare pods of the workload (a controller's pods have generated names)",
				pm.Name, pm.Namespace, didYouMean(pm.Name, namesIn(pm.Namespace)))
		}
	}
}
