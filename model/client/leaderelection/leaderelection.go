package leaderelection

import (
	"errors"
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Defaults of the leader election every core component runs: leaseDuration
// 15s, renewDeadline 10s, retryPeriod 2s, resource lock "leases"
// (k8s.io/component-base/config/v1alpha1/defaults.go
// RecommendedDefaultLeaderElectionConfiguration; FIDELITY.md §10).
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
	// JitterFactor jitters the acquire loop's retry period: each wait is
	// retryPeriod × (1 + rand[0,1) × 1.2), 2–4.4s by default
	// (client-go tools/leaderelection/leaderelection.go JitterFactor).
	JitterFactor = 1.2
)

// NoHolder is Record.Holder of a lease nobody holds.
const NoHolder int32 = -1

// Record is the leader election record a Lease holds
// (resourcelock.LeaderElectionRecord): the Body of the Lease object, an
// immutable value like every Body.
type Record struct {
	Holder        int32
	LeaseDuration time.Duration
	AcquireTime   sim.Time
	RenewTime     sim.Time
	Transitions   int32
}

// Config is one candidate's leader election.
type Config struct {
	// Name labels the metrics (name=<Name>): the lock's name, such as
	// "kube-scheduler".
	Name string
	// Lease and Namespace locate the Lease object.
	Lease     int32
	Namespace api.NamespaceID
	// Identity is the candidate's holder identity (kube-scheduler's is its
	// hostname and a UUID); it must not be NoHolder.
	Identity int32
	// LeaseDuration, RenewDeadline, RetryPeriod: 0 takes the defaults.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// LeaseSize is the Lease's serialized size (0:
	// objects.DefaultLeaseSize; a cluster gives its objectSizes.lease).
	LeaseSize int32
	// OnStartedLeading runs when the candidate acquires the lease;
	// OnStoppedLeading when a leader fails to renew within RenewDeadline
	// (kube-scheduler and kube-controller-manager then exit); OnNewLeader
	// when the candidate observes a holder other than the last one it
	// reported (NoHolder included).
	OnStartedLeading func()
	OnStoppedLeading func()
	OnNewLeader      func(holder int32)
}

func (c *Config) setDefaults() error {
	if c.LeaseDuration == 0 {
		c.LeaseDuration = DefaultLeaseDuration
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline = DefaultRenewDeadline
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod = DefaultRetryPeriod
	}
	if c.LeaseSize == 0 {
		c.LeaseSize = objects.DefaultLeaseSize
	}
	// NewLeaderElector's checks.
	switch {
	case c.Identity == NoHolder:
		return errors.New("leaderelection: Lock identity is empty")
	case c.LeaseDuration <= c.RenewDeadline:
		return errors.New("leaderelection: leaseDuration must be greater than renewDeadline")
	case float64(c.RenewDeadline) <= JitterFactor*float64(c.RetryPeriod):
		return errors.New("leaderelection: renewDeadline must be greater than retryPeriod*JitterFactor")
	case c.RetryPeriod < 1:
		return errors.New("leaderelection: retryPeriod must be greater than zero")
	}
	return nil
}

type state uint8

const (
	stopped state = iota
	acquiring
	leading
	lost
)

// steps of one tryAcquireOrRenew.
type step uint8

const (
	stepNone step = iota
	stepFastUpdate
	stepGet
	stepCreate
	stepUpdate
)

const (
	kindTry int32 = api.KindPrivate + 90 + iota
	kindDeadline
)

// Elector is client-go's LeaderElector on a Lease lock, as a state
// machine on the engine: its Lease calls go through the owner's client
// (the owner passes responses on, and the Elector is their Responder), its
// loops run on its own timers.
type Elector struct {
	eng *sim.Engine
	c   *client.Client
	rng *sim.Rand
	cfg Config

	state state
	// observed is the last record seen (observedRecord), observedTime when
	// it last changed (setObservedRecord: the local clock, not the
	// record's renewTime — the lease expires leaseDuration after the
	// candidate last saw it change).
	observed     Record
	observedTime sim.Time
	reported     int32 // reportedLeader
	// leaseRV is the resource version of the Lease as last read or
	// written (the lock's cached lease): an update's precondition.
	leaseRV   int64
	haveLease bool

	// The try in flight: its step, start time and record.
	step    step
	tryNow  sim.Time
	tryID   uint64
	pending Record

	// tryTimer starts the next try; deadline ends a leader's renew round,
	// and is armed exactly while a round is on.
	tryTimer, deadline *sim.Timer

	rec                  *sim.Recorder
	leading              *sim.Gauge
	acquired, lostLeases *sim.Counter
	slowpath             *sim.Counter
}

