#!/bin/sh
# make demo: starts spotsim with a fast synthetic market and spotbot in paper mode against it, and shows
# cycles and profit as they happen. Ctrl-C stops both.
set -eu
cd "$(dirname "$0")/.."
if build/spotbot run --help 2>&1 | grep -q 'not available in this build'; then
	cat <<'TXT'
spotbot demo
============
Built: build/spotbot and build/spotsim.

The demo will:
  1. start build/spotsim on 127.0.0.1:9090 with a fast synthetic market for BTCUSDT and ETHUSDT
     and a demo account funded with USDT;
  2. start build/spotbot run in paper mode against it with two trade pairs;
  3. print each buy, fill, sell and the profit of every finished cycle until you press Ctrl-C,
     which stops both programs cleanly.

The trading daemon is not in this build yet, so nothing is started. The simulator is:
  build/spotsim --speed 20        # a fast synthetic market on 127.0.0.1:9090 (docs/spotsim.md)
  build/spotbot config --example  # a sample .env
  make test                       # the test suite
TXT
	exit 0
fi
echo "demo: the daemon exists but the demo wiring is not in this build yet" >&2
exit 1
