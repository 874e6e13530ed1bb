package kubelet

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

const (
	imgA objects.Sym = 100
	imgB objects.Sym = 101
)

// podTestConfig has constant runtime latencies, so every step has an
// exact time.
func podTestConfig() *PodConfig {
	pc := DefaultPodConfig()
	pc.SandboxCreate = sim.Constant(500 * ms)
	pc.ContainerStart = sim.Constant(100 * ms)
	pc.ContainerStop = sim.Constant(300 * ms)
	pc.PullTime = sim.Constant(2 * time.Second)
	return &pc
}

func podsConfig(pc *PodConfig) Config {
	cfg := defaultConfig()
	cfg.Pods = pc
	return cfg
}

// spec is a finished one-container spec running img with the given
// memory request and limit (0: none).
func spec(t *testing.T, img objects.Sym, request, limit int64) *objects.PodSpec {
	t.Helper()
	c := objects.Container{Image: img}
	if request > 0 {
		c.Requests = objects.MemoryOnly(request)
	}
	if limit > 0 {
		c.Limits = objects.MemoryOnly(limit)
	}
	s := &objects.PodSpec{Containers: []objects.Container{c}}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	return s
}

// createPod makes the probe create pod id (unbound) at time d.
func (r *rig) createPod(d time.Duration, id int32, s *objects.PodSpec) {
	r.send(d, api.Request{Verb: api.Create, Resource: api.Pods, Name: id, Object: api.Object{Resource: api.Pods, ID: id, Size: 4000, Namespace: 1,
		Body: &objects.Pod{ID: id, NodeName: objects.NoNode, Spec: s, Size: 4000, Created: at(d)}}})
}

// bindPod makes the probe bind pod id to node at time d, as the
// scheduler does (pods/binding).
func (r *rig) bindPod(d time.Duration, id, node int32) {
	r.send(d, api.Request{Verb: api.Create, Resource: api.PodBinding, Name: id, Object: api.Object{Size: 300},
		Mutate: func(cur *api.Object) (api.Object, api.Code) {
			p := cur.Body.(*objects.Pod)
			if p.Bound() {
				return api.Object{}, api.Conflict
			}
			np := *p
			np.NodeName = node
			obj := *cur
			obj.Body = &np
			return obj, 0
		}})
}

func (r *rig) deletePod(d time.Duration, id int32) {
	r.send(d, api.Request{Verb: api.Delete, Resource: api.Pods, Name: id})
}

func (r *rig) pod(t *testing.T, id int32) *objects.Pod {
	t.Helper()
	o, ok := r.st.Get(api.Pods, id)
	if !ok {
		t.Fatalf("pod %d not stored", id)
	}
	return o.Body.(*objects.Pod)
}

// podCalls is what kubelet k sent about pods (status manager GETs,
// PATCHes and DELETEs), in order.
func (r *rig) podCalls(k int) []tapEntry {
	var out []tapEntry
	for _, e := range r.tap.log {
		if e.from == r.ks[k].Endpoint() && e.res.Stored() == api.Pods && (e.verb == api.Get || e.verb == api.Patch || e.verb == api.Delete) {
			out = append(out, e)
		}
	}
	return out
}

