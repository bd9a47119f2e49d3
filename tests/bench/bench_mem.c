/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory per established connection and the cost of a KeyUpdate, over
 * loopback TCP with the public API (on a host without kTLS the userspace
 * record layer carries the records).
 *   - Library heap held per connection, client and server apart: N pairs
 *     made, each with one short message both ways (so that record buffers
 *     have been used) and then idle (a read that finds nothing, as an
 *     event loop leaves a connection), then the client ends freed, then the server ends;
 *     what each freeing returns (glibc mallinfo2) over N is its share.
 *     The same with the application asking for the peer's certificate is
 *     counted apart.
 *   - KeyUpdate: a 1-byte message there and back with a KeyUpdate before
 *     it, against the same without; the cost is the difference.
 * Output: "ROW|name|ours|ref|unit|ratio|op|target" lines (bench.sh).
 *   bench_mem CERTDIR [connections] [rounds]
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/socket.h"
#include "ktls/ktls.h"

#define MAX_N	   1000
#define MAX_ROUNDS 31

static char certdir[512];
static const char *path(const char *f)
{
	static char buf[2][600];
	static int i;
	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", certdir, f);
	return buf[i];
}

static void die(const char *what, long err)
{
	fprintf(stderr, "bench_mem: %s: %s\n", what, err ? ktls_strerror((int)err) : "");
	exit(1);
}

/* CPU time of this thread (both ends run in it), its system calls in. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t heap(void)
{
	return mallinfo2().uordblks;
}

static void set_blocking(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

struct pair {
	struct ktls_conn *c, *s;
	int fds[2];
};

static void xfer(struct ktls_conn *from, struct ktls_conn *to, size_t len)
{
	uint8_t buf[256] = {0}, got[256];
	long n = ktls_write(from, buf, len);
	if (n != (long)len)
		die("write", n);
	size_t have = 0;
	while (have < len) {
		n = ktls_read(to, got + have, len - have);
		if (n <= 0)
			die("read", n);
		have += (size_t)n;
	}
}

static void open_pair(struct pair *p, struct ktls_config *cc, struct ktls_config *sc)
{
	if (ktls_loopback_pair(p->fds))
		die("loopback pair", 0);
	/* As servers do (ktls-ctl serve): Nagle would hold a record sent
	 * right after another (a KeyUpdate, then data) for the peer's ACK. */
	for (int i = 0; i < 2; i++) {
		int one = 1;
		setsockopt(p->fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_blocking(p->fds[i], 0);
	}
	p->c = ktls_conn_new(cc, p->fds[0], "server.test");
	p->s = ktls_conn_new(sc, p->fds[1], NULL);
	if (!p->c || !p->s)
		die("conn_new", 0);
	int rc = 0, rs = 0;
	for (int i = 0; i < 10000 && (rc != 1 || rs != 1); i++) {
		if (rc != 1 && (rc = ktls_handshake(p->c)) < 0 && rc != -EAGAIN)
			die("client handshake", rc);
		if (rs != 1 && (rs = ktls_handshake(p->s)) < 0 && rs != -EAGAIN)
			die("server handshake", rs);
	}
	if (rc != 1 || rs != 1)
		die("handshake did not finish", 0);
	set_blocking(p->fds[0], 1);
	set_blocking(p->fds[1], 1);
	xfer(p->c, p->s, 100);
	xfer(p->s, p->c, 100);
	/* Then idle, as an event loop leaves a connection: a read that finds
	 * nothing more (-EAGAIN). */
	for (int i = 0; i < 2; i++) {
		uint8_t b;
		set_blocking(p->fds[i], 0);
		long n = ktls_read(i ? p->s : p->c, &b, 1);
		if (n != -EAGAIN)
			die("idle read", n);
	}
}

