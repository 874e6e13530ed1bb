package objects

import (
	"strings"
	"testing"
	"time"
)

const (
	mi = 1 << 20
	gi = 1 << 30
	gb = 1_000_000_000
)

func finished(t *testing.T, s *PodSpec) *PodSpec {
	t.Helper()
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	return s
}

// The example in the doc comment of computePodResourceRequest
// (pkg/scheduler/framework/plugins/noderesources/fit.go): init containers
// run one at a time, so the pod needs the largest of them or the sum of the
// app containers, per resource.
func TestRequestsTakeTheLargerOfInitContainersAndTheAppSum(t *testing.T) {
	s := finished(t, &PodSpec{
		InitContainers: []Container{
			{Requests: Requests(2000, 1*gb)},
			{Requests: Requests(2000, 3*gb)},
		},
		Containers: []Container{
			{Requests: Requests(2000, 1*gb)},
			{Requests: Requests(1000, 1*gb)},
		},
	})
	if got, want := s.Requests(), (Resources{3000, 3 * gb}); got != want {
		t.Fatalf("requests %+v, want %+v", got, want)
	}
}

// KEP-753's formula: a sidecar (restartable init container) runs beside
// everything declared after it, so it adds to the app sum and to every
// later init container.
func TestSidecarsAddToAppAndLaterInitContainers(t *testing.T) {
	s := finished(t, &PodSpec{
		InitContainers: []Container{
			{Requests: Requests(500, 100*mi)},                // plain init: 500m alone
			{Requests: Requests(200, 50*mi), Sidecar: true},  // sidecar 1
			{Requests: Requests(1000, 10*mi)},                // plain init beside sidecar 1: 1200m, 60Mi
			{Requests: Requests(300, 300*mi), Sidecar: true}, // sidecar 2
		},
		Containers: []Container{{Requests: Requests(100, 100*mi)}},
		Overhead:   Resources{250, 120 * mi},
	})
	// app sum (sidecars included) = 600m, 450Mi;
	// init containers: 500m/100Mi, then 1200m/60Mi (beside sidecar 1);
	// per resource the larger: 1200m, 450Mi; then the overhead.
	if got, want := s.Requests(), (Resources{1200 + 250, 450*mi + 120*mi}); got != want {
		t.Fatalf("requests %+v, want %+v", got, want)
	}
}

// The scheduler's non-zero defaults replace only an absent request: an
// explicit 0 stays 0 (pkg/scheduler/util/pod_resources.go "Override if
// un-set, but not if explicitly set to zero").
func TestNonZeroDefaultsFillOnlyMissingRequests(t *testing.T) {
	s := finished(t, &PodSpec{Containers: []Container{
		{},                             // nothing: 100m + 200Mi
		{Requests: CPUOnly(0)},         // cpu 0 explicit, memory absent: 0 + 200Mi
		{Requests: MemoryOnly(1 * gi)}, // cpu absent: 100m + 1Gi
	}})
	if got := s.Requests(); got != (Resources{0, 1 * gi}) {
		t.Fatalf("requests %+v", got)
	}
	want := Resources{100 + 0 + 100, 200*mi + 200*mi + 1*gi}
	if got := s.NonZeroRequests(); got != want {
		t.Fatalf("non-zero requests %+v, want %+v", got, want)
	}
}

// SetDefaults_Pod: a limit with no request becomes the request, per
// resource.
func TestRequestsDefaultToLimits(t *testing.T) {
	s := finished(t, &PodSpec{Containers: []Container{
		{Requests: CPUOnly(100), Limits: Requests(500, 256*mi)},
	}})
	c := s.Containers[0]
	if c.Requests.MilliCPU != 100 || c.Requests.Memory != 256*mi || !c.Requests.Has(Memory) {
		t.Fatalf("requests %+v", c.Requests)
	}
	if s.QOS() != Burstable {
		t.Fatalf("QoS %v", s.QOS())
	}
}

