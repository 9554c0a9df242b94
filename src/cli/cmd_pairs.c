/*
 * cmd_pairs.c - changing trade pairs through the daemon's control API (docs/control-api.md):
 *   spotbot pairs add SYMBOL key=value...       a new pair, traded at once (quote= is required)
 *   spotbot pairs set SYMBOL key=value...       change settings of a pair
 *   spotbot pairs enable|disable SYMBOL         start or stop new cycles on a pair
 *   spotbot pairs remove SYMBOL                 remove a pair that has no open position
 * Values are written as in PAIRS (docs/strategy.md) and checked here with the same parser the daemon uses,
 * so a typo is reported (exit 2, with the usage) before any request is made. `pairs list` is cmd_report.c's.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "spotbot/config.h"
#include "spotbot/pairs.h"

extern char **environ;

static void usage(FILE *f, const char *sub)
{
	bool kv = strcmp(sub, "add") == 0 || strcmp(sub, "set") == 0;
	fprintf(f, "usage: spotbot pairs %s SYMBOL%s [--json] [--config FILE]\n", sub,
	        kv ? " key=value..." : "");
	if (strcmp(sub, "add") == 0)
		fputs(
		    "  adds a trade pair to the running daemon, which trades it at once; quote= is required\n"
		    "  example: spotbot pairs add ETHUSDT quote=15 profit=0.8%\n",
		    f);
	else if (strcmp(sub, "set") == 0)
		fputs("  changes settings of a pair; they apply to its next decisions (working orders stay)\n"
		      "  example: spotbot pairs set ETHUSDT profit=0.8% max_positions=2\n",
		      f);
	else if (strcmp(sub, "remove") == 0)
		fputs("  removes a pair from trade_pairs; refused while it has an open position (its history "
		      "stays)\n",
		      f);
	else
		fprintf(f, "  %s new cycles on the pair (open positions are still managed)\n",
		        strcmp(sub, "enable") == 0 ? "starts" : "stops");
	fputs("  keys and value syntax as in PAIRS (docs/strategy.md)\n"
	      "  --json         print the daemon's JSON answer\n"
	      "  --config FILE  read FILE instead of ./.env\n",
	      f);
}

static int bad(const struct sb_cli_pairs_req *q, const char *what)
{
	fprintf(stderr, "spotbot pairs %s: %s\n", q->sub, what);
	usage(stderr, q->sub);
	return SB_EXIT_USAGE;
}

/* Checks one key=value against the PAIRS parser; false with the reason printed. */
static bool check_kv(struct sb_cli_pairs_req *q, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char err[SB_PAIRS_ERR_MAX], line[SB_PAIRS_ERR_MAX + 32];
	if (!eq || eq == arg) {
		snprintf(line, sizeof line, "'%s' is not key=value (like profit=0.8%%)", arg);
		bad(q, line);
		return false;
	}
	if (sb_pair_set(&q->cfg, arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1), err, sizeof err) != SB_OK) {
		bad(q, err);
		return false;
	}
	if (q->nkv == SB_CLI_PAIRS_ARGS_MAX) {
		bad(q, "too many settings");
		return false;
	}
	q->kv[q->nkv++] = arg;
	return true;
}

int sb_cli_pairs_parse(int argc, char **argv, struct sb_cli_pairs_req *q)
{
	memset(q, 0, sizeof *q);
	q->sub = argv[0];
	bool kv = strcmp(q->sub, "add") == 0 || strcmp(q->sub, "set") == 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout, q->sub);
			return -1;
		} else if (strcmp(a, "--json") == 0) {
			q->json = true;
		} else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || !*v || q->config)
				return bad(q, "--config needs one file name");
			q->config = v;
		} else if (a[0] == '-') {
			char line[128];
			snprintf(line, sizeof line, "unknown option '%.64s'", a);
			return bad(q, line);
		} else if (!q->symbol) {
			q->symbol = a = sb_cli_symbol_upper(argv[i]);
			if (sb_pair_init(&q->cfg, a, strlen(a)) != SB_OK) {
				char line[128];
				snprintf(line, sizeof line,
				         "'%.40s' is not a symbol (A-Z and 0-9, like ETHUSDT)", a);
				return bad(q, line);
			}
		} else if (kv) {
			if (!check_kv(q, a))
				return SB_EXIT_USAGE;
		} else {
			char line[128];
			snprintf(line, sizeof line, "unexpected argument '%.64s'", a);
			return bad(q, line);
		}
	}
	if (!q->symbol)
		return bad(q, "a symbol is required");
	char err[SB_PAIRS_ERR_MAX];
	if (strcmp(q->sub, "add") == 0 && sb_pair_validate(&q->cfg, err, sizeof err) != SB_OK)
		return bad(q, err);
	if (strcmp(q->sub, "set") == 0 && q->nkv == 0)
		return bad(q, "at least one key=value is required");
	return SB_EXIT_OK;
}

