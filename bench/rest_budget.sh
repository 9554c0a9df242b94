#!/bin/sh
# bench/rest_budget.sh [BUILD_DIR] - what a start-up with many resting orders and a quiet user stream cost
# in REST request weight, and how long the start-up takes.
#
# Once (kept in FIXTURE, default build/bench-rest-budget, and reused by later runs) it builds the state: spotsim
# serving PAIRS synthetic symbols (default 50) and `spotbot run` with one pair per symbol, each opening
# POSITIONS positions (default 40) whose LIMIT buys rest 20% under the market (buy_timeout 24 h), one every
# 6 s per pair so the account stays under the exchange's 100 orders per 10 s; when spotsim holds all
# PAIRS x POSITIONS open orders both stop, spotsim keeping its accounts and books in its --state file.
#
# Each measured run starts from a copy of that fixture: spotsim on its state (a fresh minute of weight),
# then `spotbot run` (the binary BOT, default BUILD_DIR/spotbot) on a copy of the database. It reports the
# time from the daemon's exec to its first GET /health 200 (trading: the reconciliation is over), the request
# weight spotsim charged until then (its own count, weightTotal on GET /sim/state) and the 429/418 answers;
# then, with the user stream quiet (nothing fills), the weight and the order status queries spotsim served
# over STEADY seconds (default 60) of steady state, per minute; last, the same start-up figures for a
# restart on the database the first start left (SIGTERM, then start again at once), as a service manager
# restarts a daemon that stopped. docs/performance.md records its figures.
# Needs curl and python3.
set -eu
build=${1:-build}
pairs_n=${PAIRS:-50}
positions=${POSITIONS:-40}
steady=${STEADY:-60}
bot=${BOT:-$build/spotbot}
cd "$(dirname "$0")/.."
root=$(pwd)
. bench/lib.sh
fixture=${FIXTURE:-build/bench-rest-budget}
dir=$(mktemp -d)
sim_pid=""
bot_pid=""
cleanup() {
	stop_pids $bot_pid $sim_pid
	end_dir
}
trap cleanup EXIT
trap "exit 1" INT TERM

token=bench-budget-token
sim_state() { curl -s "http://127.0.0.1:$port/sim/state"; }
# field NAME: an integer field of spotsim's /sim/state; open_orders: the sum of its symbols' openOrders.
field() { sim_state | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
open_orders() { sim_state | python3 -c "import json,sys; print(sum(s['openOrders'] for s in json.load(sys.stdin)['symbols']))"; }
now_ms() { date +%s%3N; }

# The fixture: the state of spotsim and spotbot's database with every order resting.
build_fixture() {
	mkdir -p "$fixture"
	syms=$(bench_exchange_info "$pairs_n" "$fixture/info.json")
	echo "$syms" >"$fixture/symbols"
	bench_spotsim "$build" "$dir" --exchange-info "$fixture/info.json" --symbols "$syms" --seed 7 \
		--state "$fixture/sim.json" --account spotsim-demo-key:spotsim-demo-secret:USDT=10000000,BNB=10
	pairs=$(echo "$syms" | tr ',' '\n' |
		sed "s/\$/:quote=11,buy_offset=20%,buy_timeout=24h,max_positions=$positions,cooldown=6s/" | paste -sd';')
	bench_env "$dir" "$token" "$pairs" MAX_EXPOSURE=100000000
	"$build/spotbot" run --config "$dir/.env" >"$dir/bot.out" 2>&1 &
	bot_pid=$!
	want=$((pairs_n * positions))
	echo "building the fixture: $want resting orders (about $((positions * 6 + 20)) s)" >&2
	for _ in $(seq 1200); do
		[ "$(open_orders)" -ge "$want" ] && break
		sleep 1
	done
	[ "$(open_orders)" -ge "$want" ] || { echo "the fixture did not reach $want orders" >&2; exit 1; }
	stop_pids $bot_pid
	bot_pid=""
	stop_pids $sim_pid
	sim_pid=""
	cp "$dir/bot.db" "$fixture/bot.db"
	echo "$pairs" >"$fixture/pairs"
}

[ -f "$fixture/bot.db" ] || build_fixture

run="$dir/run"
rm -rf "$run"
mkdir -p "$run"
cp "$fixture/sim.json" "$run/sim.json"
cp "$fixture/bot.db" "$run/bot.db"
bench_spotsim "$build" "$run" --exchange-info "$fixture/info.json" --symbols "$(cat "$fixture/symbols")" \
	--seed 7 --state "$run/sim.json" --account spotsim-demo-key:spotsim-demo-secret:USDT=10000000,BNB=10
resting=$(open_orders)
bench_env "$run" "$token" "$(cat "$fixture/pairs")" MAX_EXPOSURE=100000000
# start_bot: starts spotbot on the run's copy and waits for its first GET /health 200; sets ms (the time
# from its exec) and weight (what spotsim charged meanwhile).
start_bot() {
	_w0=$(field weightTotal)
	_t0=$(now_ms)
	"$bot" run --config "$run/.env" >>"$run/bot.out" 2>&1 &
	bot_pid=$!
	ctl="http://127.0.0.1:$cport"
	_code=""
	for _ in $(seq 20000); do
		_code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$ctl/health" || true)
		[ "$_code" = 200 ] && break
	done
	ms=$(($(now_ms) - _t0))
	[ "$_code" = 200 ] || { echo "spotbot did not start trading" >&2; exit 1; }
	weight=$(($(field weightTotal) - _w0))
}

start_bot
ms1=$ms
weight1=$weight
sleep 3
w2=$(field weightTotal)
q2=$(field orderQueries)
sleep "$steady"
w3=$(field weightTotal)
q3=$(field orderQueries)
# A restart on the database the first run left (what a service manager does after a crash).
stop_pids $bot_pid
bot_pid=""
start_bot
refused=$(field refused)
echo "$pairs_n pairs, $resting resting orders: start-up to trading $ms1 ms, weight $weight1;" \
	"quiet stream: weight $(((w3 - w2) * 60 / steady))/min, $(((q3 - q2) * 60 / steady)) order queries/min;" \
	"restart: $ms ms, weight $weight; 429/418 answers: $refused"
