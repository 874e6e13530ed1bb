// Package mvcctest is test support for package mvcc and its users: a
// deterministic random command stream (Commands) and a harness that runs
// commands through a real three-node github.com/hashicorp/raft cluster in a
// testing/synctest bubble, each node applying them to an mvcc.Store
// (RunHashicorp), plus a measurement of hashicorp/raft's leaderless window
// after a leader fails (HashicorpLeaderlessWindows).
//
// It is for tests only: the hashicorp harness runs goroutines and
// hashicorp/raft's own timers (in a bubble's virtual time) and its election
// jitter comes from the global math/rand, so runs are not reproducible —
// only their end states are compared. Commands is deterministic.
package mvcctest

import (
	"math/rand/v2"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

// commandStream is the second word of the PCG seed, naming this stream.
const commandStream = 0x6d7663632d636d64 // "mvcc-cmd"

// Command mix, in percent of the commands.
const (
	pctCreate     = 20 // txn If(mod_revision == 0) Then(Put): conflicts if the key exists
	pctCAS        = 35 // If(mod_revision == current) Then(Put); one in five uses a stale revision
	pctBlindPut   = 15 // unconditional put
	pctDelete     = 20 // delete, half of them conditional on the current revision
	pctCompact    = 5  // compaction to a recent revision (sometimes an already compacted one)
	pctAlarmOn    = 1  // NOSPACE alarm raised by member 1 or 2
	pctAlarmOff   = 4  // NOSPACE alarm cleared for member 1 or 2
	keysPerKind   = 16 // Leases and ConfigMaps
	nodeKeys      = 8
	maxValueBytes = 4000
)

// Commands returns n commands, deterministic for seed, over 40 keys (16
// Leases, 16 ConfigMaps, 8 Nodes): creates (CompareModRev 0), CAS updates
// against the key's current mod revision — one in five deliberately stale
// — blind puts, deletes (half conditional), compactions to within 20
// revisions of the current one, and occasional NOSPACE alarm raises and
// clears. Compare revisions are taken from a store that applies the stream
// as it is generated, so applied in order the stream has both successful
// and failed compares. IDs are 1..n. The randomness is a PCG seeded with
// (seed, a constant naming this stream); nothing global.
func Commands(seed uint64, n int) []mvcc.Command {
	rng := rand.New(rand.NewPCG(seed, commandStream))
	s := mvcc.NewStore(mvcc.Config{})
	out := make([]mvcc.Command, 0, n)
	for i := range n {
		var k mvcc.Key
		switch r := rng.IntN(2*keysPerKind + nodeKeys); {
		case r < keysPerKind:
			k = mvcc.KeyOf(api.Leases, int32(r))
		case r < 2*keysPerKind:
			k = mvcc.KeyOf(api.ConfigMaps, int32(r-keysPerKind))
		default:
			k = mvcc.KeyOf(api.Nodes, int32(r-2*keysPerKind))
		}
		cur, found, _ := s.Get(k, 0)
		c := mvcc.Command{Op: mvcc.CmdTxn, ID: uint64(i + 1), Key: k, CompareModRev: mvcc.NoCompare, Then: mvcc.TxnPut,
			Value: api.Object{Resource: k.Resource(), ID: k.ID(), Size: int32(100 + rng.IntN(maxValueBytes)),
				RenewTime: sim.Time(i + 1), Ready: api.ConditionStatus(rng.IntN(3))}}
		switch p := rng.IntN(100); {
		case p < pctCreate:
			c.CompareModRev = 0
		case p < pctCreate+pctCAS:
			c.CompareModRev = cur.ModRevision
			if found && rng.IntN(5) == 0 {
				c.CompareModRev -= 1 + rng.Int64N(5)
			}
		case p < pctCreate+pctCAS+pctBlindPut:
		case p < pctCreate+pctCAS+pctBlindPut+pctDelete:
			c.Then, c.Value = mvcc.TxnDelete, api.Object{}
			if rng.IntN(2) == 0 {
				c.CompareModRev = cur.ModRevision
			}
		case p < pctCreate+pctCAS+pctBlindPut+pctDelete+pctCompact:
			c = mvcc.Command{Op: mvcc.CmdCompact, ID: c.ID, Revision: max(1, s.Rev()-rng.Int64N(20))}
		case p < pctCreate+pctCAS+pctBlindPut+pctDelete+pctCompact+pctAlarmOn:
			c = mvcc.Command{Op: mvcc.CmdAlarmActivate, ID: c.ID, Member: uint64(1 + rng.IntN(2))}
		default:
			c = mvcc.Command{Op: mvcc.CmdAlarmDeactivate, ID: c.ID, Member: uint64(1 + rng.IntN(2))}
		}
		s.Apply(&c)
		out = append(out, c)
	}
	return out
}
