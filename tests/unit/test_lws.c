/*
 * The common libwebsockets layer's parts that need no connection: a context on a foreign loop leaves the
 * loop closable, the port check, the close request and a peer's close frame (lws_ws), the body gathering
 * (lws_http). Frames on real sockets (queue, burst, reassembly, the close handshake, responses with their
 * headers) are test_ws_client.c's and test_sim_server.c's, through the client and server built on them.
 */
#include <criterion/criterion.h>
#include <libwebsockets.h>
#include <string.h>
#include <uv.h>

#include "common/lws_http.h"
#include "common/lws_loop.h"
#include "common/lws_ws.h"

/* ---- lws_loop ---------------------------------------------------------------------------------- */

Test(lws_loop, a_context_on_a_foreign_loop_is_freed_with_every_handle)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct lws_context *ctx = NULL;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	lws_set_log_level(LLL_ERR, NULL);
	cr_assert_eq(sb_lws_context_new(&loop, &info, &ctx), SB_OK);
	cr_assert_not_null(ctx);
	cr_assert_null(info.foreign_loops, "no pointer to the call's stack is left behind");
	sb_lws_context_free(&loop, &ctx);
	cr_assert_null(ctx);
	sb_lws_context_free(&loop, &ctx); /* a second free is harmless */
	cr_assert_eq(uv_loop_close(&loop), 0, "a uv handle of lws was left open");
}

Test(lws_loop, missing_arguments_are_refused)
{
	struct lws_context *ctx = NULL;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	cr_assert_eq(sb_lws_context_new(NULL, &info, &ctx), SB_ERR_INVALID);
	cr_assert_null(ctx);
}

Test(lws_loop, a_bound_port_is_taken_and_a_released_one_free)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	uv_tcp_t t;
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(&loop, &t);
	cr_assert_eq(uv_tcp_bind(&t, (const struct sockaddr *)&addr, 0), 0);
	cr_assert_eq(uv_listen((uv_stream_t *)&t, 1, NULL), 0);
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &sl);
	int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	cr_assert_not(sb_lws_port_free("127.0.0.1", port));
	cr_assert_not(sb_lws_port_free("localhost", port), "localhost is 127.0.0.1");
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(sb_lws_port_free("127.0.0.1", port));
	cr_assert(sb_lws_port_free("127.0.0.1", 0), "port 0 cannot be taken");
	cr_assert(sb_lws_port_free("example.invalid", port), "names are left to lws");
	cr_assert_eq(uv_loop_close(&loop), 0);
}

/* ---- lws_ws ------------------------------------------------------------------------------------ */

Test(lws_ws, nothing_is_queued_without_a_connection)
{
	struct sb_lws_ws w;
	sb_lws_ws_init(&w, 1024, 4, 2);
	cr_assert_eq(sb_lws_ws_send(&w, "x", 1), SB_ERR_STATE);
	cr_assert_eq(w.queued, 0);
	sb_lws_ws_ping(&w);
	cr_assert_not(w.ping_due, "no ping without a connection");
	cr_assert_eq(sb_lws_ws_writeable(&w, "", 0), 0);
	sb_lws_ws_fini(&w);
}

Test(lws_ws, the_first_close_decides_code_and_reason_and_the_timer_waits_for_the_queue)
{
	struct sb_lws_ws w;
	sb_lws_ws_init(&w, 1024, 4, 2);
	cr_assert_eq(sb_lws_ws_timer(&w), 0);
	char long_reason[300];
	memset(long_reason, 'r', sizeof long_reason - 1);
	long_reason[sizeof long_reason - 1] = '\0';
	sb_lws_ws_close(&w, 4001, long_reason);
	cr_assert_eq(w.close, SB_LWS_CLOSE_PENDING);
	cr_assert_eq(w.close_code, 4001);
	cr_assert_eq(strlen(w.close_text), SB_LWS_CLOSE_TEXT_MAX - 1, "a close frame carries 123 bytes");
	sb_lws_ws_close(&w, 1000, "later");
	cr_assert_eq(w.close_code, 4001, "the first close decides");
	cr_assert_eq(sb_lws_ws_timer(&w), 0, "not armed before the queue has drained");
	cr_assert_eq(sb_lws_ws_send(&w, "x", 1), SB_ERR_STATE, "nothing is sent after a close");
	sb_lws_ws_fini(&w);
}

Test(lws_ws, a_peer_close_frame_gives_its_code_and_reason)
{
	uint16_t code = 0;
	char text[8];
	const unsigned char frame[] = {0x0f, 0xa1, 'g', 'o', 'i', 'n', 'g', ' ', 'a', 'w', 'a', 'y'};
	sb_lws_ws_peer_close(frame, sizeof frame, &code, text, sizeof text);
	cr_assert_eq(code, 4001);
	cr_assert_str_eq(text, "going a", "cut to the caller's room");
	sb_lws_ws_peer_close(frame, 1, &code, text, sizeof text);
	cr_assert_eq(code, 1005, "no status");
	cr_assert_str_eq(text, "");
	sb_lws_ws_peer_close(NULL, 0, &code, text, sizeof text);
	cr_assert_eq(code, 1005);
}

/* ---- lws_http ---------------------------------------------------------------------------------- */

Test(lws_http, a_body_is_kept_up_to_its_maximum_and_counted_past_it)
{
	struct sb_lws_body b;
	sb_lws_body_init(&b, 8);
	sb_lws_body_add(&b, "abcd", 4);
	sb_lws_body_add(&b, "efgh", 4);
	cr_assert_not(sb_lws_body_too_large(&b));
	cr_assert_str_eq(sb_buf_str(&b.buf), "abcdefgh");
	sb_lws_body_add(&b, "i", 1);
	cr_assert(sb_lws_body_too_large(&b));
	cr_assert_str_eq(sb_buf_str(&b.buf), "abcdefgh", "the beginning is kept");
	sb_lws_body_add(&b, "jk", 2);
	cr_assert_eq(b.seen, 11);
	sb_lws_body_fini(&b);
	cr_assert_eq(b.seen, 0);
	sb_lws_body_add(&b, "new", 3);
	cr_assert_not(sb_lws_body_too_large(&b), "ready for the next request");
	cr_assert_str_eq(sb_buf_str(&b.buf), "new");
	sb_lws_body_fini(&b);
}
