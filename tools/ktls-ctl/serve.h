/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl serve: a static HTTPS/1.1 file server. One thread, one epoll
 * set, every socket non-blocking and edge-triggered: each event drives its
 * connection as far as it will go (handshake, request, head, body) until
 * the socket says EAGAIN. Bodies go out with sendfile() through kTLS; the
 * library performs the scheduled key updates on the way.
 *
 * serve.c: options, the listener and the event loop; serve_conn.c: the
 * per-connection state machine, accepting and deadlines; serve_file.c:
 * the file responder and the access log.
 */
#ifndef KTLS_CTL_SERVE_H
#define KTLS_CTL_SERVE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "http.h"
#include "ktls/ktls.h"

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

/* Monotonic seconds: the clock of every deadline. */
time_t serve_mono(void);

/* serve_conn.c */
void serve_accept_all(struct server *s);
/* Drives one connection until it would block, or ends it. */
void serve_drive(struct server *s, struct client *cl);
void serve_client_close(struct client *cl, bool notify);
void serve_client_free(struct server *s, struct client *cl);
/* Once a second: connections past their deadline end. */
void serve_sweep(struct server *s);

/* serve_file.c */
/* The response to the parsed request in cl->req: head in cl->head, the
 * file's range in cl->file/off/end. */
void serve_prepare_response(struct server *s, struct client *cl);
/* An error page (status), keeping the connection if keep. */
void serve_prepare_error(struct client *cl, int status, bool keep);
/* One access-log line for the request just answered. */
void serve_log_request(struct server *s, struct client *cl);

#endif
