/* SPDX-License-Identifier: Apache-2.0 */
/* The parse of sock_diag's answer for ktls-ctl list (see list_parse.h). */
#include "list_parse.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "uapi/ktls_diag.h"

/* Attributes of INET_ULP_INFO_TLS; unknown ones (newer kernels) are skipped. */
static int tls_attr(const struct nlattr *a, void *data)
{
	struct tls_sock *t = data;
	/* A u16 attribute shorter than that would be read past its end. */
	int type = mnl_attr_get_type(a);
	if (type != KTLS_TLS_INFO_ZC_RO_TX && type != KTLS_TLS_INFO_RX_NO_PAD &&
	    mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return MNL_CB_OK;
	switch (type) {
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
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ktls_inet_diag_msg))
		return MNL_CB_OK; /* too short to be a socket: nothing to read */
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

int list_parse_reply(const void *buf, size_t len, unsigned seq, unsigned portid,
		     struct list_ctx *lc)
{
	/* libmnl compares nlmsg_len as an int: one of 2^31 or more passes its
	 * check, and its walk then leaves the buffer. Every header is checked
	 * here first. */
	for (size_t off = 0; len - off >= sizeof(struct nlmsghdr);) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)buf + off);
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off) {
			errno = EBADMSG;
			return MNL_CB_ERROR;
		}
		size_t step = MNL_ALIGN(h->nlmsg_len);
		if (step > len - off)
			break;
		off += step;
	}
	return mnl_cb_run(buf, len, seq, portid, on_msg, lc);
}
