/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: what comes after the handshake, on a connection, on
 * both RX paths. The harness holds the peer's application keys (fixed
 * secrets, the connection adopted with them) and seals the script's
 * post-handshake messages (NewSessionTicket, KeyUpdate, anything), alerts
 * and data into records, fragmented at will, moving to the next key after
 * each KeyUpdate of its own as a peer does:
 *   userspace path: records over a socketpair, read with ktls_read or
 *     ktls_splice_read (the library opens them);
 *   kernel path: the records' plaintext handed to ktls_conn_on_control as
 *     the kernel hands over decrypted control records (rx_kernel set, so
 *     the re-key calls run and fail on a socket without kTLS), or with
 *     rx_kernel clear (key updates succeed).
 * A client connection holds a finished handshake, so tickets become
 * sessions, each then offered to a new engine (ktls_hs_set_session).
 * Afterwards the connection writes and shuts down; everything it sent must
 * open under its keys, nothing may follow its close_notify, and no fatal
 * alert may go out once the peer's close_notify came.
 *
 * Input: opt0 script (kinds: 0 handshake message type || body, 1 record
 * type || content, 2 application data, 3 raw wire bytes).
 *   opt0 bit 0: server connection (tickets are unexpected)
 *        bits 1-2: path (0 ktls_read, 1 kernel, 2 on_control in userspace,
 *                  3 ktls_splice_read); bits 3-5: fragment size
 *        bits 6-7: suite (AES-128-GCM, AES-256-GCM, ChaCha20, AES-128-GCM)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn/conn.h"
#include "hspeer.h"
#include "kernel/socket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_config *ccfg, *scfg, *server_tickets;
static struct ktls_hs *done_client; /* a finished handshake: the resumption secret */
static const uint8_t peer_secret[KTLS_MAX_HASH] = {0x11, 0x12},
		     our_secret[KTLS_MAX_HASH] = {0x21, 0x22};
static const uint16_t suites[4] = {KTLS_TLS_AES_128_GCM_SHA256, KTLS_TLS_AES_256_GCM_SHA384,
				   KTLS_TLS_CHACHA20_POLY1305_SHA256, KTLS_TLS_AES_128_GCM_SHA256};

static unsigned long tickets_seen;

static void on_ticket(void *arg, const uint8_t *session, size_t len, uint32_t lifetime)
{
	(void)arg, (void)lifetime;
	tickets_seen++;
	struct ktls_hs *h = ktls_hs_new(ccfg, "server.test");
	(void)ktls_hs_set_session(h, session, len);
	size_t used;
	(void)ktls_hs_step(h, NULL, 0, &used); /* the ClientHello offering it */
	ktls_hs_free(h);
}

struct feed {
	struct ktls_conn *c;
	bool direct, stopped;
	struct ktls_rec_dir w; /* the peer's writer */
	struct ktls_buf wire;  /* userspace path: records to send */
	struct ktls_buf hs;    /* handshake bytes not yet in a record */
	size_t frag;
};

static void record(struct feed *f, uint8_t type, const uint8_t *p, size_t n)
{
	if (f->direct) {
		if (f->stopped || type == KTLS_CT_APPLICATION_DATA)
			return;
		/* As the kernel does: the plaintext of one record, and reading
		 * stops at close_notify or a failure. */
		f->stopped = ktls_conn_on_control(f->c, type, p, n) != 0;
		return;
	}
	size_t cap = ktls_rec_sealed_len(n, 0);
	uint8_t *dst = ktls_buf_reserve(&f->wire, cap);
	long r = dst ? ktls_rec_seal(&f->w, type, p, n, 0, dst, cap) : -1;
	if (r > 0)
		f->wire.len += (size_t)r;
}

static void flush(struct feed *f)
{
	struct ktls_rd r = ktls_rd_make(f->hs.base, f->hs.len);
	while (ktls_rd_left(&r)) {
		size_t n = ktls_rd_left(&r) < f->frag ? ktls_rd_left(&r) : f->frag;
		record(f, KTLS_CT_HANDSHAKE, ktls_rd_bytes(&r, n), n);
	}
	f->hs.len = 0;
}

