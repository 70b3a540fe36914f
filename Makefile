GO ?= go

.PHONY: test deps check unit fuzz-short fuzz bench bench-quick fixtures test-k8s

## test: everything CI runs: checks, unit and integration tests, short fuzzing
test: deps check unit fuzz-short

## deps: tools the tests use (wabt for inline WAT tests)
deps:
	@command -v wat2wasm >/dev/null 2>&1 || { s=; [ "$$(id -u)" -eq 0 ] || s=sudo; \
		$$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq wabt >/dev/null; }

## check: formatting, vet, tidy go.mod
check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

unit:
	@[ -x "$${WASMESH_K8S_CACHE:-$$HOME/.cache/wasmesh-k8s}/kube-apiserver" ] || \
		echo "note: the Kubernetes tests (deploy/, internal/cli TestDeploy*, TestIstio*) skip: kube-apiserver not built: make test-k8s (scripts/k8s/build-apiserver.sh)"
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./host ./sdk/...

## test-k8s: build kube-apiserver once (cached in ~/.cache/wasmesh-k8s), install etcd-server, run the Kubernetes tests
test-k8s:
	@command -v etcd >/dev/null 2>&1 || { s=; [ "$$(id -u)" -eq 0 ] || s=sudo; \
		$$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq etcd-server >/dev/null; }
	bash scripts/k8s/build-apiserver.sh
	$(GO) test -count=1 -v ./deploy/...
	$(GO) test -count=1 -run '^Test(Deploy|Istio)' ./internal/cli

# Iteration counts, not durations: a duration-bounded fuzz run can end in
# "context deadline exceeded" when workers are slow on a loaded machine.
FUZZN ?= 100000x
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePairs$$' -fuzztime $(FUZZN) ./host
	$(GO) test -run '^$$' -fuzz '^FuzzHostFunctions$$' -fuzztime $(FUZZN) ./host
	$(GO) test -run '^$$' -fuzz '^FuzzParseBinary$$' -fuzztime $(FUZZN) ./host
	$(GO) test -run '^$$' -fuzz '^FuzzInstrument$$' -fuzztime 40x ./host
	$(GO) test -run '^$$' -fuzz '^FuzzDeserializeMap$$' -fuzztime $(FUZZN) ./sdk/proxywasm
	$(GO) test -run '^$$' -fuzz '^FuzzRuntimeConfig$$' -fuzztime $(FUZZN) ./oci
	$(GO) test -run '^$$' -fuzz '^FuzzReadRequest$$' -fuzztime $(FUZZN) ./proxy/internal/h1
	$(GO) test -run '^$$' -fuzz '^FuzzChunkedBody$$' -fuzztime $(FUZZN) ./proxy/internal/h1
	$(GO) test -run '^$$' -fuzz '^FuzzReadResponse$$' -fuzztime $(FUZZN) ./proxy/internal/h1

fuzz:
	$(MAKE) fuzz-short FUZZN=2000000x

## bench: host and proxy microbenchmarks, then the wrk benchmark against nginx
## (bench/run.sh, ~20 min on 2 cores): writes docs/benchmarks.md and docs/benchmarks.png
bench:
	@mkdir -p bench/results
	bash -o pipefail -c "$(GO) test -run '^$$' -bench 'BenchmarkHostCall|BenchmarkHTTPStreamLifecycle' -benchmem -count 5 ./host | tee bench/results/micro.txt"
	bash -o pipefail -c "$(GO) test -run '^$$' -bench 'BenchmarkProxy' -benchmem -count 1 ./proxy | tee -a bench/results/micro.txt"
	MICRO=bench/results/micro.txt bash bench/run.sh

## bench-quick: the wrk benchmark in under 2 minutes (1 x 5 s, c=32: nginx,
## wasmesh without filters and with the Go filter); prints the table
bench-quick:
	QUICK=1 bash bench/run.sh

## fixtures: rebuild the AssemblyScript, C and WAT fixtures from their sources
fixtures:
	sh scripts/fixtures/install-toolchains.sh
	sh scripts/fixtures/build-all.sh
	$(GO) test ./host -run TestTrampolineSource -update
	sh host/testdata/trampoline/build.sh
	sh host/testdata/hostcall/build.sh