func TestPodStartsThroughSandboxPullAndContainerAtExactTimes(t *testing.T) {
	r := newRig(t, 1, 1, podsConfig(podTestConfig()))
	ps := r.ks[0].pods
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	r.createPod(5*time.Second, 1, spec(t, imgA, 0, 0))
	r.bindPod(5100*ms, 1, 0)
	r.run(t, 10*time.Second)

	p0, p1 := r.pod(t, 0), r.pod(t, 1)
	// The kubelet accepted pod 0 when its watch delivered the binding:
	// that is its startTime.
	seen := p0.StartTime
	if seen < at(200*ms) || seen > at(220*ms) {
		t.Fatalf("pod 0 accepted at %v, want just after the binding at 200ms", seen)
	}
	// Sandbox 500ms, pull 2s, container start 100ms; the next relist
	// notices the container.
	started := seen.Add(500*ms + 2*time.Second + 100*ms)
	relist := nextTick(ps.plegFrom, time.Second, started)
	if p0.Phase != objects.PodRunning || !p0.Ready || p0.ReadySince != relist {
		t.Fatalf("pod 0: phase %v ready %v since %v, want Running, Ready since %v", p0.Phase, p0.Ready, p0.ReadySince, relist)
	}
	// Per status change: GET from the API server, then PATCH pods/status.
	calls := r.podCalls(0)
	want := []struct {
		at   sim.Time
		verb api.Verb
		res  api.Resource
	}{
		{seen.Add(lat), api.Get, api.Pods},
		{seen.Add(lat + readRTT), api.Patch, api.PodStatus},
		{relist.Add(lat), api.Get, api.Pods},
		{relist.Add(lat + readRTT), api.Patch, api.PodStatus},
	}
	if len(calls) < len(want) {
		t.Fatalf("kubelet pod calls %+v", calls)
	}
	for i, w := range want {
		if c := calls[i]; c.at != w.at || c.verb != w.verb || c.res != w.res || c.name != 0 {
			t.Fatalf("call %d: %v %v %d at %v, want %v %v 0 at %v", i, c.verb, c.res, c.name, c.at, w.verb, w.res, w.at)
		}
	}

	// Pod 1 has the same image: no pull.
	seen1 := p1.StartTime
	relist1 := nextTick(ps.plegFrom, time.Second, seen1.Add(500*ms+100*ms))
	if p1.Phase != objects.PodRunning || p1.ReadySince != relist1 {
		t.Fatalf("pod 1: phase %v ready since %v, want Running since %v", p1.Phase, p1.ReadySince, relist1)
	}
	m := r.m.Pods
	if m.ImagePulls.Value != 1 || m.ImageCacheHits.Value != 1 {
		t.Fatalf("pulls %d, cache hits %d; want 1 and 1", m.ImagePulls.Value, m.ImageCacheHits.Value)
	}
	if len(calls) != 8 {
		t.Fatalf("%d pod calls, want 8 (GET+PATCH twice per pod)", len(calls))
	}
	// Startup latency: from creation to the watch showing Running; the
	// SLI leaves the 2s pull out for pod 0.
	tot, sli := m.StartTotal.Samples(), m.StartSLI.Samples()
	if len(tot) != 2 || len(sli) != 2 {
		t.Fatalf("startup samples %v %v", tot, sli)
	}
	if d := time.Duration(tot[0] - sli[0]); d != 2*time.Second {
		t.Fatalf("pod 0: total - SLI = %v, want the 2s pull", d)
	}
	if tot[1] != sli[1] {
		t.Fatalf("pod 1 pulled nothing, yet total %v != SLI %v", tot[1], sli[1])
	}
	// The watch sees Running after the patch commits.
	if lo := relist.Sub(at(100 * ms)); time.Duration(tot[0]) <= lo || time.Duration(tot[0]) > lo+20*ms {
		t.Fatalf("pod 0 startup %v, want just over %v", time.Duration(tot[0]), lo)
	}
	if m.running != 2 || m.RunningPods.Value() != 2 || m.ContainerStarts.Value != 2 {
		t.Fatalf("running %d (gauge %v), containers started %d", m.running, m.RunningPods.Value(), m.ContainerStarts.Value)
	}
	// The runtime steps' durations, for the report's breakdown: the
	// sandbox 500ms and the container start 100ms of each pod, and each
	// pod's wait from its container start to the relist.
	for _, c := range []struct {
		name string
		got  []int64
		want []time.Duration
	}{
		{"sandbox", m.Sandbox.Samples(), []time.Duration{500 * ms, 500 * ms}},
		{"container start", m.ContainerStart.Samples(), []time.Duration{100 * ms, 100 * ms}},
		{"PLEG wait", m.PLEGWait.Samples(), []time.Duration{relist.Sub(started), relist1.Sub(seen1.Add(600 * ms))}},
	} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s samples %v, want %v", c.name, c.got, c.want)
		}
		for i := range c.want {
			if time.Duration(c.got[i]) != c.want[i] {
				t.Fatalf("%s samples %v, want %v", c.name, c.got, c.want)
			}
		}
	}
}

