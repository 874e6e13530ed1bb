package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/orrery-sim/orrery/scenarios"
)

// ComparisonSchema names the JSON format of a comparison: the report of a
// scenario with variants. Bump the version on any change that removes or
// renames a field.
const ComparisonSchema = "orrery.dev/comparison/v1"

// Output is what a run prints: a Report, or a Comparison of variants.
type Output interface {
	JSON(w io.Writer) error
	Text(w io.Writer) error
	Failed() int
}

// Comparison is the report of a scenario with variants: one full report
// per variant (each with the expectations that apply to it alone), a table
// of headline metrics side by side, and the checks across variants.
type Comparison struct {
	Schema       string          `json:"schema"`
	Scenario     ScenarioInfo    `json:"scenario"`
	Variants     []VariantReport `json:"variants"`
	Table        []ComparisonRow `json:"comparison"`
	Expectations []ExpectResult  `json:"expectations"`
}

// VariantReport is one variant's settings and report.
type VariantReport struct {
	Name   string              `json:"name"`
	Set    []scenarios.Setting `json:"set"`
	Report *Report             `json:"report"`
}

// ComparisonRow is one metric across the variants, in variant order; null
// where a run produced no value.
type ComparisonRow struct {
	Metric string     `json:"metric"`
	Values []*float64 `json:"values"`
}

// headlineMetrics are compared in every comparison, after the metrics the
// expectations name, when some variant has them.
var headlineMetrics = []string{
	"apiserver.peakRequestsPerSecond",
	"apiserver.rejected",
	"apiserver.cpu.peak",
	"apiserver.lists",
	"slo.violations",
	"etcd.writes",
	"convergence.maxConvergeSeconds",
	"events.processed",
}

// Compare builds the comparison of sc's variants from their reports (in
// the order of sc.Runs) and checks the expectations across variants. It
// returns an *UnknownMetricError for a metric no run can produce.
func Compare(sc *scenarios.Scenario, reps []*Report) (*Comparison, error) {
	runs := sc.Runs()
	if len(runs) != len(reps) {
		return nil, fmt.Errorf("compare: %d reports for %d variants", len(reps), len(runs))
	}
	c := &Comparison{Schema: ComparisonSchema, Expectations: []ExpectResult{}}
	c.Scenario = reps[0].Scenario
	c.Scenario.Variant = ""
	c.Scenario.Description = sc.Metadata.Description
	index := map[string]int{}
	for i, run := range runs {
		index[run.VariantName] = i
		set := sc.Spec.Variants[i].Set
		if set == nil {
			set = []scenarios.Setting{}
		}
		c.Variants = append(c.Variants, VariantReport{Name: run.VariantName, Set: set, Report: reps[i]})
	}

	var names []string
	seen := map[string]bool{}
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			names = append(names, m)
		}
	}
	for _, e := range sc.Spec.Expect {
		add(e.Metric)
	}
	for _, m := range headlineMetrics {
		add(m)
	}
	for _, m := range names {
		row := ComparisonRow{Metric: m, Values: make([]*float64, len(reps))}
		any := false
		for i, r := range reps {
			if v, ok := r.metric(m); ok {
				row.Values[i], any = &v, true
			}
		}
		if any {
			c.Table = append(c.Table, row)
		}
	}

	for _, e := range sc.Spec.Expect {
		if e.RelativeTo == "" {
			continue
		}
		a, b := reps[index[e.Variant]], reps[index[e.RelativeTo]]
		res := ExpectResult{Metric: e.Metric, Min: e.Min, Max: e.Max, Line: e.Line, Variant: e.Variant, RelativeTo: e.RelativeTo}
		va, okA := a.metric(e.Metric)
		vb, okB := b.metric(e.Metric)
		if okA {
			res.VariantValue = &va
		}
		if okB {
			res.RelativeValue = &vb
		}
		switch {
		case !okA && !okB && !knownFamily(e.Metric, sc):
			return nil, &UnknownMetricError{File: sc.File, Line: e.Line, Index: e.Index, Metric: e.Metric, Suggestion: a.closestMetric(e.Metric)}
		case !okA || !okB:
			res.Note = "no value: a run produced no sample for this metric"
		case vb == 0:
			res.Note = fmt.Sprintf("no ratio: %s is 0 in %s", e.Metric, e.RelativeTo)
		default:
			ratio := va / vb
			res.Value = &ratio
			res.Pass = !math.IsNaN(ratio) && (e.Min == nil || ratio >= *e.Min) && (e.Max == nil || ratio <= *e.Max)
		}
		c.Expectations = append(c.Expectations, res)
	}
	return c, nil
}

// Failed counts failed expectations, in every variant and across them.
func (c *Comparison) Failed() int {
	n := 0
	for _, v := range c.Variants {
		n += v.Report.Failed()
	}
	for _, e := range c.Expectations {
		if !e.Pass {
			n++
		}
	}
	return n
}

// JSON writes the comparison as indented JSON.
func (c *Comparison) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// settingsText is a variant's settings on one line.
func settingsText(set []scenarios.Setting) string {
	if len(set) == 0 {
		return "the scenario as written"
	}
	parts := make([]string, len(set))
	for i, s := range set {
		parts[i] = s.Path + "=" + s.Value
	}
	return strings.Join(parts, ", ")
}

// Text writes every variant's report, then the comparison.
func (c *Comparison) Text(w io.Writer) error {
	p := &printer{w: w}
	s := c.Scenario
	p.f("orrery · %s (%s) · seed %d · %d variants, one run each\n", s.Name, s.File, s.Seed, len(c.Variants))
	if s.Description != "" {
		p.f("%s\n", s.Description)
	}
	for i, v := range c.Variants {
		p.f("\n════ variant %d of %d: %s — %s\n\n", i+1, len(c.Variants), v.Name, settingsText(v.Set))
		if p.err == nil {
			p.err = v.Report.Text(w)
		}
	}

	p.f("\n════ comparison\n")
	p.section("COMPARISON — the same scenario and seed, one run per variant")
	tw := p.table()
	fmt.Fprint(tw, "metric\t")
	for _, v := range c.Variants {
		fmt.Fprintf(tw, "%s\t", v.Name)
	}
	fmt.Fprintln(tw)
	for _, row := range c.Table {
		fmt.Fprintf(tw, "%s\t", row.Metric)
		for _, v := range row.Values {
			if v == nil {
				fmt.Fprint(tw, "-\t")
			} else {
				fmt.Fprintf(tw, "%s\t", num(*v))
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for i, v := range c.Variants {
		p.f("%s: %s\n", c.Variants[i].Name, settingsText(v.Set))
	}

	inRuns, runChecks := 0, 0
	for _, v := range c.Variants {
		runChecks += len(v.Report.Expectations)
		inRuns += len(v.Report.Expectations) - v.Report.Failed()
	}
	if len(c.Expectations) > 0 {
		p.section("EXPECTATIONS ACROSS VARIANTS — value = metric in variant ÷ metric in relativeTo")
		for _, e := range c.Expectations {
			p.expectation(e)
		}
	}
	across := 0
	for _, e := range c.Expectations {
		if e.Pass {
			across++
		}
	}
	p.f("\n%d of %d expectations met (%d of %d within variants, %d of %d across them)\n",
		inRuns+across, runChecks+len(c.Expectations), inRuns, runChecks, across, len(c.Expectations))
	return p.err
}
