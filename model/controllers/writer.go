package controllers

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// Backoff is k8s.io/apimachinery/pkg/util/wait.Backoff: Duration, scaled
// by Factor after each step (capped at Cap, which also ends the steps),
// jittered by up to Jitter×, for at most Steps steps.
type Backoff struct {
	Duration time.Duration
	Factor   float64
	Jitter   float64
	Steps    int
	Cap      time.Duration
}

// DefaultRetry is retry.DefaultRetry, "the recommended retry for a
// conflict where multiple clients are making changes to the same resource"
// (k8s.io/client-go/util/retry/util.go: Steps 5, Duration 10ms, Factor 1.0,
// Jitter 0.1).
func DefaultRetry() Backoff {
	return Backoff{Steps: 5, Duration: 10 * time.Millisecond, Factor: 1.0, Jitter: 0.1}
}

// DefaultBackoff is retry.DefaultBackoff, for "a client [that] may be
// attempting to make an unrelated modification to a resource under active
// management by one or more controllers" (util.go: Steps 4, Duration 10ms,
// Factor 5.0, Jitter 0.1).
func DefaultBackoff() Backoff {
	return Backoff{Steps: 4, Duration: 10 * time.Millisecond, Factor: 5.0, Jitter: 0.1}
}

// Step returns the next sleep and advances the backoff, as wait.Backoff.Step:
// once Steps is used up it returns Duration (jittered) without change.
func (b *Backoff) Step(r *sim.Rand) time.Duration {
	if b.Steps < 1 {
		if b.Jitter > 0 {
			return client.Jitter(r, b.Duration, b.Jitter)
		}
		return b.Duration
	}
	b.Steps--
	d := b.Duration
	if b.Factor != 0 {
		b.Duration = time.Duration(float64(b.Duration) * b.Factor)
		if b.Cap > 0 && b.Duration > b.Cap {
			b.Duration = b.Cap
			b.Steps = 0
		}
	}
	if b.Jitter > 0 {
		d = client.Jitter(r, d, b.Jitter)
	}
	return d
}

// defaultWriterClient is client-go's default rest.Config rate limit
// (k8s.io/client-go/rest/config.go: DefaultQPS 5, DefaultBurst 10).
var defaultWriterClient = client.Config{QPS: 5, Burst: 10}

// WriterConfig is one read-modify-write client.
type WriterConfig struct {
	// Name is the writer's metrics' writer label; its endpoint is
	// "writer/<Name>".
	Name string
	// Object is the ConfigMap whose Size is the counter; it must exist.
	Object int32
	// Increments is how many increments to make (0: no limit).
	Increments int
	// Period starts an increment every Period (a tick that finds the last
	// one still running is skipped); 0: each starts when the last ends.
	Period     time.Duration
	Start, End sim.Time // End 0: no end
	// FromCache reads with resourceVersion="0" (the API server's cache)
	// instead of a quorum read from storage.
	FromCache bool
	// Retry is RetryOnConflict's backoff (zero: DefaultRetry; its Jitter
	// is dropped when Client.NoJitter is set).
	Retry Backoff
	// Client is the writer's client (QPS 0: QPS 5, burst 10).
	Client client.Config
	// Trace keeps every retry sleep for Sleeps.
	Trace bool
}

const (
	kindTick int32 = api.KindPrivate + 80 + iota
	kindRetry
)

// Writer increments a counter in one ConfigMap with GET, modify, UPDATE
// under retry.RetryOnConflict.
type Writer struct {
	eng  *sim.Engine
	rng  *sim.Rand
	cfg  WriterConfig
	c    *client.Client
	self sim.EndpointID

	started  int // increments begun
	inFlight bool
	backoff  Backoff // this increment's copy of cfg.Retry
	begun    sim.Time
	retry    *sim.Timer
	sleeps   []time.Duration

	increments, conflicts, retries, gaveUp, errors, ambiguous, skipped *sim.Counter
	duration                                                           *sim.LatencySeries
}

