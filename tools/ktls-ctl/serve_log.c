/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve: what it says. The access log (one line per request, the client's
 * text escaped), warnings on standard error at most a few a second however
 * many clients misbehave, and the counters on one line: on SIGUSR1 and in
 * the summary at the end.
 */
#include <stdarg.h>
#include <string.h>

#include "serve.h"
#include "text.h"

/* Warnings beyond this many in a second are only counted, then said in one. */
#define WARN_PER_SECOND 10

/* The access log: who, what, the answer, and the key updates on the way. */
void serve_log_request(struct server *s, struct client *cl)
{
	struct ktls_conn_stats st;
	ktls_conn_stats(cl->c, &st);
	const struct http_req *req = &cl->rb->req;
	char when[64], method[4 * sizeof(req->method_text)], target[4 * sizeof(req->target)];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", localtime_r(&t, &tm));
	/* The request line is the client's text: printable ASCII only. */
	text_log(method, sizeof(method), req->method_text);
	text_log(target, sizeof(target), req->target);
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
	s->n.requests++;
	cl->st0 = st;
}

void serve_warn_flush(struct server *s)
{
	if (s->warn_dropped)
		fprintf(stderr, "ktls-ctl serve: %llu more such messages not shown\n",
			(unsigned long long)s->warn_dropped);
	s->warn_dropped = 0;
}

void serve_warn(struct server *s, const char *fmt, ...)
{
	int64_t sec = serve_now() / 1000;
	if (sec != s->warn_sec) {
		serve_warn_flush(s);
		s->warn_sec = sec;
		s->warn_lines = 0;
	}
	if (s->warn_lines >= WARN_PER_SECOND) {
		s->warn_dropped++;
		return;
	}
	s->warn_lines++;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void serve_status(struct server *s, bool summary)
{
	const struct serve_counts *n = &s->n;
	char head[256];
	if (summary)
		snprintf(head, sizeof(head),
			 "%llu connections, %llu requests, %llu handshake failures, %llu bytes "
			 "sent, "
			 "%llu key updates sent, %llu received",
			 (unsigned long long)n->accepted, (unsigned long long)n->requests,
			 (unsigned long long)n->handshake_failures, (unsigned long long)n->bytes,
			 (unsigned long long)n->updates_sent,
			 (unsigned long long)n->updates_received);
	else
		snprintf(head, sizeof(head),
			 "status: %u open, %u in handshake, %llu connections, %llu requests",
			 s->nclients, s->q[Q_HANDSHAKE].n, (unsigned long long)n->accepted,
			 (unsigned long long)n->requests);
	serve_warn_flush(s);
	fprintf(stderr,
		"ktls-ctl serve: %s; refused: %llu at the cap, %llu per address, %llu handshakes "
		"per address; %llu handshakes dropped for room; timeouts: %llu handshake, %llu "
		"header, %llu idle, %llu send; %llu descriptor shortages; %llu bad requests\n",
		head, (unsigned long long)n->refused_cap, (unsigned long long)n->refused_ip,
		(unsigned long long)n->refused_ip_hs, (unsigned long long)n->hs_dropped,
		(unsigned long long)n->to_handshake, (unsigned long long)n->to_header,
		(unsigned long long)n->to_idle, (unsigned long long)n->to_send,
		(unsigned long long)n->fd_episodes, (unsigned long long)n->bad_requests);
}
