#!/bin/sh
# bench/daemon_memory.sh [BUILD_DIR] - where `spotbot run`'s resident memory goes, and how many REST
# connections it opens, while it follows N pairs' market data.
#
# The same set-up as bench/daemon_load.sh (spotsim with N synthetic symbols, one pair per symbol holding a
# LIMIT buy resting 20% under the market, so the quiet-stream checks run over REST). For each count in
# COUNTS (default "1 50"), after WARMUP seconds (30: longer than one quiet-stream check period) it prints:
# - /proc/PID/smaps summed per mapping (each shared library, [heap], [stack], the anonymous mappings, which
#   hold thread stacks and malloc's other arenas): Rss, Private_Dirty and Pss in KiB, largest first;
# - VmRSS, the number of threads and the number of libraries mapped;
# - the TCP connections from the daemon to spotsim over the last minute: established plus TIME-WAIT (a
#   connection the client closed stays in TIME-WAIT for 60 s), so keep-alive shows as a small number.
# With SAMPLE_SECONDS set it then samples VmRSS every SAMPLE_EVERY seconds (10) for that long and prints
# the first, last and largest sample and the slope in KiB per minute: memory must stay flat.
set -eu
build=${1:-build}
counts=${COUNTS:-"1 50"}
warmup=${WARMUP:-30}
speed=${SPEED:-10}
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

rss_kb() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

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
	ss -tan "( dport = :$port )" | awk 'NR > 1 { s[$1]++ } END { printf "established %d, time-wait %d\n", s["ESTAB"], s["TIME-WAIT"] }'
}

token=bench-mem-token
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
	echo "== $n pairs: VmRSS $(rss_kb "$bot_pid") KiB, $(ls "/proc/$bot_pid/task" | wc -l) threads," \
		"$(grep -c '\.so' "/proc/$bot_pid/maps" | tr -d ' ') library mappings; REST/WS connections to spotsim in the last minute: $(conns)"
	echo "     Rss  Priv_Dirty   Pss  mapping (KiB)"
	smaps_table "$bot_pid"
	if [ -n "${SAMPLE_SECONDS:-}" ]; then
		every=${SAMPLE_EVERY:-10}
		: >"$dir/rss.txt"
		t=0
		while [ "$t" -le "$SAMPLE_SECONDS" ]; do
			echo "$t $(rss_kb "$bot_pid")" >>"$dir/rss.txt"
			sleep "$every"
			t=$((t + every))
		done
		awk 'NR == 1 { t0 = $1; r0 = $2 } { if ($2 > mx) mx = $2; n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2; t1 = $1; r1 = $2 }
		END { slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
		      printf "RSS over %d s: first %d KiB, last %d KiB, largest %d KiB, slope %.1f KiB/min\n", t1 - t0, r0, r1, mx, slope * 60 }' "$dir/rss.txt"
		echo "REST/WS connections to spotsim in the last minute: $(conns)"
	fi
	stop
done
