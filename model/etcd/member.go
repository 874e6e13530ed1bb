package etcd

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

// Network messages and timers of the etcd model.
const (
	kindRaft           int32 = api.KindPrivate + 20 + iota // member → member, Data *msgBatch: one Ready's messages to that peer
	kindRaftSnap                                           // member → member, MsgSnap, Data *envelope
	kindTick                                               // timer: one raft tick
	kindWALDone                                            // timer: the in-flight Ready is on disk, B = epoch
	kindBackendCommit                                      // timer: batch transaction commit
	kindReadRetry                                          // timer: re-send ReadIndex, A = read ctx, B = epoch
	kindReqTimeout                                         // deadline: a proposal timed out, A = proposal id
	kindReadTimeout                                        // deadline: a read timed out, Data *api.StorageOp, A = its pendingRead.seq
	kindCompactBatch                                       // timer: delete one batch of compacted revisions, B = epoch
	kindDefragDone                                         // timer: defragmentation finished, B = epoch
	kindWatchCreate                                        // client → member on a watch stream, A = start revision
	kindWatchCompacted                                     // member → client on a watch stream, A = compact revision
	kindDial                                               // client → member: connect
	kindDialOK                                             // member → client: connected, Stream = the connection
	kindDefrag                                             // client → member: defragment (etcdctl defrag)
	kindMonitorLeader                                      // timer: every election timeout, check for a leader
)

// envelope carries a MsgSnap together with the sender's state machine
// (etcd merges its live database into the snapshot message,
// server/etcdserver/snapshot_merge.go createMergedSnapshotMessage). Other
// raft messages travel as bare *pb.Message.
type envelope struct {
	msg  pb.Message
	snap *mvcc.Store
}

// proposal is a write this member proposed and has not answered yet.
type proposal struct {
	id uint64
	op *api.StorageOp // nil for the member's own proposals (alarms, compaction)
}

// readWait is a batch of linearizable reads waiting for apply to reach index.
type readWait struct {
	index uint64
	ops   []pendingRead
}

// pendingRead is a linearizable read the member holds. seq names the call
// for its deadline: the owner may reuse an op for a later call once this
// one is answered (OpRecycler), so the op alone does not.
type pendingRead struct {
	op  *api.StorageOp
	seq int64
}

// Member is one etcd member: a raft RawNode driven by the engine's ticks,
// a modeled WAL disk, an applier feeding the MVCC store, and the request
// handling of etcdserver (proposals, linearizable reads, watches).
type Member struct {
	c       *Cluster
	idx     int
	id      uint64 // raft ID: idx + 1
	name    string
	self    sim.EndpointID
	rng     *sim.Rand // disk and CPU samples
	raftRng *sim.Rand // the crypto/rand stream raft draws election timeouts from

	up    bool
	epoch int64
	tick  *sim.Timer

	monitor     *sim.Timer
	noLeaderCnt int // election timeouts in a row without a leader

	rn            *raft.RawNode
	wal           *walLog // what is durable: entries and hard state after fsync
	confState     *pb.ConfState
	lead          uint64
	state         raft.StateType
	term          uint64
	commit        uint64 // raft's commit index, as of the last Ready
	walBusy       bool
	inflight      raft.Ready // the Ready being written, while walBusy
	inflightLead  bool       // inflight's messages were already sent (leader)
	inflightArr   *msgArray  // inflight's Messages array, until sent
	tickMissed    bool       // a tick fell while the raft loop was blocked on the WAL
	fsync         sim.Dist
	pendingSnap   *mvcc.Store // state machine that came with the last MsgSnap
	pendingSnapIx uint64

	kv          *mvcc.Store
	applied     uint64
	appliedTerm uint64
	snapIndex   uint64
	applyFreeAt sim.Time      // the applier (and backend lock) is busy until then
	applyDelay  time.Duration // while applying: until the applier finishes this batch
	dirty       bool          // writes since the last backend commit
	backend     *sim.Timer

	nextSeq       uint64
	pending       []proposal  // ascending id
	propEnt       [1]pb.Entry // a leader's proposal entry (stepProposal)
	dataSlab      []byte      // proposals' entry data is cut from here
	alarmProposed bool

	readQ      []pendingRead // waiting for the next ReadIndex
	readBatch  []pendingRead // the ReadIndex in flight
	readSeq    int64
	readCtx    uint64 // the last ReadIndex context: member ID << 48 | sequence
	readActive bool
	readWaits  []readWait

	watchers []sim.StreamID
	conns    []sim.StreamID

	compactRevs  int
	compactBytes int64
	compacting   bool
	defragUntil  sim.Time
	defragging   bool
	onDefragDone func()

	evSlab api.WatchEventSlab

	gaugedSize, gaugedInUse int64 // the size gauges' values, -1 before the first
	// ents is the recycled array raft's unstable log lies in; retired,
	// arrays it has left that raft's outboxes may still carry entries
	// from (entbuf.go).
	ents    *entArray
	retired []*entArray
}

