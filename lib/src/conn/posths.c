/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Post-handshake messages (RFC 8446 4.6), which arrive under application
 * keys after the handshake engine is done: NewSessionTicket goes to the
 * client's ticket callback, KeyUpdate is decoded for the connection layer,
 * anything else is unexpected_message.
 */
#include "conn/posths.h"

#include "common/config.h"

int ktls_post_handshake(const struct ktls_config *cfg, const uint8_t *msgs, size_t len,
			int *key_update, const char **why)
{
	struct ktls_rd r = ktls_rd_make(msgs, len);
	*key_update = -1;
	while (ktls_rd_left(&r)) {
		uint8_t type = ktls_rd_u8(&r);
		struct ktls_rd body = ktls_rd_block(&r, 3);
		if (!ktls_rd_ok(&r)) {
			*why = "truncated post-handshake message";
			return KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR);
		}
		size_t n = ktls_rd_left(&body);
		const uint8_t *p = ktls_rd_bytes(&body, n);
		int err;
		switch (type) {
		case KTLS_HS_NEW_SESSION_TICKET: {
			struct ktls_new_session_ticket t;
			if (cfg->role != KTLS_CLIENT) {
				*why = "NewSessionTicket sent to a server";
				return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
			}
			if ((err = ktls_new_session_ticket_decode(&t, p, n, why)))
				return err;
			if (cfg->ticket_cb)
				cfg->ticket_cb(cfg->ticket_arg, t.ticket.p, t.ticket.len,
					       t.lifetime);
			break;
		}
		case KTLS_HS_KEY_UPDATE:
			if (*key_update >= 0) {
				/* Each KeyUpdate changes the keys: a second one in the
				 * same record would have to be read under the next key. */
				*why = "two KeyUpdate messages in one record";
				return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
			}
			if ((err = ktls_key_update_decode(key_update, p, n, why)))
				return err;
			if (ktls_rd_left(&r)) {
				/* Data after KeyUpdate in one record was sealed with
				 * the old key though it belongs to the new one (5.1). */
				*why = "handshake data after KeyUpdate in the same record";
				return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
			}
			break;
		default:
			*why = "unexpected post-handshake message";
			return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
		}
	}
	return 0;
}