func TestQOSClasses(t *testing.T) {
	both := Requests(100, 100*mi)
	tests := []struct {
		name string
		spec PodSpec
		want QOSClass
	}{
		// Names follow pkg/apis/core/v1/helper/qos/qos_test.go.
		{"best-effort-simple", PodSpec{Containers: []Container{{}}}, BestEffort},
		{"best-effort zero requests", PodSpec{Containers: []Container{{Requests: Requests(0, 0)}}}, BestEffort},
		{"guaranteed", PodSpec{Containers: []Container{{Requests: both, Limits: both}, {Requests: both, Limits: both}}}, Guaranteed},
		{"guaranteed from limits alone (defaulting)", PodSpec{Containers: []Container{{Limits: both}}}, Guaranteed},
		{"best-effort-guaranteed", PodSpec{Containers: []Container{{}, {Requests: both, Limits: both}}}, Burstable},
		{"burstable-no-limits", PodSpec{Containers: []Container{{Requests: both}}}, Burstable},
		{"burstable cpu limit only", PodSpec{Containers: []Container{{Limits: CPUOnly(100)}}}, Burstable},
		{"burstable-unbounded-but-requests-match-limits", PodSpec{Containers: []Container{
			{Requests: Requests(100, 200*mi), Limits: Requests(200, 200*mi)},
			{Requests: both, Limits: both}}}, Burstable},
		{"guaranteed with guaranteed init container", PodSpec{
			InitContainers: []Container{{Requests: both, Limits: both}},
			Containers:     []Container{{Requests: both, Limits: both}}}, Guaranteed},
		{"burstable init container spoils guaranteed", PodSpec{
			InitContainers: []Container{{Requests: CPUOnly(10)}},
			Containers:     []Container{{Requests: both, Limits: both}}}, Burstable},
		{"burstable init container alone", PodSpec{
			InitContainers: []Container{{Requests: CPUOnly(10)}},
			Containers:     []Container{{}}}, Burstable},
	}
	for _, tt := range tests {
		s := tt.spec
		if err := s.Finish(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if s.QOS() != tt.want {
			t.Errorf("%s: QoS %v, want %v", tt.name, s.QOS(), tt.want)
		}
	}
}

func TestSpecValidation(t *testing.T) {
	in := NewInterner()
	k := in.Intern("k")
	tests := []struct {
		spec PodSpec
		want string
	}{
		{PodSpec{}, "at least one container"},
		{PodSpec{Containers: []Container{{Requests: CPUOnly(-1)}}}, "containers[0].requests.cpu: must not be negative"},
		{PodSpec{Containers: []Container{{Requests: CPUOnly(2), Limits: CPUOnly(1)}}}, "containers[0].requests.cpu: must be less than or equal to cpu limit"},
		{PodSpec{Containers: []Container{{Sidecar: true}}}, "only init containers"},
		{PodSpec{Containers: []Container{{}}, Tolerations: []Toleration{{Key: k, Operator: TolerateExists, Value: k}}}, "tolerations[0].value"},
		{PodSpec{Containers: []Container{{}}, Tolerations: []Toleration{{Operator: TolerateEqual}}}, "tolerations[0].operator"},
		{PodSpec{Containers: []Container{{}}, NodeAffinity: NodeAffinity{Required: []NodeSelectorTerm{{MatchExpressions: []Requirement{{Key: k, Op: OpIn}}}}}}, "nodeAffinity.required[0].matchExpressions[0]: operator In needs at least one value"},
		{PodSpec{Containers: []Container{{}}, NodeAffinity: NodeAffinity{Preferred: []PreferredSchedulingTerm{{Weight: 0}}}}, "nodeAffinity.preferred[0].weight"},
		{PodSpec{Containers: []Container{{}}, PodAntiAffinity: PodAffinity{Required: []PodAffinityTerm{{}}}}, "podAntiAffinity.required[0].topologyKey: required"},
		{PodSpec{Containers: []Container{{}}, PodAffinity: PodAffinity{Required: []PodAffinityTerm{{TopologyKey: k, Selector: &LabelSelector{MatchExpressions: []Requirement{{Key: k, Op: OpGt, Num: 1}}}}}}}, "only allowed in node selectors"},
		{PodSpec{Containers: []Container{{}}, TopologySpread: []TopologySpreadConstraint{{MaxSkew: 0, TopologyKey: k}}}, "maxSkew"},
		{PodSpec{Containers: []Container{{}}, TopologySpread: []TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: k, MinDomains: 2, WhenUnsatisfiable: ScheduleAnyway}}}, "minDomains"},
		{PodSpec{Containers: []Container{{}}, Overhead: Resources{Memory: -1}}, "overhead: must not be negative"},
		{PodSpec{Containers: []Container{{}}, TerminationGracePeriod: -2 * time.Second}, "terminationGracePeriodSeconds: must be greater than or equal to 0"},
		{PodSpec{Containers: []Container{{}}, InitContainers: []Container{{Requests: MemoryOnly(2), Limits: MemoryOnly(1)}}}, "initContainers[0].requests.memory: must be less than or equal to memory limit"},
		{PodSpec{Containers: []Container{{}}, NodeAffinity: NodeAffinity{Preferred: []PreferredSchedulingTerm{{Weight: 1, Term: NodeSelectorTerm{MatchExpressions: []Requirement{{Key: k, Op: OpGt, Values: []Sym{k}}}}}}}}, "nodeAffinity.preferred[0].matchExpressions[0]: operator Gt takes its one integer in Num"},
		{PodSpec{Containers: []Container{{}}, NodeAffinity: NodeAffinity{Required: []NodeSelectorTerm{{MatchExpressions: []Requirement{{Key: k, Op: Operator(99)}}}}}}, "nodeAffinity.required[0].matchExpressions[0]: unknown operator 99"},
		{PodSpec{Containers: []Container{{}}, PodAffinity: PodAffinity{Preferred: []WeightedPodAffinityTerm{{Weight: 101, Term: PodAffinityTerm{TopologyKey: k}}}}}, "podAffinity.preferred[0].weight: must be in the range 1-100"},
		{PodSpec{Containers: []Container{{}}, PodAntiAffinity: PodAffinity{Preferred: []WeightedPodAffinityTerm{{Weight: 1}}}}, "podAntiAffinity.preferred[0].topologyKey: required"},
		{PodSpec{Containers: []Container{{}}, TopologySpread: []TopologySpreadConstraint{{MaxSkew: 1}}}, "topologySpreadConstraints[0].topologyKey: required"},
		{PodSpec{Containers: []Container{{}}, TopologySpread: []TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: k, MinDomains: -1}}}, "topologySpreadConstraints[0].minDomains: must be greater than zero"},
		{PodSpec{Containers: []Container{{}}, TopologySpread: []TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: k, Selector: &LabelSelector{MatchExpressions: []Requirement{{Key: k, Op: OpExists, Values: []Sym{k}}}}}}}, "topologySpreadConstraints[0].labelSelector.matchExpressions[0]: operator Exists takes no values"},
	}
	for _, tt := range tests {
		s := tt.spec
		err := s.Finish()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Finish() = %v, want an error containing %q", err, tt.want)
		}
	}
	s := PodSpec{Containers: []Container{{}}}
	finished(t, &s)
	if err := s.Finish(); err != ErrFinished {
		t.Errorf("second Finish = %v", err)
	}
}

