// Package scenarios reads orrery scenario files.
//
// A scenario file is one YAML document, shaped like a Kubernetes object,
// that says what to simulate (a cluster), for how long, what goes wrong
// (faults) and what the run's report must show (expectations):
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
//	    apiServer:
//	      maxRequestsInflight: 400
//	      maxMutatingRequestsInflight: 200
//	      queueLength: 50
//	      queueWaitLimit: 15s
//	      serviceTime: {kind: lognormal, median: 1ms, p99: 5ms}
//	    storage:
//	      commitLatency: {kind: lognormal, median: 2ms, p99: 10ms}
//	      readLatency: {kind: lognormal, median: 500us, p99: 2ms}
//	    network:
//	      latency: {kind: uniform, min: 200us, max: 1ms}
//	      loss: 0                       # probability in [0, 1)
//	      streamFailureDetection: 45s
//	    kubelet:
//	      nodeLeaseDuration: 40s
//	      nodeStatusUpdateFrequency: 10s
//	      nodeStatusReportFrequency: 5m
//	      jitter: true
//	    nodeLifecycle:
//	      monitorPeriod: 5s
//	      gracePeriod: 40s              # must exceed monitorPeriod
//	    clients:                        # client-go token buckets
//	      kubelet: {qps: 50, burst: 100}
//	      heartbeat: {qps: -1, timeout: 10s}
//	      controllerManager: {qps: 20, burst: 30, timeout: 60s}
//	  faults:
//	    - at: 30s                       # required, before spec.duration
//	      type: stopKubelet             # required
//	      nodes: {names: [node-2]}      # required
//	      duration: 90s                 # restart the kubelet after 90s
//	  expect:
//	    - metric: fault.0.detectSeconds # required
//	      min: 40                       # numbers, or durations in seconds
//	      max: 50s
//
// Everything under cluster except nodePools is optional; the values shown
// are the defaults for Kubernetes 1.31.
//
// # Strictness
//
// Parse rejects unknown fields (suggesting the closest known one), wrong
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
// Quantities (cpu, memory) follow Kubernetes' resource.Quantity: "4",
// "0.5", "500m", "2k", "5M", "64Gi", "1.5Gi", "1e3". They are stored
// exactly, rounded up: cpu in millicores (NodePool.CPUMilli), memory in
// bytes (NodePool.MemoryBytes).
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
// # Faults and node selectors
//
// A fault's type is one of
//
//   - stopKubelet: the kubelet stops; with a duration it restarts after it.
//   - restartKubelet: the kubelet restarts at once (no duration).
//   - partition: the nodes lose the network; duration (required) says when
//     it heals.
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
// limits (5/10, 50/100 from 1.27). Others follow fields the file sets, as
// upstream: setting only nodeStatusUpdateFrequency moves
// nodeStatusReportFrequency with it, and the heartbeat client's timeout is
// min(nodeStatusUpdateFrequency, nodeLeaseDuration). Every default cites
// its upstream source in defaults.go, or says that it is an orrery
// assumption.
//
// # Built-in scenarios
//
// Scenarios in builtin/ are compiled in: see Builtins, LoadBuiltin and
// Load, which takes either a file path or a built-in name.
package scenarios
