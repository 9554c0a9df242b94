/*
 * test_pairs.c - the PAIRS syntax: the contract example, every key, every error message, edits at run
 * time, the formatter's round trip (on worked and random settings), and the docs table in
 * docs/strategy.md against the generated one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "spotbot/pairs.h"

static struct sb_pairs ps; /* large: kept off the stack */

static sb_err parse(const char *s, char *err)
{
	return sb_pairs_parse(s, strlen(s), &ps, err, SB_PAIRS_ERR_MAX);
}

static void assert_ok(const char *s)
{
	char err[SB_PAIRS_ERR_MAX];
	sb_err e = parse(s, err);
	cr_assert_eq(e, SB_OK, "%s: %s", s, err);
}

static void assert_error(const char *s, const char *want)
{
	char err[SB_PAIRS_ERR_MAX];
	cr_assert_eq(parse(s, err), SB_ERR_CONFIG, "%s parsed", s);
	cr_assert_str_eq(err, want, "for %s", s);
	cr_assert_eq(ps.n, 0);
}

static void assert_same(const struct sb_pair_cfg *a, const struct sb_pair_cfg *b)
{
	cr_assert_str_eq(a->symbol, b->symbol);
	cr_assert_eq(a->enabled, b->enabled, "%s", a->symbol);
	cr_assert_eq(a->quote, b->quote, "%s", a->symbol);
	cr_assert_eq(a->max_positions, b->max_positions, "%s", a->symbol);
	cr_assert_eq(a->buy_mode, b->buy_mode, "%s", a->symbol);
	cr_assert_eq(a->buy_offset, b->buy_offset, "%s", a->symbol);
	cr_assert_eq(a->buy_timeout_ms, b->buy_timeout_ms, "%s", a->symbol);
	cr_assert_eq(a->profit, b->profit, "%s", a->symbol);
	cr_assert_eq(a->stop_loss, b->stop_loss, "%s", a->symbol);
	cr_assert_eq(a->max_duration_ms, b->max_duration_ms, "%s", a->symbol);
	cr_assert_eq(a->max_duration_sell, b->max_duration_sell, "%s", a->symbol);
	cr_assert_eq(a->cooldown_ms, b->cooldown_ms, "%s", a->symbol);
	cr_assert_eq(a->stop_loss_cooldown_ms, b->stop_loss_cooldown_ms, "%s", a->symbol);
}

Test(pairs, contract_example)
{
	assert_ok("BTCUSDT:quote=20,profit=0.5%;ETHUSDT:quote=15,profit=0.8%,buy_timeout=60s");
	cr_assert_eq(ps.n, 2);
	const struct sb_pair_cfg *b = sb_pairs_find(&ps, "BTCUSDT", 7), *e = sb_pairs_find(&ps, "ETHUSDT", 7);
	cr_assert_not_null(b);
	cr_assert_not_null(e);
	cr_assert_eq(b->quote, D("20"));
	cr_assert_eq(b->profit, D("0.005"));
	cr_assert_eq(b->buy_timeout_ms, 300000, "default 5m");
	cr_assert_eq(e->quote, D("15"));
	cr_assert_eq(e->profit, D("0.008"));
	cr_assert_eq(e->buy_timeout_ms, 60000);
	cr_assert_null(sb_pairs_find(&ps, "BNBUSDT", 7));
}

Test(pairs, defaults)
{
	assert_ok("BTCUSDT:quote=20");
	const struct sb_pair_cfg *p = &ps.pair[0];
	cr_assert(p->enabled);
	cr_assert_eq(p->max_positions, 1);
	cr_assert_eq(p->buy_mode, SB_BUY_LIMIT);
	cr_assert_eq(p->buy_offset, D("0.001"));
	cr_assert_eq(p->buy_timeout_ms, 5 * 60 * 1000);
	cr_assert_eq(p->profit, D("0.005"));
	cr_assert_eq(p->stop_loss, 0);
	cr_assert_eq(p->max_duration_ms, 0);
	cr_assert_not(p->max_duration_sell);
	cr_assert_eq(p->cooldown_ms, 0);
	cr_assert_eq(p->stop_loss_cooldown_ms, 30 * 60 * 1000);
}

