// Package scenarios reads orrery scenario files.
//
// A scenario file is one YAML document, shaped like a Kubernetes object,
// that says what to simulate (a cluster and the load on it), for how long,
// what goes wrong (faults) and what the run's report must show
// (expectations):
//
//	apiVersion: orrery.dev/v1alpha1     # required, exactly this
//	kind: Scenario                      # required, exactly this
//	metadata:
//	  name: quickstart                  # required, a DNS-1123 label (≤ 63 chars)
//	  description: One kubelet stops and comes back.
//	spec:
//	  seed: 1                           # unsigned; default 1
//	  duration: 5m                      # required, > 0, ≤ 24h
//	  kubernetesVersion: "1.31"         # 1.20 to 1.35; "v1.31.2" works too; default "1.31"
//	  maxEvents: 0                      # optional event cap; 0 means none
//	  cluster:
//	    nodePools:                      # required, at least one, ≤ 100000 nodes in all
//	      - name: node                  # required, unique DNS-1123 label
//	        count: 5                    # required, ≥ 1
//	        zones: [zone-a, zone-b]     # default [zone-a]
//	        cpu: "4"                    # Kubernetes quantity; default 4
//	        memory: 16Gi                # Kubernetes quantity; default 16Gi
//	        pods: 110                   # allocatable pods (the kubelet's maxPods); default 110
//	        # labels: {disk: ssd}       on every node, beside kubernetes.io/hostname and topology.kubernetes.io/zone
//	        # taints: [{key: dedicated, value: db, effect: NoSchedule}]
//	        # images: [{name: "nginx:1.25", size: 70Mi}]   already pulled on every node
//	    apiServer:
//	      replicas: 1                   # behind a round-robin load balancer
//	      priorityAndFairness: true     # APF; default on from 1.20, off before (max-inflight filter)
//	      maxRequestsInflight: 400      # with APF: their sum is the server's 600 seats
//	      maxMutatingRequestsInflight: 200
//	      requestTimeout: 60s           # APF queue wait limit: a quarter of it, at most 1m
//	      cpus: 8                       # cores the pipeline's CPU costs run on
//	      costs:                        # CPU per stage (orrery assumptions)
//	        authentication: {kind: lognormal, median: 20us, p99: 100us}
//	        authorization: {kind: lognormal, median: 20us, p99: 100us}
//	        admission: {kind: lognormal, median: 100us, p99: 500us}   # writes
//	        decodePerObject: 20us       # a write's body: per object + bytes at decodeThroughput
//	        decodeThroughput: 100Mi     # bytes per second
//	        encodePerObject: 10us       # every object sent, in responses and watch events
//	        encodeThroughput: 200Mi
//	        watchFilterPerWatcher: 1us  # each watcher an event visits: hand-off and selector check
//	        watchSendPerWatcher: 5us    # hand an encoded event to one matching watcher
//	    etcd:
//	      version: "3.5"                # 3.4, 3.5 or 3.6; default: kubeadm's for kubernetesVersion
//	      members: 3                    # 1 to 7, named etcd-0 … etcd-2
//	      heartbeatInterval: 100ms      # whole ms
//	      electionTimeout: 1s           # whole heartbeats, ≥ 5 of them, ≤ 50s
//	      preVote: true                 # default false for 3.4, true from 3.5
//	      peerLatency: {kind: uniform, min: 200us, max: 1ms}
//	      walFsync: {kind: lognormal, median: 2ms, p99: 10ms}
//	      backendCommit: {kind: lognormal, median: 5ms, p99: 25ms}
//	      applyCost: {kind: lognormal, median: 20us, p99: 100us}
//	      readCost: {kind: lognormal, median: 500us, p99: 2ms}
//	      quotaBackendBytes: 2Gi        # quantity, > 0
//	      compactionInterval: 5m        # the API server's; 0 turns it off
//	      defragThroughput: 100Mi       # bytes per second, quantity, > 0
//	      # memberOverrides: [{name: etcd-2, walFsync: 20ms}]   per-member disks; none by default
//	    network:
//	      latency: {kind: uniform, min: 200us, max: 1ms}
//	      loss: 0                       # probability in [0, 1)
//	      streamFailureDetection: 45s
//	    kubelet:
//	      nodeLeaseDuration: 40s
//	      nodeStatusUpdateFrequency: 10s
//	      nodeStatusReportFrequency: 5m # coalescing: an unchanged status is reported this often
//	      jitter: true                  # the 4% JitterUntil of both loops
//	      nodeLease: true               # false: legacy mode, full NodeStatus every update, no Lease
//	    nodeLifecycle:
//	      monitorPeriod: 5s
//	      gracePeriod: 40s              # must exceed monitorPeriod
//	    clients:                        # client-go token buckets; qps -1: unthrottled
//	      kubelet: {qps: 50, burst: 100}
//	      heartbeat: {qps: -1, timeout: 10s}
//	      controllerManager: {qps: 20, burst: 30, timeout: 60s}
//	      jitter: true                  # reflector backoff/watch timeout and retry jitter
//	    objectSizes:                    # serialized sizes of new objects, quantities, ≤ 1.5Mi
//	      lease: 300
//	      node: 15000
//	      pod: 4000
//	      replicaSet: 4000
//	      deployment: 4000
//	  workload:                         # optional: load beyond the node heartbeats
//	    churn:                          # writers updating ConfigMaps round-robin
//	      - name: configmaps            # required, unique DNS-1123 label
//	        objects: 100                # required, ≥ 1; ≤ 1500000 over all writers
//	        objectBytes: 10Ki           # required, quantity, ≤ 1.5Mi (etcd's request limit)
//	        rate: 50                    # required, updates per second, 1/86400 to 100000
//	        start: 0                    # default 0, before spec.duration
//	        duration: 0                 # default 0: to the end of the run
//	        namespaces: 10              # default 1 ("configmaps"); 10: configmaps-ns-0 … -ns-9
//	        shards: 0                   # object i gets label shard=<i mod shards>; 0: no label
//	    configMaps: [counter]           # ConfigMaps writers and controllers share, by name
//	    writers:                        # read-modify-write clients under RetryOnConflict
//	      - name: alice                 # required, unique DNS-1123 label
//	        object: counter             # required, a name in configMaps
//	        increments: 100             # default 0: no limit
//	        period: 100ms               # one increment per period; default 0: back to back
//	        start: 0                    # default 0, before spec.duration
//	        duration: 0                 # default 0: to the end of the run
//	        fromCache: false            # GET with resourceVersion "0", from the API server's cache
//	        retry: defaultRetry         # or defaultBackoff: client-go's retry package
//	        client: {qps: 5, burst: 10, timeout: 0s}   # client-go's defaults
//	    controllers:                    # informer → rate-limited work queue → workers
//	      - name: mirror                # required, unique DNS-1123 label
//	        objects: [counter]          # required, names in configMaps
//	        workers: 5                  # 1 to 1000
//	        reconcileTime: 0s           # a distribution: the sync handler's work before its write
//	        failUntil: 0s               # reconciles that end before it fail; 0: none
//	        failForever: false          # every reconcile fails (not with failUntil)
//	        failWrite: false            # a failing reconcile sends its write, answered 409
//	        maxRetries: 0               # drop an object after that many failures; 0: never
//	        warm: false                 # true: running and caught up at time 0 (default: starts cold)
//	        client: {qps: 20, burst: 30, timeout: 60s} # default: clients.controllerManager
//	    watchers:                       # groups of watch clients, each a reflector on its own client
//	      - name: tenants               # required, unique DNS-1123 label
//	        count: 10                   # required, ≥ 1; ≤ 20000 over all groups
//	        resource: configmaps        # required: nodes, leases or configmaps
//	        namespace: "configmaps-ns-{i}" # default "": all; {i} is the watcher's index in the group
//	        fieldSelector: ""           # metadata.name=<name>, e.g. metadata.name=node-{i}
//	        labelSelector: ""           # shard=<n>, on churn objects with shards
//	        readTime: 0s                # a distribution, drawn once per watcher: its time per event
//	        start: 0s                   # 0: watching since before the run; later: list, then watch
//	        client: {qps: 5, burst: 10, timeout: 0s}   # client-go's defaults
//	    objects:                        # Kubernetes objects: Deployment, ReplicaSet, Pod, Node, Service
//	      - file: testdata/manifests/app.yaml   # a manifest file (--- between documents), relative to this file
//	      - apiVersion: apps/v1         # or inline, as kubectl takes it
//	        kind: Deployment
//	        metadata: {name: web}       # namespace: default
//	        spec:
//	          replicas: 3
//	          selector: {matchLabels: {app: web}}
//	          template:
//	            metadata: {labels: {app: web}}
//	            spec:
//	              containers: [{name: web, image: "nginx:1.25", resources: {requests: {cpu: 250m, memory: 64Mi}}}]
//	      - apiVersion: v1
//	        kind: Service
//	        metadata: {name: web}       # a DNS-1035 label
//	        spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
//	    actions:                        # changes at virtual times, as kubectl makes them
//	      - {at: 1m, type: scale, object: deployment/web, replicas: 10}
//	      - {at: 2m, type: update, object: deployment/web, container: web, image: "nginx:1.26"}
//	      - {at: 3m, type: delete, object: pod/frontend, namespace: default, gracePeriod: 0s}
//	      - {at: 3m, type: delete, selector: {app: web}, count: 1}   # kubectl delete pods -l app=web, the oldest
//	      - at: 4m                      # or file: path, or object: kind/name
//	        type: create
//	        manifest: {apiVersion: v1, kind: Pod, metadata: {name: once}, spec: {containers: [{name: c, image: busybox}]}}
//	    podChurn:                       # bare pods created at a rate, each deleted after its lifetime
//	      - name: batch                 # required, unique DNS-1123 label; pods are "batch-<suffix>"
//	        namespace: default          # default "default"
//	        rate: 20                    # required, pods per second, 1/86400 to 10000
//	        lifetime: {kind: exponential, mean: 5m}   # required, a distribution, drawn per pod
//	        start: 0                    # default 0, before spec.duration
//	        duration: 0                 # default 0: to the end of the run
//	        client: {qps: -1}           # default unthrottled
//	        template:                   # required: a pod template (metadata.labels, spec)
//	          metadata: {labels: {app: batch}}
//	          spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 100m}}}]}
//	  faults:
//	    - at: 30s                       # required, before spec.duration
//	      type: stopKubelet             # required
//	      nodes: {names: [node-2]}      # required for node faults
//	      duration: 90s                 # restart the kubelet after 90s
//	    - at: 1m
//	      type: etcdCrash
//	      members: {leader: true}       # or {names: [etcd-0]}
//	      duration: 20s                 # restart the member after 20s
//	    - at: 2m
//	      type: etcdPartition
//	      groups: [[etcd-0]]            # etcd-1 and etcd-2 form the other side
//	      duration: 30s
//	    - {at: 3m, type: stopControllerManager, instances: {leader: true}, duration: 1m}
//	    - {at: 150s, type: memoryPressure, pods: [{name: frontend, memory: 3Gi}]}   # bare pods only
//	  expect:
//	    - metric: fault.0.detectSeconds # required
//	      min: 40                       # numbers, or durations in seconds
//	      max: 50s
//	      variant: slow                 # with variants: check this variant only
//	      relativeTo: fast              # ... and check metric(slow) ÷ metric(fast)
//	  variants:                         # optional: a comparison, 2 to 16 runs, same seed
//	    - name: fast                    # unique DNS-1123 label; may set nothing
//	    - name: slow
//	      set:                          # dotted paths under spec, list items by index
//	        cluster.nodeLifecycle.gracePeriod: 60s
//	        faults.0.duration: 2m
//
// Everything under cluster except nodePools is optional; the values shown
// are the defaults for Kubernetes 1.31. spec.cluster.storage, the stand-in
// that came before the etcd model, is gone: a file that still has it gets
// an error that says what replaces it.
//
// # Variants
//
// With variants, Parse builds one scenario per variant (Scenario.Runs):
// the document with the variant's settings put in place — creating the
// mappings on the way if the file left them out — decoded, defaulted and
// validated as if the settings had been written in the file. A problem with
// a setting is reported at the setting's line, with the variant's name.
// Each run keeps the expectations that apply to it alone; those with
// relativeTo are checked on the comparison (package reports).
//
// # Strictness
//
// Parse rejects unknown fields (suggesting the closest known one; inside
// Kubernetes manifests they are warnings instead, see below), wrong
// types, duplicate keys, missing required fields, out-of-range values, a
// second YAML document and an empty file. Every problem is an *Error that
// reads "FILE:LINE: FIELD.PATH: message", for example
//
//	quick.yaml:14: spec.cluster.nodePools[0].count: must be at least 1, got -3
//
// A key with an empty value ("faults:" with nothing under it, or ~) counts
// as absent. Anchors and aliases work; merge keys (<<) do not.
//
// # Values
//
// Durations are Go duration strings: "10s", "1h30m", "500ms", "1.5s",
// "250us". 0 is accepted; other bare numbers are not ("write 10s, not 10")
// and no duration may be negative.
//
// Quantities (cpu, memory, quotaBackendBytes, defragThroughput,
// objectBytes) follow Kubernetes' resource.Quantity: "4", "0.5", "500m",
// "2k", "5M", "64Gi", "1.5Gi", "1e3"; a plain integer works too. They are
// stored exactly, rounded up: cpu in millicores (NodePool.CPUMilli), the
// others in bytes (or bytes per second).
//
// # Distributions
//
// A latency distribution (Dist) is a duration, meaning a constant, or a
// mapping with a kind and exactly that kind's parameters:
//
//	2ms                                   constant
//	{kind: constant, value: 2ms}
//	{kind: uniform, min: 1ms, max: 3ms}   min ≤ max
//	{kind: exponential, mean: 2ms}        mean > 0
//	{kind: lognormal, median: 2ms, p99: 10ms}   median > 0, p99 ≥ median
//	{kind: normal, mean: 2ms, stddev: 500us}    truncated at 0
//
// # Faults, node selectors and member selectors
//
// A fault's type is one of the node faults, which take nodes (required)
// and no members, groups or walFsync:
//
//   - stopKubelet: the kubelet stops; with a duration it restarts after it.
//   - restartKubelet: the kubelet restarts at once (no duration).
//   - partition: the nodes lose the network; duration (required) says when
//     it heals.
//
// or one of the etcd faults and operations, which take no nodes:
//
//   - etcdCrash: members (names, or leader: true for whichever member
//     leads at the time, not both) crash; with a duration they restart
//     after it.
//   - etcdRestart: crashed members, by names, restart at once (no duration).
//   - etcdPartition: groups (required) lists the sides, each a list of
//     member names; members in no group form one more side. The groups
//     must not overlap and there must be two sides or more. The API server
//     still reaches every member. duration (required) says when it heals.
//   - etcdIsolateLeader: the member leading at the time loses every other
//     member and the API server; no members; duration required.
//   - etcdSlowDisk: members (names or leader: true) get the WAL fsync
//     latency walFsync (a distribution, required) for duration (required).
//   - etcdCompact: etcdctl compact at the current revision (no members, no
//     duration).
//   - etcdDefrag: etcdctl defrag on members.names, or on every member
//     without members, one after another; each member is blocked while it
//     copies its data at defragThroughput (no duration).
//   - etcdAlarmDisarm: etcdctl alarm disarm, clearing NOSPACE (no members,
//     no duration).
//
// or slowWatcher, which takes watchers (watcher group names, required) and
// readTime (a duration, required) and nothing else: every watcher of the
// groups takes readTime per event from the fault's start, for duration (0:
// to the end of the run), then reads at its own speed again. The API
// server's side of each open watch is told at once, as a server learns its
// client's speed by blocking on it; the reflector's next watches ask with
// it too.
//
// or one of the control-plane faults, which take neither nodes nor members:
//
//   - restartAPIServer: servers (replica names, every replica if omitted)
//     stop: connections reset, requests in flight fail, watches close.
//     They start again after duration (0: at once) and relist etcd into
//     their caches; until that is decoded, reads from the cache and
//     watches get 429.
//   - restartControllers: controllers (names in spec.workload.controllers,
//     every one if omitted) restart at once, as a kube-controller-manager
//     restart does: each drops its cache, work queue and reconciles in
//     progress, then lists, waits for the sync and reconciles every one of
//     its objects (no duration). The node lifecycle controller is not
//     restarted.
//
// or one of the faults on the pod workload, which need spec.workload.objects
// or podChurn and take neither nodes nor members:
//
//   - stopControllerManager: kube-controller-manager instances die, as a
//     crash does (the Lease they hold is not released): instances: {names:
//     [...]} ("kube-controller-manager" with one replica,
//     "kube-controller-manager-<i>" with several), or {leader: true} for
//     whichever leads at the time (none: the fault does nothing, and the
//     timeline says so), every instance if omitted. With a duration they
//     start again after it, cold, and campaign for the Lease.
//   - memoryPressure: pods (required), each {name, namespace (default
//     "default"), memory}, sets the memory working set of bare pods of
//     spec.workload.objects on the kubelet running them — what the
//     eviction manager's memory.available signal counts. A pod not
//     running at the time is left alone (a timeline note). With a
//     duration each working set goes back to the pod's memory request,
//     its usage until then.
//
// etcd member i is named "etcd-i", counting from 0; member names must
// exist and appear once in a list.
//
// Node i of pool p is named "p-i", counting from 0 ("node-0" to "node-4"
// for a pool "node" of 5), and sits in zone Zones[i % len(Zones)]. A node
// selector picks nodes either by names, which must all exist, or by pool
// and/or zone, which must exist and together match at least one node,
// optionally limited to the first count (≥ 1) matches in node order. Names
// cannot be combined with pool, zone or count.
//
// # Defaults
//
// Fields left out get defaults after parsing; a value the file sets, even
// 0, is never replaced. Some defaults depend on spec.kubernetesVersion: the
// node monitor grace period (40s, 50s from 1.32) and the kubelet's client
// limits (5/10, 50/100 from 1.27) and the etcd version (3.4 up to 1.21,
// 3.5 up to 1.33, 3.6 from 1.34), whose own default for preVote is off in
// 3.4 and on from 3.5. Others follow fields the file sets, as
// upstream: setting only nodeStatusUpdateFrequency moves
// nodeStatusReportFrequency with it, and the heartbeat client's timeout is
// min(nodeStatusUpdateFrequency, nodeLeaseDuration). Every default cites
// its upstream source in defaults.go, or says that it is an orrery
// assumption.
//
// # Writers and controllers
//
// spec.workload.configMaps declares ConfigMaps by name (DNS-1123 labels,
// at most 1000), each holding a counter that starts at 0; its value stands
// in for the object's content. Writers and controllers refer to them by
// name, and the name must be declared.
//
// A writer increments one ConfigMap's counter as client-go code updates an
// object it does not own: retry.RetryOnConflict around GET, add one, and
// UPDATE with the resourceVersion it read. If another client wrote in
// between, the API server answers 409 Conflict; the writer sleeps
// (defaultRetry: 10ms ± 10%, at most 5 attempts; defaultBackoff: 10ms × 5
// per attempt, at most 4) and starts again from the GET, and gives the
// increment up after its last attempt. Every increment it reports was
// applied once, so a ConfigMap's final counter is the sum of its writers'
// increments. A writer runs in a pod as the service account
// default/<name>: APF's service-accounts flow schema, workload-low.
//
// A controller runs as a kube-controller-manager controller does with
// --use-service-account-credentials: as the service account
// kube-system/<name>, with its own client, an informer on every ConfigMap
// and a work queue with client-go's DefaultControllerRateLimiter. As
// upstream, APF puts its lists and watches in workload-high (flow schema
// kube-system-service-accounts) but its ConfigMap gets, creates and
// updates in leader-election (workload-leader-election, which still
// matches kube-system service accounts on ConfigMaps, a leftover of
// ConfigMap-based leader election). It starts cold
// at time 0: it lists, waits for the cache to sync (checked every 100ms),
// then reconciles each of its objects once. A change to one of its objects
// queues the object's name; a name already waiting is not queued again, so
// a burst of changes costs a few reconciles, each of which reads the
// latest state. A reconcile spends reconcileTime, then writes the object's
// status, a ConfigMap of the controller's own holding the counter it read.
// A failed reconcile is retried after 5ms × 2^(failures so far − 1),
// capped at 1000s (the per-item exponential limiter; the overall 10 qps /
// burst 100 bucket rarely matters), until one succeeds or maxRetries
// failures in a row drop the object until its next change.
//
// # Namespaces, labels and watchers
//
// Churn object i is the ConfigMap "<churn>-<i>"; it lives in namespace i
// mod namespaces — the churn's name when it has one namespace,
// "<churn>-ns-<k>" when it has several — and, with shards, carries the
// label shard=<i mod shards>, the one label the model gives objects. The
// shared ConfigMaps and the controllers' status objects live in "default".
// No two namespaces may share a name; there are at most 10000 (the number
// sig-scalability tests).
//
// A watcher group is count watch clients, each a reflector — list, then
// watch; watch again from its resource version when the watch times out
// (after 5 to 10 minutes, drawn per watch); relist after a broken watch or
// a 410 Gone — on its own client and connection, asking for bookmarks, as
// the service account watchers/<group> (APF's service-accounts schema,
// workload-low). A watcher keeps counts, not objects. It may select a
// namespace (not for nodes, which are cluster-scoped, nor for leases, which
// the model keeps without their namespace), one object by
// metadata.name, and the shard label. In those three fields "{i}" stands
// for the watcher's index, 0 to count−1, so that watcher i can watch
// namespace i or object i; every name must exist. readTime is how long a
// watcher takes to read one event off its connection, drawn once per
// watcher: a slow reader fills its channels on the API server, which then
// drops it (see package apiserver). A group that starts at 0 was watching
// before the run began — synced, its watches open, as the kubelets' —; one
// that starts later lists, then watches, at its start, all its watchers at
// once.
//
// # Node pools and object sizes
//
// Every node of a pool has the pool's allocatable cpu, memory and pods,
// its labels, taints and images (each image's name normalised with
// ":latest" when untagged, its size in bytes), and the labels
// kubernetes.io/hostname=<node name> and topology.kubernetes.io/zone=<its
// zone>, which a pool's labels may not set (Scenario.PoolNode). Label keys
// and values, taint keys, values and effects (NoSchedule,
// PreferNoSchedule, NoExecute) are checked as Kubernetes checks them.
// Node i of all the pools in order has ID i (Scenario.NodeID).
//
// spec.cluster.objectSizes are the serialized sizes objects are given for
// write and watch volume: Lease ~300 B, Node 15 KB, Pod 4 KB (sources in
// model/objects and defaults.go). A Service has
// objects.DefaultServiceSize (1000 B), not yet set here.
//
// # Workload objects and manifests
//
// spec.workload.objects lists Kubernetes objects — Deployments,
// ReplicaSets, Pods, Nodes and Services — written inline or read from manifest files
// ({file: path}, relative to the scenario file; a built-in scenario's are
// in builtin/manifests/). A file holds one object per YAML document; a v1
// List holds several. They are read as kubectl would send them
// (apiVersion apps/v1 for Deployments and ReplicaSets, v1 for Pods, Nodes
// and Services) and converted to their model/objects forms (Workload.Objects),
// with the API server's defaults: one replica, RollingUpdate with 25%
// surge and unavailability, 10 old ReplicaSets, a 600 s progress
// deadline, namespace "default", terminationGracePeriodSeconds 30,
// requests defaulted from limits in pods, a Service's type ClusterIP, its
// ports' protocol TCP and targetPort the port. Quantities are exact.
//
// What orrery models of each kind: metadata name, namespace and labels (a
// Deployment's or ReplicaSet's own labels are checked, not kept);
// for Deployments and ReplicaSets replicas, selector (matchLabels,
// matchExpressions), template, minReadySeconds, and for Deployments the
// strategy (type, maxSurge, maxUnavailable), revisionHistoryLimit and
// progressDeadlineSeconds; for pod specs the containers and init
// containers (name, image, cpu and memory requests and limits, an init
// container's restartPolicy Always for a sidecar), overhead, tolerations,
// nodeSelector, node affinity (matchExpressions), pod affinity and
// anti-affinity (labelSelector, namespaces, topologyKey), topology spread
// constraints, terminationGracePeriodSeconds and, for a Pod, nodeName; for
// Nodes the labels, spec.taints and unschedulable, status.allocatable (or
// capacity) cpu, memory and pods, and status.images; for Services
// (whose name must be a DNS-1035 label) spec.selector, the number of
// spec.ports (each's name, protocol, port and targetPort are checked:
// names required and unique when there are several, no port/protocol
// twice), spec.type (an ExternalName Service gets no endpoints; its
// externalName is required), clusterIP (checked: "None", a headless
// Service, may have no ports) and publishNotReadyAddresses. Their values
// are checked as the API server's validation checks them: a bad value is
// an error with the file, line and field.
//
// Every other field — a container's ports, env, probes, volumes,
// annotations, status, other resources such as ephemeral-storage, a
// Service's session affinity, traffic policies, IP families and node
// ports — is a warning (Scenario.Warnings, printed by orrery on stderr)
// and ignored, and so is an object of another kind (a ConfigMap in the
// same file). A key that is
// no Kubernetes field but is close to a modeled one ("replica", "resourses")
// is taken for a typo: an error.
//
// A Node object is one more node with a kubelet, beside the pools' nodes,
// numbered after them; its zone comes from its labels. A pod's nodeName
// must name a pool node or a Node object.
//
// # Actions
//
// spec.workload.actions change objects at virtual times, in time order
// (in the order written at the same time), each as kubectl would:
//
//   - create: the object of spec.workload.objects named by object
//     ("kind/name": deployment/web, deploy/web, rs/cache, pod/p, node/n,
//     svc/web;
//     namespace: when not "default"), or the objects of an inline manifest
//     or of a manifest file. An object that a create names is created by
//     that action, not at time 0; every other object of
//     spec.workload.objects exists from time 0.
//   - scale: a Deployment or ReplicaSet to replicas (≥ 0).
//   - update: a Deployment's template, as kubectl set image and kubectl set
//     resources: the container named by container (every app container
//     if none) gets image and the requests and limits named (the others
//     stay), which starts a rollout. Action.Template is the template after
//     the update.
//   - delete: any object, pool nodes included; gracePeriod (whole
//     seconds) is the delete's gracePeriodSeconds, the pod's own when
//     unset. Or, with selector instead of object, as kubectl delete pods
//     -l: the active pods of the namespace (namespace:, default
//     "default") whose labels include the selector's (a mapping of
//     labels), looked up at the action's time — a controller's pods,
//     whose names are generated; count: N deletes only the N oldest.
//
// Each action's target must exist at its time, and a create's objects
// must not.
//
// # Pod churn
//
// A pod churn generator creates bare pods from its template, evenly
// spaced at rate pods per second from start for duration, and deletes
// each one its lifetime (drawn per pod from the distribution) after it was
// created: the steady churn of short-lived pods of the reference cluster
// (sig-scalability's SLOs assume at most 20 pods/s).
//
// # How a run carries out the workload
//
// A scenario with objects or pod churn runs kube-scheduler
// (spec.cluster.scheduler: replicas, percentageOfNodesToScore) and
// kube-controller-manager's ReplicaSet, Deployment and EndpointSlice
// controllers (spec.cluster.controllerManager: replicas,
// replicaSetController level or edge), each under leader election on a kube-system Lease, and turns
// on the kubelets' pod side; a scenario without them builds none of it.
// The objects of spec.workload.objects that no create action defers exist
// from time 0 in the state of a cluster that has been running for an hour:
// Deployments rolled out with their ReplicaSet, every pod Running and
// Ready on a node (pods without a nodeName placed by the scheduling
// algorithm at build time; one that fits nowhere starts Pending), each
// Node with its kubelet, which runs its pods' containers, has their
// images and watches its pods (it sends nothing for them until they
// change), each Service with no EndpointSlice yet (the
// controller makes them at its start). kubectl sends each action at its
// time, one request each, noted on the timeline with its answer. Pool
// nodes carry the pool's cpu, memory, pods, labels, taints and images. Creating a Node by an action is not simulated (an
// error): a node joins by its kubelet registering.
//
// spec.trace: true narrates every committed change of a Deployment,
// ReplicaSet or Pod on the timeline (created, scaled, bound, accepted by
// the kubelet, Running, Ready, terminating, deleted), and kube-scheduler
// notes each decision with every feasible node's score by plugin (or the
// "0/N nodes are available: …" of a failure): the step-by-step
// walkthrough for small scenarios.
//
// # Built-in scenarios
//
// Scenarios in builtin/ are compiled in: see Builtins, LoadBuiltin and
// Load, which takes either a file path or a built-in name.
package scenarios
