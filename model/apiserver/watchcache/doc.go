// Package watchcache models kube-apiserver's watch cache
// (k8s.io/apiserver pkg/storage/cacher, as of Kubernetes 1.31) as pure
// state machines on virtual time: no goroutines, no clock, no randomness
// (BookmarkTickPeriod draws from the sim.Rand it is given), no map
// iteration. The API server model drives it; every method takes the
// current sim.Time, and times must not go backwards.
//
// # What is modeled
//
// History (watch_cache.go) is one resource's event window: a cyclic buffer
// that starts at 100 slots, doubles (up to 102400) when it is full and its
// oldest event is younger than 75s, and halves (down to 100) when it is
// full and the event a quarter of the capacity back from the newest is
// older than 75s; a full window evicts its oldest event. Since replays the
// events after a resource version, or fails as upstream does: 410 "too old
// resource version: %d (%d)" below the window, a 500 before the first list,
// and ErrInitialState for version 0 (serve the current objects, then watch
// from the cache's version). WaitFresh is the 3s wait of a get or list for
// the cache to reach the version it asks for, ending in 504 "Timeout: Too
// large resource version: %d, current: %d" with Retry-After 1s.
//
// Watcher (cache_watcher.go and the watch handler, handlers/watch.go) is
// one watch's delivery pipeline: the input channel the dispatcher writes
// (ChanSize, from watch_cache.go suggestedWatchChannelSize: ceil(capacity /
// 75), clamped to [10, 100] for resources without a trigger index), the
// relay goroutine, the result channel (ChanSize again) and the handler,
// which needs Consume per event (a slow client). It is computed, not
// simulated: the handler takes each event at max(its arrival, the end of
// the previous one), so the watcher keeps only the take times of the
// events not yet taken and derives from them how full the input channel
// is. A watch's catch-up events (the interval) go first and do not pass
// through the input channel, so a watcher catching up with a slow handler
// fills its input channel after ChanSize live events.
//
// Dispatcher (cacher.go dispatchEvent) sends one event to the matching
// watchers: a non-blocking add to each, then, for the full ones in turn, a
// wait bounded by the dispatch budget taken as one timer for all of them;
// those still full when it runs out are terminated. Budget (time_budget.go)
// is that budget: empty at start, 50ms per elapsed second, at most 100ms,
// the unused part given back. A terminated watcher's handler still drains
// its result channel, then the stream ends (EndsAt); what was behind it is
// dropped (Delivers). Bookmarks are sent with non-blocking adds only.
//
// NextBookmarkTime and BookmarkQueue are the bookmark schedule (cacher.go
// watcherBookmarkTimeBuckets, cache_watcher.go nextBookmarkTime): every
// minute, and 2s before the watch's deadline, popped by one-second buckets
// on a bookmark timer of 1s–1.25s.
//
// # How the driver uses it
//
// Per resource: a History, a Dispatcher and a BookmarkQueue, created when
// the cache starts; History.Replace with the initial list's version.
//   - A storage event: History.Add, then (the dispatch loop being one
//     goroutine) Dispatcher.Dispatch no earlier than the previous
//     dispatch's Result.Done, with the watchers that match the event, in
//     order (name-scoped, namespace-scoped, then unscoped). Deliver each event to the
//     client when the handler takes it, if Watcher.Delivers still says so
//     then; end a terminated watcher's stream at EndsAt. Up to
//     IncomingBuffer events wait for the loop; beyond that upstream stalls
//     the watch cache itself.
//   - A watch from version rv: History.Since(rv) (or the current objects
//     for ErrInitialState); on error answer 200 with one ERROR event
//     carrying the Error's status (cacher.go newErrWatcher). Otherwise
//     NewWatcher with History.ChanSize, the number of catch-up events, and
//     the watch's deadline; send catch-up event k at InitialAt(k). Add it to
//     the BookmarkQueue if it allows bookmarks. Close it when the client
//     leaves or the request times out.
//   - A get or list from the cache that needs version rv: WaitFresh, again
//     when the cache's version advances and at WaitDeadline.
//   - Each bookmark tick (BookmarkTickPeriod): see BookmarkQueue.
//
// A watch whose resourceVersion is unset ("") is not served by the cache
// at all: upstream passes it to storage (cacher.go Watch).
//
// # What is left out
//
//   - The store of current objects, indexers, field and label selectors,
//     the watcher index and the trigger index (ChanSize takes whether one
//     is used): the driver (package apiserver) picks the watchers an event
//     goes to and filters them.
//   - Watch-list (sendInitialEvents), its wait for freshness, the
//     bookmarkAfterResourceVersion states and graceful (draining)
//     termination that depends on them.
//   - The interval's lazy reading: upstream reads the catch-up events from
//     the buffer in chunks while the watcher runs, and a watcher whose
//     chunk was overwritten meanwhile stops ("couldn't retrieve watch
//     event to serve"); here Since hands them over at once.
//   - Events the relay drops (not newer than the watcher's version) vanish
//     at once instead of holding an input slot until the relay reaches
//     them.
//   - CPU time of the dispatch loop, serialization and filtering: only the
//     handler's Consume costs time, and the wait for full watchers (the
//     driver computes the CPU on its cores).
//   - Consistent reads from cache (getting the current version from etcd,
//     progress notifications): the driver supplies the version it waits
//     for.
//   - Metrics (apiserver_terminated_watchers_total etc.): the driver counts
//     from Result.
//
// Upstream sources read: kubernetes/kubernetes
// staging/src/k8s.io/apiserver/pkg/storage/cacher/ watch_cache.go,
// cacher.go, cache_watcher.go, time_budget.go (the on-demand version of
// PR #103800, since 1.23) and watch_cache_test.go, of the 1.30–1.31 line,
// and endpoints/handlers/watch.go; the rules modeled here read the same in
// the later watch_cache_history.go split.
package watchcache
