package scenarios

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// This file checks spec.cluster.etcd, the etcd faults and spec.workload.

func (v *validator) etcd(path string, e *Etcd) {
	if minor, err := ParseEtcdVersion(e.Version); err != nil {
		v.fail(path+".version", "%v", err)
	} else if minor != e.Version {
		// Parse stores the minor version; a scenario built in code must too.
		v.fail(path+".version", "must be the minor version %q, got %q", minor, e.Version)
	}
	membersOK := e.Members >= 1 && e.Members <= MaxEtcdMembers
	if !membersOK {
		v.fail(path+".members", "must be between 1 and %d, got %d (etcd's FAQ: a cluster should have no more than seven members)", MaxEtcdMembers, e.Members)
	}
	v.raftTiming(path, e)
	v.dist(path+".peerLatency", e.PeerLatency)
	v.dist(path+".walFsync", e.WALFsync)
	v.dist(path+".backendCommit", e.BackendCommit)
	v.dist(path+".applyCost", e.ApplyCost)
	v.dist(path+".readCost", e.ReadCost)
	switch {
	case e.QuotaBackendBytes == 0:
		v.fail(path+".quotaBackendBytes", "must be greater than 0 (etcd reads 0 as its default of 2Gi: leave quotaBackendBytes out for that)")
	case e.QuotaBackendBytes < 0:
		v.fail(path+".quotaBackendBytes", "must be greater than 0, got %d (etcd reads a negative quota as no quota at all, which orrery does not model: give a large quota such as 8Gi instead)", e.QuotaBackendBytes)
	}
	v.nonNegative(path+".compactionInterval", e.CompactionInterval)
	if e.DefragThroughput <= 0 {
		v.fail(path+".defragThroughput", "must be greater than 0, got %d bytes per second", e.DefragThroughput)
	}
	first := map[string]int{}
	for i := range e.MemberOverrides {
		o := &e.MemberOverrides[i]
		op := itemPath(path+".memberOverrides", i)
		if membersOK {
			if why := e.memberMissing(o.Name); why != "" {
				v.fail(op+".name", "%s", why)
			} else {
				v.unique(first, path+".memberOverrides", i, "override for", o.Name)
			}
		}
		v.dist(op+".walFsync", o.WALFsync)
	}
}

