/* SPDX-License-Identifier: Apache-2.0 */
#include "record/record.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "crypto/keysched.h"
#include "ktls/ktls.h"
#include "wire/wire.h"

/* Keys into a cipher context: the cipher first, as CCM's default nonce is
 * 7 bytes and its tag length must be fixed before the key goes in; GCM
 * and ChaCha20 default to what TLS uses. */
static int cipher_load(struct ktls_rec_dir *d)
{
	const struct ktls_suite *s = d->suite;
	if (!EVP_CipherInit_ex2(d->ctx, s->cipher, NULL, NULL, d->encrypt, NULL) ||
	    (s->ccm &&
	     (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_IVLEN, KTLS_IV_LEN, NULL) <= 0 ||
	      EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, KTLS_TAG_LEN, NULL) <= 0)) ||
	    !EVP_CipherInit_ex2(d->ctx, NULL, d->key, NULL, d->encrypt, NULL))
		return -KTLS_E_CRYPTO;
	return 0;
}

static int load_keys(struct ktls_rec_dir *d)
{
	int err = ktls_traffic_key_iv(d->suite, d->secret, d->key, d->iv);
	if (err)
		return err;
	d->seq = 0;
	/* Without a context (the kernel's direction, or parked) only the
	 * keys change; a parked one is rebuilt from them when next used. */
	return d->ctx ? cipher_load(d) : 0;
}

void ktls_rec_park(struct ktls_rec_dir *d)
{
	if (!d->ctx)
		return;
	EVP_CIPHER_CTX_free(d->ctx); /* frees and wipes the expanded key */
	d->ctx = NULL;
	d->parked = true;
}

