/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls_conn over the real kernel. KTLS_EXPECT_REKEY=1 (patched module or
 * 6.14+): both directions in the kernel, a sendfile transfer with a key
 * update every MiB from the server (alternately requesting one back) and
 * writes with updates from the client, byte for byte, per cipher.
 * KTLS_EXPECT_REKEY=0 (stock): the documented fallback, TX in the kernel,
 * RX in userspace, our own updates refused with -KTLS_E_REKEY_UNSUPPORTED.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "../unit/connpair.h"
#include "kernel/kernel.h"

#define FILE_LEN (8u << 20)
#define BACK_LEN (1u << 20)

static void count_ticket(void *arg, const uint8_t *t, size_t len, uint32_t lifetime)
{
	(void)t, (void)len, (void)lifetime;
	++*(unsigned *)arg;
}

/* What the loaded module must be able to do: 1 re-key (patched module or
 * a mainline kernel), 0 not (Debian's stock modules). Each test below runs
 * only on the kernels it is about, and kernel_as_expected checks that the
 * kernel is that one: none passes by returning early. */
static int expect_rekey(void)
{
	const char *e = getenv("KTLS_EXPECT_REKEY");
	if (!e || (strcmp(e, "0") && strcmp(e, "1"))) {
		fprintf(stderr, "vm_conn: KTLS_EXPECT_REKEY must be 0 or 1\n");
		exit(2);
	}
	return atoi(e);
}

START_TEST(kernel_as_expected)
{
	struct ktls_kernel_info ki;
	ck_assert_int_eq(ktls_probe_kernel(&ki, KTLS_PROBE_FRESH), 0);
	ck_assert_int_eq(ki.tls, 0);
	ck_assert_int_eq(ki.rekey, expect_rekey());
}
END_TEST

static uint8_t *make_data(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed + i / 9973);
	return p;
}

/* Server: sendfile FILE_LEN bytes with an update every MiB, then read the
 * client's BACK_LEN bytes and check them. Exit status says what failed. */
static void server(struct side *sv)
{
	uint8_t *data = make_data(FILE_LEN, 1), *want = make_data(BACK_LEN, 2);
	uint8_t *got = malloc(BACK_LEN);
	int fd = memfd_create("file", 0);
	if (ktls_write_all(fd, data, FILE_LEN))
		_exit(50);
	if (ktls_conn_offload(sv->conn) != (KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX))
		_exit(51);
	int64_t off = 0;
	for (int mib = 0; (size_t)off < FILE_LEN; mib++) {
		if (mib && ktls_key_update(sv->conn, mib % 2 ? KTLS_KEY_UPDATE_REQUESTED
							     : KTLS_KEY_UPDATE_NOT_REQUESTED))
			_exit(52);
		int64_t end = (int64_t)(mib + 1) << 20;
		while (off < end) {
			long n = ktls_sendfile(sv->conn, fd, &off, (size_t)(end - off));
			if (n <= 0)
				_exit(53);
		}
	}
	size_t have = 0;
	while (have < BACK_LEN) {
		long n = ktls_read(sv->conn, got + have, BACK_LEN - have);
		if (n <= 0)
			_exit(54);
		have += (size_t)n;
	}
	if (memcmp(got, want, BACK_LEN))
		_exit(55);
	struct ktls_conn_stats st;
	ktls_conn_stats(sv->conn, &st);
	if (st.key_updates_sent < 7 || st.key_updates_received < 4)
		_exit(56);
	ktls_shutdown(sv->conn);
	_exit(0);
}

