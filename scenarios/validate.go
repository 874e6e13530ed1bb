package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orrery-sim/orrery/model/objects"
)

// Limits on what a scenario may ask for.
const (
	MaxDuration = 24 * time.Hour
	MaxNodes    = 100000
)

// dns1123Label is a Kubernetes DNS-1123 label (without the length limit,
// checked separately for a clearer message).
var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// qualifiedNamePart is a label key's name part and a non-empty label value
// (apimachinery IsQualifiedName, IsValidLabelValue), such as a zone
// (topology.kubernetes.io/zone); the 63-character limit is checked
// separately.
var qualifiedNamePart = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)

// Validate checks a complete (defaulted) scenario: ranges, cross-field
// rules and references from faults to nodes. Parse already ran it; it is
// exported for scenarios built in code. Problems are joined *Errors.
//
// It also derives each update action's Template (see Action).
func (s *Scenario) Validate() error {
	v := validator{file: s.File, in: s.Interner}
	v.scenario(s)
	return joinErrors(v.errs)
}

// validator checks values. lines (field path → line) and set (fields the
// file gave) come from the decoder; both are nil for a scenario built in code.
type validator struct {
	file  string
	lines map[string]int
	set   fieldSet
	errs  []*Error
	// in holds the workload's symbols (nil: update templates are not
	// derived).
	in *objects.Interner
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: v.lineOf(path), Field: path, Msg: fmt.Sprintf(format, args...)})
}

// lineOf finds path's line, or that of its nearest ancestor in the file:
// a defaulted field is reported where its enclosing mapping is.
func (v *validator) lineOf(path string) int { return lineIn(v.lines, path) }

// lineIn is the line of path in lines, or of its nearest ancestor there; 0
// if none is.
func lineIn(lines map[string]int, path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if line, ok := lines[p]; ok {
			return line
		}
	}
	return 0
}

// parentPath strips the last ".field" or "[i]" from a field path.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func (v *validator) scenario(s *Scenario) {
	if s.APIVersion != APIVersion {
		v.fail("apiVersion", "must be %q, got %q", APIVersion, s.APIVersion)
	}
	if s.Kind != Kind {
		v.fail("kind", "must be %q, got %q", Kind, s.Kind)
	}
	v.dnsLabel("metadata.name", s.Metadata.Name)
	v.spec(&s.Spec)
}

func (v *validator) dnsLabel(path, name string) {
	switch {
	case name == "":
		v.fail(path, "must not be empty")
	case len(name) > 63:
		v.fail(path, "must be at most 63 characters, got %d", len(name))
	case !dns1123Label.MatchString(name):
		v.fail(path, "must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit), got %q", name)
	}
}

func (v *validator) spec(sp *Spec) {
	switch {
	case sp.Duration <= 0:
		v.fail("spec.duration", "must be greater than 0, got %v", sp.Duration)
	case sp.Duration > MaxDuration:
		v.fail("spec.duration", "must be at most %v, got %v", MaxDuration, sp.Duration)
	}
	if sp.KubernetesVersion != "" {
		if _, err := ParseVersion(sp.KubernetesVersion); err != nil {
			v.fail("spec.kubernetesVersion", "%v", err)
		}
	}
	v.cluster(&sp.Cluster)
	v.workload("spec.workload", &sp.Workload, sp)
	for i := range sp.Faults {
		v.fault(itemPath("spec.faults", i), &sp.Faults[i], sp)
	}
	v.variants("spec.variants", sp.Variants)
	for i := range sp.Expect {
		v.expect(itemPath("spec.expect", i), &sp.Expect[i])
		v.expectVariant(itemPath("spec.expect", i), &sp.Expect[i], sp.Variants)
	}
}

func (v *validator) variants(path string, vs []Variant) {
	if len(vs) == 1 {
		v.fail(path, "a comparison needs at least two variants, got one")
	}
	if len(vs) > MaxVariants {
		v.fail(path, "at most %d variants (each is a full run), got %d", MaxVariants, len(vs))
	}
	seen := map[string]int{}
	for i := range vs {
		p := itemPath(path, i)
		v.dnsLabel(p+".name", vs[i].Name)
		v.unique(seen, path, i, "variant", vs[i].Name)
	}
}