func TestImagePullsAreSerialized(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		pc := podTestConfig()
		pc.ParallelImagePulls = parallel
		r := newRig(t, 2, 1, podsConfig(pc))
		r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
		r.createPod(100*ms, 1, spec(t, imgB, 0, 0))
		r.bindPod(200*ms, 0, 0)
		r.bindPod(200*ms, 1, 0)
		r.run(t, 10*time.Second)
		p0, p1 := r.pod(t, 0), r.pod(t, 1)
		if p0.Phase != objects.PodRunning || p1.Phase != objects.PodRunning {
			t.Fatalf("parallel=%v: phases %v %v", parallel, p0.Phase, p1.Phase)
		}
		// Both were accepted together; serialized, pod 1's pull waits
		// for pod 0's (2s), so its container starts 2s later.
		ps := r.ks[0].pods
		gap := time.Duration(0)
		if !parallel {
			gap = 2 * time.Second
		}
		s0 := p0.StartTime.Add(500*ms + 2*time.Second + 100*ms)
		s1 := p1.StartTime.Add(500*ms + 2*time.Second + 100*ms + gap)
		if p0.ReadySince != nextTick(ps.plegFrom, time.Second, s0) || p1.ReadySince != nextTick(ps.plegFrom, time.Second, s1) {
			t.Fatalf("parallel=%v: ready at %v and %v, containers started at %v and %v", parallel, p0.ReadySince, p1.ReadySince, s0, s1)
		}
		if r.m.Pods.ImagePulls.Value != 2 {
			t.Fatalf("parallel=%v: %d pulls", parallel, r.m.Pods.ImagePulls.Value)
		}
	}
}

func TestGracefulDeletionStopsThenDeletes(t *testing.T) {
	pc := podTestConfig()
	r := newRig(t, 3, 1, podsConfig(pc))
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	r.createPod(100*ms, 1, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 1, 0)
	r.deletePod(10*time.Second, 0)
	// Pod 1 gets a 1s grace: its containers take 5s to stop, so they
	// are killed at the 2s minimum.
	r.at(15*time.Second, func() { r.ks[0].pods.cfg.ContainerStop = sim.Constant(5 * time.Second) })
	r.send(15*time.Second, api.Request{Verb: api.Delete, Resource: api.Pods, Name: 1, GraceSet: true, GracePeriod: time.Second})
	var mid bool
	var midPod *objects.Pod
	r.at(10*time.Second+250*ms, func() {
		o, ok := r.st.Get(api.Pods, 0)
		mid = ok
		if ok {
			midPod = o.Body.(*objects.Pod)
		}
	})
	r.run(t, 30*time.Second)

	if !mid || !midPod.Terminating || midPod.Phase != objects.PodRunning {
		t.Fatalf("pod 0 at 10.25s: stored %v %+v, want Terminating and still Running", mid, midPod)
	}
	for _, id := range []int32{0, 1} {
		if _, ok := r.st.Get(api.Pods, id); ok {
			t.Fatalf("pod %d still stored", id)
		}
	}
	// The last commits of pod 0: its terminal status, then the delete.
	c := r.obs.pods[0]
	last, final := c[len(c)-2], c[len(c)-1]
	lp := last.obj.Body.(*objects.Pod)
	if lp.Phase != objects.PodSucceeded || lp.Ready {
		t.Fatalf("pod 0's last status %v ready %v, want Succeeded, not ready", lp.Phase, lp.Ready)
	}
	// The MODIFIED event reaches the kubelet about 3ms after the delete;
	// stopping takes 300ms, then GET, PATCH and DELETE.
	if lo := at(10*time.Second + 300*ms); last.at < lo || last.at > lo.Add(20*ms) {
		t.Fatalf("pod 0's final status committed at %v, want just after %v", last.at, lo)
	}
	if final.at-last.at != sim.Time(writeRTT) {
		t.Fatalf("pod 0 deleted %v after its final status, want one write round trip %v", final.at-last.at, writeRTT)
	}
	c1 := r.obs.pods[1]
	l1 := c1[len(c1)-2]
	if p := l1.obj.Body.(*objects.Pod); p.Phase != objects.PodFailed {
		t.Fatalf("pod 1's last status %v, want Failed (killed at the grace period)", p.Phase)
	}
	if lo := at(15*time.Second + minimumGracePeriod); l1.at < lo || l1.at > lo.Add(20*ms) {
		t.Fatalf("pod 1's final status at %v, want just after %v", l1.at, lo)
	}
	// The kubelet's delete carries grace 0.
	var deletes int
	for _, e := range r.podCalls(0) {
		if e.verb == api.Delete {
			deletes++
		}
	}
	m := r.m.Pods
	if deletes != 2 || m.GracefulTerminations.Value != 2 || m.GraceExpired.Value != 1 || m.running != 0 {
		t.Fatalf("deletes %d, graceful %d, expired %d, running %d", deletes, m.GracefulTerminations.Value, m.GraceExpired.Value, m.running)
	}
}

