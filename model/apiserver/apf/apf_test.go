package apf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// The nominal concurrency limits of the default configuration at 600
// seats, computed by hand from default.go's shares (Σ = 245):
// ceil(600·30/245) = ceil(73.47) = 74, ceil(600·40/245) = ceil(97.96) = 98,
// ceil(600·10/245) = ceil(24.49) = 25, ceil(600·100/245) = ceil(244.90) =
// 245, ceil(600·20/245) = ceil(48.98) = 49, ceil(600·5/245) = ceil(12.24) =
// 13. Max seats: min(ceil(0.15·74)=12, 74/6=12) → 10 (estimator cap);
// leader-election min(ceil(3.75)=4, 25/4=6) = 4; global-default min(ceil(7.35)=8,
// 49/6=8) = 8.
func TestNominalLimitsOfDefaultConfig(t *testing.T) {
	c := mustNew(t, DefaultConfig(), nil)
	want := []struct {
		name                      string
		nominal, lendable, limit  int
		maxSeats                  int
		queues, hand, queueLength int
	}{
		{"exempt", 0, 0, 0, 10, 0, 0, 0},
		{"system", 74, 24, 74, 10, 64, 6, 50},
		{"node-high", 98, 25, 98, 10, 64, 6, 50},
		{"leader-election", 25, 0, 25, 4, 16, 4, 50},
		{"workload-high", 98, 49, 98, 10, 128, 6, 50},
		{"workload-low", 245, 221, 245, 10, 128, 6, 50},
		{"global-default", 49, 25, 49, 8, 128, 6, 50},
		{"catch-all", 13, 0, 13, 10, 0, 0, 0},
	}
	got := c.Levels()
	if len(got) != len(want) {
		t.Fatalf("%d levels, want %d", len(got), len(want))
	}
	sum := 0
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.NominalCL != w.nominal || g.LendableCL != w.lendable || g.Limit != w.limit || g.MaxSeats != w.maxSeats ||
			g.Queues != w.queues || g.HandSize != w.hand || g.QueueLengthLimit != w.queueLength {
			t.Errorf("level %d = %+v, want %+v", i, g, w)
		}
		sum += g.NominalCL
	}
	if sum != 602 {
		t.Errorf("Σ nominal = %d, want 602 (ceilings overshoot 600)", sum)
	}
}

func TestNominalLimitsScaleWithServerLimit(t *testing.T) {
	// --max-requests-inflight 3000 + --max-mutating-requests-inflight 1000:
	// ceil(4000·30/245) = ceil(489.8) = 490, ceil(4000·40/245) = 654,
	// ceil(4000·10/245) = 164, ceil(4000·100/245) = 1633,
	// ceil(4000·20/245) = 327, ceil(4000·5/245) = 82.
	cfg := DefaultConfig()
	cfg.ServerConcurrencyLimit = 4000
	c := mustNew(t, cfg, nil)
	want := []int{0, 490, 654, 164, 654, 1633, 327, 82}
	for i, l := range c.Levels() {
		if l.NominalCL != want[i] {
			t.Errorf("%s: nominal %d, want %d", l.Name, l.NominalCL, want[i])
		}
	}
}

