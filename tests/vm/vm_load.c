/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load test of ktls-ctl serve: N connections at once from one epoll loop.
 * All of them complete their handshake before any asks for the file, so N
 * are open together; then all download it at once (the server updates its
 * keys by policy, every 8th client also requests updates), and every byte
 * is compared with the file. Reports the server's resident memory per
 * connection from its VmRSS before and its VmHWM after, and the kernel's
 * slab memory per connection (both ends' sockets: client and server run
 * here) once all are open; with KTLS_LOAD_MAX_RSS_KB set, fails if the
 * server's RSS per idle open connection is above it.
 *   vm_load HOST PORT CA FILE URLPATH N SERVER_PID
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../procfs.h"
#include "ktls/ktls.h"

enum { L_CONNECT, L_HANDSHAKE, L_READY, L_REQUEST, L_HEAD, L_BODY, L_DONE, L_FAILED };

struct lconn {
	int fd;
	struct ktls_conn *c;
	int st;
	size_t reqoff;
	char head[2048];
	size_t hlen;
	uint64_t body;
	bool requester;
};

static const uint8_t *want;
static size_t want_len;
static char request[256];
static size_t request_len;
static unsigned failed, done_count, ready_count;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The kernel's slab memory in use, in kB (root only; -1 if unreadable). */
static long slab_kb(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	unsigned long long total = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long active, num, size;
		if (line[0] != '#' &&
		    sscanf(line, "%127s %lu %lu %lu", name, &active, &num, &size) == 4)
			total += (unsigned long long)active * size;
	}
	fclose(f);
	return (long)(total / 1024);
}

static void lose(struct lconn *l, const char *why, long err)
{
	if (failed < 10)
		fprintf(stderr, "vm_load: connection %d: %s: %s\n", l->fd, why,
			err ? ktls_strerror((int)err) : "-");
	l->st = L_FAILED;
	failed++;
}