// expectVariant checks an expectation's variant and relativeTo references.
func (v *validator) expectVariant(path string, e *Expect, vs []Variant) {
	names := make([]string, len(vs))
	for i := range vs {
		names[i] = vs[i].Name
	}
	for _, ref := range []struct{ field, name string }{{"variant", e.Variant}, {"relativeTo", e.RelativeTo}} {
		switch {
		case ref.name == "":
		case len(vs) == 0:
			v.fail(path+"."+ref.field, "the scenario has no variants (spec.variants)")
		case !slices.Contains(names, ref.name):
			v.fail(path+"."+ref.field, "no variant named %q%s", ref.name, didYouMean(ref.name, names))
		}
	}
	if e.RelativeTo != "" && e.Variant == "" {
		v.fail(path+".relativeTo", "needs variant: the ratio is metric(variant) / metric(relativeTo)")
	}
	if e.RelativeTo != "" && e.RelativeTo == e.Variant {
		v.fail(path+".relativeTo", "must name another variant than %q", e.Variant)
	}
}

func (v *validator) cluster(c *Cluster) {
	v.nodePools(c.NodePools)
	v.apiServer("spec.cluster.apiServer", &c.APIServer)
	v.etcd("spec.cluster.etcd", &c.Etcd)
	v.network("spec.cluster.network", &c.Network)
	v.kubelet("spec.cluster.kubelet", &c.Kubelet)
	v.nodeLifecycle("spec.cluster.nodeLifecycle", &c.NodeLifecycle)
	v.atLeast("spec.cluster.scheduler.replicas", c.Scheduler.Replicas, 1)
	if p := c.Scheduler.PercentageOfNodesToScore; p < 0 || p > 100 {
		v.fail("spec.cluster.scheduler.percentageOfNodesToScore", "must be between 0 (adaptive) and 100, got %d", p)
	}
	v.atLeast("spec.cluster.controllerManager.replicas", c.ControllerManager.Replicas, 1)
	if k := c.ControllerManager.ReplicaSetController; k != LevelTriggered && k != EdgeTriggered {
		v.fail("spec.cluster.controllerManager.replicaSetController", "must be %q or %q, got %q", LevelTriggered, EdgeTriggered, k)
	}
	v.client("spec.cluster.clients.kubelet", &c.Clients.Kubelet)
	v.client("spec.cluster.clients.heartbeat", &c.Clients.Heartbeat)
	v.client("spec.cluster.clients.controllerManager", &c.Clients.ControllerManager)
	v.objectSizes("spec.cluster.objectSizes", &c.ObjectSizes)
}

func (v *validator) nodePools(pools []NodePool) {
	const path = "spec.cluster.nodePools"
	if len(pools) == 0 {
		v.fail(path, "must list at least one node pool")
		return
	}
	firstIndex := map[string]int{}
	total := 0
	for i := range pools {
		p := &pools[i]
		pp := itemPath(path, i)
		v.dnsLabel(pp+".name", p.Name)
		v.unique(firstIndex, path, i, "pool name", p.Name)
		switch {
		case p.Count < 1:
			v.fail(pp+".count", "must be at least 1, got %d", p.Count)
		case p.Count > MaxNodes:
			v.fail(pp+".count", "must be at most %d, got %d", MaxNodes, p.Count)
		default:
			total += p.Count
		}
		v.zones(pp+".zones", p.Zones)
		if p.CPUMilli <= 0 {
			v.fail(pp+".cpu", "must be greater than 0, got %dm", p.CPUMilli)
		}
		if p.MemoryBytes <= 0 {
			v.fail(pp+".memory", "must be greater than 0, got %d bytes", p.MemoryBytes)
		}
		v.poolExtras(pp, p)
	}
	if total > MaxNodes {
		v.fail(path, "%d nodes in total, more than the maximum of %d", total, MaxNodes)
	}
}

