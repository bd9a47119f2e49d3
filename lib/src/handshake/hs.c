/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handshake engine's common part: turning records into handshake
 * messages and back, alerts, the key schedule steps both roles share, and
 * the public ktls_hs_* calls. No I/O: bytes in, bytes out.
 */
#include "handshake/hs.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

KTLS_API struct ktls_hs *ktls_hs_new(const struct ktls_config *cfg, const char *server_name)
{
	struct ktls_hs *hs = calloc(1, sizeof(*hs));
	if (!hs || !cfg)
		goto fail;
	hs->cfg = cfg;
	hs->role = cfg->role;
	hs->state = hs->role == KTLS_CLIENT ? HS_START : HS_S_WAIT_CH;
	if (server_name && hs->role == KTLS_CLIENT &&
	    (strlen(server_name) > 255 || !(hs->server_name = strdup(server_name))))
		goto fail;
	ktls_transcript_init(&hs->th);
	ktls_buf_init(&hs->msgs);
	ktls_buf_init(&hs->flight);
	ktls_buf_init(&hs->out);
	return hs;
fail:
	free(hs);
	return NULL;
}

KTLS_API void ktls_hs_free(struct ktls_hs *hs)
{
	if (!hs)
		return;
	if (hs->trimmed) {
		ktls_hs_free_trimmed(hs);
		return;
	}
	free(hs->server_name);
	ktls_kex_key_free(hs->kex[0]);
	ktls_kex_key_free(hs->kex[1]);
	X509_free(hs->peer_cert);
	ktls_session_clear(&hs->session);
	ktls_transcript_free(&hs->th);
	ktls_rec_clear(&hs->rd);
	ktls_rec_clear(&hs->wr);
	ktls_buf_free(&hs->msgs);
	ktls_buf_free(&hs->flight);
	ktls_buf_free(&hs->out);
	OPENSSL_cleanse(hs, sizeof(*hs)); /* secrets, key schedule */
	free(hs);
}

static void put_record_header(struct ktls_buf *b, uint8_t type, size_t len)
{
	ktls_buf_u8(b, type);
	ktls_buf_u16(b, KTLS_LEGACY_VERSION);
	ktls_buf_u16(b, (uint16_t)len);
}

/* Seals or frames one record of type `type` into hs->out. */
static int emit_record(struct ktls_hs *hs, uint8_t type, const uint8_t *data, size_t len)
{
	if (!hs->wr_on) {
		put_record_header(&hs->out, type, len);
		ktls_buf_put(&hs->out, data, len);
		return hs->out.bad ? -ENOMEM : 0;
	}
	size_t cap = ktls_rec_sealed_len(len, 0);
	uint8_t *dst = ktls_buf_reserve(&hs->out, cap);
	if (!dst)
		return -ENOMEM;
	long n = ktls_rec_seal(&hs->wr, type, data, len, 0, dst, cap);
	if (n < 0)
		return (int)n;
	hs->out.len += (size_t)n;
	return 0;
}

int ktls_hs_fail(struct ktls_hs *hs, int err, const char *fmt, ...)
{
	if (hs->state == HS_FAILED)
		return hs->error;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(hs->detail, sizeof(hs->detail), fmt, ap);
	va_end(ap);
	int alert = -1;
	if (-err >= KTLS_E_ALERT_SENT && -err < KTLS_E_ALERT_SENT + 256)
		alert = -err - KTLS_E_ALERT_SENT;
	else if (!(-err >= KTLS_E_ALERT_RECEIVED && -err < KTLS_E_ALERT_RECEIVED + 256))
		alert = ktls_error_alert(err) >= 0 ? ktls_error_alert(err)
						   : KTLS_ALERT_INTERNAL_ERROR;
	ktls_buf_free(&hs->flight);
	/* A client that fails before its ClientHello has no peer to tell. */
	if (hs->state == HS_START)
		alert = -1;
	if (alert >= 0) {
		const uint8_t a[2] = {2, (uint8_t)alert}; /* fatal */
		emit_record(hs, KTLS_CT_ALERT, a, sizeof(a));
	}
	hs->state = HS_FAILED;
	hs->error = err;
	return err;
}

int ktls_hs_send(struct ktls_hs *hs, const struct ktls_buf *msg)
{
	if (msg->bad)
		return -ENOMEM;
	int err = ktls_transcript_add(&hs->th, msg->base, msg->len);
	if (!err)
		ktls_buf_put(&hs->flight, msg->base, msg->len);
	return err ? err : hs->flight.bad ? -ENOMEM : 0;
}

