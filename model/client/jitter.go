package client

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// Jitter returns d + rand[0,1)·f·d, as k8s.io/apimachinery/pkg/util/wait.Jitter
// does; f <= 0 means f = 1. The result lies in [d, d(1+f)).
func Jitter(r *sim.Rand, d time.Duration, f float64) time.Duration {
	if f <= 0 {
		f = 1
	}
	return d + time.Duration(r.Float64()*f*float64(d))
}

// Backoff is client-go's ExponentialBackoffManager as the reflector uses it
// (tools/cache/reflector.go: NewExponentialBackoffManager(800ms, 30s, 2m,
// 2.0, 1.0)): each step waits Jitter(current, jitter), then current doubles
// up to the cap; after reset without a step, it starts over.
type Backoff struct {
	Initial, Cap, Reset time.Duration
	Factor, Jitter      float64

	current  time.Duration
	lastStep sim.Time
	stepped  bool
}

// ReflectorBackoff returns the reflector's list/watch backoff: 800ms initial,
// 30s cap, reset after 2 minutes, factor 2, jitter 1.0
// (k8s.io/client-go/tools/cache/reflector.go).
func ReflectorBackoff() Backoff {
	return Backoff{Initial: 800 * time.Millisecond, Cap: 30 * time.Second, Reset: 2 * time.Minute, Factor: 2, Jitter: 1}
}

// Next returns the next delay at time now.
func (b *Backoff) Next(now sim.Time, r *sim.Rand) time.Duration {
	if !b.stepped || now.Sub(b.lastStep) > b.Reset {
		b.current = b.Initial
	}
	b.stepped, b.lastStep = true, now
	d := b.current
	if b.Jitter > 0 { // wait.Backoff.Step jitters only when Jitter > 0
		d = Jitter(r, d, b.Jitter)
	}
	b.current = min(time.Duration(float64(b.current)*b.Factor), b.Cap)
	return d
}
