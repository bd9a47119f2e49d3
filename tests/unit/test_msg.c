/* SPDX-License-Identifier: Apache-2.0 */
/* Handshake message codecs: round trips, every truncation, trailing bytes,
 * and the specific refusals each message has. */
#include "handshake/msg.h"
#include "testutil.h"

typedef int (*decode_fn)(const uint8_t *body, size_t len, const char **why);

static struct ktls_client_hello ch_out;
static int dec_ch(const uint8_t *b, size_t n, const char **w)
{
	return ktls_client_hello_decode(&ch_out, b, n, w);
}
static int dec_sh(const uint8_t *b, size_t n, const char **w)
{
	struct ktls_server_hello sh;
	return ktls_server_hello_decode(&sh, b, n, w);
}
static int dec_ee(const uint8_t *b, size_t n, const char **w)
{
	struct ktls_encrypted_extensions ee;
	return ktls_encrypted_extensions_decode(&ee, b, n, w);
}
static int dec_cert(const uint8_t *b, size_t n, const char **w)
{
	struct ktls_certificate c;
	return ktls_certificate_decode(&c, b, n, w);
}
static int dec_cr(const uint8_t *b, size_t n, const char **w)
{
	struct ktls_certificate_request cr;
	return ktls_certificate_request_decode(&cr, b, n, w);
}
static int dec_cv(const uint8_t *b, size_t n, const char **w)
{
	struct ktls_certificate_verify cv;
	return ktls_certificate_verify_decode(&cv, b, n, w);
}
static int dec_nst(const uint8_t *b, size_t n, const char **w)
{
	struct ktls_new_session_ticket t;
	return ktls_new_session_ticket_decode(&t, b, n, w);
}
static int dec_ku(const uint8_t *b, size_t n, const char **w)
{
	int req;
	return ktls_key_update_decode(&req, b, n, w);
}

/* Decodes the body of an encoded message whole, then every truncation and
 * with a trailing byte, each from an exact-size heap copy (ASan). */
static void check_codec(const struct ktls_buf *m, uint8_t type, decode_fn dec)
{
	ck_assert(!m->bad);
	ck_assert_uint_eq(m->base[0], type);
	size_t len = m->len - 4;
	ck_assert_uint_eq((size_t)m->base[1] << 16 | (size_t)m->base[2] << 8 | m->base[3], len);
	const char *why = NULL;
	uint8_t *body = malloc(len + 1);
	memcpy(body, m->base + 4, len);
	ck_assert_msg(dec(body, len, &why) == 0, "valid message refused: %s", why);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, body, cut);
		int err = dec(copy, cut, &why);
		ck_assert_msg(err < 0, "truncation to %zu of %zu accepted", cut, len);
		ck_assert_int_ge(-err, KTLS_E_ALERT_SENT);
		free(copy);
	}
	body[len] = 0;
	ck_assert_int_lt(dec(body, len + 1, &why), 0);
	free(body);
}

