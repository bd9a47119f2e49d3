/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP heads of ktls-ctl serve/get: paths never leave the root, bad
 * requests get the right status (at once, before the head is complete),
 * framing is exact both ways (RFC 9112), ranges and conditional requests
 * resolve as RFC 9110 says, chunked bodies decode. */
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
		/* Whitespace before the first field (RFC 9112 2.2). */
		{"GET / HTTP/1.1\r\n Host: x\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\nX: \x7f\r\n\r\n", -400},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(parse(cases[i].text, &r) == cases[i].status, "case %zu", i);
	/* Too large: a request line over the head's limit, or a path longer
	 * than fits. */
	static char big[HTTP_MAX_HEAD + 100];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(http_parse_request(big, sizeof(big), &r), -414);
	char longpath[HTTP_MAX_PATH + 50];
	memset(longpath, 'b', sizeof(longpath));
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(get_path(longpath, &r), -414);
}
END_TEST

START_TEST(empty_lines_first)
{
	struct http_req r;
	const char *t = "\r\n\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	ck_assert_int_eq(parse(t, &r), (long)strlen(t));
	ck_assert_str_eq(r.path, "a");
	ck_assert(r.head == t + 5);
	/* Still waiting: only empty lines, or a CR that may start one. */
	ck_assert_int_eq(parse("\r\n\r\n", &r), 0);
	ck_assert_int_eq(parse("\r\n\r", &r), 0);
	/* A keep-alive client's stray CRLF after a request is skipped too;
	 * a head of nothing but empty lines is over the limit like any. */
	static char crlf[HTTP_MAX_HEAD];
	for (size_t i = 0; i < sizeof(crlf); i += 2)
		memcpy(crlf + i, "\r\n", 2);
	ck_assert_int_eq(http_parse_request(crlf, sizeof(crlf), &r), -431);
}
END_TEST

/* Malformed heads are refused as soon as the offending line is in, and the
 * status is the one the whole head would get. */
START_TEST(refused_early)
{
	struct http_req r;
	static const struct {
		const char *text;
		long status;
		size_t len; /* 0: strlen */
	} cases[] = {
		{"GARBAGE\r\n", -400},
		{"G\x01T / HTTP/1.1\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\n folded", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n", -400},
		{"GET / HTTP/1.1\r\nTransfer-Encoding: foo\r\n", -501},
		{"POST / HTTP/1.1\r\n", -405},
		{"GET / HTTP/3.0\r\n", -505},
		/* An unfinished line with a NUL or a bare CR in it. */
		{"GET /\0", -400, 6},
		{"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb", -400},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].len ? cases[i].len : strlen(cases[i].text);
		ck_assert_msg(http_parse_request(cases[i].text, n, &r) == cases[i].status,
			      "case %zu", i);
	}
	/* An 8 KiB request line: 414; an 8 KiB header line: 431. */
	static char big[HTTP_MAX_HEAD];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(http_parse_request(big, sizeof(big), &r), -414);
	const char *start = "GET / HTTP/1.1\r\nHost: x\r\nX-Long: ";
	memcpy(big, start, strlen(start));
	ck_assert_int_eq(http_parse_request(big, sizeof(big), &r), -431);
	ck_assert_int_eq(http_parse_request(big, sizeof(big) - 1, &r), 0);
}
END_TEST

/* No request smuggling: one Content-Length of 0 at most, no transfer
 * codings (a body on GET or HEAD is refused as a policy), 501 for codings
 * not known at all (RFC 9112 6.1, 6.3). */
START_TEST(framing)
{
	struct http_req r;
	static const struct {
		const char *fields;
		long status;
	} cases[] = {
		{"Content-Length: 0\r\n", 1},
		{"Content-Length: 000\r\n", 1},
		{"Content-Length: 0\r\nContent-Length: 0\r\n", -400},
		{"Content-Length: 0\r\nContent-Length: 5\r\n", -400},
		{"Content-Length: 0, 0\r\n", -400},
		{"Content-Length: +0\r\n", -400},
		{"Content-Length: 5\r\n", -400},
		{"Content-Length:\r\n", -400},
		{"Transfer-Encoding: chunked\r\n", -400},
		{"Transfer-Encoding: Chunked\r\n", -400},
		{"Transfer-Encoding: gzip, chunked\r\n", -400},
		{"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", -400},
		{"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", -400},
		{"Transfer-Encoding: foo\r\n", -501},
		{"Transfer-Encoding: chunked, foo\r\n", -501},
		{"Transfer-Encoding: identity\r\n", -501},
		{"Transfer-Encoding : chunked\r\n", -400},
		{"Transfer-Encoding:\tchunked\r\n", -400},
		{"Transfer-Encoding: \"chunked\"\r\n", -400},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char t[256];
		snprintf(t, sizeof(t), "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n", cases[i].fields);
		long n = parse(t, &r);
		ck_assert_msg(cases[i].status > 0 ? n == (long)strlen(t) : n == cases[i].status,
			      "case %zu: %ld", i, n);
	}
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &r), -400);
	ck_assert_int_eq(parse("HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n", &r),
			 -400);
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

/* What get accepts: one framing, stated once (RFC 9112 6.3). */
START_TEST(response_framing)
{
	struct http_resp s;
	static const struct {
		const char *text;
		long ok;
		bool has_length, chunked, keep_alive;
		uint64_t length;
	} cases[] = {
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1, false, true, true, 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 1, false, true, true, 0},
		{"HTTP/1.1 200 OK\r\n\r\n", 1, false, false, false, 0},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 1, true, false, true,
		 0},
		{"HTTP/1.1 204 No Content\r\n\r\n", 1, true, false, true, 0},
		{"HTTP/1.1 100 Continue\r\n\r\n", 1, true, false, true, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
		 "chunked\r\n\r\n",
		 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", 0},
		{"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = http_parse_response(cases[i].text, strlen(cases[i].text), &s);
		if (!cases[i].ok) {
			ck_assert_msg(n == -400 && s.error, "case %zu: %ld", i, n);
			continue;
		}
		ck_assert_msg(n == (long)strlen(cases[i].text), "case %zu: %ld", i, n);
		ck_assert_msg(s.has_length == cases[i].has_length &&
				      s.chunked == cases[i].chunked &&
				      s.keep_alive == cases[i].keep_alive &&
				      s.content_length == cases[i].length,
			      "case %zu", i);
	}
}
END_TEST

/* Decodes text whole and byte by byte; returns the body, or NULL if refused. */
static const char *dechunk(const char *text, size_t step, bool *done)
{
	static char out[256];
	struct http_chunked d = {0};
	size_t on = 0, len = strlen(text);
	for (size_t pos = 0; pos < len;) {
		size_t feed = len - pos < step ? len - pos : step, used = 0;
		while (used < feed) {
			size_t off, dl;
			long n = http_chunked_decode(&d, text + pos + used, feed - used, &off, &dl);
			if (n < 0)
				return NULL;
			ck_assert(off + dl <= (size_t)n && on + dl < sizeof(out));
			memcpy(out + on, text + pos + used + off, dl);
			on += dl;
			if (!n)
				break; /* done: the rest is not the body's */
			used += (size_t)n;
		}
		pos += used;
		if (used < feed)
			break;
	}
	out[on] = '\0';
	*done = http_chunked_done(&d);
	return out;
}

