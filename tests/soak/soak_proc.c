/*
 * soak_proc.c - the soak's supervisor: spotsim (always with its --state file, on the same port across
 * restarts) and `spotbot run` as child processes, the bot's configuration, starts, stops and restarts. A
 * process that exits without being told to is a violation: the daemon must survive every fault.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest_wait.h"
#include "soak.h"

/* spotsim's start on the soak's port (sim_started). */
struct sim_start {
	struct soak *s;          /* the soak */
	const char *const *args; /* spotsim's arguments */
};

/* Starts spotsim once; true when it listens on the soak's port (any port the first time). */
static bool sim_started(void *arg)
{
	struct sim_start *st = arg;
	struct soak *s = st->s;
	if (sbt_spotsim_start(&s->sim, st->args) && (s->port == 0 || s->sim.port == s->port)) {
		s->port = s->sim.port;
		return true;
	}
	if (s->sim.pid > 0)
		sbt_proc_stop(&s->sim, SIGKILL, 2000);
	s->sim.pid = 0;
	return false;
}

bool soak_sim_start(struct soak *s)
{
	char listen[32], replay[600];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
	const char *args[24] = {"--seed",  "7",          "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT",
	                        "--state", s->sim_state, "--listen",  listen};
	size_t n = 8;
	if (s->klines) {
		snprintf(replay, sizeof replay, "BTCUSDT=%s", s->klines);
		args[n++] = "--replay";
		args[n++] = replay;
		args[n++] = "--replay-end";
		args[n++] = "loop";
		args[n++] = "--speed";
		args[n++] = "60";
	} else {
		args[n++] = "--speed";
		args[n++] = "5";
	}
	args[n] = NULL;
	/* The port may still be held for a moment after a kill: try again for a few seconds. */
	struct sim_start st = {.s = s, .args = args};
	if (sbt_poll(sim_started, &st, 10000, 100))
		return true;
	soak_event(s, "spotsim does not start on port %d", s->port);
	return false;
}

void soak_sim_kill(struct soak *s)
{
	if (s->sim.pid > 0)
		sbt_proc_stop(&s->sim, SIGKILL, 5000);
	s->sim.pid = 0;
}

bool soak_write_env(struct soak *s)
{
	char pairs[512] = "";
	size_t len = 0;
	for (size_t i = 0; i < s->npairs; i++) {
		const struct soak_pair *p = &s->pairs[i];
		if (!p->added)
			continue;
		len +=
		    (size_t)snprintf(pairs + len, sizeof pairs - len,
		                     "%s%s:quote=" SOAK_QUOTE ",profit=%s,buy_offset=0.05%%,buy_timeout=20s,"
		                     "cooldown=0s,stop_loss=1.5%%,max_positions=%d",
		                     len ? ";" : "", p->symbol, p->profit, p->max_positions);
	}
	FILE *f = fopen(s->env, "w");
	if (!f)
		return false;
	fprintf(f,
	        "MODE=paper\nBINANCE_REST_URL=http://127.0.0.1:%d\nBINANCE_STREAM_URL=ws://127.0.0.1:%d\n"
	        "BINANCE_WSAPI_URL=ws://127.0.0.1:%d/ws-api/v3\nBINANCE_API_KEY=" SOAK_KEY
	        "\nBINANCE_API_SECRET=" SOAK_SECRET "\nDATABASE_PATH=%s\nLOG_DIR=%s\nLOG_STDERR=false\n"
	        "LOG_LEVEL=info\nCONTROL_LISTEN=unix:%s/control.sock\nCONTROL_TOKEN=" SOAK_TOKEN
	        "\nMAX_EXPOSURE=" SOAK_EXPOSURE "\nPAIRS=%s\n",
	        s->port, s->port, s->port, s->db, s->logdir, s->dir, pairs);
	fclose(f);
	return chmod(s->env, 0600) == 0;
}

bool soak_bot_start(struct soak *s)
{
	char prog[512];
	sbt_program("spotbot", prog, sizeof prog);
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		char out[400];
		snprintf(out, sizeof out, "%s/bot.out", s->dir);
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(prog, prog, "run", "--config", s->env, (char *)NULL);
		_exit(127);
	}
	s->bot = pid;
	s->bot_restart_ms = 0;
	return true;
}

