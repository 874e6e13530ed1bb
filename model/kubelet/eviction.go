package kubelet

import (
	"fmt"
	"slices"

	"github.com/orrery-sim/orrery/model/objects"
)

// The eviction manager (pkg/kubelet/eviction/eviction_manager.go), for the
// one signal modeled: memory.available, the node's memory capacity minus
// the pods' working sets. Its synchronize loop runs every
// EvictionMonitoringPeriod; the model arms a tick of that loop only when
// the signal is under the threshold, so a node without pressure costs
// nothing. Each tick under the hard threshold evicts one pod, ranked as
// rankMemoryPressure does (pkg/kubelet/eviction/helpers.go): pods using
// more memory than they request first, then lower priority first, then
// the larger usage above requests first (ties: lower pod ID). The pod is
// killed with grace 0 (a hard threshold's gracePeriodOverride) and its
// status set Failed, reason Evicted; its owner's controller deletes it.

// SetPodMemoryUsage sets the working set of one of the node's running
// pods (by default its memory request), as a scenario's pressure knob.
func (k *Kubelet) SetPodMemoryUsage(id int32, bytes int64) {
	if k.pods == nil {
		return
	}
	rp := k.pods.runtime(id)
	if rp == nil || !rp.running {
		return
	}
	k.pods.memUsed += bytes - rp.usage
	rp.usage = bytes
	k.pods.checkMemory()
}

// memoryCapacity is the node's memory capacity, 0 if unknown.
func (ps *podSide) memoryCapacity() int64 {
	if ps.cfg.MemoryCapacity > 0 {
		return ps.cfg.MemoryCapacity
	}
	if n, ok := ps.k.node.obj.Body.(*objects.Node); ok && ps.k.node.ok && n.Allocatable.Memory > 0 {
		return n.Allocatable.Memory + ps.cfg.EvictionHardMemory
	}
	return 0
}

// underPressure reports whether memory.available is below the threshold.
func (ps *podSide) underPressure() (available int64, under bool) {
	capacity := ps.memoryCapacity()
	if ps.cfg.EvictionHardMemory <= 0 || capacity == 0 {
		return 0, false
	}
	available = capacity - ps.memUsed
	return available, available < ps.cfg.EvictionHardMemory
}

// checkMemory arms the eviction loop's next tick if the node is under
// pressure.
func (ps *podSide) checkMemory() {
	if _, under := ps.underPressure(); !under || ps.evTimer.Active() || !ps.k.running {
		return
	}
	ps.evTimer.ResetAt(nextTick(ps.evFrom, ps.cfg.EvictionMonitoringPeriod, ps.k.eng.Now()))
}

// evictionCheck is one synchronize: evict one pod if the signal is still
// under the threshold and no earlier eviction is still being cleaned up.
func (ps *podSide) evictionCheck() {
	available, under := ps.underPressure()
	if !under {
		return
	}
	defer ps.checkMemory()
	var cands []*podWork
	for _, w := range ps.work {
		if w.evicted && w.state == wsKilling {
			return // waitForPodsCleanup
		}
		if rp := ps.runtime(w.id); rp != nil && rp.running && w.state < wsKilling {
			cands = append(cands, w)
		}
	}
	if len(cands) == 0 {
		return
	}
	slices.SortFunc(cands, ps.rankMemory)
	w := cands[0]
	w.evicted = true
	w.evictMsg = fmt.Sprintf("The node was low on resource: memory. Threshold quantity: %dKi, available: %dKi. ",
		ps.cfg.EvictionHardMemory>>10, available>>10)
	ps.m.Evictions.Inc()
	ps.kill(w, 0)
}

// rankMemory orders two pods for eviction (rankMemoryPressure).
func (ps *podSide) rankMemory(a, b *podWork) int {
	ra, rb := ps.runtime(a.id), ps.runtime(b.id)
	overA := ra.usage - a.pod.Spec.Requests().Memory
	overB := rb.usage - b.pod.Spec.Requests().Memory
	if ea, eb := overA > 0, overB > 0; ea != eb {
		if ea {
			return -1
		}
		return 1
	}
	if pa, pb := a.pod.Spec.Priority, b.pod.Spec.Priority; pa != pb {
		if pa < pb {
			return -1
		}
		return 1
	}
	if overA != overB {
		if overA > overB {
			return -1
		}
		return 1
	}
	return int(a.id - b.id)
}
