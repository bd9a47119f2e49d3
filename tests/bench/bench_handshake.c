/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Full handshakes, X25519 + AES-128-GCM, for three server certificates
 * (ECDSA P-256, P-384, RSA-2048), client and server in one process over
 * memory. Per round, interleaved, for each certificate:
 *   - handshakes per CPU second of this library (client + server) and of
 *     libssl;
 *   - the crypto-only bound: the libcrypto calls a handshake cannot avoid
 *     (two X25519 keygens and derives, the CertificateVerify signature, its
 *     verification and the leaf's signature check), done back to back;
 *   - server CPU per handshake: the same libssl client against our server
 *     and against libssl's, the server's calls timed by the thread's CPU
 *     clock (CLOCK_THREAD_CPUTIME_ID).
 * Medians over the rounds. Output: "ROW|name|ours|ref|unit|ratio|op|target"
 * lines for scripts/bench.sh, the rounds as comments ('#').
 *   bench_handshake CERTDIR [rounds] [seconds-per-measurement]
 *   bench_handshake CERTDIR --profile[-server|-ossl-server] N  (P-256, for a
 *   profiler: both our sides, our server or libssl's against libssl's client)
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handshake/hs.h"

#define MAX_ROUNDS 31

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}
static double cpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
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

static void die(const char *what)
{
	fprintf(stderr, "bench_handshake: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* One server certificate and everything set up for it. */
struct kind {
	const char *name, *file;
	struct ktls_config *kc, *ks;
	SSL_CTX *oc, *os;
	EVP_PKEY *key, *pub, *ca_pub;
	X509 *leaf;
	const char *md;
	int pss;
	int no_cache; /* the client's peer-chain cache off */
};

static struct kind kinds[] = {
	{.name = "ECDSA P-256", .file = "server-ecdsa256", .md = "SHA256"},
	{.name = "ECDSA P-384", .file = "server-ecdsa384", .md = "SHA384"},
	{.name = "RSA-2048", .file = "server-rsa", .md = "SHA256", .pss = 1},
	/* Every handshake parses and verifies the chain (no reconnect gain). */
	{.name = "ECDSA P-256, chain cache off",
	 .file = "server-ecdsa256",
	 .md = "SHA256",
	 .no_cache = 1},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static char pem[700], keyf[700];

static void setup(struct kind *k)
{
	static const uint16_t suite = KTLS_TLS_AES_128_GCM_SHA256, group = KTLS_GROUP_X25519;
	snprintf(pem, sizeof(pem), "%s/%s.pem", certdir, k->file);
	snprintf(keyf, sizeof(keyf), "%s/%s.key", certdir, k->file);
	k->kc = ktls_config_new(KTLS_CLIENT);
	k->ks = ktls_config_new(KTLS_SERVER);
	if (ktls_config_set_ca_file(k->kc, path("ca.pem")) ||
	    ktls_config_set_suites(k->kc, &suite, 1) || ktls_config_set_groups(k->kc, &group, 1) ||
	    ktls_config_add_cert_files(k->ks, pem, keyf) ||
	    (k->no_cache && ktls_config_set_verify_cache(k->kc, 0)))
		die("cannot set up our configs");
	k->oc = SSL_CTX_new(TLS_client_method());
	k->os = SSL_CTX_new(TLS_server_method());
	for (SSL_CTX *x = k->oc; x; x = x == k->oc ? k->os : NULL) {
		SSL_CTX_set_min_proto_version(x, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(x, "TLS_AES_128_GCM_SHA256");
		SSL_CTX_set1_groups_list(x, "X25519");
		/* Same work as ours: no tickets, no session cache. */
		SSL_CTX_set_num_tickets(x, 0);
		SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	}
	SSL_CTX_load_verify_locations(k->oc, path("ca.pem"), NULL);
	SSL_CTX_set_verify(k->oc, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_use_certificate_chain_file(k->os, pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(k->os, keyf, SSL_FILETYPE_PEM) != 1)
		die("libssl cannot load the certificate");
	/* For the crypto-only bound. */
	FILE *f = fopen(keyf, "r");
	k->key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(pem, "r");
	k->leaf = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(path("ca.pem"), "r");
	X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!k->key || !k->leaf || !ca)
		die("cannot read the key or certificates");
	k->pub = X509_get_pubkey(k->leaf);
	k->ca_pub = X509_get_pubkey(ca);
	X509_free(ca);
}

static void teardown(struct kind *k)
{
	ktls_config_free(k->kc);
	ktls_config_free(k->ks);
	SSL_CTX_free(k->oc);
	SSL_CTX_free(k->os);
	EVP_PKEY_free(k->key);
	EVP_PKEY_free(k->pub);
	EVP_PKEY_free(k->ca_pub);
	X509_free(k->leaf);
}

/* ---- this library, both sides ---- */
static void pump(struct ktls_hs *from, struct ktls_buf *to)
{
	const uint8_t *out;
	size_t len;
	ktls_hs_output(from, &out, &len);
	ktls_buf_put(to, out, len);
	ktls_hs_output_sent(from, len);
}

static int ours_once(struct kind *k)
{
	struct ktls_hs *c = ktls_hs_new(k->kc, "server.test"), *s = ktls_hs_new(k->ks, NULL);
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
	ktls_hs_free(c);
	ktls_hs_free(s);
	return rc == 1 && rs == 1;
}

/* ---- libssl, both sides ---- */
static SSL *ossl_client(struct kind *k, BIO **peer)
{
	SSL *c = SSL_new(k->oc);
	BIO *bc;
	BIO_new_bio_pair(&bc, 0, peer, 0);
	SSL_set_bio(c, bc, bc);
	SSL_set_tlsext_host_name(c, "server.test");
	SSL_set1_host(c, "server.test");
	SSL_set_connect_state(c);
	return c;
}

static int ossl_once(struct kind *k)
{
	BIO *bs;
	SSL *c = ossl_client(k, &bs), *s = SSL_new(k->os);
	SSL_set_bio(s, bs, bs);
	SSL_set_accept_state(s);
	int rc = 0, rs = 0;
	for (int i = 0; i < 8 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
	}
	SSL_free(c);
	SSL_free(s);
	return rc == 1 && rs == 1;
}

/* ---- the crypto alone ---- */
static EVP_PKEY *x25519_peer(const uint8_t *pub)
{
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
}

static int derive(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t n = 32;
	int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
		 EVP_PKEY_derive(ctx, out, &n) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int sig_ctx(EVP_MD_CTX *md, struct kind *k, int sign)
{
	EVP_PKEY_CTX *p = NULL;
	int ok = sign ? EVP_DigestSignInit_ex(md, &p, k->md, NULL, NULL, k->key, NULL)
		      : EVP_DigestVerifyInit_ex(md, &p, k->md, NULL, NULL, k->pub, NULL);
	if (ok && k->pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(p, RSA_PSS_SALTLEN_DIGEST) > 0;
	return ok;
}

static int crypto_once(struct kind *k)
{
	uint8_t cpub[32], spub[32], s1[32], s2[32], tbs[130], sig[512];
	size_t n = 32, siglen = sizeof(sig);
	memset(tbs, 0x20, sizeof(tbs));
	EVP_PKEY *ck = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	EVP_PKEY *sk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	int ok = ck && sk && EVP_PKEY_get_raw_public_key(ck, cpub, &n) && n == 32 &&
		 EVP_PKEY_get_raw_public_key(sk, spub, &n) && n == 32;
	EVP_PKEY *cp = ok ? x25519_peer(cpub) : NULL, *sp = ok ? x25519_peer(spub) : NULL;
	ok = ok && cp && sp && derive(sk, cp, s1) && derive(ck, sp, s2) && !memcmp(s1, s2, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ok = ok && md && sig_ctx(md, k, 1) && EVP_DigestSign(md, sig, &siglen, tbs, sizeof(tbs));
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	ok = ok && md && sig_ctx(md, k, 0) &&
	     EVP_DigestVerify(md, sig, siglen, tbs, sizeof(tbs)) == 1;
	EVP_MD_CTX_free(md);
	ok = ok && X509_verify(k->leaf, k->ca_pub) == 1;
	EVP_PKEY_free(ck);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(cp);
	EVP_PKEY_free(sp);
	return ok;
}

/* The server's share of that: one X25519 key generation and derivation
 * against a client share made once, and the CertificateVerify signature.
 * No server can do a full handshake for less with these libcrypto calls. */
static int server_floor_once(struct kind *k)
{
	static EVP_PKEY *client_pub;
	uint8_t pub[32], secret[32], tbs[130], sig[512];
	size_t n = 32, siglen = sizeof(sig);
	if (!client_pub) {
		EVP_PKEY *ck = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		if (!ck || !EVP_PKEY_get_raw_public_key(ck, pub, &n) ||
		    !(client_pub = x25519_peer(pub)))
			die("no client share");
		EVP_PKEY_free(ck);
	}
	memset(tbs, 0x20, sizeof(tbs));
	EVP_PKEY *sk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	int ok = sk && EVP_PKEY_get_raw_public_key(sk, pub, &n) && derive(sk, client_pub, secret);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ok = ok && md && sig_ctx(md, k, 1) && EVP_DigestSign(md, sig, &siglen, tbs, sizeof(tbs));
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(sk);
	return ok;
}

/* ---- server CPU: a libssl client against either server ---- */
static double server_cpu; /* seconds of server calls, summed */

/* The client's bytes to our server and back, through the BIO pair. */
static void shuttle_in(BIO *b, struct ktls_buf *to)
{
	uint8_t tmp[8192];
	int n;
	while ((n = BIO_read(b, tmp, sizeof(tmp))) > 0)
		ktls_buf_put(to, tmp, (size_t)n);
}

static int cpu_ours_once(struct kind *k)
{
	BIO *bs;
	SSL *c = ossl_client(k, &bs);
	/* Timed, as libssl's SSL_new is: like with like. */
	double t0 = cpu();
	struct ktls_hs *s = ktls_hs_new(k->ks, NULL);
	server_cpu += cpu() - t0;
	struct ktls_buf in;
	ktls_buf_init(&in);
	int rc = 0, rs = 0;
	for (int i = 0; i < 8 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		shuttle_in(bs, &in);
		double t = cpu();
		size_t used;
		if (rs != 1) {
			rs = ktls_hs_step(s, in.base, in.len, &used);
			ktls_buf_consume(&in, used);
		}
		const uint8_t *out;
		size_t len;
		ktls_hs_output(s, &out, &len);
		server_cpu += cpu() - t;
		if (len) {
			int w = BIO_write(bs, out, (int)len);
			ktls_hs_output_sent(s, w > 0 ? (size_t)w : 0);
		}
	}
	/* libssl's client finishes on reading the server's Finished; ours is
	 * done once the client's Finished is in. */
	for (int i = 0; i < 2 && rs != 1; i++) {
		shuttle_in(bs, &in);
		double t = cpu();
		size_t used;
		rs = ktls_hs_step(s, in.base, in.len, &used);
		ktls_buf_consume(&in, used);
		server_cpu += cpu() - t;
	}
	ktls_buf_free(&in);
	SSL_free(c);
	BIO_free(bs); /* the pair's other end: no SSL owns it here */
	double t = cpu();
	ktls_hs_free(s);
	server_cpu += cpu() - t;
	return rc == 1 && rs == 1;
}

/* libssl's server calls, apart so that a profiler can count them alone
 * (callgrind --toggle-collect=ossl_server_call). */
static __attribute__((noinline)) SSL *ossl_server_call(struct kind *k, SSL *s, BIO *bs, int *rs)
{
	if (!s) {
		s = SSL_new(k->os);
		SSL_set_bio(s, bs, bs);
		SSL_set_accept_state(s);
	} else if (rs)
		*rs = SSL_do_handshake(s);
	else
		SSL_free(s);
	return s;
}

static int cpu_ossl_once(struct kind *k)
{
	BIO *bs;
	SSL *c = ossl_client(k, &bs);
	double t = cpu();
	SSL *s = ossl_server_call(k, NULL, bs, NULL);
	server_cpu += cpu() - t;
	int rc = 0, rs = 0;
	for (int i = 0; i < 8 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1) {
			t = cpu();
			ossl_server_call(k, s, bs, &rs);
			server_cpu += cpu() - t;
		}
	}
	SSL_free(c);
	t = cpu();
	ossl_server_call(k, s, bs, NULL);
	server_cpu += cpu() - t;
	return rc == 1 && rs == 1;
}

/* Operations per CPU second of this thread (on a shared machine, time
 * spent descheduled is nobody's cost), over secs of wall time. */
static double rate(int (*once)(struct kind *), struct kind *k, double secs)
{
	double t0 = now(), c0 = cpu();
	long n = 0;
	do {
		if (!once(k))
			die("a handshake failed");
		n++;
	} while (now() - t0 < secs);
	return (double)n / (cpu() - c0);
}

/* Server CPU microseconds per handshake. */
static double cpu_per(int (*once)(struct kind *), struct kind *k, double secs)
{
	double t0 = now();
	long n = 0;
	server_cpu = 0;
	do {
		if (!once(k))
			die("a handshake (server CPU) failed");
		n++;
	} while (now() - t0 < secs);
	return server_cpu / (double)n * 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
static double median(double *v, int n)
{
	double c[MAX_ROUNDS];
	memcpy(c, v, sizeof(double) * (size_t)n);
	qsort(c, (size_t)n, sizeof(double), cmp);
	return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_handshake CERTDIR [rounds] [seconds]\n");
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	if (argc > 3 && !strncmp(argv[2], "--profile", 9)) {
		/* For perf and callgrind: N of our P-256 handshakes alone, or
		 * our server or libssl's against libssl's client. */
		int (*once)(struct kind *) = !strcmp(argv[2], "--profile")	    ? ours_once
					     : !strcmp(argv[2], "--profile-server") ? cpu_ours_once
					     : !strcmp(argv[2], "--profile-ossl-server")
						     ? cpu_ossl_once
						     : NULL;
		if (!once)
			die("unknown --profile mode");
		setup(&kinds[0]);
		for (int i = atoi(argv[3]); i > 0; i--)
			if (!once(&kinds[0]))
				die("a handshake failed");
		teardown(&kinds[0]);
		return 0;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	double secs = argc > 3 ? atof(argv[3]) : 0.5;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 7;
	static double ours[NKINDS][MAX_ROUNDS], ossl[NKINDS][MAX_ROUNDS], bound[NKINDS][MAX_ROUNDS],
		cpu_o[NKINDS][MAX_ROUNDS], cpu_l[NKINDS][MAX_ROUNDS], floor_s[NKINDS][MAX_ROUNDS];
	for (size_t i = 0; i < NKINDS; i++) {
		setup(&kinds[i]);
		/* Warm caches, fetches, tables; and check every path works. */
		if (!ours_once(&kinds[i]) || !ossl_once(&kinds[i]) || !crypto_once(&kinds[i]) ||
		    !cpu_ours_once(&kinds[i]) || !cpu_ossl_once(&kinds[i]))
			die("warm-up handshake failed");
	}
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < NKINDS; i++) {
			struct kind *k = &kinds[i];
			ours[i][r] = rate(ours_once, k, secs);
			ossl[i][r] = rate(ossl_once, k, secs);
			bound[i][r] = rate(crypto_once, k, secs);
			cpu_o[i][r] = cpu_per(cpu_ours_once, k, secs);
			cpu_l[i][r] = cpu_per(cpu_ossl_once, k, secs);
			floor_s[i][r] = 1e6 / rate(server_floor_once, k, secs / 2);
			printf("# round %d %-28s: ktls %6.0f/s libssl %6.0f/s bound %6.0f/s; "
			       "server CPU ktls %6.1f us libssl %6.1f us\n",
			       r + 1, k->name, ours[i][r], ossl[i][r], bound[i][r], cpu_o[i][r],
			       cpu_l[i][r]);
			fflush(stdout);
		}
	for (size_t i = 0; i < NKINDS; i++) {
		struct kind *k = &kinds[i];
		double o = median(ours[i], rounds), l = median(ossl[i], rounds),
		       b = median(bound[i], rounds), co = median(cpu_o[i], rounds),
		       cl = median(cpu_l[i], rounds);
		/* The targets are for the default configuration; the row without
		 * the cache is there to show what it gives. */
		int p256 = i == 0, target = !k->no_cache;
		printf("ROW|handshakes/s vs libssl, %s|%.0f|%.0f|/s|%.3f|>=|%s\n", k->name, o, l,
		       o / l, p256 ? "2.0" : "-");
		printf("ROW|handshakes/s vs crypto bound, %s|%.0f|%.0f|/s|%.3f|>=|%s\n", k->name, o,
		       b, o / b,
		       !target ? "-"
		       : p256  ? "0.75"
			       : "0.85");
		if (target)
			printf("ROW|server CPU per handshake vs libssl, "
			       "%s|%.1f|%.1f|us|%.3f|<=|%s\n",
			       k->name, co, cl, co / cl, p256 ? "0.5" : "-");
		/* What the server target can be at best with libcrypto's
		 * primitives: their cost alone against libssl's server. */
		if (target) {
			double f = median(floor_s[i], rounds);
			printf("ROW|server crypto floor vs libssl server CPU, "
			       "%s|%.1f|%.1f|us|%.3f|-|-\n",
			       k->name, f, cl, f / cl);
		}
		teardown(k);
	}
	return 0;
}
