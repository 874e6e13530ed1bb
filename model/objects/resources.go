package objects

import (
	"fmt"

	"github.com/orrery-sim/orrery/internal/quantity"
)

// Resources is an amount of CPU and memory: allocatable on a node, or
// requested by a pod. CPU is in millicores, memory in bytes; both exact.
type Resources struct {
	MilliCPU int64
	Memory   int64
}

// Add returns r + o.
func (r Resources) Add(o Resources) Resources {
	return Resources{r.MilliCPU + o.MilliCPU, r.Memory + o.Memory}
}

// Sub returns r - o.
func (r Resources) Sub(o Resources) Resources {
	return Resources{r.MilliCPU - o.MilliCPU, r.Memory - o.Memory}
}

// max returns the per-resource maximum of r and o.
func (r Resources) max(o Resources) Resources {
	return Resources{max(r.MilliCPU, o.MilliCPU), max(r.Memory, o.Memory)}
}

// IsZero reports whether both amounts are zero.
func (r Resources) IsZero() bool { return r.MilliCPU == 0 && r.Memory == 0 }

// ResourceSet says which resources a container's requests or limits name.
// Kubernetes tells an absent request from an explicit "0": the scheduler's
// default request replaces only an absent one.
type ResourceSet uint8

const (
	CPU ResourceSet = 1 << iota
	Memory
)

// Quantities is a container's requests or its limits: the amounts, and
// which of them are set.
type Quantities struct {
	Resources
	Set ResourceSet
}

// Requests builds Quantities naming both CPU and memory.
func Requests(milliCPU, memory int64) Quantities {
	return Quantities{Resources{milliCPU, memory}, CPU | Memory}
}

// CPUOnly builds Quantities naming only CPU.
func CPUOnly(milliCPU int64) Quantities { return Quantities{Resources{MilliCPU: milliCPU}, CPU} }

// MemoryOnly builds Quantities naming only memory.
func MemoryOnly(memory int64) Quantities { return Quantities{Resources{Memory: memory}, Memory} }

// Has reports whether the resource is set.
func (q Quantities) Has(r ResourceSet) bool { return q.Set&r != 0 }

// withDefaults returns q with each absent resource replaced by d's
// (component-helpers/resource/helpers.go applyNonMissing: only a missing
// key is filled, an explicit zero stays zero).
func (q Quantities) withDefaults(d Resources) Resources {
	r := q.Resources
	if !q.Has(CPU) {
		r.MilliCPU = d.MilliCPU
	}
	if !q.Has(Memory) {
		r.Memory = d.Memory
	}
	return r
}

// ParseCPU parses a CPU quantity ("500m", "2", "0.1") into millicores,
// rounded up as Quantity.MilliValue does.
func ParseCPU(s string) (int64, error) { return quantity.ParseMilli(s) }

// ParseMemory parses a memory quantity ("128Mi", "1G", "129e6") into bytes,
// rounded up as Quantity.Value does.
func ParseMemory(s string) (int64, error) { return quantity.ParseValue(s) }

// Non-zero defaults the scheduler assumes for a container that requests
// no CPU or no memory, when scoring and when summing a node's
// NonZeroRequested (pkg/scheduler/util/pod_resources.go:
// DefaultMilliCPURequest = 100, DefaultMemoryRequest = 200 * 1024 * 1024).
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// NonZeroDefaults are the two defaults as Resources.
var NonZeroDefaults = Resources{DefaultMilliCPURequest, DefaultMemoryRequest}

// QOSClass is a pod's quality-of-service class.
type QOSClass uint8

const (
	BestEffort QOSClass = iota
	Burstable
	Guaranteed
)

var qosNames = [...]string{"BestEffort", "Burstable", "Guaranteed"}

func (q QOSClass) String() string { return qosNames[q] }

// Container is one container's image and resources.
type Container struct {
	Name     Sym
	Image    Sym // the image name, normalised with NormalizeImageName
	Requests Quantities
	Limits   Quantities
	// Sidecar marks an init container with restartPolicy: Always (a
	// sidecar, KEP-753): it keeps running beside the app containers.
	Sidecar bool
	// defaulted says which requests Finish copied from the limits, so
	// that PodSpec.Edit can give back the container as written.
	defaulted ResourceSet
}

