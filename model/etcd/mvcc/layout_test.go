package mvcc

import (
	"testing"
	"unsafe"
)

// TestKeyIndexIsTwoCacheLines: every apply touches all of a key's index
// entry, cold; at 128 bytes (a 128-byte-aligned size class) it is two
// adjacent cache lines (see keyIndex).
func TestKeyIndexIsTwoCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(keyIndex{}); n != 128 {
		t.Fatalf("keyIndex is %d bytes, want 128", n)
	}
}
