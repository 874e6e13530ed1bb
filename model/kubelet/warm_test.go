package kubelet

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// warmPod is pod id on node, running img since a minute before time 0 as
// its kubelet reported it.
func warmPod(t *testing.T, id, node int32, img objects.Sym) objects.Pod {
	t.Helper()
	return WarmPod(objects.Pod{ID: id, NodeName: node, Spec: spec(t, img, 0, 0), Size: 4000, Created: at(-2 * time.Minute)}, at(-time.Minute))
}

// podCallsAbout is what kubelet k sent about pod id, with times relative
// to from.
func (r *rig) podCallsAbout(k int, id int32, from sim.Time) []tapEntry {
	var out []tapEntry
	for _, e := range r.podCalls(k) {
		if e.name == id && e.at >= from {
			e.at -= from
			out = append(out, e)
		}
	}
	return out
}

// TestWarmKubeletWritesNothingUntilAPodChanges: pods 0 and 1 ran on node
// 0 before time 0, pod 2 on node 1. Node 0's kubelet sends nothing about
// them, lists no pods, pulls no image and counts no startup; a pod it
// starts itself uses the warm pods' image. Deleting warm pod 0 then
// takes, from the delete on, exactly the requests and the time that
// deleting pod 3, which the kubelet started, takes.
func TestWarmKubeletWritesNothingUntilAPodChanges(t *testing.T) {
	pods := []objects.Pod{warmPod(t, 0, 0, imgA), warmPod(t, 1, 0, imgB), warmPod(t, 2, 1, imgA)}
	r := newRigWarm(t, 31, 2, podsConfig(podTestConfig()), nil, pods)
	ps := r.ks[0].pods
	if len(ps.work) != 2 || len(ps.rt) != 2 || !ps.hasImage(imgA) || !ps.hasImage(imgB) || ps.memUsed != 0 {
		t.Fatalf("node 0 at time 0: %d pods, %d runtime pods, images %v", len(ps.work), len(ps.rt), ps.images)
	}
	m := r.m.Pods
	if m.running != 3 || m.RunningPods.Value() != 3 {
		t.Fatalf("running %d (gauge %v), want 3", m.running, m.RunningPods.Value())
	}
	r.createPod(time.Second, 3, spec(t, imgA, 0, 0))
	r.bindPod(1100*ms, 3, 0)
	r.run(t, 30*time.Second)

	for _, e := range r.tap.log {
		if e.res.Stored() == api.Pods && (e.name != 3 || e.verb == api.List) {
			t.Fatalf("by 30s a kubelet sent %v %v %d", e.verb, e.res, e.name)
		}
	}
	for id := range int32(3) {
		if c := r.obs.pods[id]; len(c) != 0 {
			t.Fatalf("pod %d written: %+v", id, c)
		}
	}
	if p := r.pod(t, 3); p.Phase != objects.PodRunning {
		t.Fatalf("pod 3 is %v", p.Phase)
	}
	if m.ImagePulls.Value != 0 || m.ImageCacheHits.Value != 1 || m.StartTotal.Count() != 1 || m.ContainerStarts.Value != 1 {
		t.Fatalf("pulls %d, cache hits %d, startup samples %d, containers started %d; want 0, 1, 1, 1",
			m.ImagePulls.Value, m.ImageCacheHits.Value, m.StartTotal.Count(), m.ContainerStarts.Value)
	}

	del0, del3 := at(40*time.Second), at(60*time.Second)
	r.deletePod(del0.Duration(), 0)
	r.deletePod(del3.Duration(), 3)
	r.run(t, 80*time.Second)
	for _, id := range []int32{0, 3} {
		if _, ok := r.st.Get(api.Pods, id); ok {
			t.Fatalf("pod %d still stored", id)
		}
	}
	warm, own := r.podCallsAbout(0, 0, del0), r.podCallsAbout(0, 3, del3)
	if len(warm) != 3 || len(warm) != len(own) {
		t.Fatalf("after the delete: warm pod %+v, own pod %+v; want GET, PATCH, DELETE each", warm, own)
	}
	for i := range warm {
		if warm[i].at != own[i].at || warm[i].verb != own[i].verb || warm[i].res != own[i].res {
			t.Fatalf("call %d: warm pod %v %v at +%v, own pod %v %v at +%v", i, warm[i].verb, warm[i].res, warm[i].at, own[i].verb, own[i].res, own[i].at)
		}
	}
	final := func(id int32) *objects.Pod {
		c := r.obs.pods[id]
		return c[len(c)-2].obj.Body.(*objects.Pod)
	}
	if f0, f3 := final(0), final(3); f0.Phase != objects.PodSucceeded || f3.Phase != objects.PodSucceeded {
		t.Fatalf("final statuses %v and %v, want Succeeded", f0.Phase, f3.Phase)
	}
	if m.running != 2 || m.GracefulTerminations.Value != 2 {
		t.Fatalf("running %d, graceful terminations %d", m.running, m.GracefulTerminations.Value)
	}
	// Pod 1 was never touched; pod 2 is node 1's.
	if len(r.obs.pods[1]) != 0 || len(r.obs.pods[2]) != 0 {
		t.Fatal("an untouched warm pod was written")
	}
}

// TestWarmPodWithAStaleStatusIsSynced: a pod stored without the status its
// kubelet would report (no startTime, Pending) has it synced at time 0 by
// a GET and a PATCH, Running and Ready since then; it still counts no
// startup, as the kubelet did not see it created.
func TestWarmPodWithAStaleStatusIsSynced(t *testing.T) {
	p := objects.Pod{ID: 0, NodeName: 0, Spec: spec(t, imgA, 0, 0), Size: 4000, Created: at(-time.Minute)}
	r := newRigWarm(t, 32, 1, podsConfig(podTestConfig()), nil, []objects.Pod{p})
	r.run(t, 10*time.Second)
	calls := r.podCalls(0)
	if len(calls) != 2 || calls[0].verb != api.Get || calls[0].at != at(lat) || calls[1].verb != api.Patch || calls[1].at != at(lat+readRTT) {
		t.Fatalf("calls %+v, want a GET at once and a PATCH", calls)
	}
	got := r.pod(t, 0)
	if got.Phase != objects.PodRunning || !got.Ready || got.ReadySince != 0 || r.m.Pods.StartTotal.Count() != 0 {
		t.Fatalf("pod %+v, startup samples %d", got, r.m.Pods.StartTotal.Count())
	}
}

// TestWarmTerminatingPodIsStopped: a pod stored with a deletion timestamp
// is stopped at once and deleted after its final status.
func TestWarmTerminatingPodIsStopped(t *testing.T) {
	p := warmPod(t, 0, 0, imgA)
	p.Terminating, p.DeletionGrace = true, 30*time.Second
	r := newRigWarm(t, 33, 1, podsConfig(podTestConfig()), nil, []objects.Pod{p})
	r.run(t, 10*time.Second)
	if _, ok := r.st.Get(api.Pods, 0); ok {
		t.Fatal("pod 0 still stored")
	}
	c := r.obs.pods[0]
	if len(c) != 2 || c[0].at != at(300*ms+readRTT+toStorage) || c[0].obj.Body.(*objects.Pod).Phase != objects.PodSucceeded {
		t.Fatalf("commits %+v, want the final status 300ms (the stop) plus a GET and a PATCH in, then the delete", c)
	}
	if r.m.Pods.running != 0 {
		t.Fatalf("running %d", r.m.Pods.running)
	}
}
