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
#include "text.h"
#include "uapi/ktls_diag.h"

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

/* Attributes of INET_ULP_INFO_TLS; unknown ones (newer kernels) are skipped. */
static int tls_attr(const struct nlattr *a, void *data)
{
	struct tls_sock *t = data;
	switch (mnl_attr_get_type(a)) {
	case KTLS_TLS_INFO_VERSION:
		t->version = mnl_attr_get_u16(a);
		break;
	case KTLS_TLS_INFO_CIPHER:
		t->cipher = mnl_attr_get_u16(a);
		break;
	case KTLS_TLS_INFO_TXCONF:
		t->txconf = mnl_attr_get_u16(a);
		break;
	case KTLS_TLS_INFO_RXCONF:
		t->rxconf = mnl_attr_get_u16(a);
		break;
	case KTLS_TLS_INFO_ZC_RO_TX:
		t->zc_ro_tx = 1;
		break;
	case KTLS_TLS_INFO_RX_NO_PAD:
		t->rx_no_pad = 1;
		break;
	case KTLS_TLS_INFO_TX_MAX_PAYLOAD_LEN:
		t->tx_max_payload = mnl_attr_get_u16(a);
		break;
	}
	return MNL_CB_OK;
}

struct ulp_parse {
	struct tls_sock *t;
	int is_tls;
};

static int ulp_attr(const struct nlattr *a, void *data)
{
	struct ulp_parse *u = data;
	if (mnl_attr_get_type(a) == KTLS_INET_ULP_INFO_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		u->is_tls = !strcmp(mnl_attr_get_str(a), "tls");
	else if (mnl_attr_get_type(a) == KTLS_INET_ULP_INFO_TLS)
		mnl_attr_parse_nested(a, tls_attr, u->t);
	return MNL_CB_OK;
}

static int diag_attr(const struct nlattr *a, void *data)
{
	struct ulp_parse *u = data;
	if (mnl_attr_get_type(a) == KTLS_INET_DIAG_ULP_INFO)
		mnl_attr_parse_nested(a, ulp_attr, u);
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *lc = data;
	const struct ktls_inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct tls_sock t = {0};
	struct ulp_parse u = {&t, 0};
	mnl_attr_parse(nlh, sizeof(*m), diag_attr, &u);
	if (!u.is_tls)
		return MNL_CB_OK;
	lc->ulp_seen = 1;
	t.family = m->family;
	t.has_tls = t.version != 0;
	t.sport = ntohs(m->id.sport);
	t.dport = ntohs(m->id.dport);
	t.state = m->state;
	t.inode = m->inode;
	inet_ntop(t.family, m->id.src, t.src, sizeof(t.src));
	inet_ntop(t.family, m->id.dst, t.dst, sizeof(t.dst));
	if (lc->port && (int)t.sport != lc->port && (int)t.dport != lc->port)
		return MNL_CB_OK;
	if (lc->n == lc->cap) {
		size_t cap = lc->cap ? 2 * lc->cap : 64;
		struct tls_sock *p = realloc(lc->socks, cap * sizeof(*p));
		if (!p)
			return MNL_CB_ERROR;
		lc->socks = p;
		lc->cap = cap;
	}
	lc->socks[lc->n++] = t;
	return MNL_CB_OK;
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
		int r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, on_msg, lc);
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
