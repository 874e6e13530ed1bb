package cluster

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// svcProbe runs a check at a virtual time.
type svcProbe func()

func (p svcProbe) Handle(*sim.Event) { p() }

// A Service of the workload is created by kubectl, and the controller
// manager's EndpointSlice controller lists the Deployment's pods in its
// slice: three ready endpoints once they run, one after the scale-down.
func TestServiceGetsEndpointSlices(t *testing.T) {
	c := mustBuild(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: svc
spec:
  seed: 1
  duration: 2m
  cluster:
    nodePools:
      - {name: node, count: 3, zones: [zone-a], cpu: "4", memory: 16Gi}
  workload:
    objects:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: "nginx:1.25"}]}
      - apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {selector: {app: web}, ports: [{port: 80}]}
    actions:
      - {at: 1m, type: scale, object: deployment/web, replicas: 1}
`)
	var at30 []objects.Endpoint
	c.Eng.Schedule(sim.Event{At: sim.Time(30 * time.Second), Target: svcProbe(func() { at30 = leaderSlices(t, c) }),
		From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	mustRun(t, c)
	ready := func(eps []objects.Endpoint) int {
		n := 0
		for _, ep := range eps {
			if ep.Ready && ep.Serving && !ep.Terminating && ep.Node >= 0 {
				n++
			}
		}
		return n
	}
	if len(at30) != 3 || ready(at30) != 3 {
		t.Fatalf("at 30s the slices hold %+v, want 3 ready endpoints", at30)
	}
	if end := leaderSlices(t, c); len(end) != 1 || ready(end) != 1 {
		t.Fatalf("after the scale-down the slices hold %+v, want 1 ready endpoint", end)
	}
}

// leaderSlices returns the endpoints of the slices of Service 0 in the
// leading controller manager's cache, which must hold one slice.
func leaderSlices(t *testing.T, c *Cluster) []objects.Endpoint {
	t.Helper()
	l := c.ControllerManager.Leader()
	if l == nil {
		t.Fatal("no controller manager leads")
	}
	_, slices := l.Manager.ServiceInformers()
	var out []objects.Endpoint
	n := 0
	for id := range slices.IDs() {
		if o, ok := slices.Get(id); ok {
			if s := o.Body.(*objects.EndpointSlice); s.Service == 0 {
				out = append(out, s.Endpoints...)
				n++
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d slices for the Service, want 1", n)
	}
	return out
}
