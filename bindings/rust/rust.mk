# SPDX-License-Identifier: GPL-2.0
# The Rust crate (bindings/rust): its static VM test and its write-cost
# benchmark. Its `cargo test` runs in check-host (selftests/host/rust_test.sh).
#
#   make rust-bench      the crate's write against C's, host only (also
#                        part of `make bench`): build/bench/rust.md
#
# Debian's rustc and cargo (scripts/deps.sh), all three of cargo, rustc
# and rustdoc, even where a rustup toolchain comes first in PATH (a
# rustdoc of another release cannot read rustc's metadata); CARGO names
# another cargo, which then uses the rustc and rustdoc PATH finds.

CARGO       ?= $(if $(wildcard /usr/bin/cargo),/usr/bin/cargo,cargo)
RUST_ENV    := $(if $(filter /usr/bin/cargo,$(CARGO)),RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc)
RUST_DIR    := bindings/rust
RUST_TARGET := x86_64-unknown-linux-gnu
RUST_OUT    := $(TOP)/$(BUILD)/rust
RUST_SRCS   := $(RUST_DIR)/Cargo.toml $(RUST_DIR)/build.rs \
	       $(wildcard $(RUST_DIR)/src/*.rs $(RUST_DIR)/selftests/*.rs \
			  $(RUST_DIR)/shim/*.c)

.PHONY: rust-bench

# Static, like the C tests, for the guest's busybox-only initramfs. The
# crate links the tree's libmcrring.a (build.rs finds it).
$(VM_BIN)/rust_test: $(RUST_SRCS) $(LIB_A) | deps
	@mkdir -p $(@D)
	cd $(RUST_DIR) && CARGO_TARGET_DIR=$(RUST_OUT) $(RUST_ENV) \
		RUSTFLAGS="-C target-feature=+crt-static" \
		$(CARGO) build --offline --release --target $(RUST_TARGET) \
		--example vm_test
	cp $(RUST_OUT)/$(RUST_TARGET)/release/examples/vm_test $@

# Timing on the host only, never in the VM or a unit test.
bench: rust-bench

rust-bench: $(LIB_A) | deps
	@mkdir -p $(BENCH_DIR)
	cd $(RUST_DIR) && CARGO_TARGET_DIR=$(RUST_OUT) $(RUST_ENV) \
		$(CARGO) run --offline --release --features bench \
		--example write_bench >$(TOP)/$(BENCH_DIR)/rust.md
	@cat $(BENCH_DIR)/rust.md
