/* SPDX-License-Identifier: Apache-2.0 */
/* Receiving: records from the kernel (with their record type) or opened
 * here, the peer's control records, splice out of the connection. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/conn.h"
#include "conn/posths.h"
#include "kernel/kernel.h"
#include "kernel/socket.h"

static int fail_with(struct ktls_conn *c, int alert)
{
	return ktls_conn_fail(c, KTLS_ALERT_ERR(alert));
}

/*
 * The kernel pauses reception after any handshake record whose first byte
 * is 24 (it takes it for a KeyUpdate) until a new RX key is set. A record
 * that is only part of a KeyUpdate, or a later fragment of another message
 * that happens to start with 24, pauses it for nothing: the current key
 * goes in again at the kernel's own sequence number, and reading goes on.
 */
static int resume_rx(struct ktls_conn *c)
{
	uint64_t seq;
	int err = ktls_kernel_get_seq(c->fd, KTLS_DIR_RX, c->suite, &seq);
	if (!err)
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_RX, c->suite, c->rd.key, c->rd.iv, seq,
					  true);
	return err ? ktls_conn_fail(c, err) : 0;
}

/* A handshake record after the handshake: its bytes join any message
 * begun in earlier records, and every whole message is handled. */
static int on_handshake_record(struct ktls_conn *c, const uint8_t *p, size_t n)
{
	if (n == 0)
		return fail_with(c, KTLS_ALERT_UNEXPECTED_MESSAGE);
	ktls_buf_put(&c->hsbuf, p, n);
	if (c->hsbuf.bad)
		return ktls_conn_fail(c, -ENOMEM);
	int key_update = -1;
	while (c->hsbuf.len >= 4) {
		struct ktls_rd r = ktls_rd_make(c->hsbuf.base, c->hsbuf.len);
		uint8_t type = ktls_rd_u8(&r);
		uint32_t len = ktls_rd_u24(&r);
		if (len > c->cfg->max_hs_msg)
			return fail_with(c, KTLS_ALERT_DECODE_ERROR);
		const uint8_t *body = ktls_rd_bytes(&r, len);
		if (!body)
			break; /* the rest comes in later records */
		/* A KeyUpdate changes the keys: nothing of the same record may
		 * follow it, being sealed under the old key (5.1). */
		if (key_update >= 0)
			return fail_with(c, KTLS_ALERT_UNEXPECTED_MESSAGE);
		const char *why;
		int err = ktls_post_handshake_message(c->cfg, c->hs, type, body, len, &key_update,
						      &why);
		if (err)
			return ktls_conn_fail(c, err);
		ktls_buf_consume(&c->hsbuf, 4 + len);
	}
	if (key_update >= 0 && c->hsbuf.len)
		return fail_with(c, KTLS_ALERT_UNEXPECTED_MESSAGE);
	if (!c->hsbuf.len)
		ktls_buf_free(&c->hsbuf); /* no memory held between messages */
	if (key_update >= 0)
		return ktls_conn_on_peer_key_update(c, key_update);
	if (c->rx_kernel && p[0] == KTLS_HS_KEY_UPDATE)
		return resume_rx(c);
	return 0;
}

int ktls_conn_on_control(struct ktls_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
	if (type == KTLS_CT_HANDSHAKE)
		return on_handshake_record(c, p, n);
	/* No other record may come between the fragments of a message. */
	if (c->hsbuf.len || type != KTLS_CT_ALERT)
		return fail_with(c, KTLS_ALERT_UNEXPECTED_MESSAGE);
	int desc;
	const char *why;
	int err = ktls_alert_decode(p, n, &desc, &why);
	if (err)
		return ktls_conn_fail(c, err);
	if (desc == KTLS_ALERT_USER_CANCELED) {
		/* A warning that close_notify follows (6.1); a stream of them
		 * is not (OpenSSL allows 5 in a row too). */
		if (++c->warn_run > KTLS_MAX_WARNINGS)
			return fail_with(c, KTLS_ALERT_UNEXPECTED_MESSAGE);
		c->peer_canceled = true;
		return 0;
	}
	if (desc == KTLS_ALERT_CLOSE_NOTIFY) {
		c->peer_closed = true;
		return 1;
	}
	return ktls_conn_fail(c, -(KTLS_E_ALERT_RECEIVED + desc));
}

