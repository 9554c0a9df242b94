/*
 * cmd_data.c - `spotbot data download`: the kline files a backtest reads, fetched as data.binance.vision
 * publishes them, each verified against its published SHA-256 before it is kept (spotbot/download.h).
 *
 * Files are fetched one after the other. A file not published (404) or one whose checksum does not
 * match is reported and the others are still fetched; a network failure stops the command, since the
 * files after it would fail the same way. Progress goes to standard error: a line per file, and while a
 * file arrives on a terminal, a line redrawn in place.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "spotbot/download.h"

static const char usage_text[] =
    "usage: spotbot data download SYMBOL INTERVAL FROM TO [--dir D] [--base-url URL] [--json]\n"
    "  fetches Binance spot kline files from data.binance.vision for a backtest, FROM to TO inclusive:\n"
    "  YYYY-MM for monthly files, YYYY-MM-DD for daily ones (both the same form); each is checked\n"
    "  against its published SHA-256 (.CHECKSUM) and kept as D/SYMBOL-INTERVAL-DATE.zip only if it\n"
    "  matches; a file already there and verified is not fetched again\n"
    "  INTERVAL     1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1mo\n"
    "  --dir D      where files go (default: the current directory; created when missing)\n"
    "  --base-url URL  the server (default " SB_DL_DEFAULT_BASE ")\n"
    "  --json       print the outcome of each file as JSON (progress stays on standard error)\n"
    "  exit codes: 0 every file present and verified, 1 a failure (network, checksum, disk),\n"
    "  2 bad arguments, 5 some files are not published (404) and every other one is present\n";

struct progress {
	size_t index;  /* 1-based number of the file being fetched */
	size_t total;  /* files planned */
	bool tty;      /* stderr is a terminal: redraw a line while bytes arrive */
	bool drawn;    /* a progress line is on screen, to be overwritten */
	long long mib; /* last whole MiB drawn, to redraw only when it changes */
};

static void show_progress(void *ctx, const struct sb_dl_file *f, long long got, long long total)
{
	struct progress *p = ctx;
	if (!p->tty || got / 1048576 == p->mib)
		return;
	p->mib = got / 1048576;
	if (total > 0)
		fprintf(stderr, "\r[%zu/%zu] %s: %lld of %lld KiB", p->index, p->total, f->name, got / 1024,
		        total / 1024);
	else
		fprintf(stderr, "\r[%zu/%zu] %s: %lld KiB", p->index, p->total, f->name, got / 1024);
	p->drawn = true;
}

struct tally {
	size_t downloaded; /* fetched and verified now */
	size_t complete;   /* already there and verified */
	size_t missing;    /* not published (404) */
	size_t failed;     /* network, checksum or disk failures */
};

/* Appends one file's outcome to list (when --json asked for one). */
static void add_outcome(cJSON *list, const struct sb_dl_file *f, const char *status, const char *err)
{
	if (!list)
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToArray(list, o);
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "url", f->url);
	cJSON_AddStringToObject(o, "status", status);
	if (err)
		cJSON_AddStringToObject(o, "error", err);
	else
		cJSON_AddNumberToObject(o, "bytes", (double)f->bytes);
}

/* Fetches every file, noting each outcome in list (may be NULL); stops at a network failure. */
static void fetch_all(const struct sb_dl_request *rq, struct sb_dl_file *files, size_t n, struct tally *t,
                      cJSON *list)
{
	struct progress p = {.total = n, .tty = isatty(STDERR_FILENO) == 1, .mib = -1};
	for (size_t i = 0; i < n; i++) {
		char err[SB_DL_ERR_MAX] = "";
		bool skipped = false;
		p.index = i + 1;
		p.mib = -1;
		sb_err e = sb_dl_fetch(rq, &files[i], show_progress, &p, &skipped, err, sizeof err);
		if (p.drawn)
			fputs("\r\033[K", stderr);
		p.drawn = false;
		if (e == SB_OK) {
			fprintf(stderr, "[%zu/%zu] %s: %s (%lld bytes, SHA-256 verified)\n", i + 1, n,
			        files[i].name, skipped ? "already complete" : "downloaded", files[i].bytes);
			skipped ? t->complete++ : t->downloaded++;
			add_outcome(list, &files[i], skipped ? "complete" : "downloaded", NULL);
			continue;
		}
		fprintf(stderr, "[%zu/%zu] %s: %s\n", i + 1, n, files[i].name, err);
		e == SB_ERR_NOT_FOUND ? t->missing++ : t->failed++;
		add_outcome(list, &files[i], e == SB_ERR_NOT_FOUND ? "not_published" : "failed", err);
		if (e == SB_ERR_NETWORK && i + 1 < n) {
			fprintf(stderr,
			        "spotbot data download: stopped: the %zu files after it were not tried\n",
			        n - i - 1);
			return;
		}
		if (e == SB_ERR_NETWORK)
			return;
	}
}

