/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-checking records for the VM selftests: the one text record N of
 * writer ID may have, "TAG ID N payload HASH", so that a reader can tell
 * an intact record from a torn, forged or misdelivered one by its text.
 */
#ifndef MCR_VMREC_H
#define MCR_VMREC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcr_vmlines.h"

uint64_t mix(uint64_t a, uint64_t b);

char *put_u64(char *p, uint64_t v);

/*
 * The one text record @n of writer @id may have: "TAG ID N payload HASH",
 * payload 0..96 letters drawn from the hash. Returns its length.
 */
size_t make_msg(char *buf, const char *tag, unsigned int id, uint64_t n);

/*
 * Parse "TAG ID N ..." and check the whole text is what writer ID wrote
 * as record N. Returns 1 for an intact record of @tag, 0 for another
 * tag, -1 for a torn or forged one.
 */
int check_msg(const char *msg, const char *tag, unsigned int *id, uint64_t *n);

#endif /* MCR_VMREC_H */
