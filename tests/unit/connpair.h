/* SPDX-License-Identifier: Apache-2.0 */
/* A client and a server ktls_conn over a loopback TCP pair, the server in a
 * child process. Used on the host (userspace records) and in the VM. */
#ifndef KTLS_CONNPAIR_H
#define KTLS_CONNPAIR_H

#include <errno.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hspair.h"
#include "kernel/socket.h"
#include "ktls/ktls.h"

struct side {
	struct ktls_config *cfg;
	struct ktls_conn *conn;
	int fd;
};

static inline void connect_pair(struct side *cl, struct side *sv, uint16_t suite)
{
	int fds[2];
	memset(cl, 0, sizeof(*cl));
	memset(sv, 0, sizeof(*sv));
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	cl->fd = fds[0];
	sv->fd = fds[1];
	cl->cfg = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_ca_file(cl->cfg, cert_path("ca.pem")), 0);
	sv->cfg = ktls_config_new(KTLS_SERVER);
	add_cert(sv->cfg, "server-ecdsa256");
	if (suite) {
		ck_assert_int_eq(ktls_config_set_suites(cl->cfg, &suite, 1), 0);
	}
}

static inline void side_free(struct side *s)
{
	ktls_conn_free(s->conn);
	ktls_config_free(s->cfg);
	close(s->fd);
}

/* Reads exactly len bytes (or fails the test). */
static inline void read_exact(struct ktls_conn *c, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		long n = ktls_read(c, buf + got, len - got);
		ck_assert_msg(n > 0, "read: %ld (%s) after %zu of %zu", n, ktls_strerror((int)n),
			      got, len);
		got += (size_t)n;
	}
}

/* The same on a non-blocking socket: -EAGAIN waits in poll (bounded). */
static inline void read_exact_polled(struct ktls_conn *c, int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = {fd, POLLIN, 0};
	size_t got = 0;
	for (int spins = 0; got < len && spins < 10000; spins++) {
		long n = ktls_read(c, buf + got, len - got);
		if (n == -EAGAIN) {
			ck_assert_int_ge(poll(&p, 1, 2000), 0);
			continue;
		}
		ck_assert_msg(n > 0, "read: %ld (%s) after %zu of %zu", n, ktls_strerror((int)n),
			      got, len);
		got += (size_t)n;
	}
	ck_assert_uint_eq(got, len);
}

static inline void write_exact(struct ktls_conn *c, const uint8_t *buf, size_t len)
{
	size_t put = 0;
	while (put < len) {
		long n = ktls_write(c, buf + put, len - put);
		ck_assert_msg(n > 0, "write: %ld (%s)", n, ktls_strerror((int)n));
		put += (size_t)n;
	}
}

static inline void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int len;
	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

#endif
