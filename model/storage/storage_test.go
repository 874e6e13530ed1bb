package storage

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

const (
	lat    = time.Millisecond      // network latency
	commit = 10 * time.Millisecond // commit latency of one batch
	read   = 2 * time.Millisecond  // read latency
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

// reply is a storage answer as the client saw it.
type reply struct {
	at   sim.Time
	kind api.StorageOpKind
	id   int32
	tag  int32
	err  api.Code
	rev  int64
	cur  api.Object
	fnd  bool
}

type watchMsg struct {
	at  sim.Time
	typ api.WatchEventType
	obj api.Object
}

// client stands in for the API server: it sends ops and records replies
// and the watch stream.
type client struct {
	eng     *sim.Engine
	net     *sim.Network
	self    sim.EndpointID
	st      *Store
	replies []reply
	events  []watchMsg
	log     []string // one line per message received
}

func (c *client) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindStorageOp:
		op := ev.Data.(*api.StorageOp)
		c.log = append(c.log, fmt.Sprintf("reply %d", op.Tag))
		c.recordReply(op)
	case api.KindStorageCommit:
		// The subscriber's own writes come back chained, each with its change.
		line := "commit"
		for op := ev.Data.(*api.StorageOp); op != nil; op = op.Next {
			line += fmt.Sprintf(" %d", op.Tag)
			if op.Event != nil {
				c.recordEvent(op.Event)
				line += fmt.Sprintf("@%d", op.Event.Object.ResourceVersion)
			}
			c.recordReply(op)
		}
		c.log = append(c.log, line)
	case api.KindWatchEvent:
		we := ev.Data.(*api.WatchEvent)
		c.log = append(c.log, fmt.Sprintf("event @%d", we.Object.ResourceVersion))
		c.recordEvent(we)
	case kindSend:
		c.net.Send(c.self, c.st.Endpoint(), api.KindStorageOp, 0, 0, ev.Data)
	}
}

func (c *client) recordReply(op *api.StorageOp) {
	c.replies = append(c.replies, reply{at: c.eng.Now(), kind: op.Kind, id: op.ID, tag: op.Tag, err: op.Err, rev: op.Revision, cur: op.Current, fnd: op.Found})
}

func (c *client) recordEvent(we *api.WatchEvent) {
	c.events = append(c.events, watchMsg{c.eng.Now(), we.Type, we.Object})
}

const kindSend int32 = 999

