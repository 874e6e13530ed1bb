package objects

import (
	"fmt"
	"slices"
)

// Label is one key=value pair.
type Label struct{ Key, Value Sym }

// Labels is a label set sorted by key, each key at most once. Build one
// with MakeLabels; a Labels value is shared freely and never modified.
type Labels []Label

// MakeLabels sorts pairs into a label set; a key given twice is an error.
func MakeLabels(pairs ...Label) (Labels, error) {
	ls := slices.Clone(pairs)
	slices.SortFunc(ls, func(a, b Label) int { return int(a.Key) - int(b.Key) })
	for i := 1; i < len(ls); i++ {
		if ls[i].Key == ls[i-1].Key {
			return nil, fmt.Errorf("label key %d given twice", ls[i].Key)
		}
	}
	return ls, nil
}

// Get returns the value of key, if the set has it.
func (ls Labels) Get(key Sym) (Sym, bool) {
	lo, hi := 0, len(ls)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch k := ls[m].Key; {
		case k == key:
			return ls[m].Value, true
		case k < key:
			lo = m + 1
		default:
			hi = m
		}
	}
	return None, false
}

// Has reports whether the set has key.
func (ls Labels) Has(key Sym) bool {
	_, ok := ls.Get(key)
	return ok
}

// With returns a copy of the set with key set to value.
func (ls Labels) With(key, value Sym) Labels {
	out := make(Labels, 0, len(ls)+1)
	done := false
	for _, l := range ls {
		if !done && l.Key >= key {
			out = append(out, Label{key, value})
			done = true
			if l.Key == key {
				continue
			}
		}
		out = append(out, l)
	}
	if !done {
		out = append(out, Label{key, value})
	}
	return out
}

// Operator is a selector requirement's operator
// (k8s.io/apimachinery/pkg/selection/operator.go).
type Operator uint8

const (
	OpIn Operator = iota
	OpNotIn
	OpExists
	OpDoesNotExist
	// OpGt and OpLt compare the label value as an integer; only node
	// selectors (node affinity) allow them.
	OpGt
	OpLt
)

var operatorNames = [...]string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}

func (o Operator) String() string { return operatorNames[o] }

// Requirement is one selector requirement: a matchExpressions entry of a
// label selector or of a node selector term.
type Requirement struct {
	Key    Sym
	Op     Operator
	Values []Sym // In, NotIn: at least one; Exists, DoesNotExist: none
	Num    int64 // Gt, Lt: the one value, as an integer
}

// Matches reports whether ls satisfies the requirement, with the rules of
// Requirement.Matches in k8s.io/apimachinery/pkg/labels/selector.go: NotIn
// and DoesNotExist hold when the key is absent; Gt and Lt need the label to
// be present and to parse as a base-10 int64.
func (r *Requirement) Matches(ls Labels, in *Interner) bool {
	v, has := ls.Get(r.Key)
	switch r.Op {
	case OpIn:
		return has && slices.Contains(r.Values, v)
	case OpNotIn:
		return !has || !slices.Contains(r.Values, v)
	case OpExists:
		return has
	case OpDoesNotExist:
		return !has
	case OpGt, OpLt:
		if !has {
			return false
		}
		n, ok := in.Int(v)
		if !ok {
			return false
		}
		if r.Op == OpGt {
			return n > r.Num
		}
		return n < r.Num
	}
	return false
}

// validate checks the operator's arity, as the API server's validation
// does (k8s.io/apimachinery/pkg/apis/meta/v1/validation and
// pkg/apis/core/validation ValidateNodeSelectorRequirement).
func (r *Requirement) validate(allowNumeric bool) error {
	switch r.Op {
	case OpIn, OpNotIn:
		if len(r.Values) == 0 {
			return fmt.Errorf("operator %s needs at least one value", r.Op)
		}
	case OpExists, OpDoesNotExist:
		if len(r.Values) != 0 {
			return fmt.Errorf("operator %s takes no values", r.Op)
		}
	case OpGt, OpLt:
		if !allowNumeric {
			return fmt.Errorf("operator %s is only allowed in node selectors", r.Op)
		}
		if len(r.Values) != 0 {
			return fmt.Errorf("operator %s takes its one integer in Num, not Values", r.Op)
		}
	default:
		return fmt.Errorf("unknown operator %d", r.Op)
	}
	return nil
}

// LabelSelector is a metav1.LabelSelector: all of MatchLabels and all of
// MatchExpressions must hold. As metav1.LabelSelectorAsSelector does, a nil
// *LabelSelector selects nothing and an empty one selects everything.
type LabelSelector struct {
	MatchLabels      Labels
	MatchExpressions []Requirement
}

// Matches reports whether ls satisfies the selector; a nil selector
// matches nothing.
func (s *LabelSelector) Matches(ls Labels, in *Interner) bool {
	return s != nil && ls.hasAll(s.MatchLabels) && matchAll(s.MatchExpressions, ls, in)
}

// Empty reports whether the selector has no requirements, as
// labels.Selector.Empty does: true for the empty (select-everything)
// selector, false for nil (select-nothing). Pod topology spread counts no
// pods for an empty selector (podtopologyspread/common.go,
// countPodsMatchSelector).
func (s *LabelSelector) Empty() bool {
	return s != nil && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

func (s *LabelSelector) validate() error {
	if s == nil {
		return nil
	}
	return validateAll(s.MatchExpressions, false)
}

// NodeSelectorTerm is one term of a required or preferred node affinity:
// its requirements are ANDed. Only matchExpressions on labels are modeled
// (matchFields on metadata.name is left out).
type NodeSelectorTerm struct {
	MatchExpressions []Requirement
}

// Matches reports whether the node labels satisfy the term. An empty term
// matches no node (component-helpers/scheduling/corev1/nodeaffinity:
// NewNodeSelector skips empty terms, so they can never match).
func (t *NodeSelectorTerm) Matches(ls Labels, in *Interner) bool {
	return len(t.MatchExpressions) > 0 && matchAll(t.MatchExpressions, ls, in)
}

func (t *NodeSelectorTerm) validate() error { return validateAll(t.MatchExpressions, true) }

// hasAll reports whether ls holds every key=value pair of sub: a label
// selector's matchLabels, a pod's nodeSelector.
func (ls Labels) hasAll(sub Labels) bool {
	for _, l := range sub {
		if v, ok := ls.Get(l.Key); !ok || v != l.Value {
			return false
		}
	}
	return true
}

// matchAll reports whether ls satisfies every requirement (true for none).
func matchAll(rs []Requirement, ls Labels, in *Interner) bool {
	for i := range rs {
		if !rs[i].Matches(ls, in) {
			return false
		}
	}
	return true
}

// validateAll validates a matchExpressions list; allowNumeric admits Gt
// and Lt, as node selectors do.
func validateAll(rs []Requirement, allowNumeric bool) error {
	for i := range rs {
		if err := rs[i].validate(allowNumeric); err != nil {
			return fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
	}
	return nil
}
