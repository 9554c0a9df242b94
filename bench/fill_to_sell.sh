#!/bin/sh
# bench/fill_to_sell.sh [BUILD_DIR] - how long from a buy's last fill to its sell request leaving.
#
# Starts spotsim (one symbol, a slow synthetic market) and `spotbot run` with one pair buying at market,
# so every buy fills at once and its sell follows, and runs SELLS cycles (default 100): wait until the
# sell rests on the book, fill it by trading 10% above the starting price (a market buy walks up spotsim's
# thin synthetic book, so its sell can ask a few percent above the last trade), trade at the starting
# price again; the pair's 300 ms cooldown holds the next market buy until then. The daemon measures each
# sell itself, on its monotonic clock, from reading the buy's last fill (executionReport or the order's
# answer, whichever comes first) to handing the sell to the exchange client: every durable commit in
# between is inside the figure. The script reads the `fill_to_sell_us` field of each sell's log line
# (exact values; the `spotbot_fill_to_sell_latency_seconds` histogram on /metrics has the same samples in
# buckets, and its count is printed as a cross-check) and prints p50, p90, p99 and the worst of RUNS runs
# (default 3), each on a fresh database. WRAP, when set, is put before the daemon's command line (WRAP='strace
# -f -c -o /tmp/trace' counts its system calls; the latency is then strace's, not the daemon's). Needs curl
# and python3. docs/performance.md records its figures.
set -eu
build=${1:-build}
sells=${SELLS:-100}
runs=${RUNS:-3}
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_scratch
token=bench-sell-token

# One run: prints "n p50 p90 p99 max histogram_count" in microseconds.
run() {
	rm -rf "$dir/bot.db" "$dir/bot.db-wal" "$dir/bot.db-shm" "$dir/logs"
	bench_spotsim "$build" "$dir" --speed 0.01 --symbols BTCUSDT
	sim="http://127.0.0.1:$port"
	bench_env "$dir" "$token" "BTCUSDT:quote=20,buy_mode=market,profit=0.5%,cooldown=300ms,max_positions=1"
	${WRAP:-} "$build/spotbot" run --config "$dir/.env" >"$dir/bot.out" 2>&1 &
	bot_pid=$!
	bench_health "$token"
	base=$(curl -s "$sim/sim/state" | sed 's/.*"symbol":"BTCUSDT","lastPrice":"\([0-9.]*\)".*/\1/')
	high=$(echo "$base" | awk '{printf "%.2f", $1 * 1.10}')
	while [ "$(grep -ho '"fill_to_sell_us":[0-9]*' "$dir"/logs/*.log 2>/dev/null | wc -l)" -lt "$sells" ]; do
		bench_sell_cycle "$sim" BTCUSDT "$high" "$base"
	done
	count=$(curl -s -H "Authorization: Bearer $token" "$ctl/metrics" |
		awk '$1 ~ /^spotbot_fill_to_sell_latency_seconds_count/ { s += $NF } END { printf "%d", s }')
	# Under a WRAP the daemon is the wrapper's child: stopped first, the wrapper then ends by itself.
	[ -z "${WRAP:-}" ] || for c in $(pgrep -P "$bot_pid"); do kill "$c"; done
	stop_pids $bot_pid $sim_pid
	bot_pid=""
	sim_pid=""
	grep -ho '"fill_to_sell_us":[0-9]*' "$dir"/logs/*.log | head -n "$sells" | cut -d: -f2 | sort -n |
		awk -v c="$count" '{ v[NR] = $1 } END {
			printf "%d %d %d %d %d %d\n", NR, v[int(NR * 0.50 + 0.5)], v[int(NR * 0.90 + 0.5)],
			    v[int(NR * 0.99 + 0.5)], v[NR], c }'
}

echo "fill to sell: $(nproc) cores, $(date -u +%Y-%m-%d), $runs runs of $sells sells"
i=1
while [ "$i" -le "$runs" ]; do
	run | awk -v i="$i" '{ printf "run %d: %d sells  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  worst %.2f ms  (histogram count %d)\n",
		i, $1, $2 / 1000, $3 / 1000, $4 / 1000, $5 / 1000, $6 }'
	i=$((i + 1))
done
