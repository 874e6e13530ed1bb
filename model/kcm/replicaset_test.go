package kcm

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// createdTimes are when the controller sent the pods' creates: the API
// server stamps metadata.creationTimestamp 2ms after the send (1ms on the
// wire, 1ms of its CPU).
func createdTimes(ps []*objects.Pod, after sim.Time) []time.Duration {
	const stamped = 2 * ms
	var out []time.Duration
	for _, p := range ps {
		if p.Created >= after {
			out = append(out, p.Created.Duration()-stamped)
		}
	}
	return out
}

func TestCreatesMissingPodsInSlowStartBatches(t *testing.T) {
	// A batch ends when its last create is answered: the second of two
	// creates arriving together waits for the first one's 2ms commit.
	const w, b2, b3 = workers, workers + writeRT, workers + 2*writeRT + 2*ms
	for _, tc := range []struct {
		replicas, have int
		want           []time.Duration // the new pods' creation times
	}{
		// 3 of 3 missing: a batch of 1 at 100ms, then a batch of 2 once it
		// answered (7ms later).
		{3, 0, []time.Duration{w, b2, b2}},
		// 2 missing: a batch of 1, then a batch of min(2, 1) = 1.
		{3, 1, []time.Duration{w, b2}},
		// 7 missing: 1, 2, 4.
		{7, 0, []time.Duration{w, b2, b2, b3, b3, b3, b3}},
	} {
		t.Run(fmt.Sprintf("%d-of-%d", tc.have, tc.replicas), func(t *testing.T) {
			e := newEnv(t, 1, Config{})
			rs := e.seedRS(0, int32(tc.replicas))
			for i := range tc.have {
				e.seedPod(int32(i), rs, running)
			}
			e.m.Start()
			e.Run(t, time.Second)
			ps := e.storedPods(0)
			if len(ps) != tc.replicas {
				t.Fatalf("%d pods, want %d", len(ps), tc.replicas)
			}
			if got := createdTimes(ps, 1); !slices.Equal(got, tc.want) {
				t.Fatalf("new pods created at %v, want %v", got, tc.want)
			}
			for _, p := range ps[tc.have:] {
				if p.Owner != (objects.OwnerRef{Kind: objects.OwnedByReplicaSet, ID: 0}) || p.Spec != e.spec || p.Bound() || p.Size != objects.DefaultSizes.Pod {
					t.Fatalf("created pod %+v", p)
				}
			}
			if n := e.m.ReplicaSets.PodsCreated(); n != int64(tc.replicas-tc.have) {
				t.Fatalf("controller_pods_created_total %d", n)
			}
			// The status counts the pods seen, Ready ones apart.
			if st := e.storedRS(0).Status; st != (objects.ReplicaSetStatus{Replicas: int32(tc.replicas), ReadyReplicas: int32(tc.have), AvailableReplicas: int32(tc.have)}) {
				t.Fatalf("status %+v", st)
			}
			if a, d := e.m.ReplicaSets.Expecting(0); a != 0 || d != 0 {
				t.Fatalf("still expecting %d creates, %d deletes", a, d)
			}
		})
	}
}

func TestSurplusDeletionPicksTheUnscheduledPodFirst(t *testing.T) {
	e := newEnv(t, 1, Config{})
	rs := e.seedRS(0, 2)
	e.seedPod(0, rs, running)
	e.seedPod(1, rs, podState{node: objects.NoNode})
	e.seedPod(2, rs, running)
	e.m.Start()
	e.Run(t, time.Second)
	ps := e.storedPods(0)
	if len(ps) != 2 || ps[0].ID != 0 || ps[1].ID != 2 {
		t.Fatalf("pods left %v, want 0 and 2", ps)
	}
	if n := e.m.ReplicaSets.PodsDeleted(); n != 1 {
		t.Fatalf("%d deletes", n)
	}
}

