# libFuzzer targets (clang). Included from the top-level Makefile.
#
#   make fuzz [FUZZ_SECONDS=300]   fuzz the validating consumer; new inputs
#                                  go to $(BUILD)/fuzz/corpus/consume, crashes
#                                  to $(BUILD)/fuzz/artifacts/
#   make fuzz-smoke                a short run over the seed corpus; prints
#                                  TAP to $(BUILD)/results/fuzz.tap
#
# The seeds in selftests/fuzz/corpus/consume are read, never written:
# libFuzzer adds what it finds to the first corpus directory it is given,
# and that is always one under $(BUILD)/fuzz. Regenerate the seeds with
# selftests/fuzz/gen_seeds.py.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SEEDS   := selftests/fuzz/corpus/consume
FUZZ_CFLAGS  := $(CPPFLAGS) -std=gnu11 -g -O1 $(WARN) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
# Per input: a few KiB of ops are enough to fill and lap the ring.
FUZZ_OPTS    := -max_len=4096 -timeout=10 -print_final_stats=1 \
                -artifact_prefix=$(FUZZ_DIR)/artifacts/

.PHONY: fuzz fuzz-smoke

$(FUZZ_DIR)/consume_fuzz: selftests/fuzz/consume_fuzz.c $(HDRS) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<

fuzz: $(FUZZ_DIR)/consume_fuzz
	@mkdir -p $(FUZZ_DIR)/corpus/consume $(FUZZ_DIR)/artifacts
	$< $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
		$(FUZZ_DIR)/corpus/consume $(FUZZ_SEEDS)

# A fresh scratch directory takes whatever the run finds. "Done N runs" is
# libFuzzer's last word on a clean run; without it the run failed.
fuzz-smoke: $(FUZZ_DIR)/consume_fuzz
	@mkdir -p $(BUILD)/results $(FUZZ_DIR)/artifacts
	@rm -rf $(FUZZ_DIR)/smoke $(BUILD)/results/fuzz.tap
	@mkdir -p $(FUZZ_DIR)/smoke/corpus
	@if $< $(FUZZ_OPTS) -runs=100000 -max_total_time=15 \
		$(FUZZ_DIR)/smoke/corpus $(FUZZ_SEEDS) \
		>$(FUZZ_DIR)/smoke/log 2>&1 && \
	    n=$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(FUZZ_DIR)/smoke/log) && \
	    [ -n "$$n" ]; then \
		echo "ok - fuzz: consume_fuzz $$n execs"; \
	else \
		echo "not ok - fuzz: consume_fuzz failed, see $(FUZZ_DIR)/smoke/log"; \
		tail -n 40 $(FUZZ_DIR)/smoke/log >&2; \
	fi >$(BUILD)/results/fuzz.tap
	@scripts/tap-count.sh -l fuzz $(BUILD)/results/fuzz.tap
