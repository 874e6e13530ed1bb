package kubelet

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// writeLoad is one run's heartbeat writes, as storage committed them.
type writeLoad struct {
	leaseWrites, nodeWrites int64
	bytes                   int64
}

// expectedSends lists the send times of a loop whose first send is at
// first and whose next sync starts period after the last one's write
// answer (JitterUntil sliding, without jitter): sends whose commit,
// toStorage after the send, is at or before end.
func expectedSends(first sim.Time, period time.Duration, end sim.Time) []sim.Time {
	var out []sim.Time
	for t := first; t.Add(toStorage) <= end; t = t.Add(writeRTT + period) {
		out = append(out, t)
	}
	return out
}

// TestHeartbeatWriteLoadLeaseVsLegacy is the CONCEPTS row "Lease vs
// legacy NodeStatus write load" on two nodes for ten minutes, without
// jitter so that every write's time is exact. With Leases, each node
// renews its 300 B Lease every 10s and PATCHes its 15 kB Node once per 5
// minutes; in the legacy mode it writes no Lease and PATCHes the Node at
// every 10s status sync.
func TestHeartbeatWriteLoadLeaseVsLegacy(t *testing.T) {
	const nodes = 2
	end := 10 * time.Minute
	load := map[bool]writeLoad{}
	for _, legacy := range []bool{false, true} {
		cfg := defaultConfig()
		cfg.Jitter = false
		cfg.LegacyNodeStatus = legacy
		r := newRig(t, 21, nodes, cfg)
		// The kubelets' first sends, as StartRunning armed them: both
		// modes draw the same phases, so the status loops tick alike.
		var wantLease, wantNode [nodes][]sim.Time
		for i, k := range r.ks {
			first := k.statusTimer.When()
			if legacy {
				if k.renewTimer.Active() {
					t.Fatalf("legacy node %d: the Lease loop is armed", i)
				}
				wantNode[i] = expectedSends(first, 10*time.Second, at(end))
				continue
			}
			wantLease[i] = expectedSends(k.renewTimer.When(), 10*time.Second, at(end))
			// Ready stays True: a report only when 5m have passed since
			// the last one (before time 0), then every 5m.
			wantNode[i] = expectedSends(first, 5*time.Minute, at(end))
		}
		r.run(t, end)
		var got writeLoad
		for i := range int32(nodes) {
			for j, c := range r.obs.leases[i] {
				if j >= len(wantLease[i]) || c.obj.RenewTime != wantLease[i][j] || c.at != wantLease[i][j].Add(toStorage) {
					t.Fatalf("legacy=%v node %d: lease write %d %+v at %v, want sends %v", legacy, i, j, c.obj, c.at, wantLease[i])
				}
			}
			for j, c := range r.obs.nodes[i] {
				if j >= len(wantNode[i]) || c.obj.HeartbeatTime != wantNode[i][j] || c.at != wantNode[i][j].Add(toStorage) ||
					c.obj.Ready != api.ConditionTrue || c.obj.Size != 15000 {
					t.Fatalf("legacy=%v node %d: node write %d %+v at %v, want sends %v", legacy, i, j, c.obj, c.at, wantNode[i])
				}
			}
			if len(r.obs.leases[i]) != len(wantLease[i]) || len(r.obs.nodes[i]) != len(wantNode[i]) {
				t.Fatalf("legacy=%v node %d: %d lease and %d node writes, want %d and %d",
					legacy, i, len(r.obs.leases[i]), len(r.obs.nodes[i]), len(wantLease[i]), len(wantNode[i]))
			}
			got.leaseWrites += int64(len(wantLease[i]))
			got.nodeWrites += int64(len(wantNode[i]))
		}
		got.bytes = 300*got.leaseWrites + 15000*got.nodeWrites
		if w, b := r.rec.Counter("storage_writes_total").Value, r.rec.Counter("storage_write_bytes_total").Value; w != got.leaseWrites+got.nodeWrites || b != got.bytes {
			t.Fatalf("legacy=%v: storage counted %d writes, %d bytes; want %d, %d", legacy, w, b, got.leaseWrites+got.nodeWrites, got.bytes)
		}
		if legacy {
			for _, e := range r.tap.log {
				if e.res == api.Leases {
					t.Fatalf("legacy kubelet sent %v leases", e.verb)
				}
			}
		}
		load[legacy] = got
	}
	// Per node and minute: 60 renewals of 300 B plus two 15 kB reports
	// in 10 minutes, against 60 posts of 15 kB: 4.8 kB against 90 kB.
	perMin := func(n int64) float64 { return float64(n) / nodes / end.Minutes() }
	lease, legacy := load[false], load[true]
	if lease.leaseWrites != nodes*60 || lease.nodeWrites != nodes*2 || legacy.leaseWrites != 0 || legacy.nodeWrites != nodes*60 {
		t.Fatalf("writes: lease mode %+v, legacy %+v", lease, legacy)
	}
	if b := perMin(lease.bytes); b != 4800 {
		t.Errorf("lease mode: %v B/min per node, want 4800 (6 × 300 + 0.2 × 15000)", b)
	}
	if b := perMin(legacy.bytes); b != 90000 {
		t.Errorf("legacy mode: %v B/min per node, want 90000 (6 × 15000)", b)
	}
	if w := perMin(lease.leaseWrites + lease.nodeWrites); w != 6.2 {
		t.Errorf("lease mode: %v writes/min per node, want 6.2", w)
	}
}

