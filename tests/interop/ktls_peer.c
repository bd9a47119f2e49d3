/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TLS 1.3 client or server of this library over a real TCP socket, with
 * the userspace record layer after the handshake: what the interop tests
 * run against openssl and gnutls.
 *
 *   ktls_peer client HOST PORT [options]   send --send text, expect --expect
 *   ktls_peer server PORT [options]        reply "ktls:" + the first line
 *
 * Options: --suite HEX --group HEX --sigalg HEX (restrict to one)
 *          --ca FILE --cert FILE --key FILE (repeatable pair: SNI choice)
 *          --sni NAME --alpn a,b --verify none|peer|require --tickets N
 *          --sess-out FILE (the first session received) --sess-in FILE
 *          --psk-ke 1 (offer or accept psk_ke too) --accept N (server)
 *          --export LABEL:LENGTH (print the exporter's output)
 * Prints one "handshake ok ..." line (or the error) and the data it got.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn/hs_io.h"
#include "conn/posths.h"
#include "handshake/hs.h"
#include "kernel/socket.h"
#include "ktls/ktls.h"

static unsigned tickets_seen;
static struct ktls_hs *peer_hs; /* makes sessions of the tickets */

static const char *sess_out;	 /* the first session received goes here */
static const char *export_label; /* --export LABEL:LENGTH */
static size_t export_len;

static void on_ticket(void *arg, const uint8_t *t, size_t len, uint32_t lifetime)
{
	(void)arg, (void)lifetime;
	if (tickets_seen++ == 0 && sess_out) {
		FILE *f = fopen(sess_out, "wb");
		if (f) {
			fwrite(t, 1, len, f);
			fclose(f);
		}
	}
}

/* Reads one record from fd into buf (whole). 0 at EOF. */
static long read_rec(int fd, uint8_t *buf, size_t cap)
{
	size_t have = 0;
	for (;;) {
		long n = ktls_rec_frame(buf, have, KTLS_REC_MAX_CIPHER);
		if (n < 0)
			return n;
		if (n > 0)
			return n;
		size_t want = have < 5 ? 5 : 5 + ((size_t)buf[3] << 8 | buf[4]);
		if (want > cap)
			return -KTLS_E_RECORD_OVERFLOW;
		ssize_t r = recv(fd, buf + have, want - have, 0);
		if (r <= 0)
			return r == 0 ? 0 : -errno;
		have += (size_t)r;
	}
}

static int send_rec(int fd, struct ktls_rec_dir *wr, uint8_t type, const void *data, size_t len)
{
	uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
	long n = ktls_rec_seal(wr, type, data, len, 0, rec, sizeof(rec));
	return n < 0 ? (int)n : ktls_write_all(fd, rec, (size_t)n);
}

/* Receives application data until `until` appears or the peer closes. */
static int receive(int fd, struct ktls_rec_dir *rd, const struct ktls_config *cfg, char *got,
		   size_t cap, const char *until)
{
	static uint8_t rec[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER], plain[KTLS_REC_MAX_CIPHER];
	size_t len = 0;
	got[0] = 0;
	for (;;) {
		long n = read_rec(fd, rec, sizeof(rec));
		if (n <= 0)
			return n == 0 ? 0 : (int)n;
		uint8_t type;
		long m = ktls_rec_open(rd, rec, (size_t)n, plain, sizeof(plain), &type);
		if (m < 0)
			return (int)m;
		if (type == KTLS_CT_HANDSHAKE) {
			/* Post-handshake: the library hands tickets to our callback. */
			struct ktls_rd r = ktls_rd_make(plain, (size_t)m);
			while (ktls_rd_left(&r)) {
				int ku;
				const char *why;
				uint8_t t = ktls_rd_u8(&r);
				struct ktls_rd body = ktls_rd_block(&r, 3);
				if (!ktls_rd_ok(&r))
					return KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR);
				int err = ktls_post_handshake_message(
					cfg, peer_hs, t, body.p, ktls_rd_left(&body), &ku, &why);
				if (err)
					return err;
			}
			continue;
		}
		if (type == KTLS_CT_ALERT)
			return m == 2 && plain[1] == KTLS_ALERT_CLOSE_NOTIFY
				       ? 0
				       : -(KTLS_E_ALERT_RECEIVED + (m == 2 ? plain[1] : 0));
		size_t take = (size_t)m < cap - 1 - len ? (size_t)m : cap - 1 - len;
		memcpy(got + len, plain, take);
		len += take;
		got[len] = 0;
		if (until && strstr(got, until))
			return 0;
	}
}

