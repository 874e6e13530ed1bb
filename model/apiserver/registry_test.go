package apiserver

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// podSpec is a finished one-container spec with the default 30s grace.
func podSpec(t *testing.T) *objects.PodSpec {
	t.Helper()
	s := &objects.PodSpec{Containers: []objects.Container{{}}}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	return s
}

// pod is pod id's object, bound to node (objects.NoNode: unbound).
func pod(id, node int32, spec *objects.PodSpec) api.Object {
	return api.Object{Resource: api.Pods, ID: id, Size: 4000, Namespace: 1,
		Body: &objects.Pod{ID: id, NodeName: node, Spec: spec, Size: 4000}}
}

// seedPods stores pods in storage and the cache.
func (e *env) seedPods(objs ...api.Object) {
	for _, o := range objs {
		e.srv.SeedCache(e.st.Seed(o))
	}
}

func podsWatch(byNode bool, node int32) api.Request {
	return api.Request{Verb: api.Watch, Resource: api.Pods, Name: -1, ByNode: byNode, Node: node, ResourceVersion: 1 << 40}
}

// bind is the scheduler's binding of pod id to node.
func bind(id, node int32) api.Request {
	return api.Request{Verb: api.Create, Resource: api.PodBinding, Name: id, Object: api.Object{Size: 300},
		Mutate: func(cur *api.Object) (api.Object, api.Code) {
			p := cur.Body.(*objects.Pod)
			if p.Bound() {
				return api.Object{}, api.Conflict // "pod ... is already assigned to node ..."
			}
			np := *p
			np.NodeName = node
			obj := *cur
			obj.Body = &np
			return obj, 0
		}}
}

func nodeOf(o api.Object) int32 { return o.Body.(*objects.Pod).NodeName }

func TestBindingReachesOnlyTheNodesWatcherAsAdded(t *testing.T) {
	e := newEnv(defaultConfig())
	spec := podSpec(t)
	e.seedPods(pod(0, objects.NoNode, spec), pod(1, objects.NoNode, spec))
	rv := e.srv.CacheRevision()
	mk := func(byNode bool, node int32) api.Request {
		w := podsWatch(byNode, node)
		w.ResourceVersion = rv
		return w
	}
	all := e.p.sendAt(0, mk(false, 0))
	n1 := e.p.sendAt(0, mk(true, 1))
	n2 := e.p.sendAt(0, mk(true, 2))
	b := e.p.sendAt(10*ms, bind(0, 1))
	again := e.p.sendAt(100*ms, bind(0, 2))
	e.run(t, time.Second)

	if a := e.p.answer(b); len(a) != 1 || a[0].code != api.Created || nodeOf(a[0].result) != 1 {
		t.Fatalf("binding answer %+v", a)
	}
	if a := e.p.answer(again); len(a) != 1 || a[0].code != api.Conflict {
		t.Fatalf("second binding answer %+v, want 409", a)
	}
	ae := e.p.events(e.p.streamOf(all))
	if len(ae) != 1 || ae[0].typ != api.Modified || nodeOf(ae[0].obj) != 1 {
		t.Fatalf("all-pods watcher got %+v, want one MODIFIED", ae)
	}
	ne := e.p.events(e.p.streamOf(n1))
	if len(ne) != 1 || ne[0].typ != api.Added || ne[0].obj.ID != 0 || ne[0].obj.ResourceVersion != ae[0].obj.ResourceVersion {
		t.Fatalf("node-1 watcher got %+v, want pod 0 ADDED", ne)
	}
	if ev := e.p.events(e.p.streamOf(n2)); len(ev) != 0 {
		t.Fatalf("node-2 watcher got %+v", ev)
	}
	// The node-scoped watchers are not in APF's watch count (only the
	// unscoped one is); the dispatch visited the node-1 watcher and the
	// unscoped one, not node 2's.
	if n := e.srv.watcherCount(api.Pods, 1, 0); n != 1 {
		t.Fatalf("watch tracker counts %d watchers of pod 0, want 1", n)
	}
	if v := e.rec.Counter("apiserver_watch_dispatch_watchers_visited_total", "resource", "pods").Value; v != 2 {
		t.Fatalf("dispatch visited %d watchers, want 2", v)
	}
}

func TestPodListByNodeReadsTheIndex(t *testing.T) {
	e := newEnv(defaultConfig())
	spec := podSpec(t)
	e.seedPods(pod(0, 1, spec), pod(1, 2, spec), pod(2, 1, spec), pod(3, objects.NoNode, spec))
	l := e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.Pods, Name: -1, ByNode: true, Node: 1, FromCache: true})
	e.run(t, time.Second)
	a := e.p.answer(l)
	if len(a) != 1 || len(a[0].items) != 2 || a[0].items[0].ID != 0 || a[0].items[1].ID != 2 {
		t.Fatalf("list answer %+v, want pods 0 and 2", a)
	}
	if got := e.srv.podsOnNode.on(1); len(got) != 2 {
		t.Fatalf("index holds %v on node 1", got)
	}
}

// TestStopEmptiesTheNodeIndex: the spec.nodeName index goes with the
// cache when the process stops, and the relist refills both: a pod deleted
// meanwhile is in neither.
func TestStopEmptiesTheNodeIndex(t *testing.T) {
	e := newEnv(defaultConfig())
	spec := podSpec(t)
	e.seedPods(pod(0, 1, spec), pod(1, 1, spec))
	e.srv.Stop()
	if got := e.srv.podsOnNode.on(1); len(got) != 0 {
		t.Fatalf("after the stop the index holds %v on node 1", got)
	}
	e.srv.Start(func() (int64, int64) { // pod 0 was deleted while the replica was down
		obj, _ := e.st.Get(api.Pods, 1)
		e.srv.Observe(&api.WatchEvent{Type: api.Added, Object: obj})
		return 1, int64(obj.Size)
	})
	if got := e.srv.podsOnNode.on(1); len(got) != 1 || got[0] != 1 {
		t.Fatalf("after the relist the index holds %v on node 1, want [1]", got)
	}
}

