package apf

import (
	"strings"

	"github.com/orrery-sim/orrery/model/api"
)

// Identity is an authenticated (or anonymous) user: what APF matches
// subjects against. It is the api package's, so that clients can carry it.
type Identity = api.Identity

// Kubelet is node's kubelet: the node authorizer's user system:node:<node>
// in group system:nodes.
func Kubelet(node string) Identity {
	return Identity{User: NodeUserPrefix + node, Groups: []string{GroupNodes, GroupAuthenticated}}
}

// KubeControllerManager is kube-controller-manager's own identity (what it
// uses for leader election, and for every controller when
// --use-service-account-credentials is off).
func KubeControllerManager() Identity {
	return Identity{User: UserKubeControllerManager, Groups: []string{GroupAuthenticated}}
}

// KubeScheduler is kube-scheduler's identity.
func KubeScheduler() Identity {
	return Identity{User: UserKubeScheduler, Groups: []string{GroupAuthenticated}}
}

// ServiceAccount is the service account namespace/name, as its token
// authenticates: system:serviceaccount:<ns>:<name> in groups
// system:serviceaccounts and system:serviceaccounts:<ns>. With
// --use-service-account-credentials (kubeadm's default), each
// kube-controller-manager controller is ServiceAccount("kube-system",
// "<controller>"), e.g. "node-controller".
func ServiceAccount(namespace, name string) Identity {
	return Identity{
		User:   ServiceAccountUserPrefix + namespace + ":" + name,
		Groups: []string{GroupServiceAccounts, GroupServiceAccounts + ":" + namespace, GroupAuthenticated},
	}
}

// User is an ordinary authenticated user with no special groups.
func User(name string) Identity {
	return Identity{User: name, Groups: []string{GroupAuthenticated}}
}

// Admin is a cluster administrator (group system:masters).
func Admin(name string) Identity {
	return Identity{User: name, Groups: []string{GroupMasters, GroupAuthenticated}}
}

// Anonymous is an unauthenticated request.
func Anonymous() Identity {
	return Identity{User: UserAnonymous, Groups: []string{GroupUnauthenticated}}
}

// Descriptor is what APF knows of a request when it classifies it: the
// user (apirequest.UserFrom) and the RequestInfo fields the rules read.
type Descriptor struct {
	Identity
	// Verb as RequestInfo spells it: get, list, watch, create, update,
	// patch, delete, deletecollection.
	Verb string
	// A resource request has Resource set; Namespace is "" for
	// cluster-scoped objects.
	APIGroup    string
	Resource    string
	Subresource string
	Namespace   string
	// A non-resource request has Resource empty and Path set ("/healthz").
	Path string
}

// Describe is the descriptor of a simulated request: who sends it and the
// verb and resource of the api package. namespace is where a namespaced
// object lives (NamespaceNodeLease for the kubelets' Leases); it is
// ignored for the cluster-scoped Nodes.
func Describe(id Identity, v api.Verb, r api.Resource, namespace string) Descriptor {
	d := Descriptor{Identity: id, Verb: v.String()}
	switch r {
	case api.Nodes:
		d.APIGroup, d.Resource = GroupCore, "nodes"
	case api.NodeStatus:
		d.APIGroup, d.Resource, d.Subresource = GroupCore, "nodes", "status"
	case api.Leases:
		d.APIGroup, d.Resource, d.Namespace = GroupCoordination, "leases", namespace
	case api.ConfigMaps:
		d.APIGroup, d.Resource, d.Namespace = GroupCore, "configmaps", namespace
	case api.Pods:
		d.APIGroup, d.Resource, d.Namespace = GroupCore, "pods", namespace
	case api.PodStatus:
		d.APIGroup, d.Resource, d.Subresource, d.Namespace = GroupCore, "pods", "status", namespace
	case api.PodBinding:
		d.APIGroup, d.Resource, d.Subresource, d.Namespace = GroupCore, "pods", "binding", namespace
	case api.ReplicaSets:
		d.APIGroup, d.Resource, d.Namespace = GroupApps, "replicasets", namespace
	case api.Deployments:
		d.APIGroup, d.Resource, d.Namespace = GroupApps, "deployments", namespace
	case api.Services:
		d.APIGroup, d.Resource, d.Namespace = GroupCore, "services", namespace
	case api.EndpointSlices:
		d.APIGroup, d.Resource, d.Namespace = GroupDiscovery, "endpointslices", namespace
	default:
		panic("apf: Describe of an unknown resource")
	}
	return d
}

// LevelID indexes the controller's priority levels (Controller.Levels).
type LevelID int16

// SchemaID indexes the controller's flow schemas in matching order
// (Controller.Schemas).
type SchemaID int16

// Classification is where a request goes: its flow schema, priority level
// and flow. Classify is a pure function of the descriptor, so a caller may
// cache it per (identity, verb, resource, namespace).
type Classification struct {
	Level  LevelID
	Schema SchemaID
	// Distinguisher is the flow distinguisher (the user name or the
	// namespace, by the schema's method). As upstream, it is computed only
	// for levels that queue in more than one queue, and is "" otherwise.
	Distinguisher string
	// Hash is the flow's shuffle-sharding hash (0 when Distinguisher is
	// not computed): FlowHash(schema name, Distinguisher).
	Hash uint64
}

