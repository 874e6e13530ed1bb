package mvcc

import "github.com/orrery-sim/orrery/model/api"

// Key is an object's etcd key in compact form: resource<<32 | uint32(id).
//
// Within one resource its order is the order of the real string keys
// (/registry/<resource>/.../<name>), on the assumption that names are
// zero-padded to a common width (node-00042), so a prefix range is a Key
// range (PrefixRange). Across resources the order is the order of the
// api.Resource codes, not of the strings ("/registry/configmaps/" sorts
// before "/registry/minions/" as strings); nothing in the model ranges
// across resources. IDs are expected to be non-negative: a negative ID
// sorts after every non-negative one.
type Key uint64

// CompactRevKey is the key the Kubernetes API server's compactor keeps its
// last compaction's revision under: "compact_rev_key"
// (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/storage/etcd3/compact.go
// compactRevKey). Its Resource is 0xFF, outside api.Resource's range.
const CompactRevKey Key = 0xFF << 32

// KeyOf is the key of object id of resource res. A subresource is stored
// in its parent object (api.Resource.Stored): KeyOf(api.NodeStatus, i) ==
// KeyOf(api.Nodes, i).
func KeyOf(res api.Resource, id int32) Key {
	return Key(uint64(res.Stored())<<32 | uint64(uint32(id)))
}

// Resource is the resource the key belongs to.
func (k Key) Resource() api.Resource { return api.Resource(k >> 32) }

// ID is the object's index within its resource.
func (k Key) ID() int32 { return int32(uint32(k)) }

// PrefixRange is the key range [start, end) that holds every object of
// res, as etcd's prefix range over "/registry/<resource>/" does.
func PrefixRange(res api.Resource) (start, end Key) {
	r := uint64(res.Stored())
	return Key(r << 32), Key((r + 1) << 32)
}

// DefaultNameBytes is the modeled length of an object's name: 10, as in
// "node-00042" (node names zero-padded to five digits). The simulator's
// own names are unpadded ("node-42"), and real clusters' node names are
// often longer (cloud providers' "gke-<cluster>-<pool>-<hash>-<suffix>" is
// about 40 bytes): Config.NameBytes overrides it. The backend size model
// depends on the key length only through the protobuf size of each
// revision, i.e. by a few bytes per revision except where a value size sits
// on a page-packing step (see the package documentation).
const DefaultNameBytes = 10

// Key prefixes as the Kubernetes API server lays them out under the default
// --etcd-prefix "/registry" (k8s.io/apiserver storagebackend.Config Prefix;
// nodes keep their historical "minions" path,
// kubernetes/kubernetes pkg/kubeapiserver/default_storage_factory_builder.go
// SpecialDefaultResourcePrefixes; leases
// live in namespace kube-node-lease; the churn workload's ConfigMaps in
// "default").
var keyPrefixBytes = [api.NumResources]int{
	api.Nodes:      len("/registry/minions/"),
	api.NodeStatus: len("/registry/minions/"),
	api.Leases:     len("/registry/leases/kube-node-lease/"),
	api.ConfigMaps: len("/registry/configmaps/default/"),
	// Workload objects, in namespace "default" (the registry's paths:
	// pkg/registry/*/storage; services keep their "specs" path).
	api.Pods:           len("/registry/pods/default/"),
	api.PodStatus:      len("/registry/pods/default/"),
	api.PodBinding:     len("/registry/pods/default/"),
	api.ReplicaSets:    len("/registry/replicasets/default/"),
	api.Deployments:    len("/registry/deployments/default/"),
	api.Services:       len("/registry/services/specs/default/"),
	api.EndpointSlices: len("/registry/endpointslices/default/"),
}

// unknownPrefixBytes is the prefix length assumed for a key whose resource
// the table above does not know: "/registry/" plus a ten-byte resource
// name and a ten-byte namespace path.
const unknownPrefixBytes = len("/registry/") + 10 + 1 + 10 + 1

// KeyBytes is the modeled length of the real key string, with names of
// DefaultNameBytes: 28 for a node ("/registry/minions/node-00042"), 43 for
// a Lease ("/registry/leases/kube-node-lease/node-00042"), 39 for a
// ConfigMap ("/registry/configmaps/default/cm-0000042") and 15 for
// CompactRevKey.
func KeyBytes(k Key) int { return keyBytes(k, DefaultNameBytes) }

func keyBytes(k Key, nameBytes int) int {
	if k == CompactRevKey {
		return len("compact_rev_key")
	}
	if r := k.Resource(); r < api.NumResources {
		return keyPrefixBytes[r] + nameBytes
	}
	return unknownPrefixBytes + nameBytes
}
