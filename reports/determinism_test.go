package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/scenarios"
)

// longBuiltins are the hour-long reference runs, cut to what the tests
// need: their whole hour is the benchmarks' job (make bench). Ten minutes
// of nodes-5000 cover two compactions, every periodic loop and 5000
// nodes; two of reference-5000 cover its start (150,000 pods listed by
// the scheduler and the controller manager) and a minute of pod churn.
var longBuiltins = map[string]time.Duration{
	"nodes-5000":     10 * time.Minute,
	"reference-5000": 2 * time.Minute,
}

// runJSON runs a built-in (optionally with another seed) and returns its
// JSON report — a comparison for a built-in with variants — without the
// wall-clock "run" section.
func runJSON(t testing.TB, name string, seed *uint64) []byte {
	t.Helper()
	sc, err := scenarios.LoadBuiltin(name)
	if err != nil {
		t.Fatal(err)
	}
	if seed != nil {
		sc.SetSeed(*seed)
	}
	if d, ok := longBuiltins[name]; ok {
		for _, run := range sc.Runs() {
			run.Spec.Duration = min(run.Spec.Duration, d)
		}
	}
	out, _ := runOutput(t, sc)
	var buf bytes.Buffer
	if err := out.JSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runOutput runs every run of sc and returns what orrery run prints for it
// (the report, or the comparison of the variants' reports) and the reports.
func runOutput(t testing.TB, sc *scenarios.Scenario) (Output, []*Report) {
	t.Helper()
	var reps []*Report
	for _, run := range sc.Runs() {
		reps = append(reps, runReport(t, run))
	}
	if len(sc.Spec.Variants) == 0 {
		return reps[0], reps
	}
	cmp, err := Compare(sc, reps)
	if err != nil {
		t.Fatal(err)
	}
	return cmp, reps
}

// runReport runs one scenario and checks its expectations.
func runReport(t testing.TB, sc *scenarios.Scenario) *Report {
	t.Helper()
	c, err := cluster.Build(sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	r := Build(c)
	if err := CheckExpectations(r, sc); err != nil {
		t.Fatal(err)
	}
	return r
}

// builtinsForDeterminism lists the built-ins, leaving the hour-long
// 5000-node run out of -short runs.
func builtinsForDeterminism(t *testing.T) []string {
	var names []string
	for _, n := range scenarios.Builtins() {
		if _, long := longBuiltins[n]; testing.Short() && long {
			continue
		}
		names = append(names, n)
	}
	return names
}

// TestSameSeedSameBytes runs every built-in twice, under GOMAXPROCS 1 and 2,
// and compares the JSON reports byte for byte.
func TestSameSeedSameBytes(t *testing.T) {
	for _, name := range builtinsForDeterminism(t) {
		t.Run(name, func(t *testing.T) {
			prev := runtime.GOMAXPROCS(1)
			a := runJSON(t, name, nil)
			runtime.GOMAXPROCS(2)
			b := runJSON(t, name, nil)
			runtime.GOMAXPROCS(prev)
			if !bytes.Equal(a, b) {
				t.Fatalf("two runs of %s differ:\n%s", name, firstDiff(a, b))
			}
		})
	}
}

// TestReportIsSameInAnotherProcess guards against anything process-specific
// (map seeds, addresses) reaching the report: a child process must produce
// the same bytes.
func TestReportIsSameInAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	here := runJSON(t, "quickstart", nil)
	cmd := exec.Command("go", "run", "../cmd/orrery", "run", "quickstart", "--format", "json")
	cmd.Env = append(cmd.Environ(), "GOMAXPROCS=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v", err)
	}
	var rep map[string]json.RawMessage
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	delete(rep, "run")
	var mine map[string]json.RawMessage
	if err := json.Unmarshal(here, &mine); err != nil {
		t.Fatal(err)
	}
	for k, v := range mine {
		if !bytes.Equal(compact(t, v), compact(t, rep[k])) {
			t.Errorf("section %q differs between processes", k)
		}
	}
}

func compact(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAnotherSeedGivesAnotherReport(t *testing.T) {
	seed := uint64(2)
	a := runJSON(t, "quickstart", nil)
	b := runJSON(t, "quickstart", &seed)
	if bytes.Equal(a, b) {
		t.Fatal("seeds 1 and 2 gave identical reports")
	}
}

func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}
