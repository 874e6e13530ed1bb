package apf

import "time"

// The bootstrap configuration of Kubernetes 1.31, as data. Every value is
// from k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go (the
// flowcontrol/v1 objects, unchanged from 1.29 through 1.33) unless the
// comment says otherwise. "default.go: X" names the Go variable there.

// Well-known user and group names (k8s.io/apiserver/pkg/authentication/user
// and .../serviceaccount).
const (
	UserKubeControllerManager = "system:kube-controller-manager" // user.KubeControllerManager
	UserKubeScheduler         = "system:kube-scheduler"          // user.KubeScheduler
	UserAnonymous             = "system:anonymous"               // user.Anonymous
	GroupMasters              = "system:masters"                 // user.SystemPrivilegedGroup
	GroupNodes                = "system:nodes"                   // user.NodesGroup
	GroupAuthenticated        = "system:authenticated"           // user.AllAuthenticated
	GroupUnauthenticated      = "system:unauthenticated"         // user.AllUnauthenticated
	GroupServiceAccounts      = "system:serviceaccounts"         // serviceaccount.AllServiceAccountsGroup
	NodeUserPrefix            = "system:node:"                   // the node authorizer's user name prefix
	ServiceAccountUserPrefix  = "system:serviceaccount:"         // serviceaccount.ServiceAccountUsernamePrefix
	NamespaceSystem           = "kube-system"                    // metav1.NamespaceSystem
	NamespaceNodeLease        = "kube-node-lease"                // corev1.NamespaceNodeLease
	GroupCoordination         = "coordination.k8s.io"            // coordinationv1.GroupName
	GroupCore                 = ""                               // corev1.GroupName
	GroupApps                 = "apps"                           // appsv1.GroupName
	GroupDiscovery            = "discovery.k8s.io"               // discoveryv1.GroupName
)

// DefaultConfig is the API server's default APF configuration: the
// bootstrap priority levels and flow schemas, 600 seats, and the default
// work-estimator parameters.
func DefaultConfig() Config {
	return Config{
		// --max-requests-inflight 400 + --max-mutating-requests-inflight 200
		// (k8s.io/apiserver/pkg/server/config.go defaults; summed in
		// pkg/server/options/feature.go when APF is enabled).
		ServerConcurrencyLimit: 600,
		// --request-timeout (pkg/server/config.go: RequestTimeout 60s).
		RequestTimeout: 60 * time.Second,
		// priority-and-fairness.go getRequestWaitContext: "the wait limit for
		// any request must not exceed the hard limit of 1m".
		MaxWaitLimit: time.Minute,
		// queueset.go queueSetCompleter.Complete: estimatedServiceDuration 3ms.
		EstimatedServiceDuration: 3 * time.Millisecond,
		// apf_controller.go: priorityLevelMaxSeatsPercent = 0.15.
		MaxSeatsPercent: 15,
		Work:            DefaultWorkConfig(),
		Levels:          DefaultLevels(),
		Schemas:         DefaultSchemas(),
	}
}

// DefaultWorkConfig is request/config.go's DefaultWorkEstimatorConfig
// (1.29–1.33: minimumSeats 1, maximumSeatsLimit 10, objectsPerSeat 100,
// watchesPerSeat 10, eventAdditionalDuration 5ms, enabled).
func DefaultWorkConfig() WorkConfig {
	return WorkConfig{
		MinimumSeats:            1,
		MaximumSeats:            10,
		ObjectsPerSeat:          100,
		MutatingEnabled:         true,
		WatchesPerSeat:          10,
		EventAdditionalDuration: 5 * time.Millisecond,
	}
}

