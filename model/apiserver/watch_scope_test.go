package apiserver

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
)

func TestObjectStaysSmall(t *testing.T) {
	// Namespace and Label share words with the other small fields: objects
	// are copied by value into every cache, history and store. One cache
	// line, with the typed Body.
	if n := unsafe.Sizeof(api.Object{}); n != 64 {
		t.Fatalf("api.Object is %d bytes, want 64", n)
	}
}

// scopeEnv seeds six ConfigMaps: ID i in namespace 1 + i%3 with label
// 1 + i%2, and sets dispatch costs that are easy to add up.
func scopeEnv(index bool) *env {
	cfg := defaultConfig()
	cfg.WatchScopeIndex = index
	cfg.Costs.EncodePerObject = 100 * time.Microsecond
	cfg.Costs.WatchFilterPerWatcher = 2 * time.Microsecond
	cfg.Costs.WatchSendPerWatcher = 10 * time.Microsecond
	e := newEnv(cfg)
	for id := range int32(6) {
		e.srv.SeedCache(e.st.Seed(cm(id)))
	}
	return e
}

func cm(id int32) api.Object {
	return api.Object{Resource: api.ConfigMaps, ID: id, Size: 1000, Namespace: api.NamespaceID(1 + id%3), Label: uint16(1 + id%2)}
}

func cmWatch(ns api.NamespaceID, name int32, label uint16) api.Request {
	return api.Request{Verb: api.Watch, Resource: api.ConfigMaps, Namespace: ns, Name: name, Label: label, ResourceVersion: 9}
}

func cmUpdate(id int32, size int32) api.Request {
	o := cm(id)
	o.Size = size
	return api.Request{Verb: api.Update, Resource: api.ConfigMaps, Name: id, Object: o}
}

func (e *env) dispatch(what string) int64 {
	name := map[string]string{
		"cpu":     "apiserver_watch_dispatch_cpu_nanoseconds_total",
		"visited": "apiserver_watch_dispatch_watchers_visited_total",
		"sent":    "apiserver_watch_events_total",
	}[what]
	return e.rec.Counter(name, "resource", "configmaps").Value
}

func TestDispatchVisitsWhatTheCachersIndexGives(t *testing.T) {
	watches := []struct {
		name string
		req  api.Request
	}{
		{"all", cmWatch(0, -1, 0)},
		{"ns1", cmWatch(1, -1, 0)},
		{"ns2", cmWatch(2, -1, 0)},
		{"ns3", cmWatch(3, -1, 0)},
		{"cm4", cmWatch(2, 4, 0)},
		{"label2", cmWatch(0, -1, 2)},
		{"ns1-label1", cmWatch(1, -1, 1)},
	}
	for _, tc := range []struct {
		index   bool
		visited int64
	}{
		// With the scope index, cm 0 (namespace 1) visits ns1, ns1-label1,
		// all, label2; cm 4 (namespace 2) visits cm4, ns2, all, label2.
		{true, 8},
		// Without it every watcher is visited for every event.
		{false, 14},
	} {
		t.Run(fmt.Sprintf("index=%v", tc.index), func(t *testing.T) {
			e := scopeEnv(tc.index)
			ids := make([]uint64, len(watches))
			for i, w := range watches {
				ids[i] = e.p.sendAt(0, w.req)
			}
			e.p.sendAt(10*ms, cmUpdate(0, 2000)) // namespace 1, label 1
			e.p.sendAt(20*ms, cmUpdate(4, 3000)) // namespace 2, label 1
			e.run(t, time.Second)
			got := map[string]string{}
			for i, w := range watches {
				var s []string
				for _, m := range e.p.events(e.p.streamOf(ids[i])) {
					s = append(s, fmt.Sprint(m.obj.ID))
				}
				got[w.name] = fmt.Sprint(s)
			}
			want := map[string]string{"all": "[0 4]", "ns1": "[0]", "ns2": "[4]", "ns3": "[]", "cm4": "[4]", "label2": "[]", "ns1-label1": "[0]"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("watcher %s got %s, want %s", k, got[k], v)
				}
			}
			if v := e.dispatch("visited"); v != tc.visited {
				t.Errorf("watchers visited %d, want %d", v, tc.visited)
			}
			if s := e.dispatch("sent"); s != 6 {
				t.Errorf("events sent %d, want 6", s)
			}
			// Each event: 2µs per visited watcher, one 100µs encoding,
			// 10µs per matching watcher (3 each).
			wantCPU := time.Duration(tc.visited)*2*time.Microsecond + 2*(100+3*10)*time.Microsecond
			if c := time.Duration(e.dispatch("cpu")); c != wantCPU {
				t.Errorf("dispatch CPU %v, want %v", c, wantCPU)
			}
		})
	}
}

