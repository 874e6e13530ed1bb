package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orrery-sim/orrery/sim"
)

// Each etcd fault acts on the members it names, or on the member leading
// when it starts, and ends as its type says: a crash with a duration
// restarts its members, an etcdRestart brings crashed members back at
// once, an isolated leader is reconnected and a slow disk made normal
// after their durations. The fault records name the members acted on.
func TestEtcdFaultsActOnTheirMembers(t *testing.T) {
	c := mustBuild(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata: {name: etcd-faults}
spec:
  duration: 70s
  cluster:
    nodePools: [{name: node, count: 3}]
    etcd: {members: 3}
  faults:
    - {at: 10s, type: etcdCrash, members: {names: [etcd-1]}, duration: 10s}
    - {at: 30s, type: etcdCrash, members: {names: [etcd-2]}}
    - {at: 35s, type: etcdRestart, members: {names: [etcd-2]}}
    - {at: 40s, type: etcdIsolateLeader, duration: 10s}
    - {at: 60s, type: etcdSlowDisk, members: {leader: true}, walFsync: 100ms, duration: 5s}
`)
	// up[s] is which members are up s seconds in; leader[s] who leads.
	up := map[int]string{}
	leader := map[int]string{}
	for _, s := range []int{15, 25, 32, 37, 39, 45, 59} {
		c.Eng.Schedule(sim.Event{At: sim.Time(time.Duration(s) * time.Second), Target: eventFunc(func() {
			for _, m := range c.Etcd.Members {
				if m.Up() {
					up[s] += m.Name() + " "
				}
			}
			if l := c.Etcd.Leader(); l != nil {
				leader[s] = l.Name()
			}
		}), From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
	}
	mustRun(t, c)

	wantUp := map[int]string{15: "etcd-0 etcd-2 ", 25: "etcd-0 etcd-1 etcd-2 ", 32: "etcd-0 etcd-1 ", 37: "etcd-0 etcd-1 etcd-2 "}
	for s, w := range wantUp {
		if up[s] != w {
			t.Errorf("members up at %ds: %q, want %q", s, up[s], w)
		}
	}
	isolated, slow := leader[39], leader[59]
	if isolated == "" || leader[45] == "" || leader[45] == isolated {
		t.Fatalf("leader %q before the isolation, %q during it: want a new one", isolated, leader[45])
	}
	sec := func(s int) sim.Time { return sim.Time(time.Duration(s) * time.Second) }
	want := []struct {
		members []string
		end     sim.Time
	}{{[]string{"etcd-1"}, sec(20)}, {[]string{"etcd-2"}, -1}, {[]string{"etcd-2"}, sec(35)}, {[]string{isolated}, sec(50)}, {[]string{slow}, sec(65)}}
	for i, f := range c.Tracker.Faults() {
		if !slices.Equal(f.Members, want[i].members) || f.End != want[i].end {
			t.Errorf("fault %d (%s): members %v, end %v; want %v, %v", i, f.Type, f.Members, f.End, want[i].members, want[i].end)
		}
	}
	notes, _ := c.Rec.Timeline()
	var got []string
	for _, n := range notes {
		if n.Component == "fault" {
			got = append(got, fmt.Sprintf("%v %s", n.At.Duration(), n.Message))
		}
	}
	wantNotes := []string{
		"10s fault 0: crash etcd-1",
		"20s fault 0 ends: restart etcd-1",
		"30s fault 1: crash etcd-2",
		"35s fault 2: restart etcd-2",
		"40s fault 3: isolate the etcd leader (" + isolated + ") from every other member and the API server for 10s",
		"50s fault 3 ends: etcd partition healed",
		"1m0s fault 4: slow WAL disk on " + slow + " for 5s",
		"1m5s fault 4 ends: " + slow + " disk back to normal",
	}
	if !slices.Equal(got, wantNotes) {
		t.Errorf("fault notes:\n  %s\nwant:\n  %s", fmt.Sprint(got), fmt.Sprint(wantNotes))
	}
}
