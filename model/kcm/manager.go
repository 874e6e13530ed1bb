package kcm

import (
	"errors"
	"slices"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/controllers"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

// Config is a controller manager running the ReplicaSet, Deployment and
// EndpointSlice controllers.
type Config struct {
	// Name is the manager's endpoint ("" : "kube-controller-manager").
	Name string
	// In is the simulation's interner (required): template hashes and
	// ReplicaSet names are interned.
	In *objects.Interner
	// Sizes are the serialized sizes of the pods and ReplicaSets the
	// controllers create (zero: objects.DefaultSizes).
	Sizes objects.Sizes
	// InformerClient is the shared informers' client (QPS 0: 20, burst 30).
	InformerClient client.Config
	// ResyncPeriod is the shared informers' resync period (0: none; a
	// cluster gives informer.KCMResyncPeriod).
	ResyncPeriod time.Duration
	// HandlerTime is each event handler's time per notification (nil: 0).
	HandlerTime   sim.Dist
	ReplicaSet    ReplicaSetConfig
	Deployment    LoopConfig
	EndpointSlice EndpointSliceConfig
}

// ErrNoInterner is returned by New without Config.In.
var ErrNoInterner = errors.New("kcm: Config.In (the interner) is required")

// Manager is kube-controller-manager's workload half: shared informers on
// Pods, ReplicaSets and Deployments (and, with the EndpointSlice
// controller, Services and EndpointSlices), and the controllers that use
// them.
// Start and Stop are the hooks leader election drives: a manager that
// loses its lease stops, one that gains it starts cold.
type Manager struct {
	eng    *sim.Engine
	net    *sim.Network
	rec    *sim.Recorder
	sh     *client.Shared
	rng    *sim.Rand
	cfg    Config
	self   sim.EndpointID
	server sim.EndpointID

	ic               *client.Client
	pods, rss, deps  *informer.Informer
	svcs, slices     *informer.Informer // nil without the EndpointSlice controller
	idx              index
	ReplicaSets      *ReplicaSetController
	Deployments      *DeploymentController
	EndpointSlices   *EndpointSliceController
	started, running bool
	syncPoll         *sim.Timer
	starts           *sim.Counter
	informers        []*informer.Informer
}

// New returns a stopped manager registered on the network as cfg.Name.
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg Config) (*Manager, error) {
	if cfg.In == nil {
		return nil, ErrNoInterner
	}
	if cfg.Name == "" {
		cfg.Name = "kube-controller-manager"
	}
	if cfg.Sizes == (objects.Sizes{}) {
		cfg.Sizes = objects.DefaultSizes
	}
	if err := cfg.Sizes.Validate(); err != nil {
		return nil, err
	}
	if n := cfg.EndpointSlice.MaxEndpointsPerSlice; n < 0 || n > MaxMaxEndpointsPerSlice {
		return nil, ErrMaxEndpointsPerSlice
	}
	if cfg.InformerClient.QPS == 0 {
		cfg.InformerClient.QPS, cfg.InformerClient.Burst = controllers.KCMClient.QPS, controllers.KCMClient.Burst
	}
	m := &Manager{eng: eng, net: net, rec: rec, sh: sh, cfg: cfg, server: server, rng: eng.Rand(cfg.Name)}
	m.self = net.AddEndpoint(cfg.Name, m)
	m.ic = client.New(eng, net, sh, m.self, server, cfg.InformerClient)
	mk := func(res api.Resource, name string) *informer.Informer {
		inf := informer.New(eng, net, rec, m.ic, m.rng.Fork("informer/"+name),
			informer.Config{Name: cfg.Name + "/" + name, Resource: res, Selector: -1, ResyncPeriod: cfg.ResyncPeriod})
		inf.Reflector().Relisted = rec.Counter("reflector_relists_total", "controller", cfg.Name+"/"+name)
		return inf
	}
	m.pods, m.rss, m.deps = mk(api.Pods, "pods"), mk(api.ReplicaSets, "replicasets"), mk(api.Deployments, "deployments")
	m.informers = []*informer.Informer{m.pods, m.rss, m.deps}
	if !cfg.EndpointSlice.Disabled {
		m.svcs, m.slices = mk(api.Services, "services"), mk(api.EndpointSlices, "endpointslices")
		m.informers = append(m.informers, m.svcs, m.slices)
	}
	// The indexers first, so that a controller's handler sees them current.
	m.pods.AddEventHandler(&ownerIndexer{&m.idx.podsOf, podOwner}, informer.HandlerOptions{Name: "index"})
	m.rss.AddEventHandler(&ownerIndexer{&m.idx.rssOf, rsOwner}, informer.HandlerOptions{Name: "index"})
	m.syncPoll = eng.NewTimer(pollTick{m}, kindSyncPoll)
	m.starts = rec.Counter("controller_manager_starts_total", "manager", cfg.Name)
	if !cfg.ReplicaSet.Disabled {
		m.ReplicaSets = newReplicaSetController(m, cfg.ReplicaSet)
	}
	if !cfg.Deployment.Disabled {
		m.Deployments = newDeploymentController(m, cfg.Deployment)
	}
	if !cfg.EndpointSlice.Disabled {
		m.EndpointSlices = newEndpointSliceController(m, cfg.EndpointSlice)
	}
	return m, nil
}

