package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads one scenario document, strictly: unknown fields, wrong
// types, duplicate keys, missing required fields and impossible values are
// all errors. file names the source in messages. The result is defaulted
// and validated. On failure the error joins one *Error per problem (see
// Errors), each reading "FILE:LINE: FIELD.PATH: message".
func Parse(file string, data []byte) (*Scenario, error) {
	root, err := parseDocument(file, data)
	if err != nil {
		return nil, err
	}
	s, err := parseTree(file, root)
	if err != nil {
		return nil, err
	}
	if err := s.buildRuns(root); err != nil {
		return nil, err
	}
	return s, nil
}

// parseTree decodes, defaults and validates one document tree.
func parseTree(file string, root *yaml.Node) (*Scenario, error) {
	s := &Scenario{File: file}
	d := newDecoder(file)
	s.Interner = d.in
	d.scenario(root, s)
	// Values are checked only once the shape is right: a field that failed
	// to decode would otherwise cause a second, misleading complaint.
	if err := joinErrors(d.errs); err != nil {
		return nil, err
	}
	s.warnings = d.warns
	sortProblems(s.warnings)
	applyDefaults(s, d.set)
	finishWorkload(s)
	v := validator{file: file, lines: d.lines, set: d.set, in: d.in}
	v.scenario(s)
	if err := joinErrors(v.errs); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseFile reads and parses the scenario file at path.
func ParseFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return Parse(path, data)
}

// parseDocument returns the top node of the file's only YAML document.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, emptyFile(file)
		}
		return nil, syntaxError(file, err)
	}
	var next yaml.Node
	switch err := decodeNode(dec, &next); {
	case err == nil:
		return nil, &Error{File: file, Line: next.Line, Msg: "a second YAML document starts here; a scenario file holds exactly one"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(file, err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, emptyFile(file)
	}
	return doc.Content[0], nil
}

// decodeNode guards against a panic inside the YAML library: input must
// never crash the caller.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	return dec.Decode(n)
}

func emptyFile(file string) *Error {
	return &Error{File: file, Line: 1, Msg: "empty scenario: expected apiVersion, kind, metadata and spec"}
}

var yamlLinePattern = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// syntaxError turns "yaml: line 3: did not find expected key" into an
// *Error at line 3.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}