func TestLabelsAndSelectors(t *testing.T) {
	in := NewInterner()
	app, web, tier, fe, be := in.Intern("app"), in.Intern("web"), in.Intern("tier"), in.Intern("frontend"), in.Intern("backend")
	ls, err := MakeLabels(Label{tier, fe}, Label{app, web})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ls.Get(app); !ok || v != web {
		t.Fatalf("Get(app) = %v, %v", v, ok)
	}
	if _, err := MakeLabels(Label{app, web}, Label{app, fe}); err == nil {
		t.Fatal("duplicate key accepted")
	}
	ls2 := ls.With(app, fe).With(in.Intern("zz"), be)
	if v, _ := ls2.Get(app); v != fe || len(ls2) != 3 || len(ls) != 2 {
		t.Fatalf("With: %v (original %v)", ls2, ls)
	}
	var nilSel *LabelSelector
	if nilSel.Matches(ls, in) || nilSel.Empty() {
		t.Error("a nil selector selects nothing and is not Empty")
	}
	every := &LabelSelector{}
	if !every.Matches(ls, in) || !every.Empty() {
		t.Error("an empty selector selects everything and is Empty")
	}
	sel := &LabelSelector{MatchLabels: Labels{{app, web}}, MatchExpressions: []Requirement{{Key: tier, Op: OpNotIn, Values: []Sym{be}}}}
	if !sel.Matches(ls, in) || sel.Matches(ls.With(tier, be), in) {
		t.Error("selector app=web,tier notin (backend)")
	}
	// NotIn and DoesNotExist hold for an absent key.
	missing := in.Intern("missing")
	for _, r := range []Requirement{{Key: missing, Op: OpNotIn, Values: []Sym{web}}, {Key: missing, Op: OpDoesNotExist}} {
		if !r.Matches(ls, in) {
			t.Errorf("%v on an absent key should hold", r.Op)
		}
	}
	for _, r := range []Requirement{{Key: missing, Op: OpIn, Values: []Sym{web}}, {Key: missing, Op: OpExists}} {
		if r.Matches(ls, in) {
			t.Errorf("%v on an absent key should fail", r.Op)
		}
	}
}

