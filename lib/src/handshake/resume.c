/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resumption in the handshake (RFC 8446 2.2, 4.2.11, 4.6.1): the server
 * picks an offered ticket and checks its binder, and issues tickets; the
 * client offers a session with its binder, and turns tickets into sessions.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "crypto/keysched.h"
#include "handshake/hs.h"

#define FAIL(hs, alert, ...) ktls_hs_fail(hs, KTLS_ALERT_ERR(alert), __VA_ARGS__)

/* Our most preferred suite that the client offers, with hash_len. */
static const struct ktls_suite *suite_with_hash(const struct ktls_config *c,
						const struct ktls_client_hello *ch, size_t hash_len)
{
	for (size_t i = 0; i < c->n_suites; i++) {
		const struct ktls_suite *s = ktls_suite_get(c->suites[i]);
		for (size_t j = 0; s && j < ch->n_suites; j++)
			if (ch->suites[j] == c->suites[i] && s->hash_len == hash_len)
				return s;
	}
	return NULL;
}

/* Whether a ticket's session may resume this ClientHello; which suite. */
static const struct ktls_suite *usable(const struct ktls_hs *hs, const struct ktls_client_hello *ch,
				       const struct ktls_session *s, uint32_t obfuscated_age)
{
	uint64_t now = ktls_now_ms(), life = (uint64_t)s->lifetime * 1000;
	const struct ktls_suite *orig = ktls_suite_get(s->suite);
	/* Expired by our clock, or by the client's (its age, 4.2.11.1; a
	 * minute of leeway for clocks and flight time). */
	if (!orig || now < s->time_ms || now - s->time_ms > life ||
	    (uint32_t)(obfuscated_age - s->age_add) > life + 60000)
		return NULL;
	/* Bound to the server name and the ALPN protocol it was issued for. */
	if (s->sni_len != ch->sni.len || (s->sni_len && memcmp(s->sni, ch->sni.p, s->sni_len)) ||
	    s->alpn_len != strlen(hs->alpn) || memcmp(s->alpn, hs->alpn, s->alpn_len))
		return NULL;
	/* And to its hash: after a HelloRetryRequest the suite is chosen. */
	if (hs->did_hrr)
		return hs->suite->hash_len == orig->hash_len ? hs->suite : NULL;
	return suite_with_hash(hs->cfg, ch, orig->hash_len);
}

int ktls_hs_server_pick_psk(struct ktls_hs *hs, const struct ktls_client_hello *ch,
			    const struct ktls_hs_msg *m)
{
	const struct ktls_config *c = hs->cfg;
	hs->resumed = false;
	ktls_session_clear(&hs->session);
	bool dhe = ch->psk_dhe_ke && (c->psk_modes & KTLS_PSK_DHE_KE) && ch->has_key_share;
	bool ke = ch->psk_ke && (c->psk_modes & KTLS_PSK_KE);
	if (!ch->has_psk || !c->tickets || (!dhe && !ke))
		return 0;
	for (size_t i = 0; i < ch->n_psks; i++) {
		const struct ktls_psk_offer *o = &ch->psks[i];
		struct ktls_session s;
		if (ktls_ticket_open(c->ticket_keys, (uint8_t)c->verify, o->identity.p,
				     o->identity.len, &s))
			continue; /* not ours, or changed: a full handshake */
		const struct ktls_suite *suite = usable(hs, ch, &s, o->obfuscated_age);
		/* A server that requires a client certificate resumes only
		 * sessions whose client presented one (the verify mode in the
		 * ticket's associated data makes this so; checked again). */
		if (suite && c->verify == KTLS_VERIFY_REQUIRE &&
		    !(s.flags & KTLS_SESS_PEER_VERIFIED))
			suite = NULL;
		if (!suite) {
			ktls_session_clear(&s);
			continue;
		}
		/* The binder covers the ClientHello up to the binders list (and
		 * after an HRR, the transcript before it). */
		uint8_t th[KTLS_MAX_HASH], want[KTLS_MAX_HASH];
		int err = ktls_transcript_peek(&hs->th, suite, m->raw, 4 + ch->binders_at, th);
		if (!err)
			err = ktls_psk_binder(suite, s.psk, s.psk_len, th, want);
		bool ok = !err && o->binder.len == suite->hash_len &&
			  !CRYPTO_memcmp(want, o->binder.p, suite->hash_len);
		OPENSSL_cleanse(want, sizeof(want));
		if (err || !ok) {
			ktls_session_clear(&s);
			return err ? err
				   : FAIL(hs, KTLS_ALERT_DECRYPT_ERROR,
					  "PSK binder does not verify");
		}
		/* The client it authenticated then is the peer now. */
		X509 *peer = s.peer_len ? ktls_session_peer_x509(&s) : NULL;
		if (s.peer_len && !peer) {
			ktls_session_clear(&s);
			continue;
		}
		X509_free(hs->peer_cert);
		hs->peer_cert = peer;
		hs->peer_auth = s.flags;
		hs->session = s;
		OPENSSL_cleanse(&s, sizeof(s)); /* moved: hs->session owns it */
		hs->psk_index = (uint16_t)i;
		hs->psk_dhe = dhe; /* with (EC)DHE whenever both sides allow it */
		hs->resumed = true;
		hs->suite = suite;
		return 1;
	}
	return 0;
}

