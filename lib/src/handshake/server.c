/* SPDX-License-Identifier: Apache-2.0 */
/* The server's handshake: ClientHello in (perhaps twice, around a
 * HelloRetryRequest), the whole server flight out, then the client's
 * authentication and Finished. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "handshake/hs.h"

#define FAIL(hs, alert, ...) ktls_hs_fail(hs, KTLS_ALERT_ERR(alert), __VA_ARGS__)

static bool in_list(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* A certificate for this client: the first whose names match the SNI (if
 * any matches), whose chain is signed only with schemes the client lists
 * for certificates (if any is), and whose key fits one of the client's
 * schemes, taken in our order of preference. */
static const struct ktls_cert *choose_cert(const struct ktls_config *c,
					   const struct ktls_client_hello *ch, uint16_t *scheme)
{
	for (int pass = ch->sni.len ? 0 : 2; pass < 4; pass++)
		for (size_t i = 0; i < c->n_certs; i++) {
			const struct ktls_cert *k = &c->certs[i];
			if (pass < 2 && X509_check_host(k->leaf, (const char *)ch->sni.p,
							ch->sni.len, 0, NULL) != 1)
				continue;
			/* Without a chain of those, one of our choosing (4.2.3). */
			if (pass % 2 == 0 &&
			    !ktls_chain_signed_with(k->chain, ch->cert_sigalgs, ch->n_cert_sigalgs))
				continue;
			for (size_t j = 0; j < c->n_sigalgs; j++)
				if (in_list(ch->sigalgs, ch->n_sigalgs, c->sigalgs[j]) &&
				    ktls_sig_key_matches(c->sigalgs[j], k->key)) {
					*scheme = c->sigalgs[j];
					return k;
				}
		}
	return NULL;
}

/* Our first ALPN protocol that the client also offers. */
static int choose_alpn(struct ktls_hs *hs, const struct ktls_client_hello *ch)
{
	const struct ktls_config *c = hs->cfg;
	if (!c->alpn_len || !ch->has_alpn)
		return 0;
	struct ktls_rd ours = ktls_rd_make(c->alpn, c->alpn_len);
	while (ktls_rd_left(&ours)) {
		struct ktls_rd a = ktls_rd_block(&ours, 1);
		struct ktls_rd theirs = ktls_rd_make(ch->alpn.p, ch->alpn.len);
		while (ktls_rd_left(&theirs)) {
			struct ktls_rd b = ktls_rd_block(&theirs, 1);
			if (ktls_rd_left(&a) == ktls_rd_left(&b) &&
			    !memcmp(a.p, b.p, ktls_rd_left(&a))) {
				memcpy(hs->alpn, a.p, ktls_rd_left(&a));
				hs->alpn[ktls_rd_left(&a)] = 0;
				return 0;
			}
		}
	}
	return FAIL(hs, KTLS_ALERT_NO_APPLICATION_PROTOCOL,
		    "client offers none of our ALPN protocols");
}

/* SHA-256 over what a second ClientHello must repeat (4.1.2): server
 * name, ALPN list, PSK key exchange modes. */
static int ch_fixed_digest(const struct ktls_client_hello *ch, uint8_t *out)
{
	struct ktls_buf b;
	ktls_buf_init(&b);
	ktls_buf_u16(&b, (uint16_t)ch->sni.len);
	ktls_buf_put(&b, ch->sni.p, ch->sni.len);
	ktls_buf_u8(&b, ch->has_alpn);
	ktls_buf_u16(&b, (uint16_t)ch->alpn.len);
	ktls_buf_put(&b, ch->alpn.p, ch->alpn.len);
	ktls_buf_u8(&b, (uint8_t)(ch->has_psk_modes | ch->psk_ke << 1 | ch->psk_dhe_ke << 2));
	int err =
		b.bad ? -ENOMEM
		      : ktls_hash(ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256), b.base, b.len, out);
	ktls_buf_free(&b);
	return err;
}

