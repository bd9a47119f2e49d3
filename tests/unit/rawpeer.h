/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection adopted with known secrets on one end of a loopback pair, and
 * a hand-driven record layer on the other: the peer can send any record, well
 * formed or not, and read exactly what the connection sent. On the host the
 * connection runs the userspace record layer; in the VM (patched module) both
 * directions are in the kernel, so the same tests cover both RX paths.
 */
#ifndef KTLS_RAWPEER_H
#define KTLS_RAWPEER_H

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/socket.h"
#include "ktls/ktls.h"
#include "record/record.h"
#include "testutil.h"

struct rawpeer {
	struct ktls_config *cfg;
	struct ktls_conn *conn; /* ours, on conn_fd */
	int conn_fd;
	int fd; /* the peer's end */
	struct ktls_rec_dir rd, wr;
};

static inline void rawpeer_open_suite(struct rawpeer *p, enum ktls_role role, uint16_t suite)
{
	int fds[2];
	uint8_t a[48], b[48];
	memset(a, 0xa5, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	p->cfg = ktls_config_new(role);
	p->conn = ktls_conn_adopt(p->cfg, fds[0], suite, a, 0, b, 0);
	ck_assert_ptr_nonnull(p->conn);
	p->conn_fd = fds[0];
	p->fd = fds[1];
	memset(&p->rd, 0, sizeof(p->rd));
	memset(&p->wr, 0, sizeof(p->wr));
	ck_assert_int_eq(ktls_rec_init(&p->rd, ktls_suite_get(suite), a, 0), 0);
	ck_assert_int_eq(ktls_rec_init(&p->wr, ktls_suite_get(suite), b, 1), 0);
}

static inline void rawpeer_open(struct rawpeer *p, enum ktls_role role)
{
	rawpeer_open_suite(p, role, KTLS_TLS_AES_128_GCM_SHA256);
}

static inline void rawpeer_close(struct rawpeer *p)
{
	ktls_conn_free(p->conn);
	close(p->conn_fd);
	ktls_config_free(p->cfg);
	if (p->fd >= 0)
		close(p->fd);
	ktls_rec_clear(&p->rd);
	ktls_rec_clear(&p->wr);
}

/* Seals one record of inner type `type` with `pad` zero bytes of padding
 * and sends it. */
static inline void rawpeer_send(struct rawpeer *p, uint8_t type, const void *msg, size_t len,
				size_t pad)
{
	uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
	long n = ktls_rec_seal(&p->wr, type, msg, len, pad, rec, sizeof(rec));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ktls_write_all(p->fd, rec, (size_t)n), 0);
}

/* Sends raw bytes (a plaintext record, a broken header). */
static inline void rawpeer_send_raw(struct rawpeer *p, const void *buf, size_t len)
{
	ck_assert_int_eq(ktls_write_all(p->fd, buf, len), 0);
}

/* Reads and opens the connection's next record: its plaintext length, or a
 * negative error (-EPIPE at the end of the stream). */
static inline long rawpeer_recv(struct rawpeer *p, uint8_t *out, size_t cap, uint8_t *type)
{
	uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
	int err = ktls_read_full(p->fd, rec, KTLS_REC_HDR);
	if (err)
		return err;
	size_t len = (size_t)rec[3] << 8 | rec[4];
	if (len > KTLS_REC_MAX_CIPHER)
		return -KTLS_E_RECORD_OVERFLOW;
	if ((err = ktls_read_full(p->fd, rec + KTLS_REC_HDR, len)))
		return err;
	return ktls_rec_open(&p->rd, rec, KTLS_REC_HDR + len, out, cap, type);
}

/* The alert the connection sent (its description), or -1 if the next thing
 * from it is not an alert (or nothing). */
static inline int rawpeer_alert(struct rawpeer *p)
{
	uint8_t buf[KTLS_REC_MAX_CIPHER], type;
	long n = rawpeer_recv(p, buf, sizeof(buf), &type);
	return n == 2 && type == KTLS_CT_ALERT ? buf[1] : -1;
}

#endif