func TestDeletionOfRunningPodsIsSeenAtTheDeletionTimestamp(t *testing.T) {
	// Scaling 3 bound pods down to 1: the deletes are graceful, so the pods
	// stay stored, terminating; the deletionTimestamps satisfy the
	// expectations and the status counts 1 replica.
	e := newEnv(t, 1, Config{})
	rs := e.seedRS(0, 1)
	for i := range int32(3) {
		e.seedPod(i, rs, running)
	}
	e.m.Start()
	e.Run(t, time.Second)
	ps := e.storedPods(0)
	if len(ps) != 3 || activeCount(ps) != 1 {
		t.Fatalf("%d pods, %d active: want 3, 1", len(ps), activeCount(ps))
	}
	if a, d := e.m.ReplicaSets.Expecting(0); a != 0 || d != 0 {
		t.Fatalf("still expecting %d creates, %d deletes", a, d)
	}
	if st := e.storedRS(0).Status; st.Replicas != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestUnobservedCreationsHoldOffTheNextSync(t *testing.T) {
	e := newEnv(t, 1, Config{})
	rs := e.seedRS(0, 3)
	for i := range int32(3) {
		e.seedPod(i, rs, podState{node: objects.NoNode})
	}
	e.m.Start()
	c := e.m.ReplicaSets
	// At 1s the controller believes two creations of its own are in
	// flight; then a pod is deleted. The delete wakes the ReplicaSet, but
	// the sync must not replace the pod while creations are unobserved.
	e.At(time.Second, func() { c.exp.expectCreations(0, 2, e.Eng.Now()) })
	e.send(time.Second+ms, func() *api.Request { return e.Writer.C.NewRequest(api.Delete, api.Pods, 0) })
	e.Run(t, time.Minute)
	if n := len(e.storedPods(0)); n != 2 {
		t.Fatalf("%d pods a minute later, want 2 (held off)", n)
	}
	if st := e.storedRS(0).Status; st.Replicas != 2 {
		t.Fatalf("status %+v: the held-off sync still writes the status", st)
	}
	// After ExpectationsTimeout the next sync acts.
	e.send(time.Second+ExpectationsTimeout+time.Second, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Patch, api.ReplicaSets, 0)
		req.Mutate = func(cur *api.Object) (api.Object, api.Code) { return *cur, 0 }
		return req
	})
	e.Run(t, 7*time.Minute)
	if n := len(e.storedPods(0)); n != 3 {
		t.Fatalf("%d pods after the expectations expired, want 3", n)
	}
}

func TestMinReadySecondsDelaysAvailability(t *testing.T) {
	e := newEnv(t, 1, Config{})
	rs := e.seedRS(0, 2)
	rs.Body.(*objects.ReplicaSet).MinReadySeconds = 10
	e.runKubelet(200*ms, 100*ms)
	e.m.Start()
	var at5, at15 objects.ReplicaSetStatus
	e.At(5*time.Second, func() { at5 = e.storedRS(0).Status })
	e.At(15*time.Second, func() { at15 = e.storedRS(0).Status })
	e.Run(t, 20*time.Second)
	if at5 != (objects.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 2}) {
		t.Fatalf("status at 5s %+v: want 2 ready, none available", at5)
	}
	if at15 != (objects.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 2, AvailableReplicas: 2}) {
		t.Fatalf("status at 15s %+v: want 2 available", at15)
	}
}

func TestPodsToDeleteRanking(t *testing.T) {
	now := at(time.Hour)
	mk := func(id, node int32, phase objects.PodPhase, ready bool, since, created time.Duration) podRef {
		p := &objects.Pod{ID: id, NodeName: node, Phase: phase, Ready: ready, ReadySince: at(since), Created: at(created)}
		return podRef{obj: api.Object{ID: id}, p: p}
	}
	active := []podRef{
		mk(0, 1, objects.PodRunning, true, 10*time.Minute, time.Minute),  // ready long ago
		mk(1, 2, objects.PodRunning, true, 50*time.Minute, time.Minute),  // ready recently
		mk(2, 3, objects.PodRunning, false, 0, time.Minute),              // running, not ready
		mk(3, 4, objects.PodPending, false, 0, time.Minute),              // scheduled, pending
		mk(4, objects.NoNode, objects.PodPending, false, 0, time.Minute), // unscheduled
		mk(5, 5, objects.PodRunning, true, 10*time.Minute, 30*time.Minute),
	}
	got := podsToDelete(active, nil, 5, now)
	var ids []int32
	for _, r := range got {
		ids = append(ids, r.obj.ID)
	}
	// Unscheduled, pending, not ready, then the most recently ready; 0 and
	// 5 were ready at the same time: the newer (5) goes first.
	if want := []int32{4, 3, 2, 1, 5}; !slices.Equal(ids, want) {
		t.Fatalf("deletion order %v, want %v", ids, want)
	}
	// Doubled-up pods go before the rest: pod 0 shares node 1 with two
	// related pods.
	related := append(slices.Clone(active), mk(10, 1, objects.PodRunning, true, 0, 0), mk(11, 1, objects.PodRunning, true, 0, 0))
	got = podsToDelete(active[:2], related, 1, now)
	if got[0].obj.ID != 0 {
		t.Fatalf("deleted %d first, want the doubled-up pod 0", got[0].obj.ID)
	}
	// Two pods ready within the same power of two of nanoseconds rank
	// equal by readiness and fall to the ID.
	a := mk(7, 1, objects.PodRunning, true, 30*time.Minute, 0)
	b := mk(6, 2, objects.PodRunning, true, 31*time.Minute, 0)
	if got := podsToDelete([]podRef{a, b}, nil, 1, now); got[0].obj.ID != 6 {
		t.Fatalf("deleted %d first, want 6 (same bucket, lower ID)", got[0].obj.ID)
	}
}

