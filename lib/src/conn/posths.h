/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KTLS_POSTHS_H
#define KTLS_POSTHS_H

#include <stddef.h>
#include <stdint.h>

#include "handshake/msg.h"

struct ktls_config;
struct ktls_hs;

/*
 * Handles one whole post-handshake message (the connection reassembles
 * them from records). A client's tickets go to the ticket callback as
 * sessions, made with hs's resumption secret (none without hs). Sets *key_update to 0/1 for a
 * KeyUpdate (update_requested), else -1. Alert errors with *why.
 */
int ktls_post_handshake_message(const struct ktls_config *cfg, const struct ktls_hs *hs,
				uint8_t type, const uint8_t *body, size_t len, int *key_update,
				const char **why);

#endif
