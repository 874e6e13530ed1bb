package objects

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"strconv"
	"strings"

	"github.com/orrery-sim/orrery/sim"
)

// IntOrPercent is an intstr.IntOrString as maxSurge and maxUnavailable use
// it: an absolute count, or a whole percentage of the desired replicas.
type IntOrPercent struct {
	Value   int32
	Percent bool
}

// Int returns an absolute IntOrPercent.
func Int(v int32) IntOrPercent { return IntOrPercent{Value: v} }

// Percent returns a percentage IntOrPercent.
func Percent(v int32) IntOrPercent { return IntOrPercent{Value: v, Percent: true} }

// ParseIntOrPercent parses "3" or "25%". As in intstr
// getIntOrPercentValueSafely, a percentage is a whole number followed by
// "%" ("2.5%" is invalid).
func ParseIntOrPercent(s string) (IntOrPercent, error) {
	num, pct := strings.CutSuffix(s, "%")
	v, err := strconv.ParseInt(num, 10, 32)
	if err != nil {
		return IntOrPercent{}, fmt.Errorf("invalid value %q: want an integer or a whole percentage such as \"25%%\"", s)
	}
	return IntOrPercent{Value: int32(v), Percent: pct}, nil
}

func (v IntOrPercent) String() string {
	if v.Percent {
		return fmt.Sprintf("%d%%", v.Value)
	}
	return strconv.Itoa(int(v.Value))
}

// Scaled resolves v against total, rounding a percentage up or down, with
// the float arithmetic of intstr.GetScaledValueFromIntOrPercent.
func (v IntOrPercent) Scaled(total int32, roundUp bool) int32 {
	if !v.Percent {
		return v.Value
	}
	f := float64(v.Value) * float64(total) / 100
	if roundUp {
		return int32(math.Ceil(f))
	}
	return int32(math.Floor(f))
}

