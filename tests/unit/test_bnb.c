/*
 * test_bnb.c - the BNB price per quote asset: one entry per distinct quote asset, BNB itself at 1, the
 * mid of the book as the price, the refresh, retry and missing-market schedules, news only once per run
 * of "no such market" answers, an empty book as no price yet, and entries following the pairs as they come
 * and go.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sbtest_dec.h"
#include "spotbot/bnb.h"

/* Every request due at now, in order, as "A,B,". */
static void due(struct sb_bnb_table *t, int64_t now, char *buf, size_t cap)
{
	buf[0] = '\0';
	const struct sb_bnb_quote *q;
	size_t n = 0;
	while ((q = sb_bnb_next_due(t, now)) != NULL)
		n += (size_t)snprintf(buf + n, cap - n, "%s,", q->asset);
}

Test(bnb, one_entry_per_distinct_quote_asset_and_none_for_bnb)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *q[] = {"USDT", "BTC", "USDT", "BNB", NULL, "", "BTC"};
	cr_assert_eq(sb_bnb_track(&t, q, 7), SB_OK);
	cr_assert_eq(t.n, 2);
	cr_assert_str_eq(t.q[0].asset, "USDT");
	cr_assert_str_eq(t.q[1].asset, "BTC");
	char buf[64];
	due(&t, 1000, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,BTC,", "both are due at once, each once");
	due(&t, 1000, buf, sizeof buf);
	cr_assert_str_eq(buf, "", "nothing more while they are in flight");
	cr_assert_eq(sb_bnb_price(&t, "BNB"), SB_DEC_ONE, "BNB in BNB is 1");
	cr_assert_eq(sb_bnb_price(&t, "USDT"), 0, "unknown before an answer");
	cr_assert_eq(sb_bnb_price(&t, "EUR"), 0, "untracked");
	cr_assert_eq(sb_bnb_price(NULL, "BNB"), SB_DEC_ONE);
	cr_assert_eq(sb_bnb_price(&t, NULL), 0);
}

Test(bnb, each_quote_asset_gets_its_own_price_from_the_mid)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *q[] = {"USDT", "BTC"};
	cr_assert_eq(sb_bnb_track(&t, q, 2), SB_OK);
	char buf[64];
	due(&t, 1000, buf, sizeof buf);
	bool rec = true;
	cr_assert_eq(sb_bnb_answer(&t, "BTC", D("0.010500"), D("0.010501"), 1200, &rec), SB_OK);
	cr_assert(!rec);
	cr_assert_eq(sb_bnb_answer(&t, "USDT", D("600.00"), D("600.02"), 1300, NULL), SB_OK);
	cr_assert_eq(sb_bnb_price(&t, "BTC"), D("0.0105005"), "BNBBTC's mid, not BNBUSDT's");
	cr_assert_eq(sb_bnb_price(&t, "USDT"), D("600.01"));
	cr_assert_eq(t.q[1].at_ms, 1200);
	/* The mid of an odd number of units loses at most the last place (never rounds up). */
	cr_assert_eq(sb_bnb_answer(&t, "BTC", 3, 4, 1400, NULL), SB_OK);
	cr_assert_eq(sb_bnb_price(&t, "BTC"), 3);
	cr_assert_eq(sb_bnb_answer(&t, "EUR", D("1"), D("1"), 1500, NULL), SB_ERR_NOT_FOUND);
}

