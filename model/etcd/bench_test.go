package etcd

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// loadGen writes round-robin over keys at a fixed rate.
type loadGen struct {
	e    *env
	gap  time.Duration
	keys int
	n    int
	ops  []api.StorageOp
	req  api.Request
}

func (g *loadGen) Handle(ev *sim.Event) {
	op := &g.ops[g.n%len(g.ops)]
	*op = api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: int32(g.n % g.keys), Value: api.Object{Size: 300}, Origin: &g.req}
	g.n++
	g.e.cl.Call(0, op)
	g.e.eng.After(g.gap, g, 0, 0)
}

// BenchmarkCommitThroughput3 drives a 3-member cluster with 1000 writes per
// second of virtual time and reports simulated writes per wall second.
func BenchmarkCommitThroughput3(b *testing.B) {
	const rate = 1000
	virtual := time.Duration(b.N) * time.Second / rate
	e := &env{eng: sim.NewEngine(1), rec: sim.NewRecorder(time.Minute)}
	e.net = sim.NewNetwork(e.eng, sim.Uniform{Min: 200 * time.Microsecond, Max: time.Millisecond})
	cfg := testConfig(3)
	cfg.WALFsync = sim.NewLogNormal(2*time.Millisecond, 10*time.Millisecond)
	e.c = New(e.eng, e.net, e.rec, cfg)
	e.cl = NewClient(e.c, e, "apiserver", 0)
	e.cl.Start()
	g := &loadGen{e: e, gap: time.Second / rate, keys: 5000, ops: make([]api.StorageOp, 4096)}
	e.eng.After(0, g, 0, 0)
	b.ReportAllocs()
	b.ResetTimer()
	if err := e.eng.Run(sim.Time(virtual)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	RestoreRandom()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(float64(e.eng.Processed())/float64(b.N), "events/write")
}
