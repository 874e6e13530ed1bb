package etcd

import (
	"fmt"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

func TestBootstrapElectsFirstMember(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	if l := e.c.Leader(); l == nil || l.Name() != "etcd-0" {
		t.Fatalf("leader before time starts = %v, want etcd-0", l)
	}
	for _, m := range e.c.Members {
		if m.lead != 1 {
			t.Errorf("%s follows %d, want 1", m.name, m.lead)
		}
	}
}

func TestWriteCommitsOnEveryMemberAndIsWatched(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	op := e.put(7, 42)
	e.run(t, time.Second)
	if len(e.done) != 1 || op.Err != 0 {
		t.Fatalf("done %d, err %v %q", len(e.done), op.Err, op.Reason)
	}
	if op.Revision != 2 || op.Current.ResourceVersion != 2 || op.Current.RenewTime != 42 { // etcd starts at revision 1
		t.Fatalf("answer revision %d, object %+v", op.Revision, op.Current)
	}
	for _, m := range e.c.Members {
		var got api.Object
		m.kv.Range(mvcc.KeyOf(api.Leases, 7), 0, 0, 1, func(kv *mvcc.KeyValue) bool { got = objectOf(kv); return false })
		if got.RenewTime != 42 {
			t.Errorf("%s holds %+v", m.name, got)
		}
	}
	if len(e.seen) != 1 || e.seen[0].Type != api.Added || e.seen[0].Object.RenewTime != 42 {
		t.Fatalf("watch saw %+v", e.seen)
	}
	// One proposal: propose → leader fsync ∥ followers (0.5ms + 2ms fsync +
	// 0.5ms) → commit → apply 10µs. Commit latency must reflect the
	// follower round trip, not just the leader's disk.
	p := e.rec.Latency("etcd_server_commit_duration_seconds").Samples()
	if len(p) != 1 || time.Duration(p[0]) < 3*time.Millisecond || time.Duration(p[0]) > 6*time.Millisecond {
		t.Fatalf("commit latency samples %v", p)
	}
}

func TestCompareFailuresMapToConflictAndNotFound(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	e.put(1, 1)
	e.run(t, 500*time.Millisecond)
	create := &api.StorageOp{Kind: api.OpCreate, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
	stale := &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: 1, ExpectRevision: 99, Origin: &api.Request{}}
	missing := &api.StorageOp{Kind: api.OpDelete, Resource: api.Leases, ID: 5, Origin: &api.Request{}}
	read := &api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
	for _, op := range []*api.StorageOp{create, stale, missing, read} {
		e.cl.Call(0, op)
	}
	e.run(t, time.Second)
	if create.Err != api.Conflict || stale.Err != api.Conflict || missing.Err != api.NotFound {
		t.Fatalf("create %v, stale %v, missing delete %v", create.Err, stale.Err, missing.Err)
	}
	if stale.Current.ResourceVersion != 2 {
		t.Fatalf("a failed compare returns the current object, got rv %d", stale.Current.ResourceVersion)
	}
	if read.Err != 0 || !read.Found || read.Current.RenewTime != 1 {
		t.Fatalf("linearizable read: %+v", read)
	}
}

// leaderCrashWindow crashes the leader of a fresh 3-member cluster at 1s
// and returns the leaderless window and the timeline.
func leaderCrashWindow(t *testing.T, seed uint64) (LeaderlessWindow, string) {
	e := newEnv(t, seed, testConfig(3))
	e.run(t, time.Second)
	e.c.Leader().Crash()
	e.run(t, 10*time.Second)
	ws := e.c.LeaderlessWindows(e.eng.Now())
	if len(ws) != 1 || ws[0].NewLeader == "" {
		t.Fatalf("seed %d: windows %+v", seed, ws)
	}
	notes, _ := e.rec.Timeline()
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "%v %s %s\n", n.At, n.Component, n.Message)
	}
	return ws[0], b.String()
}

