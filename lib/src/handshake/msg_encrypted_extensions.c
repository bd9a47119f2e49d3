/* SPDX-License-Identifier: Apache-2.0 */
/* EncryptedExtensions (RFC 8446 4.3.1). */
#include <string.h>

#include "handshake/msg.h"

#define DECODE_ERR(msg) (*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR))

int ktls_encrypted_extensions_decode(struct ktls_encrypted_extensions *ee, const uint8_t *body,
				     size_t len, const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	memset(ee, 0, sizeof(*ee));
	struct ktls_ext_iter it;
	struct ktls_rd e;
	uint16_t type;
	int err = ktls_ext_begin(&it, &r, why), more;
	if (err)
		return err;
	while ((more = ktls_ext_next(&it, &type, &e, why)) == 1) {
		switch (type) {
		case KTLS_EXT_SERVER_NAME:
			ee->sni_ack = true; /* must be empty */
			break;
		case KTLS_EXT_ALPN: {
			struct ktls_rd list = ktls_rd_block(&e, 2);
			struct ktls_rd name = ktls_rd_block(&list, 1);
			if (!ktls_rd_ok(&name) || ktls_rd_left(&name) == 0 || !ktls_rd_done(&list))
				return DECODE_ERR("alpn: server must select exactly one protocol");
			ee->alpn.len = ktls_rd_left(&name);
			ee->alpn.p = name.p;
			break;
		}
		case KTLS_EXT_RECORD_SIZE_LIMIT:
			ee->record_size_limit = ktls_rd_u16(&e);
			if (ktls_rd_ok(&e) && ee->record_size_limit < 64)
				return *why = "record_size_limit below 64",
				       KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
			break;
		case KTLS_EXT_SUPPORTED_GROUPS: {
			struct ktls_rd l = ktls_rd_block(&e, 2);
			(void)ktls_rd_bytes(&l, ktls_rd_left(&l)); /* advisory only */
			break;
		}
		case KTLS_EXT_KEY_SHARE:
		case KTLS_EXT_SUPPORTED_VERSIONS:
		case KTLS_EXT_SIGNATURE_ALGORITHMS:
		case KTLS_EXT_COOKIE:
		case KTLS_EXT_PRE_SHARED_KEY:
		case KTLS_EXT_PSK_KEY_EXCHANGE_MODES:
			*why = "EncryptedExtensions carries an extension not allowed there";
			return KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
		default:
			*why = "EncryptedExtensions carries an extension we did not offer";
			return KTLS_ALERT_ERR(KTLS_ALERT_UNSUPPORTED_EXTENSION);
		}
		if (!ktls_rd_done(&e))
			return DECODE_ERR("EncryptedExtensions: malformed extension");
	}
	return more < 0 ? more : 0;
}

void ktls_encrypted_extensions_encode(struct ktls_buf *b,
				      const struct ktls_encrypted_extensions *ee)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_ENCRYPTED_EXTENSIONS);
	size_t exts = ktls_buf_open(b, 2), l;
	if (ee->sni_ack) {
		ktls_buf_u16(b, KTLS_EXT_SERVER_NAME);
		ktls_buf_u16(b, 0);
	}
	if (ee->alpn.len) {
		ktls_buf_u16(b, KTLS_EXT_ALPN);
		l = ktls_buf_open(b, 2);
		ktls_buf_u16(b, (uint16_t)(ee->alpn.len + 1));
		ktls_buf_u8(b, (uint8_t)ee->alpn.len);
		ktls_buf_put(b, ee->alpn.p, ee->alpn.len);
		ktls_buf_close(b, l, 2);
	}
	if (ee->record_size_limit) {
		ktls_buf_u16(b, KTLS_EXT_RECORD_SIZE_LIMIT);
		ktls_buf_u16(b, 2);
		ktls_buf_u16(b, ee->record_size_limit);
	}
	ktls_buf_close(b, exts, 2);
	ktls_msg_end(b, m);
}