func TestCreateWithoutANameGetsTheNextFreeID(t *testing.T) {
	e := newEnv(defaultConfig())
	spec := podSpec(t)
	e.seedPods(pod(0, objects.NoNode, spec), pod(4, objects.NoNode, spec))
	c1 := e.p.sendAt(0, api.Request{Verb: api.Create, Resource: api.Pods, Name: -1, Object: pod(-1, objects.NoNode, spec)})
	c2 := e.p.sendAt(1*ms, api.Request{Verb: api.Create, Resource: api.Pods, Name: -1, Object: pod(-1, objects.NoNode, spec)})
	e.run(t, time.Second)
	for i, c := range []uint64{c1, c2} {
		a := e.p.answer(c)
		want := int32(5 + i)
		if len(a) != 1 || a[0].code != api.Created || a[0].result.ID != want || a[0].result.Body.(*objects.Pod).ID != want {
			t.Fatalf("create %d: %+v, want pod %d", i, a, want)
		}
		if _, ok := e.st.Get(api.Pods, want); !ok {
			t.Fatalf("pod %d not stored", want)
		}
	}
}

func TestDeletingARunningPodIsGraceful(t *testing.T) {
	e := newEnv(defaultConfig())
	spec := podSpec(t)
	e.seedPods(pod(0, 1, spec), pod(1, objects.NoNode, spec))
	del := func(id int32) api.Request { return api.Request{Verb: api.Delete, Resource: api.Pods, Name: id} }
	graceful := e.p.sendAt(0, del(0))
	unbound := e.p.sendAt(0, del(1))
	final := e.p.sendAt(200*ms, api.Request{Verb: api.Delete, Resource: api.Pods, Name: 0, GraceSet: true})
	var mid api.Object
	var midOK bool
	e.eng.Schedule(sim.Event{At: at(100 * ms), Target: action(func() { mid, midOK = e.st.Get(api.Pods, 0) }), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	e.run(t, time.Second)

	a := e.p.answer(graceful)
	if len(a) != 1 || a[0].code != api.OK {
		t.Fatalf("graceful delete answer %+v", a)
	}
	p := a[0].result.Body.(*objects.Pod)
	if !p.Terminating || p.DeletionGrace != objects.DefaultTerminationGracePeriod || p.DeletionTimestamp <= 0 {
		t.Fatalf("pod after graceful delete %+v", p)
	}
	if !midOK || !mid.Body.(*objects.Pod).Terminating {
		t.Fatalf("pod 0 at 100ms: %+v %v, want stored and terminating", mid, midOK)
	}
	if _, ok := e.st.Get(api.Pods, 0); ok {
		t.Fatal("pod 0 still stored after the delete with grace 0")
	}
	if a := e.p.answer(final); len(a) != 1 || a[0].code != api.OK {
		t.Fatalf("final delete answer %+v", a)
	}
	if a := e.p.answer(unbound); len(a) != 1 || a[0].code != api.OK {
		t.Fatalf("unbound delete answer %+v", a)
	}
	if _, ok := e.st.Get(api.Pods, 1); ok {
		t.Fatal("the unbound pod was not deleted at once")
	}
}

func TestPatchRetriesItsChangeOnStoragesCopy(t *testing.T) {
	e := newEnv(defaultConfig())
	spec := podSpec(t)
	stale := e.st.Seed(pod(0, objects.NoNode, spec))
	e.srv.SeedCache(stale)
	// Storage moves on without the cache seeing it: the cached copy is a
	// stale guess, and the compare-and-swap on its revision fails.
	fresh := pod(0, objects.NoNode, spec)
	fresh.Body.(*objects.Pod).Reason = "fresh"
	e.st.Seed(fresh)
	calls := 0
	patch := api.Request{Verb: api.Patch, Resource: api.PodStatus, Name: 0, Object: api.Object{Size: 200},
		Mutate: func(cur *api.Object) (api.Object, api.Code) {
			calls++
			np := *cur.Body.(*objects.Pod)
			np.Phase = objects.PodRunning
			obj := *cur
			obj.Body = &np
			return obj, 0
		}}
	id := e.p.sendAt(0, patch)
	e.run(t, time.Second)
	a := e.p.answer(id)
	if len(a) != 1 || a[0].code != api.OK {
		t.Fatalf("patch answer %+v", a)
	}
	got := a[0].result.Body.(*objects.Pod)
	if calls != 2 || got.Phase != objects.PodRunning || got.Reason != "fresh" {
		t.Fatalf("Mutate called %d times, result %+v: want 2 calls, the change applied to storage's copy", calls, got)
	}
}

type action func()

func (a action) Handle(*sim.Event) { a() }

func TestCreatesAreEstimatedWithoutTheirNamesWatchers(t *testing.T) {
	for _, c := range []struct {
		req  api.Request
		want int32
	}{
		{api.Request{Verb: api.Create, Resource: api.ConfigMaps, Name: 7}, -1},
		{api.Request{Verb: api.Create, Resource: api.PodBinding, Name: 7}, 7},
		{api.Request{Verb: api.Update, Resource: api.ConfigMaps, Name: 7}, 7},
		{api.Request{Verb: api.Patch, Resource: api.PodStatus, Name: 7}, 7},
	} {
		if got := nameInURL(&c.req); got != c.want {
			t.Errorf("%v %v: name %d, want %d", c.req.Verb, c.req.Resource, got, c.want)
		}
	}
}
