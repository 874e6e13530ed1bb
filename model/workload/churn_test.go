package workload

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// fakeServer answers every request at once, failing every third.
type fakeServer struct {
	net  *sim.Network
	self sim.EndpointID
	ids  []int32
	at   []sim.Time
	eng  *sim.Engine
}

func (f *fakeServer) Handle(ev *sim.Event) {
	req := ev.Data.(*api.Request)
	f.ids = append(f.ids, req.Name)
	f.at = append(f.at, f.eng.Now())
	req.Code = api.OK
	if len(f.ids)%3 == 0 {
		req.Code = api.InternalError
	}
	f.net.Send(f.self, req.From, api.KindResponse, 0, 0, req)
}

func TestChurnWritesRoundRobinAtItsRateUntilItsEnd(t *testing.T) {
	eng := sim.NewEngine(1)
	net := sim.NewNetwork(eng, sim.Constant(time.Millisecond))
	rec := sim.NewRecorder(time.Second)
	srv := &fakeServer{net: net, eng: eng}
	srv.self = net.AddEndpoint("server", srv)
	NewChurn(eng, net, rec, client.NewShared(rec), srv.self, ChurnConfig{
		Name: "c", FirstID: 10, Objects: 3, ObjectBytes: 100, Rate: 4,
		Start: sim.Time(time.Second), End: sim.Time(3 * time.Second), Client: client.Config{QPS: -1},
	})
	if err := eng.Run(sim.Time(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// 4 writes/s from 1s until 3s: 8 writes, IDs 10, 11, 12, 10, ...
	want := []int32{10, 11, 12, 10, 11, 12, 10, 11}
	if len(srv.ids) != len(want) {
		t.Fatalf("wrote %v, want %v", srv.ids, want)
	}
	for i, id := range want {
		if srv.ids[i] != id {
			t.Fatalf("write %d went to %d, want %d (all: %v)", i, srv.ids[i], id, srv.ids)
		}
		if got, exp := srv.at[i], sim.Time(time.Second+time.Duration(i)*250*time.Millisecond+time.Millisecond); got != exp {
			t.Fatalf("write %d arrived at %v, want %v", i, got, exp)
		}
	}
	if ok, failed := rec.Counter("churn_writes_succeeded_total", "churn", "c").Value, rec.Counter("churn_writes_failed_total", "churn", "c").Value; ok != 6 || failed != 2 {
		t.Fatalf("succeeded %d, failed %d; want 6 and 2", ok, failed)
	}
}
