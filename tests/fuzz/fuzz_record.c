/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the userspace record layer's open path
 * (ktls_rec_open, ktls_rec_frame) under fixed keys. Structure-aware: the
 * input's plaintext is sealed first, so opening gets past the AEAD tag to
 * the inner plaintext's parsing (padding, content type, limits).
 *
 * Input: opt0 opt1 rest.
 *   opt0 bits 0-1: suite; bits 2-3: mode; bits 4-5: the reader's limit
 *        (2^14, 2^14 + the overflow edge, 64, 1), bit 6: open in place
 *   mode 0: seal (type rest[0], content rest[1..], opt1 bytes of padding),
 *           open: the same type and content must come back
 *   mode 1: rest is the whole TLSInnerPlaintext (content, type, padding as
 *           given), sealed as is and opened
 *   mode 2: rest is a record off the wire, opened as it is
 *   mode 3: as mode 0, then byte opt1 of the record flipped: only a flip
 *           in legacy_record_version may still open
 */
#include <stdlib.h>
#include <string.h>

#include "ktls/ktls.h"
#include "record/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t suites[4] = {KTLS_TLS_AES_128_GCM_SHA256, KTLS_TLS_AES_256_GCM_SHA384,
				   KTLS_TLS_CHACHA20_POLY1305_SHA256, KTLS_TLS_AES_128_CCM_SHA256};
static const size_t limits[4] = {KTLS_REC_MAX_PLAIN, KTLS_REC_MAX_PLAIN, 64, 1};
static const uint8_t secret[KTLS_MAX_HASH] = {0x42};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned opt0 = data[0], opt1 = data[1], mode = opt0 >> 2 & 3;
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	const struct ktls_suite *s = ktls_suite_get(suites[opt0 & 3]);
	struct ktls_rec_dir w = {0}, r = {0};
	if (!s || ktls_rec_init(&w, s, secret, 1) || ktls_rec_init(&r, s, secret, 0))
		abort();
	r.max_plain = limits[opt0 >> 4 & 3];
	size_t cap = KTLS_REC_HDR + KTLS_REC_MAX_CIPHER + 256;
	uint8_t *rec = malloc(cap), *out = malloc(KTLS_REC_MAX_CIPHER);
	long len;
	uint8_t type = p[0];
	if (mode == 2) {
		len = (long)(n < cap ? n : cap);
		memcpy(rec, p, (size_t)len);
	} else if (mode == 1) {
		len = ktls_rec_seal(&w, p[n - 1], p, n - 1, 0, rec, cap);
	} else {
		len = ktls_rec_seal(&w, type, p + 1, n - 1, mode == 3 ? 0 : opt1, rec, cap);
	}
	if (len > 0) {
		(void)ktls_rec_frame(rec, (size_t)len, KTLS_REC_MAX_CIPHER);
		size_t at = opt1 % (size_t)len;
		if (mode == 3)
			rec[at] ^= 0x01;
		uint8_t got;
		uint8_t *dst = opt0 & 0x40 ? rec + KTLS_REC_HDR : out;
		/* An exact fit: whatever it writes past the plaintext is caught. */
		uint8_t *exact = (size_t)len > KTLS_REC_HDR + 16
					 ? malloc((size_t)len - KTLS_REC_HDR - 16)
					 : NULL;
		if (exact && !(opt0 & 0x40))
			dst = exact;
		size_t dcap = exact && !(opt0 & 0x40) ? (size_t)len - KTLS_REC_HDR - 16
						      : KTLS_REC_MAX_CIPHER;
		long pl = ktls_rec_open(&r, rec, (size_t)len, dst, dcap, &got);
		bool valid = type == KTLS_CT_ALERT || type == KTLS_CT_HANDSHAKE ||
			     type == KTLS_CT_APPLICATION_DATA;
		if (mode == 0 && valid && n - 1 + opt1 < r.max_plain &&
		    (pl != (long)(n - 1) || got != type || memcmp(dst, p + 1, n - 1)))
			abort(); /* what was sealed did not come back */
		if (mode == 3 && pl >= 0 && at != 1 && at != 2)
			abort(); /* a changed record opened */
		if (pl >= 0 && r.seq != 1)
			abort();
		free(exact);
	}
	free(rec);
	free(out);
	ktls_rec_clear(&w);
	ktls_rec_clear(&r);
	return 0;
}