int ktls_hs_flush(struct ktls_hs *hs)
{
	size_t max = hs->wr_on ? hs->wr.max_plain : KTLS_REC_MAX_PLAIN;
	struct ktls_rd r = ktls_rd_make(hs->flight.base, hs->flight.len);
	int err = 0;
	while (!err && ktls_rd_left(&r)) {
		size_t n = ktls_rd_left(&r) < max ? ktls_rd_left(&r) : max;
		err = emit_record(hs, KTLS_CT_HANDSHAKE, ktls_rd_bytes(&r, n), n);
	}
	ktls_buf_free(&hs->flight);
	return err;
}

void ktls_hs_send_ccs(struct ktls_hs *hs)
{
	static const uint8_t ccs[] = {KTLS_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};
	if (hs->ccs_sent)
		return;
	ktls_buf_put(&hs->out, ccs, sizeof(ccs));
	hs->ccs_sent = true;
}

int ktls_hs_set_read(struct ktls_hs *hs, const uint8_t *secret)
{
	size_t max = hs->rd.max_plain;
	int err = ktls_rec_init(&hs->rd, hs->suite, secret, 0);
	if (max)
		hs->rd.max_plain = max; /* keep a negotiated record_size_limit */
	hs->rd_on = err == 0;
	hs->rd_epoch++;
	hs->rd_got_encrypted = false;
	return err;
}

int ktls_hs_set_write(struct ktls_hs *hs, const uint8_t *secret)
{
	int err = ktls_rec_init(&hs->wr, hs->suite, secret, 1);
	if (!err && hs->peer_record_size_limit)
		hs->wr.max_plain = hs->peer_record_size_limit - 1u < KTLS_REC_MAX_PLAIN
					   ? hs->peer_record_size_limit - 1u
					   : KTLS_REC_MAX_PLAIN;
	hs->wr_on = err == 0;
	return err;
}

int ktls_hs_finished_mac(struct ktls_hs *hs, const uint8_t *base, uint8_t *out)
{
	const struct ktls_suite *s = hs->suite;
	uint8_t key[KTLS_MAX_HASH], th[KTLS_MAX_HASH];
	int err = ktls_hkdf_expand_label(s, base, "finished", NULL, 0, key, s->hash_len);
	if (!err)
		err = ktls_transcript_hash(&hs->th, th);
	if (!err)
		err = ktls_hmac(s, key, s->hash_len, th, s->hash_len, out);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

int ktls_hs_check_finished(struct ktls_hs *hs, const uint8_t *base, const struct ktls_hs_msg *m)
{
	struct ktls_bytes vd;
	const char *why = "";
	uint8_t want[KTLS_MAX_HASH];
	int err = ktls_finished_decode(&vd, hs->suite->hash_len, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "%s", why);
	if ((err = ktls_hs_finished_mac(hs, base, want)))
		return err;
	if (CRYPTO_memcmp(want, vd.p, vd.len))
		return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_DECRYPT_ERROR),
				    "%s Finished does not verify",
				    hs->role == KTLS_CLIENT ? "server" : "client");
	return ktls_transcript_add(&hs->th, m->raw, m->raw_len);
}

