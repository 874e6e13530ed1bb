package kubescheduler

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// runRandom builds a random cluster for seed: 3–6 nodes of 4–16 cores,
// 10–40 small pods created over 20s (their total under half the
// capacity, each under a quarter of the smallest node, so every pod fits
// somewhere whatever came before), and 1–3 pods too big for any of them
// that only a node added at 40s can hold. It returns the rig after 2
// virtual minutes.
func runRandom(t *testing.T, seed uint64) (*rig, *Scheduler, *objects.Node) {
	r := newRig(t, seed)
	rng := sim.NewRand(seed, "property")
	var capacity, smallest int64 = 0, 1 << 62
	for i := range 3 + rng.IntN(4) {
		cpu := int64(4+rng.IntN(13)) * 1000
		r.seedNode(r.node(fmt.Sprint("n", i), cpu, 64*gi))
		capacity += cpu
		smallest = min(smallest, cpu)
	}
	big := r.node("big", 64000, 256*gi)
	s := r.start(Config{Replicas: 1 + rng.IntN(2), LeaderElect: true})
	var total int64
	for range 10 + rng.IntN(31) {
		cpu := int64(100 + rng.IntN(int(smallest/4-100)))
		if total+cpu > capacity/2 {
			break
		}
		total += cpu
		r.createPod(time.Duration(rng.IntN(20000))*ms+5*time.Second, r.cpuPod(cpu, 64*mi), nil)
	}
	for range 1 + rng.IntN(3) {
		r.createPod(time.Duration(rng.IntN(20000))*ms+5*time.Second, r.cpuPod(20000, gi), nil)
	}
	r.addNode(40*time.Second, big)
	r.Run(t, 2*time.Minute)
	return r, s, big
}

// Over seeds: every pod ends bound, no node holds more than its
// allocatable, the big pods are on the late node, and each node's
// requests in the scheduler's cache match what storage says is bound.
func TestEveryPodBoundNoOvercommit(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		r, s, big := runRandom(t, seed)
		used := map[int32]int64{}
		for _, p := range r.storedPods() {
			if p.NodeName == objects.NoNode {
				t.Fatalf("seed %d: pod %d pending: %q", seed, p.ID, p.Message)
			}
			used[p.NodeName] += p.Spec.Requests().MilliCPU
			if p.Spec.Requests().MilliCPU == 20000 && p.NodeName != big.ID {
				t.Errorf("seed %d: big pod %d on node %d", seed, p.ID, p.NodeName)
			}
		}
		leader := s.Leader()
		if leader == nil {
			t.Fatalf("seed %d: no leader", seed)
		}
		for id, cpu := range used {
			ni := leader.Snapshot().NodeInfo(id)
			if cpu > ni.Node.Allocatable.MilliCPU {
				t.Errorf("seed %d: node %d holds %dm of %dm", seed, id, cpu, ni.Node.Allocatable.MilliCPU)
			}
			if ni.Requested.MilliCPU != cpu {
				t.Errorf("seed %d: node %d cache %dm, storage %dm", seed, id, ni.Requested.MilliCPU, cpu)
			}
		}
		if q := leader.Queue(); q.Pending() != 0 || q.InFlight() != 0 {
			t.Errorf("seed %d: queue still holds %d pods, %d in flight", seed, q.Pending(), q.InFlight())
		}
	}
}

// The same seed gives the same attempts, to the nanosecond.
func TestDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 11} {
		_, a, _ := runRandom(t, seed)
		_, b, _ := runRandom(t, seed)
		if !reflect.DeepEqual(a.Attempts(), b.Attempts()) {
			t.Fatalf("seed %d: runs differ", seed)
		}
	}
}

// A burst larger than the cluster: 12 pods of 1 core at once on two
// 4-core nodes. Cycles run faster than bindings come back, so only the
// assumed pods keep later cycles from counting the same free cores:
// exactly 8 are bound, 4 per node, and 4 wait with "Insufficient cpu".
func TestBurstDoesNotOvercommit(t *testing.T) {
	r := newRig(t, 5)
	r.seedNode(r.node("a", 4000, 16*gi))
	r.seedNode(r.node("b", 4000, 16*gi))
	s := r.start(Config{})
	spec := r.cpuPod(1000, gi)
	for range 12 {
		r.createPod(time.Second, spec, nil)
	}
	r.Run(t, 10*time.Second)
	perNode := map[int32]int{}
	pending := 0
	for _, p := range r.storedPods() {
		if p.NodeName == objects.NoNode {
			pending++
			const want = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
			if p.Message != want {
				t.Errorf("pod %d message %q", p.ID, p.Message)
			}
			continue
		}
		perNode[p.NodeName]++
	}
	if pending != 4 || perNode[0] != 4 || perNode[1] != 4 {
		t.Fatalf("pending %d, per node %v", pending, perNode)
	}
	if n := len(scheduled(s)); n != 8 {
		t.Fatalf("%d bound", n)
	}
}
