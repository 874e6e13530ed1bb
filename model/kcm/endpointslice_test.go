package kcm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// epString renders an endpoint: its pod, then "!" if not ready, "s" if
// serving while not ready, "t" if terminating.
func epString(ep objects.Endpoint) string {
	s := fmt.Sprint(ep.Pod)
	if !ep.Ready {
		s += "!"
		if ep.Serving {
			s += "s"
		}
	}
	if ep.Terminating {
		s += "t"
	}
	return s
}

func sliceString(s *objects.EndpointSlice) string {
	eps := make([]string, len(s.Endpoints))
	for i, ep := range s.Endpoints {
		eps[i] = epString(ep)
	}
	return fmt.Sprintf("svc%d ports=%d [%s]", s.Service, s.Ports, strings.Join(eps, " "))
}

// noteSlice records a committed EndpointSlice change.
func (e *env) noteSlice(now sim.Time, existed bool, cur api.Object) {
	op := "update"
	switch {
	case !existed:
		op = "create"
	default:
		if _, ok := e.St.Get(api.EndpointSlices, cur.ID); !ok {
			e.sliceTrace = append(e.sliceTrace, fmt.Sprintf("%v delete es%d", now.Duration(), cur.ID))
			return
		}
	}
	s := cur.Body.(*objects.EndpointSlice)
	if cur.Size != s.Size() {
		e.t.Errorf("slice %d stored with size %d, want %d", cur.ID, cur.Size, s.Size())
	}
	e.sliceTrace = append(e.sliceTrace, fmt.Sprintf("%v %s es%d %s", now.Duration(), op, cur.ID, sliceString(s)))
}

func (e *env) checkTrace(want ...string) {
	e.t.Helper()
	if !slices.Equal(e.sliceTrace, want) {
		e.t.Fatalf("EndpointSlice writes:\n  %s\nwant:\n  %s", strings.Join(e.sliceTrace, "\n  "), strings.Join(want, "\n  "))
	}
}

// seedService stores Service id in namespace 1 selecting the label pairs.
func (e *env) seedService(id, ports int32, sel ...string) api.Object {
	s := &objects.Service{ID: id, Namespace: objects.NamespaceDefault, Name: e.in.Intern(fmt.Sprintf("svc-%d", id)),
		Ports: ports, Size: objects.DefaultServiceSize}
	if len(sel) > 0 {
		s.Selector = e.labels(sel...)
	}
	return e.Seed(api.Object{Resource: api.Services, ID: id, Namespace: 1, Size: s.Size, Body: s})
}

// barePod is a pod without an owner, labelled ls, in state st.
func (e *env) barePod(id int32, ls objects.Labels, st podState) *objects.Pod {
	p := &objects.Pod{ID: id, Namespace: objects.NamespaceDefault, Labels: ls, Spec: e.spec, NodeName: st.node,
		Phase: st.phase, Ready: st.ready, ReadySince: at(st.since), Created: at(st.created), Size: 4000}
	if st.node != objects.NoNode {
		p.Scheduled = api.ConditionTrue
	}
	return p
}

func (e *env) seedBarePod(id int32, ls objects.Labels, st podState) api.Object {
	return e.Seed(api.Object{Resource: api.Pods, ID: id, Namespace: 1, Size: 4000, Body: e.barePod(id, ls, st)})
}

// notReady is a pod bound and running (so with an IP) but not Ready.
var notReady = podState{node: 1, phase: objects.PodRunning}

// createPod has the writer create pod id at d.
func (e *env) createPod(d time.Duration, id int32, ls objects.Labels, st podState) {
	e.send(d, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Create, api.Pods, id)
		req.Namespace = 1
		req.Object = api.Object{Resource: api.Pods, ID: id, Namespace: 1, Size: 4000, Body: e.barePod(id, ls, st)}
		return req
	})
}