func TestLeaderCrashElectsWithinRandomizedTimeout(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		w, _ := leaderCrashWindow(t, seed)
		d := w.End.Sub(w.Start)
		// Followers time out after [10, 20) ticks of 100ms without a
		// heartbeat, then pre-vote and vote: a round trip each.
		if d < 900*time.Millisecond || d > 2100*time.Millisecond {
			t.Errorf("seed %d: leaderless for %v, want within the election timeout range [1s, 2s) plus round trips", seed, d)
		}
	}
}

func TestElectionsAreReproducible(t *testing.T) {
	_, a := leaderCrashWindow(t, 3)
	_, b := leaderCrashWindow(t, 3)
	if a != b {
		t.Fatalf("same seed, different elections:\n%s\n---\n%s", a, b)
	}
	distinct := map[time.Duration]bool{}
	for seed := uint64(1); seed <= 8; seed++ {
		w, _ := leaderCrashWindow(t, seed)
		distinct[w.End.Sub(w.Start)] = true
	}
	if len(distinct) < 3 {
		t.Fatalf("8 seeds gave only %d distinct election windows: election timeouts are not drawn from the seeded streams", len(distinct))
	}
}

func TestMinorityPartitionCommitsNothing(t *testing.T) {
	e := newEnv(t, 1, testConfig(5))
	e.run(t, time.Second)
	// etcd-0 leads; cut {0, 1} from {2, 3, 4}.
	p := e.net.Partition("split", []sim.EndpointID{e.c.Members[0].self, e.c.Members[1].self},
		[]sim.EndpointID{e.c.Members[2].self, e.c.Members[3].self, e.c.Members[4].self})
	e.c.Recheck()
	before := [2]uint64{e.c.Members[0].commit, e.c.Members[1].commit}
	// Writes through each side's members directly.
	var minority, majority []*api.StorageOp
	for i := 0; i < 20; i++ {
		for j, m := range e.c.Members {
			op := &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: int32(i), Value: api.Object{Size: 300}, Origin: &api.Request{}}
			e.net.Send(e.cl.self, m.self, api.KindStorageOp, 0, 0, op)
			e.cl.inflight = append(e.cl.inflight, inflightCall{op: op, member: j})
			if j < 2 {
				minority = append(minority, op)
			} else {
				majority = append(majority, op)
			}
		}
		e.run(t, time.Second+time.Duration(i+1)*500*time.Millisecond)
	}
	e.run(t, 20*time.Second)
	for i, m := range e.c.Members[:2] {
		if m.commit != before[i] {
			t.Errorf("%s commit index moved from %d to %d inside the minority", m.name, before[i], m.commit)
		}
	}
	for _, op := range minority {
		if op.Err == 0 {
			t.Fatalf("a write through the minority succeeded: %+v", op)
		}
	}
	ok := 0
	for _, op := range majority {
		if op.Err == 0 {
			ok++
		}
	}
	// The majority elects a leader within about 2s; later writes succeed.
	if ok < len(majority)*2/3 {
		t.Fatalf("only %d of %d majority writes succeeded", ok, len(majority))
	}
	if l := e.c.Leader(); l == nil || l.idx < 2 {
		t.Fatalf("leader %v, want one of the majority", l)
	}
	e.net.Heal(p)
	e.c.Recheck()
	e.run(t, 30*time.Second)
	d := e.c.Members[0].kv.Digest()
	for _, m := range e.c.Members[1:] {
		if m.kv.Digest() != d {
			t.Errorf("%s diverged after heal", m.name)
		}
	}
}