void ktls_hs_keylog(struct ktls_hs *hs, const char *label, const uint8_t *secret)
{
	if (!hs->cfg->keylog)
		return;
	char line[64 + 2 * KTLS_RANDOM_LEN + 2 * KTLS_MAX_HASH];
	int n = snprintf(line, sizeof(line), "%s ", label);
	for (size_t i = 0; i < KTLS_RANDOM_LEN; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", hs->client_random[i]);
	line[n++] = ' ';
	for (size_t i = 0; i < hs->suite->hash_len; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", secret[i]);
	hs->cfg->keylog(hs->cfg->keylog_arg, line);
	OPENSSL_cleanse(line, sizeof(line));
}

int ktls_hs_derive_handshake(struct ktls_hs *hs, const uint8_t *ecdhe, size_t len)
{
	uint8_t th[KTLS_MAX_HASH];
	/* The early secret: from the PSK when resuming, else from zeros. */
	int err = hs->resumed ? ktls_keysched_init(&hs->ks, hs->suite, hs->session.psk,
						   hs->session.psk_len)
			      : ktls_keysched_init(&hs->ks, hs->suite, NULL, 0);
	if (!err)
		err = ktls_keysched_advance(&hs->ks, ecdhe, len);
	if (!err)
		err = ktls_transcript_hash(&hs->th, th);
	if (!err)
		err = ktls_derive_secret(hs->suite, hs->ks.secret, "c hs traffic", th, hs->c_hs);
	if (!err)
		err = ktls_derive_secret(hs->suite, hs->ks.secret, "s hs traffic", th, hs->s_hs);
	if (!err) {
		ktls_hs_keylog(hs, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs->c_hs);
		ktls_hs_keylog(hs, "SERVER_HANDSHAKE_TRAFFIC_SECRET", hs->s_hs);
	}
	return err;
}

int ktls_hs_derive_application(struct ktls_hs *hs)
{
	uint8_t th[KTLS_MAX_HASH];
	const struct ktls_suite *s = hs->suite;
	int err = ktls_keysched_advance(&hs->ks, NULL, 0);
	if (!err)
		err = ktls_transcript_hash(&hs->th, th);
	if (!err)
		err = ktls_derive_secret(s, hs->ks.secret, "c ap traffic", th, hs->c_ap);
	if (!err)
		err = ktls_derive_secret(s, hs->ks.secret, "s ap traffic", th, hs->s_ap);
	if (!err)
		err = ktls_derive_secret(s, hs->ks.secret, "exp master", th, hs->exporter);
	if (!err) {
		ktls_hs_keylog(hs, "CLIENT_TRAFFIC_SECRET_0", hs->c_ap);
		ktls_hs_keylog(hs, "SERVER_TRAFFIC_SECRET_0", hs->s_ap);
		ktls_hs_keylog(hs, "EXPORTER_SECRET", hs->exporter);
	}
	return err;
}

int ktls_hs_complete(struct ktls_hs *hs)
{
	/* Both directions are done: keep what resumption and the exporter
	 * need, and wipe every secret before them (forward secrecy): the
	 * master secret, the handshake traffic secrets, and our copies of the
	 * first application secrets (the record states keep their own). */
	uint8_t th[KTLS_MAX_HASH];
	int err = ktls_transcript_hash(&hs->th, th);
	if (!err)
		err = ktls_derive_secret(hs->suite, hs->ks.secret, "res master", th,
					 hs->resumption);
	ktls_keysched_wipe(&hs->ks);
	ktls_session_clear(&hs->session); /* the resumed PSK, or the one offered */
	OPENSSL_cleanse(hs->c_hs, sizeof(hs->c_hs));
	OPENSSL_cleanse(hs->s_hs, sizeof(hs->s_hs));
	OPENSSL_cleanse(hs->c_ap, sizeof(hs->c_ap));
	OPENSSL_cleanse(hs->s_ap, sizeof(hs->s_ap));
	if (!err)
		hs->state = HS_DONE;
	return err;
}

int ktls_hs_send_certificate(struct ktls_hs *hs, const struct ktls_cert *cert)
{
	struct ktls_buf m;
	struct ktls_bytes ctx = {NULL, 0};
	ktls_buf_init(&m);
	ktls_certificate_encode(&m, &ctx, cert ? cert->der : NULL, cert ? cert->n : 0);
	int err = ktls_hs_send(hs, &m);
	ktls_buf_free(&m);
	return err;
}

int ktls_hs_send_cert_verify(struct ktls_hs *hs, uint16_t scheme)
{
	uint8_t th[KTLS_MAX_HASH], tbs[KTLS_SIG_CONTENT_MAX];
	struct ktls_buf sig, m;
	ktls_buf_init(&sig);
	ktls_buf_init(&m);
	int err = ktls_transcript_hash(&hs->th, th);
	if (!err) {
		size_t n = ktls_sig_content(tbs, hs->role == KTLS_SERVER, th, hs->suite->hash_len);
		err = ktls_sig_sign(scheme, hs->cert->key, tbs, n, &sig);
	}
	if (!err) {
		ktls_certificate_verify_encode(&m, scheme, sig.base, sig.len);
		err = ktls_hs_send(hs, &m);
	}
	ktls_buf_free(&sig);
	ktls_buf_free(&m);
	return err;
}

int ktls_hs_check_cert_verify(struct ktls_hs *hs, const struct ktls_hs_msg *m)
{
	struct ktls_certificate_verify cv;
	const char *why = "";
	int err = ktls_certificate_verify_decode(&cv, m->body, m->len, &why);
	if (err)
		return ktls_hs_fail(hs, err, "%s", why);
	/* The scheme must be one we offered: signature_algorithms and
	 * CertificateRequest both carry the configured list. */
	bool ok = false;
	for (size_t i = 0; i < hs->cfg->n_sigalgs; i++)
		ok |= hs->cfg->sigalgs[i] == cv.scheme;
	if (!ok)
		return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER),
				    "CertificateVerify uses scheme %#06x, which we did not offer",
				    cv.scheme);
	uint8_t th[KTLS_MAX_HASH], tbs[KTLS_SIG_CONTENT_MAX];
	err = ktls_transcript_hash(&hs->th, th);
	if (err)
		return ktls_hs_fail(hs, err, "transcript hash failed");
	size_t n = ktls_sig_content(tbs, hs->role == KTLS_CLIENT, th, hs->suite->hash_len);
	err = ktls_sig_verify(cv.scheme, X509_get0_pubkey(hs->peer_cert), tbs, n, cv.signature.p,
			      cv.signature.len);
	if (err)
		return ktls_hs_fail(hs, err, "CertificateVerify: %s",
				    err == KTLS_ALERT_ERR(KTLS_ALERT_DECRYPT_ERROR)
					    ? "signature does not verify"
					    : "scheme does not match the certificate's key");
	if (hs->role == KTLS_CLIENT)
		hs->sigalg = cv.scheme;
	hs->state = hs->role == KTLS_CLIENT ? HS_C_WAIT_FINISHED : HS_S_WAIT_FINISHED;
	return 0;
}

