package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// This file reads Kubernetes manifests — Deployment, ReplicaSet, Pod, Node
// and Service YAML as kubectl accepts it — into model/objects forms. Fields orrery
// models are checked as the API server's validation checks them (errors
// with file, line and field); fields it does not model are warnings, and
// the object is read without them. A key that is no Kubernetes field but
// close to a modeled one ("replica") is taken for a typo: an error.

// servedVersions is the apiVersion each kind is served at: apps/v1 for the
// workload kinds since 1.16 removed extensions/v1beta1, apps/v1beta1 and
// apps/v1beta2 (kubernetes.io/blog/2019/07/18/api-deprecations-in-1-16).
var servedVersions = map[ObjectKind]string{
	KindPod: "v1", KindNode: "v1", KindService: "v1", KindReplicaSet: "apps/v1", KindDeployment: "apps/v1",
}

var objectKinds = []string{string(KindPod), string(KindReplicaSet), string(KindDeployment), string(KindNode), string(KindService)}

// MaxObjects bounds the objects a scenario's manifests may hold (an orrery
// limit: the 150,000 pods of a large cluster come from Deployments, not
// from one manifest each).
const MaxObjects = 10000

// MaxManifestBytes bounds a manifest file: an orrery limit, against
// reading a wrong file whole. Kubernetes bounds each object instead: the
// API server decodes request bodies of at most 3 MiB (k8s.io/apiserver
// pkg/server/config.go NewConfig, MaxRequestBodyBytes).
const MaxManifestBytes = 16 << 20

// manifestReader returns how a scenario read from file reads the manifest
// files it names: relative to the scenario's directory, or for a built-in
// scenario ("builtin:NAME") from the embedded builtin/ directory. It
// returns the name to give the file in messages.
func manifestReader(file string) func(name string) (string, []byte, error) {
	return func(name string) (string, []byte, error) {
		if name == "" {
			return "", nil, errors.New("must not be empty")
		}
		if _, builtin := strings.CutPrefix(file, "builtin:"); builtin {
			clean := path.Clean(name)
			if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
				return "", nil, fmt.Errorf("a built-in scenario's manifest must be inside builtin/, got %q", name)
			}
			data, err := fs.ReadFile(builtinFiles, "builtin/"+clean)
			if err != nil {
				return "", nil, fmt.Errorf("no built-in manifest %q", name)
			}
			return "builtin:" + clean, data, nil
		}
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(file), name)
		}
		data, err := readRegular(p)
		if err != nil {
			return "", nil, err
		}
		return p, data, nil
	}
}

// readRegular reads a regular file of at most MaxManifestBytes.
func readRegular(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("reading manifest: %s is not a regular file", p)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("manifest %s is larger than %d bytes", p, MaxManifestBytes)
	}
	return data, nil
}

// objectEntries decodes spec.workload.objects: each item is an inline
// manifest or {file: path}.
func (d *decoder) objectEntries(n *yaml.Node, path string, dst *[]Object) bool {
	items, ok := d.items(n, path)
	if !ok {
		return false
	}
	var out []Object
	for i, item := range items {
		d.objectEntry(item, itemPath(path, i), &out)
	}
	*dst = out
	return true
}

