/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The chunked transfer coding (RFC 9112 7.1), decoded as bytes arrive: a
 * byte-at-a-time machine for the framing (sizes, extensions, line ends, the
 * trailer section), whole runs for the data. Sizes are bounded (16 hex
 * digits), and so are extension lines and the trailer section, so that no
 * input makes it hold or wait for more than a head's worth.
 */
#include "http.h"
#include "http_cur.h"

enum {
	CH_SIZE,      /* hex digits of a chunk size */
	CH_EXT,	      /* chunk extensions, up to the line's end */
	CH_SIZE_LF,   /* the LF of the size line's CRLF */
	CH_DATA,      /* the chunk's data */
	CH_DATA_CR,   /* the CRLF after the data */
	CH_DATA_LF,   /* its LF */
	CH_TRAILER,   /* the start of a trailer line, or of the final CRLF */
	CH_TRAILER_L, /* inside a trailer line */
	CH_END_LF,    /* the LF of the final CRLF */
	CH_DONE,
};

#define CH_MAX_LINE 4096

static bool is_ctl(char ch)
{
	return ((unsigned char)ch < 0x20 && ch != '\t') || ch == 0x7f;
}

/* One framing byte; false if it cannot be there. */
static bool frame_byte(struct http_chunked *d, char ch)
{
	switch (d->state) {
	case CH_SIZE: {
		int h = hex_digit(ch);
		if (h >= 0) {
			if (++d->digits > 16)
				return false;
			d->left = d->left << 4 | (uint64_t)h;
			return true;
		}
		if (!d->digits)
			return false;
		d->line = d->digits;
		if (ch == ';' || ch == ' ' || ch == '\t')
			d->state = CH_EXT;
		else if (ch == '\r')
			d->state = CH_SIZE_LF;
		else if (ch == '\n')
			d->state = d->left ? CH_DATA : CH_TRAILER;
		else
			return false;
		return true;
	}
	case CH_EXT:
		if (ch == '\r')
			d->state = CH_SIZE_LF;
		else if (ch == '\n')
			d->state = d->left ? CH_DATA : CH_TRAILER;
		else if (is_ctl(ch) || ++d->line > CH_MAX_LINE)
			return false;
		return true;
	case CH_SIZE_LF:
		if (ch != '\n')
			return false;
		d->state = d->left ? CH_DATA : CH_TRAILER;
		return true;
	case CH_DATA_CR:
		if (ch == '\r')
			d->state = CH_DATA_LF;
		else if (ch == '\n')
			d->state = CH_SIZE;
		else
			return false;
		d->digits = 0;
		return true;
	case CH_DATA_LF:
		d->state = CH_SIZE;
		return ch == '\n';
	case CH_TRAILER:
		if (ch == '\r') {
			d->state = CH_END_LF;
			return true;
		}
		if (ch == '\n') {
			d->state = CH_DONE;
			return true;
		}
		d->state = CH_TRAILER_L;
		return frame_byte(d, ch); /* the line's first byte */
	case CH_TRAILER_L:
		if (++d->trailer > HTTP_MAX_HEAD)
			return false;
		if (ch == '\n')
			d->state = CH_TRAILER;
		else if (is_ctl(ch) && ch != '\r')
			return false;
		return true;
	case CH_END_LF:
		d->state = CH_DONE;
		return ch == '\n';
	default:
		return false;
	}
}

long http_chunked_decode(struct http_chunked *d, const char *buf, size_t len, size_t *data_off,
			 size_t *data_len)
{
	size_t i = 0;
	*data_off = 0;
	*data_len = 0;
	while (i < len && d->state != CH_DONE) {
		if (d->state == CH_DATA) {
			size_t run = len - i < d->left ? len - i : (size_t)d->left;
			*data_off = i;
			*data_len = run;
			d->left -= run;
			if (!d->left)
				d->state = CH_DATA_CR;
			return (long)(i + run);
		}
		if (!frame_byte(d, buf[i++]))
			return -400;
	}
	return (long)i;
}

bool http_chunked_done(const struct http_chunked *d)
{
	return d->state == CH_DONE;
}