/* The daemon trades or is paused (soak_bot_ready), or it is gone. */
static bool bot_up_or_gone(void *arg)
{
	struct soak *s = arg;
	char state[32];
	return s->bot <= 0 || (soak_bot_state(s, state, sizeof state) &&
	                       (strcmp(state, "trading") == 0 || strcmp(state, "paused") == 0));
}

bool soak_bot_state(struct soak *s, char *buf, size_t cap)
{
	char prog[512], out[400], err[400];
	sbt_program("spotbot", prog, sizeof prog);
	snprintf(out, sizeof out, "%s/status.out", s->dir);
	snprintf(err, sizeof err, "%s/status.err", s->dir);
	const char *argv[] = {prog, "status", "--json", "--config", s->env, NULL};
	int st = sbt_run(argv, NULL, out, err, 30);
	char *text = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? sbt_read_file(out) : NULL;
	cJSON *j = text ? cJSON_Parse(text) : NULL;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "daemon");
	/* The daemon's own word when it answers (a daemon that cannot write its database cannot record its
	 * state there either), else what the database holds. */
	const cJSON *rs =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "live"), "state");
	if (!cJSON_IsString(rs))
		rs = cJSON_GetObjectItemCaseSensitive(j, "run_state");
	bool running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "running")) && cJSON_IsString(rs);
	snprintf(buf, cap, "%s", running ? rs->valuestring : "");
	cJSON_Delete(j);
	free(text);
	return running;
}

bool soak_bot_ready(struct soak *s, int timeout_ms)
{
	return sbt_poll(bot_up_or_gone, s, timeout_ms, 200) && s->bot > 0;
}

void soak_bot_stop(struct soak *s, int sig)
{
	if (s->bot <= 0)
		return;
	/* SIGTERM is for a running daemon: before its start-up has installed the handler, the signal's
	 * default action ends it, which kill -9 covers. */
	if (sig == SIGTERM && !soak_bot_ready(s, 20000))
		soak_event(s, "spotbot is not up 20 s after its start");
	kill(s->bot, sig);
	int status = 0;
	if (!sbt_reap(s->bot, 30000, &status)) {
		soak_event(s, "VIOLATION spotbot did not stop within 30 s of signal %d", sig);
		s->violations++;
		kill(s->bot, SIGKILL);
		waitpid(s->bot, &status, 0);
	}
	int code = sbt_exit_code(status);
	if (sig == SIGTERM && code != 0) {
		soak_event(s, "VIOLATION spotbot exited %d on SIGTERM", code);
		s->violations++;
	}
	s->bot = 0;
}

void soak_supervise(struct soak *s, int64_t now_ms)
{
	int status = 0;
	if (s->bot > 0 && waitpid(s->bot, &status, WNOHANG) == s->bot) {
		soak_event(s,
		           "VIOLATION spotbot exited by itself with status %d (see %s/bot.out and the log)",
		           sbt_exit_code(status), s->dir);
		s->violations++;
		s->bot = 0;
		s->bot_restart_ms = now_ms + 1000;
	}
	if (s->sim.pid > 0 && waitpid(s->sim.pid, &status, WNOHANG) == s->sim.pid) {
		soak_event(s, "VIOLATION spotsim exited by itself with status %d", sbt_exit_code(status));
		s->violations++;
		s->sim.pid = 0;
		s->sim_restart_ms = now_ms + 1000;
	}
	if (s->sim.pid <= 0 && s->sim_restart_ms && now_ms >= s->sim_restart_ms) {
		s->sim_restart_ms = 0;
		if (soak_sim_start(s)) {
			s->sim_restarts++;
			soak_event(s, "spotsim started again on port %d with its state", s->port);
		}
	}
	if (s->bot <= 0 && s->bot_restart_ms && now_ms >= s->bot_restart_ms) {
		if (soak_bot_start(s)) {
			s->bot_restarts++;
			soak_event(s, "spotbot started again (pid %d)", (int)s->bot);
		}
	}
}
