package mvcc

import "math/bits"

// bbolt layout constants (etcd-io/bbolt v1.5.0).
const (
	// pageSize is the OS page size bbolt uses for a new database on
	// linux/amd64 (bbolt db.go: Options.PageSize 0 → os.Getpagesize()).
	pageSize = 4096
	// pageHeaderBytes is bbolt's page header (internal/common/page.go
	// PageHeaderSize: id, flags, count, overflow).
	pageHeaderBytes = 16
	// leafElementBytes is a leaf element header (internal/common/page.go
	// LeafPageElementSize: flags, pos, ksize, vsize).
	leafElementBytes = 16
	// branchElementBytes is a branch element header
	// (internal/common/page.go BranchPageElementSize: pos, ksize, pgid).
	branchElementBytes = 16
	// minKeysPerPage: bbolt never splits a node below 2 keys per page
	// (internal/common/types.go MinKeysPerPage), so large values sit two to
	// a (multi-page) leaf.
	minKeysPerPage = 2
	// fillThreshold is where bbolt splits a node during spill:
	// int(pageSize × FillPercent) (node.go splitIndex), with etcd's
	// FillPercent 0.9 for its append-only key bucket (etcd-io/etcd
	// server/storage/backend/batch_tx.go UnsafeSeqPut; etcd-io/etcd#15470).
	fillThreshold = pageSize * 9 / 10
	// emptyBackendBytes is a new bbolt file's high-water mark: two meta
	// pages, a freelist page and an empty root leaf (bbolt db.go init).
	emptyBackendBytes = 4 * pageSize
)

// etcd's key bucket layout.
const (
	// revKeyBytes is a revision's bbolt key: 8-byte big-endian main
	// revision, '_', 8-byte sub revision (etcd-io/etcd
	// server/storage/mvcc/revision.go revBytesLen).
	revKeyBytes = 17
	// tombstoneKeyBytes is a tombstone's bbolt key, the revision key plus a
	// 't' mark (server/storage/mvcc/kvstore.go markedRevBytesLen).
	tombstoneKeyBytes = revKeyBytes + 1
	// leavesPerBranchPage is how many leaves one branch page indexes: its
	// elements are a header plus the child's first (17-byte) key, and
	// branch nodes split at the same fill threshold as leaves.
	leavesPerBranchPage = (fillThreshold - pageHeaderBytes) / (branchElementBytes + revKeyBytes)
)

// varintBytes is the length of x's protobuf varint encoding.
func varintBytes(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// kvBytes is the size of the mvccpb.KeyValue protobuf etcd stores for a
// put (kvstore_txn.go put: Key, Value, CreateRevision, ModRevision,
// Version; Lease 0 is omitted by proto3, and so is an empty Value).
func kvBytes(keyLen int, create, mod, version int64, valueLen int) int {
	n := 1 + varintBytes(uint64(keyLen)) + keyLen
	n += 1 + varintBytes(uint64(create))
	n += 1 + varintBytes(uint64(mod))
	n += 1 + varintBytes(uint64(version))
	if valueLen > 0 {
		n += 1 + varintBytes(uint64(valueLen)) + valueLen
	}
	return n
}

// tombstoneKVBytes is the size of the KeyValue{Key} a delete stores
// (kvstore_txn.go delete).
func tombstoneKVBytes(keyLen int) int {
	return 1 + varintBytes(uint64(keyLen)) + keyLen
}

// revisionBytes is the modeled number of backend bytes one stored revision
// takes, given the size kv of its KeyValue protobuf (see the package
// documentation for the derivation and its calibration): an element of
// e = 16 + 17 (18 for a tombstone) + kv bytes; n = max(2, ⌊(3686−16)/e⌋)
// elements per leaf; p = ⌈(16 + n·e)/4096⌉ pages per leaf; plus the leaf's
// share of a branch page, 4096/111 bytes. Integer arithmetic, rounded to
// the nearest byte, so sums are exact and identical on every platform.
func revisionBytes(kv int, tombstone bool) int64 {
	e := leafElementBytes + revKeyBytes + kv
	if tombstone {
		e = leafElementBytes + tombstoneKeyBytes + kv
	}
	n := (fillThreshold - pageHeaderBytes) / e
	if n < minKeysPerPage {
		n = minKeysPerPage
	}
	p := (pageHeaderBytes + n*e + pageSize - 1) / pageSize
	num := int64(pageSize) * int64(leavesPerBranchPage*p+1)
	den := int64(leavesPerBranchPage * n)
	return (num + den/2) / den
}

// Backend models the size of one member's bbolt file; it stores no bytes.
//
// Size is bbolt's high-water mark (meta.pgid × page size: etcd's
// backend.Size, reported as etcd_mvcc_db_total_size_in_bytes and compared
// against the quota); SizeInUse is Size minus the free pages
// (etcd_mvcc_db_total_size_in_use_in_bytes). A write takes free space
// first and grows the high-water mark only for the rest; compaction
// returns space to the freelist (Free) without shrinking Size; only a
// defragmentation (Defrag) brings Size down to what is in use.
type Backend struct {
	hwm   int64 // high-water mark, bytes
	inUse int64 // bytes holding live data (≤ hwm)
}

func newBackend() Backend { return Backend{hwm: emptyBackendBytes, inUse: emptyBackendBytes} }

// roundPages rounds up to whole pages.
func roundPages(b int64) int64 { return (b + pageSize - 1) / pageSize * pageSize }

// Size is the database size, the high-water mark, in whole pages.
func (b *Backend) Size() int64 { return roundPages(b.hwm) }

// SizeInUse is the part of Size not on the freelist, in whole pages.
func (b *Backend) SizeInUse() int64 { return roundPages(b.inUse) }

// write accounts for bytes of new data: free space first, then growth.
func (b *Backend) write(bytes int64) {
	b.inUse += bytes
	if b.inUse > b.hwm {
		b.hwm = b.inUse
	}
}

// Free returns bytes to the freelist, as a compaction batch deleting
// revisions does; Size is unchanged. It never frees below an empty
// database.
func (b *Backend) Free(bytes int64) {
	b.inUse -= bytes
	if b.inUse < emptyBackendBytes {
		b.inUse = emptyBackendBytes
	}
}

// Defrag rewrites the database compactly: Size drops to SizeInUse
// (etcd-io/etcd server/storage/backend/backend.go defrag copies every
// bucket into a new file with FillPercent 0.9). How long it blocks the
// member is the caller's to model.
func (b *Backend) Defrag() { b.hwm = b.inUse }

// CompactionBatch splits a compaction's freed revisions into the batches
// etcd deletes them in (kvstore_compaction.go scheduleCompaction: limit
// revisions per bbolt txn, CompactionSleep between batches): given the
// totals a CmdCompact reported and how many revisions earlier batches
// already freed, it returns the next batch's revision count and bytes.
// Bytes are shared out in proportion to revisions, exactly: the batches'
// bytes sum to totalBytes. done == totalRevs returns (0, 0).
func CompactionBatch(totalRevs int, totalBytes int64, done, limit int) (revs int, bytes int64) {
	if limit <= 0 {
		limit = CompactionBatchLimit
	}
	if done < 0 || done >= totalRevs {
		return 0, 0
	}
	revs = min(limit, totalRevs-done)
	share := func(n int) int64 { return totalBytes * int64(n) / int64(totalRevs) }
	return revs, share(done+revs) - share(done)
}
