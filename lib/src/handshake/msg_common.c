/* SPDX-License-Identifier: Apache-2.0 */
/* Framing and the extension iterator shared by the message codecs. */
#include <string.h>

#include "handshake/msg.h"

const uint8_t ktls_hrr_random[KTLS_RANDOM_LEN] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

size_t ktls_msg_begin(struct ktls_buf *b, uint8_t type)
{
	ktls_buf_u8(b, type);
	return ktls_buf_open(b, 3);
}

void ktls_msg_end(struct ktls_buf *b, size_t mark)
{
	ktls_buf_close(b, mark, 3);
}

int ktls_ext_begin(struct ktls_ext_iter *it, struct ktls_rd *r, const char **why)
{
	memset(&it->seen, 0, sizeof(it->seen));
	it->block = ktls_rd_block(r, 2);
	if (!ktls_rd_ok(&it->block)) {
		*why = "extensions block truncated";
		return KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR);
	}
	/* In every TLS 1.3 message the extensions come last. */
	if (!ktls_rd_done(r)) {
		*why = "bytes after the extensions block";
		return KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR);
	}
	return 0;
}

int ktls_ext_next(struct ktls_ext_iter *it, uint16_t *type, struct ktls_rd *body, const char **why)
{
	if (ktls_rd_left(&it->block) == 0)
		return 0;
	*type = ktls_rd_u16(&it->block);
	*body = ktls_rd_block(&it->block, 2);
	if (!ktls_rd_ok(&it->block)) {
		*why = "extension truncated";
		return KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR);
	}
	if (ktls_u16_set_add(&it->seen, *type)) {
		*why = "duplicate extension";
		return KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
	}
	return 1;
}
