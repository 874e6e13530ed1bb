package scheduler

import (
	"testing"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/sim"
)

const (
	mi = 1 << 20
	gi = 1 << 30
)

// fixture builds small clusters for tests.
type fixture struct {
	t    testing.TB
	in   *objects.Interner
	snap *Snapshot
	pods int32
}

func newFixture(t testing.TB) *fixture {
	in := objects.NewInterner()
	return &fixture{t: t, in: in, snap: NewSnapshot(in)}
}

func (f *fixture) sym(s string) objects.Sym { return f.in.Intern(s) }

// labels builds a label set from "k=v" pairs.
func (f *fixture) labels(kv ...string) objects.Labels {
	var pairs []objects.Label
	for i := 0; i < len(kv); i += 2 {
		pairs = append(pairs, objects.Label{Key: f.sym(kv[i]), Value: f.sym(kv[i+1])})
	}
	ls, err := objects.MakeLabels(pairs...)
	if err != nil {
		f.t.Fatal(err)
	}
	return ls
}

// node adds a node with the given allocatable CPU (millicores) and memory.
func (f *fixture) node(name string, milliCPU, memory int64, edit ...func(*objects.Node)) *objects.Node {
	n := &objects.Node{
		ID:          int32(f.snap.NumNodes()),
		Name:        f.sym(name),
		Allocatable: objects.Resources{MilliCPU: milliCPU, Memory: memory},
	}
	for _, e := range edit {
		e(n)
	}
	if err := n.Finish(); err != nil {
		f.t.Fatal(err)
	}
	if err := f.snap.AddNode(n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) spec(s objects.PodSpec) *objects.PodSpec {
	if len(s.Containers) == 0 {
		s.Containers = []objects.Container{{Image: f.sym("app:latest")}}
	}
	if err := s.Finish(); err != nil {
		f.t.Fatal(err)
	}
	return &s
}

// pod makes a pod in namespace "default".
func (f *fixture) pod(spec *objects.PodSpec, labels objects.Labels) *objects.Pod {
	f.pods++
	return &objects.Pod{ID: f.pods, Namespace: objects.NamespaceDefault, Name: f.sym("pod"), Labels: labels, Spec: spec, NodeName: objects.NoNode}
}

// bind places a pod on a node.
func (f *fixture) bind(p *objects.Pod, n *objects.Node) *objects.Pod {
	if err := f.snap.Assume(p, n.ID); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// using runs a pod needing the given requests on a node (its "used"
// resources in the examples).
func (f *fixture) using(n *objects.Node, milliCPU, memory int64) {
	f.bind(f.pod(f.spec(objects.PodSpec{Containers: []objects.Container{{Requests: objects.Requests(milliCPU, memory)}}}), nil), n)
}

func (f *fixture) scheduler(cfg Config) *Scheduler {
	s, err := New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) schedule(s *Scheduler, p *objects.Pod) (Result, error) {
	return s.Schedule(p, f.snap, sim.NewRand(1, "test"))
}

// scoreOf returns the scores of a node in a result.
func scoreOf(t testing.TB, r Result, n *objects.Node) NodeScore {
	t.Helper()
	for _, s := range r.Scores {
		if s.Node == n.ID {
			return s
		}
	}
	t.Fatalf("node %d not scored", n.ID)
	return NodeScore{}
}

func taint(k, v objects.Sym, e objects.TaintEffect) func(*objects.Node) {
	return func(n *objects.Node) { n.Taints = append(n.Taints, objects.Taint{Key: k, Value: v, Effect: e}) }
}

func withLabels(ls objects.Labels) func(*objects.Node) {
	return func(n *objects.Node) { n.Labels = ls }
}
