/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The text form of an archived record, as read(2) on /dev/mcrlog gives
 * it, written once for the kernel (which formats it) and userspace (which
 * parses it back and re-formats it, e.g. mcrcat):
 *
 *   SEQ,TS_NS,RING,CPU,PID,TID,FACILITY,SEVERITY,OWNER;MESSAGE[\tKEY=value]...
 *
 * OWNER is "pid/uid" when the kernel attests it, "-" otherwise. In
 * MESSAGE and the fields, a backslash, a tab, bytes below 0x20 and bytes
 * from 0x7f up are written as \xNN, so a message cannot forge a line or a
 * field; a real tab separates fields. A reader that fell behind is told
 * with one MCR_TEXT_LOST line.
 */
#ifndef MCR_TEXT_H
#define MCR_TEXT_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/mcrring.h>
#define mcr_text_printf		scnprintf
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
/* The prefix never fills MCR_LINE_MAX: snprintf() is scnprintf() here. */
#define mcr_text_printf		snprintf
#include "linux/mcrring.h"	/* quoted: see mcrring/ring.h */
#endif

#define MCR_TEXT_PREFIX	"%llu,%llu,%u,%u,%u,%u,%u,%u,"
#define MCR_TEXT_OWNER	"%d/%u;"
#define MCR_TEXT_NOOWNER	"-;"
#define MCR_TEXT_LOST_HEAD	"# mcrring: "
#define MCR_TEXT_LOST	MCR_TEXT_LOST_HEAD "%llu records lost\n"
/* Longest line: the prefix, and every text byte escaped to four. */
#define MCR_LINE_MAX	(256 + 4 * MCR_TEXT_MAX)

/* syslog(3)'s name of facility @f, or NULL when there is no such one. */
static inline const char *mcr_facility_name(unsigned int f)
{
	static const char *const names[MCR_FAC_MAX + 1] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
		"news", "uucp", "cron", "authpriv", "ftp", "ntp", "security",
		"console", "solaris-cron", "local0", "local1", "local2",
		"local3", "local4", "local5", "local6", "local7",
	};

	return f <= MCR_FAC_MAX ? names[f] : NULL;
}

/* syslog(3)'s name of severity @s, or NULL when there is no such one. */
static inline const char *mcr_severity_name(unsigned int s)
{
	static const char *const names[MCR_SEV_MAX + 1] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug",
	};

	return s <= MCR_SEV_MAX ? names[s] : NULL;
}

/* Is @b written as \xNN? */
static inline bool mcr_text_escaped(unsigned char b)
{
	return b < 0x20 || b >= 0x7f || b == '\\';
}

/**
 * mcr_text_escape() - append @n bytes of record text to @out, escaped
 * @out: the line, with room for 4 * @n more bytes
 * @o: its length so far
 * @s: the text
 * @n: its length
 * @fields: the text holds \0-separated KEY=value fields (MCR_FLAG_FIELDS)
 *
 * Return: the new length.
 */
static inline size_t mcr_text_escape(char *out, size_t o,
				     const unsigned char *s, size_t n,
				     bool fields)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char b = s[i];

		if (fields && !b) {
			out[o++] = '\t';
		} else if (mcr_text_escaped(b)) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[b >> 4];
			out[o++] = hex[b & 15];
		} else {
			out[o++] = b;
		}
	}
	return o;
}

/* One archived record, as mcr_text_line() prints it. */
struct mcr_text_rec {
	__u64 seq;
	__u64 ts_ns;
	__u32 ring;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u8 pri;
	__u8 flags;
	__s32 owner_pid;	/* attested owner; 0: none, printed "-" */
	__u32 owner_uid;
	__u32 len;
	const unsigned char *text;
};

/**
 * mcr_text_line() - a record as its line of /dev/mcrlog
 * @out: MCR_LINE_MAX bytes
 * @r: the record
 *
 * Return: the line's length, its '\n' included.
 */
static inline size_t mcr_text_line(char *out, const struct mcr_text_rec *r)
{
	size_t o;

	o = mcr_text_printf(out, MCR_LINE_MAX, MCR_TEXT_PREFIX, r->seq,
			    r->ts_ns, r->ring, r->cpu, r->pid, r->tid,
			    MCR_PRI_FAC(r->pri), MCR_PRI_SEV(r->pri));
	if (r->owner_pid)
		o += mcr_text_printf(out + o, MCR_LINE_MAX - o, MCR_TEXT_OWNER,
				     r->owner_pid, r->owner_uid);
	else
		o += mcr_text_printf(out + o, MCR_LINE_MAX - o,
				     MCR_TEXT_NOOWNER);
	o = mcr_text_escape(out, o, r->text, r->len,
			    r->flags & MCR_FLAG_FIELDS);
	out[o++] = '\n';
	return o;
}

#endif /* MCR_TEXT_H */