func TestQuotaNOSPACEAndRecovery(t *testing.T) {
	cfg := testConfig(3)
	cfg.QuotaBackendBytes = 2 << 20
	e := newEnv(t, 1, cfg)
	write := func(id int32) *api.StorageOp {
		op := &api.StorageOp{Kind: api.OpPut, Resource: api.ConfigMaps, ID: id, Value: api.Object{Size: 20000}, Origin: &api.Request{}}
		e.cl.Call(0, op)
		return op
	}
	var ops []*api.StorageOp
	for i := 0; i < 400; i++ {
		ops = append(ops, write(int32(i%10)))
		e.run(t, time.Duration(i+1)*10*time.Millisecond)
	}
	e.run(t, 5*time.Second)
	failed := 0
	for _, op := range ops {
		if op.Err != 0 {
			failed++
			if op.Reason != "etcdserver: mvcc: database space exceeded" {
				t.Fatalf("failure reason %q", op.Reason)
			}
		}
	}
	if failed == 0 || failed == len(ops) {
		t.Fatalf("%d of %d writes failed; want the quota to stop writes part-way", failed, len(ops))
	}
	for _, m := range e.c.Members {
		if !m.kv.Alarm() {
			t.Fatalf("%s has no NOSPACE alarm", m.name)
		}
		if m.kv.Backend().Size() >= cfg.QuotaBackendBytes+(1<<20) {
			t.Fatalf("%s grew to %d, far past the quota", m.name, m.kv.Backend().Size())
		}
	}
	// Deletes still work under the alarm.
	del := &api.StorageOp{Kind: api.OpDelete, Resource: api.ConfigMaps, ID: 9, Origin: &api.Request{}}
	e.cl.Call(0, del)
	e.run(t, 6*time.Second)
	if del.Err != 0 {
		t.Fatalf("delete under NOSPACE: %v %q", del.Err, del.Reason)
	}
	// Recovery: compact, defragment every member, disarm.
	l := e.c.Leader()
	l.ProposeInternal(mvcc.Command{Op: mvcc.CmdCompact, Revision: l.kv.Rev()})
	e.run(t, 8*time.Second)
	sizeBefore := l.kv.Backend().Size()
	if l.kv.Backend().SizeInUse() >= sizeBefore/2 {
		t.Fatalf("compaction freed too little: in use %d of %d", l.kv.Backend().SizeInUse(), sizeBefore)
	}
	if !l.kv.Alarm() {
		t.Fatal("compaction alone must not clear the alarm")
	}
	for _, m := range e.c.Members {
		m.Defrag(nil)
	}
	e.run(t, 9*time.Second)
	if l.kv.Backend().Size() >= sizeBefore/2 {
		t.Fatalf("defrag left the database at %d (was %d)", l.kv.Backend().Size(), sizeBefore)
	}
	still := write(1)
	e.run(t, 10*time.Second)
	if still.Err == 0 {
		t.Fatal("a write succeeded before the alarm was disarmed")
	}
	for _, m := range e.c.Members {
		l.ProposeInternal(mvcc.Command{Op: mvcc.CmdAlarmDeactivate, Member: m.id})
	}
	e.run(t, 11*time.Second)
	after := write(1)
	e.run(t, 12*time.Second)
	if after.Err != 0 {
		t.Fatalf("write after recovery: %v %q", after.Err, after.Reason)
	}
}

func TestCrashedMemberCatchesUpAfterRestart(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	e.run(t, 500*time.Millisecond)
	f := e.c.Members[2]
	f.Crash()
	for i := 0; i < 50; i++ {
		e.put(int32(i), sim.Time(i))
		e.run(t, 500*time.Millisecond+time.Duration(i+1)*20*time.Millisecond)
	}
	e.run(t, 3*time.Second)
	if f.kv.Rev() != 1 {
		t.Fatalf("a crashed member applied writes: rev %d", f.kv.Rev())
	}
	f.Restart()
	e.run(t, 6*time.Second)
	if f.kv.Digest() != e.c.Members[0].kv.Digest() || f.kv.Rev() != 51 {
		t.Fatalf("restarted member at rev %d, leader at %d", f.kv.Rev(), e.c.Members[0].kv.Rev())
	}
}

