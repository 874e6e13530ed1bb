package workload

import (
	"strconv"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// podServer names created pods 100, 101, ... and records every request.
type podServer struct {
	net  *sim.Network
	eng  *sim.Engine
	self sim.EndpointID
	next int32
	log  []string
}

func (f *podServer) Handle(ev *sim.Event) {
	req := ev.Data.(*api.Request)
	req.Code = api.OK
	if req.Verb == api.Create {
		req.Code, req.Result = api.Created, req.Object
		req.Result.ID = 100 + f.next
		f.next++
	}
	f.log = append(f.log, f.eng.Now().Duration().String()+" "+req.Verb.String()+" "+strconv.Itoa(int(req.Name)))
	f.net.Send(f.self, req.From, api.KindResponse, 0, 0, req)
}

func newPodServer() (*sim.Engine, *sim.Network, *sim.Recorder, *podServer) {
	eng := sim.NewEngine(1)
	net := sim.NewNetwork(eng, sim.Constant(time.Millisecond))
	rec := sim.NewRecorder(time.Second)
	srv := &podServer{net: net, eng: eng}
	srv.self = net.AddEndpoint("server", srv)
	return eng, net, rec, srv
}

// Two pods a second from 1s to 2s, each deleted 3s after its create was
// answered: creates by generateName, deletes by the name it was given.
func TestPodChurnCreatesAtItsRateAndDeletesAfterTheLifetime(t *testing.T) {
	eng, net, rec, srv := newPodServer()
	NewPodChurn(eng, net, rec, client.NewShared(rec), srv.self, PodChurnConfig{
		Name: "jobs", Namespace: 1, Rate: 2, Start: sim.Time(time.Second), End: sim.Time(2 * time.Second),
		Template: objects.PodTemplate{Spec: &objects.PodSpec{}}, Size: 4000, Lifetime: sim.Constant(3 * time.Second),
		Client: client.Config{QPS: -1},
	})
	if err := eng.Run(sim.Time(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []string{"1.001s create -1", "1.501s create -1", "4.003s delete 100", "4.503s delete 101"}
	if len(srv.log) != len(want) {
		t.Fatalf("requests %v, want %v", srv.log, want)
	}
	for i := range want {
		if srv.log[i] != want[i] {
			t.Fatalf("requests %v, want %v", srv.log, want)
		}
	}
	if c, d := rec.Counter("podchurn_pods_created_total", "churn", "jobs").Value, rec.Counter("podchurn_pods_deleted_total", "churn", "jobs").Value; c != 2 || d != 2 {
		t.Fatalf("created %d, deleted %d; want 2 and 2", c, d)
	}
}

// kubectl sends each step at its time and notes the command and answer.
func TestKubectlSendsStepsInTimeOrderAndNotesThem(t *testing.T) {
	eng, net, rec, srv := newPodServer()
	NewKubectl(eng, net, rec, client.NewShared(rec), srv.self, client.Config{QPS: -1}, []Step{
		{At: sim.Time(time.Second), Describe: "kubectl create pod/a", Verb: api.Create, Resource: api.Pods, Name: 3},
		{At: sim.Time(time.Second), Describe: "kubectl scale deployment/web --replicas=2", Verb: api.Patch, Resource: api.Deployments, Name: 0},
		{At: sim.Time(5 * time.Second), Describe: "kubectl delete pod/a", Verb: api.Delete, Resource: api.Pods, Name: 3},
	})
	if err := eng.Run(sim.Time(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []string{"1.001s create 3", "1.001s patch 0", "5.001s delete 3"}
	for i := range want {
		if i >= len(srv.log) || srv.log[i] != want[i] {
			t.Fatalf("requests %v, want %v", srv.log, want)
		}
	}
	notes, _ := rec.Timeline()
	var got []string
	for _, n := range notes {
		got = append(got, n.Message)
	}
	wantNotes := []string{"kubectl create pod/a", "kubectl scale deployment/web --replicas=2",
		"kubectl create pod/a: HTTP 201 after 2ms", "kubectl scale deployment/web --replicas=2: HTTP 200 after 2ms",
		"kubectl delete pod/a", "kubectl delete pod/a: HTTP 200 after 2ms"}
	if len(got) != len(wantNotes) {
		t.Fatalf("notes %q, want %q", got, wantNotes)
	}
	for i := range wantNotes {
		if got[i] != wantNotes[i] {
			t.Fatalf("notes %q, want %q", got, wantNotes)
		}
	}
}
