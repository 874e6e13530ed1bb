package etcd

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/sim"
)

// Owner is the process a Client lives in (the API server): it gets the
// answers to its calls and the watch events, by direct call.
type Owner interface {
	StorageDone(op *api.StorageOp)
	Observe(ev *api.WatchEvent)
}

// OpRecycler is an Owner that reuses its ops. The client hands an op
// back through RecycleOp once nothing can touch it any more: the member
// that held it answered it, the op never went to another member, and the
// owner is done with it (StorageDone returned with op.Origin nil). An op
// failed by the client (a lost connection, no endpoint) or failed over to
// another member is never handed back: a member may still hold it.
type OpRecycler interface {
	RecycleOp(op *api.StorageOp)
}

// Client is clientv3 inside the API server: one connection per member,
// unary calls spread round-robin over the connected members (gRPC's
// round_robin policy, client/v3/internal/resolver), one watch stream that
// moves to another member when its member goes away, redials with gRPC's
// backoff, and the API server's compactor.
//
// It lives in the API server's process: the owner calls it and it calls
// the owner directly; it reaches members only over the network.
type Client struct {
	c        *Cluster
	eng      *sim.Engine
	net      *sim.Network
	self     sim.EndpointID
	name     string
	rng      *sim.Rand
	owner    Owner
	recycler OpRecycler // owner, if it reuses ops

	conns   []sim.StreamID // per member, NoStream when not connected
	backoff []time.Duration
	redial  []bool // a redial timer is pending
	rr      int

	inflight []inflightCall

	watchMember int
	watchStream sim.StreamID
	watchRev    int64 // the next revision the watch wants

	compactEvery time.Duration
	compactor    compactor

	calls       *sim.Counter
	failovers   *sim.Counter
	watchMoves  *sim.Counter
	compactions *sim.Counter
	latency     *api.LatencyByRequest
}

type inflightCall struct {
	op      *api.StorageOp
	member  int
	sent    sim.Time
	retried bool // failed over from another member, which may still hold op
}

const (
	kindRedial int32 = api.KindPrivate + 60 + iota // timer, A = member
	kindCompactTick
)

// gRPC's default connection backoff: 1s base, ×1.6, 20% jitter, 120s cap
// (google.golang.org/grpc/backoff DefaultConfig).
const (
	dialBaseDelay  = time.Second
	dialMultiplier = 1.6
	dialJitter     = 0.2
	dialMaxDelay   = 120 * time.Second
)

// NewClient makes the owner's client of cluster c, connected to every
// running member and watching every change from the current revision on
// the first member (the state of an API server that was already running).
// compactEvery is --etcd-compaction-interval (0: no compactor).
func NewClient(c *Cluster, owner Owner, name string, compactEvery time.Duration) *Client {
	cl := &Client{c: c, eng: c.eng, net: c.net, name: name, owner: owner, rng: c.eng.Rand(name), compactEvery: compactEvery}
	cl.recycler, _ = owner.(OpRecycler)
	cl.self = c.net.AddEndpoint(name, cl)
	cl.calls = c.rec.Counter("etcd_client_calls_total")
	cl.failovers = c.rec.Counter("etcd_client_failovers_total")
	cl.watchMoves = c.rec.Counter("etcd_client_watch_restarts_total")
	cl.compactions = c.rec.Counter("apiserver_etcd_compactions_total")
	cl.latency = api.NewLatencyByRequest(c.rec, "etcd_request_duration_seconds")
	for _, m := range c.Members {
		s := c.net.OpenStream(cl.self, m.self)
		m.conns = append(m.conns, s)
		cl.conns = append(cl.conns, s)
		cl.backoff = append(cl.backoff, dialBaseDelay)
		cl.redial = append(cl.redial, false)
	}
	cl.watchStream = sim.NoStream
	return cl
}

