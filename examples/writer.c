// SPDX-License-Identifier: MIT
/*
 * A writer, the way the README shows it: log into /dev/mcrlog, or, where
 * the module is not loaded, into the same rings in shared memory, and
 * read the records back there.
 *
 *   cc writer.c $(pkg-config --cflags --libs mcrring)
 */
#include <stdio.h>
#include <string.h>

#include <mcrring.h>

int main(void)
{
	const char buf[] = "zero-copy";
	struct mcr_set *set;
	struct mcr_writer w;
	struct mcr_resv r;
	int shm = 0, cpu = mcr_cpu(), ret;

	if (mcr_open(NULL, &set)) {			/* /dev/mcrlog */
		ret = mcr_shm_create(2, 1024, 65536, &set);
		if (ret)
			return 1;
		shm = 1;
		cpu = 0;
	}
	/* This CPU's ring, claimed; or mcr_writer_mpsc(set, &w). */
	ret = mcr_writer_spsc(set, cpu, &w);
	if (ret) {
		fprintf(stderr, "writer: %s\n", strerror(-ret));
		return 1;
	}
	mcr_logf(&w, MCR_PRI(1, 6), "rx %u bytes", 1500u);	/* in place */
	if (!mcr_reserve(&w, sizeof(buf) - 1, &r)) {		/* zero-copy */
		memcpy(r.text, buf, sizeof(buf) - 1);
		mcr_commit(&w, &r, sizeof(buf) - 1, MCR_PRI(1, 6), 0);
	}
	if (shm) {				/* the module drains otherwise */
		static char text[MCR_TEXT_MAX];
		struct mcr_reader *rd;
		struct mcr_record rec;

		mcr_reader_open(set, &rd);
		while (mcr_read(rd, &rec, text) == 1)
			printf("%.*s\n", (int)rec.len, text);
		mcr_reader_close(rd);
	}
	mcr_set_close(set);
	return 0;
}
