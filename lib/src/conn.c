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
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hs.h"
#include "hs_io.h"
#include "kernel.h"
#include "posths.h"
#include "sockutil.h"

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

static struct ktls_conn *conn_alloc(const struct ktls_config *cfg, int fd)
{
	struct ktls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = cfg;
	c->fd = fd;
	c->ku_pending = KTLS_KEY_UPDATE_NONE;
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->rlock, NULL);
	return c;
}

KTLS_API struct ktls_conn *ktls_conn_new(const struct ktls_config *cfg, int fd,
					 const char *server_name)
{
	struct ktls_conn *c = conn_alloc(cfg, fd);
	if (!c)
		return NULL;
	c->hs = ktls_hs_new(cfg, server_name);
	c->io = calloc(1, sizeof(*c->io));
	if (!c->hs || !c->io) {
		ktls_conn_free(c);
		return NULL;
	}
	return c;
}

KTLS_API void ktls_conn_free(struct ktls_conn *c)
{
	if (!c)
		return;
	ktls_hs_free(c->hs);
	free(c->io);
	ktls_rec_clear(&c->rd);
	ktls_rec_clear(&c->wr);
	if (c->plain)
		OPENSSL_cleanse(c->plain, KTLS_REC_MAX_CIPHER);
	free(c->rbuf);
	free(c->plain);
	free(c->obuf);
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->rlock);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static int fail(struct ktls_conn *c, int err)
{
	if (c->state != C_FAILED) {
		c->state = C_FAILED;
		c->error = err;
	}
	return err;
}

static void reset_usage(struct ktls_conn *c)
{
	c->key_bytes = c->key_calls = 0;
	/* An adopted key may start far into its sequence space. */
	c->seq_check_at = c->wr.seq < AES_RECORD_LIMIT ? (AES_RECORD_LIMIT - c->wr.seq) / 2 : 0;
	c->key_since = time(NULL);
}

/* Puts each direction in the kernel where it can go (see the top). */
static int go_kernel(struct ktls_conn *c)
{
	struct ktls_kernel_info ki;
	unsigned want = c->cfg->offload;
	reset_usage(c);
	if (ktls_probe_kernel(&ki, 0) || ki.tls || !(ki.suites & KTLS_SUITE_BIT(c->suite->id)) ||
	    !want)
		return 0; /* userspace record layer both ways */
	c->kernel_rekey = ki.rekey == 1;
	/* The ULP attaches only to an established socket: a peer that has
	 * already half-closed (request sent, then FIN) leaves it in CLOSE_WAIT,
	 * and the userspace record layer carries on instead. */
	int err = ktls_kernel_attach(c->fd);
	if (err == -KTLS_E_NO_KTLS || err == -KTLS_E_NOT_CONNECTED) {
		c->kernel_rekey = false;
		return 0;
	}
	if (err)
		return err;
	/* A key-update policy needs TX re-keys, which a stock kernel cannot
	 * do: then TX stays in userspace, where the policy can be kept. */
	bool policy = c->cfg->ku_bytes || c->cfg->ku_records || c->cfg->ku_seconds;
	if ((want & KTLS_OFFLOAD_TX) && (c->kernel_rekey || !policy)) {
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_TX, c->suite, c->wr.key, c->wr.iv,
					  c->wr.seq, false);
		if (err)
			return err;
		c->tx_kernel = true;
	}
	if ((want & KTLS_OFFLOAD_RX) && c->kernel_rekey) {
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_RX, c->suite, c->rd.key, c->rd.iv,
					  c->rd.seq, false);
		if (err)
			return err;
		c->rx_kernel = true;
	}
	return 0;
}

KTLS_API struct ktls_conn *ktls_conn_adopt(const struct ktls_config *cfg, int fd, uint16_t suite,
					   const uint8_t *tx_secret, uint64_t tx_seq,
					   const uint8_t *rx_secret, uint64_t rx_seq)
{
	const struct ktls_suite *s = ktls_suite_get(suite);
	struct ktls_conn *c = s ? conn_alloc(cfg, fd) : NULL;
	if (!c)
		return NULL;
	c->suite = s;
	if (ktls_rec_init(&c->wr, s, tx_secret, 1) || ktls_rec_init(&c->rd, s, rx_secret, 0)) {
		ktls_conn_free(c);
		return NULL;
	}
	/* The other stack's sequence numbers go to the kernel with the keys. */
	c->wr.seq = tx_seq;
	c->rd.seq = rx_seq;
	if (go_kernel(c)) {
		ktls_conn_free(c);
		return NULL;
	}
	c->state = C_OPEN;
	return c;
}

