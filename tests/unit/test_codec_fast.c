/*
 * test_codec_fast.c - the hot messages read without a cJSON tree (src/exchange/codec_fast.c) agree with
 * the tree parsers they stand in front of: over every recorded payload (tests/data/binance) and every fuzz
 * corpus entry of the stream codecs, a frame the fast path takes is one the tree takes into a byte-equal
 * struct, and the public parsers answer exactly as the tree does (result, struct, error and its message).
 * The recorded bookTicker and executionReport frames do take the fast path; truncated, mistyped, escaped,
 * duplicated, oversized and ill-formed variants either take it with the tree's values or are declined and
 * get the tree's error.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchange/codec_fast.h"
#include "sbtest.h"

/* Which fast paths took a frame. */
enum { TOOK_MARKET = 1, TOOK_USER = 2, TOOK_WS = 4 };

/* The whole file at path; a test failure when it cannot be read. */
static char *read_path(const char *path, size_t *len)
{
	char *s = sbt_read_file_len(path, len);
	cr_assert(*len > 0 || access(path, R_OK) == 0, "cannot read %s", path);
	return s;
}

static char *read_data(const char *name, size_t *len)
{
	const char *root = getenv("SB_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/binance/%s", root ? root : ".", name);
	return read_path(path, len);
}

/* Both paths of the market parser on one frame; returns TOOK_MARKET when the fast one took it. */
static int differ_market(const char *what, const char *s, size_t len)
{
	struct sb_bn_market_msg fast, tree, pub;
	char terr[256], perr[256];
	bool took = sb_bn__market_fast(s, len, &fast);
	sb_err te = sb_bn__market_tree(s, len, &tree, terr, sizeof terr);
	sb_err pe = sb_bn_market_parse(s, len, &pub, perr, sizeof perr);
	if (took) {
		cr_assert_eq(te, SB_OK, "%s: fast path took a market frame the tree refuses: %s", what, terr);
		cr_assert_eq(memcmp(&fast, &tree, sizeof fast), 0, "%s: market structs differ", what);
	}
	cr_assert_eq(pe, te, "%s: market parse %s, tree %s", what, sb_errname(pe), sb_errname(te));
	cr_assert_str_eq(perr, terr, "%s: market error differs", what);
	if (te == SB_OK)
		cr_assert_eq(memcmp(&pub, &tree, sizeof pub), 0, "%s: public market struct differs", what);
	return took ? TOOK_MARKET : 0;
}

static int differ_user(const char *what, const char *s, size_t len)
{
	struct sb_bn_user_event fast, tree, pub;
	char terr[256], perr[256];
	bool took = sb_bn__user_fast(s, len, false, &fast);
	sb_err te = sb_bn__user_tree(s, len, &tree, terr, sizeof terr);
	sb_err pe = sb_bn_user_event_parse(s, len, &pub, perr, sizeof perr);
	if (took) {
		cr_assert_eq(te, SB_OK, "%s: fast path took a user event the tree refuses: %s", what, terr);
		cr_assert_eq(memcmp(&fast, &tree, sizeof fast), 0, "%s: user event structs differ", what);
	}
	cr_assert_eq(pe, te, "%s: user parse %s, tree %s", what, sb_errname(pe), sb_errname(te));
	cr_assert_str_eq(perr, terr, "%s: user error differs", what);
	if (te == SB_OK)
		cr_assert_eq(memcmp(&pub, &tree, sizeof pub), 0, "%s: public user struct differs", what);
	return took ? TOOK_USER : 0;
}