// raftTiming applies etcd's own checks on --heartbeat-interval and
// --election-timeout (server/embed/config.go, Config.Validate): both > 0,
// the election timeout at least 5 heartbeats and at most maxElectionMs.
// Both flags count whole milliseconds. orrery also wants the election
// timeout to be a whole number of heartbeats: Raft counts it in ticks
// (etcd's ElectionTicks is ElectionMs / TickMs, rounded down).
func (v *validator) raftTiming(path string, e *Etcd) {
	hp, ep := path+".heartbeatInterval", path+".electionTimeout"
	hb, et := e.HeartbeatInterval, e.ElectionTimeout
	okHB := v.positive(hp, hb) && v.wholeMillis(hp, "--heartbeat-interval", hb)
	if okHB && hb > MaxElectionTimeout/5 {
		v.fail(hp, "must be at most %v, got %v (electionTimeout, at most %v, must be at least 5 heartbeats)", MaxElectionTimeout/5, hb, MaxElectionTimeout)
		okHB = false
	}
	okET := v.positive(ep, et) && v.wholeMillis(ep, "--election-timeout", et)
	if okET && et > MaxElectionTimeout {
		v.fail(ep, "must be at most %v (etcd's maxElectionMs), got %v", MaxElectionTimeout, et)
		okET = false
	}
	if !okHB || !okET {
		return
	}
	// Blame the field the file set when only one of them was set.
	blameHB := v.set[&e.HeartbeatInterval] && !v.set[&e.ElectionTimeout]
	etcdSays := func() string {
		return "etcd refuses to start: \"--election-timeout[" + millis(et) + "ms] should be at least as 5 times as --heartbeat-interval[" + millis(hb) + "ms]\""
	}
	switch {
	case et < 5*hb && blameHB:
		v.fail(hp, "must be at most electionTimeout / 5 (%v), got %v (%s)", et/5, hb, etcdSays())
	case et < 5*hb:
		v.fail(ep, "must be at least 5 times heartbeatInterval (%v), got %v (%s)", 5*hb, et, etcdSays())
	case et%hb != 0 && blameHB:
		v.fail(hp, "must divide electionTimeout (%v) evenly, got %v: Raft counts the election timeout in heartbeat ticks", et, hb)
	case et%hb != 0:
		v.fail(ep, "must be a whole number of heartbeatInterval (%v) ticks, got %v: Raft counts the election timeout in heartbeat ticks", hb, et)
	}
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

func (v *validator) wholeMillis(path, flag string, d time.Duration) bool {
	if d%time.Millisecond != 0 {
		v.fail(path, "must be a whole number of milliseconds (etcd's %s counts in ms), got %v", flag, d)
		return false
	}
	return true
}

func (v *validator) etcdFault(path string, f *Fault, e *Etcd) {
	if v.given(&f.Nodes, !f.Nodes.isZero()) {
		v.fail(path+".nodes", "%s is an etcd fault: it takes no nodes", f.Type)
	}
	v.onlyFor(path, f, FaultEtcdPartition, "groups", v.given(&f.Groups, f.Groups != nil))
	v.onlyFor(path, f, FaultEtcdSlowDisk, "walFsync", v.given(&f.WALFsync, f.WALFsync != Dist{}))
	v.onlyFor(path, f, FaultRestartAPIServer, "servers", v.given(&f.Servers, f.Servers != nil))
	// Member names are checked only against a valid member count: the
	// count's own error says what is wrong.
	membersOK := e.Members >= 1 && e.Members <= MaxEtcdMembers
	members := v.given(&f.Members, !f.Members.isZero())
	noMembers := func(why string) {
		if members {
			v.fail(path+".members", "%s takes no members: %s", f.Type, why)
		}
	}
	switch f.Type {
	case FaultEtcdCrash:
		v.nameOrLeader(path, f, e, membersOK)
	case FaultEtcdRestart:
		if f.Members.Leader {
			v.fail(path+".members.leader", "etcdRestart restarts crashed members, and a crashed member is never the leader: give their names")
		} else if len(f.Members.Names) == 0 {
			v.fail(path+".members.names", "required for etcdRestart: the members to restart")
		}
		v.memberNames(path, f.Members.Names, e, membersOK)
		v.noDuration(path, f, "is instantaneous and takes no duration (use etcdCrash with a duration)")
	case FaultEtcdPartition:
		noMembers("it takes groups (members in no group form one more side)")
		v.partitionGroups(path+".groups", f.Groups, e, membersOK)
		v.needDuration(path, f, "how long until the partition heals")
	case FaultEtcdIsolateLeader:
		noMembers("it isolates whichever member leads at the time")
		v.needDuration(path, f, "how long until the leader is reconnected")
	case FaultEtcdSlowDisk:
		v.nameOrLeader(path, f, e, membersOK)
		if !v.given(&f.WALFsync, f.WALFsync != Dist{}) {
			v.fail(path+".walFsync", "required for etcdSlowDisk: the WAL fsync latency while the disk is slow")
		} else {
			v.dist(path+".walFsync", f.WALFsync)
		}
		v.needDuration(path, f, "how long the disk stays slow")
	case FaultEtcdCompact:
		noMembers("it compacts the whole keyspace through the leader")
		v.noDuration(path, f, "is a one-off request and takes no duration")
	case FaultEtcdAlarmDisarm:
		noMembers("it disarms every member's alarms through the leader")
		v.noDuration(path, f, "is a one-off request and takes no duration")
	case FaultEtcdDefrag:
		if f.Members.Leader {
			v.fail(path+".members.leader", "etcdDefrag takes members by names, or none for every member")
		} else if f.Members.Names != nil && len(f.Members.Names) == 0 {
			v.fail(path+".members.names", "must list at least one member (leave members out to defragment every member)")
		}
		v.memberNames(path, f.Members.Names, e, membersOK)
		v.noDuration(path, f, "takes no duration: each member is blocked for as long as its copy takes (spec.cluster.etcd.defragThroughput)")
	}
}

// nameOrLeader checks a selector that must give names or leader: true.
func (v *validator) nameOrLeader(path string, f *Fault, e *Etcd, membersOK bool) {
	sel := &f.Members
	switch {
	case len(sel.Names) > 0 && sel.Leader:
		v.fail(path+".members", "give names or leader: true, not both")
	case sel.Names != nil && len(sel.Names) == 0:
		v.fail(path+".members.names", "must list at least one member")
	case len(sel.Names) == 0 && !sel.Leader:
		v.fail(path+".members", "required for %s: give names or leader: true", f.Type)
	}
	v.memberNames(path, sel.Names, e, membersOK)
}

func (v *validator) memberNames(path string, names []string, e *Etcd, membersOK bool) {
	if !membersOK {
		return
	}
	for i, name := range names {
		np := itemPath(path+".members.names", i)
		if why := e.memberMissing(name); why != "" {
			v.fail(np, "%s", why)
		} else if slices.Index(names, name) < i {
			v.fail(np, "member %q is listed twice", name)
		}
	}
}

// partitionGroups checks an etcdPartition's sides: groups of existing
// members, none empty, none overlapping, and (with the members left out
// as one more side) at least two sides.
func (v *validator) partitionGroups(path string, groups [][]string, e *Etcd, membersOK bool) {
	if len(groups) == 0 {
		v.fail(path, "required for etcdPartition: list the sides, each a list of member names (members in no group form one more side)")
		return
	}
	before := len(v.errs)
	where := map[string]int{}
	for i, g := range groups {
		gp := itemPath(path, i)
		if len(g) == 0 {
			v.fail(gp, "must list at least one member")
			continue
		}
		for j, name := range g {
			np := itemPath(gp, j)
			if membersOK {
				if why := e.memberMissing(name); why != "" {
					v.fail(np, "%s", why)
					continue
				}
			}
			switch k, seen := where[name]; {
			case seen && k == i:
				v.fail(np, "member %q is listed twice", name)
			case seen:
				v.fail(np, "member %q is already in %s: the sides must not overlap", name, itemPath(path, k))
			default:
				where[name] = i
			}
		}
	}
	if len(v.errs) > before || !membersOK {
		return
	}
	if sides := len(groups); sides == 1 && len(where) == e.Members {
		v.fail(path, "makes a single side: every member is in %s; list two groups or more, or leave members out to form the other side", itemPath(path, 0))
	}
}

func (v *validator) needDuration(path string, f *Fault, what string) {
	if f.Duration == 0 {
		v.fail(path+".duration", "required for %s: %s", f.Type, what)
	}
}

func (v *validator) noDuration(path string, f *Fault, why string) {
	if f.Duration != 0 {
		v.fail(path+".duration", "%s %s", f.Type, why)
	}
}

func (v *validator) workload(path string, w *Workload, sp *Spec) {
	first := map[string]int{}
	total := 0
	for i := range w.Churn {
		c := &w.Churn[i]
		cp := itemPath(path+".churn", i)
		v.dnsLabel(cp+".name", c.Name)
		v.unique(first, path+".churn", i, "churn name", c.Name)
		switch {
		case c.Objects < 1:
			v.fail(cp+".objects", "must be at least 1, got %d", c.Objects)
		case c.Objects > MaxChurnObjects:
			v.fail(cp+".objects", "must be at most %d, got %d", MaxChurnObjects, c.Objects)
		default:
			total += c.Objects
		}
		switch {
		case c.ObjectBytes <= 0:
			v.fail(cp+".objectBytes", "must be greater than 0, got %d bytes", c.ObjectBytes)
		case c.ObjectBytes > MaxObjectBytes:
			v.fail(cp+".objectBytes", "must be at most 1.5Mi (%d bytes, etcd's default --max-request-bytes), got %d bytes", MaxObjectBytes, c.ObjectBytes)
		}
		switch {
		case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
			v.fail(cp+".rate", "must be a finite number, got %v", c.Rate)
		case c.Rate <= 0:
			v.fail(cp+".rate", "must be greater than 0 updates per second, got %v", c.Rate)
		case c.Rate < MinChurnRate:
			v.fail(cp+".rate", "must be at least one update a day (%.6g per second), got %v", MinChurnRate, c.Rate)
		case c.Rate > MaxChurnRate:
			v.fail(cp+".rate", "must be at most %d updates per second, got %v", MaxChurnRate, c.Rate)
		}
		v.window(cp, c.Start, c.Duration, sp)
	}
	if total > MaxChurnObjects {
		v.fail(path+".churn", "%d objects in total, more than the maximum of %d", total, MaxChurnObjects)
	}
	v.churnNamespaces(path, w)
	v.sharedObjects(path, w, sp)
	v.watcherGroups(path, w, sp)
	v.workloadObjects(path, w, sp)
}