// sendAt sends op to storage at virtual time t.
func (c *client) sendAt(t time.Duration, op api.StorageOp) {
	o := op
	c.eng.Schedule(sim.Event{At: at(t), Target: c, Kind: kindSend, Data: &o, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func (c *client) reply(tag int32) reply {
	for _, r := range c.replies {
		if r.tag == tag {
			return r
		}
	}
	return reply{at: -1}
}

type commitRec struct {
	at      sim.Time
	prev    api.Object
	existed bool
	cur     api.Object
}

type observer struct{ got []commitRec }

func (o *observer) Committed(now sim.Time, prev api.Object, existed bool, cur api.Object) {
	o.got = append(o.got, commitRec{now, prev, existed, cur})
}

type env struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	st  *Store
	c   *client
	obs *observer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	eng := sim.NewEngine(1)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	st := New(eng, net, rec, "etcd", Config{CommitLatency: sim.Constant(commit), ReadLatency: sim.Constant(read)})
	c := &client{eng: eng, net: net, st: st}
	c.self = net.AddEndpoint("apiserver", c)
	obs := &observer{}
	st.SetObserver(obs)
	return &env{eng: eng, net: net, rec: rec, st: st, c: c, obs: obs}
}

func (e *env) run(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.eng.Run(at(d)); err != nil {
		t.Fatal(err)
	}
}

func lease(id int32, renew time.Duration) api.Object {
	return api.Object{Resource: api.Leases, ID: id, Size: 300, RenewTime: at(renew)}
}

func put(tag, id int32, expect int64, renew time.Duration) api.StorageOp {
	return api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: id, ExpectRevision: expect, Value: lease(id, renew), Tag: tag}
}

func TestWritesDuringCommitFormTheNextBatch(t *testing.T) {
	e := newEnv(t)
	for id := range int32(4) {
		e.st.Seed(lease(id, 0)) // revisions 1..4
	}
	e.c.sendAt(0, put(1, 0, 0, 1*time.Second))                   // arrives 1ms: batch 1 [1ms, 11ms)
	e.c.sendAt(2*time.Millisecond, put(2, 1, 0, 2*time.Second))  // arrives 3ms: waits
	e.c.sendAt(5*time.Millisecond, put(3, 2, 0, 3*time.Second))  // arrives 6ms: waits; batch 2 [11ms, 21ms)
	e.c.sendAt(15*time.Millisecond, put(4, 3, 0, 4*time.Second)) // arrives 16ms: batch 3 [21ms, 31ms)
	e.run(t, time.Second)
	want := []struct {
		tag int32
		at  time.Duration
		rev int64
	}{
		{1, 12 * time.Millisecond, 5},
		{2, 22 * time.Millisecond, 6},
		{3, 22 * time.Millisecond, 7},
		{4, 32 * time.Millisecond, 8},
	}
	if len(e.c.replies) != len(want) {
		t.Fatalf("replies %+v", e.c.replies)
	}
	for i, w := range want {
		r := e.c.replies[i]
		if r.tag != w.tag || r.at != at(w.at) || r.rev != w.rev || r.err != 0 || !r.fnd || r.cur.ResourceVersion != w.rev {
			t.Errorf("reply %d: %+v, want tag %d at %v revision %d", i, r, w.tag, w.at, w.rev)
		}
	}
	sizes := e.rec.Latency("storage_commit_batch_size").Samples()
	if len(sizes) != 3 || sizes[0] != 1 || sizes[1] != 2 || sizes[2] != 1 {
		t.Errorf("batch sizes %v, want [1 2 1]", sizes)
	}
	// Commit latency runs from arrival at storage to the end of the batch.
	lats := e.rec.Latency("storage_commit_duration_seconds").Samples()
	wantLat := []time.Duration{10 * time.Millisecond, 18 * time.Millisecond, 15 * time.Millisecond, 15 * time.Millisecond}
	for i, w := range wantLat {
		if i >= len(lats) || lats[i] != int64(w) {
			t.Fatalf("commit latencies %v, want %v", lats, wantLat)
		}
	}
	if e.st.Revision() != 8 || e.rec.Counter("storage_writes_total").Value != 4 || e.rec.Counter("storage_write_bytes_total").Value != 1200 {
		t.Errorf("revision %d writes %d bytes %d", e.st.Revision(), e.rec.Counter("storage_writes_total").Value, e.rec.Counter("storage_write_bytes_total").Value)
	}
	// The disk meter saw one unit busy for the three commits.
	sum := e.rec.Resource("storage_commit", 1).Summary(at(100 * time.Millisecond))
	if sum.PeakQueueLength != 2 || sum.Utilization != 0.3 {
		t.Errorf("disk summary %+v", sum)
	}
}

func TestRevisionsIncreaseByOnePerWrite(t *testing.T) {
	e := newEnv(t)
	if e.st.Revision() != 0 {
		t.Fatalf("empty store at revision %d", e.st.Revision())
	}
	o := e.st.Seed(lease(0, 0))
	if o.ResourceVersion != 1 || e.st.Revision() != 1 {
		t.Fatalf("seeded at %d, store at %d", o.ResourceVersion, e.st.Revision())
	}
	for i := range 5 {
		e.c.sendAt(time.Duration(i)*100*time.Millisecond, put(int32(i), 0, 0, time.Duration(i)*time.Second))
	}
	e.c.sendAt(time.Second, api.StorageOp{Kind: api.OpCreate, Resource: api.Leases, ID: 1, Value: lease(1, 0), Tag: 10})
	e.c.sendAt(2*time.Second, api.StorageOp{Kind: api.OpDelete, Resource: api.Leases, ID: 1, Tag: 11})
	e.run(t, 5*time.Second)
	for i, r := range e.c.replies {
		if r.rev != int64(i+2) || r.err != 0 {
			t.Fatalf("reply %d: %+v, want revision %d", i, r, i+2)
		}
	}
	if e.st.Revision() != 8 {
		t.Fatalf("revision %d, want 8", e.st.Revision())
	}
	got, ok := e.st.Get(api.Leases, 0)
	if !ok || got.ResourceVersion != 6 || got.RenewTime != at(4*time.Second) || got.ID != 0 || got.Resource != api.Leases {
		t.Fatalf("stored %+v %v", got, ok)
	}
	if _, ok := e.st.Get(api.Leases, 1); ok {
		t.Fatal("deleted object still stored")
	}
}

func TestStaleExpectRevisionConflicts(t *testing.T) {
	e := newEnv(t)
	e.st.Seed(lease(0, 0))                                 // rev 1
	e.c.sendAt(0, put(1, 0, 1, time.Second))               // ok: rev 2
	e.c.sendAt(time.Second, put(2, 0, 1, 2*time.Second))   // stale
	e.c.sendAt(2*time.Second, put(3, 0, 2, 3*time.Second)) // fresh: rev 3
	e.run(t, 5*time.Second)
	r := e.c.reply(2)
	if r.err != api.Conflict || r.rev != 2 || !r.fnd || r.cur.ResourceVersion != 2 || r.cur.RenewTime != at(time.Second) {
		t.Fatalf("stale update: %+v, want 409 with the current object at revision 2", r)
	}
	if r3 := e.c.reply(3); r3.err != 0 || r3.rev != 3 {
		t.Fatalf("fresh update: %+v", r3)
	}
	if e.st.Revision() != 3 || e.rec.Counter("storage_conflicts_total").Value != 1 || e.rec.Counter("storage_writes_total").Value != 2 {
		t.Fatalf("revision %d conflicts %d writes %d", e.st.Revision(), e.rec.Counter("storage_conflicts_total").Value, e.rec.Counter("storage_writes_total").Value)
	}
	if len(e.obs.got) != 2 {
		t.Fatalf("observer told of %d commits, want 2", len(e.obs.got))
	}
}

func TestBatchAppliesInArrivalOrder(t *testing.T) {
	// Two compare-and-swaps on the same revision in one batch: the first to
	// arrive wins, the second conflicts.
	e := newEnv(t)
	e.st.Seed(lease(0, 0))                                    // rev 1
	e.c.sendAt(0, put(1, 1, 0, 0))                            // unrelated write: opens batch 1 at 1ms
	e.c.sendAt(time.Millisecond, put(2, 0, 1, time.Second))   // arrives 2ms
	e.c.sendAt(time.Millisecond, put(3, 0, 1, 2*time.Second)) // arrives 2ms, after tag 2
	e.st.Seed(lease(1, 0))                                    // rev 2
	e.run(t, time.Second)
	if r := e.c.reply(2); r.err != 0 || r.rev != 4 || r.at != at(22*time.Millisecond) {
		t.Fatalf("first CAS %+v", r)
	}
	if r := e.c.reply(3); r.err != api.Conflict || r.rev != 4 || r.at != at(22*time.Millisecond) {
		t.Fatalf("second CAS %+v", r)
	}
}

func TestCreateOfExistingKeyConflicts(t *testing.T) {
	e := newEnv(t)
	e.st.Seed(lease(0, 0))
	e.c.sendAt(0, api.StorageOp{Kind: api.OpCreate, Resource: api.Leases, ID: 0, Value: lease(0, time.Second), Tag: 1})
	e.c.sendAt(0, api.StorageOp{Kind: api.OpCreate, Resource: api.Leases, ID: 5, Value: lease(5, time.Second), Tag: 2})
	e.run(t, time.Second)
	if r := e.c.reply(1); r.err != api.Conflict || !r.fnd || r.rev != 1 {
		t.Fatalf("create of existing key: %+v", r)
	}
	if r := e.c.reply(2); r.err != 0 || r.rev != 2 || r.fnd || r.cur.ID != 5 || r.cur.ResourceVersion != 2 {
		t.Fatalf("create of a new key: %+v", r)
	}
	if e.st.Revision() != 2 || e.rec.Counter("storage_conflicts_total").Value != 1 {
		t.Fatalf("revision %d conflicts %d", e.st.Revision(), e.rec.Counter("storage_conflicts_total").Value)
	}
}

func TestOpsOnMissingKeysAreNotFound(t *testing.T) {
	e := newEnv(t)
	e.st.Seed(lease(0, 0))
	e.c.sendAt(0, put(1, 3, 0, time.Second))
	e.c.sendAt(0, api.StorageOp{Kind: api.OpDelete, Resource: api.Leases, ID: 4, Tag: 2})
	e.c.sendAt(0, api.StorageOp{Kind: api.OpRange, Resource: api.Nodes, ID: 0, Tag: 3})
	e.c.sendAt(0, api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 9, Tag: 4})
	e.run(t, time.Second)
	for tag := int32(1); tag <= 4; tag++ {
		if r := e.c.reply(tag); r.err != api.NotFound || r.fnd || r.rev != 1 {
			t.Errorf("op %d: %+v, want 404 at revision 1", tag, r)
		}
	}
	if e.st.Revision() != 1 || e.rec.Counter("storage_writes_total").Value != 0 || len(e.obs.got) != 0 {
		t.Fatalf("a failed write changed the store: revision %d", e.st.Revision())
	}
}

