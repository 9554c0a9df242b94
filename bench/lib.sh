# bench/lib.sh - what the shell benchmarks share, sourced by them: spotsim started on a free port, and the
# .env of a `spotbot run` against it with a control port.

# bench_spotsim BUILD DIR ARGS...: starts spotsim with ARGS in the background (its output in DIR/sim.out);
# sets sim_pid and port, or exits when it does not listen within 10 s.
bench_spotsim() {
	_build=$1
	_dir=$2
	shift 2
	"$_build/spotsim" --listen 127.0.0.1:0 "$@" >"$_dir/sim.out" 2>&1 &
	sim_pid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$_dir/sim.out" | head -n 1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "spotsim did not start" >&2; cat "$_dir/sim.out" >&2; exit 1; }
}

# bench_env DIR TOKEN PAIRS [NAME=VALUE...]: writes DIR/.env for spotbot against spotsim on $port, its
# database and logs in DIR, its control API on a free port (sets cport) with TOKEN, then the settings.
bench_env() {
	_dir=$1
	_token=$2
	_pairs=$3
	shift 3
	cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$_dir/.env" <<ENV
MODE=paper
BINANCE_REST_URL=http://127.0.0.1:$port
BINANCE_STREAM_URL=ws://127.0.0.1:$port
BINANCE_WSAPI_URL=ws://127.0.0.1:$port/ws-api/v3
BINANCE_API_KEY=spotsim-demo-key
BINANCE_API_SECRET=spotsim-demo-secret
DATABASE_PATH=$_dir/bot.db
LOG_DIR=$_dir/logs
LOG_STDERR=false
CONTROL_LISTEN=127.0.0.1:$cport
CONTROL_TOKEN=$_token
PAIRS=$_pairs
ENV
	for _kv in "$@"; do
		echo "$_kv" >>"$_dir/.env"
	done
	chmod 600 "$_dir/.env"
}

# bench_health TOKEN: waits up to 20 s for spotbot's /health on $cport; sets ctl to its control URL.
bench_health() {
	ctl="http://127.0.0.1:$cport"
	for _ in $(seq 200); do
		curl -sf -H "Authorization: Bearer $1" "$ctl/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
}

# stop_pids PID...: stops each process (SIGTERM) and waits for it.
stop_pids() {
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# end_dir: removes the scratch directory $dir, or keeps it (named on stderr) when KEEP is set.
end_dir() {
	[ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}

# bench_scratch: a fresh scratch directory in $dir; when the script exits, spotbot and spotsim ($bot_pid,
# $sim_pid, empty until started) are stopped and the directory goes (end_dir).
bench_scratch() {
	dir=$(mktemp -d)
	sim_pid=""
	bot_pid=""
	trap 'stop_pids $bot_pid $sim_pid; end_dir' EXIT INT TERM
}

# bench_exchange_info N OUT: writes to OUT an exchangeInfo of N alike USDT symbols (XAAUSDT, XABUSDT, ...),
# each with BTCUSDT's filters from tests/data/exchangeinfo/spot_usdt.json (below $root, or the current
# directory), for spotsim --exchange-info; outside spotsim's catalogue each starts its synthetic market at
# 1000 ticks. Prints the symbols, comma-separated, for spotsim --symbols and PAIRS.
bench_exchange_info() {
	python3 - "$1" "$2" "${root:-.}/tests/data/exchangeinfo/spot_usdt.json" <<'PY'
import copy, json, string, sys
n, out, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
doc = json.load(open(path))
btc = next(s for s in doc["symbols"] if s["symbol"] == "BTCUSDT")
syms = []
for i in range(n):
    s = copy.deepcopy(btc)
    s["baseAsset"] = "X" + string.ascii_uppercase[i // 26 % 26] + string.ascii_uppercase[i % 26]
    s["symbol"] = s["baseAsset"] + "USDT"
    syms.append(s)
doc["symbols"] = syms
json.dump(doc, open(out, "w"))
print(",".join(s["symbol"] for s in syms))
PY
}

# bench_sell_cycle SIM SYMBOL HIGH BASE: one cycle of a pair buying at market, its sell resting: waits up to
# 10 s for the sell on spotsim's book (at SIM, its base URL), fills it by trading SYMBOL at HIGH (a market
# buy walks up spotsim's thin synthetic book, so its sell can ask a few percent above the last trade),
# trades at BASE again, and waits up to 10 s for the book to hold none of the account's orders; a cooldown
# longer than those two requests holds the next market buy until the price is back at BASE.
bench_sell_cycle() {
	for _ in $(seq 400); do
		curl -s "$1/sim/state" | grep -q '"openOrders":1' && break
		sleep 0.025
	done
	curl -s -X POST "$1/sim/price?symbol=$2&price=$3" >/dev/null
	curl -s -X POST "$1/sim/price?symbol=$2&price=$4" >/dev/null
	for _ in $(seq 400); do
		curl -s "$1/sim/state" | grep -q '"openOrders":0' && break
		sleep 0.025
	done
}

# bench_resting_daemon BUILD DIR N TOKEN SPEED SEED: starts spotsim with N alike symbols (bench_exchange_info)
# at SPEED and SEED, then `spotbot run` with one pair per symbol, each holding a LIMIT buy resting 20% under
# the market, with MAX_EXPOSURE set (every quote is validated and decided on); waits for its /health. Sets
# sim_pid, port, bot_pid, cport and ctl; the daemon's output goes to DIR/bot.out.
bench_resting_daemon() {
	_syms=$(bench_exchange_info "$3" "$2/info.json")
	bench_spotsim "$1" "$2" --speed "$5" --seed "$6" --exchange-info "$2/info.json" --symbols "$_syms"
	_pairs=$(echo "$_syms" | tr ',' '\n' |
		sed 's/$/:quote=20,buy_offset=20%,buy_timeout=24h,profit=1%,max_positions=1/' | paste -sd';')
	rm -f "$2/bot.db"*
	bench_env "$2" "$4" "$_pairs" MAX_EXPOSURE=100000
	"$1/spotbot" run --config "$2/.env" >"$2/bot.out" 2>&1 &
	bot_pid=$!
	bench_health "$4"
}
