// Package kcm is the workload half of kube-controller-manager: the
// ReplicaSet and Deployment controllers, on shared informers, each with
// its own work queue, workers and client, as upstream runs them.
package kcm
