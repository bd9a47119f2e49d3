/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connections on the host, where the kernel has no kTLS: the userspace
 * record layer carries the data. KeyUpdate API semantics (SSL_key_update(3)),
 * transfers through many key updates from both sides, and bad input.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "conn/conn.h"
#include "conn/hs_io.h"
#include "connpair.h"
#include "handshake/hs.h"
#include "record/record.h"

static void handshake_both(struct side *cl, struct side *sv, pid_t *child,
			   void (*server)(struct side *))
{
	*child = fork();
	if (*child == 0) {
		sv->conn = ktls_conn_new(sv->cfg, sv->fd, NULL);
		int rc = ktls_handshake(sv->conn);
		if (rc != 1)
			_exit(10);
		server(sv);
		_exit(0);
	}
	/* The server's socket is the child's alone: if the child dies, the
	 * client sees the connection close instead of waiting forever. */
	close(sv->fd);
	sv->fd = -1;
	cl->conn = ktls_conn_new(cl->cfg, cl->fd, "server.test");
	ck_assert_ptr_nonnull(cl->conn);
	ck_assert_int_eq(ktls_handshake(cl->conn), 1);
}

static int wait_child(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* The client's close_notify, the server's answer, its exit status 0. */
static void close_both(struct side *cl, struct side *sv, pid_t child)
{
	uint8_t b;
	ck_assert_int_eq(ktls_shutdown(cl->conn), 0);
	ck_assert_int_eq(ktls_read(cl->conn, &b, 1), 0);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(cl);
	side_free(sv);
}

/* Server: echo until close_notify, updating its own keys every 64 KiB
 * (requested, so the client must answer). */
static void echo_server(struct side *sv)
{
	static uint8_t buf[70000];
	size_t since = 0;
	for (;;) {
		long n = ktls_read(sv->conn, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0)
			_exit(20);
		since += (size_t)n;
		if (since >= 65536) {
			if (ktls_key_update(sv->conn, KTLS_KEY_UPDATE_REQUESTED))
				_exit(21);
			since = 0;
		}
		for (long off = 0; off < n;) {
			long w = ktls_write(sv->conn, buf + off, (size_t)(n - off));
			if (w <= 0)
				_exit(22);
			off += w;
		}
	}
	struct ktls_conn_stats st;
	ktls_conn_stats(sv->conn, &st);
	ktls_shutdown(sv->conn);
	/* Report through the exit status: at least 8 updates each way. */
	_exit(st.key_updates_sent >= 8 && st.key_updates_received >= 8 ? 0 : 23);
}

START_TEST(echo_through_key_updates)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0x1304};
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, suites[_i]);
	handshake_both(&cl, &sv, &child, echo_server);
	/* Here: whatever this kernel offers (none on the CI host; both
	 * directions in the VM with the patched module). */
	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	ck_assert_uint_eq(ktls_conn_offload(cl.conn), ki.tls ? 0
						      : ki.rekey == 1
							      ? KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX
							      : KTLS_OFFLOAD_TX);
	uint8_t *data = malloc(1 << 20), *back = malloc(1 << 20), h1[32], h2[32];
	for (size_t i = 0; i < 1 << 20; i++)
		data[i] = (uint8_t)(i * 7 + i / 4099);
	/* 1 MiB in 16 chunks; a key update of ours (alternating types)
	 * between chunks; the server's requested updates arrive meanwhile. */
	for (int k = 0; k < 16; k++) {
		const uint8_t *chunk = data + k * 65536;
		ck_assert_int_eq(ktls_key_update(cl.conn, k % 2 ? KTLS_KEY_UPDATE_REQUESTED
								: KTLS_KEY_UPDATE_NOT_REQUESTED),
				 0);
		write_exact(cl.conn, chunk, 65536);
		ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NONE);
		read_exact(cl.conn, back + k * 65536, 65536);
	}
	sha256(data, 1 << 20, h1);
	sha256(back, 1 << 20, h2);
	ck_assert_mem_eq(h1, h2, 32);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	uint8_t b;
	ck_assert_int_eq(ktls_read(cl.conn, &b, 1), 0); /* server's close_notify */
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_ge(st.key_updates_sent,
			  16); /* a request met by a pending update needs no other */
	ck_assert_uint_ge(st.key_updates_received, 16);
	ck_assert_uint_eq(st.bytes_sent, 1 << 20);
	ck_assert_uint_eq(st.bytes_received, 1 << 20);
	ck_assert_int_eq(wait_child(child), 0);
	free(data);
	free(back);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

static void idle_server(struct side *sv)
{
	uint8_t buf[64];
	long n = ktls_read(sv->conn, buf, sizeof(buf)); /* until close_notify */
	_exit(n == 0 ? 0 : 30);
}