// Gt and Lt compare the label value as a base-10 integer; a value that is
// not one never matches (labels.Requirement.Matches).
func TestNodeSelectorGtLt(t *testing.T) {
	in := NewInterner()
	cores := in.Intern("cores")
	node := func(v string) Labels { return Labels{{cores, in.Intern(v)}} }
	gt := Requirement{Key: cores, Op: OpGt, Num: 8}
	lt := Requirement{Key: cores, Op: OpLt, Num: 8}
	cases := []struct {
		v      string
		gt, lt bool
	}{{"16", true, false}, {"8", false, false}, {"4", false, true}, {"-3", false, true}, {"sixteen", false, false}, {"1e3", false, false}}
	for _, c := range cases {
		if got := gt.Matches(node(c.v), in); got != c.gt {
			t.Errorf("cores=%s Gt 8 = %v", c.v, got)
		}
		if got := lt.Matches(node(c.v), in); got != c.lt {
			t.Errorf("cores=%s Lt 8 = %v", c.v, got)
		}
	}
	if gt.Matches(nil, in) || lt.Matches(nil, in) {
		t.Error("Gt/Lt on an absent label should fail")
	}
	var empty NodeSelectorTerm
	if empty.Matches(node("16"), in) {
		t.Error("an empty node selector term matches no node")
	}
}

func TestRequiredNodeAffinity(t *testing.T) {
	in := NewInterner()
	disk, ssd, hdd, zone := in.Intern("disktype"), in.Intern("ssd"), in.Intern("hdd"), in.Intern("zone-a")
	nodeSSD := Labels{{disk, ssd}}.With(LabelTopologyZone, zone)
	nodeHDD := Labels{{disk, hdd}}
	s := PodSpec{NodeSelector: Labels{{disk, ssd}}}
	if !s.MatchesRequiredNodeAffinity(nodeSSD, in) || s.MatchesRequiredNodeAffinity(nodeHDD, in) {
		t.Error("nodeSelector disktype=ssd")
	}
	// Terms are ORed; an affinity with only empty terms matches nothing.
	s = PodSpec{NodeAffinity: NodeAffinity{Required: []NodeSelectorTerm{
		{MatchExpressions: []Requirement{{Key: disk, Op: OpIn, Values: []Sym{hdd}}}},
		{MatchExpressions: []Requirement{{Key: LabelTopologyZone, Op: OpExists}}},
	}}}
	if !s.MatchesRequiredNodeAffinity(nodeSSD, in) || !s.MatchesRequiredNodeAffinity(nodeHDD, in) {
		t.Error("ORed terms")
	}
	s = PodSpec{NodeAffinity: NodeAffinity{Required: []NodeSelectorTerm{{}}}}
	if s.MatchesRequiredNodeAffinity(nodeSSD, in) {
		t.Error("only empty terms should match nothing")
	}
	if (&PodSpec{}).MatchesRequiredNodeAffinity(nodeHDD, in) != true {
		t.Error("no constraint matches every node")
	}
}

func TestTolerations(t *testing.T) {
	in := NewInterner()
	k, v, w := in.Intern("dedicated"), in.Intern("gpu"), in.Intern("db")
	taint := Taint{Key: k, Value: v, Effect: NoSchedule}
	cases := []struct {
		tol  Toleration
		want bool
	}{
		{Toleration{Key: k, Operator: TolerateEqual, Value: v, Effect: NoSchedule}, true},
		{Toleration{Key: k, Operator: TolerateEqual, Value: w, Effect: NoSchedule}, false},
		{Toleration{Key: k, Operator: TolerateExists}, true},                     // any value, any effect
		{Toleration{Key: k, Operator: TolerateExists, Effect: NoExecute}, false}, // wrong effect
		{Toleration{Operator: TolerateExists}, true},                             // tolerates everything
		{Toleration{Key: in.Intern("other"), Operator: TolerateExists}, false},
	}
	for i, c := range cases {
		if got := c.tol.Tolerates(&taint); got != c.want {
			t.Errorf("case %d: Tolerates = %v", i, got)
		}
	}
	s := PodSpec{Containers: []Container{{}}, Tolerations: []Toleration{{Key: TaintNodeUnreachable, Operator: TolerateExists, Effect: NoExecute, Seconds: 30, HasSeconds: true}}}
	s.AddDefaultTolerations()
	if len(s.Tolerations) != 2 || s.Tolerations[1].Key != TaintNodeNotReady || s.Tolerations[1].Seconds != 300 || s.Tolerations[0].Seconds != 30 {
		t.Fatalf("default tolerations: %+v", s.Tolerations)
	}
}