/* A parked direction's context, rebuilt for the record in hand. */
static int unpark(struct ktls_rec_dir *d)
{
	if (!d->parked)
		return -KTLS_E_INTERNAL; /* a direction the kernel carries */
	if (!(d->ctx = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	int err = cipher_load(d);
	if (err) {
		EVP_CIPHER_CTX_free(d->ctx);
		d->ctx = NULL;
		return err;
	}
	d->parked = false;
	return 0;
}

void ktls_rec_drop_cipher(struct ktls_rec_dir *d)
{
	EVP_CIPHER_CTX_free(d->ctx); /* frees and wipes the expanded key */
	d->ctx = NULL;
	d->parked = false;
}

int ktls_rec_init(struct ktls_rec_dir *d, const struct ktls_suite *s, const uint8_t *secret,
		  int encrypt)
{
	ktls_rec_clear(d);
	d->suite = s;
	d->encrypt = encrypt;
	d->max_plain = KTLS_REC_MAX_PLAIN;
	memcpy(d->secret, secret, s->hash_len);
	d->ctx = EVP_CIPHER_CTX_new();
	if (!d->ctx)
		return -ENOMEM;
	int err = load_keys(d);
	if (err)
		ktls_rec_clear(d);
	return err;
}

int ktls_rec_update(struct ktls_rec_dir *d)
{
	int err = ktls_next_traffic_secret(d->suite, d->secret, d->secret);
	return err ? err : load_keys(d);
}

void ktls_rec_clear(struct ktls_rec_dir *d)
{
	EVP_CIPHER_CTX_free(d->ctx); /* frees and wipes the expanded key */
	OPENSSL_cleanse(d, sizeof(*d));
}

static void make_nonce(const struct ktls_rec_dir *d, uint8_t *nonce)
{
	memcpy(nonce, d->iv, KTLS_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[KTLS_IV_LEN - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* One AEAD pass over buf[0..n) in place, with the 5-byte header as AAD. */
static int aead(struct ktls_rec_dir *d, const uint8_t *hdr, uint8_t *in, uint8_t *out, size_t n,
		uint8_t *tag)
{
	uint8_t nonce[KTLS_IV_LEN];
	int l = 0, err;
	if (!d->ctx && (err = unpark(d)))
		return err;
	make_nonce(d, nonce);
	if (!EVP_CipherInit_ex2(d->ctx, NULL, NULL, nonce, -1, NULL))
		return -KTLS_E_CRYPTO;
	if (!d->encrypt &&
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, KTLS_TAG_LEN, tag) <= 0)
		return -KTLS_E_CRYPTO;
	if (d->suite->ccm && !EVP_CipherUpdate(d->ctx, NULL, &l, NULL, (int)n))
		return -KTLS_E_CRYPTO;
	if (!EVP_CipherUpdate(d->ctx, NULL, &l, hdr, KTLS_REC_HDR))
		return -KTLS_E_CRYPTO;
	/* CCM authenticates inside Update, the others in Final. */
	if (!EVP_CipherUpdate(d->ctx, out, &l, in, (int)n) ||
	    !EVP_CipherFinal_ex(d->ctx, out + l, &l))
		return d->encrypt ? -KTLS_E_CRYPTO : -KTLS_E_BAD_RECORD_MAC;
	if (d->encrypt &&
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, KTLS_TAG_LEN, tag) <= 0)
		return -KTLS_E_CRYPTO;
	return 0;
}

long ktls_rec_seal(struct ktls_rec_dir *d, uint8_t type, const uint8_t *in, size_t len, size_t pad,
		   uint8_t *out, size_t out_cap)
{
	if (len + pad > d->max_plain || len + pad > KTLS_REC_MAX_PLAIN)
		return -KTLS_E_RECORD_OVERFLOW;
	size_t inner = len + 1 + pad, total = ktls_rec_sealed_len(len, pad);
	if (out_cap < total)
		return -KTLS_E_BUFFER_TOO_SMALL;
	if (d->seq == UINT64_MAX)
		return -KTLS_E_SEQ_EXHAUSTED;

	uint8_t *body = out + KTLS_REC_HDR;
	if (len && in != body)
		memmove(body, in, len);
	body[len] = type;
	memset(body + len + 1, 0, pad);
	size_t clen = inner + KTLS_TAG_LEN;
	out[0] = KTLS_CT_APPLICATION_DATA;
	out[1] = 0x03;
	out[2] = 0x03;
	out[3] = (uint8_t)(clen >> 8);
	out[4] = (uint8_t)clen;
	int err = aead(d, out, body, body, inner, body + inner);
	if (err)
		return err;
	d->seq++;
	return (long)total;
}

long ktls_rec_open(struct ktls_rec_dir *d, const uint8_t *rec, size_t rec_len, uint8_t *out,
		   size_t out_cap, uint8_t *type)
{
	struct ktls_rd r = ktls_rd_make(rec, rec_len);
	uint8_t outer = ktls_rd_u8(&r);
	(void)ktls_rd_u16(&r); /* legacy_record_version: ignored (RFC 8446 5.1) */
	size_t clen = ktls_rd_u16(&r);
	if (!ktls_rd_ok(&r))
		return -KTLS_E_RECORD_TRUNCATED;
	if (clen > KTLS_REC_MAX_CIPHER)
		return -KTLS_E_RECORD_OVERFLOW;
	const uint8_t *body = ktls_rd_bytes(&r, clen);
	if (!body)
		return -KTLS_E_RECORD_TRUNCATED;
	if (outer != KTLS_CT_APPLICATION_DATA)
		return -KTLS_E_RECORD_BAD_OUTER_TYPE;
	if (clen < KTLS_TAG_LEN + 1)
		return -KTLS_E_BAD_RECORD_MAC;
	size_t inner = clen - KTLS_TAG_LEN;
	if (inner > d->max_plain + 1)
		return -KTLS_E_RECORD_OVERFLOW;
	if (out_cap < inner)
		return -KTLS_E_BUFFER_TOO_SMALL;
	if (d->seq == UINT64_MAX)
		return -KTLS_E_SEQ_EXHAUSTED;

	uint8_t tag[KTLS_TAG_LEN];
	memcpy(tag, body + inner, KTLS_TAG_LEN);
	int err = aead(d, rec, (uint8_t *)body, out, inner, tag);
	if (err) {
		OPENSSL_cleanse(out, inner); /* unauthenticated plaintext */
		return err;
	}
	d->seq++;
	/* The content type is the last non-zero byte; zeros after it are padding. */
	size_t n = inner;
	while (n > 0 && out[n - 1] == 0)
		n--;
	if (n == 0)
		return -KTLS_E_RECORD_NO_CONTENT_TYPE;
	*type = out[--n];
	if (*type != KTLS_CT_ALERT && *type != KTLS_CT_HANDSHAKE &&
	    *type != KTLS_CT_APPLICATION_DATA)
		return -KTLS_E_RECORD_BAD_CONTENT_TYPE;
	return (long)n;
}

long ktls_rec_frame(const uint8_t *buf, size_t len, size_t max_len)
{
	struct ktls_rd r = ktls_rd_make(buf, len);
	(void)ktls_rd_bytes(&r, 3);
	size_t n = ktls_rd_u16(&r);
	if (!ktls_rd_ok(&r))
		return 0;
	if (n > max_len)
		return -KTLS_E_RECORD_OVERFLOW;
	return ktls_rd_left(&r) >= n ? (long)(KTLS_REC_HDR + n) : 0;
}
