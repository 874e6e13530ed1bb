package kcm

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
)

// deployment returns a Deployment of replicas pods labelled app=web.
func (e *env) deployment(id, replicas int32, strategy objects.StrategyType, surge, unavail objects.IntOrPercent) *objects.Deployment {
	ls := e.labels("app", "web")
	d := objects.NewDeployment()
	d.ID, d.Namespace, d.Name, d.Replicas = id, objects.NamespaceDefault, e.in.Intern("web"), replicas
	d.Selector = objects.LabelSelector{MatchLabels: ls}
	d.Template = objects.PodTemplate{Labels: ls, Spec: e.spec}
	d.Strategy, d.MaxSurge, d.MaxUnavailable, d.Size = strategy, surge, unavail, 4000
	if err := d.Validate(e.in); err != nil {
		e.t.Fatal(err)
	}
	return &d
}

// seedRolledOut stores d as fully rolled out (SteadyDeployment): its
// ReplicaSet rsID (revision 1, created at 0) with d.Replicas Ready pods,
// statuses up to date.
func (e *env) seedRolledOut(d *objects.Deployment, rsID int32) api.Object {
	dep, rs := SteadyDeployment(d, rsID, 0, e.in, objects.DefaultSizes)
	e.Seed(api.Object{Resource: api.ReplicaSets, ID: rsID, Namespace: 1, Size: rs.Size, Body: &rs})
	for i := range dep.Replicas {
		p := SteadyPod(&rs, rsID, 100*rsID+i, running.node, 0, 0, 4000)
		e.Seed(api.Object{Resource: api.Pods, ID: p.ID, Namespace: 1, Size: p.Size, Body: &p})
	}
	*d = dep
	return e.Seed(api.Object{Resource: api.Deployments, ID: d.ID, Namespace: 1, Size: 4000, Body: d})
}

// A Deployment seeded in its steady state gives the controllers nothing
// to do: after a cold start and a full sync of everything, no write.
func TestSteadyDeploymentNeedsNoWrite(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.seedRolledOut(e.deployment(0, 5, objects.RollingUpdate, objects.Percent(25), objects.Percent(25)), 0)
	e.m.Start()
	e.Run(t, time.Minute)
	for _, name := range []string{"deployment", "replicaset"} {
		if n := e.Rec.Counter("controller_status_writes_total", "controller", name).Value; n != 0 {
			t.Errorf("%s controller wrote its status %d times", name, n)
		}
		if n := e.Rec.Counter("controller_runtime_reconcile_total", "controller", name, "result", "success").Value; n == 0 {
			t.Errorf("%s controller never synced", name)
		}
	}
	if n := e.Rec.Counter("controller_replicasets_updated_total", "controller", "deployment").Value; n != 0 {
		t.Errorf("the deployment controller updated its ReplicaSet %d times", n)
	}
	if n := e.m.ReplicaSets.PodsCreated(); n != 0 || len(e.trace) != 0 {
		t.Errorf("pods created %d, ReplicaSet changes %v", n, e.trace)
	}
}

// setImage has the writer change the Deployment's image at t.
func (e *env) setImage(t time.Duration, id int32, image string) {
	spec := newSpec(e.t, e.in, image)
	e.send(t, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Patch, api.Deployments, id)
		req.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			nd := *cur.Body.(*objects.Deployment)
			nd.Template.Spec = spec
			o := *cur
			o.Body = &nd
			return o, 0
		}
		return req
	})
}

func (e *env) storedDeployment(id int32) *objects.Deployment {
	o, _ := e.St.Get(api.Deployments, id)
	return o.Body.(*objects.Deployment)
}

func traceString(tr []rsChange) string {
	var b strings.Builder
	for _, c := range tr {
		fmt.Fprintf(&b, "rs%d=%d ", c.id, c.replicas)
	}
	return strings.TrimSpace(b.String())
}

func TestRollingUpdateStepsThroughSurge(t *testing.T) {
	e := newEnv(t, 1, Config{})
	d := e.deployment(0, 3, objects.RollingUpdate, objects.Int(1), objects.Int(0))
	e.seedRolledOut(d, 0)
	e.runKubelet(0, 100*ms)
	e.m.Start()
	e.setImage(time.Second, 0, "app:v2")
	e.Run(t, 30*time.Second)

	// The new ReplicaSet (1) is created with 1 pod (3 + surge 1 = 4 in
	// all); each time a new pod is available an old one goes, and then a
	// new one comes, never more than 4 pods nor fewer than 3 available.
	if got, want := traceString(e.trace), "rs1=1 rs0=2 rs1=2 rs0=1 rs1=3 rs0=0"; got != want {
		t.Fatalf("ReplicaSet sizes %s, want %s", got, want)
	}
	sizes := map[int32]int32{0: 3}
	for _, c := range e.trace {
		sizes[c.id] = c.replicas
		if sizes[0]+sizes[1] > 4 {
			t.Fatalf("%v: %d replicas in all, more than replicas+maxSurge", c.at, sizes[0]+sizes[1])
		}
	}
	if !e.trace[0].created || e.trace[0].at <= at(time.Second) {
		t.Fatalf("first change %+v: want the new ReplicaSet's creation after 1s", e.trace[0])
	}
	rs1 := e.storedRS(1)
	if rs1.Owner.ID != 0 || rs1.Revision != 2 || rs1.Template.Spec.Containers[0].Image != e.in.Intern("app:v2") ||
		!rs1.Template.Labels.Has(objects.LabelPodTemplateHash) || rs1.Status.AvailableReplicas != 3 {
		t.Fatalf("new ReplicaSet %+v", rs1)
	}
	if got := e.storedDeployment(0); got.Revision != 2 ||
		got.Status != (objects.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, Available: true}) {
		t.Fatalf("deployment revision %d status %+v", got.Revision, got.Status)
	}
	if n := len(e.storedPods(0)); n != 0 {
		t.Fatalf("%d old pods left", n)
	}
	if n := activeCount(e.storedPods(1)); n != 3 {
		t.Fatalf("%d new pods", n)
	}
}