func TestNormalizeImageName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                   "nginx:latest",
		"nginx:1.21":              "nginx:1.21",
		"registry:5000/app":       "registry:5000/app:latest",
		"registry:5000/app:v2":    "registry:5000/app:v2",
		"docker.io/library/nginx": "docker.io/library/nginx:latest",
	} {
		if got := NormalizeImageName(in); got != want {
			t.Errorf("NormalizeImageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNodeFinish(t *testing.T) {
	in := NewInterner()
	n := Node{Name: in.Intern("node-1"), Labels: Labels{{LabelTopologyZone, in.Intern("a")}}}
	if err := n.Finish(); err != nil {
		t.Fatal(err)
	}
	if v, ok := n.Labels.Get(LabelHostname); !ok || in.String(v) != "node-1" {
		t.Fatalf("hostname label %v %v", v, ok)
	}
	if r, z := n.ZoneKey(); r != None || in.String(z) != "a" {
		t.Fatalf("zone key %v %v", r, z)
	}
	beta := Node{Name: in.Intern("n2"), Labels: Labels{{LabelFailureDomainBetaZone, in.Intern("b")}, {LabelFailureDomainBetaRegion, in.Intern("r")}}}
	if r, z := beta.ZoneKey(); in.String(r) != "r" || in.String(z) != "b" {
		t.Fatalf("beta zone key %q %q", in.String(r), in.String(z))
	}
	if n.MaxPods != DefaultMaxPods {
		t.Fatalf("maxPods %d, want the kubelet's default %d", n.MaxPods, DefaultMaxPods)
	}
	// A hostname label already set is kept, and so is an explicit maxPods.
	named := Node{Name: in.Intern("node-2"), MaxPods: 30, Labels: Labels{{LabelHostname, in.Intern("host-2")}}}
	if err := named.Finish(); err != nil {
		t.Fatal(err)
	}
	if v, _ := named.Labels.Get(LabelHostname); in.String(v) != "host-2" || named.MaxPods != 30 {
		t.Fatalf("hostname %q, maxPods %d", in.String(v), named.MaxPods)
	}
	bad := []Node{
		{},
		{Name: in.Intern("x"), Taints: []Taint{{Effect: NoSchedule}}},
		{Name: in.Intern("x"), Taints: []Taint{{Key: in.Intern("k")}}},
		{Name: in.Intern("x"), Taints: []Taint{{Key: in.Intern("k"), Effect: NoSchedule}, {Key: in.Intern("k"), Value: in.Intern("v"), Effect: NoSchedule}}},
		{Name: in.Intern("x"), Allocatable: Resources{MilliCPU: -1}},
		{Name: in.Intern("x"), Images: []NodeImage{{Name: in.Intern("a:1"), Size: -1}}},
	}
	for i := range bad {
		if err := bad[i].Finish(); err == nil {
			t.Errorf("bad node %d accepted", i)
		}
	}
}

// Fenceposts: surge rounds up, unavailability down; both zero makes
// unavailability 1 (deployment_util.go ResolveFenceposts and its tests).
func TestResolveFenceposts(t *testing.T) {
	cases := []struct {
		surge, unavail IntOrPercent
		desired        int32
		s, u           int32
	}{
		{DefaultMaxSurge, DefaultMaxUnavailable, 10, 3, 2}, // 2.5 → 3 up, 2 down
		{DefaultMaxSurge, DefaultMaxUnavailable, 4, 1, 1},
		{DefaultMaxSurge, DefaultMaxUnavailable, 1, 1, 0},
		{Percent(0), Percent(25), 3, 0, 1}, // 0.75 rounds down to 0, so 1
		{Int(0), Int(0), 5, 0, 1},
		{Int(2), Percent(50), 5, 2, 2},
		{Percent(100), Percent(100), 3, 3, 3},
	}
	for _, c := range cases {
		s, u := ResolveFenceposts(c.surge, c.unavail, c.desired)
		if s != c.s || u != c.u {
			t.Errorf("ResolveFenceposts(%v, %v, %d) = %d, %d; want %d, %d", c.surge, c.unavail, c.desired, s, u, c.s, c.u)
		}
	}
	for in, want := range map[string]IntOrPercent{"25%": Percent(25), "3": Int(3), "0%": Percent(0)} {
		if got, err := ParseIntOrPercent(in); err != nil || got != want {
			t.Errorf("ParseIntOrPercent(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"2.5%", "", "%", "abc", "25 %", "1e2"} {
		if _, err := ParseIntOrPercent(in); err == nil {
			t.Errorf("ParseIntOrPercent(%q) accepted", in)
		}
	}
}

func TestDeploymentValidation(t *testing.T) {
	in := NewInterner()
	app, web := in.Intern("app"), in.Intern("web")
	spec := finished(t, &PodSpec{Containers: []Container{{Image: in.Intern("nginx:1.21")}}})
	good := func() Deployment {
		d := NewDeployment()
		d.Selector = LabelSelector{MatchLabels: Labels{{app, web}}}
		d.Template = PodTemplate{Labels: Labels{{app, web}}, Spec: spec}
		return d
	}
	d := good()
	if err := d.Validate(in); err != nil {
		t.Fatal(err)
	}
	mutations := []func(*Deployment){
		func(d *Deployment) { d.Replicas = -1 },
		func(d *Deployment) { d.Selector = LabelSelector{} },
		func(d *Deployment) { d.Template.Labels = nil },
		func(d *Deployment) { d.Template.Spec = &PodSpec{} },
		func(d *Deployment) { d.MaxSurge, d.MaxUnavailable = Int(0), Percent(0) },
		func(d *Deployment) { d.MaxUnavailable = Percent(101) },
		func(d *Deployment) { d.MaxSurge = Int(-1) },
		func(d *Deployment) { d.ProgressDeadlineSeconds = 0 },
	}
	for i, m := range mutations {
		d := good()
		m(&d)
		if err := d.Validate(in); err == nil {
			t.Errorf("mutation %d accepted", i)
		}
	}
	// A Recreate deployment ignores the rolling-update fields.
	d = good()
	d.Strategy, d.MaxSurge, d.MaxUnavailable = Recreate, Int(0), Int(0)
	if err := d.Validate(in); err != nil {
		t.Errorf("Recreate: %v", err)
	}
}

// ValidateReplicaSetSpec: replicas not negative, a non-empty selector
// that the template's labels satisfy, a finished template spec.
func TestReplicaSetValidation(t *testing.T) {
	in := NewInterner()
	app, web, db := in.Intern("app"), in.Intern("web"), in.Intern("db")
	spec := finished(t, &PodSpec{Containers: []Container{{Image: in.Intern("nginx:1.21")}}})
	good := func() ReplicaSet {
		return ReplicaSet{
			Replicas: 3,
			Selector: LabelSelector{MatchLabels: Labels{{app, web}}},
			Template: PodTemplate{Labels: Labels{{app, web}}, Spec: spec},
		}
	}
	rs := good()
	if err := rs.Validate(in); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		mutate func(*ReplicaSet)
		want   string
	}{
		"negative replicas": {func(rs *ReplicaSet) { rs.Replicas = -1 }, "replicas"},
		"empty selector":    {func(rs *ReplicaSet) { rs.Selector = LabelSelector{} }, "empty selector"},
		"bad expression": {func(rs *ReplicaSet) {
			rs.Selector.MatchExpressions = []Requirement{{Key: app, Op: OpIn}}
		}, "selector.matchExpressions[0]: operator In needs at least one value"},
		"unfinished spec":  {func(rs *ReplicaSet) { rs.Template.Spec = &PodSpec{} }, ErrNoTemplate.Error()},
		"labels unmatched": {func(rs *ReplicaSet) { rs.Template.Labels = Labels{{app, db}} }, ErrSelectorMismatch.Error()},
	} {
		rs := good()
		c.mutate(&rs)
		if err := rs.Validate(in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
}

// The hash covers every modeled field of the template: changing any one
// of them changes it.
func TestTemplateHashCoversTheTemplate(t *testing.T) {
	in := NewInterner()
	k, v, w := in.Intern("k"), in.Intern("v"), in.Intern("w")
	sel := func() *LabelSelector { return &LabelSelector{MatchLabels: Labels{{k, v}}} }
	req := func() []Requirement { return []Requirement{{Key: k, Op: OpIn, Values: []Sym{v}}} }
	term := func() PodAffinityTerm { return PodAffinityTerm{Selector: sel(), TopologyKey: LabelHostname} }
	base := func() *PodTemplate {
		return &PodTemplate{Labels: Labels{{k, v}}, Spec: &PodSpec{
			Containers:      []Container{{Name: v, Image: v, Requests: Requests(100, mi), Limits: Requests(200, 2*mi)}},
			InitContainers:  []Container{{Name: w, Image: w, Sidecar: true}},
			Overhead:        Resources{10, mi},
			Tolerations:     []Toleration{{Key: k, Value: v, Effect: NoExecute, Seconds: 30, HasSeconds: true}},
			NodeSelector:    Labels{{k, v}},
			NodeAffinity:    NodeAffinity{Required: []NodeSelectorTerm{{MatchExpressions: req()}}, Preferred: []PreferredSchedulingTerm{{Weight: 5, Term: NodeSelectorTerm{MatchExpressions: req()}}}},
			PodAffinity:     PodAffinity{Required: []PodAffinityTerm{term()}, Preferred: []WeightedPodAffinityTerm{{Weight: 5, Term: term()}}},
			PodAntiAffinity: PodAffinity{Required: []PodAffinityTerm{term()}},
			TopologySpread:  []TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: LabelTopologyZone, Selector: sel(), MinDomains: 2}},
		}}
	}
	h := TemplateHash(base(), 0, in)
	if h != TemplateHash(base(), 0, in) {
		t.Fatal("equal templates hash differently")
	}
	for name, mutate := range map[string]func(*PodTemplate){
		"labels":                     func(p *PodTemplate) { p.Labels = Labels{{k, w}} },
		"container name":             func(p *PodTemplate) { p.Spec.Containers[0].Name = w },
		"container image":            func(p *PodTemplate) { p.Spec.Containers[0].Image = w },
		"cpu request":                func(p *PodTemplate) { p.Spec.Containers[0].Requests.MilliCPU++ },
		"memory request unset":       func(p *PodTemplate) { p.Spec.Containers[0].Requests.Set = CPU },
		"memory limit":               func(p *PodTemplate) { p.Spec.Containers[0].Limits.Memory++ },
		"sidecar":                    func(p *PodTemplate) { p.Spec.InitContainers[0].Sidecar = false },
		"toleration seconds unset":   func(p *PodTemplate) { p.Spec.Tolerations[0].HasSeconds = false },
		"termination grace period":   func(p *PodTemplate) { p.Spec.TerminationGracePeriod = time.Minute },
		"no init containers":         func(p *PodTemplate) { p.Spec.InitContainers = nil },
		"overhead":                   func(p *PodTemplate) { p.Spec.Overhead.MilliCPU++ },
		"toleration value":           func(p *PodTemplate) { p.Spec.Tolerations[0].Value = w },
		"toleration effect":          func(p *PodTemplate) { p.Spec.Tolerations[0].Effect = NoSchedule },
		"toleration seconds":         func(p *PodTemplate) { p.Spec.Tolerations[0].Seconds = 60 },
		"node selector":              func(p *PodTemplate) { p.Spec.NodeSelector = nil },
		"required node affinity":     func(p *PodTemplate) { p.Spec.NodeAffinity.Required[0].MatchExpressions[0].Op = OpNotIn },
		"no required node affinity":  func(p *PodTemplate) { p.Spec.NodeAffinity.Required = nil },
		"empty required affinity":    func(p *PodTemplate) { p.Spec.NodeAffinity.Required = []NodeSelectorTerm{} },
		"preferred node weight":      func(p *PodTemplate) { p.Spec.NodeAffinity.Preferred[0].Weight = 6 },
		"preferred node value":       func(p *PodTemplate) { p.Spec.NodeAffinity.Preferred[0].Term.MatchExpressions[0].Values[0] = w },
		"pod affinity namespaces":    func(p *PodTemplate) { p.Spec.PodAffinity.Required[0].Namespaces = []Sym{w} },
		"pod affinity weight":        func(p *PodTemplate) { p.Spec.PodAffinity.Preferred[0].Weight = 6 },
		"anti-affinity key":          func(p *PodTemplate) { p.Spec.PodAntiAffinity.Required[0].TopologyKey = LabelTopologyZone },
		"anti-affinity nil selector": func(p *PodTemplate) { p.Spec.PodAntiAffinity.Required[0].Selector = nil },
		"spread maxSkew":             func(p *PodTemplate) { p.Spec.TopologySpread[0].MaxSkew = 2 },
		"spread when":                func(p *PodTemplate) { p.Spec.TopologySpread[0].WhenUnsatisfiable = ScheduleAnyway },
		"spread minDomains":          func(p *PodTemplate) { p.Spec.TopologySpread[0].MinDomains = 3 },
		"spread selector":            func(p *PodTemplate) { p.Spec.TopologySpread[0].Selector.MatchLabels = Labels{{k, w}} },
		"spread empty selector":      func(p *PodTemplate) { p.Spec.TopologySpread[0].Selector = &LabelSelector{} },
	} {
		p := base()
		mutate(p)
		if TemplateHash(p, 0, in) == h {
			t.Errorf("changing the %s leaves the hash at %s", name, h)
		}
	}
}

func TestTemplateHash(t *testing.T) {
	in := NewInterner()
	app, web := in.Intern("app"), in.Intern("web")
	mk := func(image string) *PodTemplate {
		return &PodTemplate{Labels: Labels{{app, web}}, Spec: finished(t, &PodSpec{Containers: []Container{{Image: in.Intern(image)}}})}
	}
	a, b := mk("nginx:1.21"), mk("nginx:1.21")
	h := TemplateHash(a, 0, in)
	if h != TemplateHash(b, 0, in) {
		t.Fatal("equal templates hash differently")
	}
	if h == TemplateHash(mk("nginx:1.22"), 0, in) {
		t.Fatal("a new image should change the hash")
	}
	if h == TemplateHash(a, 1, in) {
		t.Fatal("the collision count should change the hash")
	}
	for _, c := range h {
		if !strings.ContainsRune("bcdfghjklmnpqrstvwxz2456789", c) {
			t.Fatalf("hash %q has %q, outside SafeEncodeString's alphabet", h, c)
		}
	}
	// SafeEncodeString maps '0'..'9' (48..57) onto alphanums[b%27].
	if got := SafeEncodeString("0123456789"); got != "456789bcdf" {
		t.Fatalf("SafeEncodeString = %q", got)
	}
}

func TestSizes(t *testing.T) {
	if err := DefaultSizes.Validate(); err != nil {
		t.Fatal(err)
	}
	if DefaultSizes.Pod != 4000 || DefaultSizes.Node != 15000 {
		t.Fatalf("defaults %+v", DefaultSizes)
	}
	for _, s := range []Sizes{{}, {Pod: 1, Node: 1, ReplicaSet: 1, Deployment: MaxSize + 1}} {
		if s.Validate() == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if err := (Sizes{Pod: 1, Node: 1, ReplicaSet: 1, Deployment: MaxSize}).Validate(); err != nil {
		t.Errorf("1.5 MiB (%d bytes) refused: %v", MaxSize, err)
	}
}

func TestParseQuantities(t *testing.T) {
	if v, err := ParseCPU("250m"); err != nil || v != 250 {
		t.Fatalf("ParseCPU = %d, %v", v, err)
	}
	if v, err := ParseMemory("1.5Gi"); err != nil || v != 1536*mi {
		t.Fatalf("ParseMemory = %d, %v", v, err)
	}
	if _, err := ParseCPU("-1"); err == nil {
		t.Fatal("negative CPU accepted")
	}
}

func TestInterner(t *testing.T) {
	in := NewInterner()
	if in.String(LabelHostname) != "kubernetes.io/hostname" || in.String(None) != "" || in.String(NamespaceDefault) != "default" {
		t.Fatal("well-known symbols")
	}
	a := in.Intern("x")
	if in.Intern("x") != a || a != Sym(numWellKnown) {
		t.Fatalf("Intern(x) = %d", a)
	}
	if n, ok := in.Int(in.Intern("42")); !ok || n != 42 {
		t.Fatal("Int")
	}
	if _, ok := in.Lookup("nope"); ok {
		t.Fatal("Lookup")
	}
}

// Edit gives back the spec as written: a request Finish copied from a
// limit goes, so that a new limit alone moves it again (kubectl set
// resources --limits on a template), while an explicit request stays; the
// original is untouched.
func TestEditUndoesRequestDefaulting(t *testing.T) {
	s := finished(t, &PodSpec{Containers: []Container{
		{Limits: Requests(1000, 1*gi)},
		{Requests: CPUOnly(200), Limits: Requests(500, 2*gi)},
	}})
	e := s.Edit()
	if e.Finished() {
		t.Fatal("edited copy is finished")
	}
	if got := e.Containers[0].Requests; got != (Quantities{}) {
		t.Errorf("container 0 requests after Edit = %+v, want none (they came from the limits)", got)
	}
	if got := e.Containers[1].Requests; got != CPUOnly(200) {
		t.Errorf("container 1 requests after Edit = %+v, want the written cpu 200m only", got)
	}
	e.Containers[0].Limits = Requests(2000, 1*gi)
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.Requests(), (Resources{2000 + 200, 1*gi + 2*gi}); got != want {
		t.Errorf("edited requests %+v, want %+v", got, want)
	}
	if got, want := s.Requests(), (Resources{1000 + 200, 1*gi + 2*gi}); got != want {
		t.Errorf("original requests changed to %+v, want %+v", got, want)
	}
	if s.Containers[0].Limits != Requests(1000, 1*gi) {
		t.Errorf("original container changed: %+v", s.Containers[0])
	}

	// The grace period survives an edit: the default, and an explicit 0.
	if e.TerminationGracePeriod != DefaultTerminationGracePeriod {
		t.Errorf("edited grace period %v, want the default", e.TerminationGracePeriod)
	}
	zero := finished(t, &PodSpec{Containers: []Container{{}}, TerminationGracePeriod: NoGracePeriod})
	z := zero.Edit()
	if err := z.Finish(); err != nil {
		t.Fatal(err)
	}
	if z.TerminationGracePeriod != 0 {
		t.Errorf("an explicit 0 grace period became %v after Edit", z.TerminationGracePeriod)
	}
}
