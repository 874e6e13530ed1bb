package scenarios

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, doc string) *Scenario {
	t.Helper()
	s, err := Parse("good.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func withVersion(v string) string {
	return base + "  kubernetesVersion: " + v + "\n"
}

func TestDefaultsFollowVersion(t *testing.T) {
	tests := []struct {
		version                  string
		want                     Version
		grace                    time.Duration
		kubeletQPS, kubeletBurst float64
	}{
		{`"1.31"`, Version{1, 31}, 40 * time.Second, 50, 100},
		{`"1.32"`, Version{1, 32}, 50 * time.Second, 50, 100},
		{`v1.35.0`, Version{1, 35}, 50 * time.Second, 50, 100},
		{`"1.27"`, Version{1, 27}, 40 * time.Second, 50, 100},
		{`"1.26"`, Version{1, 26}, 40 * time.Second, 5, 10},
		{`v1.20.15`, Version{1, 20}, 40 * time.Second, 5, 10},
		{`1.30`, Version{1, 30}, 40 * time.Second, 50, 100}, // unquoted: a YAML float, read as written
	}
	for _, tt := range tests {
		s := mustParse(t, withVersion(tt.version))
		c := s.Spec.Cluster
		if got := s.Version(); got != tt.want {
			t.Errorf("%s: Version() = %v, want %v", tt.version, got, tt.want)
		}
		if c.NodeLifecycle.GracePeriod != tt.grace {
			t.Errorf("%s: grace = %v, want %v", tt.version, c.NodeLifecycle.GracePeriod, tt.grace)
		}
		if c.Clients.Kubelet.QPS != tt.kubeletQPS || float64(c.Clients.Kubelet.Burst) != tt.kubeletBurst {
			t.Errorf("%s: kubelet client = %+v, want %v/%v", tt.version, c.Clients.Kubelet, tt.kubeletQPS, tt.kubeletBurst)
		}
	}
	if _, err := Parse("v.yaml", []byte(withVersion(`"1.16"`))); err == nil || !strings.Contains(err.Error(), "unsupported version") {
		t.Errorf("1.16: got %v, want an unsupported version error", err)
	}
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, base)
	on := true
	want := Spec{
		Seed:              1,
		Duration:          5 * time.Minute,
		KubernetesVersion: "1.31",
		Cluster: Cluster{
			NodePools: []NodePool{{Name: "node", Count: 5, Zones: []string{"zone-a", "zone-b"}, CPUMilli: 4000, MemoryBytes: 16 << 30, Pods: 110}},
			APIServer: APIServer{
				Replicas: 1, PriorityAndFairness: &on, MaxRequestsInflight: 400, MaxMutatingRequestsInflight: 200,
				RequestTimeout: time.Minute, CPUs: 8,
				Costs: APIServerCosts{
					Authentication:  Dist{Kind: "lognormal", Median: 20 * time.Microsecond, P99: 100 * time.Microsecond},
					Authorization:   Dist{Kind: "lognormal", Median: 20 * time.Microsecond, P99: 100 * time.Microsecond},
					Admission:       Dist{Kind: "lognormal", Median: 100 * time.Microsecond, P99: 500 * time.Microsecond},
					DecodePerObject: 20 * time.Microsecond, DecodeThroughput: 100 << 20,
					EncodePerObject: 10 * time.Microsecond, EncodeThroughput: 200 << 20, WatchFilterPerWatcher: time.Microsecond, WatchSendPerWatcher: 5 * time.Microsecond,
				},
			},
			Etcd: Etcd{
				Version: "3.5", Members: 3, HeartbeatInterval: 100 * time.Millisecond, ElectionTimeout: time.Second, PreVote: &on,
				PeerLatency:        Dist{Kind: "uniform", Min: 200 * time.Microsecond, Max: time.Millisecond},
				WALFsync:           Dist{Kind: "lognormal", Median: 2 * time.Millisecond, P99: 10 * time.Millisecond},
				BackendCommit:      Dist{Kind: "lognormal", Median: 5 * time.Millisecond, P99: 25 * time.Millisecond},
				ApplyCost:          Dist{Kind: "lognormal", Median: 20 * time.Microsecond, P99: 100 * time.Microsecond},
				ReadCost:           Dist{Kind: "lognormal", Median: 500 * time.Microsecond, P99: 2 * time.Millisecond},
				QuotaBackendBytes:  2 << 30,
				CompactionInterval: 5 * time.Minute,
				DefragThroughput:   100 << 20,
			},
			Network: Network{
				Latency:                Dist{Kind: "uniform", Min: 200 * time.Microsecond, Max: time.Millisecond},
				StreamFailureDetection: 45 * time.Second,
			},
			Kubelet: Kubelet{
				NodeLeaseDuration: 40 * time.Second, NodeStatusUpdateFrequency: 10 * time.Second,
				NodeStatusReportFrequency: 5 * time.Minute, Jitter: &on, NodeLease: &on,
			},
			NodeLifecycle:     NodeLifecycle{MonitorPeriod: 5 * time.Second, GracePeriod: 40 * time.Second},
			Scheduler:         Scheduler{Replicas: 1},
			ControllerManager: ControllerManager{Replicas: 1, ReplicaSetController: LevelTriggered},
			Clients: Clients{
				Kubelet:           ClientLimits{QPS: 50, Burst: 100},
				Heartbeat:         ClientLimits{QPS: -1, Burst: 100, Timeout: 10 * time.Second},
				ControllerManager: ClientLimits{QPS: 20, Burst: 30, Timeout: 60 * time.Second},
				Jitter:            &on,
			},
			ObjectSizes: ObjectSizes{Lease: 300, Node: 15000, Pod: 4000, ReplicaSet: 4000, Deployment: 4000},
		},
	}
	if !reflect.DeepEqual(s.Spec, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", s.Spec, want)
	}
	if s.File != "good.yaml" || s.APIVersion != APIVersion || s.Kind != Kind || s.Metadata.Name != "t" {
		t.Errorf("header: %+v", s)
	}
}