func TestClassifySimulatorIdentities(t *testing.T) {
	c := mustNew(t, DefaultConfig(), nil)
	kubelet := Kubelet("node-00042")
	kcm := KubeControllerManager()
	nodeController := ServiceAccount(NamespaceSystem, "node-controller")
	churn := ServiceAccount("apps", "churn")
	cases := []struct {
		what   string
		d      Descriptor
		schema string
		level  string
		flow   string
	}{
		{"kubelet renews its Lease", Describe(kubelet, api.Update, api.Leases, NamespaceNodeLease), "system-node-high", "node-high", "system:node:node-00042"},
		{"kubelet gets its Lease", Describe(kubelet, api.Get, api.Leases, NamespaceNodeLease), "system-node-high", "node-high", "system:node:node-00042"},
		{"kubelet creates its Lease", Describe(kubelet, api.Create, api.Leases, NamespaceNodeLease), "system-node-high", "node-high", "system:node:node-00042"},
		{"kubelet gets its Node", Describe(kubelet, api.Get, api.Nodes, ""), "system-node-high", "node-high", "system:node:node-00042"},
		{"kubelet patches node status", Describe(kubelet, api.Patch, api.NodeStatus, ""), "system-node-high", "node-high", "system:node:node-00042"},
		{"kubelet watches its Node", Describe(kubelet, api.Watch, api.Nodes, ""), "system-node-high", "node-high", "system:node:node-00042"},
		{"kubelet reads a ConfigMap", Describe(kubelet, api.Get, api.ConfigMaps, "default"), "system-nodes", "system", "system:node:node-00042"},
		{"node lifecycle updates node status", Describe(kcm, api.Update, api.NodeStatus, ""), "kube-controller-manager", "workload-high", ""},
		{"node lifecycle lists nodes", Describe(kcm, api.List, api.Nodes, ""), "kube-controller-manager", "workload-high", ""},
		{"node lifecycle watches Leases", Describe(kcm, api.Watch, api.Leases, NamespaceNodeLease), "kube-controller-manager", "workload-high", "kube-node-lease"},
		{"controller-manager renews its leader Lease", Describe(kcm, api.Update, api.Leases, NamespaceSystem), "system-leader-election", "leader-election", UserKubeControllerManager},
		{"controller-manager gets a node Lease", Describe(kcm, api.Get, api.Leases, NamespaceNodeLease), "system-leader-election", "leader-election", UserKubeControllerManager},
		{"scheduler renews its leader Lease", Describe(KubeScheduler(), api.Update, api.Leases, NamespaceSystem), "system-leader-election", "leader-election", UserKubeScheduler},
		{"scheduler lists nodes", Describe(KubeScheduler(), api.List, api.Nodes, ""), "kube-scheduler", "workload-high", ""},
		{"node-controller SA updates node status", Describe(nodeController, api.Update, api.NodeStatus, ""), "kube-system-service-accounts", "workload-high", ""},
		{"node-controller SA gets a Lease", Describe(nodeController, api.Get, api.Leases, NamespaceNodeLease), "system-leader-election", "leader-election", "system:serviceaccount:kube-system:node-controller"},
		{"kube-system SA writes a ConfigMap", Describe(ServiceAccount(NamespaceSystem, "x"), api.Update, api.ConfigMaps, "apps"), "workload-leader-election", "leader-election", "system:serviceaccount:kube-system:x"},
		{"churn SA writes a ConfigMap", Describe(churn, api.Update, api.ConfigMaps, "apps"), "service-accounts", "workload-low", "system:serviceaccount:apps:churn"},
		{"plain user writes a ConfigMap", Describe(User("alice"), api.Update, api.ConfigMaps, "apps"), "global-default", "global-default", "alice"},
		{"anonymous lists nodes", Describe(Anonymous(), api.List, api.Nodes, ""), "global-default", "global-default", UserAnonymous},
		{"admin deletes a Node", Describe(Admin("admin"), api.Delete, api.Nodes, ""), "exempt", "exempt", ""},
		{"probe", Descriptor{Identity: Anonymous(), Verb: "get", Path: "/readyz"}, "probes", "exempt", ""},
		{"non-probe path", Descriptor{Identity: User("alice"), Verb: "get", Path: "/metrics"}, "global-default", "global-default", "alice"},
		{"controller-manager writes Endpoints", Descriptor{Identity: kcm, Verb: "update", Resource: "endpoints", Namespace: "apps"}, "endpoint-controller", "workload-high", UserKubeControllerManager},
		{"no groups at all: falls back", Descriptor{Identity: Identity{User: "ghost"}, Verb: "get", Resource: "configmaps", Namespace: "apps"}, "catch-all", "catch-all", ""},
	}
	for _, tc := range cases {
		cl := c.Classify(tc.d)
		if got := c.SchemaName(cl.Schema); got != tc.schema {
			t.Errorf("%s: schema %s, want %s", tc.what, got, tc.schema)
		}
		if got := c.LevelName(cl.Level); got != tc.level {
			t.Errorf("%s: level %s, want %s", tc.what, got, tc.level)
		}
		if cl.Distinguisher != tc.flow {
			t.Errorf("%s: flow %q, want %q", tc.what, cl.Distinguisher, tc.flow)
		}
		queuing := c.Levels()[cl.Level].Type == Queuing
		if wantHash := FlowHash(tc.schema, tc.flow); queuing && cl.Hash != wantHash || !queuing && cl.Hash != 0 {
			t.Errorf("%s: hash %#x", tc.what, cl.Hash)
		}
	}
}

func TestDealKnownHands(t *testing.T) {
	// deck 4, hand 2, hash 5: digits 5 mod 4 = 1, then 1 mod 3 = 1. Card 0
	// is 1; card 1 is index 1 of {0, 2, 3}: 2.
	if got := Deal(5, 4, 2, nil); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Deal(5, 4, 2) = %v, want [1 2]", got)
	}
	// deck 3, hand 3: a permutation per hash; 0..5 give all six.
	seen := map[string]bool{}
	for h := uint64(0); h < 6; h++ {
		seen[fmt.Sprint(Deal(h, 3, 3, nil))] = true
	}
	if len(seen) != 6 {
		t.Errorf("hashes 0..5 deal %d distinct permutations of 3, want 6", len(seen))
	}
}

