package mvcctest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/orrery-sim/orrery/model/etcd/mvcc"
)

// Harness timing, in the bubble's virtual time.
const (
	applyTimeout = 5 * time.Second       // raft.Apply's enqueue timeout
	waitTimeout  = time.Minute           // for a leader, or for followers to catch up
	pollInterval = 10 * time.Millisecond // how often the harness looks
	trailingLogs = 32                    // logs kept after a snapshot: small, so a lagging node needs InstallSnapshot
	maxApplyTry  = 100                   // Apply attempts per command before giving up
)

// HashicorpRun is what RunHashicorp observed.
type HashicorpRun struct {
	// Stores are the three nodes' final states, in node order.
	Stores []*mvcc.Store
	// Committed are the commands the cluster committed, in log order, as
	// every node's state machine recorded them (the record is part of the
	// replicated state: snapshots carry it). A command whose Apply failed
	// is re-proposed, so a command may appear twice.
	Committed []mvcc.Command
	// Indexes are the Raft log indexes of Committed.
	Indexes []uint64
	// Responses are the leader's answers to the Applies that succeeded.
	Responses []Response
	// Reissued counts Apply calls that failed and were retried.
	Reissued int
	// Restores counts state machine restores from snapshots, on any node
	// (InstallSnapshot to a lagging node, or a restart).
	Restores int
	// Elapsed is the virtual time the run took.
	Elapsed time.Duration
}

// Response is a leader's answer to one applied command.
type Response struct {
	Index  uint64
	Result mvcc.Result
}

// RunHashicorp runs cmds through a three-node hashicorp/raft cluster
// (in-memory transports, log stores and snapshot stores) inside a
// testing/synctest bubble, each node applying committed entries to its own
// mvcc.Store through an mvcc.FSM. It must not be called from inside a
// bubble. The scenario:
//
//  1. bootstrap, wait for a leader, apply the first third of cmds through
//     it;
//  2. partition the leader (disconnect its transport from the others) and
//     propose the next command to it anyway — that Apply cannot commit and
//     fails once the old leader steps down; then apply the second third
//     through the new leader, re-proposing any command whose Apply failed
//     (ErrNotLeader, ErrLeadershipLost, ...), since it may or may not have
//     been committed;
//  3. snapshot the new leader (its log is then truncated to a few entries,
//     so the old leader must catch up by InstallSnapshot) and heal;
//  4. make a follower snapshot, shut it down and start it again from its
//     log, stable and snapshot stores with a fresh state machine, which
//     hashicorp/raft restores from the snapshot;
//  5. apply the last third, Barrier, wait until every node has applied the
//     last command, and shut every node down.
//
// It fails t if the nodes' recorded command sequences differ or the
// cluster stops making progress.
func RunHashicorp(t *testing.T, cmds []mvcc.Command) *HashicorpRun {
	t.Helper()
	run := &HashicorpRun{}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newCluster(t, nil)
		p1, p2 := len(cmds)/3, 2*len(cmds)/3
		c.waitLeader()
		for i := range cmds[:p1] {
			c.apply(&cmds[i], -1)
		}
		if p1 < len(cmds) {
			old := c.waitLeader()
			c.partition(old)
			c.apply(&cmds[p1], old)
			for i := range cmds[p1+1 : p2] {
				c.apply(&cmds[p1+1+i], -1)
			}
			if err := c.nodes[c.waitLeader()].raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
				t.Fatalf("snapshot on the leader: %v", err)
			}
			c.heal()
			c.restartFollower(old)
		}
		for i := range cmds[p2:] {
			c.apply(&cmds[p2+i], -1)
		}
		c.settle()
		c.shutdown()

		run.Elapsed = time.Since(start)
		run.Reissued, run.Responses = c.reissued, c.responses
		ref := c.nodes[0].fsm
		for i, n := range c.nodes {
			run.Stores = append(run.Stores, n.fsm.store)
			run.Restores += n.fsm.restores + n.restores
			if !slices.Equal(n.fsm.records, ref.records) {
				t.Errorf("node %d recorded %d commands, node 0 %d, or they differ", i, len(n.fsm.records), len(ref.records))
			}
		}
		for _, r := range ref.records {
			run.Committed = append(run.Committed, r.cmd)
			run.Indexes = append(run.Indexes, r.index)
		}
	})
	return run
}

