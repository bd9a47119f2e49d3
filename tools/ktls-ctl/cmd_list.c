/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl list: every socket carrying the kernel's TLS ULP, found through
 * sock_diag (NETLINK_SOCK_DIAG) with libmnl. The kernel adds the ULP's TLS
 * attributes only for CAP_NET_ADMIN; without them we say so.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ktls/ktls.h"
#include "list_parse.h"
#include "text.h"
#include "uapi/ktls_diag.h"

static const char *conf_name(unsigned c)
{
	static const char *const names[] = {"none", "base", "sw", "hw", "hw-record"};
	static __thread char buf[24];
	if (c < 5)
		return names[c];
	snprintf(buf, sizeof(buf), "unknown(%u)", c);
	return buf;
}

static const char *cipher_name(unsigned c)
{
	static __thread char buf[24];
	switch (c) {
	case KTLS_TLS_CIPHER_AES_GCM_128:
		return "AES-GCM-128";
	case KTLS_TLS_CIPHER_AES_GCM_256:
		return "AES-GCM-256";
	case KTLS_TLS_CIPHER_AES_CCM_128:
		return "AES-CCM-128";
	case KTLS_TLS_CIPHER_CHACHA20_POLY1305:
		return "CHACHA20-POLY1305";
	default:
		snprintf(buf, sizeof(buf), "unknown(%u)", c);
		return buf;
	}
}

static const char *state_name(unsigned s)
{
	static const char *const names[] = {"?",	  "ESTAB",	"SYN-SENT",  "SYN-RECV",
					    "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE",
					    "CLOSE-WAIT", "LAST-ACK",	"LISTEN",    "CLOSING"};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int dump(struct mnl_socket *nl, int family, struct list_ctx *lc)
{
	static char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE, which is not a constant */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = KTLS_SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (unsigned)time(NULL);
	struct ktls_inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->family = (uint8_t)family;
	req->protocol = IPPROTO_TCP;
	req->states = ~0u;
	req->ext = 1 << (KTLS_INET_DIAG_INFO - 1); /* brings the ULP info along */
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	unsigned portid = mnl_socket_get_portid(nl);
	ssize_t n;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		int r = list_parse_reply(buf, (size_t)n, nlh->nlmsg_seq, portid, lc);
		if (r <= MNL_CB_STOP)
			return r < 0 ? -errno : 0;
	}
	return n < 0 ? -errno : 0;
}

/* Owner of each socket: scan /proc/PID/fd for socket:[inode]. */
static void find_owners(struct list_ctx *lc)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	while (proc && (d = readdir(proc))) {
		int pid = atoi(d->d_name);
		if (pid <= 0)
			continue;
		char path[64], link[64];
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		DIR *fds = opendir(path);
		struct dirent *f;
		while (fds && (f = readdir(fds))) {
			char fdpath[384];
			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, f->d_name);
			ssize_t n = readlink(fdpath, link, sizeof(link) - 1);
			unsigned ino;
			if (n <= 0)
				continue;
			link[n] = 0;
			if (sscanf(link, "socket:[%u]", &ino) != 1)
				continue;
			for (size_t i = 0; i < lc->n; i++)
				if (lc->socks[i].inode == ino && !lc->socks[i].pid) {
					lc->socks[i].pid = pid;
					char cpath[64];
					snprintf(cpath, sizeof(cpath), "/proc/%d/comm", pid);
					FILE *cf = fopen(cpath, "r");
					if (cf &&
					    fgets(lc->socks[i].comm, sizeof(lc->socks[i].comm), cf))
						lc->socks[i]
							.comm[strcspn(lc->socks[i].comm, "\n")] = 0;
					if (cf)
						fclose(cf);
				}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* Whether we hold CAP_NET_ADMIN (bit 12 of CapEff), read without libcap.
 * Without it the kernel leaves out the ULP attributes entirely, so kTLS
 * sockets cannot even be told apart from the others. */
static bool have_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;
	bool found = false;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	if (f)
		fclose(f);
	return !found || (caps >> 12 & 1);
}

