/* SPDX-License-Identifier: Apache-2.0 */
/* libcrypto pieces the handshake needs: the transcript hash, (EC)DHE key
 * exchange and signature schemes. Errors are -KTLS_E_* or an alert error. */
#ifndef KTLS_CRYPTO_H
#define KTLS_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

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

/* Key exchange for one named group (kex.c). */
struct ktls_kex_key;
bool ktls_kex_supported(uint16_t group);
bool ktls_kex_is_hybrid(uint16_t group);
/* Client: a key, and the share to send. */
int ktls_kex_keygen(uint16_t group, struct ktls_kex_key **key);
uint16_t ktls_kex_key_group(const struct ktls_kex_key *key);
struct ktls_bytes ktls_kex_key_share(const struct ktls_kex_key *key);
/* Client: the shared secret from the server's share. */
int ktls_kex_finish(struct ktls_kex_key *key, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		    size_t *secret_len);
void ktls_kex_key_free(struct ktls_kex_key *key);
/* Server: its share and the shared secret, from the client's share. */
int ktls_kex_respond(uint16_t group, const uint8_t *peer, size_t peer_len, uint8_t *pub,
		     size_t *pub_len, uint8_t *secret, size_t *secret_len);
#define KTLS_KEX_MAX_PUB    (1184 + 32) /* X25519MLKEM768's client share */
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

/* Schemes a certificate may be signed with that we can name (those we
 * sign with, and the legacy RSA PKCS#1 and SHA-1 ones). */
bool ktls_cert_sig_known(uint16_t scheme);
/* Whether each certificate of chain is signed with a scheme of list
 * (signature_algorithms_cert, 4.2.3). */
bool ktls_chain_signed_with(STACK_OF(X509) * chain, const uint16_t *list, size_t n);

/*
 * Verifies a peer's chain (DER, leaf first) against store, and against host
 * when given; with KTLS_VERIFY_NONE a server's chain is only parsed. On
 * success *leaf holds the leaf (caller frees). Alert errors, with *why.
 * With a cache (may be NULL), the exact same chain verified before under
 * the same mode, role and host is not parsed or verified again.
 */
struct ktls_chain_cache;
int ktls_cert_verify(X509_STORE *store, struct ktls_chain_cache *cache, enum ktls_verify mode,
		     const struct ktls_bytes *certs, size_t n, const char *host,
		     bool peer_is_server, X509 **leaf, const char **why);

/* The cache of verified peer chains (chain_cache.c): entries > 0, shared by
 * threads (locked). */
struct ktls_chain_cache *ktls_chain_cache_new(size_t entries);
void ktls_chain_cache_free(struct ktls_chain_cache *c);
void ktls_chain_cache_flush(struct ktls_chain_cache *c);
/* The leaf of a cached chain (a reference the caller frees), or NULL. */
X509 *ktls_chain_cache_get(struct ktls_chain_cache *c, const struct ktls_bytes *certs, size_t n,
			   const char *host, enum ktls_verify mode, bool peer_is_server);
/* Remembers a chain verified now, good until `until`. */
void ktls_chain_cache_put(struct ktls_chain_cache *c, const struct ktls_bytes *certs, size_t n,
			  const char *host, enum ktls_verify mode, bool peer_is_server, X509 *leaf,
			  time_t until);

#endif
