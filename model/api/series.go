package api

import "github.com/orrery-sim/orrery/sim"

// LatencyByRequest holds one latency series per (verb, resource) under one
// metric name, created on first use so that a report lists only the kinds
// of request that happened. Lookups on the hot path are array indexing.
type LatencyByRequest struct {
	rec    *sim.Recorder
	name   string
	series [NumResources][NumVerbs]*sim.LatencySeries
}

// NewLatencyByRequest returns the table for metric name.
func NewLatencyByRequest(rec *sim.Recorder, name string) *LatencyByRequest {
	return &LatencyByRequest{rec: rec, name: name}
}

// Get returns the series of (v, r).
func (t *LatencyByRequest) Get(v Verb, r Resource) *sim.LatencySeries {
	s := t.series[r][v]
	if s == nil {
		s = t.rec.Latency(t.name, "verb", v.String(), "resource", r.String())
		t.series[r][v] = s
	}
	return s
}
