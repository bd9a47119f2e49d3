/* SPDX-License-Identifier: Apache-2.0 */
/* A finished handshake, trimmed to what its getters answer for the rest of
 * the connection (ktls_conn_hs): the engine's buffers, transcript, keys and
 * state machine go once the connection has taken the application keys, and
 * the allocation shrinks to the fields kept (hs.h, up to KTLS_HS_KEPT). */
#include <openssl/crypto.h>
#include <stdlib.h>

#include "handshake/hs.h"

struct ktls_hs *ktls_hs_trim(struct ktls_hs *hs)
{
	if (hs->trimmed || hs->state != HS_DONE || hs->out.len)
		return hs; /* still sending, or failed: kept as it is */
	ktls_transcript_free(&hs->th);
	ktls_buf_free(&hs->msgs);
	ktls_buf_free(&hs->flight);
	ktls_buf_free(&hs->out);
	ktls_kex_key_free(hs->kex[0]);
	ktls_kex_key_free(hs->kex[1]);
	ktls_session_clear(&hs->session);
	ktls_rec_clear(&hs->rd);
	ktls_rec_clear(&hs->wr);
	if (!hs->cfg->keep_peer_cert) {
		X509_free(hs->peer_cert); /* a reference, if the chain cache has it */
		hs->peer_cert = NULL;
	}
	/* The secrets before the application ones were wiped when the
	 * handshake completed; the rest of the engine goes too. */
	OPENSSL_cleanse((uint8_t *)hs + KTLS_HS_KEPT, sizeof(*hs) - KTLS_HS_KEPT);
	hs->trimmed = true;
	struct ktls_hs *small = realloc(hs, KTLS_HS_KEPT);
	return small ? small : hs;
}

void ktls_hs_free_trimmed(struct ktls_hs *hs)
{
	free(hs->server_name);
	X509_free(hs->peer_cert);
	OPENSSL_cleanse(hs, KTLS_HS_KEPT); /* the exporter and resumption secrets */
	free(hs);
}
