/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the handshake parser, both roles. The first input
 * byte picks what the rest goes to:
 *   0      a server engine, as records from a client
 *   1      a client engine (after its ClientHello), as records from a server
 *   2..9   one message decoder directly
 * With KTLS_FUZZ_SEEDS=DIR set, LLVMFuzzerInitialize writes a seed corpus
 * there from a real in-memory handshake (flights of both sides, and each
 * message body) and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handshake/hs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_config *client, *server;

static void load(void)
{
	const char *dir = getenv("KTLS_TEST_CERTS");
	char pem[512], key[512];
	client = ktls_config_new(KTLS_CLIENT);
	server = ktls_config_new(KTLS_SERVER);
	ktls_config_set_verify(client, KTLS_VERIFY_NONE);
	if (!dir)
		return;
	snprintf(pem, sizeof(pem), "%s/server-ecdsa256.pem", dir);
	snprintf(key, sizeof(key), "%s/server-ecdsa256.key", dir);
	ktls_config_add_cert_files(server, pem, key);
}

static void write_seed(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fputc(sel, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static void make_seeds(const char *dir)
{
	mkdir(dir, 0755);
	struct ktls_hs *c = ktls_hs_new(client, "server.test"), *s = ktls_hs_new(server, NULL);
	const uint8_t *out;
	size_t len, used;
	ktls_hs_step(c, NULL, 0, &used);
	ktls_hs_output(c, &out, &len);
	write_seed(dir, "client-hello-records", 0, out, len);
	/* Each decoder gets the ClientHello body too: it is a rich input. */
	for (uint8_t sel = 2; sel <= 9; sel++) {
		char name[32];
		snprintf(name, sizeof(name), "decoder-%u", sel);
		write_seed(dir, name, sel, out + 9, len - 9);
	}
	ktls_hs_step(s, out, len, &used);
	ktls_hs_output(s, &out, &len);
	write_seed(dir, "server-flight-records", 1, out, len);
	ktls_hs_free(c);
	ktls_hs_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	load();
	const char *seeds = getenv("KTLS_FUZZ_SEEDS");
	if (seeds) {
		make_seeds(seeds);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ktls_rd r = ktls_rd_make(data, size);
	uint8_t sel = ktls_rd_u8(&r);
	size_t n = ktls_rd_left(&r);
	const uint8_t *p = ktls_rd_bytes(&r, n);
	const char *why;
	union {
		struct ktls_client_hello ch;
		struct ktls_server_hello sh;
		struct ktls_encrypted_extensions ee;
		struct ktls_certificate c;
		struct ktls_certificate_request cr;
		struct ktls_certificate_verify cv;
		struct ktls_new_session_ticket t;
		struct ktls_bytes b;
		int i;
	} u;
	size_t used;
	switch (sel % 10) {
	case 0:
	case 1: {
		struct ktls_hs *hs = ktls_hs_new(sel % 10 ? client : server, "server.test");
		if (sel % 10)
			ktls_hs_step(hs, NULL, 0, &used); /* emit ClientHello first */
		int rc = ktls_hs_step(hs, p, n, &used);
		if (used > n || (rc < 0 && rc != ktls_hs_step(hs, NULL, 0, &used)))
			abort(); /* consumed more than given, or a failure not sticky */
		ktls_hs_free(hs);
		break;
	}
	case 2:
		ktls_client_hello_decode(&u.ch, p, n, &why);
		break;
	case 3:
		ktls_server_hello_decode(&u.sh, p, n, &why);
		break;
	case 4:
		ktls_encrypted_extensions_decode(&u.ee, p, n, &why);
		break;
	case 5:
		ktls_certificate_decode(&u.c, p, n, &why);
		break;
	case 6:
		ktls_certificate_request_decode(&u.cr, p, n, &why);
		break;
	case 7:
		ktls_certificate_verify_decode(&u.cv, p, n, &why);
		break;
	case 8:
		ktls_new_session_ticket_decode(&u.t, p, n, &why);
		break;
	case 9:
		ktls_key_update_decode(&u.i, p, n, &why);
		ktls_finished_decode(&u.b, 32, p, n, &why);
		break;
	}
	return 0;
}
