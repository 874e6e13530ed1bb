package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// builtinFiles holds the built-in scenarios (builtin/*.yaml) and the
// manifests they name (builtin/manifests/).
//
//go:embed builtin/*.yaml builtin/manifests/*.yaml
var builtinFiles embed.FS

// Builtins returns the names of the scenarios compiled into orrery, sorted.
func Builtins() []string {
	entries, err := fs.ReadDir(builtinFiles, "builtin")
	if err != nil { // cannot happen: the directory is embedded
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	slices.Sort(names)
	return names
}

// LoadBuiltin parses the built-in scenario called name; its File is
// "builtin:NAME".
func LoadBuiltin(name string) (*Scenario, error) {
	available := Builtins()
	if !slices.Contains(available, name) {
		return nil, fmt.Errorf("no built-in scenario %q%s (built-ins: %s)", name, didYouMean(name, available), strings.Join(available, ", "))
	}
	data, err := builtinFiles.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, err
	}
	return Parse("builtin:"+name, data)
}

// Load parses arg as a scenario file if it looks like one — an existing
// file, or a name with a path separator or a .yaml/.yml extension — and
// as the name of a built-in scenario otherwise.
func Load(arg string) (*Scenario, error) {
	if looksLikePath(arg) {
		return ParseFile(arg)
	}
	return LoadBuiltin(arg)
}

func looksLikePath(arg string) bool {
	if info, err := os.Stat(arg); err == nil && !info.IsDir() {
		return true
	}
	ext := filepath.Ext(arg)
	return strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) ||
		ext == ".yaml" || ext == ".yml"
}