func TestDealHandsAreDistinctAndInRange(t *testing.T) {
	rng := sim.NewRand(1, "deal")
	for _, dh := range [][2]int{{128, 6}, {64, 6}, {16, 4}, {8, 8}, {1, 1}, {1 << 10, 6}} {
		deck, hand := dh[0], dh[1]
		counts := make([]int, deck)
		for i := 0; i < 20000; i++ {
			h := Deal(rng.Uint64(), deck, hand, nil)
			if len(h) != hand {
				t.Fatalf("deck %d: hand of %d cards, want %d", deck, len(h), hand)
			}
			for k, card := range h {
				if card < 0 || card >= deck || slices.Contains(h[:k], card) {
					t.Fatalf("deck %d hand %d: bad hand %v", deck, hand, h)
				}
				counts[card]++
			}
		}
		// Every card is dealt about equally often: within ±20% of the mean
		// for the decks where the mean is large.
		mean := 20000 * hand / deck
		if mean >= 500 {
			for card, n := range counts {
				if n < mean*8/10 || n > mean*12/10 {
					t.Errorf("deck %d: card %d dealt %d times, mean %d", deck, card, n, mean)
				}
			}
		}
	}
}

func TestFlowHashIsFixed(t *testing.T) {
	// Golden values, checked against an independent computation (FNV-1a
	// over schema, 0x00, distinguisher; then SplitMix64's finalizer). The
	// hash is part of the model's determinism: a change reshuffles every
	// flow's queues, so it must be deliberate.
	golden := []struct {
		schema, flow string
		hash         uint64
	}{
		{"system-node-high", "system:node:node-00042", 0x6d79d91c294825a4},
		{"service-accounts", "system:serviceaccount:apps:churn", 0xbdaef2a28482f595},
		{"kube-controller-manager", "", 0x11b670c0192c2f7a},
	}
	for _, g := range golden {
		if got := FlowHash(g.schema, g.flow); got != g.hash {
			t.Errorf("FlowHash(%q, %q) = %#x, want %#x", g.schema, g.flow, got, g.hash)
		}
	}
	// The separator matters: ("ab", "c") and ("a", "bc") differ.
	if FlowHash("ab", "c") == FlowHash("a", "bc") {
		t.Error("FlowHash ignores the schema/distinguisher boundary")
	}
}

func TestShuffleShardingIsDeterministic(t *testing.T) {
	// Two controllers, the same flows in the same order: the same queues.
	queuesOf := func() []int32 {
		c := mustNew(t, DefaultConfig(), nil)
		var out []int32
		for i := 0; i < 200; i++ {
			d := Describe(Kubelet(fmt.Sprintf("node-%05d", i%50)), api.Update, api.Leases, NamespaceNodeLease)
			r := &Request{Class: c.Classify(d), Work: c.EstimateGet()}
			c.Admit(sim.Time(i), r)
			out = append(out, r.queue)
		}
		return out
	}
	a, b := queuesOf(), queuesOf()
	if !slices.Equal(a, b) {
		t.Fatalf("queue choices differ between runs:\n%v\n%v", a, b)
	}
	// And a flow only ever uses the queues of its hand.
	c := mustNew(t, DefaultConfig(), nil)
	lid, _ := c.Level("node-high")
	l := &c.levels[lid]
	cl := c.Classify(Describe(Kubelet("node-00007"), api.Update, api.Leases, NamespaceNodeLease))
	hand := Deal(cl.Hash, l.cfg.Queues, l.cfg.HandSize, nil)
	l.limit = 0 // nothing dispatches: every request stays queued
	used := map[int32]bool{}
	for i := 0; i < 60; i++ {
		r := &Request{Class: cl, Work: c.EstimateGet()}
		if d := c.Admit(0, r); d.Outcome != Queued {
			t.Fatalf("request %d: %v", i, d.Outcome)
		}
		if !slices.Contains(hand, int(r.queue)) {
			t.Fatalf("request %d went to queue %d, not in hand %v", i, r.queue, hand)
		}
		used[r.queue] = true
	}
	// Shortest-queue choice spreads one flow over its whole hand.
	if len(used) != l.cfg.HandSize {
		t.Errorf("one flow used %d queues, want its hand of %d", len(used), l.cfg.HandSize)
	}
}