START_TEST(sendfile_with_key_updates)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0x1304};
	struct side cl, sv;
	connect_pair(&cl, &sv, suites[_i]);
	pid_t child = fork();
	if (child == 0) {
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		if (ktls_handshake(sv.conn) != 1)
			_exit(60);
		server(&sv);
	}
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn), KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX);
	uint8_t *got = malloc(FILE_LEN), *want = make_data(FILE_LEN, 1), h1[32], h2[32];
	read_exact(cl.conn, got, FILE_LEN);
	sha256(got, FILE_LEN, h1);
	sha256(want, FILE_LEN, h2);
	ck_assert_mem_eq(h1, h2, 32);
	/* Back to the server, with updates of our own every 256 KiB. */
	uint8_t *back = make_data(BACK_LEN, 2);
	for (size_t off = 0; off < BACK_LEN; off += 256 << 10) {
		ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
		write_exact(cl.conn, back + off, 256 << 10);
	}
	uint8_t b;
	ck_assert_int_eq(ktls_read(cl.conn, &b, 1), 0); /* close_notify */
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_received, 7);
	ck_assert_uint_ge(st.key_updates_sent, 4 + 1); /* ours, and answers to requests */
	int status;
	waitpid(child, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status %d", status);
	printf("%s: 8 MiB sendfile with 7 key updates, 1 MiB back with %lu: byte-exact\n",
	       ktls_suite_name(suites[_i]), (unsigned long)st.key_updates_sent);
	free(got);
	free(want);
	free(back);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* Server for the splice test: tickets first (control records at the head
 * of the stream), then 4 MiB with a key update every 512 KiB, then the
 * client's 1 MiB back. */
static void splice_server(struct side *sv)
{
	uint8_t *data = make_data(4u << 20, 3), *want = make_data(1u << 20, 4);
	uint8_t *got = malloc(1u << 20);
	for (size_t off = 0; off < 4u << 20; off += 64 << 10) {
		if (off && off % (512 << 10) == 0 &&
		    ktls_key_update(sv->conn, (off >> 19) % 2 ? KTLS_KEY_UPDATE_REQUESTED
							      : KTLS_KEY_UPDATE_NOT_REQUESTED))
			_exit(90);
		for (size_t put = 0; put < 64 << 10;) {
			long n = ktls_write(sv->conn, data + off + put, (64 << 10) - put);
			if (n <= 0)
				_exit(91);
			put += (size_t)n;
		}
	}
	for (size_t have = 0; have < 1u << 20;) {
		long n = ktls_read(sv->conn, got + have, (1u << 20) - have);
		if (n <= 0)
			_exit(92);
		have += (size_t)n;
	}
	ktls_shutdown(sv->conn);
	_exit(memcmp(got, want, 1u << 20) ? 93 : 0);
}

START_TEST(splice_through_key_updates)
{
	struct side cl, sv;
	int pipefd[2];
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_tickets(sv.cfg, 2), 0);
	unsigned tickets = 0;
	ktls_config_set_ticket_cb(cl.cfg, count_ticket, &tickets);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid_t child = fork();
	if (child == 0) {
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		if (ktls_handshake(sv.conn) != 1)
			_exit(94);
		splice_server(&sv);
	}
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	uint8_t *got = malloc(4u << 20), *want = make_data(4u << 20, 3);
	size_t have = 0;
	while (have < 4u << 20) {
		long n = ktls_splice_read(cl.conn, pipefd[1], 64 << 10, 0);
		ck_assert_msg(n > 0, "splice_read: %ld (%s)", n, ktls_strerror((int)n));
		ck_assert_int_eq(ktls_read_full(pipefd[0], got + have, (size_t)n), 0);
		have += (size_t)n;
	}
	ck_assert_mem_eq(got, want, 4u << 20);
	ck_assert_uint_eq(tickets, 2);
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_received, 7);
	/* And back through a pipe with splice_write. */
	uint8_t *back = make_data(1u << 20, 4);
	for (size_t off = 0; off < 1u << 20; off += 64 << 10) {
		ck_assert_int_eq(ktls_write_all(pipefd[1], back + off, 64 << 10), 0);
		for (size_t put = 0; put < 64 << 10;) {
			long n = ktls_splice_write(cl.conn, pipefd[0], (64 << 10) - put, 0);
			ck_assert_int_gt(n, 0);
			put += (size_t)n;
		}
	}
	uint8_t b;
	ck_assert_int_eq(ktls_splice_read(cl.conn, pipefd[1], 1, 0), 0); /* close_notify */
	ck_assert_int_eq(ktls_read(cl.conn, &b, 1), 0);
	int status;
	waitpid(child, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status %d", status);
	free(got);
	free(want);
	free(back);
	close(pipefd[0]);
	close(pipefd[1]);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* kTLS's splice_read waits for a record unless given SPLICE_F_NONBLOCK,
 * whatever the socket's O_NONBLOCK (TCP's honours it): on a non-blocking
 * socket ktls_splice_read must say -EAGAIN at once, not wait. The receive
 * timeout bounds the wait the old code made. */
