package etcd

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// recyclingOwner is an owner that, as the API server does, clears
// op.Origin when it is done with an answer, and records the ops the
// client hands back and when each answer came.
type recyclingOwner struct {
	*env
	recycled []*api.StorageOp
	doneAt   map[*api.StorageOp]sim.Time
	errAt    map[*api.StorageOp]api.Code // op.Err when answered
}

func (o *recyclingOwner) StorageDone(op *api.StorageOp) {
	o.doneAt[op], o.errAt[op] = o.eng.Now(), op.Err
	op.Origin = nil
}

func (o *recyclingOwner) RecycleOp(op *api.StorageOp) { o.recycled = append(o.recycled, op) }

func newRecyclingEnv(t *testing.T) *recyclingOwner {
	t.Helper()
	e := &env{eng: sim.NewEngine(1), rec: sim.NewRecorder(time.Second)}
	e.net = sim.NewNetwork(e.eng, sim.Constant(500*time.Microsecond))
	e.c = New(e.eng, e.net, e.rec, testConfig(3))
	o := &recyclingOwner{env: e, doneAt: map[*api.StorageOp]sim.Time{}, errAt: map[*api.StorageOp]api.Code{}}
	e.cl = NewClient(e.c, o, "apiserver", 0)
	e.cl.Start()
	t.Cleanup(RestoreRandom)
	return o
}

func (o *recyclingOwner) recycledOp(op *api.StorageOp) bool {
	for _, r := range o.recycled {
		if r == op {
			return true
		}
	}
	return false
}

// TestClientRecyclesOnlyAnsweredOps: an op its member answered comes back
// to the owner for reuse; one the client failed on a lost connection (the
// member may still hold it) or failed over to another member does not.
func TestClientRecyclesOnlyAnsweredOps(t *testing.T) {
	o := newRecyclingEnv(t)
	o.run(t, time.Second)
	answered := o.put(1, 1)
	o.run(t, 2*time.Second)
	if _, ok := o.doneAt[answered]; !ok || !o.recycledOp(answered) {
		t.Fatalf("answered write: done %v, recycled %v", ok, o.recycledOp(answered))
	}

	// A write and a read on a follower, which is then cut off: when the
	// connection breaks the write fails, the read goes to another member
	// and is answered there.
	o.net.SetFailureDetection(2 * time.Second)
	f := (o.c.Leader().idx + 1) % 3 // a follower
	m := o.c.Members[f]
	o.cl.rr = f
	write := o.put(2, 2)
	o.cl.rr = f
	read := &api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
	o.cl.Call(0, read)
	o.net.Partition("cut", []sim.EndpointID{m.self}, nil)
	o.c.Recheck()
	o.run(t, 30*time.Second)
	if _, ok := o.doneAt[write]; !ok || o.errAt[write] != api.InternalError {
		t.Fatalf("write on the cut member: done %v, err %v", ok, o.errAt[write])
	}
	if _, ok := o.doneAt[read]; !ok || o.errAt[read] != 0 || !read.Found {
		t.Fatalf("read failed over: done %v, err %v", ok, o.errAt[read])
	}
	// The cut member still held both, and failed them later: had they
	// been reused meanwhile, that would have hit their next calls.
	if write.Reason != "etcdserver: request timed out" || read.Reason != "etcdserver: request timed out" {
		t.Fatalf("the cut member did not time out what it held: %q, %q", write.Reason, read.Reason)
	}
	if o.recycledOp(write) || o.recycledOp(read) {
		t.Fatalf("recycled the failed write %v, the failed-over read %v", o.recycledOp(write), o.recycledOp(read))
	}
	if n := o.rec.Counter("etcd_client_failovers_total").Value; n != 1 {
		t.Fatalf("%d failovers, want the read's one", n)
	}
}

// TestReadDeadlineNamesTheCall: a read's deadline is for its call, not
// its op. An op answered by a member and reused for a later read on the
// same member must not be timed out by the first call's deadline.
func TestReadDeadlineNamesTheCall(t *testing.T) {
	o := newRecyclingEnv(t)
	o.run(t, time.Second)
	m := o.c.Members[1]
	op := &api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
	o.cl.rr = 1
	o.cl.Call(0, op)
	o.run(t, 2*time.Second)
	if _, ok := o.doneAt[op]; !ok || !o.recycledOp(op) {
		t.Fatal("the first read was not answered and handed back")
	}
	// Cut etcd-1 off from its peers (not from the client): a read there
	// waits for a ReadIndex that cannot come, until its own deadline.
	o.net.Partition("cut", []sim.EndpointID{m.self}, []sim.EndpointID{o.c.Members[0].self, o.c.Members[2].self})
	o.c.Recheck()
	o.run(t, 3*time.Second)
	delete(o.doneAt, op)
	*op = api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
	sent := o.eng.Now()
	o.cl.rr = 1
	o.cl.Call(0, op)
	o.run(t, 30*time.Second)
	at, ok := o.doneAt[op]
	if !ok || op.Err != api.InternalError || op.Reason != "etcdserver: request timed out" {
		t.Fatalf("second read: done %v, err %v %q", ok, op.Err, op.Reason)
	}
	if want := sent.Add(o.c.cfg.reqTimeout()); at < want {
		t.Fatalf("second read timed out at %v, before its own deadline %v (the first call's deadline failed it)", at, want)
	}
}
