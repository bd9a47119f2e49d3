/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ktls/ktls.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} cmds[] = {
	{"status", cmd_status, "what the running kernel offers for TLS 1.3"},
	{"list", cmd_list, "kernel TLS sockets on this host (sock_diag)"},
	{"serve", cmd_serve, "HTTPS/1.1 static file server on kTLS with key updates"},
	{"get", cmd_get, "download an https:// URL over kTLS"},
	{"bench", cmd_bench, "kTLS against userspace TLS on loopback, with key updates"},
	{"demo", cmd_demo, "loopback file transfer with key updates, explained"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ktls-ctl <command> [options]\n       ktls-ctl --version\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'ktls-ctl <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CTL_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ktls-ctl %s\n", ktls_version_string());
		return CTL_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ktls-ctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CTL_USAGE;
}

/* "64K", "4M", "1G", or plain bytes; false if malformed. */
bool ctl_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	unsigned shift = 0;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}