static uint16_t hex(const char *s)
{
	return (uint16_t)strtoul(s, NULL, 16);
}

/* One connection on fd: handshake, then a line each way. 1 if it went as
 * expected. */
static int one_connection(struct ktls_config *cfg, int fd, int server, const char *sni,
			  const char *sess_in, const char *send_text, const char *expect)
{
	struct ktls_hs *hs = ktls_hs_new(cfg, server ? NULL : sni);
	peer_hs = hs;
	if (sess_in) {
		uint8_t blob[8192];
		FILE *f = fopen(sess_in, "rb");
		size_t n = f ? fread(blob, 1, sizeof(blob), f) : 0;
		if (f)
			fclose(f);
		int err = ktls_hs_set_session(hs, blob, n);
		if (err)
			printf("session not usable: %s\n", ktls_strerror(err));
	}
	static struct ktls_hs_io io;
	int rc = ktls_hs_io_run(hs, &io, fd);
	if (rc != 1) {
		printf("handshake failed: %s%s%s\n", ktls_strerror(rc),
		       *ktls_hs_error_detail(hs) ? ": " : "", ktls_hs_error_detail(hs));
		ktls_hs_free(hs);
		close(fd);
		return 0;
	}
	printf("handshake ok suite=%04x group=%04x sigalg=%04x alpn=%s hrr=%d resumed=%d sni=%s "
	       "peer_cert=%s\n",
	       ktls_hs_suite(hs), ktls_hs_group(hs), ktls_hs_sigalg(hs),
	       ktls_hs_alpn(hs) ? ktls_hs_alpn(hs) : "-", ktls_hs_did_hrr(hs), ktls_hs_resumed(hs),
	       ktls_hs_server_name(hs) ? ktls_hs_server_name(hs) : "-",
	       ktls_hs_peer_cert(hs) ? "yes" : "no");
	if (export_label && export_len <= 64) {
		uint8_t km[64];
		size_t label_len = (size_t)(strrchr(export_label, ':') - export_label);
		int err = ktls_hs_export_keying_material(hs, km, export_len, export_label,
							 label_len, NULL, 0, 0);
		printf("exporter: ");
		for (size_t i = 0; !err && i < export_len; i++)
			printf("%02X", km[i]);
		printf("%s\n", err ? ktls_strerror(err) : "");
	}
	struct ktls_rec_dir rd, wr;
	ktls_hs_take_app_keys(hs, &rd, &wr);
	char got[4096];
	int err;
	if (server) {
		err = receive(fd, &rd, cfg, got, sizeof(got), "\n");
		if (!err) {
			char reply[4200];
			int n = snprintf(reply, sizeof(reply), "ktls:%s", got);
			err = send_rec(fd, &wr, KTLS_CT_APPLICATION_DATA, reply, (size_t)n);
		}
	} else {
		err = send_rec(fd, &wr, KTLS_CT_APPLICATION_DATA, send_text, strlen(send_text));
		if (!err)
			err = receive(fd, &rd, cfg, got, sizeof(got), expect);
	}
	static const uint8_t close_notify[] = {1, 0};
	send_rec(fd, &wr, KTLS_CT_ALERT, close_notify, 2);
	printf("received: %s%s", got, got[0] && got[strlen(got) - 1] == '\n' ? "" : "\n");
	printf("tickets: %u\n", tickets_seen);
	if (err)
		printf("data error: %s\n", ktls_strerror(err));
	int ok = !err && (!expect || strstr(got, expect));
	ktls_rec_clear(&rd);
	ktls_rec_clear(&wr);
	ktls_hs_free(hs);
	close(fd);
	tickets_seen = 0;
	return ok;
}

