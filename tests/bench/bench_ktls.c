/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server-side send throughput over loopback, three ways, alternating in one
 * run (best of the rounds kept; only the ratios are meaningful under qemu):
 *   A  kTLS sendfile, no key updates
 *   B  kTLS sendfile with a KeyUpdate every MiB          -> ratio B/A (target >= 0.99)
 *   C  userspace read + seal + write loop (no offload)   -> ratio A/C (the kernel should win)
 * The client reads through kTLS in all three.
 *   bench_ktls CERT KEY CA [size-bytes] [rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "sockutil.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *cert, *key, *ca;

/* One transfer; returns the server's seconds, or < 0. */
static double run(int file, size_t size, int mode)
{
	int fds[2], pfd[2];
	if (ktls_loopback_pair(fds) || pipe(pfd))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		struct ktls_config *cfg = ktls_config_new(KTLS_SERVER);
		ktls_config_add_cert_files(cfg, cert, key);
		if (mode == 'C')
			ktls_config_set_offload(cfg, 0);
		struct ktls_conn *c = ktls_conn_new(cfg, fds[1], NULL);
		if (ktls_handshake(c) != 1)
			_exit(1);
		double t0 = now();
		int64_t off = 0;
		while ((size_t)off < size) {
			if (mode == 'B' && off && off % (1 << 20) == 0 &&
			    ktls_key_update(c, KTLS_KEY_UPDATE_NOT_REQUESTED))
				_exit(2);
			size_t chunk = mode == 'B' ? (1u << 20) - (size_t)(off % (1 << 20)) : size;
			if (chunk > size - (size_t)off)
				chunk = size - (size_t)off;
			long n = ktls_sendfile(c, file, &off, chunk);
			if (n <= 0)
				_exit(3);
		}
		uint8_t b;
		(void)ktls_read(c, &b, 1); /* the client's close: all received */
		double secs = now() - t0;
		_exit(write(pfd[1], &secs, sizeof(secs)) == sizeof(secs) ? 0 : 4);
	}
	close(fds[1]);
	close(pfd[1]);
	struct ktls_config *cfg = ktls_config_new(KTLS_CLIENT);
	ktls_config_set_ca_file(cfg, ca);
	struct ktls_conn *c = ktls_conn_new(cfg, fds[0], "server.test");
	static uint8_t buf[1 << 20];
	size_t got = 0;
	if (ktls_handshake(c) == 1)
		while (got < size) {
			long n = ktls_read(c, buf, sizeof(buf));
			if (n <= 0)
				break;
			got += (size_t)n;
		}
	ktls_shutdown(c);
	double secs = -1;
	if (read(pfd[0], &secs, sizeof(secs)) != sizeof(secs) || got != size)
		secs = -1;
	waitpid(pid, NULL, 0);
	ktls_conn_free(c);
	ktls_config_free(cfg);
	close(fds[0]);
	close(pfd[0]);
	return secs;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_ktls CERT KEY CA [size] [rounds]\n");
		return 2;
	}
	cert = argv[1], key = argv[2], ca = argv[3];
	size_t size = argc > 4 ? strtoull(argv[4], NULL, 0) : (64u << 20);
	int rounds = argc > 5 ? atoi(argv[5]) : 3;
	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	if (ki.tls || ki.rekey != 1) {
		fprintf(stderr, "bench_ktls: needs kTLS with re-key (%s)\n",
			ki.tls ? ktls_strerror(ki.tls) : "no re-key");
		return 77;
	}
	int file = memfd_create("bench", 0);
	uint8_t *chunk = malloc(1 << 20);
	for (size_t off = 0; off < size; off += 1 << 20) {
		for (size_t i = 0; i < 1 << 20; i++)
			chunk[i] = (uint8_t)(i * 7 + off);
		size_t n = size - off < (1 << 20) ? size - off : (1 << 20);
		if (ktls_write_all(file, chunk, n))
			return 1;
	}
	double best[3] = {1e9, 1e9, 1e9};
	printf("%zu MiB per transfer, %d rounds, TLS_AES_128_GCM_SHA256\n", size >> 20, rounds);
	for (int r = 0; r < rounds; r++)
		for (int m = 0; m < 3; m++) {
			double t = run(file, size, 'A' + m);
			if (t < 0) {
				fprintf(stderr, "bench_ktls: transfer %c failed\n", 'A' + m);
				return 1;
			}
			printf("  round %d %c: %.1f MB/s\n", r + 1, 'A' + m,
			       (double)size / t / 1e6);
			if (t < best[m])
				best[m] = t;
		}
	double a = (double)size / best[0] / 1e6, b = (double)size / best[1] / 1e6,
	       c = (double)size / best[2] / 1e6;
	printf("A kTLS sendfile, no key update        %8.1f MB/s\n", a);
	printf("B kTLS sendfile, KeyUpdate every MiB  %8.1f MB/s   B/A = %.3f (target >= 0.99)\n",
	       b, b / a);
	printf("C userspace read+seal+write           %8.1f MB/s   A/C = %.3f\n", c, a / c);
	return 0;
}
