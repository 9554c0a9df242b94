/*
 * The pure parts of the market stream: the control-message pacer (against a naive reference on random
 * send times), the subscription set's diff bookkeeping, and deduplication across a rollover overlap.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/binance_streams.h"

/* ---- pacer ---------------------------------------------------------------------------------------- */

Test(market_stream, pacer_allows_max_then_waits_for_the_oldest_to_leave_the_window)
{
	struct sb_bn_pacer p;
	sb_bn_pacer_init(&p, 4, 1000);
	for (uint64_t t = 100; t < 104; t++) {
		cr_assert_eq(sb_bn_pacer_next_ms(&p, t), 0);
		sb_bn_pacer_note(&p, t);
	}
	cr_assert_eq(sb_bn_pacer_next_ms(&p, 104), 996); /* the first send (100) leaves at 1100 */
	cr_assert_eq(sb_bn_pacer_next_ms(&p, 1099), 1);
	cr_assert_eq(sb_bn_pacer_next_ms(&p, 1100), 0);
	sb_bn_pacer_note(&p, 1100);
	cr_assert_eq(sb_bn_pacer_next_ms(&p, 1100), 1); /* now 101 is the oldest */
	cr_assert_eq(sb_bn_pacer_next_ms(&p, 1101), 0);
}

/* Naive reference: sends in (now - window, now] must be fewer than max. */
static bool naive_allows(const uint64_t *sent, size_t n, uint64_t now, unsigned max, uint64_t window)
{
	unsigned in = 0;
	for (size_t i = 0; i < n; i++)
		if (sent[i] + window > now)
			in++;
	return in < max;
}

Test(market_stream, pacer_matches_a_naive_window_count_on_random_times)
{
	srand(12345);
	for (int round = 0; round < 50; round++) {
		unsigned max = 1 + (unsigned)(rand() % 5);
		uint64_t window = 100 + (uint64_t)(rand() % 1000);
		struct sb_bn_pacer p;
		sb_bn_pacer_init(&p, max, window);
		uint64_t sent[400];
		size_t n = 0;
		uint64_t now = 1000;
		for (int step = 0; step < 400 && n < 400; step++) {
			now += (uint64_t)(rand() % 300);
			bool naive = naive_allows(sent, n, now, max, window);
			uint64_t wait = sb_bn_pacer_next_ms(&p, now);
			cr_assert_eq(wait == 0, naive, "round %d step %d: wait %llu, naive %d", round, step,
			             (unsigned long long)wait, naive);
			if (wait) {
				/* Waiting exactly the answer makes a send legal, one ms less does not. */
				cr_assert(naive_allows(sent, n, now + wait, max, window));
				cr_assert_not(naive_allows(sent, n, now + wait - 1, max, window));
				now += wait;
			}
			sb_bn_pacer_note(&p, now);
			sent[n++] = now;
		}
		/* Over the whole run no window held more than max sends. */
		for (size_t i = 0; i < n; i++) {
			unsigned in = 0;
			for (size_t j = 0; j < n; j++)
				if (sent[j] >= sent[i] && sent[j] < sent[i] + window)
					in++;
			cr_assert_leq(in, max);
		}
	}
}

/* ---- subscription set ----------------------------------------------------------------------------- */

static bool next_msg(struct sb_bn_subs *s, int64_t id, char *buf, size_t cap)
{
	size_t len = 0;
	bool any = sb_bn_subs_next(s, id, buf, cap, &len);
	cr_assert_eq(len, strlen(buf));
	return any;
}

