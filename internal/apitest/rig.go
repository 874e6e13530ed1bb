// Package apitest is the test rig the client-side packages share: an
// engine, a network of one constant latency, the storage stand-in, one
// API server replica with a fixed CPU cost per request, and a writer
// client whose requests a test schedules at virtual times. Constant
// latencies give every path an exact duration, so tests can pin times.
package apitest

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/storage"
	"github.com/orrery-sim/orrery/sim"
)

// Latencies are the rig's constant durations.
type Latencies struct {
	Network time.Duration // every message, one way
	Service time.Duration // the API server's CPU per request
	Commit  time.Duration // a storage commit batch
	Read    time.Duration // a storage read
}

// Rig is a wired engine, network, storage and API server.
type Rig struct {
	Eng    *sim.Engine
	Net    *sim.Network
	Rec    *sim.Recorder
	St     *storage.Store
	Srv    *apiserver.Server
	Shared *client.Shared
	Writer *Actor
}

// New wires a rig seeded with seed; the writer's endpoint is writerName.
func New(seed uint64, l Latencies, writerName string) *Rig {
	eng := sim.NewEngine(seed)
	net := sim.NewNetwork(eng, sim.Constant(l.Network))
	rec := sim.NewRecorder(time.Second)
	st := storage.New(eng, net, rec, "etcd", storage.Config{CommitLatency: sim.Constant(l.Commit), ReadLatency: sim.Constant(l.Read)})
	srv, err := apiserver.New(eng, net, rec, "kube-apiserver", st.Endpoint(), apiserver.FixedCostConfig(l.Service))
	if err != nil {
		panic(err)
	}
	st.Subscribe(net.OpenStream(srv.Endpoint(), st.Endpoint()))
	r := &Rig{Eng: eng, Net: net, Rec: rec, St: st, Srv: srv, Shared: client.NewShared(rec)}
	r.Writer = &Actor{}
	r.Writer.Self = net.AddEndpoint(writerName, r.Writer)
	r.Writer.C = client.New(eng, net, r.Shared, r.Writer.Self, srv.Endpoint(), client.Config{QPS: -1})
	return r
}

// Seed stores obj before time starts, in storage and the API server's
// cache, and returns it as stored.
func (r *Rig) Seed(obj api.Object) api.Object {
	obj = r.St.Seed(obj)
	r.Srv.SeedCache(obj)
	return obj
}

// Run runs the engine to virtual time d.
func (r *Rig) Run(t testing.TB, d time.Duration) {
	t.Helper()
	if err := r.Eng.Run(sim.Time(d)); err != nil {
		t.Fatal(err)
	}
}

type action func()

func (a action) Handle(*sim.Event) { a() }

// At runs f at virtual time d.
func (r *Rig) At(d time.Duration, f func()) {
	r.Eng.Schedule(sim.Event{At: sim.Time(d), Target: action(f), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

// Write has the writer send an unconditional request for ConfigMap id at
// virtual time d.
func (r *Rig) Write(d time.Duration, verb api.Verb, id, size int32) {
	r.At(d, func() {
		req := r.Writer.C.NewRequest(verb, api.ConfigMaps, id)
		req.Object = api.Object{Resource: api.ConfigMaps, ID: id, Size: size}
		r.Writer.C.Do(req, r.Writer)
	})
}

// Actor is a client endpoint that sends what the test schedules and
// keeps the codes of the answers.
type Actor struct {
	Self  sim.EndpointID
	C     *client.Client
	Codes []api.Code
}

// Handle passes responses to the client.
func (a *Actor) Handle(ev *sim.Event) {
	if ev.Kind == api.KindResponse {
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	}
}

// OnResponse records the answer's code.
func (a *Actor) OnResponse(req *api.Request) {
	a.Codes = append(a.Codes, req.Code)
	a.C.Release(req)
}
