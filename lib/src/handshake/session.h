/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resumption (RFC 8446 2.2, 4.6.1): what a session is, the server's
 * stateless tickets that carry one, and the client's serialized session.
 *
 * A ticket is AES-256-GCM over the session, under a ticket key named by 16
 * random bytes: name || nonce(12) || sealed session || tag(16), the name as
 * associated data. Keys rotate: the current key issues, the previous one is
 * still accepted, an older one is wiped. A client's session is the same
 * session plus the ticket, unsealed: it holds the PSK, so it is a secret.
 */
#ifndef KTLS_HANDSHAKE_SESSION_H
#define KTLS_HANDSHAKE_SESSION_H

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
	uint8_t *ticket; /* client only: the ticket to offer (heap) */
	size_t ticket_len;
};

void ktls_session_clear(struct ktls_session *s);
uint64_t ktls_now_ms(void);

/* The client's serialized session; decoding checks the framing only. */
void ktls_session_encode(const struct ktls_session *s, struct ktls_buf *out);
int ktls_session_decode(struct ktls_session *s, const uint8_t *p, size_t len);

#define KTLS_TICKET_KEY_LEN  48 /* name (16) || AES-256 key (32) */
#define KTLS_TICKET_OVERHEAD (16 + 12 + 16)

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

/* A ticket for s (its ticket field unused). */
int ktls_ticket_seal(struct ktls_ticket_keys *k, const struct ktls_session *s,
		     struct ktls_buf *out);
/* The session in a ticket: 0, or -1 if it is not one of our keys' or has
 * been changed (a tampered ticket is simply not resumed). */
int ktls_ticket_open(struct ktls_ticket_keys *k, const uint8_t *t, size_t len,
		     struct ktls_session *s);

#endif