static int send_hrr(struct ktls_hs *hs, const struct ktls_client_hello *ch,
		    const struct ktls_hs_msg *m)
{
	int err;
	if ((err = ch_fixed_digest(ch, hs->ch1_fixed)))
		return err;
	if ((err = ktls_transcript_set_suite(&hs->th, hs->suite)) ||
	    (err = ktls_transcript_add(&hs->th, m->raw, m->raw_len)) ||
	    (err = ktls_transcript_hrr(&hs->th)))
		return err;
	struct ktls_server_hello hrr = {.hrr = true,
					.session_id = ch->session_id,
					.suite = hs->suite->id,
					.group = hs->group};
	struct ktls_buf out;
	ktls_buf_init(&out);
	ktls_server_hello_encode(&out, &hrr);
	err = ktls_hs_send(hs, &out);
	ktls_buf_free(&out);
	if (!err)
		err = ktls_hs_flush(hs);
	if (!err && ch->session_id.len)
		ktls_hs_send_ccs(hs);
	hs->did_hrr = true;
	hs->state = HS_S_WAIT_CH2;
	return err;
}

/* The (EC)DHE half: our share and the shared secret (none for psk_ke). */
static int server_share(struct ktls_hs *hs, const struct ktls_share *share, uint8_t *pub,
			size_t *pub_len, uint8_t *ecdhe, size_t *n)
{
	*pub_len = *n = 0;
	if (!share)
		return 0;
	int err = ktls_kex_respond(hs->group, share->pub.p, share->pub.len, pub, pub_len, ecdhe, n);
	if (err)
		OPENSSL_cleanse(ecdhe, KTLS_KEX_MAX_SECRET); /* a hybrid's first half */
	return err ? ktls_hs_fail(hs, err, "ClientHello: invalid key share for group %#06x",
				  hs->group)
		   : 0;
}

static int send_flight(struct ktls_hs *hs, const struct ktls_client_hello *ch,
		       const struct ktls_share *share, uint16_t scheme)
{
	const struct ktls_config *c = hs->cfg;
	uint8_t pub[KTLS_KEX_MAX_PUB], ecdhe[KTLS_KEX_MAX_SECRET], random[KTLS_RANDOM_LEN];
	size_t pub_len, n;
	struct ktls_buf m;
	int err = server_share(hs, share, pub, &pub_len, ecdhe, &n);
	if (err)
		return err;
	if (RAND_bytes(random, sizeof(random)) != 1) {
		OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
		return -KTLS_E_CRYPTO;
	}

	ktls_buf_init(&m);
	struct ktls_server_hello sh = {.session_id = ch->session_id,
				       .suite = hs->suite->id,
				       .group = share ? hs->group : 0,
				       .pub = {pub, pub_len},
				       .has_psk = hs->resumed,
				       .psk_identity = hs->psk_index};
	memcpy(sh.random, random, sizeof(random));
	ktls_server_hello_encode(&m, &sh);
	err = ktls_hs_send(hs, &m);
	if (!err)
		err = ktls_hs_flush(hs);
	if (!err && ch->session_id.len)
		ktls_hs_send_ccs(hs);
	if (!err)
		err = ktls_hs_derive_handshake(hs, n ? ecdhe : NULL, n);
	OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
	if (!err)
		err = ktls_hs_set_write(hs, hs->s_hs);
	if (!err)
		err = ktls_hs_set_read(hs, hs->c_hs);
	if (err)
		goto out;
	if (ch->record_size_limit)
		hs->rd.max_plain = c->record_size_limit - 1u;

	struct ktls_encrypted_extensions ee = {
		.alpn = {(const uint8_t *)hs->alpn, strlen(hs->alpn)},
		.sni_ack = ch->sni.len > 0,
		.record_size_limit = ch->record_size_limit ? c->record_size_limit : 0,
	};
	m.len = 0;
	ktls_encrypted_extensions_encode(&m, &ee);
	err = ktls_hs_send(hs, &m);
	/* A resumed session was authenticated when it was made: no
	 * certificates this time (RFC 8446 2.2). */
	if (!err && c->verify != KTLS_VERIFY_NONE && !hs->resumed) {
		m.len = 0;
		ktls_certificate_request_encode(&m, c->sigalgs, c->n_sigalgs);
		err = ktls_hs_send(hs, &m);
		hs->cert_requested = true;
	}
	if (!err && !hs->resumed)
		err = ktls_hs_send_certificate(hs, hs->cert);
	if (!err && !hs->resumed)
		err = ktls_hs_send_cert_verify(hs, scheme);
	uint8_t mac[KTLS_MAX_HASH];
	if (!err)
		err = ktls_hs_finished_mac(hs, hs->s_hs, mac);
	if (!err) {
		m.len = 0;
		ktls_finished_encode(&m, mac, hs->suite->hash_len);
		err = ktls_hs_send(hs, &m);
	}
	if (!err)
		err = ktls_hs_flush(hs);
	if (!err)
		err = ktls_hs_derive_application(hs);
	if (!err)
		err = ktls_hs_set_write(hs, hs->s_ap);
	if (!err)
		hs->state = hs->cert_requested ? HS_S_WAIT_CERT : HS_S_WAIT_FINISHED;
out:
	ktls_buf_free(&m);
	return err;
}

