// Package workqueue models client-go's work queue
// (k8s.io/client-go/util/workqueue) on virtual time, as a library that a
// simulated controller owns: no goroutines, no wall clock, no global
// randomness, and no map iteration that could reach an output.
//
// # What it models
//
// Three layers, as upstream:
//
//   - Queue (queue.go): a FIFO with client-go's dedup. The dirty set holds
//     items that need processing; the processing set holds items handed to a
//     worker. Add of a dirty item is a no-op; Add of an item being processed
//     marks it dirty without queueing it, and Done queues it again. So an item
//     sits in the queue at most once and is processed by one worker at a time.
//   - DelayingQueue (delaying_queue.go): AddAfter keeps waiting items in a
//     min-heap by ready time and adds them when one engine timer fires. An
//     item already waiting keeps the earlier of its two ready times.
//   - RateLimitingQueue (rate_limiting_queue.go): AddRateLimited is
//     AddAfter(item, limiter.When(item)); Forget and NumRequeues go to the
//     limiter. The limiters of default_rate_limiters.go are here:
//     ItemExponentialFailureRateLimiter, ItemFastSlowRateLimiter,
//     BucketRateLimiter (golang.org/x/time/rate on virtual time),
//     MaxOfRateLimiter and DefaultControllerRateLimiter = MaxOf(exponential
//     5ms·2^n capped at 1000s, bucket 10 qps / burst 100).
//
// A named queue given a recorder reports client-go's workqueue metrics,
// labelled name=<queue name>: workqueue_depth, workqueue_adds_total,
// workqueue_retries_total, workqueue_queue_duration_seconds and
// workqueue_work_duration_seconds, updated at the same points as upstream's
// metrics.go. As upstream, an unnamed queue records nothing.
//
// # How an owner drives it
//
// client-go's Get blocks a worker goroutine until an item arrives. Here Get
// returns at once: (item, true), or (zero, false) when nothing is queued.
// The owner keeps its own idle/busy workers and learns that work arrived
// through SetNotify, whose callback runs wherever upstream signals its
// condition variable (an item pushed onto the queue, and ShutDown). A typical
// owner schedules an event for an idle worker from the callback; the worker
// Gets, spends modeled time reconciling, then calls AddRateLimited or Forget,
// and Done — the order of client-go's processNextWorkItem.
//
// # What it leaves out, and where it differs
//
//   - Get never blocks, and the queue runs no workers: parallelism is the
//     number of workers the owner keeps.
//   - ShutDownWithDrain is not modeled (it blocks until processing is empty;
//     an owner can watch Processing instead). ShutDown behaves as upstream:
//     Add and AddAfter are ignored, Get still drains what is queued, and the
//     delaying layer drops its waiting items.
//   - The delaying layer needs no 10 s heartbeat: a virtual timer fires
//     exactly. Items that become ready at the same instant are added in the
//     order they first started waiting (upstream's container/heap leaves
//     ties unordered).
//   - workqueue_unfinished_work_seconds and
//     workqueue_longest_running_processor_seconds (sampled every 500ms by a
//     goroutine upstream) are not recorded.
//   - Done of an item that is not being processed panics: it is a bug in the
//     owner. Upstream accepts it and, if the item is dirty, queues it a
//     second time.
//   - ItemExponentialFailureRateLimiter returns maxDelay when base·2^n is at
//     least 2^63 ns; upstream tests "greater than", leaving the single value
//     2^63 to an implementation-defined float-to-int conversion.
package workqueue
