package apiserver

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
)

// TestClassifyCacheIsClassify: the cached classification of every
// (principal, verb, resource), asked in random order and again after a
// restart, is what the APF controller computes afresh — level, schema and
// the per-user flow (distinguisher and hash), which kubelets do not share.
func TestClassifyCacheIsClassify(t *testing.T) {
	principals := &api.Principals{}
	principals.Add(api.Principal{Identity: apf.User("anonymous-client")})
	for i := range 40 {
		principals.Add(api.Principal{Identity: apf.Kubelet("node-" + strconv.Itoa(i)), Namespace: apf.NamespaceNodeLease})
	}
	principals.Add(api.Principal{Identity: apf.ServiceAccount(apf.NamespaceSystem, "node-controller"), Namespace: apf.NamespaceSystem})
	principals.Add(api.Principal{Identity: apf.ServiceAccount("churn", "writer"), Namespace: "churn"})
	cfg := apfConfig(10, time.Minute)
	cfg.Principals = principals
	e := newEnv(cfg)
	type call struct {
		p api.PrincipalID
		v api.Verb
		r api.Resource
	}
	var calls []call
	for p := range principals.Len() {
		for v := range api.NumVerbs {
			for r := range api.NumResources {
				calls = append(calls, call{api.PrincipalID(p), v, r})
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	hashes := map[uint64]bool{}
	for round := range 3 {
		if round == 2 {
			e.srv.Stop()
			e.srv.Start(func() (int64, int64) { return 0, 0 })
		}
		rng.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })
		for _, c := range calls {
			pr := principals.Get(c.p)
			want := e.srv.fc.Classify(apf.Describe(pr.Identity, c.v, c.r, pr.Namespace))
			got := e.srv.classify(&api.Request{Principal: c.p, Verb: c.v, Resource: c.r})
			if got != want {
				t.Fatalf("round %d: %s %v %v: cached %+v, Classify %+v", round, pr.User, c.v, c.r, got, want)
			}
			if c.v == api.Update && c.r == api.Leases && pr.Namespace == apf.NamespaceNodeLease {
				hashes[got.Hash] = true
			}
		}
	}
	if len(hashes) != 40 {
		t.Fatalf("40 kubelets' lease updates fell into %d flows; want one each", len(hashes))
	}
}
