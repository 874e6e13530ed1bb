package sim

import (
	"fmt"
	"time"
)

// EndpointID names a network endpoint by a small integer.
type EndpointID int32

// StreamID names a stream. IDs are never reused within a run.
type StreamID int32

// NoEndpoint and NoStream mark events that did not come over the network.
const (
	NoEndpoint EndpointID = -1
	NoStream   StreamID   = -1
)

// KindStreamClosed is the event kind an endpoint receives when one of its
// streams is gone: closed by the peer, or broken after a partition outlasted
// failure detection. Components must not use negative kinds of their own.
const KindStreamClosed int32 = -1

// Network carries messages between endpoints with sampled one-way latency,
// random loss, and partitions that are set and healed at virtual times.
//
// Unary messages (requests, responses) are subject to loss and to the cuts in
// force when they are sent: a message sent across a cut is dropped, and its
// sender finds out only by its own timeout. Streams (watches) are ordered and
// lossless like a TCP connection: across a cut they stall, and either resume
// when the cut heals or break once the cut has lasted the failure-detection
// time, at which point both ends receive KindStreamClosed.
type Network struct {
	eng      *Engine
	rng      *Rand
	names    []string
	handlers []Handler
	byName   map[string]EndpointID

	dist   Dist
	links  [][]link // by the lower endpoint of the pair: the overrides it has
	loss   float64
	detect time.Duration

	partitions []*partition
	nextPartID int
	streams    []stream
	openCount  int
	breaker    streamBreaker

	Stats NetworkStats
}

// link is a latency override between an endpoint and a higher one.
type link struct {
	to   EndpointID
	dist Dist
}

// NetworkStats counts what happened to messages.
type NetworkStats struct {
	Sent, Lost, Cut, Delivered   uint64
	StreamsOpened, StreamsBroken uint64
}

// PartitionID names an active partition.
type PartitionID int

type partition struct {
	id   PartitionID
	side []uint8 // per endpoint: 0 uninvolved, 1 side A, 2 side B
	rest bool    // endpoints not on side A are on side B
	name string
}

type stream struct {
	ends         [2]EndpointID // 0: opener, 1: acceptor
	open         bool
	stalled      bool
	stalledSince Time
	lastDeliver  [2]Time // per direction, for FIFO order
	held         []Event
}

// NewNetwork returns a network on eng with the given default latency.
func NewNetwork(eng *Engine, latency Dist) *Network {
	n := &Network{eng: eng, rng: eng.Rand("sim/network"), dist: latency, byName: map[string]EndpointID{}, detect: 45 * time.Second}
	n.breaker.n = n
	return n
}

// SetLoss sets the probability that a unary message is lost.
func (n *Network) SetLoss(p float64) { n.loss = p }

// SetFailureDetection sets how long a stalled stream waits before breaking.
func (n *Network) SetFailureDetection(d time.Duration) { n.detect = d }

// FailureDetection is how long a connection to an unreachable peer takes to
// be declared dead.
func (n *Network) FailureDetection() time.Duration { return n.detect }

// SetLinkLatency overrides the latency between a and b, both ways.
func (n *Network) SetLinkLatency(a, b EndpointID, d Dist) {
	lo, hi := min(a, b), max(a, b)
	for int(lo) >= len(n.links) {
		n.links = append(n.links, nil)
	}
	for i := range n.links[lo] {
		if n.links[lo][i].to == hi {
			n.links[lo][i].dist = d
			return
		}
	}
	n.links[lo] = append(n.links[lo], link{to: hi, dist: d})
}

// AddEndpoint registers a named endpoint whose messages go to h.
func (n *Network) AddEndpoint(name string, h Handler) EndpointID {
	if _, dup := n.byName[name]; dup {
		panic(fmt.Sprintf("sim: duplicate endpoint %q", name))
	}
	id := EndpointID(len(n.names))
	n.names = append(n.names, name)
	n.handlers = append(n.handlers, h)
	n.byName[name] = id
	for _, p := range n.partitions {
		p.side = append(p.side, 0)
	}
	return id
}

// Endpoint looks an endpoint up by name.
func (n *Network) Endpoint(name string) (EndpointID, bool) {
	id, ok := n.byName[name]
	return id, ok
}

// Name returns an endpoint's name.
func (n *Network) Name(id EndpointID) string { return n.names[id] }

