/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resumption (RFC 8446 2.2, 4.6.1): what a session is, the server's
 * stateless tickets that carry one, and the client's serialized session.
 *
 * A ticket is AES-256-GCM over the session, under a key derived from a
 * ticket key (named by 16 random bytes) and a random salt: name || salt(16)
 * || sealed session || tag(16), the name and the server's verify mode as
 * associated data. Keys rotate: the current key issues, the previous one is
 * still accepted, an older one is wiped. A client's session is the same
 * session plus the ticket, unsealed: it holds the PSK, so it is a secret.
 */
#ifndef KTLS_HANDSHAKE_SESSION_H
#define KTLS_HANDSHAKE_SESSION_H

#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto/suite.h"
#include "wire/wire.h"

struct ktls_session {
	uint16_t suite;
	uint8_t psk[KTLS_MAX_HASH]; /* HKDF-Expand-Label(res master, "resumption", nonce) */
	size_t psk_len;
	uint64_t time_ms;  /* server: when issued; client: when received (realtime) */
	uint32_t lifetime; /* seconds */
	uint32_t age_add;
	uint8_t sni_len, alpn_len;
	char sni[256], alpn[256];
	/* The authentication it was made under, so that resumption never
	 * gives more than the full handshake would have: the verify mode in
	 * force, KTLS_SESS_* flags, and the peer's leaf certificate (DER, heap;
	 * a server's client or a client's server), restored on resumption. */
	uint8_t verify, flags;
	uint8_t *peer;
	size_t peer_len;
	uint8_t *ticket; /* client only: the ticket to offer (heap) */
	size_t ticket_len;
};

#define KTLS_SESS_PEER_VERIFIED 1u /* the peer's certificate was verified */
#define KTLS_SESS_HOST_CHECKED	2u /* client: and matched the server name */

/* A client's certificate carried in a ticket at most (larger ones get no
 * tickets): the whole ticket stays under KTLS_TICKET_MAX. */
#define KTLS_SESSION_MAX_PEER 3072
#define KTLS_TICKET_MAX	      4096
/* A client keeps no session from a larger ticket: its offer must fit a
 * ClientHello beside everything else. */
#define KTLS_CLIENT_MAX_TICKET 16384

void ktls_session_clear(struct ktls_session *s);
uint64_t ktls_now_ms(void);

/* The client's serialized session; decoding checks the framing only. */
void ktls_session_encode(const struct ktls_session *s, struct ktls_buf *out);
int ktls_session_decode(struct ktls_session *s, const uint8_t *p, size_t len);

#define KTLS_TICKET_KEY_LEN  48		    /* name (16) || AES-256 key (32) */
#define KTLS_TICKET_OVERHEAD (16 + 16 + 16) /* name, salt, tag */

struct ktls_ticket_key {
	uint8_t name[16], key[32];
	uint64_t born_ms;
	bool set;
};

/* A server configuration's ticket keys, shared by its connections. */
struct ktls_ticket_keys {
	pthread_mutex_t lock;
	struct ktls_ticket_key cur, prev;
	bool fixed;	    /* the application's keys: no rotation here */
	uint32_t lifetime;  /* seconds a ticket lives, and a key issues */
	uint64_t rotations; /* for tests: keys made so far */
};

struct ktls_ticket_keys *ktls_ticket_keys_new(void);
void ktls_ticket_keys_free(struct ktls_ticket_keys *k);
/* keys: n (1 or 2) keys of KTLS_TICKET_KEY_LEN bytes, the issuing one first. */
int ktls_ticket_keys_set(struct ktls_ticket_keys *k, const uint8_t *keys, size_t n);

/* A ticket for s (its ticket field unused). Each ticket is sealed under
 * its own key, HKDF(ticket key, random salt), so that no two tickets share
 * an AES-GCM key and nonce space. The server's verify mode is associated
 * data: a ticket from a server of another client-auth policy sharing the
 * keys does not open. */
int ktls_ticket_seal(struct ktls_ticket_keys *k, uint8_t verify, const struct ktls_session *s,
		     struct ktls_buf *out);
/* The sealing itself, of plain[0..n) (fuzzers seal plaintext of their
 * own): appends name || salt || ciphertext || tag to out. */
int ktls_ticket_seal_plain(struct ktls_ticket_keys *k, uint8_t verify, const uint8_t *plain,
			   size_t n, struct ktls_buf *out);
/* The session in a ticket: 0, or -1 if it is not one of our keys' or has
 * been changed (a tampered ticket is simply not resumed). */
int ktls_ticket_open(struct ktls_ticket_keys *k, uint8_t verify, const uint8_t *t, size_t len,
		     struct ktls_session *s);
/* The peer certificate a session carries, as an X509 (NULL if none). */
X509 *ktls_session_peer_x509(const struct ktls_session *s);
/* Stores cert's DER in s (at most max bytes): 0, or -1. */
int ktls_session_set_peer(struct ktls_session *s, X509 *cert, size_t max);

#endif
