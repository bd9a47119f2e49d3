/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client and server engines of this library against each other, in memory:
 * every suite x group x signature scheme, HelloRetryRequest, ALPN, SNI,
 * mutual TLS, and the refusals (wrong name, expired, untrusted, tampering).
 */
#include <errno.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "conn/posths.h"
#include "hspair.h"

static const uint16_t all_suites[] = {KTLS_TLS_AES_128_GCM_SHA256, KTLS_TLS_AES_256_GCM_SHA384,
				      KTLS_TLS_CHACHA20_POLY1305_SHA256,
				      KTLS_TLS_AES_128_CCM_SHA256};
static const uint16_t all_groups[] = {KTLS_GROUP_X25519, KTLS_GROUP_SECP256R1, KTLS_GROUP_SECP384R1,
				      KTLS_GROUP_SECP521R1, KTLS_GROUP_X448};
#define N_GROUPS (sizeof(all_groups) / sizeof(all_groups[0]))
static const struct {
	uint16_t scheme;
	const char *cert;
} schemes[] = {
	{KTLS_SIG_ECDSA_SECP256R1_SHA256, "server-ecdsa256"},
	{KTLS_SIG_ECDSA_SECP384R1_SHA384, "server-ecdsa384"},
	{KTLS_SIG_RSA_PSS_RSAE_SHA256, "server-rsa"},
	{KTLS_SIG_RSA_PSS_RSAE_SHA384, "server-rsa"},
	{KTLS_SIG_RSA_PSS_RSAE_SHA512, "server-rsa"},
	{KTLS_SIG_ED25519, "server-ed25519"},
	{KTLS_SIG_ECDSA_SECP521R1_SHA512, "server-ecdsa521"},
	{KTLS_SIG_ED448, "server-ed448"},
	{KTLS_SIG_RSA_PSS_PSS_SHA256, "server-rsapss"},
	{KTLS_SIG_RSA_PSS_PSS_SHA384, "server-rsapss"},
	{KTLS_SIG_RSA_PSS_PSS_SHA512, "server-rsapss"},
};
#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

static struct ktls_config *client_cfg(void)
{
	struct ktls_config *c = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_ca_file(c, cert_path("ca.pem")), 0);
	return c;
}

static struct ktls_config *server_cfg(const char *cert)
{
	struct ktls_config *s = ktls_config_new(KTLS_SERVER);
	add_cert(s, cert);
	return s;
}

/* After a handshake: both ends hold matching application keys. */
static void check_app_keys(struct ktls_hs *c, struct ktls_hs *s)
{
	struct ktls_rec_dir crd, cwr, srd, swr;
	ck_assert_int_eq(ktls_hs_take_app_keys(c, &crd, &cwr), 0);
	ck_assert_int_eq(ktls_hs_take_app_keys(s, &srd, &swr), 0);
	uint8_t rec[64], out[64], type;
	long n = ktls_rec_seal(&cwr, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"ping", 4, 0, rec,
			       sizeof(rec));
	ck_assert_int_eq(ktls_rec_open(&srd, rec, (size_t)n, out, sizeof(out), &type), 4);
	ck_assert_mem_eq(out, "ping", 4);
	n = ktls_rec_seal(&swr, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"pong", 4, 0, rec,
			  sizeof(rec));
	ck_assert_int_eq(ktls_rec_open(&crd, rec, (size_t)n, out, sizeof(out), &type), 4);
	ck_assert_mem_eq(out, "pong", 4);
	ktls_rec_clear(&crd);
	ktls_rec_clear(&cwr);
	ktls_rec_clear(&srd);
	ktls_rec_clear(&swr);
}

