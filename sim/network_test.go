package sim

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// inbox records the messages an endpoint receives.
type inbox struct {
	eng *Engine
	got []string
}

func (b *inbox) Handle(ev *Event) {
	b.got = append(b.got, fmt.Sprintf("%v k%d s%d a%d", ev.At.Duration(), ev.Kind, ev.Stream, ev.A))
}

func newNet(t *testing.T) (*Engine, *Network, EndpointID, EndpointID, *inbox, *inbox) {
	t.Helper()
	e := NewEngine(1)
	n := NewNetwork(e, Constant(time.Millisecond))
	n.SetFailureDetection(45 * time.Second)
	ba, bb := &inbox{eng: e}, &inbox{eng: e}
	a := n.AddEndpoint("a", ba)
	b := n.AddEndpoint("b", bb)
	return e, n, a, b, ba, bb
}

func TestUnaryMessageArrivesAfterLatency(t *testing.T) {
	e, n, a, b, _, bb := newNet(t)
	if !n.Send(a, b, 3, 42, 0, nil) {
		t.Fatal("send failed")
	}
	_ = e.Run(Time(time.Second))
	if !slices.Equal(bb.got, []string{"1ms k3 s-1 a42"}) {
		t.Fatalf("got %v", bb.got)
	}
}

func TestPartitionDropsUnaryAndHealRestores(t *testing.T) {
	e, n, a, b, _, bb := newNet(t)
	p := n.Partition("cut", []EndpointID{a}, nil)
	if n.Reachable(a, b) || n.Send(a, b, 1, 0, 0, nil) {
		t.Fatal("message crossed a partition")
	}
	if n.Stats.Cut != 1 {
		t.Fatalf("cut count %d", n.Stats.Cut)
	}
	n.Heal(p)
	if !n.Send(a, b, 2, 0, 0, nil) {
		t.Fatal("send after heal failed")
	}
	_ = e.Run(Time(time.Second))
	if len(bb.got) != 1 {
		t.Fatalf("got %v", bb.got)
	}
}

