package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EtcdVersions are the etcd minor versions orrery knows defaults for, as
// Etcd.Version holds them.
var EtcdVersions = []string{"3.4", "3.5", "3.6"}

// Limits on the etcd cluster and on the churn workload.
const (
	// MaxEtcdMembers follows etcd's FAQ ("What is maximum cluster size?"):
	// "an etcd cluster probably should have no more than seven nodes".
	MaxEtcdMembers = 7
	// MaxElectionTimeout is etcd's maxElectionMs (server/embed/config.go):
	// a longer --election-timeout makes etcd refuse to start.
	MaxElectionTimeout = 50 * time.Second
	// MaxObjectBytes is etcd's default --max-request-bytes, 1.5 MiB
	// (server/embed/config.go DefaultMaxRequestBytes): a bigger object
	// cannot be written.
	MaxObjectBytes = 3 << 19
	// MaxChurnObjects bounds the objects all churn writers keep, in total
	// (an orrery limit, ten times the 150,000 objects per type of the
	// Kubernetes scalability thresholds).
	MaxChurnObjects = 1500000
	// MaxChurnRate bounds one writer's updates per second (an orrery
	// limit, twice etcd's published 50,000 writes/s benchmark).
	MaxChurnRate = 100000
	// MinChurnRate is one update a day: a slower writer's interval would
	// not fit the longest run.
	MinChurnRate = 1.0 / 86400
)

// ParseEtcdVersion parses "3.5", "v3.5", "3.5.9" or "v3.5.9" and returns
// the minor version ("3.5") if orrery supports it. The patch number is
// accepted but ignored, as for Kubernetes versions.
func ParseEtcdVersion(s string) (string, error) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("invalid etcd version %q (want MAJOR.MINOR such as \"3.5\", optionally with a v prefix and .PATCH)", s)
	}
	minor := m[1] + "." + m[2]
	if !slices.Contains(EtcdVersions, minor) {
		return "", fmt.Errorf("unsupported etcd version %q (supported: %s)", s, strings.Join(EtcdVersions, ", "))
	}
	return minor, nil
}

// kubeadmEtcdVersion is the etcd minor version kubeadm deploys with
// Kubernetes v: SupportedEtcdVersion in kubernetes/kubernetes
// cmd/kubeadm/app/constants/constants.go maps 1.19–1.21 to 3.4.13,
// 1.22–1.33 to 3.5.x and 1.34 on to 3.6.x (etcd-io/etcd's "Bump etcd
// Version in Kubernetes" guide: 3.5 for release-1.33 and lower, 3.6 for
// 1.34 and higher).
func kubeadmEtcdVersion(v Version) string {
	switch {
	case !v.AtLeast(1, 22):
		return "3.4"
	case !v.AtLeast(1, 34):
		return "3.5"
	}
	return "3.6"
}

// MemberName is the name of etcd member i: "etcd-i", counting from 0.
func (e Etcd) MemberName(i int) string { return "etcd-" + strconv.Itoa(i) }

// MemberNames lists the members' names in order (none if Members is out
// of range).
func (e Etcd) MemberNames() []string {
	if e.Members < 1 || e.Members > MaxEtcdMembers {
		return nil
	}
	names := make([]string, e.Members)
	for i := range names {
		names[i] = e.MemberName(i)
	}
	return names
}

// MemberIndex returns i if name is "etcd-i" (decimal, without leading
// zeros) and i < Members.
func (e Etcd) MemberIndex(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "etcd-")
	if !ok {
		return -1, false
	}
	i, err := strconv.Atoi(digits)
	if err != nil || i < 0 || i >= e.Members || strconv.Itoa(i) != digits {
		return -1, false
	}
	return i, true
}

// memberMissing explains why no member is called name, or returns "" if
// one is. Members must be in range.
func (e Etcd) memberMissing(name string) string {
	if _, ok := e.MemberIndex(name); ok {
		return ""
	}
	members := fmt.Sprintf("members are etcd-0 to etcd-%d", e.Members-1)
	if e.Members == 1 {
		members = "the only member is etcd-0"
	}
	// "etcd-5" of three is not a typo of "etcd-2": suggest only for names
	// that are not of the form etcd-N.
	suggestion := ""
	if digits, ok := strings.CutPrefix(name, "etcd-"); !ok || !isDigits(digits) {
		suggestion = didYouMean(name, e.MemberNames())
	}
	return fmt.Sprintf("no etcd member named %q%s: %s", name, suggestion, members)
}

func isDigits(s string) bool {
	digits, rest := leadingDigits(s)
	return digits != "" && rest == ""
}
