package watchcache

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// TestResizeUpstreamTable replays watch_cache_test.go TestDynamicCache:
// a window of cacheCapacity slots starting at startIndex holds eventCount
// events interval apart; resizing at eventCount·interval after the first
// must give expectCapacity and expectStartIndex and keep every event in
// its slot.
func TestResizeUpstreamTable(t *testing.T) {
	const fresh = 75 * time.Second
	tests := []struct {
		name                           string
		eventCount, capacity, start    int
		lower, upper                   int
		interval                       time.Duration
		expectCapacity, expectStartIdx int
	}{
		{"[5] inside fresh: expand", 5, 5, 0, 5 / 2, 5 * 2, fresh / 6, 10, 0},
		{"[5] outside fresh: unchanged", 5, 5, 0, 5 / 2, 5 * 2, fresh / 4, 5, 0},
		{"[5] recent quarter old: shrink", 5, 5, 0, 5 / 2, 5 * 2, fresh + time.Second, 2, 3},
		{"[5] shrink to lower bound", 5, 5, 0, 3, 5 * 2, fresh + time.Second, 3, 2},
		{"[5] expand to upper bound", 5, 5, 0, 5 / 2, 8, fresh / 6, 8, 0},
		{"[5] start 3: expand", 5, 5, 3, 5 / 2, 5 * 2, fresh / 6, 10, 3},
		{"[5] start 3: unchanged", 5, 5, 3, 5 / 2, 5 * 2, fresh / 4, 5, 3},
		{"[5] start 3: shrink", 5, 5, 3, 5 / 2, 5 * 2, fresh + time.Second, 2, 6},
		{"[5] start 3: shrink to lower bound", 5, 5, 3, 3, 5 * 2, fresh + time.Second, 3, 5},
		{"[5] start 3: expand to upper bound", 5, 5, 3, 5 / 2, 8, fresh / 6, 8, 3},
		{"[8] inside fresh: expand", 8, 8, 0, 8 / 2, 8 * 2, fresh / 9, 16, 0},
		{"[8] outside fresh: unchanged", 8, 8, 0, 8 / 2, 8 * 2, fresh / 8, 8, 0},
		{"[8] recent quarter old: shrink", 8, 8, 0, 8 / 2, 8 * 2, fresh/2 + time.Second, 4, 4},
		{"[8] shrink to lower bound", 8, 8, 0, 7, 8 * 2, fresh/2 + time.Second, 7, 1},
		{"[8] expand to upper bound", 8, 8, 0, 8 / 2, 10, fresh / 9, 10, 0},
		{"[8] start 3: expand", 8, 8, 3, 8 / 2, 8 * 2, fresh / 9, 16, 3},
		{"[8] start 3: unchanged", 8, 8, 3, 8 / 2, 8 * 2, fresh / 8, 8, 3},
		{"[8] start 3: shrink", 8, 8, 3, 8 / 2, 8 * 2, fresh/2 + time.Second, 4, 7},
		{"[8] start 3: shrink to lower bound", 8, 8, 3, 7, 8 * 2, fresh/2 + time.Second, 7, 4},
		{"[8] start 3: expand to upper bound", 8, 8, 3, 8 / 2, 10, fresh / 9, 10, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.LowerBoundCapacity, cfg.UpperBoundCapacity = tc.lower, tc.upper
			h := NewHistory(cfg)
			h.buf = make([]entry, tc.capacity)
			h.start = tc.start
			for i := 0; i < tc.eventCount; i++ {
				h.buf[(tc.start+i)%tc.capacity] = entry{rv: int64(tc.start + i), at: sim.Time(tc.interval) * sim.Time(i)}
			}
			h.end = tc.start + tc.eventCount
			h.resize(sim.Time(tc.interval) * sim.Time(tc.eventCount))
			if h.Capacity() != tc.expectCapacity {
				t.Errorf("capacity %d, want %d", h.Capacity(), tc.expectCapacity)
			}
			if h.start != tc.expectStartIdx {
				t.Errorf("start %d, want %d", h.start, tc.expectStartIdx)
			}
			if h.end != tc.start+tc.eventCount {
				t.Errorf("end %d, want %d", h.end, tc.start+tc.eventCount)
			}
			for i := h.start; i < h.end; i++ {
				if got := h.buf[i%len(h.buf)].rv; got != int64(i) {
					t.Errorf("slot of event %d holds %d", i, got)
				}
			}
		})
	}
}
