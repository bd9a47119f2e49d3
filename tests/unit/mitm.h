/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Playing one side of a handshake by hand against a real engine. The engines
 * are white boxes here: the test reads the other side's traffic secrets out
 * of its struct ktls_hs, so it can open the real flight, change a message,
 * and seal it again exactly as a peer would have.
 */
#ifndef KTLS_MITM_H
#define KTLS_MITM_H

#include "hspair.h"

/* Feeds input to an engine until it takes no more; its last status. */
static inline int feed(struct ktls_hs *hs, const uint8_t *in, size_t len)
{
	int rc = 0;
	size_t used;
	do {
		rc = ktls_hs_step(hs, in, len, &used);
		in += used;
		len -= used;
	} while (rc == 0 && used && len);
	return rc;
}

static inline void take_output(struct ktls_hs *hs, struct ktls_buf *out)
{
	const uint8_t *p;
	size_t n;
	ktls_hs_output(hs, &p, &n);
	ktls_buf_put(out, p, n);
	ktls_hs_output_sent(hs, n);
}

/* The alert in the last record an engine has queued (plaintext, or sealed
 * with its current write key as the latest record): the description, or
 * -1 if that record is no alert. */
static inline int last_alert_in(struct ktls_hs *hs, const uint8_t *p, size_t n)
{
	const uint8_t *last = NULL;
	size_t last_len = 0;
	for (size_t off = 0; off + KTLS_REC_HDR <= n;) {
		long r = ktls_rec_frame(p + off, n - off, KTLS_REC_MAX_CIPHER);
		if (r <= 0)
			break;
		last = p + off;
		last_len = (size_t)r;
		off += (size_t)r;
	}
	if (!last)
		return -1;
	if (last[0] == KTLS_CT_ALERT)
		return last_len == 7 ? last[6] : -1;
	if (!hs->wr_on)
		return -1;
	struct ktls_rec_dir d = {0};
	uint8_t plain[64], type;
	ck_assert_int_eq(ktls_rec_init(&d, hs->suite, hs->wr.secret, 0), 0);
	d.seq = hs->wr.seq - 1;
	long m = ktls_rec_open(&d, last, last_len, plain, sizeof(plain), &type);
	ktls_rec_clear(&d);
	return m == 2 && type == KTLS_CT_ALERT ? plain[1] : -1;
}

static inline int last_alert(struct ktls_hs *hs)
{
	const uint8_t *p;
	size_t n;
	ktls_hs_output(hs, &p, &n);
	return last_alert_in(hs, p, n);
}

/*
 * Opens a flight: plaintext records are copied to plain_out (for instance a
 * ServerHello, a ChangeCipherSpec), the handshake plaintext of every record
 * the key opens goes to msgs.
 */
static inline void open_flight(const uint8_t *in, size_t len, const struct ktls_suite *suite,
			       const uint8_t *secret, struct ktls_buf *plain_out,
			       struct ktls_buf *msgs)
{
	struct ktls_rec_dir d = {0};
	ck_assert_int_eq(ktls_rec_init(&d, suite, secret, 0), 0);
	for (size_t off = 0; off < len;) {
		long r = ktls_rec_frame(in + off, len - off, KTLS_REC_MAX_CIPHER);
		ck_assert_int_gt(r, 0);
		if (in[off] != KTLS_CT_APPLICATION_DATA) {
			ktls_buf_put(plain_out, in + off, (size_t)r);
		} else {
			uint8_t plain[KTLS_REC_MAX_CIPHER], type;
			long m =
				ktls_rec_open(&d, in + off, (size_t)r, plain, sizeof(plain), &type);
			ck_assert_int_ge(m, 0);
			ck_assert_int_eq(type, KTLS_CT_HANDSHAKE);
			ktls_buf_put(msgs, plain, (size_t)m);
		}
		off += (size_t)r;
	}
	ktls_rec_clear(&d);
}

/* Seals msgs as records of type `type`, at most frag bytes each, with d. */
static inline void seal_records(struct ktls_rec_dir *d, uint8_t type, const uint8_t *msgs,
				size_t len, size_t frag, struct ktls_buf *out)
{
	do {
		size_t n = len < frag ? len : frag;
		uint8_t *dst = ktls_buf_reserve(out, ktls_rec_sealed_len(n, 0));
		long r = ktls_rec_seal(d, type, msgs, n, 0, dst, ktls_rec_sealed_len(n, 0));
		ck_assert_int_gt(r, 0);
		out->len += (size_t)r;
		msgs += n;
		len -= n;
	} while (len);
}

/* Frames bytes as plaintext records of type `type`, frag bytes each. */
static inline void plain_records(uint8_t type, const uint8_t *p, size_t len, size_t frag,
				 struct ktls_buf *out)
{
	do {
		size_t n = len < frag ? len : frag;
		ktls_buf_u8(out, type);
		ktls_buf_u16(out, 0x0303);
		ktls_buf_u16(out, (uint16_t)n);
		ktls_buf_put(out, p, n);
		p += n;
		len -= n;
	} while (len);
}

#endif