static bool ccs_allowed(const struct ktls_hs *hs)
{
	/* Between the first ClientHello and the peer's Finished (D.4). */
	if (hs->role == KTLS_CLIENT)
		return hs->state >= HS_C_WAIT_SH && hs->state <= HS_C_WAIT_FINISHED;
	return hs->state >= HS_S_WAIT_CH2 && hs->state <= HS_S_WAIT_FINISHED;
}

/* RFC 8446 5.1: no record of another type between the fragments of one
 * handshake message. */
static int check_not_partial(struct ktls_hs *hs, const char *what)
{
	if (!hs->msgs.len)
		return 0;
	return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
			    "%s between the fragments of a handshake message", what);
}

static int handle_alert(struct ktls_hs *hs, const uint8_t *a, size_t len)
{
	int desc;
	const char *why = "";
	int err = check_not_partial(hs, "an alert");
	if (!err && (err = ktls_alert_decode(a, len, &desc, &why)))
		return ktls_hs_fail(hs, err, "%s", why);
	if (err)
		return err;
	/* user_canceled is a warning that close_notify follows (6.1); the
	 * close_notify then ends the handshake, reported as the cancel. */
	if (desc == KTLS_ALERT_USER_CANCELED) {
		if (++hs->warn_run > KTLS_MAX_WARNINGS)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "%u user_canceled alerts in one handshake",
					    hs->warn_run);
		hs->peer_canceled = true;
		return 0;
	}
	if (desc == KTLS_ALERT_CLOSE_NOTIFY && hs->peer_canceled)
		desc = KTLS_ALERT_USER_CANCELED;
	const char *name = ktls_alert_name(desc);
	return ktls_hs_fail(hs, -(KTLS_E_ALERT_RECEIVED + desc), "peer sent alert %s (%d)",
			    name ? name : "unknown", desc);
}

/* A server that declines 0-RTT skips the client's early data (4.2.10): up
 * to a fixed budget, records that the handshake key cannot open (1-RTT
 * answer), or every encrypted record before the second ClientHello (after
 * a HelloRetryRequest). */
static int skip_early_data(struct ktls_hs *hs, size_t len)
{
	if (len > hs->early_budget)
		return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
				    "more early data than the %u bytes we skip", KTLS_EARLY_SKIP);
	hs->early_budget -= len;
	return 0;
}

int ktls_hs_dispatch(struct ktls_hs *hs, const struct ktls_hs_rule *rules, size_t n,
		     const struct ktls_hs_msg *m)
{
	for (size_t i = 0; i < n; i++) {
		if (rules[i].state != hs->state || rules[i].type != m->type)
			continue;
		int err = rules[i].on(hs, m);
		if (!err && rules[i].adds)
			err = ktls_transcript_add(&hs->th, m->raw, m->raw_len);
		return err;
	}
	return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
			    "unexpected handshake message type %u", m->type);
}