func newMember(c *Cluster, idx int, voters []uint64) *Member {
	m := &Member{c: c, idx: idx, id: uint64(idx + 1), name: MemberName(idx), gaugedSize: -1, gaugedInUse: -1}
	// ReadIndex contexts are unique across members, as etcd's request IDs
	// are (the leader ignores a ReadIndex whose context is already
	// pending, raft read_only.go addRequest).
	m.readCtx = m.id << 48
	m.self = c.net.AddEndpoint(m.name, m)
	m.rng = c.eng.Rand("etcd/" + m.name)
	m.raftRng = c.eng.Rand("etcd/" + m.name + "/raft")
	m.fsync = c.cfg.fsyncOf(idx)
	m.kv = mvcc.NewStoreIn(mvcc.Config{QuotaBytes: c.cfg.QuotaBackendBytes}, c.arena)
	m.wal = newWALLog()
	m.wal.spareBusy, m.wal.poison = m.outboxHolds, c.pool.ents.poison
	m.confState = &pb.ConfState{Voters: voters}
	// Every member starts from the same snapshot of the membership, so the
	// log holds no configuration entries (a static cluster).
	if err := m.wal.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: *m.confState}}); err != nil {
		panic(err)
	}
	m.applied, m.appliedTerm, m.snapIndex = 1, 1, 1
	m.tick = c.eng.NewTimer(m, kindTick)
	m.backend = c.eng.NewTimer(m, kindBackendCommit)
	m.monitor = c.eng.NewTimer(m, kindMonitorLeader)
	m.start()
	return m
}

// MemberName is the name of member i.
func MemberName(i int) string { return "etcd-" + itoa(i) }

// Name is the member's name.
func (m *Member) Name() string { return m.name }

// ID is the member's raft ID.
func (m *Member) ID() uint64 { return m.id }

// Endpoint is the member's network endpoint.
func (m *Member) Endpoint() sim.EndpointID { return m.self }

// Up reports whether the member is running.
func (m *Member) Up() bool { return m.up }

// IsLeader reports whether the member believes it is the leader.
func (m *Member) IsLeader() bool { return m.up && m.state == raft.StateLeader }

// Term is the member's current raft term.
func (m *Member) Term() uint64 { return m.term }

// Store is the member's MVCC store, for reports and tests.
func (m *Member) Store() *mvcc.Store { return m.kv }

// Applied is the raft index applied to the store.
func (m *Member) Applied() uint64 { return m.applied }

// start creates the RawNode over the durable log and starts ticking.
func (m *Member) start() {
	cfg := m.c.cfg
	hs, _, _ := m.wal.InitialState()
	applied := min(m.applied, hs.Commit)
	applied = max(applied, m.snapIndexOfWAL())
	enterRaft(m.raftRng)
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              m.id,
		ElectionTick:    cfg.ElectionTicks,
		HeartbeatTick:   1, // server/etcdserver/bootstrap.go raftConfig
		Storage:         m.wal,
		Applied:         applied,
		MaxSizePerMsg:   maxSizePerMsg,
		MaxInflightMsgs: maxInflightMsgs,
		CheckQuorum:     cfg.CheckQuorum,
		PreVote:         cfg.PreVote,
		Logger:          quietLogger{},
	})
	dispatch.cur = nil
	if err != nil {
		panic(err) // the configuration is validated before a run
	}
	m.rn = rn
	m.up = true
	m.lead, m.state = 0, raft.StateFollower
	m.tick.Reset(cfg.TickInterval)
	m.noLeaderCnt = 0
	m.monitor.Reset(m.electionTimeout())
}

func (m *Member) electionTimeout() time.Duration {
	return m.c.cfg.TickInterval * time.Duration(m.c.cfg.ElectionTicks)
}

// maxNoLeaderCnt: a member without a leader for this many election
// timeouts cancels the watches that require one — the API server's all do
// (server/etcdserver/api/v3rpc/interceptor.go monitorLeader;
// k8s.io/apiserver pkg/storage/etcd3/watcher.go WithRequireLeader).
const maxNoLeaderCnt = 3

func (m *Member) monitorLeader() {
	m.monitor.Reset(m.electionTimeout())
	if m.lead != 0 {
		m.noLeaderCnt = 0
		return
	}
	m.noLeaderCnt++
	if m.noLeaderCnt < maxNoLeaderCnt || len(m.watchers) == 0 {
		return
	}
	m.c.rec.Note(m.c.eng.Now(), m.name, "no leader for "+itoa(maxNoLeaderCnt)+" election timeouts: cancelling "+itoa(len(m.watchers))+" watch(es) (etcdserver: no leader)")
	for _, s := range m.watchers {
		m.c.net.CloseStream(s, m.self) // the client watches again elsewhere
	}
	m.watchers = m.watchers[:0]
}

func (m *Member) snapIndexOfWAL() uint64 {
	snap, _ := m.wal.Snapshot()
	return snap.Metadata.Index
}

