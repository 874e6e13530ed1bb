package sim

import (
	"math"
	"testing"
	"time"
)

func TestStreamsDependOnSeedAndNameOnly(t *testing.T) {
	a := NewRand(7, "kubelet/node-1")
	_ = NewRand(7, "something-else").Uint64() // another component drawing must not matter
	b := NewRand(7, "kubelet/node-1")
	for i := 0; i < 100; i++ {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed and name gave different streams")
		}
	}
	if NewRand(7, "x").Uint64() == NewRand(8, "x").Uint64() {
		t.Fatal("different seeds gave the same first draw")
	}
	if NewRand(7, "x").Uint64() == NewRand(7, "y").Uint64() {
		t.Fatal("different names gave the same first draw")
	}
	if NewRand(7, "p").Fork("c").Uint64() != NewRand(7, "p/c").Uint64() {
		t.Fatal("Fork(c) of p must equal the stream named p/c")
	}
}

// The first draws of a stream are part of the determinism contract: if this
// test fails, every golden report changes.
func TestStreamIsStableAcrossVersions(t *testing.T) {
	r := NewRand(1, "golden")
	got := []uint64{r.Uint64(), r.Uint64()}
	r2 := NewRand(1, "golden")
	if got[0] != r2.Uint64() || got[1] != r2.Uint64() {
		t.Fatal("not reproducible")
	}
	t.Logf("first draws %x %x", got[0], got[1])
}

func TestIntNAndFloat64Ranges(t *testing.T) {
	r := NewRand(3, "ranges")
	counts := make([]int, 7)
	for i := 0; i < 70000; i++ {
		counts[r.IntN(7)]++
		if f := r.Float64(); f < 0 || f >= 1 {
			t.Fatalf("Float64 out of range: %v", f)
		}
	}
	for i, c := range counts {
		if c < 9000 || c > 11000 {
			t.Fatalf("IntN(7) bucket %d has %d of 70000", i, c)
		}
	}
}

func TestLogNormalHitsItsMedianAndP99(t *testing.T) {
	d := NewLogNormal(2*time.Millisecond, 10*time.Millisecond)
	r := NewRand(1, "lognormal")
	const n = 200000
	below50, below99 := 0, 0
	for i := 0; i < n; i++ {
		s := d.Sample(r)
		if s <= 2*time.Millisecond {
			below50++
		}
		if s <= 10*time.Millisecond {
			below99++
		}
	}
	if f := float64(below50) / n; math.Abs(f-0.5) > 0.01 {
		t.Fatalf("P(x <= median) = %v", f)
	}
	if f := float64(below99) / n; math.Abs(f-0.99) > 0.002 {
		t.Fatalf("P(x <= p99) = %v", f)
	}
}

func TestUniformAndExponential(t *testing.T) {
	r := NewRand(1, "dists")
	u := Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}
	e := Exponential{Mean: time.Millisecond}
	var sum time.Duration
	for i := 0; i < 100000; i++ {
		s := u.Sample(r)
		if s < u.Min || s > u.Max {
			t.Fatalf("uniform sample %v outside [%v, %v]", s, u.Min, u.Max)
		}
		sum += e.Sample(r)
	}
	if mean := sum / 100000; mean < 980*time.Microsecond || mean > 1020*time.Microsecond {
		t.Fatalf("exponential mean %v, want about 1ms", mean)
	}
}
