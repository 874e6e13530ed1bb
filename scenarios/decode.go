package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orrery-sim/orrery/model/objects"
)

// decoder walks a yaml.Node tree into a Scenario. It checks shapes and
// types (not values: see validate.go), collects every problem with its line,
// and remembers which fields the file set, so that defaults never overwrite
// them — even where the user's value equals the zero value.
type decoder struct {
	file string
	errs []*Error
	// set holds a pointer to every field the file gave a value.
	set fieldSet
	// lines maps each field path the file mentions to its line.
	lines map[string]int
	// warns are problems that do not stop the parse: fields of Kubernetes
	// manifests that orrery does not model.
	warns []*Error
	// in interns the symbols of the workload's objects.
	in *objects.Interner
	// readFile reads a manifest named by a file: field (see manifestReader).
	readFile func(name string) (file string, data []byte, err error)
}

// fieldSet holds pointers to struct fields (as any: *int, *time.Duration,
// ...). A pointer's type and address together name one field.
type fieldSet map[any]bool

func newDecoder(file string) *decoder {
	return &decoder{file: file, set: fieldSet{}, lines: map[string]int{}, in: objects.NewInterner(), readFile: manifestReader(file)}
}

func (d *decoder) fail(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warn(line int, path, format string, args ...any) {
	d.warns = append(d.warns, &Error{File: d.file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	d.fail(n.Line, path, "expected %s, got %s", want, describe(n))
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "an empty value"
		}
		return fmt.Sprintf("a value tagged %s", n.ShortTag())
	}
	return "an unexpected YAML node"
}

// resolve follows an alias (*name) to the node its anchor (&name) marks.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n != nil && n.Kind == yaml.AliasNode; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// childPath is the path of field key inside the mapping at path.
func childPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func itemPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// mapping is a YAML mapping whose keys have been checked against a schema.
type mapping struct {
	d    *decoder
	path string
	// line is where missing fields are reported: the line of the key (or
	// list item) that holds the mapping.
	line int
	// keys lists the known keys with a non-null value, in file order.
	keys   []string
	values map[string]*yaml.Node
}

// mapping reads n as a mapping whose keys all come from known. It reports
// unknown, duplicate and non-string keys and skips them; ok is false when n
// is not a mapping at all. A key with an empty (null) value counts as
// absent, so "faults:" with nothing under it means no faults.
func (d *decoder) mapping(n *yaml.Node, path string, known ...string) (m *mapping, ok bool) {
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.fail(n.Line, "", "expected a mapping at the top level (apiVersion, kind, metadata, spec), got %s", describe(n))
		} else {
			d.wrongType(n, path, "a mapping")
		}
		return nil, false
	}
	return d.mappingOf(n, path, known, func(key *yaml.Node, sub string) {
		if why, removed := removedFields[sub]; removed {
			d.fail(key.Line, sub, "%s", why)
		} else {
			d.fail(key.Line, sub, "unknown field%s", didYouMean(key.Value, known))
		}
	}), true
}

// mappingOf reads the mapping n, keeping the keys in known and handing
// every other (string, first-seen) key to unknown with its field path.
func (d *decoder) mappingOf(n *yaml.Node, path string, known []string, unknown func(key *yaml.Node, sub string)) *mapping {
	m := &mapping{d: d, path: path, line: n.Line, values: map[string]*yaml.Node{}}
	if line, ok := d.lines[path]; ok && path != "" {
		m.line = line
	}
	firstLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], resolve(n.Content[i+1])
		if !d.checkKey(key, path) {
			continue
		}
		name, sub := key.Value, childPath(path, key.Value)
		if line, dup := firstLine[name]; dup {
			d.fail(key.Line, sub, "duplicate key (first set at line %d)", line)
			continue
		}
		firstLine[name] = key.Line
		if !slices.Contains(known, name) {
			unknown(key, sub)
			continue
		}
		d.lines[sub] = key.Line
		if value == nil || isNull(value) {
			continue
		}
		m.keys = append(m.keys, name)
		m.values[name] = value
	}
	return m
}

