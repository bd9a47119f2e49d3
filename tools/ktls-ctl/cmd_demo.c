/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The main job at this stage of the project: a file crosses a loopback TCP
 * connection through the userspace TLS 1.3 record layer, with a KeyUpdate
 * every --update-every bytes, and both ends check it byte for byte. Until the
 * handshake engine lands both ends start from one random traffic secret.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "ktls/ktls.h"
#include "record.h"
#include "sockutil.h"

#define HS_KEY_UPDATE 24

/* Receiver: frames records off the stream, follows KeyUpdates, hashes data. */
static int receive(int fd, const struct ktls_suite *s, const uint8_t *secret, uint8_t *digest,
		   size_t *bytes, unsigned *updates)
{
	struct ktls_rec_dir rx = {0};
	size_t cap = 2 * KTLS_REC_HDR + 2 * KTLS_REC_MAX_CIPHER, have = 0;
	uint8_t *buf = malloc(cap), *plain = malloc(KTLS_REC_MAX_CIPHER);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int err = ktls_rec_init(&rx, s, secret, 0);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	*bytes = 0;
	*updates = 0;
	while (!err) {
		long rlen = ktls_rec_frame(buf, have, KTLS_REC_MAX_CIPHER);
		if (rlen < 0) {
			err = (int)rlen;
			break;
		}
		if (rlen == 0) {
			ssize_t r = read(fd, buf + have, cap - have);
			if (r == 0)
				break; /* sender closed after its close_notify check below */
			if (r < 0) {
				err = -errno;
				break;
			}
			have += (size_t)r;
			continue;
		}
		uint8_t type;
		long n = ktls_rec_open(&rx, buf, (size_t)rlen, plain, KTLS_REC_MAX_CIPHER, &type);
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (type == KTLS_CT_APPLICATION_DATA) {
			EVP_DigestUpdate(md, plain, (size_t)n);
			*bytes += (size_t)n;
		} else if (type == KTLS_CT_HANDSHAKE && n == 5 && plain[0] == HS_KEY_UPDATE) {
			err = ktls_rec_update(&rx);
			++*updates;
		} else if (type == KTLS_CT_ALERT && n == 2 && plain[1] == KTLS_ALERT_CLOSE_NOTIFY) {
			break;
		} else {
			err = -KTLS_E_RECORD_BAD_CONTENT_TYPE;
		}
		memmove(buf, buf + rlen, have - (size_t)rlen);
		have -= (size_t)rlen;
	}
	EVP_DigestFinal_ex(md, digest, NULL);
	EVP_MD_CTX_free(md);
	ktls_rec_clear(&rx);
	free(buf);
	free(plain);
	return err;
}

