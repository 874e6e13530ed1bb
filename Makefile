# orrery — make targets. `make run` and `make test` are the first two
# commands on a fresh machine (see README.md).

GO      ?= go
BIN     := bin/orrery
PKGS    := ./...

.PHONY: all build run test bench lint fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/orrery

# Runs the built-in quickstart scenario and prints its report.
run: build
	./$(BIN) run quickstart

test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

# Raw engine, the etcd model (a 3-member cluster's commit throughput, the
# MVCC store), a scheduling cycle over 5000 nodes, then the 5000-node
# scenarios (nodes-5000, and reference-5000 with 150,000 pods; one virtual
# hour per run).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./sim/
	$(GO) test -run '^$$' -bench . -benchmem ./model/etcd/...
	$(GO) test -run '^$$' -bench . -benchmem ./model/scheduler/
	$(GO) test -run '^$$' -bench . -benchtime 1x -benchmem ./model/cluster/

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fuzz:
	$(GO) test ./scenarios -run '^$$' -fuzz FuzzParse -fuzztime 30s

clean:
	rm -rf bin