Test(market_stream, subs_new_connection_has_the_url_streams_and_gets_the_rest_as_a_diff)
{
	struct sb_bn_subs s;
	char buf[8192];
	sb_bn_subs_init(&s);
	cr_assert_eq(sb_bn_subs_want(&s, "btcusdt@bookTicker", true), SB_OK);
	cr_assert_eq(sb_bn_subs_want(&s, "btcusdt@trade", true), SB_OK);
	sb_bn_subs_set_url(&s); /* both in the connection URL */
	sb_bn_subs_reset(&s);
	cr_assert(sb_bn_subs_synced(&s));
	cr_assert_not(next_msg(&s, 1, buf, sizeof buf));

	/* Add one, remove one: SUBSCRIBE first, then UNSUBSCRIBE, each with its own id. */
	cr_assert_eq(sb_bn_subs_want(&s, "ethusdt@trade", true), SB_OK);
	cr_assert_eq(sb_bn_subs_want(&s, "btcusdt@trade", false), SB_OK);
	cr_assert_not(sb_bn_subs_synced(&s));
	cr_assert(next_msg(&s, 7, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@trade\"],\"id\":7}");
	cr_assert(next_msg(&s, 8, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":8}");
	cr_assert_not(next_msg(&s, 9, buf, sizeof buf), "nothing more while both are in flight");
	cr_assert_not(sb_bn_subs_synced(&s), "pending replies");
	cr_assert_eq(sb_bn_subs_reply(&s, 7, true), 1);
	cr_assert_eq(sb_bn_subs_reply(&s, 8, true), 1);
	cr_assert_eq(sb_bn_subs_reply(&s, 8, true), 0, "a reply is consumed once");
	cr_assert(sb_bn_subs_synced(&s));

	/* A reconnect uses the old URL: btcusdt@trade comes back and must be unsubscribed, eth resubscribed.
	 */
	sb_bn_subs_reset(&s);
	cr_assert(next_msg(&s, 10, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@trade\"],\"id\":10}");
	cr_assert(next_msg(&s, 11, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":11}");
	sb_bn_subs_fini(&s);
}

Test(market_stream, subs_add_then_remove_before_sending_sends_nothing)
{
	struct sb_bn_subs s;
	char buf[512];
	sb_bn_subs_init(&s);
	sb_bn_subs_reset(&s);
	sb_bn_subs_want(&s, "xrpusdt@trade", true);
	sb_bn_subs_want(&s, "xrpusdt@trade", false);
	cr_assert_not(next_msg(&s, 1, buf, sizeof buf));
	cr_assert(sb_bn_subs_synced(&s));
	sb_bn_subs_compact(&s);
	cr_assert_eq(s.n, 0, "an entry nobody wants or has is dropped");
	sb_bn_subs_fini(&s);
}

Test(market_stream, subs_refused_subscribe_is_not_live_and_is_retried_by_the_next_diff)
{
	struct sb_bn_subs s;
	char buf[512];
	sb_bn_subs_init(&s);
	sb_bn_subs_reset(&s);
	sb_bn_subs_want(&s, "adausdt@trade", true);
	cr_assert(next_msg(&s, 3, buf, sizeof buf));
	cr_assert_eq(sb_bn_subs_reply(&s, 3, false), 1);
	cr_assert_not(sb_bn_subs_synced(&s));
	cr_assert(next_msg(&s, 4, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"SUBSCRIBE\",\"params\":[\"adausdt@trade\"],\"id\":4}");
	sb_bn_subs_fini(&s);
}

Test(market_stream, subs_large_diff_is_split_into_messages_of_bounded_size)
{
	struct sb_bn_subs s;
	char buf[16384], name[64];
	sb_bn_subs_init(&s);
	sb_bn_subs_reset(&s);
	for (int i = 0; i < 120; i++) {
		snprintf(name, sizeof name, "sym%dusdt@trade", i);
		cr_assert_eq(sb_bn_subs_want(&s, name, true), SB_OK);
	}
	int msgs = 0, names = 0;
	for (int64_t id = 1; next_msg(&s, id, buf, sizeof buf); id++) {
		int in = 0;
		for (const char *p = buf; (p = strstr(p, "@trade")); p++)
			in++;
		cr_assert_leq(in, SB_BN_MS_CTL_STREAMS_MAX);
		names += in;
		msgs++;
	}
	cr_assert_eq(names, 120);
	cr_assert_eq(msgs, (120 + SB_BN_MS_CTL_STREAMS_MAX - 1) / SB_BN_MS_CTL_STREAMS_MAX);
	sb_bn_subs_fini(&s);
}

Test(market_stream, subs_resync_resends_everything_after_a_failed_rollover)
{
	struct sb_bn_subs s;
	char buf[1024];
	sb_bn_subs_init(&s);
	sb_bn_subs_want(&s, "a@trade", true);
	sb_bn_subs_want(&s, "b@trade", true);
	sb_bn_subs_set_url(&s);
	sb_bn_subs_reset(&s);
	sb_bn_subs_want(&s, "b@trade", false);
	sb_bn_subs_resync(&s);
	cr_assert(next_msg(&s, 1, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"SUBSCRIBE\",\"params\":[\"a@trade\"],\"id\":1}");
	cr_assert(next_msg(&s, 2, buf, sizeof buf));
	cr_assert_str_eq(buf, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"b@trade\"],\"id\":2}");
	sb_bn_subs_fini(&s);
}

Test(market_stream, subs_refuses_more_than_its_maximum)
{
	struct sb_bn_subs s;
	char name[64];
	sb_bn_subs_init(&s);
	for (int i = 0; i < SB_BN_SUBS_MAX; i++) {
		snprintf(name, sizeof name, "s%d@trade", i);
		cr_assert_eq(sb_bn_subs_want(&s, name, true), SB_OK);
	}
	cr_assert_eq(sb_bn_subs_want(&s, "one@more", true), SB_ERR_TOO_LONG);
	cr_assert_eq(sb_bn_subs_want(&s, "s1@trade", false), SB_OK, "changing a known one still works");
	char longname[SB_BN_STREAM_MAX + 8];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	cr_assert_eq(sb_bn_subs_want(&s, longname, true), SB_ERR_TOO_LONG);
	sb_bn_subs_fini(&s);
}

/* ---- dedupe across a rollover overlap --------------------------------------------------------------- */

static struct sb_bn_market_msg trade(int64_t id)
{
	struct sb_bn_market_msg m;
	memset(&m, 0, sizeof m);
	m.kind = SB_BN_MKT_TRADE;
	m.u.trade.trade_id = id;
	return m;
}

static struct sb_bn_market_msg book(int64_t u)
{
	struct sb_bn_market_msg m;
	memset(&m, 0, sizeof m);
	m.kind = SB_BN_MKT_BOOK_TICKER;
	m.u.book_ticker.update_id = u;
	return m;
}

Test(market_stream, dedupe_delivers_each_event_once_across_two_overlapping_connections)
{
	/* Old connection: ids 1..60; new connection joins at 41 and runs to 100. Interleaved at random, each
	 * connection in its own order (as two sockets deliver), the new one often ahead of the old one. */
	srand(99);
	for (int round = 0; round < 100; round++) {
		struct sb_bn_dedupe d;
		sb_bn_dedupe_reset(&d);
		int64_t old_next = 1, new_next = 41, last_book = -1;
		int count[101] = {0};
		while (old_next <= 60 || new_next <= 100) {
			bool from_old = old_next <= 60 && (new_next > 100 || rand() % 3 == 0);
			int64_t id = from_old ? old_next++ : new_next++;
			struct sb_bn_market_msg t = trade(id);
			struct sb_bn_market_msg b = book(id * 10);
			if (sb_bn_dedupe_accept(&d, &t))
				count[id]++;
			if (sb_bn_dedupe_accept(&d, &b)) {
				cr_assert_gt(id * 10, last_book, "book updates only move forward");
				last_book = id * 10;
			}
		}
		for (int id = 1; id <= 100; id++)
			cr_assert_eq(count[id], 1, "round %d: trade %d delivered %d times", round, id,
			             count[id]);
		cr_assert_eq(last_book, 1000);
	}
}

Test(market_stream, dedupe_forgets_trades_older_than_its_window)
{
	struct sb_bn_dedupe d;
	sb_bn_dedupe_reset(&d);
	struct sb_bn_market_msg a = trade(10), far = trade(10 + SB_BN_DEDUPE_WINDOW + 5), mid = trade(600);
	cr_assert(sb_bn_dedupe_accept(&d, &a));
	cr_assert(sb_bn_dedupe_accept(&d, &far));
	cr_assert_not(sb_bn_dedupe_accept(&d, &a), "too old to tell: dropped");
	cr_assert(sb_bn_dedupe_accept(&d, &mid), "inside the window and never seen");
	cr_assert_not(sb_bn_dedupe_accept(&d, &mid));
}

Test(market_stream, dedupe_of_a_single_connection_in_order_drops_nothing)
{
	struct sb_bn_dedupe d;
	sb_bn_dedupe_reset(&d);
	for (int64_t i = 0; i < 1000; i++) {
		struct sb_bn_market_msg t = trade(i);
		cr_assert(sb_bn_dedupe_accept(&d, &t));
	}
	struct sb_bn_market_msg again = trade(999), older = trade(5);
	cr_assert_not(sb_bn_dedupe_accept(&d, &again));
	cr_assert_not(sb_bn_dedupe_accept(&d, &older));
	sb_bn_dedupe_reset(&d);
	cr_assert(sb_bn_dedupe_accept(&d, &older), "after a reset (a plain reconnect) ids start over");
}

Test(market_stream, link_names)
{
	cr_assert_str_eq(sb_bn_link_name(SB_BN_LINK_UP), "up");
	cr_assert_str_eq(sb_bn_link_name(SB_BN_LINK_DOWN), "down");
	cr_assert_str_eq(sb_bn_link_name(SB_BN_LINK_STALLED), "stalled");
}
