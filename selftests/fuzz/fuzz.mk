# libFuzzer targets (clang). Included from the top-level Makefile.
#
#   make fuzz [FUZZ_SECONDS=300]  each target in turn, FUZZ_SECONDS each;
#                                 what it finds grows
#                                 $(BUILD)/fuzz/corpus/<target>, crashes go
#                                 to $(BUILD)/fuzz/artifacts/, logs to
#                                 $(BUILD)/fuzz/<target>.log
#   make fuzz-smoke               every target a few seconds from its seeds;
#                                 TAP, one line per target, in
#                                 $(BUILD)/results/fuzz.tap
#   make fuzz-corpus              minimize seeds + $(BUILD)/fuzz/corpus into
#                                 the seeds (-merge=1); named seeds (not a
#                                 sha1) are always kept
#
# Targets: selftests/fuzz/<target>_fuzz.c, optional dictionary
# selftests/fuzz/<target>.dict; seeds in
# selftests/fuzz/corpus/<target>, read and never written but by
# fuzz-corpus and selftests/fuzz/gen_seeds.py. Each target has its own
# -max_len, FUZZ_MAXLEN_<target>. scripts/fuzz.sh does the work.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := $(MCR_CPPFLAGS) -std=gnu11 -g -O1 $(WARN) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer

FUZZ_TARGETS := consume text archive
# consume: a few KiB of ops fill and lap the ring. text: the header and
# MCR_TEXT_MAX bytes of text. archive: a little more than the longest
# line (the target inserts the runs that overflow the reader's buffer).
FUZZ_MAXLEN_consume := 4096
FUZZ_MAXLEN_text    := 4160
FUZZ_MAXLEN_archive := 18000

FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/%_fuzz,$(FUZZ_TARGETS))
FUZZ_ARGS  = $(foreach t,$(FUZZ_TARGETS),$(t):$(FUZZ_MAXLEN_$(t)))

.PHONY: fuzz fuzz-smoke fuzz-corpus fuzz-bins

$(FUZZ_DIR)/%_fuzz: selftests/fuzz/%_fuzz.c selftests/fuzz/fuzz_line.h \
		$(HDRS) $(LIB_SRCS) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) -pthread

fuzz-bins: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@scripts/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_ARGS)

fuzz-smoke: $(FUZZ_BINS)
	@mkdir -p $(BUILD)/results
	@scripts/fuzz.sh smoke 6 $(FUZZ_ARGS) >$(BUILD)/results/fuzz.tap; \
	scripts/tap-count.sh -l fuzz $(BUILD)/results/fuzz.tap

fuzz-corpus: $(FUZZ_BINS)
	@scripts/fuzz.sh corpus 0 $(FUZZ_ARGS)
