#!/bin/sh
# bench/peer/peer.sh [BUILD_DIR] - spotbot against a peer client on the same market streams (make bench-peer).
#
# For each pair count N (PEER_PAIRS, default "1 10 50"; at most 64): starts spotsim with N alike
# symbols (bench_exchange_info in bench/lib.sh) and a synthetic market at PEER_SPEED (default 10: about 4
# trades a second per symbol, each a trade and a book ticker message); `spotbot run` with N pairs that buy at market and
# hold (a sell 20% up rests on the book), so once its positions are open it is busy with market data only;
# and the peer, ccxt pro's Binance client (bench/peer/peer.js, ccxt pinned in package.json and installed
# with `npm ci`), subscribed to the same streams of the same symbols. Once spotbot's N sells rest on
# spotsim and the peer has had every stream of every symbol, both run PEER_SETTLE seconds (default 5),
# then for PEER_WINDOW seconds (default 30) it samples each process's CPU (utime+stime, /proc/PID/stat)
# and resident memory (VmRSS, /proc/PID/status, once a second, the largest kept) and counts the market
# messages each received: spotbot's spotbot_stream_messages_total{stream="market"} from /metrics, the
# peer's own count of the messages ccxt handled. It prints one table: per N, CPU us per market message,
# RSS in MB (10^6 bytes) for each, and the ratios (peer / spotbot).
#
# The peer only receives and parses; spotbot also validates every quote, decides on it and persists its
# orders and fills. PEER_STREAMS (default bookTicker) must name the streams spotbot subscribes
# (src/exchange/market_stream.c); a message rate that differs by more than a quarter between the two is
# reported. Without node and npm, or when `npm ci` fails, it says so and exits 0, like
# scripts/acceptance.sh. KEEP=1 keeps the run's files (logs, databases). docs/performance.md records its
# figures.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
here=$root/bench/peer
. "$root/bench/lib.sh"
counts=${PEER_PAIRS:-"1 10 50"}
speed=${PEER_SPEED:-10}
settle=${PEER_SETTLE:-5}
window=${PEER_WINDOW:-30}
streams=${PEER_STREAMS:-bookTicker}

for n in $counts; do
	case $n in *[!0-9]*) echo "bench-peer: PEER_PAIRS: '$n' is not a number of pairs" >&2 && exit 2 ;; esac
	if [ "$n" -lt 1 ] || [ "$n" -gt 64 ]; then
		echo "bench-peer: PEER_PAIRS: $n pairs: from 1 to 64 (spotsim serves at most 64 symbols)" >&2
		exit 2
	fi
done
[ -n "$(printf '%s' "$counts" | tr -d ' ')" ] || { echo "bench-peer: PEER_PAIRS: no pair counts" >&2; exit 2; }
for v in "$speed" "$settle" "$window"; do
	case $v in '' | *[!0-9]*) echo "bench-peer: PEER_SPEED, PEER_SETTLE and PEER_WINDOW are whole numbers, got '$v'" >&2 && exit 2 ;; esac
done
[ "$window" -gt 0 ] || { echo "bench-peer: PEER_WINDOW: at least 1 second" >&2; exit 2; }
[ "$speed" -gt 0 ] || { echo "bench-peer: PEER_SPEED: at least 1" >&2; exit 2; }
for st in $(echo "$streams" | tr ',' ' '); do
	case $st in bookTicker | trade) ;; *) echo "bench-peer: PEER_STREAMS: '$st': the peer watches bookTicker and trade" >&2 && exit 2 ;; esac
done

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "bench-peer: SKIPPED - node and npm are not installed (the peer, ccxt pro, needs Node 18+)"
	exit 0
fi
for p in spotsim spotbot; do
	[ -x "$build/$p" ] || { echo "bench-peer: $build/$p is missing; run make first" >&2; exit 1; }
done
echo "bench-peer: npm ci in bench/peer"
if ! (cd "$here" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null); then
	echo "bench-peer: SKIPPED - npm ci failed (is the npm registry or its cache reachable?)"
	exit 0
fi
ccxt_version=$(node -p "require('$here/node_modules/ccxt/package.json').version")
tck=$(getconf CLK_TCK)

