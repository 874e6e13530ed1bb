package etcd

import (
	"strconv"

	"go.etcd.io/raft/v3"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

// CommitObserver is a metering hook: the run's bookkeeping (not another
// component) is told of every committed change, once, when the first
// member applies it. cur is the object as written, valid only during the
// call (a delete's carries only its resource, ID and revision, as a watch
// event's KV does); existed, whether the key existed before. The previous
// value is not passed: a put reads only the key's index, not its old
// value (mvcc.Result.Prev).
type CommitObserver interface {
	Committed(now sim.Time, existed bool, cur *api.Object)
}

// Cluster is the set of etcd members and the bookkeeping that watches them
// (leader changes, leaderless windows, commit latency). The bookkeeping
// reads members' state; members talk to each other only over the network.
type Cluster struct {
	// bodies are the typed bodies of proposed writes (see mvcc.Bodies).
	bodies mvcc.Bodies
	eng    *sim.Engine
	net    *sim.Network
	rec    *sim.Recorder
	cfg    Config

	Members []*Member
	m       metrics

	observer    CommitObserver
	observedRev int64
	committed   api.Object // the observer's argument

	proposedAt map[uint64]sim.Time // proposal id → when proposed, for commit latency

	termLeader  map[uint64]uint64 // term → the member that led it (safety bookkeeping)
	splitBrains int

	leader          *Member // the effective leader, nil if none
	leaderTerm      uint64
	leaderlessSince sim.Time
	windows         []LeaderlessWindow

	pool msgPool // raft message batches and arrays, recycled
	// arena holds the members' MVCC index entries side by side, key by
	// key: the followers apply each write shortly after the leader and
	// find its cache lines warm (mvcc.Arena).
	arena *mvcc.Arena
}

// LeaderlessWindow is a stretch of time in which no member led a quorum.
type LeaderlessWindow struct {
	Start, End sim.Time
	// NewLeader is the member that ended it ("" if the run ended first).
	NewLeader string
}

type metrics struct {
	walFsync, backendCommit, commit *sim.LatencySeries
	leaderless                      *sim.LatencySeries
	proposalsCommitted              *sim.Counter
	proposalsFailed                 *sim.Counter
	leaderChanges                   *sim.Counter
	conflicts, nospace              *sim.Counter
	writes, writeBytes              *sim.Counter
	snapshotsInstalled              *sim.Counter
	alarms                          *sim.Counter
	hasLeader                       *sim.Gauge
	alarmActive                     *sim.Gauge
	dbSize, dbInUse                 []*sim.Gauge
	failures                        map[string]*sim.Counter
	rec                             *sim.Recorder
}

func (m *metrics) failed(reason string) *sim.Counter {
	c := m.failures[reason]
	if c == nil {
		c = m.rec.Counter("etcd_requests_failed_total", "error", reason)
		m.failures[reason] = c
	}
	return c
}

// New builds the members of an etcd cluster, elects a first leader before
// time starts (a cluster that was already running), and starts ticking.
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, cfg Config) *Cluster {
	c := &Cluster{eng: eng, net: net, rec: rec, cfg: cfg, proposedAt: map[uint64]sim.Time{}, termLeader: map[uint64]uint64{}, arena: mvcc.NewArena(cfg.Members)}
	c.pool.ents.poison = poisonFreedEntries
	c.m = metrics{
		walFsync:           rec.Latency("etcd_disk_wal_fsync_duration_seconds"),
		backendCommit:      rec.Latency("etcd_disk_backend_commit_duration_seconds"),
		commit:             rec.Latency("etcd_server_commit_duration_seconds"),
		leaderless:         rec.Latency("etcd_leaderless_window_seconds"),
		proposalsCommitted: rec.Counter("etcd_server_proposals_committed_total"),
		proposalsFailed:    rec.Counter("etcd_server_proposals_failed_total"),
		leaderChanges:      rec.Counter("etcd_server_leader_changes_seen_total"),
		conflicts:          rec.Counter("etcd_txn_compare_failed_total"),
		writes:             rec.Counter("etcd_writes_total"),
		writeBytes:         rec.Counter("etcd_write_bytes_total"),
		nospace:            rec.Counter("etcd_server_nospace_errors_total"),
		snapshotsInstalled: rec.Counter("etcd_server_snapshots_installed_total"),
		alarms:             rec.Counter("etcd_server_alarms_raised_total"),
		hasLeader:          rec.Gauge("etcd_server_has_leader"),
		alarmActive:        rec.Gauge("etcd_server_alarm_nospace"),
		failures:           map[string]*sim.Counter{},
		rec:                rec,
	}
	voters := make([]uint64, cfg.Members)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	for i := 0; i < cfg.Members; i++ {
		c.m.dbSize = append(c.m.dbSize, rec.Gauge("etcd_mvcc_db_total_size_in_bytes", "member", MemberName(i)))
		c.m.dbInUse = append(c.m.dbInUse, rec.Gauge("etcd_mvcc_db_total_size_in_use_in_bytes", "member", MemberName(i)))
		c.Members = append(c.Members, newMember(c, i, voters))
	}
	for _, a := range c.Members {
		for _, b := range c.Members {
			if a.idx < b.idx {
				net.SetLinkLatency(a.self, b.self, cfg.PeerLatency)
			}
		}
	}
	c.bootstrap()
	return c
}