func (c *Container) validate() error {
	for _, q := range []struct {
		name string
		v    int64
	}{
		{"requests.cpu", c.Requests.MilliCPU}, {"requests.memory", c.Requests.Memory},
		{"limits.cpu", c.Limits.MilliCPU}, {"limits.memory", c.Limits.Memory},
	} {
		if q.v < 0 {
			return fmt.Errorf("%s: must not be negative", q.name)
		}
	}
	// pkg/apis/core/validation ValidateResourceRequirements: a request may
	// not exceed its limit.
	if c.Requests.Has(CPU) && c.Limits.Has(CPU) && c.Requests.MilliCPU > c.Limits.MilliCPU {
		return fmt.Errorf("requests.cpu: must be less than or equal to cpu limit")
	}
	if c.Requests.Has(Memory) && c.Limits.Has(Memory) && c.Requests.Memory > c.Limits.Memory {
		return fmt.Errorf("requests.memory: must be less than or equal to memory limit")
	}
	return nil
}

// defaultRequestsFromLimits is the API server's defaulting of a pod: a
// resource with a limit and no request gets the limit as its request
// (pkg/apis/core/v1/defaults.go SetDefaults_Pod).
func (c *Container) defaultRequestsFromLimits() {
	if c.Limits.Has(CPU) && !c.Requests.Has(CPU) {
		c.Requests.MilliCPU = c.Limits.MilliCPU
		c.Requests.Set |= CPU
		c.defaulted |= CPU
	}
	if c.Limits.Has(Memory) && !c.Requests.Has(Memory) {
		c.Requests.Memory = c.Limits.Memory
		c.Requests.Set |= Memory
		c.defaulted |= Memory
	}
}

// undoDefaults gives back the requests as written, before
// defaultRequestsFromLimits.
func (c *Container) undoDefaults() {
	if c.defaulted&CPU != 0 {
		c.Requests.MilliCPU = 0
	}
	if c.defaulted&Memory != 0 {
		c.Requests.Memory = 0
	}
	c.Requests.Set &^= c.defaulted
	c.defaulted = 0
}

// aggregateRequests sums a pod's requests the way the scheduler and the
// kubelet do (component-helpers/resource/helpers.go PodRequests and
// AggregateContainerRequests, following KEP-753 for sidecars):
//
//	app      = Σ app containers + Σ sidecars
//	init(i)  = sidecars declared before init container i + init container i
//	pod      = max(app, max_i init(i)) + overhead
//
// With nonZero, each container's absent CPU or memory request counts as the
// scheduler's default (100m, 200Mi), as NodeInfo.NonZeroRequested and the
// LeastAllocated score do.
func aggregateRequests(s *PodSpec, nonZero bool) Resources {
	req := func(c *Container) Resources {
		if nonZero {
			return c.Requests.withDefaults(NonZeroDefaults)
		}
		return c.Requests.Resources
	}
	var sum Resources
	for i := range s.Containers {
		sum = sum.Add(req(&s.Containers[i]))
	}
	var sidecars, initMax Resources
	for i := range s.InitContainers {
		c := &s.InitContainers[i]
		r := req(c)
		var use Resources
		if c.Sidecar {
			sum = sum.Add(r)
			sidecars = sidecars.Add(r)
			use = sidecars
		} else {
			use = r.Add(sidecars)
		}
		initMax = initMax.max(use)
	}
	return sum.max(initMax).Add(s.Overhead)
}

// computeQOS classifies a pod as pkg/apis/core/v1/helper/qos/qos.go
// ComputePodQOS does, over app and init containers alike: BestEffort if no
// container requests or limits any CPU or memory (zero counts as none);
// Guaranteed if every container limits both, and the summed requests equal
// the summed limits for each resource; Burstable otherwise.
func computeQOS(s *PodSpec) QOSClass {
	var reqs, lims Resources
	var reqSet, limSet ResourceSet
	guaranteed := true
	visit := func(c *Container) {
		if c.Requests.MilliCPU > 0 {
			reqs.MilliCPU += c.Requests.MilliCPU
			reqSet |= CPU
		}
		if c.Requests.Memory > 0 {
			reqs.Memory += c.Requests.Memory
			reqSet |= Memory
		}
		var found ResourceSet
		if c.Limits.MilliCPU > 0 {
			lims.MilliCPU += c.Limits.MilliCPU
			found |= CPU
		}
		if c.Limits.Memory > 0 {
			lims.Memory += c.Limits.Memory
			found |= Memory
		}
		limSet |= found
		if found != CPU|Memory {
			guaranteed = false
		}
	}
	for i := range s.Containers {
		visit(&s.Containers[i])
	}
	for i := range s.InitContainers {
		visit(&s.InitContainers[i])
	}
	if reqSet == 0 && limSet == 0 {
		return BestEffort
	}
	if guaranteed {
		if reqSet&CPU != 0 && (limSet&CPU == 0 || lims.MilliCPU != reqs.MilliCPU) {
			guaranteed = false
		}
		if reqSet&Memory != 0 && (limSet&Memory == 0 || lims.Memory != reqs.Memory) {
			guaranteed = false
		}
	}
	if guaranteed && reqSet == limSet {
		return Guaranteed
	}
	return Burstable
}