// TestConvergesAfterRandomDeletions: a ReplicaSet of 5 whose pods are
// deleted at random (running pods gracefully) for a minute returns to 5
// active pods, with its status saying so, within 10s of the last delete.
func TestConvergesAfterRandomDeletions(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		e := newEnv(t, seed, Config{})
		e.seedRS(0, 5)
		e.runKubelet(0, 50*ms)
		e.m.Start()
		rng := e.Eng.Rand("test/deleter")
		for k := 0; k < 30; k++ {
			d := time.Second + time.Duration(rng.IntN(60000))*ms
			e.At(d, func() {
				ps := e.storedPods(0)
				if len(ps) == 0 {
					return
				}
				victim := ps[rng.IntN(len(ps))].ID
				e.Writer.C.Do(e.Writer.C.NewRequest(api.Delete, api.Pods, victim), e.Writer)
			})
		}
		e.Run(t, 71*time.Second)
		ps := e.storedPods(0)
		if activeCount(ps) != 5 || len(ps) != 5 {
			t.Fatalf("seed %d: %d pods, %d active, want 5", seed, len(ps), activeCount(ps))
		}
		if st := e.storedRS(0).Status; st.Replicas != 5 || st.ReadyReplicas != 5 {
			t.Fatalf("seed %d: status %+v", seed, st)
		}
		if e.m.ReplicaSets.PodsCreated() < 5 {
			t.Fatalf("seed %d: only %d pods created", seed, e.m.ReplicaSets.PodsCreated())
		}
	}
}

func TestStopDropsStateAndStartRelists(t *testing.T) {
	e := newEnv(t, 1, Config{})
	rs := e.seedRS(0, 3)
	for i := range int32(3) {
		e.seedPod(i, rs, podState{node: objects.NoNode})
	}
	e.m.Start()
	e.At(time.Second, e.m.Stop)
	e.send(2*time.Second, func() *api.Request { return e.Writer.C.NewRequest(api.Delete, api.Pods, 1) })
	e.Run(t, 3*time.Second)
	if n := len(e.storedPods(0)); n != 2 || e.m.Running() {
		t.Fatalf("stopped manager: %d pods, running %v: want 2, false", n, e.m.Running())
	}
	e.At(4*time.Second, e.m.Start)
	e.Run(t, 5*time.Second)
	if n := len(e.storedPods(0)); n != 3 {
		t.Fatalf("restarted manager: %d pods, want 3", n)
	}
}

