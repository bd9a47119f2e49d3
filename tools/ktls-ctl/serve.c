/* SPDX-License-Identifier: Apache-2.0 */
/* serve: the command line, the listener, signals and the event loop. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "selfsigned.h"

static int listen_on(const char *addr, unsigned port)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	struct sockaddr_in6 *a6 = (void *)&ss;
	struct sockaddr_in *a4 = (void *)&ss;
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*a6);
	} else if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		sl = sizeof(*a4);
	} else {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* "::" takes IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 4096)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static unsigned local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktls-ctl serve [options] [ROOT]\n\n"
		"Serves the regular files under ROOT (default: the current directory) over\n"
		"HTTPS/1.1 with TLS 1.3, the kernel encrypting where it can (sendfile through\n"
		"kTLS).\n\n"
		"  --listen ADDR            address to listen on (default ::, IPv4 and IPv6)\n"
		"  --port N                 port (default 8443; 0 picks a free one)\n"
		"  --cert FILE --key FILE   certificate chain and key (PEM); without them a\n"
		"                           fresh self-signed one for localhost is made\n"
		"  --key-update-bytes N     update the sending key every N bytes (K, M, G "
		"suffixes)\n"
		"  --key-update-seconds N   update the sending key every N seconds\n"
		"  --max-connections N      at most N at once; the newest beyond is refused\n"
		"                           (default 10000)\n"
		"  --max-connections-per-ip N\n"
		"                           at most N from one address, an IPv6 /64 (default 64)\n"
		"  --max-handshakes N       handshakes in flight at once; when full, the one\n"
		"                           silent longest (0.5 s at least) is dropped\n"
		"                           (default 256)\n"
		"  --max-handshakes-per-ip N\n"
		"                           handshakes in flight from one address (default 16)\n"
		"  --handshake-timeout S    the whole handshake, from the accept (default 10)\n"
		"  --header-timeout S       each request head, however it trickles in\n"
		"                           (default 10)\n"
		"  --idle-timeout S         between requests on a kept connection (default 30)\n"
		"  --send-timeout S         a client reading nothing of a response this long is\n"
		"                           dropped (default 30)\n"
		"  --tickets N              session tickets sent after each handshake, for\n"
		"                           resumption (default 2; 0: none, none accepted)\n"
		"  --ticket-lifetime S      how long a ticket resumes (default 7200)\n"
		"  --ticket-key-file FILE   ticket keys shared with other servers: 48 or 96\n"
		"                           random bytes, the issuing key first (default: our\n"
		"                           own, rotated every ticket lifetime)\n"
		"  --access-log FILE        one line per request (default: standard output)\n"
		"  --help\n\n"
		"SIGTERM or SIGINT: stop accepting, finish the responses in flight, send\n"
		"close_notify on every connection, and exit. SIGUSR1: a status line (open\n"
		"connections, handshakes, refusals, timeouts) on standard error.\n");
}

/* At a signal to stop: idle connections end now, the others once their
 * response is out. */
static void start_drain(struct server *s, unsigned signo)
{
	fprintf(stderr, "ktls-ctl serve: signal %u: finishing %u connection(s)\n", signo,
		s->nclients);
	s->draining = true;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
	close(s->lfd);
	s->lfd = -1;
	for (struct client *cl = s->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->st != ST_REQUEST || (cl->rb && cl->rb->inlen))
			continue;
		serve_client_close(s, cl, true);
		serve_drive(s, cl);
		if (cl->st == ST_CLOSED)
			serve_client_doom(s, cl, false); /* its events may be in hand */
	}
}

/* A burst of handshakes leaves the heap full of holes (each handshake
 * needed a few KiB for a moment), resident for good: once none is in
 * flight, at most once a second, the free pages go back to the kernel, so
 * that what stays resident is what idle connections hold. */
static void trim_heap(struct server *s)
{
	int64_t now = serve_now();
	if (!s->trim_due || s->hs_head || now - s->trimmed_at < 1000)
		return;
	malloc_trim(0);
	s->trim_due = false;
	s->trimmed_at = now;
}

