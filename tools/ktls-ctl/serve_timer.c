/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve: the deadline queues. One timeout per queue makes each queue a
 * FIFO in deadline order: starting a deadline appends, the sweep pops
 * expired heads, and nothing is ever sorted or scanned.
 */
#include "serve.h"

int64_t serve_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void serve_timer_stop(struct server *s, struct client *cl)
{
	if (cl->q == Q_NONE)
		return;
	struct tq *q = &s->q[cl->q];
	if (cl->tprev)
		cl->tprev->tnext = cl->tnext;
	else
		q->head = cl->tnext;
	if (cl->tnext)
		cl->tnext->tprev = cl->tprev;
	else
		q->tail = cl->tprev;
	cl->tprev = cl->tnext = NULL;
	cl->q = Q_NONE;
	q->n--;
}

void serve_timer(struct server *s, struct client *cl, enum tqueue which)
{
	serve_timer_stop(s, cl);
	struct tq *q = &s->q[which];
	cl->deadline = serve_now() + q->timeout;
	cl->q = which;
	cl->tprev = q->tail;
	if (q->tail)
		q->tail->tnext = cl;
	else
		q->head = cl;
	q->tail = cl;
	q->n++;
}

void serve_sweep(struct server *s)
{
	int64_t now = serve_now();
	for (int i = 0; i < Q_COUNT; i++)
		/* serve_expire takes the head out of this queue (it frees the
		 * connection or moves it on), so this ends. */
		while (s->q[i].head && s->q[i].head->deadline <= now)
			serve_expire(s, s->q[i].head);
}
