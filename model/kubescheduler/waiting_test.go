package kubescheduler

import (
	"testing"
	"time"
)

// A bound pod the informer delivers before its node waits for the node,
// as upstream's cache keeps it on an empty NodeInfo: once the node comes
// it counts there, and a pod that would fit only without it is refused.
// Without the wait, the pod is lost to the cache and the node
// over-committed.
func TestBoundPodBeforeItsNodeCounts(t *testing.T) {
	r := newRig(t, 1)
	n := r.node("late", 4000, 8*gi)
	r.seedBound(100, r.cpuPod(3000, gi), n.ID) // the node is not there yet
	s := r.start(Config{})
	r.addNode(time.Second, n)
	r.createPod(2*time.Second, r.cpuPod(2000, gi), nil)
	r.Run(t, 5*time.Second)
	if got := scheduled(s); len(got) != 0 {
		t.Fatalf("scheduled %+v onto a node with 1000m free", got)
	}
	ni := s.Replicas()[0].Snapshot().NodeInfo(n.ID)
	if ni == nil || len(ni.Pods) != 1 || ni.Requested.MilliCPU != 3000 {
		t.Fatalf("node in the cache: %+v", ni)
	}
}