// explicit sets every defaulted field to something else, zeros included:
// none may be overwritten by a default.
const explicit = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: explicit
  description: every field set
spec:
  seed: 0
  duration: 1h30m
  kubernetesVersion: v1.26.3
  maxEvents: 1000000
  cluster:
    nodePools:
      - name: big
        count: 3
        zones: [a]
        cpu: 500m
        memory: 1.5Gi
      - name: small-2
        count: 1
        cpu: 0.1
        memory: 1e3
        pods: 250
        labels: {tier: db, "example.com/ssd": "true"}
        taints: [{key: dedicated, value: db, effect: NoSchedule}]
        images: [{name: "postgres:16", size: 150Mi}]
    apiServer:
      replicas: 2
      priorityAndFairness: false
      maxRequestsInflight: 1
      maxMutatingRequestsInflight: 2
      requestTimeout: 30s
      cpus: 3
      costs:
        authentication: 250us
        authorization: 0
        admission: {kind: constant, value: 1ms}
        decodePerObject: 0
        decodeThroughput: 1Mi
        encodePerObject: 2us
        encodeThroughput: 2Mi
        watchSendPerWatcher: 1us
        watchFilterPerWatcher: 3us
    etcd:
      version: "3.4"
      members: 1
      heartbeatInterval: 50ms
      electionTimeout: 250ms
      preVote: true
      peerLatency: 0
      walFsync: {kind: normal, mean: 3ms, stddev: 0}
      backendCommit: {kind: uniform, min: 0, max: 0}
      applyCost: 0
      readCost: {kind: exponential, mean: 1.5ms}
      quotaBackendBytes: 1
      compactionInterval: 0
      defragThroughput: 1e3
      memberOverrides:
        - name: etcd-0
          walFsync: 1ms
    network:
      latency: {kind: constant, value: 0}
      loss: 0
      streamFailureDetection: 1s
    kubelet:
      nodeLeaseDuration: 1m
      nodeStatusUpdateFrequency: 20s
      nodeStatusReportFrequency: 2m
      jitter: false
      nodeLease: false
    nodeLifecycle:
      monitorPeriod: 2s
      gracePeriod: 3s
    clients:
      kubelet: {qps: 0.5, burst: 1, timeout: 5s}
      heartbeat: {qps: 7, burst: 3, timeout: 0}
      controllerManager: {qps: -1, burst: 0, timeout: 0}
      jitter: false
    objectSizes: {lease: 1Ki, node: 20000, pod: 10Ki, replicaSet: 5000, deployment: 6000}
  workload:
    churn:
      - name: cm
        objects: 2
        objectBytes: 1Ki
        rate: 0.5
        start: 0
        duration: 0
  faults:
    - at: 0
      type: partition
      nodes: {zone: a, count: 2}
      duration: 1.5s
    - at: 1h
      type: restartKubelet
      nodes:
        names: [small-2-0, big-2]
  expect:
    - metric: fault.0.detectSeconds
      min: 500ms
      max: 1
    - metric: nodes.notReadyTransitions
      max: 0