/* Hands every complete message in hs->msgs to the state machine. */
static int process_messages(struct ktls_hs *hs)
{
	while (hs->msgs.len >= 4 && hs->state != HS_FAILED) {
		struct ktls_rd r = ktls_rd_make(hs->msgs.base, hs->msgs.len);
		uint8_t type = ktls_rd_u8(&r);
		uint32_t len = ktls_rd_u24(&r);
		if (len > hs->cfg->max_hs_msg)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR),
					    "handshake message of %u bytes is larger than %zu", len,
					    hs->cfg->max_hs_msg);
		const uint8_t *body = ktls_rd_bytes(&r, len);
		if (!body)
			return 0; /* wait for the rest */
		if (hs->state == HS_DONE)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "handshake data after Finished in the same record");
		unsigned epoch = hs->rd_epoch;
		const struct ktls_hs_msg m = {type, body, len, hs->msgs.base, 4 + len};
		int err = hs->role == KTLS_CLIENT ? ktls_hs_client_message(hs, &m)
						  : ktls_hs_server_message(hs, &m);
		if (err)
			return hs->state == HS_FAILED ? err
						      : ktls_hs_fail(hs, err, "internal error");
		ktls_buf_consume(&hs->msgs, 4 + len);
		/* Messages must not straddle a change of read keys (5.1). */
		if (hs->rd_epoch != epoch && hs->msgs.len)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "handshake message spans a key change");
	}
	return 0;
}

static int handle_record(struct ktls_hs *hs, const uint8_t *rec, size_t rec_len)
{
	struct ktls_rd r = ktls_rd_make(rec, rec_len);
	uint8_t type = ktls_rd_u8(&r);
	(void)ktls_rd_u16(&r);
	size_t len = ktls_rd_u16(&r);
	const uint8_t *body = ktls_rd_bytes(&r, len);
	if (!body)
		return ktls_hs_fail(hs, -KTLS_E_RECORD_TRUNCATED, "record truncated");

	if (type == KTLS_CT_CHANGE_CIPHER_SPEC) {
		/* One, of value 1, per direction, between the first hello and
		 * the peer's Finished; a second one is refused, as NSS does
		 * (stricter than RFC 8446 5, and no CCS flood). */
		int err = check_not_partial(hs, "a ChangeCipherSpec");
		if (err)
			return err;
		if (!ccs_allowed(hs) || len != 1 || body[0] != 1 || hs->ccs_received)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "unexpected ChangeCipherSpec");
		hs->ccs_received = true;
		return 0;
	}
	if (!hs->rd_on && type == KTLS_CT_APPLICATION_DATA && hs->state == HS_S_WAIT_CH2 &&
	    hs->early_skip)
		return skip_early_data(hs, len);
	/* The peer may fail before it switches its own write keys: its alert
	 * then comes in plaintext, until its first encrypted record. */
	if (hs->rd_on && type == KTLS_CT_ALERT && !hs->rd_got_encrypted)
		return handle_alert(hs, body, len);
	if (hs->rd_on) {
		hs->rd_got_encrypted = true;
		if (type != KTLS_CT_APPLICATION_DATA)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "plaintext record of type %u after encryption started",
					    type);
		uint8_t *dst = ktls_buf_reserve(&hs->msgs, len);
		if (!dst)
			return ktls_hs_fail(hs, -ENOMEM, "out of memory");
		uint8_t inner;
		long n = ktls_rec_open(&hs->rd, rec, rec_len, dst, len, &inner);
		if (n == -KTLS_E_BAD_RECORD_MAC && hs->early_skip)
			return skip_early_data(hs, len);
		if (n < 0)
			return ktls_hs_fail(hs, (int)n, "%s", ktls_strerror((int)n));
		hs->early_skip = false; /* the client's own flight has begun */
		if (inner == KTLS_CT_ALERT)
			return handle_alert(hs, dst, (size_t)n);
		if (inner != KTLS_CT_HANDSHAKE)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "application data during the handshake");
		if (n == 0)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "empty handshake record");
		hs->msgs.len += (size_t)n;
	} else {
		if (type == KTLS_CT_ALERT)
			return handle_alert(hs, body, len);
		if (type != KTLS_CT_HANDSHAKE)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "record of type %u before keys were set", type);
		if (len == 0)
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "empty handshake record");
		if (len > KTLS_REC_MAX_PLAIN)
			return ktls_hs_fail(hs, -KTLS_E_RECORD_OVERFLOW,
					    "plaintext record over 2^14 bytes");
		ktls_buf_put(&hs->msgs, body, len);
		if (hs->msgs.bad)
			return ktls_hs_fail(hs, -ENOMEM, "out of memory");
	}
	return process_messages(hs);
}