func TestDispatchWithoutMatchesEncodesNothing(t *testing.T) {
	// Watchers visited but filtered out cost only their filter time.
	e := scopeEnv(false)
	for ns := api.NamespaceID(2); ns <= 3; ns++ {
		e.p.sendAt(0, cmWatch(ns, -1, 0))
	}
	e.p.sendAt(10*ms, cmUpdate(0, 2000)) // namespace 1: nobody's
	e.run(t, time.Second)
	if v, s, c := e.dispatch("visited"), e.dispatch("sent"), time.Duration(e.dispatch("cpu")); v != 2 || s != 0 || c != 4*time.Microsecond {
		t.Fatalf("visited %d, sent %d, CPU %v; want 2, 0, 4µs", v, s, c)
	}
}

func TestNodeNameWatchesIndexedByTriggerBefore127(t *testing.T) {
	// Before the scope index, nodes' name-scoped watches sat in the
	// trigger index; other resources' name-scoped watches did not.
	for _, tc := range []struct {
		res     api.Resource
		visited int64
	}{{api.Nodes, 2}, {api.Leases, 4}} {
		cfg := defaultConfig()
		cfg.WatchScopeIndex = false
		e := newEnv(cfg)
		for id := range int32(3) {
			e.srv.SeedCache(e.st.Seed(api.Object{Resource: api.Nodes, ID: id, Size: 100}))
		}
		for id := range int32(3) {
			e.p.sendAt(0, api.Request{Verb: api.Watch, Resource: tc.res, Name: id, ResourceVersion: 6})
		}
		e.p.sendAt(0, api.Request{Verb: api.Watch, Resource: tc.res, Name: -1, ResourceVersion: 6})
		e.p.sendAt(10*ms, api.Request{Verb: api.Update, Resource: tc.res, Name: 1, Object: api.Object{Resource: tc.res, ID: 1, Size: 100}})
		e.run(t, time.Second)
		if v := e.rec.Counter("apiserver_watch_dispatch_watchers_visited_total", "resource", tc.res.String()).Value; v != tc.visited {
			t.Errorf("%v: visited %d, want %d", tc.res, v, tc.visited)
		}
	}
}

func TestWatcherCountFollowsTheWatchTracker(t *testing.T) {
	e := scopeEnv(true)
	attach := func(req api.Request) {
		st := e.net.OpenStream(e.p.self, e.srv.Endpoint())
		e.srv.AttachWatchRequest(st, &req)
	}
	attach(cmWatch(0, -1, 0))
	attach(cmWatch(0, -1, 2)) // a label selector is not part of the identity
	attach(cmWatch(1, -1, 0))
	attach(cmWatch(2, -1, 0))
	attach(cmWatch(1, 3, 0))
	for _, tc := range []struct {
		ns   api.NamespaceID
		name int32
		want int
	}{{0, -1, 2}, {1, -1, 3}, {2, -1, 3}, {1, 3, 4}, {1, 0, 3}, {3, 5, 2}} {
		if got := e.srv.watcherCount(api.ConfigMaps, tc.ns, tc.name); got != tc.want {
			t.Errorf("watchers of ns %d name %d: %d, want %d", tc.ns, tc.name, got, tc.want)
		}
	}
}

