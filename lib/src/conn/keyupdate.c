/* SPDX-License-Identifier: Apache-2.0 */
/* KeyUpdate (RFC 8446 4.6.3) on a connection: ours (scheduled, by policy
 * or at the AEAD usage limit) and the peer's, in the order the kernel
 * needs; the SSL_key_update(3)-style calls. */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "conn/conn.h"
#include "kernel/kernel.h"

void ktls_conn_reset_usage(struct ktls_conn *c)
{
	c->key_bytes = c->key_calls = 0;
	/* An adopted key may start far into its sequence space. */
	c->seq_check_at = c->wr.seq < AES_RECORD_LIMIT ? (AES_RECORD_LIMIT - c->wr.seq) / 2 : 0;
	c->key_since = time(NULL);
}

/* One KeyUpdate out under the old key, then the next key in. */
static int send_one_update(struct ktls_conn *c, int type, int flags)
{
	uint8_t msg[5] = {KTLS_HS_KEY_UPDATE, 0, 0, 1, (uint8_t)type};
	int err = ktls_conn_send_typed(c, KTLS_CT_HANDSHAKE, msg, sizeof(msg), flags);
	if (err == -EAGAIN || err == -EINTR)
		return err; /* nothing sent; tried again at the next call */
	if (err)
		return ktls_conn_fail(c, err);
	/* From here the peer expects the next key: failing now is fatal, and
	 * nothing more may go out (the peer could not read it). */
	err = ktls_rec_update(&c->wr);
	if (!err && c->tx_kernel)
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_TX, c->suite, c->wr.key, c->wr.iv, 0,
					  true);
	if (err) {
		c->tx_dead = true;
		return ktls_conn_fail(c, err);
	}
	ktls_conn_stat_add(&c->st.key_updates_sent, 1);
	ktls_conn_reset_usage(c);
	return 0;
}

bool ktls_conn_update_due(const struct ktls_conn *c)
{
	return c->ku_answer || c->ku_pending != KTLS_KEY_UPDATE_NONE;
}

/*
 * The updates owed, in order, under the write lock. An answer to the peer
 * must say update_not_requested; it also serves a plain update the
 * application scheduled, but a request of the application's own needs an
 * update of its own after it.
 */
int ktls_conn_do_key_update(struct ktls_conn *c, int flags)
{
	if (c->closed) {
		/* Nothing may follow our close_notify, an answer included. */
		c->ku_answer = false;
		c->ku_pending = KTLS_KEY_UPDATE_NONE;
		return 0;
	}
	if (c->tx_kernel && !c->kernel_rekey) {
		/* Owed, and impossible here: writes say so, reads go on, and
		 * close_notify can still go out. */
		c->tx_stuck = true;
		return -KTLS_E_REKEY_UNSUPPORTED;
	}
	while (ktls_conn_update_due(c)) {
		/* Taken before the send: a request the reader records while
		 * this answer is on its way is owed an answer of its own. */
		bool answer = atomic_exchange(&c->ku_answer, false);
		int type = answer ? KTLS_KEY_UPDATE_NOT_REQUESTED : c->ku_pending;
		int err = send_one_update(c, type, flags);
		if (err) {
			if (answer && (err == -EAGAIN || err == -EINTR))
				c->ku_answer = true; /* not sent: still owed */
			return err;
		}
		if (answer) {
			int plain = KTLS_KEY_UPDATE_NOT_REQUESTED;
			atomic_compare_exchange_strong(&c->ku_pending, &plain,
						       KTLS_KEY_UPDATE_NONE);
		} else {
			/* An application request raised meanwhile stays owed. */
			atomic_compare_exchange_strong(&c->ku_pending, &type, KTLS_KEY_UPDATE_NONE);
		}
	}
	return 0;
}

void ktls_conn_try_owed(struct ktls_conn *c)
{
	if (c->state != C_OPEN || !ktls_conn_update_due(c) || pthread_mutex_trylock(&c->wlock))
		return;
	(void)ktls_conn_do_key_update(c, MSG_DONTWAIT);
	pthread_mutex_unlock(&c->wlock);
}

/* Whether the current TX key has done its share (policy or AEAD limit). */
static bool key_used_up(struct ktls_conn *c)
{
	const struct ktls_config *cfg = c->cfg;
	uint64_t records =
		c->tx_kernel ? c->key_calls + c->key_bytes / KTLS_REC_MAX_PLAIN : c->wr.seq;
	if ((cfg->ku_bytes && c->key_bytes >= cfg->ku_bytes) ||
	    (cfg->ku_records && records >= cfg->ku_records) ||
	    (cfg->ku_seconds && time(NULL) - c->key_since >= (time_t)cfg->ku_seconds))
		return true;
	if (c->suite->id == KTLS_TLS_CHACHA20_POLY1305_SHA256)
		return false; /* no practical limit (RFC 8446 5.5) */
	if (!c->tx_kernel)
		return c->wr.seq >= AES_RECORD_LIMIT;
	/* The estimate is an upper bound; the kernel's own count is exact but
	 * costs a syscall, so ask it only when the estimate gets close. */
	if (records < c->seq_check_at)
		return false;
	uint64_t seq;
	if (ktls_kernel_get_seq(c->fd, KTLS_DIR_TX, c->suite, &seq))
		return true;
	if (seq >= AES_RECORD_LIMIT)
		return true;
	c->seq_check_at = records + (AES_RECORD_LIMIT - seq) / 2 + 1;
	return false;
}

/* Before any write: a scheduled or due key update. Write lock held. */
int ktls_conn_tx_prepare(struct ktls_conn *c)
{
	if (c->state != C_OPEN)
		return ktls_conn_not_open(c);
	if (c->closed)
		return -EPIPE;
	if (!ktls_conn_update_due(c) && key_used_up(c))
		c->ku_pending = KTLS_KEY_UPDATE_NOT_REQUESTED;
	return ktls_conn_update_due(c) ? ktls_conn_do_key_update(c, 0) : 0;
}

/* A peer's KeyUpdate: next read key now; answer later if asked. */
int ktls_conn_on_peer_key_update(struct ktls_conn *c, int requested)
{
	int err = ktls_rec_update(&c->rd);
	if (!err && c->rx_kernel)
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_RX, c->suite, c->rd.key, c->rd.iv, 0,
					  true);
	if (err)
		return ktls_conn_fail(c, err);
	ktls_conn_stat_add(&c->st.key_updates_received, 1);
	/* Answered before our next application data (4.6.3); one answer
	 * covers several requests. The write side sends it. */
	if (requested)
		c->ku_answer = true;
	return 0;
}

KTLS_API int ktls_key_update(struct ktls_conn *c, int type)
{
	if (type != KTLS_KEY_UPDATE_NOT_REQUESTED && type != KTLS_KEY_UPDATE_REQUESTED)
		return -EINVAL;
	if (c->state != C_OPEN)
		return ktls_conn_not_open(c);
	if (!c->suite)
		return -KTLS_E_NOT_TLS13;
	if (c->tx_kernel && !c->kernel_rekey)
		return -KTLS_E_REKEY_UNSUPPORTED;
	if (c->closed)
		return -KTLS_E_CLOSED;
	/* A request for the peer to update as well wins over a plain one. */
	int cur = c->ku_pending;
	while (cur < type && !atomic_compare_exchange_weak(&c->ku_pending, &cur, type))
		;
	return 0;
}

KTLS_API int ktls_get_key_update_type(const struct ktls_conn *c)
{
	return c->ku_pending;
}
