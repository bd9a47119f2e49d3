/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 8446 conformance of the handshake engine against a peer that is wrong
 * or hostile, for the server and the client: alerts of the wrong size,
 * handshake messages in fragments and records between them, old
 * legacy_versions, ClientHellos as large as the syntax allows, skipped early
 * data, Finished of the wrong length, ChangeCipherSpec rules, bad key shares,
 * a cookie-only HelloRetryRequest, user_canceled, and the server name rule.
 */
#include <errno.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "mitm.h"

#define ERR(a) KTLS_ALERT_ERR(KTLS_ALERT_##a)

static struct ktls_config *client_cfg(void)
{
	struct ktls_config *c = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_ca_file(c, cert_path("ca.pem")), 0);
	return c;
}

static struct ktls_config *server_cfg(void)
{
	struct ktls_config *s = ktls_config_new(KTLS_SERVER);
	add_cert(s, "server-ecdsa256");
	return s;
}

/* A client and a server, the client's first flight taken by the server:
 * flight holds the server's answer. */
struct pair {
	struct ktls_config *cc, *sc;
	struct ktls_hs *c, *s;
	struct ktls_buf ch, flight;
	int rc; /* the server's status after the ClientHello */
};

static void pair_start(struct pair *p, const struct ktls_bytes *extra)
{
	memset(p, 0, sizeof(*p));
	p->cc = client_cfg();
	p->sc = server_cfg();
	p->c = ktls_hs_new(p->cc, "server.test");
	p->s = ktls_hs_new(p->sc, NULL);
	if (extra)
		p->c->test_extra_ext = *extra;
	ktls_buf_init(&p->ch);
	ktls_buf_init(&p->flight);
	size_t used;
	ck_assert_int_eq(ktls_hs_step(p->c, NULL, 0, &used), 0);
	take_output(p->c, &p->ch);
}

static void pair_serve(struct pair *p)
{
	p->rc = feed(p->s, p->ch.base, p->ch.len);
	take_output(p->s, &p->flight);
}

/* The alert the server ended its answer to the ClientHello with. */
static int flight_alert(struct pair *p)
{
	return last_alert_in(p->s, p->flight.base, p->flight.len);
}

static void pair_free(struct pair *p)
{
	ktls_hs_free(p->c);
	ktls_hs_free(p->s);
	ktls_config_free(p->cc);
	ktls_config_free(p->sc);
	ktls_buf_free(&p->ch);
	ktls_buf_free(&p->flight);
}

/* Records sealed as the client would seal them under its handshake key. */
static void client_hs_writer(struct pair *p, struct ktls_rec_dir *d)
{
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(ktls_rec_init(d, p->s->suite, p->s->c_hs, 1), 0);
}

/* The client's correct Finished, as the server expects it now. */
static void client_finished(struct pair *p, struct ktls_buf *m)
{
	uint8_t mac[KTLS_MAX_HASH];
	ck_assert_int_eq(ktls_hs_finished_mac(p->s, p->s->c_hs, mac), 0);
	ktls_finished_encode(m, mac, p->s->suite->hash_len);
}

/* Feeds records to the server; its status, and the alert it queued. */
static int server_takes(struct pair *p, const struct ktls_buf *in, int *alert)
{
	int rc = feed(p->s, in->base, in->len);
	*alert = last_alert(p->s);
	return rc;
}

START_TEST(alert_sizes)
{
	/* _i: where the alert comes: 0 plaintext before the ClientHello, 1
	 * under the client's handshake key, 2 the same with padding, 3 at the
	 * client under the server's handshake key. Sizes 0, 1 and 3. */
	static const struct {
		size_t len;
		int want;
	} sizes[] = {{0, ERR(UNEXPECTED_MESSAGE)}, {1, ERR(DECODE_ERROR)}, {3, ERR(DECODE_ERROR)}};
	static const uint8_t body[3] = {2, 40, 0};
	for (size_t k = 0; k < 3; k++) {
		struct pair p;
		pair_start(&p, NULL);
		struct ktls_buf in;
		ktls_buf_init(&in);
		struct ktls_hs *victim = p.s;
		int rc;
		if (_i == 0) {
			plain_records(KTLS_CT_ALERT, body, sizes[k].len, 16, &in);
			in.base[3] = 0, in.base[4] = (uint8_t)sizes[k].len; /* 0 allowed */
			in.len = 5 + sizes[k].len;
			rc = feed(p.s, in.base, in.len);
		} else if (_i < 3) {
			pair_serve(&p);
			struct ktls_rec_dir d;
			client_hs_writer(&p, &d);
			uint8_t *dst = ktls_buf_reserve(&in, 64);
			long n = ktls_rec_seal(&d, KTLS_CT_ALERT, body, sizes[k].len,
					       _i == 2 ? 9 : 0, dst, 64);
			ck_assert_int_gt(n, 0);
			in.len = (size_t)n;
			ktls_rec_clear(&d);
			rc = feed(p.s, in.base, in.len);
		} else {
			pair_serve(&p);
			/* The ServerHello only, then an alert under s_hs. */
			long sh = ktls_rec_frame(p.flight.base, p.flight.len, KTLS_REC_MAX_CIPHER);
			ktls_buf_put(&in, p.flight.base, (size_t)sh);
			struct ktls_rec_dir d = {0};
			ck_assert_int_eq(ktls_rec_init(&d, p.s->suite, p.s->s_hs, 1), 0);
			uint8_t *dst = ktls_buf_reserve(&in, 64);
			in.len += (size_t)ktls_rec_seal(&d, KTLS_CT_ALERT, body, sizes[k].len, 0,
							dst, 64);
			ktls_rec_clear(&d);
			victim = p.c;
			rc = feed(p.c, in.base, in.len);
		}
		ck_assert_msg(rc == sizes[k].want, "where %d, size %zu: %d (%s)", _i, sizes[k].len,
			      rc, ktls_hs_error_detail(victim));
		ck_assert_int_eq(last_alert(victim), -rc - KTLS_E_ALERT_SENT);
		ktls_buf_free(&in);
		pair_free(&p);
	}
}
END_TEST

