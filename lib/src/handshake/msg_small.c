/* SPDX-License-Identifier: Apache-2.0 */
/* The small messages: CertificateVerify, Finished, NewSessionTicket and
 * KeyUpdate (RFC 8446 4.4.3, 4.4.4, 4.6.1, 4.6.3), and the Alert record's
 * body (6). */
#include <string.h>

#include "handshake/msg.h"

#define DECODE_ERR(msg) (*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR))

int ktls_certificate_verify_decode(struct ktls_certificate_verify *cv, const uint8_t *body,
				   size_t len, const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	cv->scheme = ktls_rd_u16(&r);
	struct ktls_rd sig = ktls_rd_block(&r, 2);
	cv->signature.len = ktls_rd_left(&sig);
	cv->signature.p = sig.p;
	if (!ktls_rd_done(&r) || cv->signature.len == 0)
		return DECODE_ERR("CertificateVerify: malformed");
	return 0;
}

void ktls_certificate_verify_encode(struct ktls_buf *b, uint16_t scheme, const uint8_t *sig,
				    size_t len)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_CERTIFICATE_VERIFY);
	ktls_buf_u16(b, scheme);
	ktls_buf_u16(b, (uint16_t)len);
	ktls_buf_put(b, sig, len);
	ktls_msg_end(b, m);
}

int ktls_finished_decode(struct ktls_bytes *verify, size_t hash_len, const uint8_t *body,
			 size_t len, const char **why)
{
	if (len != hash_len)
		return DECODE_ERR("Finished: wrong length");
	verify->p = body;
	verify->len = len;
	return 0;
}

void ktls_finished_encode(struct ktls_buf *b, const uint8_t *verify, size_t len)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_FINISHED);
	ktls_buf_put(b, verify, len);
	ktls_msg_end(b, m);
}

int ktls_new_session_ticket_decode(struct ktls_new_session_ticket *t, const uint8_t *body,
				   size_t len, const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	t->lifetime = ktls_rd_u32(&r);
	t->age_add = ktls_rd_u32(&r);
	struct ktls_rd nonce = ktls_rd_block(&r, 1);
	struct ktls_rd ticket = ktls_rd_block(&r, 2);
	struct ktls_rd exts = ktls_rd_block(&r, 2);
	(void)exts; /* early_data: no 0-RTT here */
	t->nonce.p = nonce.p;
	t->nonce.len = ktls_rd_left(&nonce);
	t->ticket.p = ticket.p;
	t->ticket.len = ktls_rd_left(&ticket);
	if (!ktls_rd_done(&r) || t->ticket.len == 0)
		return DECODE_ERR("NewSessionTicket: malformed");
	if (t->lifetime > 604800)
		return *why = "NewSessionTicket: lifetime over 7 days",
		       KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
	return 0;
}

void ktls_new_session_ticket_encode(struct ktls_buf *b, const struct ktls_new_session_ticket *t)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_NEW_SESSION_TICKET);
	ktls_buf_uint(b, t->lifetime, 4);
	ktls_buf_uint(b, t->age_add, 4);
	ktls_buf_u8(b, (uint8_t)t->nonce.len);
	ktls_buf_put(b, t->nonce.p, t->nonce.len);
	ktls_buf_u16(b, (uint16_t)t->ticket.len);
	ktls_buf_put(b, t->ticket.p, t->ticket.len);
	ktls_buf_u16(b, 0);
	ktls_msg_end(b, m);
}

int ktls_key_update_decode(int *requested, const uint8_t *body, size_t len, const char **why)
{
	if (len != 1)
		return DECODE_ERR("KeyUpdate: body is not one byte");
	if (body[0] > 1)
		return *why = "KeyUpdate: request_update is neither 0 nor 1",
		       KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
	*requested = body[0];
	return 0;
}

void ktls_key_update_encode(struct ktls_buf *b, int requested)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_KEY_UPDATE);
	ktls_buf_u8(b, requested ? 1 : 0);
	ktls_msg_end(b, m);
}

int ktls_alert_decode(const uint8_t *body, size_t len, int *desc, const char **why)
{
	/* An empty alert is no alert at all, as OpenSSL judges it. */
	if (len == 0) {
		*why = "empty alert record";
		return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
	}
	if (len != 2)
		return DECODE_ERR("alert record is not two bytes");
	/* The level is not trusted: in TLS 1.3 every alert but close_notify
	 * and user_canceled is an error whatever it says (6). */
	*desc = body[1];
	return 0;
}