func TestReadsDoNotWaitForCommits(t *testing.T) {
	e := newEnv(t)
	e.st.Seed(lease(0, 0))
	e.c.sendAt(0, put(1, 0, 0, time.Second)) // commits [1ms, 11ms)
	e.c.sendAt(time.Millisecond, api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 0, Tag: 2})
	e.c.sendAt(20*time.Millisecond, api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 0, Tag: 3})
	e.run(t, time.Second)
	// The read arrives at 2ms, is served at 4ms with the committed state
	// of then (revision 1), and is back at 5ms.
	if r := e.c.reply(2); r.at != at(5*time.Millisecond) || r.err != 0 || !r.fnd || r.rev != 1 || r.cur.RenewTime != 0 {
		t.Fatalf("read during commit: %+v", r)
	}
	if r := e.c.reply(3); r.at != at(24*time.Millisecond) || r.rev != 2 || r.cur.RenewTime != at(time.Second) {
		t.Fatalf("read after commit: %+v", r)
	}
	if e.rec.Counter("storage_reads_total").Value != 2 {
		t.Fatalf("reads %d", e.rec.Counter("storage_reads_total").Value)
	}
}

func TestWatchStreamsCommitsInOrder(t *testing.T) {
	e := newEnv(t)
	e.st.Seed(lease(0, 0)) // rev 1, no event
	e.st.Subscribe(e.net.OpenStream(e.c.self, e.st.Endpoint()))
	e.c.sendAt(0, put(1, 0, 0, time.Second))                                                                                   // batch 1: rev 2
	e.c.sendAt(2*time.Millisecond, api.StorageOp{Kind: api.OpCreate, Resource: api.Leases, ID: 1, Value: lease(1, 0), Tag: 2}) // batch 2: rev 3
	e.c.sendAt(2*time.Millisecond, put(3, 0, 1, 0))                                                                            // batch 2: conflict
	e.c.sendAt(2*time.Millisecond, api.StorageOp{Kind: api.OpDelete, Resource: api.Leases, ID: 0, Tag: 4})                     // batch 2: rev 4
	e.run(t, time.Second)
	want := []watchMsg{
		{at(12 * time.Millisecond), api.Modified, api.Object{Resource: api.Leases, ID: 0, Size: 300, RenewTime: at(time.Second), ResourceVersion: 2}},
		{at(22 * time.Millisecond), api.Added, api.Object{Resource: api.Leases, ID: 1, Size: 300, ResourceVersion: 3}},
		// A delete carries the last state of the object at the delete's revision.
		{at(22 * time.Millisecond), api.Deleted, api.Object{Resource: api.Leases, ID: 0, Size: 300, RenewTime: at(time.Second), ResourceVersion: 4}},
	}
	if len(e.c.events) != len(want) {
		t.Fatalf("events %+v", e.c.events)
	}
	for i, w := range want {
		if e.c.events[i] != w {
			t.Errorf("event %d: %+v, want %+v", i, e.c.events[i], w)
		}
	}
}