static int tx_send_all(struct ktls_conn *c, const uint8_t *p, size_t n);
static int tx_flush(struct ktls_conn *c);

/* Sends a non-data record under the current write key, through the kernel
 * or sealed here. */
static int send_typed(struct ktls_conn *c, uint8_t type, const uint8_t *msg, size_t len, int flags)
{
	if (c->tx_kernel)
		return ktls_kernel_send_record(c->fd, type, msg, len, flags);
	/* An earlier record's unsent tail goes first; until it is out, nothing
	 * is sealed (sealing spends a sequence number). */
	int err = tx_flush(c);
	if (err)
		return err;
	uint8_t rec[64];
	long n = ktls_rec_seal(&c->wr, type, msg, len, 0, rec, sizeof(rec));
	if (n < 0)
		return (int)n;
	if (flags & MSG_DONTWAIT)
		return send(c->fd, rec, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -EIO;
	return tx_send_all(c, rec, (size_t)n); /* committed, even if a tail is left */
}

/* A KeyUpdate as a record of its own under the current write key. */
static int send_handshake_record(struct ktls_conn *c, const uint8_t *msg, size_t len)
{
	return send_typed(c, KTLS_CT_HANDSHAKE, msg, len, 0);
}

/* One KeyUpdate out under the old key, then the next key in. */
static int send_one_update(struct ktls_conn *c, int type)
{
	uint8_t msg[5] = {KTLS_HS_KEY_UPDATE, 0, 0, 1, (uint8_t)type};
	int err = send_handshake_record(c, msg, sizeof(msg));
	if (err == -EAGAIN)
		return err; /* nothing sent; tried again at the next call */
	if (err)
		return fail(c, err);
	/* From here the peer expects the next key: failing now is fatal. */
	err = ktls_rec_update(&c->wr);
	if (!err && c->tx_kernel)
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_TX, c->suite, c->wr.key, c->wr.iv, 0,
					  true);
	if (err)
		return fail(c, err);
	c->st.key_updates_sent++;
	reset_usage(c);
	return 0;
}

static bool update_due(const struct ktls_conn *c)
{
	return c->ku_answer || c->ku_pending != KTLS_KEY_UPDATE_NONE;
}

/*
 * The updates owed, in order, under the write lock. An answer to the peer
 * must say update_not_requested; it also serves a plain update the
 * application scheduled, but a request of the application's own needs an
 * update of its own after it.
 */
