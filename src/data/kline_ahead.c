/*
 * kline_ahead.c - a stream of candles read ahead on a thread of its own (a kline set's,
 * sb_kline_set_read_ahead): opening, decompressing and parsing the files take a second core while the
 * caller trades the candles already read. The thread takes the candles from the stream's next function
 * in its one order and fills blocks of them;
 * the caller takes block after block, so it sees the very stream, and the end or the first error where
 * it would have seen them without the thread. A few blocks ahead at most: memory stays bounded.
 */
#include <pthread.h>
#include <stdlib.h>

#include "data_int.h"
#include "spotbot/alloc.h"
#include "spotbot/kline.h"

#define AHEAD_CANDLES 1024 /* candles per block: one hand-over per block */
#define AHEAD_BLOCKS  4    /* blocks read ahead at most */

/* Candles in the set's order, then possibly its end or its error. */
struct block {
	size_t n;                           /* candles */
	size_t sym[AHEAD_CANDLES];          /* their symbols' indexes */
	struct sb_kline row[AHEAD_CANDLES]; /* the candles */
	bool last;                          /* the stream ends after these */
	sb_err err;                         /* with this error (SB_OK: at its end) */
};

struct sb__kline_ahead {
	sb__kline_next_fn next;            /* the stream: called by the thread only, once it runs */
	void *ctx;                         /* its argument */
	pthread_t thread;                  /* the reader */
	pthread_mutex_t mu;                /* guards head, tail, stop */
	pthread_cond_t filled;             /* tail moved */
	pthread_cond_t emptied;            /* head moved, or stop */
	struct block blocks[AHEAD_BLOCKS]; /* a ring */
	size_t head;                       /* blocks the caller has finished (the next is head % N) */
	size_t tail;                       /* blocks the thread has filled */
	size_t pos;                        /* the caller's next candle in its block */
	bool stop;                         /* the set is being freed: the thread returns */
};

/* Fills b from the stream until it is full, ends or fails. */
static void fill(const struct sb__kline_ahead *a, struct block *b)
{
	b->n = 0;
	b->last = false;
	b->err = SB_OK;
	while (b->n < AHEAD_CANDLES) {
		bool done = false;
		b->err = a->next(a->ctx, &b->sym[b->n], &b->row[b->n], &done);
		if (b->err != SB_OK || done) {
			b->last = true;
			return;
		}
		b->n++;
	}
}

static void *reader(void *arg)
{
	struct sb__kline_ahead *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (!a->stop && a->tail - a->head == AHEAD_BLOCKS)
			pthread_cond_wait(&a->emptied, &a->mu);
		bool stop = a->stop;
		struct block *b = &a->blocks[a->tail % AHEAD_BLOCKS];
		pthread_mutex_unlock(&a->mu);
		if (stop)
			return NULL;
		/* The caller never looks at a block between head and tail's turn: it is the thread's. */
		fill(a, b);
		pthread_mutex_lock(&a->mu);
		a->tail++;
		pthread_cond_signal(&a->filled);
		pthread_mutex_unlock(&a->mu);
		if (b->last)
			return NULL;
	}
}

sb_err sb__kline_ahead_start(sb__kline_next_fn next, void *ctx, struct sb__kline_ahead **out)
{
	struct sb__kline_ahead *a = sb_xcalloc(1, sizeof *a);
	a->next = next;
	a->ctx = ctx;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->filled, NULL);
	pthread_cond_init(&a->emptied, NULL);
	if (pthread_create(&a->thread, NULL, reader, a) != 0) {
		pthread_cond_destroy(&a->emptied);
		pthread_cond_destroy(&a->filled);
		pthread_mutex_destroy(&a->mu);
		free(a);
		return SB_ERR_NOMEM;
	}
	*out = a;
	return SB_OK;
}

sb_err sb__kline_ahead_next(struct sb__kline_ahead *a, size_t *sym, struct sb_kline *row, bool *done)
{
	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (a->head == a->tail)
			pthread_cond_wait(&a->filled, &a->mu);
		pthread_mutex_unlock(&a->mu);
		struct block *b = &a->blocks[a->head % AHEAD_BLOCKS];
		if (a->pos < b->n) {
			*sym = b->sym[a->pos];
			*row = b->row[a->pos++];
			*done = false;
			return SB_OK;
		}
		if (b->last) {
			/* The end, or the error, stays where it is for every later call. */
			*done = b->err == SB_OK;
			return b->err;
		}
		pthread_mutex_lock(&a->mu);
		a->head++;
		a->pos = 0;
		pthread_cond_signal(&a->emptied);
		pthread_mutex_unlock(&a->mu);
	}
}

void sb__kline_ahead_free(struct sb__kline_ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	pthread_cond_signal(&a->emptied);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->emptied);
	pthread_cond_destroy(&a->filled);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
