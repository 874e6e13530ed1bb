package apf

import (
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// level is one priority level: for a queuing level, a queue set run by
// the fair-queuing scheduler of k8s.io/apiserver/pkg/util/flowcontrol/
// fairqueuing/queueset/queueset.go.
//
// Virtual time. R counts, per queue, the seat-time a queue would have
// received since the start if every non-empty queue were served equally:
// it advances at min(seats requested, limit) / active queues seat-seconds
// per second, where seats requested is every held and waiting seat and an
// active queue is one with a request waiting or executing. A queue's nextR
// is the R at which its next request starts in that ideal world; a
// request's work is initial seats × G + final seats × additional latency;
// the dispatcher serves the queue whose head would finish first (nextR +
// work), then adds the work to nextR. When a request ends after S instead
// of G, nextR moves by initial seats × (S − G). nextR never lags the
// arrival R of its queue's head (the anti-windup bound).
//
// Units: seat-nanoseconds in int64 (upstream: SeatSeconds, 10⁻⁸
// seat-seconds in uint64, advanced in float64). Integer arithmetic keeps
// results identical on every platform; R cannot overflow (at most
// ServerConcurrencyLimit ≤ 20000 seats × 2⁴⁸ ns), so upstream's epoch
// advance is not needed.
type level struct {
	cfg        LevelConfig
	id         LevelID
	nominalCL  int
	lendableCL int
	limit      int
	maxSeats   int

	queues       []fqueue
	hand         []int // scratch for Deal
	r            int64 // virtual time R, seat-nanoseconds
	lastSync     sim.Time
	robin        int    // the queue last dispatched from
	enqueues     uint64 // shuffle-sharding calls: rotates where a hand is read from
	activeQueues int

	waiting, seatsWaiting int // totRequestsWaiting, totSeatsWaiting
	executing, seatsInUse int // totRequestsExecuting, totSeatsInUse

	// stalled: a timed-out request left a queue since the last dispatch
	// attempt. Upstream does not dispatch on a time-out, so until the next
	// arrival or finish a request that now fits may wait (rare: only when
	// the expired request was a wide one holding up the level).
	stalled bool

	retry retryAfter
}

// fqueue is one fair queue.
type fqueue struct {
	waiting      []*Request // oldest first
	waitingWork  int64      // Σ work of the waiting requests
	waitingSeats int        // Σ seats of the waiting requests
	executing    int        // requests dispatched from here and executing
	seatsInUse   int        // seats held by requests dispatched from here (final phases included)
	nextR        int64
}

// active: the queue counts in the division of R (final phases do not).
func (q *fqueue) active() bool { return len(q.waiting) > 0 || q.executing > 0 }

func (l *level) noteActive(q *fqueue, was bool) {
	switch now := q.active(); {
	case now && !was:
		l.activeQueues++
	case was && !now:
		l.activeQueues--
	}
}

func (l *level) info() LevelInfo {
	return LevelInfo{LevelConfig: l.cfg, NominalCL: l.nominalCL, LendableCL: l.lendableCL, Limit: l.limit, MaxSeats: l.maxSeats}
}

// seatTime is seats × d in seat-nanoseconds (d may be negative).
func (l *level) seatTime(seats int, d time.Duration) int64 { return int64(seats) * int64(d) }

// syncTime advances R to now, on the assumption that the queues have been
// as they are since the last sync (queueset.go syncTimeLocked). Every
// change to a queuing level's queues is preceded by a sync.
func (l *level) syncTime(now sim.Time) {
	if now < l.lastSync {
		panic(fmt.Sprintf("apf: level %s synced at %v after %v", l.cfg.Name, now, l.lastSync))
	}
	dt := int64(now - l.lastSync)
	l.lastSync = now
	if l.activeQueues == 0 || dt == 0 {
		return
	}
	seats := int64(min(l.seatsInUse+l.seatsWaiting, l.limit))
	l.r += seats * dt / int64(l.activeQueues)
}

// shuffleShard picks r's queue (queueset.go shuffleShardLocked): deal the
// flow's hand, then take the queue with the least waiting work, reading
// the hand from a position that rotates with every call so that flows
// with overlapping hands do not all prefer the same queue; ties go to the
// first read.
func (l *level) shuffleShard(hash uint64) int {
	l.hand = Deal(hash, len(l.queues), l.cfg.HandSize, l.hand[:0])
	n := len(l.hand)
	offset := int(l.enqueues % uint64(n))
	l.enqueues++
	best := -1
	var bestWork int64
	for i := 0; i < n; i++ {
		qi := l.hand[(offset+i)%n]
		if w := l.queues[qi].waitingWork; best < 0 || w < bestWork {
			best, bestWork = qi, w
		}
	}
	return best
}

// bound is the anti-windup rule (boundNextDispatchLocked): a queue may not
// be served, in virtual time, before its oldest request arrived.
func (l *level) bound(q *fqueue) {
	if len(q.waiting) > 0 && q.nextR < q.waiting[0].arrivalR {
		q.nextR = q.waiting[0].arrivalR
	}
}

// canAccommodate is queueset.go canAccommodateSeatsLocked: a request
// wider than the whole limit runs only when nothing else executes.
func (l *level) canAccommodate(seats int) bool {
	switch {
	case l.cfg.Type == Exempt:
		return true
	case seats > l.limit:
		return l.executing == 0
	}
	return l.seatsInUse+seats <= l.limit
}

// timer is a wake-up for a request: valid while the request is still in
// the state it was set for and has not been re-admitted (seq).
type timer struct {
	at  sim.Time
	seq uint64
	r   *Request
}

func (t timer) before(u timer) bool { return t.at < u.at || t.at == u.at && t.seq < u.seq }

// timerHeap is a binary min-heap by (at, seq); stale entries are dropped
// lazily.
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = timer{}
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].before(s[m]) {
			m = l
		}
		if r < len(s) && s[r].before(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

func (h *timerHeap) dropStale(live State) {
	for len(*h) > 0 {
		t := (*h)[0]
		if t.r.State == live && t.r.seq == t.seq {
			return
		}
		h.pop()
	}
}

func (h *timerHeap) peek() (sim.Time, bool) {
	if len(*h) == 0 {
		return 0, false
	}
	return (*h)[0].at, true
}

// popDue pops the earliest live timer due at or before now.
func (h *timerHeap) popDue(now sim.Time, live State) (timer, bool) {
	h.dropStale(live)
	if len(*h) == 0 || (*h)[0].at > now {
		return timer{}, false
	}
	return h.pop(), true
}
