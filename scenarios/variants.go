package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxVariants bounds a comparison: each variant is a full run.
const MaxVariants = 16

// Runs returns the scenarios a run of s consists of: one per variant, in
// the order written, or s itself when it has no variants.
func (s *Scenario) Runs() []*Scenario {
	if len(s.runs) == 0 {
		return []*Scenario{s}
	}
	return s.runs
}

// SetSeed sets the seed of s and of every variant's run (the --seed flag).
func (s *Scenario) SetSeed(seed uint64) {
	s.Spec.Seed = seed
	for _, r := range s.runs {
		r.Spec.Seed = seed
	}
}

// variant decodes one item of spec.variants: {name, set}.
func (d *decoder) variant(n *yaml.Node, path string, dst *Variant) bool {
	dst.Line = d.lines[path]
	m, ok := d.mapping(n, path, "name", "set")
	if !ok {
		return false
	}
	required(m, "name", d.str, &dst.Name)
	optional(m, "set", d.settings, &dst.Set)
	return true
}

// settings decodes a variant's set: a mapping from dotted paths under
// spec to values of any shape. The values are checked when the variant's
// run is decoded with them in place.
func (d *decoder) settings(n *yaml.Node, path string, dst *[]Setting) bool {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping of field paths to values")
		return false
	}
	var out []Setting
	firstLine := map[string]int{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], resolve(n.Content[i+1])
		if !d.checkKey(key, path) {
			ok = false
			continue
		}
		sub := path + "." + key.Value
		if line, dup := firstLine[key.Value]; dup {
			d.fail(key.Line, sub, "duplicate key (first set at line %d)", line)
			ok = false
			continue
		}
		firstLine[key.Value] = key.Line
		if msg := checkSettingPath(key.Value); msg != "" {
			d.fail(key.Line, sub, "%s", msg)
			ok = false
			continue
		}
		if value == nil || isNull(value) {
			d.fail(key.Line, sub, "give the value this variant uses")
			ok = false
			continue
		}
		d.lines[sub] = key.Line
		out = append(out, Setting{Path: key.Value, Value: nodeText(value), Line: key.Line, node: value})
	}
	*dst = out
	return ok
}

// checkSettingPath checks a setting's path syntax; the fields themselves
// are checked by decoding the variant.
func checkSettingPath(path string) string {
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if s == "" {
			return fmt.Sprintf("a field path such as cluster.kubelet.jitter or workload.churn.0.rate, got %q", path)
		}
	}
	switch segs[0] {
	case "variants", "expect":
		return fmt.Sprintf("a variant cannot change spec.%s; use expect[].variant to check one variant", segs[0])
	}
	if isDigits(segs[0]) {
		return fmt.Sprintf("a path under spec starts with a field name, got %q", path)
	}
	return ""
}

// nodeText is a setting's value as text, for reports.
func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	c := copyNode(n)
	setFlow(c)
	out, err := yaml.Marshal(c)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func setFlow(n *yaml.Node) {
	n.Style = yaml.FlowStyle
	for _, c := range n.Content {
		setFlow(c)
	}
}

// copyNode deep-copies a YAML tree. An alias is copied as an alias to
// the same anchored node, so that nested aliases cannot blow the copy up;
// applySetting copies an anchored subtree before changing anything in it.
func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Kind == yaml.AliasNode {
		return &c
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = copyNode(child)
	}
	return &c
}

// own replaces an alias at parent.Content[i] with a copy of the node it
// refers to, so that a change below it stays in this place of the tree.
func own(parent *yaml.Node, i int) *yaml.Node {
	if n := parent.Content[i]; n.Kind == yaml.AliasNode {
		if target := resolve(n); target != nil && target.Kind != yaml.AliasNode {
			parent.Content[i] = copyNode(target)
			parent.Content[i].Anchor = ""
		}
	}
	return parent.Content[i]
}

// buildRuns makes one scenario per variant: the document with the
// variant's settings put in place, decoded, defaulted and validated like a
// file of its own. Its expectations are those that apply to it alone:
// checks across variants are made on the comparison (see reports).
func (s *Scenario) buildRuns(root *yaml.Node) error {
	var errs []*Error
	for i, v := range s.Spec.Variants {
		doc := copyNode(root)
		var spec *yaml.Node
		for j := 0; j+1 < len(doc.Content); j += 2 {
			if doc.Content[j].Value == "spec" {
				spec = own(doc, j+1)
			}
		}
		ok := true
		for _, set := range v.Set {
			if msg := applySetting(spec, set); msg != "" {
				errs = append(errs, &Error{File: s.File, Line: set.Line, Field: fmt.Sprintf("spec.variants[%d].set.%s", i, set.Path), Msg: msg})
				ok = false
			}
		}
		if !ok {
			continue
		}
		run, err := parseTree(s.File, doc)
		if err != nil {
			for _, e := range Errors(err) {
				e.Msg += fmt.Sprintf(" (in variant %q)", v.Name)
				errs = append(errs, e)
			}
			continue
		}
		run.VariantName = v.Name
		run.Spec.Variants = nil
		var expects []Expect
		for _, e := range run.Spec.Expect {
			if e.RelativeTo == "" && (e.Variant == "" || e.Variant == v.Name) {
				expects = append(expects, e)
			}
		}
		run.Spec.Expect = expects
		s.runs = append(s.runs, run)
	}
	return joinErrors(errs)
}

// applySetting puts set's value at its path under spec, making the
// mappings on the way if the file left them out. It returns a problem, or "".
func applySetting(spec *yaml.Node, set Setting) string {
	segs := strings.Split(set.Path, ".")
	n := spec
	for i, seg := range segs {
		last := i == len(segs)-1
		here := strings.Join(segs[:i], ".")
		switch n.Kind {
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(seg)
			if err != nil || !isDigits(seg) {
				return fmt.Sprintf("%s is a list: the next path element must be an item index, got %q", here, seg)
			}
			if idx >= len(n.Content) {
				return fmt.Sprintf("%s has %d items; there is no item %d", here, len(n.Content), idx)
			}
			if last {
				n.Content[idx] = copyNode(set.node)
				return ""
			}
			n = own(n, idx)
		case yaml.MappingNode:
			if isDigits(seg) {
				return fmt.Sprintf("%s is a mapping: %q is not a field name", here, seg)
			}
			next, at := (*yaml.Node)(nil), -1
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == seg {
					next, at = own(n, j+1), j+1
				}
			}
			switch {
			case last && next != nil:
				// The key moves to the setting's line too, so that
				// problems with the value are reported there.
				key := *n.Content[at-1]
				key.Line = set.Line
				n.Content[at-1], n.Content[at] = &key, copyNode(set.node)
				return ""
			case last:
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg, Line: set.Line}, copyNode(set.node))
				return ""
			case next == nil || isNull(next):
				m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: set.Line}
				if next == nil {
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg, Line: set.Line}, m)
				} else {
					*next = *m
					m = next
				}
				n = m
			default:
				n = next
			}
		default:
			return fmt.Sprintf("%s holds a single value, not fields", here)
		}
	}
	return ""
}
