/*
 * test_bot_sweep.c - the real `spotbot backtest --set ...` (a parameter sweep) on real kline excerpts
 * (tests/data/klines/set) and on a longer synthetic file: each ranked run is exactly what a single
 * backtest of its settings gives, the ranking follows the measure with ties in grid order, the output is
 * the same bytes whatever the number of processes, a bad key or value is refused by name before anything
 * runs, a run whose process dies is reported while the others still rank, and an interrupt stops every
 * run's process.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_dec.h"
#include "sbtest_wait.h"

#define BASE_PAIRS "LINKUSDT:quote=20,profit=0.1%;DOTUSDT:quote=20,profit=0.2%;LTCUSDT:quote=20,profit=0.2%"

static struct {
	char dir[256];   /* the test's directory */
	char env[300];   /* its configuration */
	char out[300];   /* stdout of the last run */
	char err[300];   /* stderr of the last run */
	char data[1024]; /* the kline excerpts */
	char *text[2];   /* the last two files read (freed in turn) */
	int slot;        /* which of text is next */
} T;

/* The file at path; valid until the second call after this one. */
static const char *slurp(const char *path)
{
	int i = T.slot++ % 2;
	free(T.text[i]);
	T.text[i] = sbt_read_file(path);
	return T.text[i];
}

/* Writes the configuration with pairs as its PAIRS. */
static void config(const char *pairs)
{
	char text[2048];
	snprintf(text, sizeof text, "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=%s\n", T.dir,
	         T.dir, pairs);
	cr_assert(sbt_write_file(T.env, text));
}

static void setup(void)
{
	snprintf(T.dir, sizeof T.dir, "/tmp/sbt-sweep-XXXXXX");
	cr_assert_not_null(mkdtemp(T.dir));
	snprintf(T.env, sizeof T.env, "%s/bt.env", T.dir);
	snprintf(T.out, sizeof T.out, "%s/out", T.dir);
	snprintf(T.err, sizeof T.err, "%s/err", T.dir);
	config(BASE_PAIRS);
	sbt_source_path("tests/data/klines/set", T.data, sizeof T.data);
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", T.dir);
	(void)system(cmd);
	free(T.text[0]);
	free(T.text[1]);
	T.text[0] = T.text[1] = NULL;
}

TestSuite(bot_sweep, .init = setup, .fini = teardown);