// TestLegacyRestartRegistersAndPostsWithoutLease: a restarted kubelet in
// the legacy mode registers its node and posts its status, with no Lease
// request at all, then posts every 10s.
func TestLegacyRestartRegistersAndPostsWithoutLease(t *testing.T) {
	cfg := defaultConfig()
	cfg.Jitter = false
	cfg.LegacyNodeStatus = true
	r := newRig(t, 22, 1, cfg)
	k := r.ks[0]
	r.at(30*time.Second, k.Restart)
	r.run(t, 2*time.Minute)
	reg := 30*time.Second + registerFirstStep
	var after []tapEntry
	for _, e := range r.tap.after(30 * time.Second) {
		if e.res == api.Leases {
			t.Fatalf("lease request %+v", e)
		}
		if e.res == api.NodeStatus {
			after = append(after, e)
		}
	}
	// Registration (POST 409, GET), then the first post, then one every
	// 10s after the last one's answer.
	first := at(reg + writeRTT + readRTT + lat)
	if len(after) < 8 || after[0].at != first {
		t.Fatalf("status posts after the restart %+v, want the first at %v", after, first)
	}
	for i := 1; i < len(after); i++ {
		if d := after[i].at.Sub(after[i-1].at); d != 10*time.Second+writeRTT {
			t.Fatalf("post %d: %v after the previous one, want 10s + %v", i, d, writeRTT)
		}
	}
	if n := r.requests("create", "nodes", "409"); n != 1 {
		t.Fatalf("registrations %d", n)
	}
}

// TestStatusPatchKeepsTheNodeBody: the kubelet's status PATCH carries the
// Node as its informer has it, body included (allocatable, images: what
// the scheduler reads), and only changes Ready and the heartbeat.
func TestStatusPatchKeepsTheNodeBody(t *testing.T) {
	cfg := defaultConfig()
	cfg.LegacyNodeStatus = true
	body := &objects.Node{ID: 0, Allocatable: objects.Resources{MilliCPU: 4000, Memory: 1 << 30}, Images: []objects.NodeImage{{Name: imgA, Size: 1}}}
	r := newRigNodes(t, 23, 1, cfg, func(int32) *objects.Node { return body })
	r.run(t, time.Minute)
	c := r.obs.nodes[0]
	if len(c) < 5 {
		t.Fatalf("%d status posts in a minute", len(c))
	}
	for i, x := range c {
		if x.obj.Body != body {
			t.Fatalf("post %d: body %+v, want the Node's", i, x.obj.Body)
		}
	}
}

// TestObjectSizesDefault: a Config without sizes writes its Lease at
// objects.DefaultLeaseSize and its Node at objects.DefaultSizes.Node.
func TestObjectSizesDefault(t *testing.T) {
	cfg := defaultConfig()
	cfg.LeaseSize, cfg.NodeSize = 0, 0
	cfg.NodeStatusReportFrequency = 10 * time.Second
	r := newRig(t, 24, 1, cfg)
	r.run(t, 30*time.Second)
	l, n := r.obs.leases[0], r.obs.nodes[0]
	if len(l) == 0 || len(n) == 0 || l[0].obj.Size != objects.DefaultLeaseSize || n[0].obj.Size != objects.DefaultSizes.Node {
		t.Fatalf("lease writes %+v, node writes %+v", l, n)
	}
}
