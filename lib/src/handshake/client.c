/* SPDX-License-Identifier: Apache-2.0 */
/* The client's handshake (RFC 8446 2, 4): ClientHello out, then one state
 * per message the server sends. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "handshake/hs.h"

#define FAIL(hs, alert, ...) ktls_hs_fail(hs, KTLS_ALERT_ERR(alert), __VA_ARGS__)

static bool is_ip_literal(const char *name)
{
	uint8_t buf[16];
	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static int send_client_hello(struct ktls_hs *hs, struct ktls_bytes cookie)
{
	const struct ktls_config *c = hs->cfg;
	/* A HelloRetryRequest that names no group (a cookie alone) keeps the
	 * share we sent: the second ClientHello changes only what the HRR
	 * asks for (4.1.2). */
	int err = 0;
	if (!hs->kex[0]) {
		err = ktls_kex_keygen(hs->group, &hs->kex[0]);
		/* Beside a hybrid, a share of our first classical group, for
		 * servers without the KEM (as OpenSSL 3.5 sends); not after an
		 * HRR, which names the one group it wants. */
		for (size_t i = 0; !err && !hs->did_hrr && ktls_kex_is_hybrid(hs->group) &&
				   i < c->n_groups && !hs->kex[1];
		     i++)
			if (!ktls_kex_is_hybrid(c->groups[i]))
				err = ktls_kex_keygen(c->groups[i], &hs->kex[1]);
	}
	if (err)
		return err;
	struct ktls_share shares[2];
	size_t n_shares = 0;
	for (int i = 0; i < 2; i++)
		if (hs->kex[i])
			shares[n_shares++] = (struct ktls_share){ktls_kex_key_group(hs->kex[i]),
								 ktls_kex_key_share(hs->kex[i])};
	/* SNI carries host names only, never address literals (RFC 6066 3). */
	hs->sent_sni = hs->server_name && !is_ip_literal(hs->server_name);
	struct ktls_client_hello_params p = {
		.random = hs->client_random,
		.session_id = hs->session_id,
		.session_id_len = hs->session_id_len,
		.suites = c->suites,
		.n_suites = c->n_suites,
		.groups = c->groups,
		.n_groups = c->n_groups,
		.shares = shares,
		.n_shares = n_shares,
		.sigalgs = c->sigalgs,
		.n_sigalgs = c->n_sigalgs,
		.sni = hs->sent_sni ? hs->server_name : NULL,
		.alpn = c->alpn,
		.alpn_len = c->alpn_len,
		.record_size_limit = c->record_size_limit,
		.cookie = cookie,
		.extra = hs->test_extra_ext,
	};
	ktls_hs_client_psk_params(hs, &p);
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_client_hello_encode(&m, &p);
	err = m.bad ? -ENOMEM : ktls_hs_client_bind(hs, &m);
	if (!err)
		err = ktls_hs_send(hs, &m);
	ktls_buf_free(&m);
	return err ? err : ktls_hs_flush(hs);
}

int ktls_hs_client_start(struct ktls_hs *hs)
{
	/* Verifying a certificate means verifying it names someone. */
	if (hs->cfg->verify != KTLS_VERIFY_NONE && hs->cfg->check_host && !hs->server_name)
		return ktls_hs_fail(hs, -EINVAL,
				    "no server name to check the certificate against: give one, "
				    "or choose KTLS_VERIFY_NONE or ktls_config_set_check_host(0)");
	/* A random legacy_session_id turns on middlebox compatibility mode. */
	hs->session_id_len = 32;
	if (RAND_bytes(hs->client_random, KTLS_RANDOM_LEN) != 1 ||
	    RAND_bytes(hs->session_id, 32) != 1)
		return -KTLS_E_CRYPTO;
	hs->group = hs->cfg->groups[0];
	struct ktls_bytes none = {NULL, 0};
	int err = send_client_hello(hs, none);
	if (!err)
		hs->state = HS_C_WAIT_SH;
	return err;
}

