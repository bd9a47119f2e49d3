/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resumed handshakes (PSK with X25519, psk_dhe_ke; ECDSA P-256 server),
 * client and server in one process over memory, this library against
 * libssl, interleaved round by round. Each client offers the session of
 * the previous connection and takes the server's new ticket, as a client
 * that reconnects does (libssl's client offers a TLS 1.3 session once).
 * Handshakes per CPU second, medians.
 * Output: "ROW|name|ours|ref|unit|ratio|op|target" for scripts/bench.sh.
 *   bench_resume CERTDIR [rounds] [seconds-per-measurement]
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handshake/hs.h"

#define MAX_ROUNDS 31

static char certdir[512];

static const char *path(const char *f)
{
	static char p[2][700];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", certdir, f);
	return p[i];
}

static void die(const char *what)
{
	fprintf(stderr, "bench_resume: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- this library ---- */
static struct ktls_config *kc, *ks;
static struct ktls_buf session;

static void pump(struct ktls_hs *from, struct ktls_buf *to)
{
	const uint8_t *out;
	size_t len;
	ktls_hs_output(from, &out, &len);
	ktls_buf_put(to, out, len);
	ktls_hs_output_sent(from, len);
}

/* One handshake, offering the session we have (offer); the next session
 * from the server's ticket (opened with the client's read key, as its
 * connection would). */
static int ours_run(bool offer)
{
	struct ktls_hs *c = ktls_hs_new(kc, "server.test"), *s = ktls_hs_new(ks, NULL);
	struct ktls_buf a, b;
	ktls_buf_init(&a);
	ktls_buf_init(&b);
	int rc = 0, rs = 0, resumed = 0;
	size_t used;
	if (offer && ktls_hs_set_session(c, session.base, session.len))
		die("our session is not taken");
	for (int i = 0; i < 4 && (rc != 1 || rs != 1); i++) {
		rc = ktls_hs_step(c, b.base, b.len, &used);
		ktls_buf_consume(&b, used);
		pump(c, &a);
		rs = ktls_hs_step(s, a.base, a.len, &used);
		ktls_buf_consume(&a, used);
		pump(s, &b);
	}
	resumed = ktls_hs_resumed(c) && ktls_hs_resumed(s);
	session.len = 0;
	if (rc == 1 && rs == 1) {
		static uint8_t plain[KTLS_REC_MAX_CIPHER];
		uint8_t type;
		long rl = ktls_rec_frame(b.base, b.len, KTLS_REC_MAX_CIPHER);
		long n = rl > 0 ? ktls_rec_open(&c->rd, b.base, (size_t)rl, plain, sizeof(plain),
						&type)
				: -1;
		struct ktls_new_session_ticket t;
		const char *why;
		if (n < 4 || type != KTLS_CT_HANDSHAKE || plain[0] != KTLS_HS_NEW_SESSION_TICKET ||
		    ktls_new_session_ticket_decode(
			    &t, plain + 4, (size_t)plain[1] << 16 | plain[2] << 8 | plain[3],
			    &why) ||
		    ktls_hs_client_ticket(c, &t, &session))
			die("no session from our server's ticket");
	}
	ktls_buf_free(&a);
	ktls_buf_free(&b);
	ktls_hs_free(c);
	ktls_hs_free(s);
	return rc == 1 && rs == 1 && (!offer || resumed);
}

static int ours_once(void)
{
	return ours_run(true);
}

/* ---- libssl ---- */
static SSL_CTX *oc, *os;
static SSL_SESSION *osess;

static int ossl_run(bool offer)
{
	BIO *bc, *bs;
	BIO_new_bio_pair(&bc, 0, &bs, 0);
	SSL *c = SSL_new(oc), *s = SSL_new(os);
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_tlsext_host_name(c, "server.test");
	SSL_set1_host(c, "server.test");
	if (offer)
		SSL_set_session(c, osess);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	int rc = 0, rs = 0;
	for (int i = 0; i < 8 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
	}
	int ok = rc == 1 && rs == 1 && (!offer || (SSL_session_reused(c) && SSL_session_reused(s)));
	if (ok) {
		/* The tickets come after the handshake: a read takes them in. */
		char x;
		(void)SSL_read(c, &x, 1);
		SSL_SESSION_free(osess);
		osess = SSL_get1_session(c);
		ok = osess && SSL_SESSION_is_resumable(osess);
	}
	/* Ended as if shut down: libssl makes an unfinished connection's
	 * session unresumable when it is freed. */
	SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c);
	SSL_free(s);
	return ok;
}

static int ossl_once(void)
{
	return ossl_run(true);
}

static double rate(int (*once)(void), double secs)
{
	int n = 0;
	double t0 = cpu(), t;
	do {
		if (!once())
			die("a resumed handshake failed");
		n++;
	} while ((t = cpu() - t0) < secs);
	return n / t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: bench_resume CERTDIR [rounds] [seconds]");
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 0.5;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		die("rounds: 1..31");
	static const uint16_t suite = KTLS_TLS_AES_128_GCM_SHA256, group = KTLS_GROUP_X25519;
	kc = ktls_config_new(KTLS_CLIENT);
	ks = ktls_config_new(KTLS_SERVER);
	if (ktls_config_set_ca_file(kc, path("ca.pem")) || ktls_config_set_suites(kc, &suite, 1) ||
	    ktls_config_set_groups(kc, &group, 1) ||
	    ktls_config_add_cert_files(ks, path("server-ecdsa256.pem"),
				       path("server-ecdsa256.key")) ||
	    ktls_config_set_tickets(ks, 1))
		die("cannot set up our configs");
	oc = SSL_CTX_new(TLS_client_method());
	os = SSL_CTX_new(TLS_server_method());
	for (SSL_CTX *x = oc; x; x = x == oc ? os : NULL) {
		SSL_CTX_set_min_proto_version(x, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(x, "TLS_AES_128_GCM_SHA256");
		SSL_CTX_set1_groups_list(x, "X25519");
	}
	/* As ours: one ticket, stateless, nothing cached server-side. */
	SSL_CTX_set_num_tickets(os, 1);
	SSL_CTX_set_session_cache_mode(os, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_cache_mode(oc, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_load_verify_locations(oc, path("ca.pem"), NULL);
	SSL_CTX_set_verify(oc, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_use_certificate_chain_file(os, path("server-ecdsa256.pem")) != 1 ||
	    SSL_CTX_use_PrivateKey_file(os, path("server-ecdsa256.key"), SSL_FILETYPE_PEM) != 1)
		die("libssl cannot load the certificate");
	ktls_buf_init(&session);
	if (!ours_run(false) || !ossl_run(false))
		die("no first full handshake");
	double o[MAX_ROUNDS], l[MAX_ROUNDS], r[MAX_ROUNDS];
	for (int i = 0; i < rounds; i++) {
		/* Who goes first alternates (caches, frequency). */
		if (i % 2) {
			l[i] = rate(ossl_once, secs);
			o[i] = rate(ours_once, secs);
		} else {
			o[i] = rate(ours_once, secs);
			l[i] = rate(ossl_once, secs);
		}
		r[i] = o[i] / l[i];
		printf("# round %d: resumed handshakes/s ours %.0f, libssl %.0f (%.3f)\n", i, o[i],
		       l[i], r[i]);
	}
	double mo = median(o, rounds), ml = median(l, rounds), mr = median(r, rounds);
	printf("ROW|resumed handshakes/s vs libssl, ECDSA P-256|%.0f|%.0f|/s|%.3f|-|-\n", mo, ml,
	       mr);
	SSL_SESSION_free(osess);
	SSL_CTX_free(oc);
	SSL_CTX_free(os);
	ktls_buf_free(&session);
	ktls_config_free(kc);
	ktls_config_free(ks);
	return 0;
}
