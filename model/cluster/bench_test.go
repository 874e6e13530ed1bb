package cluster

import (
	"testing"

	"github.com/orrery-sim/orrery/scenarios"
)

// BenchmarkNodes5000 runs the nodes-5000 built-in (5000 nodes heartbeating
// for one virtual hour) and reports simulated seconds per wall second and
// events per second.
func BenchmarkNodes5000(b *testing.B) {
	benchmarkBuiltin(b, "nodes-5000")
}

func benchmarkBuiltin(b *testing.B, name string) {
	sc, err := scenarios.LoadBuiltin(name)
	if err != nil {
		b.Fatal(err)
	}
	var events uint64
	var virtual float64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, err := Build(sc)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
		events += c.Eng.Processed()
		virtual += c.End().Seconds()
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(virtual/wall, "sim-s/wall-s")
	b.ReportMetric(float64(events)/wall, "events/s")
}

// BenchmarkReference5000 runs the reference-5000 built-in (5000 nodes,
// 150,000 pods and 10 pods/s of churn for one virtual hour), build
// included.
func BenchmarkReference5000(b *testing.B) {
	benchmarkBuiltin(b, "reference-5000")
}
