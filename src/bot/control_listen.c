/*
 * control_listen.c - the control API's listening address (CONTROL_LISTEN): "host:port", "[v6]:port" or
 * "unix:/path" taken apart, the start-up checks on it (a non-loopback address needs CONTROL_TOKEN), and
 * whether something already listens there, found out before the database is touched so that a second
 * daemon leaves the first one's records alone.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bot/control.h"
#include "bot/control_http.h"
#include "common/lws_loop.h"
#include "common/parse.h"

#define CONTROL_UNIX_PATH_MAX 108 /* sizeof sun_path: a longer socket path cannot be bound */

bool control_listen_is_local(const char *listen)
{
	if (!listen)
		return false;
	if (strncmp(listen, "unix:", 5) == 0)
		return true;
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return false;
	size_t hl = (size_t)(colon - listen);
	if (hl == 9 && strncmp(listen, "localhost", 9) == 0)
		return true;
	if (hl == 5 && strncmp(listen, "[::1]", 5) == 0)
		return true;
	return hl >= 4 && strncmp(listen, "127.", 4) == 0;
}

sb_err control_listen_parse(const char *listen, struct control_listen *out)
{
	memset(out, 0, sizeof *out);
	if (!listen)
		return SB_ERR_CONFIG;
	if (strncmp(listen, "unix:", 5) == 0) {
		const char *p = listen + 5;
		size_t n = strlen(p);
		if (n == 0 || n >= CONTROL_UNIX_PATH_MAX || n >= sizeof out->iface)
			return SB_ERR_CONFIG;
		memcpy(out->iface, p, n + 1);
		out->unix_sock = true;
		return SB_OK;
	}
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return SB_ERR_CONFIG;
	const char *h = listen;
	size_t hl = (size_t)(colon - listen);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	int64_t port = 0;
	if (hl == 0 || hl >= sizeof out->iface || !sb_parse_i64_str(colon + 1, 1, 65535, &port))
		return SB_ERR_CONFIG;
	memcpy(out->iface, h, hl);
	out->iface[hl] = '\0';
	out->port = (int)port;
	return SB_OK;
}

sb_err control_check_config(const struct sb_config *cfg, char *msg, size_t cap)
{
	struct control_listen l;
	if (!cfg || !cfg->control_listen || control_listen_parse(cfg->control_listen, &l) != SB_OK) {
		snprintf(msg, cap, "CONTROL_LISTEN must be host:port or unix:/path");
		return SB_ERR_CONFIG;
	}
	if (!control_listen_is_local(cfg->control_listen) &&
	    (!cfg->control_token || !cfg->control_token[0])) {
		snprintf(
		    msg, cap,
		    "CONTROL_LISTEN %s is not a loopback address: set CONTROL_TOKEN or listen on 127.0.0.1 "
		    "or a unix socket",
		    cfg->control_listen);
		return SB_ERR_CONFIG;
	}
	return SB_OK;
}

/* True when a process accepts connections on the unix socket path (a daemon already running). */
static bool unix_live(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n >= sizeof sun.sun_path)
		return false;
	memcpy(sun.sun_path, path, n + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return live;
}

bool control_listen_taken(const struct control_listen *l)
{
	return l->unix_sock ? unix_live(l->iface) : !sb_lws_port_free(l->iface, l->port);
}

sb_err control_check_address(const struct sb_config *cfg, char *msg, size_t cap)
{
	struct control_listen l;
	if (!cfg || !cfg->control_listen || control_listen_parse(cfg->control_listen, &l) != SB_OK)
		return SB_ERR_CONFIG;
	if (control_listen_taken(&l)) {
		snprintf(msg, cap, "CONTROL_LISTEN %s is in use: is another spotbot running?",
		         cfg->control_listen);
		return SB_ERR_IO;
	}
	return SB_OK;
}
