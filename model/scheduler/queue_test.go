package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

func (f *fixture) queue(hints bool) *Queue {
	cfg := DefaultQueueConfig(31)
	cfg.QueueingHints = hints
	q, err := NewQueue(cfg, f.in, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return q
}

func (f *fixture) pending() *objects.Pod {
	return f.pod(f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(100, mi)}}}), nil)
}

// fail pops the head and requeues it as rejected by the given plugins.
func fail(t *testing.T, q *Queue, now sim.Time, plugins ...Plugin) *QueuedPod {
	t.Helper()
	qp := q.Pop(now)
	if qp == nil {
		t.Fatal("activeQ empty")
	}
	qp.UnschedulablePlugins = pluginSet(plugins...)
	if err := q.AddUnschedulableIfNotPresent(qp, q.SchedulingCycle(), now); err != nil {
		t.Fatal(err)
	}
	return qp
}

func wantWhere(t *testing.T, q *Queue, p *objects.Pod, want QueueName) {
	t.Helper()
	if got := q.Get(p.ID).Where(); got != want {
		t.Fatalf("pod %d in %v, want %v", p.ID, got, want)
	}
}

func TestQueueDefaultsByVersion(t *testing.T) {
	for minor, hints := range map[int]bool{27: false, 28: true, 29: false, 31: false, 32: true, 34: true} {
		if got := DefaultQueueConfig(minor).QueueingHints; got != hints {
			t.Errorf("1.%d: hints %v, want %v", minor, got, hints)
		}
	}
	bad := QueueConfig{PodInitialBackoff: 2 * time.Second, PodMaxBackoff: time.Second, PodMaxInUnschedulablePods: time.Minute}
	if _, err := NewQueue(bad, nil, nil); err == nil {
		t.Error("max backoff below initial accepted")
	}
}

// Backoff: 1s doubling per attempt, capped at 10s.
func TestBackoffDuration(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for attempts, w := range want {
		if got := q.BackoffDuration(attempts); got != w {
			t.Errorf("attempts %d: %v, want %v", attempts, got, w)
		}
	}
}

// activeQ is FIFO by timestamp; each pop counts an attempt and a cycle.
func TestActiveQFIFOAndPop(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	a, b, c := f.pending(), f.pending(), f.pending()
	q.Add(b, at(2*time.Second))
	q.Add(a, at(time.Second))
	q.Add(c, at(2*time.Second)) // same time as b: insertion order
	var got []int32
	for qp := q.Pop(at(3 * time.Second)); qp != nil; qp = q.Pop(at(3 * time.Second)) {
		got = append(got, qp.Pod.ID)
		if qp.Attempts != 1 || qp.InitialAttempt < 0 {
			t.Errorf("pod %d: attempts %d, initial %v", qp.Pod.ID, qp.Attempts, qp.InitialAttempt)
		}
	}
	if want := []int32{a.ID, b.ID, c.ID}; !slices.Equal(got, want) {
		t.Fatalf("pop order %v, want %v", got, want)
	}
	if q.SchedulingCycle() != 3 || q.InFlight() != 3 {
		t.Fatalf("cycle %d, in flight %d", q.SchedulingCycle(), q.InFlight())
	}
}

// A FitError with no move request during the cycle parks the pod in
// unschedulablePods; an error (no rejecting plugin) sends it to backoffQ.
func TestFailureGoesToUnschedulableOrBackoff(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	fit, errPod := f.pending(), f.pending()
	q.Add(fit, 0)
	q.Add(errPod, 0)
	fail(t, q, at(time.Second), NodeResourcesFit)
	wantWhere(t, q, fit, UnschedulablePods)
	fail(t, q, at(time.Second))
	wantWhere(t, q, errPod, BackoffQ)
	if q.InFlight() != 0 {
		t.Fatalf("in flight %d after requeue", q.InFlight())
	}
	// Requeueing a pod that is not in flight is refused.
	if err := q.AddUnschedulableIfNotPresent(q.Get(fit.ID), q.SchedulingCycle(), at(time.Second)); err != ErrNotInFlight {
		t.Fatalf("second requeue: %v", err)
	}
}

// The moveRequestCycle rule: a move request during a pod's cycle sends
// the failed pod to backoffQ, not unschedulablePods — even if the event
// moved nothing.
func TestMoveRequestDuringCycleSendsToBackoff(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	p := f.pending()
	q.Add(p, 0)
	qp := q.Pop(at(time.Second))
	q.MoveAllToActiveOrBackoffQueue(EventNodeAdd, nil, at(1500*time.Millisecond))
	if q.MoveRequestCycle() != 1 {
		t.Fatalf("moveRequestCycle %d, want 1", q.MoveRequestCycle())
	}
	qp.UnschedulablePlugins = pluginSet(NodeResourcesFit)
	if err := q.AddUnschedulableIfNotPresent(qp, q.SchedulingCycle(), at(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantWhere(t, q, p, BackoffQ)
	// A later cycle with no move request parks it.
	if n := q.FlushBackoffCompleted(at(3 * time.Second)); n != 1 {
		t.Fatalf("flushed %d", n)
	}
	fail(t, q, at(3*time.Second), NodeResourcesFit)
	wantWhere(t, q, p, UnschedulablePods)
	// An event no default filter registers (a condition change) is no
	// move request.
	q.MoveAllToActiveOrBackoffQueue(EventNodeConditionChange, nil, at(4*time.Second))
	if q.MoveRequestCycle() != 1 {
		t.Fatalf("condition change recorded a move request: %d", q.MoveRequestCycle())
	}
	wantWhere(t, q, p, UnschedulablePods)
}

// The 1s flush moves exactly the pods whose backoff has ended.
func TestFlushBackoffCompleted(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	a, b := f.pending(), f.pending()
	q.Add(a, 0)
	q.Add(b, 0)
	fail(t, q, at(10*time.Second)) // attempt 1: back at 11s
	qb := q.Pop(at(10 * time.Second))
	qb.Attempts = 3 // attempt 3: 4s, back at 14s
	if err := q.AddUnschedulableIfNotPresent(qb, q.SchedulingCycle(), at(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if exp, _ := q.NextBackoffExpiry(); exp != at(11*time.Second) {
		t.Fatalf("next expiry %v", exp)
	}
	steps := []struct {
		t      time.Duration
		moved  int
		active int
	}{{10900 * time.Millisecond, 0, 0}, {11 * time.Second, 1, 1}, {13 * time.Second, 0, 1}, {14 * time.Second, 1, 2}}
	for _, s := range steps {
		if n := q.FlushBackoffCompleted(at(s.t)); n != s.moved || q.Len(ActiveQ) != s.active {
			t.Fatalf("at %v: moved %d active %d, want %d %d", s.t, n, q.Len(ActiveQ), s.moved, s.active)
		}
	}
}

// Pods stay in unschedulablePods until more than 5 minutes have passed
// since they failed; the flush then moves them (after backoff: activeQ).
func TestFlushUnschedulableLeftover(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	p := f.pending()
	q.Add(p, 0)
	fail(t, q, at(time.Second), TaintToleration)
	if n := q.FlushUnschedulableLeftover(at(time.Second + 5*time.Minute)); n != 0 {
		t.Fatal("moved at exactly 5 minutes")
	}
	if n := q.FlushUnschedulableLeftover(at(time.Second + 5*time.Minute + 1)); n != 1 {
		t.Fatal("not moved after 5 minutes")
	}
	wantWhere(t, q, p, ActiveQ)
}

// MoveAll moves only the pods a registered plugin rejected and that pass
// the preCheck; those still backing off go to backoffQ.
func TestMoveAllByEventAndPreCheck(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	taint, fit, old := f.pending(), f.pending(), f.pending()
	for _, p := range []*objects.Pod{old, taint, fit} {
		q.Add(p, 0)
	}
	fail(t, q, 0, NodeResourcesFit)                // old: fails at 0, backoff ends at 1s
	fail(t, q, at(5*time.Second), TaintToleration) // taint
	fail(t, q, at(5*time.Second), NodeResourcesFit)
	// Allocatable grew: only NodeResourcesFit registered it.
	if n := q.MoveAllToActiveOrBackoffQueue(EventNodeAllocatableChange, nil, at(5500*time.Millisecond)); n != 2 {
		t.Fatalf("moved %d, want 2", n)
	}
	wantWhere(t, q, taint, UnschedulablePods)
	wantWhere(t, q, old, ActiveQ)  // backoff over
	wantWhere(t, q, fit, BackoffQ) // failed 0.5s ago
	// A node add with a preCheck that refuses: nothing moves.
	if n := q.MoveAllToActiveOrBackoffQueue(EventNodeAdd, func(*objects.Pod) bool { return false }, at(6*time.Second)); n != 0 {
		t.Fatalf("preCheck ignored: moved %d", n)
	}
	if n := q.MoveAllToActiveOrBackoffQueue(EventNodeTaintChange, nil, at(7*time.Second)); n != 1 {
		t.Fatalf("taint change moved %d", n)
	}
	wantWhere(t, q, taint, ActiveQ)
}

// With hints off, a newly bound pod moves only pods PodTopologySpread
// rejected in its namespace, or whose required affinity it matches.
func TestAssignedPodAddedCrossTopology(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	web := f.labels("app", "web")
	sel := &objects.LabelSelector{MatchLabels: web}
	spread := f.pending()
	affine := f.pod(f.spec(objects.PodSpec{PodAffinity: objects.PodAffinity{Required: []objects.PodAffinityTerm{{Selector: sel, TopologyKey: f.sym("kubernetes.io/hostname")}}}}), nil)
	other := f.pending()
	for _, p := range []*objects.Pod{spread, affine, other} {
		q.Add(p, 0)
	}
	fail(t, q, 0, PodTopologySpread)
	fail(t, q, 0, InterPodAffinity)
	fail(t, q, 0, InterPodAffinity)
	bound := f.pod(f.spec(objects.PodSpec{}), f.labels("app", "db"))
	if n := q.AssignedPodAdded(bound, at(time.Minute)); n != 1 {
		t.Fatalf("db pod moved %d, want 1 (the spread pod)", n)
	}
	wantWhere(t, q, spread, ActiveQ)
	wantWhere(t, q, affine, UnschedulablePods)
	bound = f.pod(f.spec(objects.PodSpec{}), web)
	if n := q.AssignedPodAdded(bound, at(time.Minute)); n != 1 {
		t.Fatalf("web pod moved %d, want 1 (the affine pod)", n)
	}
	wantWhere(t, q, affine, ActiveQ)
	wantWhere(t, q, other, UnschedulablePods)
}

// Updates: a status-only change leaves an unschedulable pod; a change of
// labels moves it; an unknown pod is added.
func TestQueueUpdate(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	p := f.pending()
	q.Add(p, 0)
	fail(t, q, 0, NodeAffinity)
	status := *p
	status.Phase = objects.PodPending
	q.Update(p, &status, at(10*time.Second))
	wantWhere(t, q, p, UnschedulablePods)
	relabeled := status
	relabeled.Labels = f.labels("tier", "x")
	q.Update(&status, &relabeled, at(10*time.Second))
	wantWhere(t, q, p, ActiveQ)
	if q.Get(p.ID).Pod != &relabeled {
		t.Fatal("queue kept the old object")
	}
	n := f.pending()
	q.Update(nil, n, at(11*time.Second))
	wantWhere(t, q, n, ActiveQ)
	// In activeQ, an update replaces the object and keeps the pod there.
	nn := *n
	q.Update(n, &nn, at(11*time.Second))
	wantWhere(t, q, n, ActiveQ)
	if q.Get(n.ID).Pod != &nn {
		t.Fatal("activeQ kept the old object")
	}
	q.Delete(n.ID, at(12*time.Second))
	if q.Get(n.ID) != nil || q.Len(ActiveQ) != 1 {
		t.Fatal("delete left the pod")
	}
}

// With queueing hints, a failed pod is requeued only if an event that
// came while it was in flight concerns a plugin that rejected it; the
// node preCheck is not used.
func TestQueueingHintsInFlightEvents(t *testing.T) {
	f := newFixture(t)
	q := f.queue(true)
	a, b, c, d := f.pending(), f.pending(), f.pending(), f.pending()
	for _, p := range []*objects.Pod{a, b, c, d} {
		q.Add(p, 0)
	}
	qa := q.Pop(at(time.Second))
	qb := q.Pop(at(time.Second))
	q.MoveAllToActiveOrBackoffQueue(EventNodeAllocatableChange, nil, at(time.Second))
	qc := q.Pop(at(time.Second)) // popped after the event
	qa.UnschedulablePlugins = pluginSet(NodeResourcesFit)
	qb.UnschedulablePlugins = pluginSet(TaintToleration) // not concerned
	qc.UnschedulablePlugins = pluginSet(NodeResourcesFit)
	for _, qp := range []*QueuedPod{qa, qb, qc} {
		if err := q.AddUnschedulableIfNotPresent(qp, q.SchedulingCycle(), at(3*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	wantWhere(t, q, a, BackoffQ) // requeued; its 1s backoff runs from 3s
	wantWhere(t, q, b, UnschedulablePods)
	wantWhere(t, q, c, UnschedulablePods)
	if len(q.events) != 0 {
		t.Fatalf("%d in-flight events kept with nothing in flight", len(q.events))
	}
	// The preCheck is ignored: a node add moves b and c despite it.
	if n := q.MoveAllToActiveOrBackoffQueue(EventNodeAdd, func(*objects.Pod) bool { return false }, at(10*time.Second)); n != 2 {
		t.Fatalf("node add moved %d, want 2", n)
	}
	// A pod updated while in flight is retried.
	qd := q.Pop(at(10 * time.Second))
	upd := *d
	q.Update(d, &upd, at(10*time.Second))
	wantWhere(t, q, d, NotQueued)
	qd.UnschedulablePlugins = pluginSet(NodeAffinity)
	if err := q.AddUnschedulableIfNotPresent(qd, q.SchedulingCycle(), at(12*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantWhere(t, q, d, BackoffQ)
}

// With hints off, an update of a pod in flight queues it at once (upstream
// adds a pod it finds in no sub-queue); its failure then finds it queued.
func TestUpdateInFlightWithoutHints(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	p := f.pending()
	q.Add(p, 0)
	qp := q.Pop(at(time.Second))
	upd := *p
	q.Update(p, &upd, at(time.Second))
	wantWhere(t, q, p, ActiveQ)
	qp.UnschedulablePlugins = pluginSet(NodeAffinity)
	if err := q.AddUnschedulableIfNotPresent(qp, q.SchedulingCycle(), at(2*time.Second)); err != ErrAlreadyQueued {
		t.Fatalf("requeue of a queued pod: %v", err)
	}
	wantWhere(t, q, p, ActiveQ)
	if q.InFlight() != 0 {
		t.Fatal("still in flight")
	}
}

// The move request is compared with the cycle the caller passes: the
// scheduler passes the queue's current cycle, so a pod popped before a
// move request but failing after a later pop is parked.
func TestMoveRequestComparedWithPassedCycle(t *testing.T) {
	f := newFixture(t)
	q := f.queue(false)
	a, b := f.pending(), f.pending()
	q.Add(a, 0)
	q.Add(b, 0)
	qa := q.Pop(at(time.Second)) // cycle 1
	q.MoveAllToActiveOrBackoffQueue(EventNodeAdd, nil, at(time.Second))
	q.Pop(at(time.Second)) // cycle 2
	qa.UnschedulablePlugins = pluginSet(NodeResourcesFit)
	if err := q.AddUnschedulableIfNotPresent(qa, q.SchedulingCycle(), at(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantWhere(t, q, a, UnschedulablePods)
	if qa.Cycle() != 1 {
		t.Fatalf("cycle %d", qa.Cycle())
	}
}

// The pending-pod gauges follow the sub-queues, and drop to zero when the
// process holding the queue stops.
func TestQueueGauges(t *testing.T) {
	f := newFixture(t)
	rec := sim.NewRecorder(time.Second)
	q, err := NewQueue(DefaultQueueConfig(31), f.in, rec, "replica", "0")
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.pending(), f.pending()
	q.Add(a, 0)
	q.Add(b, 0)
	fail(t, q, at(time.Second), NodeAffinity)
	active := rec.Gauge(PendingPodsGauge, "queue", "active", "replica", "0")
	unsched := rec.Gauge(PendingPodsGauge, "queue", "unschedulable", "replica", "0")
	if active.Value() != 1 || unsched.Value() != 1 {
		t.Fatalf("active %v unschedulable %v", active.Value(), unsched.Value())
	}
	if c := rec.FindCounter("scheduler_queue_incoming_pods_total", "queue", "active", "event", "PodAdd", "replica", "0"); c == nil || c.Value != 2 {
		t.Fatalf("incoming %v", c)
	}
	q.Close(at(2 * time.Second))
	if active.Value() != 0 || unsched.Value() != 0 {
		t.Fatal("gauges kept after Close")
	}
}

// A pod popped again while still in flight (hints off: an update queued it
// during its cycle, and the loop pops it before its binding is answered)
// is in flight once: one Done ends its flight.
func TestPopInFlightPodCountsOnce(t *testing.T) {
	for _, hints := range []bool{false, true} {
		f := newFixture(t)
		q := f.queue(hints)
		p := f.pending()
		q.Add(p, 0)
		qp := q.Pop(at(time.Second))
		q.Add(p, at(time.Second)) // queued again while in flight
		if again := q.Pop(at(time.Second)); again != qp {
			t.Fatalf("hints %v: second pop %v", hints, again)
		}
		if q.InFlight() != 1 {
			t.Fatalf("hints %v: in flight %d after popping one pod twice", hints, q.InFlight())
		}
		q.Done(qp)
		if q.InFlight() != 0 {
			t.Fatalf("hints %v: in flight %d after Done", hints, q.InFlight())
		}
		// With nothing in flight, events are no longer kept.
		q.MoveAllToActiveOrBackoffQueue(EventNodeAdd, nil, at(2*time.Second))
		if len(q.events) != 0 {
			t.Fatalf("hints %v: %d in-flight events kept", hints, len(q.events))
		}
	}
}

// Deleting a pod in flight forgets it at once; its cycle's later failure
// is refused and its Done is a no-op.
func TestDeleteInFlight(t *testing.T) {
	f := newFixture(t)
	q := f.queue(true)
	p := f.pending()
	q.Add(p, 0)
	qp := q.Pop(at(time.Second))
	q.Delete(p.ID, at(time.Second))
	if q.Get(p.ID) != nil || q.InFlight() != 0 {
		t.Fatalf("deleted pod kept: entry %v, in flight %d", q.Get(p.ID), q.InFlight())
	}
	if err := q.AddUnschedulableIfNotPresent(qp, q.SchedulingCycle(), at(2*time.Second)); err != ErrNotInFlight {
		t.Fatalf("requeue of a deleted pod: %v", err)
	}
	q.Done(qp)
	if q.Pending() != 0 || q.InFlight() != 0 {
		t.Fatalf("pending %d, in flight %d", q.Pending(), q.InFlight())
	}
}

// preCheckForNode: a pod is moved by a node event only if the node has
// room for its requests and pods, matches its node selector and name, and
// has no NoSchedule taint it does not tolerate; NoExecute taints are not
// checked.
func TestPreCheckForNode(t *testing.T) {
	f := newFixture(t)
	k, v := f.sym("dedicated"), f.sym("db")
	plain := f.node("plain", 2000, 4*gi)
	f.using(plain, 1500, gi)
	tainted := f.node("tainted", 8000, 16*gi, taint(k, v, objects.NoSchedule))
	noExec := f.node("noexec", 8000, 16*gi, taint(k, v, objects.NoExecute))
	full := f.node("full", 8000, 16*gi, func(n *objects.Node) { n.MaxPods = 1 })
	f.using(full, 100, mi)
	cpu := func(m int64) *objects.PodSpec {
		return f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(m, mi)}}})
	}
	small, big := f.pod(cpu(100), nil), f.pod(cpu(1000), nil)
	tolerant := f.pod(f.spec(objects.PodSpec{Tolerations: []objects.Toleration{{Key: k, Value: v, Effect: objects.NoSchedule}}}), nil)
	selector := f.pod(f.spec(objects.PodSpec{NodeSelector: f.labels("disk", "ssd")}), nil)
	named := f.pod(cpu(100), nil)
	named.NodeName = tainted.ID
	for _, tt := range []struct {
		node *objects.Node
		pod  *objects.Pod
		want bool
	}{
		{plain, small, true},
		{plain, big, false}, // 1000m asked, 500m free
		{plain, selector, false},
		{plain, named, false},
		{tainted, small, false},
		{tainted, tolerant, true},
		{noExec, small, true},
		{full, small, false},
	} {
		if got := PreCheckForNode(f.snap.NodeInfo(tt.node.ID), f.in)(tt.pod); got != tt.want {
			t.Errorf("node %s, pod %d: %v, want %v", f.in.String(tt.node.Name), tt.pod.ID, got, tt.want)
		}
	}
}

// With hints on, a bound pod's relabelling moves every parked pod a
// plugin that registered AssignedPodUpdate rejected (PodTopologySpread,
// InterPodAffinity), not those NodeResourcesFit rejected; a bound pod's
// deletion moves those too.
func TestAssignedPodEventsWithHints(t *testing.T) {
	f := newFixture(t)
	q := f.queue(true)
	spread, affine, fit := f.pending(), f.pending(), f.pending()
	for _, p := range []*objects.Pod{spread, affine, fit} {
		q.Add(p, 0)
	}
	fail(t, q, 0, PodTopologySpread)
	fail(t, q, 0, InterPodAffinity)
	fail(t, q, 0, NodeResourcesFit)
	bound := f.pod(f.spec(objects.PodSpec{}), f.labels("app", "db"))
	if n := q.AssignedPodUpdated(bound, at(time.Minute)); n != 2 {
		t.Fatalf("relabel moved %d, want 2", n)
	}
	wantWhere(t, q, spread, ActiveQ)
	wantWhere(t, q, affine, ActiveQ)
	wantWhere(t, q, fit, UnschedulablePods)
	if n := q.MoveAllToActiveOrBackoffQueue(EventAssignedPodDelete, nil, at(time.Minute)); n != 1 {
		t.Fatalf("delete moved %d, want 1", n)
	}
	wantWhere(t, q, fit, ActiveQ)
}
