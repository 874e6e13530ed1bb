package cluster

import (
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client/leaderelection"
	"github.com/orrery-sim/orrery/model/etcd"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// PodLog is bookkeeping, like the Tracker: it watches committed objects —
// the cluster's state of record — for what a scenario with pods asserts
// on: when each bare pod of spec.workload.objects was bound, ran and was
// evicted, and when the control plane's leases changed hands. It costs a
// resource check per commit, and a map lookup per pod commit while the
// workload names pods.
type PodLog struct {
	named map[int32]int // pod ID → index in Pods
	// Pods are the workload's bare pods, in spec.workload.objects order.
	Pods []PodRecord
	// Leases are kube-scheduler's and kube-controller-manager's locks.
	Leases [2]LeaseRecord
}

// PodRecord is one bare pod's history; a time is -1 if it never happened.
type PodRecord struct {
	Ref scenarios.ObjectRef
	ID  int32
	// BoundAt: first stored with a node; RunningAt: first stored Running;
	// EvictedAt: first stored Failed with reason Evicted. A pod that exists
	// from time 0, seeded in its steady state, was bound and running at 0.
	BoundAt, RunningAt, EvictedAt sim.Time
}

// LeaseRecord is one leader-election lock's history as stored.
type LeaseRecord struct {
	// Name is the lock's name: kube-scheduler or kube-controller-manager.
	Name string
	ID   int32
	// Holder is the holder stored last (leaderelection.NoHolder: none yet);
	// Transitions count the changes of holder after the first; LastChange
	// is when the holder last changed (-1: never held).
	Holder      int32
	Transitions int
	LastChange  sim.Time
}

func newPodLog(c *Cluster) *PodLog {
	l := &PodLog{named: map[int32]int{}}
	for i := range c.Scenario.Spec.Workload.Objects {
		o := &c.Scenario.Spec.Workload.Objects[i]
		if o.Pod != nil {
			l.named[o.Pod.ID] = len(l.Pods)
			l.Pods = append(l.Pods, PodRecord{Ref: o.Ref(), ID: o.Pod.ID, BoundAt: -1, RunningAt: -1, EvictedAt: -1})
		}
	}
	// Pods seeded in their steady state (seedpods.go) count from time 0.
	for _, r := range l.Pods {
		if o, ok := c.Etcd.Get(api.Pods, r.ID); ok {
			l.Committed(0, true, &o)
		}
	}
	sched, kcm := c.controlPlaneLeases()
	l.Leases = [2]LeaseRecord{
		{Name: "kube-scheduler", ID: sched, Holder: leaderelection.NoHolder, LastChange: -1},
		{Name: "kube-controller-manager", ID: kcm, Holder: leaderelection.NoHolder, LastChange: -1},
	}
	return l
}

// Committed implements etcd.CommitObserver.
func (l *PodLog) Committed(now sim.Time, _ bool, cur *api.Object) {
	switch cur.Resource {
	case api.Pods:
		if len(l.named) == 0 {
			return
		}
		i, ok := l.named[cur.ID]
		p, isPod := cur.Body.(*objects.Pod)
		if !ok || !isPod {
			return
		}
		r := &l.Pods[i]
		if r.BoundAt < 0 && p.Bound() {
			r.BoundAt = now
		}
		if r.RunningAt < 0 && p.Phase == objects.PodRunning {
			r.RunningAt = now
		}
		if r.EvictedAt < 0 && p.Phase == objects.PodFailed && p.Reason == "Evicted" {
			r.EvictedAt = now
		}
	case api.Leases:
		for i := range l.Leases {
			ls := &l.Leases[i]
			rec, ok := cur.Body.(*leaderelection.Record)
			if cur.ID != ls.ID || !ok || rec.Holder == ls.Holder {
				continue
			}
			if ls.Holder != leaderelection.NoHolder {
				ls.Transitions++
			}
			ls.Holder, ls.LastChange = rec.Holder, now
		}
	}
}

// observers is two commit observers in turn.
type observers struct{ a, b etcd.CommitObserver }

func (o observers) Committed(now sim.Time, existed bool, cur *api.Object) {
	o.a.Committed(now, existed, cur)
	o.b.Committed(now, existed, cur)
}

// commitObserver is what watches etcd's commits: the Tracker, and with
// pods the PodLog too.
func (c *Cluster) commitObserver() etcd.CommitObserver {
	if !RunsPods(c.Scenario) {
		return c.Tracker
	}
	c.PodLog = newPodLog(c)
	return observers{c.Tracker, c.PodLog}
}

// EachStored calls fn with every object of res in storage at the end of
// the run (or now), in ID order: for reports, not for components.
func (c *Cluster) EachStored(res api.Resource, fn func(api.Object)) {
	if c.ids == nil {
		return
	}
	for id := range c.ids.Issued(res) {
		if o, ok := c.Etcd.Get(res, id); ok {
			fn(o)
		}
	}
}
