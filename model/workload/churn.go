// Package workload holds load generators and consumers that act as API
// clients: they reach the cluster only through the API server. Churn
// writers rewrite ConfigMaps at a steady rate; watcher groups are many
// watch clients, each a reflector on its own client and connection with a
// store that only counts.
//
// What the model leaves out: churn objects are opaque ConfigMaps with a
// size, a namespace and one label value; watchers keep counts, not
// objects, and do nothing with what they see.
package workload

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// ChurnConfig is one churn writer.
type ChurnConfig struct {
	Name        string
	FirstID     int32 // the writer's objects are ConfigMaps FirstID … FirstID+Objects-1
	Objects     int
	ObjectBytes int32
	Rate        float64 // updates per second
	Start, End  sim.Time
	Client      client.Config
	// Object i (0-based) lives in namespace FirstNamespace + i mod
	// Namespaces (Namespaces 0: no namespace) and, with Shards > 0,
	// carries the label value 1 + i mod Shards (shard=<i mod Shards>).
	FirstNamespace api.NamespaceID
	Namespaces     int
	Shards         int
}

// Object is the churn's object i (0-based) as it is written.
func (cfg *ChurnConfig) Object(i int) api.Object {
	o := api.Object{Resource: api.ConfigMaps, ID: cfg.FirstID + int32(i), Size: cfg.ObjectBytes}
	if cfg.Namespaces > 0 {
		o.Namespace = cfg.FirstNamespace + api.NamespaceID(i%cfg.Namespaces)
	}
	if cfg.Shards > 0 {
		o.Label = uint16(1 + i%cfg.Shards)
	}
	return o
}

const kindWrite int32 = api.KindPrivate

// Churn updates its ConfigMaps round-robin at a steady rate, without
// preconditions (a PUT with no resourceVersion: last writer wins), as a
// controller rewriting objects would. Failed writes are counted, not
// retried: the next write comes on schedule anyway.
type Churn struct {
	eng  *sim.Engine
	cfg  ChurnConfig
	cl   *client.Client
	self sim.EndpointID
	next int
	gap  time.Duration

	sent, ok, failed *sim.Counter
}

// NewChurn registers a churn writer sending to server.
func NewChurn(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg ChurnConfig) *Churn {
	w := &Churn{eng: eng, cfg: cfg, gap: time.Duration(float64(time.Second) / cfg.Rate)}
	w.self = net.AddEndpoint("churn/"+cfg.Name, w)
	w.cl = client.New(eng, net, sh, w.self, server, cfg.Client)
	w.sent = rec.Counter("churn_writes_total", "churn", cfg.Name)
	w.ok = rec.Counter("churn_writes_succeeded_total", "churn", cfg.Name)
	w.failed = rec.Counter("churn_writes_failed_total", "churn", cfg.Name)
	eng.Schedule(sim.Event{At: cfg.Start, Target: w, Kind: kindWrite, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	return w
}

// Handle runs the write timer and takes responses.
func (w *Churn) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindWrite:
		now := w.eng.Now()
		if w.cfg.End > 0 && now >= w.cfg.End {
			return
		}
		obj := w.cfg.Object(w.next)
		w.next = (w.next + 1) % w.cfg.Objects
		req := w.cl.NewRequest(api.Update, api.ConfigMaps, obj.ID)
		req.Namespace = obj.Namespace
		req.Object = obj
		w.sent.Inc()
		w.cl.Do(req, w)
		w.eng.After(w.gap, w, kindWrite, 0)
	case api.KindResponse:
		w.cl.HandleResponse(ev)
	}
}

// OnResponse counts the outcome.
func (w *Churn) OnResponse(req *api.Request) {
	if req.Code.Success() {
		w.ok.Inc()
	} else {
		w.failed.Inc()
	}
	w.cl.Release(req)
}
