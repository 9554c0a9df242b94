#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/options.h"

struct parsed {
	struct sim_options o;
	sb_err err;
	char *msg;
};

static struct parsed *parse(int argc, const char **argv)
{
	struct parsed *p = calloc(1, sizeof *p);
	size_t len = 0;
	FILE *f = open_memstream(&p->msg, &len);
	p->err = sim_options_parse(argc, (char **)argv, &p->o, f);
	fclose(f);
	return p;
}

static void done(struct parsed *p)
{
	free(p->msg);
	free(p);
}

Test(sim_options, defaults_listen_on_9090_with_the_demo_account)
{
	const char *argv[] = {"spotsim"};
	struct parsed *p = parse(1, argv);
	cr_assert_eq(p->err, SB_OK);
	cr_assert_str_eq(p->o.host, "127.0.0.1");
	cr_assert_eq(p->o.port, 9090);
	cr_assert_eq(p->o.naccounts, 1);
	cr_assert_str_eq(p->o.accounts[0].key, SIM_DEMO_KEY);
	cr_assert_eq(p->o.speed, SB_DEC_ONE);
	cr_assert_eq(p->o.fee_rate, 100000);
	cr_assert_str_eq(p->msg, "");
	done(p);
}

Test(sim_options, every_flag_is_parsed)
{
	const char *argv[] = {"spotsim",
	                      "--listen",
	                      "127.0.0.1:0",
	                      "--account",
	                      "k1:s1:USDT=100.5,BTC=0.001",
	                      "--account",
	                      "k2:s2",
	                      "--symbols",
	                      "BTCUSDT,ETHUSDT",
	                      "--exchange-info",
	                      "x.json",
	                      "--replay",
	                      "LTCUSDT=data/a.csv.gz",
	                      "--speed",
	                      "60",
	                      "--seed",
	                      "42",
	                      "--fault",
	                      "delay_ms=250",
	                      "--fault",
	                      "hide_user_events",
	                      "--fee-rate",
	                      "0.00075"};
	struct parsed *p = parse((int)(sizeof argv / sizeof argv[0]), argv);
	cr_assert_eq(p->err, SB_OK, "%s", p->msg);
	cr_assert_eq(p->o.port, 0);
	cr_assert_eq(p->o.naccounts, 2);
	cr_assert_str_eq(p->o.accounts[0].secret, "s1");
	cr_assert_eq(p->o.accounts[0].nbalances, 2);
	cr_assert_str_eq(p->o.accounts[0].balances[1].asset, "BTC");
	cr_assert_eq(p->o.accounts[0].balances[0].amount, SB_DEC_C(100, 50000000));
	cr_assert_eq(p->o.accounts[1].nbalances, 0);
	cr_assert_eq(p->o.nsymbols, 2);
	cr_assert_str_eq(p->o.symbols[1], "ETHUSDT");
	cr_assert_str_eq(p->o.exchange_info, "x.json");
	cr_assert_str_eq(p->o.replays[0].symbol, "LTCUSDT");
	cr_assert_str_eq(p->o.replays[0].path, "data/a.csv.gz");
	cr_assert_eq(p->o.speed, SB_DEC_C(60, 0));
	cr_assert_eq(p->o.seed, 42);
	cr_assert_eq(p->o.nfaults, 2);
	cr_assert_str_eq(p->o.faults[0].name, "delay_ms");
	cr_assert_str_eq(p->o.faults[0].value, "250");
	cr_assert_str_eq(p->o.faults[1].value, "");
	cr_assert_eq(p->o.fee_rate, 75000);
	done(p);
}

struct bad_case {
	const char *flag;
	const char *value;
	const char *expect; /* substring of the one-line error */
};

