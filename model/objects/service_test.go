package objects

import "testing"

func TestServiceSelects(t *testing.T) {
	in := NewInterner()
	app, tier, web, front := in.Intern("app"), in.Intern("tier"), in.Intern("web"), in.Intern("front")
	pod, _ := MakeLabels(Label{app, web}, Label{tier, front})
	other, _ := MakeLabels(Label{app, front})
	sel, _ := MakeLabels(Label{app, web})
	s := Service{Selector: sel}
	if !s.HasSelector() || !s.Selects(pod) {
		t.Fatal("app=web should select a pod labelled app=web,tier=front")
	}
	if s.Selects(other) || s.Selects(nil) {
		t.Fatal("app=web selected a pod without app=web")
	}
	// No selector: the Service's endpoints are not the controller's, and
	// it selects nothing (not everything).
	none := Service{}
	if none.HasSelector() || none.Selects(pod) || none.Selects(nil) {
		t.Fatal("a Service without a selector selected a pod")
	}
}

func TestEndpointSliceSize(t *testing.T) {
	// ~10 KB at 100 endpoints (the KEP's estimate), growing 100 B each.
	if got := EndpointSliceSize(100, 1); got < 10000 || got > 11000 {
		t.Fatalf("100 endpoints, 1 port: %d bytes", got)
	}
	if d := EndpointSliceSize(51, 2) - EndpointSliceSize(50, 2); d != EndpointSliceEndpointSize {
		t.Fatalf("one more endpoint adds %d bytes", d)
	}
	if d := EndpointSliceSize(0, 3) - EndpointSliceSize(0, 2); d != EndpointSlicePortSize {
		t.Fatalf("one more port adds %d bytes", d)
	}
	s := EndpointSlice{Ports: 1, Endpoints: make([]Endpoint, 3)}
	if s.Size() != EndpointSliceSize(3, 1) {
		t.Fatalf("Size %d", s.Size())
	}
	if AddressIPv4.String() != "IPv4" || AddressFQDN.String() != "FQDN" {
		t.Fatal("address type names")
	}
}

func TestPodHasIP(t *testing.T) {
	for _, tc := range []struct {
		node  int32
		phase PodPhase
		want  bool
	}{
		{NoNode, PodPending, false},
		{1, PodPending, false}, // bound, sandbox not reported yet
		{1, PodRunning, true},
		{1, PodSucceeded, false},
		{1, PodFailed, false},
	} {
		p := Pod{NodeName: tc.node, Phase: tc.phase}
		if p.HasIP() != tc.want {
			t.Errorf("node %d phase %v: HasIP %v", tc.node, tc.phase, !tc.want)
		}
	}
}
