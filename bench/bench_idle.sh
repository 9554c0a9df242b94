#!/bin/sh
# bench/bench_idle.sh [BUILD_DIR] - what spotbot costs when nothing happens, and per market message.
#
# For each pair count in COUNTS (default "1 10 50") it starts spotsim serving that many symbols and `spotbot
# run` with one pair per symbol, waits until the daemon trades (GET /health 200) and every pair has a price,
# freezes the market (`POST /sim/fault?name=flat_market`: no trade, no book ticker, no market traffic at
# all; the books stay as they were), lets it settle for SETTLE seconds, then samples the daemon's process from /proc over SECS seconds (default 30): its CPU time
# (the scheduler's run time of every thread, /proc/PID/task/*/schedstat, in ns: /proc/PID/stat's
# utime+stime count 10 ms ticks, too coarse for a daemon that should sleep), and its wake-ups (voluntary
# and involuntary context switches, /proc/PID/task/*/status). What the daemon did meanwhile is read from
# its own /metrics before and after the window (outside it): market frames, REST requests, reconnects.
# Then, unless TRAFFIC=0, the same with 1 pair and spotsim's synthetic market running (`--speed SPEED`,
# default 1) to give the CPU per market message.
#
# The pairs are disabled (`enabled=false`): they are decided on and their prices kept, but no cycle
# starts, so a run measures the daemon's fixed costs and not what a trade happens to cost. With the market
# frozen the pairs' prices go stale (PRICE_MAX_AGE, 10 s) and are fetched over REST instead, and the market
# stream's watchdog reconnects after 30 s without data: both are what the daemon does on a market that
# has stopped, and the REST and reconnect columns show how much of the figure they are.
# docs/performance.md records its figures. Needs curl and python3.
set -eu
build=${1:-build}
counts=${COUNTS:-"1 10 50"}
secs=${SECS:-30}
settle=${SETTLE:-5}
speed=${SPEED:-1}
cd "$(dirname "$0")/.."
root=$(pwd)
. bench/lib.sh
bench_scratch

# The daemon's CPU time (ns) and context switches, every thread summed: "cpu_ns switches".
sample() {
	cpu=0
	sw=0
	for t in /proc/"$bot_pid"/task/*; do
		c=$(cut -d' ' -f1 "$t/schedstat")
		s=$(awk '/ctxt_switches/ { n += $2 } END { print n }' "$t/status")
		cpu=$((cpu + c))
		sw=$((sw + s))
	done
	echo "$cpu $sw"
}

# Sum of a metric's samples (every label set) on the daemon's /metrics.
metric() {
	awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }' "$2"
}

# Starts spotsim (extra flags in $2..) and spotbot with pairs for $1 symbols; waits for trading.
start() {
	n=$1
	shift
	syms=$(bench_exchange_info "$n" "$dir/info.json")
	bench_spotsim "$build" "$dir" --exchange-info "$dir/info.json" "$@"
	pairs=$(echo "$syms" | tr ',' '\n' | sed 's/$/:quote=20,enabled=false/' | paste -sd';')
	rm -rf "$dir/bot.db" "$dir/bot.db-wal" "$dir/bot.db-shm" "$dir/logs"
	bench_env "$dir" bench-idle-token "$pairs"
	"$build/spotbot" run --config "$dir/.env" >"$dir/bot.out" 2>&1 &
	bot_pid=$!
	ctl="http://127.0.0.1:$cport"
	for _ in $(seq 300); do
		curl -sf -H "Authorization: Bearer bench-idle-token" "$ctl/pairs" 2>/dev/null |
			grep -o '"price_age_ms":[0-9]' | wc -l | grep -qx "$n" &&
			curl -sf -H "Authorization: Bearer bench-idle-token" "$ctl/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "spotbot did not reach trading with a price for each of $n pairs (see $dir)" >&2
	KEEP=1
	exit 1
}

stop() {
	stop_pids $bot_pid $sim_pid
	bot_pid=""
	sim_pid=""
}

# Measures the running daemon over secs seconds; prints one line of figures named $1.
measure() {
	sleep "$settle"
	curl -s -H "Authorization: Bearer bench-idle-token" "$ctl/metrics" >"$dir/m0"
	set -- "$1" $(sample)
	sleep "$secs"
	set -- "$@" $(sample)
	curl -s -H "Authorization: Bearer bench-idle-token" "$ctl/metrics" >"$dir/m1"
	cpu_ns=$(($4 - $2))
	wakes=$(($5 - $3))
	msgs=$(($(metric spotbot_stream_messages_total "$dir/m1") - $(metric spotbot_stream_messages_total "$dir/m0")))
	rest=$(($(metric spotbot_rest_latency_seconds_count "$dir/m1") - $(metric spotbot_rest_latency_seconds_count "$dir/m0")))
	recon=$(($(metric spotbot_stream_reconnects_total "$dir/m1") - $(metric spotbot_stream_reconnects_total "$dir/m0")))
	per_msg="-"
	[ "$msgs" -gt 0 ] && per_msg=$(echo "$cpu_ns $msgs" | awk '{ printf "%.1f", $1 / $2 / 1000 }')
	echo "$cpu_ns $wakes $msgs $rest $recon $per_msg" | awk -v name="$1" -v s="$secs" '{
		printf "%-16s CPU %7.3f ms/s  wake-ups %6.1f/s  frames %6.1f/s  REST %5.2f/s  reconnects %d  CPU/frame %s us\n",
		    name, $1 / s / 1e6, $2 / s, $3 / s, $4 / s, $5, $6 }'
}

echo "spotbot idle and per-message cost: $(nproc) cores, $(date -u +%Y-%m-%d), ${secs} s windows after ${settle} s settling"
for n in $counts; do
	start "$n"
	curl -sf -X POST "http://127.0.0.1:$port/sim/fault?name=flat_market" >/dev/null
	measure "idle, $n pairs"
	stop
done
if [ "${TRAFFIC:-1}" != 0 ]; then
	start 1 --speed "$speed"
	measure "traffic, 1 pair"
	stop
fi
