/*
 * Fuzz target for what market-stream clients send spotsim: the WebSocket path that names the streams
 * (/ws/<a>/<b>, /stream?streams=a/b) and the control messages on the connection (SUBSCRIBE,
 * UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY). The input's first line is the path, each
 * further line one message. Nothing may crash, leak or read out of bounds; every reply must be JSON; the
 * subscriptions must stay within Binance's limit, without duplicates, each a stream name that parses
 * (an upper-case symbol, a known kline interval, 5, 10 or 20 levels).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/streams.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGES 32

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_name(const char *name)
{
	struct sim_stream s;
	check(sim_stream_parse(name, &s) == SB_OK);
	check(s.symbol[0] != '\0' &&
	      strspn(s.symbol, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(s.symbol));
	check(s.levels == 0 || s.levels == 5 || s.levels == 10 || s.levels == 20);
	check((s.kind == SIM_STREAM_KLINE) == (s.interval[0] != '\0'));
	check(s.kind != SIM_STREAM_KLINE || sim_kline_interval_ms(s.interval) > 0);
}

static void check_subs(const struct sim_subs *subs)
{
	check(subs->count <= SIM_STREAMS_PER_CONN);
	for (unsigned i = 0; i < subs->count; i++) {
		check(memchr(subs->names[i], '\0', SIM_STREAM_NAME_MAX) != NULL);
		check_name(subs->names[i]);
		for (unsigned j = 0; j < i; j++)
			check(strcmp(subs->names[i], subs->names[j]) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim_subs subs;
	const char *s = (const char *)data, *end = s + size;
	const char *nl = memchr(s, '\n', size);
	size_t plen = nl ? (size_t)(nl - s) : size;
	char *path = malloc(plen + 1);
	memcpy(path, s, plen);
	path[plen] = '\0';
	sb_err e = sim_subs_from_path(&subs, path);
	free(path);
	check(e == SB_OK || e == SB_ERR_NOT_FOUND || e == SB_ERR_INVALID);
	if (e != SB_OK)
		return 0;
	check_subs(&subs);
	s = nl ? nl + 1 : end;
	for (int n = 0; s < end && n < MAX_MESSAGES; n++) {
		nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl : end;
		size_t len = (size_t)(stop - s);
		char *msg = malloc(len ? len : 1); /* exact size: a read past the message is caught */
		memcpy(msg, s, len);
		char *reply = sim_subs_control(&subs, msg, len);
		free(msg);
		check(reply != NULL);
		cJSON *j = cJSON_Parse(reply);
		check(j != NULL);
		cJSON_Delete(j);
		free(reply);
		check_subs(&subs);
		s = stop + 1;
	}
	return 0;
}
