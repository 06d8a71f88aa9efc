// SPDX-License-Identifier: MIT
/*
 * The proof of concept's two demos, on libmcrring: a program to copy.
 *
 *   SPSC: one writer thread sends 10 messages into its own ring; a reader
 *         thread receives them in order.
 *   MPSC: 4 writer threads send 5 messages each into the shared ring; the
 *         reader receives all 20, each writer's in order.
 *
 * The rings are in shared memory, so no module is needed. Prints what the
 * reader receives; exits 1 if anything is missing, repeated or reordered.
 *
 *   cc -pthread demos.c $(pkg-config --cflags --libs mcrring)
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mcrring.h>

#define NR_WRITERS	4
#define SPSC_COUNT	10
#define MPSC_COUNT	5

struct writer {
	struct mcr_set *set;
	int id;
	int spsc;		/* its own ring, else the shared one */
	int count;
	int ret;
};

static void *write_messages(void *arg)
{
	struct writer *wr = arg;
	struct mcr_writer w;
	int i;

	/* An SPSC writer belongs to the thread that makes it. */
	wr->ret = wr->spsc ? mcr_writer_spsc(wr->set, 0, &w) :
			     mcr_writer_mpsc(wr->set, &w);
	for (i = 0; !wr->ret && i < wr->count; i++) {
		wr->ret = mcr_logf(&w, MCR_PRI(1, 6), "writer %d message %d",
				   wr->id, i);
		wr->ret = wr->ret < 0 ? wr->ret : 0;
	}
	return NULL;
}

/* Read @want messages or give up after 5 s; check each writer's order. */
static int read_messages(struct mcr_set *set, int want)
{
	static char text[MCR_TEXT_MAX + 1];
	int next[NR_WRITERS] = { 0 }, got = 0, id, n;
	const struct timespec nap = { 0, 1000000 };
	struct mcr_reader *rd;
	struct mcr_record rec;
	time_t give_up = time(NULL) + 5;

	if (mcr_reader_open(set, &rd))
		return -1;
	while (got < want && time(NULL) < give_up) {
		if (mcr_read(rd, &rec, text) != 1) {
			nanosleep(&nap, NULL);
			continue;
		}
		text[rec.len] = '\0';
		printf("  seq %llu ring %u: %s\n", (unsigned long long)rec.seq,
		       rec.ring, text);
		if (sscanf(text, "writer %d message %d", &id, &n) != 2 ||
		    id < 0 || id >= NR_WRITERS || n != next[id]++)
			break;
		got++;
	}
	mcr_reader_close(rd);
	return got;
}

static int demo(const char *name, int nr, int count)
{
	struct writer wr[NR_WRITERS];
	pthread_t t[NR_WRITERS];
	struct mcr_set *set;
	int i, got, ok = 1;

	/* Ring 0 is the MPSC ring, ring 1 CPU 0's SPSC ring. */
	if (mcr_shm_create(2, 256, 65536, &set))
		return 1;
	printf("%s: %d writer(s), %d messages each\n", name, nr, count);
	for (i = 0; i < nr; i++) {
		wr[i] = (struct writer){ set, i, nr == 1, count, 0 };
		pthread_create(&t[i], NULL, write_messages, &wr[i]);
	}
	got = read_messages(set, nr * count);
	for (i = 0; i < nr; i++) {
		pthread_join(t[i], NULL);
		ok &= !wr[i].ret;
	}
	mcr_set_close(set);
	printf("%s: %d of %d received%s\n", name, got, nr * count,
	       ok && got == nr * count ? "" : ": FAILED");
	return !(ok && got == nr * count);
}

int main(void)
{
	return demo("SPSC", 1, SPSC_COUNT) | demo("MPSC", NR_WRITERS, MPSC_COUNT);
}
