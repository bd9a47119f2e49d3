/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl serve: a static HTTPS/1.1 file server. One thread, one epoll
 * set, every socket non-blocking and edge-triggered: each event drives its
 * connection as far as it will go (handshake, request, head, body) until
 * the socket says EAGAIN. Bodies go out with sendfile() through kTLS; the
 * library performs the scheduled key updates on the way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "http.h"
#include "ktls/ktls.h"
#include "selfsigned.h"

enum cstate {
	ST_HANDSHAKE,
	ST_REQUEST,
	ST_HEAD,
	ST_BODY,
	ST_DONE,
	ST_CLOSING, /* close_notify going out */
	ST_LINGER,  /* our side shut; reading until the peer's end */
	ST_CLOSED,
};

struct client {
	int fd;
	struct ktls_conn *c;
	enum cstate st;
	char peer[INET6_ADDRSTRLEN + 8];
	time_t deadline;
	struct client *prev, *next;

	char in[HTTP_MAX_HEAD];
	size_t inlen, consumed;
	struct http_req req;
	bool parsed; /* req holds the request being answered */
	char head[1024];
	size_t hoff, hlen;
	int file;
	int64_t off, end;
	int status;
	bool keep_alive, notify;
	bool readable;	/* EPOLLIN seen and not yet read to EAGAIN */
	bool peer_done; /* close_notify received while we were sending */
	uint64_t body_bytes;
	/* At the end of the previous request (or the handshake): the log
	 * line counts the key updates since, reading the request included. */
	struct ktls_conn_stats st0;
};

struct server {
	struct ktls_config *cfg;
	int root, lfd, ep, sigfd;
	FILE *log;
	unsigned idle_timeout, max_clients;
	unsigned nclients;
	bool draining;
	struct client *clients;
	uint64_t accepted, requests, handshake_failures, bytes, updates_sent, updates_received;
};

static time_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void client_unlink(struct server *s, struct client *cl)
{
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	s->nclients--;
}

static void client_free(struct server *s, struct client *cl)
{
	struct ktls_conn_stats st;
	if (cl->c) {
		ktls_conn_stats(cl->c, &st);
		s->bytes += st.bytes_sent;
		s->updates_sent += st.key_updates_sent;
		s->updates_received += st.key_updates_received;
	}
	if (cl->file >= 0)
		close(cl->file);
	client_unlink(s, cl);
	ktls_conn_free(cl->c);
	close(cl->fd); /* also takes it out of the epoll set */
	free(cl);
}

/* Ends a connection: close_notify (unless the connection failed), then a
 * short wait for the peer's end so that closing with unread input does not
 * reset what we sent. */
static void client_close(struct client *cl, bool notify)
{
	cl->notify = notify;
	cl->st = ST_CLOSING;
	cl->deadline = mono() + 2;
}