func TestKubeletRestartKeepsPodsRunning(t *testing.T) {
	r := newRig(t, 4, 1, podsConfig(podTestConfig()))
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	r.createPod(100*ms, 1, spec(t, imgB, 0, 0))
	r.bindPod(200*ms, 1, 0)
	r.at(20*time.Second, func() { r.ks[0].Restart() })
	var before []commitRec
	r.at(20*time.Second, func() { before = append(before, r.obs.pods[0]...) })
	r.run(t, 40*time.Second)

	m := r.m.Pods
	if m.ContainerStarts.Value != 2 || m.ImagePulls.Value != 2 {
		t.Fatalf("after the restart: %d containers started, %d pulls; want 2 and 2 (none again)", m.ContainerStarts.Value, m.ImagePulls.Value)
	}
	if len(r.obs.pods[0]) != len(before) {
		t.Fatalf("pod 0 written after the restart: %+v", r.obs.pods[0][len(before):])
	}
	// The restarted kubelet relisted its pods and its status manager
	// checked each (a GET), finding nothing to patch.
	var gets int
	for _, e := range r.podCalls(0) {
		if e.at > at(20*time.Second) {
			if e.verb != api.Get {
				t.Fatalf("after the restart the kubelet sent %v %v", e.verb, e.res)
			}
			gets++
		}
	}
	if gets != 2 {
		t.Fatalf("%d GETs after the restart, want one per pod", gets)
	}
	if m.running != 2 || m.StartTotal.Count() != 2 {
		t.Fatalf("running %d, startup samples %d", m.running, m.StartTotal.Count())
	}
	if p := r.pod(t, 0); p.Phase != objects.PodRunning || !p.Ready {
		t.Fatalf("pod 0 after restart: %v ready %v", p.Phase, p.Ready)
	}
	// Pods go on working after the restart: a delete still completes.
	r.deletePod(41*time.Second, 0)
	r.run(t, 45*time.Second)
	if _, ok := r.st.Get(api.Pods, 0); ok {
		t.Fatal("pod 0 not deleted after the restart")
	}
}

func TestPodDeletedOutrightIsTornDown(t *testing.T) {
	r := newRig(t, 5, 1, podsConfig(podTestConfig()))
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	// Deleted while pulling, with grace 0 (a force delete): gone at once.
	r.send(time.Second, api.Request{Verb: api.Delete, Resource: api.Pods, Name: 0, GraceSet: true})
	r.run(t, 10*time.Second)
	ps := r.ks[0].pods
	if len(ps.work) != 0 || len(ps.rt) != 0 || r.m.Pods.ContainerStarts.Value != 0 {
		t.Fatalf("work %d, runtime pods %d, containers started %d", len(ps.work), len(ps.rt), r.m.Pods.ContainerStarts.Value)
	}
	// The pull in progress finished for the image store.
	if !ps.hasImage(imgA) {
		t.Fatal("the pull was lost")
	}
}

