/* SPDX-License-Identifier: Apache-2.0 */
/* A finished handshake, trimmed to what its getters answer for the rest of
 * the connection (ktls_conn_hs): the engine's buffers, transcript and keys
 * go once the connection has taken the application keys. */
#include "handshake/hs.h"

void ktls_hs_trim(struct ktls_hs *hs)
{
	if (hs->state != HS_DONE || hs->out.len)
		return; /* still sending, or failed: kept as it is */
	ktls_transcript_free(&hs->th);
	ktls_buf_free(&hs->msgs);
	ktls_buf_free(&hs->flight);
	ktls_buf_free(&hs->out);
	ktls_kex_key_free(hs->kex[0]);
	ktls_kex_key_free(hs->kex[1]);
	hs->kex[0] = hs->kex[1] = NULL;
	ktls_session_clear(&hs->session);
	ktls_rec_clear(&hs->rd);
	ktls_rec_clear(&hs->wr);
	hs->rd_on = hs->wr_on = false;
}
