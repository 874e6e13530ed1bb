package sim

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestGaugeKeepsLastAndMaxPerBucket(t *testing.T) {
	r := NewRecorder(10 * time.Second)
	g := r.Gauge("queue", "server", "a")
	g.Set(Time(1*time.Second), 5)
	g.Set(Time(2*time.Second), 9)
	g.Set(Time(3*time.Second), 4)
	g.Set(Time(25*time.Second), 1)
	pts := g.Points(Time(40 * time.Second))
	want := []GaugePoint{{Last: 4, Max: 9}, {Last: 4, Max: 4}, {Last: 1, Max: 4}, {Last: 1, Max: 1}}
	if !slices.Equal(pts, want) {
		t.Fatalf("points %v, want %v", pts, want)
	}
	if g.Peak() != 9 || g.Value() != 1 {
		t.Fatalf("peak %v value %v", g.Peak(), g.Value())
	}
	if r.Gauge("queue", "server", "a") != g {
		t.Fatal("same name and labels must return the same gauge")
	}
}

func TestResourceUtilizationAndQueue(t *testing.T) {
	r := NewRecorder(time.Second)
	m := r.Resource("seats", 2)
	m.Acquire(0, 1)                    // 1 of 2 busy for 10s
	m.Acquire(Time(10*time.Second), 1) // 2 of 2 busy for 10s
	m.Enqueue(Time(10 * time.Second))
	m.Dequeue(Time(15*time.Second), 5*time.Second)
	m.Release(Time(20*time.Second), 2)
	s := m.Summary(Time(40 * time.Second))
	if want := (10.0 + 20.0) / (2 * 40); math.Abs(s.Utilization-want) > 1e-12 {
		t.Fatalf("utilization %v, want %v", s.Utilization, want)
	}
	if want := 5.0 / 40; math.Abs(s.MeanQueueLength-want) > 1e-12 || s.PeakQueueLength != 1 {
		t.Fatalf("queue mean %v peak %d", s.MeanQueueLength, s.PeakQueueLength)
	}
	if s.Wait.Count() != 1 || s.Wait.Samples()[0] != int64(5*time.Second) {
		t.Fatalf("wait samples %v", s.Wait.Samples())
	}
}

func TestSeriesAreSortedByKeyAndTimelineByTime(t *testing.T) {
	r := NewRecorder(time.Second)
	r.Counter("b").Inc()
	r.Counter("a", "x", "2").Inc()
	r.Counter("a", "x", "1").Inc()
	var keys []string
	for _, c := range r.Counters() {
		keys = append(keys, c.Key())
	}
	if !slices.Equal(keys, []string{`a{x="1"}`, `a{x="2"}`, "b"}) {
		t.Fatalf("keys %v", keys)
	}
	r.Note(20, "x", "second")
	r.Note(10, "y", "first")
	r.Note(20, "z", "third")
	r.SetTimelineLimit(3)
	r.Note(30, "z", "dropped")
	tl, dropped := r.Timeline()
	if len(tl) != 3 || tl[0].Message != "first" || tl[1].Message != "second" || tl[2].Message != "third" || dropped != 1 {
		t.Fatalf("timeline %v dropped %d", tl, dropped)
	}
}

func TestFindCounterAddsNothing(t *testing.T) {
	r := NewRecorder(time.Second)
	if c := r.FindCounter("requests", "verb", "get"); c != nil || len(r.Counters()) != 0 {
		t.Fatalf("found %v, counters %d; want nil and none made", c, len(r.Counters()))
	}
	made := r.Counter("requests", "verb", "get")
	if c := r.FindCounter("requests", "verb", "get"); c != made {
		t.Fatalf("found %p, want the counter made %p", c, made)
	}
	if c := r.FindCounter("requests", "verb", "list"); c != nil || len(r.Counters()) != 1 {
		t.Fatalf("other labels: found %v, counters %d", c, len(r.Counters()))
	}
}
