# SPDX-License-Identifier: GPL-2.0
# mcrring: one Makefile for the module, the library, the tools and the tests.
#
#   make                 build everything (module against KDIR)
#   make check           host tier + VM tier, ends with "N passed, N failed"
#   make check-host      library/protocol tests, plain, ASan+UBSan and TSan
#   make check-vm        boot Debian's kernel in QEMU and run the selftests
#   make check-arm64     check-vm on Debian's arm64 kernels (6.1, newest)
#   make demo            boot, load the module, show it working
#   make vm-shell        boot into a busybox shell with the module loaded
#   make lint            sparse, W=1, checkpatch, shellcheck (part of check)
#   make check-debug     the VM tier on debug kernels: KASAN, UBSAN, lockdep,
#                        kmemleak, fault injection; and KCSAN
#   make debug-kernels   only build (once, cached) the kernels check-debug runs
#   make bench           mcrbench against Concurrency Kit, DPDK and the seed
#   make deps            install the Debian packages the above need
#
# FLAVOUR=rt-amd64 selects Debian's PREEMPT_RT kernel for the VM targets,
# FLAVOUR=6.12-amd64 the 6.12 series: any linux-image-FLAVOUR metapackage.
# FLAVOUR=arm64, 6.12-arm64: Debian's arm64 kernels, the module and the
# guest's binaries cross-built, the guest under qemu-system-aarch64.

BUILD    := build
TOP      := $(CURDIR)
CACHE    := $(BUILD)/cache
KSFT_INC := $(CACHE)/linux-source-6.1/tools/testing/selftests
FLAVOUR  ?= amd64

# The Debian kernel the VM boots, and its headers. Expanded lazily: on a
# fresh machine they exist only once `deps` has run.
VM_KREL   = $(shell scripts/krel.sh $(FLAVOUR))

# An arm64 flavour's kernel is unpacked, never installed, by
# scripts/arm64-deps.sh; the module, the static test binaries and tools
# for its guest are cross-built (into their own folder), with the arm64
# busybox, libbpf, libelf and zlib that script unpacks.
ifneq ($(findstring arm64,$(FLAVOUR)),)
VM_ARCH     := arm64
A64_CACHE   := $(TOP)/$(CACHE)/arm64
VM_KDIR      = $(A64_CACHE)/$(VM_KREL)/usr/src/linux-headers-$(VM_KREL)
VM_KBUILD   := ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
VM_CC       := aarch64-linux-gnu-gcc
VM_BIN      := $(BUILD)/vm-bin-arm64
VM_BPF_LIBS := -idirafter $(A64_CACHE)/sysroot/usr/include \
	       -L$(A64_CACHE)/sysroot/usr/lib/aarch64-linux-gnu
else
VM_ARCH     := x86_64
VM_KDIR      = /lib/modules/$(VM_KREL)/build
VM_KBUILD   :=
VM_CC        = $(CC)
VM_BIN      := $(BUILD)/vm-bin
VM_BPF_LIBS :=
endif