START_TEST(key_update_api)
{
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	/* Before the handshake: an error, nothing scheduled. */
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_REQUESTED),
			 -KTLS_E_HANDSHAKE_NOT_DONE);
	ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NONE);
	ktls_conn_free(cl.conn);
	handshake_both(&cl, &sv, &child, idle_server);
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NONE), -EINVAL);
	ck_assert_int_eq(ktls_key_update(cl.conn, 2), -EINVAL);
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
	ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NOT_REQUESTED);
	/* REQUESTED wins over NOT_REQUESTED; the reverse does not downgrade. */
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_REQUESTED), 0);
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
	ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_REQUESTED);
	/* The handshake call performs it at once. */
	struct ktls_conn_stats st;
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NONE);
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_sent, 1);
	ck_assert_int_eq(ktls_renegotiate(cl.conn), -KTLS_E_RENEGOTIATION);
	ck_assert_int_eq(ktls_renegotiate_abbreviated(cl.conn), -KTLS_E_RENEGOTIATION);
	ck_assert_int_eq(ktls_renegotiate_pending(cl.conn), 0);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"x", 1), -EPIPE);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* A raw server: the handshake engine, then records sealed by hand, so the
 * client can be fed what a broken or hostile peer sends. */
static void raw_server(int fd, const struct ktls_config *cfg, const uint8_t *plain, size_t len,
		       uint8_t type, const uint8_t *after, size_t after_len)
{
	struct ktls_hs *hs = ktls_hs_new(cfg, NULL);
	static struct ktls_hs_io io;
	if (ktls_hs_io_run(hs, &io, fd) != 1)
		_exit(40);
	struct ktls_rec_dir rd, wr;
	ktls_hs_take_app_keys(hs, &rd, &wr);
	uint8_t rec[256];
	long n = ktls_rec_seal(&wr, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"hello", 5, 0, rec,
			       sizeof(rec));
	ktls_write_all(fd, rec, (size_t)n);
	n = ktls_rec_seal(&wr, type, plain, len, 0, rec, sizeof(rec));
	ktls_write_all(fd, rec, (size_t)n);
	if (after_len) {
		n = ktls_rec_seal(&wr, KTLS_CT_APPLICATION_DATA, after, after_len, 0, rec,
				  sizeof(rec));
		ktls_write_all(fd, rec, (size_t)n);
	}
	/* Wait for the client's alert or close, then report it as status. */
	n = recv(fd, rec, sizeof(rec), 0);
	uint8_t t;
	long m = n > 0 ? ktls_rec_open(&rd, rec, (size_t)n, rec, sizeof(rec), &t) : -1;
	_exit(m == 2 && t == KTLS_CT_ALERT ? rec[1] : 255);
}

START_TEST(bad_post_handshake_input)
{
	static const struct {
		uint8_t type;
		uint8_t msg[8];
		size_t len;
		int want, alert;
	} cases[] = {
		{KTLS_CT_HANDSHAKE,
		 {24, 0, 0, 1, 2},
		 5,
		 KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER),
		 KTLS_ALERT_ILLEGAL_PARAMETER}, /* KeyUpdate value 2 */
		{KTLS_CT_HANDSHAKE,
		 {24, 0, 0, 2, 0},
		 5,
		 KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
		 KTLS_ALERT_UNEXPECTED_MESSAGE}, /* unfinished, then data: not between fragments */
		{KTLS_CT_HANDSHAKE,
		 {24, 0, 0, 2, 0, 0},
		 6,
		 KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR),
		 KTLS_ALERT_DECODE_ERROR}, /* oversized KeyUpdate body */
		{KTLS_CT_HANDSHAKE,
		 {20, 0, 0, 0},
		 4,
		 KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
		 KTLS_ALERT_UNEXPECTED_MESSAGE}, /* Finished after the handshake */
		{KTLS_CT_ALERT,
		 {2, KTLS_ALERT_HANDSHAKE_FAILURE},
		 2,
		 -(KTLS_E_ALERT_RECEIVED + KTLS_ALERT_HANDSHAKE_FAILURE),
		 255}, /* alert mid-stream */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct side cl, sv;
		connect_pair(&cl, &sv, 0);
		pid_t child = fork();
		if (child == 0)
			raw_server(sv.fd, sv.cfg, cases[i].msg, cases[i].len, cases[i].type,
				   (const uint8_t *)"late", 4);
		cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
		ck_assert_int_eq(ktls_handshake(cl.conn), 1);
		/* Data delivered before the bad record is not lost. */
		uint8_t buf[16];
		ck_assert_int_eq(ktls_read(cl.conn, buf, sizeof(buf)), 5);
		ck_assert_mem_eq(buf, "hello", 5);
		long r = ktls_read(cl.conn, buf, sizeof(buf));
		ck_assert_msg(r == cases[i].want, "case %zu: %ld (%s)", i, r,
			      ktls_strerror((int)r));
		ck_assert_int_eq(ktls_read(cl.conn, buf, sizeof(buf)), cases[i].want); /* sticky */
		shutdown(cl.fd, SHUT_WR);
		ck_assert_int_eq(wait_child(child), cases[i].alert);
		side_free(&cl);
		side_free(&sv);
	}
}
END_TEST

