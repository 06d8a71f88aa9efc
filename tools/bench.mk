# mcrbench: benchmark build and run rules. Included from the top-level Makefile.
#
#   make bench         full run on the host (about 2 min a round on 2 vCPUs):
#                      build/bench/results.md,
#                      results.json, latency.png, throughput.png; prints the table;
#                      then mcrfwd's forwarding rate beside archiving
#                      (tools/bench/mcrfwd_bench.py, build/bench/mcrfwd.md)
#   make bench-vm      the whole path through the module, in the VM
#                      (amd64): build/bench/vmpath.md, ratios only; also
#                      the last step of make bench
#   make bench-smoke   seconds: every scenario, peer and log call once, tiny;
#                      TAP lines in build/results/bench.tap (rings; log
#                      calls), no timing asserted
#
# The tool is tools/mcrbench.c (options, rounds, outputs) and its parts in
# tools/bench/, one concern a file (bench.h declares what they share). The
# targets the report judges are data, tools/bench/targets.txt, passed to
# both runs with --targets.
#
# Peers come from Debian: libck-dev (Concurrency Kit, header-only ring) and
# libdpdk-dev (librte_ring + librte_eal, linked dynamically: a host-only
# tool; rte_ring_init works on plain memory without EAL). The syslog(3)
# log call needs rsyslog (the benchmark starts its own rsyslogd). The plots
# need gnuplot-nox. BENCH_ROUNDS=N changes the number of rounds.

HOST_ONLY_TOOLS += mcrbench

# DPDK's include directories as -isystem: its headers are not -Wextra clean.
BENCH_DPDK_INC := $(patsubst -I%,-isystem %,$(filter -I%dpdk,$(shell pkg-config --cflags-only-I libdpdk 2>/dev/null)))
LDLIBS_mcrbench := -lrte_ring -lrte_eal -lm

$(BUILD)/tools/mcrbench: private MCR_CPPFLAGS += $(if $(BENCH_DPDK_INC),$(BENCH_DPDK_INC),-isystem /usr/include/dpdk -isystem /usr/include/x86_64-linux-gnu/dpdk)

BENCH_DIR    := $(BUILD)/bench
BENCH_ROUNDS ?= 5
BENCH_TARGETS := tools/bench/targets.txt
BENCH_REV     = $(shell git describe --always --dirty 2>/dev/null || echo unknown)

.PHONY: bench bench-smoke bench-vm

bench: $(BUILD)/tools/mcrbench $(BUILD)/tools/mcrfwd $(BENCH_TARGETS)
	@mkdir -p $(BENCH_DIR)
	$(BUILD)/tools/mcrbench --rounds $(BENCH_ROUNDS) --out $(BENCH_DIR) \
		--targets $(BENCH_TARGETS) --rev "$(BENCH_REV)"
	gnuplot -e "dir='$(BENCH_DIR)'" tools/mcrbench.gp
	@echo "mcrbench: $(BENCH_DIR)/results.md results.json latency.png throughput.png"
	python3 tools/bench/mcrfwd_bench.py $(BUILD)/tools/mcrfwd \
		$(BUILD)/tools/mcrbench $(BENCH_DIR)
	@echo "mcrfwd: $(BENCH_DIR)/mcrfwd.md"
	$(MAKE) --no-print-directory bench-vm

# The whole path through the module (tools/bench/vm/mcrbench_vm.c), in a
# guest of its own: only mcrbench-vm goes in (a bin directory of its
# own), scripts/bench-guest.sh runs it, scripts/vm.sh keeps its table.
BENCH_VM_BIN := $(BUILD)/vm-bench
BENCH_VM_SRCS := tools/bench/vm/mcrbench_vm.c tools/bench/logcalls.c \
		 tools/bench/clock.c

$(BENCH_VM_BIN)/mcrbench-vm: $(BENCH_VM_SRCS) tools/bench/logcalls.h \
		tools/bench/lcmsg.h tools/bench/tsc.h tools/bench/bench.h \
		$(LIB_SRCS) $(HDRS) | deps
	@mkdir -p $(@D)
	$(VM_CC) $(ALL_CFLAGS) -DMCR_STATIC -Itools/bench -static -o $@ \
		$(BENCH_VM_SRCS) $(LIB_SRCS) -pthread

ifeq ($(VM_ARCH),x86_64)
bench-vm: vm-module $(BENCH_VM_BIN)/mcrbench-vm
	@mkdir -p $(BENCH_DIR)
	VM_OUT=$(BENCH_DIR)/vm scripts/vm.sh bench $(VM_KREL) \
		$(call kbuild_dir,$(VM_KDIR))/kmod/mcrring.ko $(BENCH_VM_BIN)
	cp $(BENCH_DIR)/vm/bench.md $(BENCH_DIR)/vmpath.md
	@echo "mcrbench-vm: $(BENCH_DIR)/vmpath.md"
else
bench-vm:
	@echo "bench-vm: x86-64 guests only (the timer is the TSC)" >&2; exit 1
endif

bench-smoke: $(BUILD)/tools/mcrbench $(BENCH_TARGETS)
	@mkdir -p $(BUILD)/results $(BUILD)/bench-smoke
	@$(BUILD)/tools/mcrbench --smoke --quiet --out $(BUILD)/bench-smoke \
		--targets $(BENCH_TARGETS) >$(BUILD)/results/bench.tap \
		2>$(BUILD)/bench-smoke/stderr.log || \
	{ rc=$$?; grep -q '^not ok' $(BUILD)/results/bench.tap 2>/dev/null || \
	  echo "not ok - bench: smoke: mcrbench exited with status $$rc" \
		>>$(BUILD)/results/bench.tap; }
	@scripts/tap-count.sh -l bench $(BUILD)/results/bench.tap

# tools/bench/: mcrbench's parts, linked with the driver.
BENCH_SRCS := $(wildcard tools/bench/*.c)
$(BUILD)/tools/mcrbench: private TOOL_SRCS += $(BENCH_SRCS)
$(BUILD)/tools/mcrbench: $(BENCH_SRCS) $(wildcard tools/bench/*.h)

# The LTTng-UST log call runs in a helper of its own (it must register
# with the session daemon mcrbench starts): built where liblttng-ust-dev
# is, else mcrbench reports that call as not built.
BENCH_LTTNG := $(shell pkg-config --exists lttng-ust 2>/dev/null && echo yes)
ifeq ($(BENCH_LTTNG),yes)
$(BUILD)/tools/mcrbench-lttng: tools/bench/lttng/mcrbench_lttng.c \
		tools/bench/lttng/lttng_tp.c tools/bench/lttng/lttng_tp.h \
		tools/bench/tsc.h tools/bench/lcmsg.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itools/bench/lttng -o $@ \
		tools/bench/lttng/mcrbench_lttng.c tools/bench/lttng/lttng_tp.c \
		$(shell pkg-config --libs lttng-ust) -ldl
bench bench-smoke: $(BUILD)/tools/mcrbench-lttng
endif
