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
	/* The head as received (a view into the caller's buffer, valid while
	 * it is): the conditional fields are read from it on demand. */
	const char *head;
	size_t head_len;
};

/*
 * Parses one request head from buf[0..len) (RFC 9112). Returns the head's
 * length (the bytes to consume, empty lines before it included) when
 * complete, 0 when more bytes are needed and those so far could still begin
 * a valid head, or minus an HTTP status for a request to refuse at once:
 * 400 (malformed; obsolete line folding; a repeated or invalid
 * Content-Length; a body, which GET and HEAD do not have here), 403 (a path
 * leaving the root), 405 (a method other than GET and HEAD), 414 (request
 * line or path too long), 431 (head too large), 501 (a transfer coding not
 * known), 505 (not HTTP/1.x). Each complete line is checked as it arrives,
 * so a malformed head is refused without waiting for its end.
 */
long http_parse_request(const char *buf, size_t len, struct http_req *req);

/* The part of a file of `size` bytes to send: 200 (all of it), 206 (with
 * *first..*last inclusive) or 416 (unsatisfiable). */
int http_range(const struct http_req *req, uint64_t size, uint64_t *first, uint64_t *last);

/*
 * The request's preconditions (RFC 9110 13.2.2) against a file's validators
 * (etag with its quotes, modification time): 304 when If-None-Match names
 * the tag (weak comparison) or, without If-None-Match, the file is not newer
 * than If-Modified-Since; otherwise 200.
 */
int http_preconditions(const struct http_req *req, const char *etag, int64_t mtime);
/* Whether a Range may be honoured: no If-Range, or one naming exactly this
 * (strong) etag or this modification time (RFC 9110 13.1.5). */
bool http_if_range(const struct http_req *req, const char *etag, int64_t mtime);
/* An HTTP-date (IMF-fixdate, RFC 850 or asctime form) as seconds since the
 * epoch; false if it is none of them. */
bool http_parse_date(const char *s, size_t n, int64_t *t);

struct http_resp {
	int status;
	/* Body framing (RFC 9112 6.3): a length (0 for 1xx, 204, 304), chunked,
	 * or neither: to the end of the connection. */
	bool has_length;
	uint64_t content_length;
	bool chunked;
	bool keep_alive;
	const char *error; /* why a head was refused, when -400 */
};

/* Parses a response head; returns as http_parse_request, -400 (with
 * resp->error saying why) for a malformed head, duplicate or conflicting
 * Content-Length, Content-Length beside Transfer-Encoding, or a transfer
 * coding other than chunked. */
long http_parse_response(const char *buf, size_t len, struct http_resp *resp);

/* A chunked body's decoder (RFC 9112 7.1), fed as bytes arrive. */
struct http_chunked {
	int state;
	uint64_t left;	 /* chunk size being read, then its data bytes still to come */
	unsigned digits; /* hex digits of the chunk size so far */
	size_t line;	 /* bytes of the current size or trailer line */
	size_t trailer;	 /* bytes of the trailer section */
};
/*
 * Decodes from buf[0..len): returns the bytes consumed (framing and data),
 * of which buf[*data_off..+*data_len) are body bytes (at most one run per
 * call; *data_len may be 0), or -400 for malformed framing. Call again with
 * the rest; http_chunked_done() says when the last chunk and the trailer
 * section are in (then nothing more is consumed).
 */
long http_chunked_decode(struct http_chunked *d, const char *buf, size_t len, size_t *data_off,
			 size_t *data_len);
bool http_chunked_done(const struct http_chunked *d);

const char *http_reason(int status);
const char *http_mime_type(const char *path);

#endif