// removedFields explains fields that older scenario files used, by path:
// their names are too far from any current one for a suggestion.
var removedFields = map[string]string{
	"spec.cluster.storage": "replaced by spec.cluster.etcd, a modeled etcd cluster: " +
		"storage.commitLatency becomes etcd.walFsync (the disk) plus etcd.peerLatency (replication) and etcd.backendCommit; " +
		"storage.readLatency becomes etcd.readCost",
	"spec.cluster.apiServer.queueLength": "removed: with priorityAndFairness on, each priority level has its own queues " +
		"(the bootstrap configuration's queueLengthLimit 50); with it off, the max-inflight filter has no queue",
	"spec.cluster.apiServer.queueWaitLimit": "removed: APF's queue wait limit is a quarter of apiServer.requestTimeout, at most 1m",
	"spec.cluster.apiServer.serviceTime": "replaced by apiServer.costs: CPU time per pipeline stage " +
		"(authentication, authorization, admission, decode, encode, watch sends) on apiServer.cpus cores",
}

// checkKey reports keys that are not plain strings (numbers, lists, "<<").
func (d *decoder) checkKey(key *yaml.Node, path string) bool {
	switch {
	case key.Kind == yaml.ScalarNode && key.ShortTag() == "!!str":
		return true
	case key.ShortTag() == "!!merge":
		d.fail(key.Line, path, "merge keys (<<) are not supported: write the fields out")
	default:
		d.fail(key.Line, path, "keys must be strings, got %s", describe(key))
	}
	return false
}

func (m *mapping) child(key string) string { return childPath(m.path, key) }

// decodeFunc decodes node n (at field path) into *dst; false if it reported
// a problem, in which case *dst is unchanged.
type decodeFunc[T any] func(n *yaml.Node, path string, dst *T) bool

// optional decodes m[key] into dst if present, and reports whether it was.
func optional[T any](m *mapping, key string, decode decodeFunc[T], dst *T) bool {
	n, ok := m.values[key]
	if !ok {
		return false
	}
	if decode(n, m.child(key), dst) {
		m.d.set[dst] = true
	}
	return true
}

// required is optional, plus a problem when the key is missing.
func required[T any](m *mapping, key string, decode decodeFunc[T], dst *T) {
	if optional(m, key, decode, dst) {
		return
	}
	if line, written := m.d.lines[m.child(key)]; written {
		m.d.fail(line, m.child(key), "required field is empty")
		return
	}
	m.d.fail(m.line, m.child(key), "required field is missing")
}

// items returns the (alias-resolved) items of the list n and records each
// item's line under its path "path[i]".
func (d *decoder) items(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, "a list")
		return nil, false
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		d.lines[itemPath(path, i)] = item.Line
		out[i] = resolve(item)
		if out[i] == nil {
			out[i] = item
		}
	}
	return out, true
}

// list returns a decoder for a list, each item decoded by item. The items
// are allocated at once, so that pointers recorded in d.set stay valid.
// An item decoder that keeps its item's line reads it from d.lines[path].
func list[T any](d *decoder, item decodeFunc[T]) decodeFunc[[]T] {
	return func(n *yaml.Node, path string, dst *[]T) bool {
		items, ok := d.items(n, path)
		if !ok {
			return false
		}
		out := make([]T, len(items))
		for i, it := range items {
			item(it, itemPath(path, i), &out[i])
		}
		*dst = out
		return true
	}
}

// scalar checks that n is a scalar with one of the given YAML tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) bool {
	if n.Kind == yaml.ScalarNode && slices.Contains(tags, n.ShortTag()) {
		return true
	}
	d.wrongType(n, path, want)
	return false
}

func (d *decoder) str(n *yaml.Node, path string, dst *string) bool {
	if !d.scalar(n, path, "a string", "!!str") {
		return false
	}
	*dst = n.Value
	return true
}

func (d *decoder) stringList(n *yaml.Node, path string, dst *[]string) bool {
	items, ok := d.items(n, path)
	if !ok {
		return false
	}
	out := make([]string, len(items))
	good := true
	for i, item := range items {
		good = d.str(item, itemPath(path, i), &out[i]) && good
	}
	if good {
		*dst = out
	}
	return good
}

func (d *decoder) int(n *yaml.Node, path string, dst *int) bool {
	if isHugeInteger(n) {
		d.fail(n.Line, path, "integer %s is out of range", n.Value)
		return false
	}
	if !d.scalar(n, path, "an integer", "!!int") {
		return false
	}
	var v int
	if err := n.Decode(&v); err != nil {
		d.fail(n.Line, path, "integer %s is out of range", n.Value)
		return false
	}
	*dst = v
	return true
}

