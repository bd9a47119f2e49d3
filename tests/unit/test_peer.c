/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection against a hostile or broken peer after the handshake: every
 * record the peer sends is chosen here (rawpeer.h). Runs on the host
 * (userspace RX) and in the VM over the patched module (kernel RX).
 */
#include <fcntl.h>

#include "rawpeer.h"

static const uint8_t close_notify[2] = {1, KTLS_ALERT_CLOSE_NOTIFY};

START_TEST(truncation_is_not_a_clean_end)
{
	/* _i: 0 data then FIN, 1 FIN alone, 2 data then FIN read by splice,
	 * 3 data then close_notify (the clean end). */
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	if (_i != 1)
		rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "data", 4, 0);
	if (_i == 3)
		rawpeer_send(&p, KTLS_CT_ALERT, close_notify, 2, 0);
	shutdown(p.fd, SHUT_WR);
	uint8_t buf[16];
	long want_end = _i == 3 ? 0 : -KTLS_E_TRUNCATED;
	if (_i == 2) {
		int pfd[2];
		ck_assert_int_eq(pipe(pfd), 0);
		ck_assert_int_eq(ktls_splice_read(p.conn, pfd[1], 4096, 0), 4);
		ck_assert_int_eq(read(pfd[0], buf, sizeof(buf)), 4);
		ck_assert_int_eq(ktls_splice_read(p.conn, pfd[1], 4096, 0), want_end);
		close(pfd[0]);
		close(pfd[1]);
	} else {
		if (_i != 1)
			ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 4);
		ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), want_end);
	}
	/* It stays what it was: a truncated stream never turns into an end. */
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), want_end);
	rawpeer_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("hostile peer");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, truncation_is_not_a_clean_end, 0, 4);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
