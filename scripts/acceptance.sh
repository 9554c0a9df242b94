#!/bin/sh
# Acceptance with real third-party Binance clients (ccxt, @binance/connector) from npm: builds spotsim
# if needed, installs the pinned clients with `npm ci`, starts spotsim on a free loopback port, runs
# tests/acceptance/acceptance.js against it and stops spotsim. Without Node and npm it says so and exits
# 0, so CI can call it everywhere; `make test` does not depend on it.
# Usage: scripts/acceptance.sh [BUILD_DIR]    (default build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
dir=$root/tests/acceptance

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "acceptance: SKIPPED - node and npm are not installed (the third-party clients need Node 18+)"
	exit 0
fi

if [ ! -x "$build/spotsim" ]; then
	echo "acceptance: building spotsim"
	make -C "$root" build BUILD="$build" >/dev/null
fi

echo "acceptance: npm ci in tests/acceptance"
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
	echo "acceptance: SKIPPED - npm ci failed (is the npm registry reachable?)"
	exit 0
fi

log=$(mktemp)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$log"
}
trap cleanup EXIT INT TERM

# Port 0: spotsim picks a free port and prints "listening on HOST:PORT".
"$build/spotsim" --listen 127.0.0.1:0 >"$log" 2>"$log.err" &
pid=$!
port=
i=0
while [ $i -lt 100 ]; do
	port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	i=$((i + 1))
	sleep 0.1 # polling a child's output: there is no event to wait on from sh
done
if [ -z "$port" ]; then
	echo "acceptance: spotsim did not start:" >&2
	cat "$log.err" >&2
	rm -f "$log.err"
	exit 1
fi
rm -f "$log.err"
echo "acceptance: spotsim listening on 127.0.0.1:$port"

status=0
node "$dir/acceptance.js" "$port" || status=$?
exit $status
