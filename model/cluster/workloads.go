package cluster

import (
	"fmt"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/client/informer"
	"github.com/orrery-sim/orrery/model/kcm"
	"github.com/orrery-sim/orrery/model/kubelet"
	"github.com/orrery-sim/orrery/model/kubescheduler"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
	"github.com/orrery-sim/orrery/model/workload"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// This file wires what runs pods: kube-scheduler, kube-controller-
// manager's workload controllers under leader election, the kubelets' pod
// side, kubectl applying the workload's objects and actions, and the pod
// churn generators. A scenario without pods (no spec.workload.objects and
// no podChurn) builds none of it and pays nothing for it.

// RunsPods reports whether the scenario has a pod workload.
func RunsPods(sc *scenarios.Scenario) bool {
	w := &sc.Spec.Workload
	return len(w.Objects) > 0 || len(w.PodChurn) > 0
}

// kubeSystem is the namespace of the control plane's Leases.
const kubeSystem = "kube-system"

// kubeletPodConfig is the kubelets' pod side for a scenario with pods
// (nil without: the kubelets then cost nothing for pods).
func (c *Cluster) kubeletPodConfig() *kubelet.PodConfig {
	if !RunsPods(c.Scenario) {
		return nil
	}
	pc := kubelet.DefaultPodConfig()
	return &pc
}

// nodeBody is node id's typed content: pool node i of pool p (see
// Scenario.PoolNode), Ready.
func nodeBody(sc *scenarios.Scenario, p, i int) (*objects.Node, error) {
	n := sc.PoolNode(p, i)
	n.Ready = api.ConditionTrue
	if err := n.Finish(); err != nil {
		return nil, err
	}
	return &n, nil
}

// controlPlaneLeases are the Lease IDs of kube-scheduler's and
// kube-controller-manager's locks: after every node's Lease.
func (c *Cluster) controlPlaneLeases() (scheduler, controllerManager int32) {
	n := int32(c.Scenario.PoolNodes())
	for i := range c.Scenario.Spec.Workload.Objects {
		if c.Scenario.Spec.Workload.Objects[i].Kind == scenarios.KindNode {
			n++
		}
	}
	return n, n + 1
}

// buildPodWorkload builds and starts the scheduler, the controller
// manager, kubectl and the pod churn generators.
func (c *Cluster) buildPodWorkload() error {
	if !RunsPods(c.Scenario) {
		return nil
	}
	sc := c.Scenario
	spec := &sc.Spec
	minor := sc.Version().Minor
	shared := client.NewShared(c.Rec)
	schedLease, kcmLease := c.controlPlaneLeases()
	system := c.NamespaceID(kubeSystem)

	// kube-scheduler as system:kube-scheduler (APF: the kube-scheduler
	// flow schema, workload-high; its Lease: leader-election).
	profile := scheduler.DefaultConfig(minor)
	profile.PercentageOfNodesToScore = int32(spec.Cluster.Scheduler.PercentageOfNodesToScore)
	sp := c.Principals.Add(api.Principal{Identity: apf.KubeScheduler(), Namespace: kubeSystem})
	s, err := kubescheduler.New(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, kubescheduler.Config{
		Replicas: spec.Cluster.Scheduler.Replicas, LeaderElect: true, Lease: schedLease, LeaseNamespace: system,
		LeaseSize: int32(spec.Cluster.ObjectSizes.Lease),
		Client:    client.Config{QPS: kubescheduler.DefaultClient.QPS, Burst: kubescheduler.DefaultClient.Burst, Principal: sp, Balancer: c.Balancer, NoJitter: c.noClientJitter()},
		Profile:   profile, Queue: scheduler.DefaultQueueConfig(minor), Interner: sc.Interner,
		Notes: spec.Trace, // each decision and its scores on the timeline
	})
	if err != nil {
		return err
	}
	c.Scheduler = s

	// kube-controller-manager: its informers as system:kube-controller-
	// manager, each controller under its own service account
	// (--use-service-account-credentials, kubeadm's default).
	kp := c.Principals.Add(api.Principal{Identity: apf.KubeControllerManager(), Namespace: kubeSystem})
	saClient := func(name string) client.Config {
		p := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount(apf.NamespaceSystem, name), Namespace: kubeSystem})
		return c.clientConfig(spec.Cluster.Clients.ControllerManager, p)
	}
	mcfg := kcm.Config{
		In: sc.Interner, Sizes: spec.Cluster.ObjectSizes.Objects(),
		InformerClient: c.clientConfig(spec.Cluster.Clients.ControllerManager, kp),
		ResyncPeriod:   informer.KCMResyncPeriod(c.Eng.Rand("cluster/kcm-resync")),
		ReplicaSet: kcm.ReplicaSetConfig{LoopConfig: kcm.LoopConfig{Client: saClient("replicaset-controller")},
			EdgeTriggered: spec.Cluster.ControllerManager.ReplicaSetController == scenarios.EdgeTriggered},
		Deployment:    kcm.LoopConfig{Client: saClient("deployment-controller")},
		EndpointSlice: kcm.EndpointSliceConfig{LoopConfig: kcm.LoopConfig{Client: saClient("endpointslice-controller")}},
	}
	p, err := kcm.NewProcess(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, kcm.ProcessConfig{
		Replicas: spec.Cluster.ControllerManager.Replicas, Manager: mcfg,
		Lease: kcmLease, LeaseNamespace: system, LeaseSize: int32(spec.Cluster.ObjectSizes.Lease),
		ElectionClient: c.clientConfig(spec.Cluster.Clients.ControllerManager, kp),
	})
	if err != nil {
		return err
	}
	c.ControllerManager = p

	steps, err := c.kubectlSteps()
	if err != nil {
		return err
	}
	admin := c.Principals.Add(api.Principal{Identity: apf.Admin("kubernetes-admin")})
	c.Kubectl = workload.NewKubectl(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint,
		client.Config{QPS: -1, Timeout: time.Minute, Principal: admin, Balancer: c.Balancer, NoJitter: c.noClientJitter()}, steps)

	for i := range spec.Workload.PodChurn {
		pc := &spec.Workload.PodChurn[i]
		life, err := Dist(pc.Lifetime)
		if err != nil {
			return err
		}
		var end sim.Time
		if pc.Duration > 0 {
			end = sim.Time(pc.Start + pc.Duration)
		}
		pr := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount(pc.Namespace, pc.Name), Namespace: pc.Namespace})
		c.PodChurn = append(c.PodChurn, workload.NewPodChurn(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, workload.PodChurnConfig{
			Name: pc.Name, Namespace: c.NamespaceID(pc.Namespace), PodNS: sc.Interner.Intern(pc.Namespace),
			Rate: pc.Rate, Start: sim.Time(pc.Start), End: end,
			Template: pc.Template, Size: int32(spec.Cluster.ObjectSizes.Pod), Lifetime: life,
			Client: c.clientConfig(pc.Client, pr),
		}))
	}
	s.Start()
	p.Start()
	return nil
}