func TestEdgeTriggeredReplacesADeletedPod(t *testing.T) {
	e := newEnv(t, 1, Config{ReplicaSet: ReplicaSetConfig{EdgeTriggered: true}})
	rs := e.seedRS(0, 3)
	for i := range int32(3) {
		e.seedPod(i, rs, podState{node: objects.NoNode})
	}
	e.m.Start()
	e.send(time.Second, func() *api.Request { return e.Writer.C.NewRequest(api.Delete, api.Pods, 1) })
	e.Run(t, 2*time.Second)
	if n := len(e.storedPods(0)); n != 3 || e.m.ReplicaSets.PodsCreated() != 1 {
		t.Fatalf("%d pods, %d created: want 3, 1", n, e.m.ReplicaSets.PodsCreated())
	}
	// Scale to 5 then 4: +2, then -1.
	scale := func(n int32) func() *api.Request {
		return func() *api.Request {
			req := e.Writer.C.NewRequest(api.Patch, api.ReplicaSets, 0)
			req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
				nrs := *cur.Body.(*objects.ReplicaSet)
				nrs.Replicas = n
				o := *cur
				o.Body = &nrs
				return o, 0
			}
			return req
		}
	}
	e.send(3*time.Second, scale(5))
	e.send(4*time.Second, scale(4))
	e.Run(t, 5*time.Second)
	if n := activeCount(e.storedPods(0)); n != 4 {
		t.Fatalf("%d pods after scaling to 5 then 4, want 4 %v %v %d", n, e.trace, e.Writer.Codes, e.m.ReplicaSets.PodsDeleted())
	}
}

// A pod deleted while the manager is down is an event neither variant
// sees. On restart the level-triggered controller compares the lists with
// the spec and replaces it; the edge-triggered one never does.
func TestLostEventLevelRecoversEdgeDoesNot(t *testing.T) {
	for _, edge := range []bool{false, true} {
		e := newEnv(t, 1, Config{ReplicaSet: ReplicaSetConfig{EdgeTriggered: edge}})
		rs := e.seedRS(0, 3)
		for i := range int32(3) {
			e.seedPod(i, rs, podState{node: objects.NoNode})
		}
		e.m.Start()
		e.At(time.Second, e.m.Stop)
		e.send(2*time.Second, func() *api.Request { return e.Writer.C.NewRequest(api.Delete, api.Pods, 1) })
		e.At(3*time.Second, e.m.Start)
		e.Run(t, time.Minute)
		want := 3
		if edge {
			want = 2
		}
		if n := len(e.storedPods(0)); n != want {
			t.Fatalf("edge %v: %d pods, want %d", edge, n, want)
		}
	}
}

func TestBurstReplicasCapsOneSync(t *testing.T) {
	// BurstReplicas 2: 5 missing pods take three syncs of 2, 2 and 1
	// creates, each a slow start (batches of 1). The first sync's status is
	// unchanged (it saw no pods); the second's patch takes 7ms.
	e := newEnv(t, 1, Config{ReplicaSet: ReplicaSetConfig{BurstReplicas: 2}})
	e.seedRS(0, 5)
	e.m.Start()
	e.Run(t, time.Second)
	const s2, s3 = workers + 2*writeRT, workers + 5*writeRT
	want := []time.Duration{workers, workers + writeRT, s2, s2 + writeRT, s3}
	if got := createdTimes(e.storedPods(0), 0); !slices.Equal(got, want) {
		t.Fatalf("pods created at %v, want %v", got, want)
	}
}

func TestEdgeTriggeredSplitsADeltaBeyondTheBurst(t *testing.T) {
	// A ReplicaSet of 5 created after the start, BurstReplicas 2: the
	// delta +5 is carried out as +2, then the rest as +2 and +1.
	e := newEnv(t, 1, Config{ReplicaSet: ReplicaSetConfig{EdgeTriggered: true, BurstReplicas: 2}})
	e.m.Start()
	e.send(time.Second, func() *api.Request {
		ls := e.labels("app", "web")
		rs := &objects.ReplicaSet{ID: 0, Namespace: objects.NamespaceDefault, Name: e.in.Intern("rs-0"), Replicas: 5,
			Selector: objects.LabelSelector{MatchLabels: ls}, Template: objects.PodTemplate{Labels: ls, Spec: e.spec}, Size: 4000}
		req := e.Writer.C.NewRequest(api.Create, api.ReplicaSets, 0)
		req.Object = api.Object{Resource: api.ReplicaSets, ID: 0, Namespace: 1, Size: 4000, Body: rs}
		return req
	})
	e.Run(t, 2*time.Second)
	if n, c := len(e.storedPods(0)), e.m.ReplicaSets.PodsCreated(); n != 5 || c != 5 {
		t.Fatalf("%d pods, %d created: want 5, 5", n, c)
	}
	if ok, failed := e.m.ReplicaSets.Reconciles(); ok < 3 || failed != 0 {
		t.Fatalf("%d syncs, %d failed: want at least 3 (one per item), none failed", ok, failed)
	}
}
