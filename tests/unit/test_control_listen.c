/*
 * test_control_listen.c - the control API's listening address (src/bot/control_listen.c): CONTROL_LISTEN
 * taken apart, its port read by the one integer parser, the loopback rule and the start-up checks.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bot/control.h"
#include "bot/control_http.h"
#include "spotbot/config.h"

Test(control_listen, host_port_v6_and_unix_socket_are_taken_apart)
{
	struct control_listen l;
	cr_assert_eq(control_listen_parse("127.0.0.1:8080", &l), SB_OK);
	cr_assert_str_eq(l.iface, "127.0.0.1");
	cr_assert_eq(l.port, 8080);
	cr_assert(!l.unix_sock);
	cr_assert_eq(control_listen_parse("[::1]:65535", &l), SB_OK);
	cr_assert_str_eq(l.iface, "::1");
	cr_assert_eq(l.port, 65535);
	cr_assert_eq(control_listen_parse("unix:/run/spotbot.sock", &l), SB_OK);
	cr_assert_str_eq(l.iface, "/run/spotbot.sock");
	cr_assert(l.unix_sock);
	cr_assert_eq(l.port, 0);
}

Test(control_listen, a_port_is_digits_only_and_in_range)
{
	static const char *const bad[] = {
	    "127.0.0.1:0",
	    "127.0.0.1:65536",
	    "127.0.0.1:+80",
	    "127.0.0.1: 80",
	    "127.0.0.1:80x",
	    "127.0.0.1:-1",
	    "127.0.0.1:",
	    ":80",
	    "127.0.0.1",
	    "[]:80",
	    "127.0.0.1:99999999999999999999",
	    "unix:",
	    NULL,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct control_listen l;
		cr_assert_eq(control_listen_parse(bad[i], &l), SB_ERR_CONFIG, "%s is refused",
		             bad[i] ? bad[i] : "NULL");
	}
	char longpath[200] = "unix:/";
	memset(longpath + 6, 'a', 120);
	struct control_listen l;
	cr_assert_eq(control_listen_parse(longpath, &l), SB_ERR_CONFIG, "a socket path over 107 bytes");
}

Test(control_listen, a_public_address_needs_a_token)
{
	char anywhere[] = "0.0.0.0:8080", token[] = "t", plus[] = "localhost:+8080";
	struct sb_config cfg = {.control_listen = anywhere};
	char msg[256] = "";
	cr_assert_eq(control_check_config(&cfg, msg, sizeof msg), SB_ERR_CONFIG);
	cr_assert(strstr(msg, "CONTROL_TOKEN"), "%s", msg);
	cfg.control_token = token;
	cr_assert_eq(control_check_config(&cfg, msg, sizeof msg), SB_OK);
	cfg.control_token = NULL;
	cfg.control_listen = plus;
	cr_assert_eq(control_check_config(&cfg, msg, sizeof msg), SB_ERR_CONFIG);
	cr_assert_str_eq(msg, "CONTROL_LISTEN must be host:port or unix:/path");
	cr_assert(control_listen_is_local("127.0.0.1:1"));
	cr_assert(control_listen_is_local("[::1]:1"));
	cr_assert(control_listen_is_local("unix:/x"));
	cr_assert(!control_listen_is_local("10.0.0.1:1"));
}
