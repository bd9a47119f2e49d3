/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
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
