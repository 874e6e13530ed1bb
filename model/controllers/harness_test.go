package controllers

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/storage"
	"github.com/orrery-sim/orrery/sim"
)

// Constant latencies so that every path has an exact duration:
//
//   - a quorum GET: 1ms to the API server, 1ms of its CPU, 1ms to storage,
//     a 1ms read, 1ms back to the server, 1ms to the client: 6ms;
//   - a write: 1ms to the server, 1ms CPU, 1ms to storage, a 2ms commit
//     (if storage is idle), 1ms back, 1ms to the client: 7ms; its watch
//     event reaches watchers at the same time as its answer.
const (
	ms      = time.Millisecond
	lat     = ms
	service = ms
	commit  = 2 * ms
	readLat = ms
	getRTT  = 6 * ms
	writeRT = 7 * ms
)

func at(d time.Duration) sim.Time { return sim.Time(d) }

type env struct {
	eng *sim.Engine
	net *sim.Network
	rec *sim.Recorder
	st  *storage.Store
	srv *apiserver.Server
	sh  *client.Shared
	w   *actor
}

func newEnv(seed uint64) *env {
	eng := sim.NewEngine(seed)
	net := sim.NewNetwork(eng, sim.Constant(lat))
	rec := sim.NewRecorder(time.Second)
	st := storage.New(eng, net, rec, "etcd", storage.Config{CommitLatency: sim.Constant(commit), ReadLatency: sim.Constant(readLat)})
	srv, err := apiserver.New(eng, net, rec, "kube-apiserver", st.Endpoint(), apiserver.FixedCostConfig(service))
	if err != nil {
		panic(err)
	}
	st.Subscribe(net.OpenStream(srv.Endpoint(), st.Endpoint()))
	e := &env{eng: eng, net: net, rec: rec, st: st, srv: srv, sh: client.NewShared(rec)}
	e.w = &actor{}
	e.w.self = net.AddEndpoint("test-writer", e.w)
	e.w.c = client.New(eng, net, e.sh, e.w.self, srv.Endpoint(), client.Config{QPS: -1})
	return e
}

// seed stores a ConfigMap before time starts and returns it.
func (e *env) seed(id, size int32) api.Object {
	o := e.st.Seed(api.Object{Resource: api.ConfigMaps, ID: id, Size: size})
	e.srv.SeedCache(o)
	return o
}

func (e *env) get(id int32) api.Object {
	o, _ := e.st.Get(api.ConfigMaps, id)
	return o
}

func (e *env) run(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.eng.Run(at(d)); err != nil {
		t.Fatal(err)
	}
}

// startRunning starts ctl as a controller that was running before time 0,
// with objs in its informer on a watch of every ConfigMap.
func (e *env) startRunning(ctl *Controller, objs ...api.Object) {
	w := e.net.OpenStream(ctl.Endpoint(), e.srv.Endpoint())
	e.srv.AttachWatch(w, api.ConfigMaps, -1)
	ctl.StartRunning(objs, e.st.Revision(), w)
}

type action func()

func (a action) Handle(*sim.Event) { a() }

func (e *env) at(d time.Duration, f func()) {
	e.eng.Schedule(sim.Event{At: at(d), Target: action(f), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

// write has the test's writer send an unconditional request for ConfigMap
// id at time d.
func (e *env) write(d time.Duration, verb api.Verb, id, size int32) {
	e.at(d, func() {
		req := e.w.c.NewRequest(verb, api.ConfigMaps, id)
		req.Object = api.Object{Resource: api.ConfigMaps, ID: id, Size: size}
		e.w.c.Do(req, e.w)
	})
}

// actor is a client endpoint that sends what the test schedules.
type actor struct {
	self  sim.EndpointID
	c     *client.Client
	codes []api.Code
}

func (a *actor) Handle(ev *sim.Event) {
	if ev.Kind == api.KindResponse {
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	}
}

func (a *actor) OnResponse(req *api.Request) {
	a.codes = append(a.codes, req.Code)
	a.c.Release(req)
}