/* argv of `spotbot backtest --config ENV args...` into argv (room for 48). */
static void command(const char *const *args, const char **argv, char *prog, size_t cap)
{
	size_t n = 0;
	argv[n++] = sbt_program("spotbot", prog, cap);
	argv[n++] = "backtest";
	argv[n++] = "--config";
	argv[n++] = T.env;
	for (size_t i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

/* Runs spotbot backtest with args (NULL-terminated) after --config; returns its exit code. */
static int backtest(const char *const *args)
{
	char prog[1024];
	const char *argv[48];
	command(args, argv, prog, sizeof prog);
	int status = sbt_run(argv, NULL, T.out, T.err, 300);
	cr_assert(WIFEXITED(status), "spotbot did not exit normally (status %d)", status);
	return WEXITSTATUS(status);
}

/* The last run's standard output as JSON (the caller deletes it). */
static cJSON *output_json(void)
{
	cJSON *j = cJSON_Parse(slurp(T.out));
	cr_assert_not_null(j, "one JSON object: %s", slurp(T.out));
	return j;
}

static const cJSON *field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert_not_null(v, "%s is there", key);
	return v;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = field(o, key);
	cr_assert(cJSON_IsString(v), "%s is a string", key);
	return v->valuestring;
}

static int64_t num(const cJSON *o, const char *key)
{
	const cJSON *v = field(o, key);
	cr_assert(cJSON_IsNumber(v), "%s is a number", key);
	return (int64_t)v->valuedouble;
}

/* PAIRS of the pairs in PAIR_LIST, each "SYMBOL:quote=20,<settings>" (settings may name a symbol's own). */
static void pairs_with(char *buf, size_t cap, const char *const *per_pair)
{
	static const char *const symbols[] = {"LINKUSDT", "DOTUSDT", "LTCUSDT"};
	size_t used = 0;
	for (size_t i = 0; i < 3; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s:quote=20,%s", i ? ";" : "", symbols[i],
		                         per_pair[i]);
}

/* The single backtest of PAIRS pairs: its JSON (the caller deletes it). */
static cJSON *single_run(const char *pairs)
{
	config(pairs);
	const char *args[] = {"--data", T.data, "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	return output_json();
}

/* Each run of the sweep j has the total and pairs that a single run of its PAIRS (made by make) gives. */
static void runs_match_single_runs(const cJSON *j, void (*make)(const cJSON *settings, char *buf, size_t cap))
{
	const cJSON *run;
	cJSON_ArrayForEach(run, field(j, "runs"))
	{
		char pairs[1024];
		make(field(run, "settings"), pairs, sizeof pairs);
		cJSON *one = single_run(pairs);
		cr_assert(cJSON_Compare(field(run, "total"), field(one, "total"), true),
		          "point %lld (%s): the sweep's total is the single run's",
		          (long long)num(run, "point"), pairs);
		cr_assert(cJSON_Compare(field(run, "pairs"), field(one, "pairs"), true), "point %lld: pairs",
		          (long long)num(run, "point"));
		cJSON_Delete(one);
	}
}

static void every_pair(const cJSON *settings, char *buf, size_t cap)
{
	char s[128];
	snprintf(s, sizeof s, "profit=%s,stop_loss=%s", str(settings, "profit"), str(settings, "stop_loss"));
	pairs_with(buf, cap, (const char *const[]){s, s, s});
}

Test(bot_sweep, each_ranked_run_is_what_a_single_run_of_its_settings_gives)
{
	const char *args[] = {
	    "--data", T.data, "--set", "profit=0.2%,1%,2%", "--set", "stop_loss=off,0.3%,1%", "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cJSON *j = output_json();
	cr_assert_str_eq(str(j, "rank"), "realized_profit");
	cr_assert_str_eq(str(j, "better"), "higher");
	cr_assert_eq(num(j, "points"), 9);
	cr_assert_eq(cJSON_GetArraySize(field(j, "runs")), 9);
	cr_assert_eq(cJSON_GetArraySize(field(j, "not_ranked")), 0);

	/* Best first; equal profits in grid order (profit slowest, stop_loss fastest). */
	const cJSON *run, *prev = NULL;
	unsigned seen = 0;
	cJSON_ArrayForEach(run, field(j, "runs"))
	{
		int64_t point = num(run, "point");
		cr_assert(point >= 1 && point <= 9 && !(seen & (1u << point)), "point %lld once",
		          (long long)point);
		seen |= 1u << point;
		const cJSON *set = field(run, "settings");
		int64_t i = point - 1;
		static const char *const profits[] = {"0.2%", "1%", "2%"}, *const stops[] = {"off", "0.3%",
		                                                                             "1%"};
		cr_assert_str_eq(str(set, "profit"), profits[i / 3]);
		cr_assert_str_eq(str(set, "stop_loss"), stops[i % 3]);
		if (prev) {
			sb_dec a = D(str(field(prev, "total"), "realized_profit"));
			sb_dec b = D(str(field(run, "total"), "realized_profit"));
			cr_assert(a > b || (a == b && num(prev, "point") < point), "ranked: %lld before %lld",
			          (long long)num(prev, "point"), (long long)point);
		}
		prev = run;
	}
	const cJSON *first = cJSON_GetArrayItem(field(j, "runs"), 0);
	cr_assert_gt(D(str(field(first, "total"), "realized_profit")),
	             D(str(field(prev, "total"), "realized_profit")), "the settings make a difference");
	runs_match_single_runs(j, every_pair);
	cJSON_Delete(j);
}

static void link_only(const cJSON *settings, char *buf, size_t cap)
{
	char s[128];
	snprintf(s, sizeof s, "profit=%s", str(settings, "LINKUSDT:profit"));
	pairs_with(buf, cap, (const char *const[]){s, "profit=0.2%", "profit=0.2%"});
}

Test(bot_sweep, a_symbol_prefix_sets_that_pair_only_and_rank_takes_lower_is_better)
{
	const char *args[] = {"--data", T.data, "--set",  "LINKUSDT:profit=0.1%,1%,2%",
	                      "--rank", "fees", "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cJSON *j = output_json();
	cr_assert_str_eq(str(j, "better"), "lower");
	cr_assert_eq(cJSON_GetArraySize(field(j, "runs")), 3);
	/* Fewer cycles pay fewer fees: the highest target first. */
	const cJSON *first = cJSON_GetArrayItem(field(j, "runs"), 0);
	cr_assert_str_eq(str(field(first, "settings"), "LINKUSDT:profit"), "2%");
	runs_match_single_runs(j, link_only);
	cJSON_Delete(j);
}

/* The sweep's output with jobs processes, in the format fmt ("--json", or NULL for the table); owned. */
static char *sweep_output(const char *jobs, const char *fmt)
{
	const char *args[] = {
	    "--data", T.data, "--set", "profit=0.2%,1%,2%", "--set", "stop_loss=off,1%", "--jobs",
	    jobs,     fmt,    NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cr_assert_gt(strlen(slurp(T.out)), 100, "%s", slurp(T.out));
	return strdup(slurp(T.out));
}

Test(bot_sweep, the_same_sweep_prints_the_same_bytes_whatever_the_processes)
{
	char *one = sweep_output("1", "--json"), *two = sweep_output("2", "--json"),
	     *three = sweep_output("3", "--json");
	cr_assert_str_eq(two, one, "--jobs 2 prints the JSON --jobs 1 printed");
	cr_assert_str_eq(three, one, "--jobs 3 prints the JSON --jobs 1 printed");
	free(one);
	free(two);
	free(three);
	one = sweep_output("1", NULL);
	two = sweep_output("2", NULL);
	cr_assert(strstr(one, "RANK") != NULL, "%s", one);
	cr_assert_str_eq(two, one, "--jobs 2 prints the table --jobs 1 printed");
	free(one);
	free(two);
}

/* Runs with args and expects exit 2 with want in its standard error and nothing run. */
static void refused(const char *const *args, const char *want)
{
	cr_assert_eq(backtest(args), 2, "%s", slurp(T.err));
	const char *err = slurp(T.err);
	cr_assert(strstr(err, want) != NULL, "'%s' not in: %s", want, err);
	cr_assert(strstr(err, "\"level\"") == NULL, "no run logged anything: %s", err);
	cr_assert_str_eq(slurp(T.out), "");
}

Test(bot_sweep, a_bad_key_or_value_is_refused_naming_it_before_anything_runs)
{
#define SWEEP(...) ((const char *[]){"--data", T.data, __VA_ARGS__, NULL})
	refused(SWEEP("--set", "proft=1%"), "--set proft: unknown key");
	refused(SWEEP("--set", "profit=0.2%,0.3"),
	        "--set profit: expected a percentage like 0.5%, got '0.3'");
	refused(SWEEP("--set", "stop_loss=1%,200%"),
	        "--set stop_loss: must be off, or above 0% and below 100%");
	refused(SWEEP("--set", "profit=1%", "--set", "buy_timeout=60"),
	        "--set buy_timeout: expected a duration");
	refused(SWEEP("--set", "profit=1%,,2%"), "--set profit: an empty value");
	refused(SWEEP("--set", "profit=1%,1.0%"), "--set profit: 1% is given twice");
	refused(SWEEP("--set", "BTCUSDT:profit=1%"), "--set BTCUSDT:profit: BTCUSDT is not in PAIRS");
	refused(SWEEP("--set", "profit=1%", "--set", "LINKUSDT:profit=2%"),
	        "profit is already swept by --set profit");
	refused(SWEEP("--set", "profit"), "--set 'profit': expected [SYMBOL:]key=value,value...");
	refused(SWEEP("--set", "profit=1%", "--rank", "speed"),
	        "--rank 'speed': expected one of realized_profit");
	refused(SWEEP("--set", "profit=1%", "--jobs", "0"),
	        "--jobs '0': expected a whole number from 1 to 64");
	refused(SWEEP("--rank", "cycles"), "--rank is for a sweep: it needs --set");
	refused(SWEEP("--set", "profit=1%", "--db", "x.db"), "--db keeps one run's database");
	/* 11 x 10 x 10 points. */
	refused(SWEEP("--set", "quote=10,11,12,13,14,15,16,17,18,19,20", "--set",
	              "profit=1%,2%,3%,4%,5%,6%,7%,8%,9%,10%", "--set", "max_positions=1,2,3,4,5,6,7,8,9,10"),
	        "--set max_positions: the grid would have 1100 points, more than 1000");
#undef SWEEP
}

Test(bot_sweep, runs_that_fail_are_reported_with_their_reason)
{
	char dir[400], path[450], want[500];
	snprintf(dir, sizeof dir, "%s/bad", T.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/LINKUSDT-1m-2023-02.csv", dir);
	cr_assert(sbt_write_file(
	    path, "1675209600000,6.949,6.959,6.947,6.957,30020.25,1675209659999,208718.48852,471,"
	          "10610.28,73780.89351,0\n"
	          "1675209660000,6.956,6.960,6.947,6.948,55955.55,1675209719999,389026.85814,541,"
	          "13344.03,92782.75858,0\n"
	          "1675209720000,6.948,oops,6.948,6.967,28273.40,1675209779999,196792.49572,448,"
	          "15513.98,107984.30761,0\n"));
	config("LINKUSDT:quote=20");
	const char *args[] = {"--data", dir, "--set", "profit=1%,2%", NULL};
	cr_assert_eq(backtest(args), 2, "every run failed on bad data: %s", slurp(T.err));
	const char *out = slurp(T.out);
	snprintf(want, sizeof want, "  profit=1%%: failed: %s:3: column 3 (high)", path);
	cr_assert(strstr(out, want) != NULL, "'%s' not in: %s", want, out);
	snprintf(want, sizeof want, "  profit=2%%: failed: %s:3: column 3 (high)", path);
	cr_assert(strstr(out, want) != NULL, "'%s' not in: %s", want, out);
	cr_assert(strstr(slurp(T.err), "2 of 2 runs not ranked") != NULL, "%s", slurp(T.err));
}

/* ---- processes ---------------------------------------------------------------------------------------- */

/* The synthetic price in thousandths at minute i: rising 0.001 every two minutes, a wave of 0.1 on top,
 * so every position bought reaches its target sooner or later. */
static int synthetic_price(size_t i)
{
	size_t w = i % 200;
	return 7000 + (int)(i / 2) + (int)(w < 100 ? w : 200 - w);
}

/* A LINKUSDT file of n synthetic 1-minute candles in a directory of the test's; the directory into dir. */
static void synthetic_data(size_t n, char *dir, size_t cap)
{
	snprintf(dir, cap, "%s/synthetic", T.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	char path[400];
	snprintf(path, sizeof path, "%s/LINKUSDT-1m-2023-03.csv", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	long long t0 = 1677628800000LL; /* 2023-03-01 */
	for (size_t i = 0; i < n; i++) {
		int o = synthetic_price(i), c = synthetic_price(i + 1);
		int hi = (o > c ? o : c) + 2, lo = (o < c ? o : c) - 2;
		long long t = t0 + (long long)i * 60000;
		fprintf(
		    f,
		    "%lld,%d.%03d,%d.%03d,%d.%03d,%d.%03d,1000.00,%lld,7050.00000,100,500.00,3525.00000,0\n",
		    t, o / 1000, o % 1000, hi / 1000, hi % 1000, lo / 1000, lo % 1000, c / 1000, c % 1000,
		    t + 59999);
	}
	cr_assert_eq(fclose(f), 0);
}

/* Waits up to timeout_ms until pid has at least want children; their pids into kids. Returns how many. */
static size_t await_children(pid_t pid, size_t want, pid_t *kids, size_t cap, int timeout_ms)
{
	size_t n = 0;
	SBT_WAIT_UNTIL_EVERY((n = sbt_children(pid, kids, cap)) >= want, timeout_ms, 2,
	                     "%zu children of %d (%zu so far)", want, (int)pid, n);
	return n;
}

/* Waits up to timeout_ms for pid to exit; its wait status, or -1 after killing it when it did not. */
static int await_exit(pid_t pid, int timeout_ms)
{
	int status = 0;
	if (sbt_reap(pid, timeout_ms, &status))
		return status;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static pid_t start_sweep(const char *const *args)
{
	char prog[1024];
	const char *argv[48];
	command(args, argv, prog, sizeof prog);
	pid_t pid = sbt_spawn(argv, NULL, T.out, T.err, 300);
	cr_assert_gt(pid, 0);
	return pid;
}

Test(bot_sweep, a_run_whose_process_dies_is_reported_and_the_others_still_rank)
{
	char data[400];
	synthetic_data(4000, data, sizeof data);
	config("LINKUSDT:quote=20");
	const char *args[] = {"--data", data, "--set", "profit=0.5%,1%", "--jobs", "1", "--json", NULL};
	pid_t pid = start_sweep(args);
	pid_t kids[4];
	cr_assert_eq(await_children(pid, 1, kids, 4, 20000), 1, "the first run's process starts");
	cr_assert_eq(kill(kids[0], SIGKILL), 0);
	int status = await_exit(pid, 120000);
	cr_assert(WIFEXITED(status), "the sweep ends (status %d): %s", status, slurp(T.err));
	cr_assert_eq(WEXITSTATUS(status), 1, "a run failed: exit 1: %s", slurp(T.err));
	cJSON *j = output_json();
	const cJSON *runs = field(j, "runs"), *rest = field(j, "not_ranked");
	cr_assert_eq(cJSON_GetArraySize(runs), 1);
	cr_assert_eq(num(cJSON_GetArrayItem(runs, 0), "point"), 2);
	cr_assert_gt(num(field(cJSON_GetArrayItem(runs, 0), "total"), "cycles"), 0, "the other run traded");
	cr_assert_eq(cJSON_GetArraySize(rest), 1);
	const cJSON *dead = cJSON_GetArrayItem(rest, 0);
	cr_assert_eq(num(dead, "point"), 1);
	cr_assert_str_eq(str(dead, "state"), "failed");
	cr_assert(strstr(str(dead, "reason"), "killed by signal 9") != NULL, "%s", str(dead, "reason"));
	cJSON_Delete(j);
}

Test(bot_sweep, an_interrupt_stops_every_run)
{
	char data[400];
	synthetic_data(40000, data, sizeof data); /* a run takes far longer than the 5 s allowed below */
	config("LINKUSDT:quote=20");
	const char *args[] = {"--data", data, "--set", "profit=0.5%,1%,2%,3%", "--jobs", "2", NULL};
	pid_t pid = start_sweep(args);
	pid_t kids[4];
	cr_assert_eq(await_children(pid, 2, kids, 4, 20000), 2, "two runs start");
	cr_assert_eq(kill(pid, SIGINT), 0);
	int status = await_exit(pid, 5000);
	cr_assert(status != -1 && WIFEXITED(status), "the sweep ends at once (status %d): %s", status,
	          slurp(T.err));
	cr_assert_eq(WEXITSTATUS(status), 1, "%s", slurp(T.err));
	cr_assert(strstr(slurp(T.err), "interrupted") != NULL, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.out), "");
	for (size_t i = 0; i < 2; i++)
		cr_assert(kill(kids[i], 0) != 0 && errno == ESRCH, "run process %d is gone", (int)kids[i]);
}
