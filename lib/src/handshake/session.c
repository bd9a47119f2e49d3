/* SPDX-License-Identifier: Apache-2.0 */
/* Sessions, tickets and ticket keys (see session.h). */
#include "handshake/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktls/ktls.h"

#define SESSION_VERSION 1

void ktls_session_clear(struct ktls_session *s)
{
	if (s->ticket) {
		OPENSSL_cleanse(s->ticket, s->ticket_len);
		free(s->ticket);
	}
	OPENSSL_cleanse(s, sizeof(*s));
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

/* AES-256-GCM one shot: seal (enc) or open; 0 or -1. */
static int gcm(int enc, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
	       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l = 0, ok = ctx && EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, enc, NULL) &&
			EVP_CipherUpdate(ctx, NULL, &l, aad, 16) &&
			(enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0) &&
			EVP_CipherUpdate(ctx, out, &l, in, (int)len) &&
			EVP_CipherFinal_ex(ctx, out + l, &l) &&
			(!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int ktls_ticket_seal(struct ktls_ticket_keys *k, const struct ktls_session *s, struct ktls_buf *out)
{
	struct ktls_buf plain;
	ktls_buf_init(&plain);
	encode(s, &plain, false);
	uint8_t nonce[12];
	int err = plain.bad || RAND_bytes(nonce, sizeof(nonce)) != 1 ? -1 : 0;
	pthread_mutex_lock(&k->lock);
	if (!err)
		err = rotate(k);
	uint8_t *dst = err ? NULL : ktls_buf_reserve(out, KTLS_TICKET_OVERHEAD + plain.len);
	if (dst) {
		memcpy(dst, k->cur.name, 16);
		memcpy(dst + 16, nonce, 12);
		err = gcm(1, k->cur.key, nonce, k->cur.name, plain.base, plain.len, dst + 28,
			  dst + 28 + plain.len);
		if (!err)
			out->len += KTLS_TICKET_OVERHEAD + plain.len;
	} else {
		err = -1;
	}
	pthread_mutex_unlock(&k->lock);
	ktls_buf_free(&plain);
	return err;
}

int ktls_ticket_open(struct ktls_ticket_keys *k, const uint8_t *t, size_t len,
		     struct ktls_session *s)
{
	if (len <= KTLS_TICKET_OVERHEAD || len > 4096)
		return -1;
	size_t n = len - KTLS_TICKET_OVERHEAD;
	uint8_t key[32], plain[4096], tag[16];
	int found = 0;
	pthread_mutex_lock(&k->lock);
	(void)rotate(k); /* an expired previous key goes first */
	const struct ktls_ticket_key *cand[2] = {&k->cur, &k->prev};
	for (int i = 0; i < 2 && !found; i++)
		if (cand[i]->set && !CRYPTO_memcmp(cand[i]->name, t, 16)) {
			memcpy(key, cand[i]->key, 32);
			found = 1;
		}
	pthread_mutex_unlock(&k->lock);
	if (!found)
		return -1;
	memcpy(tag, t + len - 16, 16);
	int err = gcm(0, key, t + 16, t, t + 28, n, plain, tag);
	OPENSSL_cleanse(key, sizeof(key));
	if (!err)
		err = decode(s, plain, n, false);
	OPENSSL_cleanse(plain, n);
	return err;
}
