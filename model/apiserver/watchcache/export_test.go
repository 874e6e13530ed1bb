package watchcache

import "github.com/orrery-sim/orrery/sim"

// Terminate exposes terminate to the external tests.
func (w *Watcher) Terminate(t sim.Time) { w.terminate(t) }
