package reports

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/scenarios"
)

// TestWriterAndControllerBuiltins runs the built-ins that put writers and
// controllers to work: each meets its expectations, and the figures the
// claims rest on are in the report.
func TestWriterAndControllerBuiltins(t *testing.T) {
	for _, tc := range []struct {
		name    string
		metrics []string
	}{
		{"controller-coalescing", []string{"controller.slow.reconciles", "controller.slow.observed", "controller.quick.outOfSync", "configmap.app-config.value"}},
		{"optimistic-concurrency", []string{"writer.alice.conflicts", "writer.bob.gaveUp", "configmap.counter.lostIncrements", "writer.alice.incrementDuration.p99"}},
		{"workqueue-backoff", []string{"controller.stuck.retries", "controller.stuck.lastReconcileAt", "controller.recovering.lastSuccessAt", "controller.stuck.reconcileTime.max"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenarios.LoadBuiltin(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			r := runReport(t, sc)
			if r.Failed() > 0 {
				var buf bytes.Buffer
				_ = r.Text(&buf)
				t.Fatalf("%d expectations failed:\n%s", r.Failed(), buf.String())
			}
			for _, m := range tc.metrics {
				if _, ok := r.Metrics[m]; !ok {
					t.Errorf("no metric %s", m)
				}
			}
			var buf bytes.Buffer
			if err := r.Text(&buf); err != nil || !strings.Contains(buf.String(), "\nWORKLOAD — ") {
				t.Errorf("text report without a WORKLOAD section (%v)", err)
			}
		})
	}
}

func TestWorkloadFigures(t *testing.T) {
	sc, err := scenarios.Parse("w.yaml", []byte(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: w
spec:
  duration: 20s
  cluster:
    nodePools:
      - name: node
        count: 1
  workload:
    configMaps: [a, b, idle]
    writers:
      - {name: one, object: a, increments: 5, client: {qps: -1}}
      - {name: two, object: b, increments: 3, period: 1s, start: 2s}
    controllers:
      - {name: both, objects: [b, a], workers: 2}
      - {name: never, objects: [idle], failForever: true, maxRetries: 2}
  expect:
    - metric: controller.never.lastSuccessAt
      min: 0
`))
	if err != nil {
		t.Fatal(err)
	}
	r := runReport(t, sc)
	w := r.Workload
	if w == nil || len(w.ConfigMaps) != 3 || len(w.Writers) != 2 || len(w.Controllers) != 2 {
		t.Fatalf("workload = %+v", w)
	}
	for i, want := range []ConfigMapStats{{Name: "a", Value: 5, Increments: 5}, {Name: "b", Value: 3, Increments: 3}, {Name: "idle"}} {
		if w.ConfigMaps[i] != want {
			t.Errorf("configMaps[%d] = %+v, want %+v", i, w.ConfigMaps[i], want)
		}
	}
	if one := w.Writers[0]; one.Increments != 5 || one.Conflicts != 0 || one.IncrementDuration.Count != 5 {
		t.Errorf("writer one = %+v", one)
	}
	// both reconciles a and b once at start-up and for every change it
	// sees after; it ends in step with both.
	both := w.Controllers[0]
	if both.Failed != 0 || both.OutOfSync != 0 || both.Observed != 2+5+3 || both.Reconciles < 2 || both.LastSuccessAt == nil {
		t.Errorf("controller both = %+v", both)
	}
	// never fails its start-up reconcile and two retries, then drops the key.
	never := w.Controllers[1]
	if never.Reconciles != 3 || never.Failed != 3 || never.Retries != 2 || never.Dropped != 1 || never.LastSuccessAt != nil || never.LastReconcileAt == nil {
		t.Errorf("controller never = %+v", never)
	}
	m := r.Metrics
	if m["configmap.a.lostIncrements"] != 0 || m["writer.two.increments"] != 3 || m["controller.never.dropped"] != 1 || m["controller.both.outOfSync"] != 0 {
		t.Errorf("metrics: %v", m)
	}
	if _, ok := m["controller.never.lastSuccessAt"]; ok {
		t.Error("a controller that never succeeded has a lastSuccessAt")
	}
	// An expectation on it is a failed check, not an unknown metric.
	if len(r.Expectations) != 1 || r.Expectations[0].Pass || r.Expectations[0].Value != nil {
		t.Errorf("expectations = %+v", r.Expectations)
	}
	sc.Spec.Expect[0].Metric = "controller.never.lastSucessAt"
	var unknown *UnknownMetricError
	if err := CheckExpectations(r, sc); !errors.As(err, &unknown) {
		t.Errorf("misspelt metric: %v", err)
	}
}

func TestNoWorkloadSection(t *testing.T) {
	sc, err := scenarios.LoadBuiltin("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.Duration = 10 * time.Second
	r := runReport(t, sc)
	var buf bytes.Buffer
	if err := r.Text(&buf); err != nil {
		t.Fatal(err)
	}
	if r.Workload != nil || strings.Contains(buf.String(), "WORKLOAD") {
		t.Error("a scenario without writers or controllers has a workload section")
	}
}
