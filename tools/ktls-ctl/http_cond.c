/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conditional requests (RFC 9110 13): If-None-Match, If-Modified-Since and
 * If-Range against a file's entity tag and modification time, read from the
 * request's head on demand; and HTTP-dates.
 */
#include <stdio.h>
#include <time.h>

#include "http.h"
#include "http_cur.h"

/* The header fields of the request's head (after its request line). */
static struct cur fields_of(const struct http_req *req)
{
	struct cur c = {req->head, req->head_len}, line;
	cur_line(&c, &line);
	return c;
}

/* The next field called `name` (any case), its value trimmed. */
static bool next_field(struct cur *c, const char *name, struct cur *value)
{
	struct cur line, n;
	while (cur_line(c, &line) && line.n)
		if (cur_until(&line, ':', &n) && cur_eq_ci(n, name)) {
			cur_trim(&line);
			*value = line;
			return true;
		}
	return false;
}

/* The next entity-tag of a list, quotes included, without its W/: commas
 * may appear inside a tag, so the list is not simply split at them. False
 * at the end of the list or at anything that is not a tag. */
static bool next_etag(struct cur *v, struct cur *tag, bool *weak)
{
	while (v->n && (v->p[0] == ' ' || v->p[0] == '\t' || v->p[0] == ',')) {
		v->p++;
		v->n--;
	}
	*weak = cur_starts(*v, "W/");
	struct cur t = {v->p + (*weak ? 2 : 0), v->n - (*weak ? 2 : 0)}, rest, body;
	if (!t.n || t.p[0] != '"')
		return false;
	rest = (struct cur){t.p + 1, t.n - 1};
	if (!cur_until(&rest, '"', &body))
		return false;
	tag->p = t.p;
	tag->n = body.n + 2;
	*v = rest;
	return true;
}

int http_preconditions(const struct http_req *req, const char *etag, int64_t mtime)
{
	struct cur c = fields_of(req), v, tag;
	bool inm = false, weak;
	while (next_field(&c, "If-None-Match", &v)) {
		inm = true;
		if (cur_eq(v, "*"))
			return 304;
		while (next_etag(&v, &tag, &weak))
			if (cur_eq(tag, etag)) /* weak comparison: W/ does not matter */
				return 304;
	}
	if (inm)
		return 200; /* If-Modified-Since is not looked at then */
	c = fields_of(req);
	int count = 0;
	int64_t since = 0;
	bool valid = false;
	while (next_field(&c, "If-Modified-Since", &v)) {
		count++;
		valid = http_parse_date(v.p, v.n, &since);
	}
	return count == 1 && valid && mtime <= since ? 304 : 200;
}

bool http_if_range(const struct http_req *req, const char *etag, int64_t mtime)
{
	struct cur c = fields_of(req), v = {0}, f, tag;
	int count = 0;
	bool weak;
	while (next_field(&c, "If-Range", &f)) {
		count++;
		v = f;
	}
	if (!count)
		return true;
	if (count > 1)
		return false;
	if (cur_starts(v, "W/") || cur_starts(v, "\""))
		/* strong comparison: a weak tag never matches */
		return next_etag(&v, &tag, &weak) && !weak && !v.n && cur_eq(tag, etag);
	int64_t t;
	return http_parse_date(v.p, v.n, &t) && t == mtime;
}

bool http_parse_date(const char *s, size_t n, int64_t *t)
{
	/* IMF-fixdate, then the two obsolete forms a recipient must accept
	 * (RFC 9110 5.6.7). strptime reads month and day names in the C
	 * locale, which is ours (setlocale is never called). */
	static const char *const forms[] = {"%a, %d %b %Y %H:%M:%S GMT",
					    "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
	char text[64];
	if (n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm = {0};
		const char *end = strptime(text, forms[i], &tm);
		if (end && !*end) {
			*t = (int64_t)timegm(&tm);
			return true;
		}
	}
	return false;
}
