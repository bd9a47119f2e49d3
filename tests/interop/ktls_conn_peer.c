/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A ktls_conn client or server for key-update interop (run in the VM, so the
 * kernel carries the records). It echoes what it reads as "echo:<data>".
 * Received text containing "UPDATE" makes it schedule a key update of its
 * own (requested) first; "BYE" makes it close. The client starts by sending
 * "hello" after a key update of its own. At the end it prints its counters.
 *   ktls_conn_peer client IP PORT CA-FILE
 *   ktls_conn_peer server PORT CERT KEY
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/ktls.h"

/* Says so as soon as a peer's KeyUpdate has been taken in, so that the
 * test script can pace the peer's commands on evidence, not on sleeps. */
static void report_updates(struct ktls_conn *c, uint64_t *seen)
{
	struct ktls_conn_stats st;
	ktls_conn_stats(c, &st);
	while (*seen < st.key_updates_received)
		printf("key update received %llu\n", (unsigned long long)++*seen);
	fflush(stdout);
}

static int write_all(struct ktls_conn *c, int fd, const char *p, size_t len)
{
	while (len) {
		long w = ktls_write(c, p, len);
		if (w == -EAGAIN) {
			struct pollfd pw = {fd, POLLOUT, 0};
			poll(&pw, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Non-blocking, so that a KeyUpdate arriving alone is taken in (and
 * reported) at once instead of with the next data. */
static int echo_loop(struct ktls_conn *c, int fd)
{
	char buf[4096], out[4200];
	uint64_t seen = 0;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		long n = ktls_read(c, buf, sizeof(buf) - 1);
		report_updates(c, &seen);
		if (n == -EAGAIN) {
			struct pollfd pr = {fd, POLLIN, 0};
			poll(&pr, 1, 500);
			continue;
		}
		if (n == 0)
			return 0;
		if (n < 0) {
			printf("read error: %s\n", ktls_strerror((int)n));
			return 1;
		}
		buf[n] = 0;
		printf("got: %s%s", buf, buf[n - 1] == '\n' ? "" : "\n");
		fflush(stdout);
		if (strstr(buf, "UPDATE") && ktls_key_update(c, KTLS_KEY_UPDATE_REQUESTED))
			return 2;
		int m = snprintf(out, sizeof(out), "echo:%s", buf);
		if (write_all(c, fd, out, (size_t)m))
			return 3;
		if (strstr(buf, "BYE")) {
			while (ktls_shutdown(c) == -EAGAIN || ktls_flush(c) == -EAGAIN)
				poll(NULL, 0, 10);
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	int server = !strcmp(argv[1], "server"), fd;
	struct ktls_config *cfg = ktls_config_new(server ? KTLS_SERVER : KTLS_CLIENT);
	if (server) {
		if (ktls_config_add_cert_files(cfg, argv[3], argv[4]))
			return 2;
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(argv[2])),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 1))
			return 2;
		fd = accept(l, NULL, NULL);
		close(l);
	} else {
		if (ktls_config_set_ca_file(cfg, argv[4]))
			return 2;
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(argv[3]))};
		inet_pton(AF_INET, argv[2], &sa.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (void *)&sa, sizeof(sa)))
			return 2;
	}
	struct ktls_conn *c = ktls_conn_new(cfg, fd, server ? NULL : "server.test");
	int rc = ktls_handshake(c);
	if (rc != 1) {
		printf("handshake failed: %s\n", ktls_strerror(rc));
		return 1;
	}
	printf("handshake ok, offload %s%s\n", ktls_conn_offload(c) & KTLS_OFFLOAD_TX ? "tx" : "-",
	       ktls_conn_offload(c) & KTLS_OFFLOAD_RX ? "+rx" : "");
	fflush(stdout);
	if (!server) {
		ktls_key_update(c, KTLS_KEY_UPDATE_REQUESTED);
		if (ktls_write(c, "hello\n", 6) != 6)
			return 3;
	}
	rc = echo_loop(c, fd);
	struct ktls_conn_stats st;
	ktls_conn_stats(c, &st);
	printf("stats: key_updates_sent=%llu key_updates_received=%llu bytes_received=%llu\n",
	       (unsigned long long)st.key_updates_sent, (unsigned long long)st.key_updates_received,
	       (unsigned long long)st.bytes_received);
	ktls_conn_free(c);
	ktls_config_free(cfg);
	close(fd);
	return rc;
}