func TestQueueLengthLimitRejects(t *testing.T) {
	rec := sim.NewRecorder(time.Second)
	c := mustNew(t, testConfig(2, 128, 6, 50), rec)
	h := newHarness(t, c)
	// Two long requests take both seats.
	for i := 0; i < 2; i++ {
		if d := h.admit(saJob(c, "busy", i, 0, time.Hour)); d.Outcome != Dispatched {
			t.Fatalf("busy-%d: %v", i, d.Outcome)
		}
	}
	// One flow can fill its hand: 6 queues × 50.
	for i := 0; i < 6*50; i++ {
		if d := h.admit(saJob(c, "flood", i, 0, ms)); d.Outcome != Queued {
			t.Fatalf("flood-%d: %v %v, want Queued", i, d.Outcome, d.Reason)
		}
	}
	d := h.admit(saJob(c, "flood", 300, 0, ms))
	if d.Outcome != Rejected || d.Reason != QueueFull || d.RetryAfter != time.Second {
		t.Fatalf("flood-300: %+v, want Rejected queue-full Retry-After 1s", d)
	}
	// Another flow still gets in (its hand is not all full).
	if d := h.admit(saJob(c, "other", 0, 0, ms)); d.Outcome != Queued {
		t.Errorf("other flow: %v %v, want Queued", d.Outcome, d.Reason)
	}
	ctr := rec.Counter("apiserver_flowcontrol_rejected_requests_total", "priority_level", "test", "flow_schema", "test", "reason", "queue-full")
	if ctr.Value != 1 {
		t.Errorf("rejected_requests_total{reason=queue-full} = %d, want 1", ctr.Value)
	}
	if g := rec.Gauge("apiserver_flowcontrol_current_inqueue_requests", "priority_level", "test", "flow_schema", "test"); g.Value() != 301 {
		t.Errorf("current_inqueue_requests = %v, want 301", g.Value())
	}
}