// DefaultLevels are the mandatory and suggested PriorityLevelConfigurations.
// ΣNCS = 0 + 30 + 40 + 10 + 40 + 100 + 20 + 5 = 245.
func DefaultLevels() []LevelConfig {
	return []LevelConfig{
		// MandatoryPriorityLevelConfigurationExempt: Exempt,
		// NominalConcurrencyShares 0, LendablePercent 0.
		{Name: "exempt", Type: Exempt},
		// SuggestedPriorityLevelConfigurationSystem: NCS 30, lendable 33,
		// Queues 64, HandSize 6, QueueLengthLimit 50.
		{Name: "system", Type: Queuing, NominalConcurrencyShares: 30, LendablePercent: 33, Queues: 64, HandSize: 6, QueueLengthLimit: 50},
		// SuggestedPriorityLevelConfigurationNodeHigh: NCS 40, lendable 25,
		// Queues 64, HandSize 6, QueueLengthLimit 50.
		{Name: "node-high", Type: Queuing, NominalConcurrencyShares: 40, LendablePercent: 25, Queues: 64, HandSize: 6, QueueLengthLimit: 50},
		// SuggestedPriorityLevelConfigurationLeaderElection: NCS 10,
		// lendable 0, Queues 16, HandSize 4, QueueLengthLimit 50.
		{Name: "leader-election", Type: Queuing, NominalConcurrencyShares: 10, LendablePercent: 0, Queues: 16, HandSize: 4, QueueLengthLimit: 50},
		// SuggestedPriorityLevelConfigurationWorkloadHigh: NCS 40, lendable
		// 50, Queues 128, HandSize 6, QueueLengthLimit 50.
		{Name: "workload-high", Type: Queuing, NominalConcurrencyShares: 40, LendablePercent: 50, Queues: 128, HandSize: 6, QueueLengthLimit: 50},
		// SuggestedPriorityLevelConfigurationWorkloadLow: NCS 100, lendable
		// 90, Queues 128, HandSize 6, QueueLengthLimit 50.
		{Name: "workload-low", Type: Queuing, NominalConcurrencyShares: 100, LendablePercent: 90, Queues: 128, HandSize: 6, QueueLengthLimit: 50},
		// SuggestedPriorityLevelConfigurationGlobalDefault: NCS 20, lendable
		// 50, Queues 128, HandSize 6, QueueLengthLimit 50.
		{Name: "global-default", Type: Queuing, NominalConcurrencyShares: 20, LendablePercent: 50, Queues: 128, HandSize: 6, QueueLengthLimit: 50},
		// MandatoryPriorityLevelConfigurationCatchAll: NCS 5, lendable 0,
		// LimitResponse Reject (no queuing).
		{Name: "catch-all", Type: Reject, NominalConcurrencyShares: 5, LendablePercent: 0},
	}
}

var (
	all           = []string{"*"}
	ruleAll       = ResourceRule{Verbs: all, APIGroups: all, Resources: all, Namespaces: all, ClusterScope: true}
	ruleNonRscAll = NonResourceRule{Verbs: all, URLs: all}
	leaderVerbs   = []string{"get", "create", "update"}
)

func groups(names ...string) []Subject {
	out := make([]Subject, len(names))
	for i, n := range names {
		out[i] = Subject{Kind: SubjectGroup, Name: n}
	}
	return out
}

func users(names ...string) []Subject {
	out := make([]Subject, len(names))
	for i, n := range names {
		out[i] = Subject{Kind: SubjectUser, Name: n}
	}
	return out
}

func kubeSystemServiceAccounts(names ...string) []Subject {
	out := make([]Subject, len(names))
	for i, n := range names {
		out[i] = Subject{Kind: SubjectServiceAccount, Name: n, Namespace: NamespaceSystem}
	}
	return out
}

func allFor(subjects []Subject) []PolicyRule {
	return []PolicyRule{{Subjects: subjects, Resources: []ResourceRule{ruleAll}, NonResources: []NonResourceRule{ruleNonRscAll}}}
}