START_TEST(nonblocking_splice_read)
{
	struct side cl, sv;
	int pipefd[2];
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid_t child = fork();
	if (child == 0) {
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		uint8_t go;
		if (ktls_handshake(sv.conn) != 1 || ktls_read(sv.conn, &go, 1) != 1 ||
		    ktls_write(sv.conn, "late", 4) != 4)
			_exit(100);
		_exit(ktls_shutdown(sv.conn) ? 101 : 0);
	}
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn), KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX);
	struct timeval tv = {2, 0};
	ck_assert_int_eq(setsockopt(cl.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	int fl = fcntl(cl.fd, F_GETFL);
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, fl | O_NONBLOCK), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ktls_splice_read(cl.conn, pipefd[1], 16, 0), -EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	ck_assert_msg(waited < 1.0, "splice_read waited %.1f s on a non-blocking socket", waited);
	/* Blocking again, it waits for the data as before. */
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, fl), 0);
	tv.tv_sec = 0;
	ck_assert_int_eq(setsockopt(cl.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(ktls_write(cl.conn, "g", 1), 1);
	ck_assert_int_eq(ktls_splice_read(cl.conn, pipefd[1], 16, 0), 4);
	char got[4];
	ck_assert_int_eq(ktls_read_full(pipefd[0], got, 4), 0);
	ck_assert_mem_eq(got, "late", 4);
	ck_assert_int_eq(ktls_splice_read(cl.conn, pipefd[1], 16, 0), 0); /* close_notify */
	int status;
	waitpid(child, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status %d", status);
	close(pipefd[0]);
	close(pipefd[1]);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* The kernel layer's seam: TX key installs fail once armed. */
static int fail_tx_rekey;
static int seam_setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	if (fail_tx_rekey && level == KTLS_UAPI_SOL_TLS && opt == KTLS_UAPI_TLS_TX) {
		errno = EIO;
		return -1;
	}
	return setsockopt(fd, level, opt, val, len);
}

START_TEST(failed_tx_rekey_sends_nothing)
{
	/* Our KeyUpdate goes out, then the kernel refuses the next TX key: the
	 * connection fails at once, and nothing more is sent (the peer would
	 * read it under a key it no longer has). */
	struct side cl, sv;
	connect_pair(&cl, &sv, 0);
	pid_t child = fork();
	if (child == 0) {
		close(cl.fd); /* the end of the stream must reach us */
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		if (ktls_handshake(sv.conn) != 1)
			_exit(80);
		uint8_t buf[16];
		if (ktls_read(sv.conn, buf, sizeof(buf)) != 3)
			_exit(81);
		/* The KeyUpdate arrives, then the end: no data, no alert and
		 * no close_notify under the old key. */
		long n = ktls_read(sv.conn, buf, sizeof(buf));
		struct ktls_conn_stats st;
		ktls_conn_stats(sv.conn, &st);
		_exit(n == -KTLS_E_TRUNCATED && st.key_updates_received == 1 ? 0 : 82);
	}
	close(sv.fd);
	sv.fd = -1;
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn) & KTLS_OFFLOAD_TX, KTLS_OFFLOAD_TX);
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"one", 3), 3);
	ktls_sys.setsockopt = seam_setsockopt;
	fail_tx_rekey = 1;
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"two", 3), -EIO);
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"two", 3), -EIO);
	ck_assert_int_lt(ktls_shutdown(cl.conn), 0);
	fail_tx_rekey = 0;
	ktls_sys.setsockopt = setsockopt;
	close(cl.fd);
	cl.fd = -1;
	int status;
	waitpid(child, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "peer status %d", status);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

