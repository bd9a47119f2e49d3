/* SPDX-License-Identifier: Apache-2.0 */
/* ClientHello (RFC 8446 4.1.2) and the extensions a TLS 1.3 server reads. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "handshake/msg.h"

#define DECODE_ERR(msg) (*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR))
#define ILLEGAL(msg)	(*why = (msg), KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER))

/* Reads a non-empty list of u16, keeping each value keep() accepts once, in
 * order: the kept list is bounded by what the library implements, however
 * long the peer's list (unknown and repeated values are legal), and every
 * value goes into all when given. */
static int u16_list(struct ktls_rd *r, bool (*keep)(uint16_t), uint16_t *out, size_t *n,
		    struct ktls_u16_set *all)
{
	struct ktls_rd l = ktls_rd_block(r, 2);
	if (!ktls_rd_ok(&l) || ktls_rd_left(&l) % 2 || ktls_rd_left(&l) == 0)
		return -1;
	*n = 0;
	while (ktls_rd_left(&l)) {
		uint16_t v = ktls_rd_u16(&l);
		if (all)
			ktls_u16_set_add(all, v);
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = out[i] == v;
		if (!dup && keep(v) && *n < KTLS_MAX_LIST)
			out[(*n)++] = v;
	}
	return 0;
}

static bool suite_known(uint16_t id)
{
	return ktls_suite_get(id) != NULL;
}

static int ext_server_name(struct ktls_client_hello *ch, struct ktls_rd *e, const char **why)
{
	struct ktls_rd list = ktls_rd_block(e, 2);
	while (ktls_rd_ok(&list) && ktls_rd_left(&list)) {
		uint8_t type = ktls_rd_u8(&list);
		struct ktls_rd name = ktls_rd_block(&list, 2);
		if (!ktls_rd_ok(&list))
			break;
		if (type != 0)
			continue; /* only host_name exists; skip others */
		if (ch->sni.p)
			return ILLEGAL("server_name: two host names");
		if (ktls_rd_left(&name) == 0 || ktls_rd_left(&name) > 255)
			return DECODE_ERR("server_name: bad host name length");
		ch->sni.len = ktls_rd_left(&name);
		ch->sni.p = ktls_rd_bytes(&name, ch->sni.len);
		if (memchr(ch->sni.p, 0, ch->sni.len))
			return ILLEGAL("server_name: NUL in host name");
	}
	if (!ktls_rd_done(&list) || !ktls_rd_done(e))
		return DECODE_ERR("server_name: malformed");
	return 0;
}

/* Every share's group is recorded (two for one group, or one for a group
 * supported_groups does not list, are refused once both are read); shares
 * are kept only for groups we implement. */
static int ext_key_share(struct ktls_client_hello *ch, struct ktls_rd *e,
			 struct ktls_u16_set *share_groups, const char **why)
{
	struct ktls_rd list = ktls_rd_block(e, 2);
	ch->has_key_share = true;
	while (ktls_rd_ok(&list) && ktls_rd_left(&list)) {
		uint16_t group = ktls_rd_u16(&list);
		struct ktls_rd pub = ktls_rd_block(&list, 2);
		if (!ktls_rd_ok(&list) || ktls_rd_left(&pub) == 0)
			return DECODE_ERR("key_share: malformed entry");
		if (ktls_u16_set_add(share_groups, group))
			return ILLEGAL("key_share: two shares for one group");
		if (ktls_kex_supported(group) && ch->n_shares < KTLS_MAX_LIST) {
			struct ktls_share *s = &ch->shares[ch->n_shares++];
			s->group = group;
			s->pub.len = ktls_rd_left(&pub);
			s->pub.p = ktls_rd_bytes(&pub, s->pub.len);
		}
	}
	if (!ktls_rd_done(&list) || !ktls_rd_done(e))
		return DECODE_ERR("key_share: malformed");
	return 0;
}

