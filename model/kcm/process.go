package kcm

import (
	"fmt"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/leaderelection"
	"github.com/orrery-sim/orrery/sim"
)

// Runner is a controller the process starts when it leads and stops when
// it exits (the node lifecycle controller, for one).
type Runner interface {
	Start()
	Stop()
}

// ProcessConfig is a kube-controller-manager deployment: its replicas,
// each a Manager under leader election.
type ProcessConfig struct {
	// Name is the endpoint prefix: replica i's manager is "<Name>/<i>"
	// ("" : "kube-controller-manager").
	Name     string
	Replicas int // 0: 1
	// Manager is every replica's manager configuration (its Name is set
	// per replica).
	Manager Config
	// Lease and LeaseNamespace locate the lock, the Lease
	// kube-system/kube-controller-manager. ElectionClient is the leader
	// election's client.
	Lease          int32
	LeaseNamespace api.NamespaceID
	ElectionClient client.Config
	// LeaseDuration, RenewDeadline, RetryPeriod: 0 takes 15s, 10s, 2s
	// (cmd/kube-controller-manager: --leader-elect-lease-duration, ...).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// LeaseSize is the lock's serialized size (0: the default).
	LeaseSize int32
	// RestartDelay: a replica that lost its lease exits and its static pod
	// comes back after this long (0: 10s, the kubelet's first
	// CrashLoopBackOff delay, pkg/kubelet/kubelet.go backOffPeriod).
	RestartDelay time.Duration
	// Extra returns replica i's other controllers, run while it leads.
	Extra func(i int) []Runner
}

// Process is kube-controller-manager's replicas. Unlike kube-scheduler,
// kube-controller-manager starts its informers only once it leads
// (cmd/kube-controller-manager/app/controllermanager.go: Run's
// OnStartedLeading calls run, which builds the controllers and starts the
// informer factory): a new leader starts cold.
type Process struct {
	cfg      ProcessConfig
	replicas []*ProcessReplica
}

// ProcessReplica is one kube-controller-manager instance.
type ProcessReplica struct {
	p       *Process
	eng     *sim.Engine
	index   int
	Manager *Manager
	extra   []Runner
	lec     *client.Client
	el      *leaderelection.Elector
	self    sim.EndpointID
	up      bool
	leading bool
	restart *sim.Timer
	leads   *sim.Counter
	rec     *sim.Recorder
	rng     *sim.Rand
	starts  int // process starts so far
}

const kindRestart int32 = api.KindPrivate + 60

// NewProcess builds the replicas, stopped.
func NewProcess(eng *sim.Engine, net *sim.Network, rec *sim.Recorder, sh *client.Shared, server sim.EndpointID, cfg ProcessConfig) (*Process, error) {
	if cfg.Name == "" {
		cfg.Name = "kube-controller-manager"
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.RestartDelay == 0 {
		cfg.RestartDelay = 10 * time.Second
	}
	p := &Process{cfg: cfg}
	for i := range cfg.Replicas {
		mc := cfg.Manager
		mc.Name = fmt.Sprintf("%s/%d", cfg.Name, i)
		m, err := New(eng, net, rec, sh, server, mc)
		if err != nil {
			return nil, err
		}
		r := &ProcessReplica{p: p, eng: eng, index: i, Manager: m}
		r.self = net.AddEndpoint(mc.Name+"/leader-election", r)
		lcfg := cfg.ElectionClient
		if lcfg.Timeout == 0 {
			lcfg.Timeout = leaderelection.DefaultRenewDeadline
		}
		r.lec = client.New(eng, net, sh, r.self, server, lcfg)
		r.rec, r.rng = rec, eng.Rand(mc.Name+"/leaderelection")
		if err := r.newElector(); err != nil {
			return nil, err
		}
		if cfg.Extra != nil {
			r.extra = cfg.Extra(i)
		}
		r.restart = eng.NewTimer(r, kindRestart)
		r.leads = rec.Counter("controller_manager_leader_starts_total", "manager", mc.Name)
		p.replicas = append(p.replicas, r)
	}
	return p, nil
}

// newElector makes the replica's elector for its current start. Each
// start of kube-controller-manager has a new identity, its hostname and a
// fresh UUID (cmd/kube-controller-manager/app/controllermanager.go: id :=
// hostname + "_" + string(uuid.NewUUID())), so a restarted instance does
// not find itself holding the Lease: it waits for it to expire like any
// other candidate. Identities are index + starts·replicas.
func (r *ProcessReplica) newElector() error {
	cfg := &r.p.cfg
	el, err := leaderelection.New(r.eng, r.lec, r.rng.Fork(fmt.Sprintf("start-%d", r.starts)), r.rec, leaderelection.Config{
		Name: cfg.Name, Lease: cfg.Lease, Namespace: cfg.LeaseNamespace, Identity: int32(r.index + r.starts*cfg.Replicas),
		LeaseDuration: cfg.LeaseDuration, RenewDeadline: cfg.RenewDeadline, RetryPeriod: cfg.RetryPeriod, LeaseSize: cfg.LeaseSize,
		OnStartedLeading: r.startedLeading,
		OnStoppedLeading: r.stoppedLeading,
	})
	r.el = el
	return err
}

// Replicas are the instances, in order.
func (p *Process) Replicas() []*ProcessReplica { return p.replicas }

// Leader is the replica leading now, or nil.
func (p *Process) Leader() *ProcessReplica {
	for _, r := range p.replicas {
		if r.leading {
			return r
		}
	}
	return nil
}

// Start starts every replica.
func (p *Process) Start() {
	for _, r := range p.replicas {
		r.Start()
	}
}

// Name is the replica's manager name.
func (r *ProcessReplica) Name() string { return r.Manager.cfg.Name }

// Leading reports whether the replica leads.
func (r *ProcessReplica) Leading() bool { return r.leading }

// Up reports whether the process runs.
func (r *ProcessReplica) Up() bool { return r.up }

// Elector is the replica's leader elector.
func (r *ProcessReplica) Elector() *leaderelection.Elector { return r.el }

// Start starts the process: it campaigns for the lease.
func (r *ProcessReplica) Start() {
	if r.up {
		return
	}
	r.up = true
	if r.starts > 0 {
		// A new process: a new identity (newElector). Its config was valid
		// at the first start.
		_ = r.newElector()
	}
	r.starts++
	r.el.Run()
}

// Stop kills the process: its controllers, informers and elector stop;
// the lease it may hold expires on its own.
func (r *ProcessReplica) Stop() {
	if !r.up {
		return
	}
	r.up, r.leading = false, false
	r.restart.Stop()
	r.el.Stop()
	r.lec.Stop()
	r.Manager.Stop()
	for _, x := range r.extra {
		x.Stop()
	}
}

func (r *ProcessReplica) startedLeading() {
	r.leading = true
	r.leads.Inc()
	r.Manager.Start()
	for _, x := range r.extra {
		x.Start()
	}
}

// stoppedLeading: kube-controller-manager exits ("leaderelection lost")
// and its static pod is restarted after the restart delay.
func (r *ProcessReplica) stoppedLeading() {
	r.Stop()
	r.restart.Reset(r.p.cfg.RestartDelay)
}

// Handle takes the election client's responses and the restart timer.
func (r *ProcessReplica) Handle(ev *sim.Event) {
	switch ev.Kind {
	case api.KindResponse:
		ev.Data.(*api.Request).Via.HandleResponse(ev)
	case kindRestart:
		r.Start()
	}
}
