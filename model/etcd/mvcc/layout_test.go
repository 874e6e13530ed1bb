package mvcc

import (
	"testing"
	"unsafe"
)

// TestKeyIndexLayout: an index entry is 32 bytes, so that the four slots
// of a key's Arena block fill two adjacent cache lines (see keyIndex and
// Arena).
func TestKeyIndexLayout(t *testing.T) {
	if n := unsafe.Sizeof(keyIndex{}); n != 32 {
		t.Fatalf("keyIndex is %d bytes, want 32", n)
	}
}