int cmd_demo(int argc, char **argv)
{
	size_t size = 32u << 20, every = 4u << 20;
	uint16_t suite = KTLS_TLS_AES_128_GCM_SHA256;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			size = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--update-every") && i + 1 < argc) {
			every = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--suite") && i + 1 < argc) {
			suite = (uint16_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ktls-ctl demo [--size BYTES] [--update-every BYTES] "
			       "[--suite 0x1301..0x1304]\n\nSends BYTES of random data over "
			       "loopback TCP under TLS 1.3 record protection,\nwith a KeyUpdate "
			       "every --update-every bytes, and verifies it end to end.\n");
			return CTL_OK;
		} else {
			fprintf(stderr, "ktls-ctl demo: bad option '%s'\n", argv[i]);
			return CTL_USAGE;
		}
	}
	const struct ktls_suite *s = ktls_suite_get(suite);
	if (!s || !every) {
		fprintf(stderr, "ktls-ctl demo: unknown suite %#x or zero update interval\n",
			suite);
		return CTL_USAGE;
	}

	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	printf("kernel TLS: %s\n", ki.tls ? ktls_strerror(ki.tls) : "available");
	printf("data path : userspace record layer (kTLS connections arrive with the handshake "
	       "engine)\n");
	printf("suite     : %s; %zu bytes, KeyUpdate every %zu bytes\n", s->name, size, every);

	uint8_t secret[KTLS_MAX_HASH];
	int fds[2], err = ktls_loopback_pair(fds), a = fds[0], b = fds[1];
	if (err || RAND_bytes(secret, sizeof(secret)) != 1) {
		fprintf(stderr, "ktls-ctl demo: setup failed: %s\n", ktls_strerror(err));
		return CTL_FAIL;
	}
	int pfd[2];
	if (pipe(pfd))
		return CTL_FAIL;
	pid_t pid = fork();
	if (pid == 0) {
		close(a);
		uint8_t digest[32];
		size_t bytes;
		unsigned updates;
		int rerr = receive(b, s, secret, digest, &bytes, &updates);
		char line[160];
		int n = snprintf(line, sizeof(line), "%d %zu %u ", rerr, bytes, updates);
		for (int i = 0; i < 32; i++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", digest[i]);
		if (write(pfd[1], line, (size_t)n) < 0)
			_exit(1);
		_exit(0);
	}
	close(b);
	close(pfd[1]);

	struct ktls_rec_dir tx = {0};
	uint8_t *rec = malloc(ktls_rec_sealed_len(KTLS_REC_MAX_PLAIN, 0));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t digest[32];
	size_t sent = 0, since = 0, records = 0;
	unsigned updates = 0;
	err = ktls_rec_init(&tx, s, secret, 1);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (!err && sent < size) {
		size_t n = size - sent < KTLS_REC_MAX_PLAIN ? size - sent : KTLS_REC_MAX_PLAIN;
		uint8_t *body = rec + KTLS_REC_HDR;
		RAND_bytes(body, (int)n);
		EVP_DigestUpdate(md, body, n);
		long r = ktls_rec_seal(&tx, KTLS_CT_APPLICATION_DATA, body, n, 0, rec,
				       ktls_rec_sealed_len(n, 0));
		err = r < 0 ? (int)r : ktls_write_all(a, rec, (size_t)r);
		sent += n;
		since += n;
		records++;
		if (!err && since >= every && sent < size) {
			/* KeyUpdate(update_not_requested) goes under the old key; the
			 * new key protects everything after it. */
			static const uint8_t ku[] = {HS_KEY_UPDATE, 0, 0, 1, 0};
			r = ktls_rec_seal(&tx, KTLS_CT_HANDSHAKE, ku, sizeof(ku), 0, rec,
					  ktls_rec_sealed_len(sizeof(ku), 0));
			err = r < 0 ? (int)r : ktls_write_all(a, rec, (size_t)r);
			if (!err)
				err = ktls_rec_update(&tx);
			updates++;
			since = 0;
		}
	}
	static const uint8_t close_notify[] = {1, KTLS_ALERT_CLOSE_NOTIFY};
	long r = err ? 0 : ktls_rec_seal(&tx, KTLS_CT_ALERT, close_notify, 2, 0, rec, 64);
	if (!err)
		err = r < 0 ? (int)r : ktls_write_all(a, rec, (size_t)r);
	EVP_DigestFinal_ex(md, digest, NULL);
	EVP_MD_CTX_free(md);
	ktls_rec_clear(&tx);
	free(rec);
	shutdown(a, SHUT_WR);

	char line[160] = {0}, hex[65];
	ssize_t got = read(pfd[0], line, sizeof(line) - 1);
	waitpid(pid, NULL, 0);
	close(a);
	close(pfd[0]);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	int rerr = -1;
	size_t rbytes = 0;
	unsigned rupdates = 0;
	char rhex[65] = {0};
	if (got <= 0 || sscanf(line, "%d %zu %u %64s", &rerr, &rbytes, &rupdates, rhex) != 4) {
		fprintf(stderr, "ktls-ctl demo: receiver gave no report\n");
		return CTL_FAIL;
	}
	printf("sender    : %zu bytes in %zu records, %u KeyUpdates sent, sha256 %.16s...\n",
	       sent, records, updates, hex);
	printf("receiver  : %zu bytes, %u KeyUpdates followed, sha256 %.16s...%s%s\n", rbytes,
	       rupdates, rhex, rerr ? ", error: " : "", rerr ? ktls_strerror(rerr) : "");
	int ok = !err && !rerr && rbytes == sent && rupdates == updates && !strcmp(hex, rhex);
	printf("result    : %s\n", ok ? "OK, byte-exact across every key update"
				      : "FAILED");
	if (err)
		fprintf(stderr, "ktls-ctl demo: sender error: %s\n", ktls_strerror(err));
	return ok ? CTL_OK : CTL_FAIL;
}