START_TEST(client_hello)
{
	static const uint16_t suites[] = {0x1301, 0x1302}, groups[] = {0x1d, 0x17},
			      sigs[] = {0x0403, 0x0807};
	uint8_t random[32] = {1}, sid[32] = {2}, pub[32] = {3};
	static const uint8_t alpn[] = {2, 'h', '2'};
	struct ktls_share share = {0x1d, {pub, 32}};
	struct ktls_client_hello_params p = {random, sid,    32,   suites,   2, groups,
					     2,	     &share, 1,	   sigs,     2, "example.com",
					     alpn,   3,	     1000, {NULL, 0}};
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_client_hello_encode(&m, &p);
	check_codec(&m, KTLS_HS_CLIENT_HELLO, dec_ch);
	const char *why;
	ck_assert_int_eq(dec_ch(m.base + 4, m.len - 4, &why), 0);
	ck_assert(ch_out.tls13);
	ck_assert_uint_eq(ch_out.n_suites, 2);
	ck_assert_uint_eq(ch_out.n_shares, 1);
	ck_assert_uint_eq(ch_out.shares[0].group, 0x1d);
	ck_assert_uint_eq(ch_out.sni.len, 11);
	ck_assert_mem_eq(ch_out.sni.p, "example.com", 11);
	ck_assert_uint_eq(ch_out.record_size_limit, 1000);
	ck_assert(ch_out.psk_dhe_ke);

	/* A duplicated extension: append a second supported_versions. The
	 * extensions block length sits after the compression methods. */
	struct ktls_buf d;
	ktls_buf_init(&d);
	ktls_buf_put(&d, m.base + 4, m.len - 4);
	size_t ext_off = 2 + 32 + 1 + 32 + 2 + 4 + 2;
	ck_assert_uint_eq(d.base[ext_off - 2], 1); /* one compression method */
	size_t ext_len = (size_t)d.base[ext_off] << 8 | d.base[ext_off + 1];
	static const uint8_t dup[] = {0, 43, 0, 3, 2, 3, 4};
	ktls_buf_put(&d, dup, sizeof(dup));
	ext_len += sizeof(dup);
	d.base[ext_off] = (uint8_t)(ext_len >> 8);
	d.base[ext_off + 1] = (uint8_t)ext_len;
	ck_assert_int_eq(dec_ch(d.base, d.len, &why), KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER));
	ck_assert_str_eq(why, "duplicate extension");

	/* TLS 1.2 only: supported_versions without 0x0304. */
	d.len = 0;
	ktls_buf_put(&d, m.base + 4, m.len - 4);
	uint8_t *sv = memmem(d.base, d.len, "\x00\x2b\x00\x03\x02\x03\x04", 7);
	ck_assert_ptr_nonnull(sv);
	sv[6] = 3;
	ck_assert_int_eq(dec_ch(d.base, d.len, &why), KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION));
	ktls_buf_free(&d);
	ktls_buf_free(&m);
}
END_TEST

START_TEST(server_hello_and_hrr)
{
	uint8_t pub[65] = {4}, sid[32] = {9};
	struct ktls_server_hello sh = {
		.session_id = {sid, 32}, .suite = 0x1302, .group = 0x17, .pub = {pub, 65}};
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_server_hello_encode(&m, &sh);
	check_codec(&m, KTLS_HS_SERVER_HELLO, dec_sh);
	struct ktls_server_hello got;
	const char *why;
	ck_assert_int_eq(ktls_server_hello_decode(&got, m.base + 4, m.len - 4, &why), 0);
	ck_assert(!got.hrr);
	ck_assert_uint_eq(got.suite, 0x1302);
	ck_assert_uint_eq(got.pub.len, 65);
	m.len = 0;
	uint8_t cookie[5] = {1, 2, 3, 4, 5};
	struct ktls_server_hello hrr = {
		.hrr = true, .suite = 0x1301, .group = 0x18, .cookie = {cookie, 5}};
	ktls_server_hello_encode(&m, &hrr);
	check_codec(&m, KTLS_HS_SERVER_HELLO, dec_sh);
	ck_assert_int_eq(ktls_server_hello_decode(&got, m.base + 4, m.len - 4, &why), 0);
	ck_assert(got.hrr);
	ck_assert_uint_eq(got.group, 0x18);
	ck_assert_uint_eq(got.cookie.len, 5);
	ktls_buf_free(&m);
}
END_TEST

START_TEST(encrypted_extensions)
{
	struct ktls_encrypted_extensions ee = {{(const uint8_t *)"h2", 2}, true, 4096}, got;
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_encrypted_extensions_encode(&m, &ee);
	check_codec(&m, KTLS_HS_ENCRYPTED_EXTENSIONS, dec_ee);
	const char *why;
	ck_assert_int_eq(ktls_encrypted_extensions_decode(&got, m.base + 4, m.len - 4, &why), 0);
	ck_assert_uint_eq(got.alpn.len, 2);
	ck_assert(got.sni_ack);
	ck_assert_uint_eq(got.record_size_limit, 4096);
	/* key_share has no place in EncryptedExtensions. */
	static const uint8_t bad[] = {0, 4, 0, 51, 0, 0};
	ck_assert_int_eq(ktls_encrypted_extensions_decode(&got, bad, sizeof(bad), &why),
			 KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER));
	ktls_buf_free(&m);
}
END_TEST

