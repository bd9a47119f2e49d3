/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The main job: a TLS 1.3 file transfer over loopback between a ktls server
 * and client, the server sending with sendfile() and updating its keys every
 * --update-every bytes (asking the client to update too, every other time).
 * It prints where the records went (kernel or userspace), the key updates
 * each side saw, and whether the file arrived byte for byte.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ktls/ktls.h"
#include "net.h"
#include "selfsigned.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *path_name(unsigned offload)
{
	switch (offload) {
	case KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX:
		return "kernel TLS, both directions";
	case KTLS_OFFLOAD_TX:
		return "kernel TLS for sending, userspace for receiving";
	default:
		return "userspace record layer (no kernel TLS)";
	}
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

struct report {
	int err;
	unsigned offload;
	uint64_t sent, updates_sent, updates_received;
	double secs;
};

static int server(int fd, const char *cert, const char *key, int file, size_t size, size_t every,
		  struct report *r)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_SERVER);
	int err = ktls_config_add_cert_files(cfg, cert, key);
	struct ktls_conn *c = err ? NULL : ktls_conn_new(cfg, fd, NULL);
	err = c ? ktls_handshake(c) : err ? err : -ENOMEM;
	if (err != 1)
		goto out;
	err = 0;
	r->offload = ktls_conn_offload(c);
	double t0 = now();
	int64_t off = 0;
	for (unsigned n = 0; !err && (size_t)off < size; n++) {
		if (n)
			err = ktls_key_update(c, n % 2 ? KTLS_KEY_UPDATE_REQUESTED
						       : KTLS_KEY_UPDATE_NOT_REQUESTED);
		int64_t end = (int64_t)((size_t)off + every < size ? (size_t)off + every : size);
		while (!err && off < end) {
			long w = ktls_sendfile(c, file, &off, (size_t)(end - off));
			if (w <= 0)
				err = w ? (int)w : -EIO;
		}
	}
	/* The client's answers to our requests come in before its close. */
	uint8_t b;
	long rd = err ? 0 : ktls_read(c, &b, 1);
	if (!err && rd < 0)
		err = (int)rd;
	r->secs = now() - t0;
	struct ktls_conn_stats st;
	ktls_conn_stats(c, &st);
	r->sent = st.bytes_sent;
	r->updates_sent = st.key_updates_sent;
	r->updates_received = st.key_updates_received;
	if (!err)
		ktls_shutdown(c);
out:
	r->err = err;
	ktls_conn_free(c);
	ktls_config_free(cfg);
	return err;
}