/* Application data from the peer: not in the middle of a handshake
 * message (5.1), and not empty record after empty record (5.4 allows
 * them; an endless run of them is a peer making us spin). */
static int on_data(struct ktls_conn *c, size_t n)
{
	if (c->hsbuf.len || (!n && ++c->empty_run > KTLS_MAX_EMPTY_RECORDS))
		return fail_with(c, KTLS_ALERT_UNEXPECTED_MESSAGE);
	if (n)
		c->empty_run = c->warn_run = 0;
	return 0;
}

/* Sends the alert for a protocol error we found, best effort: never from
 * under a writer blocked in send(), never blocking, and never after a
 * failed re-key (the peer could not read it). */
static void send_alert(struct ktls_conn *c, int err)
{
	int a = ktls_error_alert(err);
	if (a < 0 || c->tx_dead || atomic_exchange(&c->alert_sent, true) ||
	    pthread_mutex_trylock(&c->wlock))
		return;
	uint8_t msg[2] = {2, (uint8_t)a};
	(void)ktls_conn_send_typed(c, KTLS_CT_ALERT, msg, 2, MSG_DONTWAIT);
	pthread_mutex_unlock(&c->wlock);
}

/* The kernel's errors on RX, as the library names them. */
static int rx_kernel_error(struct ktls_conn *c, int e)
{
	switch (e) {
	case EBADMSG: /* a record failed to authenticate: the socket is dead */
		return ktls_conn_fail(c, -KTLS_E_BAD_RECORD_MAC);
	case EMSGSIZE: /* a record longer than the protocol allows */
		return ktls_conn_fail(c, -KTLS_E_RECORD_OVERFLOW);
	case EAGAIN:
	case EINTR:
		return -e;
	default:
		return ktls_conn_fail(c, -e);
	}
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
			return rx_kernel_error(c, errno);
		if (!direct && (size_t)n > c->pdirty)
			c->pdirty = (size_t)n;
		/* The record type comes with every record; 0 bytes without one
		 * is the end of the stream, with one an empty record. */
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		bool typed = cm && cm->cmsg_level == KTLS_UAPI_SOL_TLS &&
			     cm->cmsg_type == KTLS_UAPI_TLS_GET_RECORD_TYPE;
		if (n == 0 && !typed)
			return ktls_conn_fail(c, -KTLS_E_TRUNCATED);
		uint8_t type = typed ? *CMSG_DATA(cm) : KTLS_CT_APPLICATION_DATA;
		if (type == KTLS_CT_APPLICATION_DATA) {
			int err = on_data(c, (size_t)n);
			if (err)
				return err;
			if (n == 0)
				continue; /* an empty data record: nothing to return */
			if (direct)
				return n;
			c->poff = 0;
			c->plen = (size_t)n;
			continue;
		}
		int r = ktls_conn_on_control(c, type, (const uint8_t *)iov.iov_base, (size_t)n);
		if (r)
			return r == 1 ? 0 : r;
	}
}

/* The record buffers live only while a record is in flight: an idle
 * connection holds none (the plaintext wiped first). */
static void rx_release(struct ktls_conn *c)
{
	if (c->plen || c->rhave)
		return;
	if (c->plain)
		OPENSSL_cleanse(c->plain, c->pdirty);
	free(c->plain);
	free(c->rbuf);
	c->plain = c->rbuf = NULL;
	c->pdirty = 0;
}

/* A read that found nothing: the connection is idle (an event loop parks
 * it now), so the userspace cipher contexts go until the next record. The
 * TX one only if the writer is not busy: the write lock covers it. */
