/*
 * Benchmark for the Binance message codec: messages parsed per second, nanoseconds and heap allocations
 * per message for the hot messages (bookTicker bare and in the combined-stream envelope, trade, an
 * executionReport of a fill in its WebSocket API envelope) and the largest routine REST response (a FULL
 * order response with 5 fills). The hot messages are timed through the public parsers, which read them
 * without a tree (codec_fast.c), and through the cJSON tree path alone, next to a bare cJSON parse of the
 * same bytes, so the cost of each layer shows. Time is process CPU time (CLOCK_PROCESS_CPUTIME_ID), which
 * other load on a shared machine disturbs less than wall time, and the fastest of several rounds is
 * reported; doubles appear only in the timing arithmetic. Allocations are counted by wrapping glibc's
 * malloc family in this program (not under a sanitizer, which owns malloc; there the column shows "-").
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange/codec_fast.h"

static volatile long sink; /* keeps results observable */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_SANITIZED 1
#endif
#endif

#ifndef BENCH_SANITIZED
/* Every heap allocation of the process goes through these, counted, to glibc's own. */
static unsigned long allocs;
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
	allocs++;
	return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}
void free(void *p)
{
	__libc_free(p);
}
#endif

static const char book_ticker[] =
    "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\","
    "\"A\":\"40.66000000\"}";
static const char combined[] =
    "{\"stream\":\"bnbusdt@bookTicker\",\"data\":{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\","
    "\"B\":\"31.21000000\",\"a\":\"25.36520000\",\"A\":\"40.66000000\"}}";
static const char trade[] =
    "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\","
    "\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}";
static const char exec_report[] =
    "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":1499405658658,\"s\":\"ETHBTC\","
    "\"c\":\"mUvoqJxFIILMdfAW5iGSOW\",\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1.00000000\","
    "\"p\":\"0.10264410\",\"P\":\"0.00000000\",\"F\":\"0.00000000\",\"g\":-1,\"C\":\"\",\"x\":\"TRADE\","
    "\"X\":\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":4293153,\"l\":\"0.50000000\",\"z\":\"0.50000000\","
    "\"L\":\"0.10264410\",\"n\":\"0.00050000\",\"N\":\"ETH\",\"T\":1499405658657,\"t\":71234,\"v\":3,"
    "\"I\":8641984,\"w\":true,\"m\":true,\"M\":true,\"O\":1499405658657,\"Z\":\"0.05132205\","
    "\"Y\":\"0.05132205\",\"Q\":\"0.00000000\",\"W\":1499405658657,\"V\":\"NONE\"}}";

static char *read_data(const char *name, size_t *len)
{
	const char *root = getenv("SB_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/binance/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_codec: cannot open %s (set SB_SOURCE_DIR)\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *name, size_t bytes, double ns, long n, long allocs_per_msg)
{
	char a[32] = "-";
	if (allocs_per_msg >= 0)
		snprintf(a, sizeof a, "%ld", allocs_per_msg);
	printf("%-30s %5zu B %10.0f msgs/s %8.0f ns/msg %6s allocs/msg\n", name, bytes, (double)n / ns * 1e9,
	       ns / (double)n, a);
}

enum { ROUNDS = 7 };

/* One benchmark: fn parses msg once. The machine is shared, so the fastest of ROUNDS rounds is reported. */
typedef void (*parse_fn)(const char *msg, size_t len);

static void bench(const char *name, parse_fn fn, const char *msg, size_t len, long n)
{
	long per_msg = -1;
#ifndef BENCH_SANITIZED
	unsigned long a0 = allocs;
	fn(msg, len);
	per_msg = (long)(allocs - a0);
#endif
	double best = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			fn(msg, len);
		double t = now_ns() - t0;
		if (r == 0 || t < best)
			best = t;
	}
	report(name, len, best, n, per_msg);
}

static char err[256];

static void cjson_only(const char *msg, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(msg, len);
	sink += doc != NULL;
	cJSON_Delete(doc);
}

static void market(const char *msg, size_t len)
{
	struct sb_bn_market_msg m;
	sink += sb_bn_market_parse(msg, len, &m, err, sizeof err) == SB_OK;
}

static void market_tree(const char *msg, size_t len)
{
	struct sb_bn_market_msg m;
	sink += sb_bn__market_tree(msg, len, &m, err, sizeof err) == SB_OK;
}

static void ws_frame(const char *msg, size_t len)
{
	struct sb_bn_ws_frame f;
	sink += sb_bn_ws_frame_parse(msg, len, &f, err, sizeof err) == SB_OK;
	sb_bn_ws_frame_fini(&f);
}

static void ws_frame_tree(const char *msg, size_t len)
{
	struct sb_bn_ws_frame f;
	sink += sb_bn__ws_frame_tree(msg, len, &f, err, sizeof err) == SB_OK;
	sb_bn_ws_frame_fini(&f);
}

static void user(const char *msg, size_t len)
{
	struct sb_bn_user_event ev;
	sink += sb_bn_user_event_parse(msg, len, &ev, err, sizeof err) == SB_OK;
}

static void full_order(const char *msg, size_t len)
{
	cJSON *doc;
	struct sb_bn_api_error api;
	struct sb_bn_order o;
	if (sb_bn_rest_parse(msg, len, SB_BN_MSG_MAX, 200, &doc, &api, err, sizeof err) != SB_OK)
		exit(1);
	sink += sb_bn_order_from_json(doc, SB_BN_ORDER_FULL, &o, err, sizeof err) == SB_OK;
	sink += (long)o.n_fills;
	sb_bn_order_fini(&o);
	sb_bn_doc_free(doc);
}

int main(void)
{
	enum { N = 50000, N_FULL = 20000 };
	bench("bookTicker", market, book_ticker, sizeof book_ticker - 1, N);
	bench("  (cJSON tree path)", market_tree, book_ticker, sizeof book_ticker - 1, N);
	bench("  (cJSON parse only)", cjson_only, book_ticker, sizeof book_ticker - 1, N);
	bench("bookTicker (combined)", market, combined, sizeof combined - 1, N);
	bench("  (cJSON tree path)", market_tree, combined, sizeof combined - 1, N);
	bench("trade", market, trade, sizeof trade - 1, N);
	bench("  (cJSON parse only)", cjson_only, trade, sizeof trade - 1, N);
	bench("executionReport (TRADE)", user, exec_report, sizeof exec_report - 1, N);
	bench("  (cJSON parse only)", cjson_only, exec_report, sizeof exec_report - 1, N);
	bench("executionReport (WS frame)", ws_frame, exec_report, sizeof exec_report - 1, N);
	bench("  (cJSON tree path)", ws_frame_tree, exec_report, sizeof exec_report - 1, N);
	size_t len;
	char *full = read_data("rest_order_full.json", &len);
	bench("FULL order (5 fills)", full_order, full, len, N_FULL);
	bench("  (cJSON parse only)", cjson_only, full, len, N_FULL);
	free(full);
	return sink == 0;
}
