package workqueue

import (
	"github.com/orrery-sim/orrery/sim"
)

// metrics are client-go's workqueue metrics (util/workqueue/metrics.go,
// named as in k8s.io/component-base/metrics/prometheus/workqueue), updated
// at the same points. A nil *metrics records nothing.
type metrics[T comparable] struct {
	// depth is upstream's Inc/Dec gauge: +1 on every effective Add (even of
	// an item being processed, which is not queued yet), -1 on Get. It
	// therefore counts dirty items, not Len.
	depth  *sim.Gauge
	depthN int
	adds   *sim.Counter
	// retries counts AddAfter calls (and so AddRateLimited) on a queue that
	// is not shutting down, delay 0 included.
	retries *sim.Counter
	// queueDuration is the time from an item's first Add since its last Get
	// to the next Get; workDuration from Get to Done.
	queueDuration, workDuration *sim.LatencySeries

	// Looked up and deleted by item, never iterated.
	addTimes             map[T]sim.Time
	processingStartTimes map[T]sim.Time
}

func newMetrics[T comparable](cfg Config) *metrics[T] {
	if cfg.Name == "" || cfg.Recorder == nil {
		return nil
	}
	r, n := cfg.Recorder, cfg.Name
	return &metrics[T]{
		depth:                r.Gauge("workqueue_depth", "name", n),
		adds:                 r.Counter("workqueue_adds_total", "name", n),
		retries:              r.Counter("workqueue_retries_total", "name", n),
		queueDuration:        r.Latency("workqueue_queue_duration_seconds", "name", n),
		workDuration:         r.Latency("workqueue_work_duration_seconds", "name", n),
		addTimes:             map[T]sim.Time{},
		processingStartTimes: map[T]sim.Time{},
	}
}

func (m *metrics[T]) add(item T, now sim.Time) {
	if m == nil {
		return
	}
	m.adds.Inc()
	m.depthN++
	m.depth.Set(now, float64(m.depthN))
	if _, ok := m.addTimes[item]; !ok {
		m.addTimes[item] = now
	}
}

func (m *metrics[T]) get(item T, now sim.Time) {
	if m == nil {
		return
	}
	m.depthN--
	m.depth.Set(now, float64(m.depthN))
	m.processingStartTimes[item] = now
	if start, ok := m.addTimes[item]; ok {
		m.queueDuration.Observe(now.Sub(start))
		delete(m.addTimes, item)
	}
}

func (m *metrics[T]) done(item T, now sim.Time) {
	if m == nil {
		return
	}
	if start, ok := m.processingStartTimes[item]; ok {
		m.workDuration.Observe(now.Sub(start))
		delete(m.processingStartTimes, item)
	}
}

// discard forgets every item: the depth reads 0.
func (m *metrics[T]) discard(now sim.Time) {
	if m == nil {
		return
	}
	m.depthN = 0
	m.depth.Set(now, 0)
	clear(m.addTimes)
	clear(m.processingStartTimes)
}

func (m *metrics[T]) retry() {
	if m == nil {
		return
	}
	m.retries.Inc()
}