Test(pairs, every_key)
{
	assert_ok(
	    "SOLUSDT:enabled=false,quote=12.5,max_positions=3,buy_mode=market,buy_offset=0.25%,"
	    "buy_timeout=90s,profit=1.2%,stop_loss=5%,max_duration=2h,max_duration_sell=yes,cooldown=500ms,"
	    "stop_loss_cooldown=10m");
	const struct sb_pair_cfg *p = &ps.pair[0];
	cr_assert_str_eq(p->symbol, "SOLUSDT");
	cr_assert_not(p->enabled);
	cr_assert_eq(p->quote, D("12.5"));
	cr_assert_eq(p->max_positions, 3);
	cr_assert_eq(p->buy_mode, SB_BUY_MARKET);
	cr_assert_eq(p->buy_offset, D("0.0025"));
	cr_assert_eq(p->buy_timeout_ms, 90000);
	cr_assert_eq(p->profit, D("0.012"));
	cr_assert_eq(p->stop_loss, D("0.05"));
	cr_assert_eq(p->max_duration_ms, 7200000);
	cr_assert(p->max_duration_sell);
	cr_assert_eq(p->cooldown_ms, 500);
	cr_assert_eq(p->stop_loss_cooldown_ms, 600000);
	size_t n;
	sb_pair_keys(&n);
	cr_assert_eq(n, 12, "a new key needs a line in this test");
}

Test(pairs, value_spellings)
{
	assert_ok(" BTCUSDT : quote = 20 , stop_loss = off , max_duration = 1d , cooldown = 0 ; ");
	cr_assert_eq(ps.n, 1);
	cr_assert_eq(ps.pair[0].stop_loss, 0);
	cr_assert_eq(ps.pair[0].max_duration_ms, 86400000);
	assert_ok("BTCUSDT:quote=20,stop_loss=0,max_duration=OFF,buy_offset=0,enabled=On,buy_mode=MARKET");
	cr_assert_eq(ps.pair[0].buy_offset, 0);
	cr_assert(ps.pair[0].enabled);
	cr_assert_eq(ps.pair[0].buy_mode, SB_BUY_MARKET);
	assert_ok("BTCUSDT:quote=20,buy_timeout=5m,cooldown=1h,buy_offset=0.000001%");
	cr_assert_eq(ps.pair[0].buy_offset, 1, "one raw unit");
	assert_ok("");
	cr_assert_eq(ps.n, 0);
	assert_ok(";;");
	cr_assert_eq(ps.n, 0);
	assert_ok("BTCUSDT:quote=20;;ETHUSDT:quote=1");
	cr_assert_eq(ps.n, 2);
}