func TestWriteTakesTheURLsNamespace(t *testing.T) {
	e := scopeEnv(true)
	w := e.p.sendAt(0, cmWatch(2, -1, 0))
	up := cmUpdate(1, 5000)
	up.Object.Namespace = 0 // the body does not say it; the URL does
	up.Namespace = 2
	e.p.sendAt(10*ms, up)
	e.run(t, time.Second)
	if ev := e.p.events(e.p.streamOf(w)); len(ev) != 1 || ev[0].obj.Namespace != 2 || ev[0].obj.Size != 5000 {
		t.Fatalf("namespace-2 watcher got %+v", ev)
	}
}

// TestWatchersSeeObjectsEnterAndLeaveTheirSelection: a change that moves
// an object into a watcher's label selection reaches it as ADDED, one that
// moves it out as DELETED carrying the object as it was with the change's
// resource version (cache_watcher.go convertToWatchEvent); a watcher the
// object matches neither before nor after gets nothing.
func TestWatchersSeeObjectsEnterAndLeaveTheirSelection(t *testing.T) {
	e := scopeEnv(true)
	relabel := func(label uint16) api.Request {
		o := cm(0) // namespace 1, label 1, 1000 bytes
		o.Label, o.Size = label, 1000+int32(label)
		return api.Request{Verb: api.Update, Resource: api.ConfigMaps, Name: 0, Object: o}
	}
	one := e.p.sendAt(0, cmWatch(api.AllNamespaces, -1, 1))
	two := e.p.sendAt(0, cmWatch(api.AllNamespaces, -1, 2))
	other := e.p.sendAt(0, cmWatch(3, -1, 1))
	e.p.sendAt(10*ms, relabel(2))  // revision 10
	e.p.sendAt(100*ms, relabel(1)) // 11
	e.p.sendAt(200*ms, api.Request{Verb: api.Delete, Resource: api.ConfigMaps, Name: 0})
	e.run(t, time.Second)
	got := func(id uint64) string {
		var out []string
		for _, m := range e.p.events(e.p.streamOf(id)) {
			out = append(out, fmt.Sprintf("%d:label %d size %d rv %d", m.typ, m.obj.Label, m.obj.Size, m.obj.ResourceVersion))
		}
		return fmt.Sprint(out)
	}
	add, del := api.Added, api.Deleted
	for _, c := range []struct {
		id   uint64
		want string
	}{
		{one, fmt.Sprintf("[%d:label 1 size 1000 rv 10 %d:label 1 size 1001 rv 11 %d:label 1 size 1001 rv 12]", del, add, del)},
		{two, fmt.Sprintf("[%d:label 2 size 1002 rv 10 %d:label 2 size 1002 rv 11]", add, del)},
		{other, "[]"},
	} {
		if g := got(c.id); g != c.want {
			t.Errorf("watch %d got %s, want %s", c.id, g, c.want)
		}
	}
}

func TestListWithSelectors(t *testing.T) {
	e := scopeEnv(true)
	ids := []uint64{
		e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.ConfigMaps, Name: -1, FromCache: true}),
		e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.ConfigMaps, Name: -1, Namespace: 2, FromCache: true}),
		e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.ConfigMaps, Name: -1, Label: 2, FromCache: true}),
		e.p.sendAt(0, api.Request{Verb: api.List, Resource: api.ConfigMaps, Name: 4, Namespace: 1, FromCache: true}),
	}
	e.run(t, time.Second)
	want := []string{"[0 1 2 3 4 5]", "[1 4]", "[1 3 5]", "[]"}
	for i, id := range ids {
		a := e.p.answer(id)
		var got []int32
		for _, o := range a[0].items {
			got = append(got, o.ID)
		}
		if fmt.Sprint(got) != want[i] && !(want[i] == "[]" && len(got) == 0) {
			t.Errorf("list %d: %v, want %s", i, got, want[i])
		}
	}
	// Encoding costs what is sent: 6 objects, then 2, then 3 (after the
	// 5ms of service each).
	for i, n := range []int{6, 2, 3} {
		if a := e.p.answer(ids[i]); a[0].at != at(lat+service+time.Duration(n)*100*time.Microsecond+lat) {
			t.Errorf("list %d answered at %v", i, time.Duration(a[0].at))
		}
	}
}

