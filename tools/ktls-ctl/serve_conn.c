/* SPDX-License-Identifier: Apache-2.0 */
/* serve: one connection's life (handshake, requests, bodies, the close),
 * and what each of its deadlines means when it passes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

void serve_client_free(struct server *s, struct client *cl)
{
	s->trim_due = true;
	struct ktls_conn_stats st;
	if (cl->c) {
		ktls_conn_stats(cl->c, &st);
		s->n.bytes += st.bytes_sent;
		s->n.updates_sent += st.key_updates_sent;
		s->n.updates_received += st.key_updates_received;
	}
	if (cl->file >= 0)
		close(cl->file);
	serve_timer_stop(s, cl);
	serve_address_release(s, cl);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	s->nclients--;
	free(cl->rb);
	ktls_conn_free(cl->c);
	close(cl->fd); /* also takes it out of the epoll set */
	free(cl);
}

/* Drops a client that misbehaves with a reset: no FIN queued behind data
 * it will never read, no orphaned socket holding that data in the kernel. */
void serve_client_abort(struct server *s, struct client *cl)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(cl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	serve_client_free(s, cl);
}

void serve_client_doom(struct server *s, struct client *cl, bool abort)
{
	if (cl->doomed)
		return;
	serve_handshake_over(s, cl);
	serve_timer_stop(s, cl);
	cl->st = ST_CLOSED;
	cl->doomed = true;
	cl->abort = abort;
	cl->tnext = s->doomed; /* the queue links are free now */
	s->doomed = cl;
}

void serve_reap(struct server *s)
{
	while (s->doomed) {
		struct client *cl = s->doomed;
		s->doomed = cl->tnext;
		cl->tnext = NULL;
		if (cl->abort)
			serve_client_abort(s, cl);
		else
			serve_client_free(s, cl);
	}
}

/* Ends a connection: close_notify (unless the connection failed), then a
 * short wait for the peer's end so that closing with unread input does not
 * reset what we sent. */
void serve_client_close(struct server *s, struct client *cl, bool notify)
{
	serve_handshake_over(s, cl);
	cl->notify = notify;
	cl->st = ST_CLOSING;
	serve_timer(s, cl, Q_CLOSE);
}

void serve_expire(struct server *s, struct client *cl)
{
	switch (cl->q) {
	case Q_HANDSHAKE:
		s->n.to_handshake++;
		serve_warn(s, "ktls-ctl serve: %s: handshake timed out", cl->peer);
		serve_client_abort(s, cl);
		return;
	case Q_HEADER:
		/* However many bytes came: the head's deadline is a total. */
		s->n.to_header++;
		serve_warn(s, "ktls-ctl serve: %s: request head timed out", cl->peer);
		break;
	case Q_IDLE:
		s->n.to_idle++;
		break;
	case Q_SEND:
		s->n.to_send++;
		serve_warn(s, "ktls-ctl serve: %s: timed out sending (the client reads nothing)",
			   cl->peer);
		serve_log_request(s, cl);
		serve_client_abort(s, cl);
		return;
	default: /* Q_CLOSE: the peer did not end in time */
		serve_client_free(s, cl);
		return;
	}
	serve_client_close(s, cl, true);
	serve_drive(s, cl);
	if (cl->st == ST_CLOSED)
		serve_client_free(s, cl);
}

/* Whether bytes just read may end or refuse the head: a line's end, or a
 * control character that no head may hold. Until then, no parse. */
static bool may_decide(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t' && p[i] != '\r')
			return true;
	return false;
}

/* The request state: parse what is in, or read more. True when the
 * socket has nothing more for now. */
static bool drive_request(struct server *s, struct client *cl)
{
	struct reqbuf *rb = cl->rb;
	if (rb && rb->fresh) {
		rb->fresh = false;
		long n = http_parse_request(rb->in, rb->inlen, &rb->req);
		if (n > 0) {
			rb->consumed = (size_t)n;
			cl->parsed = true;
			serve_prepare_response(s, cl);
			serve_timer(s, cl, Q_SEND);
			return false;
		}
		if (n < 0) {
			/* Malformed: answer, then close (the stream may be out of step). */
			s->n.bad_requests++;
			cl->parsed = false;
			serve_prepare_error(cl, (int)-n, false);
			serve_timer(s, cl, Q_SEND);
			return false;
		}
	}
	if (s->draining && !(rb && rb->inlen)) {
		serve_client_close(s, cl, true);
		return false;
	}
	char *to = rb ? rb->in + rb->inlen : s->scratch;
	long n = ktls_read(cl->c, to, rb ? sizeof(rb->in) - rb->inlen : sizeof(s->scratch));
	if (n == -EAGAIN)
		return true;
	if (n <= 0) {
		/* close_notify (0) or a failure: either way, the end. */
		if (n < 0 && rb && rb->inlen)
			serve_warn(s, "ktls-ctl serve: %s: %s", cl->peer, ktls_strerror((int)n));
		serve_client_close(s, cl, n == 0);
		return false;
	}
	if (!rb) {
		/* The first byte of a request: now it needs its buffers. */
		if (!(rb = malloc(sizeof(*rb)))) {
			serve_client_close(s, cl, false);
			return false;
		}
		rb->inlen = rb->consumed = 0;
		memcpy(rb->in, s->scratch, (size_t)n);
		cl->rb = rb;
	}
	if (cl->q == Q_IDLE)
		serve_timer(s, cl, Q_HEADER); /* a head has begun */
	rb->fresh = may_decide(rb->in + rb->inlen, (size_t)n) ||
		    rb->inlen + (size_t)n == sizeof(rb->in);
	rb->inlen += (size_t)n;
	return false;
}

