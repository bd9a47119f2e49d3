/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A GnuTLS peer on GnuTLS's own socket transport, the only one on which
 * GnuTLS turns kTLS on (its command-line tools set their own transport
 * functions, so they never do). Built by tests/vm/userland.sh against
 * sid's GnuTLS 3.8.13 and run there with sid's libc:
 *   gnutls_ktls_peer server PORT CERT KEY   echoes each record, "echo:" first
 *   gnutls_ktls_peer client PORT CA         sends one, updates its keys,
 *        sends two, updates both (GNUTLS_KU_PEER), sends three; checks
 *        every echo. Prints kTLS's state; exit 0 only if all came back.
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "gnutls_ktls_peer: %s: %s\n", what, gnutls_strerror(rc));
	exit(1);
}

static void handshake(gnutls_session_t s)
{
	int rc;
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		fail("handshake", rc);
	int k = gnutls_transport_is_ktls_enabled(s);
	printf("handshake ok, ktls %s%s\n", k & GNUTLS_KTLS_SEND ? "tx" : "-",
	       k & GNUTLS_KTLS_RECV ? "+rx" : "");
	fflush(stdout);
}

static ssize_t recv_rec(gnutls_session_t s, char *buf, size_t cap)
{
	ssize_t n;
	do
		n = gnutls_record_recv(s, buf, cap);
	while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	return n;
}

static void send_all(gnutls_session_t s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = gnutls_record_send(s, p, n);
		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w < 0)
			fail("send", (int)w);
		p += w;
		n -= (size_t)w;
	}
}

static int server(int port, const char *cert, const char *key)
{
	gnutls_certificate_credentials_t cred;
	gnutls_certificate_allocate_credentials(&cred);
	int rc = gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		fail("certificate", rc);
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1)) {
		perror("gnutls_ktls_peer: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	int fd = accept(ls, NULL, NULL);
	gnutls_session_t s;
	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(s, fd);
	handshake(s);
	char buf[4096], out[4200];
	for (;;) {
		ssize_t n = recv_rec(s, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0)
			fail("recv", (int)n);
		int m = snprintf(out, sizeof(out), "echo:%.*s", (int)n, buf);
		send_all(s, out, (size_t)m);
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
	printf("server done\n");
	gnutls_deinit(s);
	close(fd);
	gnutls_certificate_free_credentials(cred);
	return 0;
}

static void exchange(gnutls_session_t s, const char *line)
{
	char want[64], got[64];
	size_t have = 0, n = (size_t)snprintf(want, sizeof(want), "echo:%s", line);
	send_all(s, line, strlen(line));
	while (have < n) {
		ssize_t r = recv_rec(s, got + have, n - have);
		if (r <= 0)
			fail("recv echo", r ? (int)r : GNUTLS_E_PREMATURE_TERMINATION);
		have += (size_t)r;
	}
	if (memcmp(got, want, n)) {
		fprintf(stderr, "gnutls_ktls_peer: wrong echo for %s", line);
		exit(1);
	}
	printf("got: %s", got);
	fflush(stdout);
}

static int client(int port, const char *ca)
{
	gnutls_certificate_credentials_t cred;
	gnutls_certificate_allocate_credentials(&cred);
	if (gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM) <= 0)
		fail("trust file", GNUTLS_E_FILE_ERROR);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("gnutls_ktls_peer: connect");
		return 1;
	}
	gnutls_session_t s;
	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, "server.test", 11);
	gnutls_session_set_verify_cert(s, "server.test", 0);
	gnutls_transport_set_int(s, fd);
	handshake(s);
	exchange(s, "one\n");
	int rc = gnutls_session_key_update(s, 0);
	if (rc < 0)
		fail("key update", rc);
	printf("updated own keys\n");
	exchange(s, "two\n");
	rc = gnutls_session_key_update(s, GNUTLS_KU_PEER);
	if (rc < 0)
		fail("key update (peer too)", rc);
	printf("updated keys, peer asked too\n");
	exchange(s, "three\n");
	gnutls_bye(s, GNUTLS_SHUT_RDWR);
	printf("client done\n");
	gnutls_deinit(s);
	close(fd);
	gnutls_certificate_free_credentials(cred);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "client"))
		return client(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: gnutls_ktls_peer server PORT CERT KEY | client PORT CA\n");
	return 2;
}
