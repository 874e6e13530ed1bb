package objects

import "strconv"

// Sym is an interned string: a label key or value, a namespace, an object
// or image name. Symbols are small integers handed out in the order strings
// are first seen, so two runs that intern the same strings in the same
// order get the same symbols. Sym 0 is the empty string.
type Sym int32

// Well-known symbols, interned first by every Interner in this order.
const (
	None Sym = iota // ""

	// Node labels set by the kubelet and the cloud provider
	// (k8s.io/api/core/v1 well_known_labels.go).
	LabelHostname                // kubernetes.io/hostname
	LabelTopologyZone            // topology.kubernetes.io/zone
	LabelTopologyRegion          // topology.kubernetes.io/region
	LabelFailureDomainBetaZone   // failure-domain.beta.kubernetes.io/zone (deprecated)
	LabelFailureDomainBetaRegion // failure-domain.beta.kubernetes.io/region (deprecated)

	// Taint keys the node lifecycle controller and the API server use
	// (k8s.io/api/core/v1 well_known_taints.go).
	TaintNodeUnschedulable  // node.kubernetes.io/unschedulable
	TaintNodeNotReady       // node.kubernetes.io/not-ready
	TaintNodeUnreachable    // node.kubernetes.io/unreachable
	TaintNodeMemoryPressure // node.kubernetes.io/memory-pressure

	// LabelPodTemplateHash is the label the deployment controller adds to
	// a ReplicaSet's selector, template and pods
	// (k8s.io/api/apps/v1 types.go, DefaultDeploymentUniqueLabelKey).
	LabelPodTemplateHash // pod-template-hash

	// NamespaceDefault is the "default" namespace.
	NamespaceDefault

	numWellKnown
)

var wellKnown = [numWellKnown]string{
	"",
	"kubernetes.io/hostname",
	"topology.kubernetes.io/zone",
	"topology.kubernetes.io/region",
	"failure-domain.beta.kubernetes.io/zone",
	"failure-domain.beta.kubernetes.io/region",
	"node.kubernetes.io/unschedulable",
	"node.kubernetes.io/not-ready",
	"node.kubernetes.io/unreachable",
	"node.kubernetes.io/memory-pressure",
	"pod-template-hash",
	"default",
}

// Interner maps strings to symbols and back. One Interner serves one
// simulation; it is not safe for concurrent use (nothing in a simulation is
// concurrent). Looking a string up never depends on map iteration order.
type Interner struct {
	ids   map[string]Sym
	names []string
	// ints caches each symbol's value as a base-10 int64, for the Gt and Lt
	// node-selector operators, which compare a label value as an integer.
	ints  []int64
	isInt []bool
}

// NewInterner returns an interner holding the well-known symbols.
func NewInterner() *Interner {
	in := &Interner{ids: make(map[string]Sym, 64)}
	for _, s := range wellKnown {
		in.Intern(s)
	}
	return in
}

// Intern returns s's symbol, assigning the next one if s is new.
func (in *Interner) Intern(s string) Sym {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := Sym(len(in.names))
	in.ids[s] = id
	in.names = append(in.names, s)
	// Upstream compares with strconv.ParseInt(value, 10, 64)
	// (k8s.io/apimachinery/pkg/labels/selector.go, Requirement.Matches).
	v, err := strconv.ParseInt(s, 10, 64)
	in.ints = append(in.ints, v)
	in.isInt = append(in.isInt, err == nil)
	return id
}

// Lookup returns s's symbol if s has been interned.
func (in *Interner) Lookup(s string) (Sym, bool) {
	id, ok := in.ids[s]
	return id, ok
}

// String returns the string a symbol stands for.
func (in *Interner) String(s Sym) string { return in.names[s] }

// Int returns the symbol's string as a base-10 int64, if it is one.
func (in *Interner) Int(s Sym) (int64, bool) { return in.ints[s], in.isInt[s] }

// Len is the number of symbols.
func (in *Interner) Len() int { return len(in.names) }
