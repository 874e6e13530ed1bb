package workload

import (
	"strconv"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// Step is one request kubectl sends at a virtual time: a create, a patch
// (scale, set image, set resources), or a delete.
type Step struct {
	At sim.Time
	// Describe is the command, as the timeline shows it:
	// "kubectl apply deployment/nginx".
	Describe string

	Verb      api.Verb
	Resource  api.Resource
	Name      int32 // -1 for a create with generateName
	Namespace api.NamespaceID
	// Object is a create's body; Mutate a patch's change (see api.Request).
	Object api.Object
	Mutate func(cur *api.Object) (api.Object, api.Code)
	// GracePeriod, GraceSet: a delete's --grace-period.
	GracePeriod time.Duration
	GraceSet    bool
	// Select, for a delete by label selector (kubectl delete pods -l):
	// the objects to delete, looked up when the step is due; one delete
	// is sent for each (Name is not used).
	Select func() []int32
}

const kindStep int32 = api.KindPrivate + 1

// Kubectl is the scenario's operator: it sends each Step at its time on
// its own client (a user's kubectl, client-go's default 5 QPS / 10 burst
// do not matter for a handful of commands) and notes the command and its
// answer on the timeline. A failed command is not retried, as kubectl
// does not retry one.
type Kubectl struct {
	eng   *sim.Engine
	rec   *sim.Recorder
	cl    *client.Client
	self  sim.EndpointID
	steps []Step
	next  int

	sent, failed *sim.Counter
}

// NewKubectl registers the operator; steps must be in time order.
func NewKubectl(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg client.Config, steps []Step) *Kubectl {
	k := &Kubectl{eng: eng, rec: rec, steps: steps}
	k.self = net.AddEndpoint("kubectl", k)
	k.cl = client.New(eng, net, sh, k.self, server, cfg)
	k.sent = rec.Counter("kubectl_requests_total")
	k.failed = rec.Counter("kubectl_requests_failed_total")
	if len(steps) > 0 {
		eng.Schedule(sim.Event{At: steps[0].At, Target: k, Kind: kindStep, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
	return k
}

// Endpoint is kubectl's network endpoint.
func (k *Kubectl) Endpoint() sim.EndpointID { return k.self }

// Connect is the API server replica kubectl talks to.
func (k *Kubectl) Connect() sim.EndpointID { return k.cl.Connect() }

// Handle sends the steps due and takes responses.
func (k *Kubectl) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindStep:
		now := k.eng.Now()
		for k.next < len(k.steps) && k.steps[k.next].At <= now {
			k.send(k.next)
			k.next++
		}
		if k.next < len(k.steps) {
			k.eng.Schedule(sim.Event{At: k.steps[k.next].At, Target: k, Kind: kindStep, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
		}
	case api.KindResponse:
		k.cl.HandleResponse(ev)
	}
}

func (k *Kubectl) send(i int) {
	s := &k.steps[i]
	if s.Select != nil {
		k.sendSelected(i)
		return
	}
	req := k.cl.NewRequest(s.Verb, s.Resource, s.Name)
	req.Namespace, req.Object, req.Mutate = s.Namespace, s.Object, s.Mutate
	req.GracePeriod, req.GraceSet = s.GracePeriod, s.GraceSet
	k.sent.Inc()
	k.rec.Note(k.eng.Now(), "kubectl", s.Describe)
	k.cl.Do(req, stepCall{k, i})
}

// sendSelected sends step i's delete for each object it selects now.
func (k *Kubectl) sendSelected(i int) {
	s := &k.steps[i]
	ids := s.Select()
	if len(ids) == 0 {
		k.rec.Note(k.eng.Now(), "kubectl", s.Describe+": no resources found")
		return
	}
	for _, id := range ids {
		req := k.cl.NewRequest(s.Verb, s.Resource, id)
		req.Namespace = s.Namespace
		req.GracePeriod, req.GraceSet = s.GracePeriod, s.GraceSet
		k.sent.Inc()
		k.rec.Note(k.eng.Now(), "kubectl", s.Describe+": deletes "+strings.TrimSuffix(s.Resource.String(), "s")+" #"+strconv.Itoa(int(id)))
		k.cl.Do(req, stepCall{k, i})
	}
}

// stepCall answers for step i.
type stepCall struct {
	k *Kubectl
	i int
}

// OnResponse notes the command's outcome.
func (c stepCall) OnResponse(req *api.Request) {
	k, s := c.k, &c.k.steps[c.i]
	took := k.eng.Now().Sub(req.Sent)
	if req.Code.Success() {
		k.rec.Note(k.eng.Now(), "kubectl", s.Describe+": HTTP "+strconv.Itoa(int(req.Code))+" after "+took.String())
	} else {
		k.failed.Inc()
		k.rec.Note(k.eng.Now(), "kubectl", s.Describe+" failed: code "+strconv.Itoa(int(req.Code))+" after "+took.String())
	}
	k.cl.Release(req)
}
