/*
 * fuzz_codec_rest.c - fuzz target for REST and WebSocket API results. The first input byte picks the HTTP
 * status given to sb_bn_rest_parse; the rest is the body. Every result parser is then run on the document
 * (and on a WebSocket API response's result), so each must reject what it cannot read with a message and
 * free what it allocated (LeakSanitizer checks the latter).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/codec_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need_reason(sb_err e, const char *err)
{
	if (e != SB_OK && err[0] == '\0')
		abort();
}

static void run_parsers(const cJSON *doc)
{
	char err[256];
	int64_t t;
	need_reason(sb_bn_server_time_from_json(doc, &t, err, sizeof err), err);
	for (int shape = SB_BN_ORDER_ACK; shape <= SB_BN_ORDER_CANCEL; shape++) {
		struct sb_bn_order o;
		sb_err e = sb_bn_order_from_json(doc, (enum sb_bn_order_shape)shape, &o, err, sizeof err);
		need_reason(e, err);
		if (e == SB_OK && shape == SB_BN_ORDER_FULL && o.n_fills > 0 && o.fills == NULL)
			abort();
		sb_bn_order_fini(&o);
	}
	struct sb_bn_order_list ol;
	need_reason(sb_bn_order_list_from_json(doc, &ol, err, sizeof err), err);
	sb_bn_order_list_fini(&ol);
	struct sb_bn_my_trades mt;
	need_reason(sb_bn_my_trades_from_json(doc, &mt, err, sizeof err), err);
	sb_bn_my_trades_fini(&mt);
	struct sb_bn_account a;
	need_reason(sb_bn_account_from_json(doc, &a, err, sizeof err), err);
	sb_bn_account_fini(&a);
	struct sb_bn_commission c;
	need_reason(sb_bn_commission_from_json(doc, &c, err, sizeof err), err);
	struct sb_bn_book_tickers bt;
	need_reason(sb_bn_book_tickers_from_json(doc, &bt, err, sizeof err), err);
	sb_bn_book_tickers_fini(&bt);
	struct sb_bn_prices p;
	need_reason(sb_bn_prices_from_json(doc, &p, err, sizeof err), err);
	sb_bn_prices_fini(&p);
	struct sb_bn_candles k;
	need_reason(sb_bn_candles_from_json(doc, &k, err, sizeof err), err);
	sb_bn_candles_fini(&k);
	struct sb_bn_exchange_info x;
	need_reason(sb_bn_exchange_info_from_json(doc, &x, err, sizeof err), err);
	sb_bn_exchange_info_fini(&x);
	struct sb_bn_rate_limit rl[4];
	size_t n;
	need_reason(sb_bn_rate_limits_from_json(doc, rl, 4, &n, err, sizeof err), err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const int statuses[] = {200, 200, 200, 200, 400, 401, 418, 429, 500, 503};
	int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	const char *body = (const char *)data + 1;
	size_t len = size - 1;

	cJSON *doc;
	struct sb_bn_api_error api;
	char err[256];
	sb_err e = sb_bn_rest_parse(body, len, SB_BN_MSG_MAX, status, &doc, &api, err, sizeof err);
	if (status != 200 && (e == SB_OK || doc != NULL || api.http_status != status))
		abort(); /* an error status never yields a document */
	need_reason(e, err);
	if (doc) {
		run_parsers(doc);
		sb_bn_doc_free(doc);
	}

	struct sb_bn_ws_response r;
	if (sb_bn_ws_response_parse(body, len, &r, err, sizeof err) == SB_OK && r.result)
		run_parsers(r.result);
	sb_bn_ws_response_fini(&r);
	return 0;
}
