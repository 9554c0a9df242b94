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
#
# With MEMORY=1 it also prints, for each count, where the resident memory goes and the REST connections:
# - /proc/PID/smaps summed per mapping (each shared library, [heap], [stack], the anonymous mappings, which
#   hold thread stacks and malloc's other arenas): Rss, Private_Dirty and Pss in KiB, largest first, with
#   the number of threads and of library mappings;
# - the TCP connections between the daemon and spotsim (both ends are on this host) opened over about the
#   last minute: those established (each counted once) plus those in TIME-WAIT (the end that closed first
#   keeps a closed connection there for 60 s, whichever end that was), so keep-alive shows as a small number.
# With SAMPLE_SECONDS set it then samples VmRSS every SAMPLE_EVERY seconds (10) for that long and prints
# the first, last and largest sample and the slope in KiB per minute: memory must stay flat.
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
	stop_pids $bot_pid $sim_pid
	bot_pid=""
	sim_pid=""
}
cleanup() {
	stop
	end_dir
}
trap cleanup EXIT INT TERM

cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }
rss_kb() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
heap_kb() { awk '/\[heap\]/ { h = 1; next } h && /^Rss:/ { print $2; exit }' "/proc/$1/smaps"; }
# Sums Rss, Private_Dirty and Pss per mapping name (anonymous mappings as [anon]).
smaps_table() {
	awk '
	/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; sub(".*/", "", name); next }
	/^Rss:/ { rss[name] += $2 }
	/^Private_Dirty:/ { pd[name] += $2 }
	/^Pss:/ { pss[name] += $2 }
	END {
		for (n in rss) if (rss[n] > 0) printf "%8d %8d %8d  %s\n", rss[n], pd[n], pss[n], n
	}' "/proc/$1/smaps" | sort -rn
}
conns() {
	ss -tan "( sport = :$port or dport = :$port )" |
		awk 'NR > 1 { s[$1]++ } END { printf "established %d, time-wait %d\n", s["ESTAB"] / 2, s["TIME-WAIT"] }'
}
memory() {
	echo "   $(ls "/proc/$1/task" | wc -l) threads, $(grep -c '\.so' "/proc/$1/maps") library mappings;" \
		"connections to spotsim in about the last minute: $(conns)"
	echo "     Rss  Priv_Dirty   Pss  mapping (KiB)"
	smaps_table "$1"
}
# Samples VmRSS every SAMPLE_EVERY seconds for SAMPLE_SECONDS; prints the first, last and largest sample
# and the least-squares slope.
rss_slope() {
	_every=${SAMPLE_EVERY:-10}
	_t=0
	while [ "$_t" -le "$SAMPLE_SECONDS" ]; do
		echo "$_t $(rss_kb "$1")"
		sleep "$_every"
		_t=$((_t + _every))
	done | awk 'NR == 1 { t0 = $1; r0 = $2 } { if ($2 > mx) mx = $2; n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2; t1 = $1; r1 = $2 }
	END { slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	      printf "   RSS over %d s: first %d KiB, last %d KiB, largest %d KiB, slope %.1f KiB/min\n", t1 - t0, r0, r1, mx, slope * 60 }'
	echo "   connections to spotsim in about the last minute: $(conns)"
}
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
	bench_resting_daemon "$build" "$dir" "$n" "$token" "$speed" "$seed"
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
	[ -n "${MEMORY:-}" ] && memory "$bot_pid"
	[ -n "${SAMPLE_SECONDS:-}" ] && rss_slope "$bot_pid"
	stop
done
