.PHONY: test build vet demo soak bench

# The demo: a real 3-node cluster (embedded etcd + 3 patroni + 3 PostgreSQL) on loopback.
demo: build
	bin/patroni-demo

test:
	scripts/test.sh

# Static binaries (no cgo), stripped: one file per program to copy to a server.
build:
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/ ./cmd/...

vet:
	go vet ./...

# A long deterministic-simulation soak: a million seeds of random faults, every invariant
# checked at every step. A failing seed prints the command that replays it.
soak:
	go test ./internal/sim -run TestSoak -soak.seeds=1000000 -soak.start=1000000 -timeout 0 -v

# REST API health-check benchmarks (go test -bench, then wrk against a served snapshot).
bench:
	go test ./internal/api -run XXX -bench . -benchtime 3s
	bench/api/wrk.sh