// Handle runs the member's messages and timers.
func (m *Member) Handle(ev *sim.Event) {
	if !m.up {
		return // a crashed member hears nothing
	}
	enterRaft(m.raftRng)
	switch ev.Kind {
	case kindRaft:
		b := ev.Data.(*msgBatch)
		for i := range b.msgs {
			if b.msgs[i].Type == pb.MsgHup {
				// Only a recycled (cleared) message looks like this: no
				// peer sends MsgHup, a local message.
				panic("etcd: a recycled raft message was delivered")
			}
			_ = m.rn.Step(b.msgs[i]) // stale or unknown-peer messages are dropped, as etcd does
			for _, a := range b.ents {
				m.unadopt(a)
			}
		}
		m.c.pool.freeBatch(b)
	case kindRaftSnap:
		m.stepSnapshot(ev.Data.(*envelope))
	case kindTick:
		m.tick.Reset(m.c.cfg.TickInterval)
		if m.walBusy {
			// etcd's raft loop is blocked in the WAL save: its ticker holds
			// one tick (a time.Ticker channel of capacity 1) and drops the rest.
			m.tickMissed = true
		} else {
			m.rn.Tick()
		}
	case kindWALDone:
		if ev.B == m.epoch {
			m.walDone()
		}
	case kindBackendCommit:
		m.commitBackend()
	case kindReadRetry:
		if ev.B == m.epoch && m.readActive && uint64(ev.A) == m.readCtx {
			m.rn.ReadIndex(ctxBytes(m.readCtx))
			m.c.eng.Schedule(sim.Event{At: m.c.eng.Now().Add(readIndexRetryTime), Target: m, Kind: kindReadRetry, A: ev.A, B: m.epoch, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
		}
	case kindReqTimeout:
		m.proposalTimedOut(uint64(ev.A))
	case kindReadTimeout:
		m.readTimedOut(ev.Data.(*api.StorageOp), ev.A)
	case kindCompactBatch:
		if ev.B == m.epoch {
			m.compactBatch()
		}
	case kindDefragDone:
		if ev.B == m.epoch {
			m.defragDone()
		}
	case api.KindStorageOp:
		m.request(ev.Data.(*api.StorageOp), ev.From)
	case kindWatchCreate:
		m.watch(ev.Stream, ev.A)
	case kindDial:
		s := m.c.net.OpenStream(ev.From, m.self)
		m.conns = append(m.conns, s)
		m.c.net.SendStream(s, m.self, kindDialOK, 0, 0, nil)
	case kindDefrag:
		m.Defrag(nil)
	case kindMonitorLeader:
		m.monitorLeader()
	case sim.KindStreamClosed:
		m.watchers = removeStream(m.watchers, ev.Stream)
		m.conns = removeStream(m.conns, ev.Stream)
	}
	m.drive()
	dispatch.cur = nil
}

func removeStream(list []sim.StreamID, s sim.StreamID) []sim.StreamID {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// stepSnapshot keeps the state machine that came with a MsgSnap for when
// raft hands the snapshot over in a Ready (installSnapshot).
func (m *Member) stepSnapshot(env *envelope) {
	m.pendingSnap, m.pendingSnapIx = env.snap, env.msg.Snapshot.Metadata.Index
	_ = m.rn.Step(env.msg)
}

// drive takes Ready states from raft until it has none or the WAL is busy,
// in the order of etcd's raftNode.start (server/etcdserver/raft.go): update
// the leader, hand committed entries to the applier, send messages (the
// leader before its disk write, everyone else after), write the WAL, Advance.
func (m *Member) drive() {
	for m.up && !m.walBusy && m.rn.HasReady() {
		var after []pb.Message
		if raftBufs.ok {
			_, ap := raftMsgSlices(m.rn)
			after = *ap
		}
		rd := m.rn.Ready()
		m.c.pool.refill(m.rn, after)
		arr := m.c.pool.hold(rd.Messages)
		if !raft.IsEmptyHardState(rd.HardState) {
			m.term, m.commit = rd.HardState.Term, rd.HardState.Commit
		}
		if rd.SoftState != nil {
			m.softState(rd.SoftState)
		}
		for _, rs := range rd.ReadStates {
			m.readState(rs)
		}
		if len(rd.CommittedEntries) > 0 {
			m.enqueueApply(rd.CommittedEntries)
		}
		leader := m.state == raft.StateLeader
		if leader {
			m.send(rd.Messages, arr)
			m.c.pool.release(arr)
			rd.Messages, arr = nil, nil
		}
		var d time.Duration
		if rd.MustSync {
			d = m.fsync.Sample(m.rng)
			m.c.m.walFsync.Observe(d)
		}
		if d <= 0 {
			m.persist(&rd)
			if !leader {
				m.send(rd.Messages, arr)
				m.c.pool.release(arr)
			}
			m.advance(rd)
			continue
		}
		m.walBusy, m.inflight, m.inflightLead, m.inflightArr = true, rd, leader, arr
		m.c.eng.Schedule(sim.Event{At: m.c.eng.Now().Add(d), Target: m, Kind: kindWALDone, B: m.epoch, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
	if m.up && !m.walBusy {
		m.recycleEntries()
	}
}

func (m *Member) walDone() {
	rd, arr := m.inflight, m.inflightArr
	m.inflight, m.inflightArr = raft.Ready{}, nil
	m.walBusy = false
	m.persist(&rd)
	if !m.inflightLead {
		m.send(rd.Messages, arr)
		m.c.pool.release(arr)
	}
	m.advance(rd)
	if m.tickMissed {
		m.tickMissed = false
		m.rn.Tick()
	}
	m.maybeSnapshot()
}

// persist makes a Ready durable: snapshot, hard state, entries.
func (m *Member) persist(rd *raft.Ready) {
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := m.wal.ApplySnapshot(rd.Snapshot); err == nil {
			m.installSnapshot(rd.Snapshot)
		}
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		_ = m.wal.SetHardState(rd.HardState)
	}
	if len(rd.Entries) > 0 {
		_ = m.wal.Append(rd.Entries)
	}
}

// installSnapshot replaces the state machine with the one that came with
// the snapshot message (etcd swaps in the received database file).
func (m *Member) installSnapshot(snap pb.Snapshot) {
	meta := snap.Metadata
	if m.pendingSnap == nil || m.pendingSnapIx != meta.Index || meta.Index <= m.applied {
		return
	}
	m.kv = m.pendingSnap
	m.pendingSnap = nil
	m.applied, m.appliedTerm, m.snapIndex = meta.Index, meta.Term, meta.Index
	m.c.m.snapshotsInstalled.Inc()
	m.c.rec.Note(m.c.eng.Now(), m.name, "installed a snapshot from the leader at index "+utoa(meta.Index))
	m.updateSizeGauges()
}

// send puts a Ready's messages on the network, as etcd's raftNode does:
// processMessages first drops all but the last MsgAppResp (a follower
// acknowledges only the newest append it made durable), then rafthttp
// writes each peer's messages back to back on its connection and flushes
// them together (rafthttp/stream.go streamWriter: one flush once its
// queue is empty). So the messages to one peer travel as one delivery,
// in their order, and the peer steps them one after another before it
// takes its next Ready. A MsgSnap goes on its own (rafthttp's pipeline),
// with the leader's state machine.
func (m *Member) send(msgs []pb.Message, arr *msgArray) {
	orderForSend(msgs)
	for i := 0; i < len(msgs); {
		to := msgs[i].To
		j := i + 1
		for j < len(msgs) && msgs[j].To == to {
			j++
		}
		if to != 0 {
			m.sendTo(to, msgs[i:j], arr)
		}
		i = j
	}
}

// orderForSend drops all but the last MsgAppResp (setting To to 0, as
// processMessages does) and groups msgs by peer, keeping each peer's
// order: the dropped ones first, then each peer's in peer order.
func orderForSend(msgs []pb.Message) {
	appResp := false
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type == pb.MsgAppResp {
			if appResp {
				msgs[i].To = 0
			}
			appResp = true
		}
	}
	// A stable insertion sort: a Ready holds a handful of messages.
	for i := 1; i < len(msgs); i++ {
		if msgs[i].To >= msgs[i-1].To {
			continue
		}
		tmp := msgs[i]
		j := i
		for j > 0 && msgs[j-1].To > tmp.To {
			msgs[j] = msgs[j-1]
			j--
		}
		msgs[j] = tmp
	}
}

// sendTo delivers msgs, all to peer to, from arr.
func (m *Member) sendTo(to uint64, msgs []pb.Message, arr *msgArray) {
	peer := m.c.Members[to-1]
	var ok bool
	n := 0
	for i := range msgs {
		msg := &msgs[i]
		if msg.Type != pb.MsgSnap {
			msgs[n] = *msg
			n++
			continue
		}
		env := &envelope{}
		env.msg, env.snap = m.mergedSnapshot(msg)
		ok = m.c.net.Send(m.self, peer.self, kindRaftSnap, 0, 0, env)
		status := raft.SnapshotFinish
		if !ok {
			// rafthttp reports a peer it cannot reach (etcdserver/api/rafthttp).
			m.rn.ReportUnreachable(to)
			status = raft.SnapshotFailure
		}
		m.rn.ReportSnapshot(to, status)
	}
	if n == 0 {
		return
	}
	// The Ready's slice is ours once taken (raft starts a new one), so the
	// receiver can read the messages in place.
	b := m.c.pool.newBatch(msgs[:n], arr, m)
	if !m.c.net.Send(m.self, peer.self, kindRaft, 0, 0, b) {
		m.c.pool.freeBatch(b)
		m.rn.ReportUnreachable(to)
	}
}

// mergedSnapshot rewrites a MsgSnap to carry the leader's applied state,
// as createMergedSnapshotMessage does with the live database.
func (m *Member) mergedSnapshot(msg *pb.Message) (pb.Message, *mvcc.Store) {
	idx, term := m.applied, m.appliedTerm
	snap := &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: idx, Term: term, ConfState: *m.confState}}
	out := pb.Message{Type: pb.MsgSnap, To: msg.To, From: msg.From, Term: msg.Term, Snapshot: snap}
	return out, m.kv.Clone()
}

func (m *Member) softState(ss *raft.SoftState) {
	wasLeader := m.state == raft.StateLeader
	m.lead, m.state = ss.Lead, ss.RaftState
	if m.state == raft.StateLeader && !wasLeader {
		m.c.becameLeader(m)
		m.c.rec.Note(m.c.eng.Now(), m.name, "became leader at term "+utoa(m.term))
	}
	if wasLeader && m.state != raft.StateLeader {
		m.c.rec.Note(m.c.eng.Now(), m.name, "stepped down from leader")
	}
	m.c.recheckLeader()
}

// enqueueApply applies committed entries. etcd's applier works through
// them one batch at a time (a FIFO scheduler, ApplyCost per entry, held
// by backend commits, compaction batches and defragmentation); the model
// changes the store at once and computes when the applier would have
// finished, and the answers and watch events leave then. Only the
// bookkeeping sees the change early.
func (m *Member) enqueueApply(ents []pb.Entry) {
	now := m.c.eng.Now()
	start := max(now, m.applyFreeAt, m.defragUntil)
	cost := time.Duration(len(ents)) * m.c.cfg.ApplyCost.Sample(m.rng)
	m.applyFreeAt = start.Add(cost)
	m.applyDelay = m.applyFreeAt.Sub(now)
	for i := range ents {
		m.applyEntry(&ents[i])
	}
	m.serveReadyReads()
	m.applyDelay = 0
	m.updateSizeGauges()
}

func (m *Member) applyEntry(e *pb.Entry) {
	idx := e.Index
	if idx <= m.applied {
		return // already in the store (etcd skips entries at or below its consistent index)
	}
	m.applied, m.appliedTerm = idx, e.Term
	if e.Type != pb.EntryNormal || len(e.Data) == 0 {
		return // a new leader's empty entry
	}
	var cmd mvcc.Command
	if err := mvcc.DecodeCommand(e.Data, &cmd); err != nil {
		panic("etcd: undecodable entry: " + err.Error()) // only this package proposes
	}
	cmd.Value.Body = m.c.bodies.Get(cmd.Body)
	wasAlarm := m.kv.Alarm()
	var r mvcc.Result
	res := &r
	m.kv.ApplyTo(&cmd, res)
	m.c.applied(m, &cmd, res)
	if res.HasEvent {
		m.dirty = true
		if !m.backend.Active() {
			m.backend.Reset(backendBatchInterval)
		}
		m.notifyWatchers(&res.Event)
	}
	if res.NeedAlarm {
		m.raiseAlarm()
	}
	switch cmd.Op {
	case mvcc.CmdCompact:
		if res.Err == nil {
			m.scheduleCompaction(res.FreedRevisions, res.FreedBytes)
		}
	case mvcc.CmdAlarmActivate, mvcc.CmdAlarmDeactivate:
		if !m.kv.Alarm() {
			m.alarmProposed = false
		}
		if m.kv.Alarm() != wasAlarm {
			m.c.alarmChanged(m, m.kv.Alarm())
		}
	}
	if cmd.ID>>48 == m.id {
		m.answerProposal(cmd.ID, &cmd, res)
	}
}

// request takes an API server's storage call.
func (m *Member) request(op *api.StorageOp, from sim.EndpointID) {
	op.ReplyTo = from
	op.Arrived = m.c.eng.Now()
	if op.Kind == api.OpRange {
		m.read(op)
		return
	}
	cmd := commandFor(op)
	if op.Kind == api.OpCompact {
		cmd = mvcc.Command{Op: mvcc.CmdCompact, Revision: op.ExpectRevision}
	}
	if m.c.cfg.QuotaBackendBytes > 0 && !m.kv.QuotaAvailable(&cmd) {
		// The API layer's quota check (server/etcdserver/api/v3rpc/quota.go):
		// refuse and raise the NOSPACE alarm.
		m.raiseAlarm()
		m.fail(op, mvcc.ErrNoSpace.Error())
		return
	}
	if m.commit > m.applied+maxGapBetweenApplyAndCommitIndex {
		m.fail(op, "etcdserver: too many requests")
		return
	}
	cmd.ID = m.propose(&cmd, op)
	if cmd.ID == 0 {
		m.fail(op, "raft proposal dropped")
	}
}

// propose encodes cmd, proposes it and remembers it; 0 if raft dropped it
// (no leader known).
func (m *Member) propose(cmd *mvcc.Command, op *api.StorageOp) uint64 {
	m.nextSeq++
	cmd.ID = m.id<<48 | m.nextSeq
	cmd.Body = m.c.bodies.Put(cmd.Value.Body)
	// Entry data is carved from a slab: raft and the WAL keep it as long
	// as the entry lives, and nothing writes it again.
	n := cmd.EncodedLen()
	if len(m.dataSlab)+n > cap(m.dataSlab) {
		m.dataSlab = make([]byte, 0, dataSlabBytes)
	}
	start := len(m.dataSlab)
	data := cmd.AppendTo(m.dataSlab[start : start : start+n])
	m.dataSlab = m.dataSlab[:start+n]
	if err := m.stepProposal(data); err != nil {
		m.c.m.proposalsFailed.Inc()
		return 0
	}
	m.pending = append(m.pending, proposal{id: cmd.ID, op: op})
	m.c.proposed(cmd.ID)
	if op != nil {
		m.c.eng.DeadlineQueue(m.c.cfg.reqTimeout()).Add(m, kindReqTimeout, int64(cmd.ID), nil)
	}
	return cmd.ID
}

// stepProposal is RawNode.Propose(data) — which steps MsgProp with a new
// one-entry slice — reusing the member's slice when raft is leader: a
// leader copies the entry into its log (appendEntry, after setting its
// term and index in place) and keeps nothing of the message. A follower
// forwards the message itself to the leader, so it gets a fresh slice.
func (m *Member) stepProposal(data []byte) error {
	if m.rn.BasicStatus().RaftState != raft.StateLeader {
		return m.rn.Propose(data)
	}
	m.propEnt[0] = pb.Entry{Data: data}
	return m.rn.Step(pb.Message{Type: pb.MsgProp, From: m.id, Entries: m.propEnt[:]})
}

// dataSlabBytes is the size of the slabs proposals' data is cut from.
const dataSlabBytes = 16 << 10

func commandFor(op *api.StorageOp) mvcc.Command {
	cmd := mvcc.Command{Op: mvcc.CmdTxn, Key: mvcc.KeyOf(op.Resource, op.ID), CompareModRev: -1, Then: mvcc.TxnPut, Value: op.Value}
	switch op.Kind {
	case api.OpCreate:
		cmd.CompareModRev = 0
	case api.OpDelete:
		cmd.Then = mvcc.TxnDelete
	}
	if op.Kind != api.OpCreate && op.ExpectRevision > 0 {
		cmd.CompareModRev = op.ExpectRevision
	}
	return cmd
}

// raiseAlarm proposes this member's NOSPACE alarm once.
func (m *Member) raiseAlarm() {
	if m.kv.Alarm() || m.alarmProposed {
		return
	}
	m.alarmProposed = true
	m.propose(&mvcc.Command{Op: mvcc.CmdAlarmActivate, Member: m.id}, nil)
}

// ProposeInternal proposes a command on the member's own behalf (what
// etcdctl compact / alarm disarm turn into); false if it could not.
func (m *Member) ProposeInternal(cmd mvcc.Command) bool {
	if !m.up {
		return false
	}
	enterRaft(m.raftRng)
	ok := m.propose(&cmd, nil) != 0
	m.drive()
	dispatch.cur = nil
	return ok
}

func (m *Member) findProposal(id uint64) int {
	lo, hi := 0, len(m.pending)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.pending[mid].id < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(m.pending) && m.pending[lo].id == id {
		return lo
	}
	return -1
}

func (m *Member) takeProposal(id uint64) (proposal, bool) {
	i := m.findProposal(id)
	if i < 0 {
		return proposal{}, false
	}
	p := m.pending[i]
	m.pending = append(m.pending[:i], m.pending[i+1:]...)
	return p, true
}

func (m *Member) answerProposal(id uint64, cmd *mvcc.Command, res *mvcc.Result) {
	p, ok := m.takeProposal(id)
	if !ok || p.op == nil {
		return
	}
	op := p.op
	op.Revision = res.Revision
	switch {
	case res.Err != nil:
		op.Err, op.Reason = api.InternalError, res.Err.Error()
		if res.Err == mvcc.ErrNoSpace {
			m.c.m.nospace.Inc()
		}
	case cmd.Op == mvcc.CmdCompact:
	case !res.Succeeded:
		op.Found, op.Current = res.PrevFound, objectOf(&res.Prev)
		switch {
		case cmd.CompareModRev == 0:
			op.Err = api.Conflict // AlreadyExists
		case !res.PrevFound:
			op.Err = api.NotFound
		default:
			op.Err = api.Conflict
			m.c.m.conflicts.Inc()
		}
	case cmd.Then == mvcc.TxnDelete:
		if !res.PrevFound {
			op.Err = api.NotFound
		} else {
			op.Found, op.Current = true, objectOf(&res.Prev)
			op.Current.ResourceVersion = res.Revision
		}
	default:
		op.Found = true
		setObject(&op.Current, &res.Event.KV)
	}
	m.reply(op)
}

func (m *Member) reply(op *api.StorageOp) {
	m.c.net.SendAfter(m.applyDelay, m.self, op.ReplyTo, api.KindStorageOp, 0, 0, op)
}

func (m *Member) fail(op *api.StorageOp, reason string) {
	op.Err, op.Reason = api.InternalError, reason
	m.c.m.failed(reason).Inc()
	m.reply(op)
}

// Live implements sim.Expirer for proposal and read deadlines.
func (m *Member) Live(kind int32, a int64, data any) bool {
	if !m.up {
		return false
	}
	if kind == kindReqTimeout {
		return m.findProposal(uint64(a)) >= 0
	}
	return m.readPending(pendingRead{data.(*api.StorageOp), a}) // a crash empties the queues
}

func (m *Member) proposalTimedOut(id uint64) {
	p, ok := m.takeProposal(id)
	if !ok {
		return
	}
	m.c.m.proposalsFailed.Inc()
	// server/etcdserver/errors/errors.go ErrTimeout.
	m.fail(p.op, "etcdserver: request timed out")
}

// objectOf is a key-value as the API server sees it: the object with its
// mod revision as resourceVersion.
func objectOf(kv *mvcc.KeyValue) api.Object {
	o := kv.Value
	o.Resource, o.ID = kv.Key.Resource(), kv.Key.ID()
	o.ResourceVersion = kv.ModRevision
	return o
}

// setObject sets *dst to objectOf(kv).
func setObject(dst *api.Object, kv *mvcc.KeyValue) {
	*dst = kv.Value
	dst.Resource, dst.ID = kv.Key.Resource(), kv.Key.ID()
	dst.ResourceVersion = kv.ModRevision
}

// read serves a range. A linearizable one (the API server's quorum reads,
// clientv3's default) takes one
// ReadIndex per batch of waiting reads, then the read runs once the member
// has applied up to the returned index (v3_server.go linearizableReadLoop).
func (m *Member) read(op *api.StorageOp) {
	if op.Serializable {
		// WithSerializable: the member's applied state, no ReadIndex.
		m.serveRead(op)
		return
	}
	m.readSeq++
	m.readQ = append(m.readQ, pendingRead{op, m.readSeq})
	m.c.eng.DeadlineQueue(m.c.cfg.reqTimeout()).Add(m, kindReadTimeout, m.readSeq, op)
	if !m.readActive {
		m.startReadBatch()
	}
}

func (m *Member) startReadBatch() {
	m.readBatch, m.readQ = m.readQ, m.readBatch[:0]
	m.readCtx++
	m.readActive = true
	m.rn.ReadIndex(ctxBytes(m.readCtx))
	m.c.eng.Schedule(sim.Event{At: m.c.eng.Now().Add(readIndexRetryTime), Target: m, Kind: kindReadRetry, A: int64(m.readCtx), B: m.epoch, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func ctxBytes(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

func (m *Member) readState(rs raft.ReadState) {
	if !m.readActive || len(rs.RequestCtx) != 8 || binary.BigEndian.Uint64(rs.RequestCtx) != m.readCtx {
		return
	}
	m.readActive = false
	m.readWaits = append(m.readWaits, readWait{index: rs.Index, ops: m.readBatch})
	m.readBatch = nil
	m.serveReadyReads()
	if len(m.readQ) > 0 {
		m.startReadBatch()
	}
}

func (m *Member) serveReadyReads() {
	n := 0
	for n < len(m.readWaits) && m.readWaits[n].index <= m.applied {
		for _, r := range m.readWaits[n].ops {
			m.serveRead(r.op)
		}
		n++
	}
	if n > 0 {
		m.readWaits = append(m.readWaits[:0], m.readWaits[n:]...)
	}
}

func (m *Member) serveRead(op *api.StorageOp) {
	key := mvcc.KeyOf(op.Resource, op.ID)
	op.Found = false
	rev, _, err := m.kv.Range(key, 0, 0, 1, func(kv *mvcc.KeyValue) bool {
		op.Found, op.Current = true, objectOf(kv)
		return false
	})
	op.Revision = rev
	if err != nil {
		op.Err, op.Reason = api.InternalError, err.Error()
	} else if !op.Found {
		op.Err = api.NotFound
	}
	now := m.c.eng.Now()
	wait := max(now.Add(m.applyDelay), m.defragUntil).Sub(now) // defragmentation holds the read lock
	m.c.net.SendAfter(wait+m.c.cfg.ReadCost.Sample(m.rng), m.self, op.ReplyTo, api.KindStorageOp, 0, 0, op)
}

func (m *Member) readPending(r pendingRead) bool {
	for _, o := range m.readQ {
		if o == r {
			return true
		}
	}
	for _, o := range m.readBatch {
		if o == r {
			return true
		}
	}
	for _, w := range m.readWaits {
		for _, o := range w.ops {
			if o == r {
				return true
			}
		}
	}
	return false
}

func (m *Member) readTimedOut(op *api.StorageOp, seq int64) {
	r := pendingRead{op, seq}
	drop := func(list []pendingRead) []pendingRead {
		for i, o := range list {
			if o == r {
				return append(list[:i], list[i+1:]...)
			}
		}
		return list
	}
	m.readQ = drop(m.readQ)
	m.readBatch = drop(m.readBatch)
	for i := range m.readWaits {
		m.readWaits[i].ops = drop(m.readWaits[i].ops)
	}
	if m.readActive && len(m.readBatch) == 0 {
		// Nobody waits for this ReadIndex any more; start over with new reads.
		m.readActive = false
		if len(m.readQ) > 0 {
			m.startReadBatch()
		}
	}
	m.fail(op, "etcdserver: request timed out")
}

// watch registers a watcher on stream, first catching it up on history
// from start (0: from now). A start revision that was compacted away ends
// the watch with the compact revision, as etcd's WatchResponse does.
func (m *Member) watch(stream sim.StreamID, start int64) {
	if start > 0 && start <= m.kv.Rev() {
		err := m.kv.EventsSince(start, func(e *mvcc.Event) bool {
			m.c.net.SendStream(stream, m.self, api.KindWatchEvent, 0, 0, m.watchEvent(e))
			return true
		})
		if err != nil {
			m.c.net.SendStream(stream, m.self, kindWatchCompacted, m.kv.CompactRev(), 0, nil)
			m.c.net.CloseStream(stream, m.self)
			return
		}
	}
	m.watchers = append(m.watchers, stream)
}

func (m *Member) notifyWatchers(e *mvcc.Event) {
	if len(m.watchers) == 0 {
		return
	}
	we := m.watchEvent(e)
	for _, s := range m.watchers {
		m.c.net.SendStreamAfter(m.applyDelay, s, m.self, api.KindWatchEvent, 0, 0, we)
	}
}

// watchEvent converts a store event for the API server, shared read-only
// by its receivers.
func (m *Member) watchEvent(e *mvcc.Event) *api.WatchEvent {
	we := m.evSlab.New()
	typ := api.Modified
	switch {
	case e.Type == mvcc.EventDelete:
		typ = api.Deleted
	case e.KV.Version == 1:
		typ = api.Added
	}
	// In place, field by field (a composite literal is copied with wide
	// loads straddling the stores that built it).
	we.Type, we.Code = typ, 0
	if typ == api.Deleted {
		// The API server watches with prevKV: a delete carries the object.
		setObject(&we.Object, &e.Prev)
		we.Object.ResourceVersion = e.KV.ModRevision
	} else {
		setObject(&we.Object, &e.KV)
	}
	return we
}

// commitBackend is the batch transaction commit every 100ms: it holds the
// backend lock, so applies wait behind it.
func (m *Member) commitBackend() {
	if !m.dirty {
		return
	}
	m.dirty = false
	d := m.c.cfg.BackendCommit.Sample(m.rng)
	m.c.m.backendCommit.Observe(d)
	m.applyFreeAt = max(m.applyFreeAt, m.c.eng.Now()).Add(d)
}

// maybeSnapshot takes a raft snapshot every SnapshotCount applied entries
// and compacts the raft log behind it, keeping SnapshotCatchUpEntries
// (server/etcdserver/server.go triggerSnapshot, snapshot).
func (m *Member) maybeSnapshot() {
	last, _ := m.wal.LastIndex()
	idx := min(m.applied, last)
	if idx <= m.snapIndex || idx-m.snapIndex < m.c.cfg.SnapshotCount {
		return
	}
	if _, err := m.wal.CreateSnapshot(idx, m.confState, nil); err != nil {
		return
	}
	m.snapIndex = idx
	if keep := m.c.cfg.catchUpEntries(); idx > keep {
		_ = m.wal.Compact(idx - keep)
	}
}

// scheduleCompaction deletes compacted revisions from the backend in
// batches of 1000 with 10ms between them (kvstore_compaction.go).
func (m *Member) scheduleCompaction(revs int, bytes int64) {
	m.compactRevs += revs
	m.compactBytes += bytes
	if !m.compacting && m.compactRevs > 0 {
		m.compacting = true
		m.c.rec.Note(m.c.eng.Now(), m.name, "compaction started: "+itoa(m.compactRevs)+" revisions to delete")
		m.compactBatch()
	}
}

func (m *Member) compactBatch() {
	n := min(m.compactRevs, compactBatchLimit)
	bytes := m.compactBytes
	if n < m.compactRevs {
		bytes = m.compactBytes * int64(n) / int64(m.compactRevs)
	}
	m.compactRevs -= n
	m.compactBytes -= bytes
	m.kv.Backend().Free(bytes)
	// Each batch is force-committed under the backend lock.
	d := m.c.cfg.BackendCommit.Sample(m.rng)
	m.applyFreeAt = max(m.applyFreeAt, m.c.eng.Now()).Add(d)
	if m.compactRevs == 0 {
		m.compacting = false
		m.updateSizeGauges()
		m.c.rec.Note(m.c.eng.Now(), m.name, "compaction finished")
		return
	}
	m.c.eng.Schedule(sim.Event{At: m.c.eng.Now().Add(d + compactBatchInterval), Target: m, Kind: kindCompactBatch, B: m.epoch, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

// Defrag defragments the member's backend: it blocks reads and applies for
// the time it takes to copy the live data (server/storage/backend/backend.go
// defrag), then the database shrinks to its in-use size. done runs after.
func (m *Member) Defrag(done func()) {
	if !m.up || m.defragging {
		if done != nil {
			done()
		}
		return
	}
	inUse := m.kv.Backend().SizeInUse()
	d := time.Duration(float64(inUse) / float64(m.c.cfg.DefragThroughput) * float64(time.Second))
	now := m.c.eng.Now()
	m.defragging = true
	m.onDefragDone = done
	m.defragUntil = now.Add(d)
	m.applyFreeAt = max(m.applyFreeAt, m.defragUntil)
	m.c.rec.Note(now, m.name, "defragmentation started ("+mib(inUse)+" in use, "+mib(m.kv.Backend().Size())+" on disk)")
	m.c.eng.Schedule(sim.Event{At: m.defragUntil, Target: m, Kind: kindDefragDone, B: m.epoch, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

func (m *Member) defragDone() {
	m.defragging = false
	m.kv.Backend().Defrag()
	m.updateSizeGauges()
	m.c.rec.Note(m.c.eng.Now(), m.name, "defragmentation finished: database "+mib(m.kv.Backend().Size()))
	if f := m.onDefragDone; f != nil {
		m.onDefragDone = nil
		f()
	}
}

// updateSizeGauges sets the database size gauges. Sizes are whole pages,
// so most applies leave them as they were: setting a gauge to its value
// changes nothing, and is skipped (the gauges lie far from the member in
// memory).
func (m *Member) updateSizeGauges() {
	now := m.c.eng.Now()
	be := m.kv.Backend()
	if size := be.Size(); size != m.gaugedSize {
		m.gaugedSize = size
		m.c.m.dbSize[m.idx].Set(now, float64(size))
	}
	if inUse := be.SizeInUse(); inUse != m.gaugedInUse {
		m.gaugedInUse = inUse
		m.c.m.dbInUse[m.idx].Set(now, float64(inUse))
	}
}

// Crash stops the member: everything not fsynced is lost (the Ready being
// written, the apply queue, waiting requests), its connections close. The
// WAL (entries and hard state written so far) and the MVCC store up to the
// applied index survive; on restart raft re-delivers committed entries
// beyond it.
func (m *Member) Crash() {
	if !m.up {
		return
	}
	m.up = false
	m.epoch++
	m.tick.Stop()
	m.backend.Stop()
	m.monitor.Stop()
	m.rn = nil
	m.dropEntries()
	m.walBusy, m.inflight, m.inflightArr, m.tickMissed = false, raft.Ready{}, nil, false
	m.applyFreeAt, m.defragUntil, m.defragging = 0, 0, false
	m.pending = m.pending[:0]
	m.alarmProposed = false
	m.readQ, m.readBatch, m.readWaits, m.readActive = nil, nil, nil, false
	m.compactRevs, m.compactBytes, m.compacting = 0, 0, false
	m.pendingSnap = nil
	for _, s := range m.watchers {
		m.c.net.CloseStream(s, m.self)
	}
	for _, s := range m.conns {
		m.c.net.CloseStream(s, m.self)
	}
	m.watchers, m.conns = m.watchers[:0], m.conns[:0]
	m.state, m.lead = raft.StateFollower, 0
	m.c.rec.Note(m.c.eng.Now(), m.name, "crashed")
	m.c.recheckLeader()
	if f := m.onDefragDone; f != nil {
		m.onDefragDone = nil
		f()
	}
}

// Restart starts a crashed member again from its WAL.
func (m *Member) Restart() {
	if m.up {
		return
	}
	m.epoch++
	m.start()
	m.c.rec.Note(m.c.eng.Now(), m.name, "restarted at applied index "+utoa(m.applied))
	m.c.recheckLeader()
}

// SetFsync changes the member's WAL fsync latency (a slow disk); nil
// restores the configured one.
func (m *Member) SetFsync(d sim.Dist) {
	if d == nil {
		d = m.c.cfg.fsyncOf(m.idx)
	}
	m.fsync = d
}

type quietLogger struct{}

func (quietLogger) Debug(...any)              {}
func (quietLogger) Debugf(string, ...any)     {}
func (quietLogger) Error(...any)              {}
func (quietLogger) Errorf(string, ...any)     {}
func (quietLogger) Info(...any)               {}
func (quietLogger) Infof(string, ...any)      {}
func (quietLogger) Warning(...any)            {}
func (quietLogger) Warningf(string, ...any)   {}
func (quietLogger) Fatal(v ...any)            { panic(v) }
func (quietLogger) Fatalf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }
func (quietLogger) Panic(v ...any)            { panic(v) }
func (quietLogger) Panicf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }
