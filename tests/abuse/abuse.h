/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The load generator of the abuse test: well-behaved clients and attackers
 * of several kinds on one epoll loop, each bound to its own loopback
 * address, every count and wait bounded. abuse_peer.c: what each kind
 * does on its connection; abuse.c: the scenarios and the figures.
 */
#ifndef KTLS_ABUSE_H
#define KTLS_ABUSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls/ktls.h"

enum kind {
	K_NORMAL,    /* downloads the file, every byte compared */
	K_SLOWLORIS, /* handshake, then a request head one byte a second, never ending */
	K_STALLED,   /* a ClientHello, part of it or all, then silence */
	K_RAW,	     /* a TCP connection that sends nothing */
	K_MALFORMED, /* a malformed request head, expecting its status and the close */
	K_IDLE,	     /* a HEAD request (so the handshake is over at both ends), then nothing */
	K_KEEPALIVE, /* one download on a kept connection, then nothing */
	K_NOREAD,    /* asks for a large file and reads none of it */
};

struct peer {
	int fd;
	struct ktls_conn *c;
	enum kind kind;
	int st;
	int variant; /* which malformed head; stalled: part or all */
	/* connect started; handshake done, or bytes sent (K_NOREAD: the
	 * request; K_KEEPALIVE: the end of its download) */
	double t0, t_up;
	double t_end; /* done, dropped or failed */
	bool done, dropped, failed;
	int status; /* the response's status, 0 if none */
	bool clean; /* the server ended with close_notify */
	size_t off;
	uint64_t body;
	double next_byte; /* slowloris: when the next byte goes */
	char in[8192];
	size_t inlen;
};

struct world {
	int ep;
	struct ktls_config *cfg;
	struct sockaddr_in server;
	const uint8_t *file;
	size_t file_len;
	char request[512], request_ka[512], request_big[512], request_head[512];
	size_t request_len, request_ka_len, request_big_len, request_head_len;
	uint8_t hello[2048]; /* a ClientHello, for the stalled ones */
	size_t hello_len;
};

double abuse_now(void);
/* Opens a connection of this kind from 127.0.<net>.<host>; NULL if it
 * could not even start (counted as failed by the caller). */
struct peer *abuse_open(struct world *w, enum kind kind, int variant, unsigned net, unsigned host);
/* Drives a peer on an event or a tick. */
void abuse_step(struct world *w, struct peer *p);
/* Whether it has something to do at a tick (slowloris bytes, K_NOREAD's
 * look at its socket). */
bool abuse_ticks(const struct peer *p, double now);
void abuse_close(struct peer *p);
/* How many malformed variants there are, and what each expects. */
int abuse_malformed_count(void);
const char *abuse_malformed_name(int variant);
/* The status it must get: -4 any 4xx, 0 the handshake refused. */
int abuse_malformed_status(int variant);

#endif
