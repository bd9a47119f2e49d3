/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The little HTTP/1.1 that `serve` and `get` speak, sans-I/O: requests and
 * response heads are parsed from buffers here and nowhere else, with every
 * read bounded by the buffer's length.
 */
#ifndef KTLS_CTL_HTTP_H
#define KTLS_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD 8192 /* request or response head, with its blank line */
#define HTTP_MAX_PATH 1024

enum http_method { HTTP_GET, HTTP_HEAD };

struct http_req {
	enum http_method method;
	/* Decoded and normalised, relative to the root, "" for the root
	 * itself; never holds "..", NUL, or an empty or "." segment. */
	char path[HTTP_MAX_PATH];
	/* As received, cut to fit, for the access log (set even when the
	 * request is refused, if its request line had them). */
	char method_text[8], target[256];
	bool keep_alive;
	bool has_range;
	/* bytes=first-last; first == UINT64_MAX: the suffix form -last;
	 * last == UINT64_MAX: open-ended first- */
	uint64_t range_first, range_last;
};

/*
 * Parses one request head from buf[0..len). Returns the head's length (the
 * bytes to consume) when complete, 0 when more bytes are needed, or minus an
 * HTTP status for a request to refuse: 400 (malformed), 403 (a path leaving
 * the root), 405 (a method other than GET and HEAD), 414 (path too long),
 * 431 (head too large), 505 (not HTTP/1.x).
 */
long http_parse_request(const char *buf, size_t len, struct http_req *req);

/* The part of a file of `size` bytes to send: 200 (all of it), 206 (with
 * *first..*last inclusive) or 416 (unsatisfiable). */
int http_range(const struct http_req *req, uint64_t size, uint64_t *first, uint64_t *last);

struct http_resp {
	int status;
	bool has_length;
	uint64_t content_length;
	bool keep_alive;
};

/* Parses a response head; returns as http_parse_request (-400 if malformed). */
long http_parse_response(const char *buf, size_t len, struct http_resp *resp);

const char *http_reason(int status);
const char *http_mime_type(const char *path);

#endif