int ktls_hs_server_tickets(struct ktls_hs *hs)
{
	struct ktls_buf m, t;
	ktls_buf_init(&m);
	ktls_buf_init(&t);
	int err = 0;
	uint32_t lifetime = hs->cfg->ticket_keys->lifetime;
	uint8_t verify = (uint8_t)hs->cfg->verify;
	for (unsigned i = 0; !err && i < hs->cfg->tickets; i++) {
		uint8_t nonce[1] = {(uint8_t)i};
		struct ktls_session s = {.suite = hs->suite->id,
					 .psk_len = hs->suite->hash_len,
					 .time_ms = ktls_now_ms(),
					 .lifetime = lifetime,
					 .verify = verify,
					 .flags = hs->peer_auth};
		/* A client certificate too big to carry gets no tickets: a
		 * resumption must restore who the client is. */
		if (ktls_session_set_peer(&s, hs->peer_cert, KTLS_SESSION_MAX_PEER)) {
			ktls_session_clear(&s);
			break;
		}
		err = RAND_bytes((uint8_t *)&s.age_add, sizeof(s.age_add)) == 1 ? 0
										: -KTLS_E_CRYPTO;
		if (!err)
			err = ktls_hkdf_expand_label(hs->suite, hs->resumption, "resumption", nonce,
						     1, s.psk, s.psk_len);
		if (hs->server_name) {
			s.sni_len = (uint8_t)strlen(hs->server_name);
			memcpy(s.sni, hs->server_name, s.sni_len);
		}
		s.alpn_len = (uint8_t)strlen(hs->alpn);
		memcpy(s.alpn, hs->alpn, s.alpn_len);
		t.len = 0;
		if (!err)
			err = ktls_ticket_seal(hs->cfg->ticket_keys, verify, &s, &t)
				      ? -KTLS_E_CRYPTO
				      : 0;
		struct ktls_new_session_ticket nst = {
			lifetime, s.age_add, {nonce, 1}, {t.base, t.len}};
		if (!err)
			ktls_new_session_ticket_encode(&m, &nst);
		ktls_session_clear(&s);
	}
	/* Not part of the transcript. */
	if (!err)
		ktls_buf_put(&hs->flight, m.base, m.len);
	if (!err)
		err = m.bad || hs->flight.bad ? -ENOMEM : ktls_hs_flush(hs);
	ktls_buf_free(&m);
	ktls_buf_free(&t);
	/* A server issues tickets only here: the secret they came from goes. */
	OPENSSL_cleanse(hs->resumption, sizeof(hs->resumption));
	return err;
}

