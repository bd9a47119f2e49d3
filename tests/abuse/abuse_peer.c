/* SPDX-License-Identifier: Apache-2.0 */
/* The abuse test's peers: what each kind does on its connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "abuse.h"

enum {
	P_CONNECT,
	P_HANDSHAKE,
	P_SEND,
	P_HEAD,
	P_BODY,
	P_TRICKLE,
	P_HOLD,
	P_DRAIN,
	P_WAIT,	  /* TLS up, nothing to do: until the server ends it */
	P_NOREAD, /* until the server resets it */
	P_END
};

double abuse_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The malformed heads: what each sends and the status it must get (-4:
 * any 4xx; 0: the handshake itself refused). Long and random ones are made
 * at the time. */
static const struct {
	const char *name, *text;
	size_t len;
	int status;
} mal[] = {
#define M(name, text, status)                                                                      \
	{                                                                                          \
		name, text, sizeof(text) - 1, status                                               \
	}
	M("random bytes", "", -4),
	M("an 8 KiB request line", "", 414),
	M("an 8 KiB header line", "", 431),
	M("NULs in the request line", "GET /\0\0 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	M("Content-Length beside chunked",
	  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "0\r\n\r\n",
	  400),
	M("two Content-Length",
	  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 6\r\n\r\n", 400),
	M("Content-Length : with a space",
	  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello", 400),
	M("a chunked body on GET",
	  "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	  400),
	M("Transfer-Encoding: xchunked",
	  "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
	M("a folded Transfer-Encoding",
	  "GET / HTTP/1.1\r\nHost: x\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n", 400),
	M("a bare CR", "GET / HTTP/1.1\rHost: x\r\n\r\n", 400),
	M("terminal escapes in the target",
	  "GET /\x1b[2J\x1b]0;pwned\x07 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	M("escapes and high bytes, encoded",
	  "GET /%1b[2J\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
	M("an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
	M("random bytes before TLS", "", 0),
#undef M
};

int abuse_malformed_count(void)
{
	return (int)(sizeof(mal) / sizeof(mal[0]));
}

const char *abuse_malformed_name(int v)
{
	return mal[v].name;
}

int abuse_malformed_status(int v)
{
	return mal[v].status;
}

/* The bytes of malformed head v into out (at least 9000 bytes). */
static size_t malformed_bytes(int v, uint64_t seed, char *out)
{
	if (v == 0 || mal[v].status == 0) {
		for (size_t i = 0; i < 512; i++) { /* xorshift: a different head per peer */
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			out[i] = (char)(seed >> 24);
		}
		return 512;
	}
	if (v == 1 || v == 2) {
		const char *start = v == 1 ? "GET /" : "GET / HTTP/1.1\r\nHost: x\r\nX-Long: ";
		size_t n = strlen(start);
		memcpy(out, start, n);
		memset(out + n, 'a', 8192 + 100 - n);
		memcpy(out + 8192 + 100, "\r\n\r\n", 4);
		return 8192 + 104;
	}
	memcpy(out, mal[v].text, mal[v].len);
	return mal[v].len;
}

struct peer *abuse_open(struct world *w, enum kind kind, int variant, unsigned net, unsigned host)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->kind = kind;
	p->variant = variant;
	p->t0 = abuse_now();
	struct sockaddr_in from = {.sin_family = AF_INET};
	from.sin_addr.s_addr = htonl(0x7f000000u | (net & 0xff) << 8 | (host & 0xff));
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int small = 4096; /* K_NOREAD: the server's sending stalls soon */
	if (kind == K_NOREAD && p->fd >= 0)
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&from, sizeof(from)) ||
	    (connect(p->fd, (struct sockaddr *)&w->server, sizeof(w->server)) &&
	     errno != EINPROGRESS)) {
		fprintf(stderr, "abuse: connect from 127.0.%u.%u: %s\n", net, host,
			strerror(errno));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return NULL;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.ptr = p};
	epoll_ctl(w->ep, EPOLL_CTL_ADD, p->fd, &ev);
	return p;
}

void abuse_close(struct peer *p)
{
	ktls_conn_free(p->c);
	p->c = NULL;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (!p->t_end)
		p->t_end = abuse_now();
	p->st = P_END;
}

static void end(struct peer *p, bool done, bool dropped, bool failed)
{
	p->done = done;
	p->dropped = dropped;
	p->failed = failed;
	p->t_end = abuse_now();
	abuse_close(p);
}

/* Connected: the first move of each kind. */
static void start(struct world *w, struct peer *p)
{
	if (p->kind == K_RAW) {
		p->t_up = abuse_now();
		p->st = P_HOLD;
	} else if (p->kind == K_STALLED) {
		/* Variant 0 sends half its ClientHello, 1 all of it (the server
		 * then does its key exchange and signs, and hears nothing back). */
		size_t n = p->variant ? w->hello_len : w->hello_len / 2;
		if (send(p->fd, w->hello, n, MSG_NOSIGNAL) != (ssize_t)n)
			return end(p, false, false, true);
		p->t_up = abuse_now();
		p->st = P_HOLD;
	} else if (p->kind == K_MALFORMED && mal[p->variant].status == 0) {
		char junk[9000];
		size_t n = malformed_bytes(p->variant, (uint64_t)p->fd * 2654435761u + 1, junk);
		if (send(p->fd, junk, n, MSG_NOSIGNAL) != (ssize_t)n)
			return end(p, false, false, true);
		p->t_up = abuse_now();
		p->st = P_HOLD;
	} else {
		p->c = ktls_conn_new(w->cfg, p->fd, "localhost");
		p->st = p->c ? P_HANDSHAKE : P_END;
		if (!p->c)
			end(p, false, false, true);
	}
}

/* A response head is in p->in: its status, and where its body starts. */
static bool head_done(struct peer *p, size_t *body_at)
{
	char *e = memmem(p->in, p->inlen, "\r\n\r\n", 4);
	if (!e)
		return false;
	*body_at = (size_t)(e + 4 - p->in);
	if (p->inlen < 12 || strncmp(p->in, "HTTP/1.1 ", 9))
		p->status = -1;
	else
		p->status = atoi(p->in + 9);
	return true;
}

static void body_bytes(struct world *w, struct peer *p, const char *b, size_t n)
{
	if (p->body + n > w->file_len || memcmp(b, w->file + p->body, n)) {
		fprintf(stderr, "abuse: a download differs at byte %llu\n",
			(unsigned long long)p->body);
		return end(p, false, false, true);
	}
	p->body += n;
	if (p->body == w->file_len && p->kind == K_KEEPALIVE) {
		p->done = true; /* served; now idle on the kept connection */
		p->t_up = abuse_now();
		p->st = P_WAIT;
	} else if (p->body == w->file_len) {
		end(p, true, false, false);
	}
}

bool abuse_ticks(const struct peer *p, double now)
{
	return p->st == P_NOREAD || (p->st == P_TRICKLE && now >= p->next_byte);
}

void abuse_step(struct world *w, struct peer *p)
{
	for (;;) {
		long n;
		switch (p->st) {
		case P_CONNECT: {
			int e = 0;
			socklen_t sl = sizeof(e);
			struct sockaddr_storage peer;
			getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &sl);
			if (e)
				return end(p, false, p->kind != K_NORMAL, p->kind == K_NORMAL);
			sl = sizeof(peer);
			if (getpeername(p->fd, (struct sockaddr *)&peer, &sl))
				return; /* still connecting */
			start(w, p);
			break;
		}
		case P_HANDSHAKE:
			n = ktls_handshake(p->c);
			if (n == -EAGAIN)
				return;
			if (n != 1) {
				if (p->kind == K_NORMAL)
					fprintf(stderr, "abuse: a client's handshake: %s\n",
						ktls_strerror((int)n));
				/* Refused at once (a limit): dropped, with no t_up. */
				bool refusable = p->kind == K_SLOWLORIS || p->kind == K_IDLE;
				return end(p, false, refusable, !refusable);
			}
			p->t_up = p->kind == K_IDLE ? 0 : abuse_now(); /* K_IDLE: at its answer */
			p->st = p->kind == K_SLOWLORIS ? P_TRICKLE : P_SEND;
			p->next_byte = abuse_now();
			break;
		case P_SEND: {
			/* Normal: the request; malformed: its head (long ones made again). */
			static char text[9000];
			const char *b = p->kind == K_KEEPALIVE ? w->request_ka
					: p->kind == K_NOREAD  ? w->request_big
					: p->kind == K_IDLE    ? w->request_head
							       : w->request;
			size_t len = p->kind == K_KEEPALIVE ? w->request_ka_len
				     : p->kind == K_NOREAD  ? w->request_big_len
				     : p->kind == K_IDLE    ? w->request_head_len
							    : w->request_len;
			if (p->kind == K_MALFORMED) {
				len = malformed_bytes(p->variant, (uint64_t)p->fd + 7, text);
				b = text;
			}
			n = ktls_write(p->c, b + p->off, len - p->off);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				/* A server that refused at once may be gone already:
				 * its answer is still to be read. */
				if (p->kind != K_MALFORMED)
					return end(p, false, false, true);
				n = (long)(len - p->off);
			}
			p->off += (size_t)n;
			if (p->off == len && p->kind == K_NOREAD) {
				p->t_up = abuse_now();
				p->st = P_NOREAD;
			} else if (p->off == len) {
				p->st = P_HEAD;
				p->inlen = 0;
			}
			break;
		}
		case P_HEAD: {
			n = ktls_read(p->c, p->in + p->inlen, sizeof(p->in) - p->inlen);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				if (p->kind == K_NORMAL)
					fprintf(stderr, "abuse: a response head: %s\n",
						n ? ktls_strerror((int)n) : "closed");
				p->clean = n == 0;
				return end(p, p->kind == K_MALFORMED, false, p->kind == K_NORMAL);
			}
			p->inlen += (size_t)n;
			size_t at;
			if (!head_done(p, &at)) {
				if (p->inlen == sizeof(p->in))
					return end(p, false, false, true);
				break;
			}
			if (p->kind == K_MALFORMED) {
				p->st = P_DRAIN;
				break;
			}
			if (p->kind == K_IDLE && p->status == 200) {
				p->t_up = abuse_now();
				p->st = P_WAIT;
				break;
			}
			if (p->status != 200) {
				fprintf(stderr, "abuse: a client got status %d\n", p->status);
				return end(p, false, false, true);
			}
			p->st = P_BODY;
			if (p->inlen > at)
				body_bytes(w, p, p->in + at, p->inlen - at);
			break;
		}
		case P_BODY: {
			static char buf[1 << 16];
			n = ktls_read(p->c, buf, sizeof(buf));
			if (n == -EAGAIN)
				return;
			if (n <= 0)
				return end(p, false, false, true);
			body_bytes(w, p, buf, (size_t)n);
			break;
		}
		case P_DRAIN: {
			char sink[4096];
			n = ktls_read(p->c, sink, sizeof(sink));
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				p->clean = n == 0;
				return end(p, true, false, false);
			}
			break;
		}
		case P_TRICKLE: {
			static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
			char sink[256];
			n = ktls_read(p->c, sink, sizeof(sink));
			if (n != -EAGAIN)
				return end(p, false, true, false); /* the server ended it */
			if (abuse_now() < p->next_byte)
				return;
			char ch = p->off < sizeof(head) - 1 ? head[p->off] : 'a';
			n = ktls_write(p->c, &ch, 1);
			if (n == -EAGAIN)
				return;
			if (n != 1)
				return end(p, false, true, false);
			p->off++;
			p->next_byte += 1.0;
			return;
		}
		case P_WAIT: {
			char sink[256];
			n = ktls_read(p->c, sink, sizeof(sink));
			if (n == -EAGAIN)
				return;
			if (n > 0)
				break;
			p->clean = n == 0;
			p->dropped = true;
			p->t_end = abuse_now();
			abuse_close(p);
			return;
		}
		case P_NOREAD: {
			/* Never a read: only whether the server has given up. */
			int e = 0;
			socklen_t sl = sizeof(e);
			getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &sl);
			if (e)
				return end(p, false, true, false);
			return;
		}
		case P_HOLD: {
			char sink[4096];
			n = recv(p->fd, sink, sizeof(sink), 0);
			if (n > 0)
				break; /* the server's flight, never answered */
			if (n < 0 && errno == EAGAIN)
				return;
			p->clean = n == 0;
			return end(p, p->kind == K_MALFORMED, p->kind != K_MALFORMED, false);
		}
		default:
			return;
		}
	}
}
