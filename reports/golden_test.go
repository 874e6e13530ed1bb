package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/")

// TestGoldenReports compares the JSON report of each small built-in with
// testdata/NAME.golden.json. After an intended change in behaviour, run
// `go test ./reports -run Golden -update` and review the diff.
func TestGoldenReports(t *testing.T) {
	for _, name := range []string{"quickstart", "kubectl-apply"} {
		t.Run(name, func(t *testing.T) {
			got := runJSON(t, name, nil)
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("report differs from %s (rerun with -update if intended):\n%s", path, firstDiff(want, got))
			}
		})
	}
}