// objectEntry decodes one inline manifest or {file: path} into out.
func (d *decoder) objectEntry(n *yaml.Node, path string, out *[]Object) {
	if n.Kind == yaml.MappingNode && hasKey(n, "file") {
		m, _ := d.mapping(n, path, "file")
		if fn, ok := m.values["file"]; ok {
			d.manifestFile(fn, m.child("file"), out)
		} else {
			d.fail(d.lines[m.child("file")], m.child("file"), "required field is empty")
		}
		return
	}
	d.manifest(n, path, out)
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// manifestFile reads the objects of a manifest file, one per YAML
// document; empty documents are skipped, as kubectl skips them. Problems
// inside the file name the file and its lines, and field paths from the
// document's top.
func (d *decoder) manifestFile(n *yaml.Node, path string, out *[]Object) {
	var name string
	if !d.str(n, path, &name) {
		return
	}
	file, data, err := d.readFile(name)
	if err != nil {
		d.fail(n.Line, path, "%v", err)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	before := len(*out)
	for {
		var doc yaml.Node
		err := decodeNode(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.errs = append(d.errs, syntaxError(file, err))
			return
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		sub := &decoder{file: file, set: d.set, lines: map[string]int{}, in: d.in}
		sub.manifest(resolve(doc.Content[0]), "", out)
		d.errs = append(d.errs, sub.errs...)
		d.warns = append(d.warns, sub.warns...)
		if len(*out) > MaxObjects {
			// Dropped, so that the workload's own count does not report
			// the same excess again.
			d.fail(n.Line, path, "more than %d objects", MaxObjects)
			*out = (*out)[:before]
			return
		}
	}
	if len(*out) == before && !slices.ContainsFunc(d.errs, func(e *Error) bool { return e.File == file }) &&
		!slices.ContainsFunc(d.warns, func(e *Error) bool { return e.File == file }) {
		d.fail(n.Line, path, "manifest %s holds no objects", file)
	}
}

// k8sMapping reads a mapping of a Kubernetes manifest. Keys in modeled are
// kept; keys in ignored (Kubernetes fields orrery does not model) and keys
// it does not know are warnings, except a near miss of a modeled key,
// which is an error.
func (d *decoder) k8sMapping(n *yaml.Node, path string, modeled []string, ignored ...string) (*mapping, bool) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return nil, false
	}
	return d.mappingOf(n, path, modeled, func(key *yaml.Node, sub string) {
		switch dym := didYouMean(key.Value, modeled); {
		case slices.Contains(ignored, key.Value):
			d.warn(key.Line, sub, "not modeled by orrery; ignored")
		case dym != "":
			d.fail(key.Line, sub, "unknown field%s", dym)
		default:
			d.warn(key.Line, sub, "unknown field; ignored")
		}
	}), true
}

// manifest decodes one Kubernetes object (or a v1 List of them) into out.
func (d *decoder) manifest(n *yaml.Node, path string, out *[]Object) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a Kubernetes object (apiVersion, kind, metadata, spec)")
		return
	}
	var apiVersion, kind string
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k, v := n.Content[i], resolve(n.Content[i+1]); k.Value {
		case "apiVersion":
			d.lines[childPath(path, k.Value)] = k.Line
			d.str(v, childPath(path, "apiVersion"), &apiVersion)
		case "kind":
			d.lines[childPath(path, k.Value)] = k.Line
			d.str(v, childPath(path, "kind"), &kind)
		}
	}
	switch {
	case kind == "" && !hasKey(n, "kind"):
		d.fail(n.Line, childPath(path, "kind"), "required field is missing: Pod, ReplicaSet, Deployment, Node or Service")
		return
	case kind == "":
		return // reported by str
	case kind == "List" && apiVersion == "v1":
		m, _ := d.k8sMapping(n, path, []string{"apiVersion", "kind", "items"}, "metadata")
		if items, ok := m.values["items"]; ok {
			if list, ok := d.items(items, m.child("items")); ok {
				for i, it := range list {
					d.manifest(it, itemPath(m.child("items"), i), out)
				}
			}
		}
		return
	case !slices.Contains(objectKinds, kind):
		if dym := didYouMean(kind, objectKinds); dym != "" {
			d.fail(d.lineOf(childPath(path, "kind")), childPath(path, "kind"), "unknown kind %q%s", kind, dym)
		} else {
			d.warn(n.Line, path, "kind %s is not modeled by orrery (only %s); object ignored", kind, quoteList(objectKinds))
		}
		return
	}
	k := ObjectKind(kind)
	if want := servedVersions[k]; apiVersion != want {
		p := childPath(path, "apiVersion")
		switch {
		case apiVersion == "" && !hasKey(n, "apiVersion"):
			d.fail(n.Line, p, "required field is missing: %s for a %s", want, kind)
		case apiVersion != "":
			d.fail(d.lineOf(p), p, "%s is served as %s, not %q (extensions/v1beta1 and apps/v1beta1, v1beta2 were removed in 1.16)", kind, want, apiVersion)
		}
		return
	}
	o := Object{Kind: k, File: d.file, Line: n.Line, path: path}
	switch k {
	case KindPod:
		d.podObject(n, path, &o)
	case KindReplicaSet:
		d.replicaSetObject(n, path, &o)
	case KindDeployment:
		d.deploymentObject(n, path, &o)
	case KindNode:
		d.nodeObject(n, path, &o)
	case KindService:
		d.serviceObject(n, path, &o)
	}
	*out = append(*out, o)
}