// Endpoint is the manager's network endpoint.
func (m *Manager) Endpoint() sim.EndpointID { return m.self }

// Informers returns the shared pod, ReplicaSet and Deployment informers.
func (m *Manager) Informers() (pods, replicaSets, deployments *informer.Informer) {
	return m.pods, m.rss, m.deps
}

// ServiceInformers returns the shared Service and EndpointSlice informers
// (nil without the EndpointSlice controller).
func (m *Manager) ServiceInformers() (services, endpointSlices *informer.Informer) {
	return m.svcs, m.slices
}

// Running reports whether the controllers' workers run (the caches have
// synced since the last Start).
func (m *Manager) Running() bool { return m.running }

// Start starts the informers and, once all have synced
// (WaitForNamedCacheSync), the controllers' workers. Starting a started
// manager does nothing.
func (m *Manager) Start() {
	if m.started {
		return
	}
	m.started = true
	m.starts.Inc()
	for _, inf := range m.informers {
		inf.Start()
	}
	m.pollSync()
}

// Stop stops the process: informers drop their caches, controllers their
// queues, expectations and syncs in progress; requests in flight are
// abandoned (a write already sent may still be applied).
func (m *Manager) Stop() {
	if !m.started {
		return
	}
	m.started, m.running = false, false
	m.syncPoll.Stop()
	if m.ReplicaSets != nil {
		m.ReplicaSets.stop()
	}
	if m.Deployments != nil {
		m.Deployments.stop()
	}
	if m.EndpointSlices != nil {
		m.EndpointSlices.stop()
	}
	for _, inf := range m.informers {
		inf.Stop()
	}
	m.ic.Stop()
	m.idx = index{}
}

func (m *Manager) pollSync() {
	if !m.started {
		return
	}
	for _, inf := range m.informers {
		if !inf.HasSynced() {
			m.syncPoll.Reset(controllers.SyncedPollPeriod)
			return
		}
	}
	m.running = true
	if m.ReplicaSets != nil {
		m.ReplicaSets.l.start()
	}
	if m.Deployments != nil {
		m.Deployments.l.start()
	}
	if m.EndpointSlices != nil {
		m.EndpointSlices.l.start()
	}
}

type pollTick struct{ m *Manager }

func (p pollTick) Handle(*sim.Event) { p.m.pollSync() }

// Handle dispatches the manager's network messages: responses to their
// client, stream messages to the informer whose watch they belong to.
func (m *Manager) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case api.KindWatchStarted, api.KindWatchEvent, sim.KindStreamClosed:
		for _, inf := range m.informers {
			if inf.HandleStream(ev) {
				return
			}
		}
	}
}

func (m *Manager) now() sim.Time { return m.eng.Now() }

