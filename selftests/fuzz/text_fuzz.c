// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the text form of a record: mcr_text_escape() and
 * the line of /dev/mcrlog (proto/mcrring/text.h, what the module prints), and
 * that libmcrring's parser reads each such line back.
 *
 * Input: a flags byte, the record's fields (every value of every field,
 * including a pri whose facility is out of range and a negative owner),
 * an offset and a split point, then up to MCR_TEXT_MAX bytes of text.
 *
 * Checked (__builtin_trap on failure, ASan/UBSan throughout):
 *   - mcr_text_escape() writes only [o, o + 4n) of its buffer (the
 *     buffer is exactly that long, the bytes before o are watched) and
 *     returns what it wrote;
 *   - it equals an independent reference escape, and escaping the text
 *     in two pieces gives the same bytes as in one (deterministic, no
 *     state carried between calls);
 *   - the line fits in MCR_LINE_MAX (its buffer is exactly that long),
 *     ends in its only '\n', holds no byte below 0x20 but a field's tab
 *     and none from 0x7f up, and no ';' before the end of its header;
 *   - unescaping the line's text gives the record's text back (a tab
 *     is a field's \0 and only that);
 *   - mcr_archive_next() reads the line back into the same fields and
 *     text, when the module could have written it (facility <= 23, an
 *     owner pid > 0 or none), and refuses it otherwise.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "mcrring.h"
#include "fuzz_line.h"

static struct mcr_archive *arch;
static int arch_wfd = -1;
static char *arch_text;

/* The reference: printable ASCII but '\\' as is, the rest \xNN. */
static size_t ref_escape(char *out, const unsigned char *s, size_t n,
			 bool fields)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (fields && s[i] == 0)
			out[o++] = '\t';
		else if (s[i] != '\\' && isprint(s[i]))
			out[o++] = (char)s[i];
		else
			o += sprintf(out + o, "\\x%02x", s[i]);
	}
	return o;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The inverse of the escape; -1 for anything the escape never writes. */
static long unescape(unsigned char *out, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\t') {
			out[o++] = 0;
		} else if (s[i] != '\\') {
			out[o++] = (unsigned char)s[i];
		} else {
			int hi, lo;

			if (i + 3 >= n || s[i + 1] != 'x')
				return -1;
			hi = unhex(s[i + 2]);
			lo = unhex(s[i + 3]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (unsigned char)(hi << 4 | lo);
			i += 3;
		}
	}
	return (long)o;
}

static void check_escape(const unsigned char *text, size_t n, bool fields,
			 size_t o0, size_t split)
{
	size_t cap = o0 + 4 * n, o, o2;
	char *out = malloc(cap ? cap : 1);
	char *ref = malloc(4 * n + 5);	/* sprintf's NUL */
	char *two = malloc(4 * n + 1);

	check(out && ref && two);
	memset(out, 0xa5, cap);
	o = mcr_text_escape(out, o0, text, n, fields);
	check(o >= o0 && o <= cap);
	for (size_t i = 0; i < o0; i++)
		check((unsigned char)out[i] == 0xa5);
	check(o - o0 == ref_escape(ref, text, n, fields));
	check(!memcmp(out + o0, ref, o - o0));
	/* In two pieces, as a caller streaming the text would. */
	split = split % (n + 1);
	o2 = mcr_text_escape(two, 0, text, split, fields);
	o2 = mcr_text_escape(two, o2, text + split, n - split, fields);
	check(o2 == o - o0 && !memcmp(two, out + o0, o2));
	free(two);
	free(ref);
	free(out);
}

/* Header end: the ';' after OWNER, the line's first. */
static size_t check_line(const char *line, size_t n, const struct mcr_text_rec *r)
{
	bool fields = r->flags & MCR_FLAG_FIELDS;
	const char *semi;
	size_t tabs = 0, nuls = 0;

	check(n > 0 && n <= MCR_LINE_MAX && line[n - 1] == '\n');
	semi = memchr(line, ';', n);
	check(semi);
	for (const char *p = line; p < semi; p++)
		check((*p >= '0' && *p <= '9') || *p == ',' || *p == '/' ||
		      *p == '-');
	for (size_t i = 0; i < n - 1; i++) {
		unsigned char b = (unsigned char)line[i];

		check(b != '\n' && b < 0x7f);
		if (b < 0x20) {
			check(b == '\t' && fields);
			tabs++;
		}
	}
	for (size_t i = 0; i < r->len; i++)
		nuls += !r->text[i];
	check(tabs == (fields ? nuls : 0));
	return (size_t)(semi + 1 - line);
}