static bool offered(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static int on_server_hello(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	const struct ktls_config *c = hs->cfg;
	struct ktls_server_hello sh;
	const char *why = "";
	int err = ktls_server_hello_decode(&sh, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "ServerHello: %s", why);
	if (sh.session_id.len != hs->session_id_len ||
	    CRYPTO_memcmp(sh.session_id.p, hs->session_id, hs->session_id_len))
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER, "ServerHello: session id not echoed");
	if (!offered(c->suites, c->n_suites, sh.suite))
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
			    "server chose cipher suite %#06x, which we did not offer", sh.suite);
	if (hs->did_hrr && sh.suite != hs->suite->id)
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
			    "ServerHello suite differs from the HelloRetryRequest's");

	if (sh.hrr) {
		if (hs->did_hrr)
			return FAIL(hs, KTLS_ALERT_UNEXPECTED_MESSAGE, "second HelloRetryRequest");
		if (sh.has_share &&
		    (!offered(c->groups, c->n_groups, sh.group) || sh.group == hs->group ||
		     (hs->kex[1] && sh.group == ktls_kex_key_group(hs->kex[1]))))
			return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
				    "HelloRetryRequest asks for group %#06x, which it cannot",
				    sh.group);
		if (!sh.has_share && !sh.cookie.len)
			return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
				    "HelloRetryRequest that would change nothing");
		hs->suite = ktls_suite_get(sh.suite);
		hs->did_hrr = true;
		/* A session of another hash cannot be offered again (4.1.4). */
		const struct ktls_suite *ps =
			hs->session.ticket ? ktls_suite_get(hs->session.suite) : NULL;
		if (ps && ps->hash_len != hs->suite->hash_len)
			ktls_session_clear(&hs->session);
		if (sh.has_share) {
			ktls_kex_key_free(hs->kex[0]);
			ktls_kex_key_free(hs->kex[1]);
			hs->kex[0] = hs->kex[1] = NULL;
			hs->group = sh.group;
		}
		/* ClientHello1 becomes message_hash, then HRR joins (4.4.1). */
		if ((err = ktls_transcript_set_suite(&hs->th, hs->suite)) ||
		    (err = ktls_transcript_hrr(&hs->th)) ||
		    (err = ktls_transcript_add(&hs->th, m->raw, m->raw_len)))
			return err;
		ktls_hs_send_ccs(hs);
		return send_client_hello(hs, sh.cookie);
	}

	if (sh.has_psk) {
		/* Resumed: the one session we offered, with its hash; without a
		 * share only if we offered psk_ke. */
		const struct ktls_suite *ps =
			hs->session.ticket ? ktls_suite_get(hs->session.suite) : NULL;
		if (!ps || sh.psk_identity != 0)
			return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
				    "ServerHello selects a PSK we did not offer");
		if (ps->hash_len != ktls_suite_get(sh.suite)->hash_len)
			return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
				    "ServerHello resumes with a suite of another hash");
		if (!sh.has_share && !(c->psk_modes & KTLS_PSK_KE))
			return FAIL(hs, KTLS_ALERT_MISSING_EXTENSION,
				    "ServerHello without key_share, psk_ke not offered");
		/* The server it authenticated then is the peer now. */
		X509_free(hs->peer_cert);
		hs->peer_cert = ktls_session_peer_x509(&hs->session);
		hs->peer_auth = hs->session.flags;
		if (hs->session.peer_len && !hs->peer_cert)
			return FAIL(hs, KTLS_ALERT_INTERNAL_ERROR,
				    "session's certificate unreadable");
		hs->resumed = true;
		if (!sh.has_share)
			hs->group = 0; /* psk_ke: no (EC)DHE */
	} else if (!sh.has_share) {
		return FAIL(hs, KTLS_ALERT_MISSING_EXTENSION, "ServerHello without key_share");
	}
	/* The key whose group the server answered. */
	struct ktls_kex_key *key = NULL;
	for (int i = 0; i < 2 && sh.has_share; i++)
		if (hs->kex[i] && ktls_kex_key_group(hs->kex[i]) == sh.group)
			key = hs->kex[i];
	if (sh.has_share && !key)
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
			    "ServerHello key share is for a group we sent no share for");
	if (sh.has_share)
		hs->group = sh.group;
	if (!hs->did_hrr) {
		hs->suite = ktls_suite_get(sh.suite);
		if ((err = ktls_transcript_set_suite(&hs->th, hs->suite)))
			return err;
	}
	if ((err = ktls_transcript_add(&hs->th, m->raw, m->raw_len)))
		return err;
	uint8_t ecdhe[KTLS_KEX_MAX_SECRET];
	size_t n = 0;
	err = key ? ktls_kex_finish(key, sh.pub.p, sh.pub.len, ecdhe, &n) : 0;
	/* Forward secrecy: our ephemeral keys are gone once used. */
	ktls_kex_key_free(hs->kex[0]);
	ktls_kex_key_free(hs->kex[1]);
	hs->kex[0] = hs->kex[1] = NULL;
	if (err) {
		OPENSSL_cleanse(ecdhe, sizeof(ecdhe)); /* a hybrid's first half */
		return ktls_hs_fail(hs, err, "ServerHello: invalid key share");
	}
	err = ktls_hs_derive_handshake(hs, n ? ecdhe : NULL, n);
	OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
	if (!err)
		err = ktls_hs_set_read(hs, hs->s_hs);
	if (!err)
		hs->state = HS_C_WAIT_EE;
	return err;
}

