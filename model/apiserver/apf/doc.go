// Package apf models API Priority and Fairness (APF) of kube-apiserver,
// as of Kubernetes 1.31, as a pure state machine on virtual time: no
// goroutines, no clock, no randomness, no map iteration. The API server
// model drives it from its event handlers (see Controller).
//
// # What is modeled
//
// Classification. The bootstrap PriorityLevelConfigurations and FlowSchemas
// (DefaultConfig; values from bootstrap/default.go, each cited where it is
// defined) are data. A request is described by its user and groups, verb,
// API group, resource/subresource, namespace or non-resource path
// (Descriptor); Classify walks the schemas in matching order (precedence,
// then name) with upstream's rule semantics and returns the level and the
// flow (schema + distinguisher, ByUser or ByNamespace).
//
// Who the simulator's components are, and where their requests go with
// the default configuration:
//
//   - Kubelet of node N: system:node:N in group system:nodes (Kubelet).
//     Lease get/create/update, Node get/list/watch and nodes/status
//     patch/update → system-node-high → node-high, one flow per node;
//     anything else (pods, secrets, …) → system-nodes → system.
//   - Node lifecycle controller: system:kube-controller-manager
//     (KubeControllerManager). Node and nodes/status get/list/watch/update,
//     Lease list/watch → kube-controller-manager → workload-high,
//     ByNamespace, so every cluster-scoped request is the one flow "".
//     With --use-service-account-credentials it is
//     system:serviceaccount:kube-system:node-controller
//     (ServiceAccount(NamespaceSystem, "node-controller")) →
//     kube-system-service-accounts → workload-high.
//   - Leader election of the controller-manager and the scheduler: Lease
//     get/create/update → system-leader-election → leader-election.
//   - Kube-scheduler: system:kube-scheduler (KubeScheduler) → kube-scheduler
//     → workload-high.
//   - Churn workload, as a controller in a pod: a service account
//     system:serviceaccount:<ns>:<name> (ServiceAccount) →
//     service-accounts → workload-low, one flow per account.
//   - Plain client: any authenticated user (User) or anonymous (Anonymous)
//     → global-default → global-default, one flow per user.
//   - Cluster admin: group system:masters (Admin) → exempt.
//
// Note that node Leases go to node-high through system-node-high (every
// verb on leases in any namespace for system:nodes), not to
// leader-election: that schema matches only the controller-manager, the
// scheduler and kube-system service accounts. A GET of a Lease by the
// controller-manager goes to leader-election, its LIST and WATCH to
// workload-high. catch-all is reached only if global-default is deleted.
//
// Seats. The server concurrency limit is --max-requests-inflight +
// --max-mutating-requests-inflight (400 + 200 = 600). A level's nominal
// concurrency limit is ceil(600 × NCS / ΣNCS), ΣNCS = 245 including
// exempt's 0 (apf_controller.go finishQueueSetReconfigsLocked, math.Ceil):
//
//	level            NCS  lendable  queues/hand/limit  nominal CL  max seats per request
//	exempt             0        0%  never limited               0                     10
//	system            30       33%  64/6/50                    74                     10
//	node-high         40       25%  64/6/50                    98                     10
//	leader-election   10        0%  16/4/50                    25                      4
//	workload-high     40       50%  128/6/50                   98                     10
//	workload-low     100       90%  128/6/50                  245                     10
//	global-default    20       50%  128/6/50                   49                      8
//	catch-all          5        0%  reject, no queues          13                     10
//
// (Σ nominal = 602: the ceilings overshoot 600 slightly, as upstream.) A
// queuing level caps a request's seats at max(1, min(ceil(0.15 × nominal),
// nominal / handSize)) and at the estimator's 10 (apf_controller.go,
// priorityLevelMaxSeatsPercent); levels without queues use the 10.
//
// Queuing. A queuing level has its queues; a flow is dealt a hand of
// handSize queues by shuffle sharding (Deal, as shufflesharding.go) from a
// hash of its schema name and distinguisher (FlowHash: FNV-1a + SplitMix64,
// not upstream's SHA-256, so the hand differs from a real server's but is
// as fixed); the request joins the queue of the hand with the least waiting
// work (ties: the first read, reading the hand from a position that
// rotates with each request), and is rejected (429, reason queue-full) if that queue holds
// queueLengthLimit requests while the level's seats are all in use. The
// dispatcher is queueset.go's fair-queuing scheduler, virtual time and all
// (the level type in queueset.go describes it): round-robin over the queues
// for the least virtual finish time, G = 3ms estimated service time
// corrected at finish, the anti-windup bound, a wide request holding up
// the level until its seats are free. A level without queues (catch-all)
// rejects with reason concurrency-limit when full; exempt never waits.
//
// Waiting. A queued request is rejected (reason time-out) when it has
// waited a quarter of its deadline, at most a minute: min(60s / 4, 1m) =
// 15s with the default --request-timeout (priority-and-fairness.go
// getRequestWaitContext, 1.29+). The Retry-After of every 429 is the
// level's dropped-requests tracker value: 1s, doubled up to 32s while the
// level keeps dropping, decreased by 1s a second when it stops
// (dropped_requests_tracker.go).
//
// Work. LIST seats by object count (list_work_estimator.go, count-based
// as in 1.29–1.33): ceil(objects / 100) within [1, level max], objects
// being every stored object for a read from the watch cache, stored +
// limit for a selector read from etcd, 2 × limit otherwise, 1 seat for a
// single name or a WATCH without initial events. Writes take 1 seat, and
// with W ≥ 10 watchers ceil(W / 10) final seats held 5ms after the write
// ends (reshaped to the level's max seats for proportionally longer)
// (mutating_work_estimator.go). A request holds max(initial, final)
// seats from dispatch to the end of its final phase.
//
// Metrics, with upstream's names and labels: apiserver_flowcontrol_
// nominal_limit_seats{priority_level}; current_executing_seats,
// current_executing_requests, current_inqueue_requests and
// dispatched_requests_total{priority_level,flow_schema};
// rejected_requests_total{priority_level,flow_schema,reason};
// request_wait_duration_seconds{priority_level,flow_schema,execute}.
//
// # What is left out
//
//   - Borrowing between levels (1.26+: lendablePercent,
//     borrowingLimitPercent, and the reallocation of seats by measured
//     demand every 10s): each level dispatches against its nominal CL, as
//     if every level's demand were nominal. Upstream starts a level at
//     nominal − lendable/2 and then follows demand, so a busy level can
//     use seats that idle levels lend; here it cannot.
//   - Exempt details: exempt requests are counted but never limited;
//     upstream's exempt level also takes part in borrowing (it can lend
//     nothing with the default 0 shares, but its measured use shifts the
//     others' limits).
//   - Configuration changes at run time (queue-count changes, quiescing
//     levels), FlowSchema status, the debug endpoints.
//   - Watches' long life: APF only sees a watch until it is initialised;
//     the caller Admits it with EstimateList(ListShape{Watch: true}) and
//     Finishes it when its initial events are sent.
//   - The object-count tracker and the watch tracker: the caller supplies
//     the object count and the number of watchers.
//   - SizeBasedListCostEstimate (1.34+) and its 100-seat list cap.
//   - A client that gives up while its request waits (upstream: context
//     cancelled, reason "cancelled"): here the request keeps its place
//     until it is dispatched or times out.
//   - The wait limit counts from Admit; upstream counts from when the
//     request was received, before authentication and the other filters.
package apf
