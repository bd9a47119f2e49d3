/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS_TX_MAX_PAYLOAD_LEN (mainline 6.19, our kmod patches) through the
 * kernel layer: range per TLS version, EBUSY while a record is open, the
 * default, records really cut at the limit, the probe bit and sock_diag (as
 * `ktls-ctl list` shows it). KTLS_EXPECT_MAXPAYLOAD=1: the kernel has the
 * option; 0: it has not (Debian's stock modules), and every call says so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "vmutil.h"

static int expect(void)
{
	const char *e = getenv("KTLS_EXPECT_MAXPAYLOAD");
	if (!e || (strcmp(e, "0") && strcmp(e, "1"))) {
		fprintf(stderr, "vm_payload: KTLS_EXPECT_MAXPAYLOAD must be 0 or 1\n");
		exit(2);
	}
	return atoi(e);
}

/* A loopback pair whose first socket has a TX key of `version`. */
static void tx_pair(int fds[2], uint16_t version)
{
	struct keys k;
	keys_gen(&k, 0, 0x33, 0);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	ck_assert_int_eq(ktls_kernel_attach(fds[0]), 0);
	union ktls_uapi_crypto ci;
	int len = ktls_kernel_crypto_info(k.s, k.key, k.iv, 0, &ci);
	ci.info.version = version;
	ck_assert_int_eq(
		setsockopt(fds[0], KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX, &ci, (socklen_t)len), 0);
}

static int raw_set(int fd, uint16_t v)
{
	return setsockopt(fd, KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX_MAX_PAYLOAD_LEN, &v, sizeof(v))
		       ? -errno
		       : 0;
}

START_TEST(probe_reports_it)
{
	struct ktls_kernel_info info;
	ck_assert_int_eq(ktls_probe_kernel(&info, KTLS_PROBE_FRESH), 0);
	ck_assert_int_eq(info.tx_max_payload, expect());
}
END_TEST

START_TEST(ranges_and_default)
{
	int fds[2];
	uint16_t v = 0;
	tx_pair(fds, KTLS_UAPI_VERSION_1_3);
	if (!expect()) {
		ck_assert_int_eq(ktls_kernel_get_tx_max_payload(fds[0], &v), -EOPNOTSUPP);
		ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 1000), -EOPNOTSUPP);
		goto out;
	}
	ck_assert_int_eq(ktls_kernel_get_tx_max_payload(fds[0], &v), 0);
	ck_assert_uint_eq(v, 16384);
	/* TLS 1.3: 63..16384 (record_size_limit less the content type). */
	ck_assert_int_eq(raw_set(fds[0], 62), -EINVAL);
	ck_assert_int_eq(raw_set(fds[0], 16385), -EINVAL);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 62), -ERANGE);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 63), 0);
	ck_assert_int_eq(ktls_kernel_get_tx_max_payload(fds[0], &v), 0);
	ck_assert_uint_eq(v, 63);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 16384), 0);
	uint32_t wide = 100; /* the option is a u16: other lengths are refused */
	ck_assert_int_eq(setsockopt(fds[0], KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX_MAX_PAYLOAD_LEN,
				    &wide, sizeof(wide)),
			 -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fds[0]);
	close(fds[1]);
	/* TLS 1.2: 64..16384. */
	tx_pair(fds, 0x0303);
	ck_assert_int_eq(raw_set(fds[0], 63), -EINVAL);
	ck_assert_int_eq(raw_set(fds[0], 64), 0);
out:
	close(fds[0]);
	close(fds[1]);
	/* Without the ULP: the layer says so. */
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 1000), -KTLS_E_NO_ULP);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(ebusy_while_a_record_is_open)
{
	int fds[2];
	tx_pair(fds, KTLS_UAPI_VERSION_1_3);
	ck_assert_int_eq(send(fds[0], "abc", 3, MSG_MORE), 3);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 1000), -EBUSY);
	ck_assert_int_eq(send(fds[0], "d", 1, 0), 1); /* closes the record */
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 1000), 0);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(records_cut_at_the_limit)
{
	/* 1000 bytes with a limit of 100: ten records of 100 bytes, each
	 * 5 + 100 + 1 (content type) + 16 (tag) bytes on the wire. */
	int fds[2];
	tx_pair(fds, KTLS_UAPI_VERSION_1_3);
	ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 100), 0);
	uint8_t *data = pattern(1000, 7);
	ck_assert_int_eq(ktls_write_all(fds[0], data, 1000), 0);
	uint8_t wire[10 * 122];
	ck_assert_int_eq(ktls_read_full(fds[1], wire, sizeof(wire)), 0);
	for (int i = 0; i < 10; i++) {
		const uint8_t *h = wire + i * 122;
		ck_assert_uint_eq(h[0], 23);
		ck_assert_uint_eq((unsigned)(h[3] << 8 | h[4]), 117);
	}
	free(data);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(sock_diag_reports_it)
{
	/* ktls-ctl list reads TLS_INFO_TX_MAX_PAYLOAD_LEN from sock_diag. */
	const char *ctl = getenv("KTLS_CTL");
	ck_assert_msg(ctl != NULL, "KTLS_CTL names ktls-ctl");
	int fds[2];
	tx_pair(fds, KTLS_UAPI_VERSION_1_3);
	if (expect())
		ck_assert_int_eq(ktls_kernel_set_tx_max_payload(fds[0], 1234), 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	ck_assert_int_eq(getsockname(fds[0], (struct sockaddr *)&a, &alen), 0);
	char cmd[256], out[4096] = "";
	snprintf(cmd, sizeof(cmd), "%s list --json --port %u", ctl, ntohs(a.sin_port));
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	pclose(p);
	printf("%s", out);
	ck_assert_ptr_nonnull(
		strstr(out, expect() ? "\"tx_max_payload\":1234" : "\"tx_max_payload\":null"));
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int main(void)
{
	expect();
	Suite *s = suite_create("vm-payload");
	TCase *tc = tcase_create("tx-max-payload");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, probe_reports_it);
	tcase_add_test(tc, ranges_and_default);
	/* Only where the option exists (ranges_and_default checks the
	 * refusal elsewhere): no test passes by returning early. */
	if (expect()) {
		tcase_add_test(tc, ebusy_while_a_record_is_open);
		tcase_add_test(tc, records_cut_at_the_limit);
	}
	tcase_add_test(tc, sock_diag_reports_it);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
