/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The userspace record layer against raw libcrypto AEAD, per suite, at
 * 16 KiB, 1 KiB and 256 B records, same buffers, same run: seal and open
 * throughput, the four loops interleaved in batches, medians over rounds
 * (the ratio: the median of the rounds' ratios).
 * The raw loop does only what any TLS 1.3 AEAD must: a per-record nonce,
 * 5 bytes of AAD, the cipher pass and the tag (one EVP AEAD call sequence
 * per record). Output: "ROW|name|ours|ref|unit|ratio|op|target" lines for
 * scripts/bench.sh.
 *   bench_record [rounds] [megabytes-per-loop]
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktls/ktls.h"
#include "record/record.h"

#define MAX_ROUNDS 31
#define NREC	   64 /* distinct sealed records to open */

/* The thread's CPU time: on a shared machine, time spent descheduled is
 * nobody's cost. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nonce_of(const uint8_t *iv, uint64_t seq, uint8_t *nonce)
{
	memcpy(nonce, iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

/* Raw AEAD seal over buf[5..5+n) in place, AAD buf[0..5), tag after. */
static int raw_seal(EVP_CIPHER_CTX *ctx, int ccm, const uint8_t *iv, uint64_t seq, uint8_t *buf,
		    size_t n)
{
	uint8_t nonce[12];
	int l;
	nonce_of(iv, seq, nonce);
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 1, NULL))
		return 0;
	if (ccm && !EVP_CipherUpdate(ctx, NULL, &l, NULL, (int)n))
		return 0;
	if (!EVP_CipherUpdate(ctx, NULL, &l, buf, 5) ||
	    !EVP_CipherUpdate(ctx, buf + 5, &l, buf + 5, (int)n) ||
	    !EVP_CipherFinal_ex(ctx, buf + 5 + l, &l))
		return 0;
	return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, buf + 5 + n) > 0;
}

/* Raw AEAD open of record r (n bytes of ciphertext) into out. */
static int raw_open(EVP_CIPHER_CTX *ctx, int ccm, const uint8_t *iv, uint64_t seq, const uint8_t *r,
		    size_t n, uint8_t *out)
{
	uint8_t nonce[12];
	int l;
	nonce_of(iv, seq, nonce);
	return EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 0, NULL) &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(r + 5 + n)) > 0 &&
	       (!ccm || EVP_CipherUpdate(ctx, NULL, &l, NULL, (int)n)) &&
	       EVP_CipherUpdate(ctx, NULL, &l, r, 5) &&
	       EVP_CipherUpdate(ctx, out, &l, r + 5, (int)n) &&
	       EVP_CipherFinal_ex(ctx, out + l, &l);
}

static EVP_CIPHER_CTX *raw_ctx(const struct ktls_rec_dir *d, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_CipherInit_ex2(ctx, d->suite->cipher, NULL, NULL, enc, NULL);
	if (d->suite->ccm) {
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, NULL);
	}
	EVP_CipherInit_ex2(ctx, NULL, d->key, NULL, enc, NULL);
	return ctx;
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

static void fail(const char *what)
{
	fprintf(stderr, "bench_record: %s failed\n", what);
	exit(1);
}

/* One suite and size: the record states, the raw contexts, the buffers. */
struct run {
	const struct ktls_suite *s;
	size_t rec, cap;
	uint8_t *buf, *recs;
	struct ktls_rec_dir tx, rx;
	EVP_CIPHER_CTX *renc, *rdec;
};

/* The four loops, NREC records each; b: the first record's number. */
static void seal_ours(struct run *r, size_t b)
{
	(void)b;
	for (size_t i = 0; i < NREC; i++)
		if (ktls_rec_seal(&r->tx, 23, r->buf + 5, r->rec - 1, 0, r->buf, r->cap) < 0)
			fail("seal");
}
static void seal_raw(struct run *r, size_t b)
{
	for (size_t i = b; i < b + NREC; i++)
		if (!raw_seal(r->renc, r->s->ccm, r->tx.iv, i, r->buf, r->rec))
			fail("raw seal");
}
/* Opening the same record again needs its sequence number. Both loops
 * decrypt into buf: in place would destroy the record. */
