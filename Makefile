.PHONY: test build vet demo

test:
	scripts/test.sh

build:
	go build -o bin/ ./cmd/...

vet:
	go vet ./...