func TestFarBehindFollowerGetsSnapshot(t *testing.T) {
	cfg := testConfig(3)
	cfg.SnapshotCount = 100 // so the log is compacted past the crashed member
	e := newEnv(t, 1, cfg)
	f := e.c.Members[1]
	f.Crash()
	for i := 0; i < 6000; i++ {
		e.put(int32(i%50), sim.Time(i))
		if i%20 == 19 {
			e.run(t, time.Duration(i/20+1)*10*time.Millisecond)
		}
	}
	e.run(t, 5*time.Second)
	if first, _ := e.c.Members[0].wal.FirstIndex(); first <= 2 {
		t.Fatalf("leader's raft log was not compacted (first index %d)", first)
	}
	f.Restart()
	e.run(t, 10*time.Second)
	if got := e.rec.Counter("etcd_server_snapshots_installed_total").Value; got != 1 {
		t.Fatalf("snapshots installed = %d, want 1", got)
	}
	if f.kv.Digest() != e.c.Members[0].kv.Digest() {
		t.Fatalf("follower at rev %d after snapshot, leader at %d", f.kv.Rev(), e.c.Members[0].kv.Rev())
	}
}

// TestFollowerAcksOnlyDurableEntries: a follower must not acknowledge an
// entry before its WAL fsync, or a write the leader acknowledged can
// vanish when that follower crashes. Member 2 is cut off from the leader,
// so the leader's quorum is member 1, whose disk takes 1s. Both crash
// 100ms after the write; the survivors elect a leader; the write must
// either be there or never have been acknowledged.
func TestFollowerAcksOnlyDurableEntries(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	e.run(t, 500*time.Millisecond)
	l, f, cut := e.c.Members[0], e.c.Members[1], e.c.Members[2]
	if e.c.Leader() != l {
		t.Fatal("etcd-0 should lead")
	}
	p := e.net.Partition("cut", []sim.EndpointID{l.self}, []sim.EndpointID{cut.self})
	f.SetFsync(sim.Constant(time.Second))
	op := &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: 1, Value: api.Object{Size: 300, RenewTime: 7}, Origin: &api.Request{}}
	e.net.Send(e.cl.self, l.self, api.KindStorageOp, 0, 0, op)
	e.cl.inflight = append(e.cl.inflight, inflightCall{op: op, member: 0})
	e.run(t, 600*time.Millisecond)
	acked := len(e.done) == 1 && op.Err == 0
	l.Crash()
	f.Crash()
	e.net.Heal(p)
	f.SetFsync(nil)
	f.Restart()
	e.run(t, 10*time.Second)
	l.Restart()
	e.run(t, 20*time.Second)
	_, found, _ := e.c.Members[2].kv.Get(mvcc.KeyOf(api.Leases, 1), 0)
	if acked && !found {
		t.Fatal("an acknowledged write was lost: a follower acknowledged it before it was durable")
	}
	if acked {
		t.Fatal("the write was acknowledged within 100ms although its only possible quorum needed a 1s fsync")
	}
}

// TestSerializableReadsMayBeStale: a member cut off from the leader still
// answers a serializable read from its own, stale, state; a linearizable
// read through it cannot complete and times out.
func TestSerializableReadsMayBeStale(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	e.put(1, 1)
	e.run(t, 500*time.Millisecond)
	cut := e.c.Members[2]
	e.net.Partition("cut", []sim.EndpointID{cut.self}, []sim.EndpointID{e.c.Members[0].self, e.c.Members[1].self})
	e.c.Recheck()
	// A newer write commits on the majority.
	e.net.Send(e.cl.self, e.c.Members[0].self, api.KindStorageOp, 0, 0, &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: 1, Value: api.Object{Size: 300, RenewTime: 2}, Origin: &api.Request{}})
	e.run(t, time.Second)
	stale := &api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Serializable: true, Origin: &api.Request{}}
	linear := &api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
	for _, op := range []*api.StorageOp{stale, linear} {
		e.net.Send(e.cl.self, cut.self, api.KindStorageOp, 0, 0, op)
		e.cl.inflight = append(e.cl.inflight, inflightCall{op: op, member: 2})
	}
	e.run(t, 10*time.Second)
	if stale.Err != 0 || stale.Current.RenewTime != 1 {
		t.Fatalf("serializable read on the cut-off member: err %v, value %v (want the stale 1)", stale.Err, stale.Current.RenewTime)
	}
	if linear.Err == 0 || linear.Reason != "etcdserver: request timed out" {
		t.Fatalf("linearizable read on the cut-off member: err %v %q", linear.Err, linear.Reason)
	}
}