static int differ_ws(const char *what, const char *s, size_t len)
{
	struct sb_bn_user_event fast;
	struct sb_bn_ws_frame tree, pub;
	char terr[256], perr[256];
	bool took = sb_bn__user_fast(s, len, true, &fast);
	sb_err te = sb_bn__ws_frame_tree(s, len, &tree, terr, sizeof terr);
	sb_err pe = sb_bn_ws_frame_parse(s, len, &pub, perr, sizeof perr);
	if (took) {
		cr_assert_eq(te, SB_OK, "%s: fast path took a WS API frame the tree refuses: %s", what, terr);
		cr_assert_eq(tree.kind, SB_BN_WS_EVENT, "%s: the tree read a response", what);
		cr_assert_eq(memcmp(&fast, &tree.event, sizeof fast), 0, "%s: WS event structs differ", what);
	}
	cr_assert_eq(pe, te, "%s: WS frame parse %s, tree %s", what, sb_errname(pe), sb_errname(te));
	cr_assert_str_eq(perr, terr, "%s: WS frame error differs", what);
	if (te == SB_OK) {
		cr_assert_eq(pub.kind, tree.kind, "%s: WS frame kinds differ", what);
		if (tree.kind == SB_BN_WS_EVENT)
			cr_assert_eq(memcmp(&pub.event, &tree.event, sizeof pub.event), 0,
			             "%s: public WS event differs", what);
	}
	sb_bn_ws_frame_fini(&tree);
	sb_bn_ws_frame_fini(&pub);
	return took ? TOOK_WS : 0;
}

static int differ(const char *what, const char *s, size_t len)
{
	return differ_market(what, s, len) | differ_user(what, s, len) | differ_ws(what, s, len);
}

static int differ_str(const char *s)
{
	return differ(s, s, strlen(s));
}

/* Runs differ over every file of dir; counts the frames each fast path took into took[0..2]. */
static size_t differ_dir(const char *dir, size_t took[3])
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s", dir);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
			continue;
		char path[1200];
		cr_assert_lt((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name), sizeof path,
		             "%s: path too long", dir);
		size_t len;
		char *s = read_path(path, &len);
		int t = differ(path, s, len);
		free(s);
		for (int i = 0; i < 3; i++)
			took[i] += (t >> i) & 1;
		files++;
	}
	closedir(d);
	return files;
}

static const char *src_dir(void)
{
	const char *root = getenv("SB_SOURCE_DIR");
	return root ? root : ".";
}

Test(codec_fast, every_recorded_payload_and_corpus_entry_reads_the_same_on_both_paths)
{
	static const char *const dirs[] = {"tests/data/binance", "tests/fuzz/corpus/codec_market",
	                                   "tests/fuzz/corpus/codec_user"};
	size_t took[3] = {0, 0, 0};
	size_t files = 0;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char dir[1100];
		snprintf(dir, sizeof dir, "%s/%s", src_dir(), dirs[i]);
		files += differ_dir(dir, took);
	}
	cr_assert_gt(files, 300, "only %zu inputs", files);
	/* The corpora hold many valid hot frames: the fast path must be what reads them. */
	cr_assert_gt(took[0], 5, "the fast path took %zu bookTickers", took[0]);
	cr_assert_gt(took[1], 5, "the fast path took %zu executionReports", took[1]);
	cr_assert_gt(took[2], 5, "the fast path took %zu WS API executionReports", took[2]);
}

