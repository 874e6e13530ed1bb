package sim

import (
	"slices"
	"strings"
	"time"
)

// Label is one key=value dimension of a series, as in Prometheus.
type Label struct{ Key, Value string }

// SeriesID identifies a series by name and labels.
type SeriesID struct {
	Name   string
	Labels []Label
}

// Key renders the id canonically: name{k="v",...} with labels in the order given.
func (s SeriesID) Key() string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('{')
	for i, l := range s.Labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Key)
		b.WriteString(`="`)
		b.WriteString(l.Value)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// Label returns the value of label key, or "".
func (s SeriesID) Label(key string) string {
	for _, l := range s.Labels {
		if l.Key == key {
			return l.Value
		}
	}
	return ""
}

func seriesID(name string, kv []string) SeriesID {
	if len(kv)%2 != 0 {
		panic("sim: labels must come in key, value pairs")
	}
	id := SeriesID{Name: name}
	for i := 0; i < len(kv); i += 2 {
		id.Labels = append(id.Labels, Label{kv[i], kv[i+1]})
	}
	return id
}

// Recorder collects what components report: latency samples, counters,
// gauges over time, resource utilization and a timeline of notable events.
// Components get their handles once, at build time, and record through them
// on the hot path without lookups.
type Recorder struct {
	bucket time.Duration

	latencies map[string]*LatencySeries
	counters  map[string]*Counter
	gauges    map[string]*Gauge
	resources map[string]*ResourceMeter

	timeline        []Note
	timelineLimit   int
	timelineDropped int
}

// NewRecorder returns a recorder whose gauges keep one point per bucket of
// virtual time.
func NewRecorder(bucket time.Duration) *Recorder {
	if bucket <= 0 {
		bucket = time.Second
	}
	return &Recorder{
		bucket:        bucket,
		latencies:     map[string]*LatencySeries{},
		counters:      map[string]*Counter{},
		gauges:        map[string]*Gauge{},
		resources:     map[string]*ResourceMeter{},
		timelineLimit: 2000,
	}
}

// Bucket is the width of a gauge point.
func (r *Recorder) Bucket() time.Duration { return r.bucket }

// SetTimelineLimit bounds the timeline; notes beyond it are counted, not kept.
func (r *Recorder) SetTimelineLimit(n int) { r.timelineLimit = n }

// LatencySeries holds every observed duration of one series. Samples live
// in fixed-size chunks, so a series of millions never copies itself to grow.
type LatencySeries struct {
	SeriesID
	chunks [][]int64
	count  int
}

const chunkSize = 1 << 14

// Latency returns the series name{labels...}, creating it on first use.
// Labels are alternating keys and values.
func (r *Recorder) Latency(name string, labels ...string) *LatencySeries {
	id := seriesID(name, labels)
	if s, ok := r.latencies[id.Key()]; ok {
		return s
	}
	s := &LatencySeries{SeriesID: id}
	r.latencies[id.Key()] = s
	return s
}

// Observe records one duration.
func (s *LatencySeries) Observe(d time.Duration) {
	n := len(s.chunks)
	if n == 0 || len(s.chunks[n-1]) == chunkSize {
		s.chunks = append(s.chunks, make([]int64, 0, chunkSize))
		n++
	}
	s.chunks[n-1] = append(s.chunks[n-1], int64(d))
	s.count++
}

// Count is the number of samples.
func (s *LatencySeries) Count() int { return s.count }

// Samples returns a copy of the samples in nanoseconds, in observation order.
func (s *LatencySeries) Samples() []int64 {
	out := make([]int64, 0, s.count)
	for _, c := range s.chunks {
		out = append(out, c...)
	}
	return out
}

// Counter is a monotonically increasing count.
type Counter struct {
	SeriesID
	Value int64
}

// Counter returns the counter name{labels...}, creating it on first use.
func (r *Recorder) Counter(name string, labels ...string) *Counter {
	id := seriesID(name, labels)
	if c, ok := r.counters[id.Key()]; ok {
		return c
	}
	c := &Counter{SeriesID: id}
	r.counters[id.Key()] = c
	return c
}

// FindCounter returns the counter name{labels...} if something made it, or
// nil: a lookup that, unlike Counter, adds nothing to the run's counters.
func (r *Recorder) FindCounter(name string, labels ...string) *Counter {
	return r.counters[seriesID(name, labels).Key()]
}

// Add adds n.
func (c *Counter) Add(n int64) { c.Value += n }

// Inc adds one.
func (c *Counter) Inc() { c.Value++ }

// GaugePoint summarizes a gauge over one bucket.
type GaugePoint struct {
	Last, Max float64
}

// Gauge is a value that moves over time, kept as one point per bucket.
type Gauge struct {
	SeriesID
	bucket    time.Duration
	bucketEnd Time // end of the last point's bucket
	points    []GaugePoint
	last      float64
	peak      float64
}

// Gauge returns the gauge name{labels...}, creating it on first use.
func (r *Recorder) Gauge(name string, labels ...string) *Gauge {
	id := seriesID(name, labels)
	if g, ok := r.gauges[id.Key()]; ok {
		return g
	}
	g := &Gauge{SeriesID: id, bucket: r.bucket}
	r.gauges[id.Key()] = g
	return g
}

// Set records value v at time now. Times must not go backwards.
func (g *Gauge) Set(now Time, v float64) {
	if now >= g.bucketEnd || len(g.points) == 0 { // a new bucket: rare
		b := int(int64(now) / int64(g.bucket))
		for len(g.points) <= b {
			g.points = append(g.points, GaugePoint{Last: g.last, Max: g.last})
		}
		g.bucketEnd = Time(int64(b+1) * int64(g.bucket))
	}
	p := &g.points[len(g.points)-1]
	p.Last = v
	p.Max = max(p.Max, v)
	g.last = v
	g.peak = max(g.peak, v)
}