static void sink_server(struct side *sv)
{
	static uint8_t buf[1 << 16];
	long n, total = 0;
	while ((n = ktls_read(sv->conn, buf, sizeof(buf))) > 0)
		total += n;
	struct ktls_conn_stats st;
	ktls_conn_stats(sv->conn, &st);
	/* The client's policy updated its keys at least 15 times in 1 MiB. */
	_exit(n == 0 && total == 1 << 20 && st.key_updates_received >= 15 ? 0 : 80);
}

START_TEST(key_update_policy)
{
	/* A policy of one update per 64 KiB: updates happen without any
	 * ktls_key_update call. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_key_update_policy(cl.cfg, 64 << 10, 0, 0), 0);
	handshake_both(&cl, &sv, &child, sink_server);
	uint8_t *data = calloc(1, 1 << 20);
	for (size_t off = 0; off < 1 << 20; off += 16384)
		write_exact(cl.conn, data + off, 16384);
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_ge(st.key_updates_sent, 15);
	ck_assert_uint_le(st.key_updates_sent, 16);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	ck_assert_int_eq(wait_child(child), 0);
	free(data);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

START_TEST(key_update_policy_exact)
{
	/* A byte policy is kept exactly: no send crosses a 40000-byte
	 * boundary, whatever size the caller asks for. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_key_update_policy(cl.cfg, 40000, 0, 0), 0);
	handshake_both(&cl, &sv, &child, sink_server);
	uint8_t *data = calloc(1, 1 << 20);
	size_t total = 0;
	while (total < 1 << 20) {
		long n = ktls_write(cl.conn, data + total, (1 << 20) - total);
		ck_assert_int_gt(n, 0);
		ck_assert_uint_le(total % 40000 + (size_t)n, 40000);
		total += (size_t)n;
	}
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_sent, (1 << 20) / 40000);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	ck_assert_int_eq(wait_child(child), 0);
	free(data);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

static void slow_server(struct side *sv)
{
	/* Quiet for a while, then 100 KiB, then read it back. */
	usleep(300 * 1000);
	static uint8_t buf[100 << 10];
	memset(buf, 0x5a, sizeof(buf));
	for (size_t off = 0; off < sizeof(buf);) {
		long n = ktls_write(sv->conn, buf + off, sizeof(buf) - off);
		if (n <= 0)
			_exit(60);
		off += (size_t)n;
	}
	size_t have = 0;
	while (have < sizeof(buf)) {
		long n = ktls_read(sv->conn, buf, sizeof(buf));
		if (n <= 0)
			_exit(61);
		have += (size_t)n;
	}
	struct ktls_conn_stats st;
	ktls_conn_stats(sv->conn, &st);
	_exit(st.key_updates_received == 1 ? 0 : 62);
}