static void script(struct feed *f, const uint8_t *p, size_t n)
{
	struct ktls_rd r = ktls_rd_make(p, n);
	while (ktls_rd_left(&r) >= 3) {
		uint8_t kind = ktls_rd_u8(&r);
		size_t len = ktls_rd_u16(&r);
		if (len > ktls_rd_left(&r))
			len = ktls_rd_left(&r);
		const uint8_t *d = ktls_rd_bytes(&r, len);
		switch (kind % 4) {
		case 0:
			if (!len)
				break;
			ktls_buf_u8(&f->hs, d[0]);
			ktls_buf_u24(&f->hs, (uint32_t)(len - 1));
			ktls_buf_put(&f->hs, d + 1, len - 1);
			if (d[0] == KTLS_HS_KEY_UPDATE) {
				/* Our own update: the next key after it. */
				flush(f);
				if (!f->direct)
					(void)ktls_rec_update(&f->w);
			}
			break;
		case 1:
			flush(f);
			if (len)
				record(f, d[0], d + 1, len - 1);
			break;
		case 2:
			flush(f);
			record(f, KTLS_CT_APPLICATION_DATA, d, len);
			break;
		case 3:
			flush(f);
			if (!f->direct)
				ktls_buf_put(&f->wire, d, len);
			break;
		}
	}
	flush(f);
}

/* What the connection sent: every record opens under its keys (following
 * its KeyUpdates), nothing after its close_notify, no fatal alert once the
 * peer had closed. */