// patchPod has the writer change pod id at d.
func (e *env) patchPod(d time.Duration, id int32, change func(p *objects.Pod)) {
	e.send(d, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Patch, api.Pods, id)
		req.Namespace = 1
		req.Object = api.Object{Size: 4000}
		req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			np := *cur.Body.(*objects.Pod)
			change(&np)
			o := *cur
			o.Body = &np
			return o, 0
		}
		return req
	})
}

// deletePod has the writer delete pod id at d: gracefully (a bound pod
// gets a deletionTimestamp) unless grace0.
func (e *env) deletePod(d time.Duration, id int32, grace0 bool) {
	e.send(d, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Delete, api.Pods, id)
		req.Namespace = 1
		req.GraceSet = grace0
		return req
	})
}

// setSelector has the writer replace Service id's selector at d.
func (e *env) setSelector(d time.Duration, id int32, sel ...string) {
	e.send(d, func() *api.Request {
		cur, _ := e.St.Get(api.Services, id)
		s := *cur.Body.(*objects.Service)
		s.Selector = e.labels(sel...)
		req := e.Writer.C.NewRequest(api.Update, api.Services, id)
		req.Namespace = 1
		req.Object = api.Object{Resource: api.Services, ID: id, Namespace: 1, Size: s.Size, Body: &s}
		return req
	})
}

// storedSlices returns Service svc's stored slices by ID.
func (e *env) storedSlices(svc int32) map[int32]*objects.EndpointSlice {
	out := map[int32]*objects.EndpointSlice{}
	for id := int32(0); id < 1000; id++ {
		if o, ok := e.St.Get(api.EndpointSlices, id); ok {
			if s := o.Body.(*objects.EndpointSlice); s.Service == svc {
				out[id] = s
			}
		}
	}
	return out
}

func (e *env) changes(created, updated, deleted int64) {
	e.t.Helper()
	c, u, d := e.m.EndpointSlices.Changes()
	if c != created || u != updated || d != deleted {
		e.t.Fatalf("endpoint_slice_controller_changes_total create %d update %d delete %d, want %d %d %d", c, u, d, created, updated, deleted)
	}
}

func TestThreePodsBecomeReadyInOneSlice(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	for i := range int32(3) {
		e.seedBarePod(i, web, notReady)
	}
	// A pod of another app and one of the app not yet running (no IP)
	// get no endpoint.
	e.seedBarePod(3, e.labels("app", "api"), running)
	e.seedBarePod(4, web, podState{node: 1, phase: objects.PodPending})
	e.m.Start()
	for i := range int32(3) {
		e.patchPod(time.Second, i, func(p *objects.Pod) { p.Ready = true })
	}
	e.Run(t, 5*time.Second)
	// The first sync writes the three not-ready endpoints. The readiness
	// patches commit at 1.005s; pod 0's event reaches the controller
	// first and its sync starts at once (no batch period), so it updates
	// the slice in place with pod 0 alone; pods 1 and 2 queue the Service
	// again, and the next sync updates it with both.
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0! 1! 2!]",
		"1.012s update es0 svc0 ports=1 [0 1! 2!]",
		"1.019s update es0 svc0 ports=1 [0 1 2]",
	)
	e.changes(1, 2, 0)
	if ok, stale, failed := e.m.EndpointSlices.Syncs(); stale != 0 || failed != 0 || ok == 0 {
		t.Fatalf("syncs: %d ok, %d stale, %d failed", ok, stale, failed)
	}
}

// With --endpointslice-updates-batch-period, the pods' changes wait in
// the queue and one sync takes them together.
func TestBatchPeriodTakesPodChangesTogether(t *testing.T) {
	e := newEnv(t, 1, Config{EndpointSlice: EndpointSliceConfig{BatchPeriod: 500 * ms}})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	for i := range int32(3) {
		e.seedBarePod(i, web, notReady)
	}
	e.m.Start()
	for i := range int32(3) {
		e.patchPod(2*time.Second, i, func(p *objects.Pod) { p.Ready = true })
	}
	e.Run(t, 5*time.Second)
	// The Service's own add is not delayed. The first pod event at
	// 2.007s queues it for 2.507s, and the others keep that time.
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0! 1! 2!]",
		"2.512s update es0 svc0 ports=1 [0 1 2]",
	)
	e.changes(1, 1, 0)
}

