package scenarios

import (
	"net"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file reads a Service manifest: its selector, ports, type and
// publishNotReadyAddresses, checked as pkg/apis/core/validation
// ValidateService checks them (after SetDefaults_Service: type ClusterIP,
// protocol TCP, targetPort = port).

// Service fields orrery does not model.
var (
	serviceSpecIgnored = []string{"clusterIPs", "externalIPs", "sessionAffinity", "sessionAffinityConfig",
		"loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass", "externalTrafficPolicy",
		"internalTrafficPolicy", "healthCheckNodePort", "ipFamilies", "ipFamilyPolicy",
		"allocateLoadBalancerNodePorts", "trafficDistribution"}
	servicePortIgnored = []string{"nodePort", "appProtocol"}
)

// The Service types (core/v1 ServiceType).
const (
	serviceClusterIP    = "ClusterIP"
	serviceNodePort     = "NodePort"
	serviceLoadBalancer = "LoadBalancer"
	serviceExternalName = "ExternalName"
)

var serviceTypes = []string{serviceClusterIP, serviceNodePort, serviceLoadBalancer, serviceExternalName}

// servicePortProtocols are the protocols a Service port may have.
var servicePortProtocols = []string{"TCP", "UDP", "SCTP"}

// dns1035Label is a Service name (ValidateServiceName = NameIsDNS1035Label):
// a DNS-1123 label that starts with a letter.
var dns1035Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// ianaSvcName is a named port (apimachinery IsValidPortName): at most 15
// lower-case letters, digits and '-', with a letter, no '-' at either end
// and no "--".
var ianaSvcName = regexp.MustCompile(`^[-a-z0-9]+$`)

func portNameProblem(s string) string {
	switch {
	case len(s) > 15:
		return "must be no more than 15 characters"
	case !ianaSvcName.MatchString(s):
		return "must contain only lower-case letters, digits and '-'"
	case strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-"):
		return "must not begin or end with a hyphen"
	case strings.Contains(s, "--"):
		return "must not contain consecutive hyphens"
	case !strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz"):
		return "must contain at least one letter"
	}
	return ""
}

// servicePort is one of spec.ports as read.
type servicePort struct {
	name, protocol string
	port           int32
}

func (d *decoder) serviceObject(n *yaml.Node, path string, o *Object) {
	m, _ := d.k8sMapping(n, path, []string{"apiVersion", "kind", "metadata", "spec"}, topIgnored...)
	d.objectMeta(m, o) // a Service's own labels are checked, not kept
	// objectMeta checked a DNS-1123 subdomain; a Service's name is more
	// narrowly a DNS-1035 label.
	if np := m.child("metadata.name"); len(o.Name) <= 253 && dns1123Subdomain.MatchString(o.Name) {
		switch {
		case !dns1035Label.MatchString(o.Name):
			d.fail(d.lineOf(np), np, "a Service name must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit), got %q", o.Name)
		case len(o.Name) > 63:
			d.fail(d.lineOf(np), np, "a Service name must be at most 63 characters, got %d", len(o.Name))
		}
	}
	svc := objects.Service{Namespace: d.in.Intern(o.Namespace), Name: d.in.Intern(o.Name)}
	o.Service = &svc
	sn, ok := m.values["spec"]
	if !ok {
		d.fail(n.Line, m.child("spec"), "required field is missing")
		return
	}
	sp := m.child("spec")
	s, ok := d.k8sMapping(sn, sp, []string{"selector", "ports", "type", "clusterIP", "externalName", "publishNotReadyAddresses"},
		serviceSpecIgnored...)
	if !ok {
		return
	}
	typ, clusterIP, externalName := serviceClusterIP, "", ""
	var ports []servicePort
	optional(s, "selector", d.labels, &svc.Selector)
	optional(s, "ports", list(d, d.servicePort), &ports)
	optional(s, "type", d.str, &typ)
	optional(s, "clusterIP", d.str, &clusterIP)
	optional(s, "externalName", d.str, &externalName)
	optional(s, "publishNotReadyAddresses", d.boolean, &svc.PublishNotReadyAddresses)
	line := func(f string) (int, string) { p := s.child(f); return d.lineOf(p), p }
	if !slices.Contains(serviceTypes, typ) {
		l, p := line("type")
		d.fail(l, p, "unknown Service type %q%s; want %s", typ, didYouMean(typ, serviceTypes), quoteList(serviceTypes))
		return
	}
	svc.ExternalName = typ == serviceExternalName
	headless := clusterIP == "None"
	switch l, p := line("clusterIP"); {
	case clusterIP != "" && svc.ExternalName:
		d.fail(l, p, "must be empty for ExternalName services")
	case headless && (typ == serviceNodePort || typ == serviceLoadBalancer):
		d.fail(l, p, "may not be set to 'None' for %s services", typ)
	case clusterIP != "" && !headless && net.ParseIP(clusterIP) == nil:
		d.fail(l, p, "must be empty, 'None', or a valid IP address, got %q", clusterIP)
	}
	switch l, p := line("externalName"); {
	case svc.ExternalName && externalName == "":
		d.fail(l, p, "required field is missing for an ExternalName Service")
	case svc.ExternalName:
		d.subdomain(p, strings.TrimSuffix(externalName, "."))
	case externalName != "":
		d.warn(l, p, "only an ExternalName Service uses it; ignored")
	}
	if len(ports) == 0 && !headless && !svc.ExternalName {
		l, p := line("ports")
		d.fail(l, p, "required field is missing: a %s Service needs at least one port", typ)
	}
	svc.Ports = int32(len(ports))
	// validateServicePort: names are required when there are several, and
	// unique; (protocol, port) pairs are unique.
	for i, pt := range ports {
		ip := itemPath(s.child("ports"), i)
		switch {
		case pt.port == 0: // already reported
		case pt.name == "" && len(ports) > 1:
			d.fail(d.lineOf(ip), ip+".name", "required field is missing: a Service with several ports names each")
		case pt.name != "" && slices.ContainsFunc(ports[:i], func(o servicePort) bool { return o.name == pt.name }):
			d.fail(d.lineOf(ip+".name"), ip+".name", "duplicate port name %q", pt.name)
		case slices.ContainsFunc(ports[:i], func(o servicePort) bool { return o.port == pt.port && o.protocol == pt.protocol }):
			d.fail(d.lineOf(ip+".port"), ip+".port", "duplicate port %d/%s", pt.port, pt.protocol)
		}
	}
}

// servicePort reads one of a Service's ports: name, protocol (default
// TCP), port (1-65535) and targetPort (a port number or a port name;
// default: the port).
func (d *decoder) servicePort(n *yaml.Node, path string, dst *servicePort) bool {
	m, ok := d.k8sMapping(n, path, []string{"name", "protocol", "port", "targetPort"}, servicePortIgnored...)
	if !ok {
		return false
	}
	before := len(d.errs)
	pt := servicePort{protocol: "TCP"}
	var port int32
	optional(m, "name", d.str, &pt.name)
	optional(m, "protocol", d.str, &pt.protocol)
	required(m, "port", d.int32, &port)
	if pt.name != "" {
		d.label(m.child("name"), pt.name)
	}
	if !slices.Contains(servicePortProtocols, pt.protocol) {
		p := m.child("protocol")
		d.fail(d.lineOf(p), p, "unknown protocol %q%s; want %s", pt.protocol, didYouMean(pt.protocol, servicePortProtocols), quoteList(servicePortProtocols))
	}
	if _, ok := m.values["port"]; ok && (port < 1 || port > 65535) {
		p := m.child("port")
		d.fail(d.lineOf(p), p, "must be between 1 and 65535, inclusive, got %d", port)
	}
	if tn, ok := m.values["targetPort"]; ok {
		d.targetPort(tn, m.child("targetPort"))
	}
	if len(d.errs) > before {
		return false
	}
	pt.port = port
	*dst = pt
	return true
}

// targetPort checks an IntOrString target port: a number 1-65535 (0 is
// unset: the port), or the name of a container port.
func (d *decoder) targetPort(n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if msg := portNameProblem(n.Value); msg != "" {
			d.fail(n.Line, path, "a named port %s, got %q", msg, n.Value)
		}
		return
	}
	var v int32
	if !d.scalar(n, path, "a port number or a port name", "!!int") || !d.int32(n, path, &v) {
		return
	}
	if v < 0 || v > 65535 {
		d.fail(n.Line, path, "must be between 1 and 65535, inclusive, got %d", v)
	}
}