Test(pairs, error_messages)
{
	assert_error("BTCUSDT:quote=20;ETHUSDT:quote=15,buy_timeout=60",
	             "PAIRS: ETHUSDT: buy_timeout: expected a duration like 60s, got '60'");
	assert_error(
	    "BTCUSDT:quote=20,profit=0.5",
	    "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '0.5' (did you mean 0.5%?)");
	assert_error("BTCUSDT:quote=20,qoute=5", "PAIRS: BTCUSDT: qoute: unknown key");
	assert_error("BTCUSDT:quote=20;BTCUSDT:quote=5", "PAIRS: BTCUSDT: listed twice");
	assert_error("BTCUSDT:quote=20,quote=5", "PAIRS: BTCUSDT: quote: set twice");
	assert_error("BTCUSDT:profit=1%", "PAIRS: BTCUSDT: quote: required");
	assert_error("BTCUSDT", "PAIRS: BTCUSDT: quote: required");
	assert_error("BTCUSDT:quote=0", "PAIRS: BTCUSDT: quote: must be above 0, at most 10000000, got '0'");
	assert_error("BTCUSDT:quote=-5",
	             "PAIRS: BTCUSDT: quote: must be above 0, at most 10000000, got '-5'");
	assert_error("BTCUSDT:quote=20000000",
	             "PAIRS: BTCUSDT: quote: must be above 0, at most 10000000, got '20000000'");
	assert_error("BTCUSDT:quote=abc",
	             "PAIRS: BTCUSDT: quote: expected a decimal number like 20, got 'abc'");
	assert_error("BTCUSDT:quote=1e3",
	             "PAIRS: BTCUSDT: quote: expected a decimal number like 20, got '1e3'");
	assert_error("BTCUSDT:quote=0.123456789",
	             "PAIRS: BTCUSDT: quote: too many decimal places in '0.123456789'");
	assert_error("BTCUSDT:quote=20,profit=0%",
	             "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '0%'");
	assert_error("BTCUSDT:quote=20,profit=0",
	             "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '0'");
	assert_error(
	    "BTCUSDT:quote=20,profit=150%",
	    "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '150%' (implausible as a profit target)");
	assert_error("BTCUSDT:quote=20,profit=-1%",
	             "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '-1%'");
	assert_error("BTCUSDT:quote=20,profit=-0.5%",
	             "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '-0.5%'");
	assert_error("BTCUSDT:quote=20,profit=-0.5",
	             "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '-0.5'");
	assert_error("BTCUSDT:quote=20,profit=0.5x",
	             "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '0.5x'");
	assert_error("BTCUSDT:quote=20,profit=%",
	             "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '%'");
	assert_error("BTCUSDT:quote=20,profit=off",
	             "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got 'off'");
	assert_error("BTCUSDT:quote=20,buy_offset=0.1234567%",
	             "PAIRS: BTCUSDT: buy_offset: too many decimal places in '0.1234567%'");
	assert_error("BTCUSDT:quote=20,buy_offset=60%",
	             "PAIRS: BTCUSDT: buy_offset: must be 0% to 50%, got '60%'");
	assert_error(
	    "BTCUSDT:quote=20,stop_loss=5",
	    "PAIRS: BTCUSDT: stop_loss: expected a percentage like 0.5%, got '5' (did you mean 5%?)");
	assert_error("BTCUSDT:quote=20,stop_loss=100%",
	             "PAIRS: BTCUSDT: stop_loss: must be off, or above 0% and below 100%, got '100%'");
	assert_error("BTCUSDT:quote=20,max_positions=0",
	             "PAIRS: BTCUSDT: max_positions: must be 1 to 100, got '0'");
	assert_error("BTCUSDT:quote=20,max_positions=101",
	             "PAIRS: BTCUSDT: max_positions: must be 1 to 100, got '101'");
	assert_error("BTCUSDT:quote=20,max_positions=two",
	             "PAIRS: BTCUSDT: max_positions: expected a whole number, got 'two'");
	assert_error("BTCUSDT:quote=20,max_positions=-1",
	             "PAIRS: BTCUSDT: max_positions: expected a whole number, got '-1'");
	assert_error("BTCUSDT:quote=20,buy_mode=stop",
	             "PAIRS: BTCUSDT: buy_mode: expected limit or market, got 'stop'");
	assert_error("BTCUSDT:quote=20,enabled=maybe",
	             "PAIRS: BTCUSDT: enabled: expected true or false, got 'maybe'");
	assert_error("BTCUSDT:quote=20,max_duration_sell=2",
	             "PAIRS: BTCUSDT: max_duration_sell: expected true or false, got '2'");
	assert_error("BTCUSDT:quote=20,buy_timeout=500ms",
	             "PAIRS: BTCUSDT: buy_timeout: must be 1s to 7d, got '500ms'");
	assert_error("BTCUSDT:quote=20,buy_timeout=8d",
	             "PAIRS: BTCUSDT: buy_timeout: must be 1s to 7d, got '8d'");
	assert_error("BTCUSDT:quote=20,buy_timeout=0",
	             "PAIRS: BTCUSDT: buy_timeout: must be 1s to 7d, got '0'");
	assert_error("BTCUSDT:quote=20,buy_timeout=1.5m",
	             "PAIRS: BTCUSDT: buy_timeout: expected a duration like 60s, got '1.5m'");
	assert_error("BTCUSDT:quote=20,buy_timeout=5x",
	             "PAIRS: BTCUSDT: buy_timeout: expected a duration like 60s, got '5x'");
	assert_error("BTCUSDT:quote=20,buy_timeout=s",
	             "PAIRS: BTCUSDT: buy_timeout: expected a duration like 60s, got 's'");
	assert_error("BTCUSDT:quote=20,buy_timeout=off",
	             "PAIRS: BTCUSDT: buy_timeout: expected a duration like 60s, got 'off'");
	assert_error("BTCUSDT:quote=20,max_duration=999999999999999999d",
	             "PAIRS: BTCUSDT: max_duration: must be off, or 1s to 365d, got '999999999999999999d'");
	assert_error("BTCUSDT:quote=20,cooldown=31d",
	             "PAIRS: BTCUSDT: cooldown: must be 0s to 30d, got '31d'");
	assert_error("BTCUSDT:quote=20,stop_loss_cooldown=31d",
	             "PAIRS: BTCUSDT: stop_loss_cooldown: must be 0s to 30d, got '31d'");
	assert_error("BTCUSDT:quote=20,stop_loss_cooldown=10",
	             "PAIRS: BTCUSDT: stop_loss_cooldown: expected a duration like 60s, got '10'");
	assert_error("btcusdt:quote=20",
	             "PAIRS: btcusdt: not a symbol (upper-case letters and digits, like BTCUSDT)");
	assert_error(":quote=20", "PAIRS: '': not a symbol (upper-case letters and digits, like BTCUSDT)");
	assert_error("BTC USDT:quote=20",
	             "PAIRS: BTC USDT: not a symbol (upper-case letters and digits, like BTCUSDT)");
	assert_error("BTCUSDT:quote20", "PAIRS: BTCUSDT: 'quote20': expected key=value");
	assert_error("BTCUSDT:quote=20,,profit=1%",
	             "PAIRS: BTCUSDT: empty setting (two commas, or a comma at the end?)");
	assert_error("BTCUSDT:quote=20,",
	             "PAIRS: BTCUSDT: empty setting (two commas, or a comma at the end?)");
	assert_error("BTCUSDT:quote=", "PAIRS: BTCUSDT: quote: expected a decimal number like 20, got ''");
	assert_error("BTCUSDT:=20", "PAIRS: BTCUSDT: : unknown key");
}

