/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one bounded cursor the HTTP parsers read through: every token is a
 * (pointer, length) view into the caller's buffer, and nothing reads past
 * its end. Private to http*.c.
 */
#ifndef KTLS_CTL_HTTP_CUR_H
#define KTLS_CTL_HTTP_CUR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

struct cur {
	const char *p;
	size_t n;
};

static inline bool cur_eq(struct cur c, const char *lit)
{
	return c.n == strlen(lit) && !memcmp(c.p, lit, c.n);
}

static inline bool cur_eq_ci(struct cur c, const char *lit)
{
	return c.n == strlen(lit) && !strncasecmp(c.p, lit, c.n);
}

static inline bool cur_starts(struct cur c, const char *lit)
{
	size_t l = strlen(lit);
	return c.n >= l && !memcmp(c.p, lit, l);
}

/* Splits off the part before the first d (dropping d); false if none. */
static inline bool cur_until(struct cur *c, char d, struct cur *tok)
{
	const char *e = c->n ? memchr(c->p, d, c->n) : NULL;
	if (!e)
		return false;
	tok->p = c->p;
	tok->n = (size_t)(e - c->p);
	c->p = e + 1;
	c->n -= tok->n + 1;
	return true;
}

static inline void cur_trim(struct cur *c)
{
	while (c->n && (c->p[0] == ' ' || c->p[0] == '\t')) {
		c->p++;
		c->n--;
	}
	while (c->n && (c->p[c->n - 1] == ' ' || c->p[c->n - 1] == '\t'))
		c->n--;
}

/* The next element of a comma-separated list (RFC 9110 5.6.1), trimmed;
 * false once the list is used up. Empty elements are returned as such. */
static inline bool cur_list(struct cur *c, bool *last, struct cur *tok)
{
	if (*last)
		return false;
	if (!cur_until(c, ',', tok)) {
		*tok = *c;
		*last = true;
	}
	cur_trim(tok);
	return true;
}

/* The next line, without its LF or CRLF; false at the end of the input. */
static inline bool cur_line(struct cur *c, struct cur *line)
{
	if (!cur_until(c, '\n', line))
		return false;
	if (line->n && line->p[line->n - 1] == '\r')
		line->n--;
	return true;
}

/* A decimal number, all of c; false if empty, not digits, or too large. */
static inline bool cur_u64(struct cur c, uint64_t *v)
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

/* A hex digit's value, or -1. */
static inline int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Whether the text has a control character (bare CR, NUL, DEL...) in it. */
static inline bool has_ctl(struct cur c)
{
	for (size_t i = 0; i < c.n; i++)
		if (((unsigned char)c.p[i] < 0x20 && c.p[i] != '\t') || c.p[i] == 0x7f)
			return true;
	return false;
}

static inline bool is_token(struct cur c)
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

#endif
