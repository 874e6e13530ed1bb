package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orrery-sim/orrery/scenarios"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const small = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: small
spec:
  duration: 1m
  cluster:
    nodePools:
      - name: node
        count: 2
`

func TestRunQuickstartPassesItsExpectations(t *testing.T) {
	code, out, errs := runCLI(t, "run", "quickstart")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	for _, want := range []string{"REQUESTS", "CONVERGENCE", "fault 0  stopKubelet on node-2", "4 of 4 expectations met", "RUN"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestFailedExpectationExitsOne(t *testing.T) {
	path := writeScenario(t, small+`  expect:
    - metric: nodes.readyAtEnd
      max: 1
`)
	code, out, _ := runCLI(t, "run", path)
	if code != exitExpectErr {
		t.Fatalf("exit %d, want %d", code, exitExpectErr)
	}
	if !strings.Contains(out, "FAIL nodes.readyAtEnd = 2, want ≤ 1") {
		t.Fatalf("report does not show the failure:\n%s", out)
	}
}

func TestBadInputExitsTwoWithFileLineField(t *testing.T) {
	cases := []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"no args", func(*testing.T) []string { return nil }, "Usage"},
		{"unknown command", func(*testing.T) []string { return []string{"fly"} }, `unknown command "fly"`},
		{"unknown builtin", func(*testing.T) []string { return []string{"run", "quickstrat"} }, `did you mean "quickstart"`},
		{"missing file", func(*testing.T) []string { return []string{"run", "nope/missing.yaml"} }, "missing.yaml"},
		{"bad format", func(*testing.T) []string { return []string{"run", "quickstart", "--format", "xml"} }, "--format must be text or json"},
		{"bad flag", func(*testing.T) []string { return []string{"run", "quickstart", "--sed", "3"} }, "unknown flag"},
		{"unknown field", func(t *testing.T) []string {
			return []string{"run", writeScenario(t, strings.Replace(small, "  duration: 1m", "  duration: 1m\n  durration: 2m", 1))}
		}, `s.yaml:7: spec.durration: unknown field`},
		{"negative count", func(t *testing.T) []string {
			return []string{"validate", writeScenario(t, strings.Replace(small, "count: 2", "count: -2", 1))}
		}, "s.yaml:10: spec.cluster.nodePools[0].count: must be at least 1"},
		{"unknown metric", func(t *testing.T) []string {
			return []string{"run", writeScenario(t, small+"  expect:\n    - metric: nodes.redyAtEnd\n      min: 1\n")}
		}, `s.yaml:12: spec.expect[0].metric: unknown metric "nodes.redyAtEnd" (did you mean "nodes.readyAtEnd"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, c.args(t)...)
			if code != exitBadInput {
				t.Fatalf("exit %d, want %d (stderr %q)", code, exitBadInput, errs)
			}
			if !strings.Contains(errs+out, c.want) {
				t.Fatalf("output lacks %q:\nstderr: %s", c.want, errs)
			}
		})
	}
}

func TestJSONFormatAndOutDir(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "run", writeScenario(t, small), "--format", "json", "--out", dir, "--seed", "7")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Schema   string `json:"schema"`
		Scenario struct{ Seed uint64 }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema != "orrery.dev/report/v1" || rep.Scenario.Seed != 7 {
		t.Fatalf("schema %q seed %d", rep.Schema, rep.Scenario.Seed)
	}
	for _, f := range []string{"report.json", "report.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestValidateAndList(t *testing.T) {
	code, out, _ := runCLI(t, "validate", writeScenario(t, small))
	if code != exitOK || !strings.Contains(out, "ok: small") || !strings.Contains(out, "2 nodes") {
		t.Fatalf("validate: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "list")
	if code != exitOK || !strings.Contains(out, "quickstart") || !strings.Contains(out, "nodes-5000") {
		t.Fatalf("list: exit %d, %q", code, out)
	}
}

// Manifest fields orrery does not model are warnings on stderr, with the
// manifest's file and line; the scenario still validates.
func TestValidatePrintsManifestWarnings(t *testing.T) {
	scenario := writeScenario(t, small+"  workload:\n    objects:\n      - file: app.yaml\n")
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: nginx\n      ports: [{containerPort: 80}]\n"
	app := filepath.Join(filepath.Dir(scenario), "app.yaml")
	if err := os.WriteFile(app, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "validate", scenario)
	if code != exitOK || !strings.Contains(out, "1 workload objects") {
		t.Fatalf("validate: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	want := "orrery: warning: " + app + ":8: spec.containers[0].ports: not modeled by orrery; ignored\n"
	if errs != want {
		t.Errorf("stderr %q, want %q", errs, want)
	}
	// run prints them too, before the report.
	code, _, errs = runCLI(t, "run", scenario)
	if code != exitOK || errs != want {
		t.Errorf("run: exit %d, stderr %q, want %q", code, errs, want)
	}
}

func TestRunHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"run", "--help"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "--seed") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestReadmeExampleIsValid keeps the README's scenario example true: it
// must parse and validate as it stands.
func TestReadmeExampleIsValid(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```yaml\n")
	if start < 0 {
		t.Fatal("no yaml example in README.md")
	}
	body := text[start+len("```yaml\n"):]
	body = body[:strings.Index(body, "```")]
	if _, err := scenarios.Parse("README.md", []byte(body)); err != nil {
		t.Fatalf("README example: %v", err)
	}
}

func TestVariantsRunAsAComparison(t *testing.T) {
	doc := small + `  variants:
    - name: two
    - name: three
      set:
        cluster.nodePools.0.count: 3
  expect:
    - metric: nodes.total
      variant: three
      relativeTo: two
      min: 1.5
      max: 1.5
`
	path := writeScenario(t, doc)
	code, out, errs := runCLI(t, "run", "--seed", "7", "--format", "json", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var got struct {
		Schema   string
		Variants []struct {
			Report struct {
				Scenario struct{ Seed uint64 }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema != "orrery.dev/comparison/v1" || len(got.Variants) != 2 || got.Variants[1].Report.Scenario.Seed != 7 {
		t.Fatalf("comparison JSON: %+v", got)
	}
	// A failing check across variants fails the run.
	path = writeScenario(t, strings.Replace(doc, "min: 1.5\n      max: 1.5", "min: 1.6", 1))
	if code, out, _ = runCLI(t, "run", path); code != exitExpectErr || !strings.Contains(out, "FAIL nodes.total: three ÷ two = 1.5") {
		t.Fatalf("exit %d, want %d:\n%s", code, exitExpectErr, out)
	}
	// A bad setting is bad input, reported at the setting's line.
	path = writeScenario(t, strings.Replace(doc, "cluster.nodePools.0.count: 3", "cluster.nodePools.0.count: -3", 1))
	code, _, errs = runCLI(t, "run", path)
	if code != exitBadInput || !strings.Contains(errs, ":15: spec.cluster.nodePools[0].count: must be at least 1") || !strings.Contains(errs, `(in variant "three")`) {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
}