/* Drives one connection until it would block. */
static void step(struct lconn *l)
{
	for (;;) {
		long n;
		switch (l->st) {
		case L_CONNECT: {
			int e = 0;
			socklen_t sl = sizeof(e);
			getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &sl);
			if (e)
				return lose(l, "connect", -e);
			struct sockaddr_storage peer;
			sl = sizeof(peer);
			if (getpeername(l->fd, (struct sockaddr *)&peer, &sl))
				return; /* still connecting */
			l->st = L_HANDSHAKE;
			break;
		}
		case L_HANDSHAKE:
			n = ktls_handshake(l->c);
			if (n == -EAGAIN)
				return;
			if (n != 1)
				return lose(l, "handshake", n);
			l->st = L_READY;
			ready_count++;
			return;
		case L_READY:
			return; /* until every connection is up */
		case L_REQUEST:
			n = ktls_write(l->c, request + l->reqoff, request_len - l->reqoff);
			if (n == -EAGAIN)
				return;
			if (n <= 0)
				return lose(l, "request", n);
			l->reqoff += (size_t)n;
			if (l->reqoff == request_len)
				l->st = L_HEAD;
			break;
		case L_HEAD: {
			n = ktls_read(l->c, l->head + l->hlen, sizeof(l->head) - l->hlen);
			if (n == -EAGAIN)
				return;
			if (n <= 0)
				return lose(l, "response head", n);
			l->hlen += (size_t)n;
			char *end = memmem(l->head, l->hlen, "\r\n\r\n", 4);
			if (!end) {
				if (l->hlen == sizeof(l->head))
					return lose(l, "head too long", 0);
				break;
			}
			if (strncmp(l->head, "HTTP/1.1 200 ", 13))
				return lose(l, "status not 200", 0);
			size_t hl = (size_t)(end + 4 - l->head), extra = l->hlen - hl;
			if (extra > want_len || memcmp(end + 4, want, extra))
				return lose(l, "body differs", 0);
			l->body = extra;
			l->st = L_BODY;
			break;
		}
		case L_BODY: {
			static uint8_t buf[1 << 16];
			if (l->body == want_len) {
				ktls_shutdown(l->c);
				l->st = L_DONE;
				done_count++;
				return;
			}
			n = ktls_read(l->c, buf, sizeof(buf));
			if (n == -EAGAIN)
				return;
			if (n <= 0)
				return lose(l, "body", n);
			if (l->body + (uint64_t)n > want_len ||
			    memcmp(buf, want + l->body, (size_t)n))
				return lose(l, "body differs", 0);
			l->body += (uint64_t)n;
			/* Every 8th client asks for a key update half-way. */
			if (l->requester && l->body - (uint64_t)n < want_len / 2 &&
			    l->body >= want_len / 2) {
				ktls_key_update(l->c, KTLS_KEY_UPDATE_REQUESTED);
				ktls_handshake(l->c);
			}
			break;
		}
		default:
			return;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: vm_load HOST PORT CA FILE URLPATH N SERVER_PID\n");
		return 2;
	}
	const char *host = argv[1], *ca = argv[3];
	int port = atoi(argv[2]), n = atoi(argv[6]), spid = atoi(argv[7]);
	FILE *f = fopen(argv[4], "rb");
	static uint8_t filebuf[16 << 20];
	want_len = f ? fread(filebuf, 1, sizeof(filebuf), f) : 0;
	want = filebuf;
	if (f)
		fclose(f);
	if (!want_len || n <= 0) {
		fprintf(stderr, "vm_load: bad file or count\n");
		return 2;
	}
	request_len = (size_t)snprintf(request, sizeof(request),
				       "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
				       argv[5], host);
	struct rlimit rl = {(rlim_t)n + 64, (rlim_t)n + 64};
	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("vm_load: setrlimit");
	struct ktls_config *cfg = ktls_config_new(KTLS_CLIENT);
	if (ktls_config_set_ca_file(cfg, ca))
		return 2;
	long rss0 = proc_status_kb(spid, "VmRSS"), slab0 = slab_kb(), slab_ready = -1;
	struct lconn *ls = calloc((size_t)n, sizeof(*ls));
	int ep = epoll_create1(0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, host, &sa.sin_addr);
	double t0 = now();
	for (int i = 0; i < n; i++) {
		struct lconn *l = &ls[i];
		l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (l->fd < 0 ||
		    (connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)) {
			perror("vm_load: socket/connect");
			return 1;
		}
		l->c = ktls_conn_new(cfg, l->fd, host);
		l->requester = i % 8 == 0;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = l};
		epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev);
	}
	struct epoll_event evs[256];
	bool started = false;
	double t_ready = 0, deadline = t0 + 600;
	long rss_ready = -1;
	while (done_count + failed < (unsigned)n && now() < deadline) {
		if (!started && ready_count + failed == (unsigned)n) {
			/* Everyone is connected: all ask for the file together. */
			started = true;
			t_ready = now();
			/* Idle: what the server holds once it has settled (it
			 * gives back its free heap pages within a second of
			 * the last handshake). */
			usleep(1500 * 1000);
			rss_ready = proc_status_kb(spid, "VmRSS");
			slab_ready = slab_kb();
			printf("vm_load: %u connections open at once after %.1f s; server RSS %ld "
			       "kB "
			       "(was %ld kB)\n",
			       ready_count, t_ready - t0, rss_ready, rss0);
			for (int i = 0; i < n; i++)
				if (ls[i].st == L_READY) {
					ls[i].st = L_REQUEST;
					step(&ls[i]);
				}
		}
		int k = epoll_wait(ep, evs, 256, 1000);
		for (int i = 0; i < k; i++)
			step(evs[i].data.ptr);
	}
	double t1 = now();
	long hwm = proc_status_kb(spid, "VmHWM");
	uint64_t updates = 0, requested = 0;
	for (int i = 0; i < n; i++) {
		struct ktls_conn_stats st;
		if (ls[i].c) {
			ktls_conn_stats(ls[i].c, &st);
			updates += st.key_updates_received;
			requested += st.key_updates_sent;
		}
		ktls_conn_free(ls[i].c);
		close(ls[i].fd);
	}
	printf("vm_load: %u of %d downloads of %zu bytes byte-exact, %u failed, in %.1f s; "
	       "key updates received %llu, requested %llu\n",
	       done_count, n, want_len, failed, t1 - (started ? t_ready : t0),
	       (unsigned long long)updates, (unsigned long long)requested);
	double per = (double)(rss_ready - rss0) / n;
	if (rss0 > 0 && rss_ready > 0 && hwm > 0) {
		printf("vm_load: server memory: %.1f kB per open connection (RSS), peak %.1f kB "
		       "per connection while downloading (VmHWM)\n",
		       per, (double)(hwm - rss0) / n);
		/* For scripts/bench.sh's table. */
		printf("ROW|serve RSS per idle open kTLS connection (%d held, "
		       "VM)|%.1f|-|KiB|-|<=|6\n",
		       n, per);
	}
	if (slab0 > 0 && slab_ready > 0) {
		printf("vm_load: kernel slab: %.1f kB per connection, both ends' sockets\n",
		       (double)(slab_ready - slab0) / n);
		printf("ROW|kernel slab per kTLS connection, both ends (%d held, "
		       "VM)|%.1f|-|KiB|-|-|-"
		       "\n",
		       n, (double)(slab_ready - slab0) / n);
	}
	const char *max = getenv("KTLS_LOAD_MAX_RSS_KB");
	bool rss_ok = !max || (rss_ready > 0 && per <= atof(max));
	if (!rss_ok)
		printf("vm_load: FAIL: %.1f kB per idle connection, over the %s kB allowed\n", per,
		       max);
	free(ls);
	ktls_config_free(cfg);
	return done_count == (unsigned)n && !failed && updates >= (uint64_t)n && rss_ok ? 0 : 1;
}