static void log_text(char *out, const char *in)
{
	size_t i = 0;
	for (; in[i]; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f && in[i] != '"' ? in[i] : '?';
	if (!i)
		out[i++] = '-';
	out[i] = '\0';
}

/* The access log: who, what, the answer, and the key updates on the way. */
static void log_request(struct server *s, struct client *cl)
{
	struct ktls_conn_stats st;
	ktls_conn_stats(cl->c, &st);
	char when[64], method[sizeof(cl->req.method_text)], target[sizeof(cl->req.target)];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", localtime_r(&t, &tm));
	/* The request line is the client's text: printable ASCII only. */
	log_text(method, cl->req.method_text);
	log_text(target, cl->req.target);
	const struct ktls_hs *hs = ktls_conn_hs(cl->c);
	unsigned off = ktls_conn_offload(cl->c);
	fprintf(s->log, "%s - - [%s] \"%s %s\" %d %llu %s tx=%s rx=%s ku_sent=%llu ku_recv=%llu\n",
		cl->peer, when, method, target, cl->status, (unsigned long long)cl->body_bytes,
		hs ? ktls_suite_name(ktls_hs_suite(hs)) : "-",
		off & KTLS_OFFLOAD_TX ? "kernel" : "user",
		off & KTLS_OFFLOAD_RX ? "kernel" : "user",
		(unsigned long long)(st.key_updates_sent - cl->st0.key_updates_sent),
		(unsigned long long)(st.key_updates_received - cl->st0.key_updates_received));
	fflush(s->log);
	s->requests++;
	cl->st0 = st;
}

static long sys_openat2(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Opens the file a request names, never outside the root (the kernel
 * checks every component, symlinks included). An fd, or minus a status. */
static int open_beneath(int root, const char *path, struct stat *sb)
{
	long fd = sys_openat2(root, *path ? path : ".", O_RDONLY);
	if (fd >= 0 && !fstat((int)fd, sb) && S_ISDIR(sb->st_mode)) {
		long idx = sys_openat2((int)fd, "index.html", O_RDONLY);
		close((int)fd);
		fd = idx;
		if (fd < 0)
			return errno == ENOENT ? -403 : -500; /* no directory listings */
		if (fstat((int)fd, sb)) {
			close((int)fd);
			return -500;
		}
	}
	if (fd < 0) {
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
		case ENAMETOOLONG:
			return -404;
		case EXDEV: /* a symlink out of the root */
		case EACCES:
		case EPERM:
		case ELOOP:
			return -403;
		default:
			return -500;
		}
	}
	if (!S_ISREG(sb->st_mode)) {
		close((int)fd);
		return -403;
	}
	return (int)fd;
}

static void http_date(char *out, size_t n, time_t t)
{
	struct tm tm;
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
}

/* Builds the head (and a small body for errors) in cl->head. */
static void prepare_error(struct client *cl, int status, bool keep)
{
	char date[64], body[160];
	http_date(date, sizeof(date), time(NULL));
	int bn = snprintf(body, sizeof(body), "<html><body><h1>%d %s</h1></body></html>\n", status,
			  http_reason(status));
	cl->status = status;
	cl->keep_alive = keep;
	int n = snprintf(cl->head, sizeof(cl->head),
			 "HTTP/1.1 %d %s\r\nServer: ktls-ctl/%s\r\nDate: %s\r\n"
			 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
			 "Connection: %s\r\n\r\n%s",
			 status, http_reason(status), ktls_version_string(), date,
			 cl->parsed && cl->req.method == HTTP_HEAD ? 0 : bn,
			 keep ? "keep-alive" : "close",
			 cl->parsed && cl->req.method == HTTP_HEAD ? "" : body);
	cl->hlen = (size_t)n < sizeof(cl->head) ? (size_t)n : sizeof(cl->head) - 1;
	cl->hoff = 0;
	cl->body_bytes = cl->parsed && cl->req.method == HTTP_HEAD ? 0 : (uint64_t)bn;
	cl->end = cl->off = 0;
	cl->st = ST_HEAD;
}

static void prepare_response(struct server *s, struct client *cl)
{
	struct stat sb;
	int fd = open_beneath(s->root, cl->req.path, &sb);
	bool keep = cl->req.keep_alive && !s->draining;
	if (fd < 0) {
		prepare_error(cl, -fd, keep);
		return;
	}
	uint64_t first, last, size = (uint64_t)sb.st_size;
	int status = http_range(&cl->req, size, &first, &last);
	char date[64], mod[64], range[96] = "";
	http_date(date, sizeof(date), time(NULL));
	http_date(mod, sizeof(mod), sb.st_mtime);
	if (status == 416) {
		close(fd);
		prepare_error(cl, 416, keep);
		return;
	}
	uint64_t len = size ? last - first + 1 : 0;
	if (status == 206)
		snprintf(range, sizeof(range), "Content-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)size);
	cl->hlen = (size_t)snprintf(
		cl->head, sizeof(cl->head),
		"HTTP/1.1 %d %s\r\nServer: ktls-ctl/%s\r\nDate: %s\r\n"
		"Content-Type: %s\r\nContent-Length: %llu\r\n%s"
		"Accept-Ranges: bytes\r\nLast-Modified: %s\r\nConnection: %s\r\n\r\n",
		status, http_reason(status), ktls_version_string(), date,
		http_mime_type(cl->req.path), (unsigned long long)len, range, mod,
		keep ? "keep-alive" : "close");
	cl->hoff = 0;
	cl->status = status;
	cl->keep_alive = keep;
	if (cl->req.method == HTTP_HEAD || !len) {
		close(fd);
		cl->end = cl->off = 0;
	} else {
		cl->file = fd;
		cl->off = (int64_t)first;
		cl->end = (int64_t)(first + len);
	}
	cl->st = ST_HEAD;
}

/* Drives one connection until it would block, or ends it. */
static void drive(struct server *s, struct client *cl)
{
	for (;;) {
		long n;
		switch (cl->st) {
		case ST_HANDSHAKE:
			n = ktls_handshake(cl->c);
			if (n == -EAGAIN)
				return;
			if (n != 1) {
				s->handshake_failures++;
				fprintf(stderr, "ktls-ctl serve: %s: handshake: %s\n", cl->peer,
					ktls_strerror((int)n));
				client_close(cl, false);
				break;
			}
			cl->st = ST_REQUEST;
			cl->deadline = mono() + s->idle_timeout;
			ktls_conn_stats(cl->c, &cl->st0);
			break;
		case ST_REQUEST:
			n = http_parse_request(cl->in, cl->inlen, &cl->req);
			if (n > 0) {
				cl->consumed = (size_t)n;
				cl->parsed = true;
				prepare_response(s, cl);
				break;
			}
			if (n < 0) {
				/* Malformed: answer, then close (the stream may be out of step). */
				cl->parsed = false;
				prepare_error(cl, (int)-n, false);
				break;
			}
			if (s->draining && !cl->inlen) {
				client_close(cl, true);
				break;
			}
			n = ktls_read(cl->c, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				/* close_notify (0) or a failure: either way, the end. */
				if (n < 0 && cl->inlen)
					fprintf(stderr, "ktls-ctl serve: %s: %s\n", cl->peer,
						ktls_strerror((int)n));
				client_close(cl, n == 0);
				break;
			}
			cl->inlen += (size_t)n;
			cl->deadline = mono() + s->idle_timeout;
			break;
		case ST_HEAD:
			n = ktls_write(cl->c, cl->head + cl->hoff, cl->hlen - cl->hoff);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				fprintf(stderr, "ktls-ctl serve: %s: %s\n", cl->peer,
					ktls_strerror(n ? (int)n : -EIO));
				client_close(cl, false);
				break;
			}
			cl->hoff += (size_t)n;
			cl->deadline = mono() + s->idle_timeout;
			if (cl->hoff == cl->hlen)
				cl->st = cl->off < cl->end ? ST_BODY : ST_DONE;
			break;
		case ST_BODY:
			/* Read while sending: the peer's KeyUpdates (requests are
			 * answered before our next record) and pipelined requests. */
			if (cl->readable && !cl->peer_done && cl->inlen < sizeof(cl->in)) {
				n = ktls_read(cl->c, cl->in + cl->inlen,
					      sizeof(cl->in) - cl->inlen);
				if (n > 0) {
					cl->inlen += (size_t)n;
				} else if (n == 0) {
					cl->peer_done = true;
					cl->keep_alive = false;
				} else if (n == -EAGAIN) {
					cl->readable = false;
				} else {
					fprintf(stderr, "ktls-ctl serve: %s: %s\n", cl->peer,
						ktls_strerror((int)n));
					log_request(s, cl);
					client_close(cl, false);
					break;
				}
			}
			n = ktls_sendfile(cl->c, cl->file, &cl->off, (size_t)(cl->end - cl->off));
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				/* 0: the file shrank under us; the length is promised, so end. */
				fprintf(stderr, "ktls-ctl serve: %s: sendfile: %s\n", cl->peer,
					n ? ktls_strerror((int)n) : "file ended early");
				log_request(s, cl);
				client_close(cl, false);
				break;
			}
			cl->body_bytes += (uint64_t)n;
			cl->deadline = mono() + s->idle_timeout;
			if (cl->off == cl->end)
				cl->st = ST_DONE;
			break;
		case ST_DONE:
			/* The last record must be out before we wait for a request. */
			if (ktls_flush(cl->c) == -EAGAIN)
				return;
			log_request(s, cl);
			if (cl->file >= 0)
				close(cl->file);
			cl->file = -1;
			cl->body_bytes = 0;
			if (!cl->keep_alive || s->draining) {
				client_close(cl, true);
				break;
			}
			/* Keep-alive: a pipelined request may already be here. */
			memmove(cl->in, cl->in + cl->consumed, cl->inlen - cl->consumed);
			cl->inlen -= cl->consumed;
			cl->consumed = 0;
			cl->parsed = false;
			cl->st = ST_REQUEST;
			break;
		case ST_CLOSING:
			n = cl->notify ? ktls_shutdown(cl->c) : 0;
			if (n == -EAGAIN)
				return;
			cl->notify = false;
			if (ktls_flush(cl->c) == -EAGAIN)
				return;
			shutdown(cl->fd, SHUT_WR);
			cl->st = ST_LINGER;
			break;
		case ST_LINGER: {
			char sink[4096];
			n = ktls_read(cl->c, sink, sizeof(sink));
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				cl->st = ST_CLOSED;
				return;
			}
			break;
		}
		case ST_CLOSED:
			return;
		}
	}
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
		if (!strncmp(ip, "::ffff:", 7))
			memmove(ip, ip + 7, strlen(ip + 7) + 1);
	}
	snprintf(out, n, "%s:%u", ip, port);
}

