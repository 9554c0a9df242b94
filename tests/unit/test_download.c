/*
 * Tests for planning a download: the files and URLs of a range of months or days laid out as
 * data.binance.vision lays them out (month and year boundaries, leap days), and every bad request
 * refused with a reason that names what is wrong.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/download.h"

static struct sb_dl_request req(const char *from, const char *to)
{
	return (struct sb_dl_request){.symbol = "BTCUSDT",
	                              .interval = "1m",
	                              .from = from,
	                              .to = to,
	                              .dir = ".",
	                              .base_url = "https://data.binance.vision/"};
}

Test(download, months_cross_the_year_in_the_monthly_layout)
{
	struct sb_dl_request rq = req("2023-11", "2024-02");
	struct sb_dl_file *f = NULL;
	size_t n = 0;
	char err[SB_DL_ERR_MAX] = "";
	cr_assert_eq(sb_dl_plan(&rq, &f, &n, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(f[0].name, "BTCUSDT-1m-2023-11.zip");
	cr_assert_str_eq(f[2].name, "BTCUSDT-1m-2024-01.zip");
	cr_assert_str_eq(
	    f[3].url,
	    "https://data.binance.vision/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02.zip");
	free(f);
}

Test(download, days_cross_a_leap_february_in_the_daily_layout)
{
	struct sb_dl_request rq = req("2024-02-28", "2024-03-01");
	rq.interval = "1s";
	struct sb_dl_file *f = NULL;
	size_t n = 0;
	char err[SB_DL_ERR_MAX] = "";
	cr_assert_eq(sb_dl_plan(&rq, &f, &n, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(f[1].name, "BTCUSDT-1s-2024-02-29.zip");
	cr_assert_str_eq(
	    f[2].url,
	    "https://data.binance.vision/data/spot/daily/klines/BTCUSDT/1s/BTCUSDT-1s-2024-03-01.zip");
	free(f);
	rq = req("2023-12-31", "2024-01-01");
	cr_assert_eq(sb_dl_plan(&rq, &f, &n, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(f[1].name, "BTCUSDT-1m-2024-01-01.zip");
	free(f);
}

Test(download, bad_requests_say_what_is_wrong)
{
	static const struct {
		const char *symbol, *interval, *from, *to, *base, *why;
	} cases[] = {
	    {"btcusdt", "1m", "2024-01", "2024-01", "http://x", "'btcusdt' is not a symbol"},
	    {"BTC-USDT", "1m", "2024-01", "2024-01", "http://x", "'BTC-USDT' is not a symbol"},
	    {"BTCUSDT", "1M", "2024-01", "2024-01", "http://x", "'1M' is not an interval"},
	    {"BTCUSDT", "1m", "2024-1", "2024-01", "http://x", "'2024-1' is not a date"},
	    {"BTCUSDT", "1m", "2024-01", "2023-02-29", "http://x", "'2023-02-29' is not a date"},
	    {"BTCUSDT", "1m", "2024-01", "2024-01-05", "http://x", "both be months"},
	    {"BTCUSDT", "1m", "2024-02", "2024-01", "http://x", "FROM 2024-02 is after TO 2024-01"},
	    {"BTCUSDT", "1m", "2024-01", "2024-01", "data.binance.vision", "must start with http://"},
	    {"BTCUSDT", "1m", "1990-01-01", "2024-01-01", "http://x", "more than 10000 files"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sb_dl_request rq = {
		    cases[i].symbol, cases[i].interval, cases[i].from, cases[i].to, ".", cases[i].base};
		struct sb_dl_file *f = NULL;
		size_t n = 0;
		char err[SB_DL_ERR_MAX] = "";
		cr_assert_eq(sb_dl_plan(&rq, &f, &n, err, sizeof err), SB_ERR_INVALID, "case %zu accepted",
		             i);
		cr_assert(strstr(err, cases[i].why) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err,
		          cases[i].why);
	}
}