func TestNewDeploymentCreatesItsReplicaSet(t *testing.T) {
	e := newEnv(t, 1, Config{})
	d := e.deployment(0, 3, objects.RollingUpdate, objects.DefaultMaxSurge, objects.DefaultMaxUnavailable)
	e.runKubelet(0, 100*ms)
	e.m.Start()
	e.send(time.Second, func() *api.Request {
		req := e.Writer.C.NewRequest(api.Create, api.Deployments, 0)
		req.Object = api.Object{Resource: api.Deployments, ID: 0, Namespace: 1, Size: 4000, Body: d}
		return req
	})
	e.Run(t, 10*time.Second)
	// 25% surge of 3 rounds up to 1: 4 pods allowed, 3 wanted.
	if got := traceString(e.trace); got != "rs0=3" {
		t.Fatalf("ReplicaSet sizes %s, want rs0=3", got)
	}
	got := e.storedDeployment(0)
	if got.Revision != 1 || got.Status != (objects.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, Available: true}) {
		t.Fatalf("deployment revision %d status %+v", got.Revision, got.Status)
	}
	// The sync that created the ReplicaSet wrote the revision, then its
	// status with the same, now stale, resourceVersion: a 409, as upstream
	// (getNewReplicaSet drops the Deployment UpdateStatus returns).
	if n := e.Rec.Counter("controller_write_conflicts_total", "controller", "deployment").Value; n != 1 {
		t.Fatalf("%d conflicts, want 1", n)
	}
	if _, failed := e.m.Deployments.Reconciles(); failed != 1 {
		t.Fatalf("%d failed syncs, want 1", failed)
	}
}

func TestRecreateScalesDownBeforeCreating(t *testing.T) {
	e := newEnv(t, 1, Config{})
	d := e.deployment(0, 3, objects.Recreate, objects.IntOrPercent{}, objects.IntOrPercent{})
	e.seedRolledOut(d, 0)
	e.runKubelet(0, 500*ms)
	e.m.Start()
	var lastOldPod, firstNewRS int64
	e.setImage(time.Second, 0, "app:v2")
	for k := 1; k < 100; k++ {
		e.At(time.Duration(k)*100*ms, func() {
			if lastOldPod == 0 && len(e.storedPods(0)) == 0 {
				lastOldPod = int64(e.Eng.Now())
			}
			if firstNewRS == 0 && e.storedRS(1) != nil {
				firstNewRS = int64(e.Eng.Now())
			}
		})
	}
	e.Run(t, 10*time.Second)
	if got := traceString(e.trace); got != "rs0=0 rs1=3" {
		t.Fatalf("ReplicaSet sizes %s, want rs0=0 rs1=3", got)
	}
	if lastOldPod == 0 || firstNewRS == 0 || firstNewRS < lastOldPod {
		t.Fatalf("old pods gone by %v, new ReplicaSet by %v: want the new one after", lastOldPod, firstNewRS)
	}
	if n := activeCount(e.storedPods(1)); n != 3 {
		t.Fatalf("%d new pods", n)
	}
}

func TestScalingEventScalesProportionally(t *testing.T) {
	// Mid-rollout: old 8 and new 5 pods of a Deployment of 10 with
	// maxSurge 3 (13 allowed). Scaled to 15 (18 allowed), the 5 extra
	// go 3 to the old ReplicaSet (round(8·18/13) - 8) and 2 to the new
	// (round(5·18/13) - 5).
	e := newEnv(t, 1, Config{})
	d := e.deployment(0, 15, objects.RollingUpdate, objects.Int(3), objects.Int(2))
	old := &rsView{obj: api.Object{ID: 0}, rs: objects.ReplicaSet{ID: 0, Revision: 1, Replicas: 8, DesiredReplicas: 10, MaxReplicas: 13, Created: 0}}
	nw := &rsView{obj: api.Object{ID: 1}, rs: objects.ReplicaSet{ID: 1, Revision: 2, Replicas: 5, DesiredReplicas: 10, MaxReplicas: 13, Created: 1,
		Template: d.Template}}
	p := newPlan(e.m, api.Object{ID: 0}, d, []*rsView{nw, old})
	if p.newRS != nw || !p.isScalingEvent() {
		t.Fatal("want a scaling event with ReplicaSet 1 new")
	}
	p.sync()
	var got []string
	for _, s := range p.steps {
		if s.kind == stepUpdateRS {
			got = append(got, fmt.Sprintf("rs%d=%d desired=%d max=%d", s.view.obj.ID, s.rs.Replicas, s.rs.DesiredReplicas, s.rs.MaxReplicas))
		}
	}
	want := []string{"rs0=11 desired=15 max=18", "rs1=7 desired=15 max=18"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("updates %v, want %v", got, want)
	}
}