// lineOf is the line of path, or of its nearest ancestor the file names.
func (d *decoder) lineOf(path string) int { return lineIn(d.lines, path) }

// failObjects reports an error from model/objects' validation at the
// field it names (its message starts "objects: FIELD: ..."), under path.
func (d *decoder) failObjects(path string, err error) {
	msg := strings.TrimPrefix(err.Error(), "objects: ")
	p := path
	if field, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsRune(field, ' ') {
		p, msg = childPath(path, field), rest
	}
	d.fail(d.lineOf(p), p, "%s", msg)
}

// metaIgnored are the ObjectMeta fields orrery does not model.
var metaIgnored = []string{"annotations", "generateName", "uid", "resourceVersion", "generation", "creationTimestamp",
	"deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields", "selfLink"}

// objectMeta reads an object's metadata: name, namespace (default
// "default"; none for a cluster-scoped Node) and labels.
func (d *decoder) objectMeta(m *mapping, o *Object) (labels objects.Labels) {
	n, ok := m.values["metadata"]
	if !ok {
		d.fail(d.lineOf(m.child("metadata")), m.child("metadata"), "required field is missing")
		return nil
	}
	mm, ok := d.k8sMapping(n, m.child("metadata"), []string{"name", "namespace", "labels"}, metaIgnored...)
	if !ok {
		return nil
	}
	if o.Kind == KindNode {
		if _, set := mm.values["namespace"]; set {
			d.warn(d.lines[mm.child("namespace")], mm.child("namespace"), "a Node is cluster-scoped; namespace ignored")
		}
	}
	required(mm, "name", d.str, &o.Name)
	if _, ok := mm.values["name"]; ok {
		d.subdomain(mm.child("name"), o.Name)
	}
	if o.Kind != KindNode {
		o.Namespace = SharedNamespace
		if optional(mm, "namespace", d.str, &o.Namespace) {
			d.label(mm.child("namespace"), o.Namespace)
		}
	}
	optional(mm, "labels", d.labels, &labels)
	return labels
}

// dns1123Subdomain: object names (apimachinery IsDNS1123Subdomain).
var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// subdomain checks an object name, as ValidateObjectMeta does.
func (d *decoder) subdomain(path, name string) bool {
	switch {
	case len(name) > 253:
		d.fail(d.lineOf(path), path, "must be at most 253 characters, got %d", len(name))
	case !dns1123Subdomain.MatchString(name):
		d.fail(d.lineOf(path), path, "must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit), got %q", name)
	default:
		return true
	}
	return false
}

// label checks a DNS-1123 label (a namespace, a container name).
func (d *decoder) label(path, name string) bool {
	switch {
	case len(name) > 63:
		d.fail(d.lineOf(path), path, "must be at most 63 characters, got %d", len(name))
	case !dns1123Label.MatchString(name):
		d.fail(d.lineOf(path), path, "must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit), got %q", name)
	default:
		return true
	}
	return false
}

// qualifiedNameProblem explains why key is not a label key (an optional
// DNS-subdomain prefix and "/", then a name of at most 63 characters), or
// returns "".
func qualifiedNameProblem(key string) string {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		if prefix == "" || len(prefix) > 253 || !dns1123Subdomain.MatchString(prefix) {
			return fmt.Sprintf("prefix of %q must be a DNS-1123 subdomain", key)
		}
		name = rest
	}
	if len(name) > 63 || !qualifiedNamePart.MatchString(name) {
		return fmt.Sprintf("%q is not a qualified name (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, with an optional DNS-subdomain prefix and '/')", key)
	}
	return ""
}

// labelValueProblem explains why v is not a label value, or returns "".
func labelValueProblem(v string) string {
	if v == "" || len(v) <= 63 && qualifiedNamePart.MatchString(v) {
		return ""
	}
	return fmt.Sprintf("%q is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)", v)
}

