package apiserver

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// echoStorage is an in-process storage client that answers every call
// 1ms later (a write with a fresh revision, failing the first with a
// storage error) and, as etcd.Client does for calls its member answered,
// hands the op back once the server is done with it.
type echoStorage struct {
	eng   *sim.Engine
	srv   *Server
	rev   int64
	calls []*api.StorageOp
	seen  []api.StorageOp // each op as it arrived
}

func (c *echoStorage) Call(after time.Duration, op *api.StorageOp) {
	c.calls = append(c.calls, op)
	c.seen = append(c.seen, *op)
	c.eng.Schedule(sim.Event{At: c.eng.Now().Add(after + time.Millisecond), Target: c, Data: op, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func (c *echoStorage) Handle(ev *sim.Event) {
	op := ev.Data.(*api.StorageOp)
	c.rev++
	if c.rev == 1 {
		op.Err, op.Reason = api.InternalError, "etcdserver: request timed out"
	} else {
		op.Found, op.Revision, op.Current = true, c.rev, op.Value
		op.Current.ResourceVersion = c.rev
	}
	c.srv.StorageDone(op)
	if op.Origin == nil {
		c.srv.RecycleOp(op)
	}
}

// TestStorageOpsAreReused: an op the storage client handed back serves
// the next call, reset: nothing of the earlier call's answer is left.
func TestStorageOpsAreReused(t *testing.T) {
	e := newEnv(defaultConfig())
	c := &echoStorage{eng: e.eng, srv: e.srv}
	e.srv.UseStorage(c)
	a := e.p.sendAt(0, update(1, time.Second))
	b := e.p.sendAt(time.Second, update(2, 2*time.Second))
	e.run(t, 3*time.Second)
	if x := e.p.answer(a); len(x) != 1 || x[0].code != api.InternalError {
		t.Fatalf("a: %+v", x)
	}
	if x := e.p.answer(b); len(x) != 1 || x[0].code != api.OK || x[0].result.ResourceVersion != 2 {
		t.Fatalf("b: %+v", x)
	}
	if len(c.calls) != 2 || c.calls[0] != c.calls[1] {
		t.Fatalf("%d calls; the second did not reuse the first's op", len(c.calls))
	}
	if got := c.seen[1]; got.Err != 0 || got.Reason != "" || got.Found || got.Revision != 0 || got.ID != 2 || got.Value.RenewTime != at(2*time.Second) {
		t.Fatalf("the reused op arrived with %+v", got)
	}
}