func TestPartitionBetweenTwoSidesLeavesOthersAlone(t *testing.T) {
	e := NewEngine(1)
	n := NewNetwork(e, Constant(time.Millisecond))
	ids := make([]EndpointID, 4)
	for i := range ids {
		ids[i] = n.AddEndpoint(fmt.Sprint(i), &inbox{})
	}
	n.Partition("2-1", []EndpointID{ids[0], ids[1]}, []EndpointID{ids[2]})
	cases := []struct {
		x, y int
		want bool
	}{{0, 1, true}, {0, 2, false}, {1, 2, false}, {0, 3, true}, {2, 3, true}}
	for _, c := range cases {
		if got := n.Reachable(ids[c.x], ids[c.y]); got != c.want {
			t.Errorf("Reachable(%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

func TestStreamIsFIFOEvenWithRandomLatency(t *testing.T) {
	e := NewEngine(1)
	n := NewNetwork(e, Uniform{Min: 0, Max: 10 * time.Millisecond})
	bx := &inbox{}
	a := n.AddEndpoint("a", &inbox{})
	b := n.AddEndpoint("b", bx)
	s := n.OpenStream(b, a)
	for i := 0; i < 200; i++ {
		n.SendStream(s, a, 0, int64(i), 0, nil)
	}
	_ = e.Run(Time(time.Second))
	for i, g := range bx.got {
		var d string
		var k, sid, v int
		fmt.Sscanf(g, "%s k%d s%d a%d", &d, &k, &sid, &v)
		if v != i {
			t.Fatalf("message %d arrived at position %d", v, i)
		}
	}
}

func TestStreamStallsAndResumesWhenPartitionHealsInTime(t *testing.T) {
	e, n, a, b, _, bb := newNet(t)
	s := n.OpenStream(b, a)
	p := n.Partition("cut", []EndpointID{a}, nil)
	n.SendStream(s, a, 5, 1, 0, nil)
	n.SendStream(s, a, 5, 2, 0, nil)
	_ = e.Run(Time(10 * time.Second))
	if len(bb.got) != 0 {
		t.Fatalf("delivered across a cut: %v", bb.got)
	}
	n.Heal(p)
	_ = e.Run(Time(60 * time.Second))
	want := []string{"10.001s k5 s0 a1", "10.001s k5 s0 a2"}
	if !slices.Equal(bb.got, want) {
		t.Fatalf("got %v, want %v", bb.got, want)
	}
	if !n.StreamOpen(s) {
		t.Fatal("stream broke although the cut healed before detection")
	}
}

func TestStreamBreaksAfterFailureDetection(t *testing.T) {
	e, n, a, b, ba, bb := newNet(t)
	s := n.OpenStream(b, a)
	n.Partition("cut", []EndpointID{a}, nil)
	n.SendStream(s, a, 5, 1, 0, nil)
	_ = e.Run(Time(60 * time.Second))
	want := []string{"45s k-1 s0 a0"}
	if !slices.Equal(ba.got, want) || !slices.Equal(bb.got, want) {
		t.Fatalf("a got %v, b got %v; want both %v", ba.got, bb.got, want)
	}
	if n.StreamOpen(s) || n.OpenStreams() != 0 || n.Stats.StreamsBroken != 1 {
		t.Fatal("stream still open after breaking")
	}
	if n.SendStream(s, a, 5, 2, 0, nil) {
		t.Fatal("send on a broken stream succeeded")
	}
}

func TestCloseStreamNotifiesPeerAndDropsInFlight(t *testing.T) {
	e, n, a, b, ba, bb := newNet(t)
	s := n.OpenStream(b, a)
	n.SendStream(s, a, 5, 1, 0, nil)
	n.CloseStream(s, b)
	_ = e.Run(Time(time.Second))
	if len(bb.got) != 0 {
		t.Fatalf("closer received %v", bb.got)
	}
	if !slices.Equal(ba.got, []string{"1ms k-1 s0 a0"}) {
		t.Fatalf("peer got %v", ba.got)
	}
}

func TestLossDropsAboutTheRightShare(t *testing.T) {
	e, n, a, b, _, bb := newNet(t)
	n.SetLoss(0.1)
	for i := 0; i < 10000; i++ {
		n.Send(a, b, 0, 0, 0, nil)
	}
	_ = e.Run(Time(time.Second))
	if lost := 10000 - len(bb.got); lost < 900 || lost > 1100 || uint64(lost) != n.Stats.Lost {
		t.Fatalf("lost %d of 10000 (stats %d)", lost, n.Stats.Lost)
	}
}

func TestLinkLatencyOverride(t *testing.T) {
	e, n, a, b, _, bb := newNet(t)
	n.SetLinkLatency(b, a, Constant(7*time.Millisecond))
	n.Send(a, b, 0, 0, 0, nil)
	_ = e.Run(Time(time.Second))
	if !slices.Equal(bb.got, []string{"7ms k0 s-1 a0"}) {
		t.Fatalf("got %v", bb.got)
	}
}

func TestEndStreamAfterDeliversWhatCameBefore(t *testing.T) {
	eng := NewEngine(1)
	net := NewNetwork(eng, Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond})
	var got []int32
	a := net.AddEndpoint("a", &inbox{})
	b := net.AddEndpoint("b", kinds{&got})
	s := net.OpenStream(b, a)
	for i := int32(1); i <= 5; i++ {
		net.SendStreamAfter(time.Duration(5-i)*time.Millisecond, s, a, i, 0, 0, nil)
	}
	net.EndStreamAfter(0, s, a)
	if err := eng.Run(Time(time.Second)); err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, 2, 3, 4, 5, KindStreamClosed}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("received %v, want %v", got, want)
	}
	if net.StreamOpen(s) {
		t.Fatal("the stream is still open")
	}
}

type kinds struct{ got *[]int32 }

func (k kinds) Handle(ev *Event) { *k.got = append(*k.got, ev.Kind) }

// TestLinkLatencyOverrideIsPerPairAndReplaced: setting a pair's latency
// again replaces it (either way round), and other pairs of the same
// endpoint keep theirs or the default.
func TestLinkLatencyOverrideIsPerPairAndReplaced(t *testing.T) {
	e, n, a, b, _, bb := newNet(t)
	cc := &inbox{eng: e}
	c := n.AddEndpoint("c", cc)
	n.SetLinkLatency(a, b, Constant(7*time.Millisecond))
	n.SetLinkLatency(a, c, Constant(3*time.Millisecond))
	n.SetLinkLatency(b, a, Constant(5*time.Millisecond))
	n.Send(a, b, 0, 0, 0, nil)
	n.Send(a, c, 0, 0, 0, nil)
	n.Send(b, c, 0, 0, 0, nil)
	_ = e.Run(Time(time.Second))
	if !slices.Equal(bb.got, []string{"5ms k0 s-1 a0"}) {
		t.Fatalf("a→b: got %v, want the replacing 5ms", bb.got)
	}
	if !slices.Equal(cc.got, []string{"1ms k0 s-1 a0", "3ms k0 s-1 a0"}) {
		t.Fatalf("→c: got %v, want b's default 1ms and a's 3ms", cc.got)
	}
}
