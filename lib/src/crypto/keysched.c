/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto/keysched.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#include "ktls/ktls.h"

#define MAX_BLOCK 128 /* SHA-384's */

/* HMAC (RFC 2104) on the suite's digest, fetched once: half the cost of
 * libcrypto's EVP_MAC, whose context is three digest contexts to copy,
 * key and free for every call (a handshake makes some thirty). */
static int hmac(const struct ktls_suite *s, const uint8_t *key, size_t key_len, const uint8_t *data,
		size_t len, uint8_t *out)
{
	uint8_t pad[MAX_BLOCK], inner[KTLS_MAX_HASH], hkey[KTLS_MAX_HASH];
	size_t block = (size_t)EVP_MD_get_block_size(s->md);
	unsigned int n = 0, m = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && block <= sizeof(pad);
	if (ok && key_len > block) { /* a long key is hashed first */
		ok = EVP_DigestInit_ex2(ctx, s->md, NULL) && EVP_DigestUpdate(ctx, key, key_len) &&
		     EVP_DigestFinal_ex(ctx, hkey, &n);
		key = hkey;
		key_len = n;
	}
	if (ok) {
		memset(pad, 0x36, block);
		for (size_t i = 0; i < key_len; i++)
			pad[i] ^= key[i];
		ok = EVP_DigestInit_ex2(ctx, s->md, NULL) && EVP_DigestUpdate(ctx, pad, block) &&
		     EVP_DigestUpdate(ctx, data, len) && EVP_DigestFinal_ex(ctx, inner, &n);
	}
	if (ok) {
		/* 0x36 ^ 0x5c turns the inner pad into the outer one. */
		for (size_t i = 0; i < block; i++)
			pad[i] ^= 0x36 ^ 0x5c;
		ok = EVP_DigestInit_ex2(ctx, s->md, NULL) && EVP_DigestUpdate(ctx, pad, block) &&
		     EVP_DigestUpdate(ctx, inner, n) && EVP_DigestFinal_ex(ctx, out, &m) &&
		     m == s->hash_len;
	}
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(hkey, sizeof(hkey));
	return ok ? 0 : -KTLS_E_CRYPTO;
}

int ktls_hmac(const struct ktls_suite *s, const uint8_t *key, size_t key_len, const uint8_t *data,
	      size_t len, uint8_t *out)
{
	return hmac(s, key, key_len, data, len, out);
}

int ktls_hkdf_extract(const struct ktls_suite *s, const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	static const uint8_t zeros[KTLS_MAX_HASH];
	/* RFC 5869: an absent salt is hash_len zeros; so is an absent IKM in TLS 1.3. */
	if (!salt) {
		salt = zeros;
		salt_len = s->hash_len;
	}
	if (!ikm) {
		ikm = zeros;
		ikm_len = s->hash_len;
	}
	return hmac(s, salt, salt_len, ikm, ikm_len, prk);
}

int ktls_hkdf_expand_label(const struct ktls_suite *s, const uint8_t *secret, const char *label,
			   const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len)
{
	return ktls_hkdf_expand_label_n(s, secret, (const uint8_t *)label, strlen(label), ctx,
					ctx_len, out, out_len);
}