// ResolveFenceposts turns maxSurge and maxUnavailable into counts for a
// deployment of desired replicas: surge rounds up, unavailability rounds
// down, and if both come to zero unavailability becomes 1 "on the theory
// that surge might not work due to quota"
// (pkg/controller/deployment/util/deployment_util.go ResolveFenceposts).
func ResolveFenceposts(maxSurge, maxUnavailable IntOrPercent, desired int32) (surge, unavailable int32) {
	surge = maxSurge.Scaled(desired, true)
	unavailable = maxUnavailable.Scaled(desired, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// Deployment and ReplicaSet defaults (pkg/apis/apps/v1/defaults.go
// SetDefaults_Deployment, SetDefaults_ReplicaSet).
const (
	DefaultReplicas                int32 = 1
	DefaultRevisionHistoryLimit    int32 = 10
	DefaultProgressDeadlineSeconds int32 = 600
)

// DefaultMaxSurge and DefaultMaxUnavailable are both 25%
// (pkg/apis/apps/v1/defaults.go SetDefaults_Deployment).
var (
	DefaultMaxSurge       = Percent(25)
	DefaultMaxUnavailable = Percent(25)
)

// StrategyType is a deployment strategy.
type StrategyType uint8

const (
	RollingUpdate StrategyType = iota
	Recreate
)

// PodTemplate is a controller's pod template: labels and a finished spec.
type PodTemplate struct {
	Labels Labels
	Spec   *PodSpec
}

// ReplicaSet is the compact form of a ReplicaSet's spec.
type ReplicaSet struct {
	ID              int32
	Namespace       Sym
	Name            Sym
	Owner           OwnerRef // its Deployment, if any
	Replicas        int32
	Selector        LabelSelector
	Template        PodTemplate
	MinReadySeconds int32
	// TemplateHash is the pod-template-hash label value of a ReplicaSet a
	// Deployment owns (None for a stand-alone one).
	TemplateHash Sym
	Size         int32

	// Created is metadata.creationTimestamp (what the deployment
	// controller orders ReplicaSets by).
	Created sim.Time
	// Revision, DesiredReplicas and MaxReplicas are the deployment
	// controller's annotations deployment.kubernetes.io/revision,
	// desired-replicas and max-replicas (0: unset)
	// (pkg/controller/deployment/util/deployment_util.go).
	Revision        int64
	DesiredReplicas int32
	MaxReplicas     int32
	// Status is the ReplicaSet controller's status.
	Status ReplicaSetStatus
}

// ReplicaSetStatus is the part of a ReplicaSet's status the model keeps
// (apps/v1 ReplicaSetStatus): the active pods it owns, the Ready ones,
// and those Ready for at least minReadySeconds.
type ReplicaSetStatus struct {
	Replicas, ReadyReplicas, AvailableReplicas int32
}

// Deployment is the compact form of a Deployment's spec, with defaults
// applied by NewDeployment.
type Deployment struct {
	ID                      int32
	Namespace               Sym
	Name                    Sym
	Replicas                int32
	Selector                LabelSelector
	Template                PodTemplate
	Strategy                StrategyType
	MaxSurge                IntOrPercent
	MaxUnavailable          IntOrPercent
	MinReadySeconds         int32
	RevisionHistoryLimit    int32
	ProgressDeadlineSeconds int32
	// CollisionCount is status.collisionCount, which feeds the template
	// hash so that a hash collision can be stepped around.
	CollisionCount int32
	Size           int32

	// Revision is the deployment.kubernetes.io/revision annotation: the
	// revision of its newest ReplicaSet (0: none yet).
	Revision int64
	// Status is the deployment controller's status.
	Status DeploymentStatus
}

// DeploymentStatus is the part of a Deployment's status the model keeps
// (apps/v1 DeploymentStatus): the sums over its ReplicaSets, and the
// Available condition.
type DeploymentStatus struct {
	Replicas, UpdatedReplicas, ReadyReplicas, AvailableReplicas, UnavailableReplicas int32
	// Available is the Available condition: at least replicas minus
	// maxUnavailable pods are available.
	Available bool
}

// NewDeployment returns a deployment with upstream's defaults: 1 replica,
// RollingUpdate with 25% surge and 25% unavailable, 10 old ReplicaSets
// kept, a 600 s progress deadline.
func NewDeployment() Deployment {
	return Deployment{
		Replicas:                DefaultReplicas,
		Strategy:                RollingUpdate,
		MaxSurge:                DefaultMaxSurge,
		MaxUnavailable:          DefaultMaxUnavailable,
		RevisionHistoryLimit:    DefaultRevisionHistoryLimit,
		ProgressDeadlineSeconds: DefaultProgressDeadlineSeconds,
	}
}

// Errors from Validate.
var (
	ErrSelectorMismatch = errors.New("objects: selector does not match template labels")
	ErrNoTemplate       = errors.New("objects: template.spec: required (and finished)")
)

// Validate checks what the API server's validation checks of a
// Deployment (pkg/apis/apps/validation ValidateDeploymentSpec and
// ValidateRollingUpdateDeployment).
func (d *Deployment) Validate(in *Interner) error {
	if d.Replicas < 0 {
		return errors.New("objects: replicas: must be greater than or equal to 0")
	}
	if err := validateTemplate(&d.Selector, &d.Template, in); err != nil {
		return err
	}
	if d.Strategy == RollingUpdate {
		for _, f := range []struct {
			name string
			v    IntOrPercent
		}{{"maxSurge", d.MaxSurge}, {"maxUnavailable", d.MaxUnavailable}} {
			if f.v.Value < 0 {
				return fmt.Errorf("objects: strategy.rollingUpdate.%s: must be greater than or equal to 0", f.name)
			}
		}
		if d.MaxUnavailable.Percent && d.MaxUnavailable.Value > 100 {
			return errors.New("objects: strategy.rollingUpdate.maxUnavailable: must not be greater than 100%")
		}
		if d.MaxSurge.Value == 0 && d.MaxUnavailable.Value == 0 {
			return errors.New("objects: strategy.rollingUpdate.maxUnavailable: may not be 0 when maxSurge is 0")
		}
	}
	if d.ProgressDeadlineSeconds <= d.MinReadySeconds {
		return errors.New("objects: progressDeadlineSeconds: must be greater than minReadySeconds")
	}
	return nil
}

// Validate checks a ReplicaSet as pkg/apis/apps/validation
// ValidateReplicaSetSpec does.
func (rs *ReplicaSet) Validate(in *Interner) error {
	if rs.Replicas < 0 {
		return errors.New("objects: replicas: must be greater than or equal to 0")
	}
	return validateTemplate(&rs.Selector, &rs.Template, in)
}

func validateTemplate(sel *LabelSelector, t *PodTemplate, in *Interner) error {
	if sel.Empty() {
		return errors.New("objects: selector: empty selector is invalid")
	}
	if err := sel.validate(); err != nil {
		return fmt.Errorf("objects: selector.%w", err)
	}
	if t.Spec == nil || !t.Spec.Finished() {
		return ErrNoTemplate
	}
	if !sel.Matches(t.Labels, in) {
		return ErrSelectorMismatch
	}
	return nil
}

// TemplateHash computes the pod-template-hash of a template as
// pkg/controller/controller_utils.go ComputeHash does: FNV-32a over the
// template, then the collision count as 8 little-endian bytes (of which
// the upper 4 are zero), printed in decimal and encoded with
// rand.SafeEncodeString. Upstream hashes the full PodTemplateSpec printed
// by go-spew; this hashes the modeled fields, so the value differs from a
// real cluster's for the same manifest, but has the same form and changes
// exactly when the modeled template changes.
func TemplateHash(t *PodTemplate, collisionCount int32, in *Interner) string {
	h := templateHasher{h: fnv.New32a(), in: in}
	h.template(t)
	var cc [8]byte
	binary.LittleEndian.PutUint32(cc[:], uint32(collisionCount))
	h.h.Write(cc[:])
	return SafeEncodeString(strconv.FormatUint(uint64(h.h.Sum32()), 10))
}

// SafeEncodeString maps each byte of s onto an alphabet without vowels or
// look-alike characters (k8s.io/apimachinery/pkg/util/rand).
func SafeEncodeString(s string) string {
	const alphanums = "bcdfghjklmnpqrstvwxz2456789"
	r := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = alphanums[int(s[i])%len(alphanums)]
	}
	return string(r)
}

type templateHasher struct {
	h   hash.Hash32
	in  *Interner
	buf [8]byte
}

func (t *templateHasher) i64(v int64) {
	binary.LittleEndian.PutUint64(t.buf[:], uint64(v))
	t.h.Write(t.buf[:])
}

func (t *templateHasher) sym(s Sym) {
	str := t.in.String(s)
	t.i64(int64(len(str)))
	t.h.Write([]byte(str))
}

func (t *templateHasher) labels(ls Labels) {
	t.i64(int64(len(ls)))
	for _, l := range ls {
		t.sym(l.Key)
		t.sym(l.Value)
	}
}

func (t *templateHasher) reqs(rs []Requirement) {
	t.i64(int64(len(rs)))
	for i := range rs {
		t.sym(rs[i].Key)
		t.i64(int64(rs[i].Op))
		t.i64(rs[i].Num)
		t.i64(int64(len(rs[i].Values)))
		for _, v := range rs[i].Values {
			t.sym(v)
		}
	}
}

func (t *templateHasher) selector(s *LabelSelector) {
	if s == nil {
		t.i64(-1)
		return
	}
	t.labels(s.MatchLabels)
	t.reqs(s.MatchExpressions)
}

func (t *templateHasher) containers(cs []Container) {
	t.i64(int64(len(cs)))
	for i := range cs {
		c := &cs[i]
		t.sym(c.Name)
		t.sym(c.Image)
		for _, q := range []Quantities{c.Requests, c.Limits} {
			t.i64(int64(q.Set))
			t.i64(q.MilliCPU)
			t.i64(q.Memory)
		}
		if c.Sidecar {
			t.i64(1)
		} else {
			t.i64(0)
		}
	}
}

func (t *templateHasher) podAffinity(a *PodAffinity) {
	term := func(p *PodAffinityTerm) {
		t.selector(p.Selector)
		t.i64(int64(len(p.Namespaces)))
		for _, ns := range p.Namespaces {
			t.sym(ns)
		}
		t.sym(p.TopologyKey)
	}
	t.i64(int64(len(a.Required)))
	for i := range a.Required {
		term(&a.Required[i])
	}
	t.i64(int64(len(a.Preferred)))
	for i := range a.Preferred {
		t.i64(int64(a.Preferred[i].Weight))
		term(&a.Preferred[i].Term)
	}
}

func (t *templateHasher) template(p *PodTemplate) {
	t.labels(p.Labels)
	s := p.Spec
	t.containers(s.Containers)
	t.containers(s.InitContainers)
	t.i64(s.Overhead.MilliCPU)
	t.i64(s.Overhead.Memory)
	t.i64(int64(len(s.Tolerations)))
	for _, tol := range s.Tolerations {
		t.sym(tol.Key)
		t.i64(int64(tol.Operator))
		t.sym(tol.Value)
		t.i64(int64(tol.Effect))
		t.i64(tol.Seconds)
		if tol.HasSeconds {
			t.i64(1)
		} else {
			t.i64(0)
		}
	}
	t.i64(int64(s.TerminationGracePeriod))
	t.labels(s.NodeSelector)
	if s.NodeAffinity.Required == nil {
		t.i64(-1)
	} else {
		t.i64(int64(len(s.NodeAffinity.Required)))
		for i := range s.NodeAffinity.Required {
			t.reqs(s.NodeAffinity.Required[i].MatchExpressions)
		}
	}
	t.i64(int64(len(s.NodeAffinity.Preferred)))
	for _, p := range s.NodeAffinity.Preferred {
		t.i64(int64(p.Weight))
		t.reqs(p.Term.MatchExpressions)
	}
	t.podAffinity(&s.PodAffinity)
	t.podAffinity(&s.PodAntiAffinity)
	t.i64(int64(len(s.TopologySpread)))
	for i := range s.TopologySpread {
		c := &s.TopologySpread[i]
		t.i64(int64(c.MaxSkew))
		t.sym(c.TopologyKey)
		t.i64(int64(c.WhenUnsatisfiable))
		t.selector(c.Selector)
		t.i64(int64(c.MinDomains))
	}
}

// Sizes are the serialized sizes, in bytes, given to new objects of each
// kind, for write and watch volume accounting.
type Sizes struct {
	Pod, Node, ReplicaSet, Deployment int32
}

// DefaultSizes are the modeled object sizes:
//   - Pod 4000: "~4 KB in the official scalability tests"
//     (kubernetes/kubernetes#134375; real pods are often 10–20 KB).
//   - Node 15000: a Node "may easily exceed 15kB"
//     (kubernetes/enhancements keps/sig-node/589-efficient-node-heartbeats).
//   - ReplicaSet and Deployment 4000: unconfirmed, no source found; each
//     embeds a pod template, so it is assumed to weigh about a Pod.
var DefaultSizes = Sizes{Pod: 4000, Node: 15000, ReplicaSet: 4000, Deployment: 4000}

// DefaultLeaseSize is a Lease's modeled serialized size: "~300 B"
// (kubernetes/community sig-scalability/configs-and-limits/faq.md;
// FIDELITY.md §7). The kubelets' node Leases and the leader election
// Leases take it unless the scenario's objectSizes.lease says otherwise.
const DefaultLeaseSize = 300

// MaxSize is etcd's request limit, 1.5 MiB (etcd server/embed/config.go
// DefaultMaxRequestBytes): a bigger object cannot be written.
const MaxSize = 3 << 19

// Validate checks that every size is positive and at most MaxSize.
func (s Sizes) Validate() error {
	for _, f := range []struct {
		name string
		v    int32
	}{{"pod", s.Pod}, {"node", s.Node}, {"replicaSet", s.ReplicaSet}, {"deployment", s.Deployment}} {
		if f.v <= 0 || f.v > MaxSize {
			return fmt.Errorf("objects: size of %s %d: must be in 1..%d bytes", f.name, f.v, MaxSize)
		}
	}
	return nil
}
