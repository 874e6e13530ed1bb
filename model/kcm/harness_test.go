package kcm

import (
	"fmt"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Constant latencies: a write takes 7ms from send to answer (1ms to the
// API server, 1ms of its CPU, 1ms to storage, a 2ms commit, 1ms back, 1ms
// to the client), and its watch event reaches watchers with the answer.
// The manager's caches sync before 100ms, its first poll after the one at
// Start, so workers start at 100ms.
const (
	ms      = time.Millisecond
	writeRT = 7 * ms
	workers = 100 * ms
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

var unthrottled = client.Config{QPS: -1}

type env struct {
	*apitest.Rig
	t    *testing.T
	in   *objects.Interner
	m    *Manager
	spec *objects.PodSpec
	// trace records every committed change of a ReplicaSet's replicas.
	trace []rsChange
	// sliceTrace records every committed change of an EndpointSlice.
	sliceTrace []string
	// kubelet is the stand-in scheduler and kubelet's client.
	kubelet *apitest.Actor
}

type rsChange struct {
	at       sim.Time
	id       int32
	replicas int32
	created  bool
}

func (c rsChange) String() string {
	return fmt.Sprintf("%v rs%d=%d", c.at.Duration(), c.id, c.replicas)
}

func newSpec(t *testing.T, in *objects.Interner, image string) *objects.PodSpec {
	t.Helper()
	s := &objects.PodSpec{Containers: []objects.Container{{Name: in.Intern("app"), Image: in.Intern(image)}}}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	return s
}

func newEnv(t *testing.T, seed uint64, cfg Config) *env {
	t.Helper()
	r := apitest.New(seed, apitest.Latencies{Network: ms, Service: ms, Commit: 2 * ms, Read: ms}, "test-writer")
	e := &env{Rig: r, t: t, in: objects.NewInterner()}
	e.spec = newSpec(t, e.in, "app:v1")
	cfg.In = e.in
	if cfg.InformerClient.QPS == 0 {
		cfg.InformerClient = unthrottled
	}
	if cfg.ReplicaSet.Client.QPS == 0 {
		cfg.ReplicaSet.Client = unthrottled
	}
	if cfg.Deployment.Client.QPS == 0 {
		cfg.Deployment.Client = unthrottled
	}
	if cfg.EndpointSlice.Client.QPS == 0 {
		cfg.EndpointSlice.Client = unthrottled
	}
	m, err := New(r.Eng, r.Net, r.Rec, r.Shared, r.Srv.Endpoint(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	// Something stored, so that the store's revision is not 0: a
	// reflector's watch from revision 0 fails and is retried after a
	// backoff, which no real cluster (always at a revision) shows.
	e.Seed(api.Object{Resource: api.ConfigMaps, ID: 0, Size: 1})
	r.St.SetObserver(e)
	e.kubelet = &apitest.Actor{}
	e.kubelet.Self = r.Net.AddEndpoint("test-kubelet", e.kubelet)
	e.kubelet.C = client.New(r.Eng, r.Net, r.Shared, e.kubelet.Self, r.Srv.Endpoint(), unthrottled)
	return e
}

// Committed records ReplicaSet size changes and EndpointSlice changes
// (storage.CommitObserver).
func (e *env) Committed(now sim.Time, prev api.Object, existed bool, cur api.Object) {
	if cur.Resource == api.EndpointSlices {
		e.noteSlice(now, existed, cur)
		return
	}
	if cur.Resource != api.ReplicaSets {
		return
	}
	rs, ok := cur.Body.(*objects.ReplicaSet)
	if !ok {
		return
	}
	if existed {
		if old, ok := prev.Body.(*objects.ReplicaSet); ok && old.Replicas == rs.Replicas {
			return
		}
	}
	e.trace = append(e.trace, rsChange{at: now, id: cur.ID, replicas: rs.Replicas, created: !existed})
}

func (e *env) labels(pairs ...string) objects.Labels {
	var ls []objects.Label
	for i := 0; i < len(pairs); i += 2 {
		ls = append(ls, objects.Label{Key: e.in.Intern(pairs[i]), Value: e.in.Intern(pairs[i+1])})
	}
	out, err := objects.MakeLabels(ls...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// seedRS stores a stand-alone ReplicaSet of replicas pods labelled app=web.
func (e *env) seedRS(id, replicas int32) api.Object {
	ls := e.labels("app", "web")
	rs := &objects.ReplicaSet{ID: id, Namespace: objects.NamespaceDefault, Name: e.in.Intern(fmt.Sprintf("rs-%d", id)),
		Replicas: replicas, Selector: objects.LabelSelector{MatchLabels: ls},
		Template: objects.PodTemplate{Labels: ls, Spec: e.spec}, Size: 4000}
	return e.Seed(api.Object{Resource: api.ReplicaSets, ID: id, Namespace: 1, Size: 4000, Body: rs})
}

// podState is a seeded pod's placement and readiness.
type podState struct {
	node    int32 // objects.NoNode: unscheduled
	phase   objects.PodPhase
	ready   bool
	since   time.Duration // ReadySince
	created time.Duration
}

func (e *env) seedPod(id int32, rs api.Object, s podState) api.Object {
	body := rs.Body.(*objects.ReplicaSet)
	p := &objects.Pod{ID: id, Namespace: body.Namespace, Labels: body.Template.Labels, Spec: body.Template.Spec,
		Owner: objects.OwnerRef{Kind: objects.OwnedByReplicaSet, ID: rs.ID}, NodeName: s.node, Phase: s.phase,
		Ready: s.ready, ReadySince: at(s.since), Created: at(s.created), Size: 4000}
	if s.node != objects.NoNode {
		p.Scheduled = api.ConditionTrue
	}
	return e.Seed(api.Object{Resource: api.Pods, ID: id, Namespace: 1, Size: 4000, Body: p})
}

var running = podState{node: 1, phase: objects.PodRunning, ready: true}

// storedPods returns the stored pods owned by rs, in ID order.
func (e *env) storedPods(rs int32) []*objects.Pod {
	var out []*objects.Pod
	for id := int32(0); id < 2000; id++ {
		if o, ok := e.St.Get(api.Pods, id); ok {
			if p := o.Body.(*objects.Pod); p.Owner.Kind == objects.OwnedByReplicaSet && p.Owner.ID == rs {
				out = append(out, p)
			}
		}
	}
	return out
}

func activeCount(ps []*objects.Pod) int {
	n := 0
	for _, p := range ps {
		if isPodActive(p) {
			n++
		}
	}
	return n
}

func (e *env) storedRS(id int32) *objects.ReplicaSet {
	o, ok := e.St.Get(api.ReplicaSets, id)
	if !ok {
		return nil
	}
	return o.Body.(*objects.ReplicaSet)
}

// runKubelet starts the stand-in for the scheduler and the kubelets: every
// period it binds each unscheduled pod to node 1 and makes it Running and
// Ready at once, and ends every terminating pod (a delete with grace 0).
func (e *env) runKubelet(start, period time.Duration) {
	var tick func()
	tick = func() {
		for id := int32(0); id < 2000; id++ {
			o, ok := e.St.Get(api.Pods, id)
			if !ok {
				continue
			}
			p := o.Body.(*objects.Pod)
			switch {
			case p.Terminating:
				req := e.kubelet.C.NewRequest(api.Delete, api.Pods, id)
				req.GraceSet = true
				e.kubelet.C.Do(req, e.kubelet)
			case !p.Bound():
				req := e.kubelet.C.NewRequest(api.Patch, api.Pods, id)
				req.Object = api.Object{Size: 4000}
				req.Mutate = e.startPod
				e.kubelet.C.Do(req, e.kubelet)
			}
		}
		e.At(e.Eng.Now().Duration()+period, tick)
	}
	e.At(start, tick)
}

// startPod binds an unscheduled pod and makes it Running and Ready.
func (e *env) startPod(cur *api.Object) (api.Object, api.Code) {
	p := cur.Body.(*objects.Pod)
	if p.Bound() || p.Terminating {
		return api.Object{}, api.Conflict
	}
	np := *p
	np.NodeName, np.Scheduled, np.Phase, np.Ready = 1, api.ConditionTrue, objects.PodRunning, true
	np.ReadySince, np.StartTime = e.Eng.Now(), e.Eng.Now()
	o := *cur
	o.Body = &np
	return o, 0
}

// send has the test writer send req at d.
func (e *env) send(d time.Duration, mk func() *api.Request) {
	e.At(d, func() { e.Writer.C.Do(mk(), e.Writer) })
}