// sample draws the latency from one endpoint to another. Overrides are
// few (the etcd members' links), so a short scan of the lower endpoint's
// list beats a map lookup on every message.
func (n *Network) sample(from, to EndpointID) time.Duration {
	lo, hi := min(from, to), max(from, to)
	if int(lo) < len(n.links) {
		for _, l := range n.links[lo] {
			if l.to == hi {
				return l.dist.Sample(n.rng)
			}
		}
	}
	return n.dist.Sample(n.rng)
}

// Reachable reports whether no active partition separates a and b.
func (n *Network) Reachable(a, b EndpointID) bool {
	for _, p := range n.partitions {
		sa, sb := p.sideOf(a), p.sideOf(b)
		if sa != 0 && sb != 0 && sa != sb {
			return false
		}
	}
	return true
}

func (p *partition) sideOf(e EndpointID) uint8 {
	s := p.side[e]
	if s == 0 && p.rest {
		return 2
	}
	return s
}

// Send sends a unary message; it reports whether the message is on its way
// (false: lost or cut). The target receives ev with From, To and At set.
func (n *Network) Send(from, to EndpointID, kind int32, a, b int64, data any) bool {
	return n.SendAfter(0, from, to, kind, a, b, data)
}

// SendAfter is Send for a message that leaves after delay of local work
// (a computed cost, so the sender needs no event of its own to finish it).
// Loss and cuts are judged now.
func (n *Network) SendAfter(delay time.Duration, from, to EndpointID, kind int32, a, b int64, data any) bool {
	n.Stats.Sent++
	if !n.Reachable(from, to) {
		n.Stats.Cut++
		return false
	}
	if n.loss > 0 && n.rng.Bernoulli(n.loss) {
		n.Stats.Lost++
		return false
	}
	n.Stats.Delivered++
	// By pointer: see Engine.schedule.
	n.eng.schedule(&Event{At: n.eng.now.Add(delay + n.sample(from, to)), Target: n.handlers[to], Kind: kind, From: from, To: to, Stream: NoStream, A: a, B: b, Data: data}, PriorityDefault, nil)
	return true
}

// Partition cuts the endpoints in a off from those in b, or from every other
// endpoint when b is nil. It returns the partition's id for Heal.
func (n *Network) Partition(name string, a, b []EndpointID) PartitionID {
	p := &partition{id: PartitionID(n.nextPartID), side: make([]uint8, len(n.names)), rest: b == nil, name: name}
	n.nextPartID++
	for _, e := range a {
		p.side[e] = 1
	}
	for _, e := range b {
		p.side[e] = 2
	}
	n.partitions = append(n.partitions, p)
	for i := range n.streams {
		s := &n.streams[i]
		if s.open && !s.stalled && !n.Reachable(s.ends[0], s.ends[1]) {
			n.stall(StreamID(i))
		}
	}
	return p.id
}

// Heal removes a partition. Stalled streams whose ends can reach each other
// again resume, delivering what they held in order.
func (n *Network) Heal(id PartitionID) {
	for i, p := range n.partitions {
		if p.id == id {
			n.partitions = append(n.partitions[:i], n.partitions[i+1:]...)
			break
		}
	}
	for i := range n.streams {
		s := &n.streams[i]
		if s.open && s.stalled && n.Reachable(s.ends[0], s.ends[1]) {
			s.stalled = false
			held := s.held
			s.held = nil
			for j := range held {
				held[j].At = 0 // the sender's local delay is long over
				n.deliverOnStream(StreamID(i), &held[j])
			}
		}
	}
}

// OpenStream opens an ordered stream from opener to acceptor. The caller
// (usually the acceptor's component, on a request that asked for a stream)
// owns its lifetime. A stream opened across a cut starts stalled.
func (n *Network) OpenStream(opener, acceptor EndpointID) StreamID {
	id := StreamID(len(n.streams))
	n.streams = append(n.streams, stream{ends: [2]EndpointID{opener, acceptor}, open: true})
	n.openCount++
	n.Stats.StreamsOpened++
	if !n.Reachable(opener, acceptor) {
		n.stall(id)
	}
	return id
}

// StreamOpen reports whether a stream is still open.
func (n *Network) StreamOpen(id StreamID) bool { return id >= 0 && n.streams[id].open }

// StreamEnds returns the opener and the acceptor of a stream.
func (n *Network) StreamEnds(id StreamID) (opener, acceptor EndpointID) {
	s := &n.streams[id]
	return s.ends[0], s.ends[1]
}

