/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the command-line tools share: syslog facility and severity names.
 */
#ifndef MCR_TOOL_H
#define MCR_TOOL_H

#include <stdlib.h>
#include <strings.h>

#include "mcrring.h"

static const char *const mcr_facility_names[MCR_FAC_MAX + 1] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};

static const char *const mcr_severity_names[MCR_SEV_MAX + 1] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* A facility or severity by name or number; -1 when neither. */
static inline int mcr_name_lookup(const char *s, const char *const *names,
				  int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end)
		return v >= 0 && v <= max ? (int)v : -1;
	for (int i = 0; i <= max; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}

static inline int mcr_facility(const char *s)
{
	return mcr_name_lookup(s, mcr_facility_names, MCR_FAC_MAX);
}

static inline int mcr_severity(const char *s)
{
	return mcr_name_lookup(s, mcr_severity_names, MCR_SEV_MAX);
}

#endif /* MCR_TOOL_H */
