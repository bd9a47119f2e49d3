/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP heads of ktls-ctl serve/get: paths never leave the root, bad
 * requests get the right status, ranges resolve as RFC 9110 says. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../tools/ktls-ctl/http.h"
#include "testutil.h"

static long parse(const char *text, struct http_req *req)
{
	return http_parse_request(text, strlen(text), req);
}

static long get_path(const char *target, struct http_req *req)
{
	char buf[2048];
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
	return parse(buf, req);
}

START_TEST(simple_get)
{
	struct http_req r;
	const char *t = "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: example\r\n\r\nGET /next";
	long n = parse(t, &r);
	ck_assert_int_eq(n, (long)(strstr(t, "GET /next") - t));
	ck_assert_str_eq(r.path, "a/b.txt");
	ck_assert_str_eq(r.target, "/a/b.txt?x=1");
	ck_assert_str_eq(r.method_text, "GET");
	ck_assert(r.method == HTTP_GET && r.keep_alive && !r.has_range);
	/* HEAD, HTTP/1.0 (no keep-alive unless asked, Host optional), bare LF. */
	ck_assert_int_gt(parse("HEAD / HTTP/1.0\n\n", &r), 0);
	ck_assert(r.method == HTTP_HEAD && !r.keep_alive && !strcmp(r.path, ""));
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 0);
	ck_assert(r.keep_alive);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", &r),
			 0);
	ck_assert(!r.keep_alive);
	/* absolute-form */
	ck_assert_int_gt(parse("GET https://h:1/p/q HTTP/1.1\r\nHost: h\r\n\r\n", &r), 0);
	ck_assert_str_eq(r.path, "p/q");
}
END_TEST

START_TEST(incomplete_needs_more)
{
	struct http_req r;
	const char *t = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	for (size_t i = 0; i < strlen(t); i++)
		ck_assert_int_eq(http_parse_request(t, i, &r), 0);
	ck_assert_int_eq(http_parse_request(t, strlen(t), &r), (long)strlen(t));
}
END_TEST