START_TEST(client_flight_in_fragments)
{
	/* _i: 0 Finished in three records (accepted); 1 a ChangeCipherSpec
	 * between two of them; 2 an alert between them; 3 a ChangeCipherSpec
	 * between the fragments of the ClientHello itself. */
	struct pair p;
	pair_start(&p, NULL);
	struct ktls_buf in, fin;
	ktls_buf_init(&in);
	ktls_buf_init(&fin);
	int alert, rc;
	if (_i == 3) {
		/* The ClientHello re-framed in 100-byte records, CCS after the first. */
		plain_records(KTLS_CT_HANDSHAKE, p.ch.base + 5, 100, 100, &in);
		static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
		ktls_buf_put(&in, ccs, sizeof(ccs));
		plain_records(KTLS_CT_HANDSHAKE, p.ch.base + 105, p.ch.len - 105, 100, &in);
		rc = server_takes(&p, &in, &alert);
		ck_assert_int_eq(rc, ERR(UNEXPECTED_MESSAGE));
		ck_assert_int_eq(alert, KTLS_ALERT_UNEXPECTED_MESSAGE);
		goto out;
	}
	pair_serve(&p);
	ck_assert_int_eq(p.rc, 0);
	struct ktls_rec_dir d;
	client_hs_writer(&p, &d);
	client_finished(&p, &fin);
	size_t third = fin.len / 3;
	seal_records(&d, KTLS_CT_HANDSHAKE, fin.base, third, third, &in);
	if (_i == 1) {
		static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
		ktls_buf_put(&in, ccs, sizeof(ccs));
	} else if (_i == 2) {
		static const uint8_t warn[] = {1, KTLS_ALERT_USER_CANCELED};
		seal_records(&d, KTLS_CT_ALERT, warn, 2, 2, &in);
	}
	seal_records(&d, KTLS_CT_HANDSHAKE, fin.base + third, third, third, &in);
	seal_records(&d, KTLS_CT_HANDSHAKE, fin.base + 2 * third, fin.len - 2 * third, fin.len,
		     &in);
	ktls_rec_clear(&d);
	rc = server_takes(&p, &in, &alert);
	if (_i == 0) {
		ck_assert_msg(rc == 1, "%d (%s)", rc, ktls_hs_error_detail(p.s));
	} else {
		ck_assert_int_eq(rc, ERR(UNEXPECTED_MESSAGE));
		ck_assert_int_eq(alert, KTLS_ALERT_UNEXPECTED_MESSAGE);
	}
out:
	ktls_buf_free(&in);
	ktls_buf_free(&fin);
	pair_free(&p);
}
END_TEST

/* The server's flight re-sealed in records of frag bytes (the ServerHello
 * and ChangeCipherSpec kept as they were unless drop_ccs), with mutate
 * applied to the handshake plaintext first. */
static void reseal_server_flight(struct pair *p, size_t frag, bool drop_ccs,
				 void (*mutate)(struct ktls_buf *msgs), struct ktls_buf *out)
{
	struct ktls_buf plain, msgs;
	ktls_buf_init(&plain);
	ktls_buf_init(&msgs);
	open_flight(p->flight.base, p->flight.len, p->s->suite, p->s->s_hs, &plain, &msgs);
	if (mutate)
		mutate(&msgs);
	long sh = ktls_rec_frame(plain.base, plain.len, KTLS_REC_MAX_CIPHER);
	ktls_buf_put(out, plain.base, drop_ccs ? (size_t)sh : plain.len);
	struct ktls_rec_dir d = {0};
	ck_assert_int_eq(ktls_rec_init(&d, p->s->suite, p->s->s_hs, 1), 0);
	seal_records(&d, KTLS_CT_HANDSHAKE, msgs.base, msgs.len, frag, out);
	ktls_rec_clear(&d);
	ktls_buf_free(&plain);
	ktls_buf_free(&msgs);
}

START_TEST(server_flight_in_fragments)
{
	/* The whole encrypted flight in 7-byte records: the client completes,
	 * and the server takes the client's answer. */
	struct pair p;
	pair_start(&p, NULL);
	pair_serve(&p);
	struct ktls_buf in, back;
	ktls_buf_init(&in);
	ktls_buf_init(&back);
	reseal_server_flight(&p, 7, false, NULL, &in);
	size_t records = 0;
	for (size_t off = 0; off < in.len; records++)
		off += (size_t)ktls_rec_frame(in.base + off, in.len - off, KTLS_REC_MAX_CIPHER);
	ck_assert_uint_gt(records, 50);
	int rc = feed(p.c, in.base, in.len);
	ck_assert_msg(rc == 1, "%d (%s)", rc, ktls_hs_error_detail(p.c));
	take_output(p.c, &back);
	ck_assert_int_eq(feed(p.s, back.base, back.len), 1);

	/* A ChangeCipherSpec between two fragments of one message. */
	struct pair q;
	pair_start(&q, NULL);
	pair_serve(&q);
	struct ktls_buf plain, msgs, bad;
	ktls_buf_init(&plain);
	ktls_buf_init(&msgs);
	ktls_buf_init(&bad);
	open_flight(q.flight.base, q.flight.len, q.s->suite, q.s->s_hs, &plain, &msgs);
	long sh = ktls_rec_frame(plain.base, plain.len, KTLS_REC_MAX_CIPHER);
	ktls_buf_put(&bad, plain.base, (size_t)sh);
	struct ktls_rec_dir d = {0};
	ck_assert_int_eq(ktls_rec_init(&d, q.s->suite, q.s->s_hs, 1), 0);
	seal_records(&d, KTLS_CT_HANDSHAKE, msgs.base, 3, 3, &bad); /* EE's header, in part */
	static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
	ktls_buf_put(&bad, ccs, sizeof(ccs));
	seal_records(&d, KTLS_CT_HANDSHAKE, msgs.base + 3, msgs.len - 3, 1000, &bad);
	ck_assert_int_eq(feed(q.c, bad.base, bad.len), ERR(UNEXPECTED_MESSAGE));
	ck_assert_int_eq(last_alert(q.c), KTLS_ALERT_UNEXPECTED_MESSAGE);
	ktls_rec_clear(&d);
	ktls_buf_free(&plain);
	ktls_buf_free(&msgs);
	ktls_buf_free(&bad);
	ktls_buf_free(&in);
	ktls_buf_free(&back);
	pair_free(&p);
	pair_free(&q);
}
END_TEST