// labels reads a mapping of label keys to string values (metadata.labels,
// matchLabels, nodeSelector) into a label set.
func (d *decoder) labels(n *yaml.Node, path string, dst *objects.Labels) bool {
	pairs, ok := d.stringMap(n, path)
	if !ok {
		return false
	}
	ls := make([]objects.Label, 0, len(pairs))
	good := true
	for _, p := range pairs {
		kp := childPath(path, p.Key)
		if msg := qualifiedNameProblem(p.Key); msg != "" {
			d.fail(d.lines[kp], kp, "%s", msg)
			good = false
		}
		if msg := labelValueProblem(p.Value); msg != "" {
			d.fail(d.lines[kp], kp, "%s", msg)
			good = false
		}
		ls = append(ls, objects.Label{Key: d.in.Intern(p.Key), Value: d.in.Intern(p.Value)})
	}
	if !good {
		return false
	}
	*dst, _ = objects.MakeLabels(ls...)
	return true
}

// stringMap reads a mapping of strings to strings, in file order. As in
// Kubernetes' JSON decoding, a value must be a string: a number or a
// boolean must be quoted; an empty value is "".
func (d *decoder) stringMap(n *yaml.Node, path string) ([]KeyValue, bool) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping of strings to strings")
		return nil, false
	}
	var out []KeyValue
	first := map[string]int{}
	good := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], resolve(n.Content[i+1])
		if !d.checkKey(key, path) {
			good = false
			continue
		}
		kp := childPath(path, key.Value)
		if line, dup := first[key.Value]; dup {
			d.fail(key.Line, kp, "duplicate key (first set at line %d)", line)
			good = false
			continue
		}
		first[key.Value] = key.Line
		d.lines[kp] = key.Line
		v := ""
		if value != nil && !isNull(value) {
			if value.Kind == yaml.ScalarNode && value.ShortTag() != "!!str" {
				d.fail(value.Line, kp, "expected a string, got %s (quote it: %q)", describe(value), value.Value)
				good = false
				continue
			}
			if !d.str(value, kp, &v) {
				good = false
				continue
			}
		}
		out = append(out, KeyValue{Key: key.Value, Value: v})
	}
	return out, good
}

// labelSelector reads a metav1.LabelSelector.
func (d *decoder) labelSelector(n *yaml.Node, path string, dst **objects.LabelSelector) bool {
	m, ok := d.k8sMapping(n, path, []string{"matchLabels", "matchExpressions"})
	if !ok {
		return false
	}
	sel := &objects.LabelSelector{}
	before := len(d.errs)
	optional(m, "matchLabels", d.labels, &sel.MatchLabels)
	optional(m, "matchExpressions", list(d, d.requirementOf(false)), &sel.MatchExpressions)
	if len(d.errs) > before {
		return false
	}
	*dst = sel
	return true
}

// requirementOf decodes a matchExpressions entry; numeric admits Gt and
// Lt, as node selector terms do.
func (d *decoder) requirementOf(numeric bool) decodeFunc[objects.Requirement] {
	ops := []string{"In", "NotIn", "Exists", "DoesNotExist"}
	if numeric {
		ops = append(ops, "Gt", "Lt")
	}
	return func(n *yaml.Node, path string, dst *objects.Requirement) bool {
		m, ok := d.k8sMapping(n, path, []string{"key", "operator", "values"})
		if !ok {
			return false
		}
		before := len(d.errs)
		var key, op string
		var values []string
		required(m, "key", d.str, &key)
		required(m, "operator", d.str, &op)
		optional(m, "values", d.stringList, &values)
		if len(d.errs) > before {
			return false
		}
		if msg := qualifiedNameProblem(key); msg != "" {
			d.fail(d.lineOf(m.child("key")), m.child("key"), "%s", msg)
			return false
		}
		i := slices.Index(ops, op)
		if i < 0 {
			d.fail(d.lineOf(m.child("operator")), m.child("operator"), "unknown operator %q%s; want %s", op, didYouMean(op, ops), quoteList(ops))
			return false
		}
		r := objects.Requirement{Key: d.in.Intern(key), Op: objects.Operator(i)}
		vp := m.child("values")
		switch r.Op {
		case objects.OpIn, objects.OpNotIn:
			if len(values) == 0 {
				d.fail(d.lineOf(vp), vp, "must be specified when operator is In or NotIn")
				return false
			}
		case objects.OpExists, objects.OpDoesNotExist:
			if len(values) != 0 {
				d.fail(d.lineOf(vp), vp, "may not be specified when operator is Exists or DoesNotExist")
				return false
			}
		case objects.OpGt, objects.OpLt:
			// pkg/apis/core/validation ValidateNodeSelectorRequirement: one
			// value, an integer.
			if len(values) != 1 {
				d.fail(d.lineOf(vp), vp, "must be one value when operator is Gt or Lt")
				return false
			}
			num, err := strconv.ParseInt(values[0], 10, 64)
			if err != nil {
				d.fail(d.lineOf(vp), vp, "must be an integer when operator is Gt or Lt, got %q", values[0])
				return false
			}
			r.Num = num
			*dst = r
			return true
		}
		for j, v := range values {
			if msg := labelValueProblem(v); msg != "" {
				d.fail(d.lineOf(itemPath(vp, j)), itemPath(vp, j), "%s", msg)
				return false
			}
			r.Values = append(r.Values, d.in.Intern(v))
		}
		*dst = r
		return true
	}
}

