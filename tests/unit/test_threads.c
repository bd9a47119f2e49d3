/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One reader and one writer thread per connection, both ends full duplex,
 * both asking for key updates while the socket buffers are full: no side
 * may wait for its write lock in the reader (that deadlocks once both
 * writers block in send()), and every byte arrives. Bounded in bytes and
 * time. Runs on the host and in the VM (kernel TX and RX).
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <time.h>

#include "conn/conn.h"
#include "connpair.h"

/* send(2) and sendmsg(2) (kernel TX's typed records) seen by the library:
 * one call can be made to record a peer's update request while it is under
 * way, as the reader thread would. */
static struct ktls_conn *_Atomic request_during_send;

static void during_send(void)
{
	struct ktls_conn *c = atomic_exchange(&request_during_send, NULL);
	if (c)
		c->ku_answer = true;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	if (!real)
		real = (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
	during_send();
	return real(fd, buf, len, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	if (!real)
		real = (ssize_t(*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");
	during_send();
	return real(fd, msg, flags);
}

#define TOTAL	 (6u << 20) /* each way */
#define CHUNK	 (24u << 10)
#define EVERY	 (256u << 10) /* a requested update this often */
#define DEADLINE 90	      /* seconds, well inside the test's timeout */

static uint8_t byte_at(unsigned seed, size_t i)
{
	return (uint8_t)(i * 2654435761u >> 13 ^ seed ^ i / 4099);
}

struct end {
	struct ktls_conn *conn;
	unsigned seed_out, seed_in;
	time_t deadline;
	long write_rc, read_rc; /* 0 when all was done */
	size_t written, verified;
};

static void *writer(void *arg)
{
	struct end *e = arg;
	static __thread uint8_t buf[CHUNK];
	size_t next_update = EVERY;
	e->write_rc = -1;
	while (e->written < TOTAL && time(NULL) < e->deadline) {
		if (e->written >= next_update) {
			if (ktls_key_update(e->conn, KTLS_KEY_UPDATE_REQUESTED))
				return NULL;
			next_update += EVERY;
		}
		size_t n = TOTAL - e->written < CHUNK ? TOTAL - e->written : CHUNK;
		for (size_t i = 0; i < n; i++)
			buf[i] = byte_at(e->seed_out, e->written + i);
		long w = ktls_write(e->conn, buf, n);
		if (w <= 0) {
			e->write_rc = w ? w : -1;
			return NULL;
		}
		e->written += (size_t)w;
	}
	e->write_rc = e->written == TOTAL ? 0 : -ETIMEDOUT;
	return NULL;
}

static void *reader(void *arg)
{
	struct end *e = arg;
	static __thread uint8_t buf[CHUNK];
	e->read_rc = -1;
	while (e->verified < TOTAL && time(NULL) < e->deadline) {
		long n = ktls_read(e->conn, buf, sizeof(buf));
		if (n <= 0) {
			e->read_rc = n ? n : -1;
			return NULL;
		}
		for (long i = 0; i < n; i++)
			if (buf[i] != byte_at(e->seed_in, e->verified + (size_t)i)) {
				e->read_rc = -EBADMSG;
				return NULL;
			}
		e->verified += (size_t)n;
	}
	e->read_rc = e->verified == TOTAL ? 0 : -ETIMEDOUT;
	return NULL;
}

static void *do_handshake(void *arg)
{
	return (void *)(long)ktls_handshake(arg);
}

static void small_buffers(int fd)
{
	int sz = 16 << 10, one = 1;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Both ends connected and through the handshake (the server in a thread). */
static void handshake_pair(struct side *cl, struct side *sv, bool small)
{
	connect_pair(cl, sv, 0);
	if (small) {
		small_buffers(cl->fd);
		small_buffers(sv->fd);
	}
	cl->conn = ktls_conn_new(cl->cfg, cl->fd, "server.test");
	sv->conn = ktls_conn_new(sv->cfg, sv->fd, NULL);
	pthread_t hs;
	pthread_create(&hs, NULL, do_handshake, sv->conn);
	ck_assert_int_eq(ktls_handshake(cl->conn), 1);
	void *rc;
	pthread_join(hs, &rc);
	ck_assert_int_eq((long)rc, 1);
}

START_TEST(duplex_with_key_updates)
{
	struct side cl, sv;
	handshake_pair(&cl, &sv, true);

	time_t deadline = time(NULL) + DEADLINE;
	struct end a = {cl.conn, 1, 2, deadline, 0, 0, 0, 0};
	struct end b = {sv.conn, 2, 1, deadline, 0, 0, 0, 0};
	pthread_t t[4];
	pthread_create(&t[0], NULL, writer, &a);
	pthread_create(&t[1], NULL, reader, &a);
	pthread_create(&t[2], NULL, writer, &b);
	pthread_create(&t[3], NULL, reader, &b);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_msg(a.write_rc == 0 && b.write_rc == 0, "writes: %ld (%zu), %ld (%zu)",
		      a.write_rc, a.written, b.write_rc, b.written);
	ck_assert_msg(a.read_rc == 0 && b.read_rc == 0, "reads: %ld (%zu), %ld (%zu)", a.read_rc,
		      a.verified, b.read_rc, b.verified);
	struct ktls_conn_stats sa, sb;
	ktls_conn_stats(cl.conn, &sa);
	ktls_conn_stats(sv.conn, &sb);
	/* Each side asked TOTAL / EVERY - 1 times; the other answered, or its
	 * own pending update served. */
	ck_assert_uint_ge(sa.key_updates_sent, TOTAL / EVERY - 1);
	ck_assert_uint_ge(sb.key_updates_sent, TOTAL / EVERY - 1);
	ck_assert_uint_eq(sa.bytes_received, TOTAL);
	ck_assert_uint_eq(sb.bytes_received, TOTAL);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

/* A peer's update_requested recorded while our answer to an earlier one
 * is being sent is owed an answer of its own (RFC 8446 4.6.3): the answer
 * flag is taken before the send, not cleared after it. */
START_TEST(request_during_answer)
{
	struct side cl, sv;
	handshake_pair(&cl, &sv, false);
	cl.conn->ku_answer = true; /* the peer asked */
	request_during_send = cl.conn;
	ck_assert_int_eq(ktls_write(cl.conn, "x", 1), 1);
	ck_assert_ptr_null(request_during_send);
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	ck_assert_uint_eq(st.key_updates_sent, 2);
	uint8_t b;
	read_exact(sv.conn, &b, 1);
	ck_assert_int_eq(b, 'x');
	ktls_conn_stats(sv.conn, &st);
	ck_assert_uint_eq(st.key_updates_received, 2);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("reader and writer");
	tcase_set_timeout(tc, DEADLINE + 60);
	tcase_add_test(tc, duplex_with_key_updates);
	tcase_add_test(tc, request_during_answer);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