START_TEST(matrix)
{
	/* _i enumerates suite x group x scheme: 4 x 5 x 11 = 220 handshakes. */
	size_t si = (size_t)_i % 4, gi = (size_t)_i / 4 % N_GROUPS,
	       ki = (size_t)_i / (4 * N_GROUPS);
	struct ktls_config *cc = client_cfg(), *sc = server_cfg(schemes[ki].cert);
	ck_assert_int_eq(ktls_config_set_suites(cc, &all_suites[si], 1), 0);
	ck_assert_int_eq(ktls_config_set_groups(cc, &all_groups[gi], 1), 0);
	ck_assert_int_eq(ktls_config_set_sigalgs(cc, &schemes[ki].scheme, 1), 0);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_msg(r.client == 1 && r.server == 1, "client %d (%s) server %d (%s)", r.client,
		      ktls_hs_error_detail(c), r.server, ktls_hs_error_detail(s));
	ck_assert_uint_eq(ktls_hs_suite(c), all_suites[si]);
	ck_assert_uint_eq(ktls_hs_suite(s), all_suites[si]);
	ck_assert_uint_eq(ktls_hs_group(c), all_groups[gi]);
	ck_assert_uint_eq(ktls_hs_group(s), all_groups[gi]);
	ck_assert_uint_eq(ktls_hs_sigalg(c), schemes[ki].scheme);
	ck_assert_uint_eq(ktls_hs_sigalg(s), schemes[ki].scheme);
	ck_assert(!ktls_hs_did_hrr(c));
	ck_assert_str_eq(ktls_hs_server_name(s), "server.test");
	check_app_keys(c, s);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(hello_retry_request)
{
	/* The client's first share (X25519) is not one the server takes. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_groups(sc, &all_groups[2], 1), 0);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_msg(r.client == 1 && r.server == 1, "%s / %s", ktls_hs_error_detail(c),
		      ktls_hs_error_detail(s));
	ck_assert(ktls_hs_did_hrr(c) && ktls_hs_did_hrr(s));
	ck_assert_uint_eq(ktls_hs_group(c), KTLS_GROUP_SECP384R1);
	check_app_keys(c, s);
	ktls_hs_free(c);
	ktls_hs_free(s);
	/* No group in common at all: handshake_failure. */
	ck_assert_int_eq(ktls_config_set_groups(cc, &all_groups[0], 1), 0);
	c = ktls_hs_new(cc, "server.test");
	s = ktls_hs_new(sc, NULL);
	r = run_pair(c, s);
	ck_assert_int_eq(r.server, KTLS_ALERT_ERR(KTLS_ALERT_HANDSHAKE_FAILURE));
	ck_assert_int_eq(r.client, -(KTLS_E_ALERT_RECEIVED + KTLS_ALERT_HANDSHAKE_FAILURE));
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(alpn)
{
	static const char *const cprotos[] = {"h2", "http/1.1"}, *const sprotos[] = {"http/1.1"},
				 *const other[] = {"imap"};
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_alpn(cc, cprotos, 2), 0);
	ck_assert_int_eq(ktls_config_set_alpn(sc, sprotos, 1), 0);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_int_eq(r.client, 1);
	ck_assert_str_eq(ktls_hs_alpn(c), "http/1.1");
	ck_assert_str_eq(ktls_hs_alpn(s), "http/1.1");
	ktls_hs_free(c);
	ktls_hs_free(s);
	ck_assert_int_eq(ktls_config_set_alpn(sc, other, 1), 0);
	c = ktls_hs_new(cc, "server.test");
	s = ktls_hs_new(sc, NULL);
	r = run_pair(c, s);
	ck_assert_int_eq(r.server, KTLS_ALERT_ERR(KTLS_ALERT_NO_APPLICATION_PROTOCOL));
	ck_assert_int_eq(r.client, -(KTLS_E_ALERT_RECEIVED + KTLS_ALERT_NO_APPLICATION_PROTOCOL));
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(sni_selects_certificate)
{
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	add_cert(sc, "server-other");
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "other.test" : "server.test";
		struct ktls_hs *c = ktls_hs_new(cc, name), *s = ktls_hs_new(sc, NULL);
		struct hs_result r = run_pair(c, s);
		/* The client checks the name: success means the right chain. */
		ck_assert_msg(r.client == 1, "%s: %s", name, ktls_hs_error_detail(c));
		ck_assert_str_eq(ktls_hs_server_name(s), name);
		ktls_hs_free(c);
		ktls_hs_free(s);
	}
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(mutual_tls)
{
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-rsa");
	ck_assert_int_eq(ktls_config_set_ca_file(sc, cert_path("ca.pem")), 0);
	ck_assert_int_eq(ktls_config_set_verify(sc, KTLS_VERIFY_REQUIRE), 0);
	/* Without a client certificate: certificate_required. */
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_int_eq(r.server, KTLS_ALERT_ERR(KTLS_ALERT_CERTIFICATE_REQUIRED));
	ktls_hs_free(c);
	ktls_hs_free(s);
	/* With one: both ends done, the server holds the client's certificate. */
	add_cert(cc, "client");
	c = ktls_hs_new(cc, "server.test");
	s = ktls_hs_new(sc, NULL);
	r = run_pair(c, s);
	ck_assert_msg(r.client == 1 && r.server == 1, "%s / %s", ktls_hs_error_detail(c),
		      ktls_hs_error_detail(s));
	ck_assert_ptr_nonnull(ktls_hs_peer_cert(s));
	check_app_keys(c, s);
	ktls_hs_free(c);
	ktls_hs_free(s);
	/* A client certificate from another CA: unknown_ca. */
	struct ktls_config *cc2 = client_cfg();
	add_cert(cc2, "untrusted");
	c = ktls_hs_new(cc2, "server.test");
	s = ktls_hs_new(sc, NULL);
	r = run_pair(c, s);
	ck_assert_int_eq(r.server, KTLS_ALERT_ERR(KTLS_ALERT_UNKNOWN_CA));
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc2);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(refusals)
{
	static const struct {
		const char *cert, *name;
		int alert;
	} cases[] = {
		{"server-ecdsa256", "wrong.test", KTLS_ALERT_BAD_CERTIFICATE},
		{"expired", "server.test", KTLS_ALERT_CERTIFICATE_EXPIRED},
		{"untrusted", "server.test", KTLS_ALERT_UNKNOWN_CA},
	};
	for (size_t i = 0; i < 3; i++) {
		struct ktls_config *cc = client_cfg(), *sc = server_cfg(cases[i].cert);
		struct ktls_hs *c = ktls_hs_new(cc, cases[i].name), *s = ktls_hs_new(sc, NULL);
		struct hs_result r = run_pair(c, s);
		ck_assert_msg(r.client == KTLS_ALERT_ERR(cases[i].alert), "%s: %d %s",
			      cases[i].cert, r.client, ktls_hs_error_detail(c));
		ck_assert_int_eq(r.server, -(KTLS_E_ALERT_RECEIVED + cases[i].alert));
		ktls_hs_free(c);
		ktls_hs_free(s);
		ktls_config_free(cc);
		ktls_config_free(sc);
	}
}
END_TEST

/* One handshake of cc against sc for name; the client engine (to free). */
static struct ktls_hs *client_after(struct ktls_config *cc, struct ktls_config *sc,
				    const char *name, int want)
{
	struct ktls_hs *c = ktls_hs_new(cc, name), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_msg(r.client == want, "%s: %d %s", name, r.client, ktls_hs_error_detail(c));
	ktls_hs_free(s);
	return c;
}

START_TEST(chain_cache)
{
	/* A chain verified once is not parsed again: the same leaf object
	 * comes back; but only for the same host, and not once the trust
	 * anchors change or the cache is off. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	struct ktls_hs *c1 = client_after(cc, sc, "server.test", 1);
	struct ktls_hs *c2 = client_after(cc, sc, "server.test", 1);
	ck_assert_ptr_nonnull(ktls_hs_peer_cert(c1));
	ck_assert_ptr_eq(ktls_hs_peer_cert(c1), ktls_hs_peer_cert(c2));
	ktls_hs_free(
		client_after(cc, sc, "wrong.test", KTLS_ALERT_ERR(KTLS_ALERT_BAD_CERTIFICATE)));
	ktls_hs_free(c2);
	c2 = client_after(cc, sc, "server.test", 1);
	ck_assert_ptr_eq(ktls_hs_peer_cert(c1), ktls_hs_peer_cert(c2));
	ktls_hs_free(c2);
	ck_assert_int_eq(ktls_config_set_ca_file(cc, cert_path("otherca.pem")), 0);
	c2 = client_after(cc, sc, "server.test", 1);
	ck_assert_ptr_ne(ktls_hs_peer_cert(c1), ktls_hs_peer_cert(c2));
	ktls_hs_free(c1);
	c1 = c2;
	ck_assert_int_eq(ktls_config_set_verify_cache(cc, 0), 0);
	c2 = client_after(cc, sc, "server.test", 1);
	ck_assert_ptr_ne(ktls_hs_peer_cert(c1), ktls_hs_peer_cert(c2));
	ck_assert_int_eq(ktls_config_set_verify_cache(cc, 1025), -EINVAL);
	ktls_hs_free(c1);
	ktls_hs_free(c2);
	/* An untrusted chain is never remembered: refused every time. */
	ktls_config_free(cc);
	cc = client_cfg();
	struct ktls_config *su = server_cfg("untrusted");
	for (int i = 0; i < 2; i++)
		ktls_hs_free(
			client_after(cc, su, "server.test", KTLS_ALERT_ERR(KTLS_ALERT_UNKNOWN_CA)));
	ktls_config_free(su);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(bad_signatures)
{
	/* A server whose CertificateVerify is signed by the wrong key (same
	 * type, so only the signature check can tell): decrypt_error. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	struct ktls_config *other = server_cfg("client");
	EVP_PKEY *real = sc->certs[0].key;
	sc->certs[0].key = other->certs[0].key;
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_int_eq(r.client, KTLS_ALERT_ERR(KTLS_ALERT_DECRYPT_ERROR));
	ck_assert_int_eq(r.server, -(KTLS_E_ALERT_RECEIVED + KTLS_ALERT_DECRYPT_ERROR));
	ck_assert_str_eq(ktls_hs_error_detail(c), "CertificateVerify: signature does not verify");
	ktls_hs_free(c);
	ktls_hs_free(s);
	sc->certs[0].key = real;

	/* The same from a client in mutual TLS. */
	ck_assert_int_eq(ktls_config_set_ca_file(sc, cert_path("ca.pem")), 0);
	ck_assert_int_eq(ktls_config_set_verify(sc, KTLS_VERIFY_REQUIRE), 0);
	add_cert(cc, "client");
	real = cc->certs[0].key;
	cc->certs[0].key = sc->certs[0].key;
	c = ktls_hs_new(cc, "server.test");
	s = ktls_hs_new(sc, NULL);
	r = run_pair(c, s);
	ck_assert_int_eq(r.server, KTLS_ALERT_ERR(KTLS_ALERT_DECRYPT_ERROR));
	cc->certs[0].key = real;
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(other);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(tampered_flight)
{
	/* Flip one byte in each record the server sends after ServerHello. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	const uint8_t *out;
	size_t len, used;
	ck_assert_int_eq(ktls_hs_step(c, NULL, 0, &used), 0);
	ktls_hs_output(c, &out, &len);
	ck_assert_int_eq(ktls_hs_step(s, out, len, &used), 0);
	ck_assert_uint_eq(used, len);
	ktls_hs_output(s, &out, &len);
	uint8_t *flight = malloc(len);
	memcpy(flight, out, len);
	flight[len - 3] ^= 0x40; /* inside the last record's tag */
	int rc = ktls_hs_step(c, flight, len, &used);
	ck_assert_int_eq(rc, -KTLS_E_BAD_RECORD_MAC);
	ck_assert_int_eq(ktls_error_alert(rc), KTLS_ALERT_BAD_RECORD_MAC);
	/* The client has not switched its write key yet: a plaintext alert. */
	ktls_hs_output(c, &out, &len);
	ck_assert_uint_ge(len, 7);
	ck_assert_hex(out + len - 7, 7, "15030300020214");
	free(flight);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(stops_at_last_record)
{
	/* Bytes after the server's Finished record (here: a record of
	 * application data) are left for whoever reads next: the kernel. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	const uint8_t *out;
	size_t len, used;
	ck_assert_int_eq(ktls_hs_step(c, NULL, 0, &used), 0);
	ktls_hs_output(c, &out, &len);
	ck_assert_int_eq(ktls_hs_step(s, out, len, &used), 0);
	ktls_hs_output_sent(c, len);
	ktls_hs_output(s, &out, &len);
	static const uint8_t extra[] = {23, 3, 3, 0, 20, 1, 2, 3};
	uint8_t *in = malloc(len + sizeof(extra));
	memcpy(in, out, len);
	memcpy(in + len, extra, sizeof(extra));
	ck_assert_int_eq(ktls_hs_step(c, in, len + sizeof(extra), &used), 1);
	ck_assert_uint_eq(used, len);
	/* Called again when done, it takes nothing. */
	ck_assert_int_eq(ktls_hs_step(c, in + len, sizeof(extra), &used), 1);
	ck_assert_uint_eq(used, 0);
	free(in);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

static unsigned tickets;
static uint8_t session[1024];
static size_t session_len;
static void on_ticket(void *arg, const uint8_t *t, size_t len, uint32_t lifetime)
{
	(void)arg;
	ck_assert_uint_eq(lifetime, 7200);
	ck_assert_uint_le(len, sizeof(session));
	memcpy(session, t, len);
	session_len = len;
	tickets++;
}

START_TEST(tickets_and_post_handshake)
{
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_tickets(sc, 3), 0);
	ktls_config_set_ticket_cb(cc, on_ticket, NULL);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_int_eq(r.client, 1);
	ck_assert_int_eq(r.server, 1);
	/* The tickets went out after the handshake under the server's
	 * application key; run_pair left them, unread, to the client's side.
	 * Open them as the connection layer will and hand them over. */
	struct ktls_rec_dir crd, cwr, srd, swr;
	ck_assert_int_eq(ktls_hs_take_app_keys(c, &crd, &cwr), 0);
	ck_assert_int_eq(ktls_hs_take_app_keys(s, &srd, &swr), 0);
	ck_assert_uint_eq(swr.seq, 1); /* one record carried all three */
	ktls_rec_clear(&crd);
	ktls_rec_clear(&cwr);
	ktls_rec_clear(&srd);
	ktls_rec_clear(&swr);

	/* Post-handshake messages on their own (reassembly and the rules
	 * across records are the connection's: test_peer). */
	uint8_t nonce[1] = {0}, t[32] = {0};
	struct ktls_new_session_ticket nst = {7200, 1, {nonce, 1}, {t, 32}};
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_new_session_ticket_encode(&m, &nst);
	int ku;
	const char *why;
	tickets = 0;
	ck_assert_int_eq(
		ktls_post_handshake_message(cc, c, m.base[0], m.base + 4, m.len - 4, &ku, &why), 0);
	ck_assert_uint_eq(tickets, 1);
	ck_assert_int_eq(ku, -1);
	/* What the callback got is a session a later client can offer, to
	 * the same server name only. */
	struct ktls_hs *again = ktls_hs_new(cc, "server.test"), *other = ktls_hs_new(cc, "x.test");
	ck_assert_int_eq(ktls_hs_set_session(again, session, session_len), 0);
	ck_assert_int_eq(ktls_hs_set_session(other, session, session_len), -EINVAL);
	ck_assert_int_eq(ktls_hs_set_session(again, session, session_len - 1), -EINVAL);
	ktls_hs_free(again);
	ktls_hs_free(other);
	ck_assert_int_eq(
		ktls_post_handshake_message(sc, s, m.base[0], m.base + 4, m.len - 4, &ku, &why),
		KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE));
	static const uint8_t one = 1, two = 2, trunc[2] = {0, 0};
	ck_assert_int_eq(ktls_post_handshake_message(sc, s, KTLS_HS_KEY_UPDATE, &one, 1, &ku, &why),
			 0);
	ck_assert_int_eq(ku, 1);
	ck_assert_int_eq(ktls_post_handshake_message(cc, c, KTLS_HS_KEY_UPDATE, &two, 1, &ku, &why),
			 KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER));
	ck_assert_int_eq(
		ktls_post_handshake_message(cc, c, KTLS_HS_KEY_UPDATE, trunc, 2, &ku, &why),
		KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR));
	ck_assert_int_eq(
		ktls_post_handshake_message(cc, c, KTLS_HS_CLIENT_HELLO, NULL, 0, &ku, &why),
		KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE));
	ktls_buf_free(&m);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(key_update_before_finished)
{
	/* A KeyUpdate where EncryptedExtensions belongs: unexpected_message. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	const uint8_t *out;
	size_t len, used;
	ck_assert_int_eq(ktls_hs_step(c, NULL, 0, &used), 0);
	ktls_hs_output(c, &out, &len);
	ck_assert_int_eq(ktls_hs_step(s, out, len, &used), 0);
	/* Keep the ServerHello record, then a KeyUpdate sealed with the
	 * server's handshake key, as the server engine would have sealed EE. */
	ktls_hs_output(s, &out, &len);
	long sh_len = ktls_rec_frame(out, len, KTLS_REC_MAX_CIPHER);
	ck_assert_int_gt(sh_len, 0);
	struct ktls_rec_dir wr = {0};
	ck_assert_int_eq(ktls_rec_init(&wr, s->suite, s->s_hs, 1), 0);
	static const uint8_t ku[] = {24, 0, 0, 1, 0};
	uint8_t in[512];
	memcpy(in, out, (size_t)sh_len);
	long n = ktls_rec_seal(&wr, KTLS_CT_HANDSHAKE, ku, 5, 0, in + sh_len,
			       sizeof(in) - (size_t)sh_len);
	ck_assert_int_eq(ktls_hs_step(c, in, (size_t)sh_len + (size_t)n, &used),
			 KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE));
	ktls_rec_clear(&wr);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

static void keylog(void *arg, const char *line)
{
	struct ktls_buf *b = arg;
	ktls_buf_put(b, line, strlen(line));
	ktls_buf_put(b, "\n", 1);
}

START_TEST(keylog_lines_match)
{
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ed25519");
	struct ktls_buf cl, sl;
	ktls_buf_init(&cl);
	ktls_buf_init(&sl);
	ktls_config_set_keylog(cc, keylog, &cl);
	ktls_config_set_keylog(sc, keylog, &sl);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct hs_result r = run_pair(c, s);
	ck_assert_int_eq(r.client, 1);
	ck_assert_int_eq(r.server, 1);
	/* Five secrets, the same on both ends, in SSLKEYLOGFILE form. */
	ck_assert_uint_eq(cl.len, sl.len);
	ck_assert_mem_eq(cl.base, sl.base, cl.len);
	ktls_buf_put(&cl, "", 1);
	const char *labels[] = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
				"SERVER_HANDSHAKE_TRAFFIC_SECRET ", "CLIENT_TRAFFIC_SECRET_0 ",
				"SERVER_TRAFFIC_SECRET_0 ", "EXPORTER_SECRET "};
	for (int i = 0; i < 5; i++)
		ck_assert_ptr_nonnull(strstr((char *)cl.base, labels[i]));
	ktls_buf_free(&cl);
	ktls_buf_free(&sl);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(signature_algorithms_cert)
{
	/* Two certificates for one name, signed by an ECDSA and by an RSA CA:
	 * the client's signature_algorithms_cert picks the chain; with none
	 * of them fitting, the server sends its first. */
	static const struct {
		uint16_t scheme;
		const char *issuer;
	} cases[] = {
		{0x0401, "ktls test ca-rsa"}, {0x0403, "ktls test ca"}, {0x0201, "ktls test ca"}};
	for (size_t i = 0; i < 3; i++) {
		struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa256");
		ck_assert_int_eq(ktls_config_set_ca_file(cc, cert_path("ca-rsa.pem")), 0);
		add_cert(sc, "server-rsaca");
		uint8_t ext[] = {0,
				 KTLS_EXT_SIGNATURE_ALGORITHMS_CERT,
				 0,
				 4,
				 0,
				 2,
				 (uint8_t)(cases[i].scheme >> 8),
				 (uint8_t)cases[i].scheme};
		struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
		c->test_extra_ext = (struct ktls_bytes){ext, sizeof(ext)};
		struct hs_result r = run_pair(c, s);
		ck_assert_msg(r.client == 1 && r.server == 1, "%d %s", r.client,
			      ktls_hs_error_detail(c));
		char cn[64];
		X509_NAME_get_text_by_NID(X509_get_issuer_name(ktls_hs_peer_cert(c)),
					  NID_commonName, cn, sizeof(cn));
		ck_assert_str_eq(cn, cases[i].issuer);
		ktls_hs_free(c);
		ktls_hs_free(s);
		ktls_config_free(cc);
		ktls_config_free(sc);
	}
}
END_TEST

START_TEST(byte_at_a_time)
{
	/* Input arriving one byte at a time: the engine takes whole records only. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg("server-ecdsa384");
	add_cert(cc, "client");
	ck_assert_int_eq(ktls_config_set_ca_file(sc, cert_path("ca.pem")), 0);
	ck_assert_int_eq(ktls_config_set_verify(sc, KTLS_VERIFY_PEER), 0);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct ktls_buf to_s, to_c;
	ktls_buf_init(&to_s);
	ktls_buf_init(&to_c);
	int rc = 0, rs = 0;
	size_t used;
	for (int round = 0; round < 8 && (rc != 1 || rs != 1); round++) {
		rc = ktls_hs_step(c, NULL, 0, &used);
		pump(c, &to_s);
		for (size_t i = 1; i <= to_s.len && rs == 0; i++) {
			rs = ktls_hs_step(s, to_s.base, i, &used);
			if (used) {
				ktls_buf_consume(&to_s, used);
				i = 0;
			}
		}
		pump(s, &to_c);
		for (size_t i = 1; i <= to_c.len && rc == 0; i++) {
			rc = ktls_hs_step(c, to_c.base, i, &used);
			if (used) {
				ktls_buf_consume(&to_c, used);
				i = 0;
			}
		}
		ck_assert_int_ge(rc, 0);
		ck_assert_int_ge(rs, 0);
	}
	pump(c, &to_s);
	rs = ktls_hs_step(s, to_s.base, to_s.len, &used);
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(rs, 1);
	ktls_buf_free(&to_s);
	ktls_buf_free(&to_c);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handshake");
	TCase *tc = tcase_create("matrix");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, matrix, 0, (int)(4 * N_GROUPS * N_SCHEMES));
	suite_add_tcase(s, tc);
	tc = tcase_create("features");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hello_retry_request);
	tcase_add_test(tc, alpn);
	tcase_add_test(tc, sni_selects_certificate);
	tcase_add_test(tc, mutual_tls);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, chain_cache);
	tcase_add_test(tc, bad_signatures);
	tcase_add_test(tc, tampered_flight);
	tcase_add_test(tc, keylog_lines_match);
	tcase_add_test(tc, stops_at_last_record);
	tcase_add_test(tc, key_update_before_finished);
	tcase_add_test(tc, tickets_and_post_handshake);
	tcase_add_test(tc, byte_at_a_time);
	tcase_add_test(tc, signature_algorithms_cert);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
