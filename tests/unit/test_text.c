/* SPDX-License-Identifier: Apache-2.0 */
/* ktls-ctl's escaping of text from others: JSON that always parses, a
 * terminal that never sees a control character, log lines of printable
 * ASCII, and buffers never overrun or cut mid-escape. */
#include <check.h>
#include <string.h>

#include "../../tools/ktls-ctl/text.h"
#include "testutil.h"

START_TEST(json)
{
	char out[128];
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"ktls-ctl", "ktls-ctl"},
		{"a\"b\\c", "a\\\"b\\\\c"},
		{"\x1b[31mred\n\t", "\\u001b[31mred\\u000a\\u0009"},
		{"del\x7f", "del\\u007f"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},		   /* valid UTF-8 kept */
		{"\xc2\x9b", "\\u009b"},		   /* C1 control (CSI) */
		{"\xff\xc3", "\\ufffd\\ufffd"},		   /* invalid bytes */
		{"\xc0\xaf", "\\ufffd\\ufffd"},		   /* overlong "/" */
		{"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"}, /* a surrogate */
		{"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(text_json(out, sizeof(out), cases[i].in), cases[i].want);
	/* Cut only between whole escapes. */
	ck_assert_str_eq(text_json(out, 8, "ab\x1b"), "ab");
	ck_assert_str_eq(text_json(out, 9, "ab\x1b"), "ab\\u001b");
	ck_assert_str_eq(text_json(out, 4, "ab\"c"), "ab");
}
END_TEST

START_TEST(terminal)
{
	char out[64];
	ck_assert_str_eq(text_terminal(out, sizeof(out), "evil\x1b]0;t\x07\r\n"), "evil?]0;t???");
	ck_assert_str_eq(text_terminal(out, sizeof(out), "caf\xc3\xa9 \xc2\x9b\xff"),
			 "caf\xc3\xa9 ??");
	ck_assert_str_eq(text_terminal(out, 5, "caf\xc3\xa9"), "caf");
}
END_TEST

START_TEST(log_line)
{
	char out[64];
	ck_assert_str_eq(text_log(out, sizeof(out), "/a b\"\\\x01\xff"),
			 "/a\\x20b\\x22\\x5c\\x01\\xff");
	ck_assert_str_eq(text_log(out, sizeof(out), ""), "-");
	ck_assert_str_eq(text_log(out, 6, "ab\x01"), "ab");
	for (size_t i = 0; i < strlen(text_log(out, sizeof(out), "\x1b[2J\r\n")); i++)
		ck_assert(out[i] > 0x20 && out[i] < 0x7f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("escaping");
	tcase_add_test(tc, json);
	tcase_add_test(tc, terminal);
	tcase_add_test(tc, log_line);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
