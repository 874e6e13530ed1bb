// Package kcm is the workload half of kube-controller-manager: the
// ReplicaSet, Deployment and EndpointSlice controllers on shared
// informers, each with its own work queue (client-go's
// DefaultControllerRateLimiter; the EndpointSlice controller's own, see
// below) and workers (model/controllers' Workers; 5 each,
// --concurrent-replicaset-syncs, --concurrent-deployment-syncs,
// --concurrent-service-endpoint-syncs) and client (20 qps, burst 30), as
// upstream runs them.
//
// # Manager
//
// A Manager is one kube-controller-manager process at endpoint
// "kube-controller-manager": shared informers on Pods, ReplicaSets,
// Deployments and, unless the EndpointSlice controller is disabled,
// Services and EndpointSlices (one client), indexers of the pods each
// ReplicaSet controls and the ReplicaSets each Deployment controls (by
// controller reference, as upstream's controllerUIDIndex), and the
// controllers. Start lists and watches, waits for every cache to sync
// (WaitForNamedCacheSync, polled every 100ms), then starts the workers;
// Stop drops the caches, queues, expectations and syncs in progress. They
// are the hooks leader election drives (Process, process.go).
//
// # ReplicaSet controller (pkg/controller/replicaset/replica_set.go)
//
// Handlers enqueue a ReplicaSet on its own add, update (resyncs included)
// and delete, and on the add, update and delete of a pod it controls; a
// pod's first update with a deletionTimestamp counts as its deletion. A
// sync lists the active pods the ReplicaSet controls and, unless
// expectations are pending (UIDTrackingControllerExpectations: creations
// and deletions it asked for and has not seen, expiring after 5 minutes),
// creates the missing ones in slow-start batches (1, 2, 4, ...: each sent
// at once and awaited; a failure ends it) or deletes the surplus in
// upstream's order (unscheduled, pending, not ready, doubled up on a node
// with related pods, ready more recently, created more recently — by
// logarithmic age buckets), at most 500 (burstReplicas) per sync. Pods are
// stamped from the template: its labels and spec, a controller reference,
// the creation time, a generated name. It then patches the status
// (replicas, Ready, available after minReadySeconds) if it changed, and
// requeues after minReadySeconds while Ready pods are not yet available.
//
// With EdgeTriggered, the edge-triggered variant replaces it (edge.go).
//
// # Deployment controller (pkg/controller/deployment)
//
// Handlers enqueue a Deployment on its own changes, on changes of the
// ReplicaSets it controls, and, for Recreate, when its last pod is
// deleted. A sync (plan.go) finds the new ReplicaSet (template equal
// but for the pod-template-hash) and the old ones, then does what
// syncDeployment does: proportional scaling on a scaling event (an active
// ReplicaSet's desired-replicas annotation differs), else a rolling update
// (create the new ReplicaSet named after the template hash with revision
// max+1; scale it up within maxSurge; scale old ones down within
// maxUnavailable, unhealthy pods first; when complete, delete old
// ReplicaSets beyond revisionHistoryLimit) or a Recreate (old ones to 0;
// once no old pod is left, the new one at full size); then the status
// (replicas, updated, ready, available, unavailable, the Available
// condition). Its writes go one at a time, each awaited, and the sync
// stops at the first failure. ReplicaSet updates carry the
// resourceVersion they were read at (a 409 fails the sync); Deployment
// status updates carry the cached Deployment's, never refreshed, so the
// sync that creates a new ReplicaSet, which writes the Deployment's
// revision and then its status, gets a 409 on the second write and is
// retried, as upstream's is.
//
// # EndpointSlice controller (pkg/controller/endpointslice, k8s.io/endpointslice)
//
// Keyed by Service. A Service's add, update (resyncs included) and delete
// queue it at once; a pod's add or delete queues, after
// --endpointslice-updates-batch-period (default 0), the Services of its
// namespace whose selector matches its labels; a pod's update does so
// only if its endpoint may change (deletionTimestamp, readiness, IP) or
// its labels did, and then also for the Services its old labels matched
// (GetServicesToUpdateOnPodChange: all of both if the endpoint changed,
// else those matching one version only); an EndpointSlice's change that
// the controller did not make itself (EndpointSliceTracker.ShouldSync, or
// a deletion it did not expect) queues its Service after max(1s, batch
// period). The queue's rate limiter is upstream's own: the worse of a
// per-item backoff from 1s (capped at 1000s) and a 10 qps, burst 100
// bucket; a Service is dropped after 15 failed syncs in a row.
//
// A sync (syncService) does nothing for a deleted Service (it forgets
// its tracked slices), an ExternalName one or one without a selector.
// Otherwise, if the slice cache is older than the controller's own writes
// (StaleSlices: a slice older than the version it wrote, one it deleted,
// one it wrote missing), it fails as stale and is retried; else it
// reconciles (Reconciler.Reconcile, reconcileByPortMapping, finalize):
// the desired endpoints are the selected pods that are not terminal and
// have an IP (bound and Running in the model), each serving if Ready,
// terminating if it has a deletionTimestamp, ready if serving and not
// terminating (or publishNotReadyAddresses); existing slices keep the
// endpoints still desired (updated if one changed or went, deleted if
// none is left), slices being updated are filled up to
// --max-endpoints-per-slice (100) fullest first, then what remains goes
// into the unchanged slice it fills most closely or into new slices; a
// Service with no endpoints keeps one placeholder slice (no ports, no
// endpoints); a create and a delete become one update of the slice that
// would go. Writes go one at a time, creates, then updates (each with the
// cached slice's resourceVersion as precondition, but none for a create
// turned update), then deletes; the first failure ends the sync. The
// tracker records each write's resourceVersion (upstream: generation).
// Where upstream's order is a map's (PopAny, UnsortedList, the lister),
// the model takes pods and slices in ID order. Indexes of the Services
// and pods of each namespace and of the pods each Service selects,
// kept by the informers' handlers, stand for the listers' namespace index
// and the selector match upstream repeats on each sync.
//
// The model's API server delivers a write's watch event before its
// response, so the controller sees each of its own writes as an untracked
// version and syncs the Service once more 1s later (a sync that writes
// nothing); upstream's response usually arrives first.
//
// # Metrics
//
// Per controller (controller=replicaset, replicaset-edge, deployment,
// endpointslice):
// controller_runtime_reconcile_total{result}, _reconcile_errors_total,
// _reconcile_time_seconds, _active_workers; the work queues' workqueue_*
// (name=<controller>); controller_pods_created_total,
// controller_pods_deleted_total, controller_pod_create_failures_total,
// controller_pod_delete_failures_total, controller_status_writes_total;
// for the Deployment controller controller_replicasets_created_total,
// _updated_total, _deleted_total and controller_write_conflicts_total;
// for the EndpointSlice controller upstream's
// endpoint_slice_controller_changes_total{operation=create|update|delete}
// and endpoint_slice_controller_syncs{result=success|stale|error} (its
// work queue is named endpointslice, upstream's endpoint_slice);
// controller_manager_starts_total{manager}; the informers' own metrics
// (informer=kube-controller-manager/pods, ...).
//
// # What is left out
//
//   - Adoption and release (claimPods, ClaimReplicaSets): controllers act on
//     objects whose controller reference names them; orphans matching a
//     selector are ignored. Upstream lists every pod of the namespace per
//     sync and filters; the model reads the index (the same pods).
//   - The garbage collector: deleting a ReplicaSet or Deployment leaves its
//     dependents.
//   - Deployment pause, rollback, progressDeadlineSeconds and the
//     Progressing condition, the revision-history annotation, collision
//     handling (names are generated, so the hash never collides),
//     DeletionTimestamp on ReplicaSets and Deployments, the "select
//     everything" selector check, observedGeneration (cleanup deletes an
//     old ReplicaSet whose spec and status replicas are 0).
//   - A sync that finds its just-created ReplicaSet missing from the cache
//     fails without a request; upstream sends a create that gets
//     AlreadyExists first.
//   - The Deployment controller's handleErr drops a key after 15 failed
//     syncs in a row (maxRetries, pkg/controller/deployment); the model
//     retries it for ever, as the ReplicaSet controller does.
//   - pod-deletion-cost and container restarts in the deletion order;
//     statusUpdateRetries (the ReplicaSet status is a patch applied to the
//     current object, which cannot conflict); events (the Event objects
//     upstream records) are not written.
//   - The creation timestamp of a pod or ReplicaSet is the controller's
//     clock when it sends the create, not the API server's.
//   - EndpointSlice controller: no Node informer, so no zones, topology
//     hints or trafficDistribution, and no skipping of a pod whose Node
//     is missing; single-stack IPv4 only (one address type); every pod
//     serves all of a Service's ports (one port mapping: named target
//     ports are not resolved per pod); hostnames, the Service's labels
//     mirrored onto its slices, the managed-by label (every slice is the
//     controller's), the last-change-trigger-time annotation, Events and
//     the per-sync histograms and endpoints/slices gauges are left out.
//     Slices belong to a Service by ID, not UID: a Service deleted and
//     created again under the same ID keeps its slices, and a deleted
//     Service's slices stay (no garbage collector). A Service being
//     deleted (deletionTimestamp) is not modeled.
package kcm
