package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWriterAndControllerDefaults(t *testing.T) {
	s := mustParse(t, sharedBase)
	w := s.Spec.Workload
	if !reflect.DeepEqual(w.ConfigMaps, []string{"counter", "other"}) {
		t.Errorf("configMaps = %v", w.ConfigMaps)
	}
	wantWriter := Writer{Name: "w", Object: "counter", Retry: RetryDefault, Client: ClientLimits{QPS: 5, Burst: 10}, Line: 15}
	if len(w.Writers) != 1 || !reflect.DeepEqual(w.Writers[0], wantWriter) {
		t.Errorf("writers = %+v, want [%+v]", w.Writers, wantWriter)
	}
	wantController := Controller{Name: "c", Objects: []string{"counter"}, Workers: 5, ReconcileTime: Dist{Kind: "constant"},
		Client: ClientLimits{QPS: 20, Burst: 30, Timeout: time.Minute}, Line: 18}
	if len(w.Controllers) != 1 || !reflect.DeepEqual(w.Controllers[0], wantController) {
		t.Errorf("controllers = %+v, want [%+v]", w.Controllers, wantController)
	}

	// A controller's client follows the controller manager's, field by field.
	doc := strings.Replace(sharedBase, "  workload:\n", "    clients:\n      controllerManager: {qps: 7, timeout: 5s}\n  workload:\n", 1) +
		"        client: {burst: 3}\n"
	if got := mustParse(t, doc).Spec.Workload.Controllers[0].Client; got != (ClientLimits{QPS: 7, Burst: 3, Timeout: 5 * time.Second}) {
		t.Errorf("controller client = %+v, want qps 7 (manager), burst 3 (own), timeout 5s (manager)", got)
	}
}

func TestWriterAndControllerExplicitValues(t *testing.T) {
	doc := base + `  workload:
    configMaps: [a, b]
    writers:
      - name: w
        object: b
        increments: 0
        period: 10ms
        start: 1s
        duration: 2m
        fromCache: true
        retry: defaultBackoff
        client: {qps: -1, burst: 0, timeout: 0s}
    controllers:
      - name: c
        objects: [b, a]
        workers: 1
        reconcileTime: {kind: uniform, min: 1ms, max: 3ms}
        failUntil: 1m
        failWrite: true
        maxRetries: 15
        client: {qps: 1, burst: 1, timeout: 0s}
      - {name: d, objects: [a], failForever: true}
`
	w := mustParse(t, doc).Spec.Workload
	want := Workload{
		ConfigMaps: []string{"a", "b"},
		Writers: []Writer{{Name: "w", Object: "b", Period: 10 * time.Millisecond, Start: time.Second, Duration: 2 * time.Minute,
			FromCache: true, Retry: RetryBackoff, Client: ClientLimits{QPS: -1}, Line: 15}},
		Controllers: []Controller{
			{Name: "c", Objects: []string{"b", "a"}, Workers: 1, ReconcileTime: Dist{Kind: "uniform", Min: time.Millisecond, Max: 3 * time.Millisecond},
				FailUntil: time.Minute, FailWrite: true, MaxRetries: 15, Client: ClientLimits{QPS: 1, Burst: 1}, Line: 25},
			{Name: "d", Objects: []string{"a"}, Workers: 5, ReconcileTime: Dist{Kind: "constant"}, FailForever: true,
				Client: ClientLimits{QPS: 20, Burst: 30, Timeout: time.Minute}, Line: 33},
		},
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("workload:\n got %+v\nwant %+v", w, want)
	}
}

func TestValidateWorkloadBuiltInCode(t *testing.T) {
	s := mustParse(t, sharedBase)
	s.File = "code"
	s.Spec.Workload.Controllers[0].Workers = 0
	s.Spec.Workload.Writers[0].Retry = ""
	err := s.Validate()
	got := Errors(err)
	if len(got) != 2 ||
		got[0].Field != "spec.workload.writers[0].retry" || !strings.Contains(got[0].Msg, `unknown retry ""`) ||
		got[1].Field != "spec.workload.controllers[0].workers" || !strings.Contains(got[1].Msg, "must be at least 1") {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestRestartControllersAndWarmStart(t *testing.T) {
	s := mustParse(t, controllerBase+`        warm: true
      - name: other
        objects: [app]
  faults:
    - at: 1m
      type: restartControllers
    - at: 2m
      type: restartControllers
      controllers: [other]
`)
	cs := s.Spec.Workload.Controllers
	if !cs[0].Warm || cs[1].Warm {
		t.Fatalf("warm: %v, %v", cs[0].Warm, cs[1].Warm)
	}
	f := s.Spec.Faults
	if f[0].Type != FaultRestartControllers || f[0].Controllers != nil || !slices.Equal(f[1].Controllers, []string{"other"}) {
		t.Fatalf("faults %+v", f)
	}
}
