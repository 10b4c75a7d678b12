# Two entry points: `make demo` runs a flow end to end against the local server,
# `make test` runs every test. Both install what they need first.

.PHONY: demo test tools package emulator clean

demo: package emulator
	node examples/demo.mjs

test: package emulator
	cargo test --workspace
	node benches/run.mjs --quick
	node --test --test-concurrency=1 tests/

tools:
	scripts/install-tools.sh

package: tools
	scripts/build-package.sh

emulator:
	cargo build -p kestra-emulator

clean:
	cargo clean
	rm -rf pkg/dist node_modules

# Benchmarks of the packed package against @kestra-io/libs; see benches/README.md.
.PHONY: bench
bench: package emulator
	node benches/run.mjs
