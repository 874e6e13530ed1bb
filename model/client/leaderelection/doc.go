// Package leaderelection is client-go's leader election
// (k8s.io/client-go/tools/leaderelection) on a Lease lock, as
// kube-scheduler and kube-controller-manager run it: leaseDuration 15s,
// renewDeadline 10s, retryPeriod 2s.
//
// A candidate's Elector tries to acquire the lease at once and then every
// retryPeriod, jittered by a factor 1.2 (2–4.4s), each try
// tryAcquireOrRenew: GET the Lease (create it if it does not exist); if
// another holder's lease has not expired — judged by the candidate's own
// clock, leaseDuration after it last saw the record change — give up;
// otherwise PUT the record with itself as holder, the resource version it
// read as precondition (a race loses with 409) and leaseTransitions + 1.
// The leader then renews in rounds: a round tries at once and, on
// failure, every retryPeriod; a round that has not succeeded within
// renewDeadline loses the leadership (OnStoppedLeading: the components
// exit); after a successful round the next starts retryPeriod later. A
// leader's renewal takes the fast path: a PUT of its cached lease without
// a GET, falling back to the GET path if it fails.
//
// A standby that watches the Lease see the renewals every ~2s; when the
// leader dies, its lease expires leaseDuration after the standby last saw
// it change, and the standby's next try (within a jittered retry period)
// takes it: failover within leaseDuration + 2.2 × retryPeriod plus the
// request latencies.
//
// Metrics: leader_election_master_status{name,identity} (1 while
// leading), leader_election_acquired_total{name} (leader changes),
// leader_election_lost_total{name}, leader_election_slowpath_total{name};
// each acquisition and loss is a timeline note.
//
// What the model leaves out: ReleaseOnCancel (a graceful stop that
// clears the holder; a stopped Elector just goes silent, as a crash
// does), the end-of-term field and coordinated leader election, the
// healthz watchdog, and other lock types (endpoints, configmaps).
package leaderelection