static void close_pair_end(struct ktls_conn **c, int fd)
{
	ktls_conn_free(*c);
	*c = NULL;
	close(fd);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Where the records go: "kernel TX+RX", "kernel TX", "userspace". */
static const char *records_where(struct ktls_conn *c)
{
	unsigned o = ktls_conn_offload(c);
	return o == (KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX) ? "kTLS TX+RX"
	       : o == KTLS_OFFLOAD_TX			? "kTLS TX"
	       : o					? "kTLS RX"
							: "userspace records";
}
static const char *where;

/* Heap per client and per server connection (bytes), n pairs. */
static void measure_heap(struct ktls_config *cc, struct ktls_config *sc, int n, double *client,
			 double *server)
{
	static struct pair p[MAX_N];
	for (int i = 0; i < 4; i++) { /* warm libcrypto's one-time tables */
		open_pair(&p[i], cc, sc);
		close_pair_end(&p[i].c, p[i].fds[0]);
		close_pair_end(&p[i].s, p[i].fds[1]);
	}
	for (int i = 0; i < n; i++)
		open_pair(&p[i], cc, sc);
	where = records_where(p[0].c);
	size_t h1 = heap();
	for (int i = 0; i < n; i++)
		close_pair_end(&p[i].c, p[i].fds[0]);
	size_t h2 = heap();
	for (int i = 0; i < n; i++)
		close_pair_end(&p[i].s, p[i].fds[1]);
	size_t h3 = heap();
	*client = (double)(h1 - h2) / n;
	*server = (double)(h2 - h3) / n;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_mem CERTDIR [connections] [rounds]\n");
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	int n = argc > 2 ? atoi(argv[2]) : 200, rounds = argc > 3 ? atoi(argv[3]) : 7;
	if (n < 1 || n > MAX_N)
		n = 200;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 7;
	struct ktls_config *cc = ktls_config_new(KTLS_CLIENT), *sc = ktls_config_new(KTLS_SERVER);
	if (!cc || !sc || ktls_config_set_ca_file(cc, path("ca.pem")) ||
	    ktls_config_add_cert_files(sc, path("server-ecdsa256.pem"),
				       path("server-ecdsa256.key")))
		die("configs", 0);
	double client, server;
	measure_heap(cc, sc, n, &client, &server);
	printf("ROW|library heap per connection, client (%d held, %s)|%.0f|-|B|-|<=|2048\n", n,
	       where, client);
	printf("ROW|library heap per connection, server (%d held, %s)|%.0f|-|B|-|<=|2048\n", n,
	       where, server);
	fflush(stdout);

	/* KeyUpdate: the round trip with and without one before it. */
	struct pair p;
	open_pair(&p, cc, sc);
	enum { K = 200 };
	double with[MAX_ROUNDS], without[MAX_ROUNDS];
	for (int r = 0; r < rounds; r++) {
		double t = now();
		for (int i = 0; i < K; i++) {
			xfer(p.c, p.s, 1);
			xfer(p.s, p.c, 1);
		}
		without[r] = (now() - t) / K;
		t = now();
		for (int i = 0; i < K; i++) {
			int err = ktls_key_update(p.c, KTLS_KEY_UPDATE_REQUESTED);
			if (err)
				die("key update", err);
			xfer(p.c, p.s, 1);
			xfer(p.s, p.c, 1);
		}
		with[r] = (now() - t) / K;
	}
	struct ktls_conn_stats st;
	ktls_conn_stats(p.s, &st);
	if (st.key_updates_received != (uint64_t)K * rounds ||
	    st.key_updates_sent != st.key_updates_received)
		die("key updates not all received and answered", 0);
	double w = median(with, rounds) * 1e6, wo = median(without, rounds) * 1e6;
	printf("ROW|KeyUpdate cost (requested, both sides; %s) vs a 1-byte round trip|%.1f|%.1f|"
	       "us|%.3f|-|-\n",
	       records_where(p.c), w - wo, wo, (w - wo) / wo);
	close_pair_end(&p.c, p.fds[0]);
	close_pair_end(&p.s, p.fds[1]);
	ktls_config_free(cc);
	ktls_config_free(sc);
	return 0;
}
