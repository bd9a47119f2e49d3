/* SPDX-License-Identifier: Apache-2.0 */
/* Sending: write, sendfile and splice through the kernel or sealed here,
 * and non-data records under the current key. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/conn.h"
#include "kernel/kernel.h"

/* Sends a non-data record under the current write key, through the kernel
 * or sealed here. */
int ktls_conn_send_typed(struct ktls_conn *c, uint8_t type, const uint8_t *msg, size_t len,
			 int flags)
{
	if (c->tx_kernel)
		return ktls_kernel_send_record(c->fd, type, msg, len, flags);
	/* An earlier record's unsent tail goes first; until it is out, nothing
	 * is sealed (sealing spends a sequence number). */
	int err = ktls_conn_tx_flush(c);
	if (err)
		return err;
	uint8_t rec[64];
	long n = ktls_rec_seal(&c->wr, type, msg, len, 0, rec, sizeof(rec));
	if (n < 0)
		return (int)n;
	if (flags & MSG_DONTWAIT)
		return send(c->fd, rec, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -EIO;
	return ktls_conn_tx_send_all(c, rec, (size_t)n); /* committed, even if a tail is left */
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
int ktls_conn_tx_flush(struct ktls_conn *c)
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

int ktls_conn_tx_send_all(struct ktls_conn *c, const uint8_t *p, size_t n)
{
	int err = ktls_conn_tx_flush(c);
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
	long ret = ktls_conn_tx_prepare(c);
	if (!ret && !c->tx_kernel)
		ret = ktls_conn_tx_flush(c);
	if (!ret && c->tx_kernel) {
		ssize_t n = send(c->fd, buf, policy_cap(c, len), MSG_NOSIGNAL);
		ret = n < 0 ? -errno : n;
	} else if (!ret) {
		/* One record per call: the caller loops, as with write(2). */
		size_t n = policy_cap(c, len < c->wr.max_plain ? len : c->wr.max_plain);
		uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
		long r = ktls_rec_seal(&c->wr, KTLS_CT_APPLICATION_DATA, buf, n, 0, rec,
				       sizeof(rec));
		ret = r < 0 ? r : ktls_conn_tx_send_all(c, rec, (size_t)r);
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
	long ret = ktls_conn_tx_prepare(c);
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
	long ret = ktls_conn_tx_prepare(c);
	if (!ret) {
		ssize_t n = splice(pipe_fd, NULL, c->fd, NULL, policy_cap(c, len), flags);
		ret = n < 0 ? -errno : n;
	}
	account_tx(c, ret);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}
