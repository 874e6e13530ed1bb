package cluster

import (
	"testing"
	"time"
)

func TestGaugeBucketKeepsSeriesShort(t *testing.T) {
	cases := []struct{ run, want time.Duration }{
		{time.Minute, time.Second},
		{4 * time.Minute, time.Second},
		{5 * time.Minute, 2 * time.Second},
		{time.Hour, 15 * time.Second},
		{24 * time.Hour, 10 * time.Minute},
	}
	for _, c := range cases {
		if got := GaugeBucket(c.run); got != c.want {
			t.Errorf("GaugeBucket(%v) = %v, want %v", c.run, got, c.want)
		}
	}
}
