/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl serve: a static HTTPS/1.1 file server. One thread, one epoll
 * set, every socket non-blocking and edge-triggered: each event drives its
 * connection as far as it will go (handshake, request, head, body) until
 * the socket says EAGAIN. Bodies go out with sendfile() through kTLS; the
 * library performs the scheduled key updates on the way.
 *
 * No client can hold it: every wait has a deadline that bytes trickling in
 * do not extend, each address has its share of connections and handshakes,
 * handshakes in flight are capped (the oldest stalled one makes room), and
 * running out of descriptors pauses accepting instead of spinning.
 *
 * serve.c: options, the listener and the event loop; serve_conn.c: the
 * per-connection state machine; serve_accept.c: accepting, per-address
 * limits, the handshake cap, descriptor shortages; serve_timer.c: the
 * deadline queues; serve_file.c: the file responder; serve_log.c: the
 * access log, warnings and the status line.
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

/*
 * The deadline queues: a connection is in exactly one, by what it waits
 * for. Each queue has one timeout, so appending keeps it in deadline order
 * and the sweep looks at its heads only. Handshakes count from the accept,
 * a request head from the end of the handshake (the first) or from its
 * first byte (the next ones on a kept connection), idleness from the end of
 * a response, sending from the last write that moved bytes.
 */
enum tqueue { Q_HANDSHAKE, Q_HEADER, Q_IDLE, Q_SEND, Q_CLOSE, Q_COUNT, Q_NONE = Q_COUNT };

struct client;
struct tq {
	struct client *head, *tail;
	unsigned n;
	int64_t timeout; /* ms */
};

/* A handshake that has heard nothing from its client for this long (ms)
 * may be dropped to make room for a new one: a well-behaved client answers
 * within a round trip, and a newcomer waits at most this long behind a
 * burst of stalled ones. */
#define SERVE_HS_STALLED 500
/* After EMFILE/ENFILE, accepting waits this long (ms) before trying again. */
#define SERVE_FD_BACKOFF 100

/* A request's buffers: allocated at its first byte, freed once the
 * connection is idle again. */
struct reqbuf {
	size_t inlen, consumed;
	bool fresh; /* bytes came that may end or refuse the head */
	struct http_req req;
	char head[1024]; /* the response head */
	char in[HTTP_MAX_HEAD];
};

/* Connections and handshakes from one address (an IPv6 /64), serve_accept.c. */
struct ipent {
	struct ipent *next;
	uint8_t key[16];
	unsigned conns, handshakes;
};

struct client {
	int fd;
	struct ktls_conn *c;
	enum cstate st;
	char peer[INET6_ADDRSTRLEN + 8];
	struct ipent *ip;
	struct client *prev, *next;   /* every connection */
	struct client *tprev, *tnext; /* its deadline queue */
	struct client *hprev, *hnext; /* handshakes, the least recently heard first */
	bool in_hs;		      /* in that list */
	int64_t heard;		      /* ms: its last input in the handshake */
	enum tqueue q;
	int64_t born, deadline; /* ms */
	struct reqbuf *rb;
	bool parsed; /* rb->req holds the request being answered */
	size_t hoff, hlen;
	int file;
	int64_t off, end;
	int status;
	bool keep_alive, notify;
	bool readable;	/* EPOLLIN seen and not yet read to EAGAIN */
	bool doomed;	/* ended by another's doing: freed after this batch of events */
	bool abort;	/* freed with a reset */
	bool peer_done; /* close_notify received while we were sending */
	uint64_t body_bytes;
	/* At the end of the previous request (or the handshake): the log
	 * line counts the key updates since, reading the request included. */
	struct ktls_conn_stats st0;
};

/* What serve did and refused, for the summary and the status line. */
struct serve_counts {
	uint64_t accepted, requests, handshake_failures, resumed, bytes, updates_sent,
		updates_received;
	uint64_t refused_cap, refused_ip, refused_ip_hs, hs_dropped;
	uint64_t to_handshake, to_header, to_idle, to_send;
	uint64_t fd_episodes, bad_requests;
};

struct server {
	struct ktls_config *cfg;
	int root, lfd, ep, sigfd;
	FILE *log;
	unsigned max_clients, max_per_ip, max_hs, max_hs_per_ip;
	unsigned nclients;
	bool draining;
	bool listening;	      /* the listener is in the epoll set's interest */
	bool fd_short;	      /* in an episode of EMFILE/ENFILE */
	int64_t paused_until; /* ms: no accept before (descriptor back-off) */
	struct client *clients;
	struct client *doomed;		  /* to free once the events in hand are handled */
	struct client *hs_head, *hs_tail; /* handshakes by last input */
	struct tq q[Q_COUNT];
	struct ipent **ipb;
	size_t ipmask;
	uint64_t ipkey[2];
	struct serve_counts n;
	bool trim_due;	    /* handshakes or connections ended since the last trim */
	int64_t trimmed_at; /* ms */
	int64_t warn_sec;   /* the rate limit of warnings */
	unsigned warn_lines;
	uint64_t warn_dropped;
	char scratch[HTTP_MAX_HEAD]; /* reads before a request has buffers */
};

/* serve_timer.c */
/* Monotonic milliseconds: the clock of every deadline. */
int64_t serve_now(void);
/* Puts cl at the end of queue q, due at now + its timeout. */
void serve_timer(struct server *s, struct client *cl, enum tqueue q);
void serve_timer_stop(struct server *s, struct client *cl);
/* Ends (serve_expire) whatever is past its deadline. */
void serve_sweep(struct server *s);

/* serve_conn.c */
/* Drives one connection until it would block, or ends it. */
void serve_drive(struct server *s, struct client *cl);
void serve_client_close(struct server *s, struct client *cl, bool notify);
void serve_client_free(struct server *s, struct client *cl);
/* Frees it with a reset (SO_LINGER 0): for clients dropped as misbehaving. */
void serve_client_abort(struct server *s, struct client *cl);
/* Ends a connection other than the one being driven: its handshake slot is
 * free at once, the memory after the events in hand (which may name it). */
void serve_client_doom(struct server *s, struct client *cl, bool abort);
void serve_reap(struct server *s);
/* Its deadline passed: what that means depends on the queue. */
void serve_expire(struct server *s, struct client *cl);

/* serve_accept.c */
int serve_accept_init(struct server *s);
void serve_accept_free(struct server *s);
/* The listener is readable: accept what the limits allow. */
void serve_accept(struct server *s);
/* Listens or pauses, as the back-off and the handshake cap say. */
void serve_listener_update(struct server *s);
/* cl's handshake is over (done or failed): its address has one less. */
void serve_handshake_over(struct server *s, struct client *cl);
/* Input arrived for cl's handshake: it is not stalled. */
void serve_handshake_heard(struct server *s, struct client *cl);
/* cl is gone: its address has one connection less. */
void serve_address_release(struct server *s, struct client *cl);

/* serve_file.c */
/* The response to the parsed request in cl->rb->req: head in
 * cl->rb->head, the file's range in cl->file/off/end. */
void serve_prepare_response(struct server *s, struct client *cl);
/* An error page (status), keeping the connection if keep. */
void serve_prepare_error(struct client *cl, int status, bool keep);

/* serve_log.c */
/* One access-log line for the request just answered. */
void serve_log_request(struct server *s, struct client *cl);
/* A line on standard error, at most a few a second (then counted). */
void serve_warn(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void serve_warn_flush(struct server *s);
/* The counters on one line: the status (SIGUSR1) or the summary. */
void serve_status(struct server *s, bool summary);

#endif
