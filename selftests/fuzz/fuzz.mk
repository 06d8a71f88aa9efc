# libFuzzer targets (clang). Included from the top-level Makefile.
