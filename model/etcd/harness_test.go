package etcd

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// env is a small etcd cluster with a client owned by the test.
type env struct {
	eng  *sim.Engine
	net  *sim.Network
	rec  *sim.Recorder
	c    *Cluster
	cl   *Client
	done []*api.StorageOp
	seen []api.WatchEvent
}

func (e *env) StorageDone(op *api.StorageOp) {
	if len(e.done) < 1<<16 {
		e.done = append(e.done, op)
	}
}
func (e *env) Observe(ev *api.WatchEvent) { e.seen = append(e.seen, *ev) }

func testConfig(members int) Config {
	return Config{
		Members:          members,
		TickInterval:     100 * time.Millisecond,
		ElectionTicks:    10,
		PreVote:          true,
		CheckQuorum:      true,
		PeerLatency:      sim.Constant(500 * time.Microsecond),
		WALFsync:         sim.Constant(2 * time.Millisecond),
		BackendCommit:    sim.Constant(5 * time.Millisecond),
		ApplyCost:        sim.Constant(10 * time.Microsecond),
		ReadCost:         sim.Constant(100 * time.Microsecond),
		DefragThroughput: 100 << 20,
		SnapshotCount:    10000,
	}
}

func newEnv(t *testing.T, seed uint64, cfg Config) *env {
	t.Helper()
	e := &env{eng: sim.NewEngine(seed), rec: sim.NewRecorder(time.Second)}
	e.net = sim.NewNetwork(e.eng, sim.Constant(500*time.Microsecond))
	e.c = New(e.eng, e.net, e.rec, cfg)
	e.cl = NewClient(e.c, e, "apiserver", 0)
	e.cl.Start()
	t.Cleanup(RestoreRandom)
	return e
}

func (e *env) run(t *testing.T, until time.Duration) {
	t.Helper()
	if err := e.eng.Run(sim.Time(until)); err != nil {
		t.Fatal(err)
	}
}

// put sends an unconditional write of a lease with the given payload.
func (e *env) put(id int32, payload sim.Time) *api.StorageOp {
	op := &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: id, Value: api.Object{Resource: api.Leases, ID: id, Size: 300, RenewTime: payload}, Origin: &api.Request{}}
	e.cl.Call(0, op)
	return op
}

// Every test's cluster poisons the entry arrays it frees (entbuf.go).
func init() { poisonFreedEntries = true }
