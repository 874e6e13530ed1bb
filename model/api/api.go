// Package api is the vocabulary the modeled components share: verbs,
// resources, compact objects, requests and responses, and the network
// message kinds that carry them. It holds data only; no behaviour.
//
// What the model leaves out: objects carry only the fields the simulated
// components read (a Node is its Ready condition and heartbeat times, a
// Lease its renew time); everything else is summarised by a serialized size.
package api

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// Network message kinds. Component-private timer kinds start at KindPrivate.
const (
	KindRequest      int32 = 1 // client → API server, Data *Request
	KindResponse     int32 = 2 // API server → client, Data *Request
	KindWatchStarted int32 = 3 // first message on a watch stream, A = request ID
	KindWatchEvent   int32 = 4 // on a watch stream, Data *WatchEvent
	KindStorageOp    int32 = 5 // API server ↔ storage, Data *StorageOp
	// KindStorageCommit carries a commit batch's answers to one API server on
	// its watch stream: Data is the first *StorageOp, chained through Next,
	// each with the WatchEvent its write produced (nil if it failed).
	KindStorageCommit int32 = 6
	KindPrivate       int32 = 100
)

// Verb is a Kubernetes API verb, as audit logs and RBAC name them.
type Verb uint8

const (
	Get Verb = iota
	List
	Watch
	Create
	Update
	Patch
	Delete
	NumVerbs
)

var verbNames = [...]string{"get", "list", "watch", "create", "update", "patch", "delete"}

func (v Verb) String() string { return verbNames[v] }

// Mutating reports whether the verb writes.
func (v Verb) Mutating() bool { return v >= Create }

// Verbs lists every verb, in order.
func Verbs() []Verb {
	out := make([]Verb, NumVerbs)
	for i := range out {
		out[i] = Verb(i)
	}
	return out
}

// Resource is an API resource (with subresource where it matters).
type Resource uint8

const (
	Nodes Resource = iota
	NodeStatus
	Leases
	ConfigMaps // the churn workload's objects
	Pods
	PodStatus  // pods/status: the kubelet's and the scheduler's status writes
	PodBinding // pods/binding: the scheduler's bind (a create that sets spec.nodeName)
	ReplicaSets
	Deployments
	Services
	EndpointSlices
	NumResources
)

var resourceNames = [...]string{"nodes", "nodes/status", "leases", "configmaps",
	"pods", "pods/status", "pods/binding", "replicasets", "deployments", "services", "endpointslices"}

func (r Resource) String() string { return resourceNames[r] }

// Stored is the resource whose objects a request reads or writes: a
// subresource writes its parent object.
func (r Resource) Stored() Resource {
	switch r {
	case NodeStatus:
		return Nodes
	case PodStatus, PodBinding:
		return Pods
	}
	return r
}

// ConditionStatus is a condition's status.
type ConditionStatus uint8

const (
	ConditionUnknown ConditionStatus = iota
	ConditionTrue
	ConditionFalse
)

var conditionNames = [...]string{"Unknown", "True", "False"}

func (c ConditionStatus) String() string { return conditionNames[c] }

// NamespaceID indexes the run's namespaces. 0 is no namespace: a
// cluster-scoped object, or a list or watch across all namespaces.
type NamespaceID int32

// AllNamespaces is the NamespaceID of no namespace.
const AllNamespaces NamespaceID = 0

// Object is the compact form of a stored object. ID is the object's index
// within its resource (node i and its Lease share ID i). Namespace and
// Label are what selectors read.
//
// Body is the object's typed content (a *objects.Pod, *objects.Node,
// *objects.ReplicaSet, *objects.Deployment, ...; nil for the objects the
// heartbeat model needs no more of). A Body is an immutable snapshot of
// one version, shared by every cache, event and history entry that holds
// that version: to change an object, copy its Body and change the copy.
//
// The fields are laid out for size (64 bytes: the small ones share the
// first word), since objects are copied on every write, event and response.
type Object struct {
	Resource Resource
	// Ready is a Node's Ready condition status.
	Ready ConditionStatus
	// Label is the value of the object's one modeled label (0: not
	// labelled); a label selector asks for one value (see Request.Label).
	Label           uint16
	ID              int32
	Size            int32 // serialized bytes, for write-volume accounting
	Namespace       NamespaceID
	ResourceVersion int64

	// Lease fields.
	RenewTime sim.Time

	// Node fields: the Ready condition's times.
	HeartbeatTime      sim.Time
	LastTransitionTime sim.Time

	Body any
}

// Code is a response status: an HTTP status, or a negative client-side outcome.
type Code int16

const (
	OK              Code = 200
	Created         Code = 201
	NotFound        Code = 404
	Conflict        Code = 409
	Gone            Code = 410
	TooManyRequests Code = 429
	InternalError   Code = 500
	ClientTimeout   Code = -1 // the client gave up waiting
	ClientCancelled Code = -2 // the calling process stopped
	// ConnectionReset: the API server process went away with the request
	// in flight (its connections were reset); ConnectionRefused: no
	// server process listens at the address the client connected to.
	ConnectionReset   Code = -3
	ConnectionRefused Code = -4
)

// Success reports a 2xx code.
func (c Code) Success() bool { return c >= 200 && c < 300 }

// Responder is told when a request it issued has completed.
type Responder interface {
	OnResponse(req *Request)
}

// Transport is the client a request travelled through; it gets the
// response first (for timeouts and retries) and passes it on to the Responder.
type Transport interface {
	HandleResponse(ev *sim.Event)
}

