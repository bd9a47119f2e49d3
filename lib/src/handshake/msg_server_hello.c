/* SPDX-License-Identifier: Apache-2.0 */
/* ServerHello and HelloRetryRequest (RFC 8446 4.1.3, 4.1.4). */
#include <string.h>

#include "handshake/msg.h"

#define DECODE_ERR(msg) (*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR))
#define ILLEGAL(msg)	(*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER))

int ktls_server_hello_decode(struct ktls_server_hello *sh, const uint8_t *body, size_t len,
			     const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	memset(sh, 0, sizeof(*sh));
	uint16_t legacy = ktls_rd_u16(&r);
	if (!ktls_rd_copy(&r, sh->random, KTLS_RANDOM_LEN))
		return DECODE_ERR("ServerHello truncated");
	sh->hrr = memcmp(sh->random, ktls_hrr_random, KTLS_RANDOM_LEN) == 0;
	struct ktls_rd sid = ktls_rd_block(&r, 1);
	if (!ktls_rd_ok(&sid) || ktls_rd_left(&sid) > 32)
		return DECODE_ERR("ServerHello: bad legacy_session_id_echo");
	sh->session_id.len = ktls_rd_left(&sid);
	sh->session_id.p = ktls_rd_bytes(&sid, sh->session_id.len);
	sh->suite = ktls_rd_u16(&r);
	uint8_t comp = ktls_rd_u8(&r);
	if (!ktls_rd_ok(&r))
		return DECODE_ERR("ServerHello truncated");
	if (ktls_rd_left(&r) == 0)
		return *why = "ServerHello without extensions: server does not speak TLS 1.3",
		       KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION);
	struct ktls_ext_iter it;
	struct ktls_rd e;
	uint16_t type;
	int err = ktls_ext_begin(&it, &r, why), more;
	if (err)
		return err;
	while ((more = ktls_ext_next(&it, &type, &e, why)) == 1) {
		switch (type) {
		case KTLS_EXT_SUPPORTED_VERSIONS:
			sh->version = ktls_rd_u16(&e);
			break;
		case KTLS_EXT_KEY_SHARE:
			sh->has_share = true;
			sh->group = ktls_rd_u16(&e);
			if (!sh->hrr) {
				struct ktls_rd pub = ktls_rd_block(&e, 2);
				sh->pub.len = ktls_rd_left(&pub);
				sh->pub.p = pub.p;
				if (!ktls_rd_ok(&pub) || sh->pub.len == 0)
					return DECODE_ERR("key_share: malformed");
			}
			break;
		case KTLS_EXT_PRE_SHARED_KEY:
			if (sh->hrr)
				goto unsupported;
			sh->has_psk = true;
			sh->psk_identity = ktls_rd_u16(&e);
			break;
		case KTLS_EXT_COOKIE: {
			if (!sh->hrr)
				goto unsupported;
			struct ktls_rd c = ktls_rd_block(&e, 2);
			sh->cookie.len = ktls_rd_left(&c);
			sh->cookie.p = c.p;
			if (!ktls_rd_ok(&c) || sh->cookie.len == 0)
				return DECODE_ERR("cookie: malformed");
			break;
		}
		default:
		unsupported:
			/* A server may only send what we asked for (4.2). */
			*why = "ServerHello carries an extension we did not offer";
			return KTLS_ALERT_ERR(KTLS_ALERT_UNSUPPORTED_EXTENSION);
		}
		if (!ktls_rd_done(&e))
			return DECODE_ERR("ServerHello: malformed extension");
	}
	if (more < 0)
		return more;
	if (sh->version != KTLS_TLS13 || legacy != KTLS_LEGACY_VERSION)
		return *why = "server did not select TLS 1.3",
		       KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION);
	if (comp != 0)
		return ILLEGAL("ServerHello: compression method not null");
	/* A HelloRetryRequest may carry a cookie alone (4.1.4). */
	if (!sh->has_share && !sh->hrr && !sh->has_psk)
		return *why = "ServerHello without key_share",
		       KTLS_ALERT_ERR(KTLS_ALERT_MISSING_EXTENSION);
	return 0;
}

void ktls_server_hello_encode(struct ktls_buf *b, const struct ktls_server_hello *sh)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_SERVER_HELLO), l;
	ktls_buf_u16(b, KTLS_LEGACY_VERSION);
	ktls_buf_put(b, sh->hrr ? ktls_hrr_random : sh->random, KTLS_RANDOM_LEN);
	ktls_buf_u8(b, (uint8_t)sh->session_id.len);
	ktls_buf_put(b, sh->session_id.p, sh->session_id.len);
	ktls_buf_u16(b, sh->suite);
	ktls_buf_u8(b, 0);
	size_t exts = ktls_buf_open(b, 2);
	ktls_buf_u16(b, KTLS_EXT_SUPPORTED_VERSIONS);
	ktls_buf_u16(b, 2);
	ktls_buf_u16(b, KTLS_TLS13);
	/* An HRR with a cookie alone names no group; a psk_ke ServerHello
	 * has no share. */
	if ((!sh->hrr && sh->pub.len) || (sh->hrr && sh->group)) {
		ktls_buf_u16(b, KTLS_EXT_KEY_SHARE);
		l = ktls_buf_open(b, 2);
		ktls_buf_u16(b, sh->group);
		if (!sh->hrr) {
			ktls_buf_u16(b, (uint16_t)sh->pub.len);
			ktls_buf_put(b, sh->pub.p, sh->pub.len);
		}
		ktls_buf_close(b, l, 2);
	}
	if (sh->has_psk) {
		ktls_buf_u16(b, KTLS_EXT_PRE_SHARED_KEY);
		ktls_buf_u16(b, 2);
		ktls_buf_u16(b, sh->psk_identity);
	}
	if (sh->hrr && sh->cookie.len) {
		ktls_buf_u16(b, KTLS_EXT_COOKIE);
		l = ktls_buf_open(b, 2);
		ktls_buf_u16(b, (uint16_t)sh->cookie.len);
		ktls_buf_put(b, sh->cookie.p, sh->cookie.len);
		ktls_buf_close(b, l, 2);
	}
	ktls_buf_close(b, exts, 2);
	ktls_msg_end(b, m);
}