// New returns a stopped elector.
func New(eng *sim.Engine, c *client.Client, rng *sim.Rand, rec *sim.Recorder, cfg Config) (*Elector, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	e := &Elector{eng: eng, c: c, rng: rng, cfg: cfg, reported: NoHolder, observed: Record{Holder: NoHolder}, rec: rec}
	e.tryTimer = eng.NewTimer(e, kindTry)
	e.deadline = eng.NewTimer(e, kindDeadline)
	e.leading = rec.Gauge("leader_election_master_status", "name", cfg.Name, "identity", fmt.Sprint(cfg.Identity))
	e.acquired = rec.Counter(AcquiredCounter, "name", cfg.Name)
	e.lostLeases = rec.Counter("leader_election_lost_total", "name", cfg.Name)
	e.slowpath = rec.Counter("leader_election_slowpath_total", "name", cfg.Name)
	return e, nil
}

// AcquiredCounter names the counter of acquisitions (name=<Name>): the
// leader changes of the lock, over every candidate.
const AcquiredCounter = "leader_election_acquired_total"

// Config returns the elector's configuration, defaults filled in.
func (e *Elector) Config() Config { return e.cfg }

// Run starts the acquire loop (LeaderElector.Run): try at once, then
// every RetryPeriod, jittered, until the lease is acquired.
func (e *Elector) Run() {
	e.state = acquiring
	e.try()
}

// Stop ends the elector as its process dies: no release, every call in
// flight is forgotten, and the observed record is lost with the process.
func (e *Elector) Stop() {
	wasLeading := e.state == leading
	e.state = stopped
	e.step = stepNone
	e.tryID++
	e.tryTimer.Stop()
	e.deadline.Stop()
	e.observed, e.observedTime, e.reported = Record{Holder: NoHolder}, 0, NoHolder
	e.haveLease = false
	if wasLeading {
		e.leading.Set(e.eng.Now(), 0)
	}
}

// IsLeader reports whether the last observed holder is this candidate.
func (e *Elector) IsLeader() bool { return e.observed.Holder == e.cfg.Identity }

// Leading reports whether the candidate is acting as the leader: it
// acquired the lease and has not failed to renew it.
func (e *Elector) Leading() bool { return e.state == leading }

// Leader is the last observed holder (GetLeader).
func (e *Elector) Leader() int32 { return e.observed.Holder }

// Observed is the last observed record and when it was observed.
func (e *Elector) Observed() (Record, sim.Time) { return e.observed, e.observedTime }

// isLeaseValid: the observed lease has not expired by the local clock.
func (e *Elector) isLeaseValid(now sim.Time) bool {
	return e.observedTime.Add(e.observed.LeaseDuration) > now
}

func (e *Elector) setObserved(r Record) {
	e.observed, e.observedTime = r, e.eng.Now()
}

// try starts a tryAcquireOrRenew.
func (e *Elector) try() {
	now := e.eng.Now()
	e.tryNow = now
	e.tryID++
	e.pending = Record{Holder: e.cfg.Identity, LeaseDuration: e.cfg.LeaseDuration, AcquireTime: now, RenewTime: now}
	// 1. The fast path: a leader whose lease is valid updates its cached
	// lease without reading it first.
	if e.IsLeader() && e.isLeaseValid(now) && e.haveLease {
		e.pending.AcquireTime, e.pending.Transitions = e.observed.AcquireTime, e.observed.Transitions
		e.send(stepFastUpdate, api.Update)
		return
	}
	e.get()
}

func (e *Elector) get() {
	e.send(stepGet, api.Get)
}

func (e *Elector) send(s step, verb api.Verb) {
	e.step = s
	req := e.c.NewRequest(verb, api.Leases, e.cfg.Lease)
	req.Namespace = e.cfg.Namespace
	if verb != api.Get {
		r := e.pending
		req.Object = api.Object{Resource: api.Leases, ID: e.cfg.Lease, Namespace: e.cfg.Namespace,
			Size: e.cfg.LeaseSize, RenewTime: r.RenewTime, Body: &r}
		if verb == api.Update {
			req.ResourceVersion = e.leaseRV
		}
	}
	e.c.Do(req, &responder{e: e, id: e.tryID})
}

// responder ties a response to the try that sent it.
type responder struct {
	e  *Elector
	id uint64
}

