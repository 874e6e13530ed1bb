package informer

import (
	"fmt"
	"strings"
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
//   - a list from the API server's cache: 1ms there, 1ms service, 1ms back;
//   - a write: 1ms to the server, 1ms service, 1ms to storage, a 2ms commit,
//     then its watch event takes 1ms to the server and 1ms to a watcher, so a
//     write sent at t reaches informers at t+7ms (if storage is idle).
const (
	ms      = time.Millisecond
	lat     = ms
	service = ms
	commit  = 2 * ms
	readLat = ms
	toWatch = 7 * ms // from a writer's send to the informers' notification
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
	e.w = &actor{eng: eng}
	e.w.self = net.AddEndpoint("writer", e.w)
	e.w.c = client.New(eng, net, e.sh, e.w.self, srv.Endpoint(), client.Config{QPS: -1})
	return e
}

// seed stores ConfigMaps with the given IDs (size = 100 + ID) before time
// starts and returns them.
func (e *env) seed(ids ...int32) []api.Object {
	var out []api.Object
	for _, id := range ids {
		o := e.st.Seed(api.Object{Resource: api.ConfigMaps, ID: id, Size: 100 + id})
		e.srv.SeedCache(o)
		out = append(out, o)
	}
	return out
}

func (e *env) run(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.eng.Run(at(d)); err != nil {
		t.Fatal(err)
	}
}

type action func()

func (a action) Handle(*sim.Event) { a() }

func (e *env) at(d time.Duration, f func()) {
	e.eng.Schedule(sim.Event{At: at(d), Target: action(f), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
}

// write has the writer send a request for ConfigMap id at time d.
func (e *env) write(d time.Duration, verb api.Verb, id, size int32) {
	e.at(d, func() {
		req := e.w.c.NewRequest(verb, api.ConfigMaps, id)
		req.Object = api.Object{Resource: api.ConfigMaps, ID: id, Size: size}
		e.w.c.Do(req, e.w)
	})
}

// actor is a client endpoint that sends what the test schedules.
type actor struct {
	eng   *sim.Engine
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

// owner is a component that embeds an informer and forwards its stream
// messages to it, the way a controller does.
type owner struct {
	c       *client.Client
	inf     *Informer
	streams []sim.StreamID // watch streams announced to the owner
}

func (e *env) newOwner(name string, cfg Config) *owner {
	o := &owner{}
	self := e.net.AddEndpoint(name, o)
	o.c = client.New(e.eng, e.net, e.sh, self, e.srv.Endpoint(), client.Config{QPS: -1})
	o.inf = New(e.eng, e.net, e.rec, o.c, e.eng.Rand(name), cfg)
	return o
}

func (o *owner) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		if ev.Kind == api.KindWatchStarted {
			o.streams = append(o.streams, ev.Stream)
		}
		if !o.inf.HandleStream(ev) {
			panic(fmt.Sprintf("stream message kind %d not taken by the informer", ev.Kind))
		}
	}
}

// logger is a handler that writes each call as "<time> <op> <id>@<rv>".
type logger struct {
	eng *sim.Engine
	log []string
}

func (l *logger) note(op string, obj api.Object) {
	l.log = append(l.log, fmt.Sprintf("%v %s %d@%d", l.eng.Now().Duration(), op, obj.ID, obj.ResourceVersion))
}

func (l *logger) OnAdd(obj api.Object, initial bool) {
	if initial {
		l.note("add-initial", obj)
		return
	}
	l.note("add", obj)
}

func (l *logger) OnUpdate(old, obj api.Object) {
	l.note(fmt.Sprintf("update %d@%d→", old.ID, old.ResourceVersion), obj)
}

func (l *logger) OnDelete(obj api.Object) { l.note("delete", obj) }

func wantLog(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s got:\n  %s\nwant:\n  %s", who, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
