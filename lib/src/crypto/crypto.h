/* SPDX-License-Identifier: Apache-2.0 */
/* libcrypto pieces the handshake needs: the transcript hash, (EC)DHE key
 * exchange and signature schemes. Errors are -KTLS_E_* or an alert error. */
#ifndef KTLS_CRYPTO_H
#define KTLS_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "common/error.h"
#include "crypto/suite.h"
#include "wire/wire.h"

/* Transcript-Hash. Until the suite is known, messages are kept verbatim. */
struct ktls_transcript {
	const struct ktls_suite *suite;
	EVP_MD_CTX *ctx;
	struct ktls_buf pending;
};
void ktls_transcript_init(struct ktls_transcript *t);
void ktls_transcript_free(struct ktls_transcript *t);
int ktls_transcript_add(struct ktls_transcript *t, const uint8_t *msg, size_t len);
int ktls_transcript_set_suite(struct ktls_transcript *t, const struct ktls_suite *s);
int ktls_transcript_hash(const struct ktls_transcript *t, uint8_t *out);
/* The hash of the transcript so far and extra, which is not added (a PSK
 * binder's truncated ClientHello). s gives the hash while the transcript
 * has none yet; once it has, s must use the same hash. */
int ktls_transcript_peek(const struct ktls_transcript *t, const struct ktls_suite *s,
			 const uint8_t *extra, size_t len, uint8_t *out);
/* HelloRetryRequest: replaces ClientHello1 by message_hash (4.4.1). */
int ktls_transcript_hrr(struct ktls_transcript *t);

/* Key exchange for one named group. */
bool ktls_kex_supported(uint16_t group);
int ktls_kex_keygen(uint16_t group, EVP_PKEY **priv, uint8_t *pub, size_t *pub_len);
int ktls_kex_derive(uint16_t group, EVP_PKEY *priv, const uint8_t *peer, size_t peer_len,
		    uint8_t *secret, size_t *secret_len);
#define KTLS_KEX_MAX_PUB    133
#define KTLS_KEX_MAX_SECRET 66

/* Signature schemes. */
bool ktls_sig_supported(uint16_t scheme);
/* Whether key can produce scheme (type, curve). */
bool ktls_sig_key_matches(uint16_t scheme, EVP_PKEY *key);
/* The content signed by CertificateVerify (4.4.3). */
size_t ktls_sig_content(uint8_t *out, bool server, const uint8_t *thash, size_t hash_len);
int ktls_sig_sign(uint16_t scheme, EVP_PKEY *key, const uint8_t *tbs, size_t len,
		  struct ktls_buf *out);
int ktls_sig_verify(uint16_t scheme, EVP_PKEY *key, const uint8_t *tbs, size_t len,
		    const uint8_t *sig, size_t sig_len);
#define KTLS_SIG_CONTENT_MAX (64 + 34 + 48)

/*
 * Verifies a peer's chain (DER, leaf first) against store, and against host
 * when given; with KTLS_VERIFY_NONE a server's chain is only parsed. On
 * success *leaf holds the leaf (caller frees). Alert errors, with *why.
 */
int ktls_cert_verify(X509_STORE *store, enum ktls_verify mode, const struct ktls_bytes *certs,
		     size_t n, const char *host, bool peer_is_server, X509 **leaf,
		     const char **why);

#endif
