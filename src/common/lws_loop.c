/*
 * lws_loop.c - libwebsockets contexts on a foreign libuv loop (see lws_loop.h).
 */
#include "common/lws_loop.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spotbot/log.h"

#define LWS_EVLIB_UV "libwebsockets-evlib_uv.so" /* the plugin, found on the library path */

sb_err sb_lws_context_new(uv_loop_t *loop, struct lws_context_creation_info *info, struct lws_context **pctx)
{
	if (!loop || !info || !pctx)
		return SB_ERR_INVALID;
	/* lws loads its libuv event library as a plugin per context and unloads it with the last context,
	 * while uv handles it was closing still have their close callbacks in it: kept loaded for good. */
	static bool pinned;
	if (!pinned)
		pinned = dlopen(LWS_EVLIB_UV, RTLD_NOW | RTLD_NODELETE) != NULL;
	void *foreign[] = {loop};
	info->foreign_loops = foreign;
	info->pcontext = pctx; /* lws clears it when the context is really gone */
	info->options |= LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
	*pctx = lws_create_context(info);
	info->foreign_loops = NULL;
	return *pctx ? SB_OK : SB_ERR_IO;
}

void sb_lws_context_free(uv_loop_t *loop, struct lws_context **pctx)
{
	if (!pctx || !*pctx)
		return;
	lws_context_destroy(*pctx);
	uv_run(loop, UV_RUN_DEFAULT);
	if (*pctx) {
		lws_context_destroy(*pctx);
		uv_run(loop, UV_RUN_DEFAULT);
	}
	*pctx = NULL;
}

static void lws_to_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	enum sb_log_level to = (level & LLL_ERR)    ? SB_LOG_WARN
	                       : (level & LLL_WARN) ? SB_LOG_INFO
	                                            : SB_LOG_DEBUG;
	SB_LOG(to, "lws", SB_NOFIELDS, "%.*s", (int)n, line);
}

void sb_lws_log_to_logger(void)
{
	int levels = LLL_ERR | LLL_WARN;
	if (sb_log_enabled(SB_LOG_DEBUG))
		levels |= LLL_NOTICE;
	lws_set_log_level(levels, lws_to_log);
}

void sb_lws_conn_error_text(struct lws *wsi, bool tls, const char *in, char *out, size_t cap)
{
	const char *lws_text = in ? in : "connection error";
	SSL *ssl = tls ? lws_get_ssl(wsi) : NULL;
	long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (v != X509_V_OK)
		snprintf(out, cap, "certificate verify failed: %s (%s)", X509_verify_cert_error_string(v),
		         lws_text);
	else
		snprintf(out, cap, "%s", lws_text);
}

bool sb_lws_port_free(const char *host, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (port == 0 || !host)
		return true; /* port 0 cannot be taken */
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa.sin_addr) != 1)
		return true;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}