Test(bnb, refresh_after_an_answer_retry_after_a_failure)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *q[] = {"USDT"};
	cr_assert_eq(sb_bnb_track(&t, q, 1), SB_OK);
	char buf[64];
	due(&t, 0, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,");
	cr_assert(sb_bnb_awaited(&t, "USDT"), "no answer yet");
	/* A network failure with no price known: tried again soon. */
	cr_assert(!sb_bnb_failed(&t, "USDT", false, 100), "a network failure is no news");
	cr_assert(!sb_bnb_awaited(&t, "USDT"), "answered (by a failure)");
	due(&t, 100 + SB_BNB_RETRY_MS - 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "");
	due(&t, 100 + SB_BNB_RETRY_MS, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,");
	cr_assert_eq(sb_bnb_answer(&t, "USDT", D("600"), D("600"), 6000, NULL), SB_OK);
	due(&t, 6000 + SB_BNB_REFRESH_MS - 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "");
	due(&t, 6000 + SB_BNB_REFRESH_MS, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,");
	/* A failure keeps the known price and waits a whole refresh period. */
	cr_assert(!sb_bnb_failed(&t, "USDT", false, 40000));
	cr_assert_eq(sb_bnb_price(&t, "USDT"), D("600"));
	due(&t, 40000 + SB_BNB_RETRY_MS, buf, sizeof buf);
	cr_assert_str_eq(buf, "");
	due(&t, 40000 + SB_BNB_REFRESH_MS, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,");
}

Test(bnb, due_at_is_when_the_next_request_falls_due)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	cr_assert_eq(sb_bnb_due_at(&t), INT64_MAX, "nothing tracked");
	const char *q[] = {"USDT", "BTC"};
	cr_assert_eq(sb_bnb_track(&t, q, 2), SB_OK);
	cr_assert_eq(sb_bnb_due_at(&t), 0, "new entries are due at once");
	char buf[64];
	due(&t, 0, buf, sizeof buf);
	cr_assert_eq(sb_bnb_due_at(&t), INT64_MAX, "both in flight");
	cr_assert_eq(sb_bnb_answer(&t, "USDT", D("600"), D("600"), 1000, NULL), SB_OK);
	cr_assert_eq(sb_bnb_due_at(&t), 1000 + SB_BNB_REFRESH_MS, "the refresh of the known price");
	cr_assert(!sb_bnb_failed(&t, "BTC", false, 2000));
	cr_assert_eq(sb_bnb_due_at(&t), 2000 + SB_BNB_RETRY_MS, "the retry comes first");
	cr_assert_eq(sb_bnb_due_at(NULL), INT64_MAX);
}

Test(bnb, a_missing_market_is_news_once_and_backs_off)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *q[] = {"TRY", "USDT"};
	cr_assert_eq(sb_bnb_track(&t, q, 2), SB_OK);
	char buf[64];
	int64_t now = 0, attempts = 0;
	int news = 0;
	/* An hour of "invalid symbol" answers, the table asked every second. */
	for (now = 0; now < 3600 * 1000; now += 1000) {
		const struct sb_bnb_quote *e;
		while ((e = sb_bnb_next_due(&t, now)) != NULL) {
			if (strcmp(e->asset, "TRY") == 0) {
				attempts++;
				news += sb_bnb_failed(&t, "TRY", true, now);
			} else {
				cr_assert_eq(sb_bnb_answer(&t, "USDT", D("600"), D("600"), now, NULL), SB_OK);
			}
		}
	}
	cr_assert_eq(news, 1, "reported once");
	cr_assert_eq(attempts, 3600 * 1000 / SB_BNB_MISSING_MS, "one attempt per back-off period: %" PRId64,
	             attempts);
	cr_assert_eq(sb_bnb_price(&t, "TRY"), 0);
	cr_assert(!sb_bnb_awaited(&t, "TRY"), "unavailable, not awaited");
	cr_assert_eq(sb_bnb_price(&t, "USDT"), D("600"), "the other asset is unaffected");
	/* A network failure in between does not make the next "invalid symbol" news again. */
	due(&t, now + SB_BNB_MISSING_MS, buf, sizeof buf);
	cr_assert(!sb_bnb_failed(&t, "TRY", false, now));
	cr_assert(!sb_bnb_failed(&t, "TRY", true, now));
	/* The market appears: recovered, and a later disappearance is news again. */
	bool rec = false;
	cr_assert_eq(sb_bnb_answer(&t, "TRY", D("20000"), D("20002"), now, &rec), SB_OK);
	cr_assert(rec);
	cr_assert_eq(sb_bnb_price(&t, "TRY"), D("20001"));
	cr_assert(sb_bnb_failed(&t, "TRY", true, now + 1));
	cr_assert_eq(sb_bnb_price(&t, "TRY"), D("20001"), "the last known price stays in use");
}

Test(bnb, a_bad_quote_is_refused_and_counted_as_a_failure)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *q[] = {"BTC"};
	cr_assert_eq(sb_bnb_track(&t, q, 1), SB_OK);
	char buf[64];
	due(&t, 0, buf, sizeof buf);
	cr_assert_eq(sb_bnb_answer(&t, "BTC", 0, D("0.01"), 10, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_bnb_answer(&t, "BTC", D("0.02"), D("0.01"), 10, NULL), SB_ERR_INVALID, "crossed");
	cr_assert_eq(sb_bnb_answer(&t, "BTC", SB_DEC_MAX, SB_DEC_MAX, 10, NULL), SB_OK, "no overflow");
	cr_assert_eq(sb_bnb_price(&t, "BTC"), SB_DEC_MAX / 2 * 2);
	sb_bnb_init(&t);
	cr_assert_eq(sb_bnb_track(&t, q, 1), SB_OK);
	due(&t, 0, buf, sizeof buf);
	cr_assert_eq(sb_bnb_answer(&t, "BTC", -5, D("0.01"), 10, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_bnb_price(&t, "BTC"), 0);
	due(&t, 10 + SB_BNB_RETRY_MS - 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "", "refused like a failure: retried after the pause");
	due(&t, 10 + SB_BNB_RETRY_MS, buf, sizeof buf);
	cr_assert_str_eq(buf, "BTC,");
}

Test(bnb, an_empty_book_is_no_price_yet_still_awaited_and_asked_again)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *q[] = {"USDT"};
	cr_assert_eq(sb_bnb_track(&t, q, 1), SB_OK);
	char buf[64];
	due(&t, 1000, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,");
	sb_bnb_unpriced(&t, "USDT", 1000);
	cr_assert(sb_bnb_awaited(&t, "USDT"), "no price yet is still awaited, not unavailable");
	cr_assert(!t.q[0].missing);
	due(&t, 1000 + SB_BNB_RETRY_MS - 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "");
	due(&t, 1000 + SB_BNB_RETRY_MS, buf, sizeof buf);
	cr_assert_str_eq(buf, "USDT,", "asked again after the retry pause");
	cr_assert_eq(sb_bnb_answer(&t, "USDT", D("600"), D("600.02"), 7000, NULL), SB_OK);
	cr_assert(!sb_bnb_awaited(&t, "USDT"));
	due(&t, 7000 + SB_BNB_REFRESH_MS, buf, sizeof buf);
	sb_bnb_unpriced(&t, "USDT", 7000 + SB_BNB_REFRESH_MS);
	cr_assert_eq(sb_bnb_price(&t, "USDT"), D("600.01"), "an empty book later keeps the known price");
	due(&t, 7000 + 2 * SB_BNB_REFRESH_MS - 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "", "and refreshes at the usual pace");
	sb_bnb_unpriced(&t, "EUR", 1000); /* untracked: nothing happens */
}

Test(bnb, entries_follow_the_pairs_keeping_prices)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	const char *a[] = {"USDT", "BTC", "ETH"};
	cr_assert_eq(sb_bnb_track(&t, a, 3), SB_OK);
	char buf[64];
	due(&t, 0, buf, sizeof buf);
	cr_assert_eq(sb_bnb_answer(&t, "ETH", D("0.2"), D("0.2"), 5, NULL), SB_OK);
	const char *b[] = {"ETH", "FDUSD"};
	cr_assert_eq(sb_bnb_track(&t, b, 2), SB_OK);
	cr_assert_eq(t.n, 2);
	cr_assert_eq(sb_bnb_price(&t, "ETH"), D("0.2"), "kept");
	cr_assert_eq(sb_bnb_price(&t, "USDT"), 0, "dropped");
	cr_assert_eq(sb_bnb_answer(&t, "USDT", D("600"), D("600"), 6, NULL), SB_ERR_NOT_FOUND,
	             "an answer for a dropped entry changes nothing");
	due(&t, 10, buf, sizeof buf);
	cr_assert_str_eq(buf, "FDUSD,", "the new one is due; ETH waits for its refresh");
	cr_assert_eq(sb_bnb_track(&t, NULL, 0), SB_OK);
	cr_assert_eq(t.n, 0);
}

Test(bnb, capacity_and_bad_names)
{
	struct sb_bnb_table t;
	sb_bnb_init(&t);
	static char names[SB_BNB_QUOTES_MAX + 1][8];
	const char *q[SB_BNB_QUOTES_MAX + 1];
	for (size_t i = 0; i <= SB_BNB_QUOTES_MAX; i++) {
		snprintf(names[i], sizeof names[i], "Q%zu", i);
		q[i] = names[i];
	}
	cr_assert_eq(sb_bnb_track(&t, q, SB_BNB_QUOTES_MAX), SB_OK);
	cr_assert_eq(t.n, SB_BNB_QUOTES_MAX);
	cr_assert_eq(sb_bnb_track(&t, q, SB_BNB_QUOTES_MAX + 1), SB_ERR_TOO_LONG);
	cr_assert_eq(t.n, SB_BNB_QUOTES_MAX, "the first ones kept");
	char longname[SB_ASSET_MAX + 1];
	memset(longname, 'A', SB_ASSET_MAX);
	longname[SB_ASSET_MAX] = '\0';
	const char *bad[] = {longname};
	cr_assert_eq(sb_bnb_track(&t, bad, 1), SB_ERR_INVALID);
	cr_assert_eq(t.n, SB_BNB_QUOTES_MAX, "unchanged");
	cr_assert_eq(sb_bnb_track(NULL, q, 1), SB_ERR_INVALID);
	char sym[SB_BNB_SYMBOL_SIZE];
	cr_assert_eq(sb_bnb_symbol("BTC", sym, sizeof sym), SB_OK);
	cr_assert_str_eq(sym, "BNBBTC");
	char small[5];
	cr_assert_eq(sb_bnb_symbol("USDT", small, sizeof small), SB_ERR_TOO_LONG);
	cr_assert_str_eq(small, "");
}
