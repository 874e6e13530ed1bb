// Package etcd models an etcd cluster behind the API server: members that
// run the real Raft library, go.etcd.io/raft/v3, on virtual time, each with
// a modeled WAL disk, an applier feeding an MVCC store (package mvcc), and
// etcdserver's request handling; and the API server's clientv3.
//
// A member follows etcd's raft loop (server/etcdserver/raft.go): the engine
// ticks its RawNode every heartbeat interval; each Ready updates the leader,
// hands committed entries to the applier, sends messages — the leader
// before its WAL write, followers after it, since their acks must be
// durable — writes the WAL (one sampled fsync when MustSync), and calls
// Advance. While the WAL write is in flight the loop is blocked: new
// proposals collect in raft's log and go out in the next Ready (group
// commit), and ticks are held (one at most, as a time.Ticker holds one), so
// a slow disk delays heartbeats the way it does in etcd. The applier works
// through committed entries one batch at a time (ApplyCost per entry), and
// the backend's batch commit every 100ms, compaction batches (1000 keys,
// 10ms apart) and defragmentation hold it like etcd's backend lock.
//
// Requests: a write is checked against the quota (the API layer's
// QuotaAvailable, raising the NOSPACE alarm if it fails), proposed, and
// answered when the proposing member applies it, or with "etcdserver:
// request timed out" after 5s + 2 × election timeout. A read is
// linearizable (the API server's quorum reads): one ReadIndex per batch of
// waiting reads, re-sent every 500ms, served once the member has applied
// the returned index; a serializable read is served from the member's own
// applied state at once, and may be stale. Watches are served from the
// member's store: a watch that starts in the past is caught up from
// history, or told its start was compacted. Watches require a leader, as
// the API server's do: a member without one for 3 election timeouts
// cancels them and the client watches again on another member.
//
// Determinism: raft's only randomness, the election timeout, is drawn from
// crypto/rand.Reader; the package points that reader at the stream of the
// member inside each raft call (see rand.go). Peers, proposals and reads are
// kept in slices in a fixed order; maps are only looked up.
//
// Before time starts, the cluster elects etcd-0 with instant delivery (a
// cluster that was already running) and every member holds the seeded
// objects.
//
// What the model leaves out: membership changes and learners; etcd leases,
// auth and the v2 store; the gRPC proxy and watch progress notifications;
// raft entries carry a compact encoding of the request, so MaxSizePerMsg
// counts those bytes rather than the object's; a restarted member keeps its
// store at the applied index (etcd re-applies the WAL tail over its last
// backend commit to the same result) and the cost of replay is not
// modeled; a snapshot sent to a far-behind follower arrives in one message
// without transfer time; unsynced watchers are caught up at once, not by
// the 100ms syncWatchers loop; defragmentation time is live bytes over a
// configured throughput, a figure not calibrated against real etcd.
package etcd
