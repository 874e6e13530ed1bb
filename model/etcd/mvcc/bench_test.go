package mvcc

import (
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
