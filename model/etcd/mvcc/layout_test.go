package mvcc

import (
	"testing"
	"unsafe"
)

// TestKeyIndexStaysSmall: every apply touches all of a key's index entry,
// cold. It was 128 bytes (two adjacent cache lines) until api.Object grew
// its Body to 64 bytes.
func TestKeyIndexStaysSmall(t *testing.T) {
	if n := unsafe.Sizeof(keyIndex{}); n > 144 {
		t.Fatalf("keyIndex is %d bytes, want at most 144", n)
	}
}
