/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one bounds-checked reader for untrusted bytes, and the growable writer
 * that builds messages. Readers are sticky: after the first short read every
 * further read returns zeros, and the caller checks once at the end, so a
 * parser cannot forget a bounds check between two fields.
 */
#ifndef KTLS_WIRE_H
#define KTLS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A span of bytes someone else owns (a message buffer, a DER blob). */
struct ktls_bytes {
	const uint8_t *p;
	size_t len;
};

struct ktls_rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline struct ktls_rd ktls_rd_make(const void *buf, size_t len)
{
	struct ktls_rd r = {buf, len, false};
	return r;
}

static inline bool ktls_rd_ok(const struct ktls_rd *r)
{
	return !r->bad;
}
static inline size_t ktls_rd_left(const struct ktls_rd *r)
{
	return r->left;
}
/* True when every byte was read and no read ran short. */
static inline bool ktls_rd_done(const struct ktls_rd *r)
{
	return !r->bad && r->left == 0;
}

/* Returns a pointer to the next n bytes and steps over them, or NULL. */
static inline const uint8_t *ktls_rd_bytes(struct ktls_rd *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		r->left = 0;
		return NULL;
	}
	const uint8_t *p = r->p;
	if (n) { /* a reader over no buffer (NULL, 0): no arithmetic on NULL */
		r->p += n;
		r->left -= n;
	}
	return p;
}

static inline uint64_t ktls_rd_uint(struct ktls_rd *r, size_t n)
{
	const uint8_t *p = ktls_rd_bytes(r, n);
	uint64_t v = 0;
	for (size_t i = 0; p && i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint8_t ktls_rd_u8(struct ktls_rd *r)
{
	return (uint8_t)ktls_rd_uint(r, 1);
}
static inline uint16_t ktls_rd_u16(struct ktls_rd *r)
{
	return (uint16_t)ktls_rd_uint(r, 2);
}
static inline uint32_t ktls_rd_u24(struct ktls_rd *r)
{
	return (uint32_t)ktls_rd_uint(r, 3);
}
static inline uint32_t ktls_rd_u32(struct ktls_rd *r)
{
	return (uint32_t)ktls_rd_uint(r, 4);
}
static inline uint64_t ktls_rd_u64(struct ktls_rd *r)
{
	return ktls_rd_uint(r, 8);
}

/* Reads a length prefix of lenbytes (1-3) and returns a sub-reader over that
 * many bytes; the parent steps over them. A short block marks both bad. */
static inline struct ktls_rd ktls_rd_block(struct ktls_rd *r, size_t lenbytes)
{
	size_t n = (size_t)ktls_rd_uint(r, lenbytes);
	const uint8_t *p = ktls_rd_bytes(r, n);
	struct ktls_rd sub = {p, p ? n : 0, p == NULL};
	return sub;
}

/* Copies exactly n bytes out, or marks the reader bad. */
static inline bool ktls_rd_copy(struct ktls_rd *r, void *dst, size_t n)
{
	const uint8_t *p = ktls_rd_bytes(r, n);
	if (!p)
		return false;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = p[i];
	return true;
}

/*
 * Writer. Grows on demand; on allocation failure it turns bad and stops
 * writing, checked once by the caller. ktls_buf_free wipes what it held,
 * since handshake buffers carry secrets.
 */
struct ktls_buf {
	uint8_t *base;
	size_t len, cap;
	bool bad;
};

void ktls_buf_init(struct ktls_buf *b);
void ktls_buf_free(struct ktls_buf *b);
/* Makes room for n more bytes and returns where they go, or NULL. */
uint8_t *ktls_buf_reserve(struct ktls_buf *b, size_t n);
void ktls_buf_put(struct ktls_buf *b, const void *p, size_t n);
void ktls_buf_uint(struct ktls_buf *b, uint64_t v, size_t n);
static inline void ktls_buf_u8(struct ktls_buf *b, uint8_t v)
{
	ktls_buf_uint(b, v, 1);
}
static inline void ktls_buf_u16(struct ktls_buf *b, uint16_t v)
{
	ktls_buf_uint(b, v, 2);
}
static inline void ktls_buf_u24(struct ktls_buf *b, uint32_t v)
{
	ktls_buf_uint(b, v, 3);
}
/* Opens a length-prefixed block; returns a mark for ktls_buf_close. */
size_t ktls_buf_open(struct ktls_buf *b, size_t lenbytes);
/* Writes the block's length into its prefix; marks the buffer bad if the
 * block is longer than the prefix can say. */
void ktls_buf_close(struct ktls_buf *b, size_t mark, size_t lenbytes);
/* Drops the first n bytes (consumed input). */
void ktls_buf_consume(struct ktls_buf *b, size_t n);

#endif