int cmd_list(int argc, char **argv)
{
	struct list_ctx lc = {0};
	int json = 0, pid = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			lc.port = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			pid = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ktls-ctl list [--port N] [--pid N] [--json]\n\nEvery TCP "
			       "socket "
			       "with the kernel TLS ULP, IPv4 and IPv6: addresses, state,\nTLS "
			       "version, cipher, TX/RX mode (sw/hw), zero-copy and no-pad flags,\n"
			       "owning pid and command. Needs CAP_NET_ADMIN for the TLS "
			       "details.\n");
			return CTL_OK;
		} else {
			fprintf(stderr, "ktls-ctl list: bad option '%s'\n", argv[i]);
			return CTL_USAGE;
		}
	}
	if (!have_net_admin()) {
		fprintf(stderr,
			"ktls-ctl list: needs CAP_NET_ADMIN: without it the kernel does not "
			"say which sockets use TLS (run as root)\n");
		return CTL_FAIL;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ktls-ctl list: cannot open sock_diag: %s\n", strerror(errno));
		return CTL_FAIL;
	}
	int err = dump(nl, AF_INET, &lc);
	if (!err)
		err = dump(nl, AF_INET6, &lc);
	mnl_socket_close(nl);
	if (err) {
		fprintf(stderr, "ktls-ctl list: sock_diag: %s%s\n", strerror(-err),
			err == -ENOENT ? " (TCP socket diagnostics absent: modprobe tcp_diag)"
				       : "");
		return CTL_FAIL;
	}
	find_owners(&lc);
	int missing_details = 0;
	if (json)
		printf("[");
	size_t shown = 0;
	for (size_t i = 0; i < lc.n; i++) {
		struct tls_sock *t = &lc.socks[i];
		if (pid && t->pid != pid)
			continue;
		missing_details |= !t->has_tls;
		/* The TX record size limit (TLS_TX_MAX_PAYLOAD_LEN), where the
		 * kernel reports it. */
		char maxpl[12] = "null";
		if (t->tx_max_payload)
			snprintf(maxpl, sizeof(maxpl), "%u", t->tx_max_payload);
		if (json) {
			/* Every string escaped: the command is whatever name a
			 * local user gave a program. */
			char e[8][6 * sizeof(t->comm) + 1];
			printf("%s{\"local\":\"%s:%u\",\"peer\":\"%s:%u\",\"state\":\"%s\","
			       "\"version\":\"%s\",\"cipher\":\"%s\",\"tx\":\"%s\",\"rx\":\"%s\","
			       "\"zc_ro_tx\":%s,\"rx_no_pad\":%s,\"tx_max_payload\":%s,\"pid\":%d,"
			       "\"command\":\"%s\"}",
			       shown ? "," : "", text_json(e[0], sizeof(e[0]), t->src), t->sport,
			       text_json(e[1], sizeof(e[1]), t->dst), t->dport,
			       text_json(e[2], sizeof(e[2]), state_name(t->state)),
			       text_json(e[3], sizeof(e[3]),
					 t->version == 0x0304	? "1.3"
					 : t->version == 0x0303 ? "1.2"
								: "?"),
			       text_json(e[4], sizeof(e[4]),
					 t->has_tls ? cipher_name(t->cipher) : "?"),
			       text_json(e[5], sizeof(e[5]), conf_name(t->txconf)),
			       text_json(e[6], sizeof(e[6]), conf_name(t->rxconf)),
			       t->zc_ro_tx ? "true" : "false", t->rx_no_pad ? "true" : "false",
			       maxpl, t->pid, text_json(e[7], sizeof(e[7]), t->comm));
		} else {
			if (!shown)
				printf("%-24s %-24s %-6s %-4s %-18s %-4s %-4s %-6s %-6s %s\n",
				       "LOCAL", "PEER", "STATE", "TLS", "CIPHER", "TX", "RX",
				       "FLAGS", "MAXREC", "PID/COMMAND");
			char l[64], p[64], comm[sizeof(t->comm)];
			snprintf(l, sizeof(l), "%s:%u", t->src, t->sport);
			snprintf(p, sizeof(p), "%s:%u", t->dst, t->dport);
			printf("%-24s %-24s %-6s %-4s %-18s %-4s %-4s %-6s %-6s %d/%s\n", l, p,
			       state_name(t->state),
			       t->version == 0x0304   ? "1.3"
			       : t->version == 0x0303 ? "1.2"
						      : "?",
			       t->has_tls ? cipher_name(t->cipher) : "?", conf_name(t->txconf),
			       conf_name(t->rxconf),
			       t->zc_ro_tx    ? "zc"
			       : t->rx_no_pad ? "nopad"
					      : "-",
			       maxpl[0] == 'n' ? "-" : maxpl, t->pid,
			       text_terminal(comm, sizeof(comm), t->comm));
		}
		shown++;
	}
	if (json)
		printf("]\n");
	else if (!shown)
		printf("no kernel TLS sockets%s\n", lc.port || pid ? " match" : "");
	if (missing_details)
		fprintf(stderr,
			"ktls-ctl list: the kernel left out TLS details (needs CAP_NET_ADMIN)\n");
	free(lc.socks);
	return CTL_OK;
}
