/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the server's handling of the client's encrypted flight
 * (Certificate, CertificateVerify, Finished, and whatever else a script
 * sends) with a client certificate required. The harness plays the client
 * (hspeer.h): the library's own client engine says ClientHello and reads
 * the server's flight up to its Finished, then the script's messages go out
 * under the client handshake key, CertificateVerify signed with the client
 * key and Finished computed over the mutated transcript.
 *
 * Input: opt0 script.
 *   opt0 bits 2-4: fragment size (hsp_fragment); bit 5: a CCS first
 * With KTLS_FUZZ_SEEDS=DIR, writes seed scripts there and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hspeer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The client reads the server's flight as its engine would, but stops at
 * the server's Finished: its own flight comes from the script. */
static void read_server_flight(struct ktls_hs *c, struct ktls_hs *s)
{
	const uint8_t *in;
	size_t len, used;
	ktls_hs_output(s, &in, &len);
	struct ktls_buf msgs;
	ktls_buf_init(&msgs);
	struct ktls_rd r = ktls_rd_make(in, len);
	while (ktls_rd_left(&r)) {
		long n = ktls_rec_frame(r.p, ktls_rd_left(&r), KTLS_REC_MAX_CIPHER);
		if (n <= 0)
			abort();
		const uint8_t *rec = ktls_rd_bytes(&r, (size_t)n);
		if (rec[0] != KTLS_CT_APPLICATION_DATA) {
			if (ktls_hs_step(c, rec, (size_t)n, &used) < 0)
				abort();
			continue;
		}
		uint8_t *dst = ktls_buf_reserve(&msgs, (size_t)n), type;
		long pl = ktls_rec_open(&c->rd, rec, (size_t)n, dst, (size_t)n, &type);
		if (pl < 0 || type != KTLS_CT_HANDSHAKE)
			abort();
		msgs.len += (size_t)pl;
	}
	ktls_hs_output_sent(s, len);
	struct ktls_rd mr = ktls_rd_make(msgs.base, msgs.len);
	while (ktls_rd_left(&mr)) {
		const uint8_t *raw = mr.p;
		uint8_t type = ktls_rd_u8(&mr);
		size_t blen = ktls_rd_u24(&mr);
		const uint8_t *body = ktls_rd_bytes(&mr, blen);
		const struct ktls_hs_msg m = {type, body, blen, raw, 4 + blen};
		int err = type == KTLS_HS_FINISHED ? ktls_hs_check_finished(c, c->s_hs, &m)
						   : ktls_hs_client_message(c, &m);
		if (!err && type == KTLS_HS_FINISHED)
			err = ktls_hs_derive_application(c);
		if (!body || err)
			abort();
	}
	ktls_buf_free(&msgs);
}

static int run(const uint8_t *data, size_t size)
{
	if (size < 1)
		return -1;
	unsigned opt0 = data[0];
	hsp_rand_reset(2);
	struct ktls_hs *c = ktls_hs_new(hsp.client_auth, "server.test");
	struct ktls_hs *s = ktls_hs_new(hsp.server_auth, NULL);
	size_t used, olen;
	const uint8_t *out;
	if (ktls_hs_step(c, NULL, 0, &used))
		abort();
	ktls_hs_output(c, &out, &olen);
	if (ktls_hs_step(s, out, olen, &used))
		abort();
	ktls_hs_output_sent(c, olen);
	read_server_flight(c, s);
	ktls_hs_output(c, &out, &olen);
	ktls_hs_output_sent(c, olen);
	if (opt0 & 0x20)
		ktls_hs_send_ccs(c);
	if (ktls_hs_set_write(c, c->c_hs))
		abort();
	c->cert = &hsp.client_auth->certs[0];
	for (size_t i = 0; i < hsp.client_auth->n_sigalgs && !c->sigalg; i++)
		if (ktls_sig_key_matches(hsp.client_auth->sigalgs[i], c->cert->key))
			c->sigalg = hsp.client_auth->sigalgs[i];
	hsp_run_script(c, c->c_hs, data + 1, size - 1, hsp_fragment(opt0 >> 2));
	ktls_hs_output(c, &out, &olen);
	int rc = ktls_hs_step(s, out, olen, &used);
	if (used > olen || (rc < 0 && rc != ktls_hs_step(s, NULL, 0, &used)))
		abort(); /* consumed more than given, or a failure not sticky */
	/* A certificate is required: done without one would be a hole. */
	if (rc == 1 && (s->state != HS_DONE || !ktls_hs_peer_cert(s)))
		abort();
	ktls_hs_free(s);
	ktls_hs_free(c);
	return rc;
}

static void seeds(const char *dir)
{
	mkdir(dir, 0755);
	struct ktls_buf b;
	ktls_buf_init(&b);
	static const uint8_t zeros[32];
	static const struct {
		const char *name;
		uint8_t opt0;
		int variant;
	} v[] = {
		{"full", 0, 0},	     {"frag1-ccs", 0x24, 0}, {"frag100", 0x18, 0},
		{"no-cert", 0, 1},   {"no-cv", 0, 2},	     {"bad-finished", 0, 3},
		{"alert-mid", 0, 4}, {"ku-after", 0x0c, 5},  {"cv-rsa-scheme", 0, 6},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b.len = 0;
		ktls_buf_u8(&b, v[i].opt0);
		if (v[i].variant == 1) {
			static const uint8_t empty[] = {0, 0, 0, 0};
			hsp_item(&b, HSP_MSG_RAW, KTLS_HS_CERTIFICATE, empty, sizeof(empty));
		} else {
			hsp_item(&b, HSP_MSG, KTLS_HS_CERTIFICATE, NULL, 0);
		}
		if (v[i].variant == 4) {
			static const uint8_t a[] = {1, 90};
			hsp_item(&b, HSP_RECORD, KTLS_CT_ALERT, a, 2);
		}
		if (v[i].variant == 6) {
			static const uint8_t rsa[] = {0x08, 0x04};
			hsp_item(&b, HSP_MSG, KTLS_HS_CERTIFICATE_VERIFY, rsa, 2);
		} else if (v[i].variant != 2) {
			hsp_item(&b, HSP_MSG, KTLS_HS_CERTIFICATE_VERIFY, NULL, 0);
		}
		hsp_item(&b, v[i].variant == 3 ? HSP_MSG_RAW : HSP_MSG, KTLS_HS_FINISHED, zeros,
			 sizeof(zeros));
		if (v[i].variant == 5) {
			static const uint8_t ku[] = {KTLS_HS_KEY_UPDATE, 0, 0, 1, 1};
			hsp_item(&b, HSP_RECORD, KTLS_CT_HANDSHAKE, ku, sizeof(ku));
		}
		hsp_write_seed(dir, v[i].name, &b);
		fprintf(stderr, "seed %s: %d\n", v[i].name, run(b.base, b.len));
	}
	ktls_buf_free(&b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	hsp_init();
	const char *seed_dir = getenv("KTLS_FUZZ_SEEDS");
	if (seed_dir) {
		seeds(seed_dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}