/* The --json document: the counts and every file tried, in order. */
static void print_json(const struct sb_dl_request *rq, const struct tally *t, size_t n, cJSON *list)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "dir", rq->dir);
	cJSON_AddNumberToObject(doc, "planned", (double)n);
	cJSON_AddNumberToObject(doc, "downloaded", (double)t->downloaded);
	cJSON_AddNumberToObject(doc, "complete", (double)t->complete);
	cJSON_AddNumberToObject(doc, "not_published", (double)t->missing);
	cJSON_AddNumberToObject(doc, "failed", (double)t->failed);
	cJSON_AddItemToObject(doc, "files", list);
	char *text = cJSON_Print(doc);
	puts(text);
	cJSON_free(text);
	cJSON_Delete(doc);
}

static int download(const struct sb_dl_request *rq, bool json)
{
	struct sb_dl_file *files = NULL;
	size_t n = 0;
	char err[SB_DL_ERR_MAX] = "";
	if (sb_dl_plan(rq, &files, &n, err, sizeof err) != SB_OK)
		return sb_cli_usage_error("data download", usage_text, "%s", err);
	struct tally t = {0};
	cJSON *list = json ? cJSON_CreateArray() : NULL;
	fetch_all(rq, files, n, &t, list);
	free(files);
	if (json)
		print_json(rq, &t, n, list);
	else
		printf("%zu downloaded, %zu already complete, %zu not published, %zu failed, in %s\n",
		       t.downloaded, t.complete, t.missing, t.failed, rq->dir);
	if (t.failed > 0 || t.downloaded + t.complete + t.missing < n)
		return SB_EXIT_FAILURE;
	return t.missing > 0 ? SB_EXIT_MISSING : SB_EXIT_OK;
}

static int download_parse(int argc, char **argv, struct sb_cli_data_args *a)
{
	static const struct option longs[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"base-url", required_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	memset(a, 0, sizeof *a);
	a->rq.dir = ".";
	a->rq.base_url = SB_DL_DEFAULT_BASE;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (!*optarg)
				return sb_cli_usage_error("data download", usage_text, "--dir is empty");
			a->rq.dir = optarg;
			break;
		case 'b':
			a->rq.base_url = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case ':':
			return sb_cli_usage_error("data download", usage_text, "%s needs a value",
			                          argv[optind - 1]);
		default: {
			char why[300];
			return sb_cli_usage_error("data download", usage_text, "%s",
			                          sb_cli_bad_option(argv, why, sizeof why));
		}
		}
	}
	if (argc - optind != 4)
		return sb_cli_usage_error("data download", usage_text,
		                          "expected SYMBOL INTERVAL FROM TO, got %d argument%s",
		                          argc - optind, argc - optind == 1 ? "" : "s");
	a->rq.symbol = sb_cli_symbol_upper(argv[optind]);
	a->rq.interval = argv[optind + 1];
	a->rq.from = argv[optind + 2];
	a->rq.to = argv[optind + 3];
	return SB_EXIT_OK;
}

int sb_cli_data_parse(int argc, char **argv, struct sb_cli_data_args *a)
{
	memset(a, 0, sizeof *a);
	if (argc >= 2 && strcmp(argv[1], "download") == 0)
		return download_parse(argc - 1, argv + 1, a);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return -1;
	}
	if (argc < 2)
		return sb_cli_usage_error("data", usage_text, "which data command? (download)");
	return sb_cli_usage_error("data", usage_text, "unknown data command '%s'", argv[1]);
}

int sb_cmd_data(int argc, char **argv)
{
	struct sb_cli_data_args a;
	int rc = sb_cli_data_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	return download(&a.rq, a.json);
}