START_TEST(paths_stay_under_root)
{
	struct http_req r;
	static const struct {
		const char *target, *path;
	} ok[] = {
		{"/", ""},
		{"//a///b/", "a/b"},
		{"/./a/./b", "a/b"},
		{"/a/../b", "b"},
		{"/a/b/../../c", "c"},
		{"/a%2fb", "a/b"},
		{"/%61%62", "ab"},
		{"/a/..", ""},
		{"/x#frag", "x"},
		{"/sp%20ace", "sp ace"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_gt(get_path(ok[i].target, &r), 0);
		ck_assert_str_eq(r.path, ok[i].path);
	}
	static const struct {
		const char *target;
		long status;
	} bad[] = {
		{"/..", -403},		 {"/../etc/passwd", -403},
		{"/a/../../etc", -403},	 {"/%2e%2e/etc", -403},
		{"/%2E%2E%2Fetc", -403}, {"/a/%2e%2e/%2e%2e/x", -403},
		{"/%00", -400},		 {"/a%", -400},
		{"/a%4", -400},		 {"/a%zz", -400},
		{"relative", -400},	 {"*", -400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(get_path(bad[i].target, &r) == bad[i].status, "%s", bad[i].target);
	/* Whatever the path parses to, it has no ".." segment and no NUL. */
	ck_assert_int_gt(get_path("/a/..b/c..", &r), 0);
	ck_assert_str_eq(r.path, "a/..b/c..");
}
END_TEST

START_TEST(bad_requests)
{
	struct http_req r;
	static const struct {
		const char *text;
		long status;
	} cases[] = {
		{"GARBAGE\r\n\r\n", -400},
		{"GET /\r\n\r\n", -400},
		{"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\n\r\n", -400},			/* no Host */
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400}, /* two */
		{"GET / HTTP/1.1\r\nHost : x\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\rx\r\n\r\n", -400},
		{"POST / HTTP/1.1\r\nHost: x\r\n\r\n", -405},
		{"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", -405},
		{"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n", -400},
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", -505},
		{"GET / HTTP/1.1x\r\nHost: x\r\n\r\n", -400},
		{"GET / FTP/1.1\r\nHost: x\r\n\r\n", -400},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(parse(cases[i].text, &r) == cases[i].status, "case %zu", i);
	/* Too large: a head over the limit, or a path longer than fits. */
	static char big[HTTP_MAX_HEAD + 100];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(http_parse_request(big, sizeof(big), &r), -431);
	char longpath[HTTP_MAX_PATH + 50];
	memset(longpath, 'b', sizeof(longpath));
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(get_path(longpath, &r), -414);
}
END_TEST

START_TEST(ranges)
{
	struct http_req r;
	uint64_t a, b;
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n", &r), 0);
	ck_assert(r.has_range);
	ck_assert_int_eq(http_range(&r, 100, &a, &b), 206);
	ck_assert(a == 10 && b == 19);
	ck_assert_int_eq(http_range(&r, 15, &a, &b), 206); /* last clipped */
	ck_assert(a == 10 && b == 14);
	ck_assert_int_eq(http_range(&r, 10, &a, &b), 416);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=-30\r\n\r\n", &r), 0);
	ck_assert_int_eq(http_range(&r, 100, &a, &b), 206);
	ck_assert(a == 70 && b == 99);
	ck_assert_int_eq(http_range(&r, 20, &a, &b), 206);
	ck_assert(a == 0 && b == 19);
	ck_assert_int_eq(http_range(&r, 0, &a, &b), 416);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=5-\r\n\r\n", &r), 0);
	ck_assert_int_eq(http_range(&r, 100, &a, &b), 206);
	ck_assert(a == 5 && b == 99);
	/* Ignored (the whole file): other units, several ranges, nonsense. */
	static const char *ignored[] = {"items=1-2", "bytes=1-2,5-6",
					"bytes=9-3", "bytes=x-",
					"bytes=-",   "bytes=99999999999999999999-"};
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		char t[200];
		snprintf(t, sizeof(t), "GET / HTTP/1.1\r\nHost: x\r\nRange: %s\r\n\r\n",
			 ignored[i]);
		ck_assert_int_gt(parse(t, &r), 0);
		ck_assert_msg(http_range(&r, 100, &a, &b) == 200, "%s", ignored[i]);
	}
}
END_TEST

START_TEST(responses)
{
	struct http_resp s;
	const char *t = "HTTP/1.1 206 Partial Content\r\nContent-Length: 42\r\n\r\nbody";
	ck_assert_int_eq(http_parse_response(t, strlen(t), &s), (long)(strlen(t) - 4));
	ck_assert(s.status == 206 && s.has_length && s.content_length == 42 && s.keep_alive);
	t = "HTTP/1.0 404\r\nConnection: close\r\n\r\n";
	ck_assert_int_gt(http_parse_response(t, strlen(t), &s), 0);
	ck_assert(s.status == 404 && !s.has_length && !s.keep_alive);
	t = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n";
	ck_assert_int_eq(http_parse_response(t, strlen(t), &s), -400);
	t = "HTTP/1.1 2000 OK\r\n\r\n";
	ck_assert_int_eq(http_parse_response(t, strlen(t), &s), -400);
	t = "SSH-2.0-OpenSSH\r\n\r\n";
	ck_assert_int_eq(http_parse_response(t, strlen(t), &s), -400);
	ck_assert_int_eq(http_parse_response(t, 5, &s), 0);
}
END_TEST

START_TEST(mime_types)
{
	ck_assert_str_eq(http_mime_type("a/index.html"), "text/html; charset=utf-8");
	ck_assert_str_eq(http_mime_type("x.PNG"), "image/png");
	ck_assert_str_eq(http_mime_type("dir.d/file"), "application/octet-stream");
	ck_assert_str_eq(http_mime_type(""), "application/octet-stream");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("heads");
	tcase_add_test(tc, simple_get);
	tcase_add_test(tc, incomplete_needs_more);
	tcase_add_test(tc, paths_stay_under_root);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, responses);
	tcase_add_test(tc, mime_types);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