START_TEST(non_blocking)
{
	struct side cl, sv;
	connect_pair(&cl, &sv, 0);
	pid_t child = fork();
	if (child == 0) {
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		if (ktls_handshake(sv.conn) != 1)
			_exit(63);
		slow_server(&sv);
	}
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, O_NONBLOCK), 0);
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	struct pollfd p = {cl.fd, POLLIN, 0};
	int rc, spins = 0;
	while ((rc = ktls_handshake(cl.conn)) == -EAGAIN && spins++ < 100)
		ck_assert_int_ge(poll(&p, 1, 2000), 0);
	ck_assert_int_eq(rc, 1);
	/* Nothing to read yet: -EAGAIN, and a scheduled update still goes out. */
	uint8_t buf[100 << 10];
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
	ck_assert_int_eq(ktls_read(cl.conn, buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NONE);
	read_exact_polled(cl.conn, cl.fd, buf, sizeof(buf));
	struct pollfd w = {cl.fd, POLLOUT, 0};
	for (size_t off = 0; off < sizeof(buf);) {
		long n = ktls_write(cl.conn, buf + off, sizeof(buf) - off);
		if (n == -EAGAIN) {
			ck_assert_int_ge(poll(&w, 1, 2000), 0);
			continue;
		}
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	/* Drain a userspace tail, if any, before the peer reads it all. */
	while (ktls_shutdown(cl.conn) == -EAGAIN)
		poll(&w, 1, 2000);
	while (ktls_flush(cl.conn) == -EAGAIN)
		poll(&w, 1, 2000);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

static uint8_t pattern_at(uint64_t i)
{
	return (uint8_t)(i * 7 % 251);
}

static void pattern_writer(struct side *sv)
{
	static uint8_t buf[256 << 10];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern_at(i);
	for (size_t off = 0; off < sizeof(buf);) {
		long n = ktls_write(sv->conn, buf + off, sizeof(buf) - off);
		if (n <= 0)
			_exit(91);
		off += (size_t)n;
	}
	uint8_t b;
	_exit(ktls_read(sv->conn, &b, 1) == 0 ? 0 : 92);
}

/* Server: echoes what it reads, until close_notify. */
static void plain_echo_server(struct side *sv)
{
	uint8_t buf[4096];
	long n;
	while ((n = ktls_read(sv->conn, buf, sizeof(buf))) > 0)
		if (ktls_write(sv->conn, buf, (size_t)n) != n)
			_exit(30);
	_exit(n == 0 && ktls_shutdown(sv->conn) == 0 ? 0 : 31);
}

START_TEST(idle_holds_no_buffers)
{
	/* Memory per connection: once established, the engine keeps only
	 * what ktls_conn_hs() answers, and the userspace record buffers live
	 * only while a record is being read. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	handshake_both(&cl, &sv, &child, plain_echo_server);
	/* Trimmed: the allocation ends at KTLS_HS_KEPT (ASan catches any
	 * use of what was behind it). */
	const struct ktls_hs *hs = ktls_conn_hs(cl.conn);
	ck_assert(hs->trimmed);
	ck_assert_uint_lt(malloc_usable_size((void *)hs), sizeof(struct ktls_hs) / 2);
	ck_assert_uint_eq(ktls_hs_suite(hs), KTLS_TLS_AES_128_GCM_SHA256);
	ck_assert_ptr_null(ktls_hs_peer_cert(hs)); /* not asked for */
	ck_assert_str_eq(ktls_hs_server_name(hs), "server.test");
	uint8_t msg[100], back[100];
	memset(msg, 0x42, sizeof(msg));
	write_exact(cl.conn, msg, sizeof(msg));
	read_exact(cl.conn, back, 10);
	if (!(ktls_conn_offload(cl.conn) & KTLS_OFFLOAD_RX))
		ck_assert_ptr_nonnull(cl.conn->plain); /* 90 bytes still held */
	read_exact(cl.conn, back + 10, sizeof(back) - 10);
	ck_assert_mem_eq(msg, back, sizeof(msg));
	ck_assert_ptr_null(cl.conn->plain);
	ck_assert_ptr_null(cl.conn->rbuf);
	ck_assert_ptr_null(cl.conn->obuf);
	/* The exporter still answers from the connection. */
	uint8_t ekm[32];
	ck_assert_int_eq(ktls_export_keying_material(cl.conn, ekm, sizeof(ekm), "x", 1, NULL, 0, 0),
			 0);
	close_both(&cl, &sv, child);
}
END_TEST

START_TEST(idle_parks_cipher_contexts)
{
	/* A read that finds nothing (-EAGAIN: an event loop parks the
	 * connection) gives the userspace cipher contexts back, a kilobyte a
	 * direction; the next records rebuild them, through key updates too. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	handshake_both(&cl, &sv, &child, plain_echo_server);
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, O_NONBLOCK), 0);
	unsigned off = ktls_conn_offload(cl.conn);
	for (int round = 0; round < 6; round++) {
		uint8_t b;
		ck_assert_int_eq(ktls_read(cl.conn, &b, 1), -EAGAIN);
		if (!(off & KTLS_OFFLOAD_RX))
			ck_assert_ptr_null(cl.conn->rd.ctx);
		if (!(off & KTLS_OFFLOAD_TX))
			ck_assert_ptr_null(cl.conn->wr.ctx);
		if (round % 2)
			ck_assert_int_eq(
				ktls_key_update(cl.conn, round % 4 == 1
								 ? KTLS_KEY_UPDATE_REQUESTED
								 : KTLS_KEY_UPDATE_NOT_REQUESTED),
				0);
		uint8_t msg[300], back[300];
		memset(msg, 'a' + round, sizeof(msg));
		write_exact(cl.conn, msg, sizeof(msg));
		read_exact_polled(cl.conn, cl.fd, back, sizeof(back));
		ck_assert_mem_eq(msg, back, sizeof(msg));
	}
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_sent, 3);
	ck_assert_uint_ge(st.key_updates_received, 1); /* the requested ones' answers */
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, 0), 0);
	close_both(&cl, &sv, child);
}
END_TEST

