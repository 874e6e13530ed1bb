package scenarios

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range Builtins() {
		data, err := builtinFiles.ReadFile("builtin/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte(explicit))
	f.Add([]byte(fullEtcd))
	f.Add([]byte(withVariants(twoVariants)))
	f.Add([]byte(base + "    etcd:\n      walFsync: &d {kind: constant, value: 2ms}\n      backendCommit: *d\n  variants:\n    - name: a\n    - name: b\n      set:\n        cluster.etcd.backendCommit.value: 5ms\n"))
	f.Add([]byte(objectsBase + "      - {at: 1m, type: update, object: deploy/web, namespace: shop, image: x}\n      - {at: 2m, type: delete, object: node/a-0}\n"))
	f.Add([]byte(base + "  workload:\n    objects:\n      - file: testdata/manifests/app.yaml\n"))
	f.Add([]byte(podChurnBase))
	for _, tc := range badCases {
		f.Add([]byte(tc.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatalf("scenario and error both returned")
			}
			if len(Errors(err)) == 0 {
				t.Fatalf("error without an *Error: %v", err)
			}
			return
		}
		if s.Spec.Duration <= 0 || len(s.Spec.Cluster.NodePools) == 0 {
			t.Fatalf("invalid scenario accepted: %+v", s.Spec)
		}
		if (s.Version() == Version{}) {
			t.Fatalf("accepted version %q does not parse", s.Spec.KubernetesVersion)
		}
		// What Parse accepts, Validate accepts: defaults never break a rule.
		if err := s.Validate(); err != nil {
			t.Fatalf("parsed scenario fails Validate: %v", err)
		}
	})
}
