// Package objects holds compact forms of the objects workloads are made
// of — Pod, Node, ReplicaSet, Deployment, Service, EndpointSlice — with
// the rules Kubernetes applies to them before any controller or the
// scheduler looks: request
// summation (init containers, sidecars, overhead), the scheduler's
// non-zero request defaults, API defaulting of requests from limits, the
// QoS class, label and node selectors, taints and tolerations, the
// deployment fenceposts and the pod-template-hash.
//
// The forms are built for a simulator that holds 150,000 pods: strings are
// interned into Syms (one Interner per simulation), label sets are sorted
// slices, and pods stamped from one template share one immutable *PodSpec
// whose derived values (requests, QoS) are computed once by Finish.
// Quantities are exact integers: CPU in millicores, memory in bytes,
// parsed as resource.Quantity does (internal/quantity).
//
// Each rule names the upstream file it follows. What the model leaves out:
//   - resources other than CPU, memory and the pod count: ephemeral
//     storage, hugepages, extended resources (GPUs), pod-level resources
//     (alpha/beta), in-place resize;
//   - node-affinity matchFields (metadata.name), pod-affinity
//     namespaceSelector, topology-spread matchLabelKeys and non-default
//     node inclusion policies, the Lt/Gt toleration operators (alpha);
//   - host ports, volumes, priority classes and preemption policy, probes,
//     restart policy, scheduling gates, DRA claims;
//   - node conditions other than Ready and MemoryPressure; several names
//     per node image;
//   - the exact pod-template-hash value (see TemplateHash);
//   - of a Service, all but its selector, number of ports, type
//     ExternalName and publishNotReadyAddresses (no ClusterIP, IP
//     families, session affinity, traffic policies); of an
//     EndpointSlice, addresses beyond the pod's one IP, hostnames, zones
//     and hints; a pod's IP is only whether it has one (Pod.HasIP).
package objects
