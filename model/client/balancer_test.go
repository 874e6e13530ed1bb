package client

import (
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// The balancer deals new connections round-robin over the healthy
// replicas; with none healthy it still deals one, in turn.
func TestBalancerRoundRobinOverHealthyReplicas(t *testing.T) {
	b := NewBalancer([]sim.EndpointID{10, 11, 12})
	var got []sim.EndpointID
	pick := func(n int) {
		for range n {
			got = append(got, b.Pick())
		}
	}
	pick(4)
	b.SetHealthy(1, false)
	pick(3)
	b.SetHealthy(0, false)
	b.SetHealthy(2, false)
	pick(2)
	b.SetHealthy(1, true)
	pick(2)
	want := []sim.EndpointID{10, 11, 12, 10, 12, 10, 12, 10, 11, 11, 11}
	if !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v", got, want)
	}
}

// A client with a balancer keeps the replica its connection went to until
// the connection breaks (an answer of ConnectionReset) or its process
// stops; only then does its next request pick again.
func TestClientKeepsItsConnectionUntilItBreaks(t *testing.T) {
	e := newEnv(Config{QPS: -1})
	a := e.srv
	b := &fakeServer{eng: e.eng, net: e.net, retryAfter: time.Second}
	b.self = e.net.AddEndpoint("fake-apiserver-b", b)
	lb := NewBalancer([]sim.EndpointID{a.self, b.self})
	newCaller := func(name string) *caller {
		p := &caller{eng: e.eng}
		p.self = e.net.AddEndpoint(name, p)
		p.c = New(e.eng, e.net, NewShared(e.rec), p.self, sim.NoEndpoint, Config{QPS: -1, Balancer: lb})
		return p
	}
	p1, p2 := newCaller("one"), newCaller("two")
	get := func(p *caller, tag int32) { p.c.Do(p.c.NewRequest(api.Get, api.Leases, tag), p) }
	// a breaks the connection of the third request it sees.
	a.answer = func(_ *api.Request, n int) (api.Code, time.Duration, bool) {
		if n == 3 {
			return api.ConnectionReset, 0, true
		}
		return api.OK, 0, true
	}
	atTime(e.eng, 0, func() {
		get(p1, 1)
		get(p2, 2)
		get(p1, 3)
	})
	// a leaves the rotation; p1 keeps its connection to it.
	atTime(e.eng, 10*time.Millisecond, func() {
		lb.SetHealthy(0, false)
		get(p1, 4) // reset
	})
	atTime(e.eng, 20*time.Millisecond, func() { get(p1, 5) })
	// p2's process restarts while a is back: its next request picks again.
	atTime(e.eng, 30*time.Millisecond, func() {
		lb.SetHealthy(0, true)
		p2.c.Stop()
		get(p2, 6)
	})
	e.run(t, time.Second)
	names := func(s *fakeServer) []int32 {
		var out []int32
		for _, x := range s.got {
			out = append(out, x.name)
		}
		return out
	}
	if got, want := names(a), []int32{1, 3, 4, 6}; !slices.Equal(got, want) {
		t.Errorf("replica a saw requests %v, want %v", got, want)
	}
	if got, want := names(b), []int32{2, 5}; !slices.Equal(got, want) {
		t.Errorf("replica b saw requests %v, want %v", got, want)
	}
	if p1.c.Connect() != b.self || p2.c.Connect() != a.self {
		t.Errorf("connections: one to %v, two to %v; want b (%v) and a (%v)", p1.c.Connect(), p2.c.Connect(), b.self, a.self)
	}
	if n := len(p1.got); n != 4 || p1.got[2].code != api.ConnectionReset {
		t.Errorf("one was told %+v, want 4 answers, the third a reset", p1.got)
	}
}