KTLS_API int ktls_hs_step(struct ktls_hs *hs, const uint8_t *in, size_t in_len, size_t *consumed)
{
	*consumed = 0;
	if (hs->state == HS_FAILED)
		return hs->error;
	if (hs->state == HS_START) {
		int err = ktls_hs_client_start(hs);
		if (err)
			return hs->state == HS_FAILED ? err : ktls_hs_fail(hs, err, "cannot start");
	}
	struct ktls_rd r = ktls_rd_make(in, in_len);
	while (hs->state != HS_DONE) {
		long n = ktls_rec_frame(r.p, ktls_rd_left(&r), KTLS_REC_MAX_CIPHER);
		if (n < 0)
			return ktls_hs_fail(hs, (int)n, "record longer than 2^14 + 256");
		/* A header is judged before its body arrives: what is not a TLS
		 * record (an HTTP request on the TLS port) fails now (5). */
		if (ktls_rd_left(&r) &&
		    (r.p[0] < KTLS_CT_CHANGE_CIPHER_SPEC || r.p[0] > KTLS_CT_APPLICATION_DATA))
			return ktls_hs_fail(hs, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
					    "not a TLS record (content type %u)", r.p[0]);
		if (n == 0)
			break;
		const uint8_t *rec = ktls_rd_bytes(&r, (size_t)n);
		*consumed += (size_t)n;
		int err = handle_record(hs, rec, (size_t)n);
		if (err)
			return err;
	}
	return hs->state == HS_DONE ? 1 : 0;
}

KTLS_API void ktls_hs_output(struct ktls_hs *hs, const uint8_t **out, size_t *len)
{
	*out = hs->out.base;
	*len = hs->out.len;
}

KTLS_API void ktls_hs_output_sent(struct ktls_hs *hs, size_t n)
{
	ktls_buf_consume(&hs->out, n);
}

KTLS_API const char *ktls_hs_error_detail(const struct ktls_hs *hs)
{
	return hs->state == HS_FAILED ? hs->detail : "";
}

KTLS_API uint16_t ktls_hs_suite(const struct ktls_hs *hs)
{
	return hs->suite ? hs->suite->id : 0;
}
KTLS_API uint16_t ktls_hs_group(const struct ktls_hs *hs)
{
	return hs->group;
}
KTLS_API uint16_t ktls_hs_sigalg(const struct ktls_hs *hs)
{
	return hs->sigalg;
}
KTLS_API const char *ktls_hs_alpn(const struct ktls_hs *hs)
{
	return hs->alpn[0] ? hs->alpn : NULL;
}
KTLS_API const char *ktls_hs_server_name(const struct ktls_hs *hs)
{
	return hs->server_name;
}
KTLS_API int ktls_hs_did_hrr(const struct ktls_hs *hs)
{
	return hs->did_hrr;
}
KTLS_API unsigned ktls_hs_peer_record_size_limit(const struct ktls_hs *hs)
{
	return hs->peer_record_size_limit;
}
KTLS_API void *ktls_hs_peer_cert(const struct ktls_hs *hs)
{
	return hs->peer_cert;
}

int ktls_hs_take_app_keys(struct ktls_hs *hs, struct ktls_rec_dir *rd, struct ktls_rec_dir *wr)
{
	if (hs->state != HS_DONE)
		return -KTLS_E_INTERNAL;
	*rd = hs->rd;
	*wr = hs->wr;
	memset(&hs->rd, 0, sizeof(hs->rd));
	memset(&hs->wr, 0, sizeof(hs->wr));
	hs->rd_on = hs->wr_on = false;
	return 0;
}

KTLS_API int ktls_hs_export_keying_material(const struct ktls_hs *hs, uint8_t *out, size_t out_len,
					    const char *label, size_t label_len,
					    const uint8_t *context, size_t context_len,
					    int use_context)
{
	if (hs->state != HS_DONE)
		return -KTLS_E_HANDSHAKE_NOT_DONE;
	if (label_len > 249 || out_len > 255 * hs->suite->hash_len || (!label && label_len))
		return -EINVAL;
	return ktls_exporter(hs->suite, hs->exporter, (const uint8_t *)label, label_len,
			     use_context ? context : NULL, use_context ? context_len : 0, out,
			     out_len);
}
