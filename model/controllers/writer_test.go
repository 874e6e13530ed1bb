package controllers

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

func TestBackoffStepsAsWaitBackoff(t *testing.T) {
	r := sim.NewRand(1, "test")
	// DefaultRetry: 5 steps of 10ms, jittered into [10ms, 11ms).
	b := DefaultRetry()
	for i := range 5 {
		if d := b.Step(r); d < 10*ms || d >= 11*ms {
			t.Fatalf("DefaultRetry step %d: %v", i, d)
		}
	}
	if b.Steps != 0 || b.Duration != 10*ms {
		t.Fatalf("after 5 steps: %+v", b)
	}
	// DefaultBackoff: ×5 each step.
	b = DefaultBackoff()
	for i, base := range []time.Duration{10 * ms, 50 * ms, 250 * ms, 1250 * ms} {
		if d := b.Step(r); d < base || d >= base+base/10 {
			t.Fatalf("DefaultBackoff step %d: %v, want [%v, %v)", i, d, base, base+base/10)
		}
	}
	// The cap ends the steps; then Step keeps returning the capped duration.
	b = Backoff{Duration: time.Second, Factor: 2, Steps: 10, Cap: 3 * time.Second}
	var got []time.Duration
	for range 4 {
		got = append(got, b.Step(r))
	}
	if fmt.Sprint(got) != "[1s 2s 3s 3s]" || b.Steps != 0 {
		t.Fatalf("capped steps %v, backoff %+v", got, b)
	}
}

func newWriter(e *env, cfg WriterConfig) *Writer {
	return NewWriter(e.Eng, e.Net, e.Rec, e.Shared, e.Srv.Endpoint(), cfg)
}

func TestTwoWritersConflictOncePerRound(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 0)
	cfg := WriterConfig{Object: 0, Increments: 10, Period: 100 * ms, Client: unthrottled, Trace: true}
	cfg.Name = "a"
	a := newWriter(e, cfg)
	cfg.Name = "b"
	b := newWriter(e, cfg)
	e.Run(t, 2*time.Second)
	// Each round both read the same resourceVersion; a's update reaches
	// storage first and commits alone, b's conflicts in the next batch, and
	// b's retry after one DefaultRetry step succeeds.
	if a.Increments() != 10 || a.Conflicts() != 0 || b.Increments() != 10 || b.Conflicts() != 10 || b.Retries() != 10 || b.GaveUp() != 0 {
		t.Fatalf("a: %d increments %d conflicts; b: %d increments %d conflicts %d retries %d gave up",
			a.Increments(), a.Conflicts(), b.Increments(), b.Conflicts(), b.Retries(), b.GaveUp())
	}
	if got := e.get(0).Size; got != 20 {
		t.Fatalf("counter %d, want 20", got)
	}
	for _, d := range b.Sleeps() {
		if d < 10*ms || d >= 11*ms {
			t.Fatalf("retry sleep %v outside DefaultRetry's [10ms, 11ms)", d)
		}
	}
	// An increment with a conflict: GET, UPDATE (conflict: it waits for a's
	// commit), sleep, GET, UPDATE.
	d := e.Rec.Latency("writer_increment_duration_seconds", "writer", "b").Samples()
	for i, x := range d {
		want := 2*getRTT + 2*writeRT + commit + b.Sleeps()[i]
		if time.Duration(x) != want {
			t.Fatalf("b's increment %d took %v, want %v", i, time.Duration(x), want)
		}
	}
	if d := e.Rec.Latency("writer_increment_duration_seconds", "writer", "a").Samples(); time.Duration(d[0]) != getRTT+writeRT {
		t.Fatalf("a's increment took %v", time.Duration(d[0]))
	}
	if n := e.Rec.Counter("apiserver_request_total", "verb", "update", "resource", "configmaps", "scope", "resource", "code", "409").Value; n != 10 {
		t.Fatalf("409s at the API server: %d", n)
	}
}