/* The request's path and JSON body (owned; NULL for enable, disable and remove). */
static char *build(const struct sb_cli_pairs_req *q, char *path, size_t cap)
{
	bool added = strcmp(q->sub, "add") == 0;
	if (added)
		snprintf(path, cap, "/pairs");
	else if (strcmp(q->sub, "set") == 0)
		snprintf(path, cap, "/pairs/%s", q->symbol);
	else
		snprintf(path, cap, "/pairs/%s/%s", q->symbol, q->sub);
	if (!added && strcmp(q->sub, "set") != 0)
		return NULL;
	cJSON *j = cJSON_CreateObject();
	if (added)
		cJSON_AddStringToObject(j, "symbol", q->symbol);
	cJSON *s = cJSON_AddObjectToObject(j, "settings");
	for (size_t i = 0; i < q->nkv; i++) {
		const char *eq = strchr(q->kv[i], '=');
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(eq - q->kv[i]), q->kv[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(s,
		                                        key); /* the last one wins, as sb_pair_set has it */
		cJSON_AddStringToObject(s, key, eq + 1);
	}
	char *body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return body;
}

/* One line saying what was done, from the daemon's answer. */
static void report(const struct sb_cli_pairs_req *q, const char *answer)
{
	if (strcmp(q->sub, "remove") == 0) {
		printf("%s removed: no longer a trade pair (its history stays)\n", q->symbol);
		return;
	}
	if (strcmp(q->sub, "enable") == 0 || strcmp(q->sub, "disable") == 0) {
		printf("%s %sd: %s\n", q->symbol, q->sub,
		       strcmp(q->sub, "enable") == 0 ? "new cycles start on it"
		                                     : "no new cycles (open positions are still managed)");
		return;
	}
	if (strcmp(q->sub, "add") == 0) {
		char text[1024] = "";
		(void)sb_pair_format(&q->cfg, false, text, sizeof text, NULL);
		printf("added %s\n", text[0] ? text : q->symbol);
		return;
	}
	cJSON *j = answer ? cJSON_Parse(answer) : NULL;
	const cJSON *ch = j ? cJSON_GetObjectItemCaseSensitive(j, "changed") : NULL;
	if (!ch || !ch->child) {
		printf("%s: nothing changed\n", q->symbol);
	} else {
		printf("%s:", q->symbol);
		for (const cJSON *c = ch->child; c; c = c->next) {
			const cJSON *from = cJSON_GetObjectItemCaseSensitive(c, "from");
			const cJSON *to = cJSON_GetObjectItemCaseSensitive(c, "to");
			printf("%s %s %s -> %s", c == ch->child ? "" : ",", c->string ? c->string : "?",
			       cJSON_IsString(from) ? from->valuestring : "?",
			       cJSON_IsString(to) ? to->valuestring : "?");
		}
		putchar('\n');
	}
	cJSON_Delete(j);
}

int sb_cmd_pairs_act(int argc, char **argv)
{
	struct sb_cli_pairs_req q;
	int rc = sb_cli_pairs_parse(argc, argv, &q);
	if (rc < 0)
		return SB_EXIT_OK;
	if (rc != SB_EXIT_OK)
		return rc;
	struct sb_config cfg;
	sb_config_init(&cfg);
	char cmd[32];
	snprintf(cmd, sizeof cmd, "pairs %s", q.sub);
	sb_err err = sb_config_load(&cfg, q.config, q.config != NULL, environ, stderr);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot %s: configuration refused (%s)\n", cmd, sb_strerror(err));
		sb_config_fini(&cfg);
		return SB_EXIT_USAGE;
	}
	char path[128];
	char *body = build(&q, path, sizeof path);
	long status = 0;
	char *answer = NULL;
	rc = sb_cli_control_post(cmd, &cfg, path, body, &status, &answer);
	if (rc == SB_EXIT_OK && status >= 200 && status < 300) {
		if (q.json)
			printf("%s\n", answer ? answer : "{}");
		else
			report(&q, answer);
	} else if (rc == SB_EXIT_OK) {
		sb_cli_control_error(cmd, status, answer);
		rc = SB_EXIT_FAILURE;
	}
	free(answer);
	free(body);
	sb_config_fini(&cfg);
	return rc;
}