func TestCommitObserverSeesPrevAndCur(t *testing.T) {
	e := newEnv(t)
	e.st.Seed(lease(0, 0))
	e.c.sendAt(0, put(1, 0, 0, time.Second))
	e.c.sendAt(time.Second, api.StorageOp{Kind: api.OpCreate, Resource: api.Leases, ID: 2, Value: lease(2, 5*time.Second), Tag: 2})
	e.c.sendAt(2*time.Second, api.StorageOp{Kind: api.OpDelete, Resource: api.Leases, ID: 2, Tag: 3})
	e.run(t, 5*time.Second)
	want := []commitRec{
		{at(11 * time.Millisecond), api.Object{Resource: api.Leases, ID: 0, Size: 300, ResourceVersion: 1}, true,
			api.Object{Resource: api.Leases, ID: 0, Size: 300, RenewTime: at(time.Second), ResourceVersion: 2}},
		{at(time.Second + 11*time.Millisecond), api.Object{}, false,
			api.Object{Resource: api.Leases, ID: 2, Size: 300, RenewTime: at(5 * time.Second), ResourceVersion: 3}},
		{at(2*time.Second + 11*time.Millisecond), api.Object{Resource: api.Leases, ID: 2, Size: 300, RenewTime: at(5 * time.Second), ResourceVersion: 3}, true,
			api.Object{Resource: api.Leases, ID: 2, Size: 300, RenewTime: at(5 * time.Second), ResourceVersion: 4}},
	}
	if len(e.obs.got) != len(want) {
		t.Fatalf("observer got %+v", e.obs.got)
	}
	for i, w := range want {
		if e.obs.got[i] != w {
			t.Errorf("commit %d: %+v, want %+v", i, e.obs.got[i], w)
		}
	}
}

