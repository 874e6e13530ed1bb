package informer

import (
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// MinimumResyncPeriod is the shortest resync period a handler gets
// (k8s.io/client-go/tools/cache/shared_informer.go: minimumResyncPeriod).
const MinimumResyncPeriod = time.Second

// KCMMinResyncPeriod is kube-controller-manager's --min-resync-period
// default (k8s.io/controller-manager/config/v1alpha1/defaults.go:
// MinResyncPeriod 12h).
const KCMMinResyncPeriod = 12 * time.Hour

// KCMResyncPeriod draws the resync period kube-controller-manager gives its
// shared informer factory: MinResyncPeriod × rand[1,2)
// (cmd/kube-controller-manager/app/controllermanager.go: ResyncPeriod, "so
// that multiple controllers don't get into lock-step").
func KCMResyncPeriod(r *sim.Rand) time.Duration {
	return time.Duration(float64(KCMMinResyncPeriod) * (r.Float64() + 1))
}

// Handler receives an informer's notifications (client-go's
// ResourceEventHandler). Objects are passed by value: a handler may keep them.
type Handler interface {
	OnAdd(obj api.Object, isInInitialList bool)
	OnUpdate(oldObj, newObj api.Object)
	OnDelete(obj api.Object)
}

// HandlerFuncs adapts functions to Handler (ResourceEventHandlerFuncs);
// nil functions are skipped.
type HandlerFuncs struct {
	AddFunc    func(obj api.Object, isInInitialList bool)
	UpdateFunc func(oldObj, newObj api.Object)
	DeleteFunc func(obj api.Object)
}

func (f HandlerFuncs) OnAdd(obj api.Object, initial bool) {
	if f.AddFunc != nil {
		f.AddFunc(obj, initial)
	}
}

func (f HandlerFuncs) OnUpdate(oldObj, newObj api.Object) {
	if f.UpdateFunc != nil {
		f.UpdateFunc(oldObj, newObj)
	}
}

func (f HandlerFuncs) OnDelete(obj api.Object) {
	if f.DeleteFunc != nil {
		f.DeleteFunc(obj)
	}
}

// Config is an informer's identity and resync default.
type Config struct {
	// Name labels the informer's metrics (informer=<Name>).
	Name     string
	Resource api.Resource
	// Selector is a metadata.name field selector: the one object ID to
	// watch, or -1 for every object of the resource.
	Selector int32
	// ResyncPeriod is the default handler resync period and the initial
	// resync check period (NewSharedIndexInformer's
	// defaultEventHandlerResyncPeriod); 0: no resyncs.
	ResyncPeriod time.Duration
}

// HandlerOptions are a handler's name and modeled cost.
type HandlerOptions struct {
	// Name labels the handler's metrics (handler=<Name>); "" gives
	// "handler-<n>", n counting registrations from 0.
	Name string
	// HandlingTime is how long the handler takes per notification; nil: no
	// time at all.
	HandlingTime sim.Dist
}

const kindResyncCheck int32 = api.KindPrivate + 60

// Informer is a shared informer: a reflector, the local cache it fills, and
// the listeners that relay its changes to handlers.
type Informer struct {
	eng  *sim.Engine
	rng  *sim.Rand
	rec  *sim.Recorder
	cfg  Config
	refl *client.Reflector
	st   store
	tick resyncTick

	cache api.ObjectTable
	n     int
	// mark[id] == epoch for the objects of the list being applied.
	mark  []uint32
	epoch uint32

	listeners         []*Registration
	registered        int // registrations ever made, for default names
	started, synced   bool
	resyncCheckPeriod time.Duration
	resyncTimer       *sim.Timer

	resyncs *sim.Counter
}

// New returns a stopped informer that lists and watches through c. rng is
// the informer's own random stream (the reflector's jitter and the handling
// times are drawn from forks of it).
func New(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, c *client.Client, rng *sim.Rand, cfg Config) *Informer {
	inf := &Informer{eng: eng, rng: rng, rec: rec, cfg: cfg, resyncCheckPeriod: cfg.ResyncPeriod}
	inf.st.inf = inf
	inf.tick.inf = inf
	inf.refl = client.NewReflector(c, net, rng.Fork("reflector"), rec, cfg.Resource, cfg.Selector, &inf.st)
	inf.resyncTimer = eng.NewTimer(&inf.tick, kindResyncCheck)
	inf.resyncs = rec.Counter("informer_resyncs_total", "informer", cfg.Name)
	return inf
}

// Reflector is the informer's reflector (for its metrics and state).
func (inf *Informer) Reflector() *client.Reflector { return inf.refl }

// Start lists, then watches (sharedIndexInformer.Run).
func (inf *Informer) Start() {
	inf.started = true
	inf.refl.Start()
}

// StartRunning begins from a synced cache holding objs, watching from
// resource version rv on an open stream: an informer that was running before
// time 0. Handlers are not told of objs: they have seen them already.
func (inf *Informer) StartRunning(objs []api.Object, rv int64, stream sim.StreamID) {
	inf.started, inf.synced = true, true
	for _, o := range objs {
		if _, ok := inf.cache.Get(o.ID); !ok {
			inf.n++
		}
		inf.cache.Set(o)
	}
	for _, l := range inf.listeners {
		l.initialPending = 0
	}
	inf.refl.StartWatching(rv, stream)
	inf.armResync()
}

// Stop stops the informer as its process stops: the reflector stops, the
// cache and every handler's pending notifications are dropped, and the
// informer is no longer synced. Handlers stay registered for a later Start.
func (inf *Informer) Stop() {
	inf.refl.Stop()
	inf.resyncTimer.Stop()
	inf.started, inf.synced = false, false
	inf.cache.Clear()
	inf.n = 0
	for _, l := range inf.listeners {
		l.reset()
	}
}

// HandleStream takes a stream message addressed to the owner; it reports
// whether the message belonged to this informer's watch.
func (inf *Informer) HandleStream(ev *sim.Event) bool {
	if !inf.refl.HandleStream(ev) {
		return false
	}
	if ev.Kind == sim.KindStreamClosed {
		// ListAndWatch returned: its resync goroutine stops until the next list.
		inf.resyncTimer.Stop()
	}
	return true
}

// HasSynced reports whether the first list has been processed
// (sharedIndexInformer.HasSynced).
func (inf *Informer) HasSynced() bool { return inf.synced }

// Get returns the cached object with the given ID (the lister).
func (inf *Informer) Get(id int32) (api.Object, bool) { return inf.cache.Get(id) }

// Len is the number of cached objects.
func (inf *Informer) Len() int { return inf.n }

// IDs is one past the highest cached ID ever seen: iterate 0..IDs()-1 with Get.
func (inf *Informer) IDs() int32 { return inf.cache.IDs() }

// ResyncCheckPeriod is the period of the resync check (0: no resyncs).
func (inf *Informer) ResyncCheckPeriod() time.Duration { return inf.resyncCheckPeriod }

// AddEventHandler registers h with the informer's default resync period.
func (inf *Informer) AddEventHandler(h Handler, o HandlerOptions) *Registration {
	return inf.AddEventHandlerWithResyncPeriod(h, inf.cfg.ResyncPeriod, o)
}

// AddEventHandlerWithResyncPeriod registers h with the requested resync
// period (0: no resyncs), adjusted as upstream's
// AddEventHandlerWithResyncPeriod does. A handler added after Start is sent
// an OnAdd for every cached object, in ID order.
func (inf *Informer) AddEventHandlerWithResyncPeriod(h Handler, period time.Duration, o HandlerOptions) *Registration {
	if period > 0 {
		period = max(period, MinimumResyncPeriod)
		if period < inf.resyncCheckPeriod {
			if inf.started {
				period = inf.resyncCheckPeriod
			} else {
				inf.resyncCheckPeriod = period
				for _, l := range inf.listeners {
					l.resyncPeriod = determineResyncPeriod(l.requestedResync, period)
				}
			}
		}
	}
	name := o.Name
	if name == "" {
		name = fmt.Sprintf("handler-%d", inf.registered)
	}
	inf.registered++
	l := &Registration{
		inf:             inf,
		h:               h,
		name:            name,
		handling:        o.HandlingTime,
		rng:             inf.rng.Fork("handler/" + name),
		requestedResync: period,
		resyncPeriod:    determineResyncPeriod(period, inf.resyncCheckPeriod),
		syncing:         true, // sharedProcessor.addListener: listeners[l] = true
		pendingG:        inf.rec.Gauge("informer_handler_pending", "informer", inf.cfg.Name, "handler", name),
		lag:             inf.rec.Latency("informer_handler_lag_seconds", "informer", inf.cfg.Name, "handler", name),
		handled:         inf.rec.Counter("informer_handler_notifications_total", "informer", inf.cfg.Name, "handler", name),
	}
	l.nextResync = inf.eng.Now().Add(l.resyncPeriod)
	l.timer = inf.eng.NewTimer(l, kindHandled)
	inf.listeners = append(inf.listeners, l)
	if inf.started {
		for id := range inf.cache.IDs() {
			if obj, ok := inf.cache.Get(id); ok {
				l.add(notification{kind: notifyAdd, initial: true, obj: obj})
			}
		}
	}
	return l
}

// RemoveEventHandler unregisters a handler; its pending notifications are
// dropped. Removing it twice is a no-op.
func (inf *Informer) RemoveEventHandler(r *Registration) {
	for i, l := range inf.listeners {
		if l == r {
			// A fresh slice: a distribution in progress keeps ranging over the old one.
			next := make([]*Registration, 0, len(inf.listeners)-1)
			next = append(next, inf.listeners[:i]...)
			inf.listeners = append(next, inf.listeners[i+1:]...)
			l.reset()
			l.removed = true
			return
		}
	}
}

// determineResyncPeriod is upstream's: no resync if none is wanted or the
// informer does none, and never more often than the check period.
func determineResyncPeriod(desired, check time.Duration) time.Duration {
	switch {
	case desired == 0 || check == 0:
		return 0
	case desired < check:
		return check
	}
	return desired
}

// distribute hands a notification to every listener, or for a sync to the
// resyncing ones only (sharedProcessor.distribute), in registration order.
func (inf *Informer) distribute(n notification, sync bool) {
	for _, l := range inf.listeners {
		if sync && !l.syncing {
			continue
		}
		l.add(n)
	}
}

// upsert applies an Added/Updated/Replaced/Sync delta (processDeltas).
func (inf *Informer) upsert(obj api.Object, initial bool) {
	old, ok := inf.cache.Get(obj.ID)
	inf.cache.Set(obj)
	if ok {
		inf.distribute(notification{kind: notifyUpdate, old: old, obj: obj}, old.ResourceVersion == obj.ResourceVersion)
		return
	}
	inf.n++
	inf.distribute(notification{kind: notifyAdd, initial: initial, obj: obj}, false)
}

func (inf *Informer) remove(obj api.Object) {
	inf.cache.Delete(obj.ID)
	inf.n--
	inf.distribute(notification{kind: notifyDelete, obj: obj}, false)
}

// replace applies a list: Replaced deltas in list order, then deletions of
// cached objects the list does not hold, in ID order (DeltaFIFO.Replace).
func (inf *Informer) replace(items []api.Object) {
	initial := !inf.synced
	inf.epoch++
	if inf.epoch == 0 { // wrapped: forget every old mark
		clear(inf.mark)
		inf.epoch = 1
	}
	for _, o := range items {
		for int(o.ID) >= len(inf.mark) {
			inf.mark = append(inf.mark, 0)
		}
		inf.mark[o.ID] = inf.epoch
	}
	for _, o := range items {
		inf.upsert(o, initial)
	}
	for id := range inf.cache.IDs() {
		if int(id) < len(inf.mark) && inf.mark[id] == inf.epoch {
			continue
		}
		if old, ok := inf.cache.Get(id); ok {
			inf.remove(old)
		}
	}
	inf.synced = true
	inf.armResync()
}

// apply applies a watch event.
func (inf *Informer) apply(we *api.WatchEvent) {
	if we.Type != api.Deleted {
		inf.upsert(we.Object, false)
		return
	}
	if _, ok := inf.cache.Get(we.Object.ID); ok {
		inf.remove(we.Object)
	}
}

func (inf *Informer) armResync() {
	if inf.resyncCheckPeriod > 0 {
		inf.resyncTimer.Reset(inf.resyncCheckPeriod)
	}
}

// resyncCheck is one tick of the reflector's resync timer: ShouldResync,
// then, if any listener is due, Resync.
func (inf *Informer) resyncCheck() {
	if inf.shouldResync() {
		inf.resyncs.Inc()
		for id := range inf.cache.IDs() {
			if obj, ok := inf.cache.Get(id); ok {
				inf.distribute(notification{kind: notifyUpdate, old: obj, obj: obj}, true)
			}
		}
	}
	inf.armResync()
}

// shouldResync recomputes the resyncing set (sharedProcessor.shouldResync).
func (inf *Informer) shouldResync() bool {
	now := inf.eng.Now()
	need := false
	for _, l := range inf.listeners {
		l.syncing = l.resyncPeriod > 0 && now >= l.nextResync
		if l.syncing {
			need = true
			l.nextResync = now.Add(l.resyncPeriod)
		}
	}
	return need
}

// store is the reflector's view of the informer (client.Store), kept off
// the informer's own API.
type store struct{ inf *Informer }

func (s *store) Replace(items []api.Object) { s.inf.replace(items) }
func (s *store) Apply(we *api.WatchEvent)   { s.inf.apply(we) }

// resyncTick receives the resync timer's events.
type resyncTick struct{ inf *Informer }

func (t *resyncTick) Handle(*sim.Event) {
	if t.inf.started {
		t.inf.resyncCheck()
	}
}