// TestWatchLeavesALeaderlessMember: the API server's watch requires a
// leader; a member cut off from its peers cancels it after 3 election
// timeouts and the client watches again on another member, which delivers
// the writes the majority committed meanwhile.
func TestWatchLeavesALeaderlessMember(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	e.run(t, 500*time.Millisecond)
	iso := e.c.Members[0] // the leader, and the client's watch member
	e.net.Partition("iso", []sim.EndpointID{iso.self}, []sim.EndpointID{e.c.Members[1].self, e.c.Members[2].self})
	e.c.Recheck()
	e.run(t, 3*time.Second)
	write := &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: 4, Value: api.Object{Size: 300, RenewTime: 9}, Origin: &api.Request{}}
	e.net.Send(e.cl.self, e.c.Members[1].self, api.KindStorageOp, 0, 0, write)
	e.cl.inflight = append(e.cl.inflight, inflightCall{op: write, member: 1})
	e.run(t, 3200*time.Millisecond)
	if write.Err != 0 || len(e.seen) != 0 {
		t.Fatalf("write err %v; watch saw %d events while still on the leaderless member", write.Err, len(e.seen))
	}
	e.run(t, 8*time.Second)
	if len(e.seen) != 1 || e.seen[0].Object.RenewTime != 9 {
		t.Fatalf("after the watch moved it saw %+v", e.seen)
	}
	if e.cl.watchMember == 0 {
		t.Fatal("the watch is still on the isolated member")
	}
}

// TestCompactorKeepsOneIntervalOfHistory: the API server's compactor bumps
// compact_rev_key every interval and compacts to the revision it saw one
// interval earlier; under NOSPACE its bump is a write and fails.
func TestCompactorKeepsOneIntervalOfHistory(t *testing.T) {
	e := &env{eng: sim.NewEngine(1), rec: sim.NewRecorder(time.Second)}
	e.net = sim.NewNetwork(e.eng, sim.Constant(500*time.Microsecond))
	e.c = New(e.eng, e.net, e.rec, testConfig(3))
	e.cl = NewClient(e.c, e, "apiserver", 10*time.Second)
	e.cl.Start()
	t.Cleanup(RestoreRandom)
	var revAt10s int64
	for i := 0; i < 300; i++ {
		e.put(int32(i%5), sim.Time(i))
		e.run(t, time.Duration(i+1)*100*time.Millisecond)
		if i == 99 {
			revAt10s = e.c.Members[0].kv.Rev()
		}
	}
	e.run(t, 31*time.Second)
	// Ticks at 10s (first CAS, no compaction), 20s (compacts to the 10s
	// revision) and 30s (to the 20s one).
	if got := e.rec.Counter("apiserver_etcd_compactions_total").Value; got != 2 {
		t.Fatalf("compactions = %d, want 2", got)
	}
	cr := e.c.Members[1].kv.CompactRev()
	if cr <= revAt10s || cr >= e.c.Members[1].kv.Rev() {
		t.Fatalf("compacted to %d; want after the 10s revision %d and before the current %d", cr, revAt10s, e.c.Members[1].kv.Rev())
	}
	for _, m := range e.c.Members {
		if m.kv.CompactRev() != cr {
			t.Fatalf("%s compacted to %d, etcd-1 to %d", m.name, m.kv.CompactRev(), cr)
		}
	}
}

