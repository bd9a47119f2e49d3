/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate and CertificateRequest (RFC 8446 4.4.2, 4.3.2). */
#include <string.h>

#include "crypto/crypto.h"
#include "handshake/msg.h"

#define DECODE_ERR(msg) (*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR))

int ktls_certificate_decode(struct ktls_certificate *c, const uint8_t *body, size_t len,
			    const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	memset(c, 0, sizeof(*c));
	struct ktls_rd ctx = ktls_rd_block(&r, 1);
	c->context.len = ktls_rd_left(&ctx);
	c->context.p = ctx.p;
	struct ktls_rd list = ktls_rd_block(&r, 3);
	if (!ktls_rd_done(&r))
		return DECODE_ERR("Certificate: malformed");
	while (ktls_rd_left(&list)) {
		struct ktls_rd der = ktls_rd_block(&list, 3);
		struct ktls_rd exts = ktls_rd_block(&list, 2); /* OCSP, SCT: not used */
		if (!ktls_rd_ok(&list) || ktls_rd_left(&der) == 0)
			return DECODE_ERR("Certificate: malformed entry");
		(void)exts;
		if (c->n_certs == KTLS_MAX_CHAIN)
			return *why = "Certificate: chain longer than we accept",
			       KTLS_ALERT_ERR(KTLS_ALERT_BAD_CERTIFICATE);
		c->certs[c->n_certs].len = ktls_rd_left(&der);
		c->certs[c->n_certs++].p = der.p;
	}
	return ktls_rd_done(&list) ? 0 : DECODE_ERR("Certificate: malformed list");
}

void ktls_certificate_encode(struct ktls_buf *b, const struct ktls_bytes *context,
			     const struct ktls_bytes *certs, size_t n)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_CERTIFICATE);
	ktls_buf_u8(b, (uint8_t)context->len);
	ktls_buf_put(b, context->p, context->len);
	size_t list = ktls_buf_open(b, 3);
	for (size_t i = 0; i < n; i++) {
		ktls_buf_u24(b, (uint32_t)certs[i].len);
		ktls_buf_put(b, certs[i].p, certs[i].len);
		ktls_buf_u16(b, 0);
	}
	ktls_buf_close(b, list, 3);
	ktls_msg_end(b, m);
}

int ktls_certificate_request_decode(struct ktls_certificate_request *cr, const uint8_t *body,
				    size_t len, const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	memset(cr, 0, sizeof(*cr));
	struct ktls_rd ctx = ktls_rd_block(&r, 1);
	cr->context.len = ktls_rd_left(&ctx);
	cr->context.p = ctx.p;
	struct ktls_ext_iter it;
	struct ktls_rd e;
	uint16_t type;
	int err = ktls_ext_begin(&it, &r, why), more;
	if (err)
		return err;
	bool has_sigalgs = false, has_cert = false;
	while ((more = ktls_ext_next(&it, &type, &e, why)) == 1) {
		bool cert = type == KTLS_EXT_SIGNATURE_ALGORITHMS_CERT;
		if (type != KTLS_EXT_SIGNATURE_ALGORITHMS && !cert)
			continue;
		struct ktls_rd l = ktls_rd_block(&e, 2);
		if (!ktls_rd_ok(&l) || ktls_rd_left(&l) % 2 || ktls_rd_left(&l) == 0 ||
		    !ktls_rd_done(&e))
			return DECODE_ERR("signature_algorithms: malformed");
		has_sigalgs |= !cert;
		/* signature_algorithms_cert, or else signature_algorithms, says
		 * what our certificates may be signed with (4.2.3). */
		bool to_cert = cert || !has_cert;
		if (to_cert)
			cr->n_cert_sigalgs = 0;
		has_cert |= cert;
		while (ktls_rd_left(&l)) {
			uint16_t v = ktls_rd_u16(&l);
			if (!cert && ktls_sig_supported(v) && cr->n_sigalgs < KTLS_MAX_LIST)
				cr->sigalgs[cr->n_sigalgs++] = v;
			if (to_cert && ktls_cert_sig_known(v) && cr->n_cert_sigalgs < KTLS_MAX_LIST)
				cr->cert_sigalgs[cr->n_cert_sigalgs++] = v;
		}
	}
	if (more < 0)
		return more;
	if (!has_sigalgs)
		return *why = "CertificateRequest without signature_algorithms",
		       KTLS_ALERT_ERR(KTLS_ALERT_MISSING_EXTENSION);
	return 0;
}

void ktls_certificate_request_encode(struct ktls_buf *b, const uint16_t *sigalgs, size_t n)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_CERTIFICATE_REQUEST);
	ktls_buf_u8(b, 0); /* empty context: only during the handshake */
	size_t exts = ktls_buf_open(b, 2);
	ktls_buf_u16(b, KTLS_EXT_SIGNATURE_ALGORITHMS);
	size_t l = ktls_buf_open(b, 2), l2 = ktls_buf_open(b, 2);
	for (size_t i = 0; i < n; i++)
		ktls_buf_u16(b, sigalgs[i]);
	ktls_buf_close(b, l2, 2);
	ktls_buf_close(b, l, 2);
	ktls_buf_close(b, exts, 2);
	ktls_msg_end(b, m);
}
