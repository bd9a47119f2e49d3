/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ktls/ktls.h"

/* HandshakeType message_hash (RFC 8446 4): stands in for ClientHello1. */
#define MESSAGE_HASH 254

void ktls_transcript_init(struct ktls_transcript *t)
{
	memset(t, 0, sizeof(*t));
	ktls_buf_init(&t->pending);
}

void ktls_transcript_free(struct ktls_transcript *t)
{
	EVP_MD_CTX_free(t->ctx);
	ktls_buf_free(&t->pending);
	memset(t, 0, sizeof(*t));
}

int ktls_transcript_add(struct ktls_transcript *t, const uint8_t *msg, size_t len)
{
	if (!t->suite) {
		ktls_buf_put(&t->pending, msg, len);
		return t->pending.bad ? -ENOMEM : 0;
	}
	return EVP_DigestUpdate(t->ctx, msg, len) ? 0 : -KTLS_E_CRYPTO;
}

int ktls_transcript_set_suite(struct ktls_transcript *t, const struct ktls_suite *s)
{
	t->suite = s;
	t->ctx = EVP_MD_CTX_new();
	if (!t->ctx || !EVP_DigestInit_ex(t->ctx, s->md, NULL) ||
	    !EVP_DigestUpdate(t->ctx, t->pending.base ? t->pending.base : (const uint8_t *)"",
			      t->pending.len))
		return -KTLS_E_CRYPTO;
	ktls_buf_free(&t->pending);
	return 0;
}

int ktls_transcript_hash(const struct ktls_transcript *t, uint8_t *out)
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = copy && EVP_MD_CTX_copy_ex(copy, t->ctx) && EVP_DigestFinal_ex(copy, out, &n);
	EVP_MD_CTX_free(copy);
	return ok ? 0 : -KTLS_E_CRYPTO;
}

int ktls_transcript_hrr(struct ktls_transcript *t)
{
	uint8_t h[KTLS_MAX_HASH], msg[4 + KTLS_MAX_HASH];
	size_t n = t->suite->hash_len;
	int err = ktls_transcript_hash(t, h);
	if (err)
		return err;
	msg[0] = MESSAGE_HASH;
	msg[1] = 0;
	msg[2] = 0;
	msg[3] = (uint8_t)n;
	memcpy(msg + 4, h, n);
	if (!EVP_DigestInit_ex(t->ctx, t->suite->md, NULL))
		return -KTLS_E_CRYPTO;
	return ktls_transcript_add(t, msg, 4 + n);
}

int ktls_transcript_peek(const struct ktls_transcript *t, const struct ktls_suite *s,
			 const uint8_t *extra, size_t len, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx != NULL;
	if (ok && t->suite)
		ok = EVP_MD_CTX_copy_ex(ctx, t->ctx);
	else if (ok)
		ok = EVP_DigestInit_ex(ctx, s->md, NULL) &&
		     EVP_DigestUpdate(ctx, t->pending.base ? t->pending.base : (const uint8_t *)"",
				      t->pending.len);
	ok = ok && EVP_DigestUpdate(ctx, extra, len) && EVP_DigestFinal_ex(ctx, out, &n) &&
	     n == s->hash_len;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -KTLS_E_CRYPTO;
}
