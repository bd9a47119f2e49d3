/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel layer without a kTLS kernel: crypto_info byte layout (checked
 * against the system's linux/tls.h), errno mapping through swapped socket
 * calls, and the probe on whatever kernel runs the test. */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "ktls/ktls.h"
#include "testutil.h"

static uint8_t key[32], iv[12];

static void fill(void)
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 12; i++)
		iv[i] = (uint8_t)(0xa0 + i);
}

START_TEST(layout_aes_gcm_128)
{
	union ktls_uapi_crypto ci;
	fill();
	int n = ktls_kernel_crypto_info(ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256), key, iv,
					0x0102030405060708ull, &ci);
	ck_assert_int_eq(n, sizeof(struct tls12_crypto_info_aes_gcm_128));
	const struct tls12_crypto_info_aes_gcm_128 *k = (const void *)&ci;
	ck_assert_uint_eq(k->info.version, TLS_1_3_VERSION);
	ck_assert_uint_eq(k->info.cipher_type, TLS_CIPHER_AES_GCM_128);
	ck_assert_mem_eq(k->salt, iv, 4);
	ck_assert_mem_eq(k->iv, iv + 4, 8);
	ck_assert_mem_eq(k->key, key, 16);
	ck_assert_hex(k->rec_seq, 8, "0102030405060708");
	/* Raw bytes too: the u16 fields are host-endian in the ABI. */
	const uint8_t *b = (const uint8_t *)&ci;
	ck_assert_hex(b, 4, "04033300");
	ck_assert_uint_eq(b[4], iv[4]);
	ck_assert_uint_eq(b[28], iv[0]);
}
END_TEST

START_TEST(layout_aes_gcm_256)
{
	union ktls_uapi_crypto ci;
	fill();
	int n = ktls_kernel_crypto_info(ktls_suite_get(KTLS_TLS_AES_256_GCM_SHA384), key, iv, 5,
					&ci);
	ck_assert_int_eq(n, sizeof(struct tls12_crypto_info_aes_gcm_256));
	const struct tls12_crypto_info_aes_gcm_256 *k = (const void *)&ci;
	ck_assert_uint_eq(k->info.cipher_type, TLS_CIPHER_AES_GCM_256);
	ck_assert_mem_eq(k->salt, iv, 4);
	ck_assert_mem_eq(k->iv, iv + 4, 8);
	ck_assert_mem_eq(k->key, key, 32);
	ck_assert_hex(k->rec_seq, 8, "0000000000000005");
}
END_TEST

START_TEST(layout_aes_ccm_128)
{
	union ktls_uapi_crypto ci;
	fill();
	int n = ktls_kernel_crypto_info(ktls_suite_get(KTLS_TLS_AES_128_CCM_SHA256), key, iv, 0,
					&ci);
	ck_assert_int_eq(n, sizeof(struct tls12_crypto_info_aes_ccm_128));
	const struct tls12_crypto_info_aes_ccm_128 *k = (const void *)&ci;
	ck_assert_uint_eq(k->info.version, TLS_1_3_VERSION);
	ck_assert_uint_eq(k->info.cipher_type, TLS_CIPHER_AES_CCM_128);
	ck_assert_mem_eq(k->salt, iv, 4);
	ck_assert_mem_eq(k->iv, iv + 4, 8);
	ck_assert_mem_eq(k->key, key, 16);
}
END_TEST

START_TEST(layout_chacha)
{
	union ktls_uapi_crypto ci;
	fill();
	int n = ktls_kernel_crypto_info(ktls_suite_get(KTLS_TLS_CHACHA20_POLY1305_SHA256), key, iv,
					0xffull << 56, &ci);
	ck_assert_int_eq(n, sizeof(struct tls12_crypto_info_chacha20_poly1305));
	const struct tls12_crypto_info_chacha20_poly1305 *k = (const void *)&ci;
	ck_assert_uint_eq(k->info.cipher_type, TLS_CIPHER_CHACHA20_POLY1305);
	ck_assert_mem_eq(k->iv, iv, 12);
	ck_assert_mem_eq(k->key, key, 32);
	ck_assert_hex(k->rec_seq, 8, "ff00000000000000");
	ck_assert_uint_eq(offsetof(struct tls12_crypto_info_chacha20_poly1305, rec_seq),
			  offsetof(struct ktls_uapi_chacha, rec_seq));
}
END_TEST

/* Swapped socket calls: fail with a chosen errno and record what was asked. */
static int fake_errno, fake_level, fake_opt;
static uint8_t fake_seen[64];
static socklen_t fake_len;
static const char *fake_ulp = "tls";
static socklen_t fake_asked;

