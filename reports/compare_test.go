package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/orrery-sim/orrery/scenarios"
)

// comparisonDoc: a small cluster whose second variant has twice the nodes.
const comparisonDoc = `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: cmp
spec:
  duration: 1m
  cluster:
    nodePools:
      - name: node
        count: 4
        zones: [zone-a]
  variants:
    - name: small
    - name: large
      set:
        cluster.nodePools.0.count: 8
  expect:
    - metric: nodes.total
      variant: large
      min: 8
      max: 8
    - metric: nodes.total
      variant: large
      relativeTo: small
      min: 2
      max: 2
    - metric: requests.update.leases.count
      variant: large
      relativeTo: small
      min: 1.5
      max: 2.5
    - metric: nodes.total
      variant: small
      relativeTo: large
      min: 1
`

func compareDoc(t *testing.T, doc string) (*scenarios.Scenario, []*Report) {
	t.Helper()
	sc, err := scenarios.Parse("cmp.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var reps []*Report
	for _, run := range sc.Runs() {
		reps = append(reps, runReport(t, run))
	}
	return sc, reps
}

func TestCompareChecksRatiosAcrossVariants(t *testing.T) {
	sc, reps := compareDoc(t, comparisonDoc)
	c, err := Compare(sc, reps)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Variants) != 2 || c.Variants[1].Name != "large" || c.Variants[1].Set[0].Path != "cluster.nodePools.0.count" {
		t.Fatalf("variants = %+v", c.Variants)
	}
	// The per-variant check ran in the large variant only.
	if len(reps[0].Expectations) != 0 || len(reps[1].Expectations) != 1 || !reps[1].Expectations[0].Pass {
		t.Errorf("per-variant expectations: %+v / %+v", reps[0].Expectations, reps[1].Expectations)
	}
	if len(c.Expectations) != 3 {
		t.Fatalf("cross-variant expectations = %+v", c.Expectations)
	}
	e := c.Expectations[0]
	if e.Value == nil || *e.Value != 2 || *e.VariantValue != 8 || *e.RelativeValue != 4 || !e.Pass {
		t.Errorf("nodes ratio: %+v", e)
	}
	leases := c.Expectations[1]
	want := reps[1].Metrics["requests.update.leases.count"] / reps[0].Metrics["requests.update.leases.count"]
	if leases.Value == nil || *leases.Value != want || !leases.Pass {
		t.Errorf("lease update ratio = %v, want %v (%+v)", leases.Value, want, leases)
	}
	// small/large = 0.5 < 1: the check fails, and the comparison says so.
	if c.Expectations[2].Pass || c.Failed() != 1 {
		t.Errorf("small÷large passed or Failed() = %d", c.Failed())
	}
	// The table puts each variant's metric side by side.
	var row *ComparisonRow
	for i := range c.Table {
		if c.Table[i].Metric == "nodes.total" {
			row = &c.Table[i]
		}
	}
	if row == nil || *row.Values[0] != 4 || *row.Values[1] != 8 {
		t.Errorf("nodes.total row = %+v", row)
	}

	var js bytes.Buffer
	if err := c.JSON(&js); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Schema   string `json:"schema"`
		Variants []struct {
			Name   string `json:"name"`
			Report struct {
				Scenario struct{ Variant string } `json:"scenario"`
			} `json:"report"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.Schema != ComparisonSchema || decoded.Variants[1].Report.Scenario.Variant != "large" {
		t.Errorf("JSON: %+v", decoded)
	}
	var txt bytes.Buffer
	if err := c.Text(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"════ variant 2 of 2: large — cluster.nodePools.0.count=8",
		"cmp [variant large]",
		"COMPARISON",
		"ok   nodes.total: large ÷ small = 2 (8 / 4), want [2, 2]",
		"FAIL nodes.total: small ÷ large = 0.5 (4 / 8), want ≥ 1",
		"3 of 4 expectations met (1 of 1 within variants, 2 of 3 across them)",
	} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestCompareUnknownMetricAndZero(t *testing.T) {
	doc := strings.Replace(comparisonDoc, "metric: requests.update.leases.count", "metric: nodes.totl", 1)
	sc, reps := compareDoc(t, doc)
	_, err := Compare(sc, reps)
	var unknown *UnknownMetricError
	if !errors.As(err, &unknown) || unknown.Index != 2 || unknown.Suggestion != "nodes.total" {
		t.Fatalf("err = %v", err)
	}

	doc = strings.Replace(comparisonDoc, "metric: requests.update.leases.count", "metric: network.lost", 1)
	sc, reps = compareDoc(t, doc)
	c, err := Compare(sc, reps)
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Expectations[1]; e.Pass || e.Value != nil || !strings.Contains(e.Note, "is 0 in small") {
		t.Errorf("zero denominator: %+v", e)
	}
}
