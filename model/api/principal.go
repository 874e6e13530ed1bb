package api

// Identity is an authenticated (or anonymous) user, as the API server's
// authenticators produce it: what authorization and API Priority and
// Fairness match against.
type Identity struct {
	User   string
	Groups []string
}

// PrincipalID indexes the run's Principals. The zero value is the first
// principal registered; a request whose client registered none carries it.
type PrincipalID int32

// Principal is who sends a client's requests: an identity, and the
// namespace its namespaced objects live in (the kubelets' Leases are in
// kube-node-lease).
type Principal struct {
	Identity
	Namespace string
}

// Principals is the table of every client identity of a run. It is filled
// while the cluster is built and shared by every API server replica, so a
// request carries a small integer instead of strings.
type Principals struct {
	list []Principal
}

// Add registers p and returns its ID.
func (t *Principals) Add(p Principal) PrincipalID {
	t.list = append(t.list, p)
	return PrincipalID(len(t.list) - 1)
}

// Get returns the principal with the given ID.
func (t *Principals) Get(id PrincipalID) Principal { return t.list[id] }

// Len is the number of principals.
func (t *Principals) Len() int { return len(t.list) }

// Scope is the extent of a request, as the sig-scalability API call
// latency SLOs group read-only calls: one object, a namespace, or the
// whole cluster (kubernetes/community
// sig-scalability/slos/api_call_latency.md).
type Scope uint8

const (
	ScopeResource Scope = iota
	ScopeNamespace
	ScopeCluster
	NumScopes
)

var scopeNames = [...]string{"resource", "namespace", "cluster"}

func (s Scope) String() string { return scopeNames[s] }

// Scope is the request's scope label, as upstream's metrics give it
// (k8s.io/apiserver/pkg/endpoints/metrics/metrics.go CleanScope and
// CleanListScope): "resource" for a call on one object or a create — and
// for a list or watch by name (a metadata.name field selector) —
// "namespace" for a list or watch of one namespace (its URL's, or a
// metadata.namespace field selector), "cluster" for one across
// namespaces.
func (r *Request) Scope() Scope {
	if r.Verb != List && r.Verb != Watch || r.Name >= 0 {
		return ScopeResource
	}
	if r.Namespace != AllNamespaces {
		return ScopeNamespace
	}
	return ScopeCluster
}
