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

int cmd_status(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