// int32 reads an integer that fits an int32 (replicas, seconds).
func (d *decoder) int32(n *yaml.Node, path string, dst *int32) bool {
	var v int
	if !d.int(n, path, &v) {
		return false
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail(n.Line, path, "integer %d is out of range", v)
		return false
	}
	*dst = int32(v)
	return true
}

// nonNegative32 reads an int32 that must be ≥ 0.
func (d *decoder) nonNegative32(n *yaml.Node, path string, dst *int32) bool {
	var v int32
	if !d.int32(n, path, &v) {
		return false
	}
	if v < 0 {
		d.fail(n.Line, path, "must be greater than or equal to 0, got %d", v)
		return false
	}
	*dst = v
	return true
}

func (d *decoder) int64(n *yaml.Node, path string, dst *int64) bool {
	var v int
	if !d.int(n, path, &v) {
		return false
	}
	*dst = int64(v)
	return true
}

var percent = regexp.MustCompile(`^[0-9]+%$`)

// intOrPercent reads maxSurge or maxUnavailable: an integer or a string
// "N%" (apps validation ValidatePositiveIntOrPercent: a string must be a
// percentage; both must be ≥ 0).
func (d *decoder) intOrPercent(n *yaml.Node, path string, dst *objects.IntOrPercent) bool {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if !percent.MatchString(n.Value) {
			d.fail(n.Line, path, "must be an integer or a percentage such as \"25%%\", got %q", n.Value)
			return false
		}
		v, err := objects.ParseIntOrPercent(n.Value)
		if err != nil {
			d.fail(n.Line, path, "%v", err)
			return false
		}
		*dst = v
		return true
	}
	var v int32
	if !d.scalar(n, path, `an integer or a percentage such as "25%"`, "!!int") || !d.nonNegative32(n, path, &v) {
		return false
	}
	*dst = objects.Int(v)
	return true
}

// podTemplate reads a PodTemplateSpec: metadata.labels and spec.
func (d *decoder) podTemplate(n *yaml.Node, path string, dst *objects.PodTemplate) bool {
	m, ok := d.k8sMapping(n, path, []string{"metadata", "spec"})
	if !ok {
		return false
	}
	before := len(d.errs)
	if meta, ok := m.values["metadata"]; ok {
		ignored := append([]string{"name", "namespace"}, metaIgnored...)
		if mm, ok := d.k8sMapping(meta, m.child("metadata"), []string{"labels"}, ignored...); ok {
			optional(mm, "labels", d.labels, &dst.Labels)
		}
	}
	if sn, ok := m.values["spec"]; ok {
		d.podSpec(sn, m.child("spec"), dst, nil)
	} else {
		d.fail(d.lineOf(m.child("spec")), m.child("spec"), "required field is missing")
	}
	return len(d.errs) == before
}

// Fields orrery does not model: the status of a Deployment, ReplicaSet or
// Pod (topIgnored; a Node's is read), and of a Deployment's spec
// (deploymentIgnored).
var (
	topIgnored        = []string{"status"}
	deploymentIgnored = []string{"paused"}
)