// HashicorpLeaderlessWindows measures, runs times, how long a three-node
// hashicorp/raft cluster with the given HeartbeatTimeout and
// ElectionTimeout is without a leader after its leader is cut off: elect,
// let the cluster run for three timeouts, disconnect the leader's
// transport from the others at a known virtual time, and wait for another
// node to report becoming leader (raft.LeaderCh). Each run is its own
// synctest bubble; the windows are virtual time. LeaderLeaseTimeout is
// capped at the heartbeat timeout, as hashicorp/raft's config validation
// requires.
func HashicorpLeaderlessWindows(t *testing.T, runs int, heartbeat, election time.Duration) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, runs)
	for range runs {
		synctest.Test(t, func(t *testing.T) {
			c := newCluster(t, func(conf *raft.Config) {
				conf.HeartbeatTimeout, conf.ElectionTimeout = heartbeat, election
				conf.LeaderLeaseTimeout = min(conf.LeaderLeaseTimeout, heartbeat)
			})
			old := c.waitLeader()
			time.Sleep(3 * max(heartbeat, election))
			if c.nodes[old].raft.State() != raft.Leader {
				t.Fatalf("node %d lost leadership before the partition", old)
			}
			var chans []<-chan bool
			var ids []int
			for i, n := range c.nodes {
				if i == old {
					continue
				}
				ch := n.raft.LeaderCh()
				for drained := false; !drained; { // forget earlier transitions
					select {
					case <-ch:
					default:
						drained = true
					}
				}
				chans, ids = append(chans, ch), append(ids, i)
			}
			t0 := time.Now()
			c.partition(old)
			timeout := time.After(waitTimeout)
			for {
				var won bool
				var who int
				select {
				case won = <-chans[0]:
					who = ids[0]
				case won = <-chans[1]:
					who = ids[1]
				case <-timeout:
					t.Fatalf("no new leader %v after the partition", waitTimeout)
				}
				if won && c.nodes[who].raft.State() == raft.Leader {
					out = append(out, time.Since(t0))
					break
				}
			}
			c.shutdown()
		})
	}
	return out
}

// node is one hashicorp/raft server.
type node struct {
	id       raft.ServerID
	addr     raft.ServerAddress
	conf     *raft.Config
	fsm      *recordingFSM
	logs     *raft.InmemStore // log and stable store
	snaps    *raft.InmemSnapshotStore
	trans    *raft.InmemTransport
	raft     *raft.Raft
	restores int // restores by state machines this node replaced
}

// cluster is three nodes inside one synctest bubble.
type cluster struct {
	t           *testing.T
	nodes       []*node
	partitioned []bool
	reissued    int
	responses   []Response
	closed      bool
}

func newCluster(t *testing.T, tune func(*raft.Config)) *cluster {
	c := &cluster{t: t, partitioned: make([]bool, 3)}
	var servers []raft.Server
	for i := range 3 {
		n := &node{id: raft.ServerID(fmt.Sprintf("n%d", i)), logs: raft.NewInmemStore(), snaps: raft.NewInmemSnapshotStore()}
		n.addr, n.trans = raft.NewInmemTransport(raft.ServerAddress(n.id))
		n.conf = raft.DefaultConfig()
		n.conf.LocalID = n.id
		n.conf.Logger = hclog.NewNullLogger()
		n.conf.TrailingLogs = trailingLogs
		if tune != nil {
			tune(n.conf)
		}
		n.fsm = newRecordingFSM()
		c.nodes = append(c.nodes, n)
		servers = append(servers, raft.Server{ID: n.id, Address: n.addr})
	}
	c.heal()
	t.Cleanup(c.shutdown) // also after a t.Fatal: the bubble must end with no goroutines
	for _, n := range c.nodes {
		if err := raft.BootstrapCluster(n.conf, n.logs, n.logs, n.snaps, n.trans, raft.Configuration{Servers: servers}); err != nil {
			t.Fatalf("bootstrap %s: %v", n.id, err)
		}
		r, err := raft.NewRaft(n.conf, n.fsm, n.logs, n.logs, n.snaps, n.trans)
		if err != nil {
			t.Fatalf("start %s: %v", n.id, err)
		}
		n.raft = r
	}
	return c
}

