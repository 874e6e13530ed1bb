module github.com/orrery-sim/orrery

go 1.26.8

require (
	github.com/google/btree v1.1.3 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	go.etcd.io/raft/v3 v3.7.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