static int do_key_update(struct ktls_conn *c)
{
	if (c->closed) {
		/* Nothing may follow our close_notify, an answer included. */
		c->ku_answer = false;
		c->ku_pending = KTLS_KEY_UPDATE_NONE;
		return 0;
	}
	if (c->tx_kernel && !c->kernel_rekey)
		return fail(c, -KTLS_E_REKEY_UNSUPPORTED);
	while (update_due(c)) {
		int type = c->ku_answer ? KTLS_KEY_UPDATE_NOT_REQUESTED : c->ku_pending;
		int err = send_one_update(c, type);
		if (err)
			return err;
		if (c->ku_answer) {
			c->ku_answer = false;
			if (c->ku_pending == KTLS_KEY_UPDATE_NOT_REQUESTED)
				c->ku_pending = KTLS_KEY_UPDATE_NONE;
		} else {
			c->ku_pending = KTLS_KEY_UPDATE_NONE;
		}
	}
	return 0;
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
static int tx_prepare(struct ktls_conn *c)
{
	if (c->state != C_OPEN)
		return c->state == C_FAILED ? c->error : -KTLS_E_HANDSHAKE_NOT_DONE;
	if (c->closed)
		return -EPIPE;
	if (!update_due(c) && key_used_up(c))
		c->ku_pending = KTLS_KEY_UPDATE_NOT_REQUESTED;
	return update_due(c) ? do_key_update(c) : 0;
}

/* The most a kernel send may take so that a byte policy's update lands
 * exactly at its boundary, not after the whole call. */
static size_t policy_cap(const struct ktls_conn *c, size_t count)
{
	uint64_t limit = c->cfg->ku_bytes;
	if (limit && c->key_bytes < limit && limit - c->key_bytes < count)
		return (size_t)(limit - c->key_bytes);
	return count;
}

/* What a send moved counts against the current key (limits, policy). */
static void account_tx(struct ktls_conn *c, long moved)
{
	if (moved <= 0)
		return;
	c->key_bytes += (uint64_t)moved;
	c->key_calls++;
	c->st.bytes_sent += (uint64_t)moved;
}

/* Userspace TX: sends bytes, keeping an unsent tail for the next call. */
static int tx_flush(struct ktls_conn *c)
{
	while (c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->ooff, c->olen, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c->ooff += (size_t)n;
		c->olen -= (size_t)n;
	}
	return 0;
}

static int tx_send_all(struct ktls_conn *c, const uint8_t *p, size_t n)
{
	int err = tx_flush(c);
	if (err)
		return err;
	/* Send straight from the caller's record; only an unsent tail (a
	 * non-blocking socket that is full) is kept for the next call. */
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		if (w < 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	if (!n)
		return 0;
	if (!c->obuf && !(c->obuf = malloc(KTLS_REC_HDR + KTLS_REC_MAX_CIPHER)))
		return -ENOMEM;
	memcpy(c->obuf, p, n);
	c->ooff = 0;
	c->olen = n;
	return 0; /* committed: flushed by the next call */
}

KTLS_API long ktls_write(struct ktls_conn *c, const void *buf, size_t len)
{
	pthread_mutex_lock(&c->wlock);
	long ret = tx_prepare(c);
	if (!ret && !c->tx_kernel)
		ret = tx_flush(c);
	if (!ret && c->tx_kernel) {
		ssize_t n = send(c->fd, buf, policy_cap(c, len), MSG_NOSIGNAL);
		ret = n < 0 ? -errno : n;
	} else if (!ret) {
		/* One record per call: the caller loops, as with write(2). */
		size_t n = policy_cap(c, len < c->wr.max_plain ? len : c->wr.max_plain);
		uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
		long r = ktls_rec_seal(&c->wr, KTLS_CT_APPLICATION_DATA, buf, n, 0, rec,
				       sizeof(rec));
		ret = r < 0 ? r : tx_send_all(c, rec, (size_t)r);
		if (!ret)
			ret = (long)n;
	}
	account_tx(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}

KTLS_API long ktls_sendfile(struct ktls_conn *c, int in_fd, int64_t *offset, size_t count)
{
	if (!c->tx_kernel) {
		/* Userspace path: read and seal, one record per call. */
		uint8_t buf[KTLS_REC_MAX_PLAIN];
		size_t n = count < sizeof(buf) ? count : sizeof(buf);
		ssize_t r = pread(in_fd, buf, n, *offset);
		if (r <= 0)
			return r < 0 ? -errno : 0;
		long w = ktls_write(c, buf, (size_t)r);
		if (w > 0)
			*offset += w;
		return w;
	}
	pthread_mutex_lock(&c->wlock);
	long ret = tx_prepare(c);
	if (!ret) {
		off_t off = (off_t)*offset;
		ssize_t n = sendfile(c->fd, in_fd, &off, policy_cap(c, count));
		ret = n < 0 ? -errno : n;
		*offset = off;
	}
	account_tx(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}

/* A peer's KeyUpdate: next read key now; answer later if asked. */
static int on_peer_key_update(struct ktls_conn *c, int requested)
{
	int err = ktls_rec_update(&c->rd);
	if (!err && c->rx_kernel)
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_RX, c->suite, c->rd.key, c->rd.iv, 0,
					  true);
	if (err)
		return fail(c, err);
	c->st.key_updates_received++;
	if (requested) {
		/* Answered before our next application data (4.6.3); one
		 * answer covers several requests. */
		pthread_mutex_lock(&c->wlock);
		c->ku_answer = true;
		pthread_mutex_unlock(&c->wlock);
	}
	return 0;
}

/* A non-data record from the peer. 0: handled, read on; 1: close_notify. */
static int on_control(struct ktls_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
	if (type == KTLS_CT_ALERT) {
		if (n != 2)
			return fail(c, KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR));
		if (p[1] == KTLS_ALERT_CLOSE_NOTIFY) {
			c->peer_closed = true;
			return 1;
		}
		return fail(c, -(KTLS_E_ALERT_RECEIVED + p[1]));
	}
	if (type != KTLS_CT_HANDSHAKE)
		return fail(c, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE));
	int ku;
	const char *why;
	int err = ktls_post_handshake(c->cfg, p, n, &ku, &why);
	if (err)
		return fail(c, err);
	return ku >= 0 ? on_peer_key_update(c, ku) : 0;
}

/* Sends the alert for a protocol error we found, best effort. */
static void send_alert(struct ktls_conn *c, int err)
{
	int a = ktls_error_alert(err);
	if (a < 0)
		return;
	uint8_t msg[2] = {2, (uint8_t)a};
	(void)send_typed(c, KTLS_CT_ALERT, msg, 2, MSG_DONTWAIT);
}

/* Kernel RX: one recvmsg; control records are handled here. */
static long rx_kernel(struct ktls_conn *c, uint8_t *buf, size_t len)
{
	/* A control record must come up whole: read small requests through
	 * our own record-sized buffer, and read straight into the caller's
	 * only once nothing is left in ours. */
	bool direct = len >= KTLS_REC_MAX_PLAIN && !c->plen;
	if (!direct && !c->plain && !(c->plain = malloc(KTLS_REC_MAX_CIPHER)))
		return -ENOMEM;
	for (;;) {
		if (!direct && c->plen) {
			size_t n = len < c->plen ? len : c->plen;
			memcpy(buf, c->plain + c->poff, n);
			c->poff += n;
			c->plen -= n;
			return (long)n;
		}
		char cbuf[CMSG_SPACE(sizeof(uint8_t))] = {0};
		struct iovec iov = {direct ? buf : c->plain, direct ? len : KTLS_REC_MAX_PLAIN};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(c->fd, &m, 0);
		if (n < 0)
			return errno == EBADMSG ? fail(c, -EBADMSG) : -errno;
		if (n == 0)
			return 0;
		uint8_t type = KTLS_CT_APPLICATION_DATA;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		if (cm && cm->cmsg_level == KTLS_UAPI_SOL_TLS &&
		    cm->cmsg_type == KTLS_UAPI_TLS_GET_RECORD_TYPE)
			type = *CMSG_DATA(cm);
		if (type == KTLS_CT_APPLICATION_DATA) {
			if (direct)
				return n;
			c->poff = 0;
			c->plen = (size_t)n;
			continue;
		}
		const uint8_t *p = (const uint8_t *)iov.iov_base;
		int r = on_control(c, type, p, (size_t)n);
		if (r)
			return r == 1 ? 0 : r;
	}
}

/* Userspace RX: reads, frames and opens records. */
static long rx_user(struct ktls_conn *c, uint8_t *buf, size_t len)
{
	if ((!c->rbuf && !(c->rbuf = malloc(KTLS_REC_HDR + KTLS_REC_MAX_CIPHER))) ||
	    (!c->plain && !(c->plain = malloc(KTLS_REC_MAX_CIPHER))))
		return -ENOMEM;
	for (;;) {
		if (c->plen) {
			size_t n = len < c->plen ? len : c->plen;
			memcpy(buf, c->plain + c->poff, n);
			c->poff += n;
			c->plen -= n;
			return (long)n;
		}
		long rl = ktls_rec_frame(c->rbuf, c->rhave, KTLS_REC_MAX_CIPHER);
		if (rl < 0)
			return fail(c, (int)rl);
		if (rl == 0) {
			size_t want =
				c->rhave < KTLS_REC_HDR
					? KTLS_REC_HDR
					: KTLS_REC_HDR + ((size_t)c->rbuf[3] << 8 | c->rbuf[4]);
			ssize_t r = recv(c->fd, c->rbuf + c->rhave, want - c->rhave, 0);
			if (r < 0)
				return -errno;
			if (r == 0)
				return c->rhave ? fail(c, -ECONNRESET) : 0;
			c->rhave += (size_t)r;
			continue;
		}
		uint8_t type;
		long n = ktls_rec_open(&c->rd, c->rbuf, (size_t)rl, c->plain, KTLS_REC_MAX_CIPHER,
				       &type);
		c->rhave = 0; /* one record at a time: nothing follows it */
		if (n < 0)
			return fail(c, (int)n);
		c->st.bytes_received += type == KTLS_CT_APPLICATION_DATA ? (uint64_t)n : 0;
		if (type == KTLS_CT_APPLICATION_DATA) {
			c->poff = 0;
			c->plen = (size_t)n;
			continue;
		}
		int r = on_control(c, type, c->plain, (size_t)n);
		if (r)
			return r == 1 ? 0 : r;
	}
}

KTLS_API long ktls_read(struct ktls_conn *c, void *buf, size_t len)
{
	if (c->state != C_OPEN)
		return c->state == C_FAILED ? c->error : -KTLS_E_HANDSHAKE_NOT_DONE;
	if (c->peer_closed)
		return 0;
	/* A key update the application scheduled goes out at the next I/O
	 * call, reads included (SSL_key_update(3)). */
	if (update_due(c)) {
		pthread_mutex_lock(&c->wlock);
		int err = update_due(c) ? do_key_update(c) : 0;
		pthread_mutex_unlock(&c->wlock);
		if (err && err != -EAGAIN)
			return err;
	}
	pthread_mutex_lock(&c->rlock);
	long n = c->rx_kernel ? rx_kernel(c, buf, len) : rx_user(c, buf, len);
	if (n > 0 && c->rx_kernel)
		c->st.bytes_received += (uint64_t)n;
	pthread_mutex_unlock(&c->rlock);
	if (n < 0 && c->state == C_FAILED && !c->alert_sent) {
		/* A protocol error we found gets its alert, on either path. */
		c->alert_sent = true;
		pthread_mutex_lock(&c->wlock);
		send_alert(c, (int)n);
		pthread_mutex_unlock(&c->wlock);
	}
	return n;
}

/* Copies plaintext we hold (or read in userspace) into a pipe. */
static long to_pipe(struct ktls_conn *c, int pipe_fd, size_t len)
{
	uint8_t buf[KTLS_REC_MAX_PLAIN];
	long n = c->rx_kernel ? rx_kernel(c, buf, len < sizeof(buf) ? len : sizeof(buf))
			      : rx_user(c, buf, len < sizeof(buf) ? len : sizeof(buf));
	if (n > 0) {
		int err = ktls_write_all(pipe_fd, buf, (size_t)n);
		OPENSSL_cleanse(buf, (size_t)n);
		if (err)
			return err;
	}
	return n;
}

KTLS_API long ktls_splice_read(struct ktls_conn *c, int pipe_fd, size_t len, unsigned flags)
{
	if (c->state != C_OPEN)
		return c->state == C_FAILED ? c->error : -KTLS_E_HANDSHAKE_NOT_DONE;
	if (c->peer_closed)
		return 0;
	pthread_mutex_lock(&c->rlock);
	long n;
	for (;;) {
		if (!c->rx_kernel || c->plen) {
			n = to_pipe(c, pipe_fd, len);
			break;
		}
		n = splice(c->fd, NULL, pipe_fd, NULL, len, flags);
		if (n >= 0)
			break;
		if (errno != EINVAL) {
			n = -errno;
			break;
		}
		/* A non-data record is next: splice will not take it. Read it
		 * (and handle it) the recvmsg way, then go on splicing. */
		n = to_pipe(c, pipe_fd, len);
		if (n != 0 || c->peer_closed || c->state == C_FAILED)
			break;
	}
	if (n > 0)
		c->st.bytes_received += (uint64_t)n;
	pthread_mutex_unlock(&c->rlock);
	return n;
}

KTLS_API long ktls_splice_write(struct ktls_conn *c, int pipe_fd, size_t len, unsigned flags)
{
	if (!c->tx_kernel) {
		uint8_t buf[KTLS_REC_MAX_PLAIN];
		ssize_t r = read(pipe_fd, buf, len < sizeof(buf) ? len : sizeof(buf));
		if (r <= 0)
			return r < 0 ? -errno : 0;
		size_t off = 0;
		while (off < (size_t)r) {
			long w = ktls_write(c, buf + off, (size_t)r - off);
			if (w < 0)
				return w; /* data read from the pipe is lost: the error says so */
			off += (size_t)w;
		}
		return r;
	}
	pthread_mutex_lock(&c->wlock);
	long ret = tx_prepare(c);
	if (!ret) {
		ssize_t n = splice(pipe_fd, NULL, c->fd, NULL, policy_cap(c, len), flags);
		ret = n < 0 ? -errno : n;
	}
	account_tx(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}

KTLS_API int ktls_handshake(struct ktls_conn *c)
{
	if (c->state == C_FAILED)
		return c->error;
	if (c->state == C_OPEN) {
		/* Established: a scheduled key update happens now. */
		pthread_mutex_lock(&c->wlock);
		int err = update_due(c) ? do_key_update(c) : 0;
		pthread_mutex_unlock(&c->wlock);
		return err ? err : 1;
	}
	int rc = ktls_hs_io_run(c->hs, c->io, c->fd);
	if (rc == -EAGAIN)
		return rc;
	if (rc != 1)
		return fail(c, rc);
	int err = ktls_hs_take_app_keys(c->hs, &c->rd, &c->wr);
	if (!err) {
		c->suite = c->rd.suite;
		err = go_kernel(c);
	}
	free(c->io);
	c->io = NULL;
	if (err)
		return fail(c, err);
	c->state = C_OPEN;
	return 1;
}

KTLS_API int ktls_flush(struct ktls_conn *c)
{
	pthread_mutex_lock(&c->wlock);
	int err = c->tx_kernel ? 0 : tx_flush(c);
	pthread_mutex_unlock(&c->wlock);
	return err;
}

KTLS_API int ktls_shutdown(struct ktls_conn *c)
{
	static const uint8_t close_notify[2] = {1, KTLS_ALERT_CLOSE_NOTIFY};
	pthread_mutex_lock(&c->wlock);
	int err = c->state == C_OPEN && !c->closed ? 0 : -KTLS_E_CLOSED;
	if (!err)
		err = send_typed(c, KTLS_CT_ALERT, close_notify, 2, 0);
	if (!err)
		c->closed = true;
	pthread_mutex_unlock(&c->wlock);
	return err;
}

KTLS_API int ktls_key_update(struct ktls_conn *c, int type)
{
	if (type != KTLS_KEY_UPDATE_NOT_REQUESTED && type != KTLS_KEY_UPDATE_REQUESTED)
		return -EINVAL;
	if (c->state != C_OPEN)
		return c->state == C_FAILED ? c->error : -KTLS_E_HANDSHAKE_NOT_DONE;
	if (!c->suite)
		return -KTLS_E_NOT_TLS13;
	if (c->tx_kernel && !c->kernel_rekey)
		return -KTLS_E_REKEY_UNSUPPORTED;
	if (c->closed)
		return -KTLS_E_CLOSED;
	pthread_mutex_lock(&c->wlock);
	/* A request for the peer to update as well wins over a plain one. */
	if (c->ku_pending < type)
		c->ku_pending = type;
	pthread_mutex_unlock(&c->wlock);
	return 0;
}

KTLS_API int ktls_get_key_update_type(const struct ktls_conn *c)
{
	return c->ku_pending;
}
KTLS_API int ktls_renegotiate(struct ktls_conn *c)
{
	(void)c;
	return -KTLS_E_RENEGOTIATION;
}
KTLS_API int ktls_renegotiate_abbreviated(struct ktls_conn *c)
{
	(void)c;
	return -KTLS_E_RENEGOTIATION;
}
KTLS_API int ktls_renegotiate_pending(const struct ktls_conn *c)
{
	(void)c;
	return 0;
}

KTLS_API unsigned ktls_conn_offload(const struct ktls_conn *c)
{
	return (c->tx_kernel ? KTLS_OFFLOAD_TX : 0) | (c->rx_kernel ? KTLS_OFFLOAD_RX : 0);
}

KTLS_API void ktls_conn_stats(const struct ktls_conn *c, struct ktls_conn_stats *st)
{
	*st = c->st;
	st->tx_records =
		c->tx_kernel ? c->key_calls + c->key_bytes / KTLS_REC_MAX_PLAIN : c->wr.seq;
}

KTLS_API const struct ktls_hs *ktls_conn_hs(const struct ktls_conn *c)
{
	return c->hs;
}