int ktls_hkdf_expand_label_n(const struct ktls_suite *s, const uint8_t *secret,
			     const uint8_t *label, size_t label_len, const uint8_t *ctx,
			     size_t ctx_len, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t full = sizeof(prefix) - 1 + label_len;

	if (full > 255 || ctx_len > 255 || out_len > 255 * s->hash_len)
		return -KTLS_E_INTERNAL;
	size_t n = 0;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)full;
	memcpy(info + n, prefix, sizeof(prefix) - 1);
	n += sizeof(prefix) - 1;
	memcpy(info + n, label, label_len);
	n += label_len;
	info[n++] = (uint8_t)ctx_len;
	if (ctx_len)
		memcpy(info + n, ctx, ctx_len);
	n += ctx_len;

	/* HKDF-Expand: T(i) = HMAC(PRK, T(i-1) | info | i). */
	uint8_t t[KTLS_MAX_HASH];
	size_t tlen = 0, done = 0;
	int err = 0;
	for (uint8_t i = 1; done < out_len; i++) {
		uint8_t msg[KTLS_MAX_HASH + sizeof(info) + 1];
		memcpy(msg, t, tlen);
		memcpy(msg + tlen, info, n);
		msg[tlen + n] = i;
		err = hmac(s, secret, s->hash_len, msg, tlen + n + 1, t);
		OPENSSL_cleanse(msg, sizeof(msg));
		if (err)
			break;
		tlen = s->hash_len;
		size_t take = out_len - done < tlen ? out_len - done : tlen;
		memcpy(out + done, t, take);
		done += take;
	}
	OPENSSL_cleanse(t, sizeof(t));
	return err;
}

int ktls_derive_secret(const struct ktls_suite *s, const uint8_t *secret, const char *label,
		       const uint8_t *thash, uint8_t *out)
{
	return ktls_hkdf_expand_label(s, secret, label, thash, s->hash_len, out, s->hash_len);
}

int ktls_hash(const struct ktls_suite *s, const void *data, size_t len, uint8_t *out)
{
	unsigned int outl = 0;
	if (!EVP_Digest(data, len, out, &outl, s->md, NULL) || outl != s->hash_len)
		return -KTLS_E_CRYPTO;
	return 0;
}

int ktls_traffic_key_iv(const struct ktls_suite *s, const uint8_t *secret, uint8_t *key,
			uint8_t *iv)
{
	int err = ktls_hkdf_expand_label(s, secret, "key", NULL, 0, key, s->key_len);
	if (!err)
		err = ktls_hkdf_expand_label(s, secret, "iv", NULL, 0, iv, KTLS_IV_LEN);
	return err;
}

int ktls_next_traffic_secret(const struct ktls_suite *s, const uint8_t *secret, uint8_t *out)
{
	uint8_t tmp[KTLS_MAX_HASH];
	int err = ktls_hkdf_expand_label(s, secret, "traffic upd", NULL, 0, tmp, s->hash_len);
	if (!err)
		memcpy(out, tmp, s->hash_len);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return err;
}

/* Without a PSK the early secret (HKDF-Extract(0, 0), RFC 8446 7.1) and
 * the "derived" secret after it are constants of the hash, as is
 * Hash(""): made once per suite, not in every full handshake (two HMACs
 * and two hashes). No secret in them: nothing to wipe. */
struct zero_consts {
	bool ok;
	uint8_t empty_hash[KTLS_MAX_HASH], early[KTLS_MAX_HASH], derived[KTLS_MAX_HASH];
};
static struct zero_consts zero_consts[KTLS_NUM_SUITES];
static pthread_once_t zero_once = PTHREAD_ONCE_INIT;

static void make_zero_consts(void)
{
	for (size_t i = 0; i < KTLS_NUM_SUITES; i++) {
		const struct ktls_suite *s = ktls_suite_at(i);
		struct zero_consts *z = &zero_consts[i];
		z->ok = s && !ktls_hash(s, "", 0, z->empty_hash) &&
			!ktls_hkdf_extract(s, NULL, 0, NULL, 0, z->early) &&
			!ktls_derive_secret(s, z->early, "derived", z->empty_hash, z->derived);
	}
}

static const struct zero_consts *zero_of(const struct ktls_suite *s)
{
	pthread_once(&zero_once, make_zero_consts);
	size_t i = (size_t)(s->id - KTLS_TLS_AES_128_GCM_SHA256);
	return i < KTLS_NUM_SUITES && zero_consts[i].ok ? &zero_consts[i] : NULL;
}

