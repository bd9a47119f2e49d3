/* SPDX-License-Identifier: Apache-2.0 */
/* What the tests read of /proc: a process's status fields and the kernel's
 * TLS counters. Header-only, libc only (the VM's test programs and the
 * abuse driver use it without Check). */
#ifndef KTLS_TESTS_PROCFS_H
#define KTLS_TESTS_PROCFS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "Field:  N kB" line of /proc/PID/status (pid 0: this process), in
 * kB; -1 if absent. */
static inline long proc_status_kb(int pid, const char *field)
{
	char path[64], line[256];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	FILE *f = fopen(path, "r");
	long v = -1;
	size_t fl = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':')
			v = strtol(line + fl + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* A counter of /proc/net/tls_stat, or -1 if absent. */
static inline long tls_stat(const char *name)
{
	FILE *f = fopen("/proc/net/tls_stat", "r");
	char key[64];
	long v, found = -1;
	while (f && fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	if (f)
		fclose(f);
	return found;
}

#endif