KTLS_API int ktls_hs_set_session(struct ktls_hs *hs, const uint8_t *blob, size_t len)
{
	struct ktls_session s;
	if (hs->role != KTLS_CLIENT || hs->state != HS_START || ktls_session_decode(&s, blob, len))
		return -EINVAL;
	const struct ktls_config *c = hs->cfg;
	bool suite_ok = false;
	for (size_t i = 0; i < c->n_suites; i++)
		suite_ok |= c->suites[i] == s.suite;
	size_t name_len = hs->server_name ? strlen(hs->server_name) : 0;
	uint64_t now = ktls_now_ms();
	/* Resuming skips the server's certificate: the session must have
	 * been made under a policy at least as strict as this one. */
	bool policy_ok = s.verify >= (uint8_t)c->verify;
	if (c->verify != KTLS_VERIFY_NONE)
		policy_ok &= (s.flags & KTLS_SESS_PEER_VERIFIED) &&
			     (!c->check_host || (s.flags & KTLS_SESS_HOST_CHECKED));
	if (!suite_ok || !policy_ok || name_len != s.sni_len ||
	    (name_len && memcmp(s.sni, hs->server_name, name_len)) || now < s.time_ms ||
	    now - s.time_ms > (uint64_t)s.lifetime * 1000) {
		ktls_session_clear(&s);
		return -EINVAL;
	}
	ktls_session_clear(&hs->session);
	hs->session = s;
	OPENSSL_cleanse(&s, sizeof(s)); /* moved: hs->session owns it */
	return 0;
}

void ktls_hs_client_psk_params(struct ktls_hs *hs, struct ktls_client_hello_params *p)
{
	const struct ktls_session *s = &hs->session;
	if (!s->ticket)
		return;
	/* The ticket's age in ms, hidden by the server's age_add (4.2.11.1). */
	uint64_t age = ktls_now_ms() - s->time_ms;
	p->psk_identity = (struct ktls_bytes){s->ticket, s->ticket_len};
	p->psk_age = (uint32_t)age + s->age_add;
	p->binder_len = ktls_suite_get(s->suite)->hash_len;
	p->psk_ke = hs->cfg->psk_modes & KTLS_PSK_KE;
}

int ktls_hs_client_bind(struct ktls_hs *hs, struct ktls_buf *m)
{
	const struct ktls_session *s = &hs->session;
	if (!s->ticket)
		return 0;
	const struct ktls_suite *suite = ktls_suite_get(s->suite);
	/* The binder is the message's last hash_len bytes, after its length
	 * byte and the binders list's two: what comes before is hashed. */
	size_t covered = m->len - 3 - suite->hash_len;
	uint8_t th[KTLS_MAX_HASH];
	int err = ktls_transcript_peek(&hs->th, suite, m->base, covered, th);
	if (!err)
		err = ktls_psk_binder(suite, s->psk, s->psk_len, th,
				      m->base + m->len - suite->hash_len);
	return err;
}

int ktls_hs_client_ticket(const struct ktls_hs *hs, const struct ktls_new_session_ticket *t,
			  struct ktls_buf *blob)
{
	if (hs->state != HS_DONE || !hs->suite)
		return -KTLS_E_HANDSHAKE_NOT_DONE;
	struct ktls_session s = {.suite = hs->suite->id,
				 .psk_len = hs->suite->hash_len,
				 .time_ms = ktls_now_ms(),
				 .lifetime = t->lifetime,
				 .age_add = t->age_add,
				 .ticket = (uint8_t *)t->ticket.p,
				 .ticket_len = t->ticket.len,
				 .verify = (uint8_t)hs->cfg->verify};
	/* What we checked of the server: a later connection under a stricter
	 * policy will not resume this session. */
	s.flags = hs->peer_auth;
	if (t->ticket.len > KTLS_CLIENT_MAX_TICKET) {
		s.ticket = NULL;
		ktls_session_clear(&s);
		return -EMSGSIZE; /* an offer that big would not fit a ClientHello */
	}
	int err = ktls_hkdf_expand_label(hs->suite, hs->resumption, "resumption", t->nonce.p,
					 t->nonce.len, s.psk, s.psk_len);
	if (hs->server_name) {
		s.sni_len = (uint8_t)strlen(hs->server_name);
		memcpy(s.sni, hs->server_name, s.sni_len);
	}
	s.alpn_len = (uint8_t)strlen(hs->alpn);
	memcpy(s.alpn, hs->alpn, s.alpn_len);
	if (!err)
		err = ktls_session_set_peer(&s, hs->peer_cert, SIZE_MAX) ? -ENOMEM : 0;
	if (!err)
		ktls_session_encode(&s, blob);
	s.ticket = NULL; /* the message's, not ours */
	ktls_session_clear(&s);
	return err ? err : blob->bad ? -ENOMEM : 0;
}

KTLS_API int ktls_hs_resumed(const struct ktls_hs *hs)
{
	return hs->resumed;
}
