/* SPDX-License-Identifier: Apache-2.0 */
/* Text from others made safe to print (see text.h). */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The UTF-8 sequence at p (NUL-terminated): its length, with its code point
 * in *cp, or 0 if it is not valid (overlong, a surrogate, past U+10FFFF,
 * cut short). */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, v = p[0] & 0x1fu, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, v = p[0] & 0x0fu, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, v = p[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* a NUL ends it here too */
			return 0;
		v = v << 6 | (p[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Appends piece (len bytes) if it fits with the NUL; false if not. */
static bool put(char *out, size_t n, size_t *at, const char *piece, size_t len)
{
	if (*at + len + 1 > n)
		return false;
	memcpy(out + *at, piece, len);
	*at += len;
	return true;
}

/* The UTF-8 text s for JSON (json) or a terminal: what each character
 * becomes, cut only between whole pieces. */
static const char *utf8_out(char *out, size_t n, const char *s, bool json)
{
	size_t at = 0;
	const unsigned char *p = (const unsigned char *)s;
	bool room = n > 0;
	while (room && *p) {
		char esc[8];
		uint32_t cp;
		size_t len = utf8_seq(p, &cp);
		if (!len)
			room = json ? put(out, n, &at, "\\ufffd", 6) : put(out, n, &at, "?", 1);
		else if (json && (cp == '"' || cp == '\\'))
			room = put(out, n, &at, cp == '"' ? "\\\"" : "\\\\", 2);
		else if (is_control(cp) && json)
			room = put(out, n, &at, esc,
				   (size_t)snprintf(esc, sizeof(esc), "\\u%04x", cp));
		else if (is_control(cp))
			room = put(out, n, &at, "?", 1);
		else
			room = put(out, n, &at, (const char *)p, len);
		p += len ? len : 1;
	}
	if (n)
		out[at] = '\0';
	return out;
}

const char *text_json(char *out, size_t n, const char *s)
{
	return utf8_out(out, n, s, true);
}

const char *text_terminal(char *out, size_t n, const char *s)
{
	return utf8_out(out, n, s, false);
}

const char *text_log(char *out, size_t n, const char *s)
{
	size_t at = 0;
	bool room = n > 0;
	for (const unsigned char *p = (const unsigned char *)s; room && *p; p++) {
		char esc[8];
		if (*p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			room = put(out, n, &at, (const char *)p, 1);
		else
			room = put(out, n, &at, esc,
				   (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p));
	}
	if (!*s && n >= 2)
		put(out, n, &at, "-", 1);
	if (n)
		out[at] = '\0';
	return out;
}
