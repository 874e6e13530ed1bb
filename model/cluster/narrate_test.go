package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// kubectl apply, told step by step: each milestone of the Deployment's
// three pods appears on the timeline in causal order, and the Deployment
// is Available within seconds of the create (image pulls included).
func TestKubectlApplyIsNarratedInCausalOrder(t *testing.T) {
	sc, err := scenarios.LoadBuiltin("kubectl-apply")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	notes, _ := c.Rec.Timeline()
	milestones := []string{
		"kubectl create deployment/nginx-deployment",
		"deployment/nginx-deployment created: 3 replicas",
		"created by the deployment controller: 3 replicas",
		"created by the replicaset controller: Pending, no node",
		"bound to node/",
		"accepted by the kubelet",
		"Running (kubelet)",
		"Ready (kubelet)",
		"3 available of 3; Available",
	}
	var at []sim.Time
	next := 0
	for _, n := range notes {
		if next < len(milestones) && strings.Contains(n.Message, milestones[next]) {
			at = append(at, n.At)
			next++
		}
	}
	if next != len(milestones) {
		t.Fatalf("milestone %q missing or out of order; timeline:\n%v", milestones[next], notes)
	}
	if took := at[len(at)-1].Sub(at[0]); took <= 0 || took > 10*time.Second {
		t.Errorf("create to Available took %v, want within 10s", took)
	}
	count := func(s string) (n int) {
		for _, note := range notes {
			if strings.Contains(note.Message, s) {
				n++
			}
		}
		return n
	}
	if b, r := count("bound to node/"), count("Ready (kubelet)"); b != 3 || r != 3 {
		t.Errorf("%d pods bound, %d Ready; want 3 each", b, r)
	}
}
