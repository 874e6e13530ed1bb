package etcd

import (
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// Config is the etcd cluster's configuration. Defaults and their sources
// live in the scenarios package; the constants below are etcd's own, not
// configurable there.
type Config struct {
	Members       int
	TickInterval  time.Duration // --heartbeat-interval: one raft tick
	ElectionTicks int           // --election-timeout / --heartbeat-interval
	PreVote       bool
	CheckQuorum   bool // always on in etcd (server/etcdserver/bootstrap.go raftConfig)
	PeerLatency   sim.Dist
	WALFsync      sim.Dist
	// MemberWALFsync overrides WALFsync per member (nil entries: default).
	MemberWALFsync []sim.Dist
	BackendCommit  sim.Dist
	ApplyCost      sim.Dist
	ReadCost       sim.Dist
	// QuotaBackendBytes is --quota-backend-bytes (0: no quota).
	QuotaBackendBytes int64
	// DefragThroughput is the bytes of live data defragmentation copies per
	// second while it blocks its member.
	DefragThroughput int64
	// SnapshotCount is --snapshot-count: entries applied between raft
	// snapshots, after which the raft log is compacted.
	SnapshotCount uint64
	// SnapshotCatchUpEntries is how many entries the raft log keeps behind
	// a snapshot for slow followers (0: etcd's 5000).
	SnapshotCatchUpEntries uint64
}

// etcd's fixed constants.
const (
	// ReqTimeout = 5s + 2 × election timeout (server/config/config.go
	// ReqTimeout); computed per config by reqTimeout.
	baseReqTimeout = 5 * time.Second
	// readIndexRetryTime: a linearizable read re-sends its ReadIndex every
	// 500ms (server/etcdserver/v3_server.go).
	readIndexRetryTime = 500 * time.Millisecond
	// defaultBatchInterval: the backend commits its batch transaction every
	// 100ms (server/storage/backend/backend.go).
	backendBatchInterval = 100 * time.Millisecond
	// defaultCompactBatchLimit 1000 keys per compaction batch, with
	// minimumBatchInterval 10ms between batches
	// (server/storage/mvcc/kvstore_compaction.go, kvstore.go).
	compactBatchLimit    = 1000
	compactBatchInterval = 10 * time.Millisecond
	// DefaultSnapshotCatchUpEntries: entries kept in the raft log after a
	// snapshot for slow followers (server/etcdserver/server.go).
	defaultSnapshotCatchUpEntries = 5000
	// maxSizePerMsg 1 MiB and maxInflightMsgs 4096/8
	// (server/etcdserver/raft.go).
	maxSizePerMsg   = 1 << 20
	maxInflightMsgs = 4096 / 8
	// maxGapBetweenApplyAndCommitIndex: a member whose apply lags its
	// commit by more answers ErrTooManyRequests (v3_server.go).
	maxGapBetweenApplyAndCommitIndex = 5000
)

// SnapshotCountFor is etcd's --snapshot-count default for a minor
// version: 100000 up to 3.5, 10000 from 3.6 (server/embed/config.go
// DefaultSnapshotCount; etcd-io/etcd#15033).
func SnapshotCountFor(version string) uint64 {
	if version == "3.4" || version == "3.5" {
		return 100000
	}
	return 10000
}

func (c *Config) catchUpEntries() uint64 {
	if c.SnapshotCatchUpEntries > 0 {
		return c.SnapshotCatchUpEntries
	}
	return defaultSnapshotCatchUpEntries
}

func (c *Config) reqTimeout() time.Duration {
	return baseReqTimeout + 2*c.TickInterval*time.Duration(c.ElectionTicks)
}

func (c *Config) fsyncOf(member int) sim.Dist {
	if member < len(c.MemberWALFsync) && c.MemberWALFsync[member] != nil {
		return c.MemberWALFsync[member]
	}
	return c.WALFsync
}
