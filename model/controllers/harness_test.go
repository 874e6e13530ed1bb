package controllers

import (
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/api"
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

type env struct{ *apitest.Rig }

func newEnv(seed uint64) *env {
	return &env{apitest.New(seed, apitest.Latencies{Network: lat, Service: service, Commit: commit, Read: readLat}, "test-writer")}
}

// seed stores a ConfigMap before time starts and returns it.
func (e *env) seed(id, size int32) api.Object {
	return e.Seed(api.Object{Resource: api.ConfigMaps, ID: id, Size: size})
}

func (e *env) get(id int32) api.Object {
	o, _ := e.St.Get(api.ConfigMaps, id)
	return o
}

// startRunning starts ctl as a controller that was running before time 0,
// with objs in its informer on a watch of every ConfigMap.
func (e *env) startRunning(ctl *Controller, objs ...api.Object) {
	w := e.Net.OpenStream(ctl.Endpoint(), e.Srv.Endpoint())
	e.Srv.AttachWatch(w, api.ConfigMaps, -1)
	ctl.StartRunning(objs, e.St.Revision(), w)
}