func (d *decoder) deploymentObject(n *yaml.Node, path string, o *Object) {
	m, _ := d.k8sMapping(n, path, []string{"apiVersion", "kind", "metadata", "spec"}, topIgnored...)
	d.objectMeta(m, o) // a Deployment's own labels are checked, not kept
	dep := objects.NewDeployment()
	dep.Namespace, dep.Name = d.in.Intern(o.Namespace), d.in.Intern(o.Name)
	o.Deployment = &dep
	sn, ok := m.values["spec"]
	if !ok {
		d.fail(n.Line, m.child("spec"), "required field is missing")
		return
	}
	sp := m.child("spec")
	s, ok := d.k8sMapping(sn, sp, []string{"replicas", "selector", "template", "strategy", "minReadySeconds",
		"revisionHistoryLimit", "progressDeadlineSeconds"}, deploymentIgnored...)
	if !ok {
		return
	}
	before := len(d.errs)
	optional(s, "replicas", d.nonNegative32, &dep.Replicas)
	var sel *objects.LabelSelector
	required(s, "selector", d.labelSelector, &sel)
	required(s, "template", d.podTemplate, &dep.Template)
	optional(s, "strategy", d.strategy, &dep)
	optional(s, "minReadySeconds", d.nonNegative32, &dep.MinReadySeconds)
	optional(s, "revisionHistoryLimit", d.nonNegative32, &dep.RevisionHistoryLimit)
	optional(s, "progressDeadlineSeconds", d.nonNegative32, &dep.ProgressDeadlineSeconds)
	if len(d.errs) > before {
		return
	}
	dep.Selector = *sel
	d.checkSelector(sp, &dep.Selector, &dep.Template)
	if len(d.errs) > before {
		return
	}
	if err := dep.Validate(d.in); err != nil {
		d.failObjects(sp, err)
	}
}

// checkSelector reports an empty selector or one that does not select the
// template's labels, as apps validation does.
func (d *decoder) checkSelector(specPath string, sel *objects.LabelSelector, t *objects.PodTemplate) {
	sp := childPath(specPath, "selector")
	switch {
	case sel.Empty():
		d.fail(d.lineOf(sp), sp, "empty selector is invalid for a workload")
	case !sel.Matches(t.Labels, d.in):
		lp := childPath(specPath, "template.metadata.labels")
		d.fail(d.lineOf(lp), lp, "selector does not match template labels")
	}
}

// strategy reads a Deployment's strategy into dep.
func (d *decoder) strategy(n *yaml.Node, path string, dep *objects.Deployment) bool {
	m, ok := d.k8sMapping(n, path, []string{"type", "rollingUpdate"})
	if !ok {
		return false
	}
	typ := "RollingUpdate"
	optional(m, "type", d.str, &typ)
	switch typ {
	case "RollingUpdate":
		dep.Strategy = objects.RollingUpdate
		if ru, ok := m.values["rollingUpdate"]; ok {
			if r, ok := d.k8sMapping(ru, m.child("rollingUpdate"), []string{"maxSurge", "maxUnavailable"}); ok {
				optional(r, "maxSurge", d.intOrPercent, &dep.MaxSurge)
				optional(r, "maxUnavailable", d.intOrPercent, &dep.MaxUnavailable)
			}
		}
	case "Recreate":
		// SetDefaults_Deployment fills rollingUpdate only for RollingUpdate;
		// validation forbids it with Recreate.
		dep.Strategy = objects.Recreate
		dep.MaxSurge, dep.MaxUnavailable = objects.IntOrPercent{}, objects.IntOrPercent{}
		if _, ok := m.values["rollingUpdate"]; ok {
			d.fail(d.lines[m.child("rollingUpdate")], m.child("rollingUpdate"), "may not be specified when strategy type is Recreate")
			return false
		}
	default:
		types := []string{"RollingUpdate", "Recreate"}
		d.fail(d.lines[m.child("type")], m.child("type"), "unknown strategy type %q%s; want %s", typ, didYouMean(typ, types), quoteList(types))
		return false
	}
	return true
}

