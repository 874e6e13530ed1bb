package cluster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/scenarios"
)

// This file wires the faults on the pod workload: stopControllerManager
// and memoryPressure.

// startPodFault starts fault i, a stopControllerManager or memoryPressure.
func (c *Cluster) startPodFault(i int, f *activeFault) {
	now := c.Eng.Now()
	switch f.spec.Type {
	case scenarios.FaultStopControllerManager:
		f.managers = c.selectManagers(f.spec.Instances)
		if len(f.managers) == 0 {
			c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: no kube-controller-manager instance leads: nothing stopped", i))
			c.Tracker.faultEnded(now, i)
			return
		}
		for _, m := range f.managers {
			c.ControllerManager.Replicas()[m].Stop()
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: stop %s", i, c.managerNames(f.managers)))
	case scenarios.FaultMemoryPressure:
		var parts []string
		for _, pm := range f.spec.Pods {
			parts = append(parts, fmt.Sprintf("%s %s", pm.Name, memString(pm.MemoryBytes)))
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: memory working sets: %s", i, strings.Join(parts, ", ")))
		for _, pm := range f.spec.Pods {
			c.setPodMemory(i, pm, pm.MemoryBytes, false)
		}
	}
}

// endPodFault ends fault i after its duration.
func (c *Cluster) endPodFault(i int, f *activeFault) {
	now := c.Eng.Now()
	switch f.spec.Type {
	case scenarios.FaultStopControllerManager:
		for _, m := range f.managers {
			c.ControllerManager.Replicas()[m].Start()
		}
		if len(f.managers) > 0 {
			c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: start %s", i, c.managerNames(f.managers)))
		}
	case scenarios.FaultMemoryPressure:
		for _, pm := range f.spec.Pods {
			c.setPodMemory(i, pm, -1, true)
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: the pods' working sets are back to their memory requests", i))
	}
}

// selectManagers resolves an instance selector to kube-controller-manager
// instances: by name, the leader now (none if no instance leads), or all.
func (c *Cluster) selectManagers(sel scenarios.MemberSelector) []int {
	cm := &c.Scenario.Spec.Cluster.ControllerManager
	var out []int
	for i, r := range c.ControllerManager.Replicas() {
		switch {
		case sel.Leader && r.Leading(), !sel.Leader && (len(sel.Names) == 0 || slices.Contains(sel.Names, cm.InstanceName(i))):
			out = append(out, i)
		}
	}
	return out
}

func (c *Cluster) managerNames(ms []int) string {
	cm := &c.Scenario.Spec.Cluster.ControllerManager
	var names []string
	for _, m := range ms {
		names = append(names, cm.InstanceName(m))
	}
	return strings.Join(names, ", ")
}

// setPodMemory sets a bare pod's working set on the kubelet running it
// (bytes < 0: back to its memory request). A pod that is not running
// there is left alone, and the timeline says so.
func (c *Cluster) setPodMemory(i int, pm scenarios.PodMemory, bytes int64, ending bool) {
	o := c.findObject(scenarios.ObjectRef{Kind: scenarios.KindPod, Namespace: pm.Namespace, Name: pm.Name})
	if o == nil || o.Pod == nil {
		return // validation makes sure it exists
	}
	if bytes < 0 {
		bytes = o.Pod.Spec.Requests().Memory
	}
	stored, ok := c.Etcd.Get(api.Pods, o.Pod.ID)
	p, isPod := stored.Body.(*objects.Pod)
	if !ok || !isPod || !p.Bound() || p.Phase != objects.PodRunning || int(p.NodeName) >= len(c.Kubelets) {
		if !ending {
			c.Rec.Note(c.Eng.Now(), "fault", fmt.Sprintf("fault %d: pod %s is not running: its working set is not set", i, pm.Name))
		}
		return
	}
	c.Kubelets[p.NodeName].SetPodMemoryUsage(o.Pod.ID, bytes)
}

// memString renders bytes as a binary quantity (1536Mi, 2Gi).
func memString(b int64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"Ti", 40}, {"Gi", 30}, {"Mi", 20}, {"Ki", 10}} {
		if b >= 1<<u.shift && b%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", b>>u.shift, u.suffix)
		}
	}
	return fmt.Sprint(b)
}