// TestSelectedScansWithoutAllocating: counting a list's selection reads
// the cache in place, with no copy of an object on the heap.
func TestSelectedScansWithoutAllocating(t *testing.T) {
	e := scopeEnv(true)
	var n, bytes int64
	allocs := testing.AllocsPerRun(100, func() {
		n, bytes = e.srv.selected(api.ConfigMaps, selector{ns: api.AllNamespaces, name: -1, label: 2})
	})
	if n != 3 || bytes != 3000 || allocs != 0 {
		t.Fatalf("selected %d objects, %d bytes, with %v allocations; want 3, 3000, none", n, bytes, allocs)
	}
}

func TestBookmarksCarryTheResourceVersionOfTheLastEvent(t *testing.T) {
	// A watch of a quiet namespace (3) while namespace 1 changes every
	// second: with bookmarks it gets one about every minute, and one 2s
	// before its deadline, each at the resource version of the last
	// ConfigMap event the cache took; without, nothing.
	e := scopeEnv(true)
	with := cmWatch(3, -1, 0)
	with.AllowBookmarks, with.WatchTimeout = true, 150*time.Second
	without := cmWatch(3, -1, 0)
	wb, wn := e.p.sendAt(0, with), e.p.sendAt(0, without)
	for i := range 200 {
		e.p.sendAt(time.Duration(i)*time.Second+500*ms, cmUpdate(0, int32(1000+i)))
	}
	e.run(t, 200*time.Second)
	if ev := e.p.events(e.p.streamOf(wn)); len(ev) != 0 {
		t.Fatalf("watch without bookmarks got %+v", ev)
	}
	ev := e.p.events(e.p.streamOf(wb))
	// Due at 60s, 120s and 148s (150s − 2s); none after the deadline.
	// Each goes out on the first bookmark tick (every 1–1.25s) in its
	// second or later, so between a second early and a tick late.
	due := []time.Duration{60 * time.Second, 120 * time.Second, 148 * time.Second}
	if len(ev) != len(due) {
		t.Fatalf("got %d bookmarks, want %d: %+v", len(ev), len(due), ev)
	}
	for i, m := range ev {
		if m.typ != api.Bookmark {
			t.Fatalf("event %d is %v, want a bookmark", i, m.typ)
		}
		d := time.Duration(m.at)
		if d < due[i]-time.Second || d > due[i]+1300*ms {
			t.Errorf("bookmark %d at %v, want within [-1s, +1.3s] of %v", i, d, due[i])
		}
		// Update i lands in the cache at i s + 500ms + 19ms; seeded
		// revisions end at 9.
		sentAt := d - lat
		last := int64((sentAt-519*ms)/time.Second) + 1
		if m.obj.ResourceVersion != 9+last {
			t.Errorf("bookmark %d at %v carries rv %d, want %d", i, d, m.obj.ResourceVersion, 9+last)
		}
	}
	if n := e.rec.Counter("apiserver_watch_bookmarks_sent_total").Value; n != 3 {
		t.Errorf("bookmarks sent %d, want 3", n)
	}
}

func TestFinalPhaseSeatsAreReleasedWhenTheSlotIsReused(t *testing.T) {
	// With 100 watchers each write holds 10 final seats for 5ms after it
	// finishes (APF's mutating estimate). Writes come every millisecond,
	// so a finished write's in-flight slot is reused while its final phase
	// runs; its seats must still be released when the phase ends.
	e := newEnv(apfConfig(600, time.Minute))
	for range 100 {
		st := e.net.OpenStream(e.p.self, e.srv.Endpoint())
		e.srv.AttachWatch(st, api.Leases, -1)
	}
	for i := range 500 {
		e.p.sendAt(time.Duration(i)*ms, update(int32(i%3), time.Duration(i+1)*ms))
	}
	e.run(t, 5*time.Second)
	if ok := e.requests("update", "leases", "200"); ok != 500 {
		t.Fatalf("%d updates succeeded, want 500", ok)
	}
	for l := range e.srv.FlowControl().Levels() {
		if st := e.srv.FlowControl().Status(apf.LevelID(l)); st.SeatsInUse != 0 || st.Waiting != 0 {
			t.Errorf("level %d holds %d seats, %d waiting, after every request ended", l, st.SeatsInUse, st.Waiting)
		}
	}
}
