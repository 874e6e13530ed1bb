package etcd

import (
	"reflect"
	"unsafe"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Raft builds every Ready's messages in a fresh slice: acceptReady sets
// raft.msgs and raft.msgsAfterAppend to nil, and the next message sent
// grows a new array from nothing (1, 2, 4… messages of 160 bytes). In
// nodes-5000 that was half of all bytes allocated and a tenth of the CPU
// (growslice under raft.send). The slices are the library's own, but
// what they hold after a Ready is ours, so the member hands raft back
// arrays it is done with: the msgsAfterAppend array at once (its
// messages were copied into the Ready), a Messages array once every
// batch carrying its messages has been stepped by the peer. Raft appends
// into them exactly as into the arrays it would have allocated: the
// messages are the same, only their memory is reused.
//
// The fields are unexported, so their offsets are looked up once by
// reflection, with their types checked; if raft's layout ever differs,
// reuse is off and raft allocates as before (TestRaftBufferReuseIsOn
// fails).
var raftBufs = func() (o struct {
	ok                  bool
	raft, msgs, afterAp uintptr
}) {
	msgsType := reflect.TypeFor[[]pb.Message]()
	rf, ok := reflect.TypeFor[raft.RawNode]().FieldByName("raft")
	if !ok || rf.Type.Kind() != reflect.Pointer || rf.Type.Elem().Kind() != reflect.Struct {
		return o
	}
	mf, ok1 := rf.Type.Elem().FieldByName("msgs")
	af, ok2 := rf.Type.Elem().FieldByName("msgsAfterAppend")
	if !ok1 || !ok2 || mf.Type != msgsType || af.Type != msgsType {
		return o
	}
	o.ok, o.raft, o.msgs, o.afterAp = true, rf.Offset, mf.Offset, af.Offset
	return o
}()

// raftMsgSlices returns raft's msgs and msgsAfterAppend slices inside rn.
func raftMsgSlices(rn *raft.RawNode) (msgs, after *[]pb.Message) {
	r := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(rn), raftBufs.raft))
	return (*[]pb.Message)(unsafe.Add(r, raftBufs.msgs)), (*[]pb.Message)(unsafe.Add(r, raftBufs.afterAp))
}

// msgArray is a Ready's Messages array while batches still read it: the
// Ready's owner holds one reference until it has sent, each batch one
// until its peer has stepped it.
type msgArray struct {
	msgs []pb.Message
	refs int
	next *msgArray
}

// msgBatch is the messages of one Ready to one peer, delivered together.
// Batches are recycled by the cluster once stepped.
type msgBatch struct {
	msgs []pb.Message
	arr  *msgArray   // the array msgs lies in, nil if not recycled
	ents []*entArray // the recycled entry arrays msgs carry entries from
	next *msgBatch
}

// msgPool recycles batches, message arrays and their holders across the
// cluster's members.
type msgPool struct {
	batches *msgBatch
	holders *msgArray
	free    [][]pb.Message // arrays no batch reads any more, length 0
	ents    entPool        // unstable entry arrays (entbuf.go)
}

// maxFreeArrays bounds the arrays kept for reuse.
const maxFreeArrays = 64

// newBatch returns a batch of msgs from arr, carrying entries from the
// recycled arrays the member m has them in.
func (p *msgPool) newBatch(msgs []pb.Message, arr *msgArray, m *Member) *msgBatch {
	b := p.batches
	if b == nil {
		b = &msgBatch{}
	} else {
		p.batches, b.next = b.next, nil
	}
	b.msgs, b.arr = msgs, arr
	if arr != nil {
		arr.refs++
	}
	b.ents = m.entArraysOf(msgs, b.ents[:0])
	for _, a := range b.ents {
		a.refs++
	}
	return b
}

// freeBatch recycles a stepped (or undeliverable) batch. A batch to a
// crashed member is never freed: the collector takes it and its array.
func (p *msgPool) freeBatch(b *msgBatch) {
	if b.arr != nil {
		p.release(b.arr)
	}
	for _, a := range b.ents {
		p.ents.unref(a)
	}
	clear(b.ents)
	b.msgs, b.arr, b.ents = nil, nil, b.ents[:0]
	b.next, p.batches = p.batches, b
}

// hold wraps a Ready's Messages array, with the owner's reference.
func (p *msgPool) hold(msgs []pb.Message) *msgArray {
	if cap(msgs) == 0 || !raftBufs.ok {
		return nil
	}
	a := p.holders
	if a == nil {
		a = &msgArray{}
	} else {
		p.holders, a.next = a.next, nil
	}
	a.msgs, a.refs = msgs, 1
	return a
}

// release drops one reference; the last one frees the array for raft.
func (p *msgPool) release(a *msgArray) {
	if a == nil {
		return
	}
	a.refs--
	if a.refs > 0 {
		return
	}
	if len(p.free) < maxFreeArrays {
		clear(a.msgs) // drop the old messages' references
		p.free = append(p.free, a.msgs[:0])
	}
	a.msgs = nil
	a.next, p.holders = p.holders, a
}

// refill gives raft arrays to build the next Ready's messages in, after
// Ready took the previous ones. after is the msgsAfterAppend array raft
// had before Ready: its messages were copied, it is free at once.
func (p *msgPool) refill(rn *raft.RawNode, after []pb.Message) {
	if !raftBufs.ok {
		return
	}
	msgs, afterAp := raftMsgSlices(rn)
	if *msgs == nil {
		if n := len(p.free); n > 0 {
			*msgs, p.free = p.free[n-1], p.free[:n-1]
		}
	}
	if *afterAp == nil && cap(after) > 0 {
		clear(after)
		*afterAp = after[:0]
	}
}