Test(sim_options, bad_flags_name_what_is_wrong)
{
	static const struct bad_case cases[] = {
	    {"--listen", "127.0.0.1", "expected HOST:PORT"},
	    {"--listen", "127.0.0.1:70000", "port from 0 to 65535"},
	    {"--account", "nosecret", "expected KEY:SECRET"},
	    {"--account", "k:s:USDT", "is not ASSET=AMOUNT"},
	    {"--account", "k:s:USDT=-5", "USDT"},
	    {"--account", "k:s:USDT=1e3", "malformed input"},
	    {"--symbols", "btcusdt", "is not a symbol"},
	    {"--replay", "LTCUSDT", "expected SYMBOL=FILE"},
	    {"--speed", "0", "must be between"},
	    {"--speed", "fast", "malformed input"},
	    {"--seed", "-1", "non-negative integer"},
	    {"--fault", "meteor", "unknown fault"},
	    {"--fee-rate", "0.5", "must be between"},
	    {"--replay-end", "rewind", "expected hold, stop or loop"},
	    {"--fill", "cross", "--fill 'cross': expected touch or through"},
	    {"--state", "", "path empty or too long"},
	    {"--colour", "red", "unknown flag '--colour'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[] = {"spotsim", cases[i].flag, cases[i].value};
		struct parsed *p = parse(3, argv);
		cr_assert_eq(p->err, SB_ERR_INVALID, "%s %s accepted", cases[i].flag, cases[i].value);
		cr_assert(strstr(p->msg, cases[i].expect), "%s %s: got '%s'", cases[i].flag, cases[i].value,
		          p->msg);
		cr_assert_eq(strchr(p->msg, '\n'), p->msg + strlen(p->msg) - 1, "one line: '%s'", p->msg);
		done(p);
	}
}

Test(sim_options, replay_end_defaults_to_hold_and_takes_each_mode)
{
	const char *argv[] = {"spotsim"};
	struct parsed *p = parse(1, argv);
	cr_assert_eq(p->o.replay_end, SIM_REPLAY_HOLD);
	cr_assert_str_eq(p->o.state, "", "no state file unless asked");
	done(p);
	static const struct {
		const char *arg;
		enum sim_replay_end mode;
	} modes[] = {{"hold", SIM_REPLAY_HOLD}, {"stop", SIM_REPLAY_STOP}, {"loop", SIM_REPLAY_LOOP}};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		const char *a[] = {"spotsim", "--replay-end", modes[i].arg, "--state", "/tmp/s.json"};
		p = parse(5, a);
		cr_assert_eq(p->err, SB_OK, "%s", p->msg);
		cr_assert_eq(p->o.replay_end, modes[i].mode, "%s", modes[i].arg);
		cr_assert_str_eq(sim_replay_end_name(p->o.replay_end), modes[i].arg);
		cr_assert_str_eq(p->o.state, "/tmp/s.json");
		done(p);
	}
}

Test(sim_options, fill_defaults_to_touch_and_takes_through)
{
	const char *argv[] = {"spotsim"};
	struct parsed *p = parse(1, argv);
	cr_assert_eq(p->o.fill, SIM_FILL_TOUCH);
	done(p);
	const char *a[] = {"spotsim", "--fill", "through"};
	p = parse(3, a);
	cr_assert_eq(p->err, SB_OK, "%s", p->msg);
	cr_assert_eq(p->o.fill, SIM_FILL_THROUGH);
	cr_assert_str_eq(sim_fill_model_name(p->o.fill), "through");
	done(p);
}

Test(sim_options, account_errors_never_print_the_secret)
{
	const char *argv[] = {"spotsim", "--account", "key1:TOPSECRET99:USDT=abc"};
	struct parsed *p = parse(3, argv);
	cr_assert_eq(p->err, SB_ERR_INVALID);
	cr_assert_null(strstr(p->msg, "TOPSECRET99"), "%s", p->msg);
	done(p);
}

Test(sim_options, missing_value_and_duplicate_account_are_errors)
{
	const char *a1[] = {"spotsim", "--seed"};
	struct parsed *p = parse(2, a1);
	cr_assert_eq(p->err, SB_ERR_INVALID);
	cr_assert(strstr(p->msg, "--seed needs a value"));
	done(p);
	const char *a2[] = {"spotsim", "--account", "k:s", "--account", "k:t"};
	p = parse(5, a2);
	cr_assert_eq(p->err, SB_ERR_INVALID);
	cr_assert(strstr(p->msg, "given twice"));
	done(p);
}

Test(sim_options, a_seed_takes_digits_only_and_fits_in_63_bits)
{
	static const char *const bad[] = {"9223372036854775808", "+5", " 5", "5 ", "0x10", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = {"spotsim", "--seed", bad[i]};
		struct parsed *p = parse(3, argv);
		cr_assert_eq(p->err, SB_ERR_INVALID, "--seed '%s' accepted", bad[i]);
		cr_assert(strstr(p->msg, "below 2^63"), "--seed '%s': got '%s'", bad[i], p->msg);
		done(p);
	}
	const char *argv[] = {"spotsim", "--seed", "9223372036854775807"};
	struct parsed *p = parse(3, argv);
	cr_assert_eq(p->err, SB_OK, "%s", p->msg);
	cr_assert_eq(p->o.seed, 9223372036854775807ull);
	done(p);
}