// TestConcurrentReadsOnEveryMember: linearizable reads that reach
// different members at the same moment each get their ReadIndex answered
// at once. Their contexts must differ across members: the leader ignores
// a ReadIndex whose context is already pending (raft read_only.go
// addRequest), and the read would wait for the 500ms retry.
func TestConcurrentReadsOnEveryMember(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	e.put(1, 1)
	e.run(t, 500*time.Millisecond)
	var reads []*api.StorageOp
	for _, m := range e.c.Members {
		op := &api.StorageOp{Kind: api.OpRange, Resource: api.Leases, ID: 1, Origin: &api.Request{}}
		e.net.Send(e.cl.self, m.self, api.KindStorageOp, 0, 0, op)
		e.cl.inflight = append(e.cl.inflight, inflightCall{op: op, member: m.idx})
		reads = append(reads, op)
	}
	e.run(t, 550*time.Millisecond)
	for i, op := range reads {
		if !op.Found || op.Err != 0 {
			t.Errorf("read through %s: found %v, err %v; not answered within 50ms", e.c.Members[i].name, op.Found, op.Err)
		}
	}
}

// TestRaftBufferReuseIsOn: the member hands raft back its message arrays
// (msgbuf.go). If a raft upgrade changes the fields this relies on, reuse
// turns itself off; this test says so.
func TestRaftBufferReuseIsOn(t *testing.T) {
	if !raftBufs.ok {
		t.Fatal("raft's msgs/msgsAfterAppend fields were not found: message arrays are not reused")
	}
	e := steadyWrites(t)
	if len(e.c.pool.free) == 0 {
		t.Fatal("no message array came back for reuse")
	}
}

// TestRaftEntryReuseIsOn: the members give raft recycled arrays for its
// unstable entries (entbuf.go), and the stores agree. If a raft upgrade
// changes the fields this relies on, reuse turns itself off; this test
// says so. (Every test of the package poisons freed arrays, so a read
// after free breaks the others.)
func TestRaftEntryReuseIsOn(t *testing.T) {
	if !raftEnts.ok {
		t.Fatal("raft's unstable entries field was not found: entry arrays are not reused")
	}
	e := steadyWrites(t)
	if p := &e.c.pool.ents; p.reused < 100 {
		t.Fatalf("entry arrays handed out again %d times for 200 writes on 3 members; want most Readys to reuse one", p.reused)
	}
}

// steadyWrites runs 200 writes over 7 keys, one a millisecond, on a
// healthy 3-member cluster, and requires every write to succeed and the
// members' stores to agree.
func steadyWrites(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, 1, testConfig(3))
	for i := range 200 {
		e.put(int32(i%7), sim.Time(i))
		e.run(t, time.Duration(i+1)*time.Millisecond)
	}
	e.run(t, time.Second)
	if len(e.done) != 200 {
		t.Fatalf("%d of 200 writes answered", len(e.done))
	}
	for _, op := range e.done {
		if op.Err != 0 {
			t.Fatalf("write failed: %v %s", op.Err, op.Reason)
		}
	}
	d := e.c.Members[0].kv.Digest()
	for _, m := range e.c.Members[1:] {
		if m.kv.Digest() != d {
			t.Fatalf("%s's store differs from %s's", m.name, e.c.Members[0].name)
		}
	}
	return e
}