static int ext_versions(struct ktls_client_hello *ch, struct ktls_rd *e, const char **why)
{
	struct ktls_rd list = ktls_rd_block(e, 1);
	if (!ktls_rd_ok(&list) || ktls_rd_left(&list) % 2 || ktls_rd_left(&list) == 0 ||
	    !ktls_rd_done(e))
		return DECODE_ERR("supported_versions: malformed");
	ch->has_versions = true;
	while (ktls_rd_left(&list))
		if (ktls_rd_u16(&list) == KTLS_TLS13)
			ch->tls13 = true;
	return 0;
}

static int ext_alpn(struct ktls_client_hello *ch, struct ktls_rd *e, const char **why)
{
	struct ktls_rd list = ktls_rd_block(e, 2);
	if (!ktls_rd_ok(&list) || ktls_rd_left(&list) == 0 || !ktls_rd_done(e))
		return DECODE_ERR("alpn: malformed");
	ch->alpn.len = ktls_rd_left(&list);
	ch->alpn.p = list.p;
	/* Validate now so that matching later can trust the framing. */
	while (ktls_rd_left(&list)) {
		struct ktls_rd name = ktls_rd_block(&list, 1);
		if (!ktls_rd_ok(&name) || ktls_rd_left(&name) == 0)
			return DECODE_ERR("alpn: empty or truncated protocol name");
	}
	ch->has_alpn = true;
	return 0;
}

/* The sets a ClientHello's checks need: too large for the stack (24 KiB). */
struct ch_sets {
	struct ktls_ext_iter it;
	struct ktls_u16_set groups, share_groups;
	const uint8_t *body; /* where the message body starts */
};

/* pre_shared_key (4.2.11): identities, then as many binders; the first
 * few are kept, and where the binders start (they are not covered by the
 * binders themselves). */
static int ext_pre_shared_key(struct ktls_client_hello *ch, struct ktls_rd *e, const uint8_t *body,
			      const char **why)
{
	struct ktls_rd ids = ktls_rd_block(e, 2);
	if (!ktls_rd_ok(&ids) || ktls_rd_left(&ids) < 7)
		return DECODE_ERR("pre_shared_key: bad identities");
	size_t n_ids = 0;
	while (ktls_rd_left(&ids)) {
		struct ktls_rd id = ktls_rd_block(&ids, 2);
		uint32_t age = ktls_rd_u32(&ids);
		if (!ktls_rd_ok(&ids) || ktls_rd_left(&id) == 0)
			return DECODE_ERR("pre_shared_key: malformed identity");
		if (n_ids < KTLS_MAX_PSKS) {
			ch->psks[n_ids].identity = (struct ktls_bytes){id.p, ktls_rd_left(&id)};
			ch->psks[n_ids].obfuscated_age = age;
		}
		n_ids++;
	}
	ch->binders_at = (size_t)(e->p - body);
	struct ktls_rd binders = ktls_rd_block(e, 2);
	if (!ktls_rd_ok(&binders) || ktls_rd_left(&binders) < 33 || !ktls_rd_done(e))
		return DECODE_ERR("pre_shared_key: bad binders");
	size_t n_binders = 0;
	while (ktls_rd_left(&binders)) {
		struct ktls_rd b = ktls_rd_block(&binders, 1);
		if (!ktls_rd_ok(&binders) || ktls_rd_left(&b) < 32)
			return DECODE_ERR("pre_shared_key: malformed binder");
		if (n_binders < KTLS_MAX_PSKS)
			ch->psks[n_binders].binder = (struct ktls_bytes){b.p, ktls_rd_left(&b)};
		n_binders++;
	}
	if (n_binders != n_ids)
		return ILLEGAL("pre_shared_key: identities and binders differ in number");
	ch->n_psks = n_ids < KTLS_MAX_PSKS ? n_ids : KTLS_MAX_PSKS;
	ch->has_psk = true;
	return 0;
}

