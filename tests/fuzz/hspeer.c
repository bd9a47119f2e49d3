/* SPDX-License-Identifier: Apache-2.0 */
/* The fuzz harness's handshake peer (see hspeer.h). */
#include "hspeer.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hsp_configs hsp;

/* A fixed byte stream instead of the system's random source, so that a
 * saved input replays the same handshake (keys, nonces, signatures): the
 * library's own code stays as it is, only libcrypto's source changes. */
static uint64_t rand_state;

static int fixed_bytes(unsigned char *buf, int num)
{
	for (int i = 0; i < num; i++) {
		/* splitmix64 */
		uint64_t z = (rand_state += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 1;
}

static int fixed_status(void)
{
	return 1;
}

static RAND_METHOD fixed_method = {
	.bytes = fixed_bytes,
	.pseudorand = fixed_bytes,
	.status = fixed_status,
};

void hsp_rand_reset(uint64_t seed)
{
	rand_state = seed;
}

const char *hsp_cert_file(const char *name, const char *ext)
{
	static char path[8][512];
	static int slot;
	const char *dir = getenv("KTLS_TEST_CERTS");
	if (!dir) {
		fprintf(stderr, "hspeer: KTLS_TEST_CERTS is not set\n");
		abort();
	}
	char *p = path[slot++ % 8];
	snprintf(p, sizeof(path[0]), "%s/%s.%s", dir, name, ext);
	return p;
}

static void add_cert(struct ktls_config *c, const char *name)
{
	if (ktls_config_add_cert_files(c, hsp_cert_file(name, "pem"), hsp_cert_file(name, "key"))) {
		fprintf(stderr, "hspeer: cannot load certificate %s\n", name);
		abort();
	}
}

void hsp_init(void)
{
	if (hsp.client)
		return;
	RAND_set_rand_method(&fixed_method);
	hsp.client = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_verify(hsp.client, KTLS_VERIFY_NONE);
	hsp.client_auth = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_verify(hsp.client_auth, KTLS_VERIFY_NONE);
	add_cert(hsp.client_auth, "client");
	hsp.server = ktls_config_new(KTLS_SERVER);
	/* One of each key kind: the scripts pick which one signs. */
	add_cert(hsp.server, "server-ecdsa256");
	add_cert(hsp.server, "server-rsa");
	add_cert(hsp.server, "server-ed25519");
	hsp.server_auth = ktls_config_new(KTLS_SERVER);
	add_cert(hsp.server_auth, "server-ecdsa256");
	if (ktls_config_set_ca_file(hsp.server_auth, hsp_cert_file("ca", "pem")) ||
	    ktls_config_set_verify(hsp.server_auth, KTLS_VERIFY_REQUIRE))
		abort();
}

size_t hsp_fragment(unsigned bits)
{
	static const size_t sizes[8] = {KTLS_REC_MAX_PLAIN, 1, 2, 3, 5, 17, 100, 1000};
	return sizes[bits % 8];
}

int hsp_record(struct ktls_hs *me, uint8_t type, const uint8_t *p, size_t n)
{
	if (!me->wr_on) {
		ktls_buf_u8(&me->out, type);
		ktls_buf_u16(&me->out, 0x0303);
		ktls_buf_u16(&me->out, (uint16_t)n);
		ktls_buf_put(&me->out, p, n);
		return 0;
	}
	size_t cap = ktls_rec_sealed_len(n, 0);
	uint8_t *dst = ktls_buf_reserve(&me->out, cap);
	if (!dst)
		return -1;
	long r = ktls_rec_seal(&me->wr, type, p, n, 0, dst, cap);
	if (r < 0)
		return (int)r;
	me->out.len += (size_t)r;
	return 0;
}

static int send_msg(struct ktls_hs *me, uint8_t type, const uint8_t *body, size_t len)
{
	struct ktls_buf m;
	ktls_buf_init(&m);
	size_t mark = ktls_msg_begin(&m, type);
	ktls_buf_put(&m, body, len);
	ktls_msg_end(&m, mark);
	int err = ktls_hs_send(me, &m);
	ktls_buf_free(&m);
	return err;
}

/* A message with its fix-up (see hspeer.h); as given where none applies. */
static int send_fixed(struct ktls_hs *me, const uint8_t *fin, uint8_t type, const uint8_t *body,
		      size_t len)
{
	if (type == KTLS_HS_CERTIFICATE && len == 0 && me->cert)
		return ktls_hs_send_certificate(me, me->cert);
	if (type == KTLS_HS_CERTIFICATE_VERIFY && me->cert) {
		uint16_t scheme = len >= 2 ? (uint16_t)(body[0] << 8 | body[1]) : me->sigalg;
		if (!ktls_sig_key_matches(scheme, me->cert->key))
			scheme = me->sigalg;
		if (!ktls_hs_send_cert_verify(me, scheme))
			return 0;
	}
	if (type == KTLS_HS_FINISHED && me->suite) {
		uint8_t mac[KTLS_MAX_HASH];
		struct ktls_buf m;
		ktls_buf_init(&m);
		int err = ktls_hs_finished_mac(me, fin, mac);
		if (!err) {
			ktls_finished_encode(&m, mac, me->suite->hash_len);
			err = ktls_hs_send(me, &m);
		}
		ktls_buf_free(&m);
		return err;
	}
	return send_msg(me, type, body, len);
}

static int flush(struct ktls_hs *me, size_t frag)
{
	if (me->wr_on)
		me->wr.max_plain = frag;
	return ktls_hs_flush(me);
}

int hsp_run_script(struct ktls_hs *me, const uint8_t *fin, const uint8_t *p, size_t n, size_t frag)
{
	struct ktls_rd r = ktls_rd_make(p, n);
	int err = 0;
	while (!err && ktls_rd_left(&r) >= 3) {
		uint8_t kind = ktls_rd_u8(&r);
		size_t len = ktls_rd_u16(&r);
		if (len > ktls_rd_left(&r))
			len = ktls_rd_left(&r);
		const uint8_t *d = ktls_rd_bytes(&r, len);
		switch (kind % 4) {
		case HSP_MSG:
		case HSP_MSG_RAW:
			if (!len)
				break;
			err = kind % 4 == HSP_MSG ? send_fixed(me, fin, d[0], d + 1, len - 1)
						  : send_msg(me, d[0], d + 1, len - 1);
			break;
		case HSP_RECORD:
			if ((err = flush(me, frag)) || !len)
				break;
			err = hsp_record(me, d[0], d + 1, len - 1);
			break;
		case HSP_WIRE:
			if (!(err = flush(me, frag)))
				ktls_buf_put(&me->out, d, len);
			break;
		}
	}
	return err ? err : flush(me, frag);
}

void hsp_item(struct ktls_buf *b, uint8_t kind, uint8_t type, const uint8_t *body, size_t len)
{
	ktls_buf_u8(b, kind);
	ktls_buf_u16(b, (uint16_t)(len + 1));
	ktls_buf_u8(b, type);
	ktls_buf_put(b, body, len);
}

void hsp_write_seed(const char *dir, const char *name, const struct ktls_buf *b)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(b->base, 1, b->len, f);
	fclose(f);
}