func TestWaitLimitExpiry(t *testing.T) {
	rec := sim.NewRecorder(time.Second)
	c := mustNew(t, testConfig(1, 16, 4, 50), rec)
	h := newHarness(t, c)
	h.admit(saJob(c, "busy", 0, 0, time.Hour))
	h.now = sim.Time(time.Second)
	b := saJob(c, "b", 0, 0, ms)
	d := h.admit(b)
	// Default 60s deadline: waits min(60s/4, 1m) = 15s.
	if d.Outcome != Queued || d.WaitDeadline != sim.Time(16*time.Second) {
		t.Fatalf("b: %+v, want Queued until 16s", d)
	}
	short := saJob(c, "short", 0, 0, ms)
	short.req.Timeout = 8 * time.Second // waits 2s
	long := saJob(c, "long", 0, 0, ms)
	long.req.Timeout = 30 * time.Minute // waits at most 1m
	if d := h.admit(short); d.WaitDeadline != sim.Time(3*time.Second) {
		t.Errorf("8s deadline: waits until %v, want 3s", d.WaitDeadline)
	}
	if d := h.admit(long); d.WaitDeadline != sim.Time(61*time.Second) {
		t.Errorf("30m deadline: waits until %v, want 61s (1m cap)", d.WaitDeadline)
	}
	if w, _ := c.NextWakeup(); w != sim.Time(3*time.Second) {
		t.Errorf("NextWakeup = %v, want 3s", w)
	}
	if exp, _ := c.Advance(sim.Time(3*time.Second - 1)); len(exp) != 0 {
		t.Errorf("expired early: %d", len(exp))
	}
	exp, _ := c.Advance(sim.Time(3 * time.Second))
	if len(exp) != 1 || exp[0] != &short.req || short.req.Reason != TimeOut || short.req.RetryAfter != time.Second {
		t.Fatalf("at 3s expired %v (%s), want short with time-out", len(exp), short.req.Reason)
	}
	exp, _ = c.Advance(sim.Time(16 * time.Second))
	if len(exp) != 1 || exp[0] != &b.req {
		t.Fatalf("at 16s expired %d, want b", len(exp))
	}
	if st := c.Status(b.req.Class.Level); st.Waiting != 1 {
		t.Errorf("waiting %d after two expiries, want 1", st.Waiting)
	}
	ctr := rec.Counter("apiserver_flowcontrol_rejected_requests_total", "priority_level", "test", "flow_schema", "test", "reason", "time-out")
	if ctr.Value != 2 {
		t.Errorf("time-out rejections = %d, want 2", ctr.Value)
	}
	if s := rec.Latency("apiserver_flowcontrol_request_wait_duration_seconds", "priority_level", "test", "flow_schema", "test", "execute", "false").Samples(); !slices.Equal(s, []int64{int64(2 * time.Second), int64(15 * time.Second)}) {
		t.Errorf("rejected wait samples %v", s)
	}
	// A request dispatched before its deadline leaves no wake-up behind.
	c.Finish(sim.Time(20*time.Second), &h.started[0].req)
	if long.req.State != StateExecuting {
		t.Fatalf("long is %s after the seat freed, want Executing", long.req.State)
	}
	if w, ok := c.NextWakeup(); ok {
		t.Errorf("NextWakeup = %v, want none", w)
	}
	if err := c.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestFairnessLightFlowIsNotStarved: a heavy flow queues 60 requests, then
// a light flow 5, all at once, in a level with 2 seats. Under FIFO the
// light requests would start after all 60; with fair queuing each queue
// gets its turn, so the light flow's requests start interleaved with the
// heavy ones, early.
func TestFairnessLightFlowIsNotStarved(t *testing.T) {
	for _, tc := range []struct {
		hand int
		// The k-th light request (k from 0) starts at or before position
		// bound(k) of the dispatch order.
		bound func(k int) int
	}{
		// One queue per flow: strict round robin, every other dispatch.
		{hand: 1, bound: func(k int) int { return 2 + 2*k + 1 }},
		// The heavy flow spreads over its hand of 6 queues, the light one
		// too: the light flow gets a turn at least once per round of 7.
		{hand: 6, bound: func(k int) int { return 2 + 7*(k+1) }},
	} {
		t.Run(fmt.Sprintf("hand=%d", tc.hand), func(t *testing.T) {
			c := mustNew(t, testConfig(2, 64, tc.hand, 100), nil)
			h := newHarness(t, c)
			var arrivals []*job
			for i := 0; i < 60; i++ {
				arrivals = append(arrivals, saJob(c, "heavy", i, 0, 10*ms))
			}
			for i := 0; i < 5; i++ {
				arrivals = append(arrivals, saJob(c, "light", i, 0, 10*ms))
			}
			heavy, light := arrivals[0].req.Class, arrivals[60].req.Class
			if heavy.Level != light.Level || heavy.Distinguisher == light.Distinguisher {
				t.Fatalf("heavy %+v and light %+v should be two flows of one level", heavy, light)
			}
			if tc.hand == 1 && Deal(heavy.Hash, 64, 1, nil)[0] == Deal(light.Hash, 64, 1, nil)[0] {
				t.Fatal("heavy and light share their only queue: rename a flow")
			}
			h.run(arrivals, sim.Time(time.Hour))
			if len(h.started) != 65 {
				t.Fatalf("%d started, want 65\n%s", len(h.started), h.trace.String())
			}
			var pos []int
			for i, j := range h.started {
				if j.flow == "light" {
					pos = append(pos, i)
				}
			}
			t.Logf("light requests started at positions %v", pos)
			for k, p := range pos {
				if p > tc.bound(k) {
					t.Errorf("light-%d started at position %d, want ≤ %d\n%s", k, p, tc.bound(k), h.trace.String())
				}
			}
			// Interleaved, not light-first either: heavy requests run
			// between the light ones.
			if pos[len(pos)-1]-pos[0]+1 == len(pos) {
				t.Errorf("light requests ran as one block at %v", pos)
			}
			// Balanced: while the light flow still has requests waiting,
			// neither flow's dispatch count runs ahead of the other's by
			// more than the heavy flow's head start (the 2 seats it took
			// before the light flow arrived) plus one round of its hand.
			nHeavy, nLight := 0, 0
			for _, j := range h.started {
				if j.flow == "light" {
					nLight++
				} else {
					nHeavy++
				}
				if nLight == 5 {
					break
				}
				if d := nHeavy - nLight; d > 2+tc.hand || d < -2 {
					t.Errorf("after %d heavy and %d light dispatches the flows are out of balance", nHeavy, nLight)
				}
			}
		})
	}
}

func TestListSeats(t *testing.T) {
	w := DefaultWorkConfig()
	cases := []struct {
		s    ListShape
		want int
	}{
		{ListShape{Stored: 0, FromCache: true}, 1},
		{ListShape{Stored: 100, FromCache: true}, 1},
		{ListShape{Stored: 101, FromCache: true}, 2},
		{ListShape{Stored: 450, FromCache: true}, 5},
		{ListShape{Stored: 5000, FromCache: true}, 10},
		{ListShape{Stored: 5000, FromCache: true, Limit: 50}, 10}, // the cache reads everything
		{ListShape{Stored: 300}, 6},                               // etcd, no limit: 2 × 300
		{ListShape{Stored: 10000, Limit: 500}, 10},                // 2 × 500 = 1000
		{ListShape{Stored: 1000, Limit: 30}, 1},                   // 2 × 30 = 60
		{ListShape{Stored: 1000, Limit: 200}, 4},                  // 400
		{ListShape{Stored: 200, Limit: 50, Selector: true}, 3},    // 200 + 50
		{ListShape{Stored: 1000000, SingleName: true}, 1},
		{ListShape{Stored: 1000000, Watch: true}, 1},
		{ListShape{Stored: 450, Watch: true, SendInitialEvents: true}, 5},
	}
	for _, tc := range cases {
		if got := w.ListSeats(tc.s, 10); got != tc.want {
			t.Errorf("ListSeats(%+v) = %d, want %d", tc.s, got, tc.want)
		}
	}
	// Per-level caps with the default configuration.
	c := mustNew(t, DefaultConfig(), nil)
	for _, lw := range []struct {
		name string
		want int
	}{{"leader-election", 4}, {"global-default", 8}, {"workload-low", 10}, {"catch-all", 10}, {"node-high", 10}} {
		name, want := lw.name, lw.want
		id, _ := c.Level(name)
		if got := c.EstimateList(id, ListShape{Stored: 5000, FromCache: true}); got.InitialSeats != want || got.FinalSeats != 0 {
			t.Errorf("%s: list of 5000 = %+v, want %d seats", name, got, want)
		}
	}
}

func TestMutatingSeats(t *testing.T) {
	w := DefaultWorkConfig()
	cases := []struct {
		watchers, maxSeats int
		want               WorkEstimate
	}{
		{0, 10, WorkEstimate{1, 0, 0}},
		{9, 10, WorkEstimate{1, 0, 0}},
		{10, 10, WorkEstimate{1, 1, 5 * ms}},
		{11, 10, WorkEstimate{1, 2, 5 * ms}},
		{25, 10, WorkEstimate{1, 3, 5 * ms}},
		{100, 10, WorkEstimate{1, 10, 5 * ms}},
		{101, 10, WorkEstimate{1, 10, 5500 * time.Microsecond}}, // 11 seats × 5ms reshaped to 10
		{500, 10, WorkEstimate{1, 10, 25 * ms}},                 // 50 × 5ms over 10 seats
		{100, 4, WorkEstimate{1, 4, 12500 * time.Microsecond}},  // leader-election's cap
		{3, 3, WorkEstimate{1, 0, 0}},
	}
	for _, tc := range cases {
		if got := w.MutatingWork(tc.watchers, tc.maxSeats); got != tc.want {
			t.Errorf("MutatingWork(%d watchers, max %d) = %+v, want %+v", tc.watchers, tc.maxSeats, got, tc.want)
		}
	}
	w.MutatingEnabled = false
	if got := w.MutatingWork(1000, 10); got != (WorkEstimate{InitialSeats: 1}) {
		t.Errorf("disabled: %+v", got)
	}
}

func TestFinalSeatsHeldAfterFinish(t *testing.T) {
	rec := sim.NewRecorder(time.Second)
	c := mustNew(t, DefaultConfig(), rec)
	d := Describe(Kubelet("node-1"), api.Patch, api.NodeStatus, "")
	r := &Request{Class: c.Classify(d)}
	r.Work = c.EstimateMutating(r.Class.Level, 100) // 10 final seats for 5ms
	if dec := c.Admit(0, r); dec.Outcome != Dispatched {
		t.Fatalf("%v", dec.Outcome)
	}
	if st := c.Status(r.Class.Level); st.SeatsInUse != 10 {
		t.Fatalf("seats in use %d while executing, want 10 (max of 1 initial, 10 final)", st.SeatsInUse)
	}
	c.Finish(sim.Time(2*ms), r)
	if r.State != StateFinalPhase || r.FinalEnd != sim.Time(7*ms) {
		t.Fatalf("after Finish: %s until %v, want FinalPhase until 7ms", r.State, r.FinalEnd)
	}
	st := c.Status(r.Class.Level)
	if st.SeatsInUse != 10 || st.Executing != 0 {
		t.Fatalf("in the final phase: %+v, want 10 seats, 0 executing", st)
	}
	if w, ok := c.NextWakeup(); !ok || w != sim.Time(7*ms) {
		t.Fatalf("NextWakeup = %v %v, want 7ms", w, ok)
	}
	c.Advance(sim.Time(7*ms - 1))
	if c.Status(r.Class.Level).SeatsInUse != 10 {
		t.Fatal("final seats released early")
	}
	c.Advance(sim.Time(7 * ms))
	if r.State != StateDone || c.Status(r.Class.Level).SeatsInUse != 0 {
		t.Fatalf("after the final phase: %s, %d seats", r.State, c.Status(r.Class.Level).SeatsInUse)
	}
	g := rec.Gauge("apiserver_flowcontrol_current_executing_seats", "priority_level", "node-high", "flow_schema", "system-node-high")
	if g.Peak() != 10 || g.Value() != 0 {
		t.Errorf("current_executing_seats peak %v now %v, want 10 then 0", g.Peak(), g.Value())
	}
}

// TestFinalSeatsBeyondTheLimitAreReshaped: final seats wider than the
// level's limit are cut to the limit for proportionally longer when the
// request is dispatched (queueset.go dispatchLocked), so the request holds
// the limit, not more.
func TestFinalSeatsBeyondTheLimitAreReshaped(t *testing.T) {
	c := mustNew(t, testConfig(4, 8, 1, 50), nil)
	j := saJob(c, "writer", 0, 0, 2*ms)
	j.req.Work = WorkEstimate{InitialSeats: 1, FinalSeats: 8, AdditionalLatency: 5 * ms}
	h := newHarness(t, c)
	if d := h.admit(j); d.Outcome != Dispatched {
		t.Fatalf("%v, want Dispatched (nothing else executes)", d.Outcome)
	}
	if w := j.req.Work; w.FinalSeats != 4 || w.AdditionalLatency != 10*ms {
		t.Fatalf("work %+v, want 4 final seats for 10ms", w)
	}
	if st := c.Status(j.req.Class.Level); st.SeatsInUse != 4 {
		t.Fatalf("seats in use %d, want the limit, 4", st.SeatsInUse)
	}
	h.run(nil, sim.Time(time.Hour))
	if j.req.State != StateDone || j.req.FinalEnd != sim.Time(12*ms) {
		t.Fatalf("%s, final phase until %v; want Done, 12ms", j.req.State, j.req.FinalEnd)
	}
}

func TestWideRequestWaitsForSeats(t *testing.T) {
	// A 10-seat LIST in a 12-seat level with 5 one-seat requests running
	// waits until 10 seats are free, and nothing overtakes it meanwhile
	// (the dispatcher does not skip the fair choice).
	c := mustNew(t, testConfig(12, 8, 1, 50), nil)
	h := newHarness(t, c)
	for i := 0; i < 5; i++ {
		h.admit(saJob(c, "small", i, 0, time.Duration(i+1)*ms))
	}
	wide := saJob(c, "wide", 0, 0, ms)
	wide.req.Work = WorkEstimate{InitialSeats: 10}
	if d := h.admit(wide); d.Outcome != Queued {
		t.Fatalf("wide: %v, want Queued", d.Outcome)
	}
	h.run(nil, sim.Time(time.Hour))
	if wide.req.Dispatched != sim.Time(3*ms) {
		t.Errorf("wide dispatched at %v, want 3ms (when 3 of 5 small ones are done)", wide.req.Dispatched)
	}
}

func TestCatchAllRejectsAtConcurrencyLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Schemas = slices.DeleteFunc(slices.Clone(cfg.Schemas), func(s FlowSchema) bool { return s.Name == "global-default" })
	c := mustNew(t, cfg, nil)
	cl := c.Classify(Describe(User("alice"), api.Get, api.ConfigMaps, "apps"))
	if c.LevelName(cl.Level) != "catch-all" {
		t.Fatalf("without global-default, alice goes to %s", c.LevelName(cl.Level))
	}
	var rs []*Request
	for i := 0; i < 13; i++ {
		r := &Request{Class: cl, Work: c.EstimateGet()}
		if d := c.Admit(0, r); d.Outcome != Dispatched {
			t.Fatalf("request %d: %v", i, d.Outcome)
		}
		rs = append(rs, r)
	}
	r := &Request{Class: cl, Work: c.EstimateGet()}
	if d := c.Admit(0, r); d.Outcome != Rejected || d.Reason != ConcurrencyLimit || d.RetryAfter != time.Second {
		t.Fatalf("14th: %+v, want Rejected concurrency-limit", d)
	}
	c.Finish(sim.Time(ms), rs[0])
	if d := c.Admit(sim.Time(ms), r); d.Outcome != Dispatched {
		t.Fatalf("after a finish: %v, want Dispatched", d.Outcome)
	}
}

