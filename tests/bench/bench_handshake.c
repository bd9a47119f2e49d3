/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Full handshakes per second, client and server in one process over memory,
 * X25519 + ECDSA P-256 + AES-128-GCM: this library against OpenSSL's libssl
 * doing the same work, measured alternately in one run; the ratio is ours /
 * libssl's (target >= 1.0). Then the heap each holds per connection once the
 * handshake is complete (glibc mallinfo2, 200 connections held at once).
 *   bench_handshake CERTDIR [seconds-per-round]
 */
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handshake/hs.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char certdir[512];
static const char *path(const char *f)
{
	static char buf[2][600];
	static int i;
	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", certdir, f);
	return buf[i];
}

/* ---- this library ---- */
static struct ktls_config *kc, *ks;

static void ours_setup(void)
{
	static const uint16_t suite = KTLS_TLS_AES_128_GCM_SHA256, group = KTLS_GROUP_X25519;
	kc = ktls_config_new(KTLS_CLIENT);
	ks = ktls_config_new(KTLS_SERVER);
	ktls_config_set_ca_file(kc, path("ca.pem"));
	ktls_config_set_suites(kc, &suite, 1);
	ktls_config_set_groups(kc, &group, 1);
	if (ktls_config_add_cert_files(ks, path("server-ecdsa256.pem"),
				       path("server-ecdsa256.key"))) {
		fprintf(stderr, "bench: cannot load certificates from %s\n", certdir);
		exit(1);
	}
}

static void pump(struct ktls_hs *from, struct ktls_buf *to)
{
	const uint8_t *out;
	size_t len;
	ktls_hs_output(from, &out, &len);
	ktls_buf_put(to, out, len);
	ktls_hs_output_sent(from, len);
}

/* One full handshake; returns the engines (caller frees) when asked. */
static int ours_once(struct ktls_hs **keep_c, struct ktls_hs **keep_s)
{
	struct ktls_hs *c = ktls_hs_new(kc, "server.test"), *s = ktls_hs_new(ks, NULL);
	struct ktls_buf a, b;
	ktls_buf_init(&a);
	ktls_buf_init(&b);
	int rc = 0, rs = 0;
	size_t used;
	for (int i = 0; i < 4 && (rc != 1 || rs != 1); i++) {
		rc = ktls_hs_step(c, b.base, b.len, &used);
		ktls_buf_consume(&b, used);
		pump(c, &a);
		rs = ktls_hs_step(s, a.base, a.len, &used);
		ktls_buf_consume(&a, used);
		pump(s, &b);
	}
	ktls_buf_free(&a);
	ktls_buf_free(&b);
	int ok = rc == 1 && rs == 1;
	if (keep_c) {
		*keep_c = c;
		*keep_s = s;
	} else {
		ktls_hs_free(c);
		ktls_hs_free(s);
	}
	return ok;
}

/* ---- libssl ---- */
static SSL_CTX *oc, *os;

static void ossl_setup(void)
{
	oc = SSL_CTX_new(TLS_client_method());
	os = SSL_CTX_new(TLS_server_method());
	for (SSL_CTX *x = oc; x; x = x == oc ? os : NULL) {
		SSL_CTX_set_min_proto_version(x, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(x, "TLS_AES_128_GCM_SHA256");
		SSL_CTX_set1_groups_list(x, "X25519");
		/* Same work as ours: no tickets, no session cache. */
		SSL_CTX_set_num_tickets(x, 0);
		SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	}
	SSL_CTX_load_verify_locations(oc, path("ca.pem"), NULL);
	SSL_CTX_set_verify(oc, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_use_certificate_chain_file(os, path("server-ecdsa256.pem")) != 1 ||
	    SSL_CTX_use_PrivateKey_file(os, path("server-ecdsa256.key"), SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "bench: libssl cannot load the certificate\n");
		exit(1);
	}
}

static int ossl_once(SSL **keep_c, SSL **keep_s)
{
	SSL *c = SSL_new(oc), *s = SSL_new(os);
	BIO *bc, *bs;
	BIO_new_bio_pair(&bc, 0, &bs, 0);
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_tlsext_host_name(c, "server.test");
	SSL_set1_host(c, "server.test");
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	int rc = 0, rs = 0;
	for (int i = 0; i < 8 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
	}
	int ok = rc == 1 && rs == 1;
	if (keep_c) {
		*keep_c = c;
		*keep_s = s;
	} else {
		SSL_free(c);
		SSL_free(s);
	}
	return ok;
}

static double rate(int (*once)(void), double secs)
{
	double t0 = now(), t;
	long n = 0;
	do {
		if (!once()) {
			fprintf(stderr, "bench: a handshake failed\n");
			exit(1);
		}
		n++;
	} while ((t = now() - t0) < secs);
	return (double)n / t;
}
static int ours_plain(void)
{
	return ours_once(NULL, NULL);
}
static int ossl_plain(void)
{
	return ossl_once(NULL, NULL);
}

static size_t heap(void)
{
	return mallinfo2().uordblks;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_handshake CERTDIR [seconds]\n");
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	ours_setup();
	ossl_setup();
	ours_plain(); /* warm caches, fetches, tables */
	ossl_plain();
	double best_o = 0, best_s = 0;
	printf("full handshakes/s (client + server in one process, X25519, ECDSA P-256, "
	       "AES-128-GCM)\n");
	for (int round = 0; round < 5; round++) {
		double a = rate(ours_plain, secs), b = rate(ossl_plain, secs);
		printf("  round %d: ktls %7.0f   libssl %7.0f   ratio %.3f\n", round + 1, a, b,
		       a / b);
		best_o = a > best_o ? a : best_o;
		best_s = b > best_s ? b : best_s;
	}
	printf("best: ktls %.0f/s, libssl %.0f/s, ratio %.3f (target >= 1.0)\n", best_o, best_s,
	       best_o / best_s);

	enum { N = 200 };
	static struct ktls_hs *hc[N], *hsrv[N];
	static SSL *sc[N], *ss[N];
	size_t h0 = heap();
	for (int i = 0; i < N; i++)
		ours_once(&hc[i], &hsrv[i]);
	size_t h1 = heap();
	for (int i = 0; i < N; i++)
		ossl_once(&sc[i], &ss[i]);
	size_t h2 = heap();
	printf("heap held per connection after the handshake (client + server pair / 2):\n");
	printf("  ktls   %zu bytes\n  libssl %zu bytes\n", (h1 - h0) / N / 2, (h2 - h1) / N / 2);
	for (int i = 0; i < N; i++) {
		ktls_hs_free(hc[i]);
		ktls_hs_free(hsrv[i]);
		SSL_free(sc[i]);
		SSL_free(ss[i]);
	}
	ktls_config_free(kc);
	ktls_config_free(ks);
	SSL_CTX_free(oc);
	SSL_CTX_free(os);
	return 0;
}
