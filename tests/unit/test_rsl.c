/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The peer's record_size_limit (RFC 8449) binds every record we send, on
 * every path: write, sendfile and splice. The peer here announces 1024 and
 * reads in userspace, where its limit is enforced (a record over it would
 * be record_overflow), so a clean transfer proves no record went over.
 * Runs on the host and in the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>

#include "connpair.h"

#define LEN (300u << 10)

static uint8_t byte_at(size_t i)
{
	return (uint8_t)(i * 31 + i / 1021);
}

struct sink {
	struct side *sv;
	long rc;
	size_t got;
};

static void *sink_thread(void *arg)
{
	struct sink *k = arg;
	static uint8_t buf[1 << 16];
	k->rc = ktls_handshake(k->sv->conn);
	if (k->rc != 1)
		return NULL;
	for (;;) {
		long n = ktls_read(k->sv->conn, buf, sizeof(buf));
		if (n <= 0) {
			k->rc = n;
			return NULL;
		}
		for (long i = 0; i < n; i++)
			if (buf[i] != byte_at(k->got + (size_t)i)) {
				k->rc = -EBADMSG;
				return NULL;
			}
		k->got += (size_t)n;
	}
}

START_TEST(peer_limit_on_every_path)
{
	/* _i: 0 write, 1 sendfile, 2 splice. */
	struct side cl, sv;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_record_size_limit(sv.cfg, 1024), 0);
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
	struct sink k = {&sv, 0, 0};
	pthread_t t;
	pthread_create(&t, NULL, sink_thread, &k);
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	uint8_t *data = malloc(LEN);
	for (size_t i = 0; i < LEN; i++)
		data[i] = byte_at(i);
	if (_i == 0) {
		write_exact(cl.conn, data, LEN);
	} else if (_i == 1) {
		int fd = memfd_create("file", 0);
		ck_assert_int_eq(ktls_write_all(fd, data, LEN), 0);
		for (int64_t off = 0; off < LEN;)
			ck_assert_int_gt(ktls_sendfile(cl.conn, fd, &off, LEN - (size_t)off), 0);
		close(fd);
	} else {
		int p[2];
		ck_assert_int_eq(pipe(p), 0);
		for (size_t off = 0; off < LEN;) {
			size_t n = LEN - off < 60000 ? LEN - off : 60000;
			ck_assert_int_eq(ktls_write_all(p[1], data + off, n), 0);
			for (size_t in = 0; in < n;) {
				long w = ktls_splice_write(cl.conn, p[0], n - in, 0);
				ck_assert_int_gt(w, 0);
				in += (size_t)w;
			}
			off += n;
		}
		close(p[0]);
		close(p[1]);
	}
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	pthread_join(t, NULL);
	ck_assert_msg(k.rc == 0, "the peer: %ld (%s) after %zu bytes", k.rc,
		      ktls_strerror((int)k.rc), k.got);
	ck_assert_uint_eq(k.got, LEN);
	/* A limit of its own keeps the peer's RX in userspace, where it is
	 * enforced; ours is honoured in userspace or by a capping kernel. */
	ck_assert_uint_eq(ktls_conn_offload(sv.conn) & KTLS_OFFLOAD_RX, 0);
	/* Ours goes to the kernel exactly where it can cap its records. */
	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn) & KTLS_OFFLOAD_TX,
			  !ki.tls && ki.tx_max_payload == 1 ? KTLS_OFFLOAD_TX : 0);
	ck_assert_uint_eq(ktls_hs_peer_record_size_limit(ktls_conn_hs(cl.conn)), 1024);
	free(data);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_size_limit");
	TCase *tc = tcase_create("every path");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, peer_limit_on_every_path, 0, 3);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
