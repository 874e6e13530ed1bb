package sim

import (
	"math"
	"math/rand/v2"
)

// Rand is one component's random stream. Its state derives from the root
// seed and the component's stable name only, so streams are independent of
// how many other components exist or in which order they were built.
//
// The distributions are computed here from raw 64-bit draws (not with
// math/rand's helpers) so that their output is fixed by this code alone.
type Rand struct {
	name     string
	seed     uint64
	src      rand.PCG
	spare    float64 // Box–Muller's second normal
	hasSpare bool
}

// NewRand returns the stream for name under the root seed.
func NewRand(seed uint64, name string) *Rand {
	h := fnv1a(name)
	r := &Rand{name: name, seed: seed}
	r.src.Seed(splitmix(seed^h), splitmix(h+0x9e3779b97f4a7c15*(seed|1)))
	return r
}

// Fork returns the stream of a sub-component: name "parent/child".
func (r *Rand) Fork(child string) *Rand { return NewRand(r.seed, r.name+"/"+child) }

// Name is the stream's stable name.
func (r *Rand) Name() string { return r.name }

// Uint64 returns 64 uniformly random bits.
func (r *Rand) Uint64() uint64 { return r.src.Uint64() }

// Float64 returns a uniform number in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.src.Uint64()>>11) * (1.0 / (1 << 53)) }

// IntN returns a uniform integer in [0, n). n must be > 0.
func (r *Rand) IntN(n int) int {
	if n <= 0 {
		panic("sim: IntN of non-positive n")
	}
	// Lemire's nearly-divisionless method, with rejection for exact uniformity.
	bound := uint64(n)
	for {
		hi, lo := mul64(r.src.Uint64(), bound)
		if lo >= bound || lo >= (-bound)%bound {
			return int(hi)
		}
	}
}

// Bernoulli reports true with probability p.
func (r *Rand) Bernoulli(p float64) bool { return p > 0 && r.Float64() < p }

// ExpFloat64 returns an exponential draw with mean 1.
func (r *Rand) ExpFloat64() float64 { return -math.Log(1 - r.Float64()) }

// NormFloat64 returns a standard normal draw (Box–Muller; each pair of
// uniforms gives two normals, the second kept for the next call).
func (r *Rand) NormFloat64() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	u1 := 1 - r.Float64() // (0, 1]
	u2 := r.Float64()
	radius := math.Sqrt(-2 * math.Log(u1))
	sin, cos := math.Sincos(2 * math.Pi * u2)
	r.spare, r.hasSpare = radius*sin, true
	return radius * cos
}

func mul64(a, b uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1, w2 := t&mask32, t>>32
	w1 += a0 * b1
	return a1*b1 + w2 + w1>>32, a * b
}

func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