static int on_encrypted_extensions(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	struct ktls_encrypted_extensions ee;
	const char *why = "";
	int err = ktls_encrypted_extensions_decode(&ee, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "EncryptedExtensions: %s", why);
	if (ee.sni_ack && !hs->sent_sni)
		return FAIL(hs, KTLS_ALERT_UNSUPPORTED_EXTENSION, "server_name acked but not sent");
	if (ee.alpn.len) {
		/* The server's choice must be one of ours (RFC 7301 3.1). */
		struct ktls_rd r = ktls_rd_make(hs->cfg->alpn, hs->cfg->alpn_len);
		bool found = false;
		while (ktls_rd_left(&r) && !found) {
			struct ktls_rd name = ktls_rd_block(&r, 1);
			found = ktls_rd_left(&name) == ee.alpn.len &&
				!memcmp(name.p, ee.alpn.p, ee.alpn.len);
		}
		if (!found)
			return FAIL(hs,
				    hs->cfg->alpn_len ? KTLS_ALERT_ILLEGAL_PARAMETER
						      : KTLS_ALERT_UNSUPPORTED_EXTENSION,
				    "server selected an ALPN protocol we did not offer");
		memcpy(hs->alpn, ee.alpn.p, ee.alpn.len);
		hs->alpn[ee.alpn.len] = 0;
	}
	if (ee.record_size_limit) {
		hs->peer_record_size_limit = ee.record_size_limit;
		/* Both sides sent it: our limit binds the server's records. */
		hs->rd.max_plain = hs->cfg->record_size_limit - 1u;
	}
	/* A resumed session was authenticated when it was made (2.2). */
	hs->state = hs->resumed ? HS_C_WAIT_FINISHED : HS_C_WAIT_CERT_CR;
	return 0;
}

static int on_certificate(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	struct ktls_certificate cm;
	const char *why = "";
	int err = ktls_certificate_decode(&cm, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "Certificate: %s", why);
	if (cm.context.len)
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER, "server Certificate with a context");
	if (cm.n_certs == 0)
		return FAIL(hs, KTLS_ALERT_DECODE_ERROR, "server sent no certificate");
	err = ktls_cert_verify(hs->cfg->store, hs->cfg->chain_cache, hs->cfg->verify, cm.certs,
			       cm.n_certs, hs->cfg->check_host ? hs->server_name : NULL, true,
			       &hs->peer_cert, &why);
	if (err)
		return ktls_hs_fail(hs, err, "server certificate: %s", why);
	if (hs->cfg->verify != KTLS_VERIFY_NONE)
		hs->peer_auth =
			KTLS_SESS_PEER_VERIFIED |
			(hs->cfg->check_host && hs->server_name ? KTLS_SESS_HOST_CHECKED : 0);
	hs->state = HS_C_WAIT_CV;
	return 0;
}

