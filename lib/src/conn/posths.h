/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KTLS_POSTHS_H
#define KTLS_POSTHS_H

#include <stddef.h>
#include <stdint.h>

#include "handshake/msg.h"

struct ktls_config;

/*
 * Handles the handshake messages of one post-handshake record (plaintext,
 * possibly several messages). Sets *key_update to 0/1 if the record ended
 * with a KeyUpdate (update_requested), else -1. Alert errors with *why.
 */
int ktls_post_handshake(const struct ktls_config *cfg, const uint8_t *msgs, size_t len,
			int *key_update, const char **why);

#endif
