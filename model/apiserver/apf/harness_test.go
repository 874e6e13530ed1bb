package apf

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

const ms = time.Millisecond

// job is a test request: who sends it and how long it executes.
type job struct {
	name    string
	flow    string
	at      sim.Time
	service time.Duration
	req     Request
}

type running struct {
	end sim.Time
	seq int
	j   *job
}

// harness drives a controller the way the API server would: arrivals,
// executions that end after their service time, and wake-ups at
// NextWakeup. It checks the invariants after every step and keeps a
// transcript.
type harness struct {
	t       *testing.T
	c       *Controller
	now     sim.Time
	running []running
	seq     int
	started []*job // in dispatch order
	trace   strings.Builder
}

func newHarness(t *testing.T, c *Controller) *harness { return &harness{t: t, c: c} }

func (h *harness) logf(format string, a ...any) {
	fmt.Fprintf(&h.trace, "%v ", h.now)
	fmt.Fprintf(&h.trace, format, a...)
	h.trace.WriteByte('\n')
}

func (h *harness) check() {
	h.t.Helper()
	if err := h.c.CheckInvariants(); err != nil {
		h.t.Fatalf("at %v: %v", h.now, err)
	}
}

func (h *harness) onStarted(rs []*Request) {
	for _, r := range rs {
		j := r.Handle.(*job)
		h.started = append(h.started, j)
		h.seq++
		h.running = append(h.running, running{end: h.now.Add(j.service), seq: h.seq, j: j})
		h.logf("start %s seats=%d waited=%v", j.name, r.Work.MaxSeats(), h.now.Sub(r.Arrived))
	}
}

func (h *harness) admit(j *job) Decision {
	h.t.Helper()
	j.req.Handle = j
	d := h.c.Admit(h.now, &j.req)
	h.logf("admit %s → %s %s %v", j.name, d.Outcome, d.Reason, d.RetryAfter)
	h.onStarted(d.Started)
	h.check()
	return d
}

// run processes arrivals (sorted by time) and everything that follows,
// until nothing is left or until is reached.
func (h *harness) run(arrivals []*job, until sim.Time) {
	h.t.Helper()
	for {
		next, kind := sim.Time(-1), ""
		consider := func(t sim.Time, k string) {
			if next < 0 || t < next {
				next, kind = t, k
			}
		}
		ri := -1
		for i, r := range h.running {
			if ri < 0 || r.end < h.running[ri].end || r.end == h.running[ri].end && r.seq < h.running[ri].seq {
				ri = i
			}
		}
		if ri >= 0 {
			consider(h.running[ri].end, "end")
		}
		if w, ok := h.c.NextWakeup(); ok {
			consider(w, "wake")
		}
		if len(arrivals) > 0 {
			consider(arrivals[0].at, "arrive")
		}
		if next < 0 || next > until {
			return
		}
		h.now = next
		switch kind {
		case "end":
			r := h.running[ri]
			h.running = append(h.running[:ri], h.running[ri+1:]...)
			h.logf("finish %s", r.j.name)
			h.onStarted(h.c.Finish(h.now, &r.j.req))
		case "wake":
			expired, started := h.c.Advance(h.now)
			for _, r := range expired {
				h.logf("expire %s %s %v", r.Handle.(*job).name, r.Reason, r.RetryAfter)
			}
			h.onStarted(started)
		case "arrive":
			j := arrivals[0]
			arrivals = arrivals[1:]
			h.admit(j)
			continue
		}
		h.check()
	}
}

// testConfig is one queuing level "test" with limit seats (and the
// mandatory exempt and catch-all levels), its schema matching every
// service account ByUser.
func testConfig(limit, queues, handSize, qll int) Config {
	cfg := DefaultConfig()
	// nominal(test) = ceil(S × limit / (limit+1)) = limit for S = limit+1;
	// catch-all gets ceil(S / (limit+1)) = 1.
	cfg.ServerConcurrencyLimit = limit + 1
	cfg.Levels = []LevelConfig{
		{Name: "exempt", Type: Exempt},
		{Name: "test", Type: Queuing, NominalConcurrencyShares: limit, Queues: queues, HandSize: handSize, QueueLengthLimit: qll},
		{Name: "catch-all", Type: Reject, NominalConcurrencyShares: 1},
	}
	cfg.Schemas = []FlowSchema{
		{Name: "test", Level: "test", MatchingPrecedence: 100, Distinguisher: ByUser, Rules: allFor(groups(GroupServiceAccounts))},
		{Name: "catch-all", Level: "catch-all", MatchingPrecedence: 10000, Distinguisher: ByUser, Rules: allFor(groups(GroupAuthenticated, GroupUnauthenticated))},
	}
	return cfg
}

func mustNew(t *testing.T, cfg Config, rec *sim.Recorder) *Controller {
	t.Helper()
	c, err := New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// saJob is a one-seat request of service account "apps:<flow>".
func saJob(c *Controller, flow string, i int, at sim.Time, service time.Duration) *job {
	d := Descriptor{Identity: ServiceAccount("apps", flow), Verb: "get", APIGroup: GroupCore, Resource: "configmaps", Namespace: "apps"}
	j := &job{name: fmt.Sprintf("%s-%d", flow, i), flow: flow, at: at, service: service}
	j.req.Class = c.Classify(d)
	j.req.Work = c.EstimateGet()
	return j
}