/* Wall time of one 100-byte echo, with a KeyUpdate before it or not. */
static double echo_ms(struct ktls_conn *c, bool update)
{
	uint8_t msg[100], back[100];
	memset(msg, 'k', sizeof(msg));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (update)
		ck_assert_int_eq(ktls_key_update(c, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
	write_exact(c, msg, sizeof(msg));
	read_exact(c, back, sizeof(back));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_mem_eq(msg, back, sizeof(msg));
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

START_TEST(key_update_not_held_by_nagle)
{
	/* Without TCP_NODELAY, the data record sent right after a KeyUpdate
	 * must not wait for the peer's (delayed, 40 ms) ACK of the KeyUpdate:
	 * the two go out together. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	handshake_both(&cl, &sv, &child, plain_echo_server);
	int nodelay = 1;
	socklen_t sl = sizeof(nodelay);
	ck_assert_int_eq(getsockopt(cl.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &sl), 0);
	ck_assert_int_eq(nodelay, 0);
	enum { ROUNDS = 15 };
	double plain[ROUNDS], upd[ROUNDS];
	for (int i = 0; i < ROUNDS; i++) { /* interleaved */
		plain[i] = echo_ms(cl.conn, false);
		upd[i] = echo_ms(cl.conn, true);
	}
	qsort(plain, ROUNDS, sizeof(double), cmp_double);
	qsort(upd, ROUNDS, sizeof(double), cmp_double);
	double limit = 5 * plain[ROUNDS / 2] > 10 ? 5 * plain[ROUNDS / 2] : 10;
	ck_assert_msg(upd[ROUNDS / 2] < limit,
		      "echo after a KeyUpdate: median %.2f ms, without %.2f ms", upd[ROUNDS / 2],
		      plain[ROUNDS / 2]);
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_sent, ROUNDS);
	close_both(&cl, &sv, child);
}
END_TEST

START_TEST(keep_peer_cert)
{
	/* Asked for, the certificate stays with the established connection. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_keep_peer_cert(cl.cfg, 1), 0);
	handshake_both(&cl, &sv, &child, plain_echo_server);
	X509 *x = ktls_hs_peer_cert(ktls_conn_hs(cl.conn));
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_check_host(x, "server.test", 0, 0, NULL), 1);
	close_both(&cl, &sv, child);
}
END_TEST

START_TEST(small_then_large_reads)
{
	/* A small read may pull a whole record (or several) into the
	 * library; the large read after it must start with what is left of
	 * them, not with what comes next from the socket. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	handshake_both(&cl, &sv, &child, pattern_writer);
	usleep(200 * 1000); /* let several records queue up */
	static uint8_t buf[256 << 10];
	size_t have = 0;
	static const size_t sizes[] = {100, 65536, 7, 40000, 16384, 1};
	for (unsigned i = 0; have < sizeof(buf); i++) {
		size_t want = sizes[i % 6] < sizeof(buf) - have ? sizes[i % 6] : sizeof(buf) - have;
		long n = ktls_read(cl.conn, buf + have, want);
		ck_assert_int_gt(n, 0);
		have += (size_t)n;
	}
	size_t bad = 0;
	while (bad < sizeof(buf) && buf[bad] == pattern_at(bad))
		bad++;
	ck_assert_msg(bad == sizeof(buf), "first wrong byte at %zu", bad);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

static void requesting_server(struct side *sv)
{
	/* After our peer's close_notify: a KeyUpdate asking for an answer,
	 * then data, then our own close. */
	uint8_t b[4];
	if (ktls_read(sv->conn, b, sizeof(b)) != 0 ||
	    ktls_key_update(sv->conn, KTLS_KEY_UPDATE_REQUESTED) ||
	    ktls_write(sv->conn, (const uint8_t *)"x", 1) != 1 || ktls_shutdown(sv->conn))
		_exit(90);
	_exit(0);
}

START_TEST(key_update_request_after_shutdown)
{
	/* Once we sent close_notify nothing may follow, not even the answer to
	 * a peer's update_requested; reading on must still work. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	handshake_both(&cl, &sv, &child, requesting_server);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	ck_assert_int_eq(shutdown(cl.fd, SHUT_WR), 0);
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), -KTLS_E_CLOSED);
	uint8_t b[4];
	ck_assert_int_eq(ktls_read(cl.conn, b, sizeof(b)), 1);
	ck_assert_int_eq(b[0], 'x');
	ck_assert_int_eq(ktls_read(cl.conn, b, sizeof(b)), 0);
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_received, 1);
	ck_assert_uint_eq(st.key_updates_sent, 0);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

START_TEST(peer_half_closed_before_install)
{
	/* A client that sends its request and then FIN right after its
	 * handshake can leave the server's socket in CLOSE_WAIT before the
	 * server installs its keys: the kernel then refuses the TLS ULP, and
	 * the server must carry on in userspace rather than fail. */
	struct side cl, sv;
	connect_pair(&cl, &sv, 0);
	pid_t child = fork();
	if (child == 0) {
		close(cl.fd);
		fcntl(sv.fd, F_SETFL, O_NONBLOCK);
		sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
		int rc;
		while ((rc = ktls_handshake(sv.conn)) == -EAGAIN) {
			usleep(300 * 1000); /* the client finishes and half-closes */
			struct pollfd p = {sv.fd, POLLIN, 0};
			poll(&p, 1, 2000);
		}
		uint8_t b[8];
		long n = 0;
		for (int i = 0; i < 100 && (n = ktls_read(sv.conn, b, sizeof(b))) == -EAGAIN; i++)
			usleep(10000);
		if (rc != 1 || n != 4 || memcmp(b, "ping", 4) || ktls_read(sv.conn, b, 8) != 0)
			_exit(93);
		while ((n = ktls_write(sv.conn, (const uint8_t *)"pong", 4)) == -EAGAIN)
			usleep(10000);
		while (ktls_shutdown(sv.conn) == -EAGAIN || ktls_flush(sv.conn) == -EAGAIN)
			usleep(10000);
		_exit(n == 4 ? 0 : 94);
	}
	close(sv.fd);
	sv.fd = -1;
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_int_eq(ktls_write(cl.conn, (const uint8_t *)"ping", 4), 4);
	ck_assert_int_eq(ktls_shutdown(cl.conn), 0);
	ck_assert_int_eq(shutdown(cl.fd, SHUT_WR), 0);
	uint8_t b[8];
	read_exact(cl.conn, b, 4);
	ck_assert_mem_eq(b, "pong", 4);
	ck_assert_int_eq(ktls_read(cl.conn, b, sizeof(b)), 0);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

static void pattern_server(struct side *sv)
{
	/* Late to read, so that the client's socket fills up. */
	usleep(300 * 1000);
	static uint8_t buf[1 << 16];
	uint64_t total = 0;
	long n;
	while ((n = ktls_read(sv->conn, buf, sizeof(buf))) > 0)
		for (long i = 0; i < n; i++, total++)
			if (buf[i] != pattern_at(total))
				_exit(81);
	struct ktls_conn_stats st;
	ktls_conn_stats(sv->conn, &st);
	_exit(n == 0 && st.key_updates_received == 1 && total == st.bytes_received ? 0 : 82);
}

START_TEST(non_blocking_tail_then_key_update)
{
	/* Userspace TX on a full non-blocking socket keeps a record's unsent
	 * tail; a KeyUpdate (or close_notify) must wait for it, not be sealed
	 * and lost, which would leave a hole in the sequence numbers. */
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_offload(cl.cfg, 0), 0);
	handshake_both(&cl, &sv, &child, pattern_server);
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, O_NONBLOCK), 0);
	static uint8_t buf[1 << 14];
	uint64_t sent = 0;
	long n;
	for (int i = 0; i < 100000; i++) {
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = pattern_at(sent + j);
		n = ktls_write(cl.conn, buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		ck_assert_int_gt(n, 0);
		sent += (uint64_t)n;
	}
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
	struct pollfd w = {cl.fd, POLLOUT, 0};
	int rc, spins = 0;
	while ((rc = ktls_handshake(cl.conn)) == -EAGAIN && spins++ < 1000) {
		ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NOT_REQUESTED);
		poll(&w, 1, 2000);
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(ktls_get_key_update_type(cl.conn), KTLS_KEY_UPDATE_NONE);
	for (size_t j = 0; j < sizeof(buf); j++)
		buf[j] = pattern_at(sent + j);
	while ((n = ktls_write(cl.conn, buf, sizeof(buf))) == -EAGAIN)
		poll(&w, 1, 2000);
	ck_assert_int_gt(n, 0);
	while ((rc = ktls_shutdown(cl.conn)) == -EAGAIN)
		poll(&w, 1, 2000);
	ck_assert_int_eq(rc, 0);
	while ((rc = ktls_flush(cl.conn)) == -EAGAIN)
		poll(&w, 1, 2000);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

static void pattern_reader(struct side *sv)
{
	usleep(300 * 1000); /* late to read: the client's socket fills up */
	static uint8_t buf[1 << 16];
	uint64_t total = 0;
	long n;
	while ((n = ktls_read(sv->conn, buf, sizeof(buf))) > 0)
		for (long i = 0; i < n; i++, total++)
			if (buf[i] != pattern_at(total))
				_exit(83);
	_exit(n == 0 ? 0 : 84);
}

START_TEST(non_blocking_splice_write_tail)
{
	/* Userspace TX, socket full, a record's tail kept: splice_write must
	 * say -EAGAIN with the pipe untouched. It took the bytes from the
	 * pipe first and then failed to send them, losing them. */
	struct side cl, sv;
	pid_t child;
	int pipefd[2];
	connect_pair(&cl, &sv, 0);
	ck_assert_int_eq(ktls_config_set_offload(cl.cfg, 0), 0);
	handshake_both(&cl, &sv, &child, pattern_reader);
	ck_assert_int_eq(fcntl(cl.fd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	static uint8_t buf[1 << 14];
	uint64_t sent = 0;
	long n;
	for (int i = 0; i < 100000; i++) {
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = pattern_at(sent + j);
		n = ktls_write(cl.conn, buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		ck_assert_int_gt(n, 0);
		sent += (uint64_t)n;
	}
	ck_assert_int_eq(n, -EAGAIN);
	for (size_t j = 0; j < 4096; j++)
		buf[j] = pattern_at(sent + j);
	ck_assert_int_eq(ktls_write_all(pipefd[1], buf, 4096), 0);
	int queued = 0;
	ck_assert_int_eq(ktls_splice_write(cl.conn, pipefd[0], 4096, 0), -EAGAIN);
	ck_assert_int_eq(ioctl(pipefd[0], FIONREAD, &queued), 0);
	ck_assert_int_eq(queued, 4096);
	struct pollfd w = {cl.fd, POLLOUT, 0};
	for (int spins = 0; queued && spins < 1000; spins++) {
		n = ktls_splice_write(cl.conn, pipefd[0], (size_t)queued, 0);
		if (n == -EAGAIN) {
			poll(&w, 1, 2000);
			continue;
		}
		ck_assert_int_gt(n, 0);
		queued -= (int)n;
	}
	ck_assert_int_eq(queued, 0);
	int rc;
	while ((rc = ktls_shutdown(cl.conn)) == -EAGAIN)
		poll(&w, 1, 2000);
	ck_assert_int_eq(rc, 0);
	while ((rc = ktls_flush(cl.conn)) == -EAGAIN)
		poll(&w, 1, 2000);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(wait_child(child), 0);
	close(pipefd[0]);
	close(pipefd[1]);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* Concurrent writers: whole messages, each thread's in order, while a
 * fourth thread keeps scheduling key updates. */
#define WRITERS 3
#define MSGS	200
#define MSG_LEN 3000

static void check_server(struct side *sv)
{
	static uint8_t stream[WRITERS * MSGS * MSG_LEN];
	size_t have = 0;
	while (have < sizeof(stream)) {
		long n = ktls_read(sv->conn, stream + have, sizeof(stream) - have);
		if (n <= 0)
			_exit(70);
		have += (size_t)n;
	}
	uint32_t next[WRITERS] = {0};
	for (size_t m = 0; m < WRITERS * MSGS; m++) {
		const uint8_t *msg = stream + m * MSG_LEN;
		uint8_t t = msg[0];
		uint32_t seq = (uint32_t)msg[1] << 8 | msg[2];
		if (t >= WRITERS || seq != next[t]++)
			_exit(71);
		for (size_t i = 3; i < MSG_LEN; i++)
			if (msg[i] != (uint8_t)(t * 31 + seq + i))
				_exit(72);
	}
	struct ktls_conn_stats st;
	ktls_conn_stats(sv->conn, &st);
	_exit(st.key_updates_received >= 5 ? 0 : 73);
}

struct writer {
	struct ktls_conn *c;
	int id;
	int failures;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	uint8_t msg[MSG_LEN];
	for (uint32_t seq = 0; seq < MSGS; seq++) {
		msg[0] = (uint8_t)w->id;
		msg[1] = (uint8_t)(seq >> 8);
		msg[2] = (uint8_t)seq;
		for (size_t i = 3; i < MSG_LEN; i++)
			msg[i] = (uint8_t)(w->id * 31 + seq + i);
		if (ktls_write(w->c, msg, MSG_LEN) != MSG_LEN)
			w->failures++;
		usleep(300); /* let the key updates land between writes */
	}
	return NULL;
}

START_TEST(concurrent_writers)
{
	struct side cl, sv;
	pid_t child;
	connect_pair(&cl, &sv, 0);
	handshake_both(&cl, &sv, &child, check_server);
	pthread_t th[WRITERS];
	struct writer w[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){cl.conn, i, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer_thread, &w[i]), 0);
	}
	for (int k = 0; k < 20; k++) {
		ck_assert_int_eq(ktls_key_update(cl.conn, k % 2), 0);
		usleep(2000);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(ktls_handshake(cl.conn), 1); /* sends one still scheduled */
	ck_assert_int_eq(wait_child(child), 0);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* Reads one record from fd and opens it with rd. */
static long raw_record(int fd, struct ktls_rec_dir *rd, uint8_t *out, size_t cap, uint8_t *type)
{
	uint8_t rec[5 + 64];
	ck_assert_int_eq(ktls_read_full(fd, rec, 5), 0);
	size_t len = (size_t)rec[3] << 8 | rec[4];
	ck_assert_uint_le(len, 64);
	ck_assert_int_eq(ktls_read_full(fd, rec + 5, len), 0);
	return ktls_rec_open(rd, rec, 5 + len, out, cap, type);
}

START_TEST(aead_limit_forces_update)
{
	/* An AES-GCM key adopted 3 records short of the 2^24 limit: after
	 * three records, the next write goes out under a new key, preceded by
	 * a KeyUpdate, without being asked. ChaCha20 has no such limit. */
	const uint16_t suite = _i ? KTLS_TLS_CHACHA20_POLY1305_SHA256 : KTLS_TLS_AES_128_GCM_SHA256;
	const uint64_t start = (1ull << 24) - 3;
	int fds[2];
	uint8_t a[32], b[32], out[64], type;
	memset(a, 0x3c, 32);
	memset(b, 0x4d, 32);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	struct ktls_config *cfg = ktls_config_new(KTLS_CLIENT);
	struct ktls_conn *x = ktls_conn_adopt(cfg, fds[0], suite, a, start, b, 0);
	ck_assert_ptr_nonnull(x);
	struct ktls_rec_dir rd = {0};
	ck_assert_int_eq(ktls_rec_init(&rd, ktls_suite_get(suite), a, 0), 0);
	rd.seq = start;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ktls_write(x, (const uint8_t *)"old", 3), 3);
		ck_assert_int_eq(raw_record(fds[1], &rd, out, sizeof(out), &type), 3);
		ck_assert(type == KTLS_CT_APPLICATION_DATA && !memcmp(out, "old", 3));
	}
	ck_assert_int_eq(ktls_write(x, (const uint8_t *)"new", 3), 3);
	long n = raw_record(fds[1], &rd, out, sizeof(out), &type);
	struct ktls_conn_stats st;
	ktls_conn_stats(x, &st);
	if (suite == KTLS_TLS_CHACHA20_POLY1305_SHA256) {
		ck_assert_int_eq(n, 3);
		ck_assert_uint_eq(st.key_updates_sent, 0);
	} else {
		/* KeyUpdate(update_not_requested) at sequence 2^24, then the data
		 * under the next key from sequence 0. */
		ck_assert_int_eq(n, 5);
		ck_assert_int_eq(type, KTLS_CT_HANDSHAKE);
		ck_assert_mem_eq(out, "\x18\x00\x00\x01\x00", 5);
		ck_assert_int_eq(ktls_rec_update(&rd), 0);
		ck_assert_uint_eq(rd.seq, 0);
		ck_assert_int_eq(raw_record(fds[1], &rd, out, sizeof(out), &type), 3);
		ck_assert_mem_eq(out, "new", 3);
		ck_assert_uint_eq(st.key_updates_sent, 1);
	}
	ktls_rec_clear(&rd);
	ktls_conn_free(x);
	ktls_config_free(cfg);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(adopt_keys_from_another_stack)
{
	/* Two connections adopt each other's secrets: data and key updates
	 * flow as if they had done the handshake themselves. */
	int fds[2];
	uint8_t a[32], b[32], buf[8];
	memset(a, 0xa1, 32);
	memset(b, 0xb2, 32);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	struct ktls_config *cfg = ktls_config_new(KTLS_CLIENT);
	struct ktls_conn *x = ktls_conn_adopt(cfg, fds[0], 0x1301, a, 3, b, 5);
	struct ktls_conn *y = ktls_conn_adopt(cfg, fds[1], 0x1301, b, 5, a, 3);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	ck_assert_ptr_null(ktls_conn_adopt(cfg, fds[1], 0xc02f, a, 0, b, 0));
	ck_assert_int_eq(ktls_write(x, (const uint8_t *)"one", 3), 3);
	read_exact(y, buf, 3);
	ck_assert_int_eq(ktls_key_update(x, KTLS_KEY_UPDATE_REQUESTED), 0);
	ck_assert_int_eq(ktls_write(x, (const uint8_t *)"two", 3), 3);
	read_exact(y, buf, 3);
	ck_assert_mem_eq(buf, "two", 3);
	ck_assert_int_eq(ktls_write(y, (const uint8_t *)"three", 5), 5); /* answers first */
	read_exact(x, buf, 5);
	ck_assert_mem_eq(buf, "three", 5);
	struct ktls_conn_stats st;
	ktls_conn_stats(y, &st);
	ck_assert_uint_eq(st.key_updates_received, 1);
	ck_assert_uint_eq(st.key_updates_sent, 1);
	ktls_conn_free(x);
	ktls_conn_free(y);
	close(fds[0]);
	close(fds[1]);

	/* Against a plain record layer: the adopted sequence numbers must be
	 * the ones in use (in the VM, the kernel's). */
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	x = ktls_conn_adopt(cfg, fds[0], 0x1301, a, 1000, b, 2000);
	ck_assert_ptr_nonnull(x);
	struct ktls_rec_dir rd = {0}, wr = {0};
	ck_assert_int_eq(ktls_rec_init(&rd, ktls_suite_get(0x1301), a, 0), 0);
	ck_assert_int_eq(ktls_rec_init(&wr, ktls_suite_get(0x1301), b, 1), 0);
	rd.seq = 1000;
	wr.seq = 2000;
	ck_assert_int_eq(ktls_write(x, (const uint8_t *)"seq", 3), 3);
	uint8_t rec[64], type;
	ck_assert_int_eq(ktls_read_full(fds[1], rec, 5 + 3 + 1 + 16), 0);
	ck_assert_int_eq(ktls_rec_open(&rd, rec, 25, rec, sizeof(rec), &type), 3);
	ck_assert_mem_eq(rec, "seq", 3);
	long n = ktls_rec_seal(&wr, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"back", 4, 0, rec,
			       sizeof(rec));
	ck_assert_int_eq(ktls_write_all(fds[1], rec, (size_t)n), 0);
	read_exact(x, buf, 4);
	ck_assert_mem_eq(buf, "back", 4);
	ktls_rec_clear(&rd);
	ktls_rec_clear(&wr);
	ktls_conn_free(x);
	ktls_config_free(cfg);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("userspace");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, echo_through_key_updates, 0, 4);
	tcase_add_test(tc, key_update_api);
	tcase_add_test(tc, bad_post_handshake_input);
	tcase_add_test(tc, key_update_policy);
	tcase_add_test(tc, key_update_policy_exact);
	tcase_add_test(tc, non_blocking_tail_then_key_update);
	tcase_add_test(tc, non_blocking_splice_write_tail);
	tcase_add_test(tc, key_update_request_after_shutdown);
	tcase_add_test(tc, small_then_large_reads);
	tcase_add_test(tc, idle_holds_no_buffers);
	tcase_add_test(tc, idle_parks_cipher_contexts);
	tcase_add_test(tc, key_update_not_held_by_nagle);
	tcase_add_test(tc, keep_peer_cert);
	tcase_add_test(tc, peer_half_closed_before_install);
	tcase_add_test(tc, non_blocking);
	tcase_add_test(tc, concurrent_writers);
	tcase_add_test(tc, adopt_keys_from_another_stack);
	tcase_add_loop_test(tc, aead_limit_forces_update, 0, 2);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
