/*
 * bench_streams - the market and user data streams through the whole client stack (lws on the uv loop,
 * reassembly, codec, subscription filter, dedupe, dispatch to the owner's callback):
 *   market: the real spotsim (exchange, synthetic feeds, fan-out, WebSocket server) runs in this process
 *           on its own loop and thread at a high --speed; the client counts bookTicker and trade events
 *           for a few symbols over a fixed time;
 *   user:   a flood server (spotsim's server layer, its own thread) answers the subscription and then
 *           sends executionReport envelopes in windows the client acknowledges through an atomic
 *           counter, so the server's bounded queue never overflows.
 * CPU per message is the client thread's own (getrusage RUSAGE_THREAD), not the server's.
 * usage: bench_streams [market_seconds] [user_events] [speed]
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sim/app.h"
#include "sim/options.h"
#include "sim/server.h"
#include "spotbot/binance_streams.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define WINDOW 16384 /* user events the flood server sends ahead of the client's acknowledgement */

static const char EXEC[] =
    "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":1499405658658,\"s\":\"ETHBTC\","
    "\"c\":\"mUvoqJxFIILMdfAW5iGSOW\",\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1.00000000\","
    "\"p\":\"0.10264410\",\"P\":\"0.00000000\",\"F\":\"0.00000000\",\"g\":-1,\"C\":\"\",\"x\":\"TRADE\","
    "\"X\":\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":4293153,\"l\":\"0.10000000\",\"z\":\"0.10000000\","
    "\"L\":\"0.10264410\",\"n\":\"0.00010000\",\"N\":\"ETH\",\"T\":1499405658657,\"t\":77,\"v\":3,"
    "\"I\":8641984,\"w\":true,\"m\":false,\"M\":true,\"O\":1499405658657,\"Z\":\"0.01026441\","
    "\"Y\":\"0.01026441\",\"Q\":\"0.00000000\",\"W\":1499405658657,\"V\":\"NONE\"}}";

static double cpu_thread_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* ---- market: spotsim in a thread ------------------------------------------------------------------- */

static void *sim_thread(void *arg)
{
	sim_app_run(arg);
	return NULL;
}

static struct {
	uint64_t events, books, trades; /* delivered */
	bool done;                      /* the measuring time is over */
} M;

static void m_event(void *user, const struct sb_bn_market_event *ev)
{
	(void)user;
	M.events++;
	if (ev->kind == SB_BN_MKT_BOOK_TICKER)
		M.books++;
	else if (ev->kind == SB_BN_MKT_TRADE)
		M.trades++;
}

static void on_done(uv_timer_t *t)
{
	(void)t;
	M.done = true;
}