# kbuild users expect KDIR: the running kernel's headers where they exist
# (a machine that loads the module), else those of the kernel Debian
# ships (a container, a build host; dpkg-query only reads), else the
# newest installed (a system without dpkg). Nothing is installed here.
# A tree counts when its Makefile is there (a build link can dangle).
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
DEB_KDIR      = $(patsubst %,/lib/modules/%/build,$(shell scripts/krel.sh 2>/dev/null))
NEWEST_KDIR   = $(lastword $(shell ls -d /lib/modules/*/build/Makefile 2>/dev/null | sort -V))
KDIR ?= $(patsubst %/Makefile,%,$(firstword \
	$(wildcard $(RUNNING_KDIR)/Makefile $(DEB_KDIR)/Makefile) $(NEWEST_KDIR)))

# Each kernel gets its own shadow tree, so objects never mix.
kbuild_dir = $(TOP)/$(BUILD)/kbuild/$(notdir $(realpath $(1)))

# --- userspace flags --------------------------------------------------
CC       ?= cc
WARN     := -Wall -Wextra -Werror
# What the code needs (MCR_*), then the user's or the distribution's
# CPPFLAGS, CFLAGS and LDFLAGS, honoured on every compile and link.
MCR_CPPFLAGS := -D_GNU_SOURCE -Iuapi -Iproto -Ilib
MCR_CFLAGS   := -std=gnu11 $(WARN)
CFLAGS       ?= -O2 -g
ALL_CFLAGS    = $(MCR_CPPFLAGS) $(CPPFLAGS) $(MCR_CFLAGS) $(CFLAGS)
# -isystem: the harness's own macros trip -Wextra (unused parameters).
HOST_CFLAGS = $(ALL_CFLAGS) -isystem $(KSFT_INC) -pthread

SAN_plain :=
SAN_asan  := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
# gcc inlines memcpy as uninstrumented moves at -O2; TSan must see the
# consumer's copy of the text to catch a missing barrier pair.
SAN_tsan  := -fsanitize=thread -fno-builtin-memcpy
VARIANTS  := plain asan tsan

LIB_SRCS  := $(wildcard lib/*.c)
HDRS      := $(wildcard uapi/linux/*.h proto/mcrring/*.h lib/*.h lib/mcrring/*.h)

# libmcrring: static and shared, soname libmcrring.so.$(LIB_MAJOR).
LIB_MAJOR   := 2
LIB_VERSION := $(shell sed -n 's/^\#define MCR_VERSION[^"]*"\(.*\)"$$/\1/p' lib/mcrring.h)
LIB_DIR     := $(BUILD)/lib
LIB_A       := $(LIB_DIR)/libmcrring.a
LIB_SO      := $(LIB_DIR)/libmcrring.so.$(LIB_VERSION)
LIB_OBJS    := $(patsubst lib/%.c,$(LIB_DIR)/%.o,$(LIB_SRCS))

HOST_TESTS := $(basename $(notdir $(wildcard selftests/host/*_test.c)))
# Tests of the scripts themselves, run once (no sanitizer variants).
HOST_SCRIPT_TESTS := $(wildcard selftests/host/*_test.sh)
# VM_TESTS="a_test b_test" on make's command line reaches scripts/vm.sh
# too (make exports command-line variables): only those are built and run.
VM_TESTS   := $(basename $(notdir $(wildcard selftests/vm/*_test.c)))
# The Rust crate's test (bindings/rust/rust.mk): x86-64 guests only, as
# the arm64 Rust standard library is an arm64 package (not installed).
ifeq ($(VM_ARCH),x86_64)
VM_TESTS   += rust_test
endif
VM_BINS    := $(addprefix $(VM_BIN)/,$(VM_TESTS))

.PHONY: all module vm-module lib tools selftests install modules_install \
	dkms-src \
	check-install FORCE host-tests deps check check-host check-vm \
	check-debug check-debug-one debug-kernels check-arm64 check-host-arm64 \
	arm64-bins demo \
	vm-shell lint clean

all: module lib tools

# Packages are installed by the targets that need them (checks, demo,
# bench, fuzz), never by a build: the rules that compile test and tool
# binaries ask for `deps` order-only, and it does its work only when one
# of those targets, or `make deps` itself, was asked for.
WANT_DEPS := $(filter deps check% demo vm-shell bench% fuzz% lint,$(MAKECMDGOALS))

deps:
ifneq ($(WANT_DEPS),)
	@scripts/deps.sh $(FLAVOUR)
endif

# --- kernel module ----------------------------------------------------
# $(call kmod,KDIR[,extra kbuild args]): mcrring.ko through the top
# Kbuild, the entry DKMS runs too (packaging/dkms.conf).
define kmod
	@scripts/kbuild-tree.sh $(call kbuild_dir,$(1))
	$(MAKE) -C $(1) M=$(call kbuild_dir,$(1)) $(2) modules
endef

# $(call kmod_tests,KDIR[,extra kbuild args]): the test module, for the
# VM targets only, from its own entry in the shadow tree's
# selftests/kmod/ (where scripts/vm.sh looks), linked against the
# symbols mcrring.ko exports.
define kmod_tests
	$(MAKE) -C $(1) M=$(call kbuild_dir,$(1))/selftests/kmod $(2) \
		KBUILD_EXTRA_SYMBOLS=$(call kbuild_dir,$(1))/Module.symvers modules
endef

need_kdir = @[ -n "$(KDIR)" ] || { echo "$@: no kernel headers under" \
	"/lib/modules: install your kernel's (linux-headers-$$(uname -r))" \
	"or name a tree with KDIR=" >&2; exit 1; }

module:
	$(need_kdir)
	$(call kmod,$(KDIR))
	@cp $(call kbuild_dir,$(KDIR))/kmod/mcrring.ko $(BUILD)/mcrring.ko

vm-module: deps
	$(call kmod,$(VM_KDIR),$(VM_KBUILD))
	$(call kmod_tests,$(VM_KDIR),$(VM_KBUILD))

# --- userspace --------------------------------------------------------
$(LIB_DIR)/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS) lib/libmcrring.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libmcrring.so.$(LIB_MAJOR) \
		-Wl,--version-script=lib/libmcrring.map -o $@ $(LIB_OBJS) -pthread
	ln -sf $(notdir $@) $(LIB_DIR)/libmcrring.so.$(LIB_MAJOR)
	ln -sf libmcrring.so.$(LIB_MAJOR) $(LIB_DIR)/libmcrring.so

PREFIX ?= /usr/local

# Rebuilt every time: it records PREFIX, which may differ between calls.
$(LIB_DIR)/mcrring.pc: lib/mcrring.pc.in FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIB_VERSION)|' $< >$@

FORCE:

lib: $(LIB_A) $(LIB_SO) $(LIB_DIR)/mcrring.pc

# The tests' helpers, selftests/helpers/, and the library itself: each
# build of the tests (host plain, ASan and TSan; the VM's; the arm64 host
# tier's) compiles them once, into $(BUILD)/helpers/<build>/ (the library
# under lib/ there), and links them into its tests, which include the
# helpers by name (-I). The VM's static tools link the same library
# objects. mcrtrace_test also checks the tracepoint layouts
# tools/mcrtrace.h declares.
TEST_INC     := -Iselftests/helpers
HELPER_HDRS  := $(wildcard selftests/helpers/*.h)
HOST_HELPERS := mcr_run mcr_host mcr_abandon
VM_HELPERS   := mcr_run mcr_vm mcr_vmlines mcr_vmrec mcr_vmread
# $(call helper_objs,BUILD,NAMES): those helpers and the library
helper_objs   = $(patsubst %,$(BUILD)/helpers/$(1)/%.o,$(2)) \
		$(call lib_objs,$(1))
lib_objs      = $(patsubst lib/%.c,$(BUILD)/helpers/$(1)/lib/%.o,$(LIB_SRCS))

# $(call helpers,BUILD,CC,FLAGS)
define helpers
$(BUILD)/helpers/$(1)/%.o: selftests/helpers/%.c $(HDRS) $(HELPER_HDRS) | deps
	@mkdir -p $$(@D)
	$(2) $$(HOST_CFLAGS) $$(TEST_INC) $(3) -c -o $$@ $$<
$(BUILD)/helpers/$(1)/lib/%.o: lib/%.c $(HDRS) | deps
	@mkdir -p $$(@D)
	$(2) $$(HOST_CFLAGS) $(3) -c -o $$@ $$<
endef

define host_variant
$(eval $(call helpers,host-$(1),$$(CC),$$(SAN_$(1))))
$(BUILD)/host/$(1)/%: selftests/host/%.c $(HDRS) $(HELPER_HDRS) \
		$(call helper_objs,host-$(1),$(HOST_HELPERS)) | deps
	@mkdir -p $$(@D)
	$$(CC) $$(HOST_CFLAGS) $$(TEST_INC) $$(SAN_$(1)) -o $$@ $$< \
		$(call helper_objs,host-$(1),$(HOST_HELPERS))
endef
$(foreach v,$(VARIANTS),$(eval $(call host_variant,$(v))))

HOST_BINS := $(foreach v,$(VARIANTS),$(addprefix $(BUILD)/host/$(v)/,$(HOST_TESTS)))

# Static, so they run in the VM's busybox-only initramfs.
VM_HELPER_OBJS := $(call helper_objs,vm-$(VM_ARCH),$(VM_HELPERS))
$(eval $(call helpers,vm-$(VM_ARCH),$$(VM_CC)))
$(VM_BIN)/mcrtrace_test: TEST_INC += -Itools

$(VM_BIN)/%: selftests/vm/%.c $(HDRS) $(HELPER_HDRS) \
		tools/mcrtrace.h $(VM_HELPER_OBJS) | deps
	@mkdir -p $(@D)
	$(VM_CC) $(HOST_CFLAGS) $(TEST_INC) -static -o $@ $< $(VM_HELPER_OBJS)

include selftests/fuzz/fuzz.mk
include tools/bench.mk
include tools/mcrtrace.mk
include bindings/rust/rust.mk

# Tools: dynamic against libmcrring.a here, static copies for the VM.
# A tool may add link flags as LDLIBS_<tool>; one in HOST_ONLY_TOOLS
# (mcrbench, see tools/bench.mk) is built only by its own targets and
# never for the VM.
TOOLS      := $(basename $(notdir $(filter-out %.bpf.c tools/mcr_tool.c,$(wildcard tools/*.c))))
# What this machine cannot build (mcrtrace without clang, bpftool and
# libbpf) is left out of `make` and `make install`, with a word; the
# checks install what they need first.
TOOL_BINS   = $(addprefix $(BUILD)/tools/,$(filter-out $(HOST_ONLY_TOOLS) $(TOOLS_CANNOT),$(TOOLS)))
VM_TOOLS    = $(addprefix $(VM_BIN)/,$(filter-out $(HOST_ONLY_TOOLS),$(TOOLS)))

# tools/mcr_tool.c: what the tools share (records, filters, formats).
TOOL_HDRS  := $(wildcard tools/*.h)
TOOL_SRCS  := tools/mcr_tool.c

$(BUILD)/tools/%: tools/%.c $(TOOL_SRCS) $(LIB_A) $(HDRS) $(TOOL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TOOL_SRCS) \
		$(LIB_A) -pthread $(LDLIBS_$*)

$(VM_BIN)/%: tools/%.c $(TOOL_SRCS) $(call lib_objs,vm-$(VM_ARCH)) $(HDRS) \
		$(TOOL_HDRS)
	@mkdir -p $(@D)
	$(VM_CC) $(ALL_CFLAGS) -DMCR_STATIC -static -o $@ $< $(TOOL_SRCS) \
		$(call lib_objs,vm-$(VM_ARCH)) -pthread

tools: $(TOOL_BINS)
	$(if $(TOOLS_CANNOT),@echo "tools: not built here: $(TOOLS_CANNOT) (see README.md, Dependencies)")

host-tests: $(HOST_BINS)
selftests: host-tests $(VM_BINS) $(VM_TOOLS)

# --- tests ------------------------------------------------------------
check-host: host-tests tools
	@mkdir -p $(BUILD)/results
	@rm -f $(BUILD)/results/host.tap
	@for v in $(VARIANTS); do \
		scripts/run-tests.sh -p $$v/ \
			$(addprefix $(BUILD)/host/$$v/,$(HOST_TESTS)); \
	done >$(BUILD)/results/host.tap; \
	scripts/run-tests.sh $(HOST_SCRIPT_TESTS) >>$(BUILD)/results/host.tap; \
	scripts/tap-count.sh -l host $(BUILD)/results/host.tap

check-vm: vm-module $(VM_BINS) $(VM_TOOLS)
	@mkdir -p $(BUILD)/results $(VM_BIN)
	@rm -f $(BUILD)/results/vm-$(FLAVOUR).tap
	@scripts/vm.sh test $(VM_KREL) \
		$(call kbuild_dir,$(VM_KDIR))/kmod/mcrring.ko $(VM_BIN); \
	cp $(BUILD)/vm/$(VM_KREL)/tap.log $(BUILD)/results/vm-$(FLAVOUR).tap; \
	scripts/tap-count.sh -l vm-$(FLAVOUR) $(BUILD)/results/vm-$(FLAVOUR).tap

# --- debug kernels ----------------------------------------------------
# The VM tier on kernels built from linux-source-6.1 with the kernel's own
# bug detectors (scripts/debug-kernel.sh; cached outside the clone, so
# only the first run builds them): "kasan" has KASAN, UBSAN, lockdep,
# kmemleak and fault injection, "kcsan" the data-race detector. The guest
# checks that the detectors named in DEBUG_DETECT_* are armed; it fails on
# any report (scripts/klog-check.sh) and on any kmemleak leak.
DEBUG_KERNELS  := kasan kcsan
DEBUG_DETECT_kasan := kasan,lockdep,kmemleak,fault
DEBUG_DETECT_kcsan := kcsan
# A big log: the scan after the tests must see the whole run. Real-time
# bounds the tests assert, and the harness's timeouts, are stretched
# (MCR_TIME_SCALE) 4 times on the kasan kernel and 8 times on the kcsan
# kernel (set when KCSAN instrumented the whole kernel, the slower then).
# On the kcsan kernel, the last tier of .ci/run, kill_test kills 50
# writers, not 200: 20 took 9 s there (2026-12-06).
DEBUG_APPEND   := log_buf_len=16M
DEBUG_APPEND_kasan := mcrtimescale=4
# KCSAN watches one access in 1000 rather than 4000: four times the
# chances to catch a race, for about twice the run time.
DEBUG_APPEND_kcsan := mcrtimescale=8 mcrkills=50 kcsan.skip_watch=1000
DEBUG_TIMEOUT  ?= 1800
# Seconds a debug kernel may take to its first TAP line (scripts/vm.sh,
# VM_BOOT_TIMEOUT): the kcsan kernel, the slowest, had loaded the module
# 76 s into its boot in the run of 2026-12-05.
DEBUG_BOOT_TIMEOUT ?= 600
# The kasan kernel has UBSAN without UBSAN_SANITIZE_ALL (instrumenting
# every object of the kernel costs build time, not coverage of
# mcrring): the modules ask for it themselves.
DEBUG_KBUILD   := UBSAN_SANITIZE=y

# Build the debug kernels without running anything on them: .ci/run does
# this in the background. A check-debug started meanwhile waits on each
# kernel's build lock and reuses what it built.
debug-kernels:
	@scripts/deps.sh -d $(FLAVOUR)
	@for k in $(DEBUG_KERNELS); do scripts/debug-kernel.sh $$k || exit 1; done

check-debug:
	@scripts/deps.sh -d $(FLAVOUR)
	@mkdir -p $(BUILD)/results
	@rm -f $(BUILD)/results/debug-*.tap
	@for k in $(DEBUG_KERNELS); do \
		if kdir=$$(scripts/debug-kernel.sh $$k); then \
			$(MAKE) --no-print-directory check-debug-one \
				DEBUG_KERNEL=$$k DEBUG_KDIR=$$kdir; \
		else \
			echo "not ok - debug-$$k: kernel build failed" \
				>$(BUILD)/results/debug-$$k.tap; \
		fi; \
	done; true
	@scripts/tap-count.sh \
		$(foreach k,$(DEBUG_KERNELS),$(BUILD)/results/debug-$(k).tap)

# One debug kernel: DEBUG_KERNEL names it, DEBUG_KDIR is its tree. UBSAN
# and KCSAN instrument the modules, not the kernel: a TAP line says
# whether mcrring.ko calls their hooks.
check-debug-one: $(VM_BINS) $(VM_TOOLS)
	@[ $(VM_ARCH) = x86_64 ] || { echo "check-debug: x86-64 kernels only" >&2; exit 1; }
	$(call kmod,$(DEBUG_KDIR),$(DEBUG_KBUILD))
	$(call kmod_tests,$(DEBUG_KDIR),$(DEBUG_KBUILD))
	@krel=$$(cat $(DEBUG_KDIR)/include/config/kernel.release); \
	VM_KERNEL=$(DEBUG_KDIR)/arch/x86/boot/bzImage VM_MEM=2G \
	VM_TIMEOUT=$(DEBUG_TIMEOUT) VM_BOOT_TIMEOUT=$(DEBUG_BOOT_TIMEOUT) \
	VM_APPEND="$(DEBUG_APPEND) $(DEBUG_APPEND_$(DEBUG_KERNEL)) \
		mcrdetect=$(DEBUG_DETECT_$(DEBUG_KERNEL))" \
	scripts/vm.sh test $$krel \
		$(call kbuild_dir,$(DEBUG_KDIR))/kmod/mcrring.ko $(VM_BIN); \
	cp $(BUILD)/vm/$$krel/tap.log \
		$(BUILD)/results/debug-$(DEBUG_KERNEL).tap; \
	for c in UBSAN:__ubsan_handle_ KCSAN:__tsan_read; do \
		opt=$${c%%:*} sym=$${c#*:}; \
		grep -qx CONFIG_$$opt=y $(DEBUG_KDIR)/.config || continue; \
		if nm $(call kbuild_dir,$(DEBUG_KDIR))/kmod/mcrring.ko | \
		   grep -q " U $$sym"; then \
			echo "ok - debug: mcrring.ko is built with $$opt's checks"; \
		else \
			echo "not ok - debug: mcrring.ko calls no $$sym*:" \
				"$$opt checks nothing of it"; \
		fi >>$(BUILD)/results/debug-$(DEBUG_KERNEL).tap; \
	done; \
	scripts/tap-count.sh -l debug-$(DEBUG_KERNEL) \
		$(BUILD)/results/debug-$(DEBUG_KERNEL).tap

# Lint and both tiers always run, the VM tier on each kernel flavour; the
# last line sums them all. The flavours: Debian's default kernel (6.1 on
# Debian 12) and the newest series it ships beside it (6.12 there), each
# standard and PREEMPT_RT. Expanded when used: finding the newest series
# may need apt's lists.
CHECK_FLAVOURS = amd64 rt-amd64 $(shell scripts/kseries.sh amd64) \
		 $(shell scripts/kseries.sh rt-amd64)

# What the tiers below compile is compiled first, on every CPU; the tests
# then run one at a time (several of them time themselves). A compile
# that fails is reported by the tier whose binary it was.
NPROC      := $(shell nproc 2>/dev/null || echo 1)
CHECK_BINS  = lib tools selftests $(FUZZ_BINS)

check:
	@scripts/deps.sh $(CHECK_FLAVOURS)
	@echo "check: VM tier on $(CHECK_FLAVOURS)"
	@rm -f $(BUILD)/results/*.tap
	@-$(MAKE) --no-print-directory -j$(NPROC) -Otarget $(CHECK_BINS)
	@-$(MAKE) --no-print-directory lint
	@-$(MAKE) --no-print-directory check-host
	@-$(MAKE) --no-print-directory fuzz-smoke
	@-$(MAKE) --no-print-directory check-install \
		MCR_DKMS_FLAVOURS="$(CHECK_FLAVOURS)"
	@-$(MAKE) --no-print-directory bench-smoke
	@for f in $(CHECK_FLAVOURS); do \
		$(MAKE) --no-print-directory check-vm FLAVOUR=$$f; \
	done; true
	@scripts/tap-count.sh $(BUILD)/results/lint.tap $(BUILD)/results/host.tap \
		$(BUILD)/results/fuzz.tap $(BUILD)/results/install.tap \
		$(BUILD)/results/bench.tap \
		$(addprefix $(BUILD)/results/vm-,$(addsuffix .tap,$(CHECK_FLAVOURS)))

# The VM tier on Debian's arm64 kernels, the default (6.1 on Debian 12)
# and the newest series (scripts/kseries.sh arm64), cross-built and
# booted under qemu-system-aarch64, the host tier's plain build as arm64
# binaries under qemu-user, and DKMS cross-building the module for each
# kernel: about 2 minutes a row, so not part of
# `make check` (README.md, "Test tiers"); .ci/run runs it. The series is
# read once deps.sh has added the arm64 architecture to apt's lists.
check-arm64:
	@scripts/deps.sh arm64
	@mkdir -p $(BUILD)/results
	@flavours="arm64 $$(scripts/kseries.sh arm64)"; \
	echo "check-arm64: VM tier on $$flavours, host tier under qemu-aarch64"; \
	$(MAKE) --no-print-directory -j$(NPROC) -Otarget FLAVOUR=arm64 \
		arm64-bins; \
	for f in $$flavours; do \
		rm -f $(BUILD)/results/vm-$$f.tap; \
		$(MAKE) --no-print-directory check-vm FLAVOUR=$$f; \
	done; \
	$(MAKE) --no-print-directory check-host-arm64 FLAVOUR=arm64; \
	scripts/dkms-test.sh $$flavours >$(BUILD)/results/dkms-arm64.tap; \
	scripts/tap-count.sh -l dkms-arm64 $(BUILD)/results/dkms-arm64.tap; \
	scripts/tap-count.sh $(BUILD)/results/host-arm64.tap \
		$(BUILD)/results/dkms-arm64.tap \
		$$(for f in $$flavours; do echo $(BUILD)/results/vm-$$f.tap; done)

# The host tier's tests, static arm64 binaries run by qemu-aarch64 (no
# binfmt_misc needed), the tools they start through one-line wrappers
# around the guest's static arm64 tools. Sanitizer builds stay x86-64's:
# static ASan/TSan do not exist. FLAVOUR=arm64 (for VM_CC and VM_BIN).
A64_HOST := $(BUILD)/host-arm64

A64_HELPER_OBJS := $(call helper_objs,host-arm64,$(HOST_HELPERS))
A64_HOST_BINS   := $(addprefix $(A64_HOST)/,$(HOST_TESTS))
$(eval $(call helpers,host-arm64,$$(VM_CC)))

$(A64_HOST)/%: selftests/host/%.c $(HDRS) $(HELPER_HDRS) \
		$(A64_HELPER_OBJS) | deps
	@mkdir -p $(@D)
	$(VM_CC) $(HOST_CFLAGS) $(TEST_INC) -static -o $@ $< $(A64_HELPER_OBJS)

# Kept once built (they are only ever prerequisites of pattern rules).
.SECONDARY: $(VM_HELPER_OBJS) $(A64_HELPER_OBJS) \
	$(foreach v,$(VARIANTS),$(call helper_objs,host-$(v),$(HOST_HELPERS)))

# Every binary check-arm64 runs, for its parallel build (FLAVOUR=arm64).
arm64-bins: $(A64_HOST_BINS) $(VM_BINS) $(VM_TOOLS)

check-host-arm64: $(A64_HOST_BINS) $(VM_TOOLS)
	@[ $(VM_ARCH) = arm64 ] || { echo "check-host-arm64: needs FLAVOUR=arm64" >&2; exit 1; }
	@mkdir -p $(BUILD)/results $(A64_HOST)/tools
	@for t in $(notdir $(VM_TOOLS)); do \
		printf '#!/bin/sh\nexec qemu-aarch64 %s "$$@"\n' \
			$(TOP)/$(VM_BIN)/$$t >$(A64_HOST)/tools/$$t; \
		chmod +x $(A64_HOST)/tools/$$t; \
	done
	@MCR_TOOLS=$(TOP)/$(A64_HOST)/tools scripts/run-tests.sh -p arm64/ \
		-w qemu-aarch64 $(A64_HOST_BINS) \
		>$(BUILD)/results/host-arm64.tap; \
	scripts/tap-count.sh -l host-arm64 $(BUILD)/results/host-arm64.tap

demo: vm-module $(VM_BINS) $(VM_TOOLS)
	@scripts/vm.sh demo $(VM_KREL) \
		$(call kbuild_dir,$(VM_KDIR))/kmod/mcrring.ko $(VM_BIN)

vm-shell: vm-module $(VM_BINS) $(VM_TOOLS)
	@scripts/vm.sh shell $(VM_KREL) \
		$(call kbuild_dir,$(VM_KDIR))/kmod/mcrring.ko $(VM_BIN)

# --- install ----------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: library, headers, pkg-config
# file, tools, man pages, udev rule, mcrfwd's systemd unit. make modules_install: the module, for
# the kernel KDIR names (INSTALL_MOD_PATH=$(DESTDIR)), and nothing else:
# the top Kbuild names no test module.
BINDIR   = $(PREFIX)/bin
LIBDIR   = $(PREFIX)/lib
INCDIR   = $(PREFIX)/include
MANDIR   = $(PREFIX)/share/man
UDEVDIR ?= /lib/udev/rules.d
UNITDIR ?= /lib/systemd/system
USER_TOOLS = $(filter-out $(HOST_ONLY_TOOLS) $(TOOLS_CANNOT),$(TOOLS))
MAN_PAGES  = $(wildcard man/*.[0-9])

install: lib $(addprefix $(BUILD)/tools/,$(USER_TOOLS))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCDIR)/mcrring/linux $(DESTDIR)$(UDEVDIR)
	install -m 755 $(addprefix $(BUILD)/tools/,$(USER_TOOLS)) $(DESTDIR)$(BINDIR)
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/libmcrring.so.$(LIB_MAJOR)
	ln -sf libmcrring.so.$(LIB_MAJOR) $(DESTDIR)$(LIBDIR)/libmcrring.so
	install -m 644 $(LIB_DIR)/mcrring.pc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 lib/mcrring.h $(DESTDIR)$(INCDIR)
	@# the layout before <mcrring/...> (1.0.0 as first released)
	rm -f $(addprefix $(DESTDIR)$(INCDIR)/mcrring/,mcrring.h mcr_ring.h \
		mcr_clock.h mcr_compat.h mcr_text.h)
	install -m 644 proto/mcrring/*.h lib/mcrring/*.h $(DESTDIR)$(INCDIR)/mcrring
	install -m 644 uapi/linux/mcrring.h $(DESTDIR)$(INCDIR)/mcrring/linux
	install -m 644 packaging/60-mcrring.rules $(DESTDIR)$(UDEVDIR)
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/bin/|$(BINDIR)/|' packaging/mcrfwd.service \
		>$(DESTDIR)$(UNITDIR)/mcrfwd.service
	@for page in $(MAN_PAGES); do \
		sec=$${page##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$sec; \
		install -m 644 $$page $(DESTDIR)$(MANDIR)/man$$sec; \
	done

modules_install: module
	$(MAKE) -C $(KDIR) M=$(call kbuild_dir,$(KDIR)) \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install

# make dkms-src [DESTDIR=]: the module's sources with packaging/dkms.conf
# where `dkms add mcrring/$(LIB_VERSION)` looks for them.
DKMS_SRC = $(DESTDIR)/usr/src/mcrring-$(LIB_VERSION)

dkms-src:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux \
		$(DKMS_SRC)/proto/mcrring $(DKMS_SRC)/include/linux
	install -m 644 packaging/dkms.conf Kbuild $(DKMS_SRC)
	install -m 644 kmod/Kbuild kmod/*.c kmod/*.h $(DKMS_SRC)/kmod
	install -m 644 uapi/linux/mcrring.h $(DKMS_SRC)/uapi/linux
	install -m 644 proto/mcrring/*.h $(DKMS_SRC)/proto/mcrring
	install -m 644 include/linux/*.h $(DKMS_SRC)/include/linux

# Installs into a scratch DESTDIR and builds a writer against it with
# pkg-config, as a new user would; TAP in $(BUILD)/results/install.tap.
check-install: lib tools
	@mkdir -p $(BUILD)/results
	@scripts/install-test.sh >$(BUILD)/results/install.tap; \
	scripts/tap-count.sh -l install $(BUILD)/results/install.tap

# --- static checks on the kernel code ---------------------------------
# sparse (C=2), W=1, checkpatch --strict, shellcheck; TAP like the tests.
# sparse and W=1 against Debian's default kernel and the newest series.
LINT_KRELS = $(foreach f,amd64 $(shell scripts/kseries.sh amd64),\
		 $(shell scripts/krel.sh $(f)))

lint:
	@scripts/deps.sh amd64 $(shell scripts/kseries.sh amd64)
	@mkdir -p $(BUILD)/results
	@scripts/lint.sh $(foreach k,$(LINT_KRELS),/lib/modules/$(k)/build) \
		>$(BUILD)/results/lint.tap; \
	scripts/tap-count.sh -l lint $(BUILD)/results/lint.tap

clean:
	rm -rf $(BUILD)