// bootstrap elects etcd-0 before time starts by running the election with
// instant delivery: the cluster has been up for a while when a run begins.
func (c *Cluster) bootstrap() {
	first := c.Members[0]
	enterRaft(first.raftRng)
	_ = first.rn.Campaign()
	for progress := true; progress; {
		progress = false
		for _, m := range c.Members {
			enterRaft(m.raftRng)
			if !m.rn.HasReady() {
				continue
			}
			progress = true
			rd := m.rn.Ready()
			if rd.SoftState != nil {
				m.lead, m.state = rd.SoftState.Lead, rd.SoftState.RaftState
			}
			if !raft.IsEmptyHardState(rd.HardState) {
				m.term = rd.HardState.Term
			}
			m.persist(&rd)
			for _, e := range rd.CommittedEntries {
				m.applied, m.appliedTerm = e.Index, e.Term
			}
			for _, msg := range rd.Messages {
				to := c.Members[msg.To-1]
				enterRaft(to.raftRng)
				_ = to.rn.Step(msg)
				enterRaft(m.raftRng)
			}
			m.rn.Advance(rd)
		}
	}
	dispatch.cur = nil
	c.recheckLeader()
	for _, m := range c.Members {
		m.updateSizeGauges()
	}
}

// becameLeader records who led each term: two leaders in one term would
// break Raft's election safety.
func (c *Cluster) becameLeader(m *Member) {
	if prev, ok := c.termLeader[m.term]; ok && prev != m.id {
		c.splitBrains++
		c.rec.Note(c.eng.Now(), "etcd", "SAFETY VIOLATION: two leaders in term "+utoa(m.term))
	}
	c.termLeader[m.term] = m.id
}

// SplitBrains counts terms that had two different leaders (always 0 if
// Raft is safe).
func (c *Cluster) SplitBrains() int { return c.splitBrains }

// SetObserver installs the commit observer.
func (c *Cluster) SetObserver(o CommitObserver) { c.observer = o }

// Seed stores obj in every member's store as part of the initial state, at
// a fresh revision, without raft or cost.
func (c *Cluster) Seed(obj api.Object) api.Object {
	cmd := mvcc.Command{Op: mvcc.CmdTxn, Key: mvcc.KeyOf(obj.Resource, obj.ID), CompareModRev: -1, Then: mvcc.TxnPut, Value: obj}
	var res mvcc.Result
	for _, m := range c.Members {
		res = m.kv.Apply(&cmd)
	}
	obj.ResourceVersion = res.Revision
	c.observedRev = res.Revision
	for _, m := range c.Members {
		m.updateSizeGauges()
	}
	return obj
}

// Get reads obj from the first running member's store (building, tests).
func (c *Cluster) Get(res api.Resource, id int32) (api.Object, bool) {
	var out api.Object
	found := false
	m := c.anyUp()
	if m == nil {
		return out, false
	}
	_, _, _ = m.kv.Range(mvcc.KeyOf(res, id), 0, 0, 1, func(kv *mvcc.KeyValue) bool {
		out, found = objectOf(kv), true
		return false
	})
	return out, found
}

// Revision is the newest revision any member has applied.
func (c *Cluster) Revision() int64 { return c.observedRev }