static int bench_market(double seconds, const char *speed)
{
	char *argv[] = {"spotsim", "--symbols",   "BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT",
	                "--speed", (char *)speed, "--seed",
	                "3",       NULL};
	struct sim_options so;
	if (sim_options_parse(7, argv, &so, stderr) != SB_OK)
		return 1;
	struct sim_app *app;
	if (sim_app_new(&so, stderr, &app) != SB_OK)
		return 1;
	int port = sim_app_port(app);
	pthread_t th;
	pthread_create(&th, NULL, sim_thread, app);

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sb_ws_ctx *ctx;
	sb_ws_ctx_new(&loop, &ctx);
	char base[64];
	snprintf(base, sizeof base, "ws://127.0.0.1:%d", port);
	const char *syms[] = {"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"};
	struct sb_bn_market_stream_opts o = {.base_url = base, .trades = true};
	struct sb_bn_market_stream_ops ops = {m_event, NULL, NULL};
	struct sb_bn_market_stream *ms;
	if (sb_bn_market_stream_new(&loop, ctx, &o, &ops, NULL, syms, 4, &ms) != SB_OK)
		return 1;
	/* Warm up until data flows, then measure. */
	while (M.events < 100)
		uv_run(&loop, UV_RUN_ONCE);
	struct sb_bn_market_stream_stats s0, s1;
	sb_bn_market_stream_stats(ms, &s0);
	uint64_t e0 = M.events, b0 = M.books, t0 = M.trades;
	uv_timer_t done;
	uv_timer_init(&loop, &done);
	uv_timer_start(&done, on_done, (uint64_t)(seconds * 1000), 0);
	double c0 = cpu_thread_s();
	uint64_t w0 = sb_clock_mono_ns();
	while (!M.done)
		uv_run(&loop, UV_RUN_ONCE);
	double wall = (double)(sb_clock_mono_ns() - w0) / 1e9, cpu = cpu_thread_s() - c0;
	sb_bn_market_stream_stats(ms, &s1);
	uint64_t msgs = s1.messages - s0.messages, ev = M.events - e0;
	printf("market: spotsim --speed %s, 4 symbols, %.1f s: %llu frames (%.0f/s), %llu events delivered "
	       "(%llu bookTicker, %llu trade; %.0f/s), client CPU %.2f s = %.2f us/frame (%.0f%% of a core), "
	       "parse errors %llu, reconnects %llu\n",
	       speed, wall, (unsigned long long)msgs, (double)msgs / wall, (unsigned long long)ev,
	       (unsigned long long)(M.books - b0), (unsigned long long)(M.trades - t0), (double)ev / wall,
	       cpu, msgs ? cpu * 1e6 / (double)msgs : 0.0, 100.0 * cpu / wall,
	       (unsigned long long)(s1.parse_errors - s0.parse_errors),
	       (unsigned long long)(s1.reconnects - s0.reconnects));
	uv_close((uv_handle_t *)&done, NULL);
	sb_bn_market_stream_free(ms);
	uv_run(&loop, UV_RUN_NOWAIT);
	sb_ws_ctx_free(ctx);
	uv_loop_close(&loop);
	raise(SIGTERM); /* spotsim's own signal watcher shuts it down gracefully */
	pthread_join(th, NULL);
	sim_app_free(app);
	return 0;
}

/* ---- user: a flood server in a thread ------------------------------------------------------------ */

static struct {
	uv_loop_t loop;           /* server loop */
	uv_async_t wake;          /* the client granted credit, or stop */
	struct sim_server *srv;   /* spotsim's server layer */
	struct sim_ws_conn *conn; /* the subscribed connection */
	long left;                /* events still to send */
	atomic_long credit;       /* events the client allows ahead */
	atomic_bool stop;         /* end the thread */
	pthread_t thread;         /* runs loop */
} U;

static void u_http(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	(void)ctx;
	(void)req;
	sim_http_resp_text(resp, 404, "{}");
}

static bool u_open(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	(void)ctx;
	(void)conn;
	return strcmp(path, "/ws-api/v3") == 0;
}

static void u_pump(void)
{
	long c = atomic_exchange(&U.credit, 0);
	for (long i = 0; i < c && U.left > 0 && U.conn; i++, U.left--)
		sim_ws_send(U.conn, EXEC, sizeof EXEC - 1);
}

static void u_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	(void)ctx;
	const char *id = strstr(data, "\"id\":");
	if (!id || !memmem(data, len, "userDataStream.subscribe", 24))
		return;
	char reply[128];
	int n =
	    snprintf(reply, sizeof reply, "{\"id\":%lld,\"status\":200,\"result\":{\"subscriptionId\":0}}",
	             strtoll(id + 5, NULL, 10));
	sim_ws_send(conn, reply, (size_t)n);
	U.conn = conn;
	u_pump();
}

static void u_close(void *ctx, struct sim_ws_conn *conn)
{
	(void)ctx;
	if (U.conn == conn)
		U.conn = NULL;
}

static void u_wake(uv_async_t *a)
{
	if (atomic_load(&U.stop)) {
		uv_close((uv_handle_t *)a, NULL);
		uv_stop(a->loop);
		return;
	}
	u_pump();
}