START_TEST(legacy_versions)
{
	static const struct {
		uint16_t v;
		bool ok;
	} cases[] = {{0x0300, false}, {0x0200, false}, {0x0100, false},
		     {0x0103, false}, {0x0000, false}, {0x0002, false},
		     {0x0301, true},  {0x0302, true},  {0x0303, true}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair p;
		pair_start(&p, NULL);
		/* Record header (5), message header (4), then legacy_version. */
		p.ch.base[9] = (uint8_t)(cases[i].v >> 8);
		p.ch.base[10] = (uint8_t)cases[i].v;
		pair_serve(&p);
		if (cases[i].ok) {
			ck_assert_msg(p.rc == 0, "%#06x: %d (%s)", cases[i].v, p.rc,
				      ktls_hs_error_detail(p.s));
			ck_assert_uint_eq(p.flight.base[5], KTLS_HS_SERVER_HELLO);
		} else {
			ck_assert_msg(p.rc == ERR(PROTOCOL_VERSION), "%#06x: %d", cases[i].v, p.rc);
			ck_assert_int_eq(flight_alert(&p), KTLS_ALERT_PROTOCOL_VERSION);
		}
		pair_free(&p);
	}
}
END_TEST

/* ---- ClientHellos built by hand ---- */

struct ch {
	struct ktls_buf exts; /* the extensions, in order */
	struct ktls_kex_key *key;
	uint8_t pub[KTLS_KEX_MAX_PUB];
	size_t pub_len;
	size_t n_suites; /* cipher_suites entries (TLS 1.3 ones last) */
};

static void ch_init(struct ch *c)
{
	memset(c, 0, sizeof(*c));
	ktls_buf_init(&c->exts);
	c->n_suites = 1;
	ck_assert_int_eq(ktls_kex_keygen(KTLS_GROUP_X25519, &c->key), 0);
	struct ktls_bytes share = ktls_kex_key_share(c->key);
	memcpy(c->pub, share.p, share.len);
	c->pub_len = share.len;
}

static void ext(struct ch *c, uint16_t type, const void *data, size_t len)
{
	ktls_buf_u16(&c->exts, type);
	ktls_buf_u16(&c->exts, (uint16_t)len);
	ktls_buf_put(&c->exts, data, len);
}

static void ext_u16_list(struct ch *c, uint16_t type, const uint16_t *v, size_t n, size_t lenbytes)
{
	ktls_buf_u16(&c->exts, type);
	size_t m = ktls_buf_open(&c->exts, 2), l = ktls_buf_open(&c->exts, lenbytes);
	for (size_t i = 0; i < n; i++)
		ktls_buf_u16(&c->exts, v[i]);
	ktls_buf_close(&c->exts, l, lenbytes);
	ktls_buf_close(&c->exts, m, 2);
}

static void ext_versions(struct ch *c)
{
	static const uint16_t v = KTLS_TLS13;
	ktls_buf_u16(&c->exts, KTLS_EXT_SUPPORTED_VERSIONS);
	ktls_buf_u16(&c->exts, 3);
	ktls_buf_u8(&c->exts, 2);
	ktls_buf_u16(&c->exts, v);
}

static void ext_share(struct ch *c, uint16_t group, const uint8_t *pub, size_t len)
{
	ktls_buf_u16(&c->exts, KTLS_EXT_KEY_SHARE);
	size_t m = ktls_buf_open(&c->exts, 2), l = ktls_buf_open(&c->exts, 2);
	ktls_buf_u16(&c->exts, group);
	ktls_buf_u16(&c->exts, (uint16_t)len);
	ktls_buf_put(&c->exts, pub, len);
	ktls_buf_close(&c->exts, l, 2);
	ktls_buf_close(&c->exts, m, 2);
}

/* The usual four, for tests that vary something else. */
static void ext_basics(struct ch *c)
{
	static const uint16_t groups[] = {KTLS_GROUP_X25519},
			      sigs[] = {KTLS_SIG_ECDSA_SECP256R1_SHA256};
	ext_versions(c);
	ext_u16_list(c, KTLS_EXT_SUPPORTED_GROUPS, groups, 1, 2);
	ext_u16_list(c, KTLS_EXT_SIGNATURE_ALGORITHMS, sigs, 1, 2);
	ext_share(c, KTLS_GROUP_X25519, c->pub, c->pub_len);
}

