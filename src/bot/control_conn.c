/*
 * control_conn.c - a control API connection as a deferred answer sees it: the one thing an operation that
 * waits for the exchange (control_pairs.c) does with the connection it answers is wake it, and the
 * listener (control_http.c) writes the ready answer from its writeable callback. Kept apart from the
 * listener so the operations depend on the connection, not on the listener that calls them.
 */
#include <libwebsockets.h>

#include "bot/control_http.h"

void control_http_wake(struct control_conn *conn)
{
	lws_callback_on_writable((struct lws *)conn);
}