func TestEvictionUnderMemoryPressureInQoSOrder(t *testing.T) {
	pc := podTestConfig()
	pc.MemoryCapacity = 1 << 30
	r := newRig(t, 6, 1, podsConfig(pc))
	const mi = 1 << 20
	r.createPod(100*ms, 0, spec(t, imgA, 300*mi, 300*mi)) // Guaranteed
	r.createPod(100*ms, 1, spec(t, imgA, 200*mi, 0))      // Burstable
	r.createPod(100*ms, 2, spec(t, imgA, 0, 0))           // BestEffort
	for id := range int32(3) {
		r.bindPod(200*ms, id, 0)
	}
	k := r.ks[0]
	r.at(10*time.Second, func() {
		k.SetPodMemoryUsage(1, 250*mi)
		k.SetPodMemoryUsage(2, 250*mi)
	})
	// 300+250+250 = 800Mi of 1Gi: 224Mi available, no pressure.
	r.at(20*time.Second, func() { k.SetPodMemoryUsage(2, 400*mi) }) // 74Mi available
	r.at(40*time.Second, func() { k.SetPodMemoryUsage(1, 700*mi) }) // 24Mi available
	r.run(t, 70*time.Second)

	var order []int32
	var times []sim.Time
	for id := range int32(3) {
		p := r.pod(t, id)
		if p.Phase == objects.PodFailed && p.Reason == "Evicted" {
			order = append(order, id)
			for _, c := range r.obs.pods[id] {
				if c.obj.Body.(*objects.Pod).Phase == objects.PodFailed {
					times = append(times, c.at)
					break
				}
			}
		}
	}
	// BestEffort first (its usage exceeds its zero request the most),
	// then the Burstable pod once it exceeds its request; the Guaranteed
	// pod stays.
	if len(order) != 2 || order[0] != 1 || order[1] != 2 {
		t.Fatalf("evicted %v", order)
	}
	if times[1] > times[0] {
		t.Fatalf("pod 2 (BestEffort) evicted at %v, after pod 1 at %v", times[1], times[0])
	}
	ps := k.pods
	if tick := nextTick(ps.evFrom, 10*time.Second, at(20*time.Second)); times[1] < tick.Add(300*ms) || times[1] > tick.Add(320*ms) {
		t.Fatalf("pod 2 evicted at %v, want at the eviction tick %v plus its 300ms stop", times[1], tick)
	}
	if p := r.pod(t, 0); p.Phase != objects.PodRunning {
		t.Fatalf("the Guaranteed pod is %v", p.Phase)
	}
	if r.m.Pods.Evictions.Value != 2 || r.m.Pods.running != 1 {
		t.Fatalf("evictions %d, running %d", r.m.Pods.Evictions.Value, r.m.Pods.running)
	}
	if p := r.pod(t, 2); p.Message == "" {
		t.Fatal("no eviction message")
	}
}

// TestPodSideOffCostsNothing: without Config.Pods the kubelet sends no pod
// request at all and registers no pod metric.
func TestPodSideOffCostsNothing(t *testing.T) {
	r := newRig(t, 7, 2, defaultConfig())
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	r.run(t, 5*time.Second)
	for _, e := range r.tap.log {
		if e.res.Stored() == api.Pods {
			t.Fatalf("kubelet sent %v %v", e.verb, e.res)
		}
	}
	if r.m.Pods != nil || r.rec.FindCounter("kubelet_image_pulls_total") != nil {
		t.Fatal("pod metrics registered")
	}
}