int ktls_keysched_init(struct ktls_keysched *ks, const struct ktls_suite *s, const uint8_t *psk,
		       size_t psk_len)
{
	const struct zero_consts *z = psk ? NULL : zero_of(s);
	ks->suite = s;
	ks->zero_early = z != NULL;
	if (z) {
		memcpy(ks->secret, z->early, s->hash_len);
		return 0;
	}
	return ktls_hkdf_extract(s, NULL, 0, psk, psk_len, ks->secret);
}

int ktls_keysched_advance(struct ktls_keysched *ks, const uint8_t *ikm, size_t ikm_len)
{
	const struct ktls_suite *s = ks->suite;
	const struct zero_consts *z = zero_of(s);
	uint8_t empty_hash[KTLS_MAX_HASH], derived[KTLS_MAX_HASH];
	int err = 0;
	if (z && ks->zero_early)
		memcpy(derived, z->derived, s->hash_len);
	else if (z)
		err = ktls_derive_secret(s, ks->secret, "derived", z->empty_hash, derived);
	else if (!(err = ktls_hash(s, "", 0, empty_hash)))
		err = ktls_derive_secret(s, ks->secret, "derived", empty_hash, derived);
	ks->zero_early = false;
	if (!err)
		err = ktls_hkdf_extract(s, derived, s->hash_len, ikm, ikm_len, ks->secret);
	OPENSSL_cleanse(derived, sizeof(derived));
	return err;
}

void ktls_keysched_wipe(struct ktls_keysched *ks)
{
	OPENSSL_cleanse(ks, sizeof(*ks));
}

int ktls_exporter(const struct ktls_suite *s, const uint8_t *exporter_master, const uint8_t *label,
		  size_t label_len, const uint8_t *context, size_t context_len, uint8_t *out,
		  size_t out_len)
{
	/* TLS-Exporter (RFC 8446 7.5): Derive-Secret(exporter master, label,
	 * "") then HKDF-Expand-Label(that, "exporter", Hash(context), L). */
	uint8_t empty[KTLS_MAX_HASH], ctx_hash[KTLS_MAX_HASH], derived[KTLS_MAX_HASH];
	int err = ktls_hash(s, "", 0, empty);
	if (!err)
		err = ktls_hash(s, context ? (const void *)context : "", context_len, ctx_hash);
	if (!err)
		err = ktls_hkdf_expand_label_n(s, exporter_master, label, label_len, empty,
					       s->hash_len, derived, s->hash_len);
	if (!err)
		err = ktls_hkdf_expand_label(s, derived, "exporter", ctx_hash, s->hash_len, out,
					     out_len);
	OPENSSL_cleanse(derived, sizeof(derived));
	return err;
}

int ktls_psk_binder(const struct ktls_suite *s, const uint8_t *psk, size_t psk_len,
		    const uint8_t *thash, uint8_t *out)
{
	/* RFC 8446 4.2.11.2 and 7.1: binder_key = Derive-Secret(early secret,
	 * "res binder", ""), then a Finished-style HMAC over the truncated
	 * ClientHello's transcript hash. */
	struct ktls_keysched ks;
	uint8_t empty[KTLS_MAX_HASH], binder_key[KTLS_MAX_HASH], fkey[KTLS_MAX_HASH];
	int err = ktls_keysched_init(&ks, s, psk, psk_len);
	if (!err)
		err = ktls_hash(s, "", 0, empty);
	if (!err)
		err = ktls_derive_secret(s, ks.secret, "res binder", empty, binder_key);
	if (!err)
		err = ktls_hkdf_expand_label(s, binder_key, "finished", NULL, 0, fkey, s->hash_len);
	if (!err)
		err = ktls_hmac(s, fkey, s->hash_len, thash, s->hash_len, out);
	ktls_keysched_wipe(&ks);
	OPENSSL_cleanse(binder_key, sizeof(binder_key));
	OPENSSL_cleanse(fkey, sizeof(fkey));
	return err;
}
