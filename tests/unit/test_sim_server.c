/*
 * The HTTP side of spotsim's server over real loopback sockets: the loop runs in a thread, libcurl talks
 * to it from the test.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/server.h"

struct fixture {
	uv_loop_t loop;
	uv_async_t stop;
	struct sim_server *srv;
	pthread_t thread;
	int requests;
};

static struct fixture fx;

static void echo(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	struct fixture *f = ctx;
	char buf[4096];
	f->requests++;
	if (strcmp(req->path, "/err") == 0) {
		sim_http_resp_error(resp, 400, -1102, "Mandatory parameter 'symbol' was not sent.");
		return;
	}
	snprintf(buf, sizeof buf, "%s %s key=%s nargs=%zu a=%s body=%s loop=%d",
	         sim_http_method_name(req->method), req->path, req->api_key, req->nargs,
	         sim_http_arg(req, "a") ? sim_http_arg(req, "a") : "-", req->body ? req->body : "",
	         req->loopback);
	sim_http_resp_text(resp, 200, buf);
	sim_http_resp_header(resp, "X-MBX-USED-WEIGHT-1M", "7");
}

static bool ws_open(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	(void)ctx;
	(void)conn;
	(void)path;
	return false;
}

static void ws_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	(void)ctx;
	(void)conn;
	(void)data;
	(void)len;
}

static void ws_close(void *ctx, struct sim_ws_conn *conn)
{
	(void)ctx;
	(void)conn;
}

static void on_stop(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
	uv_stop(a->loop);
}

static void *run(void *arg)
{
	struct fixture *f = arg;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	sim_server_free(f->srv);
	uv_loop_close(&f->loop);
	return NULL;
}

static void setup(void)
{
	memset(&fx, 0, sizeof fx);
	uv_loop_init(&fx.loop);
	uv_async_init(&fx.loop, &fx.stop, on_stop);
	struct sim_server_opts o = {
	    .host = "127.0.0.1", .port = 0, .http = echo, .ws = {ws_open, ws_message, ws_close}, .ctx = &fx};
	cr_assert_eq(sim_server_new(&fx.loop, &o, &fx.srv), SB_OK);
	cr_assert_gt(sim_server_port(fx.srv), 0);
	pthread_create(&fx.thread, NULL, run, &fx);
}

static void teardown(void)
{
	uv_async_send(&fx.stop);
	pthread_join(fx.thread, NULL);
}

struct body {
	char data[70000];
	size_t len;
};

static size_t collect(char *p, size_t s, size_t n, void *u)
{
	struct body *b = u;
	size_t len = s * n;
	if (b->len + len < sizeof b->data) {
		memcpy(b->data + b->len, p, len);
		b->len += len;
		b->data[b->len] = '\0';
	}
	return len;
}

static long request(CURL *c, const char *method, const char *path, const char *body, struct body *out,
                    struct body *headers)
{
	char url[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", sim_server_port(fx.srv), path);
	struct curl_slist *h = curl_slist_append(NULL, "X-MBX-APIKEY: key-123");
	memset(out, 0, sizeof *out);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (headers) {
		memset(headers, 0, sizeof *headers);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, headers);
	}
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

TestSuite(sim_server, .init = setup, .fini = teardown);

Test(sim_server, get_passes_decoded_arguments_and_the_api_key)
{
	CURL *c = curl_easy_init();
	struct body b, h;
	cr_assert_eq(request(c, "GET", "/api/v3/time?a=x%20y&b=2", NULL, &b, &h), 200);
	cr_assert_str_eq(b.data, "GET /api/v3/time key=key-123 nargs=2 a=x y body= loop=1");
	cr_assert(strstr(h.data, "X-MBX-USED-WEIGHT-1M: 7"), "%s", h.data);
	cr_assert(strstr(h.data, "content-length: "), "%s", h.data);
	curl_easy_cleanup(c);
}

Test(sim_server, post_put_and_delete_deliver_the_raw_body)
{
	CURL *c = curl_easy_init();
	struct body b;
	cr_assert_eq(request(c, "POST", "/api/v3/order?a=1", "symbol=BTCUSDT&price=%2B1", &b, NULL), 200);
	cr_assert_str_eq(b.data,
	                 "POST /api/v3/order key=key-123 nargs=1 a=1 body=symbol=BTCUSDT&price=%2B1 loop=1");
	cr_assert_eq(request(c, "DELETE", "/api/v3/order", "symbol=ETHUSDT", &b, NULL), 200);
	cr_assert_str_eq(b.data, "DELETE /api/v3/order key=key-123 nargs=0 a=- body=symbol=ETHUSDT loop=1");
	cr_assert_eq(request(c, "PUT", "/api/v3/userDataStream?listenKey=abc", NULL, &b, NULL), 200);
	cr_assert(strstr(b.data, "PUT /api/v3/userDataStream"), "%s", b.data);
	curl_easy_cleanup(c);
}

Test(sim_server, keep_alive_reuses_one_connection)
{
	CURL *c = curl_easy_init();
	struct body b;
	for (int i = 0; i < 20; i++)
		cr_assert_eq(request(c, "GET", "/api/v3/ping", NULL, &b, NULL), 200);
	long connects = -1;
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
	cr_assert_eq(connects, 0, "the last request opened %ld new connections", connects);
	curl_easy_cleanup(c);
}

Test(sim_server, errors_carry_binance_code_and_message)
{
	CURL *c = curl_easy_init();
	struct body b;
	cr_assert_eq(request(c, "GET", "/err", NULL, &b, NULL), 400);
	cr_assert_str_eq(b.data, "{\"code\":-1102,\"msg\":\"Mandatory parameter 'symbol' was not sent.\"}");
	curl_easy_cleanup(c);
}

Test(sim_server, oversized_body_is_refused_with_413)
{
	CURL *c = curl_easy_init();
	struct body b;
	char *big = malloc(SIM_HTTP_MAX_BODY + 100);
	memset(big, 'a', SIM_HTTP_MAX_BODY + 99);
	big[SIM_HTTP_MAX_BODY + 99] = '\0';
	cr_assert_eq(request(c, "POST", "/api/v3/order", big, &b, NULL), 413);
	cr_assert(strstr(b.data, "too large"), "%s", b.data);
	free(big);
	curl_easy_cleanup(c);
}

Test(sim_server, empty_body_with_content_length_zero_is_answered)
{
	CURL *c = curl_easy_init();
	struct body b;
	/* An empty POSTFIELDS makes curl send "Content-Length: 0": there is no body to wait for. */
	cr_assert_eq(request(c, "DELETE", "/api/v3/order?a=z", "", &b, NULL), 200);
	cr_assert_str_eq(b.data, "DELETE /api/v3/order key=key-123 nargs=1 a=z body= loop=1");
	curl_easy_cleanup(c);
}