static int serve_loop(struct server *s)
{
	struct epoll_event evs[256];
	int64_t grace_end = 0;
	for (;;) {
		if (s->draining && !s->nclients)
			return 0;
		if (s->draining && serve_now() >= grace_end) {
			/* The grace period is over: close_notify to whoever is left. */
			for (struct client *cl = s->clients, *next; cl; cl = next) {
				next = cl->next;
				if (cl->st > ST_HANDSHAKE && cl->st < ST_CLOSING)
					ktls_shutdown(cl->c);
				serve_client_free(s, cl);
			}
			return 0;
		}
		serve_listener_update(s);
		/* A tenth of a second: the granularity of deadlines and back-offs. */
		int n = epoll_wait(s->ep, evs, 256, 100);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "ktls-ctl serve: epoll_wait: %s\n", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &s->lfd) {
				if (s->lfd >= 0)
					serve_accept(s);
			} else if (evs[i].data.ptr == &s->sigfd) {
				struct signalfd_siginfo si;
				while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGUSR1) {
						serve_status(s, false);
					} else if (!s->draining) {
						start_drain(s, si.ssi_signo);
						grace_end = serve_now() + 10000;
					}
				}
			} else {
				struct client *cl = evs[i].data.ptr;
				if (cl->doomed)
					continue;
				if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					cl->readable = true;
				if (evs[i].events & EPOLLIN)
					serve_handshake_heard(s, cl);
				serve_drive(s, cl);
				if (cl->st == ST_CLOSED)
					serve_client_free(s, cl);
			}
		}
		serve_reap(s);
		serve_sweep(s);
		trim_heap(s);
	}
}

/* Thousands of connections need thousands of descriptors: two each (the
 * socket, the file being sent), and a few for the server itself. */
static void raise_fd_limit(unsigned max_clients)
{
	struct rlimit rl;
	rlim_t need = 2 * (rlim_t)max_clients + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < need) {
		rl.rlim_cur =
			rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need)
		fprintf(stderr,
			"ktls-ctl serve: the descriptor limit (RLIMIT_NOFILE %llu) is below the "
			"%llu "
			"that --max-connections %u needs: beyond about %llu connections, accepting "
			"pauses until descriptors free\n",
			(unsigned long long)rl.rlim_cur, (unsigned long long)need, max_clients,
			(unsigned long long)(rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / 2 : 0));
}

/* Ticket keys from a file of one or two keys (48 bytes each), kept from
 * other users: they decrypt every session of every server sharing them. */
static int load_ticket_keys(struct ktls_config *cfg, const char *path)
{
	uint8_t keys[2 * KTLS_TICKET_KEY_LEN + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n = fd < 0 ? -1 : read(fd, keys, sizeof(keys));
	int err = fd < 0 || n < 0 ? errno : 0;
	if (fd >= 0 && !fstat(fd, &st) && (st.st_mode & 077))
		fprintf(stderr, "ktls-ctl serve: %s: readable by others than its owner\n", path);
	if (fd >= 0)
		close(fd);
	if (!err && n != KTLS_TICKET_KEY_LEN && n != 2 * KTLS_TICKET_KEY_LEN)
		err = EINVAL;
	if (!err)
		err = -ktls_config_set_ticket_keys(cfg, keys, (size_t)n / KTLS_TICKET_KEY_LEN);
	OPENSSL_cleanse(keys, sizeof(keys));
	if (err)
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", path,
			err == EINVAL ? "not 48 or 96 bytes of ticket keys" : strerror(err));
	return err ? -1 : 0;
}

/* The numeric options: name, where the value goes, its range. */
struct num_opt {
	const char *name;
	uint64_t *v;
	uint64_t min, max;
};