static int one_extension(struct ktls_client_hello *ch, uint16_t type, struct ktls_rd *e,
			 struct ch_sets *sets, const char **why)
{
	switch (type) {
	case KTLS_EXT_SERVER_NAME:
		return ext_server_name(ch, e, why);
	case KTLS_EXT_SUPPORTED_GROUPS:
		ch->has_groups = true;
		return u16_list(e, ktls_kex_supported, ch->groups, &ch->n_groups, &sets->groups) ||
				       !ktls_rd_done(e)
			       ? DECODE_ERR("supported_groups: malformed")
			       : 0;
	case KTLS_EXT_SIGNATURE_ALGORITHMS: {
		ch->has_sigalgs = true;
		struct ktls_rd again = *e;
		if (!ch->has_sigalgs_cert)
			(void)u16_list(&again, ktls_cert_sig_known, ch->cert_sigalgs,
				       &ch->n_cert_sigalgs, NULL);
		return u16_list(e, ktls_sig_supported, ch->sigalgs, &ch->n_sigalgs, NULL) ||
				       !ktls_rd_done(e)
			       ? DECODE_ERR("signature_algorithms: malformed")
			       : 0;
	}
	case KTLS_EXT_SIGNATURE_ALGORITHMS_CERT:
		ch->has_sigalgs_cert = true;
		return u16_list(e, ktls_cert_sig_known, ch->cert_sigalgs, &ch->n_cert_sigalgs,
				NULL) ||
				       !ktls_rd_done(e)
			       ? DECODE_ERR("signature_algorithms_cert: malformed")
			       : 0;
	case KTLS_EXT_ALPN:
		return ext_alpn(ch, e, why);
	case KTLS_EXT_RECORD_SIZE_LIMIT:
		ch->record_size_limit = ktls_rd_u16(e);
		if (!ktls_rd_done(e))
			return DECODE_ERR("record_size_limit: malformed");
		return ch->record_size_limit < 64 ? ILLEGAL("record_size_limit below 64") : 0;
	case KTLS_EXT_SUPPORTED_VERSIONS:
		return ext_versions(ch, e, why);
	case KTLS_EXT_COOKIE: {
		struct ktls_rd c = ktls_rd_block(e, 2);
		if (!ktls_rd_ok(&c) || ktls_rd_left(&c) == 0 || !ktls_rd_done(e))
			return DECODE_ERR("cookie: malformed");
		ch->cookie.len = ktls_rd_left(&c);
		ch->cookie.p = c.p;
		return 0;
	}
	case KTLS_EXT_PSK_KEY_EXCHANGE_MODES: {
		struct ktls_rd m = ktls_rd_block(e, 1);
		if (!ktls_rd_ok(&m) || ktls_rd_left(&m) == 0 || !ktls_rd_done(e))
			return DECODE_ERR("psk_key_exchange_modes: malformed");
		ch->has_psk_modes = true;
		while (ktls_rd_left(&m)) {
			uint8_t mode = ktls_rd_u8(&m);
			ch->psk_ke |= mode == 0;
			ch->psk_dhe_ke |= mode == 1;
		}
		return 0;
	}
	case KTLS_EXT_KEY_SHARE:
		return ext_key_share(ch, e, &sets->share_groups, why);
	case KTLS_EXT_EARLY_DATA:
		/* Empty in a ClientHello (4.2.10); we never accept 0-RTT, but
		 * the server must then skip the early data that follows. */
		if (ktls_rd_left(e))
			return DECODE_ERR("early_data: not empty");
		ch->early_data = true;
		return 0;
	case KTLS_EXT_PRE_SHARED_KEY:
		return ext_pre_shared_key(ch, e, sets->body, why);
	default:
		return 0; /* unknown extensions are ignored (4.2) */
	}
}