/* A full handshake's needs: a suite, a certificate for the client's
 * schemes, and what (EC)DHE needs. */
static int full_handshake_choices(struct ktls_hs *hs, const struct ktls_client_hello *ch,
				  uint16_t *scheme)
{
	const struct ktls_config *c = hs->cfg;
	if (!ch->has_sigalgs)
		return FAIL(hs, KTLS_ALERT_MISSING_EXTENSION,
			    "ClientHello: no signature_algorithms");
	if (!ch->has_groups || !ch->has_key_share)
		return FAIL(hs, KTLS_ALERT_MISSING_EXTENSION,
			    "ClientHello: no supported_groups or key_share");
	const struct ktls_suite *suite = NULL;
	for (size_t i = 0; i < c->n_suites && !suite; i++)
		if (in_list(ch->suites, ch->n_suites, c->suites[i]))
			suite = ktls_suite_get(c->suites[i]);
	/* After a HelloRetryRequest the suite stays what it named. */
	if (hs->did_hrr)
		suite = in_list(ch->suites, ch->n_suites, hs->suite->id) ? hs->suite : NULL;
	if (!suite)
		return hs->did_hrr ? FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
					  "second ClientHello changed suites")
				   : FAIL(hs, KTLS_ALERT_HANDSHAKE_FAILURE,
					  "no cipher suite in common");
	hs->suite = suite;
	hs->cert = choose_cert(c, ch, scheme);
	if (!hs->cert)
		return FAIL(hs, KTLS_ALERT_HANDSHAKE_FAILURE,
			    c->n_certs ? "no certificate fits the client's signature algorithms"
				       : "server has no certificate");
	hs->sigalg = *scheme;
	return 0;
}