// Start opens the watch from the cluster's current revision and starts the
// compactor: call it once the initial state is seeded.
func (cl *Client) Start() {
	cl.watchRev = cl.c.Revision() + 1
	cl.startWatch(0)
	if cl.compactEvery > 0 {
		cl.eng.After(cl.compactEvery, cl, kindCompactTick, 0)
	}
}

// Endpoint is the client's network endpoint.
func (cl *Client) Endpoint() sim.EndpointID { return cl.self }

// Call sends op to a connected member after delay of local work.
func (cl *Client) Call(after time.Duration, op *api.StorageOp) { cl.call(after, op, false) }

func (cl *Client) call(after time.Duration, op *api.StorageOp, retried bool) {
	cl.calls.Inc()
	i := cl.pick()
	if i < 0 {
		// clientv3 ErrNoAvailableEndpoints (client/v3/client.go).
		op.Err, op.Reason = api.InternalError, "etcdclient: no available endpoints"
		cl.owner.StorageDone(op)
		return
	}
	cl.inflight = append(cl.inflight, inflightCall{op: op, member: i, sent: cl.eng.Now().Add(after), retried: retried})
	cl.net.SendAfter(after, cl.self, cl.c.Members[i].self, api.KindStorageOp, 0, 0, op)
}

// pick is the next connected member, round-robin; -1 if none.
func (cl *Client) pick() int {
	n := len(cl.conns)
	for k := 0; k < n; k++ {
		i := (cl.rr + k) % n
		if cl.conns[i] != sim.NoStream {
			cl.rr = i + 1
			return i
		}
	}
	return -1
}

// Handle takes member answers, watch events and the client's timers.
func (cl *Client) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindStorageOp:
		op := ev.Data.(*api.StorageOp)
		call, ok := cl.takeInflight(op)
		if !ok {
			return // answered after the call was already failed
		}
		if op.Origin == nil { // the compactor's own calls
			cl.compactor.done(cl, op)
			return
		}
		cl.latency.Get(verbOf(op), op.Resource).Observe(cl.eng.Now().Sub(call.sent))
		cl.owner.StorageDone(op)
		if cl.recycler != nil && !call.retried && op.Origin == nil {
			cl.recycler.RecycleOp(op)
		}
	case api.KindWatchEvent:
		if ev.Stream != cl.watchStream {
			return
		}
		we := ev.Data.(*api.WatchEvent)
		cl.watchRev = we.Object.ResourceVersion + 1
		if we.Object.Resource < api.NumResources { // not compact_rev_key
			cl.owner.Observe(we)
		}
	case kindWatchCompacted:
		cl.resync(ev.A)
	case kindDialOK:
		i := cl.memberOf(ev.From)
		if cl.conns[i] != sim.NoStream {
			cl.net.CloseStream(ev.Stream, cl.self)
			return
		}
		cl.conns[i] = ev.Stream
		cl.backoff[i] = dialBaseDelay
		if cl.watchStream == sim.NoStream {
			cl.startWatch(i)
		}
	case kindRedial:
		cl.dial(int(ev.A))
	case kindCompactTick:
		cl.eng.After(cl.compactEvery, cl, kindCompactTick, 0)
		cl.compactor.tick(cl)
	case sim.KindStreamClosed:
		cl.streamClosed(ev.Stream)
	}
}

func (cl *Client) memberOf(e sim.EndpointID) int {
	for i, m := range cl.c.Members {
		if m.self == e {
			return i
		}
	}
	return -1
}

func (cl *Client) takeInflight(op *api.StorageOp) (inflightCall, bool) {
	for i, c := range cl.inflight {
		if c.op == op {
			cl.inflight = append(cl.inflight[:i], cl.inflight[i+1:]...)
			return c, true
		}
	}
	return inflightCall{}, false
}

func (cl *Client) streamClosed(s sim.StreamID) {
	if s == cl.watchStream {
		cl.watchStream = sim.NoStream
		if i := cl.pickOther(cl.watchMember); i >= 0 {
			cl.startWatch(i)
		}
	}
	for i, c := range cl.conns {
		if c == s {
			cl.connectionLost(i)
		}
	}
}

