/* SPDX-License-Identifier: Apache-2.0 */
/* serve: one connection's life (handshake, requests, bodies, the close),
 * accepting new ones, and the deadlines. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

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

void serve_client_free(struct server *s, struct client *cl)
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
void serve_client_close(struct client *cl, bool notify)
{
	cl->notify = notify;
	cl->st = ST_CLOSING;
	cl->deadline = serve_mono() + 2;
}

/* Drives one connection until it would block, or ends it. */
void serve_drive(struct server *s, struct client *cl)
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
				serve_client_close(cl, false);
				break;
			}
			cl->st = ST_REQUEST;
			cl->deadline = serve_mono() + s->idle_timeout;
			ktls_conn_stats(cl->c, &cl->st0);
			break;
		case ST_REQUEST:
			n = http_parse_request(cl->in, cl->inlen, &cl->req);
			if (n > 0) {
				cl->consumed = (size_t)n;
				cl->parsed = true;
				serve_prepare_response(s, cl);
				break;
			}
			if (n < 0) {
				/* Malformed: answer, then close (the stream may be out of step). */
				cl->parsed = false;
				serve_prepare_error(cl, (int)-n, false);
				break;
			}
			if (s->draining && !cl->inlen) {
				serve_client_close(cl, true);
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
				serve_client_close(cl, n == 0);
				break;
			}
			cl->inlen += (size_t)n;
			cl->deadline = serve_mono() + s->idle_timeout;
			break;
		case ST_HEAD:
			n = ktls_write(cl->c, cl->head + cl->hoff, cl->hlen - cl->hoff);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				fprintf(stderr, "ktls-ctl serve: %s: %s\n", cl->peer,
					ktls_strerror(n ? (int)n : -EIO));
				serve_client_close(cl, false);
				break;
			}
			cl->hoff += (size_t)n;
			cl->deadline = serve_mono() + s->idle_timeout;
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
					serve_log_request(s, cl);
					serve_client_close(cl, false);
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
				serve_log_request(s, cl);
				serve_client_close(cl, false);
				break;
			}
			cl->body_bytes += (uint64_t)n;
			cl->deadline = serve_mono() + s->idle_timeout;
			if (cl->off == cl->end)
				cl->st = ST_DONE;
			break;
		case ST_DONE:
			/* The last record must be out before we wait for a request. */
			if (ktls_flush(cl->c) == -EAGAIN)
				return;
			serve_log_request(s, cl);
			if (cl->file >= 0)
				close(cl->file);
			cl->file = -1;
			cl->body_bytes = 0;
			if (!cl->keep_alive || s->draining) {
				serve_client_close(cl, true);
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

void serve_accept_all(struct server *s)
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
		cl->deadline = serve_mono() + s->idle_timeout;
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
		serve_drive(s, cl);
		if (cl->st == ST_CLOSED)
			serve_client_free(s, cl);
	}
}

/* Once a second: connections past their deadline end. */
void serve_sweep(struct server *s)
{
	time_t now = serve_mono();
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
			serve_client_free(s, cl);
		} else if (s->draining && cl->st == ST_REQUEST && !cl->inlen) {
			serve_client_close(cl, true);
		}
	}
}
