module github.com/orrery-sim/orrery

go 1.26.8

require (
	github.com/spf13/pflag v1.1.0
	golang.org/x/time v0.16.0
	gonum.org/v1/gonum v0.17.0
	gopkg.in/yaml.v3 v3.0.1
)