static int fake_set(int fd, int level, int opt, const void *v, socklen_t len)
{
	(void)fd;
	fake_level = level;
	fake_opt = opt;
	fake_len = len;
	memcpy(fake_seen, v, len < sizeof(fake_seen) ? len : sizeof(fake_seen));
	errno = fake_errno;
	return fake_errno ? -1 : 0;
}

static int fake_get(int fd, int level, int opt, void *v, socklen_t *len)
{
	(void)fd;
	(void)level;
	if (fake_errno) {
		errno = fake_errno;
		return -1;
	}
	if (opt == KTLS_UAPI_TCP_ULP) {
		strcpy(v, fake_ulp);
		*len = (socklen_t)strlen(fake_ulp);
		return 0;
	}
	union ktls_uapi_crypto ci;
	fill();
	fake_asked = *len;
	if (*len > sizeof(ci))
		return -1;
	*len = (socklen_t)ktls_kernel_crypto_info(ktls_suite_get(KTLS_TLS_AES_256_GCM_SHA384), key,
						  iv, 0x1122334455667788ull, &ci);
	memcpy(v, &ci, *len);
	return 0;
}

static void fake_on(void)
{
	ktls_sys.setsockopt = fake_set;
	ktls_sys.getsockopt = fake_get;
}

static void fake_off(void)
{
	ktls_sys.setsockopt = setsockopt;
	ktls_sys.getsockopt = getsockopt;
}

START_TEST(attach_errors)
{
	fake_errno = 0;
	ck_assert_int_eq(ktls_kernel_attach(3), 0);
	ck_assert_int_eq(fake_level, IPPROTO_TCP);
	ck_assert_int_eq(fake_opt, KTLS_UAPI_TCP_ULP);
	ck_assert_str_eq((const char *)fake_seen, "tls");
	fake_errno = ENOENT;
	ck_assert_int_eq(ktls_kernel_attach(3), -KTLS_E_NO_KTLS);
	fake_errno = ENOTCONN;
	ck_assert_int_eq(ktls_kernel_attach(3), -KTLS_E_NOT_CONNECTED);
	fake_errno = EPERM;
	ck_assert_int_eq(ktls_kernel_attach(3), -EPERM);
}
END_TEST

START_TEST(set_key_errors)
{
	const struct ktls_suite *s = ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256);
	fill();
	fake_errno = 0;
	ck_assert_int_eq(ktls_kernel_set_key(3, KTLS_DIR_RX, s, key, iv, 9, false), 0);
	ck_assert_int_eq(fake_level, KTLS_UAPI_SOL_TLS);
	ck_assert_int_eq(fake_opt, TLS_RX);
	ck_assert_uint_eq(fake_len, 40);
	ck_assert_hex(fake_seen + 32, 8, "0000000000000009");
	struct {
		int err;
		bool rekey;
		int want;
	} cases[] = {
		{EBUSY, true, -KTLS_E_REKEY_UNSUPPORTED},
		{EBUSY, false, -KTLS_E_ALREADY_INSTALLED},
		{EINVAL, false, -KTLS_E_CIPHER_UNSUPPORTED},
		{EINVAL, true, -EINVAL},
		{ENOENT, false, -KTLS_E_CIPHER_UNSUPPORTED},
		{ENOPROTOOPT, false, -KTLS_E_NO_ULP},
		{ENOMEM, false, -ENOMEM},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_errno = cases[i].err;
		ck_assert_int_eq(ktls_kernel_set_key(3, KTLS_DIR_TX, s, key, iv, 0, cases[i].rekey),
				 cases[i].want);
	}
}
END_TEST

START_TEST(get_seq_parses_and_maps)
{
	uint64_t seq = 0;
	const struct ktls_suite *s256 = ktls_suite_get(KTLS_TLS_AES_256_GCM_SHA384);
	fake_errno = 0;
	ck_assert_int_eq(ktls_kernel_get_seq(3, KTLS_DIR_TX, s256, &seq), 0);
	ck_assert_uint_eq(fake_asked, sizeof(struct tls12_crypto_info_aes_gcm_256));
	ck_assert_uint_eq(seq, 0x1122334455667788ull);
	/* The kernel answers with another cipher than the caller believes. */
	ck_assert_int_eq(ktls_kernel_get_seq(3, KTLS_DIR_TX,
					     ktls_suite_get(KTLS_TLS_AES_128_GCM_SHA256), &seq),
			 -KTLS_E_CIPHER_UNSUPPORTED);
	fake_errno = EBUSY;
	ck_assert_int_eq(ktls_kernel_get_seq(3, KTLS_DIR_TX, s256, &seq), -KTLS_E_NOT_INSTALLED);
	fake_errno = ENOPROTOOPT;
	ck_assert_int_eq(ktls_kernel_get_seq(3, KTLS_DIR_RX, s256, &seq), -KTLS_E_NO_ULP);
}
END_TEST

