/*
 * fuzz_codec_user.c - fuzz target for user data events and WebSocket API frames. The input goes through
 * the event parser and the frame classifier; an executionReport that parses must satisfy the invariants
 * the order manager relies on (a TRADE has a trade id, and its fill converts), and a frame must release
 * everything it owns. The executionReport read without a tree (codec_fast.c) must agree with the tree: an
 * input it takes, the tree takes into the same struct.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/codec_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(const struct sb_bn_user_event *ev)
{
	if (ev->kind != SB_BN_USER_EXEC_REPORT)
		return;
	const struct sb_bn_exec_report *r = &ev->u.exec;
	struct sb_fill f;
	sb_err e = sb_bn_exec_report_fill(r, &f);
	if (r->exec_type == SB_BN_EXEC_TRADE) {
		if (r->trade_id < 0 || e != SB_OK || f.trade_id != r->trade_id || f.qty != r->last_qty)
			abort();
	} else if (e != SB_ERR_INVALID) {
		abort();
	}
	if (r->symbol[0] == '\0' || r->client_order_id[0] == '\0' || r->cum_qty < 0)
		abort();
}

/* The fast path takes only what the tree reads, and reads it the same, in both of its forms. */
static void check_fast(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[200];
	struct sb_bn_user_event fast, tree;
	if (sb_bn__user_fast(s, size, false, &fast) &&
	    (sb_bn__user_tree(s, size, &tree, err, sizeof err) != SB_OK ||
	     memcmp(&fast, &tree, sizeof fast) != 0))
		abort();
	struct sb_bn_ws_frame f;
	if (sb_bn__user_fast(s, size, true, &fast)) {
		if (sb_bn__ws_frame_tree(s, size, &f, err, sizeof err) != SB_OK || f.kind != SB_BN_WS_EVENT ||
		    memcmp(&fast, &f.event, sizeof fast) != 0)
			abort();
		sb_bn_ws_frame_fini(&f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_fast(data, size);
	char err[200];
	struct sb_bn_user_event ev;
	if (sb_bn_user_event_parse((const char *)data, size, &ev, err, sizeof err) == SB_OK)
		check_event(&ev);
	else if (err[0] == '\0')
		abort();

	struct sb_bn_ws_frame f;
	sb_err e = sb_bn_ws_frame_parse((const char *)data, size, &f, err, sizeof err);
	if (e == SB_OK && f.kind == SB_BN_WS_EVENT)
		check_event(&f.event);
	if (e == SB_OK && f.kind == SB_BN_WS_RESPONSE) {
		if (f.response.ok != (f.response.result != NULL) ||
		    f.response.n_rate_limits > SB_BN_RATE_LIMITS_MAX)
			abort();
		(void)sb_bn_api_error_class(&f.response.error);
	}
	if (e != SB_OK && (err[0] == '\0' || f.response.doc != NULL))
		abort();
	sb_bn_ws_frame_fini(&f);
	return 0;
}