static int decode(struct ktls_client_hello *ch, struct ktls_rd *r, struct ch_sets *sets,
		  const char **why)
{
	ch->legacy_version = ktls_rd_u16(r);
	if (!ktls_rd_copy(r, ch->random, KTLS_RANDOM_LEN))
		return DECODE_ERR("ClientHello truncated");
	struct ktls_rd sid = ktls_rd_block(r, 1);
	if (!ktls_rd_ok(&sid) || ktls_rd_left(&sid) > 32)
		return DECODE_ERR("ClientHello: bad legacy_session_id");
	ch->session_id.len = ktls_rd_left(&sid);
	ch->session_id.p = ktls_rd_bytes(&sid, ch->session_id.len);
	if (u16_list(r, suite_known, ch->suites, &ch->n_suites, NULL))
		return DECODE_ERR("ClientHello: bad cipher_suites");
	struct ktls_rd comp = ktls_rd_block(r, 1);
	if (!ktls_rd_ok(&comp) || ktls_rd_left(&comp) == 0)
		return DECODE_ERR("ClientHello: bad compression methods");
	/* TLS 1.3 (4.1.2): exactly one method, null. Earlier versions need the
	 * version check first, so that gets its own alert below. */
	bool comp_null = ktls_rd_left(&comp) == 1 && ktls_rd_u8(&comp) == 0;
	/* SSL 3.0 and earlier are refused whatever supported_versions says
	 * (RFC 8446 D.5); 0x0301-0x0303 stay (D.2). */
	if (ch->legacy_version < 0x0301)
		return *why = "ClientHello legacy_version 0x0300 or lower",
		       KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION);
	if (ktls_rd_left(r) == 0)
		return *why = "ClientHello without extensions: not TLS 1.3",
		       KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION);

	struct ktls_rd e;
	uint16_t type;
	int err = ktls_ext_begin(&sets->it, r, why), more;
	if (err)
		return err;
	while ((more = ktls_ext_next(&sets->it, &type, &e, why)) == 1) {
		if (ch->has_psk)
			return ILLEGAL("ClientHello: pre_shared_key is not the last extension");
		if ((err = one_extension(ch, type, &e, sets, why)))
			return err;
	}
	if (more < 0)
		return more;
	if (!ch->tls13)
		return *why = ch->legacy_version < KTLS_LEGACY_VERSION || !ch->has_versions
				      ? "client does not offer TLS 1.3"
				      : "supported_versions does not list TLS 1.3",
		       KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION);
	if (!comp_null)
		return ILLEGAL("ClientHello: compression methods other than null");
	/* Each share must be for a group supported_groups lists (4.2.8); with
	 * no supported_groups at all the server says missing_extension (9.2). */
	for (size_t i = 0; ch->has_groups && i < KTLS_U16_SET_WORDS; i++)
		if (sets->share_groups.w[i] & ~sets->groups.w[i])
			return ILLEGAL("key_share: a share for a group supported_groups "
				       "does not list");
	return 0;
}

int ktls_client_hello_decode(struct ktls_client_hello *ch, const uint8_t *body, size_t len,
			     const char **why)
{
	struct ktls_rd r = ktls_rd_make(body, len);
	memset(ch, 0, sizeof(*ch));
	struct ch_sets *sets = calloc(1, sizeof(*sets));
	if (!sets)
		return *why = "out of memory", KTLS_ALERT_ERR(KTLS_ALERT_INTERNAL_ERROR);
	sets->body = body;
	int err = decode(ch, &r, sets, why);
	free(sets);
	return err;
}

/* An extension whose body is one u16-length-prefixed list of u16 values. */
static void put_u16_list_ext(struct ktls_buf *b, uint16_t type, const uint16_t *v, size_t n)
{
	ktls_buf_u16(b, type);
	size_t l = ktls_buf_open(b, 2), l2 = ktls_buf_open(b, 2);
	for (size_t i = 0; i < n; i++)
		ktls_buf_u16(b, v[i]);
	ktls_buf_close(b, l2, 2);
	ktls_buf_close(b, l, 2);
}

