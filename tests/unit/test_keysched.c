/* SPDX-License-Identifier: Apache-2.0 */
/* Key schedule against RFC 8448 section 3 and libcrypto's own TLS13-KDF. */
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "../vectors/rfc8448.h"
#include "crypto/keysched.h"
#include "ktls/ktls.h"
#include "testutil.h"

static const struct ktls_suite *sha256_suite(void)
{
	const struct ktls_suite *s = ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(rfc5869_case1_extract)
{
	/* RFC 5869 A.1: HKDF-Extract is plain HMAC, checked on its own. */
	size_t ikm_len, salt_len;
	uint8_t *ikm = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", &ikm_len);
	uint8_t *salt = unhex("000102030405060708090a0b0c", &salt_len);
	uint8_t prk[32];
	ck_assert_int_eq(ktls_hkdf_extract(sha256_suite(), salt, salt_len, ikm, ikm_len, prk), 0);
	ck_assert_hex(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
	free(ikm);
	free(salt);
}
END_TEST

START_TEST(rfc4231_hmac)
{
	/* RFC 4231 4.2 (a short key) and 4.7 (longer than a block: hashed
	 * first), SHA-256 and SHA-384. */
	static const char msg2[] = "Hi There";
	static const char msg7[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t k2[20], k7[131], out[KTLS_MAX_HASH];
	memset(k2, 0x0b, sizeof(k2));
	memset(k7, 0xaa, sizeof(k7));
	const struct ktls_suite *s256 = ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256),
				*s384 = ktls_suite_get(KTLS_TLS_AES_256_GCM_SHA384);
	ck_assert_int_eq(ktls_hmac(s256, k2, sizeof(k2), (const uint8_t *)msg2, 8, out), 0);
	ck_assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	ck_assert_int_eq(ktls_hmac(s256, k7, sizeof(k7), (const uint8_t *)msg7, strlen(msg7), out),
			 0);
	ck_assert_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	ck_assert_int_eq(ktls_hmac(s384, k7, sizeof(k7), (const uint8_t *)msg7, strlen(msg7), out),
			 0);
	ck_assert_hex(out, 48,
		      "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
		      "0c2ef6ab4030fe8296248df163f44952");
}
END_TEST

START_TEST(rfc8448_full_schedule)
{
	const struct ktls_suite *s = sha256_suite();
	struct ktls_keysched ks;
	uint8_t out[32], key[16], iv[12];
	size_t n;

	ck_assert_int_eq(ktls_keysched_init(&ks, s, NULL, 0), 0);
	ck_assert_hex(ks.secret, 32, R8448_EARLY);

	uint8_t *ecdhe = unhex(R8448_ECDHE, &n);
	ck_assert_int_eq(ktls_keysched_advance(&ks, ecdhe, n), 0);
	ck_assert_hex(ks.secret, 32, R8448_HS);
	free(ecdhe);

	uint8_t *hs_hash = unhex(R8448_HS_HASH, NULL);
	ck_assert_int_eq(ktls_derive_secret(s, ks.secret, "c hs traffic", hs_hash, out), 0);
	ck_assert_hex(out, 32, R8448_C_HS);
	ck_assert_int_eq(ktls_traffic_key_iv(s, out, key, iv), 0);
	ck_assert_hex(key, 16, R8448_C_HS_KEY);
	ck_assert_hex(iv, 12, R8448_C_HS_IV);
	ck_assert_int_eq(ktls_derive_secret(s, ks.secret, "s hs traffic", hs_hash, out), 0);
	ck_assert_hex(out, 32, R8448_S_HS);
	ck_assert_int_eq(ktls_traffic_key_iv(s, out, key, iv), 0);
	ck_assert_hex(key, 16, R8448_S_HS_KEY);
	ck_assert_hex(iv, 12, R8448_S_HS_IV);
	free(hs_hash);

	ck_assert_int_eq(ktls_keysched_advance(&ks, NULL, 0), 0);
	ck_assert_hex(ks.secret, 32, R8448_MASTER);

	uint8_t *ap_hash = unhex(R8448_AP_HASH, NULL);
	ck_assert_int_eq(ktls_derive_secret(s, ks.secret, "c ap traffic", ap_hash, out), 0);
	ck_assert_hex(out, 32, R8448_C_AP);
	ck_assert_int_eq(ktls_derive_secret(s, ks.secret, "s ap traffic", ap_hash, out), 0);
	ck_assert_hex(out, 32, R8448_S_AP);
	ck_assert_int_eq(ktls_traffic_key_iv(s, out, key, iv), 0);
	ck_assert_hex(key, 16, R8448_S_AP_KEY);
	ck_assert_hex(iv, 12, R8448_S_AP_IV);
	free(ap_hash);

	ktls_keysched_wipe(&ks);
	static const uint8_t zero[sizeof(ks)];
	ck_assert_mem_eq(&ks, zero, sizeof(ks));
}
END_TEST

/* HKDF-Expand-Label by libcrypto's separate TLS13-KDF implementation. */
static void reference_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
				   const char *label, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	ck_assert_ptr_nonnull(kdf);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						  strlen(label)),
		OSSL_PARAM_construct_end(),
	};
	ck_assert_int_eq(EVP_KDF_derive(ctx, out, out_len, p), 1);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

START_TEST(next_generation_chain)
{
	/* _i: each suite. Start from a secret that is not all zeros and walk
	 * eight generations, each checked against the reference. */
	const struct ktls_suite *s = ktls_suite_at((size_t)_i);
	ck_assert_ptr_nonnull(s);
	const char *md = s->hash_len == 48 ? "SHA384" : "SHA256";
	uint8_t ours[48], ref[48], prev[48];
	for (size_t i = 0; i < s->hash_len; i++)
		ours[i] = ref[i] = (uint8_t)(i * 7 + 3);
	for (int gen = 1; gen <= 8; gen++) {
		memcpy(prev, ref, s->hash_len);
		reference_expand_label(md, prev, s->hash_len, "traffic upd", ref, s->hash_len);
		ck_assert_int_eq(ktls_next_traffic_secret(s, ours, ours), 0);
		ck_assert_mem_eq(ours, ref, s->hash_len);
		ck_assert_mem_ne(ours, prev, s->hash_len);
	}
	/* And the derived traffic key matches too. */
	uint8_t key[32], iv[12], rkey[32], riv[12];
	ck_assert_int_eq(ktls_traffic_key_iv(s, ours, key, iv), 0);
	reference_expand_label(md, ref, s->hash_len, "key", rkey, s->key_len);
	reference_expand_label(md, ref, s->hash_len, "iv", riv, 12);
	ck_assert_mem_eq(key, rkey, s->key_len);
	ck_assert_mem_eq(iv, riv, 12);
}
END_TEST

START_TEST(rfc8448_next_generation_known)
{
	/* Generation 1 of the RFC's client application secret, by reference. */
	const struct ktls_suite *s = sha256_suite();
	uint8_t *c_ap = unhex(R8448_C_AP, NULL), ours[32], ref[32];
	reference_expand_label("SHA256", c_ap, 32, "traffic upd", ref, 32);
	ck_assert_int_eq(ktls_next_traffic_secret(s, c_ap, ours), 0);
	ck_assert_mem_eq(ours, ref, 32);
	free(c_ap);
}
END_TEST

START_TEST(expand_label_long_output)
{
	/* Output longer than one hash block exercises the HKDF counter. */
	const struct ktls_suite *s = sha256_suite();
	uint8_t secret[32], ours[100], ref[100];
	memset(secret, 0x5a, sizeof(secret));
	ck_assert_int_eq(ktls_hkdf_expand_label(s, secret, "exporter", NULL, 0, ours, 100), 0);
	reference_expand_label("SHA256", secret, 32, "exporter", ref, 100);
	ck_assert_mem_eq(ours, ref, 100);
}
END_TEST

START_TEST(suites_known)
{
	ck_assert_ptr_nonnull(ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256));
	ck_assert_ptr_nonnull(ktls_suite_get(KTLS_TLS_AES_256_GCM_SHA384));
	ck_assert_ptr_nonnull(ktls_suite_get(KTLS_TLS_CHACHA20_POLY1305_SHA256));
	ck_assert_ptr_nonnull(ktls_suite_get(KTLS_TLS_AES_128_CCM_SHA256));
	ck_assert_ptr_null(ktls_suite_get(0x1305)); /* CCM_8: not offered */
	ck_assert_ptr_null(ktls_suite_get(0x00ff));
	ck_assert_str_eq(ktls_suite_name(KTLS_TLS_AES_256_GCM_SHA384), "TLS_AES_256_GCM_SHA384");
	ck_assert_ptr_null(ktls_suite_name(0xc02f));
}
END_TEST

/* Without a PSK the early and "derived" secrets come from constants made
 * once per suite; the schedule must match the one computed from a PSK of
 * hash_len zeros (the same HKDF-Extract input, RFC 8446 7.1) at every
 * stage, for every suite (RFC 8448 checks SHA-256 only). */
START_TEST(zero_psk_constants)
{
	const struct ktls_suite *s = ktls_suite_at((size_t)_i);
	ck_assert_ptr_nonnull(s);
	static const uint8_t zeros[KTLS_MAX_HASH];
	uint8_t ikm[32];
	memset(ikm, 0xa5, sizeof(ikm));
	struct ktls_keysched a, b;
	ck_assert_int_eq(ktls_keysched_init(&a, s, NULL, 0), 0);
	ck_assert_int_eq(ktls_keysched_init(&b, s, zeros, s->hash_len), 0);
	ck_assert_mem_eq(a.secret, b.secret, s->hash_len);
	for (int stage = 0; stage < 2; stage++) {
		ck_assert_int_eq(ktls_keysched_advance(&a, stage ? NULL : ikm, sizeof(ikm)), 0);
		ck_assert_int_eq(ktls_keysched_advance(&b, stage ? NULL : ikm, sizeof(ikm)), 0);
		ck_assert_mem_eq(a.secret, b.secret, s->hash_len);
	}
	ktls_keysched_wipe(&a);
	ktls_keysched_wipe(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keysched");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rfc5869_case1_extract);
	tcase_add_test(tc, rfc4231_hmac);
	tcase_add_test(tc, rfc8448_full_schedule);
	tcase_add_loop_test(tc, next_generation_chain, 0, KTLS_NUM_SUITES);
	tcase_add_test(tc, rfc8448_next_generation_known);
	tcase_add_test(tc, expand_label_long_output);
	tcase_add_test(tc, suites_known);
	tcase_add_loop_test(tc, zero_psk_constants, 0, KTLS_NUM_SUITES);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