// index is the informers' indexers the controllers need: the pods each
// ReplicaSet owns and the ReplicaSets each Deployment owns, by controller
// reference (upstream's controllerUIDIndex), as sorted IDs.
type index struct {
	podsOf [][]int32 // by ReplicaSet ID
	rssOf  [][]int32 // by Deployment ID
}

func insertID(tab [][]int32, owner, id int32) [][]int32 {
	for int(owner) >= len(tab) {
		tab = append(tab, nil)
	}
	if i, ok := slices.BinarySearch(tab[owner], id); !ok {
		tab[owner] = slices.Insert(tab[owner], i, id)
	}
	return tab
}

func removeID(tab [][]int32, owner, id int32) {
	if int(owner) >= len(tab) {
		return
	}
	if i, ok := slices.BinarySearch(tab[owner], id); ok {
		tab[owner] = slices.Delete(tab[owner], i, i+1)
	}
}

func idsOf(tab [][]int32, owner int32) []int32 {
	if owner < 0 || int(owner) >= len(tab) {
		return nil
	}
	return tab[owner]
}

// podOwner is the ReplicaSet that controls a pod object (-1: none).
func podOwner(o api.Object) int32 {
	if p, ok := o.Body.(*objects.Pod); ok && p.Owner.Kind == objects.OwnedByReplicaSet {
		return p.Owner.ID
	}
	return -1
}

// rsOwner is the Deployment that controls a ReplicaSet object (-1: none).
func rsOwner(o api.Object) int32 {
	if rs, ok := o.Body.(*objects.ReplicaSet); ok && rs.Owner.Kind == objects.OwnedByDeployment {
		return rs.Owner.ID
	}
	return -1
}

// ownerIndexer keeps one of the index's tables current with an informer:
// the objects each owner controls, by owner (-1: none).
type ownerIndexer struct {
	tab   *[][]int32
	owner func(api.Object) int32
}

func (x *ownerIndexer) OnAdd(o api.Object, _ bool) {
	if w := x.owner(o); w >= 0 {
		*x.tab = insertID(*x.tab, w, o.ID)
	}
}

func (x *ownerIndexer) OnUpdate(old, cur api.Object) {
	if a, b := x.owner(old), x.owner(cur); a != b {
		if a >= 0 {
			removeID(*x.tab, a, old.ID)
		}
		if b >= 0 {
			*x.tab = insertID(*x.tab, b, cur.ID)
		}
	}
}

func (x *ownerIndexer) OnDelete(o api.Object) {
	if w := x.owner(o); w >= 0 {
		removeID(*x.tab, w, o.ID)
	}
}

// podRef is a cached pod: its object and body.
type podRef struct {
	obj api.Object
	p   *objects.Pod
}

// ownedPods returns the cached pods rs owns, in ID order; with activeOnly,
// only the active ones (controller.FilterActivePods: not terminal, no
// deletionTimestamp).
func (m *Manager) ownedPods(rs int32, activeOnly bool, buf []podRef) []podRef {
	for _, id := range idsOf(m.idx.podsOf, rs) {
		o, ok := m.pods.Get(id)
		if !ok {
			continue
		}
		p, ok := o.Body.(*objects.Pod)
		if !ok || activeOnly && !isPodActive(p) {
			continue
		}
		buf = append(buf, podRef{obj: o, p: p})
	}
	return buf
}

// isPodActive is controller.IsPodActive (pkg/controller/controller_utils.go).
func isPodActive(p *objects.Pod) bool {
	return !p.Finished() && !p.Terminating
}

// rsRef is a cached ReplicaSet.
type rsRef struct {
	obj api.Object
	rs  *objects.ReplicaSet
}

func (m *Manager) replicaSet(id int32) (rsRef, bool) {
	o, ok := m.rss.Get(id)
	if !ok {
		return rsRef{}, false
	}
	rs, ok := o.Body.(*objects.ReplicaSet)
	return rsRef{obj: o, rs: rs}, ok
}

func (m *Manager) deployment(id int32) (api.Object, *objects.Deployment, bool) {
	o, ok := m.deps.Get(id)
	if !ok {
		return o, nil, false
	}
	d, ok := o.Body.(*objects.Deployment)
	return o, d, ok
}
