/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve: accepting. Before a connection costs any TLS work it passes the
 * limits: connections and handshakes per address (an IPv4 address, or an
 * IPv6 /64, which one host usually holds whole), the global cap on
 * connections (the newest is refused; established ones are not touched)
 * and on handshakes in flight (the one whose client has been silent
 * longest, half a second at least, is dropped to make room; until one is,
 * accepting waits, so that stalled clients alone cannot fill it for the
 * handshake deadline, and a burst of them delays a newcomer by that half
 * second at most, while a slow but live handshake keeps its place). Out of
 * descriptors, the listener is paused for a short back-off, never spun on,
 * and the episode logged once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

int serve_accept_init(struct server *s)
{
	size_t want = s->max_clients < 65536 ? s->max_clients : 65536, n = 256;
	while (n < want)
		n <<= 1;
	s->ipb = calloc(n, sizeof(*s->ipb));
	s->ipmask = n - 1;
	/* A keyed hash: addresses are the clients' choice. */
	if (getrandom(s->ipkey, sizeof(s->ipkey), 0) != sizeof(s->ipkey))
		s->ipkey[0] = (uint64_t)serve_now(), s->ipkey[1] = (uint64_t)getpid();
	return s->ipb ? 0 : -ENOMEM;
}

void serve_accept_free(struct server *s)
{
	for (size_t i = 0; s->ipb && i <= s->ipmask; i++)
		for (struct ipent *e = s->ipb[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(s->ipb);
	s->ipb = NULL;
}

/* The address as a key: IPv4 as mapped IPv6, IPv6 cut to its /64. */
static void addr_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
		memcpy(key, a, memcmp(a, v4mapped, 12) ? 8 : 16);
	}
}

static struct ipent **ip_slot(struct server *s, const uint8_t key[16])
{
	uint64_t a, b;
	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	uint64_t h = (a ^ s->ipkey[0]) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 31) ^ b ^ s->ipkey[1]) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	struct ipent **p = &s->ipb[h & s->ipmask];
	while (*p && memcmp((*p)->key, key, 16))
		p = &(*p)->next;
	return p;
}

static struct ipent *ip_get(struct server *s, const struct sockaddr_storage *ss)
{
	uint8_t key[16];
	addr_key(ss, key);
	struct ipent **p = ip_slot(s, key);
	if (!*p && (*p = calloc(1, sizeof(**p))))
		memcpy((*p)->key, key, 16);
	return *p;
}

/* Forgets an address with nothing left open. */
static void ip_put(struct server *s, struct ipent *e)
{
	if (!e || e->conns || e->handshakes)
		return;
	struct ipent **p = ip_slot(s, e->key);
	*p = e->next;
	free(e);
}

static void hs_unlink(struct server *s, struct client *cl)
{
	if (!cl->in_hs)
		return;
	if (cl->hprev)
		cl->hprev->hnext = cl->hnext;
	else
		s->hs_head = cl->hnext;
	if (cl->hnext)
		cl->hnext->hprev = cl->hprev;
	else
		s->hs_tail = cl->hprev;
	cl->hprev = cl->hnext = NULL;
	cl->in_hs = false;
}

static void hs_append(struct server *s, struct client *cl)
{
	cl->heard = serve_now();
	cl->hprev = s->hs_tail;
	if (s->hs_tail)
		s->hs_tail->hnext = cl;
	else
		s->hs_head = cl;
	s->hs_tail = cl;
	cl->in_hs = true;
}

void serve_handshake_heard(struct server *s, struct client *cl)
{
	if (!cl->in_hs)
		return;
	hs_unlink(s, cl);
	hs_append(s, cl);
}

void serve_handshake_over(struct server *s, struct client *cl)
{
	s->trim_due = true;
	hs_unlink(s, cl);
	if (cl->ip && cl->st == ST_HANDSHAKE && cl->ip->handshakes)
		cl->ip->handshakes--;
}

void serve_address_release(struct server *s, struct client *cl)
{
	if (!cl->ip)
		return;
	serve_handshake_over(s, cl);
	cl->ip->conns--;
	ip_put(s, cl->ip);
	cl->ip = NULL;
}