func TestTwoHundredFiftyPodsFillThreeSlices(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 2, "app", "web")
	for i := range int32(250) {
		e.seedBarePod(i, web, running)
	}
	e.m.Start()
	e.Run(t, 5*time.Second)
	got := e.storedSlices(0)
	var sizes []int
	seen := map[int32]bool{}
	for _, s := range got {
		sizes = append(sizes, len(s.Endpoints))
		if s.Ports != 2 || s.AddressType != objects.AddressIPv4 {
			t.Fatalf("slice %s", sliceString(s))
		}
		for _, ep := range s.Endpoints {
			if seen[ep.Pod] || !ep.Ready || !ep.Serving || ep.Terminating || ep.Node != 1 {
				t.Fatalf("endpoint %+v (seen before: %v)", ep, seen[ep.Pod])
			}
			seen[ep.Pod] = true
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{50, 100, 100}) || len(seen) != 250 {
		t.Fatalf("slices of %v endpoints for %d pods, want 100, 100, 50 for 250", sizes, len(seen))
	}
	// One sync, three creates, sent one after the other; pods in ID order.
	e.checkTrace(
		"105ms create es0 svc0 ports=2 ["+podRange(0, 100)+"]",
		"112ms create es1 svc0 ports=2 ["+podRange(100, 200)+"]",
		"119ms create es2 svc0 ports=2 ["+podRange(200, 250)+"]",
	)
	e.changes(3, 0, 0)
}

func podRange(from, to int) string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, " ")
}

// A Service without endpoints gets one placeholder slice (no ports, no
// endpoints); its first endpoints go into it (a create and a delete
// become one update), and when the last endpoint goes it becomes the
// placeholder again rather than being deleted.
func TestPlaceholderSlice(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	e.seedBarePod(0, web, podState{node: objects.NoNode})
	e.m.Start()
	e.patchPod(2*time.Second, 0, func(p *objects.Pod) {
		p.NodeName, p.Phase, p.Ready = 1, objects.PodRunning, true
	})
	e.deletePod(4*time.Second, 0, true)
	e.Run(t, 8*time.Second)
	e.checkTrace(
		"105ms create es0 svc0 ports=0 []",
		"2.012s update es0 svc0 ports=1 [0]",
		"4.012s update es0 svc0 ports=0 []",
	)
	e.changes(1, 2, 0)
	// A sync with nothing to change writes nothing: the placeholder stays.
	before := len(e.sliceTrace)
	e.At(9*time.Second, func() { e.m.EndpointSlices.l.add(0) })
	e.Run(t, 10*time.Second)
	if len(e.sliceTrace) != before {
		t.Fatalf("a resync wrote %v", e.sliceTrace[before:])
	}
}

// A deleted pod's endpoint stays, serving and terminating but not ready,
// until the pod is gone; then it is removed.
func TestTerminatingThenDeletedPod(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	for i := range int32(3) {
		e.seedBarePod(i, web, running)
	}
	e.m.Start()
	e.deletePod(2*time.Second, 1, false) // graceful: a deletionTimestamp
	// The kubelet stops the containers: no longer Ready, still running.
	e.patchPod(3*time.Second, 1, func(p *objects.Pod) { p.Ready = false })
	e.deletePod(4*time.Second, 1, true) // the kubelet's final delete
	e.Run(t, 8*time.Second)
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0 1 2]",
		"2.012s update es0 svc0 ports=1 [0 1!st 2]",
		"3.012s update es0 svc0 ports=1 [0 1!t 2]",
		"4.012s update es0 svc0 ports=1 [0 2]",
	)
	e.changes(1, 3, 0)
}

