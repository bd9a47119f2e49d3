/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration object's plain data, as the handshake and the
 * connections read it; the ktls_config_* calls that fill it are in
 * handshake/config.c. */
#ifndef KTLS_CONFIG_H
#define KTLS_CONFIG_H

#include <openssl/x509.h>

#include "ktls/ktls.h"
#include "wire/wire.h"

#define KTLS_MAX_CHAIN 10 /* certificates in a chain, ours or a peer's */

struct ktls_cert {
	X509 *leaf;
	STACK_OF(X509) * chain; /* leaf first, as sent */
	EVP_PKEY *key;
	struct ktls_bytes der[KTLS_MAX_CHAIN];
	size_t n;
};

struct ktls_ticket_keys;
struct ktls_chain_cache;
#define KTLS_CHAIN_CACHE_DEFAULT 16 /* peer chains remembered once verified */

#define KTLS_MAX_CERTS	 8
#define KTLS_MAX_GROUPS	 8
#define KTLS_MAX_SIGALGS 16
/* The default limit on a peer's handshake message: room for the largest
 * legal ClientHello (131,396 bytes of body: every field at its syntax's
 * maximum) and for long certificate chains. */
#define KTLS_MAX_HS_MSG_DEFAULT (132u * 1024)

struct ktls_config {
	enum ktls_role role;
	uint16_t suites[4], groups[KTLS_MAX_GROUPS], sigalgs[KTLS_MAX_SIGALGS];
	size_t n_suites, n_groups, n_sigalgs;
	struct ktls_cert certs[KTLS_MAX_CERTS];
	size_t n_certs;
	X509_STORE *store;
	struct ktls_chain_cache *chain_cache; /* NULL: off */
	enum ktls_verify verify;
	uint8_t alpn[512]; /* encoded ProtocolNameList body */
	size_t alpn_len;
	uint16_t record_size_limit;
	size_t max_hs_msg;		      /* largest handshake message taken from a peer */
	bool check_host;		      /* client: the certificate must name server_name */
	bool keep_peer_cert;		      /* established connections keep it */
	unsigned tickets;		      /* server: NewSessionTickets to send */
	unsigned psk_modes;		      /* KTLS_PSK_DHE_KE | KTLS_PSK_KE */
	struct ktls_ticket_keys *ticket_keys; /* server: shared, locked, rotating */
	ktls_ticket_cb ticket_cb;
	void *ticket_arg;
	ktls_keylog_cb keylog;
	void *keylog_arg;
	uint64_t ku_bytes, ku_records;
	unsigned ku_seconds;
	unsigned offload;
};

#endif
