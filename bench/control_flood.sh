#!/bin/sh
# bench/control_flood.sh [BUILD_DIR] - does a flood of control API requests slow trading?
#
# Starts spotsim and `spotbot run` (market buys, so every buy fills at once) and measures fill-to-sell
# latency: the time from a buy's fill to the sell order that follows it, both as spotsim recorded them
# (allOrders: the buy's updateTime, the sell's time). It runs CYCLES cycles quietly, then CYCLES more while
# FLOODERS curl processes (half on /status, half on /metrics) send authorised requests back to back over the TCP
# control port, and prints the median and worst latency of each phase and the flood's request rate.
# Needs curl and openssl (to sign the allOrders request). docs/performance.md records its figures.
set -eu
build=${1:-build}
cycles=${CYCLES:-20}
flooders=${FLOODERS:-4}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
sim_pid=""
bot_pid=""
flood_pids=""
cleanup() {
	for p in $flood_pids $bot_pid $sim_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT INT TERM

. bench/lib.sh
bench_spotsim "$build" "$dir" --speed 0.01 --symbols BTCUSDT
sim="http://127.0.0.1:$port"
token=bench-flood-token
bench_env "$dir" "$token" "BTCUSDT:quote=20,buy_mode=market,profit=0.5%,cooldown=1s,max_positions=1"
"$build/spotbot" run --config "$dir/.env" >"$dir/bot.out" 2>&1 &
bot_pid=$!
bench_health "$token"

base=$(curl -s "$sim/sim/state" | sed 's/.*"symbol":"BTCUSDT","lastPrice":"\([0-9.]*\)".*/\1/')
high=$(echo "$base" | awk '{printf "%.2f", $1 * 1.10}')
# CYCLES cycles (bench_sell_cycle: a market buy, its sell filled at 10% above the starting price, back to
# it; the 1 s cooldown holds the next market buy until then).
run_cycles() {
	n=0
	while [ "$n" -lt "$1" ]; do
		bench_sell_cycle "$sim" BTCUSDT "$high" "$base"
		n=$((n + 1))
	done
}

# allOrders from spotsim, signed; prints "buyFill sellTime" per cycle (ms), oldest first.
latencies() {
	q="symbol=BTCUSDT&limit=1000&timestamp=$(date +%s%3N)"
	sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac spotsim-demo-secret | sed 's/.*= //')
	curl -s -H "X-MBX-APIKEY: spotsim-demo-key" "$sim/api/v3/allOrders?$q&signature=$sig" |
		tr '{' '\n' | awk -F, '
		/"side":"BUY"/ && /"status":"FILLED"/ { for (i = 1; i <= NF; i++) if ($i ~ /"updateTime"/) { split($i, a, ":"); buy = a[2] } }
		/"side":"SELL"/ { for (i = 1; i <= NF; i++) if ($i ~ /"time"/ && $i !~ /Time/) { split($i, a, ":"); if (buy) print a[2] - buy; buy = 0 } }'
}

summary() { # name, then latencies on stdin
	sort -n | awk -v name="$1" '{ v[NR] = $1 } END { if (!NR) { print name ": no cycles"; exit } printf "%s: %d cycles, fill-to-sell median %d ms, p90 %d ms, worst %d ms\n", name, NR, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'
}

run_cycles "$cycles"
latencies >"$dir/quiet"
start=$(date +%s%3N)
for i in $(seq "$flooders"); do
	path=status
	[ $((i % 2)) -eq 0 ] && path=metrics
	curl -s -H "Authorization: Bearer $token" -w '%{http_code}\n' -o /dev/null \
		"$ctl/$path?n=[1-10000000]" >"$dir/flood.$i" 2>/dev/null &
	flood_pids="$flood_pids $!"
done
sleep 1
run_cycles "$cycles"
for p in $flood_pids; do
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
flood_pids=""
secs=$(( ($(date +%s%3N) - start) ))
latencies | tail -n +"$(($(wc -l <"$dir/quiet") + 1))" >"$dir/flooded"
summary "quiet  " <"$dir/quiet"
summary "flooded" <"$dir/flooded"
total=$(cat "$dir"/flood.* | grep -c '^200$' || true)
echo "flood: $flooders clients, $total control requests answered 200 in $secs ms ($((total * 1000 / (secs + 1))) per second)"