// Classify finds the first flow schema, in matching order, that matches d.
// Upstream falls back to catch-all when nothing matches (a request whose
// user is in neither system:authenticated nor system:unauthenticated);
// so does this.
func (c *Controller) Classify(d Descriptor) Classification {
	sid := c.catchAllSchema
	for i := range c.schemas {
		if matchesSchema(&d, &c.schemas[i].cfg) {
			sid = SchemaID(i)
			break
		}
	}
	s := &c.schemas[sid]
	cl := Classification{Level: s.level, Schema: sid}
	if l := &c.levels[s.level]; l.cfg.Type == Queuing && l.cfg.Queues > 1 {
		switch s.cfg.Distinguisher {
		case ByUser:
			cl.Distinguisher = d.User
		case ByNamespace:
			cl.Distinguisher = d.Namespace
		}
		cl.Hash = FlowHash(s.cfg.Name, cl.Distinguisher)
	}
	return cl
}

// FlowHash is the flow's shuffle-sharding hash: FNV-1a (64-bit) over
// schema, a zero byte, and distinguisher, finished with the SplitMix64
// mixer so that every bit depends on every input byte. Upstream
// (apf_controller.go hashFlowID) takes the first 8 bytes, little endian,
// of SHA-256 over the same bytes; the hand a flow is dealt therefore
// differs from a real server's, but it is as fixed and as well spread.
func FlowHash(schema, distinguisher string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(schema); i++ {
		h ^= uint64(schema[i])
		h *= prime
	}
	h *= prime // the zero separator: h ^= 0 is a no-op
	for i := 0; i < len(distinguisher); i++ {
		h ^= uint64(distinguisher[i])
		h *= prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// matchesSchema is apf_controller.go's matchesFlowSchema: any rule matches.
func matchesSchema(d *Descriptor, fs *FlowSchema) bool {
	for i := range fs.Rules {
		if matchesPolicyRule(d, &fs.Rules[i]) {
			return true
		}
	}
	return false
}

func matchesPolicyRule(d *Descriptor, r *PolicyRule) bool {
	matched := false
	for i := range r.Subjects {
		if matchesSubject(d, &r.Subjects[i]) {
			matched = true
			break
		}
	}
	if !matched {
		return false
	}
	if d.Resource != "" {
		for i := range r.Resources {
			if matchesResourceRule(d, &r.Resources[i]) {
				return true
			}
		}
		return false
	}
	for i := range r.NonResources {
		if matchesNonResourceRule(d, &r.NonResources[i]) {
			return true
		}
	}
	return false
}

func matchesSubject(d *Descriptor, s *Subject) bool {
	switch s.Kind {
	case SubjectUser:
		return s.Name == "*" || s.Name == d.User
	case SubjectGroup:
		for _, g := range d.Groups {
			if s.Name == "*" || s.Name == g {
				return true
			}
		}
		return false
	case SubjectServiceAccount:
		// serviceaccount.MatchesUsername, or only the namespace for "*".
		rest, ok := strings.CutPrefix(d.User, ServiceAccountUserPrefix)
		if !ok {
			return false
		}
		rest, ok = strings.CutPrefix(rest, s.Namespace+":")
		if !ok {
			return false
		}
		return s.Name == "*" || rest == s.Name
	}
	return false
}

// matchesResourceRule is match.go's matchesResourcePolicyRule.
func matchesResourceRule(d *Descriptor, r *ResourceRule) bool {
	if !containsOrAll(r.Verbs, d.Verb) || !containsOrAll(r.APIGroups, d.APIGroup) {
		return false
	}
	resourceOK := false
	for _, rr := range r.Resources {
		if rr == "*" || d.Subresource == "" && rr == d.Resource ||
			d.Subresource != "" && len(rr) == len(d.Resource)+1+len(d.Subresource) &&
				strings.HasPrefix(rr, d.Resource) && rr[len(d.Resource)] == '/' && strings.HasSuffix(rr, d.Subresource) {
			resourceOK = true
			break
		}
	}
	if !resourceOK {
		return false
	}
	if d.Namespace == "" {
		return r.ClusterScope
	}
	return containsOrAll(r.Namespaces, d.Namespace)
}

// matchesNonResourceRule is match.go's matchesNonResourcePolicyRule.
func matchesNonResourceRule(d *Descriptor, r *NonResourceRule) bool {
	if !containsOrAll(r.Verbs, d.Verb) {
		return false
	}
	for _, u := range r.URLs {
		switch {
		case u == "*" || u == d.Path:
			return true
		case strings.HasSuffix(u, "*") && strings.HasPrefix(d.Path, u[:len(u)-1]):
			return true
		}
	}
	return false
}

func containsOrAll(list []string, s string) bool {
	for _, x := range list {
		if x == "*" || x == s {
			return true
		}
	}
	return false
}
