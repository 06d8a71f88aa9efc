# mcrtrace: the libbpf tool's build. Included from the top-level Makefile.
#
# clang compiles the BPF program (tools/mcrtrace.bpf.c) and bpftool turns
# the object into a skeleton header in $(BUILD)/mcrtrace/, never into the
# source tree. The loader links libbpf, libelf and zlib (libelf's only
# dependency in Debian 12): dynamically on the host, statically for the VM.

MCRT_DIR   := $(BUILD)/mcrtrace
MCRT_SKEL  := $(MCRT_DIR)/mcrtrace.skel.h
# Debian puts bpftool in /usr/sbin, outside a user's PATH.
BPFTOOL    ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
CLANG      ?= clang
# <asm/types.h> is in the multiarch directory, which -target bpf misses.
BPF_CFLAGS := -target bpf -O2 -g $(WARN) \
	      -I/usr/include/$(shell $(CC) -dumpmachine)
MCRT_LIBS  := -lbpf -lelf -lz
ifeq ($(and $(shell command -v $(CLANG) 2>/dev/null),$(wildcard $(BPFTOOL)),$(wildcard /usr/include/bpf/libbpf.h)),)
TOOLS_CANNOT += mcrtrace
endif

$(MCRT_DIR)/mcrtrace.bpf.o: tools/mcrtrace.bpf.c tools/mcrtrace.h | deps
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(MCRT_SKEL): $(MCRT_DIR)/mcrtrace.bpf.o
	$(BPFTOOL) gen skeleton $< name mcrtrace_bpf >$@.tmp
	mv $@.tmp $@

# Explicit rules: they take the place of the generic tool rules.
# <mcrring.h> too (MCR_VERSION: --version), through tools/mcr_tool.h.
$(BUILD)/tools/mcrtrace: tools/mcrtrace.c $(HDRS) $(wildcard tools/*.h) $(MCRT_SKEL)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(MCRT_DIR) $(LDFLAGS) -o $@ $< $(MCRT_LIBS)

# For an arm64 guest the same skeleton (BPF bytecode does not depend on
# the CPU), cross-linked against the arm64 libraries in VM_BPF_LIBS.
$(VM_BIN)/mcrtrace: tools/mcrtrace.c $(HDRS) $(wildcard tools/*.h) $(MCRT_SKEL)
	@mkdir -p $(@D)
	$(VM_CC) $(ALL_CFLAGS) -I$(MCRT_DIR) -static -o $@ $< \
		$(VM_BPF_LIBS) $(MCRT_LIBS)