static void check_unescape(const char *line, size_t n, size_t head,
			   const struct mcr_text_rec *r)
{
	unsigned char *back = malloc(MCR_TEXT_MAX + 1);
	long len;

	check(back);
	len = unescape(back, line + head, n - 1 - head);
	check(len == (long)r->len && !memcmp(back, r->text, r->len));
	free(back);
}

/* The library reads the line back from a pipe, as from /dev/mcrlog. */
static void check_parse(const char *line, size_t n, const struct mcr_text_rec *r)
{
	bool valid = MCR_PRI_FAC(r->pri) <= MCR_FAC_MAX && r->owner_pid >= 0;
	bool fields = (r->flags & MCR_FLAG_FIELDS) &&
		      memchr(r->text, 0, r->len);
	struct mcr_arecord rec;
	int ret;

	check(write(arch_wfd, line, n) == (ssize_t)n);
	ret = mcr_archive_next(arch, &rec, arch_text);
	if (!valid) {
		check(ret == -EBADMSG);
	} else {
		check(ret == 1);
		check(rec.seq == r->seq && rec.ts_ns == r->ts_ns);
		check(rec.ring == r->ring && rec.cpu == r->cpu);
		check(rec.pid == r->pid && rec.tid == r->tid);
		check(rec.facility == MCR_PRI_FAC(r->pri));
		check(rec.severity == MCR_PRI_SEV(r->pri));
		check(rec.owner_pid == (r->owner_pid ? r->owner_pid : -1));
		check(rec.owner_uid == (r->owner_pid ? r->owner_uid : 0));
		check(rec.flags == (fields ? MCR_FLAG_FIELDS : 0));
		check(rec.lost == 0 && rec.len == r->len);
		check(!memcmp(arch_text, r->text, r->len));
	}
	check(mcr_archive_next(arch, &rec, arch_text) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One record of every field at its widest, all text escaped. */
static void check_widest(void)
{
	static unsigned char text[MCR_TEXT_MAX];
	struct mcr_text_rec r = {
		.seq = UINT64_MAX, .ts_ns = UINT64_MAX, .ring = UINT32_MAX,
		.cpu = UINT32_MAX, .pid = UINT32_MAX, .tid = UINT32_MAX,
		.pri = 0xff, .owner_pid = INT32_MIN, .owner_uid = UINT32_MAX,
		.len = MCR_TEXT_MAX, .text = text,
	};
	char *line = malloc(MCR_LINE_MAX);

	check(line);
	memset(text, 0xff, sizeof(text));
	check_line(line, mcr_text_line(line, &r), &r);
	free(line);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	int fds[2];

	(void)argc;
	(void)argv;
	check(!pipe2(fds, O_CLOEXEC));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	check(!mcr_archive_open(path, true, &arch));
	close(fds[0]);
	arch_wfd = fds[1];
	arch_text = malloc(MCR_TEXT_MAX);
	check(arch_text);
	check_widest();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_input in = { data, size };
	uint8_t fl = (uint8_t)fl_take(&in, 1);
	struct mcr_text_rec r = {
		.seq = fl_take(&in, 8),
		.ts_ns = fl_take(&in, 8),
		.ring = (uint32_t)fl_take(&in, 4),
		.cpu = (uint32_t)fl_take(&in, 4),
		.pid = (uint32_t)fl_take(&in, 4),
		.tid = (uint32_t)fl_take(&in, 4),
		.pri = (uint8_t)fl_take(&in, 1),
		.flags = fl & 1 ? MCR_FLAG_FIELDS : 0,
	};
	size_t o0 = fl_take(&in, 1), split = fl_take(&in, 2), head, n;
	unsigned char *text;
	char *line;

	if (fl & 2) {
		r.owner_pid = (int32_t)fl_take(&in, 4);
		r.owner_uid = (uint32_t)fl_take(&in, 4);
	}
	r.len = in.n < MCR_TEXT_MAX ? in.n : MCR_TEXT_MAX;
	/* Copies of exactly their size: ASan sees any byte past them. */
	text = malloc(r.len ? r.len : 1);
	line = malloc(MCR_LINE_MAX);
	check(text && line);
	memcpy(text, in.p, r.len);
	r.text = text;

	check_escape(text, r.len, fl & 1, o0, split);
	n = mcr_text_line(line, &r);
	head = check_line(line, n, &r);
	check_unescape(line, n, head, &r);
	check_parse(line, n, &r);
	free(line);
	free(text);
	return 0;
}
