package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBuiltinsParse(t *testing.T) {
	// Other built-ins come and go with the models they exercise; these two
	// are used by tests in this package.
	names := Builtins()
	if !slices.IsSorted(names) || !slices.Contains(names, "nodes-5000") || !slices.Contains(names, "quickstart") {
		t.Fatalf("Builtins() = %v", names)
	}
	for _, name := range names {
		s, err := LoadBuiltin(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s.Metadata.Name != name || s.File != "builtin:"+name || s.Metadata.Description == "" {
			t.Errorf("%s: name %q, file %q, description %q", name, s.Metadata.Name, s.File, s.Metadata.Description)
		}
	}
}

func TestQuickstart(t *testing.T) {
	s, err := Load("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	f := s.Spec.Faults
	if len(f) != 1 || f[0].Type != FaultStopKubelet || f[0].At != 30*time.Second || f[0].Duration != 90*time.Second ||
		!slices.Equal(f[0].Nodes.Names, []string{"node-2"}) {
		t.Errorf("faults = %+v", f)
	}
	if s.Spec.Cluster.NodeLifecycle.GracePeriod != 40*time.Second || len(s.Spec.Expect) != 4 {
		t.Errorf("grace %v, %d expectations", s.Spec.Cluster.NodeLifecycle.GracePeriod, len(s.Spec.Expect))
	}
	detect := s.Spec.Expect[2]
	if detect.Metric != "fault.0.detectSeconds" || *detect.Min != 34 || *detect.Max != 50 {
		t.Errorf("detect expectation = %+v", detect)
	}
	if leases := s.Spec.Expect[3]; leases.Min != nil || *leases.Max != 1 {
		t.Errorf("lease expectation = %+v", leases)
	}
}

func TestNodes5000(t *testing.T) {
	s, err := LoadBuiltin("nodes-5000")
	if err != nil {
		t.Fatal(err)
	}
	p := s.Spec.Cluster.NodePools
	if len(p) != 1 || p[0].Count != 5000 || len(p[0].Zones) != 3 || s.Spec.Duration != time.Hour || len(s.Spec.Faults) != 0 {
		t.Errorf("nodes-5000 = %+v", s.Spec)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("quickstrat"); err == nil ||
		!strings.Contains(err.Error(), `did you mean "quickstart"?`) || !strings.Contains(err.Error(), "built-ins: ") ||
		!strings.Contains(err.Error(), "nodes-5000, ") || !strings.Contains(err.Error(), ", quickstart") {
		t.Errorf("unknown built-in: %v", err)
	}
	for _, arg := range []string{"nope.yaml", "nope.yml", "dir/quickstart", "../quickstart"} {
		if _, err := Load(arg); err == nil || !strings.Contains(err.Error(), "reading scenario") {
			t.Errorf("Load(%q) = %v, want a file error", arg, err)
		}
	}
	// An existing file is a file even without an extension.
	path := filepath.Join(t.TempDir(), "scenario")
	if err := os.WriteFile(path, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := Load(path); err != nil || s.File != path {
		t.Errorf("Load(%q) = %v", path, err)
	}
}
