package scenarios

import (
	"fmt"
	"regexp"
	"strconv"
)

// Supported Kubernetes minor versions: the range whose defaults orrery
// knows (see defaults.go).
const (
	MinMinor = 20
	MaxMinor = 35
)

// DefaultKubernetesVersion is used when spec.kubernetesVersion is omitted.
const DefaultKubernetesVersion = "1.31"

var versionPattern = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$`)

// ParseVersion parses "1.31", "v1.31", "1.31.2" or "v1.31.2" and checks
// that it is a supported Kubernetes 1.x release. The patch number is
// accepted but ignored: no default orrery models changed in a patch.
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("invalid version %q (want MAJOR.MINOR such as \"1.31\", optionally with a v prefix and .PATCH)", s)
	}
	major, errMajor := strconv.Atoi(m[1])
	minor, errMinor := strconv.Atoi(m[2])
	if errMajor != nil || errMinor != nil || major != 1 || minor < MinMinor || minor > MaxMinor {
		return Version{}, fmt.Errorf("unsupported version %q (supported: 1.%d to 1.%d)", s, MinMinor, MaxMinor)
	}
	return Version{Major: major, Minor: minor}, nil
}

// Version returns the scenario's Kubernetes version, or the default one if
// spec.kubernetesVersion is empty. It is the zero Version if the field is
// invalid, which Parse never lets through.
func (s *Scenario) Version() Version {
	text := s.Spec.KubernetesVersion
	if text == "" {
		text = DefaultKubernetesVersion
	}
	v, err := ParseVersion(text)
	if err != nil {
		return Version{}
	}
	return v
}

// AtLeast reports whether v is release major.minor or later.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }
