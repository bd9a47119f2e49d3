/* SPDX-License-Identifier: Apache-2.0 */
/* Record protection: RFC 8448 records byte for byte, round trips for every
 * suite, and every kind of bad record. */
#include <errno.h>

#include "../vectors/rfc8448.h"
#include "crypto/keysched.h"
#include "ktls/ktls.h"
#include "record/record.h"
#include "testutil.h"

static void dir_from_hex(struct ktls_rec_dir *d, uint16_t suite, const char *secret_hex, int enc)
{
	const struct ktls_suite *s = ktls_suite_get(suite);
	uint8_t *secret = unhex(secret_hex, NULL);
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(ktls_rec_init(d, s, secret, enc), 0);
	free(secret);
}

START_TEST(rfc8448_client_app_record_sealed)
{
	struct ktls_rec_dir d;
	uint8_t payload[50], out[100];
	for (int i = 0; i < 50; i++)
		payload[i] = (uint8_t)i;
	dir_from_hex(&d, KTLS_TLS_AES_128_GCM_SHA256, R8448_C_AP, 1);
	long n = ktls_rec_seal(&d, KTLS_CT_APPLICATION_DATA, payload, 50, 0, out, sizeof(out));
	ck_assert_int_eq(n, 72);
	ck_assert_hex(out, (size_t)n, R8448_C_APP_REC);
	ck_assert_uint_eq(d.seq, 1);
	ktls_rec_clear(&d);
}
END_TEST

START_TEST(rfc8448_server_app_record_opened)
{
	struct ktls_rec_dir d;
	size_t len;
	uint8_t *rec = unhex(R8448_S_APP_REC, &len), type = 0;
	uint8_t *out = malloc(len);
	dir_from_hex(&d, KTLS_TLS_AES_128_GCM_SHA256, R8448_S_AP, 0);
	d.seq = 1; /* seq 0 carried the NewSessionTicket */
	long n = ktls_rec_open(&d, rec, len, out, len, &type);
	ck_assert_int_eq(n, 50);
	ck_assert_uint_eq(type, KTLS_CT_APPLICATION_DATA);
	for (int i = 0; i < 50; i++)
		ck_assert_uint_eq(out[i], i);
	ktls_rec_clear(&d);
	free(rec);
	free(out);
}
END_TEST

START_TEST(rfc8448_alert_and_finished_opened)
{
	struct ktls_rec_dir d;
	size_t len;
	uint8_t type = 0, out[64];
	uint8_t *rec = unhex(R8448_C_ALERT_REC, &len);
	dir_from_hex(&d, KTLS_TLS_AES_128_GCM_SHA256, R8448_C_AP, 0);
	d.seq = 1;
	ck_assert_int_eq(ktls_rec_open(&d, rec, len, out, sizeof(out), &type), 2);
	ck_assert_uint_eq(type, KTLS_CT_ALERT);
	ck_assert_uint_eq(out[0], 1); /* warning */
	ck_assert_uint_eq(out[1], KTLS_ALERT_CLOSE_NOTIFY);
	ktls_rec_clear(&d);
	free(rec);

	/* The client Finished under the handshake key: a 36-byte Finished message. */
	rec = unhex(R8448_C_FIN_REC, &len);
	dir_from_hex(&d, KTLS_TLS_AES_128_GCM_SHA256, R8448_C_HS, 0);
	ck_assert_int_eq(ktls_rec_open(&d, rec, len, out, sizeof(out), &type), 36);
	ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
	ck_assert_hex(out, 4, "14000020");
	ktls_rec_clear(&d);
	free(rec);
}
END_TEST

START_TEST(roundtrip_every_suite)
{
	const struct ktls_suite *s = ktls_suite_at((size_t)_i);
	uint8_t secret[48];
	struct ktls_rec_dir tx = {0}, rx = {0};
	memset(secret, 0x42 + _i, sizeof(secret));
	ck_assert_int_eq(ktls_rec_init(&tx, s, secret, 1), 0);
	ck_assert_int_eq(ktls_rec_init(&rx, s, secret, 0), 0);

	static const size_t sizes[] = {0, 1, 15, 16, 17, 1000, 16383, 16384};
	static const size_t pads[] = {0, 3, 0, 100, 0, 0, 1, 0};
	uint8_t *buf = malloc(ktls_rec_sealed_len(16384, 0));
	uint8_t *plain = malloc(16384);
	for (int round = 0; round < 3; round++) {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			size_t len = sizes[k], pad = pads[k];
			for (size_t i = 0; i < len; i++)
				plain[i] = (uint8_t)(i * 31 + k + round);
			size_t cap = ktls_rec_sealed_len(len, pad);
			/* In place: the plaintext already sits after the header. */
			memcpy(buf + KTLS_REC_HDR, plain, len);
			long n = ktls_rec_seal(&tx, KTLS_CT_APPLICATION_DATA, buf + KTLS_REC_HDR,
					       len, pad, buf, cap);
			ck_assert_int_eq(n, (long)cap);
			ck_assert_int_eq(ktls_rec_frame(buf, (size_t)n, KTLS_REC_MAX_CIPHER), n);
			uint8_t type = 0;
			long m = ktls_rec_open(&rx, buf, (size_t)n, buf + KTLS_REC_HDR,
					       (size_t)n - KTLS_REC_HDR, &type);
			ck_assert_int_eq(m, (long)len);
			ck_assert_uint_eq(type, KTLS_CT_APPLICATION_DATA);
			ck_assert_mem_eq(buf + KTLS_REC_HDR, plain, len);
		}
		/* Both sides move to the next generation together. */
		ck_assert_int_eq(ktls_rec_update(&tx), 0);
		ck_assert_int_eq(ktls_rec_update(&rx), 0);
		ck_assert_uint_eq(tx.seq, 0);
	}
	/* Only the sender updates: the receiver must refuse. */
	ck_assert_int_eq(ktls_rec_update(&tx), 0);
	long n = ktls_rec_seal(&tx, KTLS_CT_APPLICATION_DATA, plain, 10, 0, buf, 64);
	uint8_t type;
	ck_assert_int_eq(ktls_rec_open(&rx, buf, (size_t)n, plain, 64, &type),
			 -KTLS_E_BAD_RECORD_MAC);
	free(buf);
	free(plain);
	ktls_rec_clear(&tx);
	ktls_rec_clear(&rx);
}
END_TEST

/* A sealer and an opener over the same AES-128-GCM secret. */
struct pair {
	struct ktls_rec_dir tx, rx;
};

static void pair_init(struct pair *p, uint16_t suite)
{
	uint8_t secret[48];
	memset(p, 0, sizeof(*p));
	memset(secret, 7, sizeof(secret));
	ck_assert_int_eq(ktls_rec_init(&p->tx, ktls_suite_get(suite), secret, 1), 0);
	ck_assert_int_eq(ktls_rec_init(&p->rx, ktls_suite_get(suite), secret, 0), 0);
}

static void pair_clear(struct pair *p)
{
	ktls_rec_clear(&p->tx);
	ktls_rec_clear(&p->rx);
}

/* Opens an exact-size heap copy so ASan sees any overread. */
static long open_copy(struct ktls_rec_dir *rx, const uint8_t *rec, size_t len, uint8_t *type)
{
	uint8_t *copy = malloc(len ? len : 1), out[17000];
	memcpy(copy, rec, len);
	long n = ktls_rec_open(rx, copy, len, out, sizeof(out), type);
	free(copy);
	return n;
}

START_TEST(bad_truncated_header)
{
	struct pair p;
	uint8_t rec[64], type;
	pair_init(&p, KTLS_TLS_AES_128_GCM_SHA256);
	long n = ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"hello", 5, 0, rec,
			       sizeof(rec));
	ck_assert_int_gt(n, 0);
	for (size_t cut = 0; cut < KTLS_REC_HDR; cut++)
		ck_assert_int_eq(open_copy(&p.rx, rec, cut, &type), -KTLS_E_RECORD_TRUNCATED);
	/* A complete header with a short body. */
	ck_assert_int_eq(open_copy(&p.rx, rec, (size_t)n - 1, &type), -KTLS_E_RECORD_TRUNCATED);
	ck_assert_int_eq(ktls_rec_frame(rec, (size_t)n - 1, KTLS_REC_MAX_CIPHER), 0);
	ck_assert_uint_eq(p.rx.seq, 0);
	/* The intact record still opens: nothing was consumed. */
	ck_assert_int_eq(open_copy(&p.rx, rec, (size_t)n, &type), 5);
	pair_clear(&p);
}
END_TEST

START_TEST(bad_length_over_limit)
{
	struct pair p;
	uint8_t type;
	pair_init(&p, KTLS_TLS_AES_128_GCM_SHA256);
	/* 2^14 + 257 bytes of ciphertext: one more than RFC 8446 allows. */
	size_t clen = KTLS_REC_MAX_CIPHER + 1;
	uint8_t *rec = calloc(1, KTLS_REC_HDR + clen);
	rec[0] = 23, rec[1] = 3, rec[2] = 3, rec[3] = (uint8_t)(clen >> 8), rec[4] = (uint8_t)clen;
	ck_assert_int_eq(open_copy(&p.rx, rec, KTLS_REC_HDR + clen, &type),
			 -KTLS_E_RECORD_OVERFLOW);
	ck_assert_int_eq(ktls_rec_frame(rec, KTLS_REC_HDR, KTLS_REC_MAX_CIPHER),
			 -KTLS_E_RECORD_OVERFLOW);
	free(rec);

	/* A valid full-size record refused by a receiver with a smaller limit
	 * (record_size_limit), and a sender refusing to exceed its own. */
	uint8_t *big = malloc(ktls_rec_sealed_len(4096, 0));
	long n = ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, big + KTLS_REC_HDR, 4096, 0, big,
			       ktls_rec_sealed_len(4096, 0));
	ck_assert_int_gt(n, 0);
	p.rx.max_plain = 1024;
	ck_assert_int_eq(open_copy(&p.rx, big, (size_t)n, &type), -KTLS_E_RECORD_OVERFLOW);
	p.tx.max_plain = 1024;
	ck_assert_int_eq(ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, big, 1025, 0, big,
				       ktls_rec_sealed_len(4096, 0)),
			 -KTLS_E_RECORD_OVERFLOW);
	ck_assert_int_eq(ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, big, 1000, 25, big,
				       ktls_rec_sealed_len(4096, 0)),
			 -KTLS_E_RECORD_OVERFLOW);
	free(big);
	pair_clear(&p);
}
END_TEST

START_TEST(bad_tag_every_position)
{
	/* _i: suite. Flipping any byte of header, body or tag must fail
	 * authentication, leave the sequence alone and leak no plaintext. */
	struct pair p;
	uint8_t rec[64], type, out[64];
	pair_init(&p, (uint16_t)(KTLS_TLS_AES_128_GCM_SHA256 + _i));
	long n = ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"secret data!", 12,
			       2, rec, sizeof(rec));
	ck_assert_int_eq(n, 5 + 12 + 1 + 2 + 16);
	for (long pos = 1; pos < n; pos++) {
		if (pos == 3 || pos == 4)
			continue; /* length bytes: that is truncation, tested above */
		rec[pos] ^= 0x01;
		memset(out, 0xAA, sizeof(out));
		long r = ktls_rec_open(&p.rx, rec, (size_t)n, out, sizeof(out), &type);
		ck_assert_int_eq(r, -KTLS_E_BAD_RECORD_MAC);
		ck_assert_uint_eq(p.rx.seq, 0);
		ck_assert(memmem(out, sizeof(out), "secret", 6) == NULL);
		rec[pos] ^= 0x01;
	}
	ck_assert_int_eq(ktls_rec_open(&p.rx, rec, (size_t)n, out, sizeof(out), &type), 12);
	pair_clear(&p);
}
END_TEST

START_TEST(bad_all_zero_padding)
{
	/* Content type 0 with padding: the inner plaintext is all zeros. */
	struct pair p;
	uint8_t rec[64], type;
	pair_init(&p, KTLS_TLS_CHACHA20_POLY1305_SHA256);
	long n = ktls_rec_seal(&p.tx, 0, NULL, 0, 10, rec, sizeof(rec));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(open_copy(&p.rx, rec, (size_t)n, &type), -KTLS_E_RECORD_NO_CONTENT_TYPE);
	ck_assert_int_eq(ktls_error_alert(-KTLS_E_RECORD_NO_CONTENT_TYPE),
			 KTLS_ALERT_UNEXPECTED_MESSAGE);
	pair_clear(&p);
}
END_TEST

START_TEST(bad_content_types)
{
	struct pair p;
	uint8_t rec[64], type;
	pair_init(&p, KTLS_TLS_AES_128_CCM_SHA256);
	/* Inner types TLS 1.3 never protects: unknown ones and CCS. */
	static const uint8_t bad[] = {99, 255, KTLS_CT_CHANGE_CIPHER_SPEC, 24};
	for (size_t i = 0; i < sizeof(bad); i++) {
		long n = ktls_rec_seal(&p.tx, bad[i], (const uint8_t *)"x", 1, 0, rec, sizeof(rec));
		ck_assert_int_eq(open_copy(&p.rx, rec, (size_t)n, &type),
				 -KTLS_E_RECORD_BAD_CONTENT_TYPE);
	}
	/* Outer type other than application_data on a protected record. */
	long n = ktls_rec_seal(&p.tx, KTLS_CT_HANDSHAKE, (const uint8_t *)"x", 1, 0, rec,
			       sizeof(rec));
	rec[0] = KTLS_CT_HANDSHAKE;
	ck_assert_int_eq(open_copy(&p.rx, rec, (size_t)n, &type), -KTLS_E_RECORD_BAD_OUTER_TYPE);
	/* Too short to hold a tag and a type byte. */
	static const uint8_t tiny[] = {23, 3, 3, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0,
				       0,  0, 0, 0, 0,	0, 0, 0, 0, 0, 0, 0};
	ck_assert_int_eq(open_copy(&p.rx, tiny, 5 + 16, &type), -KTLS_E_BAD_RECORD_MAC);
	pair_clear(&p);
}
END_TEST

START_TEST(distinct_errors_and_alerts)
{
	static const int codes[] = {-KTLS_E_RECORD_TRUNCATED, -KTLS_E_RECORD_OVERFLOW,
				    -KTLS_E_BAD_RECORD_MAC, -KTLS_E_RECORD_NO_CONTENT_TYPE,
				    -KTLS_E_RECORD_BAD_CONTENT_TYPE};
	static const int alerts[] = {KTLS_ALERT_DECODE_ERROR, KTLS_ALERT_RECORD_OVERFLOW,
				     KTLS_ALERT_BAD_RECORD_MAC, KTLS_ALERT_UNEXPECTED_MESSAGE,
				     KTLS_ALERT_UNEXPECTED_MESSAGE};
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(ktls_error_alert(codes[i]), alerts[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(ktls_strerror(codes[i]), ktls_strerror(codes[j]));
	}
	for (int e = KTLS_E_BASE; e < KTLS_E_LAST; e++)
		ck_assert(strncmp(ktls_strerror(-e), "unknown ktls error", 18) != 0);
	ck_assert_str_eq(ktls_strerror(-(KTLS_E_ALERT_RECEIVED + 20)),
			 "peer sent alert bad_record_mac (20)");
	ck_assert_int_eq(ktls_error_alert(-ECONNRESET), -1);
	ck_assert_str_eq(ktls_strerror(-ECONNRESET), strerror(ECONNRESET));
}
END_TEST

START_TEST(kernel_only_direction)
{
	/* Without its cipher context (the kernel carries the records) a
	 * direction still re-keys exactly as one with it, and refuses to
	 * seal or open instead of touching a freed context. */
	struct ktls_rec_dir a, b;
	dir_from_hex(&a, KTLS_TLS_AES_128_GCM_SHA256, R8448_C_AP, 1);
	dir_from_hex(&b, KTLS_TLS_AES_128_GCM_SHA256, R8448_C_AP, 1);
	ktls_rec_drop_cipher(&b);
	ck_assert_ptr_null(b.ctx);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ktls_rec_update(&a), 0);
		ck_assert_int_eq(ktls_rec_update(&b), 0);
		ck_assert_mem_eq(a.key, b.key, sizeof(a.key));
		ck_assert_mem_eq(a.iv, b.iv, sizeof(a.iv));
		ck_assert_mem_eq(a.secret, b.secret, sizeof(a.secret));
		ck_assert_uint_eq(b.seq, 0);
	}
	uint8_t out[64];
	ck_assert_int_eq(ktls_rec_seal(&b, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"x", 1, 0,
				       out, sizeof(out)),
			 -KTLS_E_INTERNAL);
	ck_assert_int_gt(ktls_rec_seal(&a, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"x", 1, 0,
				       out, sizeof(out)),
			 0);
	ktls_rec_clear(&a);
	ktls_rec_clear(&b);
}
END_TEST

START_TEST(parked_direction_every_suite)
{
	/* Parked between records and across key updates, a direction seals
	 * byte for byte what one never parked seals, and opens them; a parked
	 * direction the kernel then takes stays refused. */
	const struct ktls_suite *s = ktls_suite_at((size_t)_i);
	uint8_t secret[48], ra[64], rb[64], out[64], type;
	struct ktls_rec_dir a = {0}, b = {0}, rx = {0};
	memset(secret, 0x24 + _i, sizeof(secret));
	ck_assert_int_eq(ktls_rec_init(&a, s, secret, 1), 0);
	ck_assert_int_eq(ktls_rec_init(&b, s, secret, 1), 0);
	ck_assert_int_eq(ktls_rec_init(&rx, s, secret, 0), 0);
	for (int i = 0; i < 12; i++) {
		ktls_rec_park(&b);
		ktls_rec_park(&rx);
		ck_assert_ptr_null(b.ctx);
		ck_assert_ptr_null(rx.ctx);
		if (i % 4 == 3) { /* an update while parked */
			ck_assert_int_eq(ktls_rec_update(&a), 0);
			ck_assert_int_eq(ktls_rec_update(&b), 0);
			ck_assert_int_eq(ktls_rec_update(&rx), 0);
			ck_assert_ptr_null(b.ctx);
		}
		uint8_t msg[20];
		memset(msg, 'a' + i, sizeof(msg));
		long na = ktls_rec_seal(&a, KTLS_CT_APPLICATION_DATA, msg, sizeof(msg), 0, ra,
					sizeof(ra));
		long nb = ktls_rec_seal(&b, KTLS_CT_APPLICATION_DATA, msg, sizeof(msg), 0, rb,
					sizeof(rb));
		ck_assert_int_gt(na, 0);
		ck_assert_int_eq(na, nb);
		ck_assert_mem_eq(ra, rb, (size_t)na);
		ck_assert_ptr_nonnull(b.ctx);
		ck_assert_int_eq(ktls_rec_open(&rx, rb, (size_t)nb, out, sizeof(out), &type),
				 (long)sizeof(msg));
		ck_assert_mem_eq(out, msg, sizeof(msg));
		/* A bad tag under a rebuilt context is still refused. */
		ktls_rec_park(&rx);
		ra[na - 1] ^= 1;
		ck_assert_int_eq(ktls_rec_open(&rx, ra, (size_t)na, out, sizeof(out), &type),
				 -KTLS_E_BAD_RECORD_MAC);
	}
	ktls_rec_park(&b);
	ktls_rec_drop_cipher(&b);
	ck_assert_int_eq(ktls_rec_seal(&b, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"x", 1, 0,
				       out, sizeof(out)),
			 -KTLS_E_INTERNAL);
	ktls_rec_clear(&a);
	ktls_rec_clear(&b);
	ktls_rec_clear(&rx);
}
END_TEST

START_TEST(sequence_exhausted)
{
	struct pair p;
	uint8_t rec[64], type;
	pair_init(&p, KTLS_TLS_AES_256_GCM_SHA384);
	p.tx.seq = UINT64_MAX - 1;
	long n = ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"a", 1, 0, rec,
			       sizeof(rec));
	ck_assert_int_gt(n, 0);
	p.rx.seq = UINT64_MAX - 1;
	ck_assert_int_eq(open_copy(&p.rx, rec, (size_t)n, &type), 1);
	ck_assert_int_eq(ktls_rec_seal(&p.tx, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"a", 1, 0,
				       rec, sizeof(rec)),
			 -KTLS_E_SEQ_EXHAUSTED);
	ck_assert_int_eq(ktls_rec_seal(&p.tx, 23, rec, 1, 0, rec, 10), -KTLS_E_BUFFER_TOO_SMALL);
	pair_clear(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rfc8448_client_app_record_sealed);
	tcase_add_test(tc, rfc8448_server_app_record_opened);
	tcase_add_test(tc, rfc8448_alert_and_finished_opened);
	tcase_add_loop_test(tc, roundtrip_every_suite, 0, KTLS_NUM_SUITES);
	tcase_add_test(tc, bad_truncated_header);
	tcase_add_test(tc, bad_length_over_limit);
	tcase_add_loop_test(tc, bad_tag_every_position, 0, KTLS_NUM_SUITES);
	tcase_add_test(tc, bad_all_zero_padding);
	tcase_add_test(tc, bad_content_types);
	tcase_add_test(tc, kernel_only_direction);
	tcase_add_loop_test(tc, parked_direction_every_suite, 0, KTLS_NUM_SUITES);
	tcase_add_test(tc, distinct_errors_and_alerts);
	tcase_add_test(tc, sequence_exhausted);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
