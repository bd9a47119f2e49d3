/* SPDX-License-Identifier: Apache-2.0 */
/* ktls-ctl list's parse of sock_diag answers: a TLS socket read in full,
 * and malformed answers refused without reading past them (found by the
 * ctl-list fuzz target). */
#include <check.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/ktls-ctl/list_parse.h"
#include "../../tools/uapi/ktls_diag.h"
#include "testutil.h"

/* One socket's message: the diag header, then ULP info "tls" with the
 * given TLS attributes (already encoded). */
static size_t put_sock(uint8_t *buf, size_t cap, const uint8_t *tls, size_t tls_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = KTLS_SOCK_DIAG_BY_FAMILY;
	struct ktls_inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->family = AF_INET;
	m->state = 1;
	m->id.sport = htons(443);
	m->id.dport = htons(50000);
	m->id.src[0] = m->id.dst[0] = htonl(0x7f000001);
	m->inode = 77;
	struct nlattr *ulp = mnl_attr_nest_start(nlh, KTLS_INET_DIAG_ULP_INFO);
	mnl_attr_put_strz(nlh, KTLS_INET_ULP_INFO_NAME, "tls");
	struct nlattr *t = mnl_attr_nest_start(nlh, KTLS_INET_ULP_INFO_TLS);
	if (tls_len)
		memcpy((uint8_t *)t + MNL_ATTR_HDRLEN, tls, tls_len);
	nlh->nlmsg_len += MNL_ALIGN(tls_len);
	mnl_attr_nest_end(nlh, t);
	mnl_attr_nest_end(nlh, ulp);
	ck_assert_uint_le(nlh->nlmsg_len, cap);
	return nlh->nlmsg_len;
}

static size_t attr_u16(uint8_t *p, uint16_t type, uint16_t v, uint16_t len)
{
	struct nlattr a = {.nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len), .nla_type = type};
	memcpy(p, &a, sizeof(a));
	memcpy(p + MNL_ATTR_HDRLEN, &v, len);
	return MNL_ALIGN(MNL_ATTR_HDRLEN + len);
}

START_TEST(tls_socket_parsed)
{
	uint8_t tls[64], buf[512];
	size_t n = attr_u16(tls, KTLS_TLS_INFO_VERSION, 0x0304, 2);
	n += attr_u16(tls + n, KTLS_TLS_INFO_CIPHER, KTLS_TLS_CIPHER_AES_GCM_256, 2);
	n += attr_u16(tls + n, KTLS_TLS_INFO_TXCONF, 2, 2);
	size_t len = put_sock(buf, sizeof(buf), tls, n);
	uint8_t *exact = malloc(len);
	memcpy(exact, buf, len);
	struct list_ctx lc = {0};
	ck_assert_int_ge(list_parse_reply(exact, len, 0, 0, &lc), MNL_CB_STOP);
	ck_assert_uint_eq(lc.n, 1);
	ck_assert_uint_eq(lc.socks[0].version, 0x0304);
	ck_assert_uint_eq(lc.socks[0].cipher, KTLS_TLS_CIPHER_AES_GCM_256);
	ck_assert_uint_eq(lc.socks[0].txconf, 2);
	ck_assert_uint_eq(lc.socks[0].sport, 443);
	ck_assert_str_eq(lc.socks[0].src, "127.0.0.1");
	free(lc.socks);
	free(exact);
}
END_TEST

/* A u16 attribute of no payload is skipped, not read past. */
START_TEST(short_attribute_skipped)
{
	uint8_t tls[64], buf[512];
	size_t n = attr_u16(tls, KTLS_TLS_INFO_VERSION, 0x0304, 2);
	n += attr_u16(tls + n, KTLS_TLS_INFO_CIPHER, 0xffff, 0);
	memset(buf, 0xff, sizeof(buf)); /* what a read past the attribute finds */
	size_t len = put_sock(buf, sizeof(buf), tls, n);
	struct list_ctx lc = {0};
	ck_assert_int_ge(list_parse_reply(buf, len, 0, 0, &lc), MNL_CB_STOP);
	ck_assert_uint_eq(lc.n, 1);
	ck_assert_uint_eq(lc.socks[0].cipher, 0); /* the old code read the next bytes */
	free(lc.socks);
}
END_TEST

/* nlmsg_len of 2^31 or more: refused (libmnl's int compare let it walk
 * off the buffer), as is a message too short for a socket. */
START_TEST(bad_lengths_refused)
{
	uint8_t buf[512];
	size_t len = put_sock(buf, sizeof(buf), NULL, 0);
	struct nlmsghdr h = {.nlmsg_len = 0x80000010u, .nlmsg_type = KTLS_SOCK_DIAG_BY_FAMILY};
	memcpy(buf + len, &h, sizeof(h));
	struct list_ctx lc = {0};
	errno = 0;
	ck_assert_int_eq(list_parse_reply(buf, len + sizeof(h), 0, 0, &lc), MNL_CB_ERROR);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_uint_eq(lc.n, 0);

	struct nlmsghdr s = {.nlmsg_len = sizeof(s) + 8, .nlmsg_type = KTLS_SOCK_DIAG_BY_FAMILY};
	uint8_t shortmsg[sizeof(s) + 8] = {0};
	memcpy(shortmsg, &s, sizeof(s));
	ck_assert_int_ge(list_parse_reply(shortmsg, sizeof(shortmsg), 0, 0, &lc), MNL_CB_STOP);
	ck_assert_uint_eq(lc.n, 0);
	free(lc.socks);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl-list");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, tls_socket_parsed);
	tcase_add_test(tc, short_attribute_skipped);
	tcase_add_test(tc, bad_lengths_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