func TestSeedIsFreeAndSilent(t *testing.T) {
	e := newEnv(t)
	e.st.Subscribe(e.net.OpenStream(e.c.self, e.st.Endpoint()))
	a := e.st.Seed(api.Object{Resource: api.Nodes, ID: 3, Ready: api.ConditionTrue})
	b := e.st.Seed(lease(3, 0))
	e.run(t, time.Second)
	if a.ResourceVersion != 1 || b.ResourceVersion != 2 || e.st.Revision() != 2 {
		t.Fatalf("seeded at %d, %d; store at %d", a.ResourceVersion, b.ResourceVersion, e.st.Revision())
	}
	if got, ok := e.st.Get(api.Nodes, 3); !ok || got != a {
		t.Fatalf("Get = %+v %v", got, ok)
	}
	if _, ok := e.st.Get(api.Nodes, 2); ok {
		t.Fatal("a gap in the IDs reads as stored")
	}
	if len(e.c.events) != 0 || len(e.obs.got) != 0 || e.rec.Counter("storage_writes_total").Value != 0 {
		t.Fatal("seeding produced events, commits or writes")
	}
}

// TestSubscriberGetsItsWritesChainedWithTheirChanges: the API server that
// watches storage gets its own writes of a batch back in one message, each
// with its change; another writer's change is streamed between them in
// revision order, and that writer gets its reply on its own.
func TestSubscriberGetsItsWritesChainedWithTheirChanges(t *testing.T) {
	e := newEnv(t)
	for id := int32(0); id < 4; id++ {
		e.st.Seed(lease(id, 0)) // revs 1-4
	}
	e.st.Subscribe(e.net.OpenStream(e.c.self, e.st.Endpoint()))
	other := &client{eng: e.eng, net: e.net, st: e.st}
	other.self = e.net.AddEndpoint("other", other)
	// A first write opens a commit; the next four arrive during it and form
	// the second batch: ours (1, 2), the other's (3), ours (4, a conflict).
	e.c.sendAt(0, put(0, 0, 0, time.Second))
	e.c.sendAt(time.Millisecond, put(1, 1, 0, time.Second))
	e.c.sendAt(time.Millisecond, put(2, 2, 0, time.Second))
	other.sendAt(time.Millisecond, put(3, 3, 0, time.Second))
	e.c.sendAt(time.Millisecond, put(4, 0, 1, time.Second)) // stale: conflict
	e.run(t, time.Second)
	want := []string{"commit 0@5", "commit 1@6 2@7", "event @8", "commit 4"}
	if !slices.Equal(e.c.log, want) {
		t.Fatalf("subscriber received %q, want %q", e.c.log, want)
	}
	if !slices.Equal(other.log, []string{"reply 3"}) {
		t.Fatalf("other writer received %q", other.log)
	}
}