// shutdown stops every node; it is idempotent.
func (c *cluster) shutdown() {
	if c.closed {
		return
	}
	c.closed = true
	for _, n := range c.nodes {
		if n.raft != nil {
			if err := n.raft.Shutdown().Error(); err != nil {
				c.t.Errorf("shutdown %s: %v", n.id, err)
			}
		}
	}
}

// heal connects every pair of transports.
func (c *cluster) heal() {
	for i, a := range c.nodes {
		c.partitioned[i] = false
		for j, b := range c.nodes {
			if i != j {
				a.trans.Connect(b.addr, b.trans)
			}
		}
	}
}

// partition cuts node i off from the others, both ways.
func (c *cluster) partition(i int) {
	c.partitioned[i] = true
	c.nodes[i].trans.DisconnectAll()
	for j, n := range c.nodes {
		if j != i {
			n.trans.Disconnect(c.nodes[i].addr)
		}
	}
}

// waitLeader waits for a node outside any partition to be leader.
func (c *cluster) waitLeader() int {
	c.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		for i, n := range c.nodes {
			if !c.partitioned[i] && n.raft.State() == raft.Leader {
				return i
			}
		}
		time.Sleep(pollInterval)
	}
	c.t.Fatalf("no leader within %v", waitTimeout)
	return -1
}

// retryable reports an Apply error after which the command may or may
// not have been committed, and should be proposed again.
func retryable(err error) bool {
	for _, e := range []error{raft.ErrNotLeader, raft.ErrLeadershipLost, raft.ErrLeadershipTransferInProgress,
		raft.ErrEnqueueTimeout, raft.ErrAbortedByRestore} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// apply proposes cmd until an Apply succeeds: first through node via if
// via >= 0, then through the current leader.
func (c *cluster) apply(cmd *mvcc.Command, via int) {
	c.t.Helper()
	data := cmd.AppendTo(nil)
	for range maxApplyTry {
		i := via
		if i < 0 {
			i = c.waitLeader()
		}
		via = -1
		f := c.nodes[i].raft.Apply(data, applyTimeout)
		err := f.Error()
		if err == nil {
			res, ok := f.Response().(mvcc.Result)
			if !ok {
				c.t.Fatalf("command %d: FSM returned %T", cmd.ID, f.Response())
			}
			c.responses = append(c.responses, Response{Index: f.Index(), Result: res})
			return
		}
		if !retryable(err) {
			c.t.Fatalf("command %d via %s: %v", cmd.ID, c.nodes[i].id, err)
		}
		c.reissued++
	}
	c.t.Fatalf("command %d: no Apply succeeded in %d attempts", cmd.ID, maxApplyTry)
}

// restartFollower snapshots a follower (preferring one other than avoid),
// shuts it down and starts it again from its stores with a fresh state
// machine and transport.
func (c *cluster) restartFollower(avoid int) {
	c.t.Helper()
	leader := c.waitLeader()
	i := 0
	for i == leader || (i == avoid && avoid != leader) {
		i++
	}
	n := c.nodes[i]
	// The follower may have nothing new since a snapshot it installed.
	if err := n.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		c.t.Fatalf("snapshot on %s: %v", n.id, err)
	}
	if err := n.raft.Shutdown().Error(); err != nil {
		c.t.Fatalf("shutdown %s: %v", n.id, err)
	}
	n.restores += n.fsm.restores
	n.fsm = newRecordingFSM()
	n.addr, n.trans = raft.NewInmemTransport(n.addr)
	c.heal()
	r, err := raft.NewRaft(n.conf, n.fsm, n.logs, n.logs, n.snaps, n.trans)
	if err != nil {
		c.t.Fatalf("restart %s: %v", n.id, err)
	}
	n.raft = r
	if n.fsm.restoreCount() == 0 {
		c.t.Errorf("restarted %s without restoring its snapshot", n.id)
	}
}