static void rx_idle(struct ktls_conn *c, long n)
{
	if (n != -EAGAIN)
		return;
	ktls_rec_park(&c->rd);
	if (!c->tx_kernel && !pthread_mutex_trylock(&c->wlock)) {
		ktls_rec_park(&c->wr);
		pthread_mutex_unlock(&c->wlock);
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
			return ktls_conn_fail(c, (int)rl);
		if (rl == 0) {
			size_t want =
				c->rhave < KTLS_REC_HDR
					? KTLS_REC_HDR
					: KTLS_REC_HDR + ((size_t)c->rbuf[3] << 8 | c->rbuf[4]);
			ssize_t r = recv(c->fd, c->rbuf + c->rhave, want - c->rhave, 0);
			if (r < 0)
				return errno == EAGAIN || errno == EINTR
					       ? -errno
					       : ktls_conn_fail(c, -errno);
			if (r == 0) /* the end of the stream, before close_notify */
				return ktls_conn_fail(c, -KTLS_E_TRUNCATED);
			c->rhave += (size_t)r;
			continue;
		}
		uint8_t type;
		long n = ktls_rec_open(&c->rd, c->rbuf, (size_t)rl, c->plain, KTLS_REC_MAX_CIPHER,
				       &type);
		c->rhave = 0; /* one record at a time: nothing follows it */
		/* What open wrote, padding and content type included. */
		if ((size_t)rl - KTLS_REC_HDR > c->pdirty)
			c->pdirty = (size_t)rl - KTLS_REC_HDR;
		if (n < 0)
			return ktls_conn_fail(c, (int)n);
		if (type == KTLS_CT_APPLICATION_DATA) {
			int err = on_data(c, (size_t)n);
			if (err)
				return err;
			c->poff = 0;
			c->plen = (size_t)n;
			continue;
		}
		int r = ktls_conn_on_control(c, type, c->plain, (size_t)n);
		if (r)
			return r == 1 ? 0 : r;
	}
}

/* Before and after a read: what the reader owes the write side. */
static long read_done(struct ktls_conn *c, long n)
{
	if (n > 0)
		ktls_conn_stat_add(&c->st.bytes_received, (uint64_t)n);
	if (n < 0 && c->state == C_FAILED)
		send_alert(c, (int)n); /* a protocol error we found gets its alert */
	else
		ktls_conn_try_owed(c);
	return n;
}

static long read_start(struct ktls_conn *c)
{
	if (c->state != C_OPEN)
		return ktls_conn_not_open(c);
	if (c->peer_closed)
		return 0;
	/* A key update the application scheduled goes out at the next I/O
	 * call, reads included (SSL_key_update(3)), if that needs no wait. */
	ktls_conn_try_owed(c);
	return c->state == C_OPEN ? 1 : ktls_conn_not_open(c);
}

KTLS_API long ktls_read(struct ktls_conn *c, void *buf, size_t len)
{
	long n = read_start(c);
	if (n <= 0)
		return n;
	pthread_mutex_lock(&c->rlock);
	n = c->rx_kernel ? rx_kernel(c, buf, len) : rx_user(c, buf, len);
	rx_release(c);
	rx_idle(c, n);
	pthread_mutex_unlock(&c->rlock);
	return read_done(c, n);
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
	long n = read_start(c);
	if (n <= 0)
		return n;
	/* kTLS waits for a record unless told SPLICE_F_NONBLOCK, whatever the
	 * socket's O_NONBLOCK (TCP's splice honours that): a non-blocking
	 * socket must get -EAGAIN, not a wait. */
	int fl = c->rx_kernel ? fcntl(c->fd, F_GETFL) : 0;
	if (fl > 0 && (fl & O_NONBLOCK))
		flags |= SPLICE_F_NONBLOCK;
	pthread_mutex_lock(&c->rlock);
	for (;;) {
		if (!c->rx_kernel || c->plen) {
			n = to_pipe(c, pipe_fd, len);
			break;
		}
		n = splice(c->fd, NULL, pipe_fd, NULL, len, flags);
		if (n > 0 || (n == 0 && !len))
			break;
		if (n < 0 && errno != EINVAL) {
			n = rx_kernel_error(c, errno);
			break;
		}
		/* A non-data record is next (EINVAL: splice will not take it),
		 * or 0: the end of the stream or an empty record. recvmsg tells
		 * them apart: read (and handle) it that way, then splice on. */
		n = to_pipe(c, pipe_fd, len);
		if (n != 0 || c->peer_closed || c->state == C_FAILED)
			break;
	}
	rx_release(c);
	rx_idle(c, n);
	pthread_mutex_unlock(&c->rlock);
	return read_done(c, n);
}