// NewWriter registers a writer on the network as "writer/<cfg.Name>", sending to
// server; its first increment starts at cfg.Start.
func NewWriter(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg WriterConfig) *Writer {
	if cfg.Retry == (Backoff{}) {
		cfg.Retry = DefaultRetry()
	}
	if cfg.Retry.Steps < 1 {
		// Upstream's ExponentialBackoff would make no attempt at all and
		// RetryOnConflict would report success: never what a scenario means.
		panic("controllers: writer " + cfg.Name + ": Retry.Steps must be at least 1")
	}
	if cfg.Client.QPS == 0 {
		cfg.Client.QPS, cfg.Client.Burst = defaultWriterClient.QPS, defaultWriterClient.Burst
	}
	if cfg.Client.NoJitter {
		// Comparison runs without jitter: RetryOnConflict's sleeps are
		// exactly Duration × Factor^n.
		cfg.Retry.Jitter = 0
	}
	w := &Writer{eng: eng, cfg: cfg, rng: eng.Rand("writer/" + cfg.Name)}
	w.self = net.AddEndpoint("writer/"+cfg.Name, w)
	w.c = client.New(eng, net, sh, w.self, server, cfg.Client)
	w.retry = eng.NewTimer(w, kindRetry)
	l := []string{"writer", cfg.Name}
	w.increments = rec.Counter("writer_increments_total", l...)
	w.conflicts = rec.Counter("writer_conflicts_total", l...)
	w.retries = rec.Counter("writer_retries_total", l...)
	w.gaveUp = rec.Counter("writer_gave_up_total", l...)
	w.errors = rec.Counter("writer_errors_total", l...)
	w.ambiguous = rec.Counter("writer_ambiguous_total", l...)
	w.skipped = rec.Counter("writer_ticks_skipped_total", l...)
	w.duration = rec.Latency("writer_increment_duration_seconds", l...)
	eng.Schedule(sim.Event{At: cfg.Start, Target: w, Kind: kindTick, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	return w
}

// Endpoint is the writer's network endpoint.
func (w *Writer) Endpoint() sim.EndpointID { return w.self }

// Client is the writer's API client.
func (w *Writer) Client() *client.Client { return w.c }

// Increments is the number of increments applied.
func (w *Writer) Increments() int64 { return w.increments.Value }

// Conflicts is the number of updates answered 409.
func (w *Writer) Conflicts() int64 { return w.conflicts.Value }

// Retries is the number of attempts after a conflict.
func (w *Writer) Retries() int64 { return w.retries.Value }

// GaveUp is the number of increments abandoned after Steps conflicts.
func (w *Writer) GaveUp() int64 { return w.gaveUp.Value }

// Ambiguous is the number of updates whose outcome the writer cannot know.
func (w *Writer) Ambiguous() int64 { return w.ambiguous.Value }

// Sleeps returns every retry sleep so far (with Trace set).
func (w *Writer) Sleeps() []time.Duration { return w.sleeps }

// Done reports whether the writer has made all its increments.
func (w *Writer) Done() bool {
	return w.cfg.Increments > 0 && w.started >= w.cfg.Increments && !w.inFlight
}

func (w *Writer) ended() bool {
	return w.cfg.Increments > 0 && w.started >= w.cfg.Increments ||
		w.cfg.End > 0 && w.eng.Now() >= w.cfg.End
}

// Handle runs the writer's ticks and retry sleeps and takes responses.
func (w *Writer) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case kindTick:
		if w.ended() {
			return
		}
		if w.cfg.Period > 0 {
			w.eng.After(w.cfg.Period, w, kindTick, 0)
		}
		if w.inFlight {
			w.skipped.Inc()
			return
		}
		w.begin()
	case kindRetry:
		w.retries.Inc()
		w.get()
	}
}

// begin starts one RetryOnConflict call.
func (w *Writer) begin() {
	w.started++
	w.inFlight = true
	w.backoff = w.cfg.Retry
	w.begun = w.eng.Now()
	w.get()
}

func (w *Writer) get() {
	req := w.c.NewRequest(api.Get, api.ConfigMaps, w.cfg.Object)
	req.FromCache = w.cfg.FromCache
	w.c.Do(req, w)
}

// OnResponse continues the increment after its GET or its UPDATE.
func (w *Writer) OnResponse(req *api.Request) {
	verb, code, cur := req.Verb, req.Code, req.Result
	w.c.Release(req)
	switch {
	case verb == api.Get && code.Success():
		up := w.c.NewRequest(api.Update, api.ConfigMaps, w.cfg.Object)
		up.ResourceVersion = cur.ResourceVersion
		up.Object = cur
		up.Object.Size++
		w.c.Do(up, w)
	case verb == api.Update && code.Success():
		w.increments.Inc()
		w.end()
	case verb == api.Update && code == api.Conflict:
		w.conflicts.Inc()
		if w.backoff.Steps == 1 { // the last attempt: ExponentialBackoff gives up
			w.gaveUp.Inc()
			w.end()
			return
		}
		d := w.backoff.Step(w.rng)
		if w.cfg.Trace {
			w.sleeps = append(w.sleeps, d)
		}
		w.retry.Reset(d)
	default:
		// Not a conflict: RetryOnConflict returns the error at once. A
		// client-side outcome of an update (a timeout, a broken
		// connection) leaves it unknown whether the server applied it.
		if verb == api.Update && code < 0 {
			w.ambiguous.Inc()
		} else {
			w.errors.Inc()
		}
		w.end()
	}
}

// end finishes an increment; with no period the next one starts at once.
func (w *Writer) end() {
	w.inFlight = false
	w.duration.Observe(w.eng.Now().Sub(w.begun))
	if w.cfg.Period == 0 && !w.ended() {
		w.begin()
	}
}
