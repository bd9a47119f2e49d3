/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration object, as the handshake sees it. */
#ifndef KTLS_CONFIG_H
#define KTLS_CONFIG_H

#include <openssl/x509.h>

#include "ktls/ktls.h"
#include "msg.h"

struct ktls_cert {
	X509 *leaf;
	STACK_OF(X509) * chain; /* leaf first, as sent */
	EVP_PKEY *key;
	struct ktls_bytes der[KTLS_MAX_CHAIN];
	size_t n;
};

#define KTLS_MAX_CERTS 8

struct ktls_config {
	enum ktls_role role;
	uint16_t suites[4], groups[3], sigalgs[6];
	size_t n_suites, n_groups, n_sigalgs;
	struct ktls_cert certs[KTLS_MAX_CERTS];
	size_t n_certs;
	X509_STORE *store;
	enum ktls_verify verify;
	uint8_t alpn[512]; /* encoded ProtocolNameList body */
	size_t alpn_len;
	uint16_t record_size_limit;
	unsigned tickets;
	ktls_ticket_cb ticket_cb;
	void *ticket_arg;
	ktls_keylog_cb keylog;
	void *keylog_arg;
	uint64_t ku_bytes, ku_records;
	unsigned ku_seconds;
	unsigned offload;
};

/*
 * Verifies a peer's Certificate message against cfg's trust store (and host
 * name when given), or only parses it with KTLS_VERIFY_NONE. On success
 * *leaf holds the leaf (caller frees). Errors are alert errors with *why.
 */
int ktls_cert_verify(const struct ktls_config *cfg, const struct ktls_certificate *msg,
		     const char *host, bool peer_is_server, X509 **leaf, const char **why);

#endif