// TestWALArrayReuseWaitsForBatches: a compaction moves the log into the
// spare array only once no batch in flight carries entries from it
// (wal.go). A follower cut off, then reattached over a slow link, is sent
// the entries it missed from the leader's log (MsgApp read from storage)
// a second each way, while writes go on and the leader compacts every
// 0.6s: the spare array then is often the one those entries lie in.
// Reusing it early would overwrite them in flight (freed arrays are
// poisoned in tests) and the follower would diverge.
func TestWALArrayReuseWaitsForBatches(t *testing.T) {
	cfg := testConfig(3)
	cfg.SnapshotCount, cfg.SnapshotCatchUpEntries = 30, 100
	e := newEnv(t, 1, cfg)
	write := func(n int, gap time.Duration) {
		start := time.Duration(e.eng.Now())
		for i := range n {
			e.put(int32(i%5), sim.Time(i))
			e.run(t, start+time.Duration(i+1)*gap)
		}
	}
	write(10, time.Millisecond)
	l := e.c.Leader()
	var f *Member
	var peers []sim.EndpointID
	for _, m := range e.c.Members {
		if m != l && f == nil {
			f = m
		} else {
			peers = append(peers, m.self)
		}
	}
	cut := e.net.Partition("cut", []sim.EndpointID{f.self}, peers) // the client still reaches f
	e.c.Recheck()
	write(60, time.Millisecond)
	e.net.SetLinkLatency(l.self, f.self, sim.Constant(time.Second))
	e.net.Heal(cut)
	e.c.Recheck()
	write(500, 20*time.Millisecond)
	e.run(t, time.Duration(e.eng.Now())+10*time.Second)
	ok := 0
	for _, op := range e.done {
		if op.Err == 0 {
			ok++
		}
	}
	// Writes sent to the cut-off member time out; the rest succeed.
	if len(e.done) != 570 || ok < 380 {
		t.Fatalf("%d of 570 writes answered, %d of them successfully", len(e.done), ok)
	}
	if l.wal.reused == 0 {
		t.Fatal("the leader never compacted into its spare array: the test exercised nothing")
	}
	if f.applied < l.applied {
		t.Fatalf("%s applied %d, the leader %d", f.name, f.applied, l.applied)
	}
	d := l.kv.Digest()
	for _, m := range e.c.Members {
		if m.kv.Digest() != d {
			t.Fatalf("%s's store differs from the leader's", m.name)
		}
	}
}

// TestRelistRefillsTheOwnerAndResumesTheWatch: Relist (an API server
// starting) hands the owner every object once, returns their count and
// bytes, and watches again from the revision after the list: a later
// write arrives once, and nothing listed arrives again.
func TestRelistRefillsTheOwnerAndResumesTheWatch(t *testing.T) {
	e := newEnv(t, 1, testConfig(3))
	for id := range int32(3) {
		e.put(id, sim.Time(id))
	}
	e.run(t, 500*time.Millisecond)
	if len(e.seen) != 3 {
		t.Fatalf("the watch saw %d of 3 writes", len(e.seen))
	}
	e.seen = e.seen[:0]
	rev := e.c.Members[0].kv.Rev()
	objects, bytes := e.cl.Relist()
	if objects != 3 || bytes != 3*300 || len(e.seen) != 3 {
		t.Fatalf("relist: %d objects, %d bytes, %d observed; want 3, 900, 3", objects, bytes, len(e.seen))
	}
	for i, ev := range e.seen {
		if ev.Type != api.Modified || ev.Object.ID != int32(i) || ev.Object.ResourceVersion > rev {
			t.Fatalf("listed %+v", ev)
		}
	}
	e.seen = e.seen[:0]
	e.put(7, 7)
	e.run(t, time.Second)
	if len(e.seen) != 1 || e.seen[0].Object.ID != 7 || e.seen[0].Object.ResourceVersion != rev+1 {
		t.Fatalf("after the relist the watch saw %+v; want only the write of 7 at %d", e.seen, rev+1)
	}
}

// timedOwner records when the answer and the watch event of a write
// arrive.
type timedOwner struct {
	eng                *sim.Engine
	answered, observed sim.Time
}

