package informer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
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

type env struct{ *apitest.Rig }

func newEnv(seed uint64) *env {
	return &env{apitest.New(seed, apitest.Latencies{Network: lat, Service: service, Commit: commit, Read: readLat}, "writer")}
}

// seed stores ConfigMaps with the given IDs (size = 100 + ID) before time
// starts and returns them.
func (e *env) seed(ids ...int32) []api.Object {
	var out []api.Object
	for _, id := range ids {
		out = append(out, e.Seed(api.Object{Resource: api.ConfigMaps, ID: id, Size: 100 + id}))
	}
	return out
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
	self := e.Net.AddEndpoint(name, o)
	o.c = client.New(e.Eng, e.Net, e.Shared, self, e.Srv.Endpoint(), client.Config{QPS: -1})
	o.inf = New(e.Eng, e.Net, e.Rec, o.c, e.Eng.Rand(name), cfg)
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
