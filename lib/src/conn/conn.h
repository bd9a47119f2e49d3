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
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/config.h"
#include "conn/hs_io.h"
#include "handshake/hs.h"
#include "record/record.h"

enum conn_state { C_HANDSHAKE, C_OPEN, C_FAILED };

/* AEAD usage limit (RFC 8446 5.5): 2^24.5 full records for AES-GCM; CCM in
 * practice alike. We update well before, at 2^24. */
#define AES_RECORD_LIMIT (1ull << 24)

struct ktls_conn {
	const struct ktls_config *cfg;
	int fd;
	enum conn_state state;
	int error;
	struct ktls_hs *hs;
	struct ktls_hs_io *io;
	const struct ktls_suite *suite;
	struct ktls_rec_dir rd, wr; /* keys (and userspace protection) per direction */
	bool tx_kernel, rx_kernel, kernel_rekey;
	int ku_pending; /* scheduled by the application or a limit */
	bool ku_answer; /* the peer asked: owed update_not_requested (4.6.3) */
	bool peer_closed, closed, alert_sent;
	pthread_mutex_t wlock, rlock;

	/* Usage under the current TX key, for the limits and the policy. */
	uint64_t key_bytes, key_calls;
	uint64_t seq_check_at; /* kernel TX: estimate at which to ask rec_seq */
	time_t key_since;
	struct ktls_conn_stats st;

	/* Userspace RX: one record being read, and its unread plaintext. */
	uint8_t *rbuf;
	size_t rhave;
	uint8_t *plain;
	size_t poff, plen;
	/* Userspace TX: the unsent tail of a sealed record (non-blocking). */
	uint8_t *obuf;
	size_t ooff, olen;
};

/* Marks the connection failed (the first error sticks) and returns err. */
int ktls_conn_fail(struct ktls_conn *c, int err);

/* tx.c. Sends a non-data record under the current write key. */
int ktls_conn_send_typed(struct ktls_conn *c, uint8_t type, const uint8_t *msg, size_t len,
			 int flags);
/* Userspace TX: sends the kept tail of a record first; -EAGAIN if full. */
int ktls_conn_tx_flush(struct ktls_conn *c);
int ktls_conn_tx_send_all(struct ktls_conn *c, const uint8_t *p, size_t n);

/* keyupdate.c. */
void ktls_conn_reset_usage(struct ktls_conn *c);
bool ktls_conn_update_due(const struct ktls_conn *c);
/* The updates owed, in order; write lock held. */
int ktls_conn_do_key_update(struct ktls_conn *c);
/* Before any write: a scheduled or due key update; write lock held. */
int ktls_conn_tx_prepare(struct ktls_conn *c);
/* A peer's KeyUpdate: the next read key now, an answer later if asked. */
int ktls_conn_on_peer_key_update(struct ktls_conn *c, int requested);

#endif
