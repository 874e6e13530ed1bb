// Package scheduler is kube-scheduler's decision logic: given a pod and a
// Snapshot of the nodes and the pods on them, Schedule runs the default
// profile's filter and score plugins and returns the chosen node with every
// node's per-plugin raw, normalised and weighted scores, or a FitError
// whose message is upstream's "0/N nodes are available: ...".
//
// It is decision logic and the scheduling queue — no binding, no engine or
// network; model/kubescheduler wraps them in a process. It is
// deterministic: nodes are walked in upstream's node-tree order from a
// round-robin start index kept between cycles, and ties are broken with
// the *sim.Rand the caller passes.
//
// The Queue is upstream's PriorityQueue (pkg/scheduler/internal/queue
// scheduling_queue.go and active_queue.go of v1.31), driven by virtual
// times the caller passes: activeQ (FIFO by timestamp: the model has no
// priorities), backoffQ (backoff 1s doubling per attempt to 10s),
// unschedulablePods (flushed after 5 minutes, checked every 30s), the 1s
// backoff flush, and the moves on cluster events: a node added or
// changed, an assigned pod added, relabelled or deleted. An event moves a
// pod only if a plugin that rejected it registered the event (the
// plugins' EventsToRegister, with every hint answering Queue), and node
// events only pods that pass preCheckForNode. With the
// SchedulerQueueingHints gate off (v1.29–v1.31) a pod that fails after a
// move request in its cycle goes to backoffQ (moveRequestCycle); with it
// on (v1.28, v1.32+) the queue keeps the events that arrive while pods are
// in flight and requeues a failed pod if one concerns a plugin that
// rejected it. Where the real queueing hints are finer: each plugin's hint
// function looks at the changed object (NodeResourcesFit requeues only if
// the new node fits the pod, TaintToleration only if the changed taints
// are tolerated, InterPodAffinity only if the pod's labels match a term);
// the model's hints answer Queue for every registered event.
//
// Modeled, each from its upstream source (pkg/scheduler/...):
//   - the cycle: numFeasibleNodesToFind (adaptive percentageOfNodesToScore,
//     at least 100 nodes), nextStartNodeIndex, filters in profile order with
//     the first rejection deciding a node's status, no scoring when a single
//     node fits, reservoir-sampled tie-break (schedule_one.go);
//   - filters: NodeUnschedulable, NodeName, TaintToleration (NoSchedule and
//     NoExecute), NodeAffinity (nodeSelector and required terms),
//     NodeResourcesFit (pods, cpu, memory), PodTopologySpread
//     (DoNotSchedule, minDomains), InterPodAffinity (required affinity,
//     anti-affinity and existing pods' anti-affinity);
//   - scores with the default weights: TaintToleration 3, NodeAffinity 2,
//     PodTopologySpread 2 (ScheduleAnyway), InterPodAffinity 2,
//     NodeResourcesFit 1 (LeastAllocated, cpu 1 memory 1, on
//     NonZeroRequested), NodeResourcesBalancedAllocation 1 (on real
//     requests; best-effort pods skipped from v1.33), ImageLocality 1,
//     each normalised to 0..100 exactly as upstream (integer division,
//     float where upstream uses float);
//   - FitError's message, reasons counted and sorted as strings, and the
//     DefaultPreemption verdict appended to it.
//
// What the model leaves out: preemption itself (the model has no pod
// priorities, so preemption never finds victims and only its message is
// produced), nominated pods, scheduling gates and PreEnqueue plugins,
// Activate, the queueing hint functions themselves (see above),
// extenders, volume plugins (VolumeBinding, VolumeZone, VolumeRestrictions,
// NodeVolumeLimits), NodePorts, DRA, pod-level resources, the cluster-level
// default topology spread constraints (upstream's default profile spreads
// pods owned by a Service, ReplicaSet or StatefulSet over hosts, maxSkew 3,
// and zones, maxSkew 5, as a soft score; here they are off, so only a pod's
// own constraints count), namespaceSelector and matchLabelKeys,
// multiple profiles, and the parallelism of upstream's filter walk (with 16
// workers upstream may evaluate a few more nodes past the quota, so its
// start index drifts slightly differently; this model walks as one worker
// would). Version differences it does not follow: the taint reason text of
// releases before "untolerated taint" wording, and the double period older
// releases print after the preemption message.
package scheduler
