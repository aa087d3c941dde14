.PHONY: test build vet demo soak

# The demo: a real 3-node cluster (embedded etcd + 3 patroni + 3 PostgreSQL) on loopback.
demo: build
	bin/patroni-demo

test:
	scripts/test.sh

build:
	go build -o bin/ ./cmd/...

vet:
	go vet ./...