func TestExemptIsNeverLimited(t *testing.T) {
	c := mustNew(t, DefaultConfig(), nil)
	cl := c.Classify(Describe(Admin("root"), api.List, api.Nodes, ""))
	for i := 0; i < 5000; i++ {
		if d := c.Admit(0, &Request{Class: cl, Work: c.EstimateGet()}); d.Outcome != Dispatched {
			t.Fatalf("exempt request %d: %v", i, d.Outcome)
		}
	}
}

func TestRetryAfterFollowsDrops(t *testing.T) {
	ra := newRetryAfter()
	at := func(d time.Duration) sim.Time { return sim.Time(d) }
	for i := 0; i < 3; i++ {
		ra.record(at(500 * ms)) // second 1
	}
	if ra.get() != time.Second {
		t.Fatalf("within the first second: %v", ra.get())
	}
	ra.record(at(1500 * ms)) // second 2: 3 drops in [1, 2) ≥ 3 × 1 → doubles
	if ra.get() != 2*time.Second {
		t.Fatalf("after 3 drops: %v, want 2s", ra.get())
	}
	ra.record(at(2500 * ms)) // second 3: 4 drops in [1, 3) < 6, ≥ 2: stays
	if ra.get() != 2*time.Second {
		t.Fatalf("after 4 drops over 2s: %v, want 2s", ra.get())
	}
	ra.record(at(10 * time.Second)) // second 11: none in [9, 11): shrinks by 1
	if ra.get() != time.Second {
		t.Fatalf("after a quiet spell: %v, want 1s", ra.get())
	}
	// Sustained dropping doubles up to 32s and no further.
	for s := 20; s < 200; s++ {
		for i := 0; i < 200; i++ {
			ra.record(at(time.Duration(s) * time.Second))
		}
	}
	if ra.get() != 32*time.Second {
		t.Fatalf("under sustained drops: %v, want 32s", ra.get())
	}
}

