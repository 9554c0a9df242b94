/*
 * config_check.c - what the daemon demands of a loaded configuration beyond the single values the options
 * table checks: an ORDER_TAG that can go into clientOrderIds, a PAIRS value the pairs parser accepts, and
 * a token whenever the control API listens beyond loopback. sb_bot_check_dirs adds what `run` and `doctor`
 * demand of the places the daemon writes: directories nobody else can write to (spotbot/fsperm.h).
 *
 * `spotbot run`, `spotbot config --check` and `spotbot doctor` all call sb_bot_check_config, so a
 * configuration that the checks call valid is one the daemon starts with, and the reason for a refusal is
 * worded the same in all three.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bot/control.h"
#include "spotbot/bot.h"
#include "spotbot/coid.h"
#include "spotbot/fsperm.h"
#include "spotbot/pairs.h"

/* ORDER_TAG as shown in a message: at most 40 bytes, unprintable bytes as '?' (it is no secret). */
static void show_tag(const char *tag, char *out, size_t cap)
{
	size_t n = strlen(tag), j = 0;
	for (size_t i = 0; i < n && i < 40 && j + 1 < cap; i++)
		out[j++] = (tag[i] >= 0x20 && tag[i] < 0x7f) ? tag[i] : '?';
	out[j] = '\0';
}

sb_err sb_bot_check_config(const struct sb_config *cfg, FILE *errors)
{
	static struct sb_pairs pairs; /* large: kept off the stack; only its error message is used */
	char msg[SB_PAIRS_ERR_MAX], shown[48];
	unsigned problems = 0;
	if (!cfg)
		return SB_ERR_INVALID;
	if (sb_coid_check_tag(cfg->order_tag) != SB_OK) {
		show_tag(cfg->order_tag, shown, sizeof shown);
		if (errors)
			fprintf(errors, "ORDER_TAG: must be 1 to %d of a-z and 0-9 (got '%s')\n",
			        SB_COID_TAG_MAX, shown);
		problems++;
	}
	if (sb_pairs_parse(cfg->pairs, strlen(cfg->pairs), &pairs, msg, sizeof msg) != SB_OK) {
		if (errors)
			fprintf(errors, "%s\n", msg);
		problems++;
	}
	if (control_check_config(cfg, msg, sizeof msg) != SB_OK) {
		if (errors)
			fprintf(errors, "%s\n", msg);
		problems++;
	}
	return problems ? SB_ERR_CONFIG : SB_OK;
}

sb_err sb_bot_check_dirs(const struct sb_config *cfg, FILE *errors)
{
	char msg[PATH_MAX + 160];
	unsigned problems = 0;
	if (!cfg)
		return SB_ERR_INVALID;
	if (sb_fsperm_check_dir(cfg->database_path, true, msg, sizeof msg) == SB_ERR_PERM) {
		if (errors)
			fprintf(errors, "DATABASE_PATH: %s\n", msg);
		problems++;
	}
	if (cfg->log_dir[0] && sb_fsperm_check_dir(cfg->log_dir, false, msg, sizeof msg) == SB_ERR_PERM) {
		if (errors)
			fprintf(errors, "LOG_DIR: %s\n", msg);
		problems++;
	}
	return problems ? SB_ERR_PERM : SB_OK;
}
