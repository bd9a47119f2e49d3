/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A one-shot HTTPS server giving a canned response, byte for byte, so that
 * ktls-ctl get can be shown what no well-behaved server sends: chunked
 * bodies, duplicate lengths, a body cut short with or without close_notify.
 *   http_peer CERT KEY RESPONSE-FILE notify|cut
 * Prints its port, serves one connection: reads the request head, sends the
 * file, then close_notify (notify) or just the TCP end (cut), and waits for
 * the client's end. Public API only.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/ktls.h"

static int fail(const char *what, long err)
{
	fprintf(stderr, "http_peer: %s: %s\n", what, err ? ktls_strerror((int)err) : "failed");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return fail("usage: http_peer CERT KEY RESPONSE-FILE notify|cut", 0);
	static char resp[1 << 16], req[8192];
	int f = open(argv[3], O_RDONLY);
	ssize_t rlen = f >= 0 ? read(f, resp, sizeof(resp)) : -1;
	if (rlen < 0)
		return fail(argv[3], 0);
	close(f);
	struct ktls_config *cfg = ktls_config_new(KTLS_SERVER);
	int err = cfg ? ktls_config_add_cert_files(cfg, argv[1], argv[2]) : -1;
	if (err)
		return fail("certificate", err);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &al))
		return fail("listen", 0);
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	int fd = accept(l, NULL, NULL);
	struct ktls_conn *c = fd >= 0 ? ktls_conn_new(cfg, fd, NULL) : NULL;
	if (!c)
		return fail("accept", 0);
	if ((err = ktls_handshake(c)) != 1)
		return fail("handshake", err);
	size_t have = 0;
	while (!memmem(req, have, "\r\n\r\n", 4)) {
		long n = have < sizeof(req) ? ktls_read(c, req + have, sizeof(req) - have) : -1;
		if (n <= 0)
			return fail("request", n);
		have += (size_t)n;
	}
	for (ssize_t off = 0; off < rlen;) {
		long n = ktls_write(c, resp + off, (size_t)(rlen - off));
		if (n <= 0)
			return fail("response", n);
		off += n;
	}
	if (!strcmp(argv[4], "notify"))
		ktls_shutdown(c);
	shutdown(fd, SHUT_WR);
	while (read(fd, req, sizeof(req)) > 0)
		; /* until the client's end: closing earlier could reset what we sent */
	ktls_conn_free(c);
	close(fd);
	close(l);
	ktls_config_free(cfg);
	return 0;
}
