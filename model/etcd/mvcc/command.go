package mvcc

import (
	"encoding/binary"
	"errors"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// CommandOp is what a replicated Command does.
type CommandOp uint8

const (
	// CmdTxn is one compare-and-write transaction on one key, the shape of
	// every write the Kubernetes API server sends (etcd3/store.go: Create,
	// GuaranteedUpdate, Delete): If(mod_revision(Key) == CompareModRev)
	// Then(Put or Delete Key) Else(Get Key).
	CmdTxn CommandOp = iota + 1
	// CmdCompact compacts the history up to Revision (etcd CompactionRequest).
	CmdCompact
	// CmdAlarmActivate raises Member's NOSPACE alarm (AlarmRequest ACTIVATE).
	CmdAlarmActivate
	// CmdAlarmDeactivate clears Member's NOSPACE alarm (AlarmRequest
	// DEACTIVATE, what `etcdctl alarm disarm` sends for each listed alarm).
	CmdAlarmDeactivate
	numCommandOps
)

var commandOpNames = [...]string{"invalid", "txn", "compact", "alarm-activate", "alarm-deactivate"}

func (o CommandOp) String() string {
	if o >= numCommandOps {
		return "invalid"
	}
	return commandOpNames[o]
}

// TxnOp is the write a CmdTxn does when its compare holds.
type TxnOp uint8

const (
	// TxnPut writes Value under Key.
	TxnPut TxnOp = iota + 1
	// TxnDelete deletes Key (a no-op, with no new revision, if it is absent).
	TxnDelete
	numTxnOps
)

var txnOpNames = [...]string{"invalid", "put", "delete"}

func (o TxnOp) String() string {
	if o >= numTxnOps {
		return "invalid"
	}
	return txnOpNames[o]
}

// NoCompare in Command.CompareModRev makes a txn unconditional.
const NoCompare int64 = -1

// Command is one replicated request, a Raft entry's payload, as etcd's
// InternalRaftRequest is. Which fields matter depends on Op.
type Command struct {
	Op CommandOp
	// ID is the proposer's request id (etcd RequestHeader.ID), so the
	// proposer can match the applied result to its waiting request.
	ID uint64

	// CmdTxn.
	Key Key
	// CompareModRev: negative (NoCompare) for no compare; otherwise the txn
	// succeeds iff mod_revision(Key) == CompareModRev, 0 meaning the key is
	// absent (how the API server creates: etcd3/store.go notFound).
	CompareModRev int64
	// Then is the write done when the compare holds. On a failed compare the
	// Else branch is a Get of Key, as the API server's GuaranteedUpdate and
	// Delete do.
	Then TxnOp
	// Value is the object a TxnPut writes, stored verbatim; Value.Size is
	// the serialized value length in bytes (must be >= 0).
	Value api.Object
	// Body is Value.Body's handle in the cluster's Bodies (0: none). The
	// encoding carries the handle; whoever decodes looks the body up.
	Body uint32

	// CmdCompact: compact everything below Revision.
	Revision int64
	// CmdAlarmActivate, CmdAlarmDeactivate: the alarm's member id.
	Member uint64
}

// ErrInvalidCommand is returned for a command that is malformed: an
// undecodable encoding, or an unknown Op or Then.
var ErrInvalidCommand = errors.New("mvcc: invalid command")

// Encoding: a version byte, then the op, the id and the op's fields, all
// little-endian and fixed-width, so each op has one encoded length.
const (
	commandVersion = 1
	objectBytes    = 1 + 4 + 4 + 8 + 8 + 1 + 8 + 8 + 2 + 4     // appendObject
	headerBytes    = 1 + 1 + 8                                 // version, op, id
	txnBytes       = headerBytes + 8 + 8 + 1 + objectBytes + 4 // key, compare, then, value, body
	compactBytes   = headerBytes + 8                           // revision
	alarmBytes     = headerBytes + 8                           // member
)

// EncodedLen is the length of the command's encoding (0 for an invalid Op).
func (c *Command) EncodedLen() int {
	switch c.Op {
	case CmdTxn:
		return txnBytes
	case CmdCompact:
		return compactBytes
	case CmdAlarmActivate, CmdAlarmDeactivate:
		return alarmBytes
	}
	return 0
}

// AppendTo appends the command's compact fixed-width binary encoding to b.
// A command with an invalid Op encodes as its header only, which
// DecodeCommand rejects.
func (c *Command) AppendTo(b []byte) []byte {
	b = append(b, commandVersion, byte(c.Op))
	b = binary.LittleEndian.AppendUint64(b, c.ID)
	switch c.Op {
	case CmdTxn:
		b = binary.LittleEndian.AppendUint64(b, uint64(c.Key))
		b = binary.LittleEndian.AppendUint64(b, uint64(c.CompareModRev))
		b = append(b, byte(c.Then))
		b = appendObject(b, &c.Value)
		b = binary.LittleEndian.AppendUint32(b, c.Body)
	case CmdCompact:
		b = binary.LittleEndian.AppendUint64(b, uint64(c.Revision))
	case CmdAlarmActivate, CmdAlarmDeactivate:
		b = binary.LittleEndian.AppendUint64(b, c.Member)
	}
	return b
}

// DecodeCommand decodes an encoding made by AppendTo into c, overwriting
// every field. It does not allocate or retain b, and returns
// ErrInvalidCommand (leaving c zeroed) if b is not exactly one well-formed
// command: wrong version or length, unknown Op or Then, a negative
// Value.Size or an out-of-range Value.Ready.
func DecodeCommand(b []byte, c *Command) error {
	// Straight into *c: decoding into a local and copying it out copied
	// with wide loads straddling the narrow stores just made.
	*c = Command{}
	if !decodeCommand(b, c) {
		*c = Command{}
		return ErrInvalidCommand
	}
	return nil
}

func decodeCommand(b []byte, c *Command) bool {
	if len(b) < headerBytes || b[0] != commandVersion {
		return false
	}
	c.Op, c.ID = CommandOp(b[1]), binary.LittleEndian.Uint64(b[2:])
	if len(b) != c.EncodedLen() {
		return false
	}
	p := b[headerBytes:]
	switch c.Op {
	case CmdTxn:
		c.Key = Key(binary.LittleEndian.Uint64(p))
		c.CompareModRev = int64(binary.LittleEndian.Uint64(p[8:]))
		c.Then = TxnOp(p[16])
		if c.Then != TxnPut && c.Then != TxnDelete {
			return false
		}
		c.Body = binary.LittleEndian.Uint32(p[17+objectBytes:])
		return readObject(p[17:], &c.Value)
	case CmdCompact:
		c.Revision = int64(binary.LittleEndian.Uint64(p))
	case CmdAlarmActivate, CmdAlarmDeactivate:
		c.Member = binary.LittleEndian.Uint64(p)
	}
	return true
}

// appendObject appends o's objectBytes-long encoding.
func appendObject(b []byte, o *api.Object) []byte {
	b = append(b, byte(o.Resource))
	b = binary.LittleEndian.AppendUint32(b, uint32(o.ID))
	b = binary.LittleEndian.AppendUint32(b, uint32(o.Size))
	b = binary.LittleEndian.AppendUint64(b, uint64(o.ResourceVersion))
	b = binary.LittleEndian.AppendUint64(b, uint64(o.RenewTime))
	b = append(b, byte(o.Ready))
	b = binary.LittleEndian.AppendUint64(b, uint64(o.HeartbeatTime))
	b = binary.LittleEndian.AppendUint64(b, uint64(o.LastTransitionTime))
	b = binary.LittleEndian.AppendUint16(b, o.Label)
	b = binary.LittleEndian.AppendUint32(b, uint32(o.Namespace))
	return b
}

// readObject decodes appendObject's encoding from the first objectBytes of
// p (len(p) >= objectBytes) and reports whether it is well-formed.
func readObject(p []byte, o *api.Object) bool {
	o.Resource = api.Resource(p[0])
	o.ID = int32(binary.LittleEndian.Uint32(p[1:]))
	o.Size = int32(binary.LittleEndian.Uint32(p[5:]))
	o.ResourceVersion = int64(binary.LittleEndian.Uint64(p[9:]))
	o.RenewTime = sim.Time(binary.LittleEndian.Uint64(p[17:]))
	o.Ready = api.ConditionStatus(p[25])
	o.HeartbeatTime = sim.Time(binary.LittleEndian.Uint64(p[26:]))
	o.LastTransitionTime = sim.Time(binary.LittleEndian.Uint64(p[34:]))
	o.Label = binary.LittleEndian.Uint16(p[42:])
	o.Namespace = api.NamespaceID(binary.LittleEndian.Uint32(p[44:]))
	return o.Size >= 0 && o.Namespace >= 0 && o.Ready <= api.ConditionFalse
}

// Bodies holds the typed bodies (api.Object.Body) of proposed writes for
// as long as their Raft entries may be read again: an entry's encoding
// carries a handle instead of the serialized object, and the members of
// one cluster, in one process, share the table. A handle stays valid for
// the last BodyRetention bodies put, more than any member keeps of the
// Raft log between snapshots (etcd 3.4's --snapshot-count 100000 plus
// the 5000 entries kept for catching up followers).
type Bodies struct {
	ring    []any
	handles []uint32
	next    uint32
}

// BodyRetention is how many bodies a Bodies keeps.
const BodyRetention = 1 << 18

// Put stores a body and returns its handle (0 for nil: nothing stored).
func (b *Bodies) Put(v any) uint32 {
	if v == nil {
		return 0
	}
	if b.ring == nil {
		b.ring, b.handles = make([]any, BodyRetention), make([]uint32, BodyRetention)
	}
	b.next++
	if b.next == 0 {
		b.next = 1
	}
	i := b.next % BodyRetention
	b.ring[i], b.handles[i] = v, b.next
	return b.next
}

// Get returns the body of handle h (nil for 0). A handle older than the
// retention is a bug in the caller: it panics rather than return another
// write's body.
func (b *Bodies) Get(h uint32) any {
	if h == 0 {
		return nil
	}
	i := h % BodyRetention
	if b.handles == nil || b.handles[i] != h {
		panic("mvcc: body handle evicted or unknown")
	}
	return b.ring[i]
}
