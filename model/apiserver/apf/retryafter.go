package apf

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// maxRetryAfter bounds the Retry-After a level hands out, in seconds
// (dropped_requests_tracker.go: maxRetryAfter = 32).
const maxRetryAfter = 32

// droppedStat is the number of requests a level dropped in one second.
type droppedStat struct {
	second, dropped int64
}

// retryAfter is one level's dropped-requests tracker
// (k8s.io/apiserver/pkg/util/flowcontrol/dropped_requests_tracker.go):
// Retry-After starts at 1s; when a new second starts it doubles (at most
// to 32s, and at most once per current Retry-After period) if the level
// dropped at least 3 × RetryAfter requests in the last RetryAfter seconds,
// and shrinks by 1s if it dropped fewer than RetryAfter — TCP-like. Every
// 429 of the level (queue full, concurrency limit, wait timed out) counts.
//
// Seconds are whole seconds of virtual time plus one, so that second 1 is
// the first of the run and 0 keeps upstream's meaning "never".
type retryAfter struct {
	history      []droppedStat // completed seconds, oldest first, within maxRetryAfter of the latest
	current      int64         // the second being counted
	currentCount int64
	value        int64 // the current Retry-After, seconds
	raisedAt     int64 // the second it last doubled
}

func newRetryAfter() retryAfter { return retryAfter{value: 1} }

func unixSecond(now sim.Time) int64 { return int64(now/sim.Time(time.Second)) + 1 }

// record counts one dropped request at now.
func (t *retryAfter) record(now sim.Time) {
	sec := unixSecond(now)
	if sec == t.current {
		t.currentCount++
		return
	}
	t.pushHistory(t.current, t.currentCount)
	t.current, t.currentCount = sec, 1
	t.update(sec)
}

func (t *retryAfter) pushHistory(sec, count int64) {
	t.history = append(t.history, droppedStat{sec, count})
	drop := 0
	for drop < len(t.history) && sec-t.history[drop].second > maxRetryAfter {
		drop++
	}
	if drop > 0 {
		t.history = append(t.history[:0], t.history[drop:]...)
	}
}

// update looks at the drops of [sec-value, sec) and moves value.
func (t *retryAfter) update(sec int64) {
	var dropped int64
	for i := len(t.history) - 1; i >= 0 && sec-t.history[i].second <= t.value; i-- {
		if t.history[i].second < sec {
			dropped += t.history[i].dropped
		}
	}
	switch {
	case sec-t.raisedAt >= t.value && dropped >= 3*t.value:
		t.value = min(2*t.value, maxRetryAfter)
		t.raisedAt = sec
	case dropped < t.value && t.value > 1:
		t.value--
	}
}

// get is the Retry-After to send now.
func (t *retryAfter) get() time.Duration { return time.Duration(t.value) * time.Second }