func (d *decoder) replicaSetObject(n *yaml.Node, path string, o *Object) {
	m, _ := d.k8sMapping(n, path, []string{"apiVersion", "kind", "metadata", "spec"}, topIgnored...)
	d.objectMeta(m, o)
	// SetDefaults_ReplicaSet: 1 replica (pkg/apis/apps/v1/defaults.go).
	rs := objects.ReplicaSet{Replicas: objects.DefaultReplicas, Namespace: d.in.Intern(o.Namespace), Name: d.in.Intern(o.Name)}
	o.ReplicaSet = &rs
	sn, ok := m.values["spec"]
	if !ok {
		d.fail(n.Line, m.child("spec"), "required field is missing")
		return
	}
	sp := m.child("spec")
	s, ok := d.k8sMapping(sn, sp, []string{"replicas", "selector", "template", "minReadySeconds"})
	if !ok {
		return
	}
	before := len(d.errs)
	optional(s, "replicas", d.nonNegative32, &rs.Replicas)
	var sel *objects.LabelSelector
	required(s, "selector", d.labelSelector, &sel)
	required(s, "template", d.podTemplate, &rs.Template)
	optional(s, "minReadySeconds", d.nonNegative32, &rs.MinReadySeconds)
	if len(d.errs) > before {
		return
	}
	rs.Selector = *sel
	d.checkSelector(sp, &rs.Selector, &rs.Template)
	if len(d.errs) > before {
		return
	}
	if err := rs.Validate(d.in); err != nil {
		d.failObjects(sp, err)
	}
}

func (d *decoder) podObject(n *yaml.Node, path string, o *Object) {
	m, _ := d.k8sMapping(n, path, []string{"apiVersion", "kind", "metadata", "spec"}, topIgnored...)
	labels := d.objectMeta(m, o)
	pod := objects.Pod{Namespace: d.in.Intern(o.Namespace), Name: d.in.Intern(o.Name), Labels: labels, NodeName: objects.NoNode}
	o.Pod = &pod
	sn, ok := m.values["spec"]
	if !ok {
		d.fail(n.Line, m.child("spec"), "required field is missing")
		return
	}
	t := objects.PodTemplate{Labels: labels}
	if d.podSpec(sn, m.child("spec"), &t, o) {
		pod.Spec = t.Spec
	}
}

// Node fields orrery does not model.
var (
	nodeSpecIgnored   = []string{"podCIDR", "podCIDRs", "providerID", "configSource", "externalID"}
	nodeStatusIgnored = []string{"conditions", "addresses", "daemonEndpoints", "nodeInfo", "phase", "volumesInUse",
		"volumesAttached", "config", "runtimeHandlers", "features"}
)

// nodeObject reads a Node: labels, spec.taints and unschedulable,
// status.allocatable (or capacity) and images. It is one more node with a
// kubelet, beside the pools' nodes.
func (d *decoder) nodeObject(n *yaml.Node, path string, o *Object) {
	m, _ := d.k8sMapping(n, path, []string{"apiVersion", "kind", "metadata", "spec", "status"})
	labels := d.objectMeta(m, o)
	node := objects.Node{Name: d.in.Intern(o.Name), Labels: labels}
	o.Node = &node
	before := len(d.errs)
	if sn, ok := m.values["spec"]; ok {
		if s, ok := d.k8sMapping(sn, m.child("spec"), []string{"taints", "unschedulable"}, nodeSpecIgnored...); ok {
			optional(s, "taints", list(d, d.nodeTaint), &node.Taints)
			optional(s, "unschedulable", d.boolean, &node.Unschedulable)
		}
	}
	if sn, ok := m.values["status"]; ok {
		if s, ok := d.k8sMapping(sn, m.child("status"), []string{"capacity", "allocatable", "images"}, nodeStatusIgnored...); ok {
			// The scheduler reads allocatable; a manifest with capacity
			// only gets it as allocatable (no reservations).
			key := "allocatable"
			if _, ok := s.values[key]; !ok {
				key = "capacity"
			}
			if rn, ok := s.values[key]; ok {
				d.nodeResources(rn, s.child(key), &node)
			}
			if key == "allocatable" {
				if _, ok := s.values["capacity"]; ok {
					d.warn(d.lines[s.child("capacity")], s.child("capacity"), "not modeled by orrery beside allocatable; ignored")
				}
			}
			optional(s, "images", list(d, d.nodeImage), &node.Images)
		}
	}
	if len(d.errs) > before {
		return
	}
	if err := node.Finish(); err != nil {
		d.failObjects(path, err)
	}
}

