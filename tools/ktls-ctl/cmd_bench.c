/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl bench: a sendfile server and a reading client on loopback, four
 * ways, interleaved round by round so that they share the machine's mood:
 *   kTLS, no key updates       (the reference)
 *   kTLS, a key update every N (policy; the ratio to the reference is the
 *                               cost of re-keying the kernel)
 *   userspace, no key updates  (read + seal + write; the kernel should win)
 *   userspace, a key update every N
 * Printed: best throughput of the rounds, CPU seconds per GiB (server and
 * client, user + system), and ratios to the reference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ktls/ktls.h"
#include "net.h"
#include "selfsigned.h"

struct way {
	const char *name;
	bool kernel;
	bool updates;
	/* best of the rounds */
	double secs, cpu_server, cpu_client;
	uint64_t updates_seen;
	bool ran;
};

struct bench {
	const char *cert, *key;
	int file;
	uint64_t size, every;
	uint16_t suite;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_of(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
}

static struct ktls_config *config(const struct bench *b, enum ktls_role role, const struct way *w)
{
	struct ktls_config *cfg = ktls_config_new(role);
	if (!cfg)
		return NULL;
	int err = role == KTLS_SERVER ? ktls_config_add_cert_files(cfg, b->cert, b->key)
				      : ktls_config_set_ca_file(cfg, b->cert);
	if (!err && !w->kernel)
		err = ktls_config_set_offload(cfg, 0);
	if (!err && w->updates && role == KTLS_SERVER)
		err = ktls_config_set_key_update_policy(cfg, b->every, 0, 0);
	if (!err && b->suite)
		err = ktls_config_set_suites(cfg, &b->suite, 1);
	if (err) {
		ktls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The server: sendfile the whole file, then wait for the client's close. */
static void server(const struct bench *b, const struct way *w, int fd)
{
	struct ktls_config *cfg = config(b, KTLS_SERVER, w);
	struct ktls_conn *c = cfg ? ktls_conn_new(cfg, fd, NULL) : NULL;
	if (!c || ktls_handshake(c) != 1)
		_exit(10);
	if (w->kernel && !(ktls_conn_offload(c) & KTLS_OFFLOAD_TX))
		_exit(11);
	int64_t off = 0;
	while ((uint64_t)off < b->size) {
		long n = ktls_sendfile(c, b->file, &off, (size_t)(b->size - (uint64_t)off));
		if (n <= 0)
			_exit(12);
	}
	uint8_t x;
	if (ktls_read(c, &x, 1) != 0)
		_exit(13);
	_exit(0);
}

/* One transfer; 0, or -1 with the reason printed. */
static int run(const struct bench *b, struct way *w)
{
	int fds[2];
	if (ctl_loopback_pair(fds))
		return -1;
	double t0 = 0;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		server(b, w, fds[1]);
	}
	close(fds[1]);
	struct rusage r0, r1, rs;
	getrusage(RUSAGE_SELF, &r0);
	struct ktls_config *cfg = config(b, KTLS_CLIENT, w);
	struct ktls_conn *c = cfg ? ktls_conn_new(cfg, fds[0], "localhost") : NULL;
	static uint8_t buf[1 << 20];
	uint64_t got = 0;
	int err = c ? ktls_handshake(c) : -ENOMEM;
	if (err == 1) {
		err = 0;
		t0 = now(); /* the transfer, not the handshake */
		while (got < b->size) {
			long n = ktls_read(c, buf, sizeof(buf));
			if (n <= 0) {
				err = n ? (int)n : -EPIPE;
				break;
			}
			got += (uint64_t)n;
		}
		ktls_shutdown(c);
	}
	getrusage(RUSAGE_SELF, &r1);
	int status = 0;
	wait4(pid, &status, 0, &rs);
	double secs = now() - t0;
	struct ktls_conn_stats st = {0};
	if (c)
		ktls_conn_stats(c, &st);
	ktls_conn_free(c);
	ktls_config_free(cfg);
	close(fds[0]);
	if (err || got != b->size || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "ktls-ctl bench: %s: transfer failed (%s, server status %d)\n",
			w->name, err ? ktls_strerror(err) : "short", WEXITSTATUS(status));
		return -1;
	}
	double cpu_client = cpu_of(&r1) - cpu_of(&r0);
	if (!w->ran || secs < w->secs) {
		w->secs = secs;
		w->cpu_server = cpu_of(&rs);
		w->cpu_client = cpu_client;
		w->updates_seen = st.key_updates_received;
	}
	w->ran = true;
	return 0;
}

/*
 * The cost of one key update, both ends: N one-byte records with an update
 * before each, against N without, over kTLS both ways. Returns seconds per
 * update, or < 0.
 */
static double update_cost(const struct bench *b, int n)
{
	double t[2] = {0, 0};
	const struct way w = {"cost", true, false};
	for (int with = 0; with < 2; with++) {
		int fds[2];
		if (ctl_loopback_pair(fds))
			return -1;
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			struct ktls_config *cfg = config(b, KTLS_SERVER, &w);
			struct ktls_conn *c = cfg ? ktls_conn_new(cfg, fds[1], NULL) : NULL;
			if (!c || ktls_handshake(c) != 1)
				_exit(20);
			for (int i = 0; i < n; i++)
				if ((with && ktls_key_update(c, KTLS_KEY_UPDATE_NOT_REQUESTED)) ||
				    ktls_write(c, "x", 1) != 1)
					_exit(21);
			uint8_t x;
			_exit(ktls_read(c, &x, 1) == 0 ? 0 : 22);
		}
		close(fds[1]);
		struct ktls_config *cfg = config(b, KTLS_CLIENT, &w);
		struct ktls_conn *c = cfg ? ktls_conn_new(cfg, fds[0], "localhost") : NULL;
		int got = 0;
		if (c && ktls_handshake(c) == 1) {
			double t0 = now();
			uint8_t buf[256];
			while (got < n) {
				long r = ktls_read(c, buf, sizeof(buf));
				if (r <= 0)
					break;
				got += (int)r;
			}
			t[with] = now() - t0;
			ktls_shutdown(c);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		ktls_conn_free(c);
		ktls_config_free(cfg);
		close(fds[0]);
		if (got != n || !WIFEXITED(status) || WEXITSTATUS(status))
			return -1;
	}
	return (t[1] - t[0]) / n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ktls-ctl bench [--size BYTES] [--key-update-bytes BYTES] [--rounds N]\n"
		   "                      [--suite 0x1301..0x1304]\n\n"
		   "Loopback sendfile throughput and CPU per GiB, kernel TLS against the\n"
		   "userspace record layer, each with and without key updates (default: 256M,\n"
		   "an update every 1M, 3 rounds). Exit status 3: the kernel lacks kTLS (the\n"
		   "userspace rows are still measured).\n");
}