func TestConfigValidate(t *testing.T) {
	if cfg := DefaultConfig(); cfg.Validate() != nil {
		t.Fatalf("default config: %v", cfg.Validate())
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"zero server limit", func(c *Config) { c.ServerConcurrencyLimit = 0 }},
		{"server limit too large", func(c *Config) { c.ServerConcurrencyLimit = 20001 }},
		{"hand > queues", func(c *Config) { c.Levels[1].HandSize = 65 }},
		{"too much entropy", func(c *Config) { c.Levels[4].Queues, c.Levels[4].HandSize = 1<<20, 4 }},
		{"unknown level", func(c *Config) { c.Schemas[3].Level = "nope" }},
		{"no catch-all", func(c *Config) { c.Levels = c.Levels[:7] }},
		{"duplicate schema", func(c *Config) { c.Schemas[1].Name = c.Schemas[0].Name }},
		{"exempt not exempt", func(c *Config) { c.Levels[0].Type = Queuing }},
	} {
		name := tc.name
		cfg := DefaultConfig()
		tc.mutate(&cfg)
		if err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
	}
	if s := DefaultConfig(); !strings.Contains(s.String(), "level node-high: Queuing shares=40 lendable=25% queues=64 hand=6 qll=50") {
		t.Errorf("String() lacks node-high:\n%s", s.String())
	}
}

