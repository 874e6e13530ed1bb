package leaderelection

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

const ms = time.Millisecond

// candidate is a process that only runs leader election.
type candidate struct {
	e                *Elector
	started, stopped []sim.Time
	leaders          []int32
}

type endpoint struct{}

func (endpoint) Handle(ev *sim.Event) {
	if ev.Kind == api.KindResponse {
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	}
}

func newCandidate(t *testing.T, r *apitest.Rig, id int32) (*candidate, sim.EndpointID) {
	self := r.Net.AddEndpoint(fmt.Sprintf("candidate/%d", id), endpoint{})
	c := client.New(r.Eng, r.Net, r.Shared, self, r.Srv.Endpoint(), client.Config{QPS: 50, Burst: 100, Timeout: DefaultRenewDeadline})
	cand := &candidate{}
	e, err := New(r.Eng, c, r.Eng.Rand(fmt.Sprint("candidate/", id)), r.Rec, Config{
		Name: "test", Lease: 7, Identity: id,
		OnStartedLeading: func() { cand.started = append(cand.started, r.Eng.Now()) },
		OnStoppedLeading: func() { cand.stopped = append(cand.stopped, r.Eng.Now()) },
		OnNewLeader:      func(h int32) { cand.leaders = append(cand.leaders, h) },
	})
	if err != nil {
		t.Fatal(err)
	}
	cand.e = e
	return cand, self
}

func rig(seed uint64) *apitest.Rig {
	return apitest.New(seed, apitest.Latencies{Network: ms, Service: ms, Commit: 2 * ms, Read: ms}, "writer")
}

func leaseWrites(r *apitest.Rig) int {
	n := 0
	for _, s := range r.Rec.Latencies() {
		if s.Key() == `rest_client_request_duration_seconds{verb="update",resource="leases"}` {
			n += s.Count()
		}
	}
	return n
}

// Two candidates start together: both find no Lease, both create it,
// storage lets one create win; the other sees it held and stays standby.
// The leader then renews every retry period (plus the request time), on
// the fast path: one PUT per renewal, no GET.
func TestOneLeaderAndRenewals(t *testing.T) {
	r := rig(1)
	a, _ := newCandidate(t, r, 0)
	b, _ := newCandidate(t, r, 1)
	a.e.Run()
	b.e.Run()
	r.Run(t, 10*time.Second)
	if a.e.Leading() == b.e.Leading() {
		t.Fatalf("leading: a %v, b %v", a.e.Leading(), b.e.Leading())
	}
	leader, standby := a, b
	if b.e.Leading() {
		leader, standby = b, a
	}
	if len(leader.started) != 1 || leader.started[0] > sim.Time(20*ms) {
		t.Fatalf("leader started %v", leader.started)
	}
	if standby.e.Leader() != leader.e.cfg.Identity || len(standby.leaders) != 1 || standby.leaders[0] != leader.e.cfg.Identity {
		t.Fatalf("standby sees %d, reported %v", standby.e.Leader(), standby.leaders)
	}
	rec, _ := leader.e.Observed()
	if rec.Transitions != 0 || rec.AcquireTime > leader.started[0] || rec.Holder != leader.e.cfg.Identity {
		t.Errorf("record %+v", rec)
	}
	// Renewals: rounds 2s apart plus a PUT's ~6ms: 4 in (10s, 18s].
	before := leaseWrites(r)
	r.Run(t, 18*time.Second)
	if got := leaseWrites(r) - before; got != 4 {
		t.Errorf("%d lease updates in 8s, want 4 (a renewal every ~2s)", got)
	}
	if c := r.Rec.FindCounter("leader_election_slowpath_total", "name", "test"); c.Value != 0 {
		t.Errorf("slow path taken %d times", c.Value)
	}
}

// A leader cut off from the API server keeps trying every retry period
// and gives up renewDeadline after its round began; the standby takes the
// lease once it has expired by its own clock.
func TestRenewDeadlineAndTakeover(t *testing.T) {
	r := rig(2)
	a, aEP := newCandidate(t, r, 0)
	b, _ := newCandidate(t, r, 1)
	a.e.Run()
	r.Run(t, time.Second) // a leads alone
	b.e.Run()
	r.Run(t, 10*time.Second)
	if !a.e.Leading() || b.e.Leading() {
		t.Fatal("a should lead")
	}
	cut := sim.Time(10 * time.Second)
	r.Net.Partition("cut", []sim.EndpointID{aEP}, []sim.EndpointID{r.Srv.Endpoint()})
	r.Run(t, 40*time.Second)
	if len(a.stopped) != 1 {
		t.Fatalf("a stopped %v", a.stopped)
	}
	// The round that fails began between a retry period (and a PUT)
	// before the cut and a retry period after it; the deadline falls 10s
	// after that round began.
	if d := a.stopped[0].Sub(cut); d < 8*time.Second || d > 12*time.Second+10*ms {
		t.Errorf("a gave up %v after the cut", d)
	}
	if a.e.Leading() || !b.e.Leading() || len(b.started) != 1 {
		t.Fatalf("b did not take over: started %v", b.started)
	}
	rec, _ := b.e.Observed()
	if rec.Transitions != 1 || rec.Holder != 1 {
		t.Errorf("record after takeover %+v", rec)
	}
	if d := b.started[0].Sub(cut); d < 13*time.Second || d > 24*time.Second {
		t.Errorf("b took over %v after the cut", d)
	}
	if c := r.Rec.FindCounter(AcquiredCounter, "name", "test"); c.Value != 2 {
		t.Errorf("acquisitions %d", c.Value)
	}
}

