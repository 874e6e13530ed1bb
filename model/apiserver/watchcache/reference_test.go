package watchcache_test

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/sim"
)

// pipeline is a step-by-step simulation of one watcher's channels (input,
// relay, result, handler), to check the watcher's computed model against.
type pipeline struct {
	c        int
	consume  time.Duration
	clk      sim.Time
	interval int   // catch-up events the relay has yet to send
	input    []int // event ids
	relay    int   // -1: empty; -2: a catch-up event
	result   []int
	free     sim.Time // when the handler is done with its event
	takes    map[int]sim.Time
}

func (p *pipeline) propagate() {
	for {
		if p.relay == -1 {
			switch {
			case p.interval > 0:
				p.interval--
				p.relay = -2
			case len(p.input) > 0:
				p.relay, p.input = p.input[0], p.input[1:]
			}
		}
		if p.relay == -1 || len(p.result) == p.c {
			return
		}
		p.result = append(p.result, p.relay)
		p.relay = -1
	}
}

func (p *pipeline) advance(t sim.Time) {
	for {
		p.propagate()
		if len(p.result) == 0 || p.free > t {
			p.clk = t
			return
		}
		take := max(p.free, p.clk)
		p.clk = take
		if id := p.result[0]; id >= 0 {
			p.takes[id] = take
		}
		p.result = p.result[1:]
		p.free = take.Add(p.consume)
	}
}

func (p *pipeline) buffered() int {
	n := p.interval + len(p.input) + len(p.result)
	if p.relay != -1 {
		n++
	}
	return n
}

// room advances to when the input channel has a free slot.
func (p *pipeline) room() sim.Time {
	for len(p.input) >= p.c {
		p.advance(p.free)
	}
	return p.clk
}

func TestWatcherMatchesStepByStepPipeline(t *testing.T) {
	cfg := watchcache.DefaultConfig()
	cfg.BudgetMax = time.Hour // never terminate: every wait is for a slot
	cfg.BudgetRefreshPerSecond = time.Hour
	r := sim.NewRand(7, "pipeline")
	for run := 0; run < 300; run++ {
		c := 1 + r.IntN(4)
		consume := time.Duration(r.IntN(5)) * ms
		initial := r.IntN(12)
		p := &pipeline{c: c, consume: consume, relay: -1, interval: initial, takes: map[int]sim.Time{}}
		d := watchcache.NewDispatcher(0, cfg)
		w := watchcache.NewWatcher(0, watchcache.WatcherSpec{ID: 1, ChanSize: c, Consume: consume}, 0, initial)
		got := map[int]sim.Time{}
		var id int
		deliver := func(_ *watchcache.Watcher, at sim.Time) { got[id] = at }
		now := at(ms) // budget accrued (an hour per second); catch-up still running
		for id = 0; id < 60; id++ {
			now += sim.Time(r.IntN(4)) * sim.Time(ms)
			p.advance(now)
			if b := p.buffered(); b != w.Buffered(now) {
				t.Fatalf("run %d event %d at %v: buffered %d, model %d", run, id, now, b, w.Buffered(now))
			}
			if full := len(p.input) >= c; full != w.Full(now) {
				t.Fatalf("run %d event %d at %v: full %v, model %v", run, id, now, full, w.Full(now))
			}
			res := d.Dispatch(now, int64(id+1), []*watchcache.Watcher{w}, deliver)
			accepted := p.room()
			if res.Done != accepted || res.Terminated != 0 {
				t.Logf("chan %d consume %v initial %d; ref input %v relay %d result %v free %v; takes %v; model got %v", c, consume, initial, p.input, p.relay, p.result, p.free, p.takes, got)
				t.Fatalf("run %d event %d: accepted at %v, model %+v", run, id, accepted, res)
			}
			p.input = append(p.input, id)
			p.advance(accepted)
			now = accepted
		}
		// Terminate at a random time: the handler drains the result
		// channel, the rest is dropped.
		stop := now + sim.Time(r.IntN(10))*sim.Time(ms)
		p.advance(stop)
		f := p.free
		for range p.result {
			f = max(f, stop).Add(consume)
		}
		end := max(stop, f)
		w.Terminate(stop)
		if w.EndsAt() != end {
			t.Fatalf("run %d (chan %d, consume %v, initial %d): stream ends at %v, reference %v", run, c, consume, initial, w.EndsAt(), end)
		}
		for i := 0; i < id; i++ {
			if got[i] <= stop {
				if !w.Delivers(got[i]) {
					t.Fatalf("run %d event %d taken at %v before the stop, not delivered", run, i, got[i])
				}
				continue
			}
			inResult := false
			for _, rid := range p.result {
				inResult = inResult || rid == i
			}
			if w.Delivers(got[i]) != inResult {
				t.Fatalf("run %d (chan %d, consume %v) event %d taken at %v: delivers %v, in result channel at the stop %v", run, c, consume, i, got[i], w.Delivers(got[i]), inResult)
			}
		}
		p.advance(now + sim.Time(time.Hour))
		for i := 0; i < id; i++ {
			if got[i] != p.takes[i] {
				t.Fatalf("run %d (chan %d, consume %v, initial %d) event %d: taken at %v, model %v", run, c, consume, initial, i, p.takes[i], got[i])
			}
		}
		for k := 0; k < initial; k++ {
			// Catch-up events are taken back to back from 0.
			if w.InitialAt(k) != sim.Time(k)*sim.Time(consume) {
				t.Fatalf("InitialAt(%d) = %v", k, w.InitialAt(k))
			}
		}
	}
}