// nodeResources reads a node's allocatable cpu, memory and pods.
func (d *decoder) nodeResources(n *yaml.Node, path string, node *objects.Node) {
	m, ok := d.resourceMapping(n, path, "pods")
	if !ok {
		return
	}
	optional(m, "cpu", d.quantity(objects.ParseCPU), &node.Allocatable.MilliCPU)
	optional(m, "memory", d.quantity(objects.ParseMemory), &node.Allocatable.Memory)
	optional(m, "pods", d.quantity(parseValue), &node.MaxPods)
}

// resourceMapping reads a resource list (requests, limits, allocatable):
// cpu, memory and the extra names given are modeled; other resources
// (ephemeral-storage, hugepages-*, extended resources) are warnings.
func (d *decoder) resourceMapping(n *yaml.Node, path string, extra ...string) (*mapping, bool) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping of resource names to quantities")
		return nil, false
	}
	modeled := append([]string{"cpu", "memory"}, extra...)
	return d.mappingOf(n, path, modeled, func(key *yaml.Node, sub string) {
		d.warn(key.Line, sub, "resource %q is not modeled by orrery (only %s); ignored", key.Value, quoteList(modeled))
	}), true
}

func (d *decoder) nodeTaint(n *yaml.Node, path string, dst *objects.Taint) bool {
	m, ok := d.k8sMapping(n, path, []string{"key", "value", "effect"}, "timeAdded")
	if !ok {
		return false
	}
	var t PoolTaint
	before := len(d.errs)
	required(m, "key", d.str, &t.Key)
	optional(m, "value", d.str, &t.Value)
	required(m, "effect", d.str, &t.Effect)
	if len(d.errs) > before || !d.taint(path, t) {
		return false
	}
	*dst = objects.Taint{Key: d.in.Intern(t.Key), Value: d.in.Intern(t.Value), Effect: taintEffects[t.Effect]}
	return true
}

// taint checks a taint as validateNodeTaints does: a qualified-name key, a
// label-value value, one of the three effects.
func (d *decoder) taint(path string, t PoolTaint) bool {
	good := true
	if msg := qualifiedNameProblem(t.Key); msg != "" {
		d.fail(d.lineOf(path+".key"), path+".key", "%s", msg)
		good = false
	}
	if msg := labelValueProblem(t.Value); msg != "" {
		d.fail(d.lineOf(path+".value"), path+".value", "%s", msg)
		good = false
	}
	if _, ok := taintEffects[t.Effect]; !ok {
		d.fail(d.lineOf(path+".effect"), path+".effect", "unknown effect %q%s; want %s", t.Effect, didYouMean(t.Effect, taintEffectNames), quoteList(taintEffectNames))
		good = false
	}
	return good
}

// nodeImage reads a status.images entry: names and sizeBytes. The model
// keeps one name per image: the first with a tag (not a digest).
func (d *decoder) nodeImage(n *yaml.Node, path string, dst *objects.NodeImage) bool {
	m, ok := d.k8sMapping(n, path, []string{"names", "sizeBytes"})
	if !ok {
		return false
	}
	var names []string
	var size int64
	before := len(d.errs)
	required(m, "names", d.stringList, &names)
	optional(m, "sizeBytes", d.int64, &size)
	if len(d.errs) > before {
		return false
	}
	if len(names) == 0 {
		d.fail(d.lineOf(m.child("names")), m.child("names"), "must list at least one name")
		return false
	}
	if size < 0 {
		d.fail(d.lineOf(m.child("sizeBytes")), m.child("sizeBytes"), "must not be negative, got %d", size)
		return false
	}
	name := names[0]
	if i := slices.IndexFunc(names, func(s string) bool { return !strings.Contains(s, "@") }); i >= 0 {
		name = names[i]
	}
	*dst = objects.NodeImage{Name: d.in.Intern(objects.NormalizeImageName(name)), Size: size}
	return true
}
