package apf

import "time"

// WorkEstimate is how much of a level's capacity a request takes
// (request/width.go): InitialSeats while it executes, then FinalSeats for
// AdditionalLatency after it finishes (the watch notifications of a
// write). The request holds max(InitialSeats, FinalSeats) seats from
// dispatch until the end of the final phase.
type WorkEstimate struct {
	InitialSeats      int
	FinalSeats        int
	AdditionalLatency time.Duration
}

// MaxSeats is the number of seats the request occupies.
func (w WorkEstimate) MaxSeats() int { return max(w.InitialSeats, w.FinalSeats) }

// ListShape describes a LIST (or a WATCH) for the object-count estimator
// (request/list_work_estimator.go, the count-based estimator of 1.29–1.33;
// SizeBasedListCostEstimate, on from 1.34, is not modeled).
type ListShape struct {
	// Stored is the number of objects of the resource in storage (the
	// object count tracker's figure).
	Stored int64
	// Limit is the page size asked for; 0 for none.
	Limit int64
	// SingleName: a field selector on metadata.name; costs the minimum.
	SingleName bool
	// FromCache: served by the watch cache (resourceVersion "0", or a
	// consistent read when ConsistentListFromCache is on); processes every
	// stored object.
	FromCache bool
	// Selector: a label or field selector on a read from etcd; processes
	// Stored + limit objects (else 2 × limit).
	Selector bool
	// Watch: the request is a WATCH. Without SendInitialEvents it costs the
	// minimum; with it, it costs like a LIST from the cache.
	Watch             bool
	SendInitialEvents bool
}

// ListSeats is the object-count estimate of a LIST's seats, with the cap
// maxSeats: ceil(objects / ObjectsPerSeat), clamped to
// [MinimumSeats, maxSeats].
func (w *WorkConfig) ListSeats(s ListShape, maxSeats int) int {
	minSeats := w.MinimumSeats
	if s.SingleName || s.Watch && !s.SendInitialEvents {
		return minSeats
	}
	limit := s.Stored
	if s.Limit > 0 && s.Limit < s.Stored {
		limit = s.Limit
	}
	var objects int64
	switch {
	case s.Watch || s.FromCache:
		objects = s.Stored
	case s.Selector:
		objects = s.Stored + limit
	default:
		objects = 2 * limit
	}
	per := int64(w.ObjectsPerSeat)
	seats := (objects + per - 1) / per
	return int(max(int64(minSeats), min(seats, int64(maxSeats))))
}

// MutatingWork is mutating_work_estimator.go's estimate of a write that
// watchers watchers will be notified of: one seat while it executes; from
// WatchesPerSeat watchers on, ceil(watchers / WatchesPerSeat) final seats
// for EventAdditionalDuration — reshaped, if that exceeds maxSeats, into
// maxSeats seats for proportionally longer (the area, seat × time, is
// kept).
func (w *WorkConfig) MutatingWork(watchers, maxSeats int) WorkEstimate {
	if !w.MutatingEnabled {
		return WorkEstimate{InitialSeats: w.MinimumSeats}
	}
	// Upstream's estimate has InitialSeats 1 here, whatever MinimumSeats is.
	est := WorkEstimate{InitialSeats: 1}
	if watchers < w.WatchesPerSeat {
		return est
	}
	final := (watchers + w.WatchesPerSeat - 1) / w.WatchesPerSeat
	area := int64(final) * int64(w.EventAdditionalDuration) // seat-nanoseconds
	final = min(final, maxSeats)
	est.FinalSeats = final
	est.AdditionalLatency = time.Duration((area + int64(final)/2) / int64(final))
	return est
}

// EstimateList is the work of a LIST or WATCH classified into level.
func (c *Controller) EstimateList(level LevelID, s ListShape) WorkEstimate {
	return WorkEstimate{InitialSeats: c.cfg.Work.ListSeats(s, c.levels[level].maxSeats)}
}

// EstimateMutating is the work of a create, update, patch or delete
// classified into level, whose object has watchers watchers (the
// server's watch tracker count).
func (c *Controller) EstimateMutating(level LevelID, watchers int) WorkEstimate {
	return c.cfg.Work.MutatingWork(watchers, c.levels[level].maxSeats)
}

// EstimateGet is the work of a GET (and of anything else that is neither a
// LIST, a WATCH nor a write): the minimum.
func (c *Controller) EstimateGet() WorkEstimate {
	return WorkEstimate{InitialSeats: c.cfg.Work.MinimumSeats}
}
