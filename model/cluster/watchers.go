package cluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/apiserver/apf"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/model/workload"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// watcherNamespace is the namespace of the watcher groups' service
// accounts.
const watcherNamespace = "watchers"

// eventFunc runs a function as an engine event.
type eventFunc func()

func (f eventFunc) Handle(*sim.Event) { f() }

// buildWatchers makes spec.workload.watchers. A group starting at 0 was
// watching before time began: each watcher's store is synced and its
// watch open on the replica its connection goes to, with the timeout its
// reflector drew. A later group lists, then watches, at its start.
func (c *Cluster) buildWatchers() error {
	spec := &c.Scenario.Spec
	if len(spec.Workload.Watchers) == 0 {
		return nil
	}
	shared := client.NewShared(c.Rec)
	rev := c.Etcd.Revision()
	for gi := range spec.Workload.Watchers {
		g := &spec.Workload.Watchers[gi]
		res, err := watchedResource(g.Resource)
		if err != nil {
			return err
		}
		read, err := Dist(g.ReadTime)
		if err != nil {
			return err
		}
		// Pods of a deployment under one service account: APF's
		// service-accounts schema, workload-low.
		p := c.Principals.Add(api.Principal{Identity: apf.ServiceAccount(watcherNamespace, g.Name), Namespace: watcherNamespace})
		grp := workload.NewWatcherGroup(c.Eng, c.Net, c.Rec, shared, sim.NoEndpoint, g.Name, c.clientConfig(g.Client, p))
		rng := c.Eng.Rand("watchers/" + g.Name + "/read-time")
		for i := 0; i < g.Count; i++ {
			ws := workload.WatcherSpec{Resource: res, Namespace: c.NamespaceID(g.NamespaceOf(i)), Name: -1, ReadTime: read.Sample(rng)}
			if name := g.NameOf(i); name != "" {
				if ws.Name, err = c.objectID(res, name); err != nil {
					return fmt.Errorf("%s: spec.workload.watchers[%d]: %w", c.Scenario.File, gi, err)
				}
			}
			if shard, ok := g.ShardOf(i); ok {
				ws.Label = uint16(shard + 1)
			}
			w := grp.Add(ws)
			if g.Start > 0 {
				c.Eng.Schedule(sim.Event{At: sim.Time(g.Start), Target: eventFunc(w.Start), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
				continue
			}
			srv := c.replica(w.Connect())
			stream := c.Net.OpenStream(w.Endpoint(), srv.Endpoint())
			timeout := w.StartRunning(rev, stream)
			srv.AttachWatchRequest(stream, &api.Request{Verb: api.Watch, Resource: res, Namespace: ws.Namespace, Name: ws.Name, Label: ws.Label,
				WatchConsume: ws.ReadTime, AllowBookmarks: true, WatchTimeout: timeout})
		}
		c.Watchers = append(c.Watchers, grp)
	}
	return nil
}

func watchedResource(name string) (api.Resource, error) {
	for r := api.Resource(0); r < api.NumResources; r++ {
		if r.String() == name && slices.Contains(scenarios.WatchableResources, name) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown watched resource %q", name)
}

// objectID resolves an object's name: a node's (nodes and leases share
// IDs), or a ConfigMap's (a shared one, or a churn object "<churn>-<i>").
func (c *Cluster) objectID(res api.Resource, name string) (int32, error) {
	w := &c.Scenario.Spec.Workload
	switch res {
	case api.Nodes, api.Leases:
		for id, n := range c.Nodes {
			if n.Name == name {
				return int32(id), nil
			}
		}
	case api.ConfigMaps:
		if i := slices.Index(w.ConfigMaps, name); i >= 0 {
			return c.ConfigMapIDs[i], nil
		}
		if ch, i, ok := scenarios.ChurnObject(w, name); ok {
			for k := range w.Churn {
				if &w.Churn[k] == ch {
					return c.ChurnFirstIDs[k] + int32(i), nil
				}
			}
		}
	}
	return 0, fmt.Errorf("no %s named %q", strings.TrimSuffix(res.String(), "s"), name)
}

// SlowWatchers makes every watcher of the named groups take d per event
// from now on (restore: each its own read time again): its reflector's
// next watches ask for it, and the API server's side of its running
// watch is told (a server learns its client's speed by blocking on it).
// It returns the watchers changed.
func (c *Cluster) SlowWatchers(groups []string, d time.Duration, restore bool) int {
	n := 0
	for _, g := range c.Watchers {
		if !slices.Contains(groups, g.Name) {
			continue
		}
		for _, w := range g.Watchers {
			rt := d
			if restore {
				rt = w.Spec().ReadTime
			}
			w.SetReadTime(rt)
			if st := w.Stream(); st != sim.NoStream {
				for _, srv := range c.APIServers {
					srv.SetWatchConsume(st, rt)
				}
			}
			n++
		}
	}
	return n
}
