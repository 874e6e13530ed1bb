package cluster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orrery-sim/orrery/model/etcd/mvcc"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// selectMembers resolves a member selector at the time of the fault: by
// name, or the current leader (none if the cluster has no leader).
func (c *Cluster) selectMembers(sel scenarios.MemberSelector) []int {
	var out []int
	if sel.Leader {
		if l := c.Etcd.Leader(); l != nil {
			out = append(out, c.memberIndex(l.Name()))
		}
		return out
	}
	for i, m := range c.Etcd.Members {
		if len(sel.Names) == 0 || slices.Contains(sel.Names, m.Name()) {
			out = append(out, i)
		}
	}
	return out
}

func (c *Cluster) memberIndex(name string) int {
	for i, m := range c.Etcd.Members {
		if m.Name() == name {
			return i
		}
	}
	return -1
}

func (c *Cluster) memberList(ids []int) string {
	if len(ids) == 0 {
		return "no member"
	}
	names := make([]string, len(ids))
	for j, i := range ids {
		names[j] = c.Etcd.Members[i].Name()
	}
	return strings.Join(names, ", ")
}

func (c *Cluster) startEtcdFault(i int, f *activeFault) {
	defer func() {
		for _, m := range f.members {
			c.Tracker.faults[i].Members = append(c.Tracker.faults[i].Members, c.Etcd.Members[m].Name())
		}
	}()
	now := c.Eng.Now()
	spec := &f.spec
	note := func(format string, args ...any) {
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d: ", i)+fmt.Sprintf(format, args...))
	}
	switch spec.Type {
	case scenarios.FaultEtcdRestart, scenarios.FaultEtcdCompact, scenarios.FaultEtcdDefrag, scenarios.FaultEtcdAlarmDisarm:
		// Operations, not conditions: they end as they start.
		defer c.Tracker.faultEnded(now, i)
	}
	switch spec.Type {
	case scenarios.FaultEtcdCrash:
		f.members = c.selectMembers(spec.Members)
		note("crash %s", c.memberList(f.members))
		for _, m := range f.members {
			c.Etcd.Members[m].Crash()
		}
	case scenarios.FaultEtcdRestart:
		f.members = c.selectMembers(spec.Members)
		note("restart %s", c.memberList(f.members))
		for _, m := range f.members {
			c.Etcd.Members[m].Restart()
		}
	case scenarios.FaultEtcdPartition:
		sides := c.partitionSides(spec.Groups)
		var desc []string
		for _, side := range sides {
			desc = append(desc, "["+c.memberList(side)+"]")
		}
		note("partition etcd into %s for %v", strings.Join(desc, " / "), spec.Duration)
		for a := 0; a < len(sides); a++ {
			for b := a + 1; b < len(sides); b++ {
				f.partitions = append(f.partitions, c.Net.Partition(fmt.Sprintf("fault-%d", i), c.memberEndpoints(sides[a]), c.memberEndpoints(sides[b])))
			}
		}
		c.Etcd.Recheck()
	case scenarios.FaultEtcdIsolateLeader:
		f.members = c.selectMembers(scenarios.MemberSelector{Leader: true})
		note("isolate the etcd leader (%s) from every other member and the API server for %v", c.memberList(f.members), spec.Duration)
		if len(f.members) > 0 {
			f.partitions = append(f.partitions, c.Net.Partition(fmt.Sprintf("fault-%d", i), c.memberEndpoints(f.members), nil))
		}
		c.Etcd.Recheck()
	case scenarios.FaultEtcdSlowDisk:
		f.members = c.selectMembers(spec.Members)
		d, err := Dist(spec.WALFsync)
		if err != nil {
			panic(err) // validated by the scenarios package
		}
		note("slow WAL disk on %s for %v", c.memberList(f.members), spec.Duration)
		for _, m := range f.members {
			c.Etcd.Members[m].SetFsync(d)
		}
	case scenarios.FaultEtcdCompact:
		// etcdctl compact $(current revision), through the leader.
		l := c.Etcd.Leader()
		if l == nil {
			note("etcdctl compact failed: no leader")
			return
		}
		rev := l.Store().Rev()
		note("etcdctl compact %d", rev)
		l.ProposeInternal(mvcc.Command{Op: mvcc.CmdCompact, Revision: rev})
	case scenarios.FaultEtcdDefrag:
		f.members = c.selectMembers(spec.Members)
		note("etcdctl defrag on %s, one member after another", c.memberList(f.members))
		c.defragChain(f.members)
	case scenarios.FaultEtcdAlarmDisarm:
		l := c.Etcd.Leader()
		if l == nil {
			note("etcdctl alarm disarm failed: no leader")
			return
		}
		note("etcdctl alarm disarm")
		for _, m := range c.Etcd.Members {
			l.ProposeInternal(mvcc.Command{Op: mvcc.CmdAlarmDeactivate, Member: m.ID()})
		}
	}
}

func (c *Cluster) defragChain(members []int) {
	if len(members) == 0 {
		return
	}
	c.Etcd.Members[members[0]].Defrag(func() { c.defragChain(members[1:]) })
}

func (c *Cluster) endEtcdFault(i int, f *activeFault) {
	now := c.Eng.Now()
	switch f.spec.Type {
	case scenarios.FaultEtcdCrash:
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: restart %s", i, c.memberList(f.members)))
		for _, m := range f.members {
			c.Etcd.Members[m].Restart()
		}
	case scenarios.FaultEtcdPartition, scenarios.FaultEtcdIsolateLeader:
		for _, p := range f.partitions {
			c.Net.Heal(p)
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: etcd partition healed", i))
		c.Etcd.Recheck()
	case scenarios.FaultEtcdSlowDisk:
		for _, m := range f.members {
			c.Etcd.Members[m].SetFsync(nil)
		}
		c.Rec.Note(now, "fault", fmt.Sprintf("fault %d ends: %s disk back to normal", i, c.memberList(f.members)))
	}
}

// partitionSides are the groups, plus the members in no group as one more side.
func (c *Cluster) partitionSides(groups [][]string) [][]int {
	var sides [][]int
	in := make([]bool, len(c.Etcd.Members))
	for _, g := range groups {
		var side []int
		for _, name := range g {
			if j := c.memberIndex(name); j >= 0 {
				side = append(side, j)
				in[j] = true
			}
		}
		sides = append(sides, side)
	}
	var rest []int
	for j, ok := range in {
		if !ok {
			rest = append(rest, j)
		}
	}
	if len(rest) > 0 {
		sides = append(sides, rest)
	}
	return sides
}

func (c *Cluster) memberEndpoints(ids []int) []sim.EndpointID {
	out := make([]sim.EndpointID, len(ids))
	for j, i := range ids {
		out[j] = c.Etcd.Members[i].Endpoint()
	}
	return out
}