/* The ClientHello as plaintext records (16 KiB each). */
static void ch_records(struct ch *c, struct ktls_buf *out)
{
	struct ktls_buf m;
	ktls_buf_init(&m);
	size_t mark = ktls_msg_begin(&m, KTLS_HS_CLIENT_HELLO);
	uint8_t random[32], sid[32];
	RAND_bytes(random, 32);
	RAND_bytes(sid, 32);
	ktls_buf_u16(&m, KTLS_LEGACY_VERSION);
	ktls_buf_put(&m, random, 32);
	ktls_buf_u8(&m, 32);
	ktls_buf_put(&m, sid, 32);
	size_t l = ktls_buf_open(&m, 2);
	for (size_t i = 1; i < c->n_suites; i++)
		ktls_buf_u16(&m, (uint16_t)(0xc000 + i % 0x3f00)); /* TLS 1.2 and unknown */
	ktls_buf_u16(&m, KTLS_TLS_AES_128_GCM_SHA256);
	ktls_buf_close(&m, l, 2);
	ktls_buf_u8(&m, 1);
	ktls_buf_u8(&m, 0);
	l = ktls_buf_open(&m, 2);
	ktls_buf_put(&m, c->exts.base, c->exts.len);
	ktls_buf_close(&m, l, 2);
	ktls_msg_end(&m, mark);
	ck_assert(!m.bad);
	plain_records(KTLS_CT_HANDSHAKE, m.base, m.len, KTLS_REC_MAX_PLAIN, out);
	ktls_buf_free(&m);
}

static void ch_free(struct ch *c)
{
	ktls_buf_free(&c->exts);
	ktls_kex_key_free(c->key);
}

/* What a server (fresh, default configuration unless cfg) answers. */
static int serve_ch(struct ch *c, struct ktls_config *cfg, int *alert, bool *server_hello)
{
	struct ktls_config *sc = cfg ? cfg : server_cfg();
	struct ktls_hs *s = ktls_hs_new(sc, NULL);
	struct ktls_buf in, out;
	ktls_buf_init(&in);
	ktls_buf_init(&out);
	ch_records(c, &in);
	int rc = feed(s, in.base, in.len);
	*alert = last_alert(s);
	take_output(s, &out);
	*server_hello = out.len > 5 && out.base[0] == KTLS_CT_HANDSHAKE &&
			out.base[5] == KTLS_HS_SERVER_HELLO;
	if (rc < 0)
		fprintf(stderr, "  server: %s\n", ktls_hs_error_detail(s));
	ktls_buf_free(&in);
	ktls_buf_free(&out);
	ktls_hs_free(s);
	if (!cfg)
		ktls_config_free(sc);
	return rc;
}

/* Pads with unknown extensions of random payload until the extensions
 * block is `total` bytes (exactly: the last one takes what is left). */
static void pad_unknown(struct ch *c, size_t total, size_t each, uint16_t first_type)
{
	uint8_t junk[4096];
	uint16_t type = first_type;
	while (c->exts.len + 4 < total) {
		size_t n = total - c->exts.len - 4;
		if (n > each && n - each >= 4)
			n = each;
		RAND_bytes(junk, (int)n);
		ext(c, type++, junk, n);
	}
	ck_assert_uint_eq(c->exts.len, total);
}

START_TEST(big_client_hellos)
{
	int alert, rc;
	bool sh;
	/* 1,500 unknown extensions with random payloads, the needed ones among
	 * them in an odd order. */
	struct ch c;
	ch_init(&c);
	uint8_t junk[32];
	for (int i = 0; i < 1500; i++) {
		if (i == 700)
			ext_share(&c, KTLS_GROUP_X25519, c.pub, c.pub_len);
		if (i == 1499)
			ext_versions(&c);
		RAND_bytes(junk, sizeof(junk));
		ext(&c, (uint16_t)(0x5000 + i), junk, (size_t)(i % 33));
	}
	static const uint16_t g[] = {KTLS_GROUP_X25519}, s[] = {KTLS_SIG_ECDSA_SECP256R1_SHA256};
	ext_u16_list(&c, KTLS_EXT_SIGNATURE_ALGORITHMS, s, 1, 2);
	ext_u16_list(&c, KTLS_EXT_SUPPORTED_GROUPS, g, 1, 2);
	rc = serve_ch(&c, NULL, &alert, &sh);
	ck_assert_int_eq(rc, 0);
	ck_assert(sh);
	ch_free(&c);

	/* signature_algorithms and supported_groups as long as the block
	 * allows, unknown and repeated values first, the one we know last;
	 * the extensions block at its maximum, 65,535 bytes. */
	for (int which = 0; which < 2; which++) {
		ch_init(&c);
		ext_versions(&c);
		ext_share(&c, KTLS_GROUP_X25519, c.pub, c.pub_len);
		ext_u16_list(&c, which ? KTLS_EXT_SIGNATURE_ALGORITHMS : KTLS_EXT_SUPPORTED_GROUPS,
			     which ? s : g, 1, 2);
		size_t room = (65535 - c.exts.len - 6) / 2;
		uint16_t *v = malloc(room * 2);
		for (size_t i = 0; i + 1 < room; i++)
			v[i] = (uint16_t)(i % 2 ? 0xfe00 + i % 97 : 0x0a0a); /* GREASE, repeats */
		v[room - 1] = which ? KTLS_GROUP_X25519 : KTLS_SIG_ECDSA_SECP256R1_SHA256;
		ext_u16_list(&c, which ? KTLS_EXT_SUPPORTED_GROUPS : KTLS_EXT_SIGNATURE_ALGORITHMS,
			     v, room, 2);
		free(v);
		if (c.exts.len < 65535)
			pad_unknown(&c, 65535, 65535, 0x7000);
		ck_assert_uint_eq(c.exts.len, 65535);
		rc = serve_ch(&c, NULL, &alert, &sh);
		ck_assert_msg(rc == 0 && sh, "which %d: %d", which, rc);
		ch_free(&c);
	}

	/* The largest legal ClientHello: 32,767 cipher suites and a full
	 * extensions block (131,396 bytes of body, nine records), under the
	 * default limit; and refused with decode_error under a lower one. */
	ch_init(&c);
	c.n_suites = 32767;
	ext_basics(&c);
	pad_unknown(&c, 65535, 4000, 0x6000);
	rc = serve_ch(&c, NULL, &alert, &sh);
	ck_assert_int_eq(rc, 0);
	ck_assert(sh);
	struct ktls_config *small = server_cfg();
	ck_assert_int_eq(ktls_config_set_max_handshake_message(small, 65536), 0);
	rc = serve_ch(&c, small, &alert, &sh);
	ck_assert_int_eq(rc, ERR(DECODE_ERROR));
	ck_assert_int_eq(alert, KTLS_ALERT_DECODE_ERROR);
	ktls_config_free(small);
	ch_free(&c);

	/* A duplicated extension: illegal_parameter, also among many. */
	ch_init(&c);
	ext_basics(&c);
	pad_unknown(&c, 20000, 30, 0x6000);
	ext(&c, 0x6000 + 7, "", 0);
	rc = serve_ch(&c, NULL, &alert, &sh);
	ck_assert_int_eq(rc, ERR(ILLEGAL_PARAMETER));
	ck_assert_int_eq(alert, KTLS_ALERT_ILLEGAL_PARAMETER);
	ch_free(&c);

	/* pre_shared_key must be last: anything after it is illegal. */
	/* One identity (a ticket nobody issued) and its 32-byte binder. */
	uint8_t psk[2 + 2 + 4 + 4 + 2 + 1 + 32] = {0, 10, 0, 4, 't', 'k', 't', '!',
						   0, 0,  0, 9, 0,   33,  32};
	for (int last = 0; last < 2; last++) {
		ch_init(&c);
		ext_basics(&c);
		ext(&c, KTLS_EXT_PSK_KEY_EXCHANGE_MODES, "\1\1", 2);
		if (last) {
			ext(&c, KTLS_EXT_PRE_SHARED_KEY, psk, sizeof(psk));
		} else {
			ext(&c, KTLS_EXT_PRE_SHARED_KEY, psk, sizeof(psk));
			ext(&c, 0x7777, "", 0);
		}
		rc = serve_ch(&c, NULL, &alert, &sh);
		ck_assert_int_eq(rc, last ? 0 : ERR(ILLEGAL_PARAMETER));
		ch_free(&c);
	}

	/* A PSK offered without its modes (4.2.9), supported_groups without
	 * key_share or the reverse (9.2): missing_extension. */
	static const uint16_t x25519 = KTLS_GROUP_X25519, ecdsa = KTLS_SIG_ECDSA_SECP256R1_SHA256;
	for (int k = 0; k < 3; k++) {
		ch_init(&c);
		ext_versions(&c);
		ext_u16_list(&c, KTLS_EXT_SIGNATURE_ALGORITHMS, &ecdsa, 1, 2);
		if (k != 2)
			ext_u16_list(&c, KTLS_EXT_SUPPORTED_GROUPS, &x25519, 1, 2);
		if (k != 1)
			ext_share(&c, KTLS_GROUP_X25519, c.pub, c.pub_len);
		if (k == 0)
			ext(&c, KTLS_EXT_PRE_SHARED_KEY, psk, sizeof(psk));
		rc = serve_ch(&c, NULL, &alert, &sh);
		ck_assert_msg(rc == ERR(MISSING_EXTENSION), "case %d: %d", k, rc);
		ck_assert_int_eq(alert, KTLS_ALERT_MISSING_EXTENSION);
		ch_free(&c);
	}
}
END_TEST

