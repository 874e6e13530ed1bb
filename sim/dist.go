package sim

import (
	"fmt"
	"math"
	"time"
)

// Dist is a distribution of durations.
type Dist interface {
	Sample(r *Rand) time.Duration
	String() string
}

// Constant always returns the same duration.
type Constant time.Duration

func (c Constant) Sample(*Rand) time.Duration { return time.Duration(c) }
func (c Constant) String() string             { return time.Duration(c).String() }

// Uniform is uniform on [Min, Max].
type Uniform struct{ Min, Max time.Duration }

func (u Uniform) Sample(r *Rand) time.Duration {
	if u.Max <= u.Min {
		return u.Min
	}
	return u.Min + time.Duration(r.Float64()*float64(u.Max-u.Min))
}
func (u Uniform) String() string { return fmt.Sprintf("uniform(%v, %v)", u.Min, u.Max) }

// Exponential has the given mean.
type Exponential struct{ Mean time.Duration }

func (e Exponential) Sample(r *Rand) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(e.Mean))
}
func (e Exponential) String() string { return fmt.Sprintf("exponential(mean %v)", e.Mean) }

// LogNormal is set by its median and 99th percentile, the two figures
// people quote for latencies.
type LogNormal struct {
	Median, P99 time.Duration
	mu, sigma   float64
}

// z99 is the standard normal 99th percentile.
const z99 = 2.3263478740408408

// NewLogNormal returns the log-normal distribution with the given median and p99.
func NewLogNormal(median, p99 time.Duration) LogNormal {
	l := LogNormal{Median: median, P99: p99, mu: math.Log(float64(median))}
	if p99 > median {
		l.sigma = math.Log(float64(p99)/float64(median)) / z99
	}
	return l
}

func (l LogNormal) Sample(r *Rand) time.Duration {
	return time.Duration(math.Exp(l.mu + l.sigma*r.NormFloat64()))
}
func (l LogNormal) String() string {
	return fmt.Sprintf("lognormal(median %v, p99 %v)", l.Median, l.P99)
}

// Normal is a normal distribution truncated at zero.
type Normal struct{ Mean, Stddev time.Duration }

func (n Normal) Sample(r *Rand) time.Duration {
	d := time.Duration(float64(n.Mean) + float64(n.Stddev)*r.NormFloat64())
	return max(d, 0)
}
func (n Normal) String() string { return fmt.Sprintf("normal(mean %v, stddev %v)", n.Mean, n.Stddev) }
