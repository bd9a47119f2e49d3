/* SPDX-License-Identifier: Apache-2.0 */
/* Sessions, tickets and ticket keys (see session.h). */
#include "handshake/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/keysched.h"
#include "ktls/ktls.h"

#define SESSION_VERSION 2

void ktls_session_clear(struct ktls_session *s)
{
	if (s->ticket) {
		OPENSSL_cleanse(s->ticket, s->ticket_len);
		free(s->ticket);
	}
	free(s->peer); /* a certificate: public */
	OPENSSL_cleanse(s, sizeof(*s));
}

X509 *ktls_session_peer_x509(const struct ktls_session *s)
{
	const unsigned char *p = s->peer;
	return s->peer_len ? d2i_X509(NULL, &p, (long)s->peer_len) : NULL;
}

int ktls_session_set_peer(struct ktls_session *s, X509 *cert, size_t max)
{
	unsigned char *der = NULL;
	int n = cert ? i2d_X509(cert, &der) : 0;
	if (n < 0 || (size_t)n > max) {
		OPENSSL_free(der);
		return -1;
	}
	free(s->peer);
	s->peer = NULL;
	s->peer_len = 0;
	if (n && !(s->peer = malloc((size_t)n))) {
		OPENSSL_free(der);
		return -1;
	}
	if (n)
		memcpy(s->peer, der, (size_t)n);
	s->peer_len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

uint64_t ktls_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The fields both kinds share; the client's form adds the ticket. */
static void encode(const struct ktls_session *s, struct ktls_buf *out, bool with_ticket)
{
	ktls_buf_u8(out, SESSION_VERSION);
	ktls_buf_u16(out, s->suite);
	ktls_buf_u8(out, (uint8_t)s->psk_len);
	ktls_buf_put(out, s->psk, s->psk_len);
	ktls_buf_uint(out, s->time_ms, 8);
	ktls_buf_uint(out, s->lifetime, 4);
	ktls_buf_uint(out, s->age_add, 4);
	ktls_buf_u8(out, s->sni_len);
	ktls_buf_put(out, s->sni, s->sni_len);
	ktls_buf_u8(out, s->alpn_len);
	ktls_buf_put(out, s->alpn, s->alpn_len);
	ktls_buf_u8(out, s->verify);
	ktls_buf_u8(out, s->flags);
	ktls_buf_u16(out, (uint16_t)s->peer_len);
	ktls_buf_put(out, s->peer, s->peer_len);
	if (with_ticket) {
		ktls_buf_u16(out, (uint16_t)s->ticket_len);
		ktls_buf_put(out, s->ticket, s->ticket_len);
	}
}

static int decode(struct ktls_session *s, const uint8_t *p, size_t len, bool with_ticket)
{
	struct ktls_rd r = ktls_rd_make(p, len);
	memset(s, 0, sizeof(*s));
	if (ktls_rd_u8(&r) != SESSION_VERSION)
		return -1;
	s->suite = ktls_rd_u16(&r);
	struct ktls_rd psk = ktls_rd_block(&r, 1);
	s->psk_len = ktls_rd_left(&psk);
	if (s->psk_len > sizeof(s->psk) || !ktls_rd_copy(&psk, s->psk, s->psk_len))
		return -1;
	s->time_ms = ktls_rd_u64(&r);
	s->lifetime = ktls_rd_u32(&r);
	s->age_add = ktls_rd_u32(&r);
	struct ktls_rd sni = ktls_rd_block(&r, 1);
	s->sni_len = (uint8_t)ktls_rd_left(&sni);
	ktls_rd_copy(&sni, s->sni, s->sni_len);
	struct ktls_rd alpn = ktls_rd_block(&r, 1);
	s->alpn_len = (uint8_t)ktls_rd_left(&alpn);
	ktls_rd_copy(&alpn, s->alpn, s->alpn_len);
	s->verify = ktls_rd_u8(&r);
	s->flags = ktls_rd_u8(&r);
	struct ktls_rd peer = ktls_rd_block(&r, 2);
	s->peer_len = ktls_rd_left(&peer);
	if (s->peer_len) {
		if (!ktls_rd_ok(&r) || !(s->peer = malloc(s->peer_len)))
			return -1;
		memcpy(s->peer, peer.p, s->peer_len);
	}
	if (s->verify > KTLS_VERIFY_REQUIRE || (s->flags & ~3u))
		return -1;
	if (with_ticket) {
		struct ktls_rd t = ktls_rd_block(&r, 2);
		s->ticket_len = ktls_rd_left(&t);
		if (!ktls_rd_ok(&r) || !s->ticket_len || !(s->ticket = malloc(s->ticket_len)))
			return -1;
		memcpy(s->ticket, t.p, s->ticket_len);
	}
	return ktls_rd_done(&r) && ktls_suite_get(s->suite) &&
			       s->psk_len == ktls_suite_get(s->suite)->hash_len
		       ? 0
		       : -1;
}

void ktls_session_encode(const struct ktls_session *s, struct ktls_buf *out)
{
	encode(s, out, true);
}

int ktls_session_decode(struct ktls_session *s, const uint8_t *p, size_t len)
{
	int err = decode(s, p, len, true);
	if (err)
		ktls_session_clear(s);
	return err;
}

struct ktls_ticket_keys *ktls_ticket_keys_new(void)
{
	struct ktls_ticket_keys *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	k->lifetime = 7200;
	return k;
}

void ktls_ticket_keys_free(struct ktls_ticket_keys *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

int ktls_ticket_keys_set(struct ktls_ticket_keys *k, const uint8_t *keys, size_t n)
{
	if (!keys || n < 1 || n > 2)
		return -1;
	pthread_mutex_lock(&k->lock);
	OPENSSL_cleanse(&k->cur, sizeof(k->cur));
	OPENSSL_cleanse(&k->prev, sizeof(k->prev));
	struct ktls_ticket_key *dst[2] = {&k->cur, &k->prev};
	for (size_t i = 0; i < n; i++) {
		memcpy(dst[i]->name, keys + i * KTLS_TICKET_KEY_LEN, 16);
		memcpy(dst[i]->key, keys + i * KTLS_TICKET_KEY_LEN + 16, 32);
		dst[i]->born_ms = ktls_now_ms();
		dst[i]->set = true;
	}
	k->fixed = true;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

/* Our own keys: a new one issues for a lifetime, then is accepted for one
 * more, then is wiped. Lock held. */
static int rotate(struct ktls_ticket_keys *k)
{
	uint64_t now = ktls_now_ms(), life = (uint64_t)k->lifetime * 1000;
	if (k->fixed)
		return k->cur.set ? 0 : -1;
	if (k->prev.set && now - k->prev.born_ms >= 2 * life)
		OPENSSL_cleanse(&k->prev, sizeof(k->prev));
	if (k->cur.set && now - k->cur.born_ms < life)
		return 0;
	OPENSSL_cleanse(&k->prev, sizeof(k->prev));
	k->prev = k->cur;
	struct ktls_ticket_key fresh = {.born_ms = now, .set = true};
	if (RAND_bytes(fresh.name, 16) != 1 || RAND_priv_bytes(fresh.key, 32) != 1)
		return -1;
	k->cur = fresh;
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	k->rotations++;
	return 0;
}

/* The one ticket's key: HKDF-Extract(salt, ticket key), then Expand-Label
 * "ticket key" (SHA-256). 0 or -1. */
static int ticket_key(const uint8_t *key, const uint8_t *salt, uint8_t *out)
{
	const struct ktls_suite *sha256 = ktls_suite_get(0x1301);
	uint8_t prk[KTLS_MAX_HASH];
	int err = ktls_hkdf_extract(sha256, salt, 16, key, 32, prk);
	if (!err)
		err = ktls_hkdf_expand_label(sha256, prk, "ticket key", NULL, 0, out, 32);
	OPENSSL_cleanse(prk, sizeof(prk));
	return err ? -1 : 0;
}

/* AES-256-GCM one shot under a single-use key (so a fixed nonce): seal
 * (enc) or open; aad is the ticket key's name and the verify mode. */
static int gcm(int enc, const uint8_t *key, const uint8_t *name, uint8_t verify, const uint8_t *in,
	       size_t len, uint8_t *out, uint8_t *tag)
{
	static const uint8_t nonce[12];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l = 0, ok = ctx && EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, enc, NULL) &&
			EVP_CipherUpdate(ctx, NULL, &l, name, 16) &&
			EVP_CipherUpdate(ctx, NULL, &l, &verify, 1) &&
			(enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0) &&
			EVP_CipherUpdate(ctx, out, &l, in, (int)len) &&
			EVP_CipherFinal_ex(ctx, out + l, &l) &&
			(!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int ktls_ticket_seal_plain(struct ktls_ticket_keys *k, uint8_t verify, const uint8_t *plain,
			   size_t n, struct ktls_buf *out)
{
	uint8_t salt[16], key[32], name[16];
	int err = n + KTLS_TICKET_OVERHEAD > KTLS_TICKET_MAX || RAND_bytes(salt, sizeof(salt)) != 1
			  ? -1
			  : 0;
	pthread_mutex_lock(&k->lock);
	if (!err)
		err = rotate(k);
	if (!err) {
		memcpy(name, k->cur.name, 16);
		err = ticket_key(k->cur.key, salt, key);
	}
	pthread_mutex_unlock(&k->lock);
	uint8_t *dst = err ? NULL : ktls_buf_reserve(out, KTLS_TICKET_OVERHEAD + n);
	if (dst) {
		memcpy(dst, name, 16);
		memcpy(dst + 16, salt, 16);
		err = gcm(1, key, name, verify, plain, n, dst + 32, dst + 32 + n);
		if (!err)
			out->len += KTLS_TICKET_OVERHEAD + n;
	} else {
		err = -1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

int ktls_ticket_seal(struct ktls_ticket_keys *k, uint8_t verify, const struct ktls_session *s,
		     struct ktls_buf *out)
{
	struct ktls_buf plain;
	ktls_buf_init(&plain);
	encode(s, &plain, false);
	int err = plain.bad ? -1 : ktls_ticket_seal_plain(k, verify, plain.base, plain.len, out);
	ktls_buf_free(&plain);
	return err;
}

int ktls_ticket_open(struct ktls_ticket_keys *k, uint8_t verify, const uint8_t *t, size_t len,
		     struct ktls_session *s)
{
	if (len <= KTLS_TICKET_OVERHEAD || len > KTLS_TICKET_MAX)
		return -1;
	size_t n = len - KTLS_TICKET_OVERHEAD;
	uint8_t key[32], plain[KTLS_TICKET_MAX], tag[16];
	int err = -1;
	pthread_mutex_lock(&k->lock);
	(void)rotate(k); /* an expired previous key goes first */
	const struct ktls_ticket_key *cand[2] = {&k->cur, &k->prev};
	for (int i = 0; i < 2 && err; i++)
		if (cand[i]->set && !CRYPTO_memcmp(cand[i]->name, t, 16))
			err = ticket_key(cand[i]->key, t + 16, key);
	pthread_mutex_unlock(&k->lock);
	if (err)
		return -1;
	memcpy(tag, t + len - 16, 16);
	err = gcm(0, key, t, verify, t + 32, n, plain, tag);
	OPENSSL_cleanse(key, sizeof(key));
	if (!err && (err = decode(s, plain, n, false)))
		ktls_session_clear(s);
	OPENSSL_cleanse(plain, n);
	return err;
}
