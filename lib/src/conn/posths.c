/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Post-handshake messages (RFC 8446 4.6), which arrive under application
 * keys after the handshake engine is done: NewSessionTicket goes to the
 * client's ticket callback, KeyUpdate is decoded for the connection layer,
 * anything else is unexpected_message.
 */
#include "conn/posths.h"

#include "common/config.h"
#include "handshake/hs.h"

/* A ticket becomes a session for the application (when the handshake
 * engine is there to say what it resumes: not for adopted connections). */
static void hand_over(const struct ktls_config *cfg, const struct ktls_hs *hs,
		      const struct ktls_new_session_ticket *t)
{
	struct ktls_buf blob;
	ktls_buf_init(&blob);
	if (hs && !ktls_hs_client_ticket(hs, t, &blob))
		cfg->ticket_cb(cfg->ticket_arg, blob.base, blob.len, t->lifetime);
	ktls_buf_free(&blob); /* wiped: it holds the PSK */
}

int ktls_post_handshake_message(const struct ktls_config *cfg, const struct ktls_hs *hs,
				uint8_t type, const uint8_t *body, size_t len, int *key_update,
				const char **why)
{
	struct ktls_new_session_ticket t;
	int err;
	*key_update = -1;
	switch (type) {
	case KTLS_HS_NEW_SESSION_TICKET:
		if (cfg->role != KTLS_CLIENT) {
			*why = "NewSessionTicket sent to a server";
			return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
		}
		if ((err = ktls_new_session_ticket_decode(&t, body, len, why)))
			return err;
		if (cfg->ticket_cb)
			hand_over(cfg, hs, &t);
		return 0;
	case KTLS_HS_KEY_UPDATE:
		return ktls_key_update_decode(key_update, body, len, why);
	default:
		*why = "unexpected post-handshake message";
		return KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
	}
}