static void accept_all(struct server *s)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				fprintf(stderr, "ktls-ctl serve: accept: %s\n", strerror(errno));
			return;
		}
		if (s->nclients >= s->max_clients) {
			close(fd); /* over the limit: refused before any TLS work */
			continue;
		}
		struct client *cl = calloc(1, sizeof(*cl));
		if (cl)
			cl->c = ktls_conn_new(s->cfg, fd, NULL);
		if (!cl || !cl->c) {
			free(cl);
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		cl->fd = fd;
		cl->file = -1;
		cl->st = ST_HANDSHAKE;
		cl->deadline = mono() + s->idle_timeout;
		addr_text(&ss, cl->peer, sizeof(cl->peer));
		cl->next = s->clients;
		if (s->clients)
			s->clients->prev = cl;
		s->clients = cl;
		s->nclients++;
		s->accepted++;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					 .data.ptr = cl};
		epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
		drive(s, cl);
		if (cl->st == ST_CLOSED)
			client_free(s, cl);
	}
}

/* Once a second: connections past their deadline end. */
static void sweep(struct server *s)
{
	time_t now = mono();
	for (struct client *cl = s->clients, *next; cl; cl = next) {
		next = cl->next;
		if (cl->st == ST_CLOSED || now >= cl->deadline) {
			if (cl->st == ST_BODY || cl->st == ST_HEAD)
				fprintf(stderr, "ktls-ctl serve: %s: timed out sending\n",
					cl->peer);
			if (cl->st == ST_HANDSHAKE) {
				s->handshake_failures++;
				fprintf(stderr, "ktls-ctl serve: %s: handshake timed out\n",
					cl->peer);
			}
			client_free(s, cl);
		} else if (s->draining && cl->st == ST_REQUEST && !cl->inlen) {
			client_close(cl, true);
		}
	}
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

/* "64K", "4M", "1G", or plain bytes; false if malformed. */
bool ctl_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	unsigned shift = 0;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static int serve_loop(struct server *s)
{
	struct epoll_event evs[256];
	time_t grace_end = 0, last_sweep = mono();
	for (;;) {
		if (s->draining && !s->nclients)
			return 0;
		if (s->draining && mono() >= grace_end) {
			/* The grace period is over: close_notify to whoever is left. */
			for (struct client *cl = s->clients, *next; cl; cl = next) {
				next = cl->next;
				if (cl->st < ST_CLOSING)
					ktls_shutdown(cl->c);
				client_free(s, cl);
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
				accept_all(s);
			} else if (evs[i].data.ptr == &s->sigfd) {
				struct signalfd_siginfo si;
				if (read(s->sigfd, &si, sizeof(si)) == sizeof(si) && !s->draining) {
					fprintf(stderr,
						"ktls-ctl serve: signal %u: finishing %u "
						"connection(s)\n",
						si.ssi_signo, s->nclients);
					s->draining = true;
					grace_end = mono() + 10;
					epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
					close(s->lfd);
					s->lfd = -1;
					sweep(s);
				}
			} else {
				struct client *cl = evs[i].data.ptr;
				if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					cl->readable = true;
				drive(s, cl);
				if (cl->st == ST_CLOSED)
					client_free(s, cl);
			}
		}
		if (mono() != last_sweep) {
			last_sweep = mono();
			sweep(s);
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
		client_free(&s, s.clients);
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