// DefaultSchemas are the mandatory and suggested FlowSchemas, in matching
// order (precedence, then name, as apihelpers.FlowSchemaSequence sorts).
func DefaultSchemas() []FlowSchema {
	return []FlowSchema{
		// MandatoryFlowSchemaExempt: precedence 1, no distinguisher, group
		// system:masters, everything.
		{Name: "exempt", Level: "exempt", MatchingPrecedence: 1, Distinguisher: DistinguishNone,
			Rules: allFor(groups(GroupMasters))},
		// SuggestedFlowSchemaProbes: precedence 2, no distinguisher, everyone,
		// GET /healthz, /readyz, /livez.
		{Name: "probes", Level: "exempt", MatchingPrecedence: 2, Distinguisher: DistinguishNone,
			Rules: []PolicyRule{{Subjects: groups(GroupUnauthenticated, GroupAuthenticated),
				NonResources: []NonResourceRule{{Verbs: []string{"get"}, URLs: []string{"/healthz", "/readyz", "/livez"}}}}}},
		// SuggestedFlowSchemaSystemLeaderElection: precedence 100, ByUser,
		// kube-controller-manager, kube-scheduler and every kube-system
		// service account; get/create/update of coordination.k8s.io leases
		// in any namespace.
		{Name: "system-leader-election", Level: "leader-election", MatchingPrecedence: 100, Distinguisher: ByUser,
			Rules: []PolicyRule{{
				Subjects: append(users(UserKubeControllerManager, UserKubeScheduler), kubeSystemServiceAccounts("*")...),
				Resources: []ResourceRule{{Verbs: leaderVerbs, APIGroups: []string{GroupCoordination},
					Resources: []string{"leases"}, Namespaces: all}}}}},
		// SuggestedFlowSchemaEndpointsController: precedence 150, ByUser,
		// kube-controller-manager and the kube-system service accounts
		// endpoint-controller and endpointslicemirroring-controller;
		// get/create/update of core endpoints in any namespace.
		{Name: "endpoint-controller", Level: "workload-high", MatchingPrecedence: 150, Distinguisher: ByUser,
			Rules: []PolicyRule{{
				Subjects: append(users(UserKubeControllerManager), kubeSystemServiceAccounts("endpoint-controller", "endpointslicemirroring-controller")...),
				Resources: []ResourceRule{{Verbs: leaderVerbs, APIGroups: []string{GroupCore},
					Resources: []string{"endpoints"}, Namespaces: all}}}}},
		// SuggestedFlowSchemaWorkloadLeaderElection: precedence 200, ByUser,
		// every kube-system service account; get/create/update of core
		// endpoints and configmaps, and of leases, in any namespace.
		{Name: "workload-leader-election", Level: "leader-election", MatchingPrecedence: 200, Distinguisher: ByUser,
			Rules: []PolicyRule{{
				Subjects: kubeSystemServiceAccounts("*"),
				Resources: []ResourceRule{
					{Verbs: leaderVerbs, APIGroups: []string{GroupCore}, Resources: []string{"endpoints", "configmaps"}, Namespaces: all},
					{Verbs: leaderVerbs, APIGroups: []string{GroupCoordination}, Resources: []string{"leases"}, Namespaces: all},
				}}}},
		// SuggestedFlowSchemaSystemNodeHigh: precedence 400, ByUser, group
		// system:nodes; every verb on core nodes and nodes/status (cluster
		// scope) and on coordination.k8s.io leases in any namespace. This is
		// where the kubelet's Lease renewals and node status updates go.
		{Name: "system-node-high", Level: "node-high", MatchingPrecedence: 400, Distinguisher: ByUser,
			Rules: []PolicyRule{{
				Subjects: groups(GroupNodes),
				Resources: []ResourceRule{
					{Verbs: all, APIGroups: []string{GroupCore}, Resources: []string{"nodes", "nodes/status"}, Namespaces: all, ClusterScope: true},
					{Verbs: all, APIGroups: []string{GroupCoordination}, Resources: []string{"leases"}, Namespaces: all},
				}}}},
		// SuggestedFlowSchemaSystemNodes: precedence 500, ByUser, group
		// system:nodes, everything else.
		{Name: "system-nodes", Level: "system", MatchingPrecedence: 500, Distinguisher: ByUser,
			Rules: allFor(groups(GroupNodes))},
		// SuggestedFlowSchemaKubeControllerManager: precedence 800,
		// ByNamespace, user system:kube-controller-manager, everything.
		{Name: "kube-controller-manager", Level: "workload-high", MatchingPrecedence: 800, Distinguisher: ByNamespace,
			Rules: allFor(users(UserKubeControllerManager))},
		// SuggestedFlowSchemaKubeScheduler: precedence 800, ByNamespace, user
		// system:kube-scheduler, everything.
		{Name: "kube-scheduler", Level: "workload-high", MatchingPrecedence: 800, Distinguisher: ByNamespace,
			Rules: allFor(users(UserKubeScheduler))},
		// SuggestedFlowSchemaKubeSystemServiceAccounts: precedence 900,
		// ByNamespace, every kube-system service account, everything.
		{Name: "kube-system-service-accounts", Level: "workload-high", MatchingPrecedence: 900, Distinguisher: ByNamespace,
			Rules: allFor(kubeSystemServiceAccounts("*"))},
		// SuggestedFlowSchemaServiceAccounts: precedence 9000, ByUser, group
		// system:serviceaccounts, everything.
		{Name: "service-accounts", Level: "workload-low", MatchingPrecedence: 9000, Distinguisher: ByUser,
			Rules: allFor(groups(GroupServiceAccounts))},
		// SuggestedFlowSchemaGlobalDefault: precedence 9900, ByUser, groups
		// system:unauthenticated and system:authenticated, everything.
		{Name: "global-default", Level: "global-default", MatchingPrecedence: 9900, Distinguisher: ByUser,
			Rules: allFor(groups(GroupUnauthenticated, GroupAuthenticated))},
		// MandatoryFlowSchemaCatchAll: precedence 10000, ByUser, groups
		// system:unauthenticated and system:authenticated, everything. Only
		// reached if global-default is removed.
		{Name: "catch-all", Level: "catch-all", MatchingPrecedence: 10000, Distinguisher: ByUser,
			Rules: allFor(groups(GroupUnauthenticated, GroupAuthenticated))},
	}
}
