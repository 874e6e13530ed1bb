package workload

import (
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// PodChurnConfig is one generator of short-lived bare pods.
type PodChurnConfig struct {
	Name       string
	Namespace  api.NamespaceID
	Rate       float64 // pods created per second
	Start, End sim.Time
	// Template gives every pod its namespace symbol, labels and (shared,
	// finished) spec; Size is each pod's serialized size.
	Template objects.PodTemplate
	PodNS    objects.Sym
	Size     int32
	// Lifetime is drawn per pod: it is deleted that long after its
	// create succeeded, with its own grace period.
	Lifetime sim.Dist
	Client   client.Config
}

const (
	kindCreatePod int32 = api.KindPrivate + 2
	kindDeletePod int32 = api.KindPrivate + 3
)

// PodChurn creates a bare pod (generateName) every 1/Rate seconds and
// deletes each after its lifetime: the steady pod churn of a busy cluster
// (batch jobs, CI runners). Failed creates and deletes are counted, not
// retried.
type PodChurn struct {
	eng  *sim.Engine
	cfg  PodChurnConfig
	cl   *client.Client
	rng  *sim.Rand
	self sim.EndpointID
	gap  time.Duration

	created, createFailed, deleted, deleteFailed *sim.Counter
}

// NewPodChurn registers a generator sending to server.
func NewPodChurn(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg PodChurnConfig) *PodChurn {
	w := &PodChurn{eng: eng, cfg: cfg, gap: time.Duration(float64(time.Second) / cfg.Rate), rng: eng.Rand("podchurn/" + cfg.Name)}
	w.self = net.AddEndpoint("podchurn/"+cfg.Name, w)
	w.cl = client.New(eng, net, sh, w.self, server, cfg.Client)
	w.created = rec.Counter("podchurn_pods_created_total", "churn", cfg.Name)
	w.createFailed = rec.Counter("podchurn_create_failures_total", "churn", cfg.Name)
	w.deleted = rec.Counter("podchurn_pods_deleted_total", "churn", cfg.Name)
	w.deleteFailed = rec.Counter("podchurn_delete_failures_total", "churn", cfg.Name)
	eng.Schedule(sim.Event{At: cfg.Start, Target: w, Kind: kindCreatePod, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	return w
}

// Endpoint is the generator's network endpoint.
func (w *PodChurn) Endpoint() sim.EndpointID { return w.self }

// Handle runs the create timer, the deletions and responses.
func (w *PodChurn) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindCreatePod:
		now := w.eng.Now()
		if w.cfg.End > 0 && now >= w.cfg.End {
			return
		}
		p := &objects.Pod{
			ID: -1, Namespace: w.cfg.PodNS, Labels: w.cfg.Template.Labels, Spec: w.cfg.Template.Spec,
			NodeName: objects.NoNode, Size: w.cfg.Size, Created: now,
		}
		req := w.cl.NewRequest(api.Create, api.Pods, -1)
		req.Namespace = w.cfg.Namespace
		req.Object = api.Object{Resource: api.Pods, ID: -1, Namespace: w.cfg.Namespace, Size: w.cfg.Size, Body: p}
		w.cl.Do(req, createCall{w})
		w.eng.After(w.gap, w, kindCreatePod, 0)
	case kindDeletePod:
		req := w.cl.NewRequest(api.Delete, api.Pods, int32(ev.A))
		req.Namespace = w.cfg.Namespace
		w.cl.Do(req, deleteCall{w})
	case api.KindResponse:
		w.cl.HandleResponse(ev)
	}
}

type createCall struct{ w *PodChurn }

// OnResponse schedules a created pod's deletion.
func (c createCall) OnResponse(req *api.Request) {
	w := c.w
	if req.Code.Success() {
		w.created.Inc()
		life := w.cfg.Lifetime.Sample(w.rng)
		w.eng.After(life, w, kindDeletePod, int64(req.Result.ID))
	} else {
		w.createFailed.Inc()
	}
	w.cl.Release(req)
}

type deleteCall struct{ w *PodChurn }

func (c deleteCall) OnResponse(req *api.Request) {
	if req.Code.Success() {
		c.w.deleted.Inc()
	} else {
		c.w.deleteFailed.Inc()
	}
	c.w.cl.Release(req)
}