func (d *decoder) uint64(n *yaml.Node, path string, dst *uint64) bool {
	if isHugeInteger(n) && !strings.HasPrefix(n.Value, "-") {
		d.fail(n.Line, path, "integer %s is out of range", n.Value)
		return false
	}
	if !d.scalar(n, path, "a non-negative integer", "!!int") {
		return false
	}
	if strings.HasPrefix(n.Value, "-") {
		d.fail(n.Line, path, "must not be negative, got %s", n.Value)
		return false
	}
	var v uint64
	if err := n.Decode(&v); err != nil {
		d.fail(n.Line, path, "integer %s is out of range", n.Value)
		return false
	}
	*dst = v
	return true
}

// isHugeInteger reports digits that YAML typed as a float only because
// they do not fit in an int64.
func isHugeInteger(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" {
		return false
	}
	digits, rest := leadingDigits(strings.TrimLeft(n.Value, "+-"))
	return digits != "" && rest == ""
}

// float accepts integers and decimals but not .inf or .nan.
func (d *decoder) float(n *yaml.Node, path string, dst *float64) bool {
	if !d.scalar(n, path, "a number", "!!int", "!!float") {
		return false
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.fail(n.Line, path, "expected a finite number, got %s", n.Value)
		return false
	}
	*dst = v
	return true
}

func (d *decoder) boolean(n *yaml.Node, path string, dst *bool) bool {
	if !d.scalar(n, path, "true or false", "!!bool") {
		return false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		d.wrongType(n, path, "true or false")
		return false
	}
	*dst = v
	return true
}

func (d *decoder) boolPointer(n *yaml.Node, path string, dst **bool) bool {
	var v bool
	if !d.boolean(n, path, &v) {
		return false
	}
	*dst = &v
	return true
}

// duration reads a Go duration string ("10s", "1h30m", "500ms"), or 0.
// A bare number is an error: its unit would be a guess.
func (d *decoder) duration(n *yaml.Node, path string, dst *time.Duration) bool {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, path, `a duration such as "10s"`)
		return false
	}
	switch n.ShortTag() {
	case "!!str":
	case "!!int", "!!float":
		if n.Value == "0" {
			*dst = 0
			return true
		}
		d.fail(n.Line, path, "expected a duration such as \"10s\", got the bare number %s (write %ss, not %s)", n.Value, n.Value, n.Value)
		return false
	default:
		d.wrongType(n, path, `a duration such as "10s"`)
		return false
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.fail(n.Line, path, "invalid duration %q (want a number and a unit: ns, us, ms, s, m or h, such as \"10s\" or \"1h30m\")", n.Value)
		return false
	}
	*dst = v
	return true
}

// quantity returns a decoder for Kubernetes quantities ("4", "500m",
// "64Gi"), taking the text as written whether YAML saw a string or a number.
func (d *decoder) quantity(parse func(string) (int64, error)) decodeFunc[int64] {
	return func(n *yaml.Node, path string, dst *int64) bool {
		if !d.scalar(n, path, `a quantity such as "4", "500m" or "64Gi"`, "!!str", "!!int", "!!float") {
			return false
		}
		v, err := parse(n.Value)
		switch {
		case err == errQuantityTooLarge:
			d.fail(n.Line, path, "quantity %q is too large", n.Value)
		case err == errQuantityNegative:
			d.fail(n.Line, path, "must not be negative, got %s", n.Value)
		case err != nil:
			d.fail(n.Line, path, "invalid quantity %q: %v (want a number with an optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)", n.Value, err)
		default:
			*dst = v
			return true
		}
		return false
	}
}

// bound reads an Expect min/max: a number, or a duration in seconds.
func (d *decoder) bound(n *yaml.Node, path string, dst **float64) bool {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			d.fail(n.Line, path, "expected a number or a duration such as \"1s\", got %q", n.Value)
			return false
		}
		seconds := v.Seconds()
		*dst = &seconds
		return true
	}
	var v float64
	if !d.float(n, path, &v) {
		return false
	}
	*dst = &v
	return true
}