START_TEST(second_client_hello_changes)
{
	/* After a HelloRetryRequest the second ClientHello must repeat the
	 * first (4.1.2): one that adds an ALPN list is illegal_parameter. */
	struct pair p;
	pair_start(&p, NULL);
	static const uint16_t p256 = KTLS_GROUP_SECP256R1;
	ck_assert_int_eq(ktls_config_set_groups(p.sc, &p256, 1), 0); /* forces an HRR */
	pair_serve(&p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert(p.s->did_hrr);
	static const uint8_t alpn[] = {0, 16, 0, 5, 0, 3, 2, 'h', '2'};
	p.c->test_extra_ext = (struct ktls_bytes){alpn, sizeof(alpn)};
	struct ktls_buf ch2;
	ktls_buf_init(&ch2);
	ck_assert_int_eq(feed(p.c, p.flight.base, p.flight.len), 0);
	take_output(p.c, &ch2);
	ck_assert_int_eq(feed(p.s, ch2.base, ch2.len), ERR(ILLEGAL_PARAMETER));
	ck_assert_ptr_nonnull(strstr(ktls_hs_error_detail(p.s), "changed"));
	ktls_buf_free(&ch2);
	pair_free(&p);
}
END_TEST

START_TEST(key_shares)
{
	static const uint16_t g1[] = {KTLS_GROUP_X25519},
			      g2[] = {KTLS_GROUP_X25519, KTLS_GROUP_SECP256R1},
			      s[] = {KTLS_SIG_ECDSA_SECP256R1_SHA256};
	uint8_t bad_point[65];
	memset(bad_point, 0x11, sizeof(bad_point));
	bad_point[0] = 4; /* uncompressed, but not on the curve */
	struct {
		const uint16_t *groups;
		size_t n_groups;
		uint16_t group;
		size_t len; /* 0: empty */
		const uint8_t *pub;
		int want;
	} cases[] = {
		{g1, 1, KTLS_GROUP_X25519, 31, NULL, ERR(ILLEGAL_PARAMETER)}, /* short */
		{g1, 1, KTLS_GROUP_X25519, 33, NULL, ERR(ILLEGAL_PARAMETER)}, /* long */
		{g2, 2, KTLS_GROUP_SECP256R1, 65, bad_point, ERR(ILLEGAL_PARAMETER)},
		{g1, 1, KTLS_GROUP_X25519, 0, NULL, ERR(DECODE_ERROR)},
		/* A P-256 share, which we could use, for a group not listed. */
		{g1, 1, KTLS_GROUP_SECP256R1, 65, bad_point, ERR(ILLEGAL_PARAMETER)},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ch c;
		ch_init(&c);
		ext_versions(&c);
		ext_u16_list(&c, KTLS_EXT_SUPPORTED_GROUPS, cases[i].groups, cases[i].n_groups, 2);
		ext_u16_list(&c, KTLS_EXT_SIGNATURE_ALGORITHMS, s, 1, 2);
		uint8_t pub[KTLS_KEX_MAX_PUB + 1] = {0};
		memcpy(pub, cases[i].pub ? cases[i].pub : c.pub,
		       cases[i].pub ? cases[i].len : c.pub_len);
		ext_share(&c, cases[i].group, pub, cases[i].len);
		int alert;
		bool sh;
		int rc = serve_ch(&c, NULL, &alert, &sh);
		ck_assert_msg(rc == cases[i].want, "case %zu: %d", i, rc);
		ck_assert_int_eq(alert, -rc - KTLS_E_ALERT_SENT);
		ch_free(&c);
	}
}
END_TEST

START_TEST(cookie_only_hrr)
{
	/* A HelloRetryRequest with a cookie and no key_share (a stateless
	 * server content with our share): the second ClientHello carries the
	 * cookie and the same share. */
	struct pair p;
	pair_start(&p, NULL);
	struct ktls_client_hello ch1, ch2;
	const char *why;
	ck_assert_int_eq(ktls_client_hello_decode(&ch1, p.ch.base + 9, p.ch.len - 9, &why), 0);
	static const uint8_t cookie[] = "a cookie from a stateless server";
	struct ktls_server_hello hrr = {.hrr = true,
					.session_id = ch1.session_id,
					.suite = KTLS_TLS_AES_128_GCM_SHA256,
					.cookie = {cookie, sizeof(cookie)}};
	struct ktls_buf m, in, out;
	ktls_buf_init(&m);
	ktls_buf_init(&in);
	ktls_buf_init(&out);
	ktls_server_hello_encode(&m, &hrr);
	plain_records(KTLS_CT_HANDSHAKE, m.base, m.len, 1000, &in);
	ck_assert_int_eq(feed(p.c, in.base, in.len), 0);
	take_output(p.c, &out);
	/* A ChangeCipherSpec, then the second ClientHello. */
	ck_assert_uint_eq(out.base[0], KTLS_CT_CHANGE_CIPHER_SPEC);
	ck_assert_uint_eq(out.base[6], KTLS_CT_HANDSHAKE);
	ck_assert_int_eq(ktls_client_hello_decode(&ch2, out.base + 15, out.len - 15, &why), 0);
	ck_assert_uint_eq(ch2.cookie.len, sizeof(cookie));
	ck_assert_mem_eq(ch2.cookie.p, cookie, sizeof(cookie));
	ck_assert_uint_eq(ch2.n_shares, 1);
	ck_assert_uint_eq(ch2.shares[0].group, ch1.shares[0].group);
	ck_assert_uint_eq(ch2.shares[0].pub.len, ch1.shares[0].pub.len);
	ck_assert_mem_eq(ch2.shares[0].pub.p, ch1.shares[0].pub.p, ch1.shares[0].pub.len);

	/* An HRR that would change nothing: illegal_parameter. */
	struct pair q;
	pair_start(&q, NULL);
	hrr.cookie.len = 0;
	m.len = in.len = 0;
	ktls_server_hello_encode(&m, &hrr);
	plain_records(KTLS_CT_HANDSHAKE, m.base, m.len, 1000, &in);
	ck_assert_int_eq(feed(q.c, in.base, in.len), ERR(ILLEGAL_PARAMETER));
	ktls_buf_free(&m);
	ktls_buf_free(&in);
	ktls_buf_free(&out);
	pair_free(&p);
	pair_free(&q);
}
END_TEST

static const uint8_t early_data_ext[] = {0, KTLS_EXT_EARLY_DATA, 0, 0};
static const struct ktls_bytes early = {early_data_ext, sizeof(early_data_ext)};

/* Records as a client sends 0-RTT data: random bytes, outer type 23. */
static void early_records(struct ktls_buf *out, size_t n, size_t each)
{
	uint8_t junk[2048];
	for (size_t i = 0; i < n; i++) {
		RAND_bytes(junk, (int)each);
		plain_records(KTLS_CT_APPLICATION_DATA, junk, each, each, out);
	}
}

/* The client's second flight, without its ChangeCipherSpec (already sent). */
static void without_ccs(const struct ktls_buf *in, struct ktls_buf *out)
{
	for (size_t off = 0; off < in->len;) {
		long r = ktls_rec_frame(in->base + off, in->len - off, KTLS_REC_MAX_CIPHER);
		ck_assert_int_gt(r, 0);
		if (in->base[off] != KTLS_CT_CHANGE_CIPHER_SPEC)
			ktls_buf_put(out, in->base + off, (size_t)r);
		off += (size_t)r;
	}
}

START_TEST(early_data_skipped)
{
	/* _i: 0 under the budget (accepted), 1 over it (unexpected_message). A
	 * ChangeCipherSpec comes right after the ClientHello, as in
	 * middlebox compatibility mode. */
	struct pair p;
	pair_start(&p, &early);
	static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
	ktls_buf_put(&p.ch, ccs, sizeof(ccs));
	early_records(&p.ch, _i ? 17 : 15, 1000);
	pair_serve(&p);
	if (_i) {
		ck_assert_int_eq(p.rc, ERR(UNEXPECTED_MESSAGE));
		ck_assert_int_eq(flight_alert(&p), KTLS_ALERT_UNEXPECTED_MESSAGE);
		pair_free(&p);
		return;
	}
	ck_assert_msg(p.rc == 0, "%d (%s)", p.rc, ktls_hs_error_detail(p.s));
	struct ktls_buf back, b2;
	ktls_buf_init(&back);
	ktls_buf_init(&b2);
	ck_assert_int_eq(feed(p.c, p.flight.base, p.flight.len), 1);
	take_output(p.c, &back);
	without_ccs(&back, &b2);
	ck_assert_int_eq(feed(p.s, b2.base, b2.len), 1);
	ktls_buf_free(&back);
	ktls_buf_free(&b2);
	pair_free(&p);
}
END_TEST

START_TEST(early_data_after_hrr)
{
	/* _i: 0 skipped before the second ClientHello (accepted); 1 the second
	 * ClientHello offers early data again (illegal_parameter); 2 early data
	 * after the second ClientHello (bad_record_mac). */
	struct pair p;
	pair_start(&p, &early);
	static const uint16_t p256 = KTLS_GROUP_SECP256R1;
	ck_assert_int_eq(ktls_config_set_groups(p.sc, &p256, 1), 0); /* forces an HRR */
	early_records(&p.ch, 3, 1000);
	pair_serve(&p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert(p.s->did_hrr);
	if (_i != 1)
		p.c->test_extra_ext.len = 0;
	struct ktls_buf ch2, back, b2;
	ktls_buf_init(&ch2);
	ktls_buf_init(&back);
	ktls_buf_init(&b2);
	ck_assert_int_eq(feed(p.c, p.flight.base, p.flight.len), 0);
	take_output(p.c, &ch2);
	p.flight.len = 0;
	int rc = feed(p.s, ch2.base, ch2.len);
	if (_i == 1) {
		ck_assert_int_eq(rc, ERR(ILLEGAL_PARAMETER));
		goto out;
	}
	ck_assert_int_eq(rc, 0);
	take_output(p.s, &p.flight);
	if (_i == 2) {
		early_records(&b2, 1, 100);
		ck_assert_int_eq(feed(p.s, b2.base, b2.len), -KTLS_E_BAD_RECORD_MAC);
		ck_assert_int_eq(last_alert(p.s), KTLS_ALERT_BAD_RECORD_MAC);
		goto out;
	}
	ck_assert_int_eq(feed(p.c, p.flight.base, p.flight.len), 1);
	take_output(p.c, &back);
	ck_assert_int_eq(feed(p.s, back.base, back.len), 1);
out:
	ktls_buf_free(&ch2);
	ktls_buf_free(&back);
	ktls_buf_free(&b2);
	pair_free(&p);
}
END_TEST

static size_t fin_delta;
static void stretch_finished(struct ktls_buf *msgs)
{
	/* The Finished is the flight's last message: add a byte to it. */
	size_t fin = msgs->len - 4 - 32;
	ck_assert_uint_eq(msgs->base[fin], KTLS_HS_FINISHED);
	msgs->base[fin + 3] = (uint8_t)(32 + fin_delta);
	ktls_buf_put(msgs, "\0\0\0\0", fin_delta);
}

START_TEST(finished_lengths)
{
	/* The client's Finished one byte long, one short, and one that says it
	 * is 192 KiB; the server's with a trailing byte. All decode_error. */
	for (int k = 0; k < 3; k++) {
		struct pair p;
		pair_start(&p, NULL);
		pair_serve(&p);
		struct ktls_buf fin, in;
		ktls_buf_init(&fin);
		ktls_buf_init(&in);
		client_finished(&p, &fin);
		if (k == 0) {
			fin.base[3]++;
			ktls_buf_u8(&fin, 0);
		} else if (k == 1) {
			fin.base[3]--;
			fin.len--;
		} else {
			fin.base[1] = 3; /* 0x030000 + ... */
			fin.len = 4;
		}
		struct ktls_rec_dir d;
		client_hs_writer(&p, &d);
		seal_records(&d, KTLS_CT_HANDSHAKE, fin.base, fin.len, fin.len, &in);
		ktls_rec_clear(&d);
		int alert, rc = server_takes(&p, &in, &alert);
		ck_assert_msg(rc == ERR(DECODE_ERROR), "case %d: %d (%s)", k, rc,
			      ktls_hs_error_detail(p.s));
		ck_assert_int_eq(alert, KTLS_ALERT_DECODE_ERROR);
		ktls_buf_free(&fin);
		ktls_buf_free(&in);
		pair_free(&p);
	}
	struct pair p;
	pair_start(&p, NULL);
	pair_serve(&p);
	struct ktls_buf in;
	ktls_buf_init(&in);
	fin_delta = 1;
	reseal_server_flight(&p, KTLS_REC_MAX_PLAIN, false, stretch_finished, &in);
	ck_assert_int_eq(feed(p.c, in.base, in.len), ERR(DECODE_ERROR));
	ck_assert_int_eq(last_alert(p.c), KTLS_ALERT_DECODE_ERROR);
	ktls_buf_free(&in);
	pair_free(&p);
}
END_TEST

START_TEST(change_cipher_spec)
{
	static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1}, ccs2[] = {20, 3, 3, 0, 1, 2},
			     ccs_long[] = {20, 3, 3, 0, 2, 1, 1};
	/* _i: 0 two after the ClientHello, 1 value 2, 2 two bytes, 3 before
	 * the ClientHello; 4 the client seeing two in the server's flight. */
	struct pair p;
	pair_start(&p, NULL);
	struct ktls_buf in;
	ktls_buf_init(&in);
	int rc;
	struct ktls_hs *victim = p.s;
	switch (_i) {
	case 0:
		ktls_buf_put(&p.ch, ccs, 6);
		ktls_buf_put(&p.ch, ccs, 6);
		break;
	case 1:
		ktls_buf_put(&p.ch, ccs2, 6);
		break;
	case 2:
		ktls_buf_put(&p.ch, ccs_long, 7);
		break;
	case 3:
		ktls_buf_put(&in, ccs, 6);
		ktls_buf_put(&in, p.ch.base, p.ch.len);
		p.ch.len = 0;
		ktls_buf_put(&p.ch, in.base, in.len);
		in.len = 0;
		break;
	}
	pair_serve(&p);
	if (_i == 4) {
		/* One ChangeCipherSpec already follows the ServerHello. */
		ck_assert_int_eq(p.rc, 0);
		long sh = ktls_rec_frame(p.flight.base, p.flight.len, KTLS_REC_MAX_CIPHER);
		ktls_buf_put(&in, p.flight.base, (size_t)sh);
		ktls_buf_put(&in, ccs, 6);
		ktls_buf_put(&in, p.flight.base + sh, p.flight.len - (size_t)sh);
		victim = p.c;
		rc = feed(p.c, in.base, in.len);
	} else {
		rc = p.rc;
	}
	ck_assert_msg(rc == ERR(UNEXPECTED_MESSAGE), "case %d: %d (%s)", _i, rc,
		      ktls_hs_error_detail(victim));
	ck_assert_int_eq(victim == p.s ? flight_alert(&p) : last_alert(victim),
			 KTLS_ALERT_UNEXPECTED_MESSAGE);
	ktls_buf_free(&in);
	pair_free(&p);
}
END_TEST

START_TEST(user_canceled_then_close)
{
	/* user_canceled is a warning: the handshake waits for what follows,
	 * and the close_notify after it ends it, reported as the cancel. */
	struct pair p;
	pair_start(&p, NULL);
	pair_serve(&p);
	struct ktls_rec_dir d;
	client_hs_writer(&p, &d);
	struct ktls_buf in;
	ktls_buf_init(&in);
	static const uint8_t cancel[] = {1, KTLS_ALERT_USER_CANCELED}, bye[] = {1, 0};
	seal_records(&d, KTLS_CT_ALERT, cancel, 2, 2, &in);
	ck_assert_int_eq(feed(p.s, in.base, in.len), 0);
	in.len = 0;
	seal_records(&d, KTLS_CT_ALERT, bye, 2, 2, &in);
	ck_assert_int_eq(feed(p.s, in.base, in.len),
			 -(KTLS_E_ALERT_RECEIVED + KTLS_ALERT_USER_CANCELED));
	ktls_rec_clear(&d);
	ktls_buf_free(&in);
	pair_free(&p);
}
END_TEST

START_TEST(user_canceled_flood)
{
	/* Five user_canceled warnings in a handshake wait for what follows;
	 * the sixth is unexpected_message. */
	struct pair p;
	pair_start(&p, NULL);
	pair_serve(&p);
	struct ktls_rec_dir d;
	client_hs_writer(&p, &d);
	struct ktls_buf in;
	ktls_buf_init(&in);
	static const uint8_t cancel[] = {1, KTLS_ALERT_USER_CANCELED};
	for (int i = 0; i < 5; i++) {
		in.len = 0;
		seal_records(&d, KTLS_CT_ALERT, cancel, 2, 2, &in);
		ck_assert_int_eq(feed(p.s, in.base, in.len), 0);
	}
	in.len = 0;
	seal_records(&d, KTLS_CT_ALERT, cancel, 2, 2, &in);
	ck_assert_int_eq(feed(p.s, in.base, in.len), KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE));
	ktls_rec_clear(&d);
	ktls_buf_free(&in);
	pair_free(&p);
}
END_TEST