// connectionLost fails or retries the calls in flight to member i and
// starts redialing it.
func (cl *Client) connectionLost(i int) {
	cl.conns[i] = sim.NoStream
	cl.c.rec.Note(cl.eng.Now(), cl.name, "lost its connection to "+cl.c.Members[i].name)
	var lost []inflightCall
	keep := cl.inflight[:0]
	for _, c := range cl.inflight {
		if c.member == i {
			lost = append(lost, c)
		} else {
			keep = append(keep, c)
		}
	}
	clear(cl.inflight[len(keep):])
	cl.inflight = keep
	for _, c := range lost {
		op := c.op
		if op.Kind == api.OpRange {
			// Immutable calls are retried on another endpoint
			// (client/v3/retry.go isSafeRetryImmutableRPC).
			cl.failovers.Inc()
			cl.call(0, op, true)
			continue
		}
		// Mutable calls are not: at-most-once (retry.go isSafeRetryMutableRPC).
		op.Err, op.Reason = api.InternalError, "rpc error: code = Unavailable desc = error reading from server: EOF"
		if op.Origin == nil {
			cl.compactor.done(cl, op)
		} else {
			cl.owner.StorageDone(op)
		}
	}
	if cl.watchStream == sim.NoStream {
		if j := cl.pickOther(i); j >= 0 {
			cl.startWatch(j)
		}
	}
	cl.scheduleRedial(i)
}

func (cl *Client) scheduleRedial(i int) {
	if cl.redial[i] {
		return
	}
	cl.redial[i] = true
	d := cl.backoff[i]
	d = time.Duration(float64(d) * (1 + dialJitter*(2*cl.rng.Float64()-1)))
	cl.backoff[i] = min(time.Duration(float64(cl.backoff[i])*dialMultiplier), dialMaxDelay)
	cl.eng.After(d, cl, kindRedial, int64(i))
}

func (cl *Client) dial(i int) {
	cl.redial[i] = false
	if cl.conns[i] != sim.NoStream {
		return
	}
	cl.net.Send(cl.self, cl.c.Members[i].self, kindDial, 0, 0, nil)
	cl.scheduleRedial(i) // if no answer comes, try again later
}

// pickOther is a connected member other than avoid, preferring the next
// ones in order; -1 if none.
func (cl *Client) pickOther(avoid int) int {
	n := len(cl.conns)
	for k := 1; k <= n; k++ {
		i := (avoid + k) % n
		if cl.conns[i] != sim.NoStream && i != avoid {
			return i
		}
	}
	return -1
}

// startWatch opens the watch on member i from the next wanted revision.
func (cl *Client) startWatch(i int) {
	if cl.conns[i] == sim.NoStream {
		return
	}
	if cl.watchStream != sim.NoStream || cl.eng.Now() > 0 {
		cl.watchMoves.Inc()
	}
	cl.watchMember = i
	cl.watchStream = cl.net.OpenStream(cl.self, cl.c.Members[i].self)
	cl.net.SendStream(cl.watchStream, cl.self, kindWatchCreate, cl.watchRev, 0, nil)
}

// resync recovers from a watch whose start revision was compacted: the
// API server's cacher relists and watches from the list's revision. The
// relist is taken from the member's store directly (a shortcut: its cost
// is not modeled).
func (cl *Client) resync(compactRev int64) {
	m := cl.c.Members[cl.watchMember]
	cl.c.rec.Note(cl.eng.Now(), cl.name, "watch start revision compacted (at "+itoa(int(compactRev))+"): relisting")
	rev, _, _ := cl.listAll(m)
	cl.watchRev = rev + 1
	cl.watchStream = sim.NoStream
	if i := cl.pickOther(-1); i >= 0 {
		cl.startWatch(i)
	}
}

