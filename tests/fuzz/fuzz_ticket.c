/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the session-ticket decoders. The server's ticket open
 * and session parse (ktls_ticket_open, then the checks that pick a ticket
 * and its binder), and the client's session blob (ktls_hs_set_session).
 * Structure-aware: a ticket's plaintext comes from the input and is sealed
 * under the server's fixed ticket key (ktls_ticket_seal_plain), so parsing gets past the GCM
 * tag; the client offers it with the PSK the plaintext carries, so the
 * binder verifies and a resumption runs to its end.
 *
 * Input: opt0 rest.
 *   opt0 bits 0-1: mode
 *     0  rest is a ticket's plaintext: sealed, offered by a client with the
 *        PSK read from it, answered by the server; a server that resumes
 *        must take the client to the end, resumed
 *     1  rest is a ticket's plaintext, sealed, opened
 *     2  rest is a client session blob: ktls_hs_set_session, ClientHello
 *     3  rest is a ticket as it arrives: opened
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hspeer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_config *client, *server;
static bool trace; /* KTLS_FUZZ_TRACE: say what each resumption did */
static uint8_t ticket_key[KTLS_TICKET_KEY_LEN] = {'f', 'u', 'z', 'z'};

/* The plaintext sealed under the server's key, as its tickets are. */
static size_t seal(const uint8_t *p, size_t n, uint8_t *out)
{
	struct ktls_buf b;
	ktls_buf_init(&b);
	size_t len = 0;
	if (!ktls_ticket_seal_plain(server->ticket_keys, (uint8_t)server->verify, p, n, &b)) {
		memcpy(out, b.base, b.len);
		len = b.len;
	}
	ktls_buf_free(&b);
	return len;
}

/* The client's side of a ticket: the suite and PSK its plaintext names
 * (read the way the server does, leniently), the rest fixed. */
static void client_blob(const uint8_t *p, size_t n, const uint8_t *ticket, size_t tlen,
			struct ktls_buf *blob)
{
	struct ktls_rd r = ktls_rd_make(p, n);
	struct ktls_session s = {.time_ms = ktls_now_ms(), .lifetime = 3600, .sni_len = 11};
	memcpy(s.sni, "server.test", 11);
	(void)ktls_rd_u8(&r);
	s.suite = ktls_rd_u16(&r);
	struct ktls_rd psk = ktls_rd_block(&r, 1);
	s.psk_len = ktls_rd_left(&psk) <= sizeof(s.psk) ? ktls_rd_left(&psk) : 0;
	ktls_rd_copy(&psk, s.psk, s.psk_len);
	(void)ktls_rd_u64(&r);
	(void)ktls_rd_u32(&r);
	s.age_add = ktls_rd_u32(&r);
	s.ticket = (uint8_t *)ticket;
	s.ticket_len = tlen;
	ktls_session_encode(&s, blob);
}

/* A plaintext's time field says how long ago the ticket was issued (so
 * that saved inputs do not expire): it becomes the time it names. */
static const uint8_t *dated(const uint8_t *p, size_t *n, uint8_t *buf)
{
	if (*n > KTLS_TICKET_MAX - KTLS_TICKET_OVERHEAD)
		*n = KTLS_TICKET_MAX - KTLS_TICKET_OVERHEAD;
	memcpy(buf, p, *n);
	size_t at = *n >= 4 ? 4 + (size_t)buf[3] : *n;
	if (at + 8 <= *n) {
		uint64_t now = ktls_now_ms(), age = 0;
		for (int i = 0; i < 8; i++)
			age = age << 8 | buf[at + i];
		uint64_t t = now - age % now;
		for (int i = 0; i < 8; i++)
			buf[at + i] = (uint8_t)(t >> (56 - 8 * i));
	}
	return buf;
}

static void resume(const uint8_t *p, size_t n)
{
	uint8_t ticket[4096 + KTLS_TICKET_OVERHEAD], plain[4096];
	p = dated(p, &n, plain);
	size_t tlen = seal(p, n, ticket);
	struct ktls_buf blob;
	ktls_buf_init(&blob);
	client_blob(p, n, ticket, tlen, &blob);
	struct ktls_hs *c = ktls_hs_new(client, "server.test"), *s = ktls_hs_new(server, NULL);
	const uint8_t *out;
	size_t len, used;
	if (!ktls_hs_set_session(c, blob.base, blob.len) && !ktls_hs_step(c, NULL, 0, &used)) {
		ktls_hs_output(c, &out, &len);
		int srv = ktls_hs_step(s, out, len, &used);
		ktls_hs_output_sent(c, len);
		ktls_hs_output(s, &out, &len);
		int rc = ktls_hs_step(c, out, len, &used);
		/* The server took the ticket: its PSK is the client's (the
		 * binder verified), so the client must resume to the end. */
		if (srv == 0 && ktls_hs_resumed(s) && (rc != 1 || !ktls_hs_resumed(c)))
			abort();
		if (trace)
			fprintf(stderr, "server %d resumed %d, client %d resumed %d: %s\n", srv,
				ktls_hs_resumed(s), rc, ktls_hs_resumed(c),
				ktls_hs_error_detail(s));
	}
	ktls_buf_free(&blob);
	ktls_hs_free(c);
	ktls_hs_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	hsp_init();
	trace = getenv("KTLS_FUZZ_TRACE") != NULL;
	client = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_verify(client, KTLS_VERIFY_NONE);
	server = ktls_config_new(KTLS_SERVER);
	if (ktls_config_add_cert_files(server, hsp_cert_file("server-ecdsa256", "pem"),
				       hsp_cert_file("server-ecdsa256", "key")) ||
	    ktls_config_set_tickets(server, 1) ||
	    ktls_config_set_ticket_keys(server, ticket_key, 1))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	hsp_rand_reset(5);
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	struct ktls_session s;
	uint8_t ticket[4096 + KTLS_TICKET_OVERHEAD], plain[4096];
	switch (data[0] & 3) {
	case 0:
		resume(p, n);
		break;
	case 1:
		p = dated(p, &n, plain);
		if (ktls_ticket_open(server->ticket_keys, (uint8_t)server->verify, ticket,
				     seal(p, n, ticket), &s) == 0)
			ktls_session_clear(&s);
		break;
	case 2: {
		struct ktls_hs *c = ktls_hs_new(client, "server.test");
		size_t used;
		if (!ktls_hs_set_session(c, p, n))
			(void)ktls_hs_step(c, NULL, 0, &used);
		ktls_hs_free(c);
		break;
	}
	case 3:
		if (ktls_ticket_open(server->ticket_keys, (uint8_t)server->verify, p, n, &s) == 0)
			ktls_session_clear(&s);
		break;
	}
	return 0;
}