/* The handshake silent longest, if long enough to be dropped for room. */
static struct client *stalled_handshake(struct server *s)
{
	struct client *old = s->hs_head;
	return old && serve_now() - old->heard >= SERVE_HS_STALLED ? old : NULL;
}

static bool handshake_room(struct server *s)
{
	return s->q[Q_HANDSHAKE].n < s->max_hs || stalled_handshake(s);
}

void serve_listener_update(struct server *s)
{
	if (s->lfd < 0)
		return;
	bool want = !s->draining && serve_now() >= s->paused_until && handshake_room(s);
	if (want == s->listening)
		return;
	struct epoll_event ev = {.events = want ? EPOLLIN : 0, .data.ptr = &s->lfd};
	epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev);
	s->listening = want;
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

/* Whether the limits let this connection in; counts the refusal if not. */
static bool admitted(struct server *s, struct ipent *ip)
{
	if (!ip)
		return false;
	if (ip->conns >= s->max_per_ip)
		s->n.refused_ip++;
	else if (ip->handshakes >= s->max_hs_per_ip)
		s->n.refused_ip_hs++;
	else if (s->nclients >= s->max_clients)
		s->n.refused_cap++;
	else
		return true;
	return false;
}

static void client_start(struct server *s, int fd, const struct sockaddr_storage *ss,
			 struct ipent *ip)
{
	/* handshake_room() held before this accept: if the table is full,
	 * a stalled handshake gives way. */
	struct client *old = s->q[Q_HANDSHAKE].n >= s->max_hs ? stalled_handshake(s) : NULL;
	struct client *cl = calloc(1, sizeof(*cl));
	if (cl)
		cl->c = ktls_conn_new(s->cfg, fd, NULL);
	if (!cl || !cl->c || (s->q[Q_HANDSHAKE].n >= s->max_hs && !old)) {
		if (cl)
			ktls_conn_free(cl->c);
		free(cl);
		close(fd);
		ip_put(s, ip);
		return;
	}
	if (old) {
		s->n.hs_dropped++;
		serve_warn(s, "ktls-ctl serve: %s: handshake dropped to make room (%u in flight)",
			   old->peer, s->q[Q_HANDSHAKE].n);
		serve_client_doom(s, old, true); /* its events may be in hand */
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	cl->fd = fd;
	cl->file = -1;
	cl->st = ST_HANDSHAKE;
	cl->q = Q_NONE;
	cl->ip = ip;
	ip->conns++;
	ip->handshakes++;
	cl->born = serve_now();
	serve_timer(s, cl, Q_HANDSHAKE);
	hs_append(s, cl);
	addr_text(ss, cl->peer, sizeof(cl->peer));
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	s->nclients++;
	s->n.accepted++;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.ptr = cl};
	epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
	serve_drive(s, cl);
	if (cl->st == ST_CLOSED)
		serve_client_free(s, cl);
}

void serve_accept(struct server *s)
{
	/* A bounded batch: the listener is level-triggered and comes back,
	 * and the connections already open get their turn in between. */
	for (int i = 0; i < 64 && handshake_room(s); i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* The connection stays in the backlog: try again shortly
			 * rather than be woken for it at once, forever. */
			s->paused_until = serve_now() + SERVE_FD_BACKOFF;
			if (!s->fd_short) {
				s->n.fd_episodes++;
				fprintf(stderr,
					"ktls-ctl serve: accept: %s: pausing new connections until "
					"descriptors free (%u open)\n",
					strerror(errno), s->nclients);
			}
			s->fd_short = true;
			return;
		}
		if (fd < 0) {
			if (errno == EAGAIN)
				s->fd_short = false; /* the backlog is empty: the episode is over */
			else if (errno != EINTR && errno != ECONNABORTED)
				serve_warn(s, "ktls-ctl serve: accept: %s", strerror(errno));
			return;
		}
		struct ipent *ip = ip_get(s, &ss);
		if (admitted(s, ip)) {
			client_start(s, fd, &ss, ip);
		} else {
			close(fd); /* refused before any TLS work */
			ip_put(s, ip);
		}
	}
}