int cmd_demo(int argc, char **argv)
{
	size_t size = 64u << 20, every = 4u << 20;
	uint16_t suite = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			size = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--update-every") && i + 1 < argc) {
			every = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--suite") && i + 1 < argc) {
			suite = (uint16_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ktls-ctl demo [--size BYTES] [--update-every BYTES] "
			       "[--suite 0x1301..0x1304]\n\nA TLS 1.3 server sends BYTES of random "
			       "data with sendfile() to a client over\nloopback, updating its keys "
			       "every --update-every bytes; both ends check it.\n");
			return CTL_OK;
		} else {
			fprintf(stderr, "ktls-ctl demo: bad option '%s'\n", argv[i]);
			return CTL_USAGE;
		}
	}
	if (!every || !size || (suite && !ktls_suite_name(suite))) {
		fprintf(stderr, "ktls-ctl demo: bad size, interval or suite\n");
		return CTL_USAGE;
	}
	struct ctl_tmpcert tc;
	if (ctl_tmpcert_make(&tc, "demo")) {
		fprintf(stderr, "ktls-ctl demo: cannot make a certificate\n");
		return CTL_FAIL;
	}
	const char *cert = tc.cert, *key = tc.key;
	/* The file: random bytes in memory, hashed as they are made. */
	int file = memfd_create("demo-file", 0);
	uint8_t *chunk = malloc(1 << 20), want[32], got[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t off = 0; off < size; off += 1 << 20) {
		size_t n = size - off < (1 << 20) ? size - off : (1 << 20);
		RAND_bytes(chunk, (int)n);
		EVP_DigestUpdate(md, chunk, n);
		if (ctl_write_all(file, chunk, n))
			return CTL_FAIL;
	}
	EVP_DigestFinal_ex(md, want, NULL);

	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	printf("kernel    : %s", ki.tls ? ktls_strerror(ki.tls) : "kernel TLS available");
	if (!ki.tls)
		printf(", re-key %s", ki.rekey == 1 ? "supported" : "NOT supported");
	printf("\n");

	int fds[2], pfd[2];
	if (ctl_loopback_pair(fds) || pipe(pfd))
		return CTL_FAIL;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		struct report r = {0};
		server(fds[1], cert, key, file, size, every, &r);
		_exit(write(pfd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	close(pfd[1]);

	struct ktls_config *cfg = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_ca_file(cfg, cert);
	if (suite)
		ktls_config_set_suites(cfg, &suite, 1);
	struct ktls_conn *c = ktls_conn_new(cfg, fds[0], "localhost");
	int err = ktls_handshake(c);
	uint64_t received = 0;
	if (err == 1) {
		err = 0;
		const struct ktls_hs *hs = ktls_conn_hs(c);
		printf("handshake : %s, group %#06x, signature %#06x\n",
		       ktls_suite_name(ktls_hs_suite(hs)), ktls_hs_group(hs), ktls_hs_sigalg(hs));
		printf("client    : %s\n", path_name(ktls_conn_offload(c)));
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		for (;;) {
			long n = ktls_read(c, chunk, 1 << 20);
			if (n <= 0) {
				err = (int)n;
				break;
			}
			EVP_DigestUpdate(md, chunk, (size_t)n);
			received += (uint64_t)n;
			if (received == size)
				ktls_shutdown(c); /* tells the server we have it all */
		}
		EVP_DigestFinal_ex(md, got, NULL);
	}
	struct report r = {0};
	ssize_t rn = read(pfd[0], &r, sizeof(r));
	waitpid(pid, NULL, 0);
	struct ktls_conn_stats st = {0};
	if (c)
		ktls_conn_stats(c, &st);
	char hw[65], hg[65];
	hex(want, hw);
	hex(got, hg);
	if (rn == sizeof(r) && !r.err) {
		printf("server    : %s; sent %llu bytes with sendfile in %.2f s (%.0f MB/s)\n",
		       path_name(r.offload), (unsigned long long)r.sent, r.secs,
		       r.secs > 0 ? (double)r.sent / r.secs / 1e6 : 0.0);
		printf("key update: server sent %llu (every %zu bytes, every other one "
		       "requesting an answer), received %llu\n",
		       (unsigned long long)r.updates_sent, every,
		       (unsigned long long)r.updates_received);
	} else {
		printf("server    : failed: %s\n", ktls_strerror(rn == sizeof(r) ? r.err : -EIO));
	}
	printf("key update: client received %llu, sent %llu (its answers)\n",
	       (unsigned long long)st.key_updates_received,
	       (unsigned long long)st.key_updates_sent);
	printf("file      : sent    sha256 %.16s...\n", hw);
	printf("            received sha256 %.16s... (%llu bytes)\n", hg,
	       (unsigned long long)received);
	int ok = !err && rn == sizeof(r) && !r.err && received == size && !memcmp(want, got, 32) &&
		 st.key_updates_received == r.updates_sent;
	printf("result    : %s\n", ok ? "OK: byte-exact across every key update" : "FAILED");
	if (err < 0)
		fprintf(stderr, "ktls-ctl demo: client: %s\n", ktls_strerror(err));
	ktls_conn_free(c);
	ktls_config_free(cfg);
	EVP_MD_CTX_free(md);
	free(chunk);
	ctl_tmpcert_remove(&tc);
	return ok ? CTL_OK : CTL_FAIL;
}
