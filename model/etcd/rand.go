package etcd

import (
	crand "crypto/rand"
	"io"

	"github.com/orrery-sim/orrery/sim"
)

// go.etcd.io/raft/v3 draws each randomized election timeout from
// crypto/rand.Reader (raft.go resetRandomizedElectionTimeout → globalRand,
// a crypto/rand.Int over the package variable Reader). Replacing that
// variable makes elections reproducible (docs/design/etcd-model.md §3:
// 20 of 20 runs identical with a seeded reader, 20 distinct without).
//
// The reader dispatches to the stream of the member currently inside a
// raft call, so each member draws from its own seeded stream and adding a
// member does not shift the others' draws. It is process-global: one
// simulation steps Raft at a time per process (DESIGN.md).

type raftReader struct{ cur *sim.Rand }

func (r *raftReader) Read(b []byte) (int, error) {
	if r.cur == nil {
		// Not inside a member's raft call: some other user of crypto/rand.
		return savedReader.Read(b)
	}
	for i := 0; i < len(b); i += 8 {
		v := r.cur.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return len(b), nil
}

var (
	dispatch    = &raftReader{}
	savedReader io.Reader
)

// enterRaft points crypto/rand.Reader at member stream rng for the raft
// calls that follow. The first call installs the dispatcher.
func enterRaft(rng *sim.Rand) {
	if crand.Reader != io.Reader(dispatch) {
		savedReader = crand.Reader
		crand.Reader = dispatch
	}
	dispatch.cur = rng
}

// RestoreRandom puts back the crypto/rand.Reader that was installed before
// the first simulated member ran. Call it when a run is over.
func RestoreRandom() {
	if savedReader != nil && crand.Reader == io.Reader(dispatch) {
		crand.Reader = savedReader
	}
	dispatch.cur = nil
}