static const struct num_opt *num_opt(const struct num_opt *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

int cmd_serve(int argc, char **argv)
{
	const char *addr = "::", *cert = NULL, *key = NULL, *root = ".", *logfile = NULL;
	uint64_t port = 8443, ku_bytes = 0, ku_seconds = 0, maxc = 10000, per_ip = 64, max_hs = 256,
		 hs_per_ip = 16, hs_timeout = 10, head_timeout = 10, idle = 30, send_timeout = 30,
		 tickets = 2, ticket_life = 7200;
	const char *ticket_keys = NULL;
	const struct num_opt nums[] = {
		{"--port", &port, 0, 65535},
		{"--key-update-bytes", &ku_bytes, 0, UINT64_MAX},
		{"--key-update-seconds", &ku_seconds, 0, 86400 * 365},
		{"--max-connections", &maxc, 1, 1000000},
		{"--max-connections-per-ip", &per_ip, 1, 1000000},
		{"--max-handshakes", &max_hs, 1, 1000000},
		{"--max-handshakes-per-ip", &hs_per_ip, 1, 1000000},
		{"--handshake-timeout", &hs_timeout, 1, 86400},
		{"--header-timeout", &head_timeout, 1, 86400},
		{"--idle-timeout", &idle, 1, 86400},
		{"--send-timeout", &send_timeout, 1, 86400},
		{"--tickets", &tickets, 0, 16},
		{"--ticket-lifetime", &ticket_life, 1, 604800},
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const struct num_opt *o = num_opt(nums, sizeof(nums) / sizeof(nums[0]), a);
		uint64_t num;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CTL_OK;
		} else if (a[0] != '-') {
			root = a;
			continue;
		} else if (!v) {
			fprintf(stderr, "ktls-ctl serve: %s needs a value\n", a);
			return CTL_USAGE;
		} else if (!strcmp(a, "--listen")) {
			addr = v;
		} else if (!strcmp(a, "--cert")) {
			cert = v;
		} else if (!strcmp(a, "--key")) {
			key = v;
		} else if (!strcmp(a, "--access-log")) {
			logfile = v;
		} else if (!strcmp(a, "--ticket-key-file")) {
			ticket_keys = v;
		} else if (o && !ctl_parse_size(v, &num)) {
			fprintf(stderr, "ktls-ctl serve: %s: not a number: '%s'\n", a, v);
			return CTL_USAGE;
		} else if (o && num >= o->min && num <= o->max) {
			*o->v = num;
		} else {
			fprintf(stderr, "ktls-ctl serve: bad option or value: %s %s\n", a, v);
			usage(stderr);
			return CTL_USAGE;
		}
		i++;
	}
	if (!cert != !key) {
		fprintf(stderr, "ktls-ctl serve: --cert and --key go together\n");
		return CTL_USAGE;
	}

	static struct server s; /* large (its read buffer): not on the stack */
	s = (struct server){.max_clients = (unsigned)maxc,
			    .max_per_ip = (unsigned)per_ip,
			    .max_hs = (unsigned)max_hs,
			    .max_hs_per_ip = (unsigned)hs_per_ip,
			    .log = stdout,
			    .lfd = -1,
			    .sigfd = -1,
			    .ep = -1};
	s.q[Q_HANDSHAKE].timeout = (int64_t)hs_timeout * 1000;
	s.q[Q_HEADER].timeout = (int64_t)head_timeout * 1000;
	s.q[Q_IDLE].timeout = (int64_t)idle * 1000;
	s.q[Q_SEND].timeout = (int64_t)send_timeout * 1000;
	s.q[Q_CLOSE].timeout = 2000;
	int rc = CTL_FAIL;
	struct ctl_tmpcert tc = {0};
	s.root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.root < 0) {
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", root, strerror(errno));
		return CTL_FAIL;
	}
	/* Files are opened through their O_PATH descriptor's /proc link. */
	if (access("/proc/self/fd", X_OK)) {
		fprintf(stderr, "ktls-ctl serve: /proc/self/fd: %s (is /proc mounted?)\n",
			strerror(errno));
		goto out;
	}
	if (logfile && !(s.log = fopen(logfile, "a"))) {
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", logfile, strerror(errno));
		goto out;
	}
	if (serve_accept_init(&s)) {
		fprintf(stderr, "ktls-ctl serve: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (!cert) {
		if (ctl_tmpcert_make(&tc, "serve")) {
			fprintf(stderr, "ktls-ctl serve: cannot make a certificate\n");
			goto out;
		}
		cert = tc.cert;
		key = tc.key;
		fprintf(stderr, "ktls-ctl serve: self-signed certificate for localhost: %s\n",
			cert);
	}
	s.cfg = ktls_config_new(KTLS_SERVER);
	int err = s.cfg ? ktls_config_add_cert_files(s.cfg, cert, key) : -ENOMEM;
	if (!err)
		err = ktls_config_set_key_update_policy(s.cfg, ku_bytes, 0, (unsigned)ku_seconds);
	if (!err)
		err = ktls_config_set_tickets(s.cfg, (unsigned)tickets);
	if (!err)
		err = ktls_config_set_ticket_lifetime(s.cfg, (unsigned)ticket_life);
	if (err) {
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", cert, ktls_strerror(err));
		goto out;
	}
	if (ticket_keys && load_ticket_keys(s.cfg, ticket_keys))
		goto out;
	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	if (ki.tls)
		fprintf(stderr, "ktls-ctl serve: %s: serving from the userspace record layer\n",
			ktls_strerror(ki.tls));
	else if (ki.rekey != 1 && (ku_bytes || ku_seconds))
		fprintf(stderr, "ktls-ctl serve: this kernel cannot re-key: with key updates, "
				"records are sealed in userspace (no sendfile offload)\n");

	raise_fd_limit(s.max_clients);
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s.lfd = listen_on(addr, (unsigned)port);
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.lfd < 0 || s.sigfd < 0 || s.ep < 0) {
		fprintf(stderr, "ktls-ctl serve: listen on [%s]:%u: %s\n", addr, (unsigned)port,
			strerror(errno));
		goto out;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s.lfd};
	epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &ev);
	s.listening = true;
	ev.data.ptr = &s.sigfd;
	epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sigfd, &ev);
	fprintf(stderr, "ktls-ctl serve: listening on https://[%s]:%u/ (root %s)\n", addr,
		local_port(s.lfd), root);
	if (!serve_loop(&s))
		rc = CTL_OK;
	serve_status(&s, true);
out:
	while (s.clients)
		serve_client_free(&s, s.clients);
	serve_accept_free(&s);
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.ep >= 0)
		close(s.ep);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.log && s.log != stdout)
		fclose(s.log);
	close(s.root);
	ktls_config_free(s.cfg);
	ctl_tmpcert_remove(&tc);
	return rc;
}
