package kcm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
)

// churn drives random pod churn against two Services for 20s: pods
// created, bound and started, made Ready and not, relabelled, finished,
// deleted gracefully and not; the first Service's selector changed once;
// pods of another namespace with the same labels; and twice the slice
// informer's watch broken, so that syncs meet a stale cache until the
// relist. It returns the env after quiescence.
//
// The watch breaks are few: each sync on a stale cache counts as a
// failure, and a Service that fails 15 times in a row is dropped from the
// queue until its next event (maxRetries), as upstream's is; repeated
// breaks stretch the reflector's relist backoff (up to 30s) until that
// happens, and a dropped Service waits for the informers' resync.
func churn(t *testing.T, seed uint64, cfg Config) *env {
	t.Helper()
	e := newEnv(t, seed, cfg)
	r := rand.New(rand.NewPCG(seed, 7))
	lbl := []objects.Labels{e.labels("app", "web"), e.labels("app", "api"), e.labels("app", "db")}
	e.seedService(0, 1, "app", "web")
	e.seedService(1, 2, "app", "api")
	states := []podState{{node: objects.NoNode}, {node: 1, phase: objects.PodPending}, notReady, running}
	const seeded, total = 20, 80
	ns := func(id int32) api.NamespaceID { return api.NamespaceID(1 + id%7/6) } // every 7th pod in namespace 2
	for id := range int32(seeded) {
		o := api.Object{Resource: api.Pods, ID: id, Namespace: ns(id), Size: 4000,
			Body: e.barePod(id, lbl[r.IntN(3)], states[r.IntN(4)])}
		e.Seed(o)
	}
	e.m.Start()
	next := int32(seeded)
	_, slicesInf := e.m.ServiceInformers()
	for range 200 {
		d := time.Duration(r.Int64N(int64(20 * time.Second)))
		id := r.Int32N(next)
		switch k := r.IntN(20); {
		case k < 4 && next < total:
			id, next = next, next+1
			p := e.barePod(id, lbl[r.IntN(3)], states[r.IntN(4)])
			e.send(d, func() *api.Request {
				req := e.Writer.C.NewRequest(api.Create, api.Pods, id)
				req.Namespace = ns(id)
				req.Object = api.Object{Resource: api.Pods, ID: id, Namespace: ns(id), Size: 4000, Body: p}
				return req
			})
		case k < 8:
			e.patchIn(d, id, ns(id), func(p *objects.Pod) {
				if !p.Bound() {
					p.NodeName = int32(1 + r.IntN(3))
				}
				p.Phase, p.Ready = objects.PodRunning, !p.Ready
			})
		case k < 10:
			l := lbl[r.IntN(3)]
			e.patchIn(d, id, ns(id), func(p *objects.Pod) { p.Labels = l })
		case k < 11:
			e.patchIn(d, id, ns(id), func(p *objects.Pod) { p.Phase, p.Ready = objects.PodSucceeded, false })
		case k < 15:
			grace0 := r.IntN(2) == 0
			e.send(d, func() *api.Request {
				req := e.Writer.C.NewRequest(api.Delete, api.Pods, id)
				req.Namespace, req.GraceSet = ns(id), grace0
				return req
			})
		case k < 17 && d > 10*time.Second:
			e.setSelector(d, 0, "app", "db")
		}
	}
	for _, d := range []time.Duration{time.Duration(r.Int64N(int64(10 * time.Second))), 10*time.Second + time.Duration(r.Int64N(int64(10*time.Second)))} {
		e.At(d, func() {
			if st := slicesInf.Reflector().Stream(); st >= 0 {
				e.Net.CloseStream(st, e.Srv.Endpoint())
			}
		})
	}
	e.Run(t, 120*time.Second)
	return e
}