// kubectlSteps turns the workload's actions into kubectl's requests, in
// time order. (The objects that exist from time 0 are seeded:
// seedWorkload.)
func (c *Cluster) kubectlSteps() ([]workload.Step, error) {
	w := &c.Scenario.Spec.Workload
	var steps []workload.Step
	for ai := range w.Actions {
		a := &w.Actions[ai]
		at := sim.Time(a.At)
		switch a.Type {
		case scenarios.ActionCreate:
			for _, i := range a.Objects {
				o := &w.Objects[i]
				if o.Kind == scenarios.KindNode {
					return nil, fmt.Errorf("spec.workload.actions[%d]: creating a Node later is not simulated (a node joins by its kubelet registering; put it in spec.workload.objects)", ai)
				}
				steps = append(steps, c.createStep(at, o))
			}
		case scenarios.ActionScale, scenarios.ActionUpdate, scenarios.ActionDelete:
			if len(a.Selector) > 0 {
				steps = append(steps, c.selectorDeleteStep(at, a)) // actions.go
				continue
			}
			o := c.findObject(a.Object)
			if o == nil {
				return nil, fmt.Errorf("spec.workload.actions[%d]: no object %s", ai, a.Object)
			}
			steps = append(steps, c.changeStep(at, a, o))
		}
	}
	// Stable: same-time steps keep the order written.
	sortSteps(steps)
	return steps, nil
}

