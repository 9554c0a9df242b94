/*
 * fuzz_codec_market.c - fuzz target for the market stream frame parser. Any input must either parse into
 * a message of a known kind with a NUL-terminated symbol, or fail with a message naming why; the input is
 * never written to. The bookTicker read without a tree (codec_fast.c) must agree with the tree: an input
 * it takes, the tree takes into the same struct.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/codec_fast.h"
#include "spotbot/binance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fast path takes only what the tree reads, and reads it the same. */
static void check_fast(const uint8_t *data, size_t size)
{
	struct sb_bn_market_msg fast, tree;
	char err[160];
	if (!sb_bn__market_fast((const char *)data, size, &fast))
		return;
	if (sb_bn__market_tree((const char *)data, size, &tree, err, sizeof err) != SB_OK ||
	    memcmp(&fast, &tree, sizeof fast) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_fast(data, size);
	struct sb_bn_market_msg m;
	char err[160];
	sb_err e = sb_bn_market_parse((const char *)data, size, &m, err, sizeof err);
	if (memchr(err, '\0', sizeof err) == NULL)
		abort();
	if (e != SB_OK) {
		if (err[0] == '\0' || m.kind != 0)
			abort(); /* every failure says why, and leaves the output zeroed */
		return 0;
	}
	if (err[0] != '\0' || memchr(m.stream, '\0', sizeof m.stream) == NULL)
		abort();
	switch (m.kind) {
	case SB_BN_MKT_BOOK_TICKER:
		if (m.u.book_ticker.symbol[0] == '\0' || m.u.book_ticker.bid_price < 0 ||
		    m.u.book_ticker.ask_qty < 0)
			abort();
		break;
	case SB_BN_MKT_TRADE:
		if (m.u.trade.symbol[0] == '\0' || m.u.trade.event_time < 0 || m.u.trade.price < 0)
			abort();
		break;
	case SB_BN_MKT_AGG_TRADE:
	case SB_BN_MKT_KLINE:
	case SB_BN_MKT_MINI_TICKER:
	case SB_BN_MKT_CONTROL_REPLY:
	case SB_BN_MKT_CONTROL_ERROR:
	case SB_BN_MKT_SERVER_SHUTDOWN:
		break;
	default:
		abort();
	}
	return 0;
}