func TestUnhealthyOldPodsAreScaledDownWithinTheBudget(t *testing.T) {
	// Old ReplicaSet: 3 pods, 1 available; new: 1 pod, not available yet.
	// With maxUnavailable 0 nothing may go (4 - 3 needed - 1 new
	// unavailable = 0); with 1, one unhealthy old pod goes.
	for _, tc := range []struct {
		unavail int32
		want    string
	}{{0, ""}, {1, "rs0=2"}} {
		e := newEnv(t, 1, Config{})
		d := e.deployment(0, 3, objects.RollingUpdate, objects.Int(1), objects.Int(tc.unavail))
		d.Status = objects.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
		old := &rsView{obj: api.Object{ID: 0}, rs: objects.ReplicaSet{ID: 0, Revision: 1, Replicas: 3, DesiredReplicas: 3, MaxReplicas: 4,
			Status: objects.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 1}}}
		nw := &rsView{obj: api.Object{ID: 1}, rs: objects.ReplicaSet{ID: 1, Revision: 2, Replicas: 1, DesiredReplicas: 3, MaxReplicas: 4, Created: 1,
			Template: d.Template, Status: objects.ReplicaSetStatus{Replicas: 1}}}
		d.Revision = 2
		p := newPlan(e.m, api.Object{ID: 0}, d, []*rsView{old, nw})
		p.rolloutRolling()
		var got []string
		for _, s := range p.steps {
			if s.kind == stepUpdateRS {
				got = append(got, fmt.Sprintf("rs%d=%d", s.view.obj.ID, s.rs.Replicas))
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Fatalf("maxUnavailable %d: updates %v, want %q", tc.unavail, got, tc.want)
		}
	}
}

func TestRollingUpdateIsDeterministic(t *testing.T) {
	run := func() string {
		e := newEnv(t, 7, Config{HandlerTime: nil})
		d := e.deployment(0, 5, objects.RollingUpdate, objects.Percent(25), objects.Percent(25))
		e.seedRolledOut(d, 0)
		e.runKubelet(0, 70*ms)
		e.m.Start()
		e.setImage(time.Second, 0, "app:v2")
		e.Run(t, 20*time.Second)
		return fmt.Sprint(e.trace, e.m.ReplicaSets.PodsCreated(), e.m.ReplicaSets.PodsDeleted())
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
}

func TestCleanupDeletesOldReplicaSetsBeyondTheHistoryLimit(t *testing.T) {
	// A complete rollout to revision 4 with revisionHistoryLimit 1 and
	// three old ReplicaSets: the two oldest by revision are beyond the
	// limit; revision 1 still reports a pod, so only revision 2 goes. An
	// incomplete rollout deletes none.
	for _, complete := range []bool{true, false} {
		e := newEnv(t, 1, Config{})
		d := e.deployment(0, 3, objects.RollingUpdate, objects.Int(1), objects.Int(0))
		d.RevisionHistoryLimit, d.Revision = 1, 4
		d.Status = objects.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, Available: true}
		if !complete {
			d.Status.UpdatedReplicas = 2
		}
		old := func(id int32, rev int64, pods int32) *rsView {
			return &rsView{obj: api.Object{ID: id}, rs: objects.ReplicaSet{ID: id, Revision: rev, Created: at(time.Duration(rev) * time.Second),
				Status: objects.ReplicaSetStatus{Replicas: pods}}}
		}
		nw := &rsView{obj: api.Object{ID: 4}, rs: objects.ReplicaSet{ID: 4, Revision: 4, Replicas: 3, DesiredReplicas: 3, MaxReplicas: 4,
			Created: at(4 * time.Second), Template: d.Template, Status: objects.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}}}
		p := newPlan(e.m, api.Object{ID: 0}, d, []*rsView{old(3, 3, 0), nw, old(1, 1, 1), old(2, 2, 0)})
		p.rolloutRolling()
		var deleted []int32
		for _, s := range p.steps {
			if s.kind == stepDeleteRS {
				deleted = append(deleted, s.view.obj.ID)
			}
		}
		want := []int32{2}
		if !complete {
			want = nil
		}
		if !slices.Equal(deleted, want) {
			t.Fatalf("complete %v: deleted %v, want %v", complete, deleted, want)
		}
	}
}