// TestPodLifecycleProperties: over seeds, with the default (random)
// latencies, pods bound and deleted at random times on three nodes and
// two kubelet restarts,
// every surviving pod ends Running on its node, every deleted one is gone,
// the running gauge matches, the SLI never exceeds the total, and a second
// run of the same seed commits the same pod history.
func TestPodLifecycleProperties(t *testing.T) {
	run := func(seed uint64) (*rig, []bool) {
		pc := DefaultPodConfig()
		r := newRig(t, seed, 3, podsConfig(&pc))
		rng := sim.NewRand(seed, "test")
		const n = 30
		deleted := make([]bool, n)
		for id := range int32(n) {
			img := objects.Sym(100 + rng.IntN(4))
			c := time.Duration(rng.IntN(20000)) * ms
			r.createPod(c, id, spec(t, img, 0, 0))
			r.bindPod(c+time.Duration(rng.IntN(500))*ms, id, int32(rng.IntN(3)))
			if rng.IntN(3) == 0 {
				deleted[id] = true
				r.deletePod(c+time.Duration(rng.IntN(30000))*ms, id)
			}
		}
		// Two kubelet restarts, in the middle of it all.
		for range 2 {
			k := r.ks[rng.IntN(3)]
			r.at(time.Duration(rng.IntN(40000))*ms, k.Restart)
		}
		r.run(t, 2*time.Minute)
		return r, deleted
	}
	for seed := uint64(1); seed <= 10; seed++ {
		r, deleted := run(seed)
		running := 0
		for id, del := range deleted {
			o, ok := r.st.Get(api.Pods, int32(id))
			if del {
				if ok {
					t.Fatalf("seed %d: deleted pod %d still stored: %+v", seed, id, o.Body)
				}
				continue
			}
			p, _ := o.Body.(*objects.Pod)
			if !ok || p.Phase != objects.PodRunning || !p.Ready || p.StartTime == 0 || p.ReadySince < p.StartTime {
				t.Fatalf("seed %d: pod %d: %+v", seed, id, p)
			}
			if rp := r.ks[p.NodeName].pods.runtime(int32(id)); rp == nil || !rp.running {
				t.Fatalf("seed %d: pod %d not running on node %d", seed, id, p.NodeName)
			}
			running++
		}
		if r.m.Restarts.Value != 2 {
			t.Fatalf("seed %d: %d restarts", seed, r.m.Restarts.Value)
		}
		m := r.m.Pods
		if m.running != running || int(m.RunningPods.Value()) != running {
			t.Fatalf("seed %d: gauge %d/%v, want %d", seed, m.running, m.RunningPods.Value(), running)
		}
		tot, sli := m.StartTotal.Samples(), m.StartSLI.Samples()
		for i := range tot {
			if sli[i] > tot[i] || sli[i] <= 0 {
				t.Fatalf("seed %d: sample %d: SLI %v, total %v", seed, i, sli[i], tot[i])
			}
		}
		again, _ := run(seed)
		for id := range int32(len(deleted)) {
			a, b := r.obs.pods[id], again.obs.pods[id]
			if len(a) != len(b) {
				t.Fatalf("seed %d: pod %d: %d commits, then %d", seed, id, len(a), len(b))
			}
			for i := range a {
				if a[i].at != b[i].at || statusOf(a[i].obj.Body.(*objects.Pod)) != statusOf(b[i].obj.Body.(*objects.Pod)) || a[i].obj.ResourceVersion != b[i].obj.ResourceVersion {
					t.Fatalf("seed %d: pod %d commit %d differs between runs", seed, id, i)
				}
			}
		}
	}
}

// TestFailedStatusSyncIsRetriedByTheBatchSync: a status PATCH that fails
// is not retried at once; the status manager's batch sync, at its next
// tick, GETs the pod again and PATCHes the latest status.
func TestFailedStatusSyncIsRetriedByTheBatchSync(t *testing.T) {
	r := newRig(t, 8, 1, podsConfig(podTestConfig()))
	// Every status PATCH before 5s fails.
	r.tap.answer = func(req *api.Request) (api.Code, bool) {
		return api.InternalError, req.Verb == api.Patch && r.eng.Now() < at(5*time.Second)
	}
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	var before *objects.Pod
	r.at(9*time.Second, func() { before = r.pod(t, 0) })
	r.run(t, 30*time.Second)

	if before.StartTime != 0 || before.Phase == objects.PodRunning {
		t.Fatalf("pod 0 at 9s: %+v, want no status written yet", before)
	}
	ps := r.ks[0].pods
	calls := r.podCalls(0)
	if len(calls) != 6 {
		t.Fatalf("kubelet pod calls %+v, want 6", calls)
	}
	// Pending, then Running: each a GET and a failed PATCH. The first
	// failure arms the batch sync's next tick; the second finds it armed.
	tick := nextTick(ps.smFrom, 10*time.Second, calls[1].at.Add(lat))
	want := []struct {
		at   sim.Time
		verb api.Verb
	}{
		{calls[0].at, api.Get}, {calls[0].at.Add(readRTT), api.Patch},
		{calls[2].at, api.Get}, {calls[2].at.Add(readRTT), api.Patch},
		{tick.Add(lat), api.Get}, {tick.Add(lat + readRTT), api.Patch},
	}
	for i, w := range want {
		if c := calls[i]; c.at != w.at || c.verb != w.verb {
			t.Fatalf("call %d: %v at %v, want %v at %v (batch tick %v)", i, c.verb, c.at, w.verb, w.at, tick)
		}
	}
	// The retry writes the latest status as the kubelet set it: Ready
	// since the relist that saw the container, not since the retry.
	p := r.pod(t, 0)
	if p.Phase != objects.PodRunning || !p.Ready || p.ReadySince >= calls[2].at || p.StartTime == 0 {
		t.Fatalf("pod 0 after the batch sync: %+v", p)
	}
}

