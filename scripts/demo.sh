#!/bin/sh
# make demo: starts spotsim with a fast synthetic market and spotbot in paper mode against it, and shows
# cycles and profit as they happen (one line per buy, fill, sell and finished cycle). Ctrl-C stops both.
#
# Environment: DEMO_SPEED (market speed, default 30), DEMO_SECONDS (stop by itself after this many
# seconds; default 0 = run until Ctrl-C), DEMO_PAIRS (PAIRS value), BUILD (default build).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SPEED=${DEMO_SPEED:-30}
SECONDS_MAX=${DEMO_SECONDS:-0}
PAIRS=${DEMO_PAIRS:-"BTCUSDT:quote=50,profit=0.2%,buy_offset=0.05%,buy_timeout=20s;ETHUSDT:quote=50,profit=0.2%,buy_offset=0.05%,buy_timeout=20s"}

for p in spotsim spotbot; do
	[ -x "$BUILD/$p" ] || { echo "demo: $BUILD/$p is missing; run make first" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/spotbot-demo.XXXXXX")
sim_pid=
bot_pid=
cleanup() {
	trap - INT TERM EXIT
	[ -n "$bot_pid" ] && kill -INT "$bot_pid" 2>/dev/null && wait "$bot_pid" 2>/dev/null || true
	[ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
	if [ -f "$dir/spotbot.db" ]; then
		echo
		echo "== realised profit =="
		"$BUILD/spotbot" pnl --config "$dir/.env" || true
	fi
	echo "demo files (database, logs) are in $dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

. scripts/paper-lib.sh
paper_spotsim_start "$BUILD/spotsim" "$dir" --speed "$SPEED" --seed 42 ||
	{ echo "demo: spotsim did not start" >&2; cat "$dir/spotsim.err" >&2; exit 1; }
# Commission in BNB at 25% off, as many Binance accounts pay it: the bought quantity arrives whole.
curl -fsS -X POST "http://127.0.0.1:$port/sim/account?key=spotsim-demo-key&bnbFees=true" >/dev/null 2>&1 || true

umask 077
paper_env "$dir" "$port" "$PAIRS"

echo "spotsim on 127.0.0.1:$port, market x$SPEED; spotbot in paper mode; Ctrl-C stops both"
echo "pairs: $PAIRS"
echo
"$BUILD/spotbot" run --config "$dir/.env" --human 2>"$dir/spotbot.err" &
bot_pid=$!
if [ "$SECONDS_MAX" -gt 0 ]; then
	( sleep "$SECONDS_MAX"; kill -INT "$bot_pid" 2>/dev/null ) &
fi
wait "$bot_pid" || true
bot_pid=
