/* SPDX-License-Identifier: Apache-2.0 */
/* ktls-ctl: one file per sub-command, dispatched from a table in main.c. */
#ifndef KTLS_CTL_H
#define KTLS_CTL_H

/* Exit codes (documented in ktls-ctl(8)). */
enum {
	CTL_OK = 0,
	CTL_FAIL = 1,	 /* the operation failed */
	CTL_USAGE = 2,	 /* bad command line */
	CTL_NO_KTLS = 3, /* the kernel lacks what the command needs */
};

#include <stdbool.h>
#include <stdint.h>

int cmd_status(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_list(int argc, char **argv);

/* "64K", "4M", "1G" or plain bytes; false if malformed. */
bool ctl_parse_size(const char *s, uint64_t *out);

#endif