// TestNodeStatusGivesImagesAndMemoryCapacity: the Node's status.images
// are in the runtime's image store from the start (no pull), and without
// PodConfig.MemoryCapacity the node's memory capacity is its allocatable
// memory plus the hard eviction threshold.
func TestNodeStatusGivesImagesAndMemoryCapacity(t *testing.T) {
	const mi = 1 << 20
	r := newRigNodes(t, 9, 1, podsConfig(podTestConfig()), func(id int32) *objects.Node {
		return &objects.Node{ID: id, Allocatable: objects.Resources{Memory: 1024 * mi}, Images: []objects.NodeImage{{Name: imgA, Size: 100 * mi}}}
	})
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	k := r.ks[0]
	// 1024Mi used of 1124Mi: 100Mi available, not under the 100Mi
	// threshold. One more Mi is.
	r.at(10*time.Second, func() { k.SetPodMemoryUsage(0, 1024*mi) })
	var early int64
	r.at(30*time.Second, func() {
		early = r.m.Pods.Evictions.Value
		k.SetPodMemoryUsage(0, 1025*mi)
	})
	r.run(t, 60*time.Second)

	m := r.m.Pods
	if m.ImagePulls.Value != 0 || m.ImageCacheHits.Value != 1 {
		t.Fatalf("pulls %d, cache hits %d; want the node's image used", m.ImagePulls.Value, m.ImageCacheHits.Value)
	}
	p := r.pod(t, 0)
	if early != 0 || m.Evictions.Value != 1 || p.Phase != objects.PodFailed || p.Reason != "Evicted" {
		t.Fatalf("evictions %d by 30s, %d in all; pod %v %q", early, m.Evictions.Value, p.Phase, p.Reason)
	}
}