// unique fails item i of the list at listPath if name was already used by
// an earlier item, naming that item; seen maps names to their first index.
func (v *validator) unique(seen map[string]int, listPath string, i int, what, name string) {
	if first, dup := seen[name]; dup {
		v.fail(itemPath(listPath, i)+".name", "duplicate %s %q (also %s)", what, name, itemPath(listPath, first))
		return
	}
	seen[name] = i
}

func (v *validator) zones(path string, zones []string) {
	if len(zones) == 0 {
		v.fail(path, "must list at least one zone")
	}
	for i, z := range zones {
		zp := itemPath(path, i)
		switch {
		case len(z) > 63 || !qualifiedNamePart.MatchString(z):
			v.fail(zp, "must be a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got %q", z)
		case slices.Index(zones, z) < i:
			v.fail(zp, "duplicate zone %q", z)
		}
	}
}

func (v *validator) apiServer(path string, a *APIServer) {
	v.atLeast(path+".replicas", a.Replicas, 1)
	v.atLeast(path+".maxRequestsInflight", a.MaxRequestsInflight, 1)
	v.atLeast(path+".maxMutatingRequestsInflight", a.MaxMutatingRequestsInflight, 1)
	if v.positive(path+".requestTimeout", a.RequestTimeout) && a.RequestTimeout < 4*time.Millisecond {
		v.fail(path+".requestTimeout", "must be at least 4ms (APF's queue wait limit is a quarter of it), got %v", a.RequestTimeout)
	}
	v.atLeast(path+".cpus", a.CPUs, 1)
	c := &a.Costs
	p := path + ".costs"
	v.dist(p+".authentication", c.Authentication)
	v.dist(p+".authorization", c.Authorization)
	v.dist(p+".admission", c.Admission)
	v.nonNegative(p+".decodePerObject", c.DecodePerObject)
	v.nonNegative(p+".encodePerObject", c.EncodePerObject)
	v.nonNegative(p+".watchFilterPerWatcher", c.WatchFilterPerWatcher)
	v.nonNegative(p+".watchSendPerWatcher", c.WatchSendPerWatcher)
	if c.DecodeThroughput <= 0 {
		v.fail(p+".decodeThroughput", "must be greater than 0, got %d bytes per second", c.DecodeThroughput)
	}
	if c.EncodeThroughput <= 0 {
		v.fail(p+".encodeThroughput", "must be greater than 0, got %d bytes per second", c.EncodeThroughput)
	}
}

func (v *validator) network(path string, n *Network) {
	v.dist(path+".latency", n.Latency)
	if !(n.Loss >= 0 && n.Loss < 1) {
		v.fail(path+".loss", "must be at least 0 and less than 1, got %v", n.Loss)
	}
	v.positive(path+".streamFailureDetection", n.StreamFailureDetection)
}

func (v *validator) kubelet(path string, k *Kubelet) {
	v.positive(path+".nodeLeaseDuration", k.NodeLeaseDuration)
	v.positive(path+".nodeStatusUpdateFrequency", k.NodeStatusUpdateFrequency)
	v.positive(path+".nodeStatusReportFrequency", k.NodeStatusReportFrequency)
}

// nodeLifecycle: the controller must look at least once within the grace
// period, or a node could never be marked NotReady on time.
func (v *validator) nodeLifecycle(path string, nl *NodeLifecycle) {
	if !v.positive(path+".monitorPeriod", nl.MonitorPeriod) || !v.nonNegative(path+".gracePeriod", nl.GracePeriod) {
		return
	}
	if nl.GracePeriod <= nl.MonitorPeriod {
		if v.set[&nl.MonitorPeriod] && !v.set[&nl.GracePeriod] {
			v.fail(path+".monitorPeriod", "must be less than gracePeriod (%v), got %v", nl.GracePeriod, nl.MonitorPeriod)
		} else {
			v.fail(path+".gracePeriod", "must be greater than monitorPeriod (%v), got %v", nl.MonitorPeriod, nl.GracePeriod)
		}
	}
}

