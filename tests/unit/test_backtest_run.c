/*
 * test_backtest_run.c - the backtest's driver in the test's process (sb_bt_run) on a real kline excerpt:
 * a symbol outside spotsim's catalogue trades on the rules of an exchangeInfo document, the run's
 * database kept in memory gives the very results of one in a file, and the run counts what it took.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtest/bt_run.h"
#include "sbtest.h"
#include "spotbot/log.h"

static char dir[64], data[128], info[128];
static struct sb_config cfg;

/* Copies the file at src (relative to the source tree) to dst. */
static void copy(const char *src, const char *dst)
{
	char path[512];
	sbt_source_path(src, path, sizeof path);
	FILE *in = fopen(path, "rb"), *out = fopen(dst, "wb");
	cr_assert(in && out, "%s -> %s", path, dst);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

/* An exchangeInfo listing AVAXUSDT with ETHUSDT's rules (tick 0.01, step 0.0001): not in the catalogue. */
static void write_info(void)
{
	char path[512];
	sbt_source_path("tests/data/exchangeinfo/spot_usdt.json", path, sizeof path);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *doc = cJSON_Parse(text);
	cr_assert_not_null(doc);
	cJSON *syms = cJSON_GetObjectItemCaseSensitive(doc, "symbols"), *s, *eth = NULL;
	cJSON_ArrayForEach(s, syms)
	{
		if (strcmp(cJSON_GetObjectItemCaseSensitive(s, "symbol")->valuestring, "ETHUSDT") == 0)
			eth = s;
	}
	cr_assert_not_null(eth);
	cJSON *avax = cJSON_Duplicate(eth, true);
	cJSON_ReplaceItemInObjectCaseSensitive(avax, "symbol", cJSON_CreateString("AVAXUSDT"));
	cJSON_ReplaceItemInObjectCaseSensitive(avax, "baseAsset", cJSON_CreateString("AVAX"));
	cJSON_AddItemToArray(syms, avax);
	char *out = cJSON_PrintUnformatted(doc);
	f = fopen(info, "wb");
	cr_assert_not_null(f);
	fputs(out, f);
	fclose(f);
	free(out);
	cJSON_Delete(doc);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sb_btrun_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(data, sizeof data, "%s/AVAXUSDT-1m-2023-02.csv", dir);
	snprintf(info, sizeof info, "%s/info.json", dir);
	copy("tests/data/klines/LINKUSDT-1m-2023-02.csv", data);
	write_info();
	char text[512];
	int len = snprintf(text, sizeof text,
	                   "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\n"
	                   "PAIRS=AVAXUSDT:quote=20,profit=0.1%%\n",
	                   dir, dir);
	char *envp[] = {NULL};
	sb_config_init(&cfg);
	cr_assert_eq(sb_config_load_buffer(&cfg, "test.env", text, (size_t)len, envp, stderr), SB_OK);
	sb_log_set_level(SB_LOG_ERROR);
}

static void teardown(void)
{
	sb_config_fini(&cfg);
	unlink(data);
	unlink(info);
	rmdir(dir);
}

TestSuite(backtest_run, .init = setup, .fini = teardown);

/* Runs the backtest with exchange_info and db; the report's JSON into json (cap bytes). */
static sb_err run(const char *exchange_info, const char *db, struct sb_bt_report *rep, char *json, size_t cap,
                  char *err, size_t errcap)
{
	const char *paths[] = {data};
	struct sb_bt_run_opts o = {.cfg = &cfg,
	                           .paths = paths,
	                           .npaths = 1,
	                           .to_ms = INT64_MAX,
	                           .db_path = db,
	                           .exchange_info = exchange_info,
	                           .path_trades = SB_BT_PATH_COARSE};
	sb_err e = sb_bt_run(&o, rep, err, errcap);
	if (e == SB_OK && json) {
		FILE *f = fmemopen(json, cap, "w");
		cr_assert_not_null(f);
		sb_bt_report_json(rep, f);
		fclose(f);
	}
	return e;
}

Test(backtest_run, a_symbol_outside_the_catalogue_trades_on_the_rules_of_an_exchange_info)
{
	struct sb_bt_report rep;
	char err[512];
	/* Without the document the symbol's rules are derived from its data (bt_derive.c). */
	cr_assert_eq(run(NULL, NULL, &rep, NULL, 0, err, sizeof err), SB_OK, "%s", err);
	sb_bt_report_fini(&rep);
	cr_assert_eq(run(info, NULL, &rep, NULL, 0, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(rep.candles, 300);
	cr_assert_geq(rep.total.cycles, 1, "the pair traded");
	/* 300 candles of four trades: a trade and a book ticker each, at most. */
	cr_assert_gt(rep.work.market_events, 300);
	cr_assert_leq(rep.work.market_events, 300 * 4 * 2);
	cr_assert_geq(rep.work.exec_reports, (uint64_t)rep.total.cycles * 2, "each cycle's two fills");
	cr_assert_geq(rep.work.requests, (uint64_t)rep.total.cycles * 2, "each cycle's buy and sell");
	cr_assert_gt(rep.work.commits, rep.work.exec_reports, "each fill is committed, so are the intents");
	sb_bt_report_fini(&rep);
}

Test(backtest_run, a_database_in_memory_gives_the_results_of_one_in_a_file)
{
	struct sb_bt_report a, b;
	static char ja[65536], jb[65536];
	char err[512];
	cr_assert_eq(run(info, NULL, &a, ja, sizeof ja, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(run(info, ":memory:", &b, jb, sizeof jb, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(jb, ja, "the same JSON");
	cr_assert_eq(b.work.commits, a.work.commits, "the same writes");
	cr_assert_neq(access(":memory:", F_OK), 0, "no file named :memory: was made");
	sb_bt_report_fini(&a);
	sb_bt_report_fini(&b);
}