// settle waits until the leader has applied everything (Barrier) and every
// node's state machine has caught up with it.
func (c *cluster) settle() {
	c.t.Helper()
	var target uint64
	for range maxApplyTry {
		l := c.waitLeader()
		err := c.nodes[l].raft.Barrier(applyTimeout).Error()
		if err == nil {
			target = c.nodes[l].fsm.lastIndex()
			break
		}
		if !retryable(err) {
			c.t.Fatalf("barrier: %v", err)
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for _, n := range c.nodes {
		for n.fsm.lastIndex() < target {
			if time.Now().After(deadline) {
				c.t.Fatalf("%s applied up to %d, the leader %d", n.id, n.fsm.lastIndex(), target)
			}
			time.Sleep(pollInterval)
		}
	}
}

// record is one applied command and its log index.
type record struct {
	index uint64
	cmd   mvcc.Command
}

// recordingFSM is an mvcc.FSM that also records every command it applies
// with its log index, and carries that record in its snapshots, so every
// node — including one restored from a snapshot — holds the complete
// committed sequence. hashicorp/raft calls it from its FSM goroutine; the
// harness reads it under mu.
type recordingFSM struct {
	mu       sync.Mutex
	store    *mvcc.Store
	fsm      mvcc.FSM
	records  []record
	last     uint64 // index of the last entry applied
	restores int
}

func newRecordingFSM() *recordingFSM {
	s := mvcc.NewStore(mvcc.Config{})
	return &recordingFSM{store: s, fsm: mvcc.FSM{Store: s}}
}

func (f *recordingFSM) lastIndex() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *recordingFSM) restoreCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restores
}

// Apply applies the entry and records its command.
func (f *recordingFSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.fsm.Apply(l)
	var c mvcc.Command
	if mvcc.DecodeCommand(l.Data, &c) == nil {
		f.records = append(f.records, record{index: l.Index, cmd: c})
	}
	f.last = l.Index
	return res
}

// Snapshot encodes the record, the last index and the store: records as
// (index, length, command encoding), then the store's snapshot.
func (f *recordingFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, uint32(len(f.records)))
	for i := range f.records {
		r := &f.records[i]
		b = le.AppendUint64(b, r.index)
		b = le.AppendUint16(b, uint16(r.cmd.EncodedLen()))
		b = r.cmd.AppendTo(b)
	}
	b = le.AppendUint64(b, f.last)
	return &bytesSnapshot{data: f.store.AppendSnapshot(b)}, nil
}

var errBadSnapshot = errors.New("mvcctest: malformed snapshot")

// Restore replaces the record and the store with a snapshot's.
func (f *recordingFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	if len(b) < 4 {
		return errBadSnapshot
	}
	n := int(le.Uint32(b))
	b = b[4:]
	records := make([]record, 0, n)
	for range n {
		if len(b) < 10 {
			return errBadSnapshot
		}
		r := record{index: le.Uint64(b)}
		size := int(le.Uint16(b[8:]))
		if len(b) < 10+size {
			return errBadSnapshot
		}
		if err := mvcc.DecodeCommand(b[10:10+size], &r.cmd); err != nil {
			return err
		}
		records = append(records, r)
		b = b[10+size:]
	}
	if len(b) < 8 {
		return errBadSnapshot
	}
	last := le.Uint64(b)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.store.RestoreSnapshot(b[8:]); err != nil {
		return err
	}
	f.records, f.last = records, last
	f.restores++
	return nil
}

// bytesSnapshot is an encoded state waiting to be persisted.
type bytesSnapshot struct{ data []byte }

func (s *bytesSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *bytesSnapshot) Release() {}