// Request is one API call, from the client's send to its response. It
// travels by pointer: the API server writes the response into it.
type Request struct {
	ID       uint64
	Verb     Verb
	Resource Resource
	// Name is the object ID for single-object calls and for list/watch
	// field selectors (metadata.name=...); -1 for all objects.
	Name int32
	// Namespace scopes a list or watch to one namespace (the URL's
	// namespace, or a metadata.namespace field selector); AllNamespaces:
	// every namespace. A write's object lives in it (if given, it
	// overrides the body's).
	Namespace NamespaceID
	// Label, for a list or watch, is a label selector on the objects' one
	// modeled label: only objects whose Label equals it (0: no selector).
	Label uint16
	// ByNode, for a list or watch of pods: the spec.nodeName=<Node> field
	// selector (a kubelet's watch of its own pods). The API server indexes
	// pod watchers by it, as the cacher's spec.nodeName trigger does.
	ByNode bool
	Node   int32
	// Mutate, for a patch (and the create of a pods/binding), is the change
	// the API server applies to the current object: to its cached copy
	// first, then, after a 409 from storage's compare-and-swap, to
	// storage's copy (GuaranteedUpdate's tryUpdate). It returns the new
	// object, or a non-zero Code to answer with instead (a binding of an
	// assigned pod: 409). Nil: the body replaces the object.
	Mutate func(cur *Object) (Object, Code)
	// GracePeriod, for a delete, is gracePeriodSeconds when GraceSet (else
	// the pod's own terminationGracePeriodSeconds).
	GracePeriod time.Duration
	GraceSet    bool
	// AllowBookmarks, for a watch: allowWatchBookmarks (client-go's
	// reflector always sets it).
	AllowBookmarks bool
	// WatchTimeout, for a watch: its timeoutSeconds, after which the
	// watch ends (0: none). The watch cache sends its last bookmark 2s
	// before.
	WatchTimeout time.Duration
	// ResourceVersion is the precondition of an update (0: none), or where a
	// watch starts.
	ResourceVersion int64
	// FromCache: a get or list with resourceVersion "0", served from the
	// API server's cache.
	FromCache bool
	// WatchConsume, for a watch: how long the client takes to read each
	// event off its connection (0: as fast as they come). It stands for
	// the client's speed as the server's writes feel it (TCP and HTTP/2
	// flow control), which a real server learns only by blocking.
	WatchConsume time.Duration
	// Object is the body of create, update and patch.
	Object Object
	// Principal is who sends the request (its client's identity).
	Principal PrincipalID

	// Set by the client.
	From        sim.EndpointID
	Caller      Responder
	Via         Transport
	Sent        sim.Time // when the caller asked (before throttling)
	OnWire      sim.Time // when it left the client
	Retries     int      // 429 retries so far
	Pending     bool     // sent and not yet completed
	Abandoned   bool     // the client timed out; ignore any response
	ClientEpoch uint32   // the client's epoch when sent; a stopped client ignores older ones

	// Set by the API server.
	Slot       int32 // the serving replica's in-flight slot
	Code       Code
	Result     Object
	Items      []Object // list results
	RetryAfter time.Duration
	Arrived    sim.Time
}

// WatchEventType is what happened to an object.
type WatchEventType uint8

const (
	Added WatchEventType = iota
	Modified
	Deleted
	// Error is a watch's one ERROR event (a metav1.Status): the watch
	// cache could not serve it (410 Gone "too old resource version"); the
	// stream closes after it.
	Error
	// Bookmark carries only a resource version (Object.ResourceVersion):
	// the watcher has seen every change of its resource up to it, so it
	// can resume a watch from there.
	Bookmark
)

// WatchEvent is one change, shared read-only by every watcher it is sent to
// (serialized once, as the watch cache does since Kubernetes 1.17).
type WatchEvent struct {
	Type   WatchEventType
	Object Object
	Code   Code // for Error: the status code
	// Observed is when the API server's watch cache took the change (for
	// a bookmark, when the bookmark was made): a watcher's lag is its
	// receive time minus Observed.
	Observed sim.Time
}

// StorageOpKind is what the API server asks of storage.
type StorageOpKind uint8

const (
	OpRange StorageOpKind = iota
	OpPut
	OpCreate
	OpDelete
	OpCompact // compact history up to ExpectRevision (the API server's compactor)
)

// StorageOp is one storage call. ExpectRevision > 0 makes a put a
// compare-and-swap on the key's mod revision (the optimistic concurrency
// behind 409 Conflict).
//
// The small fields are grouped so that the op takes 184 bytes, not 200
// (one is allocated per storage call).
type StorageOp struct {
	Kind     StorageOpKind
	Resource Resource
	// Serializable: a range served from the receiving member's own state,
	// without confirming leadership (possibly stale); otherwise reads are
	// linearizable.
	Serializable   bool
	Found          bool // result: the key exists
	Err            Code // result: 0, NotFound, Conflict, InternalError
	ID             int32
	Tag            int32          // the API server's own reference
	ReplyTo        sim.EndpointID // where storage sends the result
	ExpectRevision int64
	Value          Object
	Origin         *Request    // the API request this op serves
	Next           *StorageOp  // the next op of a commit batch (KindStorageCommit)
	Event          *WatchEvent // the change this write made, if any

	// Results.
	Reason   string // the storage error behind an InternalError, as etcd words it
	Revision int64
	Current  Object
	Arrived  sim.Time
}
