/* SPDX-License-Identifier: Apache-2.0 */
/* TLS 1.3 key schedule (RFC 8446 section 7) on libcrypto. All outputs are
 * secrets: callers wipe them with OPENSSL_cleanse when done. */
#ifndef KTLS_KEYSCHED_H
#define KTLS_KEYSCHED_H

#include "crypto/suite.h"

int ktls_hkdf_extract(const struct ktls_suite *s, const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len, uint8_t *prk);
/* HKDF-Expand-Label(secret, label, context, out_len); label without "tls13 ". */
int ktls_hkdf_expand_label(const struct ktls_suite *s, const uint8_t *secret, const char *label,
			   const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);
/* The same with a label of any bytes (the exporter's). */
int ktls_hkdf_expand_label_n(const struct ktls_suite *s, const uint8_t *secret,
			     const uint8_t *label, size_t label_len, const uint8_t *ctx,
			     size_t ctx_len, uint8_t *out, size_t out_len);
/* Derive-Secret with a transcript hash already computed (hash_len bytes). */
int ktls_derive_secret(const struct ktls_suite *s, const uint8_t *secret, const char *label,
		       const uint8_t *thash, uint8_t *out);
/* HMAC with the suite's hash; out holds hash_len bytes. */
int ktls_hmac(const struct ktls_suite *s, const uint8_t *key, size_t key_len, const uint8_t *data,
	      size_t len, uint8_t *out);
/* Hash(data) with the suite's hash; out holds hash_len bytes. */
int ktls_hash(const struct ktls_suite *s, const void *data, size_t len, uint8_t *out);

/* Traffic key (key_len bytes) and IV (12 bytes) from a traffic secret. */
int ktls_traffic_key_iv(const struct ktls_suite *s, const uint8_t *secret, uint8_t *key,
			uint8_t *iv);
/* application_traffic_secret_N+1 (section 7.2); out may equal secret. */
int ktls_next_traffic_secret(const struct ktls_suite *s, const uint8_t *secret, uint8_t *out);

/*
 * The chain of extract stages: early secret -> handshake secret -> master
 * secret. Each advance does Derive-Secret(., "derived", "") then Extract.
 */
struct ktls_keysched {
	const struct ktls_suite *suite;
	uint8_t secret[KTLS_MAX_HASH];
	bool zero_early; /* secret is the early secret of no PSK, a constant */
};

/* Early secret from a PSK, or from zeros when psk is NULL. */
int ktls_keysched_init(struct ktls_keysched *ks, const struct ktls_suite *s, const uint8_t *psk,
		       size_t psk_len);
/* Next stage with input keying material ikm (NULL: zeros, for the master secret). */
int ktls_keysched_advance(struct ktls_keysched *ks, const uint8_t *ikm, size_t ikm_len);
void ktls_keysched_wipe(struct ktls_keysched *ks);

/* TLS-Exporter(label, context, out_len) from the exporter master secret
 * (RFC 8446 7.5); an absent context is an empty one. */
int ktls_exporter(const struct ktls_suite *s, const uint8_t *exporter_master, const uint8_t *label,
		  size_t label_len, const uint8_t *context, size_t context_len, uint8_t *out,
		  size_t out_len);
/* A PSK binder over thash, the transcript hash through the truncated
 * ClientHello (RFC 8446 4.2.11.2), for a resumption PSK. */
int ktls_psk_binder(const struct ktls_suite *s, const uint8_t *psk, size_t psk_len,
		    const uint8_t *thash, uint8_t *out);

#endif
