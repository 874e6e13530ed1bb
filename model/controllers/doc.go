// Package controllers holds small, generic API clients written the
// client-go way, for demo scenarios: a level-triggered controller over
// ConfigMaps, and a read-modify-write writer that resolves optimistic
// concurrency conflicts with retry.RetryOnConflict. Its Workers, a
// controller's work queue and worker pool, also run model/kcm's
// controllers.
//
// # Controller
//
// A Controller owns a client, a shared informer on ConfigMaps
// (model/client/informer) and a RateLimitingQueue with
// DefaultControllerRateLimiter (model/client/workqueue), as a
// kube-controller-manager controller does:
//
//   - Its event handlers enqueue the ID (the object key) of every added,
//     updated or deleted source object: ConfigMaps FirstID …
//     FirstID+Objects-1, or the IDs listed in Sources. The queue
//     deduplicates: a key already queued is not queued again, and a key
//     being reconciled is queued once more when its reconcile is Done. So a
//     burst of updates to one object costs a handful of reconciles, each
//     reading the latest state.
//   - Workers (the Workers type) do what processNextWorkItem does: Get a
//     key, reconcile it, then Forget (success) or AddRateLimited (failure;
//     after MaxRetries, if set, Forget and drop, as the deployment
//     controller's handleErr), and Done. Retries of one key wait 5ms·2^n, capped at 1000s, or longer
//     when the overall 10 qps / burst 100 bucket is empty.
//   - A reconcile spends ReconcileTime (the sync handler's own work), then
//     reads the source from the informer's cache and writes a status
//     ConfigMap, StatusOffset + source ID, whose Size mirrors the source's
//     (the status a real controller derives from its object; Size stands in
//     for content, no field is added to api.Object). The write is a Create
//     if the informer has not seen the status object, else an Update,
//     optionally with the cached resourceVersion as precondition. A
//     StatusOffset of 0 writes nothing: reconciles are only counted.
//   - Failing reconciles (those whose work ends before FailUntil) return an
//     error without writing, or with FailWrite send the write with a
//     resourceVersion precondition no object has, which the API server
//     answers 409. The worker is busy until the answer comes, as upstream's
//     synchronous sync handler.
//   - Start waits for the informer to sync before starting workers,
//     polling every 100ms as cache.WaitForCacheSync; StartRunning begins
//     synced, with workers running. Stop kills the process: the informer's
//     cache, the work queue and the reconciles in progress are dropped (a
//     write already sent may still be applied). Restart is Stop, then a
//     cold Start with a fresh queue and rate limiter.
//
// A controller's endpoint is "controller/<Name>", a writer's
// "writer/<Name>", so that neither can take a node's or a component's name.
//
// Metrics, labelled controller=<Name>: controller-runtime's names
// controller_runtime_reconcile_total{result=success|error},
// controller_runtime_reconcile_errors_total,
// controller_runtime_reconcile_time_seconds (from Get to the end of the
// reconcile, write included) and controller_runtime_active_workers; orrery's
// own controller_events_observed_total (handler calls for source objects),
// controller_keys_dropped_total and controller_restarts_total, and its
// informer's relists as reflector_relists_total{controller=<Name>}. The
// queue reports client-go's workqueue metrics (name=<Name>), the informer
// its handler metrics.
//
// # Writer
//
// A Writer increments a counter kept in one ConfigMap's Size, the way a
// client updates an object it does not own: retry.RetryOnConflict with
// retry.DefaultRetry around GET (a quorum read, or resourceVersion="0" from
// the API server's cache), modify, and UPDATE with the object's
// resourceVersion as precondition. A 409 sleeps Backoff.Step() (DefaultRetry:
// 10ms jittered by up to 10%, factor 1) and tries again from the GET, up to
// Steps (5) attempts; the fifth conflict gives up. Every increment that
// succeeds is applied exactly once, so the final Size is the initial Size
// plus the increments reported, unless an update's outcome is unknown
// (a client timeout or a reset connection), which is counted apart.
//
// Metrics, labelled writer=<Name> (orrery's own names; client-go has none):
// writer_increments_total, writer_conflicts_total, writer_retries_total,
// writer_gave_up_total, writer_errors_total, writer_ambiguous_total,
// writer_ticks_skipped_total and writer_increment_duration_seconds.
//
// # What is left out
//
// Leader election, the informer factory's sharing of one informer between
// controllers, namespaces and label selectors (a source is an ID range or
// list), reconcile results that ask for a requeue without an error, and
// deletion of status objects when their source is deleted (the reconcile
// of a missing source does nothing).
package controllers
