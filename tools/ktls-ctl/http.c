/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 heads (RFC 9112), parsed through one bounded cursor: every token
 * is a (pointer, length) view into the caller's buffer, and nothing reads
 * past its end.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

struct cur {
	const char *p;
	size_t n;
};

static bool cur_eq(struct cur c, const char *lit)
{
	return c.n == strlen(lit) && !memcmp(c.p, lit, c.n);
}

static bool cur_eq_ci(struct cur c, const char *lit)
{
	return c.n == strlen(lit) && !strncasecmp(c.p, lit, c.n);
}

static bool cur_starts(struct cur c, const char *lit)
{
	size_t l = strlen(lit);
	return c.n >= l && !memcmp(c.p, lit, l);
}

/* Splits off the part before the first d (dropping d); false if none. */
static bool cur_until(struct cur *c, char d, struct cur *tok)
{
	const char *e = memchr(c->p, d, c->n);
	if (!e)
		return false;
	tok->p = c->p;
	tok->n = (size_t)(e - c->p);
	c->p = e + 1;
	c->n -= tok->n + 1;
	return true;
}

/* The next line, without its LF or CRLF; false at the end of the input. */
static bool cur_line(struct cur *c, struct cur *line)
{
	if (!cur_until(c, '\n', line))
		return false;
	if (line->n && line->p[line->n - 1] == '\r')
		line->n--;
	return true;
}

static void cur_trim(struct cur *c)
{
	while (c->n && (c->p[0] == ' ' || c->p[0] == '\t')) {
		c->p++;
		c->n--;
	}
	while (c->n && (c->p[c->n - 1] == ' ' || c->p[c->n - 1] == '\t'))
		c->n--;
}

/* A decimal number, all of c; false if empty, not digits, or too large. */
static bool cur_u64(struct cur c, uint64_t *v)
{
	if (!c.n || c.n > 19)
		return false;
	*v = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (c.p[i] < '0' || c.p[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(c.p[i] - '0');
	}
	return true;
}

/* Whether the text has a control character (bare CR, NUL, ...) in it. */
static bool has_ctl(struct cur c)
{
	for (size_t i = 0; i < c.n; i++)
		if ((unsigned char)c.p[i] < 0x20 && c.p[i] != '\t')
			return true;
	return false;
}

static bool is_token(struct cur c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if (!c.n)
		return false;
	for (size_t i = 0; i < c.n; i++) {
		char ch = c.p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || (ch && strchr(extra, ch))))
			return false;
	}
	return true;
}

/* Finds the blank line ending a head: its length, 0 if incomplete, or -431. */
static long head_length(const char *buf, size_t len)
{
	struct cur c = {buf, len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD}, line;
	while (cur_line(&c, &line))
		if (!line.n)
			return (long)(c.p - buf);
	return len >= HTTP_MAX_HEAD ? -431 : 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
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
			int hi = i + 2 < t.n ? hexval(t.p[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(t.p[i + 2]) : -1;
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

long http_parse_request(const char *buf, size_t len, struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	long hlen = head_length(buf, len);
	if (hlen <= 0)
		return hlen;
	struct cur c = {buf, (size_t)hlen}, line, method, target;
	/* Empty lines before the request line are to be ignored (RFC 9112 2.2). */
	do {
		if (!cur_line(&c, &line))
			return -400;
	} while (!line.n && c.n);
	if (has_ctl(line) || !cur_until(&line, ' ', &method) || !cur_until(&line, ' ', &target))
		return -400;
	size_t keep = target.n < sizeof(req->target) ? target.n : sizeof(req->target) - 1;
	memcpy(req->target, target.p, keep);
	keep = method.n < sizeof(req->method_text) ? method.n : sizeof(req->method_text) - 1;
	memcpy(req->method_text, method.p, keep);
	int minor;
	int err = parse_version(line, &minor);
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
	if (has_ctl(path))
		return -400;
	err = normalise_path(path, req->path, sizeof(req->path));
	if (err)
		return err;

	req->keep_alive = minor >= 1;
	int hosts = 0;
	while (cur_line(&c, &line) && line.n) {
		struct cur name;
		if (line.p[0] == ' ' || line.p[0] == '\t')
			return -400; /* obsolete line folding */
		if (has_ctl(line) || !cur_until(&line, ':', &name) || !is_token(name))
			return -400;
		cur_trim(&line);
		if (cur_eq_ci(name, "Host")) {
			hosts++;
		} else if (cur_eq_ci(name, "Connection")) {
			parse_connection(line, &req->keep_alive);
		} else if (cur_eq_ci(name, "Range")) {
			req->has_range = parse_range(line, req);
		} else if (cur_eq_ci(name, "Transfer-Encoding")) {
			return -400; /* no request bodies here */
		} else if (cur_eq_ci(name, "Content-Length")) {
			uint64_t v;
			if (!cur_u64(line, &v) || v)
				return -400;
		}
	}
	/* HTTP/1.1 needs exactly one Host (RFC 9112 3.2). */
	if ((minor >= 1 && hosts != 1) || hosts > 1)
		return -400;
	return hlen;
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

long http_parse_response(const char *buf, size_t len, struct http_resp *resp)
{
	long hlen = head_length(buf, len);
	if (hlen <= 0)
		return hlen == -431 ? -400 : hlen;
	memset(resp, 0, sizeof(*resp));
	struct cur c = {buf, (size_t)hlen}, line, version, code;
	int minor;
	uint64_t status;
	if (!cur_line(&c, &line) || has_ctl(line) || !cur_until(&line, ' ', &version) ||
	    parse_version(version, &minor))
		return -400;
	if (!cur_until(&line, ' ', &code))
		code = line; /* the reason phrase may be absent */
	if (code.n != 3 || !cur_u64(code, &status) || status < 100)
		return -400;
	resp->status = (int)status;
	resp->keep_alive = minor >= 1;
	while (cur_line(&c, &line) && line.n) {
		struct cur name;
		if (has_ctl(line) || !cur_until(&line, ':', &name) || !is_token(name))
			return -400;
		cur_trim(&line);
		if (cur_eq_ci(name, "Content-Length")) {
			if (!cur_u64(line, &resp->content_length))
				return -400;
			resp->has_length = true;
		} else if (cur_eq_ci(name, "Connection")) {
			parse_connection(line, &resp->keep_alive);
		} else if (cur_eq_ci(name, "Transfer-Encoding")) {
			resp->has_length = false; /* not ours: read to the end */
			resp->keep_alive = false;
		}
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
