/*
 * http_fetch.c - one HTTP request on a private libuv loop, run until it ends (see http_client.h): what the
 * command-line tools use where the daemon uses the asynchronous client on its own loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/http_client.h"

/* Where the request's callback leaves its outcome. */
struct fetch {
	struct sb_http_fetched *out; /* the caller's result */
	bool done;                   /* the callback ran */
};

static void on_done(void *user, const struct sb_http_resp *resp)
{
	struct fetch *f = user;
	struct sb_http_fetched *out = f->out;
	out->err = resp->err;
	out->sent = resp->sent;
	out->status = resp->status;
	snprintf(out->errmsg, sizeof out->errmsg, "%s", resp->errmsg ? resp->errmsg : "");
	out->body = sb_xmalloc(resp->body_len + 1);
	memcpy(out->body, resp->body, resp->body_len);
	out->body[resp->body_len] = '\0';
	out->body_len = resp->body_len;
	f->done = true;
}

sb_err sb_http_fetch(const struct sb_http_opts *opts, const struct sb_http_req *req,
                     struct sb_http_fetched *out)
{
	memset(out, 0, sizeof *out);
	uv_loop_t loop;
	if (uv_loop_init(&loop) != 0)
		return out->err = SB_ERR_IO;
	struct sb_http *h = NULL;
	struct fetch f = {.out = out};
	out->err = sb_http_new(&loop, opts, &h);
	if (out->err == SB_OK)
		out->err = sb_http_request(h, req, on_done, &f, NULL);
	if (out->err == SB_OK)
		while (!f.done && uv_run(&loop, UV_RUN_ONCE))
			;
	if (out->err != SB_OK && !out->errmsg[0])
		snprintf(out->errmsg, sizeof out->errmsg, "%s", sb_errname(out->err));
	sb_http_free(h);
	uv_run(&loop, UV_RUN_DEFAULT); /* the client's handles and lws' close */
	uv_loop_close(&loop);
	return out->err;
}

void sb_http_fetched_free(struct sb_http_fetched *f)
{
	if (!f)
		return;
	free(f->body);
	f->body = NULL;
	f->body_len = 0;
}