int main(int argc, char **argv)
{
	/* Line by line: a run stopped by its timeout still shows how far it got. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return 2;
	int server = !strcmp(argv[1], "server");
	struct ktls_config *cfg = ktls_config_new(server ? KTLS_SERVER : KTLS_CLIENT);
	const char *host = server ? NULL : argv[2], *port = argv[server ? 2 : 3];
	const char *sni = host, *send_text = "hello from ktls\n", *expect = NULL, *cert = NULL;
	const char *sess_in = NULL;
	int accepts = 1;
	for (int i = server ? 3 : 4; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		uint16_t x = hex(v);
		int err = 0;
		if (!strcmp(o, "--suite"))
			err = ktls_config_set_suites(cfg, &x, 1);
		else if (!strcmp(o, "--group"))
			err = ktls_config_set_groups(cfg, &x, 1);
		else if (!strcmp(o, "--sigalg"))
			err = ktls_config_set_sigalgs(cfg, &x, 1);
		else if (!strcmp(o, "--ca"))
			err = ktls_config_set_ca_file(cfg, v);
		else if (!strcmp(o, "--cert"))
			cert = v;
		else if (!strcmp(o, "--key"))
			err = ktls_config_add_cert_files(cfg, cert, v);
		else if (!strcmp(o, "--sni"))
			sni = v;
		else if (!strcmp(o, "--send"))
			send_text = v;
		else if (!strcmp(o, "--expect"))
			expect = v;
		else if (!strcmp(o, "--export")) {
			export_label = v;
			const char *colon = strrchr(v, ':');
			export_len = colon ? (size_t)atoi(colon + 1) : 0;
		} else if (!strcmp(o, "--accept"))
			accepts = atoi(v);
		else if (!strcmp(o, "--sess-out"))
			sess_out = v;
		else if (!strcmp(o, "--sess-in"))
			sess_in = v;
		else if (!strcmp(o, "--psk-ke"))
			err = ktls_config_set_psk_modes(cfg, KTLS_PSK_DHE_KE | KTLS_PSK_KE);
		else if (!strcmp(o, "--tickets"))
			err = ktls_config_set_tickets(cfg, (unsigned)atoi(v));
		else if (!strcmp(o, "--verify"))
			err = ktls_config_set_verify(cfg, !strcmp(v, "none") ? KTLS_VERIFY_NONE
							  : !strcmp(v, "peer")
								  ? KTLS_VERIFY_PEER
								  : KTLS_VERIFY_REQUIRE);
		else if (!strcmp(o, "--alpn")) {
			char *list = strdup(v), *save = NULL;
			const char *protos[8];
			size_t n = 0;
			for (char *p = strtok_r(list, ",", &save); p && n < 8;
			     p = strtok_r(NULL, ",", &save))
				protos[n++] = p;
			err = ktls_config_set_alpn(cfg, protos, n);
			free(list);
		} else {
			fprintf(stderr, "ktls_peer: unknown option %s\n", o);
			return 2;
		}
		if (err) {
			fprintf(stderr, "ktls_peer: %s %s: %s\n", o, v, ktls_strerror(err));
			return 2;
		}
	}
	ktls_config_set_ticket_cb(cfg, on_ticket, NULL);

	int fd;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
	if (server) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(port)),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 1)) {
			perror("ktls_peer: listen");
			return 1;
		}
		printf("listening\n");
		fflush(stdout);
		int ok = 1;
		for (int k = 0; k < accepts; k++) {
			fd = accept(l, NULL, NULL);
			ok &= one_connection(cfg, fd, 1, NULL, NULL, send_text, expect);
			fflush(stdout);
		}
		close(l);
		ktls_config_free(cfg);
		return ok ? 0 : 1;
	} else {
		if (getaddrinfo(host, port, &hints, &ai)) {
			fprintf(stderr, "ktls_peer: cannot resolve %s\n", host);
			return 1;
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			perror("ktls_peer: connect");
			return 1;
		}
		freeaddrinfo(ai);
	}

	int ok = one_connection(cfg, fd, 0, sni, sess_in, send_text, expect);
	ktls_config_free(cfg);
	return ok ? 0 : 1;
}