Test(codec_fast, the_recorded_hot_frames_take_the_fast_path)
{
	static const struct {
		const char *file; /* under tests/data/binance */
		int took;         /* the fast paths that must take it */
	} cases[] = {
	    {"book_ticker.json", TOOK_MARKET},
	    {"combined_book_ticker.json", TOOK_MARKET},
	    {"user_execution_report.json", TOOK_USER | TOOK_WS},
	    {"user_execution_report_expired_in_match.json", TOOK_USER | TOOK_WS},
	    {"user_execution_report_expired_in_match_partial.json", TOOK_USER | TOOK_WS},
	    {"trade.json", 0},
	    {"user_balance_update.json", 0},
	    {"ws_response_ok.json", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		char *s = read_data(cases[i].file, &len);
		cr_assert_eq(differ(cases[i].file, s, len), cases[i].took, "%s", cases[i].file);
		free(s);
	}
}

Test(codec_fast, every_truncation_of_a_hot_frame_is_declined_and_gets_the_trees_error)
{
	static const char *const files[] = {"combined_book_ticker.json", "user_execution_report.json"};
	for (size_t f = 0; f < 2; f++) {
		size_t len;
		char *s = read_data(files[f], &len);
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
			len--;
		for (size_t n = 0; n < len; n++) {
			char what[80];
			snprintf(what, sizeof what, "%s[0..%zu)", files[f], n);
			cr_assert_eq(differ(what, s, n), 0, "%s was taken", what);
			char err[256];
			struct sb_bn_market_msg m;
			cr_assert_neq(sb_bn_market_parse(s, n, &m, err, sizeof err), SB_OK, "%s", what);
			cr_assert_str_not_empty(err, "%s: no message", what);
		}
		free(s);
	}
}

#define LONG_SYMBOL                                                                                          \
	"BTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDT"
#define BT_TAIL "\"b\":\"1.5\",\"B\":\"2\",\"a\":\"1.6\",\"A\":\"3\"}"

Test(codec_fast, a_duplicate_key_reads_its_first_value_as_the_tree_does)
{
	const char *s = "{\"u\":7,\"u\":8,\"s\":\"BTCUSDT\",\"s\":\"ETHUSDT\"," BT_TAIL;
	cr_assert_eq(differ_str(s), TOOK_MARKET);
	struct sb_bn_market_msg m;
	char err[256];
	cr_assert_eq(sb_bn_market_parse(s, strlen(s), &m, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(m.u.book_ticker.update_id, 7);
	cr_assert_str_eq(m.u.book_ticker.symbol, "BTCUSDT");
	cr_assert_eq(
	    differ_str("{\"stream\":\"a@bookTicker\",\"data\":{\"u\":1,\"s\":\"X\"," BT_TAIL ",\"data\":[]}"),
	    TOOK_MARKET);
}

Test(codec_fast, case_different_keys_are_different_fields)
{
	/* "U" and "S" are not "u" and "s": no bookTicker, on either path. */
	cr_assert_eq(differ_str("{\"U\":1,\"S\":\"BTCUSDT\"," BT_TAIL), 0);
	/* the event type is "e"; "E" alone is no event */
	cr_assert_eq(differ_str("{\"E\":\"trade\",\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL), TOOK_MARKET);
}

Test(codec_fast, mistyped_and_out_of_range_fields_are_declined_with_the_trees_error)
{
	static const char *const cases[] = {
	    "{\"u\":\"1\",\"s\":\"BTCUSDT\"," BT_TAIL, /* id as a string */
	    "{\"u\":1,\"s\":7," BT_TAIL,               /* symbol as a number */
	    "{\"u\":1,\"s\":\"\"," BT_TAIL,            /* empty symbol */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":1.5,\"B\":\"2\",\"a\":\"1.6\",\"A\":\"3\"}", /* number */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"-1.5\",\"B\":\"2\",\"a\":\"1.6\",\"A\":\"3\"}",
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1.5\",\"B\":\"2\",\"a\":\"1.6\"}", /* A missing */
	    "{\"u\":9007199254740992,\"s\":\"BTCUSDT\"," BT_TAIL,                  /* 2^53 */
	    "{\"u\":99999999999999999999999,\"s\":\"BTCUSDT\"," BT_TAIL,
	    "{\"u\":1e400,\"s\":\"BTCUSDT\"," BT_TAIL,
	    "{\"u\":1.5,\"s\":\"BTCUSDT\"," BT_TAIL,
	    "{\"u\":null,\"s\":\"BTCUSDT\"," BT_TAIL,
	    "{\"u\":1,\"s\":\"" LONG_SYMBOL "\"," BT_TAIL, /* too long */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1.123456789012345678901\",\"B\":\"2\",\"a\":\"1.6\","
	    "\"A\":\"3\"}",
	    "{\"stream\":7,\"data\":{\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL "}",
	    "{\"stream\":\"x\",\"data\":\"no\"}",
	    "{\"stream\":\"x\",\"data\":[{\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL "]}",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(differ_str(cases[i]), 0, "taken: %s", cases[i]);
		struct sb_bn_market_msg m;
		char err[256];
		cr_assert_neq(sb_bn_market_parse(cases[i], strlen(cases[i]), &m, err, sizeof err), SB_OK,
		              "%s", cases[i]);
		cr_assert_str_not_empty(err);
	}
}

Test(codec_fast, numbers_the_tree_reads_exactly_but_the_fast_path_does_not_are_left_to_the_tree)
{
	/* cJSON reads 1.0 and 1e2 as the integers 1 and 100; the fast path reads digits only. */
	static const char *const cases[] = {
	    "{\"u\":1.0,\"s\":\"BTCUSDT\"," BT_TAIL,
	    "{\"u\":1e2,\"s\":\"BTCUSDT\"," BT_TAIL,
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(differ_str(cases[i]), 0, "taken: %s", cases[i]);
		struct sb_bn_market_msg m;
		char err[256];
		cr_assert_eq(sb_bn_market_parse(cases[i], strlen(cases[i]), &m, err, sizeof err), SB_OK,
		             "%s: %s", cases[i], err);
	}
	/* a negative update id is an id like any other (|v| < 2^53) */
	cr_assert_eq(differ_str("{\"u\":-5,\"s\":\"BTCUSDT\"," BT_TAIL), TOOK_MARKET);
	cr_assert_eq(differ_str("{\"u\":-0,\"s\":\"BTCUSDT\"," BT_TAIL), TOOK_MARKET);
}

Test(codec_fast, escapes_are_left_to_the_tree_which_unescapes_them)
{
	const char *s = "{\"u\":1,\"s\":\"BTC\\u0055SDT\"," BT_TAIL;
	cr_assert_eq(differ_str(s), 0);
	struct sb_bn_market_msg m;
	char err[256];
	cr_assert_eq(sb_bn_market_parse(s, strlen(s), &m, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(m.u.book_ticker.symbol, "BTCUSDT");
	/* an escape anywhere, even in a field nobody reads */
	cr_assert_eq(differ_str("{\"u\":1,\"s\":\"BTCUSDT\",\"x\":\"a\\\"b\"," BT_TAIL), 0);
	cr_assert_eq(differ_str("{\"u\":1,\"s\":\"BTCUSDT\",\"x\":\"a\\qb\"," BT_TAIL), 0);
}

Test(codec_fast, json_the_tokenizer_lets_through_is_checked_against_the_grammar)
{
	/* jsmn tokenizes all of these without complaint; none is JSON. */
	static const char *const cases[] = {
	    "{\"u\" 1,\"s\":\"BTCUSDT\"," BT_TAIL,  /* no colon */
	    "{\"u\":1 \"s\":\"BTCUSDT\"," BT_TAIL,  /* no comma */
	    "{\"u\":1,,\"s\":\"BTCUSDT\"," BT_TAIL, /* two commas */
	    "{\"u\"::1,\"s\":\"BTCUSDT\"," BT_TAIL, /* two colons */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1.5\",\"B\":\"2\",\"a\":\"1.6\",\"A\":\"3\",}", /* trailing */
	    "{,\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL,
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":tru," BT_TAIL, /* not a word */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":01," BT_TAIL,  /* leading zero */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":1.," BT_TAIL,  /* no fraction digits */
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":-," BT_TAIL,
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":[1 2]," BT_TAIL,
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":[1,]," BT_TAIL,
	    "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":{\"y\"}," BT_TAIL,
	    "{\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL "{}", /* two values */
	    "{\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL " x", /* trailing data */
	    "\x01{\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL,  /* a control byte */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_eq(differ_str(cases[i]), 0, "taken: %s", cases[i]);
	/* raw control bytes and UTF-8 inside strings are copied as they are, by both paths */
	cr_assert_eq(differ_str("{\"u\":1,\"s\":\"BTC\tUSDT\"," BT_TAIL), TOOK_MARKET);
	cr_assert_eq(differ_str("{\"u\":1,\"s\":\"\xe5\xb8\x81\xe5\xae\x89USDT\"," BT_TAIL), TOOK_MARKET);
	/* whitespace and nested values the frame carries but nobody reads are fine */
	cr_assert_eq(
	    differ_str(" {\"u\" : 1 ,\n\"x\":[1,{\"y\":[true,false,null,-0.5e+3]}],\"s\":\"BTCUSDT\","
	               "\t" BT_TAIL " \r\n"),
	    TOOK_MARKET);
}

Test(codec_fast, a_nul_byte_inside_the_frame_is_declined)
{
	char s[] = "{\"u\":1,\"s\":\"BTCUSDT\"," BT_TAIL;
	size_t len = sizeof s - 1;
	char *nul = strstr(s, "BTC");
	nul[1] = '\0';
	cr_assert_eq(differ("nul in a string", s, len), 0);
	s[len - 1] = '\0';
	cr_assert_eq(differ("nul at the end", s, len), 0);
}

Test(codec_fast, a_frame_with_more_tokens_than_the_array_holds_goes_to_the_tree)
{
	char s[8192];
	size_t n = (size_t)snprintf(s, sizeof s, "{\"u\":1,\"s\":\"BTCUSDT\",\"x\":[");
	for (int i = 0; i < SB_BN_FAST_TOKENS; i++)
		n += (size_t)snprintf(s + n, sizeof s - n, "%s%d", i ? "," : "", i);
	snprintf(s + n, sizeof s - n, "]," BT_TAIL);
	cr_assert_eq(differ_str(s), 0);
	struct sb_bn_market_msg m;
	char err[256];
	cr_assert_eq(sb_bn_market_parse(s, strlen(s), &m, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(m.kind, SB_BN_MKT_BOOK_TICKER);
}

Test(codec_fast, events_control_replies_and_errors_are_left_to_the_tree)
{
	cr_assert_eq(differ_str("{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
	                        "\"T\":1,\"m\":true,\"u\":1}"),
	             0);
	cr_assert_eq(differ_str("{\"result\":null,\"id\":1,\"u\":1,\"s\":\"X\"," BT_TAIL), 0);
	cr_assert_eq(differ_str("{\"code\":2,\"msg\":\"x\",\"id\":1,\"u\":1,\"s\":\"X\"," BT_TAIL), 0);
	/* In the combined envelope the payload decides: a "result" beside it does not make a reply. */
	cr_assert_eq(
	    differ_str("{\"result\":1,\"stream\":\"x@bookTicker\",\"data\":{\"u\":1,\"s\":\"X\"," BT_TAIL
	               "}"),
	    TOOK_MARKET);
}

/* An executionReport in its envelope with one member replaced (or removed with a NULL value). */
static void exec_variant(char *out, size_t cap, const char *key, const char *value)
{
	static const char *const fields[][2] = {
	    {"e", "\"executionReport\""},
	    {"E", "1499405658658"},
	    {"s", "\"ETHBTC\""},
	    {"c", "\"web_1\""},
	    {"S", "\"SELL\""},
	    {"o", "\"LIMIT\""},
	    {"f", "\"GTC\""},
	    {"q", "\"1.0\""},
	    {"p", "\"0.1\""},
	    {"P", "\"0\""},
	    {"F", "\"0\""},
	    {"g", "-1"},
	    {"C", "\"\""},
	    {"x", "\"TRADE\""},
	    {"X", "\"FILLED\""},
	    {"r", "\"NONE\""},
	    {"i", "4293153"},
	    {"l", "\"1.0\""},
	    {"z", "\"1.0\""},
	    {"L", "\"0.1\""},
	    {"n", "\"0.0001\""},
	    {"N", "\"BNB\""},
	    {"T", "1499405658657"},
	    {"t", "71234"},
	    {"I", "8641984"},
	    {"w", "false"},
	    {"m", "true"},
	    {"M", "true"},
	    {"O", "1499405658657"},
	    {"Z", "\"0.1\""},
	    {"Y", "\"0.1\""},
	    {"Q", "\"0\""},
	    {"W", "1499405658657"},
	    {"V", "\"EXPIRE_MAKER\""},
	};
	size_t n = (size_t)snprintf(out, cap, "{\"subscriptionId\":3,\"event\":{");
	bool first = true;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = fields[i][1];
		if (strcmp(fields[i][0], key) == 0)
			v = value;
		if (!v)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":%s", first ? "" : ",", fields[i][0], v);
		first = false;
	}
	if (strcmp(key, "+") == 0)
		n += (size_t)snprintf(out + n, cap - n, ",%s", value);
	snprintf(out + n, cap - n, "}}");
}

Test(codec_fast, execution_report_variants_read_the_same_on_both_paths)
{
	static const struct {
		const char *key;   /* member replaced; "+" appends value */
		const char *value; /* its new text; NULL removes it */
		int took;          /* the fast paths that take it */
	} cases[] = {
	    {"Z", "\"0.1\"", TOOK_USER | TOOK_WS}, /* the base: a fill */
	    {"Z", "0.1", 0},                       /* a decimal as a number */
	    {"N", "null", TOOK_USER | TOOK_WS},    /* no commission asset yet */
	    {"x", "\"NEW\"", TOOK_USER | TOOK_WS},
	    {"x", "\"TRADE_PREVENTION\"", TOOK_USER | TOOK_WS},
	    {"t", "-1", 0},                   /* a TRADE without a trade id */
	    {"S", "\"sell\"", 0},             /* case matters in values too */
	    {"f", "\"NONE\"", 0},             /* the store's word, not Binance's */
	    {"X", "\"LOST\"", 0},             /* the bot's word */
	    {"W", NULL, TOOK_USER | TOOK_WS}, /* optional */
	    {"F", NULL, TOOK_USER | TOOK_WS}, /* optional */
	    {"V", NULL, 0},                   /* required */
	    {"c", "\"\"", 0},                 /* empty clientOrderId */
	    {"c", "\"a\\\"b\"", 0},           /* escaped: left to the tree */
	    {"E", "\"1499405658658\"", 0},
	    {"w", "\"false\"", 0},
	    {"i", "4293153.0", 0},
	    {"e", "\"executionreport\"", 0},
	    {"e", "\"outboundAccountPosition\"", 0},
	    {"+", "\"eR\":\"STP\",\"v\":12,\"A\":\"0.5\"", TOOK_USER | TOOK_WS},
	    {"+", "\"eR\":7", 0},
	    {"+", "\"v\":-1", 0},
	    {"+", "\"status\":200", TOOK_USER | TOOK_WS}, /* inside the event: just a member */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char s[2048];
		exec_variant(s, sizeof s, cases[i].key, cases[i].value);
		cr_assert_eq(differ_str(s), cases[i].took, "%s", s);
	}
}

Test(codec_fast, an_envelope_with_status_is_a_response_and_a_bare_event_no_ws_frame)
{
	char s[2048];
	exec_variant(s, sizeof s, "Z", "\"0.1\"");
	/* bare: the listenKey stream's form, read by the user event parser only */
	const char *inner = strstr(s, "\"event\":") + 8;
	char bare[2048];
	snprintf(bare, sizeof bare, "%.*s", (int)(strlen(inner) - 1), inner);
	cr_assert_eq(differ_str(bare), TOOK_USER);
	/* an envelope that also has "status" is a WS API response to the frame classifier */
	char resp[2100];
	snprintf(resp, sizeof resp, "{\"status\":200,%s", s + 1);
	cr_assert_eq(differ_str(resp), TOOK_USER);
	/* subscriptionId must be an id */
	char sub[2100];
	snprintf(sub, sizeof sub, "{\"subscriptionId\":\"3\",%s", strstr(s, "\"event\""));
	cr_assert_eq(differ_str(sub), 0);
}
