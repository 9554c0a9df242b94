#!/bin/sh
# unit_sandbox.sh - the systemd unit's system call filter and address families allow what the daemon does:
# spotbot runs under strace against spotsim on loopback until the exchange has received a buy and its
# sell (spotsim's /sim/state, orderRequests), then stops on SIGTERM; every system call it made must be in
# the unit's SystemCallFilter= (expanded by systemd-analyze) and every socket it opened of a family in
# RestrictAddressFamilies=. Skipped (exit 77) without strace or systemd-analyze.
set -u
: "${SB_BUILD_DIR:?}" "${SB_SOURCE_DIR:?}"
for tool in strace systemd-analyze curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "unit_sandbox: SKIPPED: $tool is not installed"
		exit 77
	fi
done
tmp=$(mktemp -d /tmp/spotbot-sandbox-XXXXXX)
sim_pid=
trace_pid=
cleanup() {
	[ -n "$trace_pid" ] && kill "$trace_pid" 2>/dev/null
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "unit_sandbox: $*" >&2
	exit 1
}
unit=$SB_SOURCE_DIR/contrib/systemd/spotbot.service

# The system calls a group or name of SystemCallFilter= stands for, one a line.
expand() {
	case $1 in
	@*)
		systemd-analyze syscall-filter "$1" | sed '1d; /^ *#/d' | tr -s ' ' '\n' | grep . |
			while read -r w; do expand "$w"; done
		;;
	*) echo "$1" ;;
	esac
}
: >"$tmp/allow"
: >"$tmp/deny"
# A line's "~" applies to every name of that line.
sed -n 's/^SystemCallFilter=//p' "$unit" | while read -r line; do
	case $line in
	~*) for v in ${line#\~}; do expand "$v" >>"$tmp/deny"; done ;;
	*) for v in $line; do expand "$v" >>"$tmp/allow"; done ;;
	esac
done
sort -u "$tmp/allow" >"$tmp/a"
sort -u "$tmp/deny" >"$tmp/d"
comm -23 "$tmp/a" "$tmp/d" >"$tmp/allowed"
[ "$(wc -l <"$tmp/allowed")" -gt 100 ] || fail "the unit's SystemCallFilter= allows too little to be right"
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
[ -n "$families" ] || fail "the unit has no RestrictAddressFamilies="

# spotsim on a free port; the control API on another.
"$SB_BUILD_DIR/spotsim" --listen 127.0.0.1:0 --speed 30 >"$tmp/sim.out" 2>&1 &
sim_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/sim.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "spotsim did not say where it listens: $(cat "$tmp/sim.out")"
control=
for p in $(seq $((port + 1)) $((port + 50))); do
	[ "$p" -lt 65536 ] || break
	curl -s -o /dev/null "http://127.0.0.1:$p/" 2>/dev/null
	[ $? -eq 7 ] && control=$p && break
done
[ -n "$control" ] || fail "no free port for the control API"
mkdir -m 700 "$tmp/db" "$tmp/cwd"
cat >"$tmp/spotbot.env" <<CONF
BINANCE_REST_URL=http://127.0.0.1:$port
BINANCE_STREAM_URL=ws://127.0.0.1:$port
BINANCE_WSAPI_URL=ws://127.0.0.1:$port/ws-api/v3
CONTROL_LISTEN=127.0.0.1:$control
DATABASE_PATH=$tmp/db/spotbot.db
LOG_DIR=$tmp/logs
LOG_STDERR=false
PAIRS=BTCUSDT:quote=50,profit=0.2%,buy_offset=0.05%,buy_timeout=20s
CONF
chmod 600 "$tmp/spotbot.env"
# LeakSanitizer cannot run under ptrace; the other tests look for leaks.
(cd "$tmp/cwd" && ASAN_OPTIONS=detect_leaks=0 exec strace -f -qq -o "$tmp/trace" "$SB_BUILD_DIR/spotbot" run \
	--config "$tmp/spotbot.env") >"$tmp/run.out" 2>&1 &
trace_pid=$!

# A buy and its sell reached the exchange.
orders=0
for _ in $(seq 600); do
	state=$(curl -s "http://127.0.0.1:$port/sim/state" | grep -o '"orderRequests":{[^}]*}')
	rest=$(echo "$state" | sed -n 's/.*"rest":\([0-9]*\).*/\1/p')
	ws=$(echo "$state" | sed -n 's/.*"ws":\([0-9]*\).*/\1/p')
	orders=$((${rest:-0} + ${ws:-0}))
	[ "$orders" -ge 2 ] && break
	kill -0 "$trace_pid" 2>/dev/null || break
	sleep 0.1
done
[ "$orders" -ge 2 ] || fail "the exchange received $orders orders, not a buy and a sell: $(cat "$tmp/run.out")"

# SIGTERM to the daemon (its pid is in the database's lock file), then its clean exit.
bot_pid=$(cat "$tmp/db/spotbot.db.lock")
kill -TERM "$bot_pid" || fail "cannot signal spotbot ($bot_pid)"
for _ in $(seq 300); do
	kill -0 "$trace_pid" 2>/dev/null || break
	sleep 0.1
done
wait "$trace_pid"
rc=$?
trace_pid=
[ "$rc" -eq 0 ] || fail "spotbot exited $rc after SIGTERM: $(cat "$tmp/run.out")"

# Every system call in the filter. SQLite calls fchown on its journal only when it runs as root, which
# the unit's User= never is.
sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$tmp/trace" | sort -u >"$tmp/calls"
[ "$(wc -l <"$tmp/calls")" -gt 20 ] || fail "strace recorded too few system calls"
[ "$(id -u)" -ne 0 ] || sed -i '/^fchown$/d' "$tmp/calls"
missing=$(comm -23 "$tmp/calls" "$tmp/allowed" | tr '\n' ' ')
[ -z "$missing" ] || fail "system calls the unit's SystemCallFilter= refuses: $missing"
grep -o 'socket(AF_[A-Z0-9]*' "$tmp/trace" | sed 's/socket(//' | sort -u >"$tmp/families"
[ -s "$tmp/families" ] || fail "strace recorded no socket"
while read -r f; do
	echo " $families " | grep -q " $f " || fail "socket family $f is not in RestrictAddressFamilies=$families"
done <"$tmp/families"
echo "unit_sandbox: OK ($(wc -l <"$tmp/calls") system calls, families: $families)"
