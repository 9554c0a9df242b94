/*
 * lws_ws.c - one WebSocket connection's frames on libwebsockets (see lws_ws.h).
 */
#include "common/lws_ws.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

/* One queued text frame. */
struct sb_lws_frame {
	struct sb_lws_frame *next; /* queue order */
	size_t len;                /* payload bytes */
	unsigned char buf[];       /* LWS_PRE headroom, then the payload */
};

void sb_lws_ws_init(struct sb_lws_ws *w, size_t max_message, size_t max_queue, unsigned burst)
{
	memset(w, 0, sizeof *w);
	w->max_message = max_message;
	w->max_queue = max_queue;
	w->burst = burst;
	sb_buf_init(&w->rx, max_message + 1);
}

void sb_lws_ws_fini(struct sb_lws_ws *w)
{
	struct sb_lws_frame *f = w->head;
	while (f) {
		struct sb_lws_frame *next = f->next;
		free(f);
		f = next;
	}
	w->head = w->tail = NULL;
	w->queued = 0;
	sb_buf_fini(&w->rx);
}

sb_err sb_lws_ws_send(struct sb_lws_ws *w, const char *text, size_t len)
{
	if (!w->wsi || w->close != SB_LWS_OPEN)
		return SB_ERR_STATE;
	if (w->queued >= w->max_queue)
		return SB_ERR_TOO_LONG;
	struct sb_lws_frame *f = sb_xmalloc(sizeof *f + LWS_PRE + len + 1);
	f->next = NULL;
	f->len = len;
	if (len)
		memcpy(f->buf + LWS_PRE, text, len);
	if (w->tail)
		w->tail->next = f;
	else
		w->head = f;
	w->tail = f;
	w->queued++;
	lws_callback_on_writable(w->wsi);
	return SB_OK;
}

void sb_lws_ws_ping(struct sb_lws_ws *w)
{
	if (!w->wsi)
		return;
	w->ping_due = true;
	lws_callback_on_writable(w->wsi);
}

void sb_lws_ws_close(struct sb_lws_ws *w, uint16_t code, const char *reason)
{
	if (w->close != SB_LWS_OPEN)
		return;
	w->close = SB_LWS_CLOSE_PENDING;
	w->close_code = code;
	size_t n = reason ? strlen(reason) : 0;
	if (n >= sizeof w->close_text)
		n = sizeof w->close_text - 1;
	if (n)
		memcpy(w->close_text, reason, n);
	w->close_text[n] = '\0';
	if (w->wsi)
		lws_callback_on_writable(w->wsi);
}

/* Writes up to burst queued frames; -1 when lws could not write. */
static int write_queue(struct sb_lws_ws *w)
{
	for (unsigned n = 0; w->head && n < w->burst; n++) {
		struct sb_lws_frame *f = w->head;
		if (lws_write(w->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
			return -1;
		w->head = f->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		w->sent++;
		free(f);
		if (lws_send_pipe_choked(w->wsi))
			break;
	}
	return 0;
}

int sb_lws_ws_writeable(struct sb_lws_ws *w, const char *ping, size_t ping_len)
{
	if (!w->wsi || w->close == SB_LWS_CLOSE_ARMED)
		return 0; /* a writeable after the close was armed (stack.md W4): lws closes */
	if (w->ping_due) {
		unsigned char frame[LWS_PRE + 125];
		if (ping_len > sizeof frame - LWS_PRE)
			ping_len = sizeof frame - LWS_PRE;
		if (ping_len)
			memcpy(frame + LWS_PRE, ping, ping_len);
		w->ping_due = false;
		if (lws_write(w->wsi, frame + LWS_PRE, ping_len, LWS_WRITE_PING) < 0)
			return -1;
	}
	if (write_queue(w) < 0)
		return -1;
	if (w->head) {
		lws_callback_on_writable(w->wsi);
		return 0;
	}
	if (w->close == SB_LWS_CLOSE_PENDING) {
		lws_close_reason(w->wsi, (enum lws_close_status)w->close_code, (unsigned char *)w->close_text,
		                 strlen(w->close_text));
		w->close = SB_LWS_CLOSE_ARMED;
		lws_set_timer_usecs(w->wsi, 1);
	}
	return 0;
}

int sb_lws_ws_timer(const struct sb_lws_ws *w)
{
	return w->close == SB_LWS_CLOSE_ARMED ? -1 : 0;
}

enum sb_lws_rx sb_lws_ws_receive(struct sb_lws_ws *w, const void *in, size_t len, const char **msg,
                                 size_t *msg_len)
{
	if (!sb_buf_put(&w->rx, in, len)) {
		sb_buf_reset(&w->rx);
		return SB_LWS_RX_TOO_LARGE;
	}
	if (!lws_is_final_fragment(w->wsi) || lws_remaining_packet_payload(w->wsi))
		return SB_LWS_RX_PARTIAL;
	*msg = sb_buf_str(&w->rx);
	*msg_len = w->rx.len;
	w->rx.len = 0; /* the text stays readable until the next put */
	return SB_LWS_RX_MESSAGE;
}

void sb_lws_ws_peer_close(const void *in, size_t len, uint16_t *code, char *text, size_t cap)
{
	const unsigned char *p = in;
	text[0] = '\0';
	if (!in || len < 2) {
		*code = LWS_CLOSE_STATUS_NO_STATUS;
		return;
	}
	*code = (uint16_t)(p[0] << 8 | p[1]);
	size_t n = len - 2 < cap - 1 ? len - 2 : cap - 1;
	memcpy(text, p + 2, n);
	text[n] = '\0';
}
