/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcrbench's LTTng-UST tracepoint: the log call's message as text, with
 * its priority; LTTng adds the timestamp and CPU, the session the thread
 * and process ids (vtid, vpid contexts), as mcrring's descriptor has them.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER mcrbench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "lttng_tp.h"

#if !defined(MCRBENCH_LTTNG_TP_H) || \
	defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define MCRBENCH_LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(mcrbench, log,
	LTTNG_UST_TP_ARGS(int, pri, const char *, msg, unsigned int, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, pri, pri)
		lttng_ust_field_sequence_text(char, msg, msg, unsigned int, len)
	)
)

#endif /* MCRBENCH_LTTNG_TP_H */

#include <lttng/tracepoint-event.h>