// TestReplayIsDeterministic runs a mixed random workload twice on fresh
// controllers and compares the transcripts; the invariants are checked
// after every step.
func TestReplayIsDeterministic(t *testing.T) {
	run := func(seed uint64) string {
		cfg := DefaultConfig()
		cfg.ServerConcurrencyLimit = 60 // small enough to queue and reject
		c := mustNew(t, cfg, nil)
		h := newHarness(t, c)
		rng := sim.NewRand(seed, "apf/replay")
		var arrivals []*job
		at := sim.Time(0)
		for i := 0; i < 3000; i++ {
			at = at.Add(time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond)))
			var d Descriptor
			var work func(LevelID) WorkEstimate
			switch k := rng.IntN(4); k {
			case 0:
				d = Describe(Kubelet(fmt.Sprintf("node-%d", rng.IntN(40))), api.Update, api.Leases, NamespaceNodeLease)
				work = func(LevelID) WorkEstimate { return c.EstimateGet() }
			case 1:
				d = Describe(KubeControllerManager(), api.List, api.Nodes, "")
				work = func(l LevelID) WorkEstimate { return c.EstimateList(l, ListShape{Stored: int64(rng.IntN(2000))}) }
			case 2:
				d = Describe(ServiceAccount("apps", fmt.Sprintf("sa-%d", rng.IntN(8))), api.Update, api.ConfigMaps, "apps")
				work = func(l LevelID) WorkEstimate { return c.EstimateMutating(l, rng.IntN(300)) }
			default:
				d = Describe(User(fmt.Sprintf("user-%d", rng.IntN(3))), api.Get, api.ConfigMaps, "apps")
				work = func(LevelID) WorkEstimate { return c.EstimateGet() }
			}
			j := &job{name: fmt.Sprint(i), at: at, service: time.Duration(1+rng.IntN(40)) * ms}
			j.req.Class = c.Classify(d)
			j.req.Work = work(j.req.Class.Level)
			arrivals = append(arrivals, j)
		}
		h.run(arrivals, sim.Time(time.Hour))
		for _, j := range arrivals {
			if j.req.State != StateDone && j.req.State != StateRejected {
				t.Fatalf("request %s left %s", j.name, j.req.State)
			}
		}
		return h.trace.String()
	}
	a, b := run(7), run(7)
	if a != b {
		t.Fatal("two runs with the same seed differ")
	}
	if !strings.Contains(a, "queue-full") && !strings.Contains(a, "time-out") {
		t.Error("the workload never rejected anything: it tests too little")
	}
	if run(8) == a {
		t.Error("a different seed gave the same transcript")
	}
}
