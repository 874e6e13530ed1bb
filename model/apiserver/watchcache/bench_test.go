package watchcache_test

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/watchcache"
	"github.com/orrery-sim/orrery/sim"
)

// BenchmarkDispatch: one event every 200µs (5000 node heartbeats a
// second) to 5000 all-objects watchers, one of them slow (300µs per
// event): it fills up, holds the dispatch loop on its budget, is
// terminated, and is replaced by a new slow watcher.
func BenchmarkDispatch(b *testing.B) {
	cfg := watchcache.DefaultConfig()
	d := watchcache.NewDispatcher(0, cfg)
	h := watchcache.NewHistory(cfg)
	h.Replace(0, 1)
	ws := make([]*watchcache.Watcher, 5000)
	for i := range ws {
		ws[i] = watchcache.NewWatcher(0, watchcache.WatcherSpec{ID: int32(i), ChanSize: 100}, 1, 0)
	}
	const slow = 2500
	ws[slow].SetConsume(300 * time.Microsecond)
	events := make([]api.WatchEvent, 1<<16)
	var delivered, terminated int
	deliver := func(*watchcache.Watcher, sim.Time) { delivered++ }
	now, rv := sim.Time(0), int64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now += sim.Time(200 * time.Microsecond)
		rv++
		e := &events[i%len(events)]
		e.Object.ResourceVersion = rv
		h.Add(now, e)
		res := d.Dispatch(now, rv, ws, deliver)
		if res.Done > now {
			now = res.Done
		}
		if res.Terminated > 0 {
			terminated++
			ws[slow] = watchcache.NewWatcher(now, watchcache.WatcherSpec{ID: slow, ChanSize: 100, Consume: 300 * time.Microsecond}, rv, 0)
		}
	}
	b.ReportMetric(float64(terminated)/float64(b.N), "terminations/op")
}
