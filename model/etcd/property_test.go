package etcd

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

const (
	kindNextWrite int32 = api.KindPrivate + 90 + iota
	kindChaos
)

// writer keeps one write in flight per key; each write carries a sequence
// number in RenewTime. acked[k] is the highest sequence acknowledged OK.
type writer struct {
	e       *env
	stopped bool
	seq     []int64
	acked   []int64
	byOp    map[*api.StorageOp]int
}

func (w *writer) Handle(ev *sim.Event) {
	k := int(ev.A)
	if w.stopped {
		return
	}
	w.seq[k]++
	op := &api.StorageOp{Kind: api.OpPut, Resource: api.Leases, ID: int32(k), Value: api.Object{Size: 300, RenewTime: sim.Time(w.seq[k])}, Origin: &api.Request{}}
	w.byOp[op] = k
	w.e.cl.Call(0, op)
}

func (w *writer) done(op *api.StorageOp) {
	k, ok := w.byOp[op]
	if !ok {
		return
	}
	delete(w.byOp, op)
	if op.Err == 0 {
		w.acked[k] = max(w.acked[k], int64(op.Value.RenewTime))
	}
	w.e.eng.Schedule(sim.Event{At: w.e.eng.Now().Add(20 * time.Millisecond), Target: w, Kind: kindNextWrite, A: int64(k), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

// chaos crashes, restarts, partitions and heals members at random, and
// checks that a minority side never advances its commit index.
type chaos struct {
	t     *testing.T
	e     *env
	rng   *sim.Rand
	parts []sim.PartitionID
	// during a partition: the minority members and the highest commit
	// index anyone had when it started.
	minority  []*Member
	commitCap uint64
}

func (ch *chaos) Handle(ev *sim.Event) {
	ch.checkMinority()
	e := ch.e
	ms := e.c.Members
	switch ch.rng.IntN(4) {
	case 0:
		ms[ch.rng.IntN(len(ms))].Crash()
	case 1:
		for _, m := range ms {
			m.Restart()
		}
	case 2:
		ch.heal()
		var a, b []sim.EndpointID
		var sideA []*Member
		for _, m := range ms {
			if ch.rng.Bernoulli(0.5) {
				a, sideA = append(a, m.self), append(sideA, m)
			} else {
				b = append(b, m.self)
			}
		}
		if len(a) > 0 && len(b) > 0 {
			ch.parts = append(ch.parts, e.net.Partition("chaos", a, b))
			ch.minority = sideA
			if len(a) > len(ms)/2 {
				ch.minority = nil
				for _, m := range ms {
					if !containsMember(sideA, m) {
						ch.minority = append(ch.minority, m)
					}
				}
			}
			// Entries already on their way to a quorum when the cut
			// came may still commit; nothing proposed after it may.
			ch.commitCap = 0
			for _, m := range ms {
				last, _ := m.wal.LastIndex()
				for _, en := range m.inflight.Entries {
					last = max(last, en.Index)
				}
				ch.commitCap = max(ch.commitCap, last)
			}
			e.c.Recheck()
		}
	case 3:
		ch.heal()
	}
	if ev.A > 0 {
		e.eng.Schedule(sim.Event{At: e.eng.Now().Add(time.Duration(500+ch.rng.IntN(2500)) * time.Millisecond), Target: ch, Kind: kindChaos, A: ev.A - 1, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
}

func (ch *chaos) checkMinority() {
	for _, m := range ch.minority {
		if m.commit > ch.commitCap {
			ch.t.Errorf("%s advanced its commit index to %d inside a minority (cap %d)", m.name, m.commit, ch.commitCap)
		}
	}
}

func (ch *chaos) heal() {
	ch.checkMinority()
	for _, p := range ch.parts {
		ch.e.net.Heal(p)
	}
	ch.parts, ch.minority = nil, nil
	ch.e.c.Recheck()
}

func containsMember(list []*Member, m *Member) bool {
	for _, x := range list {
		if x == m {
			return true
		}
	}
	return false
}

type propertyEnv struct {
	*env
	w *writer
}

func (p *propertyEnv) StorageDone(op *api.StorageOp) { p.w.done(op) }

// TestPropertyNoAcknowledgedWriteLost runs random crashes and partitions
// under a steady writer, then heals everything and checks Raft's promises.
func TestPropertyNoAcknowledgedWriteLost(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 8
	}
	unadopted := 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		members := []int{3, 5}[seed%2]
		e := &env{eng: sim.NewEngine(seed), rec: sim.NewRecorder(time.Second)}
		e.net = sim.NewNetwork(e.eng, sim.Uniform{Min: 200 * time.Microsecond, Max: time.Millisecond})
		cfg := testConfig(members)
		cfg.WALFsync = sim.NewLogNormal(2*time.Millisecond, 10*time.Millisecond)
		cfg.SnapshotCount = 500 // exercise log compaction and snapshots too
		e.c = New(e.eng, e.net, e.rec, cfg)
		const keys = 8
		w := &writer{e: e, seq: make([]int64, keys), acked: make([]int64, keys), byOp: map[*api.StorageOp]int{}}
		pe := &propertyEnv{env: e, w: w}
		e.cl = NewClient(e.c, pe, "apiserver", 0)
		e.cl.Start()
		for k := 0; k < keys; k++ {
			e.eng.Schedule(sim.Event{At: sim.Time(k) * sim.Time(time.Millisecond), Target: w, Kind: kindNextWrite, A: int64(k), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
		}
		ch := &chaos{t: t, e: e, rng: e.eng.Rand("chaos")}
		e.eng.Schedule(sim.Event{At: sim.Time(time.Second), Target: ch, Kind: kindChaos, A: 15, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
		e.run(t, 40*time.Second)
		ch.heal()
		for _, m := range e.c.Members {
			m.Restart()
		}
		e.run(t, 60*time.Second)
		w.stopped = true
		e.run(t, 90*time.Second)
		RestoreRandom()
		unadopted += e.c.pool.ents.unadopted

		if n := e.c.SplitBrains(); n != 0 {
			t.Errorf("seed %d: %d terms with two leaders", seed, n)
		}
		ref := e.c.Members[0].kv
		for _, m := range e.c.Members {
			if m.kv.Digest() != ref.Digest() {
				t.Errorf("seed %d: %s (rev %d) differs from etcd-0 (rev %d) after healing", seed, m.name, m.kv.Rev(), ref.Rev())
			}
			for k := 0; k < keys; k++ {
				var got int64
				m.kv.Range(mvcc.KeyOf(api.Leases, int32(k)), 0, 0, 1, func(kv *mvcc.KeyValue) bool {
					got = int64(kv.Value.RenewTime)
					return false
				})
				if got < w.acked[k] {
					t.Errorf("seed %d: %s key %d holds write %d, but write %d was acknowledged", seed, m.name, k, got, w.acked[k])
				}
			}
		}
		total := int64(0)
		for _, a := range w.acked {
			total += a
		}
		if total < 100 {
			t.Errorf("seed %d: only %d acknowledged writes: the property is checked on too little", seed, total)
		}
	}
	if unadopted == 0 {
		// The chaos should make some follower replace its unstable log
		// with a leader's entries (entbuf.go unadopt).
		t.Errorf("no follower adopted entries from a recycled array in %d seeds: that path went unchecked", seeds)
	}
}