START_TEST(stock_fallback)
{
	/* Our side on the stock kernel; the peer keeps all its records in
	 * userspace and asks us for a key update. */
	struct side cl, sv;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_offload(sv.cfg, 0), 0);
	pid_t child = fork();
	if (child == 0) {
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		if (ktls_handshake(sv.conn) != 1 || ktls_conn_offload(sv.conn) != 0)
			_exit(70);
		if (ktls_write(sv.conn, (const uint8_t *)"before", 6) != 6 ||
		    ktls_key_update(sv.conn, KTLS_KEY_UPDATE_REQUESTED) ||
		    ktls_write(sv.conn, (const uint8_t *)"after", 5) != 5)
			_exit(71);
		uint8_t buf[16];
		long n = ktls_read(sv.conn, buf, sizeof(buf));
		if (n != 5 || memcmp(buf, "hello", 5))
			_exit(72);
		/* More data for the client, then its close_notify (a clean end,
		 * not a truncation), though our request went unanswered. */
		if (ktls_write(sv.conn, (const uint8_t *)"more", 4) != 4)
			_exit(73);
		_exit(ktls_read(sv.conn, buf, sizeof(buf)) == 0 ? 0 : 74);
	}
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn), KTLS_OFFLOAD_TX);
	/* Data before a write of ours: allowed, we have not been asked yet. */
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"hello", 5), 5);
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED),
			 -KTLS_E_REKEY_UNSUPPORTED);
	/* The peer's update is followed (RX is in userspace) ... */
	uint8_t buf[16];
	read_exact(cl.conn, buf, 6);
	ck_assert_mem_eq(buf, "before", 6);
	read_exact(cl.conn, buf, 5);
	ck_assert_mem_eq(buf, "after", 5);
	/* ... but it asked for ours, which this kernel cannot do: a clear
	 * error, not a corrupt stream. */
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"x", 1), -KTLS_E_REKEY_UNSUPPORTED);
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"x", 1), -KTLS_E_REKEY_UNSUPPORTED);
	/* Reads go on working, and close_notify still goes out. */
	read_exact(cl.conn, buf, 4);
	ck_assert_mem_eq(buf, "more", 4);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	int status;
	waitpid(child, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

START_TEST(stock_policy_in_userspace)
{
	/* A key-update policy on a kernel that cannot re-key: TX stays in
	 * userspace, and the policy's updates happen. */
	struct side cl, sv;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_key_update_policy(cl.cfg, 64 << 10, 0, 0), 0);
	pid_t child = fork();
	if (child == 0) {
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		if (ktls_handshake(sv.conn) != 1)
			_exit(70);
		static uint8_t buf[1 << 16];
		long n, total = 0;
		while ((n = ktls_read(sv.conn, buf, sizeof(buf))) > 0)
			total += n;
		struct ktls_conn_stats st;
		ktls_conn_stats(sv.conn, &st);
		_exit(n == 0 && total == 1 << 20 && st.key_updates_received == 15 ? 0 : 71);
	}
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn) & KTLS_OFFLOAD_TX, 0);
	uint8_t *data = calloc(1, 1 << 20);
	for (size_t off = 0; off < 1 << 20;) {
		long n = ktls_write(cl.conn, data + off, (1 << 20) - off);
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	/* 16 blocks of 64 KiB, an update between each two: 15 at the peer. */
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	int status;
	waitpid(child, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	free(data);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm-conn");
	TCase *tc = tcase_create("kernel");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, kernel_as_expected);
	if (expect_rekey()) {
		tcase_add_loop_test(tc, sendfile_with_key_updates, 0, 4);
		tcase_add_test(tc, splice_through_key_updates);
		tcase_add_test(tc, nonblocking_splice_read);
		tcase_add_test(tc, failed_tx_rekey_sends_nothing);
	} else {
		tcase_add_test(tc, stock_fallback);
		tcase_add_test(tc, stock_policy_in_userspace);
	}
	suite_add_tcase(s, tc);
	return run_suite(s);
}
