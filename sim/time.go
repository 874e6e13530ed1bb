package sim

import (
	"fmt"
	"time"
)

// Time is virtual time: nanoseconds since the start of the run.
type Time int64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Duration returns t as a duration since the start of the run.
func (t Time) Duration() time.Duration { return time.Duration(t) }

// Seconds returns t in seconds since the start of the run.
func (t Time) Seconds() float64 { return time.Duration(t).Seconds() }

// String formats t as "T+HH:MM:SS.mmm", the form used in traces and timelines.
func (t Time) String() string {
	sign := "+"
	if t < 0 {
		sign, t = "-", -t
	}
	ms := int64(t) / int64(time.Millisecond)
	return fmt.Sprintf("T%s%02d:%02d:%02d.%03d", sign, ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