/* Our reply to CertificateRequest: a certificate whose key fits one of the
 * server's schemes, or an empty Certificate if none does. */
static int send_client_auth(struct ktls_hs *hs)
{
	const struct ktls_config *c = hs->cfg;
	uint16_t scheme = 0;
	/* Preferably a chain signed as the server asks (4.2.3). */
	for (int pass = 0; pass < 2 && !scheme; pass++)
		for (size_t i = 0; i < c->n_certs && !scheme; i++)
			for (size_t j = 0; j < c->n_sigalgs && !scheme; j++)
				if ((pass || ktls_chain_signed_with(c->certs[i].chain,
								    hs->peer_cert_sigalgs,
								    hs->n_peer_cert_sigalgs)) &&
				    offered(hs->peer_sigalgs, hs->n_peer_sigalgs, c->sigalgs[j]) &&
				    ktls_sig_key_matches(c->sigalgs[j], c->certs[i].key)) {
					scheme = c->sigalgs[j];
					hs->cert = &c->certs[i];
				}
	int err = ktls_hs_send_certificate(hs, scheme ? hs->cert : NULL);
	if (!err && scheme)
		err = ktls_hs_send_cert_verify(hs, scheme);
	return err;
}

static int on_finished(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	uint8_t want[KTLS_MAX_HASH];
	int err;
	if ((err = ktls_hs_check_finished(hs, hs->s_hs, m)) ||
	    (err = ktls_hs_derive_application(hs)))
		return err;

	/* Our second flight: CCS, then under the handshake key. */
	ktls_hs_send_ccs(hs);
	if ((err = ktls_hs_set_write(hs, hs->c_hs)))
		return err;
	if (hs->cert_requested && (err = send_client_auth(hs)))
		return err;
	if ((err = ktls_hs_finished_mac(hs, hs->c_hs, want)))
		return err;
	struct ktls_buf fin;
	ktls_buf_init(&fin);
	ktls_finished_encode(&fin, want, hs->suite->hash_len);
	err = ktls_hs_send(hs, &fin);
	ktls_buf_free(&fin);
	if (err || (err = ktls_hs_flush(hs)) || (err = ktls_hs_set_read(hs, hs->s_ap)) ||
	    (err = ktls_hs_set_write(hs, hs->c_ap)))
		return err;
	return ktls_hs_complete(hs);
}

static int on_certificate_request(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	struct ktls_certificate_request cr;
	const char *why = "";
	int err = ktls_certificate_request_decode(&cr, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "CertificateRequest: %s", why);
	if (cr.context.len)
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
			    "CertificateRequest with a context during handshake");
	memcpy(hs->peer_sigalgs, cr.sigalgs, sizeof(cr.sigalgs));
	hs->n_peer_sigalgs = cr.n_sigalgs;
	memcpy(hs->peer_cert_sigalgs, cr.cert_sigalgs, sizeof(cr.cert_sigalgs));
	hs->n_peer_cert_sigalgs = cr.n_cert_sigalgs;
	hs->cert_requested = true;
	hs->state = HS_C_WAIT_CERT;
	return 0;
}

static const struct ktls_hs_rule rules[] = {
	{HS_C_WAIT_SH, KTLS_HS_SERVER_HELLO, false, on_server_hello},
	{HS_C_WAIT_EE, KTLS_HS_ENCRYPTED_EXTENSIONS, true, on_encrypted_extensions},
	{HS_C_WAIT_CERT_CR, KTLS_HS_CERTIFICATE_REQUEST, true, on_certificate_request},
	{HS_C_WAIT_CERT_CR, KTLS_HS_CERTIFICATE, true, on_certificate},
	{HS_C_WAIT_CERT, KTLS_HS_CERTIFICATE, true, on_certificate},
	{HS_C_WAIT_CV, KTLS_HS_CERTIFICATE_VERIFY, true, ktls_hs_check_cert_verify},
	{HS_C_WAIT_FINISHED, KTLS_HS_FINISHED, false, on_finished},
};

int ktls_hs_client_message(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	return ktls_hs_dispatch(hs, rules, sizeof(rules) / sizeof(rules[0]), m);
}
