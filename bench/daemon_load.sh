#!/bin/sh
# bench/daemon_load.sh [BUILD_DIR] - what `spotbot run` costs while it follows N pairs' market data.
#
# For each count in COUNTS (default "1 10 50") it starts spotsim serving that many synthetic symbols (an
# exchangeInfo file of copies of BTCUSDT's rules named C01USDT, C02USDT, ..., each its own seeded walk)
# and `spotbot run` with one pair per symbol, each holding a LIMIT buy resting 20% under the market (so
# every quote is validated and decided on, and MAX_EXPOSURE makes each decision read the exposure), the
# market at SPEED (default 1; at 10 a symbol trades about 40 times a second). After WARMUP seconds (5) it
# samples the daemon for SECONDS_RUN (20): its CPU time (/proc/PID/schedstat, nanoseconds), the
# market frames it received (spotbot_stream_messages_total{stream="market"} on /metrics) and its resident
# memory (VmRSS, /proc/PID/status, and its [heap] in /proc/PID/smaps). It prints one line per count: CPU
# per second, frames per second, CPU per frame, VmRSS and heap, and the market-to-decision latency
# (spotbot_decision_latency_seconds: mean, median, 99th percentile) over the window when the build has
# that metric. The same SEED and SPEED give the same market, so two builds compare on CPU per second;
# docs/performance.md records the figures.
set -eu
build=${1:-build}
counts=${COUNTS:-"1 10 50"}
secs=${SECONDS_RUN:-20}
warmup=${WARMUP:-5}
speed=${SPEED:-1}
seed=${SEED:-3}
cd "$(dirname "$0")/.."
. bench/lib.sh
dir=$(mktemp -d)
sim_pid=""
bot_pid=""
stop() {
	for p in $bot_pid $sim_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	bot_pid=""
	sim_pid=""
}
cleanup() {
	stop
	[ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT INT TERM

cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }
rss_kb() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
heap_kb() { awk '/\[heap\]/ { h = 1; next } h && /^Rss:/ { print $2; exit }' "/proc/$1/smaps"; }
frames() {
	curl -s -H "Authorization: Bearer $token" "$ctl/metrics" |
		sed -n 's/^spotbot_stream_messages_total{stream="market"} \([0-9]*\).*/\1/p'
}
# The market-to-decision histogram: "le count" per bucket, then "sum S" and "count N", one per line.
decisions() {
	curl -s -H "Authorization: Bearer $token" "$ctl/metrics" |
		sed -n -e 's/^spotbot_decision_latency_seconds_bucket{le="\([^"]*\)"} \([0-9]*\)$/\1 \2/p' \
			-e 's/^spotbot_decision_latency_seconds_\(sum\|count\) \([0-9.e+-]*\)$/\1 \2/p'
}
# Mean, median and 99th percentile of the decisions between two snapshots ($1, $2): a percentile is the
# upper bound of the bucket it falls in. Nothing when the build has no such metric.
latency() {
	printf '%s\n--\n%s\n' "$1" "$2" | awk '
		$1 == "--" { second = 1; next }
		{ if (second) b[$1] = $2; else a[$1] = $2; if (!second) order[n++] = $1 }
		END {
			c = b["count"] - a["count"]
			if (c <= 0) exit
			printf ", market to decision mean %.1f us", (b["sum"] - a["sum"]) / c * 1e6
			p50 = ""; p99 = ""
			for (i = 0; i < n; i++) {
				le = order[i]
				if (le == "sum" || le == "count") continue
				d = b[le] - a[le]
				if (p50 == "" && d >= c * 0.5) p50 = le
				if (p99 == "" && d >= c * 0.99) p99 = le
			}
			printf ", p50 <= %s s, p99 <= %s s over %d decisions", p50, p99, c
		}'
}

token=bench-load-token
for n in $counts; do
	syms=$(bench_exchange_info "$n" "$dir/info.json")
	bench_spotsim "$build" "$dir" --speed "$speed" --seed "$seed" --exchange-info "$dir/info.json" \
		--symbols "$syms"
	pairs=$(echo "$syms" | tr ',' '\n' | sed 's/$/:quote=20,buy_offset=20%,buy_timeout=24h,profit=1%,max_positions=1/' | paste -sd';')
	rm -f "$dir/bot.db"*
	bench_env "$dir" "$token" "$pairs" MAX_EXPOSURE=100000
	"$build/spotbot" run --config "$dir/.env" >"$dir/bot.out" 2>&1 &
	bot_pid=$!
	bench_health "$token"
	sleep "$warmup"
	c0=$(cpu_ns "$bot_pid")
	f0=$(frames)
	d0=$(decisions)
	sleep "$secs"
	c1=$(cpu_ns "$bot_pid")
	f1=$(frames)
	d1=$(decisions)
	rss=$(rss_kb "$bot_pid")
	heap=$(heap_kb "$bot_pid")
	line=$(awk -v n="$n" -v s="$secs" -v c="$((c1 - c0))" -v f="$((f1 - f0))" -v rss="$rss" -v heap="$heap" 'BEGIN {
		printf "%2d pairs: CPU %.2f ms/s, %.0f market frames/s, %.1f us CPU per frame, VmRSS %.1f MB (heap %.2f MB)",
		       n, c / 1e6 / s, f / s, f ? c / 1e3 / f : 0, rss / 1024, heap / 1024 }')
	echo "$line$(latency "$d0" "$d1")"
	stop
done