static int on_client_hello(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	const struct ktls_config *c = hs->cfg;
	struct ktls_client_hello ch;
	const char *why = "";
	int err = ktls_client_hello_decode(&ch, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "ClientHello: %s", why);
	/* We never accept 0-RTT: what the client sent early is skipped, but
	 * after a HelloRetryRequest only until the second ClientHello, which
	 * must not offer it again (4.2.10). */
	if (hs->did_hrr && ch.early_data)
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
			    "second ClientHello offers early data (4.2.10)");
	if (hs->did_hrr) {
		uint8_t d[32];
		if ((err = ch_fixed_digest(&ch, d)))
			return err;
		if (CRYPTO_memcmp(d, hs->ch1_fixed, sizeof(d)))
			return FAIL(
				hs, KTLS_ALERT_ILLEGAL_PARAMETER,
				"second ClientHello changed its server name, ALPN or PSK modes");
	}
	/* 4.2.9: a PSK offer comes with its modes; 9.2: supported_groups and
	 * key_share come together. */
	if (ch.has_psk && !ch.has_psk_modes)
		return FAIL(hs, KTLS_ALERT_MISSING_EXTENSION,
			    "ClientHello: pre_shared_key without psk_key_exchange_modes");
	if (ch.has_groups != ch.has_key_share)
		return FAIL(hs, KTLS_ALERT_MISSING_EXTENSION,
			    "ClientHello: supported_groups and key_share must come together");
	hs->early_skip = ch.early_data;
	hs->early_budget = ch.early_data ? KTLS_EARLY_SKIP : 0;
	if ((err = choose_alpn(hs, &ch)))
		return err;

	/* A ticket we can resume, or a full handshake. */
	uint16_t scheme = 0;
	if ((err = ktls_hs_server_pick_psk(hs, &ch, m)) < 0)
		return err;
	if (!hs->resumed && (err = full_handshake_choices(hs, &ch, &scheme)))
		return err;

	/* Our most preferred group for which the client sent a share; if it
	 * sent none we can use, ask for one (HelloRetryRequest). A session
	 * resumed with psk_ke needs none. */
	const struct ktls_share *share = NULL;
	for (size_t i = 0; i < c->n_groups && !share; i++)
		for (size_t j = 0; j < ch.n_shares && !share; j++)
			if (ch.shares[j].group == c->groups[i] &&
			    (!hs->did_hrr || c->groups[i] == hs->group))
				share = &ch.shares[j];
	bool need_share = !hs->resumed || hs->psk_dhe;
	if (!share && need_share) {
		if (hs->did_hrr)
			return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
				    "second ClientHello lacks the requested key share");
		for (size_t i = 0; i < c->n_groups && !hs->group; i++)
			if (in_list(ch.groups, ch.n_groups, c->groups[i]))
				hs->group = c->groups[i];
		if (!hs->group)
			return FAIL(hs, KTLS_ALERT_HANDSHAKE_FAILURE,
				    "no key exchange group in common");
		return send_hrr(hs, &ch, m);
	}
	if (!need_share)
		share = NULL;
	if (share)
		hs->group = share->group;

	if (!hs->did_hrr && (err = ktls_transcript_set_suite(&hs->th, hs->suite)))
		return err;
	if ((err = ktls_transcript_add(&hs->th, m->raw, m->raw_len)))
		return err;
	memcpy(hs->client_random, ch.random, KTLS_RANDOM_LEN);
	if (ch.sni.len) {
		free(hs->server_name);
		hs->server_name = strndup((const char *)ch.sni.p, ch.sni.len);
		if (!hs->server_name)
			return -ENOMEM;
	}
	hs->peer_record_size_limit = ch.record_size_limit;
	return send_flight(hs, &ch, share, scheme);
}

static int on_client_certificate(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	struct ktls_certificate cm;
	const char *why = "";
	int err = ktls_certificate_decode(&cm, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "client Certificate: %s", why);
	if (cm.context.len)
		return FAIL(hs, KTLS_ALERT_ILLEGAL_PARAMETER,
			    "client Certificate context is not ours");
	if (cm.n_certs == 0) {
		if (hs->cfg->verify == KTLS_VERIFY_REQUIRE)
			return FAIL(hs, KTLS_ALERT_CERTIFICATE_REQUIRED,
				    "client sent no certificate");
		hs->state = HS_S_WAIT_FINISHED;
		return 0;
	}
	err = ktls_cert_verify(hs->cfg->store, hs->cfg->chain_cache, hs->cfg->verify, cm.certs,
			       cm.n_certs, NULL, false, &hs->peer_cert, &why);
	if (err)
		return ktls_hs_fail(hs, err, "client certificate: %s", why);
	hs->peer_auth = KTLS_SESS_PEER_VERIFIED;
	hs->state = HS_S_WAIT_CV;
	return 0;
}

static int on_finished(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	int err;
	if ((err = ktls_hs_check_finished(hs, hs->c_hs, m)) ||
	    (err = ktls_hs_set_read(hs, hs->c_ap)) || (err = ktls_hs_complete(hs)))
		return err;
	return ktls_hs_server_tickets(hs);
}

static const struct ktls_hs_rule rules[] = {
	{HS_S_WAIT_CH, KTLS_HS_CLIENT_HELLO, false, on_client_hello},
	{HS_S_WAIT_CH2, KTLS_HS_CLIENT_HELLO, false, on_client_hello},
	{HS_S_WAIT_CERT, KTLS_HS_CERTIFICATE, true, on_client_certificate},
	{HS_S_WAIT_CV, KTLS_HS_CERTIFICATE_VERIFY, true, ktls_hs_check_cert_verify},
	{HS_S_WAIT_FINISHED, KTLS_HS_FINISHED, false, on_finished},
};

int ktls_hs_server_message(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	return ktls_hs_dispatch(hs, rules, sizeof(rules) / sizeof(rules[0]), m);
}
