package api

import "testing"

func TestWatchEventSlabHandsOutDistinctEvents(t *testing.T) {
	var s WatchEventSlab
	var got []*WatchEvent
	for i := range 2*watchEventSlab + 1 {
		we := s.New()
		we.Object.ID = int32(i)
		got = append(got, we)
	}
	// Each event is its own: what one holder wrote, no other overwrote.
	for i, we := range got {
		if we.Object.ID != int32(i) {
			t.Fatalf("event %d holds ID %d: handed out twice", i, we.Object.ID)
		}
	}
	// One allocation per slab, not per event.
	if a := testing.AllocsPerRun(10, func() {
		for range watchEventSlab {
			s.New()
		}
	}); a > 1 {
		t.Fatalf("%v allocations per %d events, want at most 1", a, watchEventSlab)
	}
}

func TestPrincipalsIndexInOrder(t *testing.T) {
	var p Principals
	a := p.Add(Principal{Identity: Identity{User: "a"}})
	b := p.Add(Principal{Identity: Identity{User: "b"}, Namespace: "ns"})
	if a != 0 || b != 1 || p.Len() != 2 || p.Get(b).User != "b" || p.Get(b).Namespace != "ns" || p.Get(a).User != "a" {
		t.Fatalf("ids %d %d, len %d, %+v %+v", a, b, p.Len(), p.Get(a), p.Get(b))
	}
}

func TestRequestScope(t *testing.T) {
	for _, c := range []struct {
		req  Request
		want string
	}{
		{Request{Verb: Get, Name: 3}, "resource"},
		{Request{Verb: Create, Name: 3}, "resource"},
		{Request{Verb: Update, Name: 3, Namespace: 2}, "resource"},
		{Request{Verb: List, Name: -1}, "cluster"},
		{Request{Verb: Watch, Name: -1}, "cluster"},
		// By name or namespace (CleanListScope).
		{Request{Verb: List, Name: 3}, "resource"},
		{Request{Verb: Watch, Name: 3, Namespace: 2}, "resource"},
		{Request{Verb: Watch, Name: -1, Namespace: 2}, "namespace"},
		{Request{Verb: List, Name: -1, Namespace: 2}, "namespace"},
		// A pod list by spec.nodeName across namespaces is cluster-scoped.
		{Request{Verb: List, Name: -1, ByNode: true, Node: 4}, "cluster"},
	} {
		if got := c.req.Scope().String(); got != c.want {
			t.Errorf("%v name %d namespace %d: scope %s, want %s", c.req.Verb, c.req.Name, c.req.Namespace, got, c.want)
		}
	}
}
