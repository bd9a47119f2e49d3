/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the client's handling of the server's flight after
 * ServerHello (EncryptedExtensions, CertificateRequest, Certificate,
 * CertificateVerify, Finished, and whatever else a script sends), through
 * the real record layer. The harness plays the server (hspeer.h): it
 * answers the library client's ClientHello with a correct ServerHello, then
 * seals the script's messages under the server handshake key, signing and
 * computing Finished over the mutated transcript.
 *
 * Input: opt0 opt1 script.
 *   opt0 bits 0-1: the suite (index into the client's offer)
 *        bits 2-4: fragment size (hsp_fragment); bit 5: a CCS first
 *        bit 6: the client offers ALPN and record_size_limit
 *        bit 7: the client verifies the chain against the test CA
 *   opt1: which server certificate signs (ECDSA P-256, RSA, Ed25519)
 * With KTLS_FUZZ_SEEDS=DIR, writes seed scripts there and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hspeer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_config *client_ext, *client_verify;

/* The server's half up to its handshake keys, as a server would do it. */
static struct ktls_hs *answer_hello(struct ktls_hs *c, unsigned opt0, unsigned opt1)
{
	const uint8_t *out;
	size_t olen;
	ktls_hs_output(c, &out, &olen);
	struct ktls_rd r = ktls_rd_make(out, olen);
	(void)ktls_rd_bytes(&r, KTLS_REC_HDR + 1);
	size_t len = ktls_rd_u24(&r);
	const uint8_t *body = ktls_rd_bytes(&r, len);
	struct ktls_client_hello ch;
	const char *why;
	if (!body || ktls_client_hello_decode(&ch, body, len, &why) || !ch.n_shares || !ch.n_suites)
		abort(); /* our own ClientHello */
	struct ktls_hs *s = ktls_hs_new(hsp.server, NULL);
	s->suite = ktls_suite_get(ch.suites[(opt0 & 3) % ch.n_suites]);
	s->group = ch.shares[0].group;
	uint8_t pub[KTLS_KEX_MAX_PUB], ecdhe[KTLS_KEX_MAX_SECRET];
	size_t pub_len, n;
	if (!s->suite || ktls_transcript_set_suite(&s->th, s->suite) ||
	    ktls_transcript_add(&s->th, out + KTLS_REC_HDR, 4 + len) ||
	    ktls_kex_respond(s->group, ch.shares[0].pub.p, ch.shares[0].pub.len, pub, &pub_len,
			     ecdhe, &n))
		abort();
	struct ktls_server_hello sh = {.session_id = ch.session_id,
				       .suite = s->suite->id,
				       .group = s->group,
				       .pub = {pub, pub_len}};
	memset(sh.random, 0x5a, sizeof(sh.random));
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_server_hello_encode(&m, &sh);
	if (ktls_hs_send(s, &m) || ktls_hs_flush(s))
		abort();
	ktls_buf_free(&m);
	if (opt0 & 0x20)
		ktls_hs_send_ccs(s);
	if (ktls_hs_derive_handshake(s, ecdhe, n) || ktls_hs_set_write(s, s->s_hs))
		abort();
	s->cert = &hsp.server->certs[opt1 % hsp.server->n_certs];
	for (size_t i = 0; i < hsp.server->n_sigalgs && !s->sigalg; i++)
		if (ktls_sig_key_matches(hsp.server->sigalgs[i], s->cert->key))
			s->sigalg = hsp.server->sigalgs[i];
	return s;
}

static int run(const uint8_t *data, size_t size)
{
	if (size < 2)
		return -1;
	unsigned opt0 = data[0], opt1 = data[1];
	hsp_rand_reset(1);
	struct ktls_hs *c = ktls_hs_new(opt0 & 0x80   ? client_verify
					: opt0 & 0x40 ? client_ext
						      : hsp.client,
					"server.test");
	size_t used, olen;
	const uint8_t *out;
	if (ktls_hs_step(c, NULL, 0, &used))
		abort();
	struct ktls_hs *s = answer_hello(c, opt0, opt1);
	ktls_hs_output(c, &out, &olen);
	ktls_hs_output_sent(c, olen);
	hsp_run_script(s, s->s_hs, data + 2, size - 2, hsp_fragment(opt0 >> 2));
	ktls_hs_output(s, &out, &olen);
	int rc = ktls_hs_step(c, out, olen, &used);
	if (used > olen || (rc < 0 && rc != ktls_hs_step(c, NULL, 0, &used)))
		abort(); /* consumed more than given, or a failure not sticky */
	/* Done means authenticated: a certificate, verified when asked for. */
	if (rc == 1 && (c->state != HS_DONE || !ktls_hs_peer_cert(c)))
		abort();
	ktls_hs_free(s);
	ktls_hs_free(c);
	return rc;
}

static void seeds(const char *dir)
{
	mkdir(dir, 0755);
	struct ktls_buf m, b;
	ktls_buf_init(&m);
	ktls_buf_init(&b);
	struct ktls_encrypted_extensions ee = {0};
	ktls_encrypted_extensions_encode(&m, &ee);
	uint8_t ee_plain[64];
	size_t ee_plain_len = m.len - 4;
	memcpy(ee_plain, m.base + 4, ee_plain_len);
	static const struct {
		const char *name;
		uint8_t opt0, opt1;
		bool cr, alpn, alert, bad_fin, tail;
	} v[] = {
		{"full", 0, 0, 0, 0, 0, 0, 0},
		{"frag1-ccs", 0x24, 0, 0, 0, 0, 0, 0},
		{"frag17-aes256", 0x15, 0, 0, 0, 0, 0, 0},
		{"certreq", 0x02, 0, 1, 0, 0, 0, 0},
		{"alpn-rsl", 0x40, 0, 0, 1, 0, 0, 0},
		{"verify", 0x80, 0, 0, 0, 0, 0, 0},
		{"rsa", 0x1c, 1, 0, 0, 0, 0, 0},
		{"ed25519", 0x08, 2, 1, 0, 0, 0, 0},
		{"alert", 0, 0, 0, 0, 1, 0, 0},
		{"bad-finished", 0, 0, 0, 0, 0, 1, 0},
		{"after-finished", 0x18, 0, 0, 0, 0, 0, 1},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b.len = 0;
		ktls_buf_u8(&b, v[i].opt0);
		ktls_buf_u8(&b, v[i].opt1);
		if (v[i].alpn) {
			struct ktls_encrypted_extensions e2 = {.alpn = {(const uint8_t *)"h2", 2},
							       .record_size_limit = 1024};
			m.len = 0;
			ktls_encrypted_extensions_encode(&m, &e2);
			hsp_item(&b, HSP_MSG, KTLS_HS_ENCRYPTED_EXTENSIONS, m.base + 4, m.len - 4);
		} else {
			hsp_item(&b, HSP_MSG, KTLS_HS_ENCRYPTED_EXTENSIONS, ee_plain, ee_plain_len);
		}
		if (v[i].alert) {
			static const uint8_t a[] = {2, 40};
			hsp_item(&b, HSP_RECORD, KTLS_CT_ALERT, a, 2);
		}
		if (v[i].cr) {
			m.len = 0;
			ktls_certificate_request_encode(&m, hsp.server->sigalgs,
							hsp.server->n_sigalgs);
			hsp_item(&b, HSP_MSG, KTLS_HS_CERTIFICATE_REQUEST, m.base + 4, m.len - 4);
		}
		hsp_item(&b, HSP_MSG, KTLS_HS_CERTIFICATE, NULL, 0);
		hsp_item(&b, HSP_MSG, KTLS_HS_CERTIFICATE_VERIFY, NULL, 0);
		static const uint8_t zeros[32];
		hsp_item(&b, v[i].bad_fin ? HSP_MSG_RAW : HSP_MSG, KTLS_HS_FINISHED, zeros,
			 sizeof(zeros));
		if (v[i].tail) {
			static const uint8_t ku[] = {KTLS_HS_KEY_UPDATE, 0, 0, 1, 0};
			hsp_item(&b, HSP_RECORD, KTLS_CT_HANDSHAKE, ku, sizeof(ku));
		}
		hsp_write_seed(dir, v[i].name, &b);
		int rc = run(b.base, b.len);
		fprintf(stderr, "seed %s: %d\n", v[i].name, rc);
	}
	ktls_buf_free(&m);
	ktls_buf_free(&b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	hsp_init();
	static const char *const alpn[] = {"h2", "http/1.1"};
	client_ext = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_verify(client_ext, KTLS_VERIFY_NONE);
	ktls_config_set_alpn(client_ext, alpn, 2);
	ktls_config_set_record_size_limit(client_ext, 2048);
	client_verify = ktls_config_new(KTLS_CLIENT);
	if (ktls_config_set_ca_file(client_verify, hsp_cert_file("ca", "pem")))
		abort();
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