func (c *Cluster) anyUp() *Member {
	if c.leader != nil {
		return c.leader
	}
	for _, m := range c.Members {
		if m.up {
			return m
		}
	}
	return nil
}

// Leader is the member leading a quorum, or nil.
func (c *Cluster) Leader() *Member { return c.leader }

// LeaderlessWindows are the windows closed so far, plus an open one ending
// at now if the cluster has no leader.
func (c *Cluster) LeaderlessWindows(now sim.Time) []LeaderlessWindow {
	out := append([]LeaderlessWindow(nil), c.windows...)
	if c.leader == nil {
		out = append(out, LeaderlessWindow{Start: c.leaderlessSince, End: now})
	}
	return out
}

func (c *Cluster) proposed(id uint64) { c.proposedAt[id] = c.eng.Now() }

// applied is the bookkeeping after member m applied cmd.
func (c *Cluster) applied(m *Member, cmd *mvcc.Command, res *mvcc.Result) {
	if m == c.leader {
		if at, ok := c.proposedAt[cmd.ID]; ok {
			c.m.commit.Observe(c.eng.Now().Add(m.applyDelay).Sub(at))
			c.m.proposalsCommitted.Inc()
			delete(c.proposedAt, cmd.ID)
		}
	}
	if res.Revision > c.observedRev && res.HasEvent {
		c.observedRev = res.Revision
		c.m.writes.Inc()
		c.m.writeBytes.Add(int64(res.Event.KV.Value.Size))
		if c.observer != nil {
			ev := &res.Event
			setObject(&c.committed, &ev.KV)
			c.observer.Committed(c.eng.Now(), res.PrevFound, &c.committed)
		}
	}
}

func (c *Cluster) alarmChanged(m *Member, active bool) {
	// Every member applies the alarm entry; report the first.
	if active == (c.m.alarmActive.Value() == 1) {
		return
	}
	if active {
		c.m.alarms.Inc()
		c.m.alarmActive.Set(c.eng.Now(), 1)
		c.rec.Note(c.eng.Now(), "etcd", "alarm NOSPACE raised: database "+mib(m.kv.Backend().Size())+" reached the quota; writes fail with \""+mvcc.ErrNoSpace.Error()+"\"")
	} else {
		c.m.alarmActive.Set(c.eng.Now(), 0)
		c.rec.Note(c.eng.Now(), "etcd", "alarm NOSPACE disarmed: writes accepted again")
	}
}

// recheckLeader recomputes the effective leader: a running member in the
// leader state that can reach a quorum of running members following it.
func (c *Cluster) recheckLeader() {
	var eff *Member
	for _, l := range c.Members {
		if !l.up || l.state != raft.StateLeader {
			continue
		}
		n := 0
		for _, f := range c.Members {
			if f.up && (f == l || f.lead == l.id && c.net.Reachable(l.self, f.self)) {
				n++
			}
		}
		if n > len(c.Members)/2 && (eff == nil || l.term > eff.term) {
			eff = l
		}
	}
	now := c.eng.Now()
	switch {
	case eff == c.leader && (eff == nil || eff.term == c.leaderTerm):
		return
	case eff == nil:
		c.leaderlessSince = now
		c.m.hasLeader.Set(now, 0)
		c.rec.Note(now, "etcd", "no leader: "+c.leader.name+" no longer leads a quorum")
	default:
		if c.leader == nil && now > 0 {
			w := LeaderlessWindow{Start: c.leaderlessSince, End: now, NewLeader: eff.name}
			c.windows = append(c.windows, w)
			c.m.leaderless.Observe(w.End.Sub(w.Start))
			c.rec.Note(now, "etcd", eff.name+" leads at term "+utoa(eff.term)+" after "+w.End.Sub(w.Start).String()+" without a leader")
		}
		if now > 0 {
			c.m.leaderChanges.Inc()
		}
		c.m.hasLeader.Set(now, 1)
	}
	c.leader = eff
	if eff != nil {
		c.leaderTerm = eff.term
	}
}

// Recheck re-evaluates the leader after a network change (partition, heal).
func (c *Cluster) Recheck() { c.recheckLeader() }

// Finish closes the books at the end of a run.
func (c *Cluster) Finish() { RestoreRandom() }

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }
func mib(bytes int64) string {
	return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) + " MiB"
}
