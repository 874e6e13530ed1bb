package client

import (
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

func TestJitterStaysInRange(t *testing.T) {
	r := sim.NewRand(1, "jitter")
	for _, tc := range []struct {
		d      time.Duration
		f      float64
		hi     time.Duration // exclusive
		spread time.Duration // the draws must cover at least this much of the range
	}{
		{10 * time.Second, 0.04, 10400 * time.Millisecond, 300 * time.Millisecond},
		{800 * time.Millisecond, 1, 1600 * time.Millisecond, 600 * time.Millisecond},
		{time.Second, 0, 2 * time.Second, 750 * time.Millisecond},  // f <= 0 means 1
		{time.Second, -3, 2 * time.Second, 750 * time.Millisecond}, // f <= 0 means 1
		{30 * time.Second, 1, 60 * time.Second, 20 * time.Second},
	} {
		lo, hi := tc.hi, time.Duration(0)
		for range 2000 {
			got := Jitter(r, tc.d, tc.f)
			if got < tc.d || got >= tc.hi {
				t.Fatalf("Jitter(%v, %v) = %v, want in [%v, %v)", tc.d, tc.f, got, tc.d, tc.hi)
			}
			lo, hi = min(lo, got), max(hi, got)
		}
		if hi-lo < tc.spread {
			t.Errorf("Jitter(%v, %v): 2000 draws span only [%v, %v]", tc.d, tc.f, lo, hi)
		}
	}
}

func TestJitterIsAFunctionOfTheStream(t *testing.T) {
	a, b := sim.NewRand(7, "k"), sim.NewRand(7, "k")
	for range 100 {
		if x, y := Jitter(a, time.Second, 0.5), Jitter(b, time.Second, 0.5); x != y {
			t.Fatalf("same stream, different jitter: %v vs %v", x, y)
		}
	}
}

func TestReflectorBackoffParameters(t *testing.T) {
	b := ReflectorBackoff()
	if b.Initial != 800*time.Millisecond || b.Cap != 30*time.Second || b.Reset != 2*time.Minute || b.Factor != 2 || b.Jitter != 1 {
		t.Fatalf("ReflectorBackoff() = %+v", b)
	}
}

func TestBackoffDoublesToCap(t *testing.T) {
	b := ReflectorBackoff()
	r := sim.NewRand(3, "backoff")
	want := []time.Duration{
		800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond,
		12800 * time.Millisecond, 25600 * time.Millisecond, 30 * time.Second, 30 * time.Second, 30 * time.Second,
	}
	now := sim.Time(0)
	for i, base := range want {
		d := b.Next(now, r)
		if d < base || d >= 2*base {
			t.Fatalf("step %d: delay %v, want in [%v, %v)", i, d, base, 2*base)
		}
		now = now.Add(d) // steps follow each other: no reset
	}
}

func TestBackoffResetsAfterQuietPeriod(t *testing.T) {
	b := ReflectorBackoff()
	r := sim.NewRand(4, "backoff")
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	steps := []struct {
		at   sim.Time
		base time.Duration
	}{
		{0, ms(800)},
		{sim.Time(time.Second), ms(1600)},
		{sim.Time(2 * time.Second), ms(3200)},
		{sim.Time(3 * time.Second), ms(6400)},
		{sim.Time(3 * time.Second), ms(12800)},
		// Exactly Reset after the last step is not "more than" Reset.
		{sim.Time(3*time.Second + 2*time.Minute), ms(25600)},
		// More than Reset without a step: start over at 800ms.
		{sim.Time(3*time.Second + 4*time.Minute + 1), ms(800)},
		{sim.Time(4*time.Second + 4*time.Minute + 1), ms(1600)},
	}
	for i, s := range steps {
		d := b.Next(s.at, r)
		if d < s.base || d >= 2*s.base {
			t.Fatalf("step %d at %v: delay %v, want in [%v, %v)", i, s.at, d, s.base, 2*s.base)
		}
	}
}

func TestBackoffWithoutJitterIsExact(t *testing.T) {
	b := Backoff{Initial: time.Second, Cap: 4 * time.Second, Reset: time.Minute, Factor: 2}
	r := sim.NewRand(1, "backoff")
	var got []time.Duration
	for i := 0; i < 4; i++ {
		got = append(got, b.Next(0, r))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
}
