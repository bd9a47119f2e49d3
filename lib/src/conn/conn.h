/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TLS 1.3 connection over a TCP socket: handshake by the engine, then the
 * kernel carries the records where it can, and the library keeps the keys
 * in step through every KeyUpdate (RFC 8446 4.6.3).
 *
 * Key update order. Sending: the KeyUpdate goes out under the old key, then
 * the next key is installed, under the write lock so that no application
 * record slips between the two. Receiving: a peer's KeyUpdate record comes
 * up as a control record; the next read key is installed before the next
 * read (the kernel holds records back meanwhile), and a requested update is
 * answered before our next application data.
 *
 * Kernels without re-key support: TX goes to the kernel and RX stays in
 * userspace, so a peer's KeyUpdate can always be followed; a key update of
 * our own then fails with -KTLS_E_REKEY_UNSUPPORTED instead of breaking the
 * stream. With a key-update policy configured, TX stays in userspace too,
 * so that the policy can be kept.
 */
#ifndef KTLS_CONN_CONN_H
#define KTLS_CONN_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/config.h"
#include "conn/hs_io.h"
#include "handshake/hs.h"
#include "record/record.h"
#include "wire/wire.h"

enum conn_state { C_HANDSHAKE, C_OPEN, C_FAILED };

/* AEAD usage limit (RFC 8446 5.5): 2^24.5 full records for AES-GCM; CCM in
 * practice alike. We update well before, at 2^24. */
#define AES_RECORD_LIMIT (1ull << 24)

/*
 * Threads: one reader and one writer at a time. The write lock covers the
 * TX state (keys, sequence, the unsent tail) and is held across a blocking
 * send(); the read lock covers the RX state. The reader never waits for the
 * write lock: what it owes the write side (an answer to update_requested,
 * an alert) it records in the atomics below and sends only through a
 * trylock and a non-blocking send, else the next writer sends it.
 */
struct ktls_conn {
	const struct ktls_config *cfg;
	int fd;
	_Atomic int state; /* enum conn_state */
	_Atomic int error; /* the first fatal error, once failed */
	struct ktls_hs *hs;
	struct ktls_hs_io *io;
	const struct ktls_suite *suite;
	struct ktls_rec_dir rd, wr; /* keys (and userspace protection) per direction */
	bool tx_kernel, rx_kernel, kernel_rekey;
	_Atomic int ku_pending;	  /* scheduled by the application or a limit */
	_Atomic bool ku_answer;	  /* the peer asked: owed update_not_requested (4.6.3) */
	_Atomic bool closed;	  /* our close_notify went out */
	_Atomic bool peer_closed; /* the peer's close_notify came in */
	_Atomic bool alert_sent;
	_Atomic bool tx_dead;  /* a TX re-key failed after our KeyUpdate: send nothing */
	_Atomic bool tx_stuck; /* owed a KeyUpdate this kernel cannot do */
	bool peer_canceled;    /* user_canceled came: close_notify follows */
	/* Records in a row that carry nothing (empty data, warnings): bounded,
	 * so that a peer cannot keep us busy for free. */
	unsigned empty_run, warn_run;
	pthread_mutex_t wlock, rlock;

	uint8_t exporter[KTLS_MAX_HASH]; /* exporter master secret, if known */
	bool has_exporter;

	/* Usage under the current TX key, for the limits and the policy. */
	uint64_t key_bytes, key_calls;
	uint64_t seq_check_at; /* kernel TX: estimate at which to ask rec_seq */
	time_t key_since;
	struct ktls_conn_stats st; /* updated with atomic adds */

	/* RX: a post-handshake message arriving in fragments (RFC 8446 5.1). */
	struct ktls_buf hsbuf;
	/* Userspace RX: one record being read, and its unread plaintext. */
	uint8_t *rbuf;
	size_t rhave;
	uint8_t *plain;
	size_t poff, plen;
	size_t pdirty; /* bytes of plain written since allocated: wiped on release */
	/* Userspace TX: the unsent tail of a sealed record (non-blocking). */
	uint8_t *obuf;
	size_t ooff, olen;
	bool corked; /* TX: we corked the socket for a KeyUpdate and its data */
};

static inline void ktls_conn_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Marks the connection failed (the first error sticks) and returns err. */
int ktls_conn_fail(struct ktls_conn *c, int err);
/* The error for a call on a connection that is not open. */
int ktls_conn_not_open(const struct ktls_conn *c);

/* tx.c. Sends a non-data record under the current write key; flags may
 * hold MSG_DONTWAIT (then -EAGAIN means nothing was sealed or sent). */
int ktls_conn_send_typed(struct ktls_conn *c, uint8_t type, const uint8_t *msg, size_t len,
			 int flags);
/* Userspace TX: sends the kept tail of a record first; -EAGAIN if full. */
int ktls_conn_tx_flush(struct ktls_conn *c, int flags);

/* rx.c. A non-data record from the peer, opened (in userspace or by the
 * kernel): 0 handled, read on; 1 close_notify; < 0 failed. Both RX paths
 * come here, and the fuzz harness too, without a socket. */
int ktls_conn_on_control(struct ktls_conn *c, uint8_t type, const uint8_t *p, size_t n);

/* keyupdate.c. */
void ktls_conn_reset_usage(struct ktls_conn *c);
bool ktls_conn_update_due(const struct ktls_conn *c);
/* The updates owed, in order; write lock held. flags: MSG_DONTWAIT from
 * the reader, which must not block on the write side. */
int ktls_conn_do_key_update(struct ktls_conn *c, int flags);
/* Before any write: a scheduled or due key update; write lock held. */
int ktls_conn_tx_prepare(struct ktls_conn *c);
/* A peer's KeyUpdate: the next read key now, an answer later if asked. */
int ktls_conn_on_peer_key_update(struct ktls_conn *c, int requested);
/* From the read side: what is owed to the write side, if the write lock is
 * free right now and the socket takes it without blocking. */
void ktls_conn_try_owed(struct ktls_conn *c);

#endif