`

func TestExplicitValuesPreserved(t *testing.T) {
	s := mustParse(t, explicit)
	off, on := false, true
	half, one, zero := 0.5, 1.0, 0.0
	want := Spec{
		Seed:              0,
		Duration:          90 * time.Minute,
		KubernetesVersion: "v1.26.3",
		MaxEvents:         1000000,
		Cluster: Cluster{
			NodePools: []NodePool{
				{Name: "big", Count: 3, Zones: []string{"a"}, CPUMilli: 500, MemoryBytes: 1610612736, Pods: 110},
				{Name: "small-2", Count: 1, Zones: []string{"zone-a"}, CPUMilli: 100, MemoryBytes: 1000, Pods: 250,
					Labels: []KeyValue{{"example.com/ssd", "true"}, {"tier", "db"}},
					Taints: []PoolTaint{{Key: "dedicated", Value: "db", Effect: "NoSchedule"}},
					Images: []NodeImage{{Name: "postgres:16", Size: 150 << 20}}},
			},
			APIServer: APIServer{
				Replicas: 2, PriorityAndFairness: &off, MaxRequestsInflight: 1, MaxMutatingRequestsInflight: 2,
				RequestTimeout: 30 * time.Second, CPUs: 3,
				Costs: APIServerCosts{
					Authentication: Dist{Kind: "constant", Value: 250 * time.Microsecond}, Authorization: Dist{Kind: "constant"},
					Admission: Dist{Kind: "constant", Value: time.Millisecond}, DecodeThroughput: 1 << 20,
					EncodePerObject: 2 * time.Microsecond, EncodeThroughput: 2 << 20, WatchFilterPerWatcher: 3 * time.Microsecond, WatchSendPerWatcher: time.Microsecond,
				},
			},
			Etcd: Etcd{
				Version: "3.4", Members: 1, HeartbeatInterval: 50 * time.Millisecond, ElectionTimeout: 250 * time.Millisecond, PreVote: &on,
				PeerLatency:       Dist{Kind: "constant"},
				WALFsync:          Dist{Kind: "normal", Mean: 3 * time.Millisecond},
				BackendCommit:     Dist{Kind: "uniform"},
				ApplyCost:         Dist{Kind: "constant"},
				ReadCost:          Dist{Kind: "exponential", Mean: 1500 * time.Microsecond},
				QuotaBackendBytes: 1, DefragThroughput: 1000,
				MemberOverrides: []EtcdMember{{Name: "etcd-0", WALFsync: Dist{Kind: "constant", Value: time.Millisecond}, Line: 58}},
			},
			Network: Network{Latency: Dist{Kind: "constant"}, StreamFailureDetection: time.Second},
			Kubelet: Kubelet{
				NodeLeaseDuration: time.Minute, NodeStatusUpdateFrequency: 20 * time.Second,
				NodeStatusReportFrequency: 2 * time.Minute, Jitter: &off, NodeLease: &off,
			},
			NodeLifecycle:     NodeLifecycle{MonitorPeriod: 2 * time.Second, GracePeriod: 3 * time.Second},
			Scheduler:         Scheduler{Replicas: 1},
			ControllerManager: ControllerManager{Replicas: 1, ReplicaSetController: LevelTriggered},
			Clients: Clients{
				Kubelet:           ClientLimits{QPS: 0.5, Burst: 1, Timeout: 5 * time.Second},
				Heartbeat:         ClientLimits{QPS: 7, Burst: 3},
				ControllerManager: ClientLimits{QPS: -1},
				Jitter:            &off,
			},
			ObjectSizes: ObjectSizes{Lease: 1024, Node: 20000, Pod: 10240, ReplicaSet: 5000, Deployment: 6000},
		},
		Workload: Workload{Churn: []Churn{{Name: "cm", Objects: 2, ObjectBytes: 1024, Rate: 0.5, Namespaces: 1, Line: 81}}},
		Faults: []Fault{
			{At: 0, Type: FaultPartition, Nodes: NodeSelector{Zone: "a", Count: 2}, Duration: 1500 * time.Millisecond, Line: 88},
			{At: time.Hour, Type: FaultRestartKubelet, Nodes: NodeSelector{Names: []string{"small-2-0", "big-2"}}, Line: 92},
		},
		Expect: []Expect{
			{Metric: "fault.0.detectSeconds", Min: &half, Max: &one, Line: 97},
			{Metric: "nodes.notReadyTransitions", Max: &zero, Line: 100, Index: 1},
		},
	}
	if !reflect.DeepEqual(s.Spec, want) {
		t.Errorf("explicit values:\n got %+v\nwant %+v", s.Spec, want)
	}
	if s.Metadata.Description != "every field set" {
		t.Errorf("description = %q", s.Metadata.Description)
	}
}

func TestReportFrequencyFollowsUpdateFrequency(t *testing.T) {
	// As in the kubelet's defaults.go: setting only the update frequency
	// moves the report frequency with it; the heartbeat timeout follows too.
	s := mustParse(t, base+"    kubelet:\n      nodeStatusUpdateFrequency: 1m\n")
	k, hb := s.Spec.Cluster.Kubelet, s.Spec.Cluster.Clients.Heartbeat
	if k.NodeStatusReportFrequency != time.Minute {
		t.Errorf("report frequency = %v, want 1m", k.NodeStatusReportFrequency)
	}
	if hb.Timeout != 40*time.Second {
		t.Errorf("heartbeat timeout = %v, want min(1m, 40s) = 40s", hb.Timeout)
	}
}

func TestDistForms(t *testing.T) {
	tests := map[string]Dist{
		"2ms":                                 {Kind: "constant", Value: 2 * time.Millisecond},
		`"1.5s"`:                              {Kind: "constant", Value: 1500 * time.Millisecond},
		"0":                                   {Kind: "constant"},
		"{kind: constant, value: 1h30m}":      {Kind: "constant", Value: 90 * time.Minute},
		"{kind: uniform, min: 1ms, max: 1ms}": {Kind: "uniform", Min: time.Millisecond, Max: time.Millisecond},
		"{kind: lognormal, median: 1ms, p99: 1ms}": {Kind: "lognormal", Median: time.Millisecond, P99: time.Millisecond},
		"{kind: normal, mean: 0, stddev: 250us}":   {Kind: "normal", Stddev: 250 * time.Microsecond},
	}
	for text, want := range tests {
		s := mustParse(t, base+"    network:\n      latency: "+text+"\n")
		if got := s.Spec.Cluster.Network.Latency; got != want {
			t.Errorf("%s: got %+v, want %+v", text, got, want)
		}
	}
}

func TestAnchorsAndEmptyValues(t *testing.T) {
	doc := base + `    etcd:
      walFsync: &slow {kind: lognormal, median: 4ms, p99: 40ms}
      backendCommit: *slow
  workload:
  faults:
  expect: ~