func TestWriterGivesUpAfterFiveConflicts(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 0)
	// Another client rewrites the object every millisecond (no
	// precondition): every read is stale by the time its update commits.
	for k := range 2000 {
		e.Write(time.Duration(k)*ms, api.Update, 0, 1000000)
	}
	w := newWriter(e, WriterConfig{Name: "w", Object: 0, Increments: 3, Client: unthrottled, Trace: true})
	e.Run(t, 3*time.Second)
	if w.Increments() != 0 || w.Conflicts() != 15 || w.Retries() != 12 || w.GaveUp() != 3 || !w.Done() || len(w.Sleeps()) != 12 {
		t.Fatalf("%d increments %d conflicts %d retries %d gave up, done %v, sleeps %v",
			w.Increments(), w.Conflicts(), w.Retries(), w.GaveUp(), w.Done(), w.Sleeps())
	}
}

// Without jitter (Client.NoJitter), RetryOnConflict sleeps exactly
// DefaultRetry's 10ms, where with it each sleep is in [10ms, 11ms).
func TestWriterRetriesWithoutJitter(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 0)
	for k := range 2000 {
		e.Write(time.Duration(k)*ms, api.Update, 0, 1000000)
	}
	noJitter := unthrottled
	noJitter.NoJitter = true
	w := newWriter(e, WriterConfig{Name: "w", Object: 0, Increments: 3, Client: noJitter, Trace: true})
	e.Run(t, 3*time.Second)
	if len(w.Sleeps()) != 12 {
		t.Fatalf("sleeps %v, want 12", w.Sleeps())
	}
	for _, d := range w.Sleeps() {
		if d != 10*ms {
			t.Fatalf("retry sleep %v without jitter, want exactly 10ms", d)
		}
	}
}

// hammer runs writers back to back on one counter and checks that every
// reported increment is in it exactly once.
func hammer(t *testing.T, seed uint64, fromCache bool) string {
	e := newEnv(seed)
	e.seed(0, 500)
	var ws []*Writer
	for i := range 3 {
		ws = append(ws, newWriter(e, WriterConfig{Name: fmt.Sprintf("w%d", i), Object: 0, Increments: 40, FromCache: fromCache,
			Start: at(time.Duration(i) * 3 * ms)}))
	}
	e.Run(t, 10*time.Minute)
	var inc, conflicts, gaveUp int64
	for _, w := range ws {
		if !w.Done() || w.Ambiguous() != 0 {
			t.Fatalf("%s: done %v, ambiguous %d", w.cfg.Name, w.Done(), w.Ambiguous())
		}
		inc += w.Increments()
		conflicts += w.Conflicts()
		gaveUp += w.GaveUp()
		if w.Increments()+w.GaveUp() != 40 {
			t.Fatalf("%s: %d increments + %d given up != 40", w.cfg.Name, w.Increments(), w.GaveUp())
		}
	}
	if got := int64(e.get(0).Size); got != 500+inc {
		t.Fatalf("seed %d fromCache %v: counter %d, want 500 + %d increments", seed, fromCache, got, inc)
	}
	if conflicts == 0 {
		t.Fatalf("seed %d fromCache %v: back-to-back writers never conflicted", seed, fromCache)
	}
	if c := e.Rec.Counter("storage_conflicts_total").Value; c != conflicts {
		t.Fatalf("storage saw %d conflicts, writers %d", c, conflicts)
	}
	return fmt.Sprint(inc, conflicts, gaveUp, e.Eng.Now())
}

func TestConcurrentWritersCountEveryIncrementOnce(t *testing.T) {
	for _, fromCache := range []bool{false, true} {
		a, b := hammer(t, 9, fromCache), hammer(t, 9, fromCache)
		if a != b {
			t.Fatalf("fromCache %v: two runs with seed 9 differ: %s / %s", fromCache, a, b)
		}
		t.Logf("fromCache %v: increments, conflicts, gave up: %s", fromCache, a)
	}
}

func TestWriterPeriodSkipsBusyTicksAndStopsAtEnd(t *testing.T) {
	e := newEnv(1)
	e.seed(0, 0)
	// An increment takes 13ms (GET, UPDATE): every other 10ms tick finds
	// the last one still running.
	w := newWriter(e, WriterConfig{Name: "w", Object: 0, Period: 10 * ms, End: at(100 * ms), Client: unthrottled})
	e.Run(t, time.Second)
	skipped := e.Rec.Counter("writer_ticks_skipped_total", "writer", "w").Value
	if w.Increments() != 5 || skipped != 5 || e.get(0).Size != 5 {
		t.Fatalf("%d increments, %d ticks skipped, counter %d: want 5, 5, 5", w.Increments(), skipped, e.get(0).Size)
	}
}