// SendStream sends a message on a stream from one of its ends to the other.
// It reports false if the stream is closed.
func (n *Network) SendStream(id StreamID, from EndpointID, kind int32, a, b int64, data any) bool {
	return n.SendStreamAfter(0, id, from, kind, a, b, data)
}

// SendStreamAfter is SendStream for a message that leaves after delay of
// local work. Order on the stream is kept: a message never overtakes one
// sent before it.
func (n *Network) SendStreamAfter(delay time.Duration, id StreamID, from EndpointID, kind int32, a, b int64, data any) bool {
	s := &n.streams[id]
	if !s.open {
		return false
	}
	to := s.ends[0]
	if from == to {
		to = s.ends[1]
	}
	ev := &Event{Target: n, Kind: kind, From: from, To: to, Stream: id, A: a, B: b, Data: data, At: Time(delay)}
	if s.stalled {
		s.held = append(s.held, *ev)
		return true
	}
	n.deliverOnStream(id, ev)
	return true
}

// deliverOnStream schedules *ev (which it changes) on stream id.
func (n *Network) deliverOnStream(id StreamID, ev *Event) {
	s := &n.streams[id]
	dir := 0
	if ev.From == s.ends[1] {
		dir = 1
	}
	// ev.At holds the sender's local delay until the message is scheduled.
	at := n.eng.now.Add(time.Duration(ev.At) + n.sample(ev.From, ev.To))
	if at < s.lastDeliver[dir] {
		at = s.lastDeliver[dir]
	}
	s.lastDeliver[dir] = at
	ev.At = at
	n.eng.schedule(ev, PriorityDefault, nil)
}

// CloseStream closes a stream from one end; the other end receives
// KindStreamClosed one latency later if it can be reached, or after failure
// detection if not.
func (n *Network) CloseStream(id StreamID, by EndpointID) {
	s := &n.streams[id]
	if !s.open {
		return
	}
	n.shut(id)
	peer := s.ends[0]
	if by == peer {
		peer = s.ends[1]
	}
	delay := n.detect
	if n.Reachable(by, peer) {
		delay = n.sample(by, peer)
	}
	n.eng.Schedule(Event{At: n.eng.now.Add(delay), Target: n.handlers[peer], Kind: KindStreamClosed, From: by, To: peer, Stream: id})
}

func (n *Network) shut(id StreamID) {
	s := &n.streams[id]
	s.open, s.stalled, s.held = false, false, nil
	n.openCount--
}

func (n *Network) stall(id StreamID) {
	s := &n.streams[id]
	s.stalled, s.stalledSince = true, n.eng.now
	n.eng.Schedule(Event{At: n.eng.now.Add(n.detect), Target: &n.breaker, Stream: id, From: NoEndpoint, To: NoEndpoint})
}

// EndStreamAfter ends a stream from one end after delay of local work,
// gracefully: the peer receives KindStreamClosed after every message sent
// on the stream before it, as a server finishing a response (HTTP/2
// END_STREAM) rather than resetting it. The stream closes when the end
// reaches the peer.
func (n *Network) EndStreamAfter(delay time.Duration, id StreamID, by EndpointID) {
	n.SendStreamAfter(delay, id, by, KindStreamClosed, 0, 0, nil)
}

// Handle delivers stream messages, dropping those of streams closed
// meanwhile; a graceful end closes the stream as it is delivered.
func (n *Network) Handle(ev *Event) {
	if !n.streams[ev.Stream].open {
		return
	}
	if ev.Kind == KindStreamClosed {
		n.shut(ev.Stream)
	}
	n.handlers[ev.To].Handle(ev)
}

// streamBreaker breaks streams that stayed stalled for the detection time.
type streamBreaker struct{ n *Network }

func (b *streamBreaker) Handle(ev *Event) {
	n := b.n
	s := &n.streams[ev.Stream]
	if !s.open || !s.stalled || n.eng.now < s.stalledSince.Add(n.detect) {
		return
	}
	n.shut(ev.Stream)
	n.Stats.StreamsBroken++
	for _, end := range s.ends {
		n.eng.Schedule(Event{At: n.eng.now, Target: n.handlers[end], Kind: KindStreamClosed, From: NoEndpoint, To: end, Stream: ev.Stream})
	}
}

// OpenStreams is the number of open streams.
func (n *Network) OpenStreams() int { return n.openCount }
