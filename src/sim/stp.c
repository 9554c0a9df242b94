/*
 * stp.c - self-trade prevention modes and a symbol's STP settings (see stp.h).
 */
#include "sim/stp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char *const names[SIM_STP_COUNT] = {
    "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER",
};

const char *sim_stp_name(enum sim_stp_mode mode)
{
	return (unsigned)mode < SIM_STP_COUNT ? names[mode] : "NONE";
}

sb_err sim_stp_parse(const char *s, size_t len, enum sim_stp_mode *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (int i = 0; i < SIM_STP_COUNT; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
			*out = (enum sim_stp_mode)i;
			return SB_OK;
		}
	}
	return SB_ERR_INVALID;
}

bool sim_stp_allowed(const struct sim_stp_config *cfg, enum sim_stp_mode mode)
{
	if ((unsigned)mode >= SIM_STP_COUNT)
		return false;
	return mode == cfg->def || (cfg->allowed & (1u << mode)) != 0;
}

/* Parses one mode given as a JSON string; false (msg filled) when it is none. */
static bool mode_item(const cJSON *item, const char *field, enum sim_stp_mode *out, char *msg, size_t cap)
{
	if (!cJSON_IsString(item) || !item->valuestring) {
		snprintf(msg, cap, "%s: not a string", field);
		return false;
	}
	if (sim_stp_parse(item->valuestring, strlen(item->valuestring), out) != SB_OK) {
		snprintf(msg, cap, "%s: unknown self-trade prevention mode \"%.40s\"", field,
		         item->valuestring);
		return false;
	}
	return true;
}

sb_err sim_stp_from_info(const cJSON *info, struct sim_stp_config *out, char *msg, size_t cap)
{
	static const char def_field[] = "defaultSelfTradePreventionMode";
	static const char allowed_field[] = "allowedSelfTradePreventionModes";
	if (!info || !out || !msg || cap == 0)
		return SB_ERR_INVALID;
	msg[0] = '\0';
	out->def = SIM_STP_NONE;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(info, def_field);
	if (d && !mode_item(d, def_field, &out->def, msg, cap))
		return SB_ERR_PARSE;
	out->allowed = 1u << out->def;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(info, allowed_field);
	if (!a)
		return SB_OK;
	if (!cJSON_IsArray(a)) {
		snprintf(msg, cap, "%s: not an array", allowed_field);
		return SB_ERR_PARSE;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, a)
	{
		enum sim_stp_mode m;
		if (!mode_item(item, allowed_field, &m, msg, cap))
			return SB_ERR_PARSE;
		out->allowed |= 1u << m;
	}
	return SB_OK;
}