START_TEST(server_name_rule)
{
	/* No name under the default verify mode: refused before anything is
	 * sent. With the name check off, or KTLS_VERIFY_NONE, it runs; an IP
	 * literal is checked against the certificate's IP addresses and sent
	 * as no SNI. */
	struct ktls_config *cc = client_cfg(), *sc = server_cfg();
	struct ktls_hs *c = ktls_hs_new(cc, NULL);
	size_t used;
	const uint8_t *out;
	size_t len;
	ck_assert_int_eq(ktls_hs_step(c, NULL, 0, &used), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ktls_hs_error_detail(c), "no server name"));
	ktls_hs_output(c, &out, &len);
	ck_assert_uint_eq(len, 0);
	ktls_hs_free(c);
	for (int k = 0; k < 4; k++) {
		struct ktls_config *cc2 = client_cfg();
		const char *name = k == 2 ? "127.0.0.1" : k == 3 ? "127.0.0.2" : NULL;
		if (k == 0)
			ck_assert_int_eq(ktls_config_set_check_host(cc2, 0), 0);
		if (k == 1)
			ck_assert_int_eq(ktls_config_set_verify(cc2, KTLS_VERIFY_NONE), 0);
		c = ktls_hs_new(cc2, name);
		struct ktls_hs *s = ktls_hs_new(sc, NULL);
		struct hs_result r = run_pair(c, s);
		if (k == 3) {
			ck_assert_int_eq(r.client, ERR(BAD_CERTIFICATE));
		} else {
			ck_assert_msg(r.client == 1 && r.server == 1, "case %d: %d (%s)", k,
				      r.client, ktls_hs_error_detail(c));
			ck_assert_ptr_null(ktls_hs_server_name(s)); /* no SNI sent */
		}
		ktls_hs_free(c);
		ktls_hs_free(s);
		ktls_config_free(cc2);
	}
	ck_assert_int_eq(ktls_config_set_check_host(sc, 0), -EINVAL);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conformance");
	TCase *tc = tcase_create("hostile peer");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, alert_sizes, 0, 4);
	tcase_add_loop_test(tc, client_flight_in_fragments, 0, 4);
	tcase_add_test(tc, server_flight_in_fragments);
	tcase_add_test(tc, legacy_versions);
	tcase_add_test(tc, big_client_hellos);
	tcase_add_test(tc, key_shares);
	tcase_add_test(tc, cookie_only_hrr);
	tcase_add_loop_test(tc, early_data_skipped, 0, 2);
	tcase_add_loop_test(tc, early_data_after_hrr, 0, 3);
	tcase_add_test(tc, finished_lengths);
	tcase_add_loop_test(tc, change_cipher_spec, 0, 5);
	tcase_add_test(tc, user_canceled_then_close);
	tcase_add_test(tc, user_canceled_flood);
	tcase_add_test(tc, second_client_hello_changes);
	tcase_add_test(tc, server_name_rule);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