func sortSteps(steps []workload.Step) {
	for i := 1; i < len(steps); i++ {
		for j := i; j > 0 && steps[j].At < steps[j-1].At; j-- {
			steps[j], steps[j-1] = steps[j-1], steps[j]
		}
	}
}

func (c *Cluster) findObject(ref scenarios.ObjectRef) *scenarios.Object {
	w := &c.Scenario.Spec.Workload
	for i := range w.Objects {
		if w.Objects[i].Ref() == ref {
			return &w.Objects[i]
		}
	}
	return nil
}

// objectKey is the object's resource and ID.
func objectKey(o *scenarios.Object) (api.Resource, int32) {
	switch {
	case o.Pod != nil:
		return api.Pods, o.Pod.ID
	case o.ReplicaSet != nil:
		return api.ReplicaSets, o.ReplicaSet.ID
	case o.Deployment != nil:
		return api.Deployments, o.Deployment.ID
	case o.Service != nil:
		return api.Services, o.Service.ID
	}
	return api.Nodes, o.Node.ID
}

// createStep is kubectl create of o at at.
func (c *Cluster) createStep(at sim.Time, o *scenarios.Object) workload.Step {
	res, id := objectKey(o)
	ns := c.NamespaceID(o.Namespace)
	obj := api.Object{Resource: res, ID: id, Namespace: ns}
	switch {
	case o.Pod != nil:
		p := *o.Pod
		p.Created = at
		obj.Size, obj.Body = p.Size, &p
	case o.ReplicaSet != nil:
		rs := *o.ReplicaSet
		rs.Created = at
		obj.Size, obj.Body = rs.Size, &rs
	case o.Deployment != nil:
		obj.Size, obj.Body = o.Deployment.Size, o.Deployment
	case o.Service != nil:
		obj.Size, obj.Body = o.Service.Size, o.Service
	}
	return workload.Step{At: at, Describe: "kubectl create " + o.Ref().String(),
		Verb: api.Create, Resource: res, Name: id, Namespace: ns, Object: obj}
}

// changeStep is kubectl scale, set image / set resources, or delete.
func (c *Cluster) changeStep(at sim.Time, a *scenarios.Action, o *scenarios.Object) workload.Step {
	res, id := objectKey(o)
	st := workload.Step{At: at, Verb: api.Patch, Resource: res, Name: id, Namespace: c.NamespaceID(o.Namespace)}
	switch a.Type {
	case scenarios.ActionScale:
		st.Describe = fmt.Sprintf("kubectl scale %s --replicas=%d", o.Ref(), a.Replicas)
		replicas := a.Replicas
		st.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			out := *cur
			switch b := cur.Body.(type) {
			case *objects.Deployment:
				nb := *b
				nb.Replicas = replicas
				out.Body = &nb
			case *objects.ReplicaSet:
				nb := *b
				nb.Replicas = replicas
				out.Body = &nb
			default:
				return api.Object{}, api.NotFound
			}
			return out, 0
		}
	case scenarios.ActionUpdate:
		var what []string
		if a.Image != "" {
			what = append(what, "image "+a.Image)
		}
		if a.Requests.Set != 0 || a.Limits.Set != 0 {
			what = append(what, "resources")
		}
		st.Describe = fmt.Sprintf("kubectl set %s %s", strings.Join(what, ", "), o.Ref())
		tmpl := a.Template
		st.Mutate = func(cur *api.Object) (api.Object, api.Code) {
			d, ok := cur.Body.(*objects.Deployment)
			if !ok || tmpl == nil {
				return api.Object{}, api.NotFound
			}
			nd := *d
			nd.Template = *tmpl
			out := *cur
			out.Body = &nd
			return out, 0
		}
	case scenarios.ActionDelete:
		st.Verb = api.Delete
		st.Describe = "kubectl delete " + o.Ref().String()
		st.GracePeriod, st.GraceSet = a.GracePeriod, a.GraceSet
		if a.GraceSet {
			st.Describe += fmt.Sprintf(" --grace-period=%d", int(a.GracePeriod/time.Second))
		}
	}
	return st
}
