// Package kubescheduler is kube-scheduler as a process on the engine: one
// or more replicas, each with its own client (QPS 50, burst 100), shared
// informers on nodes and on all pods, a cache, the scheduling queue and
// the scheduling loop of model/scheduler, and leader election through a
// Lease (model/client/leaderelection).
//
// A replica starts its informers, waits for them to sync (polled every
// 100ms), then runs leader election; a standby keeps its informers, cache
// and queue warm, as kube-scheduler does, and only the leader runs the
// loop and the queue's flushes. The informer handlers follow
// pkg/scheduler/eventhandlers.go: bound pods feed the cache (replacing the
// assumed copy when our binding comes back; one whose node the cache does
// not know yet waits for the node), unbound pods of the
// profile's schedulerName feed the queue, and node adds and changes,
// bound pods added, relabelled or deleted move unschedulable pods
// (scheduler.Queue). Finished pods count as deleted, as kube-scheduler's
// pod informer selects status.phase!=Succeeded,Failed; the model applies
// that selector on the client side, so the scheduler still receives
// their events.
//
// The loop (schedule_one.go) pops one pod at a time and decides on the
// cache as it stands; the cycle then takes its modeled time — CycleCost:
// a base plus a cost per node filtered and per node scored, calibrated to
// clusterloader2's 400 pods/s on 5000 nodes — before the pod is assumed
// (the cache counts it on its node) and the binding cycle starts: a
// pods/binding create whose change sets spec.nodeName and PodScheduled
// True, refused with 409 if the pod is bound already. The loop goes on
// without waiting for it. A failed binding forgets the assumed pod, moves
// unschedulable pods as a pod deletion would, and requeues the pod. A
// FitError (or another error) requeues the pod — unless the informer shows
// it deleted or bound — with the plugins that rejected it, and patches
// its status to PodScheduled=False, reason Unschedulable (SchedulerError
// for errors), message the FitError's "0/N nodes are available: …"; the
// patch is skipped when the condition would not change, and the loop
// waits for it (v1.31 patches synchronously in the failure handler).
//
// A replica that fails to renew its lease exits and comes back after
// RestartDelay (the kubelet restarting its static pod); Stop models a
// crash. A restarted replica starts cold: new cache, queue and informers.
//
// Metrics (labels scheduler=<Name>): scheduler_schedule_attempts_total
// and scheduler_scheduling_attempt_duration_seconds by result
// (scheduled, unschedulable, error; a scheduled attempt lasts until its
// binding is answered), scheduler_pod_scheduling_sli_duration_seconds
// (first entry into activeQ → bound), scheduler_pod_created_to_bound_seconds
// (creation → bound), scheduler_bind_failures_total,
// scheduler_status_patches_total; per replica (replica=<i>)
// scheduler_pending_pods{queue} over time and
// scheduler_queue_incoming_pods_total{queue,event}; and the leader
// election's leader_election_acquired_total{name} (leader changes) and
// leader_election_master_status.
//
// With Config.Notes (a scenario's spec.trace), each decision is a
// timeline note with every feasible node's weighted score by plugin, and
// each failure one with its message (notes.go).
//
// What the model leaves out: several profiles, extenders, preemption
// (the message only), nominated node names, Permit and the other
// extension points between Reserve and Bind, the parallel filter workers
// (a cycle's cost is a formula, not 16 workers' time), the assumed pods'
// expiry, scheduling gates, events (the FailedScheduling and Scheduled
// Events are not written), and the asynchronous API calls of v1.34.
package kubescheduler
