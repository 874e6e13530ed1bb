package cluster

import (
	"fmt"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/workload"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// selectorDeleteStep is kubectl delete pods -l <selector>: at its time,
// the active pods of the namespace whose labels include the selector's,
// oldest first (lowest ID), at most a.Count of them (0: all), each
// deleted. The lookup reads the cluster's state of record, as the list
// kubectl sends first would (the list itself is not simulated).
func (c *Cluster) selectorDeleteStep(at sim.Time, a *scenarios.Action) workload.Step {
	in := c.Scenario.Interner
	var want objects.Labels
	var text []string
	for _, kv := range a.Selector {
		want = append(want, objects.Label{Key: in.Intern(kv.Key), Value: in.Intern(kv.Value)})
		text = append(text, kv.Key+"="+kv.Value)
	}
	ns := c.NamespaceID(a.Object.Namespace)
	nsSym := in.Intern(a.Object.Namespace)
	describe := "kubectl delete pods -l " + strings.Join(text, ",")
	if a.Object.Namespace != scenarios.SharedNamespace {
		describe += " -n " + a.Object.Namespace
	}
	if a.Count > 0 {
		describe += fmt.Sprintf(" (the oldest %d)", a.Count)
	}
	if a.GraceSet {
		describe += fmt.Sprintf(" --grace-period=%d", int(a.GracePeriod/time.Second))
	}
	count := a.Count
	return workload.Step{At: at, Describe: describe, Verb: api.Delete, Resource: api.Pods, Name: -1, Namespace: ns,
		GracePeriod: a.GracePeriod, GraceSet: a.GraceSet,
		Select: func() []int32 {
			var ids []int32
			c.EachStored(api.Pods, func(o api.Object) {
				p, ok := o.Body.(*objects.Pod)
				if !ok || p.Namespace != nsSym || p.Finished() || p.Terminating || (count > 0 && len(ids) == count) {
					return
				}
				for _, l := range want {
					if v, ok := p.Labels.Get(l.Key); !ok || v != l.Value {
						return
					}
				}
				ids = append(ids, o.ID)
			})
			return ids
		}}
}
