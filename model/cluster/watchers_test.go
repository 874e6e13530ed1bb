package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// watcherScenario: 40 ConfigMaps over 4 namespaces (cm i in cm-ns-(i%4))
// with 2 shards, rewritten 20 times a second round-robin, watched by
// several groups.
func watcherScenario(version string) string {
	return fmt.Sprintf(`apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: watchers
spec:
  duration: 20s
  kubernetesVersion: %q
  cluster:
    nodePools:
      - {name: node, count: 2}
  workload:
    churn:
      - {name: cm, objects: 40, objectBytes: 1Ki, rate: 20, namespaces: 4, shards: 2, duration: 10s}
    watchers:
      - {name: all, count: 3, resource: configmaps}
      - {name: tenants, count: 4, resource: configmaps, namespace: "cm-ns-{i}"}
      - {name: shard, count: 1, resource: configmaps, labelSelector: shard=1}
      - {name: one, count: 2, resource: configmaps, fieldSelector: "metadata.name=cm-{i}"}
      - {name: late, count: 2, resource: configmaps, namespace: cm-ns-2, start: 5s}
      - {name: nodes, count: 2, resource: nodes, fieldSelector: "metadata.name=node-{i}"}
`, version)
}

func TestWatcherGroupsSeeWhatTheySelect(t *testing.T) {
	for _, tc := range []struct {
		version string
		// watchers an event visits: 3 + 1 + 1 + (0 or 1) + (0 or 2) with
		// the scope index; all 12 ConfigMap watchers without it.
		visited int64
	}{{"1.31", 0}, {"1.26", 200 * 12}} {
		t.Run(tc.version, func(t *testing.T) {
			c := mustBuild(t, watcherScenario(tc.version))
			mustRun(t, c)
			got := map[string]int64{}
			for _, g := range c.Watchers {
				got[g.Name] = c.Rec.Counter("watcher_events_received_total", "group", g.Name).Value
			}
			// 200 writes: 5 rounds of the 40 objects, 50 per namespace, 100
			// per shard; the late group joins at 5s, after 100 writes
			// (25 of them in cm-ns-2).
			want := map[string]int64{"all": 3 * 200, "tenants": 200, "shard": 100, "one": 2 * 5, "late": 2 * 25, "nodes": 0}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("group %s received %d events, want %d", k, got[k], v)
				}
			}
			if n := c.Rec.Counter("reflector_lists_total", "group", "late").Value; n != 2 {
				t.Errorf("late group listed %d times, want 2", n)
			}
			if n := c.Rec.Counter("reflector_lists_total", "group", "all").Value; n != 0 {
				t.Errorf("running group listed %d times, want 0", n)
			}
			visited := c.Rec.Counter("apiserver_watch_dispatch_watchers_visited_total", "resource", "configmaps").Value
			sent := c.Rec.Counter("apiserver_watch_events_total", "resource", "configmaps").Value
			if sent != 3*200+200+100+10+50 {
				t.Errorf("configmap events sent %d", sent)
			}
			if tc.visited == 0 {
				// Per write: all 3, its namespace's tenant, the shard
				// watcher, a name watcher for cm-0 and cm-1, the late
				// group for cm-ns-2 after 5s.
				tc.visited = 200*5 + 10 + 2*25
			} else {
				// Before 5s the late group was not watching yet.
				tc.visited -= 100 * 2
			}
			if visited != tc.visited {
				t.Errorf("configmap watchers visited %d, want %d", visited, tc.visited)
			}
		})
	}
}

// TestSlowWatcherFault: a group whose watchers read 200ms per event from 5s
// to 15s while 100 events a second arrive fills its channels; the API
// server drops its watchers, they relist and watch again, still slow, and
// are dropped again until the fault ends. Another group on the same
// events is untouched, and after the fault nobody is dropped.
func TestSlowWatcherFault(t *testing.T) {
	c := mustBuild(t, `apiVersion: orrery.dev/v1alpha1
kind: Scenario
metadata:
  name: slow
spec:
  duration: 30s
  cluster:
    nodePools:
      - {name: node, count: 1}
  workload:
    churn:
      - {name: cm, objects: 10, objectBytes: 1Ki, rate: 100}
    watchers:
      - {name: slow, count: 2, resource: configmaps}
      - {name: fast, count: 2, resource: configmaps}
  faults:
    - {at: 5s, type: slowWatcher, watchers: [slow], readTime: 200ms, duration: 10s}
`)
	mustRun(t, c)
	relists := func(g string) int64 { return c.Rec.Counter("reflector_relists_total", "group", g).Value }
	terminated := c.Rec.Counter("apiserver_terminated_watchers_total").Value
	if relists("fast") != 0 || relists("slow") < 4 || terminated != relists("slow") {
		t.Fatalf("relists: slow %d, fast %d; %d watchers terminated", relists("slow"), relists("fast"), terminated)
	}
	notes, _ := c.Rec.Timeline()
	var drops []time.Duration
	for _, n := range notes {
		if strings.Contains(n.Message, "unresponsiveness") {
			drops = append(drops, time.Duration(n.At))
		}
	}
	if len(drops) != int(terminated) || drops[0] < 5*time.Second || drops[len(drops)-1] > 15*time.Second+5*time.Second {
		t.Fatalf("terminations at %v", drops)
	}
	// The fast group got every event; the slow one lost some.
	fast := c.Rec.Counter("watcher_events_received_total", "group", "fast").Value
	slow := c.Rec.Counter("watcher_events_received_total", "group", "slow").Value
	if writes := c.Rec.Counter("churn_writes_succeeded_total", "churn", "cm").Value; fast != 2*writes || slow >= fast {
		t.Fatalf("events: fast %d, slow %d, writes %d", fast, slow, writes)
	}
}
