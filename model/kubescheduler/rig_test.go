package kubescheduler

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
	"github.com/orrery-sim/orrery/sim"
)

const (
	mi = 1 << 20
	gi = 1 << 30
	ms = time.Millisecond
	// ns is the pods' API namespace.
	ns api.NamespaceID = 1
	// leaseID is the scheduler's Lease (no node has it).
	leaseID int32 = 1000
)

// rig is the API test rig with a kube-scheduler and helpers to make nodes
// and pods through the API server.
type rig struct {
	*apitest.Rig
	t     testing.TB
	in    *objects.Interner
	sched *Scheduler
	nodes int32
}

// rigLatencies: 1ms each way, 1ms of API server CPU, 2ms commits.
var rigLatencies = apitest.Latencies{Network: ms, Service: ms, Commit: 2 * ms, Read: ms}

func newRig(t testing.TB, seed uint64) *rig {
	return &rig{Rig: apitest.New(seed, rigLatencies, "writer"), t: t, in: objects.NewInterner()}
}

// start builds the scheduler with cfg (Interner, Profile and Queue
// filled in if unset) and starts it at time 0.
func (r *rig) start(cfg Config) *Scheduler {
	cfg.Interner = r.in
	if cfg.Profile.Weights == ([scheduler.NumPlugins]int64{}) {
		cfg.Profile = scheduler.DefaultConfig(31)
	}
	if cfg.Queue == (scheduler.QueueConfig{}) {
		cfg.Queue = scheduler.DefaultQueueConfig(31)
	}
	if cfg.LeaderElect {
		cfg.Lease, cfg.LeaseNamespace = leaseID, ns
	}
	cfg.Trace = true
	s, err := New(r.Eng, r.Net, r.Rec, r.Shared, r.Srv.Endpoint(), cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.sched = s
	s.Start()
	return s
}

func (r *rig) sym(s string) objects.Sym { return r.in.Intern(s) }

func (r *rig) labels(kv ...string) objects.Labels {
	var pairs []objects.Label
	for i := 0; i < len(kv); i += 2 {
		pairs = append(pairs, objects.Label{Key: r.sym(kv[i]), Value: r.sym(kv[i+1])})
	}
	ls, err := objects.MakeLabels(pairs...)
	if err != nil {
		r.t.Fatal(err)
	}
	return ls
}

// node makes a finished node; seeded, it exists before time 0.
func (r *rig) node(name string, milliCPU, memory int64, edit ...func(*objects.Node)) *objects.Node {
	n := &objects.Node{ID: r.nodes, Name: r.sym(name), Allocatable: objects.Resources{MilliCPU: milliCPU, Memory: memory}, Ready: api.ConditionTrue}
	r.nodes++
	for _, e := range edit {
		e(n)
	}
	if err := n.Finish(); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func nodeObject(n *objects.Node) api.Object {
	return api.Object{Resource: api.Nodes, ID: n.ID, Size: 15000, Ready: api.ConditionTrue, Body: n}
}

func (r *rig) seedNode(n *objects.Node) { r.Seed(nodeObject(n)) }

// addNode creates a node through the API server at time d.
func (r *rig) addNode(d time.Duration, n *objects.Node) {
	r.At(d, func() {
		req := r.Writer.C.NewRequest(api.Create, api.Nodes, n.ID)
		req.Object = nodeObject(n)
		r.Writer.C.Do(req, r.Writer)
	})
}

func (r *rig) spec(s objects.PodSpec) *objects.PodSpec {
	if len(s.Containers) == 0 {
		s.Containers = []objects.Container{{Image: r.sym("app:1")}}
	}
	if err := s.Finish(); err != nil {
		r.t.Fatal(err)
	}
	return &s
}

// cpuPod is a spec asking for CPU and memory.
func (r *rig) cpuPod(milliCPU, memory int64) *objects.PodSpec {
	return r.spec(objects.PodSpec{Containers: []objects.Container{{Image: r.sym("app:1"), Requests: objects.Requests(milliCPU, memory)}}})
}

func podObject(p *objects.Pod) api.Object {
	return api.Object{Resource: api.Pods, ID: p.ID, Namespace: ns, Size: 4000, Body: p}
}

// seedBound stores a pod bound to node before time 0.
func (r *rig) seedBound(id int32, spec *objects.PodSpec, node int32) {
	r.Seed(podObject(&objects.Pod{ID: id, Namespace: objects.NamespaceDefault, Name: r.sym("running"), Spec: spec, NodeName: node, Phase: objects.PodRunning}))
}

// createPod has the writer create a pending pod (generateName) at d.
func (r *rig) createPod(d time.Duration, spec *objects.PodSpec, labels objects.Labels) {
	r.At(d, func() {
		p := &objects.Pod{ID: -1, Namespace: objects.NamespaceDefault, Name: r.sym("pod"), Labels: labels, Spec: spec,
			NodeName: objects.NoNode, Created: r.Eng.Now()}
		req := r.Writer.C.NewRequest(api.Create, api.Pods, -1)
		req.Namespace = ns
		req.Object = podObject(p)
		r.Writer.C.Do(req, r.Writer)
	})
}

// stored returns the pod as storage has it.
func (r *rig) stored(id int32) *objects.Pod {
	r.t.Helper()
	o, ok := r.St.Get(api.Pods, id)
	if !ok {
		r.t.Fatalf("pod %d not stored", id)
	}
	return o.Body.(*objects.Pod)
}

// storedPods returns every stored pod in ID order.
func (r *rig) storedPods() []*objects.Pod {
	var out []*objects.Pod
	for id := int32(0); id < 10000; id++ {
		if o, ok := r.St.Get(api.Pods, id); ok {
			out = append(out, o.Body.(*objects.Pod))
		}
	}
	return out
}

// scheduled returns the traced successful attempts.
func scheduled(s *Scheduler) []Attempt {
	var out []Attempt
	for _, a := range s.Attempts() {
		if a.Result == Scheduled {
			out = append(out, a)
		}
	}
	return out
}

func at(d time.Duration) sim.Time { return sim.Time(d) }