// client mirrors client-go: QPS < 0 disables throttling; QPS 0 would mean
// "use client-go's default of 5", which a scenario should say explicitly.
func (v *validator) client(path string, c *ClientLimits) {
	switch {
	case math.IsNaN(c.QPS) || math.IsInf(c.QPS, 0):
		v.fail(path+".qps", "must be a finite number, got %v", c.QPS)
	case c.QPS == 0:
		v.fail(path+".qps", "must not be 0: use a negative qps to disable throttling")
	case c.QPS > 0 && c.Burst < 1:
		v.fail(path+".burst", "must be at least 1 when qps > 0, got %d", c.Burst)
	case c.Burst < 0:
		v.fail(path+".burst", "must not be negative, got %d", c.Burst)
	}
	v.nonNegative(path+".timeout", c.Timeout)
}

func (v *validator) dist(path string, d Dist) {
	params := distParams(d.Kind)
	if params == nil {
		v.fail(path+".kind", "must be one of %s, got %q", quoteList(distKinds), d.Kind)
		return
	}
	for _, name := range allDistParams {
		value := *d.param(name)
		switch {
		case !slices.Contains(params, name):
			if value != 0 {
				v.fail(path+"."+name, "not a parameter of kind %q (it takes %s)", d.Kind, quoteList(params))
			}
		case value < 0:
			v.fail(path+"."+name, "must not be negative, got %v", value)
		}
	}
	switch d.Kind {
	case "uniform":
		if d.Min > d.Max {
			v.fail(path+".min", "must not exceed max (%v), got %v", d.Max, d.Min)
		}
	case "exponential":
		v.positive(path+".mean", d.Mean)
	case "lognormal":
		if v.positive(path+".median", d.Median) && d.P99 < d.Median {
			v.fail(path+".p99", "must be at least median (%v), got %v", d.Median, d.P99)
		}
	}
}

// Fault types by kind: node faults act on kubelets and node networks,
// etcd faults on etcd members.
var (
	nodeFaultTypes = []string{FaultStopKubelet, FaultRestartKubelet, FaultPartition}
	etcdFaultTypes = []string{FaultEtcdCrash, FaultEtcdRestart, FaultEtcdPartition, FaultEtcdIsolateLeader,
		FaultEtcdSlowDisk, FaultEtcdCompact, FaultEtcdDefrag, FaultEtcdAlarmDisarm}
	faultTypes = slices.Concat(nodeFaultTypes, etcdFaultTypes, []string{FaultRestartAPIServer, FaultSlowWatcher, FaultRestartControllers,
		FaultStopControllerManager, FaultMemoryPressure})
)

func (v *validator) fault(path string, f *Fault, sp *Spec) {
	if v.nonNegative(path+".at", f.At) && f.At >= sp.Duration {
		v.fail(path+".at", "must be before the end of the run (spec.duration %v), got %v", sp.Duration, f.At)
	}
	if v.nonNegative(path+".duration", f.Duration) && f.Duration > MaxDuration {
		v.fail(path+".duration", "must be at most %v, got %v", MaxDuration, f.Duration)
	}
	if slices.Contains(faultTypes, f.Type) {
		v.onlyFor(path, f, FaultSlowWatcher, "watchers", v.given(&f.Watchers, f.Watchers != nil))
		v.onlyFor(path, f, FaultSlowWatcher, "readTime", v.given(&f.ReadTime, f.ReadTime != 0))
		v.onlyFor(path, f, FaultRestartControllers, "controllers", v.given(&f.Controllers, f.Controllers != nil))
		v.onlyFor(path, f, FaultStopControllerManager, "instances", v.given(&f.Instances, !f.Instances.isZero()))
		v.onlyFor(path, f, FaultMemoryPressure, "pods", v.given(&f.Pods, f.Pods != nil))
	}
	switch {
	case slices.Contains(nodeFaultTypes, f.Type):
		v.nodeFault(path, f, sp)
	case slices.Contains(etcdFaultTypes, f.Type):
		v.etcdFault(path, f, &sp.Cluster.Etcd)
	case f.Type == FaultRestartAPIServer:
		v.apiServerFault(path, f, &sp.Cluster.APIServer)
	case f.Type == FaultSlowWatcher:
		v.slowWatcherFault(path, f, &sp.Workload)
	case f.Type == FaultRestartControllers:
		v.controllersFault(path, f, sp.Workload.Controllers)
	case f.Type == FaultStopControllerManager:
		v.controllerManagerFault(path, f, sp)
	case f.Type == FaultMemoryPressure:
		v.memoryPressureFault(path, f, sp)
	default:
		v.fail(path+".type", "unknown fault type %q%s; want %s", f.Type, didYouMean(f.Type, faultTypes), quoteList(faultTypes))
	}
}

