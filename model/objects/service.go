package objects

// Service is the compact form of a core/v1 Service: what the EndpointSlice
// controller reads of it. Its ClusterIP, IP families (single-stack IPv4 is
// assumed), session affinity and traffic policies are not modeled.
type Service struct {
	ID        int32
	Namespace Sym
	Name      Sym
	// Selector is spec.selector: the labels a pod must carry to back the
	// Service (every pair; a map, not a LabelSelector). Empty: the Service
	// has no selector, and the EndpointSlice controller leaves it alone
	// (its endpoints are someone else's to write). An explicit empty
	// selector is taken for none.
	Selector Labels
	// Ports is the number of spec.ports; every selected pod is taken to
	// serve all of them (a named targetPort resolves in every pod).
	Ports int32
	// ExternalName is type ExternalName: a DNS alias, which gets no
	// endpoints. The other types (ClusterIP, NodePort, LoadBalancer) are
	// alike to the EndpointSlice controller.
	ExternalName bool
	// PublishNotReadyAddresses marks every endpoint ready, whatever its
	// pod's readiness (spec.publishNotReadyAddresses).
	PublishNotReadyAddresses bool
	// Size is the Service's serialized size in bytes.
	Size int32
}

// DefaultServiceSize is a Service's modeled serialized size: a model
// assumption (no source found), a one-port ClusterIP Service with a few
// labels and no managedFields.
const DefaultServiceSize = 1000

// HasSelector reports whether the Service selects pods.
func (s *Service) HasSelector() bool { return len(s.Selector) > 0 }

// Selects reports whether a pod with labels ls backs the Service: it has a
// selector, and ls holds every pair of it (labels.SelectorFromSet of
// spec.selector, Matches).
func (s *Service) Selects(ls Labels) bool { return s.HasSelector() && ls.hasAll(s.Selector) }

// AddressType is an EndpointSlice's addressType (discovery/v1).
type AddressType uint8

const (
	AddressIPv4 AddressType = iota
	AddressIPv6
	AddressFQDN
)

var addressTypeNames = [...]string{"IPv4", "IPv6", "FQDN"}

func (a AddressType) String() string { return addressTypeNames[a] }

// Endpoint is one endpoint of an EndpointSlice: the pod behind it (its
// targetRef; the pod's one IP is its address), the pod's node, and its
// conditions (discovery/v1 EndpointConditions).
type Endpoint struct {
	Pod  int32
	Node int32
	// Ready: the endpoint should get new traffic. Serving: the pod is
	// Ready, whether or not it is terminating. Terminating: the pod has a
	// deletionTimestamp.
	Ready, Serving, Terminating bool
}

// EndpointSlice is the compact form of a discovery/v1 EndpointSlice that
// the EndpointSlice controller manages for a Service: its owner (the
// controller reference and the kubernetes.io/service-name label), its
// address type, its number of ports, and its endpoints. The object's ID
// is the api.Object's (the API server names it: generateName
// "<service>-"). Endpoints is never modified: a change is a new slice.
// Topology hints, zones, hostnames and the service's own labels are not
// modeled.
type EndpointSlice struct {
	Service     int32
	Namespace   Sym
	AddressType AddressType
	Ports       int32
	Endpoints   []Endpoint
}

// Modeled EndpointSlice sizes: about 100 bytes per endpoint, "100 * const =
// ~10 KB" for 100 endpoints (kubernetes/enhancements
// keps/sig-network/0752-endpointslices/README.md, Estimation); the
// metadata (labels, owner reference, the last-change-trigger-time
// annotation) and each port are model assumptions.
const (
	EndpointSliceBaseSize     = 500
	EndpointSliceEndpointSize = 100
	EndpointSlicePortSize     = 30
)

// EndpointSliceSize is the modeled serialized size of a slice with the
// given endpoints and ports.
func EndpointSliceSize(endpoints, ports int) int32 {
	return int32(EndpointSliceBaseSize + endpoints*EndpointSliceEndpointSize + ports*EndpointSlicePortSize)
}

// Size is the slice's modeled serialized size.
func (s *EndpointSlice) Size() int32 { return EndpointSliceSize(len(s.Endpoints), int(s.Ports)) }