static void open_ours(struct run *r, size_t b)
{
	(void)b;
	for (size_t i = 0; i < NREC; i++) {
		uint8_t type;
		r->rx.seq = i;
		if (ktls_rec_open(&r->rx, r->recs + i * r->cap, r->cap, r->buf + 5, r->cap,
				  &type) != (long)r->rec - 1)
			fail("open");
	}
}
static void open_raw(struct run *r, size_t b)
{
	(void)b;
	for (size_t i = 0; i < NREC; i++)
		if (!raw_open(r->rdec, r->s->ccm, r->rx.iv, i, r->recs + i * r->cap, r->rec,
			      r->buf + 5))
			fail("raw open");
}

static void one(const struct ktls_suite *s, size_t rec, int rounds, double mb_per_loop)
{
	uint8_t secret[48];
	memset(secret, 0x33, sizeof(secret));
	size_t records = (size_t)(mb_per_loop * 1e6 / rec);
	struct run r = {.s = s, .rec = rec, .cap = ktls_rec_sealed_len(rec, 0)};
	r.buf = malloc(r.cap);
	r.recs = malloc(r.cap * NREC);
	if (!r.buf || !r.recs || ktls_rec_init(&r.tx, s, secret, 1) ||
	    ktls_rec_init(&r.rx, s, secret, 0))
		fail("set-up");
	r.renc = raw_ctx(&r.tx, 1);
	r.rdec = raw_ctx(&r.rx, 0);
	memset(r.buf, 0x5c, r.cap);
	/* Inner plaintext rec bytes: rec - 1 of data and the content type. */
	for (int i = 0; i < NREC; i++)
		if (ktls_rec_seal(&r.tx, 23, r.buf + 5, rec - 1, 0, r.recs + i * r.cap, r.cap) < 0)
			fail("seal");
	/* Per round, the four loops alternate in batches of NREC records, so
	 * that a neighbour's burst on this shared machine hits them alike;
	 * which of ours and raw goes first alternates too (caches). */
	void (*loop[4])(struct run *, size_t) = {seal_ours, seal_raw, open_ours, open_raw};
	double t[4][MAX_ROUNDS], ratio[2][MAX_ROUNDS];
	for (int round = 0; round < rounds; round++) {
		double acc[4] = {0, 0, 0, 0};
		r.tx.seq = 0;
		for (size_t b = 0; b < records; b += NREC) {
			bool flip = (b / NREC) % 2;
			for (int k = 0; k < 4; k++) {
				int j = flip ? k ^ 1 : k;
				double t0 = now();
				loop[j](&r, b);
				acc[j] += now() - t0;
			}
		}
		for (int j = 0; j < 4; j++)
			t[j][round] = acc[j];
		ratio[0][round] = acc[1] / acc[0];
		ratio[1][round] = acc[3] / acc[2];
	}
	size_t done = (records + NREC - 1) / NREC * NREC;
	double mb = (double)done * (double)rec / 1e6, m[4];
	for (int j = 0; j < 4; j++)
		m[j] = mb / median(t[j], rounds);
	double rs = median(ratio[0], rounds), ro = median(ratio[1], rounds);
	const char *target = rec >= 16384 ? "0.98" : "0.9";
	printf("ROW|record seal vs raw AEAD, %s, %zu B|%.0f|%.0f|MB/s|%.3f|>=|%s\n", s->name, rec,
	       m[0], m[1], rs, target);
	printf("ROW|record open vs raw AEAD, %s, %zu B|%.0f|%.0f|MB/s|%.3f|>=|%s\n", s->name, rec,
	       m[2], m[3], ro, target);
	fflush(stdout);
	EVP_CIPHER_CTX_free(r.renc);
	EVP_CIPHER_CTX_free(r.rdec);
	ktls_rec_clear(&r.tx);
	ktls_rec_clear(&r.rx);
	free(r.buf);
	free(r.recs);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	double mb = argc > 2 ? atof(argv[2]) : 16;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 7;
	static const size_t sizes[] = {16384, 1024, 256};
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (size_t si = 0; si < KTLS_NUM_SUITES; si++) {
			const struct ktls_suite *s = ktls_suite_at(si);
			if (s)
				one(s, sizes[z], rounds, mb);
		}
	return 0;
}
