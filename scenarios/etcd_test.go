package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEtcdDefaultsFollowVersion(t *testing.T) {
	tests := []struct {
		kubernetes string
		etcd       string
		preVote    bool
	}{
		// kubeadm's SupportedEtcdVersion: 3.4.13 up to 1.21, 3.5.x from
		// 1.22 to 1.33, 3.6.x from 1.34. Pre-vote is on from etcd 3.5.
		{`"1.20"`, "3.4", false},
		{`v1.21.14`, "3.4", false},
		{`"1.22"`, "3.5", true},
		{`"1.31"`, "3.5", true},
		{`"1.33"`, "3.5", true},
		{`"1.34"`, "3.6", true},
		{`v1.35.0`, "3.6", true},
	}
	for _, tt := range tests {
		e := mustParse(t, withVersion(tt.kubernetes)).Spec.Cluster.Etcd
		if e.Version != tt.etcd || e.PreVote == nil || *e.PreVote != tt.preVote {
			t.Errorf("kubernetesVersion %s: etcd %q, preVote %v; want %q, %v", tt.kubernetes, e.Version, ptrString(e.PreVote), tt.etcd, tt.preVote)
		}
	}
}

func ptrString(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestEtcdVersionForms(t *testing.T) {
	tests := []struct {
		field   string
		version string
		preVote bool
	}{
		{`version: "3.4"`, "3.4", false}, // preVote follows the etcd version, not Kubernetes 1.31
		{`version: 3.4`, "3.4", false},   // unquoted: a YAML float, read as written
		{`version: v3.5.9`, "3.5", true},
		{`version: 3.6.0`, "3.6", true},
		{"version: \"3.4\"\n      preVote: true", "3.4", true},
		{"version: \"3.6\"\n      preVote: false", "3.6", false},
	}
	for _, tt := range tests {
		e := mustParse(t, etcdField(tt.field)).Spec.Cluster.Etcd
		if e.Version != tt.version || *e.PreVote != tt.preVote {
			t.Errorf("%s: version %q, preVote %v; want %q, %v", tt.field, e.Version, *e.PreVote, tt.version, tt.preVote)
		}
	}
}

func TestParseEtcdVersion(t *testing.T) {
	good := map[string]string{"3.4": "3.4", "v3.4": "3.4", "3.5.0": "3.5", "v3.5.21": "3.5", "3.6": "3.6", "v3.6.4": "3.6"}
	for in, want := range good {
		if got, err := ParseEtcdVersion(in); err != nil || got != want {
			t.Errorf("ParseEtcdVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "3", "3.3", "3.7", "2.3", "4.0", "3.05", "v3", "3.5.", "3.5.1.2", "V3.5", "3.5-0", "3.5.21-0", "latest"} {
		if got, err := ParseEtcdVersion(in); err == nil {
			t.Errorf("ParseEtcdVersion(%q) = %q, want an error", in, got)
		}
	}
}

func TestQuotaForms(t *testing.T) {
	for text, want := range map[string]int64{"2Gi": 2 << 30, "4294967296": 4 << 30, "8e9": 8e9, "1.5Gi": 3 << 29, `"100"`: 100} {
		e := mustParse(t, etcdField("quotaBackendBytes: "+text)).Spec.Cluster.Etcd
		if e.QuotaBackendBytes != want {
			t.Errorf("quotaBackendBytes: %s = %d, want %d", text, e.QuotaBackendBytes, want)
		}
	}
}

func TestMemberAccessors(t *testing.T) {
	e := Etcd{Members: 3}
	if got := e.MemberNames(); !slices.Equal(got, []string{"etcd-0", "etcd-1", "etcd-2"}) {
		t.Errorf("MemberNames() = %v", got)
	}
	for i, name := range e.MemberNames() {
		if e.MemberName(i) != name {
			t.Errorf("MemberName(%d) = %q, want %q", i, e.MemberName(i), name)
		}
		if j, ok := e.MemberIndex(name); !ok || j != i {
			t.Errorf("MemberIndex(%q) = %d, %v", name, j, ok)
		}
	}
	for _, name := range []string{"", "etcd-3", "etcd--1", "etcd-01", "etcd-+1", "etcd-1 ", "etcd1", "Etcd-1", "node-1", "etcd-99999999999999999999"} {
		if i, ok := e.MemberIndex(name); ok {
			t.Errorf("MemberIndex(%q) = %d, want none", name, i)
		}
	}
	if got := (Etcd{Members: 0}).MemberNames(); got != nil {
		t.Errorf("MemberNames() of 0 members = %v", got)
	}
	if got := (Etcd{Members: 1 << 40}).MemberNames(); got != nil {
		t.Errorf("MemberNames() of 2^40 members = %v", got)
	}
}

// fullEtcd sets every etcd field, a churn workload and one fault of every
// etcd type, for Kubernetes 1.21 (etcd 3.4 by default).
const fullEtcd = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: etcd-everything
spec:
  duration: 30m
  kubernetesVersion: "1.21"
  cluster:
    nodePools:
      - name: node
        count: 3
    etcd:
      members: 5
      heartbeatInterval: 50ms
      electionTimeout: 500ms
      peerLatency: 1ms
      walFsync: {kind: lognormal, median: 1ms, p99: 8ms}
      backendCommit: {kind: exponential, mean: 4ms}
      applyCost: 10us
      readCost: {kind: uniform, min: 100us, max: 300us}
      quotaBackendBytes: 8Gi
      compactionInterval: 10m
      defragThroughput: 50Mi
      memberOverrides:
        - name: etcd-4
          walFsync: {kind: lognormal, median: 10ms, p99: 80ms}
        - {name: etcd-0, walFsync: 3ms}
  workload:
    churn:
      - name: configmaps
        objects: 100
        objectBytes: 10Ki
        rate: 50
      - name: burst
        objects: 1
        objectBytes: 1.5Mi
        rate: 0.25
        start: 1m
        duration: 10m
  faults:
    - at: 1m
      type: etcdCrash
      members: {leader: true}
      duration: 30s
    - at: 2m
      type: etcdCrash
      members:
        names: [etcd-1, etcd-2]
    - at: 3m
      type: etcdRestart
      members: {names: [etcd-2, etcd-1]}
    - at: 4m
      type: etcdPartition
      groups:
        - [etcd-0, etcd-1]
        - [etcd-2]
      duration: 1m
    - at: 6m
      type: etcdIsolateLeader
      duration: 20s
    - at: 7m
      type: etcdSlowDisk
      members: {names: [etcd-3]}
      walFsync: {kind: lognormal, median: 50ms, p99: 500ms}
      duration: 2m
    - at: 8m
      type: etcdSlowDisk
      members: {leader: true}
      walFsync: 100ms
      duration: 1m
    - at: 10m
      type: etcdCompact
    - at: 11m
      type: etcdDefrag
    - at: 12m
      type: etcdDefrag
      members: {names: [etcd-4, etcd-3]}
    - at: 13m
      type: etcdAlarmDisarm
    - at: 14m
      type: etcdPartition
      groups: [[etcd-4]]
      duration: 10s
    - at: 15m
      type: stopKubelet
      nodes: {names: [node-0]}
`

func TestFullEtcdScenario(t *testing.T) {
	s := mustParse(t, fullEtcd)
	off := false
	ms := time.Millisecond
	wantEtcd := Etcd{
		Version: "3.4", Members: 5, HeartbeatInterval: 50 * ms, ElectionTimeout: 500 * ms, PreVote: &off,
		PeerLatency:        Dist{Kind: "constant", Value: ms},
		WALFsync:           Dist{Kind: "lognormal", Median: ms, P99: 8 * ms},
		BackendCommit:      Dist{Kind: "exponential", Mean: 4 * ms},
		ApplyCost:          Dist{Kind: "constant", Value: 10 * time.Microsecond},
		ReadCost:           Dist{Kind: "uniform", Min: 100 * time.Microsecond, Max: 300 * time.Microsecond},
		QuotaBackendBytes:  8 << 30,
		CompactionInterval: 10 * time.Minute,
		DefragThroughput:   50 << 20,
		MemberOverrides: []EtcdMember{
			{Name: "etcd-4", WALFsync: Dist{Kind: "lognormal", Median: 10 * ms, P99: 80 * ms}, Line: 25},
			{Name: "etcd-0", WALFsync: Dist{Kind: "constant", Value: 3 * ms}, Line: 27},
		},
	}
	if got := s.Spec.Cluster.Etcd; !reflect.DeepEqual(got, wantEtcd) {
		t.Errorf("etcd:\n got %+v\nwant %+v", got, wantEtcd)
	}
	wantChurn := []Churn{
		{Name: "configmaps", Objects: 100, ObjectBytes: 10 << 10, Rate: 50, Namespaces: 1, Line: 30},
		{Name: "burst", Objects: 1, ObjectBytes: MaxObjectBytes, Rate: 0.25, Start: time.Minute, Duration: 10 * time.Minute, Namespaces: 1, Line: 34},
	}
	if got := s.Spec.Workload.Churn; !reflect.DeepEqual(got, wantChurn) {
		t.Errorf("churn:\n got %+v\nwant %+v", got, wantChurn)
	}
	min := time.Minute
	wantFaults := []Fault{
		{At: min, Type: FaultEtcdCrash, Members: MemberSelector{Leader: true}, Duration: 30 * time.Second, Line: 41},
		{At: 2 * min, Type: FaultEtcdCrash, Members: MemberSelector{Names: []string{"etcd-1", "etcd-2"}}, Line: 45},
		{At: 3 * min, Type: FaultEtcdRestart, Members: MemberSelector{Names: []string{"etcd-2", "etcd-1"}}, Line: 49},
		{At: 4 * min, Type: FaultEtcdPartition, Groups: [][]string{{"etcd-0", "etcd-1"}, {"etcd-2"}}, Duration: min, Line: 52},
		{At: 6 * min, Type: FaultEtcdIsolateLeader, Duration: 20 * time.Second, Line: 58},
		{At: 7 * min, Type: FaultEtcdSlowDisk, Members: MemberSelector{Names: []string{"etcd-3"}},
			WALFsync: Dist{Kind: "lognormal", Median: 50 * ms, P99: 500 * ms}, Duration: 2 * min, Line: 61},
		{At: 8 * min, Type: FaultEtcdSlowDisk, Members: MemberSelector{Leader: true}, WALFsync: Dist{Kind: "constant", Value: 100 * ms}, Duration: min, Line: 66},
		{At: 10 * min, Type: FaultEtcdCompact, Line: 71},
		{At: 11 * min, Type: FaultEtcdDefrag, Line: 73},
		{At: 12 * min, Type: FaultEtcdDefrag, Members: MemberSelector{Names: []string{"etcd-4", "etcd-3"}}, Line: 75},
		{At: 13 * min, Type: FaultEtcdAlarmDisarm, Line: 78},
		{At: 14 * min, Type: FaultEtcdPartition, Groups: [][]string{{"etcd-4"}}, Duration: 10 * time.Second, Line: 80},
		{At: 15 * min, Type: FaultStopKubelet, Nodes: NodeSelector{Names: []string{"node-0"}}, Line: 84},
	}
	if got := s.Spec.Faults; !reflect.DeepEqual(got, wantFaults) {
		t.Errorf("faults:\n got %+v\nwant %+v", got, wantFaults)
	}
	seen := map[string]bool{}
	for _, f := range s.Spec.Faults {
		seen[f.Type] = true
	}
	for _, typ := range faultTypes {
		if typ != FaultRestartKubelet && typ != FaultPartition && typ != FaultRestartAPIServer && typ != FaultSlowWatcher && typ != FaultRestartControllers &&
			typ != FaultStopControllerManager && typ != FaultMemoryPressure && !seen[typ] { // slowWatcher: watchers_test.go; restartControllers: workload_test.go; the pod faults: podfaults_test.go
			t.Errorf("fault type %s is not exercised", typ)
		}
	}
	for i, o := range s.Spec.Cluster.Etcd.MemberOverrides {
		if _, ok := s.Spec.Cluster.Etcd.MemberIndex(o.Name); !ok {
			t.Errorf("override %d names %q, not a member", i, o.Name)
		}
	}
}

// TestValidateEtcdBuiltInCode checks rules that Parse cannot break but a
// scenario built in code can.
func TestValidateEtcdBuiltInCode(t *testing.T) {
	s := mustParse(t, base)
	e := &s.Spec.Cluster.Etcd
	e.Version = "v3.5.9"
	e.QuotaBackendBytes = -1
	e.MemberOverrides = []EtcdMember{{Name: "etcd-7", WALFsync: Dist{Kind: "constant"}}}
	s.Spec.Workload.Churn = []Churn{{Name: "c", Objects: 1, ObjectBytes: 1, Rate: 1}, {Name: "c", Objects: 1, ObjectBytes: 1, Rate: 0}}
	s.Spec.Faults = []Fault{
		{At: time.Second, Type: FaultEtcdPartition, Groups: [][]string{{"etcd-0"}, {"etcd-0"}}, Duration: time.Second},
		{At: time.Second, Type: FaultStopKubelet},
		{At: time.Second, Type: FaultEtcdCompact, Nodes: NodeSelector{Pool: "node"}},
	}
	var got []string
	for _, err := range Errors(s.Validate()) {
		got = append(got, err.Error())
	}
	want := []string{
		`good.yaml: spec.cluster.etcd.version: must be the minor version "3.5", got "v3.5.9"`,
		"good.yaml: spec.cluster.etcd.quotaBackendBytes: must be greater than 0, got -1 (etcd reads a negative quota as no quota at all",
		`good.yaml: spec.cluster.etcd.memberOverrides[0].name: no etcd member named "etcd-7": members are etcd-0 to etcd-2`,
		`good.yaml: spec.workload.churn[1].name: duplicate churn name "c" (also spec.workload.churn[0])`,
		"good.yaml: spec.workload.churn[1].rate: must be greater than 0 updates per second, got 0",
		`good.yaml: spec.faults[0].groups[1][0]: member "etcd-0" is already in spec.faults[0].groups[0]`,
		"good.yaml: spec.faults[1].nodes: required field is missing: stopKubelet needs the nodes it applies to",
		"good.yaml: spec.faults[2].nodes: etcdCompact is an etcd fault: it takes no nodes",
	}
	if len(got) != len(want) {
		t.Fatalf("Validate:\n%s\nwant %d errors", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q\nwant prefix %q", i, got[i], want[i])
		}
	}
}

func TestEtcdMembersOutOfRangeSkipsNameChecks(t *testing.T) {
	// A bad member count is one error, not one more per member name.
	doc := etcdField("members: 100000000000\n      memberOverrides: [{name: etcd-1, walFsync: 1ms}]")
	_, err := Parse("bad.yaml", []byte(doc))
	errs := Errors(err)
	if len(errs) != 1 || errs[0].Field != "spec.cluster.etcd.members" {
		t.Errorf("errors: %v", err)
	}
}
