/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl list: the parse of sock_diag's answer (the kernel's bytes, so
 * untrusted in shape: the fuzz target ctl-list calls it), apart from the
 * socket I/O and printing in cmd_list.c.
 */
#ifndef KTLS_CTL_LIST_PARSE_H
#define KTLS_CTL_LIST_PARSE_H

#include <arpa/inet.h>
#include <stddef.h>

struct tls_sock {
	int family;
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8];
	unsigned sport, dport, state, inode;
	int has_tls; /* ULP attributes present */
	unsigned version, cipher, txconf, rxconf;
	int zc_ro_tx, rx_no_pad;
	unsigned tx_max_payload; /* 0: the kernel did not say (before 6.19) */
	int pid;
	char comm[32];
};

struct list_ctx {
	struct tls_sock *socks;
	size_t n, cap;
	int port;
	int ulp_seen;
};

/*
 * One buffer of netlink messages from a dump: each TCP socket with the TLS
 * ULP (and on lc->port, if set) joins lc->socks. seq and portid as for
 * mnl_cb_run (0: any). Returns mnl_cb_run's MNL_CB_* (errno set on errors).
 */
int list_parse_reply(const void *buf, size_t len, unsigned seq, unsigned portid,
		     struct list_ctx *lc);

#endif
