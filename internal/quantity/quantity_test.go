package quantity

import "testing"

func TestQuantities(t *testing.T) {
	tests := []struct {
		in          string
		milli, unit int64
	}{
		{"100m", 100, 1},
		{"0.1", 100, 1},
		{"1", 1000, 1},
		{"1.5", 1500, 2},
		{"0.5", 500, 1},
		{"4", 4000, 4},
		{"2k", 2_000_000, 2000},
		{"64Gi", 64 << 30 * 1000, 64 << 30},
		{"1.5Gi", 1610612736000, 1610612736},
		{"1e3", 1_000_000, 1000},
		{"12E6", 12_000_000_000, 12_000_000},
		{"129e6", 129_000_000_000, 129_000_000},
		{"123Mi", 128974848000, 128974848},
		{"5M", 5_000_000_000, 5_000_000},
		{"1E", 0, 1_000_000_000_000_000_000}, // E alone is exa
		{"1Ki", 1_024_000, 1024},
		{"0.0001", 1, 1},    // a fraction of a millicore rounds up
		{"1n", 1, 1},        // nano
		{"500000u", 500, 1}, // micro
		{"1.0001m", 2, 1},   // rounds up, never down
		{"1e-3", 1, 1},      // negative exponent
		{"1e+3", 1_000_000, 1000},
		{"+2", 2000, 2},
		{".5", 500, 1},
		{"5.", 5000, 5},
		{"007", 7000, 7},
		{"0", 0, 0},
		{"1e-999999", 1, 1}, // tiny but positive: rounds up to 1
		{"1.5e-9223372036854775808", 1, 1},
		{"0e9223372036854775807", 0, 0},
		// The memory example of the Kubernetes docs ("Resource Management
		// for Pods and Containers"): roughly the same value, five ways.
		{"128974848", 128974848000, 128974848},
		{"129e6", 129_000_000_000, 129_000_000},
		{"129M", 129_000_000_000, 129_000_000},
		{"128974848000m", 128974848000, 128974848},
		{"0.5m", 1, 1}, // half a millicore is one millicore, rounded up
		{"200Mi", 209715200000, 209715200},
		{"100m", 100, 1}, // Value rounds 0.1 up to 1
	}
	for _, tt := range tests {
		if tt.in != "1E" {
			milli, err := ParseMilli(tt.in)
			if err != nil || milli != tt.milli {
				t.Errorf("ParseMilli(%q) = %d, %v; want %d", tt.in, milli, err, tt.milli)
			}
		}
		unit, err := ParseValue(tt.in)
		if err != nil || unit != tt.unit {
			t.Errorf("ParseValue(%q) = %d, %v; want %d", tt.in, unit, err, tt.unit)
		}
	}
}

func TestQuantityErrors(t *testing.T) {
	for _, in := range []string{
		"", "1.2.3", "Gi", "-1", "1Zi", "1 Gi", " 1", "1Gi ", ".", "+", "-", "e3",
		"1e", "1ki", "1mi", "1K", "1KiB", "0x10", "1_000", "1e3e3", "1Ki3", "1e3.5",
		".inf", "NaN", "1e99999999999999999999", "1e40", "8Ei", "9223372036854775808",
		// Past maxExponent: refused before 10^exponent is computed (the
		// last would take unbounded memory).
		"1e41", "1e9223372036854775807",
	} {
		if v, err := ParseValue(in); err == nil {
			t.Errorf("ParseValue(%q) = %d, want an error", in, v)
		}
	}
	// The largest int64 fits as a value.
	if v, err := ParseValue("9223372036854775807"); err != nil || v != 1<<63-1 {
		t.Errorf("ParseValue(2^63-1) = %d, %v", v, err)
	}
	// Fits as bytes, not as thousandths.
	if _, err := ParseMilli("1E"); err == nil {
		t.Errorf("ParseMilli(1E) should overflow")
	}
	if v, err := ParseValue("-0"); err != nil || v != 0 {
		t.Errorf("ParseValue(-0) = %d, %v; want 0", v, err)
	}
}
