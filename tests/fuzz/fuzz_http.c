/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl's HTTP under libFuzzer: whatever the bytes, parsing stays in
 * bounds, a parsed path never leaves the root, a resolved range lies inside
 * the file, a head refused early is refused the same way once more bytes
 * come (and one accepted stays accepted), a response has one framing, and
 * the chunked decoder gives the same body however the bytes are split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/ktls-ctl/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const char *buf, size_t size)
{
	struct http_req req;
	long n = http_parse_request(buf, size, &req);
	if (n > 0) {
		if ((size_t)n > size || strlen(req.path) >= sizeof(req.path) ||
		    req.path[0] == '/' || !strcmp(req.path, "..") || !strncmp(req.path, "../", 3) ||
		    strstr(req.path, "/../") ||
		    (strlen(req.path) >= 3 && !strcmp(req.path + strlen(req.path) - 3, "/..")))
			abort();
		if (req.head < buf || req.head + req.head_len != buf + n)
			abort();
		static const uint64_t sizes[] = {0, 1, 100, 1 << 20, UINT64_MAX / 2};
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint64_t first, last;
			int st = http_range(&req, sizes[i], &first, &last);
			if (st == 206 && (first > last || last >= sizes[i]))
				abort();
		}
		int st = http_preconditions(&req, "\"1-2\"", 784111777);
		if (st != 200 && st != 304)
			abort();
		(void)http_if_range(&req, "\"1-2\"", 784111777);
	} else if (n < 0 && n != -400 && n != -403 && n != -405 && n != -414 && n != -431 &&
		   n != -501 && n != -505) {
		abort();
	}
	/* Early answers are final: every longer prefix gets the same one. */
	if (size <= 600) {
		long prev = 0;
		for (size_t k = 0; k <= size; k++) {
			long r = http_parse_request(buf, k, &req);
			if (prev && r != prev)
				abort();
			prev = r;
		}
	}
}

static void check_response(const char *buf, size_t size)
{
	struct http_resp resp;
	long n = http_parse_response(buf, size, &resp);
	if (n > 0 && ((size_t)n > size || resp.status < 100 || resp.status > 999 ||
		      (resp.chunked && resp.has_length) ||
		      ((resp.status < 200 || resp.status == 204 || resp.status == 304) &&
		       (!resp.has_length || resp.content_length))))
		abort();
	if (n < 0 && (n != -400 || !resp.error))
		abort();
}

/* The body decoded from buf, fed `step` bytes at a time, into out. */
static long dechunk(const char *buf, size_t size, size_t step, char *out, bool *done)
{
	struct http_chunked d = {0};
	size_t on = 0;
	for (size_t pos = 0; pos < size;) {
		size_t feed = size - pos < step ? size - pos : step;
		size_t off, dl;
		long n = http_chunked_decode(&d, buf + pos, feed, &off, &dl);
		if (n < 0)
			return -1;
		if ((size_t)n > feed || off + dl > (size_t)n)
			abort();
		memcpy(out + on, buf + pos + off, dl);
		on += dl;
		if (!n)
			break;
		pos += (size_t)n;
	}
	*done = http_chunked_done(&d);
	return (long)on;
}

static void check_chunked(const char *buf, size_t size)
{
	char *a = malloc(size + 1), *b = malloc(size + 1);
	bool da, db;
	long na = dechunk(buf, size, size ? size : 1, a, &da);
	long nb = dechunk(buf, size, 1 + size % 7, b, &db);
	if (na != nb || (na > 0 && memcmp(a, b, (size_t)na)) || (na >= 0 && da != db))
		abort();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check_request(buf, size);
	check_response(buf, size);
	check_chunked(buf, size);
	free(buf);
	return 0;
}