// publishNotReadyAddresses makes every endpoint ready.
func TestPublishNotReadyAddresses(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	svc := e.seedService(0, 1, "app", "web")
	s := *svc.Body.(*objects.Service)
	s.PublishNotReadyAddresses = true
	svc.Body = &s
	e.Seed(svc)
	e.seedBarePod(0, web, notReady)
	e.m.Start()
	e.deletePod(time.Second, 0, false)
	e.Run(t, 3*time.Second)
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0]",
		"1.012s update es0 svc0 ports=1 [0t]",
	)
}

// Services without a selector, and ExternalName Services, get no slices.
func TestServicesWithoutEndpoints(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 1)
	ext := e.seedService(1, 1, "app", "web")
	s := *ext.Body.(*objects.Service)
	s.ExternalName = true
	ext.Body = &s
	e.Seed(ext)
	e.seedBarePod(0, web, running)
	e.m.Start()
	e.Run(t, 3*time.Second)
	e.checkTrace()
	if ok, _, _ := e.m.EndpointSlices.Syncs(); ok < 2 {
		t.Fatalf("%d syncs, want both Services synced", ok)
	}
}

// Changing the selector moves the slice to the newly selected pods: its
// endpoints all go, so it would be deleted and a new one created; the two
// become one update of the old slice.
func TestSelectorChange(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web, api := e.labels("app", "web"), e.labels("app", "api")
	e.seedService(0, 1, "app", "web")
	e.seedBarePod(0, web, running)
	e.seedBarePod(1, api, running)
	e.seedBarePod(2, web, running)
	e.seedBarePod(3, api, notReady)
	e.m.Start()
	e.setSelector(2*time.Second, 0, "app", "api")
	// A pod relabelled into the selection joins it; one relabelled out
	// leaves it.
	e.patchPod(4*time.Second, 0, func(p *objects.Pod) { p.Labels = api })
	e.patchPod(6*time.Second, 1, func(p *objects.Pod) { p.Labels = web })
	e.Run(t, 8*time.Second)
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0 2]",
		"2.012s update es0 svc0 ports=1 [1 3!]",
		"4.012s update es0 svc0 ports=1 [1 3! 0]",
		"6.012s update es0 svc0 ports=1 [3! 0]",
	)
	e.changes(1, 3, 0)
	if got := e.m.EndpointSlices.Selected(0); !slices.Equal(got, []int32{0, 3}) {
		t.Fatalf("selected pods %v, want [0 3]", got)
	}
}

// A slice someone else deletes is noticed (the controller did not expect
// the deletion) and replaced after the 1s EndpointSlice sync delay.
func TestSliceDeletedBySomeoneElseIsReplaced(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	e.seedBarePod(0, web, running)
	e.m.Start()
	e.send(2*time.Second, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Delete, api.EndpointSlices, 0)
		req.Namespace = 1
		return req
	})
	e.Run(t, 5*time.Second)
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0]",
		"2.005s delete es0",
		"3.012s create es1 svc0 ports=1 [0]",
	)
	e.changes(2, 0, 0)
}