func (r *responder) OnResponse(req *api.Request) {
	e := r.e
	code, result := req.Code, req.Result
	e.c.Release(req)
	if r.id != e.tryID || e.step == stepNone {
		return // abandoned: the round's deadline passed, or the process stopped
	}
	e.onResponse(code, result)
}

func (e *Elector) onResponse(code api.Code, result api.Object) {
	switch e.step {
	case stepFastUpdate:
		if code.Success() {
			e.wrote(result)
			return
		}
		// "Failed to update lock optimistically, falling back to slow path".
		e.get()
	case stepGet:
		switch {
		case code == api.NotFound:
			e.send(stepCreate, api.Create)
		case !code.Success():
			e.done(false)
		default:
			e.leaseRV, e.haveLease = result.ResourceVersion, true
			old, _ := result.Body.(*Record)
			if old == nil {
				old = &Record{Holder: NoHolder}
			}
			if *old != e.observed {
				e.setObserved(*old)
			}
			if old.Holder != NoHolder && e.isLeaseValid(e.tryNow) && !e.IsLeader() {
				e.done(false) // "lock is held by ... and has not yet expired"
				return
			}
			if e.IsLeader() {
				e.pending.AcquireTime, e.pending.Transitions = old.AcquireTime, old.Transitions
				e.slowpath.Inc()
			} else {
				e.pending.Transitions = old.Transitions + 1
			}
			e.send(stepUpdate, api.Update)
		}
	case stepCreate, stepUpdate:
		if !code.Success() {
			e.done(false)
			return
		}
		e.wrote(result)
	}
}

// wrote records a successful create or update of the lease.
func (e *Elector) wrote(result api.Object) {
	e.leaseRV, e.haveLease = result.ResourceVersion, true
	e.setObserved(e.pending)
	e.done(true)
}

// done ends a try: the loop it belongs to goes on.
func (e *Elector) done(ok bool) {
	e.step = stepNone
	e.maybeReportTransition()
	now := e.eng.Now()
	switch e.state {
	case acquiring:
		if !ok {
			// wait.JitterUntil(..., RetryPeriod, JitterFactor, sliding):
			// the jittered wait starts when the try returns.
			d := e.cfg.RetryPeriod
			if e.c.Jittered() {
				d = client.Jitter(e.rng, d, JitterFactor)
			}
			e.tryTimer.Reset(d)
			return
		}
		e.state = leading
		e.acquired.Inc()
		e.leading.Set(now, 1)
		e.rec.Note(now, e.cfg.Name, fmt.Sprintf("%d acquired the lease", e.cfg.Identity))
		if e.cfg.OnStartedLeading != nil {
			e.cfg.OnStartedLeading()
		}
		if e.state == leading {
			e.startRound()
		}
	case leading:
		if ok {
			// wait.Until(..., RetryPeriod): the next round starts a
			// retry period after this one ended.
			e.deadline.Stop()
			e.tryTimer.Reset(e.cfg.RetryPeriod)
			return
		}
		// PollImmediateUntil: the next try on the poll timer, a retry
		// period after the last one began (at once if that has passed).
		e.tryTimer.ResetAt(max(now, e.tryNow.Add(e.cfg.RetryPeriod)))
	}
}

// startRound begins a renew round: try at once, and fail if no try has
// succeeded within RenewDeadline.
func (e *Elector) startRound() {
	e.deadline.Reset(e.cfg.RenewDeadline)
	e.try()
}

// Handle runs the elector's timers.
func (e *Elector) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindTry:
		switch e.state {
		case acquiring:
			e.try()
		case leading:
			if e.deadline.Active() {
				e.try() // a retry within the round
			} else {
				e.startRound()
			}
		}
	case kindDeadline:
		if e.state == leading {
			e.lose()
		}
	}
}

// lose ends the leadership: the renew round's deadline passed ("failed
// to renew lease"). The try in flight is cancelled with its context.
func (e *Elector) lose() {
	now := e.eng.Now()
	e.state = lost
	e.step = stepNone
	e.tryID++
	e.tryTimer.Stop()
	e.lostLeases.Inc()
	e.leading.Set(now, 0)
	e.rec.Note(now, e.cfg.Name, fmt.Sprintf("%d lost the lease", e.cfg.Identity))
	if e.cfg.OnStoppedLeading != nil {
		e.cfg.OnStoppedLeading()
	}
}

func (e *Elector) maybeReportTransition() {
	if e.observed.Holder == e.reported {
		return
	}
	e.reported = e.observed.Holder
	if e.cfg.OnNewLeader != nil {
		e.cfg.OnNewLeader(e.reported)
	}
}
