package kcm

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// ExpectationsTimeout is how long a controller waits for the watch events
// of its own creates and deletes before it syncs regardless
// (pkg/controller/controller_utils.go: ExpectationsTimeout = 5 * time.Minute).
const ExpectationsTimeout = 5 * time.Minute

// expectations is UIDTrackingControllerExpectations
// (pkg/controller/controller_utils.go): per controller key, the pod
// creations and deletions it has asked for and not yet seen in its
// informer, and the IDs of the pods it is deleting, so that a pod seen
// first with a deletionTimestamp and then deleted counts once.
type expectations struct {
	m map[int32]*expectation // looked up by key, never iterated
}

type expectation struct {
	add, del int64
	at       sim.Time
	dels     map[int32]struct{}
}

func newExpectations() expectations { return expectations{m: map[int32]*expectation{}} }

// satisfied is SatisfiedExpectations: no record (a new controller, or
// expectations deleted), or all seen, or older than ExpectationsTimeout.
func (e *expectations) satisfied(key int32, now sim.Time) bool {
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return x.add <= 0 && x.del <= 0 || now.Sub(x.at) > ExpectationsTimeout
}

// expectCreations is ExpectCreations (SetExpectations(key, n, 0)).
func (e *expectations) expectCreations(key int32, n int, now sim.Time) {
	e.m[key] = &expectation{add: int64(n), at: now}
}

// expectDeletions is the UID-tracking ExpectDeletions: it records the pods
// and replaces the record (SetExpectations(key, 0, len(pods))).
func (e *expectations) expectDeletions(key int32, pods []int32, now sim.Time) {
	x := &expectation{del: int64(len(pods)), at: now, dels: make(map[int32]struct{}, len(pods))}
	for _, id := range pods {
		x.dels[id] = struct{}{}
	}
	e.m[key] = x
}

// creationObserved is CreationObserved (LowerExpectations(key, 1, 0)).
func (e *expectations) creationObserved(key int32) {
	if x, ok := e.m[key]; ok {
		x.add--
	}
}

// deletionObserved is the UID-tracking DeletionObserved: it counts only a
// pod the controller is waiting for, once.
func (e *expectations) deletionObserved(key, pod int32) {
	x, ok := e.m[key]
	if !ok {
		return
	}
	if _, waiting := x.dels[pod]; waiting {
		delete(x.dels, pod)
		x.del--
	}
}

// remove is DeleteExpectations.
func (e *expectations) remove(key int32) { delete(e.m, key) }

// pending returns the creations and deletions still expected for key.
func (e *expectations) pending(key int32) (adds, dels int64) {
	if x, ok := e.m[key]; ok {
		return x.add, x.del
	}
	return 0, 0
}