`
	s := mustParse(t, doc)
	e := s.Spec.Cluster.Etcd
	if e.BackendCommit != e.WALFsync || e.BackendCommit.Median != 4*time.Millisecond {
		t.Errorf("alias: %+v", e)
	}
	if s.Spec.Workload.Churn != nil {
		t.Errorf("empty workload should mean no churn: %+v", s.Spec.Workload)
	}
	if s.Spec.Faults != nil || s.Spec.Expect != nil {
		t.Errorf("empty faults/expect should mean none: %+v %+v", s.Spec.Faults, s.Spec.Expect)
	}
}

func TestValidateScenarioBuiltInCode(t *testing.T) {
	s, err := LoadBuiltin("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate on a parsed scenario: %v", err)
	}
	s.Spec.Cluster.NodePools[0].Count = 0
	s.Spec.Cluster.Network.Latency = Dist{Kind: "lognormal", Median: time.Millisecond, Min: time.Millisecond, P99: time.Millisecond}
	errs := Errors(s.Validate())
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Error()
	}
	want := []string{
		"builtin:quickstart: spec.cluster.nodePools[0].count: must be at least 1, got 0",
		`builtin:quickstart: spec.cluster.network.latency.min: not a parameter of kind "lognormal" (it takes "median" or "p99")`,
		`builtin:quickstart: spec.faults[0].nodes.names[0]: no node named "node-2": pool "node" has no nodes`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Validate:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(path)
	if err != nil || s.File != path {
		t.Fatalf("ParseFile: %v, %+v", err, s)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := ParseFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: got %v, want an error naming %s", err, missing)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(base+"oops: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":12: oops: unknown field") {
		t.Errorf("bad file: got %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{"f.yaml", 3, "spec.seed", "bad"}, "f.yaml:3: spec.seed: bad"},
		{Error{"f.yaml", 0, "spec.seed", "bad"}, "f.yaml: spec.seed: bad"},
		{Error{"f.yaml", 1, "", "empty"}, "f.yaml:1: empty"},
		{Error{"", 0, "spec", "bad"}, "spec: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	good := map[string]Version{"1.31": {1, 31}, "v1.31": {1, 31}, "1.31.2": {1, 31}, "v1.31.2": {1, 31}, "1.20": {1, 20}, "1.35": {1, 35}}
	for in, want := range good {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1", "1.19", "1.36", "2.31", "0.31", "v1", "1.31.", "1.31.2.3", "V1.31", " 1.31", "1.x", "1.99999999999999999999"} {
		if got, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", in, got)
		}
	}
}

// TestDocExample keeps the package documentation's example honest: it
// must parse, and its values must be the 1.31 defaults it claims they are.
func TestDocExample(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var doc strings.Builder
	inExample := false
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "//\tapiVersion:") {
			inExample = true
		}
		if inExample && !strings.HasPrefix(line, "//\t") {
			break
		}
		if inExample {
			doc.WriteString(strings.TrimPrefix(line, "//\t") + "\n")
		}
	}
	s, err := Parse("doc.go", []byte(doc.String()))
	if err != nil {
		t.Fatalf("doc example: %v", err)
	}
	d, err := LoadBuiltin("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Spec.Cluster, d.Spec.Cluster) {
		t.Errorf("doc example cluster differs from the defaults:\n got %+v\nwant %+v", s.Spec.Cluster, d.Spec.Cluster)
	}
}