static int fake_set_eexist(int fd, int level, int opt, const void *v, socklen_t len)
{
	(void)fd, (void)level, (void)opt, (void)v, (void)len;
	errno = EEXIST;
	return -1;
}

START_TEST(attach_other_ulp)
{
	/* EEXIST: our own ULP already there is fine; another one is a clash. */
	ktls_sys.setsockopt = fake_set_eexist;
	fake_errno = 0;
	fake_ulp = "tls";
	ck_assert_int_eq(ktls_kernel_attach(3), 0);
	fake_ulp = "mptcp";
	ck_assert_int_eq(ktls_kernel_attach(3), -KTLS_E_ULP_BUSY);
	fake_ulp = "tls";
}
END_TEST

static int fake_set_enoprotoopt(int fd, int level, int opt, const void *v, socklen_t len)
{
	(void)fd, (void)level, (void)opt, (void)v, (void)len;
	errno = ENOPROTOOPT;
	return -1;
}

START_TEST(tx_max_payload_maps_errors)
{
	/* The range is TLS 1.3's, checked before the kernel is asked. */
	fake_errno = 0;
	fake_opt = 0;
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(3, 62), -ERANGE);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(3, 16385), -ERANGE);
	ck_assert_int_eq(fake_opt, 0);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(3, 63), 0);
	ck_assert_int_eq(fake_level, KTLS_UAPI_SOL_TLS);
	ck_assert_int_eq(fake_opt, KTLS_UAPI_TLS_TX_MAX_PAYLOAD_LEN);
	ck_assert_int_eq(fake_len, 2);
	uint16_t v;
	memcpy(&v, fake_seen, 2);
	ck_assert_uint_eq(v, 63);
	fake_errno = EBUSY; /* a record is open */
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(3, 100), -EBUSY);
	/* ENOPROTOOPT: with the tls ULP on, the module lacks the option;
	 * without it, there is no ULP. */
	ktls_sys.setsockopt = fake_set_enoprotoopt;
	fake_errno = 0;
	fake_ulp = "tls";
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(3, 100), -EOPNOTSUPP);
	fake_ulp = "";
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(3, 100), -KTLS_E_NO_ULP);
	fake_ulp = "tls";
}
END_TEST

START_TEST(probe_this_kernel)
{
	/* Whatever this kernel is, the probe must agree with a direct attempt
	 * and say so plainly. */
	struct ktls_kernel_info info;
	ck_assert_int_eq(ktls_probe_kernel(&info, 0), 0);
	FILE *f = fopen("/proc/net/tls_stat", "r");
	printf("probe: tls=%d (%s) suites=%#x rekey=%d\n", info.tls,
	       info.tls ? ktls_strerror(info.tls) : "available", info.suites, info.rekey);
	if (info.tls == 0) {
		ck_assert_uint_ne(info.suites, 0);
		ck_assert_ptr_nonnull(f); /* module loaded: its counters exist */
	} else {
		ck_assert_int_eq(info.tls, -KTLS_E_NO_KTLS);
		ck_assert_uint_eq(info.suites, 0);
		ck_assert_int_lt(info.rekey, 0);
		ck_assert_ptr_nonnull(strstr(ktls_strerror(info.tls), "tls"));
		/* An unconnected socket: the module check comes first. */
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(ktls_kernel_attach(fd), -KTLS_E_NO_KTLS);
		close(fd);
	}
	if (f)
		fclose(f);
	/* Cached: a second call answers the same. */
	struct ktls_kernel_info again;
	ck_assert_int_eq(ktls_probe_kernel(&again, 0), 0);
	ck_assert_mem_eq(&info, &again, sizeof(info));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("layout");
	tcase_add_test(tc, layout_aes_gcm_128);
	tcase_add_test(tc, layout_aes_gcm_256);
	tcase_add_test(tc, layout_aes_ccm_128);
	tcase_add_test(tc, layout_chacha);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, fake_on, fake_off);
	tcase_add_test(tc, attach_errors);
	tcase_add_test(tc, set_key_errors);
	tcase_add_test(tc, get_seq_parses_and_maps);
	tcase_add_test(tc, attach_other_ulp);
	tcase_add_test(tc, tx_max_payload_maps_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("probe");
	tcase_add_test(tc, probe_this_kernel);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