// patchIn is patchPod for a pod of namespace ns.
func (e *env) patchIn(d time.Duration, id int32, ns api.NamespaceID, change func(p *objects.Pod)) {
	e.send(d, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Patch, api.Pods, id)
		req.Namespace = ns
		req.Object = api.Object{Size: 4000}
		req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			np := *cur.Body.(*objects.Pod)
			change(&np)
			o := *cur
			o.Body = &np
			return o, 0
		}
		return req
	})
}

// checkSlices checks that each Service's stored slices hold exactly the
// endpoints of the stored pods it selects (its namespace's, bound and
// running, not finished), each once, with the conditions of the pod, at
// most max to a slice; and that a Service without endpoints has exactly
// the placeholder.
func (e *env) checkSlices(max int) {
	e.t.Helper()
	for svcID := int32(0); svcID < 2; svcID++ {
		so, _ := e.St.Get(api.Services, svcID)
		svc := so.Body.(*objects.Service)
		var want []objects.Endpoint
		for id := int32(0); id < 1000; id++ {
			o, ok := e.St.Get(api.Pods, id)
			if !ok || o.Namespace != so.Namespace {
				continue
			}
			p := o.Body.(*objects.Pod)
			if !svc.Selects(p.Labels) {
				continue
			}
			if ep, ok := endpointFor(svc, p); ok {
				want = append(want, ep)
			}
		}
		var got []objects.Endpoint
		ss := e.storedSlices(svcID)
		for id, s := range ss {
			if len(s.Endpoints) > max {
				e.t.Fatalf("svc%d: slice %d holds %d endpoints, more than %d", svcID, id, len(s.Endpoints), max)
			}
			if len(s.Endpoints) == 0 && len(ss) > 1 {
				e.t.Fatalf("svc%d: an empty slice beside others", svcID)
			}
			if len(s.Endpoints) > 0 && s.Ports != svc.Ports {
				e.t.Fatalf("svc%d: slice %d has %d ports, want %d", svcID, id, s.Ports, svc.Ports)
			}
			got = append(got, s.Endpoints...)
		}
		slices.SortFunc(got, func(a, b objects.Endpoint) int { return int(a.Pod - b.Pod) })
		if !slices.Equal(got, want) {
			e.t.Fatalf("svc%d: slices hold\n  %v\nwant\n  %v", svcID, got, want)
		}
		if len(want) == 0 && (len(ss) != 1 || !isPlaceholder(ss[firstKey(ss)])) {
			e.t.Fatalf("svc%d: no endpoints, and %d slices rather than the placeholder", svcID, len(ss))
		}
	}
}

func firstKey(m map[int32]*objects.EndpointSlice) int32 {
	for k := range m {
		return k
	}
	return -1
}

// After random pod churn (with broken watches and a selector change)
// and quiescence, the slices hold exactly the selected pods' endpoints.
func TestEndpointSlicesConvergeAfterChurn(t *testing.T) {
	var stale, writes int64
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := churn(t, seed, Config{EndpointSlice: EndpointSliceConfig{MaxEndpointsPerSlice: 7}})
			e.checkSlices(7)
			_, s, _ := e.m.EndpointSlices.Syncs()
			c, u, d := e.m.EndpointSlices.Changes()
			stale, writes = stale+s, writes+c+u+d
		})
	}
	// The churn exercised the stale-cache path and many writes.
	if stale == 0 || writes < 40*10 {
		t.Fatalf("%d stale syncs and %d writes over 40 seeds", stale, writes)
	}
}

// The same seed gives the same writes.
func TestEndpointSliceChurnIsDeterministic(t *testing.T) {
	cfg := Config{EndpointSlice: EndpointSliceConfig{MaxEndpointsPerSlice: 7}}
	a, b := churn(t, 9, cfg), churn(t, 9, cfg)
	if !slices.Equal(a.sliceTrace, b.sliceTrace) || len(a.sliceTrace) == 0 {
		t.Fatalf("two runs of one seed wrote %d and %d changes, differently", len(a.sliceTrace), len(b.sliceTrace))
	}
}
