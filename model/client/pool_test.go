package client

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
)

// TestClientsSharingStateShareTheRequestPool: a request one client
// released is what another client built with the same Shared hands out
// next, blank but for the new caller's fields; one built with another
// Shared does not get it.
func TestClientsSharingStateShareTheRequestPool(t *testing.T) {
	e := newEnv(Config{QPS: -1, Principal: 1})
	sh := NewShared(e.rec)
	a := New(e.eng, e.net, sh, e.p.self, e.srv.self, Config{QPS: -1, Principal: 1})
	b := New(e.eng, e.net, sh, e.p.self, e.srv.self, Config{QPS: -1, Principal: 2})
	r := a.NewRequest(api.Update, api.Leases, 7)
	r.Code, r.Items, r.Retries = api.Conflict, []api.Object{{}}, 3
	a.Release(r)
	if other := e.p.c.NewRequest(api.Get, api.Nodes, 1); other == r {
		t.Fatal("a client of another Shared got the released request")
	}
	got := b.NewRequest(api.Get, api.Nodes, 3)
	if got != r {
		t.Fatal("the other client of the same Shared did not reuse the released request")
	}
	if got.ID != 1 || got.Verb != api.Get || got.Resource != api.Nodes || got.Name != 3 || got.Principal != 2 ||
		got.Code != 0 || got.Items != nil || got.Retries != 0 {
		t.Fatalf("reused request not reset to b's first: %+v", *got)
	}
}

// TestPooledRequestIsNotTimedOutByItsFormerClient: client a's request,
// answered and released, is reused by client b of the same Shared with
// the same ID (IDs are per client). a's deadline for it, still queued,
// must not time out b's call.
func TestPooledRequestIsNotTimedOutByItsFormerClient(t *testing.T) {
	e := newEnv(Config{QPS: -1})
	e.srv.answer = func(req *api.Request, n int) (api.Code, time.Duration, bool) {
		if n == 1 {
			return api.OK, 0, true
		}
		return api.OK, 3 * time.Second, true
	}
	sh := NewShared(e.rec)
	pa, pb := &caller{eng: e.eng}, &caller{eng: e.eng}
	pa.self, pb.self = e.net.AddEndpoint("a", pa), e.net.AddEndpoint("b", pb)
	pa.c = New(e.eng, e.net, sh, pa.self, e.srv.self, Config{QPS: -1, Timeout: time.Second})
	pb.c = New(e.eng, e.net, sh, pb.self, e.srv.self, Config{QPS: -1, Timeout: 10 * time.Second})
	r := pa.c.NewRequest(api.Update, api.Leases, 1)
	pa.c.Do(r, pa)
	e.run(t, 100*time.Millisecond)
	if len(pa.got) != 1 || pa.got[0].code != api.OK {
		t.Fatalf("a's call: %+v", pa.got)
	}
	pa.c.Release(r)
	r2 := pb.c.NewRequest(api.Update, api.Leases, 2)
	if r2 != r || r2.ID != r.ID {
		t.Fatalf("b did not reuse a's request with the same ID (the case under test)")
	}
	pb.c.Do(r2, pb)
	e.run(t, 5*time.Second)
	if len(pb.got) != 1 || pb.got[0].code != api.OK || pb.got[0].at < at(3*time.Second) {
		t.Fatalf("b's call: %+v; want one 200 after the server's 3s", pb.got)
	}
}
