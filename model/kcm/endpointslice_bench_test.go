package kcm

import (
	"testing"

	"github.com/orrery-sim/orrery/model/objects"
)

// BenchmarkReconcile20kEndpoints is one sync's plan for a Service of
// 20,000 endpoints in 200 full slices (sig-scalability's large Service)
// after one endpoint changed: the cost every pod change of such a Service
// pays.
func BenchmarkReconcile20kEndpoints(b *testing.B) {
	svc := &objects.Service{Ports: 1}
	desired := eps(0, 20000)
	var existing []sliceRef
	for i := int32(0); i < 200; i++ {
		existing = append(existing, ref(i, int64(i+1), 1, eps(i*100, i*100+100)))
	}
	desired[12345].Ready = false
	var sc reconcileScratch
	b.ReportAllocs()
	for b.Loop() {
		p := reconcileSlices(0, svc, desired, existing, DefaultMaxEndpointsPerSlice, &sc)
		if len(p.updates) != 1 {
			b.Fatalf("plan %s", planString(p))
		}
	}
}
