package watchcache

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// Dispatcher is one cacher's dispatch loop (cacher.go dispatchEvents /
// dispatchEvent) with its time budget. It keeps its scratch slices between
// calls, so dispatching allocates nothing once they have grown.
type Dispatcher struct {
	Budget     Budget
	blocked    []*Watcher
	terminated []*Watcher
}

// NewDispatcher returns a dispatcher created at now, with an empty budget
// (cacher.go NewCacherFromConfig: newTimeBudget()).
func NewDispatcher(now sim.Time, cfg Config) *Dispatcher {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &Dispatcher{Budget: NewBudget(now, cfg.BudgetRefreshPerSecond, cfg.BudgetMax)}
}

// Result is what one dispatch did.
type Result struct {
	// Done is when the dispatch loop is free for the next event: now +
	// Blocked. The loop is one goroutine per resource, so the driver
	// dispatches the next event of the resource no earlier than Done
	// (events queue in between, up to IncomingBuffer).
	Done sim.Time
	// Blocked is how long the loop waited on full watchers.
	Blocked time.Duration
	// Budget is the budget taken for the wait (0 if nobody was full; the
	// unused part went back).
	Budget time.Duration
	// Delivered counts watchers whose handler gets the event (those whose
	// relay drops it as not newer than their resource version excluded).
	Delivered int
	// Waited counts watchers that were full in the non-blocking pass.
	Waited int
	// Terminated counts watchers terminated as unresponsive (Terminated()).
	Terminated int
}

// Dispatch sends the event of resource version rv, at now, to ws in order
// (cacher.go dispatchEvent), calling deliver (if not nil) with each watcher
// that takes it and when its handler takes it. ws are the watchers the
// event is for, in upstream's order: those scoped to the object's name,
// then to its namespace, then the unscoped ones, then those of its
// trigger values, a pod's node (cacher.go startDispatching; upstream
// iterates maps there, so the order within each group is arbitrary, and
// any fixed order is one of upstream's). The driver leaves out those
// whose selector rejects the event (their relay drops it). Stopped
// watchers are skipped.
//
//  1. Every watcher gets a non-blocking add at now; the full ones are set
//     aside (blockedWatchers).
//  2. If any are, the loop takes the whole budget as one timer and offers
//     the event to each of them in turn, waiting for a free slot while the
//     timer runs; time spent on one is gone for the next. Once the timer
//     fires, every watcher still full (the one being waited on and every
//     later one that is full when reached) is terminated, "Forcing ...
//     watcher close due to unresponsiveness" (cache_watcher.go add). A slot
//     that frees exactly at the deadline is taken (upstream's select picks
//     at random). What was not used goes back to the budget.
//  3. Terminated watchers stop when the dispatch ends (finishDispatching).
//
// The driver checks Watcher.Delivers before handing an event over, as a
// terminated watcher drops what is past its result channel.
func (d *Dispatcher) Dispatch(now sim.Time, rv int64, ws []*Watcher, deliver func(w *Watcher, at sim.Time)) Result {
	d.blocked = d.blocked[:0]
	d.terminated = d.terminated[:0]
	res := Result{Done: now}
	for _, w := range ws {
		if w.stopped {
			continue
		}
		if w.Full(now) {
			d.blocked = append(d.blocked, w)
			continue
		}
		d.offer(w, now, rv, deliver, &res)
	}
	res.Waited = len(d.blocked)
	if len(d.blocked) == 0 {
		return res
	}
	timeout := d.Budget.Take(now)
	deadline := now.Add(timeout)
	cur := now
	fired := false
	for _, w := range d.blocked {
		if w.Full(cur) {
			if !fired {
				if u := w.slotFree(cur); u <= deadline {
					cur = u
				} else {
					cur, fired = deadline, true
				}
			}
			if fired {
				d.terminated = append(d.terminated, w)
				continue
			}
		}
		d.offer(w, cur, rv, deliver, &res)
	}
	for _, w := range d.terminated {
		w.terminate(cur)
	}
	res.Terminated = len(d.terminated)
	res.Budget = timeout
	res.Blocked = cur.Sub(now)
	res.Done = cur
	d.Budget.Return(timeout - res.Blocked)
	return res
}

func (d *Dispatcher) offer(w *Watcher, t sim.Time, rv int64, deliver func(*Watcher, sim.Time), res *Result) {
	if at, ok := w.accept(t, rv); ok {
		res.Delivered++
		if deliver != nil {
			deliver(w, at)
		}
	}
}

// Terminated lists the watchers the last Dispatch terminated, in order;
// valid until the next Dispatch.
func (d *Dispatcher) Terminated() []*Watcher { return d.terminated }

// DispatchBookmark sends a bookmark of resource version rv at now to ws
// (the watchers whose bookmark is due, BookmarkQueue.PopDue), with
// non-blocking adds only: a full watcher misses it and is not terminated,
// and no budget is used (cacher.go dispatchEvent, watch.Bookmark branch).
// It returns how many watchers take it; deliver is called as in Dispatch.
// Upstream sends none while the dispatch loop has not processed any event
// (lastProcessedResourceVersion == 0); the driver checks that.
func (d *Dispatcher) DispatchBookmark(now sim.Time, rv int64, ws []*Watcher, deliver func(w *Watcher, at sim.Time)) int {
	var res Result
	for _, w := range ws {
		if w.stopped || w.Full(now) {
			continue
		}
		d.offer(w, now, rv, deliver, &res)
	}
	return res.Delivered
}