START_TEST(certificate_messages)
{
	uint8_t der1[300], der2[100];
	memset(der1, 0x30, sizeof(der1));
	memset(der2, 0x31, sizeof(der2));
	struct ktls_bytes certs[2] = {{der1, 300}, {der2, 100}}, ctx = {NULL, 0};
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_certificate_encode(&m, &ctx, certs, 2);
	check_codec(&m, KTLS_HS_CERTIFICATE, dec_cert);
	struct ktls_certificate got;
	const char *why;
	ck_assert_int_eq(ktls_certificate_decode(&got, m.base + 4, m.len - 4, &why), 0);
	ck_assert_uint_eq(got.n_certs, 2);
	ck_assert_uint_eq(got.certs[1].len, 100);
	/* A chain longer than KTLS_MAX_CHAIN is refused, not truncated. */
	struct ktls_bytes many[KTLS_MAX_CHAIN + 1];
	for (size_t i = 0; i <= KTLS_MAX_CHAIN; i++)
		many[i] = certs[1];
	m.len = 0;
	ktls_certificate_encode(&m, &ctx, many, KTLS_MAX_CHAIN + 1);
	ck_assert_int_eq(ktls_certificate_decode(&got, m.base + 4, m.len - 4, &why),
			 KTLS_ALERT_ERR(KTLS_ALERT_BAD_CERTIFICATE));

	static const uint16_t sigs[] = {0x0403, 0x0804};
	m.len = 0;
	ktls_certificate_request_encode(&m, sigs, 2);
	check_codec(&m, KTLS_HS_CERTIFICATE_REQUEST, dec_cr);
	static const uint8_t no_sigalgs[] = {0, 0, 0};
	struct ktls_certificate_request cr;
	ck_assert_int_eq(ktls_certificate_request_decode(&cr, no_sigalgs, 3, &why),
			 KTLS_ALERT_ERR(KTLS_ALERT_MISSING_EXTENSION));
	ktls_buf_free(&m);
}
END_TEST

START_TEST(small_messages)
{
	struct ktls_buf m;
	ktls_buf_init(&m);
	uint8_t sig[72];
	memset(sig, 0x55, sizeof(sig));
	ktls_certificate_verify_encode(&m, 0x0403, sig, sizeof(sig));
	check_codec(&m, KTLS_HS_CERTIFICATE_VERIFY, dec_cv);

	m.len = 0;
	uint8_t nonce[1] = {7}, ticket[40] = {1};
	struct ktls_new_session_ticket t = {3600, 0xdeadbeef, {nonce, 1}, {ticket, 40}}, got;
	ktls_new_session_ticket_encode(&m, &t);
	check_codec(&m, KTLS_HS_NEW_SESSION_TICKET, dec_nst);
	const char *why;
	ck_assert_int_eq(ktls_new_session_ticket_decode(&got, m.base + 4, m.len - 4, &why), 0);
	ck_assert_uint_eq(got.lifetime, 3600);
	ck_assert_uint_eq(got.age_add, 0xdeadbeef);
	ck_assert_uint_eq(got.ticket.len, 40);

	m.len = 0;
	ktls_key_update_encode(&m, 1);
	check_codec(&m, KTLS_HS_KEY_UPDATE, dec_ku);
	int req = -1;
	for (int v = 0; v < 256; v++) {
		uint8_t b = (uint8_t)v;
		int err = ktls_key_update_decode(&req, &b, 1, &why);
		if (v <= 1) {
			ck_assert_int_eq(err, 0);
			ck_assert_int_eq(req, v);
		} else {
			ck_assert_int_eq(err, KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER));
		}
	}
	struct ktls_bytes vd;
	ck_assert_int_eq(ktls_finished_decode(&vd, 32, sig, 31, &why),
			 KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR));
	ck_assert_int_eq(ktls_finished_decode(&vd, 32, sig, 32, &why), 0);
	ktls_buf_free(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("codecs");
	tcase_add_test(tc, client_hello);
	tcase_add_test(tc, server_hello_and_hrr);
	tcase_add_test(tc, encrypted_extensions);
	tcase_add_test(tc, certificate_messages);
	tcase_add_test(tc, small_messages);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