START_TEST(chunked)
{
	static const struct {
		const char *text, *body;
		bool done;
	} ok[] = {
		{"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", true},
		{"5\nhello\n0\n\n", "hello", true},
		{"A;name=value; x\r\n0123456789\r\n0;last\r\nTrailer: t\r\nX: y\r\n\r\n",
		 "0123456789", true},
		{"00000003\r\nabc\r\n0\r\n\r\n", "abc", true},
		{"3\r\nabc\r\n0\r\n", "abc", false}, /* the final CRLF still to come */
		{"3\r\nab", "ab", false},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		for (size_t step = 1; step <= 64; step *= 4) {
			bool done;
			const char *b = dechunk(ok[i].text, step, &done);
			ck_assert_msg(b && !strcmp(b, ok[i].body) && done == ok[i].done,
				      "case %zu step %zu", i, step);
		}
	static const char *const bad[] = {
		"g\r\n",
		"\r\n",
		"-1\r\n",
		"5\r\nhelloX\r\n",
		"5\r\rhello",
		"5;\x01\r\n",
		"0\r\nX: \x01\r\n\r\n",
		"12345678901234567\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool done;
		ck_assert_msg(!dechunk(bad[i], 64, &done), "bad case %zu", i);
	}
	/* Extension lines and trailers are bounded. */
	static char longext[HTTP_MAX_HEAD + 64], longtrailer[2 * HTTP_MAX_HEAD];
	memset(longext, 'x', sizeof(longext) - 1);
	memcpy(longext, "1;", 2);
	memset(longtrailer, 'y', sizeof(longtrailer) - 1);
	memcpy(longtrailer, "0\r\nT: ", 6);
	struct http_chunked d = {0};
	size_t off, dl;
	ck_assert_int_eq(http_chunked_decode(&d, longext, strlen(longext), &off, &dl), -400);
	d = (struct http_chunked){0};
	ck_assert_int_eq(http_chunked_decode(&d, longtrailer, strlen(longtrailer), &off, &dl),
			 -400);
}
END_TEST

static void head_with(const char *fields, struct http_req *r)
{
	static char t[512];
	snprintf(t, sizeof(t), "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n", fields);
	ck_assert_int_gt(parse(t, r), 0);
}

START_TEST(conditional)
{
	const char *etag = "\"5f3-a,b\"";
	int64_t mtime = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	static const struct {
		const char *fields;
		int status;
	} cases[] = {
		{"", 200},
		{"If-None-Match: \"5f3-a,b\"\r\n", 304},
		{"If-None-Match: W/\"5f3-a,b\"\r\n", 304},
		{"If-None-Match: \"x\", \"5f3-a,b\"\r\n", 304},
		{"If-None-Match: \"x\"\r\nIf-None-Match: \"5f3-a,b\"\r\n", 304},
		{"If-None-Match: *\r\n", 304},
		{"If-None-Match: \"x\"\r\n", 200},
		{"If-None-Match: \"5f3-a\"\r\n", 200},
		{"If-None-Match: 5f3-a,b\r\n", 200},
		{"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 304},
		{"If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n", 304},
		{"If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n", 304},
		{"If-Modified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\n", 304},
		{"If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 200},
		{"If-Modified-Since: yesterday\r\n", 200},
		{"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
		 200},
		/* If-None-Match wins: If-Modified-Since is then not evaluated. */
		{"If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
		 200},
	};
	struct http_req r;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		head_with(cases[i].fields, &r);
		ck_assert_msg(http_preconditions(&r, etag, mtime) == cases[i].status, "case %zu",
			      i);
	}
	static const struct {
		const char *fields;
		bool range;
	} ifrange[] = {
		{"", true},
		{"If-Range: \"5f3-a,b\"\r\n", true},
		{"If-Range: W/\"5f3-a,b\"\r\n", false},
		{"If-Range: \"old\"\r\n", false},
		{"If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n", true},
		{"If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n", false},
		{"If-Range: junk\r\n", false},
	};
	for (size_t i = 0; i < sizeof(ifrange) / sizeof(ifrange[0]); i++) {
		head_with(ifrange[i].fields, &r);
		ck_assert_msg(http_if_range(&r, etag, mtime) == ifrange[i].range, "if-range %zu",
			      i);
	}
	int64_t t;
	ck_assert(http_parse_date("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t) && t == 0);
	ck_assert(!http_parse_date("Thu, 01 Jan 1970 00:00:00 GMT", 28, &t));
	ck_assert(!http_parse_date("Thu, 01 Jan 1970 00:00:00 UTC", 29, &t));
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
	tcase_add_test(tc, empty_lines_first);
	tcase_add_test(tc, refused_early);
	tcase_add_test(tc, framing);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, responses);
	tcase_add_test(tc, response_framing);
	tcase_add_test(tc, chunked);
	tcase_add_test(tc, conditional);
	tcase_add_test(tc, mime_types);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
