/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by the Check unit tests. */
#ifndef KTLS_TESTUTIL_H
#define KTLS_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Decodes hex (spaces allowed) into a fresh exact-size heap buffer, so that
 * ASan catches any read past the end. */
static inline uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap);
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, out, n);
	free(out);
	if (len)
		*len = n;
	return exact;
}

/* Asserts that buf[0..len) equals the hex string. */
#define ck_assert_hex(buf, len, hex)                                                               \
	do {                                                                                       \
		size_t want_len_;                                                                  \
		uint8_t *want_ = unhex(hex, &want_len_);                                           \
		ck_assert_uint_eq((len), want_len_);                                               \
		ck_assert_mem_eq((buf), want_, want_len_);                                         \
		free(want_);                                                                       \
	} while (0)

/* Runs one suite and returns a process exit status. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