func (v *validator) nodeFault(path string, f *Fault, sp *Spec) {
	switch f.Type {
	case FaultRestartKubelet:
		if f.Duration != 0 {
			v.fail(path+".duration", "restartKubelet is instantaneous and takes no duration (use stopKubelet with a duration)")
		}
	case FaultPartition:
		if f.Duration == 0 {
			v.fail(path+".duration", "required for partition: how long until the partition heals")
		}
	}
	if v.given(&f.Members, !f.Members.isZero()) {
		v.fail(path+".members", "%s is a node fault: it takes nodes, not members (members are for etcd faults)", f.Type)
	}
	v.onlyFor(path, f, FaultEtcdPartition, "groups", v.given(&f.Groups, f.Groups != nil))
	v.onlyFor(path, f, FaultEtcdSlowDisk, "walFsync", v.given(&f.WALFsync, f.WALFsync != Dist{}))
	v.onlyFor(path, f, FaultRestartAPIServer, "servers", v.given(&f.Servers, f.Servers != nil))
	if !v.given(&f.Nodes, !f.Nodes.isZero()) {
		v.fail(path+".nodes", "required field is missing: %s needs the nodes it applies to", f.Type)
		return
	}
	v.selector(path+".nodes", &f.Nodes, sp.Cluster.NodePools)
}

func (v *validator) apiServerFault(path string, f *Fault, a *APIServer) {
	v.takesOnly(path, f, "servers", "servers (replica names)")
	var names []string
	for i := 0; i < a.Replicas; i++ {
		names = append(names, a.ReplicaName(i))
	}
	for i, name := range f.Servers {
		sp := itemPath(path+".servers", i)
		switch {
		case !slices.Contains(names, name):
			v.fail(sp, "no API server replica named %q%s; the replicas are %s", name, didYouMean(name, names), quoteList(names))
		case slices.Index(f.Servers, name) < i:
			v.fail(sp, "replica %q is listed twice", name)
		}
	}
}

// slowWatcherFault: watcher groups by name, a read time, nothing else.
func (v *validator) slowWatcherFault(path string, f *Fault, w *Workload) {
	v.takesOnly(path, f, "", "watchers (watcher group names) and readTime")
	var names []string
	for _, g := range w.Watchers {
		names = append(names, g.Name)
	}
	if len(f.Watchers) == 0 {
		if len(names) == 0 {
			v.fail(path+".watchers", "required field is missing: slowWatcher needs watcher groups, and spec.workload.watchers has none")
		} else {
			v.fail(path+".watchers", "required field is missing: the watcher groups to slow down, of %s", quoteList(names))
		}
	}
	for i, name := range f.Watchers {
		wp := itemPath(path+".watchers", i)
		switch {
		case !slices.Contains(names, name):
			v.fail(wp, "no watcher group named %q%s in spec.workload.watchers", name, didYouMean(name, names))
		case slices.Index(f.Watchers, name) < i:
			v.fail(wp, "group %q is listed twice", name)
		}
	}
	if f.ReadTime <= 0 {
		if v.given(&f.ReadTime, f.ReadTime != 0) {
			v.fail(path+".readTime", "must be greater than 0, got %v", f.ReadTime)
		} else {
			v.fail(path+".readTime", "required field is missing: the watchers' time per event during the fault")
		}
	}
}

