package kcm

import (
	"slices"
	"strings"
	"testing"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
)

// eps returns ready endpoints for pods from..to-1 on node 1.
func eps(from, to int32) []objects.Endpoint {
	var out []objects.Endpoint
	for p := from; p < to; p++ {
		out = append(out, objects.Endpoint{Pod: p, Node: 1, Ready: true, Serving: true})
	}
	return out
}

func ref(id int32, rv int64, ports int32, e []objects.Endpoint) sliceRef {
	return sliceRef{obj: api.Object{Resource: api.EndpointSlices, ID: id, ResourceVersion: rv},
		s: &objects.EndpointSlice{Service: 0, Ports: ports, Endpoints: e}}
}

func planString(p slicePlan) string {
	var out []string
	for _, ws := range [][]sliceWrite{p.creates, p.updates, p.deletes} {
		for _, w := range ws {
			s := w.String()
			if w.s != nil && w.s.Ports == 0 {
				s += "p0"
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

func TestReconcilePlans(t *testing.T) {
	svc := &objects.Service{Ports: 1}
	notReady := eps(0, 100)
	for i := range notReady {
		notReady[i].Ready, notReady[i].Serving = false, false
	}
	for _, tc := range []struct {
		name     string
		desired  []objects.Endpoint
		existing []sliceRef
		want     string
	}{
		{"new endpoints fill the unchanged slice they fit best",
			eps(0, 190), []sliceRef{ref(1, 5, 1, eps(0, 100)), ref(2, 6, 1, eps(100, 160))},
			"update 2(90)"},
		{"an updated slice is filled first, then the best unchanged one",
			eps(10, 185), []sliceRef{ref(1, 5, 1, eps(0, 100)), ref(2, 6, 1, eps(100, 160))},
			"update 1(100), update 2(75)"},
		{"too many for an unchanged slice: new slices",
			eps(0, 230), []sliceRef{ref(1, 5, 1, eps(0, 100))},
			"create(100), create(30)"},
		{"a changed condition updates that slice alone",
			append(notReady[:1:1], eps(1, 150)...), []sliceRef{ref(1, 5, 1, eps(0, 100)), ref(2, 6, 1, eps(100, 150))},
			"update 1(100)"},
		{"no change, no writes",
			eps(0, 150), []sliceRef{ref(1, 5, 1, eps(0, 100)), ref(2, 6, 1, eps(100, 150))},
			""},
		{"a slice left empty is deleted",
			eps(0, 100), []sliceRef{ref(1, 5, 1, eps(0, 100)), ref(2, 6, 1, eps(100, 150))},
			"delete 2"},
		{"no endpoints left: the first slice becomes the placeholder, the others go",
			nil, []sliceRef{ref(1, 5, 1, eps(0, 100)), ref(2, 6, 1, eps(100, 150))},
			"update 1(0)p0, delete 2"},
		{"the placeholder stays while there are no endpoints",
			nil, []sliceRef{ref(1, 5, 0, nil)},
			""},
		{"no slices, no endpoints: create the placeholder",
			nil, nil,
			"create(0)p0"},
		{"the placeholder takes the last new slice's endpoints",
			eps(0, 250), []sliceRef{ref(1, 5, 0, nil)},
			"create(100), create(100), update 1(50)"},
		{"a pod in two slices stays in the first",
			eps(0, 10), []sliceRef{ref(1, 5, 1, eps(0, 6)), ref(2, 6, 1, eps(5, 10))},
			"update 2(4)"},
		{"slices of old ports are replaced in place",
			eps(0, 10), []sliceRef{ref(1, 5, 2, eps(0, 10))},
			"update 1(10)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := reconcileSlices(0, svc, tc.desired, tc.existing, 100, nil)
			if got := planString(p); got != tc.want {
				t.Fatalf("plan %q, want %q", got, tc.want)
			}
			// Every desired endpoint is in the slices after the plan, once.
			after := map[int32]*objects.EndpointSlice{}
			for _, r := range tc.existing {
				after[r.obj.ID] = r.s
			}
			for _, w := range p.updates {
				after[w.id] = w.s
			}
			for _, w := range p.deletes {
				delete(after, w.id)
			}
			var got []objects.Endpoint
			var all []*objects.EndpointSlice
			for _, s := range after {
				all = append(all, s)
			}
			for _, w := range p.creates {
				all = append(all, w.s)
			}
			for _, s := range all {
				if len(s.Endpoints) > 100 {
					t.Fatalf("a slice of %d endpoints", len(s.Endpoints))
				}
				got = append(got, s.Endpoints...)
			}
			slices.SortFunc(got, func(a, b objects.Endpoint) int { return int(a.Pod - b.Pod) })
			if !slices.Equal(got, tc.desired) {
				t.Fatalf("the slices hold %d endpoints, want the %d desired", len(got), len(tc.desired))
			}
			// Updates of existing slices carry their resourceVersion;
			// a create turned update carries none.
			for _, w := range p.updates {
				for _, r := range tc.existing {
					if r.obj.ID == w.id && w.rv != 0 && w.rv != r.obj.ResourceVersion {
						t.Fatalf("update of %d with rv %d", w.id, w.rv)
					}
				}
			}
		})
	}
}

func TestReconcileLeavesCachedSlicesAlone(t *testing.T) {
	svc := &objects.Service{Ports: 1}
	a := ref(1, 5, 1, eps(0, 50))
	before := slices.Clone(a.s.Endpoints)
	p := reconcileSlices(0, svc, eps(10, 80), []sliceRef{a}, 100, nil)
	if planString(p) != "update 1(70)" {
		t.Fatalf("plan %s", planString(p))
	}
	if !slices.Equal(a.s.Endpoints, before) || p.updates[0].s == a.s {
		t.Fatal("the cached slice was modified")
	}
}

func TestSliceToFill(t *testing.T) {
	rs := []sliceRef{ref(1, 1, 1, eps(0, 80)), ref(2, 1, 1, eps(0, 50)), ref(3, 1, 1, eps(0, 90))}
	for _, tc := range []struct{ n, want int }{
		{10, 2}, // exactly full: the 90
		{20, 0}, // the 80 fills to 100
		{5, 2},  // 95 is closest
		{40, 1}, // only the 50 fits
		{60, -1},
	} {
		if got := sliceToFill(rs, tc.n, 100); got != tc.want {
			t.Errorf("sliceToFill(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestSliceTracker(t *testing.T) {
	var tr sliceTracker
	cached := func(pairs ...int64) []sliceRef {
		var out []sliceRef
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, ref(int32(pairs[i]), pairs[i+1], 1, nil))
		}
		return out
	}
	if tr.stale(3, nil) || !tr.shouldSync(3, 1, 10) || tr.has(3, 1) {
		t.Fatal("an empty tracker")
	}
	tr.update(3, 1, 10)
	tr.update(3, 2, 12)
	for _, tc := range []struct {
		cached []sliceRef
		stale  bool
	}{
		{cached(1, 10, 2, 12), false},
		{cached(1, 11, 2, 12), false}, // newer than written: fine
		{cached(1, 9, 2, 12), true},   // older than written
		{cached(1, 10), true},         // a written slice missing
		{cached(1, 10, 2, 12, 7, 3), false},
	} {
		if got := tr.stale(3, tc.cached); got != tc.stale {
			t.Errorf("stale(%v) = %v", tc.cached, got)
		}
	}
	if tr.shouldSync(3, 1, 10) || !tr.shouldSync(3, 1, 11) || !tr.shouldSync(3, 9, 1) {
		t.Fatal("shouldSync: own version no, newer or unknown yes")
	}
	tr.expectDeletion(3, 2)
	if !tr.stale(3, cached(1, 10, 2, 12)) || tr.stale(3, cached(1, 10)) {
		t.Fatal("a slice expected deleted: stale while cached, not once gone")
	}
	if !tr.handleDeletion(3, 2) || tr.has(3, 2) {
		t.Fatal("an expected deletion")
	}
	if tr.handleDeletion(3, 1) {
		t.Fatal("an unexpected deletion of a tracked slice reported expected")
	}
	if !tr.handleDeletion(3, 5) {
		t.Fatal("an untracked slice's deletion")
	}
	tr.update(4, 1, 3)
	tr.deleteService(4)
	if tr.stale(4, nil) || tr.has(4, 1) {
		t.Fatal("deleteService")
	}
}
