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

static void one(const struct ktls_suite *s, size_t rec, int rounds, double mb_per_loop)
{
	uint8_t secret[48];
	memset(secret, 0x33, sizeof(secret));
	size_t cap = ktls_rec_sealed_len(rec, 0), records = (size_t)(mb_per_loop * 1e6 / rec);
	uint8_t *buf = malloc(cap), *recs = malloc(cap * NREC);
	struct ktls_rec_dir tx = {0}, rx = {0};
	if (!buf || !recs || ktls_rec_init(&tx, s, secret, 1) || ktls_rec_init(&rx, s, secret, 0))
		fail("set-up");
	EVP_CIPHER_CTX *renc = raw_ctx(&tx, 1), *rdec = raw_ctx(&rx, 0);
	memset(buf, 0x5c, cap);
	/* Inner plaintext rec bytes: rec - 1 of data and the content type. */
	for (int i = 0; i < NREC; i++)
		if (ktls_rec_seal(&tx, 23, buf + 5, rec - 1, 0, recs + i * cap, cap) < 0)
			fail("seal");
	/* Per round, the four loops alternate in batches of NREC records, so
	 * that a neighbour's burst on this shared machine hits them alike. */
	double t[4][MAX_ROUNDS], ratio[2][MAX_ROUNDS];
	for (int round = 0; round < rounds; round++) {
		double acc[4] = {0, 0, 0, 0};
		tx.seq = 0;
		for (size_t b = 0; b < records; b += NREC) {
			double t0 = now();
			for (size_t i = b; i < b + NREC; i++)
				if (ktls_rec_seal(&tx, 23, buf + 5, rec - 1, 0, buf, cap) < 0)
					fail("seal");
			double t1 = now();
			for (size_t i = b; i < b + NREC; i++)
				if (!raw_seal(renc, s->ccm, tx.iv, i, buf, rec))
					fail("raw seal");
			/* Opening the same record again needs its sequence
			 * number. Both loops decrypt into buf: in place would
			 * destroy the record. */
			double t2 = now();
			for (size_t i = 0; i < NREC; i++) {
				uint8_t type;
				rx.seq = i;
				if (ktls_rec_open(&rx, recs + i * cap, cap, buf + 5, cap, &type) !=
				    (long)rec - 1)
					fail("open");
			}
			double t3 = now();
			for (size_t i = 0; i < NREC; i++)
				if (!raw_open(rdec, s->ccm, rx.iv, i, recs + i * cap, rec, buf + 5))
					fail("raw open");
			double t4 = now();
			acc[0] += t1 - t0;
			acc[1] += t2 - t1;
			acc[2] += t3 - t2;
			acc[3] += t4 - t3;
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
	EVP_CIPHER_CTX_free(renc);
	EVP_CIPHER_CTX_free(rdec);
	ktls_rec_clear(&tx);
	ktls_rec_clear(&rx);
	free(buf);
	free(recs);
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