/* The response is out: log it, then wait for the next request (or end). */
static void drive_done(struct server *s, struct client *cl)
{
	struct reqbuf *rb = cl->rb;
	serve_log_request(s, cl);
	if (cl->file >= 0)
		close(cl->file);
	cl->file = -1;
	cl->body_bytes = 0;
	cl->parsed = false;
	if (!cl->keep_alive || s->draining) {
		serve_client_close(s, cl, true);
		return;
	}
	cl->st = ST_REQUEST;
	/* Keep-alive: a pipelined request may already be here. */
	memmove(rb->in, rb->in + rb->consumed, rb->inlen - rb->consumed);
	rb->inlen -= rb->consumed;
	rb->consumed = 0;
	if (rb->inlen) {
		rb->fresh = true;
		serve_timer(s, cl, Q_HEADER);
	} else {
		free(rb); /* idle connections hold no request buffers */
		cl->rb = NULL;
		serve_timer(s, cl, Q_IDLE);
	}
}

/* While a body goes out: the peer's KeyUpdates (requests are answered
 * before our next record) and pipelined requests. False if it failed. */
static bool read_while_sending(struct server *s, struct client *cl)
{
	struct reqbuf *rb = cl->rb;
	if (!cl->readable || cl->peer_done || rb->inlen == sizeof(rb->in))
		return true;
	long n = ktls_read(cl->c, rb->in + rb->inlen, sizeof(rb->in) - rb->inlen);
	if (n > 0) {
		rb->inlen += (size_t)n;
	} else if (n == 0) {
		cl->peer_done = true;
		cl->keep_alive = false;
	} else if (n == -EAGAIN) {
		cl->readable = false;
	} else {
		serve_warn(s, "ktls-ctl serve: %s: %s", cl->peer, ktls_strerror((int)n));
		serve_log_request(s, cl);
		serve_client_close(s, cl, false);
		return false;
	}
	return true;
}

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
				s->n.handshake_failures++;
				serve_warn(s, "ktls-ctl serve: %s: handshake: %s", cl->peer,
					   ktls_strerror((int)n));
				serve_client_close(s, cl, false);
				break;
			}
			serve_handshake_over(s, cl);
			s->n.resumed += (uint64_t)ktls_hs_resumed(ktls_conn_hs(cl->c));
			cl->st = ST_REQUEST;
			serve_timer(s, cl, Q_HEADER); /* the first request is due now */
			ktls_conn_stats(cl->c, &cl->st0);
			break;
		case ST_REQUEST:
			if (drive_request(s, cl))
				return;
			break;
		case ST_HEAD:
			n = ktls_write(cl->c, cl->rb->head + cl->hoff, cl->hlen - cl->hoff);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				serve_warn(s, "ktls-ctl serve: %s: %s", cl->peer,
					   ktls_strerror(n ? (int)n : -EIO));
				serve_client_close(s, cl, false);
				break;
			}
			cl->hoff += (size_t)n;
			serve_timer(s, cl, Q_SEND);
			if (cl->hoff == cl->hlen)
				cl->st = cl->off < cl->end ? ST_BODY : ST_DONE;
			break;
		case ST_BODY:
			if (!read_while_sending(s, cl))
				break;
			n = ktls_sendfile(cl->c, cl->file, &cl->off, (size_t)(cl->end - cl->off));
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				/* 0: the file shrank under us; the length is promised, so end. */
				serve_warn(s, "ktls-ctl serve: %s: sendfile: %s", cl->peer,
					   n ? ktls_strerror((int)n) : "file ended early");
				serve_log_request(s, cl);
				serve_client_close(s, cl, false);
				break;
			}
			cl->body_bytes += (uint64_t)n;
			serve_timer(s, cl, Q_SEND);
			if (cl->off == cl->end)
				cl->st = ST_DONE;
			break;
		case ST_DONE:
			/* The last record must be out before we wait for a request. */
			if (ktls_flush(cl->c) == -EAGAIN)
				return;
			drive_done(s, cl);
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