static void *u_run(void *arg)
{
	(void)arg;
	uv_run(&U.loop, UV_RUN_DEFAULT);
	sim_server_free(U.srv);
	uv_loop_close(&U.loop);
	return NULL;
}

static struct {
	long got;    /* events delivered */
	long want;   /* events to receive */
	uint64_t t0; /* first event, ns */
	double cpu0; /* client CPU then */
} UC;

static void uc_event(void *user, const struct sb_bn_user_event *ev)
{
	(void)user;
	(void)ev;
	if (UC.got++ == 0) {
		UC.t0 = sb_clock_mono_ns();
		UC.cpu0 = cpu_thread_s();
	}
	if (UC.got % (WINDOW / 2) == 0) {
		atomic_fetch_add(&U.credit, WINDOW / 2);
		uv_async_send(&U.wake);
	}
}

static int bench_user(long n)
{
	uv_loop_init(&U.loop);
	uv_async_init(&U.loop, &U.wake, u_wake);
	U.left = n;
	atomic_store(&U.credit, 2 * WINDOW);
	struct sim_server_opts so = {.host = "127.0.0.1",
	                             .http = u_http,
	                             .ws = {u_open, u_message, u_close},
	                             .ping_interval_s = 3600,
	                             .pong_timeout_s = 7200};
	if (sim_server_new(&U.loop, &so, &U.srv) != SB_OK)
		return 1;
	int port = sim_server_port(U.srv);
	pthread_create(&U.thread, NULL, u_run, NULL);

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sb_ws_ctx *ctx;
	sb_ws_ctx_new(&loop, &ctx);
	struct sb_signer *signer;
	sb_signer_new_hmac("bench-secret", 12, &signer);
	char url[96];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws-api/v3", port);
	struct sb_bn_user_stream_opts o = {.url = url, .api_key = "bench-key", .signer = signer};
	struct sb_bn_user_stream_ops ops = {uc_event, NULL, NULL};
	struct sb_bn_user_stream *us;
	UC.want = n;
	if (sb_bn_user_stream_new(&loop, ctx, &o, &ops, NULL, &us) != SB_OK)
		return 1;
	while (UC.got < UC.want)
		uv_run(&loop, UV_RUN_ONCE);
	double wall = (double)(sb_clock_mono_ns() - UC.t0) / 1e9, cpu = cpu_thread_s() - UC.cpu0;
	struct sb_bn_user_stream_stats st;
	sb_bn_user_stream_stats(us, &st);
	printf("user: %ld executionReports of %zu bytes in %.3f s = %.0f events/s, client CPU %.2f us/event, "
	       "parse errors %llu\n",
	       UC.got, sizeof EXEC - 1, wall, (double)(UC.got - 1) / wall, cpu * 1e6 / (double)(UC.got - 1),
	       (unsigned long long)st.parse_errors);
	sb_bn_user_stream_free(us);
	uv_run(&loop, UV_RUN_NOWAIT);
	sb_ws_ctx_free(ctx);
	uv_loop_close(&loop);
	sb_signer_free(signer);
	atomic_store(&U.stop, true);
	uv_async_send(&U.wake);
	pthread_join(U.thread, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	char *end = NULL;
	double seconds = argc > 1 ? strtod(argv[1], &end) : 5.0;
	long long n = argc > 2 ? strtoll(argv[2], NULL, 10) : 300000;
	const char *speed = argc > 3 ? argv[3] : "2000";
	if (!(seconds > 0 && seconds < 3600) || n <= 1 || n > 100000000) {
		fprintf(stderr, "usage: bench_streams [market_seconds] [user_events] [speed]\n");
		return 2;
	}
	sb_log_set_level(SB_LOG_WARN);
	if (bench_market(seconds, speed))
		return 1;
	return bench_user((long)n);
}