static void check_output(int fd, const struct ktls_suite *s, bool peer_closed)
{
	struct ktls_buf in;
	ktls_buf_init(&in);
	uint8_t buf[4096];
	ssize_t got;
	while ((got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		ktls_buf_put(&in, buf, (size_t)got);
	struct ktls_rec_dir rd = {0};
	if (ktls_rec_init(&rd, s, our_secret, 0))
		abort();
	struct ktls_rd r = ktls_rd_make(in.base, in.len);
	bool closed = false;
	uint8_t *plain = malloc(KTLS_REC_MAX_CIPHER);
	while (ktls_rd_left(&r)) {
		long n = ktls_rec_frame(r.p, ktls_rd_left(&r), KTLS_REC_MAX_CIPHER);
		if (n <= 0)
			abort(); /* a cut record, or not a record */
		const uint8_t *rec = ktls_rd_bytes(&r, (size_t)n);
		uint8_t type;
		long pl = ktls_rec_open(&rd, rec, (size_t)n, plain, KTLS_REC_MAX_CIPHER, &type);
		if (pl < 0 || closed)
			abort(); /* unreadable, or after close_notify */
		if (type == KTLS_CT_ALERT && pl == 2 && plain[1] == KTLS_ALERT_CLOSE_NOTIFY)
			closed = true;
		else if (type == KTLS_CT_ALERT && peer_closed)
			abort(); /* an alert to a peer that had closed */
		if (type == KTLS_CT_HANDSHAKE && pl == 5 && plain[0] == KTLS_HS_KEY_UPDATE &&
		    ktls_rec_update(&rd))
			abort();
	}
	free(plain);
	ktls_rec_clear(&rd);
	ktls_buf_free(&in);
}

static void run(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	unsigned opt0 = data[0], path = opt0 >> 1 & 3;
	bool server = opt0 & 1;
	hsp_rand_reset(3);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	uint16_t suite = suites[opt0 >> 6];
	struct feed f = {.direct = path == 1 || path == 2, .frag = hsp_fragment(opt0 >> 3)};
	f.c = ktls_conn_adopt(server ? scfg : ccfg, sv[0], suite, our_secret, 0, peer_secret, 0);
	if (!f.c || ktls_rec_init(&f.w, ktls_suite_get(suite), peer_secret, 1))
		abort();
	f.c->hs = server ? NULL : done_client;
	f.c->rx_kernel = path == 1;
	ktls_buf_init(&f.wire);
	ktls_buf_init(&f.hs);
	script(&f, data + 1, size - 1);
	if (!f.direct) {
		/* All of it fits the socket's buffer: no reader runs meanwhile. */
		if (f.wire.len > 128 * 1024)
			f.wire.len = 128 * 1024;
		if (ktls_write_all(sv[1], f.wire.base, f.wire.len))
			abort();
		shutdown(sv[1], SHUT_WR);
		int pipefd[2] = {-1, -1};
		if (path == 3 && pipe2(pipefd, O_NONBLOCK))
			abort();
		uint8_t buf[KTLS_REC_MAX_PLAIN];
		for (int i = 0; i < 4096; i++) {
			long n = path == 3 ? ktls_splice_read(f.c, pipefd[1], sizeof(buf), 0)
					   : ktls_read(f.c, buf, sizeof(buf));
			if (path == 3 && n > 0 && read(pipefd[0], buf, sizeof(buf)) != n)
				abort(); /* what was said to be spliced is in the pipe */
			if (n <= 0)
				break;
		}
		if (pipefd[0] >= 0) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
	}
	f.c->rx_kernel = false; /* writes go through userspace: the socket has no kTLS */
	(void)ktls_write(f.c, "x", 1);
	(void)ktls_shutdown(f.c);
	check_output(sv[1], ktls_suite_get(suite), f.c->peer_closed);
	f.c->hs = NULL; /* shared across inputs */
	ktls_conn_free(f.c);
	ktls_rec_clear(&f.w);
	ktls_buf_free(&f.wire);
	ktls_buf_free(&f.hs);
	close(sv[0]);
	close(sv[1]);
}

/* One handshake to completion in memory; the server's first output
 * (tickets) goes to *tickets. */
static struct ktls_hs *handshake(struct ktls_buf *tickets)
{
	struct ktls_hs *c = ktls_hs_new(ccfg, "server.test"),
		       *s = ktls_hs_new(server_tickets, NULL);
	const uint8_t *out;
	size_t len, used;
	int rc = ktls_hs_step(c, NULL, 0, &used);
	for (int i = 0; i < 8 && rc == 0; i++) {
		ktls_hs_output(c, &out, &len);
		ktls_hs_step(s, out, len, &used);
		ktls_hs_output_sent(c, len);
		ktls_hs_output(s, &out, &len);
		rc = ktls_hs_step(c, out, len, &used);
		ktls_hs_output_sent(s, len);
	}
	ktls_hs_output(c, &out, &len);
	ktls_hs_step(s, out, len, &used);
	if (rc != 1 || s->state != HS_DONE)
		abort();
	/* The tickets, as plaintext messages: open the server's records. */
	ktls_hs_output(s, &out, &len);
	struct ktls_rd r = ktls_rd_make(out, len);
	struct ktls_rec_dir rd = {0};
	ktls_rec_init(&rd, s->suite, c->rd.secret, 0);
	rd.seq = c->rd.seq;
	uint8_t plain[KTLS_REC_MAX_CIPHER], type;
	while (ktls_rd_left(&r)) {
		long n = ktls_rec_frame(r.p, ktls_rd_left(&r), KTLS_REC_MAX_CIPHER);
		const uint8_t *rec = n > 0 ? ktls_rd_bytes(&r, (size_t)n) : NULL;
		long pl =
			rec ? ktls_rec_open(&rd, rec, (size_t)n, plain, sizeof(plain), &type) : -1;
		if (pl < 0)
			abort();
		ktls_buf_put(tickets, plain, (size_t)pl);
	}
	ktls_rec_clear(&rd);
	ktls_hs_free(s);
	return c;
}

static void seed(const char *dir, const char *name, uint8_t opt0, const struct ktls_buf *items)
{
	struct ktls_buf b;
	ktls_buf_init(&b);
	ktls_buf_u8(&b, opt0);
	ktls_buf_put(&b, items->base, items->len);
	hsp_write_seed(dir, name, &b);
	unsigned long t0 = tickets_seen;
	run(b.base, b.len);
	fprintf(stderr, "seed %s: %lu tickets\n", name, tickets_seen - t0);
	ktls_buf_free(&b);
}

static void seeds(const char *dir, const struct ktls_buf *tickets)
{
	mkdir(dir, 0755);
	struct ktls_buf b;
	ktls_buf_init(&b);
	static const uint8_t ku_req[] = {KTLS_HS_KEY_UPDATE, 1}, ku[] = {KTLS_HS_KEY_UPDATE, 0};
	static const uint8_t close_notify[] = {KTLS_CT_ALERT, 1, 0},
			     fatal[] = {KTLS_CT_ALERT, 2, 10};
	static const uint8_t cancel[] = {KTLS_CT_ALERT, 1, 90}, data[] = "hello";
	/* The server's real tickets, one message an item. */
	struct ktls_rd r = ktls_rd_make(tickets->base, tickets->len);
	while (ktls_rd_left(&r) >= 4) {
		const uint8_t *m = r.p;
		(void)ktls_rd_u8(&r);
		size_t len = ktls_rd_u24(&r);
		if (!ktls_rd_bytes(&r, len))
			break;
		hsp_item(&b, 0, m[0], m + 4, len);
	}
	struct ktls_buf t = b;
	static const char *paths[4] = {"read", "kernel", "direct", "splice"};
	for (unsigned p = 0; p < 4; p++) {
		char name[64];
		snprintf(name, sizeof(name), "tickets-%s", paths[p]);
		seed(dir, name, (uint8_t)(p << 1), &t);
	}
	ktls_buf_init(&b);
	hsp_item(&b, 0, ku_req[0], ku_req + 1, 1);
	hsp_item(&b, 2, data[0], data + 1, sizeof(data) - 2);
	hsp_item(&b, 0, ku[0], ku + 1, 1);
	hsp_item(&b, 1, close_notify[0], close_notify + 1, 2);
	for (unsigned p = 0; p < 4; p++) {
		char name[64];
		snprintf(name, sizeof(name), "keyupdates-%s", paths[p]);
		seed(dir, name, (uint8_t)(p << 1 | 0x40), &b);
		snprintf(name, sizeof(name), "keyupdates-frag1-server-%s", paths[p]);
		seed(dir, name, (uint8_t)(p << 1 | 1 << 3 | 1 | 0x80), &b);
	}
	b.len = 0;
	hsp_item(&b, 1, cancel[0], cancel + 1, 2);
	hsp_item(&b, 1, close_notify[0], close_notify + 1, 2);
	hsp_item(&b, 1, fatal[0], fatal + 1, 2);
	seed(dir, "cancel-close-read", 0, &b);
	seed(dir, "cancel-close-kernel", 2, &b);
	b.len = 0;
	hsp_item(&b, 1, fatal[0], fatal + 1, 2);
	seed(dir, "fatal-read", 0, &b);
	ktls_buf_free(&b);
	ktls_buf_free(&t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	hsp_init();
	hsp_rand_reset(4);
	ccfg = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_verify(ccfg, KTLS_VERIFY_NONE);
	ktls_config_set_offload(ccfg, 0);
	ktls_config_set_ticket_cb(ccfg, on_ticket, NULL);
	scfg = ktls_config_new(KTLS_SERVER);
	ktls_config_set_offload(scfg, 0);
	server_tickets = ktls_config_new(KTLS_SERVER);
	if (ktls_config_add_cert_files(server_tickets, hsp_cert_file("server-ecdsa256", "pem"),
				       hsp_cert_file("server-ecdsa256", "key")) ||
	    ktls_config_set_tickets(server_tickets, 2))
		abort();
	struct ktls_buf tickets;
	ktls_buf_init(&tickets);
	done_client = handshake(&tickets);
	const char *seed_dir = getenv("KTLS_FUZZ_SEEDS");
	if (seed_dir) {
		seeds(seed_dir, &tickets);
		exit(0);
	}
	ktls_buf_free(&tickets);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}
