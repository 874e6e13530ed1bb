// Package mvcc is etcd's MVCC key-value store as the Raft state machine
// of a simulated etcd member: the part of etcd (etcd-io/etcd
// server/storage/mvcc, server/etcdserver/apply) that every member applies
// each committed entry to. Research and sources: docs/design/etcd-model.md
// §4–6, §8.
//
// # Model
//
// A Store holds etcd's in-memory index — a B-tree (google/btree, degree
// 32) of keyIndex, with key_index.go's put/tombstone/get/compact
// semantics — over a revision-ordered log of stored revisions with their
// values, standing in for bbolt's key bucket. The index entry holds the
// key's current version's revisions; its generations (etcd's
// {ver, created, revs}) are a chain through the log, each entry linking
// to its key's previous one (index.go). Keys are integers (Key: resource<<32 | id) and
// values are api.Objects; a value's byte size is Object.Size.
//
// Commands are what the Kubernetes API server sends (Command): a txn on
// one key, If(mod_revision == x) Then(Put or Delete) Else(Get); compaction;
// NOSPACE alarm activation and deactivation. As in etcd, an empty store is
// at revision 1; the revision increases by one for each txn that changes a
// key, not for failed compares, deletes of absent keys, reads, compactions
// or alarms. Create revision, mod revision and version follow
// kvstore_txn.go. Range and EventsSince read at old revisions with etcd's
// ErrCompacted/ErrFutureRev rules. The NOSPACE rules are etcd's: a
// quota check at proposal time (QuotaAvailable, v3rpc/quota.go), another at
// apply time that lets the write through but fails the request and asks
// the member to raise the alarm (Result.NeedAlarm, apply/quota.go,
// server.go applyEntryNormal), and, once an alarm is active, every put txn
// rejected unapplied (apply/capped.go) while deletes, compaction and alarm
// commands still work.
//
// Applying a write costs no allocation beyond amortised slice growth (a
// new key may allocate a chunk of index entries); compaction shifts the
// log down in place, so a steady workload reuses its memory. No Go map is
// used. The members of one cluster keep their index entries in one Arena,
// each key's side by side, for cache locality only.
//
// # Backend size model
//
// Backend tracks the size of the member's bbolt file without storing
// bytes. Each stored revision adds b bytes, derived from bbolt's page
// layout for etcd's append-only revision keys (docs/design/etcd-model.md
// §5): with kv the size of the mvccpb.KeyValue protobuf (key, value and
// the three revisions as varints; kvBytes), a leaf element is
// e = 16 + 17 + kv bytes (18 for a tombstone's key); a leaf holds
// n = max(2, ⌊(⌊0.9·4096⌋ − 16)/e⌋) elements (FillPercent 0.9, 16-byte page
// header, at least two keys per node) in p = ⌈(16 + n·e)/4096⌉ contiguous
// pages; and each leaf costs a branch element (16 + 17 bytes) in a branch
// page filled the same way, 111 leaves per page. So
//
//	b = (4096·p + 4096/111) / n
//
// which the research note's "+≈1% branch pages" approximates. Size grows
// only when a write finds no free space; compaction frees the removed
// revisions' bytes (Backend.Free, done by the member batch by batch as etcd
// does, or at once with ApplyAndFree) without shrinking Size; Defrag sets
// Size to SizeInUse.
//
// Calibration: the research note measured real bbolt v1.5.0 driven with
// etcd's write pattern (17-byte revision keys in order, FillPercent 0.9,
// 1000 keys updated round-robin, 100k revisions). This model gives, per
// revision (TestBackendCalibration checks it within 2%):
//
//	value V   kv      model b   measured   model/measured
//	300       365     459       460        0.998
//	1000      1065    1378      1385       0.995
//	2000      2065    4114      4115       1.000
//	4000      4065    6162      6163       1.000
//	8000      8065    8210      8211       1.000
//	15000     15065   16402     16404      1.000
//	20000     20066   20498     20500      1.000
//
// The steps in b (a 2000-byte value costs twice its size, a 4000-byte one
// 1.5 times) are real: they come from how many elements fit a leaf, so b
// can change by a page when a value or key crosses a packing boundary. The
// same experiment showed Size staying put after compaction, the next 100k
// writes reusing the freed pages (Size +1–2%), and a defragmented copy
// equal to the space in use, as this model has it. An external check:
// etcd-io/etcd#8482's 250k puts of 50-byte keys and 100-byte values made a
// 55M file; the formula gives 55 MiB.
//
// # What the model leaves out
//
//   - Leases (no Lease field, no lease bucket, LeaseGrant's quota cost),
//     auth, and the cluster/membership/meta buckets (a few pages).
//   - Multi-operation txns: exactly one compare (mod_revision equality) and
//     one write on one key; no compares on version, create_revision or
//     value; no ranges or prefix deletes inside txns; no plain Put or
//     DeleteRange requests (the API server never sends them). Every
//     revision has sub-revision 0.
//   - Range's sort, keys-only, count-only and min/max revision options;
//     reads are not commands (a linearizable read's ReadIndex is the
//     member's business).
//   - Page-level effects beyond the formula: fragmentation that keeps
//     freed pages from being reused (pages pinned by long read txns,
//     non-contiguous free runs for multi-page values: etcd-io/etcd#8009,
//     kubernetes/kubernetes#45037), the freelist's own pages, the file's
//     16 MiB growth steps (bbolt AllocSize; Size is the high-water mark, not
//     the file size), and the per-commit rewriting of the last leaf, which
//     the calibration absorbs. b is computed per revision as if all
//     revisions had its size.
//   - Timing: Apply is instantaneous. Batched compaction deletes, the 100 ms
//     backend commit, defragmentation's blocking and the watch machinery
//     (synced/unsynced/victim watchers) belong to the member that uses the
//     Store.
//   - Prev on a delete Event is always there; etcd reads a watch's prevKV
//     at revision−1, which can fail after compaction.
package mvcc
