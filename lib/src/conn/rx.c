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

/* A non-data record from the peer. 0: handled, read on; 1: close_notify. */
static int on_control(struct ktls_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
	if (type == KTLS_CT_ALERT) {
		if (n != 2)
			return ktls_conn_fail(c, KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR));
		if (p[1] == KTLS_ALERT_CLOSE_NOTIFY) {
			c->peer_closed = true;
			return 1;
		}
		return ktls_conn_fail(c, -(KTLS_E_ALERT_RECEIVED + p[1]));
	}
	if (type != KTLS_CT_HANDSHAKE)
		return ktls_conn_fail(c, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE));
	int ku;
	const char *why;
	int err = ktls_post_handshake(c->cfg, p, n, &ku, &why);
	if (err)
		return ktls_conn_fail(c, err);
	return ku >= 0 ? ktls_conn_on_peer_key_update(c, ku) : 0;
}

/* Sends the alert for a protocol error we found, best effort. */
static void send_alert(struct ktls_conn *c, int err)
{
	int a = ktls_error_alert(err);
	if (a < 0)
		return;
	uint8_t msg[2] = {2, (uint8_t)a};
	(void)ktls_conn_send_typed(c, KTLS_CT_ALERT, msg, 2, MSG_DONTWAIT);
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
			return errno == EBADMSG ? ktls_conn_fail(c, -EBADMSG) : -errno;
		/* The record type comes with every record; 0 bytes without one
		 * is the end of the stream, with one an empty record. */
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		bool typed = cm && cm->cmsg_level == KTLS_UAPI_SOL_TLS &&
			     cm->cmsg_type == KTLS_UAPI_TLS_GET_RECORD_TYPE;
		if (n == 0 && !typed)
			return ktls_conn_fail(c, -KTLS_E_TRUNCATED);
		uint8_t type = typed ? *CMSG_DATA(cm) : KTLS_CT_APPLICATION_DATA;
		if (type == KTLS_CT_APPLICATION_DATA && n == 0)
			continue; /* an empty data record: nothing to return */
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
			return ktls_conn_fail(c, (int)rl);
		if (rl == 0) {
			size_t want =
				c->rhave < KTLS_REC_HDR
					? KTLS_REC_HDR
					: KTLS_REC_HDR + ((size_t)c->rbuf[3] << 8 | c->rbuf[4]);
			ssize_t r = recv(c->fd, c->rbuf + c->rhave, want - c->rhave, 0);
			if (r < 0)
				return -errno;
			if (r == 0) /* the end of the stream, before close_notify */
				return ktls_conn_fail(c, -KTLS_E_TRUNCATED);
			c->rhave += (size_t)r;
			continue;
		}
		uint8_t type;
		long n = ktls_rec_open(&c->rd, c->rbuf, (size_t)rl, c->plain, KTLS_REC_MAX_CIPHER,
				       &type);
		c->rhave = 0; /* one record at a time: nothing follows it */
		if (n < 0)
			return ktls_conn_fail(c, (int)n);
		c->st.bytes_received += type == KTLS_CT_APPLICATION_DATA ? (uint64_t)n : 0;
		if (type == KTLS_CT_APPLICATION_DATA && n == 0)
			continue;
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
	if (ktls_conn_update_due(c)) {
		pthread_mutex_lock(&c->wlock);
		int err = ktls_conn_update_due(c) ? ktls_conn_do_key_update(c) : 0;
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
		if (n > 0 || (n == 0 && !len))
			break;
		if (n < 0 && errno != EINVAL) {
			n = -errno;
			break;
		}
		/* A non-data record is next (EINVAL: splice will not take it),
		 * or 0: the end of the stream or an empty record. recvmsg tells
		 * them apart: read (and handle) it that way, then splice on. */
		n = to_pipe(c, pipe_fd, len);
		if (n != 0 || c->peer_closed || c->state == C_FAILED)
			break;
	}
	if (n > 0)
		c->st.bytes_received += (uint64_t)n;
	pthread_mutex_unlock(&c->rlock);
	return n;
}