// Value is the current value.
func (g *Gauge) Value() float64 { return g.last }

// Peak is the highest value ever set.
func (g *Gauge) Peak() float64 { return g.peak }

// Points returns one point per bucket up to end (exclusive), carrying the
// last value forward through buckets with no change.
func (g *Gauge) Points(end Time) []GaugePoint {
	n := int((int64(end) + int64(g.bucket) - 1) / int64(g.bucket))
	out := make([]GaugePoint, n)
	copy(out, g.points)
	for i := len(g.points); i < n; i++ {
		out[i] = GaugePoint{Last: g.last, Max: g.last}
	}
	return out
}

// ResourceMeter accounts for a modeled resource with a fixed number of
// units (seats, workers, a disk): how many are busy over time, how many
// requests wait, and how long they wait.
type ResourceMeter struct {
	SeriesID
	Capacity int

	inUse, queued   int
	lastChange      Time
	busyIntegral    float64 // unit-nanoseconds
	queueIntegral   float64 // request-nanoseconds
	peakQueued      int
	wait            *LatencySeries
	inUseG, queuedG *Gauge
}

// Resource returns the meter name{labels...} with the given capacity,
// creating it on first use.
func (r *Recorder) Resource(name string, capacity int, labels ...string) *ResourceMeter {
	id := seriesID(name, labels)
	if m, ok := r.resources[id.Key()]; ok {
		return m
	}
	m := &ResourceMeter{
		SeriesID: id,
		Capacity: capacity,
		wait:     r.Latency(name+"_queue_wait_seconds", labels...),
		inUseG:   r.Gauge(name+"_in_use", labels...),
		queuedG:  r.Gauge(name+"_queue_length", labels...),
	}
	r.resources[id.Key()] = m
	return m
}

func (m *ResourceMeter) advance(now Time) {
	dt := float64(now - m.lastChange)
	m.busyIntegral += dt * float64(m.inUse)
	m.queueIntegral += dt * float64(m.queued)
	m.lastChange = now
}

// Acquire marks n more units busy at now.
func (m *ResourceMeter) Acquire(now Time, n int) {
	m.advance(now)
	m.inUse += n
	m.inUseG.Set(now, float64(m.inUse))
}

// Release marks n units free at now.
func (m *ResourceMeter) Release(now Time, n int) {
	m.advance(now)
	m.inUse -= n
	m.inUseG.Set(now, float64(m.inUse))
}

// Enqueue marks one more request waiting at now.
func (m *ResourceMeter) Enqueue(now Time) {
	m.advance(now)
	m.queued++
	m.peakQueued = max(m.peakQueued, m.queued)
	m.queuedG.Set(now, float64(m.queued))
}

// Dequeue marks one waiting request gone at now after waiting waited.
func (m *ResourceMeter) Dequeue(now Time, waited time.Duration) {
	m.advance(now)
	m.queued--
	m.queuedG.Set(now, float64(m.queued))
	m.wait.Observe(waited)
}

// InUse is the number of busy units.
func (m *ResourceMeter) InUse() int { return m.inUse }

// InUseGauge and QueueGauge are the meter's units in use and queue length
// over time.
func (m *ResourceMeter) InUseGauge() *Gauge { return m.inUseG }
func (m *ResourceMeter) QueueGauge() *Gauge { return m.queuedG }

// Queued is the number of waiting requests.
func (m *ResourceMeter) Queued() int { return m.queued }

// ResourceSummary is a meter's account over a run.
type ResourceSummary struct {
	Utilization     float64 // busy unit-time / (capacity × elapsed)
	MeanQueueLength float64
	PeakQueueLength int
	PeakInUse       float64
	Wait            *LatencySeries
}

// Summary accounts for the meter up to end.
func (m *ResourceMeter) Summary(end Time) ResourceSummary {
	m.advance(end)
	s := ResourceSummary{PeakQueueLength: m.peakQueued, PeakInUse: m.inUseG.Peak(), Wait: m.wait}
	if end > 0 && m.Capacity > 0 {
		s.Utilization = m.busyIntegral / (float64(end) * float64(m.Capacity))
		s.MeanQueueLength = m.queueIntegral / float64(end)
	}
	return s
}

// Note is one notable event for the timeline.
type Note struct {
	At        Time
	Component string
	Message   string
}

// Note adds a timeline entry.
func (r *Recorder) Note(at Time, component, message string) {
	if len(r.timeline) >= r.timelineLimit {
		r.timelineDropped++
		return
	}
	r.timeline = append(r.timeline, Note{At: at, Component: component, Message: message})
}

// Timeline returns the notes in time order (stable for equal times) and the
// number of notes dropped past the limit.
func (r *Recorder) Timeline() ([]Note, int) {
	out := slices.Clone(r.timeline)
	slices.SortStableFunc(out, func(a, b Note) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return out, r.timelineDropped
}

// The accessors below return series sorted by key, so map order never
// reaches a report.

// Latencies returns every latency series, sorted by key.
func (r *Recorder) Latencies() []*LatencySeries { return sortedValues(r.latencies) }

// Counters returns every counter, sorted by key.
func (r *Recorder) Counters() []*Counter { return sortedValues(r.counters) }

// Gauges returns every gauge, sorted by key.
func (r *Recorder) Gauges() []*Gauge { return sortedValues(r.gauges) }

// Resources returns every resource meter, sorted by key.
func (r *Recorder) Resources() []*ResourceMeter { return sortedValues(r.resources) }

func sortedValues[T any](m map[string]T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
