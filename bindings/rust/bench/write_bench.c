// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The C side of bench/write_bench.rs: @n calls of the inline mcr_log(),
 * as a C program makes them, on the handle the Rust writer uses.
 * Compiled only with the crate's "bench" feature.
 */
#include "mcrring.h"

int mcrrs_bench_c_log(struct mcr_writer *w, unsigned int pri,
		      const char *msg, size_t len, unsigned int n);

int mcrrs_bench_c_log(struct mcr_writer *w, unsigned int pri,
		      const char *msg, size_t len, unsigned int n)
{
	int bad = 0;

	for (unsigned int i = 0; i < n; i++)
		bad += mcr_log(w, pri, msg, len) != 0;
	return bad;
}

int mcrrs_log(struct mcr_writer *w, unsigned int pri, const char *msg,
	      size_t len);
int mcrrs_bench_c_shim(struct mcr_writer *w, unsigned int pri,
		       const char *msg, size_t len, unsigned int n);

/* The same loop through the shim's out-of-line mcrrs_log(), from C. */
int mcrrs_bench_c_shim(struct mcr_writer *w, unsigned int pri,
		       const char *msg, size_t len, unsigned int n)
{
	int bad = 0;

	for (unsigned int i = 0; i < n; i++)
		bad += mcrrs_log(w, pri, msg, len) != 0;
	return bad;
}
