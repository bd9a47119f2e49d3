/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 heads (RFC 9112): requests as serve reads them, checked line by
 * line as they arrive, and responses as get reads them, with their body's
 * framing. Everything goes through the bounded cursor of http_cur.h.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

#include "http_cur.h"

/* Finds the blank line ending a head: its length, 0 if incomplete, or -431. */
static long head_length(const char *buf, size_t len)
{
	struct cur c = {buf, len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD}, line;
	while (cur_line(&c, &line))
		if (!line.n)
			return (long)(c.p - buf);
	return len >= HTTP_MAX_HEAD ? -431 : 0;
}

/*
 * Percent-decodes the path of an origin-form target and resolves "." and
 * ".." segments into out (no leading slash). 0, or minus a status.
 */
static int normalise_path(struct cur t, char *out, size_t outsz)
{
	char dec[HTTP_MAX_PATH];
	size_t dn = 0;
	for (size_t i = 0; i < t.n; i++) {
		char ch = t.p[i];
		if (ch == '%') {
			int hi = i + 2 < t.n ? hex_digit(t.p[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(t.p[i + 2]) : -1;
			if (lo < 0)
				return -400;
			ch = (char)(hi << 4 | lo);
			i += 2;
			if (!ch)
				return -400;
		}
		if (dn + 1 >= sizeof(dec))
			return -414;
		dec[dn++] = ch;
	}
	/* Segments, with ".." taking back the previous one. */
	size_t on = 0;
	struct cur rest = {dec, dn}, seg;
	for (bool last = false; !last;) {
		if (!cur_until(&rest, '/', &seg)) {
			seg = rest;
			last = true;
		}
		if (!seg.n || cur_eq(seg, "."))
			continue;
		if (cur_eq(seg, "..")) {
			if (!on)
				return -403; /* above the root */
			while (on && out[on - 1] != '/')
				on--;
			if (on)
				on--; /* the slash before it */
			continue;
		}
		if (on + (on ? 1 : 0) + seg.n + 1 > outsz)
			return -414;
		if (on)
			out[on++] = '/';
		memcpy(out + on, seg.p, seg.n);
		on += seg.n;
	}
	out[on] = '\0';
	return 0;
}

/* "bytes=a-b", "bytes=a-", "bytes=-n"; false (ignore the header) otherwise,
 * including for several ranges, which a server may serve whole. */
static bool parse_range(struct cur v, struct http_req *req)
{
	struct cur unit, first;
	if (!cur_until(&v, '=', &unit) || !cur_eq_ci(unit, "bytes") || memchr(v.p, ',', v.n))
		return false;
	cur_trim(&v);
	if (!cur_until(&v, '-', &first))
		return false;
	if (!first.n)
		return cur_u64(v, &req->range_last) && (req->range_first = UINT64_MAX, true);
	if (!cur_u64(first, &req->range_first))
		return false;
	if (!v.n) {
		req->range_last = UINT64_MAX;
		return true;
	}
	return cur_u64(v, &req->range_last) && req->range_last >= req->range_first;
}

/* Tokens of a Connection header: close and keep-alive matter here. */
static void parse_connection(struct cur v, bool *keep_alive)
{
	struct cur tok;
	for (bool last = false; !last;) {
		if (!cur_until(&v, ',', &tok)) {
			tok = v;
			last = true;
		}
		cur_trim(&tok);
		if (cur_eq_ci(tok, "close"))
			*keep_alive = false;
		else if (cur_eq_ci(tok, "keep-alive"))
			*keep_alive = true;
	}
}

/* "HTTP/1.x": 0 for x (0 or 1 known), -505 for another version, -400. */
static int parse_version(struct cur v, int *minor)
{
	if (!cur_starts(v, "HTTP/") || v.n != 8 || v.p[6] != '.' || v.p[5] < '0' || v.p[5] > '9' ||
	    v.p[7] < '0' || v.p[7] > '9')
		return -400;
	if (v.p[5] != '1')
		return -505;
	*minor = v.p[7] - '0';
	return 0;
}

/* The request line: method, target and version. 0, or minus a status. */
static int request_line(struct cur line, struct http_req *req, int *minor)
{
	struct cur all = line, method, target;
	if (!cur_until(&line, ' ', &method) || !cur_until(&line, ' ', &target))
		return -400;
	size_t keep = target.n < sizeof(req->target) ? target.n : sizeof(req->target) - 1;
	memcpy(req->target, target.p, keep);
	keep = method.n < sizeof(req->method_text) ? method.n : sizeof(req->method_text) - 1;
	memcpy(req->method_text, method.p, keep);
	if (has_ctl(all)) /* refused, and logged escaped */
		return -400;
	int err = parse_version(line, minor);
	if (err)
		return err;
	if (cur_eq(method, "GET"))
		req->method = HTTP_GET;
	else if (cur_eq(method, "HEAD"))
		req->method = HTTP_HEAD;
	else
		return is_token(method) ? -405 : -400;

	/* origin-form, or absolute-form whose authority we skip. */
	if (cur_starts(target, "https://") || cur_starts(target, "http://")) {
		struct cur scheme;
		cur_until(&target, '/', &scheme); /* "https:" */
		cur_until(&target, '/', &scheme); /* "" */
		struct cur authority = target;
		if (!cur_until(&authority, '/', &scheme))
			target = (struct cur){"/", 1};
		else
			target = (struct cur){authority.p - 1, authority.n + 1};
	}
	if (!target.n || target.p[0] != '/')
		return -400;
	struct cur path = target, rest = target, before;
	if (cur_until(&rest, '?', &before))
		path = before; /* the query does not name a file */
	rest = path;
	if (cur_until(&rest, '#', &before))
		path = before;
	req->keep_alive = *minor >= 1;
	return normalise_path(path, req->path, sizeof(req->path));
}

/*
 * Transfer-Encoding on a request (RFC 9112 6.1): 501 for a coding we do not
 * know; otherwise 400, since any coding frames a body, and a GET or HEAD
 * here has none (nor does an HTTP/1.0 request have this field at all).
 */
static int request_codings(struct cur v)
{
	static const char *const known[] = {"chunked", "gzip",	   "x-gzip",
					    "deflate", "compress", "x-compress"};
	struct cur tok, name;
	for (bool last = false; cur_list(&v, &last, &tok);) {
		name = tok;
		if (cur_until(&tok, ';', &name)) /* transfer parameters */
			cur_trim(&name);
		if (!name.n)
			continue; /* empty list elements are allowed */
		if (!is_token(name))
			return -400;
		bool found = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			found |= cur_eq_ci(name, known[i]);
		if (!found)
			return -501;
	}
	return -400;
}

struct req_fields {
	int minor, hosts;
	bool length;
};

/* One header field of a request. 0, or minus a status. */
static int request_field(struct cur line, struct http_req *req, struct req_fields *rf)
{
	struct cur name;
	/* Obsolete line folding, or whitespace before the first field:
	 * either could hide a field from us but not from another parser. */
	if (line.p[0] == ' ' || line.p[0] == '\t')
		return -400;
	if (has_ctl(line) || !cur_until(&line, ':', &name) || !is_token(name))
		return -400;
	cur_trim(&line);
	if (cur_eq_ci(name, "Host")) {
		rf->hosts++;
	} else if (cur_eq_ci(name, "Connection")) {
		parse_connection(line, &req->keep_alive);
	} else if (cur_eq_ci(name, "Range")) {
		req->has_range = parse_range(line, req);
	} else if (cur_eq_ci(name, "Transfer-Encoding")) {
		return request_codings(line);
	} else if (cur_eq_ci(name, "Content-Length")) {
		/* Exactly one, and 0: two (even equal), a list or a body is how
		 * requests are smuggled past a front end that reads them otherwise. */
		uint64_t v;
		if (rf->length || !cur_u64(line, &v) || v)
			return -400;
		rf->length = true;
	}
	return 0;
}

long http_parse_request(const char *buf, size_t len, struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD, skip = 0;
	/* Empty lines before the request line are ignored (RFC 9112 2.2). */
	while (skip < lim && (buf[skip] == '\n' ||
			      (buf[skip] == '\r' && skip + 1 < lim && buf[skip + 1] == '\n')))
		skip += buf[skip] == '\n' ? 1 : 2;
	struct cur c = {buf + skip, lim - skip}, line;
	struct req_fields rf = {0};
	bool first = true;
	while (cur_line(&c, &line)) {
		int err;
		if (first) {
			err = request_line(line, req, &rf.minor);
			first = false;
		} else if (line.n) {
			err = request_field(line, req, &rf);
		} else {
			/* HTTP/1.1 needs exactly one Host (RFC 9112 3.2). */
			if ((rf.minor >= 1 && rf.hosts != 1) || rf.hosts > 1)
				return -400;
			req->head = buf + skip;
			req->head_len = (size_t)(c.p - req->head);
			return (long)(c.p - buf);
		}
		if (err)
			return err;
	}
	/* The line not ended yet: it already may not hold a control character
	 * (its last byte may be the CR of a CRLF), nor start a folded line. */
	if (c.n && c.p[c.n - 1] == '\r')
		c.n--;
	if (has_ctl(c) || (!first && c.n && (c.p[0] == ' ' || c.p[0] == '\t')))
		return -400;
	if (len >= HTTP_MAX_HEAD)
		return first && c.n ? -414 : -431;
	return 0;
}

int http_range(const struct http_req *req, uint64_t size, uint64_t *first, uint64_t *last)
{
	*first = 0;
	*last = size ? size - 1 : 0;
	if (!req->has_range)
		return 200;
	if (req->range_first == UINT64_MAX) {
		if (!req->range_last || !size)
			return 416;
		*first = req->range_last < size ? size - req->range_last : 0;
		return 206;
	}
	if (req->range_first >= size)
		return 416;
	*first = req->range_first;
	if (req->range_last < size - 1)
		*last = req->range_last;
	return 206;
}

/* Transfer-Encoding on a response: get decodes chunked and nothing else. */
static int response_codings(struct cur v, struct http_resp *resp)
{
	struct cur tok;
	for (bool last = false; cur_list(&v, &last, &tok);) {
		if (!tok.n)
			continue;
		if (!cur_eq_ci(tok, "chunked") || resp->chunked) {
			resp->error = "a transfer coding other than chunked";
			return -400;
		}
		resp->chunked = true;
	}
	if (!resp->chunked) {
		resp->error = "an empty Transfer-Encoding";
		return -400;
	}
	return 0;
}

static long response_refused(struct http_resp *resp, const char *why)
{
	resp->error = why;
	return -400;
}

long http_parse_response(const char *buf, size_t len, struct http_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	long hlen = head_length(buf, len);
	if (hlen <= 0)
		return hlen == -431 ? response_refused(resp, "a head over 8 KiB") : hlen;
	struct cur c = {buf, (size_t)hlen}, line, version, code;
	int minor;
	uint64_t status;
	if (!cur_line(&c, &line) || has_ctl(line) || !cur_until(&line, ' ', &version) ||
	    parse_version(version, &minor))
		return response_refused(resp, "a malformed status line");
	if (!cur_until(&line, ' ', &code))
		code = line; /* the reason phrase may be absent */
	if (code.n != 3 || !cur_u64(code, &status) || status < 100)
		return response_refused(resp, "a malformed status code");
	resp->status = (int)status;
	resp->keep_alive = minor >= 1;
	while (cur_line(&c, &line) && line.n) {
		struct cur name;
		if (line.p[0] == ' ' || line.p[0] == '\t')
			return response_refused(resp, "obsolete line folding");
		if (has_ctl(line) || !cur_until(&line, ':', &name) || !is_token(name))
			return response_refused(resp, "a malformed header field");
		cur_trim(&line);
		if (cur_eq_ci(name, "Content-Length")) {
			if (resp->has_length)
				return response_refused(resp, "a repeated Content-Length");
			if (!cur_u64(line, &resp->content_length))
				return response_refused(resp, "an invalid Content-Length");
			resp->has_length = true;
		} else if (cur_eq_ci(name, "Connection")) {
			parse_connection(line, &resp->keep_alive);
		} else if (cur_eq_ci(name, "Transfer-Encoding")) {
			int err = response_codings(line, resp);
			if (err)
				return err;
		}
	}
	/* Both framings at once is how responses are split (RFC 9112 6.3). */
	if (resp->chunked && resp->has_length)
		return response_refused(resp, "Content-Length beside Transfer-Encoding");
	if (resp->chunked && minor == 0)
		return response_refused(resp, "Transfer-Encoding in an HTTP/1.0 response");
	if (status < 200 || status == 204 || status == 304) {
		/* Never a body, whatever the fields say. */
		resp->chunked = false;
		resp->has_length = true;
		resp->content_length = 0;
	} else if (!resp->has_length && !resp->chunked) {
		resp->keep_alive = false; /* the body ends with the connection */
	}
	return hlen;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

const char *http_mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{"html", "text/html; charset=utf-8"},
		{"htm", "text/html; charset=utf-8"},
		{"txt", "text/plain; charset=utf-8"},
		{"css", "text/css"},
		{"js", "text/javascript"},
		{"json", "application/json"},
		{"xml", "application/xml"},
		{"svg", "image/svg+xml"},
		{"png", "image/png"},
		{"jpg", "image/jpeg"},
		{"jpeg", "image/jpeg"},
		{"gif", "image/gif"},
		{"webp", "image/webp"},
		{"pdf", "application/pdf"},
		{"wasm", "application/wasm"},
		{"gz", "application/gzip"},
		{"tar", "application/x-tar"},
		{"iso", "application/x-iso9660-image"},
	};
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}
