package cluster

import (
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/kubelet"
)

// startKubelet starts node id's kubelet in the state of one that has been
// running before time 0 (kubelet.StartRunning): its node watch open on
// the replica it connects to; with its pod side on, its pod watch too,
// and pods (the node's pods as stored, running before time 0) in hand
// (kubelet.StartRunningPods). lease is ignored in the legacy NodeStatus
// mode.
func (c *Cluster) startKubelet(k *kubelet.Kubelet, id int32, lease, node api.Object, pods []api.Object) {
	srv := c.replica(k.Connect())
	watch := c.Net.OpenStream(k.Endpoint(), srv.Endpoint())
	srv.AttachWatch(watch, api.Nodes, id)
	if !k.PodsOn() {
		k.StartRunning(lease, node, watch)
		return
	}
	podWatch := c.Net.OpenStream(k.Endpoint(), srv.Endpoint())
	timeout := k.StartRunningPods(lease, node, watch, pods, c.Etcd.Revision(), podWatch)
	srv.AttachWatchRequest(podWatch, k.PodWatchRequest(timeout))
}