dir=$(mktemp -d "${TMPDIR:-/tmp}/spotbot-bench-peer.XXXXXX")
sim_pid=
bot_pid=
peer_pid=
stop() { # pid...: ends the processes this script started and waits for them
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
cleanup() {
	stop "$peer_pid" "$bot_pid" "$sim_pid"
	if [ -n "${KEEP:-}" ]; then
		echo "bench-peer: kept $dir" >&2
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "bench-peer: $*" >&2
	exit 1
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds (there is no event to wait
# on from sh), or gives up naming WHAT.
wait_for() {
	secs=$1 what=$2
	shift 2
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -lt $((secs * 10)) ] || die "gave up after $secs s waiting for $what (files in $dir with KEEP=1)"
		sleep 0.1
	done
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
bot_messages() {
	curl -s -H "Authorization: Bearer bench-peer-token" "http://127.0.0.1:$cport/metrics" |
		awk '$1 == "spotbot_stream_messages_total{stream=\"market\"}" { print $2 }'
}
# The peer prints its count on SIGUSR2; the Nth such line is the answer to the Nth signal.
peer_messages() {
	asked=$(($(grep -c '^messages ' "$run/peer.out" || true) + 1))
	kill -USR2 "$peer_pid"
	wait_for 10 "the peer's message count" peer_answered "$asked"
	grep '^messages ' "$run/peer.out" | sed -n "${asked}p" | cut -d' ' -f2
}
peer_answered() { [ "$(grep -c '^messages ' "$run/peer.out" || true)" -ge "$1" ]; }
sim_port() { port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$run/sim.out" | head -n 1) && [ -n "$port" ]; }
bot_healthy() { curl -sf -H "Authorization: Bearer bench-peer-token" "http://127.0.0.1:$cport/health" >/dev/null 2>&1; }
sells_resting() { [ "$(curl -s "http://127.0.0.1:$port/sim/state" | grep -o '"openOrders":[1-9]' | wc -l)" -ge "$1" ]; }
peer_ready() { grep -q '^ready$' "$run/peer.out"; }

# measure N: one run with N pairs; appends "N bot_msgs bot_ticks bot_rss_kb peer_msgs peer_ticks
# peer_rss_kb" to $dir/results.
measure() {
	n=$1
	run=$dir/n$n
	mkdir -p "$run"
	symbols=$(bench_exchange_info "$n" "$run/info.json")
	"$build/spotsim" --listen 127.0.0.1:0 --exchange-info "$run/info.json" --symbols "$symbols" \
		--speed "$speed" --seed 7 --account spotsim-demo-key:spotsim-demo-secret:USDT=1000000 \
		>"$run/sim.out" 2>"$run/sim.err" &
	sim_pid=$!
	wait_for 10 "spotsim to listen" sim_port
	pairs=$(echo "$symbols" | tr ',' '\n' | sed 's/$/:quote=20,buy_mode=market,profit=20%/' | paste -sd';')
	bench_env "$run" bench-peer-token "$pairs"
	"$build/spotbot" run --config "$run/.env" >"$run/bot.out" 2>"$run/bot.err" &
	bot_pid=$!
	wait_for 30 "spotbot's /health" bot_healthy
	wait_for $((30 + n)) "spotbot's $n sells to rest on spotsim" sells_resting "$n"
	node "$here/peer.js" "$port" "$streams" "$symbols" >"$run/peer.out" 2>"$run/peer.err" &
	peer_pid=$!
	wait_for 60 "the peer to have every stream of every symbol" peer_ready
	sleep "$settle" # both run as they will in the window: JIT warm, caches full

	# The counters are read just outside the CPU samples, so a /metrics render is not in the window.
	bm0=$(bot_messages)
	pm0=$(peer_messages)
	bc0=$(cpu_ticks "$bot_pid")
	pc0=$(cpu_ticks "$peer_pid")
	brss=0 prss=0
	s=0
	while [ "$s" -lt "$window" ]; do
		sleep 1
		r=$(rss_kb "$bot_pid") && [ "$r" -gt "$brss" ] && brss=$r
		r=$(rss_kb "$peer_pid") && [ "$r" -gt "$prss" ] && prss=$r
		s=$((s + 1))
	done
	bc1=$(cpu_ticks "$bot_pid")
	pc1=$(cpu_ticks "$peer_pid")
	bm1=$(bot_messages)
	pm1=$(peer_messages)
	if [ -z "$bm0" ] || [ -z "$bm1" ]; then
		die "spotbot's /metrics has no spotbot_stream_messages_total{stream=\"market\"} (see $run/bot.err)"
	fi
	kill -0 "$bot_pid" 2>/dev/null || die "spotbot ended during the window (see $run/bot.err)"
	echo "$n $((bm1 - bm0)) $((bc1 - bc0)) $brss $((pm1 - pm0)) $((pc1 - pc0)) $prss" >>"$dir/results"
	stop "$peer_pid" "$bot_pid" "$sim_pid"
	peer_pid=''
	bot_pid=''
	sim_pid=''
}

: >"$dir/results"
for n in $counts; do
	echo "bench-peer: $n pairs, market x$speed, streams $streams, ${window} s window"
	measure "$n"
done

echo
echo "spotbot against ccxt pro $ccxt_version (Node $(node --version)), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "market x$speed, streams $streams, ${window} s window; CPU is utime+stime, RSS the largest VmRSS seen"
awk -v tck="$tck" -v window="$window" '
function per_msg(ticks, msgs) { return msgs ? ticks * 1e6 / tck / msgs : 0 }
function ratio(a, b) { return b ? sprintf("%.1fx", a / b) : "-" }
BEGIN {
	printf "%5s | %9s %9s | %9s %9s %6s | %8s %8s %6s\n", "pairs", "msg/s", "", "CPU us/msg", "", "", "RSS MB", "", ""
	printf "%5s | %9s %9s | %9s %9s %6s | %8s %8s %6s\n", "", "spotbot", "peer", "spotbot", "peer", "ratio", "spotbot", "peer", "ratio"
}
{
	bu = per_msg($3, $2); pu = per_msg($6, $5)
	printf "%5d | %9.0f %9.0f | %9.1f %9.1f %6s | %8.1f %8.1f %6s\n", $1, $2 / window, $5 / window, bu, pu,
		ratio(pu, bu), $4 * 1024 / 1e6, $7 * 1024 / 1e6, ratio($7, $4)
	if ($2 && ($5 / $2 > 1.25 || $5 / $2 < 0.8))
		warn = warn sprintf("warning: at %d pairs spotbot received %d messages and the peer %d: PEER_STREAMS does not match what spotbot subscribes\n", $1, $2, $5)
}
END { printf "%s", warn }' "$dir/results"
echo "The peer only receives and parses the messages; spotbot also validates every quote, decides on it"
echo "and persists its orders and fills. Ratios are peer / spotbot: above 1 means spotbot uses less."
