package mvcc

import (
	"math/rand/v2"
	"testing"

	"github.com/orrery-sim/orrery/model/api"
)

// BenchmarkApplyPut: round-robin updates of 10k Leases (the kubelets'
// heartbeat pattern), each a CAS txn as the API server sends, with a
// compaction every 10k writes that keeps the last 5k revisions (the API
// server compacts every 5 minutes).
func BenchmarkApplyPut(b *testing.B) {
	const keys = 10_000
	s := NewStore(Config{QuotaBytes: DefaultQuotaBytes})
	cmd := Command{Op: CmdTxn, Then: TxnPut, Value: api.Object{Resource: api.Leases, Size: 300}}
	mod := make([]int64, keys)
	apply := func(i int) {
		k := i % keys
		cmd.Key = KeyOf(api.Leases, int32(k))
		cmd.CompareModRev = mod[k]
		cmd.Value.ID = int32(k)
		cmd.Value.RenewTime++
		r := s.Apply(&cmd)
		if !r.Succeeded || r.Err != nil {
			b.Fatalf("put %d: %+v", i, r)
		}
		mod[k] = r.Revision
		if i%10_000 == 9_999 {
			s.ApplyAndFree(&Command{Op: CmdCompact, Revision: s.Rev() - 5_000})
		}
	}
	for i := range 3 * keys { // create every key and reach steady state
		apply(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		apply(3*keys + i)
	}
}

// BenchmarkRangePrefix lists 10k current keys.
func BenchmarkRangePrefix(b *testing.B) {
	s := NewStore(Config{})
	for i := range 10_000 {
		s.Apply(&Command{Op: CmdTxn, Key: KeyOf(api.Leases, int32(i)), CompareModRev: NoCompare, Then: TxnPut})
	}
	start, end := PrefixRange(api.Leases)
	b.ReportAllocs()
	for b.Loop() {
		s.Range(start, end, 0, 0, func(*KeyValue) bool { return true })
	}
}

// BenchmarkApplyPutCold: three stores (the members) apply the same
// random-order updates of 10k Leases and 5k Nodes, with 32 MiB of other
// memory touched between applies, as the rest of a simulation does: the
// cost is cache misses on each key's index entry, which the warm
// BenchmarkApplyPut hides. The figure includes the touching (~90ns).
func BenchmarkApplyPutCold(b *testing.B) {
	const keys = 15_000
	var stores [3]*Store
	for i := range stores {
		stores[i] = NewStore(Config{QuotaBytes: DefaultQuotaBytes})
	}
	thrash := make([]uint64, 4<<20) // 32 MiB
	r := rand.New(rand.NewPCG(1, 2))
	cmd := Command{Op: CmdTxn, Then: TxnPut, CompareModRev: NoCompare, Value: api.Object{Size: 300}}
	var sink uint64
	n := 0
	apply := func() {
		k := r.IntN(keys)
		res := api.Leases
		if k >= 10_000 {
			res = api.Nodes
		}
		cmd.Key = KeyOf(res, int32(k%10_000))
		cmd.Value.Resource, cmd.Value.ID = res, int32(k%10_000)
		cmd.Value.RenewTime++
		for _, s := range stores {
			for j := 0; j < 8; j++ {
				sink += thrash[r.IntN(len(thrash))]
			}
			rr := s.Apply(&cmd)
			if !rr.Succeeded {
				b.Fatal("failed")
			}
		}
		n++
		if n%150_000 == 0 {
			for _, s := range stores {
				s.ApplyAndFree(&Command{Op: CmdCompact, Revision: s.Rev() - 150_000})
			}
		}
	}
	for range 300_000 {
		apply()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		apply()
	}
	_ = sink
}