func (o *timedOwner) StorageDone(op *api.StorageOp) {
	if op.Err == 0 {
		o.answered = o.eng.Now()
	}
}
func (o *timedOwner) Observe(*api.WatchEvent) { o.observed = o.eng.Now() }

// TestAnswersAndEventsWaitForTheApplier: the store changes when raft hands
// the entry over, but the write's answer and its watch event leave when
// the applier would have finished it (enqueueApply): an apply cost 50ms
// larger delays both by exactly that, and the commit latency recorded
// (proposal to applied, on the leader) with them.
func TestAnswersAndEventsWaitForTheApplier(t *testing.T) {
	at := func(cost time.Duration) (answered, observed sim.Time, commit int64) {
		cfg := testConfig(3)
		cfg.ApplyCost = sim.Constant(cost)
		eng := sim.NewEngine(1)
		net := sim.NewNetwork(eng, sim.Constant(500*time.Microsecond))
		rec := sim.NewRecorder(time.Second)
		c := New(eng, net, rec, cfg)
		o := &timedOwner{eng: eng}
		cl := NewClient(c, o, "apiserver", 0)
		cl.Start()
		defer RestoreRandom()
		if err := eng.Run(sim.Time(500 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		cl.Call(0, &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: 1, Value: api.Object{Size: 300}, Origin: &api.Request{}})
		if err := eng.Run(sim.Time(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if o.answered == 0 || o.observed == 0 {
			t.Fatalf("apply cost %v: answered at %v, observed at %v", cost, o.answered, o.observed)
		}
		lat := rec.Latency("etcd_server_commit_duration_seconds").Samples()
		if len(lat) != 1 {
			t.Fatalf("apply cost %v: %d commit latencies recorded for one write", cost, len(lat))
		}
		return o.answered, o.observed, lat[0]
	}
	fastA, fastO, fastC := at(10 * time.Microsecond)
	slowA, slowO, slowC := at(50*time.Millisecond + 10*time.Microsecond)
	if d := slowA.Sub(fastA); d != 50*time.Millisecond {
		t.Errorf("a 50ms slower apply delayed the answer by %v", d)
	}
	if d := slowO.Sub(fastO); d != 50*time.Millisecond {
		t.Errorf("a 50ms slower apply delayed the watch event by %v", d)
	}
	if d := time.Duration(slowC - fastC); d != 50*time.Millisecond {
		t.Errorf("a 50ms slower apply added %v to the commit latency", d)
	}
}

// TestOrderForSend: of a Ready's messages only the last MsgAppResp goes
// out (etcd's processMessages), and each peer's messages stay in their
// order, grouped for one delivery.
func TestOrderForSend(t *testing.T) {
	msgs := []pb.Message{
		{Type: pb.MsgAppResp, To: 1, Index: 5},
		{Type: pb.MsgApp, To: 3, Index: 1},
		{Type: pb.MsgHeartbeatResp, To: 1},
		{Type: pb.MsgAppResp, To: 1, Index: 6},
		{Type: pb.MsgApp, To: 2, Index: 1},
		{Type: pb.MsgApp, To: 3, Index: 2},
		{Type: pb.MsgAppResp, To: 1, Index: 7},
	}
	orderForSend(msgs)
	type sent struct {
		to    uint64
		typ   pb.MessageType
		index uint64
	}
	want := []sent{
		{0, pb.MsgAppResp, 5}, {0, pb.MsgAppResp, 6}, // dropped
		{1, pb.MsgHeartbeatResp, 0}, {1, pb.MsgAppResp, 7},
		{2, pb.MsgApp, 1},
		{3, pb.MsgApp, 1}, {3, pb.MsgApp, 2},
	}
	for i, m := range msgs {
		if got := (sent{m.To, m.Type, m.Index}); got != want[i] {
			t.Fatalf("message %d: %+v, want %+v (all: %+v)", i, got, want[i], msgs)
		}
	}
}
