/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Peer chains already verified, per configuration: a client that reconnects
 * to the same server receives the same certificate bytes, and parsing them
 * (libcrypto's decoders) and verifying the chain again is a third of a full
 * handshake's CPU. A hit needs the exact same bytes (compared in full, not
 * by a hash), the same mode, role and host; it is good until the earliest
 * notAfter of the verified chain, and at most KTLS_CHAIN_CACHE_TTL seconds
 * after the verification. Changing the trust anchors empties it.
 */
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"

#define KTLS_CHAIN_CACHE_TTL 3600

struct entry {
	uint8_t *bytes; /* the chain as received: each length, then its DER */
	size_t len;
	char *host; /* NULL: no name check */
	enum ktls_verify mode;
	bool peer_is_server;
	X509 *leaf;
	time_t verified, until;
};

struct ktls_chain_cache {
	pthread_mutex_t lock;
	size_t cap, next;
	struct entry e[];
};

struct ktls_chain_cache *ktls_chain_cache_new(size_t entries)
{
	if (!entries)
		return NULL;
	struct ktls_chain_cache *c = calloc(1, sizeof(*c) + entries * sizeof(struct entry));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->cap = entries;
	return c;
}

static void entry_clear(struct entry *e)
{
	free(e->bytes);
	free(e->host);
	X509_free(e->leaf);
	memset(e, 0, sizeof(*e));
}

void ktls_chain_cache_flush(struct ktls_chain_cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->cap; i++)
		entry_clear(&c->e[i]);
	pthread_mutex_unlock(&c->lock);
}

void ktls_chain_cache_free(struct ktls_chain_cache *c)
{
	if (!c)
		return;
	ktls_chain_cache_flush(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The chain as one string of bytes: a length before each certificate, so
 * that no two different chains give the same string. */
static uint8_t *flatten(const struct ktls_bytes *certs, size_t n, size_t *len)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += sizeof(size_t) + certs[i].len;
	uint8_t *p = malloc(total ? total : 1), *q = p;
	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		memcpy(q, &certs[i].len, sizeof(size_t));
		memcpy(q + sizeof(size_t), certs[i].p, certs[i].len);
		q += sizeof(size_t) + certs[i].len;
	}
	*len = total;
	return p;
}

static bool same(const struct entry *e, const struct ktls_bytes *certs, size_t n, size_t len,
		 const char *host, enum ktls_verify mode, bool peer_is_server)
{
	if (!e->bytes || e->len != len || e->mode != mode || e->peer_is_server != peer_is_server ||
	    !e->host != !host || (host && strcmp(e->host, host)))
		return false;
	const uint8_t *q = e->bytes;
	for (size_t i = 0; i < n; i++) {
		size_t l;
		memcpy(&l, q, sizeof(size_t));
		if (l != certs[i].len || memcmp(q + sizeof(size_t), certs[i].p, l))
			return false;
		q += sizeof(size_t) + l;
	}
	return true;
}

static size_t chain_len(const struct ktls_bytes *certs, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += sizeof(size_t) + certs[i].len;
	return total;
}

X509 *ktls_chain_cache_get(struct ktls_chain_cache *c, const struct ktls_bytes *certs, size_t n,
			   const char *host, enum ktls_verify mode, bool peer_is_server)
{
	if (!c || !n)
		return NULL;
	size_t len = chain_len(certs, n);
	time_t now = time(NULL);
	X509 *leaf = NULL;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->cap && !leaf; i++) {
		struct entry *e = &c->e[i];
		if (!same(e, certs, n, len, host, mode, peer_is_server))
			continue;
		/* Expired, or the clock went back: verify afresh. */
		if (now >= e->until || now < e->verified) {
			entry_clear(e);
			break;
		}
		if (X509_up_ref(e->leaf))
			leaf = e->leaf;
	}
	pthread_mutex_unlock(&c->lock);
	return leaf;
}

void ktls_chain_cache_put(struct ktls_chain_cache *c, const struct ktls_bytes *certs, size_t n,
			  const char *host, enum ktls_verify mode, bool peer_is_server, X509 *leaf,
			  time_t until)
{
	time_t now = time(NULL);
	if (!c || !n || until <= now)
		return;
	struct entry e = {.mode = mode, .peer_is_server = peer_is_server, .verified = now};
	e.until = until - now > KTLS_CHAIN_CACHE_TTL ? now + KTLS_CHAIN_CACHE_TTL : until;
	e.bytes = flatten(certs, n, &e.len);
	e.host = host ? strdup(host) : NULL;
	if (!e.bytes || (host && !e.host) || !X509_up_ref(leaf)) {
		free(e.bytes);
		free(e.host);
		return;
	}
	e.leaf = leaf;
	pthread_mutex_lock(&c->lock);
	/* Round robin: the oldest entry goes. */
	struct entry *slot = &c->e[c->next];
	c->next = (c->next + 1) % c->cap;
	entry_clear(slot);
	*slot = e;
	pthread_mutex_unlock(&c->lock);
}
