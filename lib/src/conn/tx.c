/* SPDX-License-Identifier: Apache-2.0 */
/* Sending: write, sendfile and splice through the kernel or sealed here,
 * and non-data records under the current key. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/conn.h"
#include "kernel/kernel.h"
#include "kernel/socket.h"

/* A send that failed: the connection is gone unless the error only says
 * "not now". */
static long tx_error(struct ktls_conn *c, int err)
{
	if (err == -EAGAIN || err == -EINTR || err == -ENOBUFS || err == -ENOMEM)
		return err;
	return ktls_conn_fail(c, err);
}

int ktls_conn_tx_flush(struct ktls_conn *c, int flags)
{
	while (c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->ooff, c->olen, MSG_NOSIGNAL | flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : (int)tx_error(c, -errno);
		c->ooff += (size_t)n;
		c->olen -= (size_t)n;
	}
	/* Held only while a tail waits (ciphertext: nothing to wipe). */
	free(c->obuf);
	c->obuf = NULL;
	return 0;
}

/* Sends a sealed record straight from the caller's buffer; only an unsent
 * tail (a socket that is full) is kept, and the next call sends it first.
 * The record is committed either way: its sequence number is spent. */
static int tx_send_record(struct ktls_conn *c, const uint8_t *p, size_t n, int flags)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | flags);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return (int)tx_error(c, -errno);
		if (w < 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	if (!n)
		return 0;
	if (!c->obuf && !(c->obuf = malloc(KTLS_REC_HDR + KTLS_REC_MAX_CIPHER)))
		return ktls_conn_fail(c, -ENOMEM);
	memcpy(c->obuf, p, n);
	c->ooff = 0;
	c->olen = n;
	return 0;
}

int ktls_conn_send_typed(struct ktls_conn *c, uint8_t type, const uint8_t *msg, size_t len,
			 int flags)
{
	if (c->tx_dead)
		return -KTLS_E_CLOSED;
	if (c->tx_kernel) {
		int err = ktls_kernel_send_record(c->fd, type, msg, len, flags);
		return err ? (int)tx_error(c, err) : 0;
	}
	/* An earlier record's unsent tail goes first; until it is out, nothing
	 * is sealed (sealing spends a sequence number). */
	int err = ktls_conn_tx_flush(c, flags);
	if (err)
		return err;
	uint8_t rec[64];
	long n = ktls_rec_seal(&c->wr, type, msg, len, 0, rec, sizeof(rec));
	if (n < 0)
		return ktls_conn_fail(c, (int)n);
	return tx_send_record(c, rec, (size_t)n, flags);
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
static long account_tx(struct ktls_conn *c, long moved)
{
	if (moved > 0) {
		c->key_bytes += (uint64_t)moved;
		c->key_calls++;
		ktls_conn_stat_add(&c->st.bytes_sent, (uint64_t)moved);
	}
	return moved;
}

/* After a data call, under the write lock: what it moved counted, and the
 * socket uncorked if tx_ready corked it. */
static long tx_done(struct ktls_conn *c, long ret)
{
	if (c->corked) {
		ktls_sock_uncork(c->fd);
		c->corked = false;
	}
	return account_tx(c, ret);
}

/* Before writing data: the connection must be writable (a KeyUpdate this
 * kernel cannot do is owed: no data may go before it). */
static int tx_ready(struct ktls_conn *c)
{
	if (c->tx_stuck)
		return -KTLS_E_REKEY_UNSUPPORTED;
	/* A KeyUpdate and the data after it leave together (tx_done). */
	if (ktls_conn_update_due(c))
		c->corked = ktls_sock_cork(c->fd);
	int err = ktls_conn_tx_prepare(c);
	if (!err && !c->tx_kernel)
		err = ktls_conn_tx_flush(c, 0);
	return err;
}

/* Userspace TX, once tx_ready: the most one record of a call may take. */
static size_t user_cap(const struct ktls_conn *c, size_t len)
{
	return policy_cap(c, len < c->wr.max_plain ? len : c->wr.max_plain);
}

/* Userspace TX: one record of n <= user_cap bytes, sealed and sent (an
 * unsent tail is kept): all n are taken, or the connection failed. */
static long tx_user_record(struct ktls_conn *c, const void *buf, size_t n)
{
	uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
	long r = ktls_rec_seal(&c->wr, KTLS_CT_APPLICATION_DATA, buf, n, 0, rec, sizeof(rec));
	long ret = r < 0 ? ktls_conn_fail(c, (int)r) : tx_send_record(c, rec, (size_t)r, 0);
	return ret ? ret : (long)n;
}

KTLS_API long ktls_write(struct ktls_conn *c, const void *buf, size_t len)
{
	pthread_mutex_lock(&c->wlock);
	long ret = tx_ready(c);
	if (!ret && c->tx_kernel) {
		ssize_t n = send(c->fd, buf, policy_cap(c, len), MSG_NOSIGNAL);
		ret = n < 0 ? tx_error(c, -errno) : n;
	} else if (!ret) {
		/* One record per call: the caller loops, as with write(2). */
		ret = tx_user_record(c, buf, user_cap(c, len));
	}
	tx_done(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}

KTLS_API long ktls_sendfile(struct ktls_conn *c, int in_fd, int64_t *offset, size_t count)
{
	if (!c->tx_kernel) {
		/* Userspace path: read and seal, one record per call. */
		uint8_t buf[KTLS_REC_MAX_PLAIN];
		size_t n = count < c->wr.max_plain ? count : c->wr.max_plain;
		ssize_t r = pread(in_fd, buf, n, *offset);
		if (r <= 0)
			return r < 0 ? -errno : 0;
		long w = ktls_write(c, buf, (size_t)r);
		if (w > 0)
			*offset += w;
		return w;
	}
	pthread_mutex_lock(&c->wlock);
	long ret = tx_ready(c);
	if (!ret) {
		off_t off = (off_t)*offset;
		ssize_t n = sendfile(c->fd, in_fd, &off, policy_cap(c, count));
		ret = n < 0 ? tx_error(c, -errno) : n;
		*offset = off;
	}
	tx_done(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}

KTLS_API long ktls_splice_write(struct ktls_conn *c, int pipe_fd, size_t len, unsigned flags)
{
	pthread_mutex_lock(&c->wlock);
	long ret = tx_ready(c);
	if (!ret && !c->tx_kernel) {
		/* Only once the socket can take a record (tx_ready: updates due
		 * and an earlier tail sent) is anything taken from the pipe, and
		 * then no more than one record, which always goes: a -EAGAIN
		 * leaves the pipe as it was. */
		uint8_t buf[KTLS_REC_MAX_PLAIN];
		ssize_t r = read(pipe_fd, buf, user_cap(c, len));
		ret = r < 0 ? -errno : r ? tx_user_record(c, buf, (size_t)r) : 0;
		OPENSSL_cleanse(buf, sizeof(buf));
	} else if (!ret) {
		ssize_t n = splice(pipe_fd, NULL, c->fd, NULL, policy_cap(c, len), flags);
		ret = n < 0 ? tx_error(c, -errno) : n;
	}
	tx_done(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}