// A sync on a slice cache that has not seen the controller's own writes
// is skipped and retried (with the Service queue's 1s backoff), rather
// than acting on it: here the slice informer's watch breaks before the
// placeholder is created, so until the relist its cache lacks the slice,
// and a sync then would create a second one.
func TestStaleSliceCacheSkipsTheSync(t *testing.T) {
	e := newEnv(t, 1, Config{InformerClient: client.Config{QPS: -1, NoJitter: true}})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	e.m.Start()
	_, slicesInf := e.m.ServiceInformers()
	// The API server ends the slice watch at 50ms; the reflector hears of
	// it at 51ms and relists 800ms later (no jitter).
	e.At(50*ms, func() { e.Net.CloseStream(slicesInf.Reflector().Stream(), e.Srv.Endpoint()) })
	e.createPod(200*ms, 0, web, running)
	staleBy := int64(-1)
	for _, d := range []time.Duration{300 * ms, 860 * ms} {
		e.At(d, func() {
			if _, ok := slicesInf.Get(0); ok != (d > 851*ms) {
				t.Errorf("at %v the cache has the placeholder: %v", d, ok)
			}
		})
	}
	e.At(1200*ms, func() { _, staleBy, _ = e.m.EndpointSlices.Syncs() })
	e.Run(t, 4*time.Second)
	// The pod's sync at 207ms finds the cache stale; the retry at 1.207s
	// finds the relisted placeholder and fills it.
	e.checkTrace(
		"105ms create es0 svc0 ports=0 []",
		"1.212s update es0 svc0 ports=1 [0]",
	)
	if ok, stale, failed := e.m.EndpointSlices.Syncs(); stale != 1 || failed != 0 {
		t.Fatalf("syncs: %d ok, %d stale, %d failed; want 1 stale", ok, stale, failed)
	}
	if staleBy != 1 {
		t.Fatalf("%d stale syncs by 1.2s, want 1", staleBy)
	}
	e.changes(1, 1, 0)
}

// A restarted manager (a new leader) starts cold: the slices it finds are
// reconciled in place, not duplicated.
func TestEndpointSlicesAfterRestart(t *testing.T) {
	e := newEnv(t, 1, Config{})
	web := e.labels("app", "web")
	e.seedService(0, 1, "app", "web")
	for i := range int32(3) {
		e.seedBarePod(i, web, running)
	}
	e.m.Start()
	e.At(time.Second, e.m.Stop)
	e.createPod(1500*ms, 3, web, running)
	e.At(2*time.Second, e.m.Start)
	e.Run(t, 6*time.Second)
	// Restarted at 2s, the workers start at the 2.1s poll.
	e.checkTrace(
		"105ms create es0 svc0 ports=1 [0 1 2]",
		"2.105s update es0 svc0 ports=1 [0 1 2 3]",
	)
	if got := e.m.EndpointSlices.Selected(0); !slices.Equal(got, []int32{0, 1, 2, 3}) {
		t.Fatalf("selected %v after the restart", got)
	}
}

func TestEndpointSliceConfig(t *testing.T) {
	for _, n := range []int{-1, MaxMaxEndpointsPerSlice + 1} {
		e := newEnv(t, 1, Config{})
		_, err := New(e.Eng, e.Net, e.Rec, e.Shared, e.Srv.Endpoint(),
			Config{In: e.in, EndpointSlice: EndpointSliceConfig{MaxEndpointsPerSlice: n}})
		if !errors.Is(err, ErrMaxEndpointsPerSlice) {
			t.Errorf("MaxEndpointsPerSlice %d: %v", n, err)
		}
	}
	// Disabled: no Service or EndpointSlice informers, no controller.
	e := newEnv(t, 1, Config{EndpointSlice: EndpointSliceConfig{LoopConfig: LoopConfig{Disabled: true}}})
	if s, es := e.m.ServiceInformers(); s != nil || es != nil || e.m.EndpointSlices != nil {
		t.Fatal("a disabled EndpointSlice controller has informers")
	}
	e.seedService(0, 1, "app", "web")
	e.m.Start()
	e.Run(t, 2*time.Second)
	e.checkTrace()
	if !e.m.Running() {
		t.Fatal("the manager did not start")
	}
	// Defaults: 100 per slice, 5 workers.
	e = newEnv(t, 1, Config{})
	if c := e.m.EndpointSlices; c.max != DefaultMaxEndpointsPerSlice || c.l.ws.Len() != 5 || c.Name() != "endpointslice" {
		t.Fatalf("defaults: max %d, %d workers, name %q", c.max, c.l.ws.Len(), c.Name())
	}
}
