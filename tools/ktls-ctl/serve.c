/* SPDX-License-Identifier: Apache-2.0 */
/* serve: the command line, the listener, signals and the event loop. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "selfsigned.h"

time_t serve_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

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
	fprintf(f, "usage: ktls-ctl serve [options] [ROOT]\n\n"
		   "Serves the files under ROOT (default: the current directory) over HTTPS/1.1\n"
		   "with TLS 1.3, the kernel encrypting where it can (sendfile through kTLS).\n\n"
		   "  --listen ADDR            address to listen on (default ::, IPv4 and IPv6)\n"
		   "  --port N                 port (default 8443; 0 picks a free one)\n"
		   "  --cert FILE --key FILE   certificate chain and key (PEM); without them a\n"
		   "                           fresh self-signed one for localhost is made\n"
		   "  --key-update-bytes N     update the sending key every N bytes (K, M, G "
		   "suffixes)\n"
		   "  --key-update-seconds N   update the sending key every N seconds\n"
		   "  --max-connections N      at most N at once (default 10000)\n"
		   "  --idle-timeout S         close connections idle (or in their handshake) for\n"
		   "                           S seconds (default 30)\n"
		   "  --access-log FILE        one line per request (default: standard output)\n"
		   "  --help\n\n"
		   "SIGTERM or SIGINT: stop accepting, finish the responses in flight, send\n"
		   "close_notify on every connection, and exit.\n");
}

static int serve_loop(struct server *s)
{
	struct epoll_event evs[256];
	time_t grace_end = 0, last_sweep = serve_mono();
	for (;;) {
		if (s->draining && !s->nclients)
			return 0;
		if (s->draining && serve_mono() >= grace_end) {
			/* The grace period is over: close_notify to whoever is left. */
			for (struct client *cl = s->clients, *next; cl; cl = next) {
				next = cl->next;
				if (cl->st < ST_CLOSING)
					ktls_shutdown(cl->c);
				serve_client_free(s, cl);
			}
			return 0;
		}
		int n = epoll_wait(s->ep, evs, 256, 1000);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "ktls-ctl serve: epoll_wait: %s\n", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &s->lfd) {
				serve_accept_all(s);
			} else if (evs[i].data.ptr == &s->sigfd) {
				struct signalfd_siginfo si;
				if (read(s->sigfd, &si, sizeof(si)) == sizeof(si) && !s->draining) {
					fprintf(stderr,
						"ktls-ctl serve: signal %u: finishing %u "
						"connection(s)\n",
						si.ssi_signo, s->nclients);
					s->draining = true;
					grace_end = serve_mono() + 10;
					epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
					close(s->lfd);
					s->lfd = -1;
					serve_sweep(s);
				}
			} else {
				struct client *cl = evs[i].data.ptr;
				if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					cl->readable = true;
				serve_drive(s, cl);
				if (cl->st == ST_CLOSED)
					serve_client_free(s, cl);
			}
		}
		if (serve_mono() != last_sweep) {
			last_sweep = serve_mono();
			serve_sweep(s);
		}
	}
}

int cmd_serve(int argc, char **argv)
{
	const char *addr = "::", *cert = NULL, *key = NULL, *root = ".", *logfile = NULL;
	unsigned port = 8443;
	uint64_t ku_bytes = 0, ku_seconds = 0, maxc = 10000, idle = 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
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
		} else if (!ctl_parse_size(v, &num)) {
			fprintf(stderr, "ktls-ctl serve: %s: not a number: '%s'\n", a, v);
			return CTL_USAGE;
		} else if (!strcmp(a, "--port") && num <= 65535) {
			port = (unsigned)num;
		} else if (!strcmp(a, "--key-update-bytes")) {
			ku_bytes = num;
		} else if (!strcmp(a, "--key-update-seconds") && num <= 86400 * 365) {
			ku_seconds = num;
		} else if (!strcmp(a, "--max-connections") && num && num <= 1000000) {
			maxc = num;
		} else if (!strcmp(a, "--idle-timeout") && num && num <= 86400) {
			idle = num;
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

	struct server s = {.idle_timeout = (unsigned)idle,
			   .max_clients = (unsigned)maxc,
			   .log = stdout,
			   .lfd = -1,
			   .sigfd = -1,
			   .ep = -1};
	int rc = CTL_FAIL;
	struct ctl_tmpcert tc = {0};
	s.root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.root < 0) {
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", root, strerror(errno));
		return CTL_FAIL;
	}
	if (logfile && !(s.log = fopen(logfile, "a"))) {
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", logfile, strerror(errno));
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
	if (err) {
		fprintf(stderr, "ktls-ctl serve: %s: %s\n", cert, ktls_strerror(err));
		goto out;
	}
	struct ktls_kernel_info ki;
	ktls_probe_kernel(&ki, 0);
	if (ki.tls)
		fprintf(stderr, "ktls-ctl serve: %s: serving from the userspace record layer\n",
			ktls_strerror(ki.tls));
	else if (ki.rekey != 1 && (ku_bytes || ku_seconds))
		fprintf(stderr, "ktls-ctl serve: this kernel cannot re-key: with key updates, "
				"records are sealed in userspace (no sendfile offload)\n");

	/* Thousands of connections need thousands of descriptors. */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s.lfd = listen_on(addr, port);
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.lfd < 0 || s.sigfd < 0 || s.ep < 0) {
		fprintf(stderr, "ktls-ctl serve: listen on [%s]:%u: %s\n", addr, port,
			strerror(errno));
		goto out;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s.lfd};
	epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &ev);
	ev.data.ptr = &s.sigfd;
	epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sigfd, &ev);
	fprintf(stderr, "ktls-ctl serve: listening on https://[%s]:%u/ (root %s)\n", addr,
		local_port(s.lfd), root);
	if (!serve_loop(&s))
		rc = CTL_OK;
	fprintf(stderr,
		"ktls-ctl serve: %llu connections, %llu requests, %llu handshake failures, "
		"%llu bytes sent, %llu key updates sent, %llu received\n",
		(unsigned long long)s.accepted, (unsigned long long)s.requests,
		(unsigned long long)s.handshake_failures, (unsigned long long)s.bytes,
		(unsigned long long)s.updates_sent, (unsigned long long)s.updates_received);
out:
	while (s.clients)
		serve_client_free(&s, s.clients);
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
