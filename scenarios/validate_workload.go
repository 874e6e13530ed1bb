package scenarios

import (
	"slices"
	"time"
)

// This file checks spec.workload's shared ConfigMaps, writers and
// controllers.

// Limits on writers and controllers (orrery limits: every controller runs
// an informer on all ConfigMaps, so each one adds a watcher to every write).
const (
	MaxConfigMaps        = 1000
	MaxWriters           = 100
	MaxControllers       = 100
	MaxControllerWorkers = 1000
)

// retries are the writers' RetryOnConflict backoffs.
var retries = []string{RetryDefault, RetryBackoff}

func (v *validator) sharedObjects(path string, w *Workload, sp *Spec) {
	v.configMaps(path+".configMaps", w.ConfigMaps)
	v.atMost(path+".writers", len(w.Writers), MaxWriters, "writers")
	first := map[string]int{}
	for i := range w.Writers {
		v.writer(itemPath(path+".writers", i), &w.Writers[i], w.ConfigMaps, sp)
		v.unique(first, path+".writers", i, "writer name", w.Writers[i].Name)
	}
	v.atMost(path+".controllers", len(w.Controllers), MaxControllers, "controllers")
	first = map[string]int{}
	for i := range w.Controllers {
		v.controller(itemPath(path+".controllers", i), &w.Controllers[i], w.ConfigMaps, sp)
		v.unique(first, path+".controllers", i, "controller name", w.Controllers[i].Name)
	}
}

func (v *validator) atMost(path string, n, limit int, what string) {
	if n > limit {
		v.fail(path, "%d %s, more than the maximum of %d", n, what, limit)
	}
}

func (v *validator) configMaps(path string, names []string) {
	v.atMost(path, len(names), MaxConfigMaps, "ConfigMaps")
	for i, name := range names {
		p := itemPath(path, i)
		v.dnsLabel(p, name)
		if j := slices.Index(names, name); j < i {
			v.fail(p, "duplicate ConfigMap name %q (also %s)", name, itemPath(path, j))
		}
	}
}

// configMapRef checks that name is one of the workload's ConfigMaps.
func (v *validator) configMapRef(path, name string, names []string) {
	switch {
	case slices.Contains(names, name):
	case name == "":
		v.fail(path, "must not be empty")
	case len(names) == 0:
		v.fail(path, "no ConfigMap named %q: declare it in spec.workload.configMaps", name)
	default:
		v.fail(path, "no ConfigMap named %q in spec.workload.configMaps%s", name, didYouMean(name, names))
	}
}

func (v *validator) writer(path string, w *Writer, names []string, sp *Spec) {
	v.dnsLabel(path+".name", w.Name)
	v.configMapRef(path+".object", w.Object, names)
	if w.Increments < 0 {
		v.fail(path+".increments", "must not be negative, got %d (0 means no limit)", w.Increments)
	}
	if v.nonNegative(path+".period", w.Period) && w.Period > MaxDuration {
		v.fail(path+".period", "must be at most %v, got %v", MaxDuration, w.Period)
	}
	v.window(path, w.Start, w.Duration, sp)
	if !slices.Contains(retries, w.Retry) {
		v.fail(path+".retry", "unknown retry %q%s; want %s (client-go's retry.DefaultRetry or retry.DefaultBackoff)", w.Retry, didYouMean(w.Retry, retries), quoteList(retries))
	}
	v.client(path+".client", &w.Client)
}

// window checks a start and a duration (0: to the end of the run).
func (v *validator) window(path string, start, d time.Duration, sp *Spec) {
	if v.nonNegative(path+".start", start) && start >= sp.Duration {
		v.fail(path+".start", "must be before the end of the run (spec.duration %v), got %v", sp.Duration, start)
	}
	if v.nonNegative(path+".duration", d) && d > MaxDuration {
		v.fail(path+".duration", "must be at most %v, got %v (0 means to the end of the run)", MaxDuration, d)
	}
}

func (v *validator) controller(path string, c *Controller, names []string, sp *Spec) {
	v.dnsLabel(path+".name", c.Name)
	if len(c.Objects) == 0 {
		v.fail(path+".objects", "must list at least one ConfigMap")
	}
	for i, name := range c.Objects {
		p := itemPath(path+".objects", i)
		if slices.Index(c.Objects, name) < i {
			v.fail(p, "ConfigMap %q is listed twice", name)
			continue
		}
		v.configMapRef(p, name, names)
	}
	switch {
	case c.Workers < 1:
		v.fail(path+".workers", "must be at least 1, got %d", c.Workers)
	case c.Workers > MaxControllerWorkers:
		v.fail(path+".workers", "must be at most %d, got %d", MaxControllerWorkers, c.Workers)
	}
	v.dist(path+".reconcileTime", c.ReconcileTime)
	if v.nonNegative(path+".failUntil", c.FailUntil) {
		switch {
		case c.FailUntil > 0 && c.FailForever:
			v.fail(path+".failUntil", "cannot be combined with failForever: give one of them")
		case c.FailUntil >= sp.Duration:
			v.fail(path+".failUntil", "must be before the end of the run (spec.duration %v), got %v (for reconciles that fail to the end, write failForever: true)", sp.Duration, c.FailUntil)
		}
	}
	if c.FailWrite && c.FailUntil == 0 && !c.FailForever {
		v.fail(path+".failWrite", "needs failUntil or failForever: only a failing reconcile sends the write that is answered 409")
	}
	if c.MaxRetries < 0 {
		v.fail(path+".maxRetries", "must not be negative, got %d (0 means retry forever)", c.MaxRetries)
	}
	v.client(path+".client", &c.Client)
}