// The Lease is written at Config.LeaseSize, objects.DefaultLeaseSize
// when unset: its create and its renewals.
func TestLeaseSize(t *testing.T) {
	for _, size := range []int32{0, 1024} {
		r := rig(5)
		self := r.Net.AddEndpoint("candidate", endpoint{})
		c := client.New(r.Eng, r.Net, r.Shared, self, r.Srv.Endpoint(), client.Config{QPS: -1, Timeout: DefaultRenewDeadline})
		e, err := New(r.Eng, c, r.Eng.Rand("candidate"), r.Rec, Config{Name: "test", Lease: 7, Identity: 1, LeaseSize: size})
		if err != nil {
			t.Fatal(err)
		}
		e.Run()
		r.Run(t, 10*time.Second)
		want := size
		if want == 0 {
			want = objects.DefaultLeaseSize
		}
		lease, ok := r.St.Get(api.Leases, 7)
		writes := r.Rec.Counter("storage_writes_total").Value
		if !ok || lease.Size != want || writes < 4 || r.Rec.Counter("storage_write_bytes_total").Value != writes*int64(want) {
			t.Fatalf("size %d: lease %+v, %d writes of %d bytes", size, lease, writes, r.Rec.Counter("storage_write_bytes_total").Value)
		}
	}
}

// A configuration NewLeaderElector would refuse is refused.
func TestConfigChecks(t *testing.T) {
	r := rig(1)
	c := client.New(r.Eng, r.Net, r.Shared, r.Writer.Self, r.Srv.Endpoint(), client.Config{})
	for _, cfg := range []Config{
		{Identity: NoHolder},
		{LeaseDuration: 10 * time.Second, RenewDeadline: 10 * time.Second},
		{RenewDeadline: 2 * time.Second, RetryPeriod: 2 * time.Second},
	} {
		if _, err := New(r.Eng, c, r.Eng.Rand("x"), r.Rec, cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

// writeLease has the rig's writer overwrite the Lease with rec at d.
func writeLease(r *apitest.Rig, d time.Duration, rec func() Record) {
	r.At(d, func() {
		body := rec()
		req := r.Writer.C.NewRequest(api.Update, api.Leases, 7)
		req.Object = api.Object{Resource: api.Leases, ID: 7, Size: objects.DefaultLeaseSize, Body: &body}
		r.Writer.C.Do(req, r.Writer)
	})
}

// A write behind the leader's back changes the Lease's resource version:
// the leader's next fast-path PUT loses with 409, and it renews on the
// slow path (GET, then PUT) as the holder it still is, keeping its
// acquire time and transitions.
func TestFastPathConflictTakesSlowPath(t *testing.T) {
	r := rig(3)
	a, _ := newCandidate(t, r, 0)
	a.e.Run()
	r.Run(t, 5*time.Second)
	before, _ := a.e.Observed()
	writeLease(r, 5*time.Second, func() Record { rec, _ := a.e.Observed(); return rec })
	r.Run(t, 10*time.Second)
	if c := r.Rec.FindCounter("leader_election_slowpath_total", "name", "test"); c.Value != 1 {
		t.Fatalf("slow path taken %d times, want 1", c.Value)
	}
	rec, _ := a.e.Observed()
	if !a.e.Leading() || rec.Holder != 0 || rec.AcquireTime != before.AcquireTime || rec.Transitions != 0 || rec.RenewTime <= sim.Time(5*time.Second) {
		t.Fatalf("leading %v, record %+v (before %+v)", a.e.Leading(), rec, before)
	}
}

// Another holder's unexpired record, written over the leader's: the
// leader's renewals fail (409, then a GET that finds the lease held), it
// retries every retry period and gives up renewDeadline after the round
// began; it reports the new holder.
func TestLeaseTakenLosesAtRenewDeadline(t *testing.T) {
	r := rig(4)
	a, _ := newCandidate(t, r, 0)
	a.e.Run()
	r.Run(t, 5*time.Second)
	writeLease(r, 5*time.Second, func() Record {
		now := r.Eng.Now()
		return Record{Holder: 9, LeaseDuration: time.Minute, AcquireTime: now, RenewTime: now, Transitions: 1}
	})
	r.Run(t, 30*time.Second)
	if len(a.stopped) != 1 || a.e.Leading() {
		t.Fatalf("stopped %v, leading %v", a.stopped, a.e.Leading())
	}
	// The failing round began at the first renewal after 5s (before 7.1s)
	// and ends 10s later.
	if d := a.stopped[0]; d < sim.Time(15*time.Second) || d > sim.Time(17100*ms) {
		t.Errorf("gave up at %v", d)
	}
	if a.e.Leader() != 9 || a.leaders[len(a.leaders)-1] != 9 {
		t.Errorf("leader %d, reported %v", a.e.Leader(), a.leaders)
	}
}