// controllersFault checks restartControllers: controller names that exist,
// once each, and nothing else.
func (v *validator) controllersFault(path string, f *Fault, cs []Controller) {
	v.takesOnly(path, f, "", "controllers (spec.workload.controllers names)")
	if f.Duration != 0 {
		v.fail(path+".duration", "restartControllers is instantaneous and takes no duration")
	}
	if len(cs) == 0 {
		v.fail(path+".type", "restartControllers needs controllers: spec.workload.controllers is empty")
		return
	}
	var names []string
	for i := range cs {
		names = append(names, cs[i].Name)
	}
	for i, name := range f.Controllers {
		p := itemPath(path+".controllers", i)
		switch {
		case !slices.Contains(names, name):
			v.fail(p, "no controller named %q%s; the controllers are %s", name, didYouMean(name, names), quoteList(names))
		case slices.Index(f.Controllers, name) < i:
			v.fail(p, "controller %q is listed twice", name)
		}
	}
}

// takesOnly reports each of nodes, members, groups, servers and walFsync
// that f carries, except own: a fault of f.Type takes what instead.
func (v *validator) takesOnly(path string, f *Fault, own, what string) {
	for _, x := range []struct {
		field string
		given bool
	}{
		{"nodes", v.given(&f.Nodes, !f.Nodes.isZero())},
		{"members", v.given(&f.Members, !f.Members.isZero())},
		{"groups", v.given(&f.Groups, f.Groups != nil)},
		{"servers", v.given(&f.Servers, f.Servers != nil)},
		{"walFsync", v.given(&f.WALFsync, f.WALFsync != Dist{})},
	} {
		if x.given && x.field != own {
			v.fail(path+"."+x.field, "%s takes %s, not %s", f.Type, what, x.field)
		}
	}
}

// given reports whether a field has a value: the file set it, or (for a
// scenario built in code) it is not empty.
func (v *validator) given(field any, nonEmpty bool) bool { return v.set[field] || nonEmpty }

// onlyFor reports field when a fault of another type than owner carries it.
func (v *validator) onlyFor(path string, f *Fault, owner, field string, given bool) {
	if given && f.Type != owner {
		v.fail(path+"."+field, "only %s takes %s, not %s", owner, field, f.Type)
	}
}

func (sel NodeSelector) isZero() bool {
	return sel.Names == nil && sel.Pool == "" && sel.Zone == "" && sel.Count == 0
}

func (sel MemberSelector) isZero() bool { return sel.Names == nil && !sel.Leader }

func (v *validator) selector(path string, sel *NodeSelector, pools []NodePool) {
	if sel.Count < 0 || sel.Count == 0 && v.set[&sel.Count] {
		v.fail(path+".count", "must be at least 1, got %d", sel.Count)
		return
	}
	switch {
	case len(sel.Names) > 0:
		v.selectorNames(path, sel, pools)
	case sel.Pool == "" && sel.Zone == "":
		v.fail(path, "select nodes by names, pool or zone")
	default:
		v.selectorPoolZone(path, sel, pools)
	}
}

func (v *validator) selectorNames(path string, sel *NodeSelector, pools []NodePool) {
	if sel.Pool != "" || sel.Zone != "" {
		v.fail(path+".names", "cannot be combined with pool or zone")
	}
	if sel.Count != 0 {
		v.fail(path+".count", "cannot be combined with names")
	}
	for i, name := range sel.Names {
		np := itemPath(path+".names", i)
		if why := nodeMissing(name, pools); why != "" {
			v.fail(np, "%s", why)
		} else if slices.Index(sel.Names, name) < i {
			v.fail(np, "node %q is listed twice", name)
		}
	}
}

