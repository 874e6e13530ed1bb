package apiserver

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// Costs are the CPU times of the request pipeline's stages. Upstream
// publishes no per-stage figures; the defaults (in scenarios) are orrery
// assumptions, and a scenario can set each one.
type Costs struct {
	// Authentication and Authorization run for every request;
	// Admission (the mutating and validating admission chains) for writes.
	Authentication, Authorization, Admission sim.Dist
	// Decoding a write's body (with conversion and validation), and
	// encoding each object of a response or a watch event: a fixed cost
	// per object plus bytes at a throughput.
	DecodePerObject, EncodePerObject           time.Duration
	DecodeBytesPerSecond, EncodeBytesPerSecond float64
	// WatchFilterPerWatcher is the CPU time an event costs each watcher
	// the dispatch loop visits: the hand-off into its input channel and its
	// relay goroutine's selector check (cache_watcher.go
	// convertToWatchEvent), whether or not the event matches.
	WatchFilterPerWatcher time.Duration
	// WatchSendPerWatcher is the CPU time to hand an already-encoded event
	// to one matching watcher and write it to its connection.
	WatchSendPerWatcher time.Duration
}

// Stage is one step a request's time is spent in.
type Stage uint8

const (
	StageQueue     Stage = iota // waiting for a seat (APF queue)
	StageCPUWait                // waiting for a free CPU
	StageAuthn                  // authentication
	StageAuthz                  // authorization
	StageDecode                 // decoding, conversion, validation of a write's body
	StageAdmission              // admission chains
	StageStorage                // the etcd call, from send to answer
	StageEncode                 // encoding the response
	NumStages
)

var stageNames = [...]string{"queue", "cpuWait", "authentication", "authorization", "decode", "admission", "storage", "encode"}

func (s Stage) String() string { return stageNames[s] }

func bytesTime(n int64, perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(n) / perSecond * float64(time.Second))
}

func (c *Costs) encode(objects, bytes int64) time.Duration {
	return time.Duration(objects)*c.EncodePerObject + bytesTime(bytes, c.EncodeBytesPerSecond)
}

func (c *Costs) decode(bytes int64) time.Duration {
	return c.DecodePerObject + bytesTime(bytes, c.DecodeBytesPerSecond)
}

// cpuPool is the server's CPUs: work runs on the first core free, in the
// order it is submitted (list scheduling). Costs are computed, not
// spent: run returns when a piece of work ends, and no event marks it.
// Go's scheduler shares cores more finely than FIFO; over a queue of
// short pieces the difference is small, and the pool saturates at the
// same load.
type cpuPool struct {
	free   []sim.Time // per core, a min-heap of the time it is next free
	bucket time.Duration
	busy   []int64 // CPU-nanoseconds busy per gauge bucket
}

func newCPUPool(cores int, bucket time.Duration) *cpuPool {
	return &cpuPool{free: make([]sim.Time, max(cores, 1)), bucket: bucket}
}

// run places work that can start at ready on the first free core and
// returns when it starts and ends.
func (p *cpuPool) run(ready sim.Time, work time.Duration) (start, end sim.Time) {
	start = max(ready, p.free[0])
	end = start.Add(work)
	p.free[0] = end
	p.siftDown()
	p.account(start, end)
	return start, end
}

// spread runs n pieces of work of per each, ready at ready, as one piece
// per core (at most n): the cost of n goroutines' short work without n
// placements. It returns when the last piece ends (ready if there is no
// work).
func (p *cpuPool) spread(ready sim.Time, n int, per time.Duration) sim.Time {
	if n <= 0 || per <= 0 {
		return ready
	}
	parts := min(n, len(p.free))
	end := ready
	for k := 0; k < parts; k++ {
		share := n / parts
		if k < n%parts {
			share++
		}
		_, e := p.run(ready, time.Duration(share)*per)
		end = max(end, e)
	}
	return end
}

func (p *cpuPool) siftDown() {
	h := p.free
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// account adds [start, end) to the busy time of the buckets it spans.
func (p *cpuPool) account(start, end sim.Time) {
	b := int64(p.bucket)
	for start < end {
		i := int(int64(start) / b)
		for len(p.busy) <= i {
			p.busy = append(p.busy, 0)
		}
		stop := min(end, sim.Time((int64(i)+1)*b))
		p.busy[i] += int64(stop - start)
		start = stop
	}
}

// reset forgets queued work: the process restarted.
func (p *cpuPool) reset(now sim.Time) {
	for i := range p.free {
		p.free[i] = min(p.free[i], now)
	}
}

// stageTotals accumulates where requests' time went, per (verb, resource).
type stageTotals struct {
	ns [api.NumResources][api.NumVerbs][NumStages]int64
}

func (t *stageTotals) add(req *api.Request, s Stage, d time.Duration) {
	t.ns[req.Resource][req.Verb][s] += int64(d)
}