void ktls_client_hello_encode(struct ktls_buf *b, const struct ktls_client_hello_params *p)
{
	size_t m = ktls_msg_begin(b, KTLS_HS_CLIENT_HELLO), l, l2;
	ktls_buf_u16(b, KTLS_LEGACY_VERSION);
	ktls_buf_put(b, p->random, KTLS_RANDOM_LEN);
	ktls_buf_u8(b, (uint8_t)p->session_id_len);
	ktls_buf_put(b, p->session_id, p->session_id_len);
	l = ktls_buf_open(b, 2);
	for (size_t i = 0; i < p->n_suites; i++)
		ktls_buf_u16(b, p->suites[i]);
	ktls_buf_close(b, l, 2);
	ktls_buf_u8(b, 1);
	ktls_buf_u8(b, 0);

	size_t exts = ktls_buf_open(b, 2);
	if (p->sni) {
		size_t n = strlen(p->sni);
		ktls_buf_u16(b, KTLS_EXT_SERVER_NAME);
		l = ktls_buf_open(b, 2);
		l2 = ktls_buf_open(b, 2);
		ktls_buf_u8(b, 0);
		ktls_buf_u16(b, (uint16_t)n);
		ktls_buf_put(b, p->sni, n);
		ktls_buf_close(b, l2, 2);
		ktls_buf_close(b, l, 2);
	}
	ktls_buf_u16(b, KTLS_EXT_SUPPORTED_VERSIONS);
	ktls_buf_u16(b, 3);
	ktls_buf_u8(b, 2);
	ktls_buf_u16(b, KTLS_TLS13);

	put_u16_list_ext(b, KTLS_EXT_SUPPORTED_GROUPS, p->groups, p->n_groups);

	put_u16_list_ext(b, KTLS_EXT_SIGNATURE_ALGORITHMS, p->sigalgs, p->n_sigalgs);

	ktls_buf_u16(b, KTLS_EXT_KEY_SHARE);
	l = ktls_buf_open(b, 2);
	l2 = ktls_buf_open(b, 2);
	for (size_t i = 0; i < p->n_shares; i++) {
		ktls_buf_u16(b, p->shares[i].group);
		ktls_buf_u16(b, (uint16_t)p->shares[i].pub.len);
		ktls_buf_put(b, p->shares[i].pub.p, p->shares[i].pub.len);
	}
	ktls_buf_close(b, l2, 2);
	ktls_buf_close(b, l, 2);

	if (p->alpn_len) {
		ktls_buf_u16(b, KTLS_EXT_ALPN);
		l = ktls_buf_open(b, 2);
		ktls_buf_u16(b, (uint16_t)p->alpn_len);
		ktls_buf_put(b, p->alpn, p->alpn_len);
		ktls_buf_close(b, l, 2);
	}
	if (p->record_size_limit) {
		ktls_buf_u16(b, KTLS_EXT_RECORD_SIZE_LIMIT);
		ktls_buf_u16(b, 2);
		ktls_buf_u16(b, p->record_size_limit);
	}
	if (p->cookie.len) {
		ktls_buf_u16(b, KTLS_EXT_COOKIE);
		l = ktls_buf_open(b, 2);
		ktls_buf_u16(b, (uint16_t)p->cookie.len);
		ktls_buf_put(b, p->cookie.p, p->cookie.len);
		ktls_buf_close(b, l, 2);
	}
	/* psk_dhe_ke: lets servers send tickets (RFC 8446 4.2.9). */
	ktls_buf_u16(b, KTLS_EXT_PSK_KEY_EXCHANGE_MODES);
	ktls_buf_u16(b, p->psk_ke ? 3 : 2);
	ktls_buf_u8(b, p->psk_ke ? 2 : 1);
	ktls_buf_u8(b, 1);
	if (p->psk_ke)
		ktls_buf_u8(b, 0);
	ktls_buf_put(b, p->extra.p, p->extra.len);
	if (p->psk_identity.len) {
		/* pre_shared_key last (4.2.11); its binder is filled in later. */
		ktls_buf_u16(b, KTLS_EXT_PRE_SHARED_KEY);
		l = ktls_buf_open(b, 2);
		l2 = ktls_buf_open(b, 2);
		ktls_buf_u16(b, (uint16_t)p->psk_identity.len);
		ktls_buf_put(b, p->psk_identity.p, p->psk_identity.len);
		ktls_buf_uint(b, p->psk_age, 4);
		ktls_buf_close(b, l2, 2);
		ktls_buf_u16(b, (uint16_t)(1 + p->binder_len));
		ktls_buf_u8(b, (uint8_t)p->binder_len);
		uint8_t *z = ktls_buf_reserve(b, p->binder_len);
		if (z) {
			memset(z, 0, p->binder_len);
			b->len += p->binder_len;
		}
		ktls_buf_close(b, l, 2);
	}
	ktls_buf_close(b, exts, 2);
	ktls_msg_end(b, m);
}