int cmd_bench(int argc, char **argv)
{
	struct bench b = {.size = 256u << 20, .every = 1u << 20};
	uint64_t rounds = 3, v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CTL_OK;
		}
		if (!strcmp(a, "--suite")) {
			unsigned long id = strtoul(val, NULL, 0);
			if (id > 0xffff || !ktls_suite_name((uint16_t)id)) {
				fprintf(stderr, "ktls-ctl bench: not a TLS 1.3 suite: '%s'\n", val);
				return CTL_USAGE;
			}
			b.suite = (uint16_t)id;
			i++;
			continue;
		}
		if (!ctl_parse_size(val, &v) || !v) {
			fprintf(stderr, "ktls-ctl bench: bad option or value: %s %s\n", a, val);
			return CTL_USAGE;
		}
		if (!strcmp(a, "--size"))
			b.size = v;
		else if (!strcmp(a, "--key-update-bytes"))
			b.every = v;
		else if (!strcmp(a, "--rounds") && v <= 100)
			rounds = v;
		else {
			fprintf(stderr, "ktls-ctl bench: bad option or value: %s %s\n", a, val);
			usage(stderr);
			return CTL_USAGE;
		}
		i++;
	}
	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	struct way ways[] = {
		{"kTLS sendfile", true, false},
		{"kTLS sendfile + updates", true, true},
		{"userspace", false, false},
		{"userspace + updates", false, true},
	};
	bool kernel_ok = !ki.tls, rekey_ok = kernel_ok && ki.rekey == 1;
	if (!kernel_ok)
		printf("%s: userspace rows only\n", ktls_strerror(ki.tls));
	else if (!rekey_ok)
		printf("this kernel cannot re-key: the kTLS + updates row is skipped (with a "
		       "key-update policy the library would seal in userspace)\n");

	struct ctl_tmpcert tc = {0};
	int rc = CTL_FAIL;
	b.file = memfd_create("ktls-bench", 0);
	uint8_t *chunk = malloc(1 << 20);
	if (ctl_tmpcert_make(&tc, "bench") || b.file < 0 || !chunk)
		goto out;
	b.cert = tc.cert;
	b.key = tc.key;
	for (uint64_t off = 0; off < b.size; off += 1 << 20) {
		for (size_t i = 0; i < 1 << 20; i++)
			chunk[i] = (uint8_t)(i * 7 + off);
		size_t n = b.size - off < (1 << 20) ? (size_t)(b.size - off) : (1 << 20);
		if (ctl_write_all(b.file, chunk, n))
			goto out;
	}
	printf("%.1f MiB per transfer, key update every %.2f MiB, best of %u round(s)\n",
	       (double)b.size / 1048576.0, (double)b.every / 1048576.0, (unsigned)rounds);
	for (unsigned r = 0; r < rounds; r++)
		for (size_t i = 0; i < 4; i++) {
			if ((ways[i].kernel && !kernel_ok) ||
			    (ways[i].kernel && ways[i].updates && !rekey_ok))
				continue;
			if (run(&b, &ways[i]))
				goto out;
		}
	/* Under an emulator wall-clock swings; CPU per GiB is the steadier
	 * measure, so both get a ratio to plain kTLS (higher: better). */
	printf("%-26s %9s %8s %14s %14s %9s %8s\n", "path", "MiB/s", "speed", "server CPU/GiB",
	       "client CPU/GiB", "CPU eff.", "updates");
	double gib = (double)b.size / (1u << 30);
	const struct way *ref = ways[0].ran ? &ways[0] : NULL;
	for (size_t i = 0; i < 4; i++) {
		struct way *w = &ways[i];
		if (!w->ran) {
			printf("%-26s %9s\n", w->name, "n/a");
			continue;
		}
		char speed[16] = "-", eff[16] = "-";
		if (ref) {
			snprintf(speed, sizeof(speed), "%.3f", ref->secs / w->secs);
			snprintf(eff, sizeof(eff), "%.3f",
				 (ref->cpu_server + ref->cpu_client) /
					 (w->cpu_server + w->cpu_client));
		}
		printf("%-26s %9.1f %8s %13.2fs %13.2fs %9s %8llu\n", w->name,
		       (double)b.size / 1048576.0 / w->secs, speed, w->cpu_server / gib,
		       w->cpu_client / gib, eff, (unsigned long long)w->updates_seen);
	}
	if (ref)
		printf("speed, CPU eff.: plain kTLS's time or CPU over this row's (1.000 = as "
		       "fast or as cheap)\n");
	/* Wall-clock ratios swing under an emulator; this one is computed from
	 * two costs measured back to back. */
	double cost = ref && rekey_ok ? update_cost(&b, 200) : -1;
	if (cost > 0) {
		double per_every = ref->secs * (double)b.every / (double)b.size;
		printf("one key update (both ends, kernel re-key included): %.1f us; plain kTLS "
		       "moves %.2f MiB in that time\n",
		       cost * 1e6, cost / ref->secs * (double)b.size / 1048576.0);
		printf("=> estimated throughput ratio with an update every %.2f MiB: %.4f\n",
		       (double)b.every / 1048576.0, per_every / (per_every + cost));
	}
	rc = kernel_ok ? CTL_OK : CTL_NO_KTLS;
out:
	free(chunk);
	if (b.file >= 0)
		close(b.file);
	ctl_tmpcert_remove(&tc);
	return rc;
}