Test(pairs, long_and_unprintable_values_are_shortened_in_messages)
{
	char err[SB_PAIRS_ERR_MAX];
	cr_assert_eq(
	    parse("BTCUSDT:quote=20,profit=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", err),
	    SB_ERR_CONFIG);
	cr_assert_str_eq(err, "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got "
	                      "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
	cr_assert_eq(parse("BTCUSDT:quote=2\x01", err), SB_ERR_CONFIG);
	cr_assert_str_eq(err, "PAIRS: BTCUSDT: quote: expected a decimal number like 20, got '2?'");
	/* A small error buffer is truncated, never overrun. */
	char tiny[16];
	cr_assert_eq(sb_pairs_parse("BTCUSDT", 7, &ps, tiny, sizeof tiny), SB_ERR_CONFIG);
	cr_assert_str_eq(tiny, "PAIRS: BTCUSDT:");
}

Test(pairs, too_many_pairs)
{
	char buf[SB_PAIRS_MAX * 24 + 64];
	size_t used = 0;
	for (int i = 0; i <= SB_PAIRS_MAX; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "S%dUSDT:quote=1;", i);
	char err[SB_PAIRS_ERR_MAX];
	cr_assert_eq(sb_pairs_parse(buf, used, &ps, err, sizeof err), SB_ERR_CONFIG);
	cr_assert_str_eq(err, "PAIRS: S64USDT: too many pairs (at most 64)");
	/* Exactly the maximum is fine. */
	char *last = strstr(buf, "S64USDT");
	cr_assert_eq(sb_pairs_parse(buf, (size_t)(last - buf), &ps, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(ps.n, SB_PAIRS_MAX);
}

Test(pairs, utf8_symbols_are_accepted)
{
	assert_ok("\xe5\xb8\x81\xe5\xae\x89USDT:quote=10");
	cr_assert_str_eq(ps.pair[0].symbol, "\xe5\xb8\x81\xe5\xae\x89USDT");
}

Test(pairs, set_at_run_time)
{
	struct sb_pair_cfg p;
	char err[SB_PAIRS_ERR_MAX];
	cr_assert_eq(sb_pair_init(&p, "BTCUSDT", 7), SB_OK);
	cr_assert_eq(sb_pair_validate(&p, err, sizeof err), SB_ERR_CONFIG);
	cr_assert_str_eq(err, "quote: required");
	cr_assert_eq(sb_pair_set(&p, "quote", 5, "25", 2, err, sizeof err), SB_OK);
	cr_assert_eq(sb_pair_validate(&p, err, sizeof err), SB_OK);
	cr_assert_eq(sb_pair_set(&p, "profit", 6, "0.8%", 4, err, sizeof err), SB_OK);
	cr_assert_eq(p.profit, D("0.008"));
	cr_assert_eq(sb_pair_set(&p, "profit", 6, "80", 2, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "profit: expected a percentage like 0.5%, got '80' (did you mean 80%?)");
	cr_assert_eq(p.profit, D("0.008"), "unchanged on error");
	cr_assert_eq(sb_pair_set(&p, "profit", 6, "100%", 4, err, sizeof err), SB_ERR_SUSPICIOUS);
	cr_assert_eq(sb_pair_set(&p, "stop_loss", 9, "100%", 4, err, sizeof err), SB_ERR_RANGE);
	cr_assert_eq(sb_pair_set(&p, "nope", 4, "1", 1, err, sizeof err), SB_ERR_NOT_FOUND);
	cr_assert_str_eq(err, "nope: unknown key");
	cr_assert_eq(sb_pair_set(&p, "quote", 5, "1", 1, NULL, 0), SB_OK, "err may be NULL");
	cr_assert_eq(sb_pair_init(&p, "btc", 3), SB_ERR_INVALID);
	cr_assert_eq(sb_pair_init(&p, "", 0), SB_ERR_INVALID);
}

Test(pairs, every_default_parses)
{
	size_t n;
	const struct sb_pair_key *k = sb_pair_keys(&n);
	struct sb_pair_cfg p;
	cr_assert_eq(sb_pair_init(&p, "BTCUSDT", 7), SB_OK);
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(k[i].help);
		cr_assert_not_null(k[i].range);
		if (!k[i].def)
			continue;
		char err[SB_PAIRS_ERR_MAX];
		cr_assert_eq(sb_pair_set(&p, k[i].name, strlen(k[i].name), k[i].def, strlen(k[i].def), err,
		                         sizeof err),
		             SB_OK, "%s", err);
		cr_assert_eq(sb_pair_key_find(k[i].name, strlen(k[i].name)), &k[i]);
	}
}

Test(pairs, format_round_trip)
{
	const char *in =
	    "BTCUSDT:quote=20,profit=0.5%;ETHUSDT:quote=15,profit=0.8%,buy_timeout=60s;"
	    "SOLUSDT:enabled=false,quote=12.5,max_positions=3,buy_mode=market,buy_offset=0.25%,"
	    "buy_timeout=90s,profit=1.2%,stop_loss=5%,max_duration=2h,max_duration_sell=true,cooldown=500ms";
	char out[2048];
	size_t len;
	assert_ok(in);
	static struct sb_pairs first;
	first = ps;
	cr_assert_eq(sb_pairs_format(&first, false, out, sizeof out, &len), SB_OK);
	cr_assert_str_eq(out,
	                 "BTCUSDT:quote=20;ETHUSDT:quote=15,buy_timeout=1m,profit=0.8%;"
	                 "SOLUSDT:enabled=false,quote=12.5,max_positions=3,buy_mode=market,buy_offset=0.25%,"
	                 "buy_timeout=90s,profit=1.2%,stop_loss=5%,max_duration=2h,max_duration_sell=true,"
	                 "cooldown=500ms");
	cr_assert_eq(len, strlen(out));
	assert_ok(out);
	for (size_t i = 0; i < first.n; i++)
		assert_same(&first.pair[i], &ps.pair[i]);
	cr_assert_eq(sb_pair_format(&first.pair[0], true, out, sizeof out, NULL), SB_OK);
	cr_assert_str_eq(out,
	                 "BTCUSDT:enabled=true,quote=20,max_positions=1,buy_mode=limit,buy_offset=0.1%,"
	                 "buy_timeout=5m,profit=0.5%,stop_loss=off,max_duration=off,max_duration_sell=false,"
	                 "cooldown=0s,stop_loss_cooldown=30m");
	assert_ok(out);
	assert_same(&first.pair[0], &ps.pair[0]);
	char small[20];
	cr_assert_eq(sb_pairs_format(&first, true, small, sizeof small, &len), SB_ERR_TOO_LONG);
	cr_assert_str_eq(small, "");
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

Test(pairs, format_round_trip_on_random_settings)
{
	static struct sb_pairs a;
	char out[8192], err[SB_PAIRS_ERR_MAX];
	for (int round = 0; round < 200; round++) {
		a.n = 1 + rnd(8);
		for (size_t i = 0; i < a.n; i++) {
			struct sb_pair_cfg *p = &a.pair[i];
			char sym[48];
			snprintf(sym, sizeof sym, "C%zuX%dUSDT", i, round);
			cr_assert_eq(sb_pair_init(p, sym, strlen(sym)), SB_OK);
			p->enabled = rnd(2);
			p->quote = 1 + (sb_dec)rnd(1000000000000ULL);
			p->max_positions = 1 + (int64_t)rnd(100);
			p->buy_mode = rnd(2) ? SB_BUY_MARKET : SB_BUY_LIMIT;
			p->buy_offset = (sb_dec)rnd(500001) * 100; /* 6 places of percent */
			p->buy_timeout_ms = 1000 + (int64_t)rnd(7 * 86400000LL - 999);
			p->profit = 100 + (sb_dec)rnd(999999) * 100;
			p->stop_loss = rnd(3) ? 0 : 100 * (1 + (sb_dec)rnd(999998));
			p->max_duration_ms = rnd(3) ? 0 : 1000 + (int64_t)rnd(1000000000);
			p->max_duration_sell = rnd(2);
			p->cooldown_ms = (int64_t)rnd(30LL * 86400000 + 1);
			p->stop_loss_cooldown_ms = (int64_t)rnd(30LL * 86400000 + 1);
		}
		bool all = rnd(2);
		size_t len;
		cr_assert_eq(sb_pairs_format(&a, all, out, sizeof out, &len), SB_OK);
		cr_assert_eq(sb_pairs_parse(out, len, &ps, err, sizeof err), SB_OK, "%s -> %s", out, err);
		cr_assert_eq(ps.n, a.n);
		for (size_t i = 0; i < a.n; i++)
			assert_same(&a.pair[i], &ps.pair[i]);
	}
}

static const char *source_dir(void)
{
	const char *d = getenv("SB_SOURCE_DIR");
	return d && *d ? d : ".";
}

Test(pairs, docs_table_matches_the_key_table)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/docs/strategy.md", source_dir());
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	static char doc[65536];
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = '\0';
	size_t need = sb_pairs_markdown(NULL, 0);
	char *table = malloc(need + 1);
	cr_assert_eq(sb_pairs_markdown(table, need + 1), need);
	cr_assert_not_null(strstr(doc, table), "docs/strategy.md lacks the current table of keys:\n%s",
	                   table);
	/* A short buffer is truncated but the needed length is still reported. */
	char small[10];
	cr_assert_eq(sb_pairs_markdown(small, sizeof small), need);
	cr_assert_eq(strlen(small), 9);
	free(table);
}
