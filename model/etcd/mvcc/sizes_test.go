package mvcc

import (
	"math/rand/v2"
	"testing"
)

// TestVarintBytes: the protobuf varint length, at every boundary.
func TestVarintBytes(t *testing.T) {
	naive := func(x uint64) int {
		n := 1
		for x >= 0x80 {
			x >>= 7
			n++
		}
		return n
	}
	for shift := 0; shift < 64; shift++ {
		for _, x := range []uint64{1<<shift - 1, 1 << shift, 1<<shift + 1} {
			if got, want := varintBytes(x), naive(x); got != want {
				t.Fatalf("varintBytes(%d) = %d, want %d", x, got, want)
			}
		}
	}
	if varintBytes(^uint64(0)) != 10 {
		t.Fatal("varintBytes(max) != 10")
	}
}

// TestPutBytesMemo: the remembered sizes are revisionBytes', whatever
// sizes share a slot.
func TestPutBytesMemo(t *testing.T) {
	s := NewStore(Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		kv := 1 + rng.IntN(20000)
		if rng.IntN(2) == 0 {
			kv = 1 + rng.IntN(64) // collide often
		}
		if got, want := s.putBytes(kv), revisionBytes(kv, false); got != want {
			t.Fatalf("putBytes(%d) = %d, want %d", kv, got, want)
		}
	}
}