// TestRelistDropsPodsDeletedWhileTheKubeletWasDown: a pod force-deleted
// while its kubelet is stopped keeps running in the runtime until the
// restarted kubelet's list lacks it (HandlePodCleanups); the other pod
// keeps running, and the kubelet sends nothing about the deleted one.
func TestRelistDropsPodsDeletedWhileTheKubeletWasDown(t *testing.T) {
	r := newRig(t, 10, 1, podsConfig(podTestConfig()))
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.createPod(100*ms, 1, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	r.bindPod(200*ms, 1, 0)
	k := r.ks[0]
	r.at(20*time.Second, k.Stop)
	r.send(21*time.Second, api.Request{Verb: api.Delete, Resource: api.Pods, Name: 0, GraceSet: true})
	var down float64
	r.at(29*time.Second, func() { down = r.m.Pods.RunningPods.Value() })
	r.at(30*time.Second, k.Start)
	r.run(t, 40*time.Second)

	if _, ok := r.st.Get(api.Pods, 0); ok {
		t.Fatal("pod 0 not deleted")
	}
	if down != 2 {
		t.Fatalf("%v pods running while the kubelet was down, want 2", down)
	}
	ps := k.pods
	if ps.runtime(0) != nil || ps.find(0) != nil {
		t.Fatal("pod 0 still in the runtime or the kubelet")
	}
	if rp := ps.runtime(1); rp == nil || !rp.running {
		t.Fatal("pod 1 no longer running")
	}
	m := r.m.Pods
	if m.running != 1 || m.RunningPods.Value() != 1 || m.ContainerStarts.Value != 2 {
		t.Fatalf("running %d (gauge %v), containers started %d", m.running, m.RunningPods.Value(), m.ContainerStarts.Value)
	}
	for _, e := range r.podCalls(0) {
		if e.at > at(30*time.Second) && e.name == 0 {
			t.Fatalf("the kubelet sent %v %v about pod 0 after its restart", e.verb, e.res)
		}
	}
}

// TestEvictionRanksLowerPriorityFirst: of two pods both above their
// requests, the lower-priority one is evicted even though the other uses
// more memory (rankMemoryPressure: priority before usage).
func TestEvictionRanksLowerPriorityFirst(t *testing.T) {
	const mi = 1 << 20
	pc := podTestConfig()
	pc.MemoryCapacity = 1 << 30
	r := newRig(t, 11, 1, podsConfig(pc))
	high := spec(t, imgA, 0, 0)
	high.Priority = 1000
	r.createPod(100*ms, 0, high)
	r.createPod(100*ms, 1, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	r.bindPod(200*ms, 1, 0)
	k := r.ks[0]
	// 950Mi of 1Gi used: 74Mi available.
	r.at(10*time.Second, func() {
		k.SetPodMemoryUsage(0, 600*mi)
		k.SetPodMemoryUsage(1, 350*mi)
	})
	r.run(t, 60*time.Second)

	if p := r.pod(t, 1); p.Phase != objects.PodFailed || p.Reason != "Evicted" {
		t.Fatalf("pod 1 (priority 0) is %v %q, want evicted", p.Phase, p.Reason)
	}
	if p := r.pod(t, 0); p.Phase != objects.PodRunning {
		t.Fatalf("pod 0 (priority 1000) is %v, want running", p.Phase)
	}
	if r.m.Pods.Evictions.Value != 1 {
		t.Fatalf("%d evictions, want 1", r.m.Pods.Evictions.Value)
	}
}

// TestEvictionRecheckedWhenARestartedKubeletListsItsNode: memory pressure
// that arose while the kubelet was down (its pod's usage grew) is seen
// once the restarted kubelet's informer has listed the Node, whose
// allocatable memory gives the capacity: the pod is evicted at the
// eviction loop's first tick after that.
func TestEvictionRecheckedWhenARestartedKubeletListsItsNode(t *testing.T) {
	const mi = 1 << 20
	r := newRigNodes(t, 34, 1, podsConfig(podTestConfig()), func(id int32) *objects.Node {
		return &objects.Node{ID: id, Allocatable: objects.Resources{Memory: 1024 * mi}}
	})
	r.createPod(100*ms, 0, spec(t, imgA, 0, 0))
	r.bindPod(200*ms, 0, 0)
	k := r.ks[0]
	r.at(20*time.Second, k.Stop)
	r.at(25*time.Second, func() { k.SetPodMemoryUsage(0, 1100*mi) }) // 24Mi available
	r.at(30*time.Second, k.Start)
	r.run(t, 60*time.Second)

	p := r.pod(t, 0)
	if p.Phase != objects.PodFailed || p.Reason != "Evicted" || r.m.Pods.Evictions.Value != 1 {
		t.Fatalf("pod %v %q, evictions %d; want evicted", p.Phase, p.Reason, r.m.Pods.Evictions.Value)
	}
	// The eviction loop ticks every 10s from the restart: 40s. The pod
	// stops (300ms), then its status goes out (GET, PATCH).
	var failedAt sim.Time
	for _, c := range r.obs.pods[0] {
		if c.obj.Body.(*objects.Pod).Phase == objects.PodFailed {
			failedAt = c.at
			break
		}
	}
	if want := at(40*time.Second + 300*ms + readRTT + toStorage); failedAt != want {
		t.Fatalf("eviction committed at %v, want %v", failedAt, want)
	}
}
