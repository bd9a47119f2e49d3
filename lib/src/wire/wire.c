/* SPDX-License-Identifier: Apache-2.0 */
#include "wire/wire.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void ktls_buf_init(struct ktls_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ktls_buf_free(struct ktls_buf *b)
{
	if (b->base) {
		OPENSSL_cleanse(b->base, b->cap);
		free(b->base);
	}
	ktls_buf_init(b);
}

uint8_t *ktls_buf_reserve(struct ktls_buf *b, size_t n)
{
	if (b->bad)
		return NULL;
	if (n > SIZE_MAX / 2 - b->len) {
		b->bad = true;
		return NULL;
	}
	/* An empty buffer gets its block even for n == 0: the pointer returned
	 * is never NULL + 0 (undefined), nor NULL, which means failure. */
	if (b->len + n > b->cap || !b->base) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		/* Not realloc: the old block may hold secrets and must be wiped. */
		uint8_t *p = malloc(cap);
		if (!p) {
			b->bad = true;
			return NULL;
		}
		if (b->base) {
			memcpy(p, b->base, b->len);
			OPENSSL_cleanse(b->base, b->cap);
			free(b->base);
		}
		b->base = p;
		b->cap = cap;
	}
	return b->base + b->len;
}

void ktls_buf_put(struct ktls_buf *b, const void *p, size_t n)
{
	if (!n)
		return; /* nothing to add (p may be NULL): no block for it either */
	uint8_t *dst = ktls_buf_reserve(b, n);
	if (!dst)
		return;
	memcpy(dst, p, n);
	b->len += n;
}

void ktls_buf_uint(struct ktls_buf *b, uint64_t v, size_t n)
{
	uint8_t *dst = ktls_buf_reserve(b, n);
	if (!dst)
		return;
	for (size_t i = 0; i < n; i++)
		dst[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	b->len += n;
}

size_t ktls_buf_open(struct ktls_buf *b, size_t lenbytes)
{
	ktls_buf_uint(b, 0, lenbytes);
	return b->len;
}

void ktls_buf_close(struct ktls_buf *b, size_t mark, size_t lenbytes)
{
	if (b->bad)
		return;
	size_t n = b->len - mark;
	if (lenbytes < 8 && n >> (8 * lenbytes)) {
		b->bad = true;
		return;
	}
	for (size_t i = 0; i < lenbytes; i++)
		b->base[mark - lenbytes + i] = (uint8_t)(n >> (8 * (lenbytes - 1 - i)));
}

void ktls_buf_consume(struct ktls_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->base, b->base + n, b->len - n);
	b->len -= n;
}