// Relist refills the owner's cache from a member's store and moves the
// watch to that member from the next revision: what the API server's
// cacher does when its process starts. A shortcut like resync's: the list
// is read from the member directly, and the owner models its cost. It
// returns the objects listed and their bytes.
func (cl *Client) Relist() (objects, bytes int64) {
	i := cl.pickOther(-1)
	if i < 0 {
		i = 0
	}
	rev, objects, bytes := cl.listAll(cl.c.Members[i])
	if cl.watchStream != sim.NoStream {
		cl.net.CloseStream(cl.watchStream, cl.self)
		cl.watchStream = sim.NoStream
	}
	cl.watchRev = rev + 1
	cl.startWatch(i)
	return objects, bytes
}

// listAll hands the owner every object in m's store, as Modified events,
// and returns the store's revision and the objects and bytes listed.
func (cl *Client) listAll(m *Member) (rev, objects, bytes int64) {
	rev = m.kv.Rev()
	for r := api.Resource(0); r < api.NumResources; r++ {
		start, end := mvcc.PrefixRange(r)
		_, _, _ = m.kv.Range(start, end, 0, 0, func(kv *mvcc.KeyValue) bool {
			obj := objectOf(kv)
			objects++
			bytes += int64(obj.Size)
			cl.owner.Observe(&api.WatchEvent{Type: api.Modified, Object: obj})
			return true
		})
	}
	return rev, objects, bytes
}

func verbOf(op *api.StorageOp) api.Verb {
	switch op.Kind {
	case api.OpRange:
		return api.Get
	case api.OpCreate:
		return api.Create
	case api.OpDelete:
		return api.Delete
	}
	return api.Update
}

// compact_rev_key lives outside /registry (mvcc.CompactRevKey): watch
// events for it are not passed to the owner.
var (
	compactKeyResource = mvcc.CompactRevKey.Resource()
	compactKeyID       = mvcc.CompactRevKey.ID()
)

// compactor is the API server's etcd compactor
// (k8s.io/apiserver/pkg/storage/etcd3/compact.go): every interval it
// bumps compact_rev_key with a compare-and-swap and, if it won, compacts
// to the revision it saw one interval earlier — so about one interval of
// history is kept. The CAS is a write: under NOSPACE it fails, and the
// compactor with it.
type compactor struct {
	modRev  int64 // compact_rev_key's mod revision we last saw (0: absent)
	prevRev int64 // the revision seen at the previous tick
	busy    bool
	op      api.StorageOp
}

func (k *compactor) tick(cl *Client) {
	if k.busy {
		return
	}
	k.busy = true
	k.op = api.StorageOp{Kind: api.OpPut, Resource: compactKeyResource, ID: compactKeyID, ExpectRevision: k.modRev, Value: api.Object{Resource: compactKeyResource, ID: compactKeyID, Size: 8}}
	if k.modRev == 0 {
		k.op.Kind = api.OpCreate
	}
	cl.Call(0, &k.op)
}

func (k *compactor) done(cl *Client, op *api.StorageOp) {
	now := cl.eng.Now()
	if op.Kind == api.OpCompact {
		k.busy = false
		if op.Err == 0 {
			cl.compactions.Inc()
			cl.c.rec.Note(now, cl.name, "compacted etcd to revision "+itoa(int(op.ExpectRevision)))
		} else {
			cl.c.rec.Note(now, cl.name, "compaction failed: "+op.Reason)
		}
		return
	}
	switch {
	case op.Err == 0:
		k.modRev = op.Current.ResourceVersion
		rev := k.prevRev
		k.prevRev = op.Revision
		if rev == 0 {
			k.busy = false // no compaction on the first round
			return
		}
		k.op = api.StorageOp{Kind: api.OpCompact, ExpectRevision: rev}
		cl.Call(0, &k.op)
	case op.Err == api.Conflict:
		// Another API server compacted; follow its revision.
		k.modRev, k.prevRev = op.Current.ResourceVersion, op.Revision
		k.busy = false
	default:
		k.busy = false
		cl.c.rec.Note(now, cl.name, "compactor: "+op.Reason)
	}
}
