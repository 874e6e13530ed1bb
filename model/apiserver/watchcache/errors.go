package watchcache

import (
	"errors"
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
)

// GatewayTimeout is HTTP 504, the code of upstream's "Too large resource
// version" (apimachinery errors.NewTimeoutError); package api has no name
// for it.
const GatewayTimeout api.Code = 504

// Error is a failure the watch cache answers with, shaped as the
// metav1.Status upstream builds. For a watch, upstream does not fail the
// request: it answers 200 and sends this status as the one ERROR event of
// the stream, then closes it (cacher.go newErrWatcher). For a get or list
// it is the response.
type Error struct {
	Code       api.Code      // 410, 504 or 500
	Reason     string        // metav1.StatusReason: "Expired", "Timeout", "InternalError"
	Message    string        // as upstream formats it
	RetryAfter time.Duration // Details.RetryAfterSeconds, for 504
}

func (e *Error) Error() string { return e.Message }

// ErrInitialState is what History.Since answers for resource version 0: a
// watch from "any" version. Upstream (watch_cache.go getAllEventsSinceLocked,
// resourceVersion == 0 without sendInitialEvents) serves it from the store,
// not from the history: an ADDED event for every current object, at the
// cache's resource version (History.RV), then the events after that. The
// driver lists its store for it.
var ErrInitialState = errors.New("watchcache: resource version 0: serve the current state, then watch from RV()")

// tooOld is errors.NewResourceExpired(fmt.Sprintf("too old resource
// version: %d (%d)", resourceVersion, oldest-1)) of watch_cache.go
// getAllEventsSinceLocked: 410 Gone, reason Expired.
func tooOld(rv, lowest int64) *Error {
	return &Error{
		Code:    api.Gone,
		Reason:  "Expired",
		Message: fmt.Sprintf("too old resource version: %d (%d)", rv, lowest),
	}
}

// tooLarge is storage.NewTooLargeResourceVersionError: apimachinery
// errors.NewTimeoutError prefixes "Timeout: " to the message (504, reason
// Timeout, RetryAfterSeconds = resourceVersionTooHighRetrySeconds).
func tooLarge(want, current int64, retry time.Duration) *Error {
	return &Error{
		Code:       GatewayTimeout,
		Reason:     "Timeout",
		Message:    fmt.Sprintf("Timeout: Too large resource version: %d, current: %d", want, current),
		RetryAfter: retry,
	}
}

// errNotInitialized is the plain fmt.Errorf of getAllEventsSinceLocked for a
// history that never saw a list or an event; newErrWatcher turns a plain
// error into a 500 InternalError status carrying its text.
var errNotInitialized = &Error{
	Code:    api.InternalError,
	Reason:  "InternalError",
	Message: "watch cache isn't correctly initialized",
}

// CodeOf returns the status code of a watch cache error, or 0 if err is nil
// or not one (ErrInitialState).
func CodeOf(err error) api.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