// nodeMissing explains why no node is called name, or returns "" if one is.
// Node i of pool p is called "p-i", i in decimal without leading zeros.
func nodeMissing(name string, pools []NodePool) string {
	dash := strings.LastIndexByte(name, '-')
	if dash < 0 {
		return fmt.Sprintf("no node named %q (node i of pool p is named \"p-i\", counting from 0)", name)
	}
	poolName, index := name[:dash], name[dash+1:]
	pool := findPool(pools, poolName)
	if pool == nil {
		return fmt.Sprintf("no node named %q: there is no pool %q (node i of pool p is named \"p-i\", counting from 0)", name, poolName)
	}
	if pool.Count < 1 {
		return fmt.Sprintf("no node named %q: pool %q has no nodes", name, poolName)
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= pool.Count || strconv.Itoa(i) != index {
		return fmt.Sprintf("no node named %q: pool %q has nodes %s-0 to %s-%d", name, poolName, poolName, poolName, pool.Count-1)
	}
	return ""
}

func findPool(pools []NodePool, name string) *NodePool {
	for i := range pools {
		if pools[i].Name == name {
			return &pools[i]
		}
	}
	return nil
}

func (v *validator) selectorPoolZone(path string, sel *NodeSelector, pools []NodePool) {
	candidates := pools
	if sel.Pool != "" {
		pool := findPool(pools, sel.Pool)
		if pool == nil {
			v.fail(path+".pool", "no node pool named %q%s", sel.Pool, didYouMean(sel.Pool, poolNames(pools)))
			return
		}
		candidates = []NodePool{*pool}
	}
	if sel.Zone != "" && !slices.Contains(allZones(pools), sel.Zone) {
		v.fail(path+".zone", "no node pool has zone %q%s", sel.Zone, didYouMean(sel.Zone, allZones(pools)))
		return
	}
	matched := 0
	for _, p := range candidates {
		matched += nodesInZone(p, sel.Zone)
	}
	switch {
	case matched == 0 && sel.Pool != "":
		v.fail(path, "selects no nodes: pool %q has no node in zone %q", sel.Pool, sel.Zone)
	case matched == 0:
		v.fail(path, "selects no nodes: no pool has a node in zone %q", sel.Zone)
	case sel.Count > matched:
		v.fail(path+".count", "only %d nodes match, got count %d", matched, sel.Count)
	}
}

// nodesInZone counts pool p's nodes in zone ("" for all): node i sits in
// Zones[i % len(Zones)].
func nodesInZone(p NodePool, zone string) int {
	if zone == "" {
		return p.Count
	}
	j := slices.Index(p.Zones, zone)
	if j < 0 || j >= p.Count {
		return 0
	}
	return (p.Count - j + len(p.Zones) - 1) / len(p.Zones)
}

func poolNames(pools []NodePool) []string {
	names := make([]string, len(pools))
	for i, p := range pools {
		names[i] = p.Name
	}
	return names
}

func allZones(pools []NodePool) []string {
	var zones []string
	for _, p := range pools {
		zones = append(zones, p.Zones...)
	}
	return zones
}

func (v *validator) expect(path string, e *Expect) {
	if e.Metric == "" || strings.ContainsAny(e.Metric, " \t\r\n") {
		v.fail(path+".metric", "must be a metric name without spaces, got %q", e.Metric)
	}
	if e.Min == nil && e.Max == nil {
		v.fail(path, "give min, max or both")
		return
	}
	for _, b := range []struct {
		name  string
		value *float64
	}{{"min", e.Min}, {"max", e.Max}} {
		if b.value != nil && (math.IsNaN(*b.value) || math.IsInf(*b.value, 0)) {
			v.fail(path+"."+b.name, "must be a finite number, got %v", *b.value)
			return
		}
	}
	if e.Min != nil && e.Max != nil && *e.Min > *e.Max {
		v.fail(path+".min", "must not exceed max (%v), got %v", *e.Max, *e.Min)
	}
}

func (v *validator) atLeast(path string, value, least int) {
	if value < least {
		v.fail(path, "must be at least %d, got %d", least, value)
	}
}

func (v *validator) nonNegative(path string, d time.Duration) bool {
	if d < 0 {
		v.fail(path, "must not be negative, got %v", d)
		return false
	}
	return true
}

func (v *validator) positive(path string, d time.Duration) bool {
	if d <= 0 {
		v.fail(path, "must be greater than 0, got %v", d)
		return false
	}
	return true
}
