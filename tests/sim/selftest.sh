#!/bin/sh
# selftest.sh SIMULATE MODE [WHAT] - the simulation's own tests.
#   catches fill|order: a run sabotaged before its last check (a fill deleted from the database, an order
#     placed behind the daemon's back) must fail: exit 1, the violation named, the reproducing command given.
#   reproduces: the same seed twice prints the same lines, event log included (crashes at the daemon's
#     crash points among its events).
set -u
sim=$1
mode=$2
tmp=$(mktemp -d /tmp/simulate-selftest-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "selftest: $*" >&2
	exit 1
}
case $mode in
catches)
	what=$3
	"$sim" --seed 7 --days 1 --sabotage "$what" >"$tmp/out" 2>&1
	rc=$?
	cat "$tmp/out"
	[ "$rc" -eq 1 ] || fail "the sabotaged run exited $rc, not 1"
	case $what in
	fill) want='its fills add up to' ;;
	order) want='behind-the-back-1 of BTCUSDT is on the exchange but not in the database' ;;
	esac
	grep -q "violation: .*$want" "$tmp/out" || fail "no violation says '$want'"
	grep -q "reproduce it with: simulate --seed 7 --days 1 --check-every 10 --fault-rate 60 --sabotage $what" "$tmp/out" ||
		fail "the reproducing command is missing"
	tail -n 1 "$tmp/out" | grep -Eq '^simulate: 1 seeds, [0-9.]+ simulated days, [0-9]+ faults, [0-9]+ crashes, [0-9]+ invariant checks, [1-9][0-9]* violations$' ||
		fail "the last line does not count the violations"
	;;
reproduces)
	# Seed 4 of two days crashes at crash points and between steps, loses orders, restarts, acts by hand
	# and restarts on its database once a lock that failed a write is gone.
	"$sim" --seed 4 --days 2 --log >"$tmp/a" 2>&1 || fail "seed 4 failed: $(cat "$tmp/a")"
	"$sim" --seed 4 --days 2 --log >"$tmp/b" 2>&1 || fail "seed 4 failed the second time"
	cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" | head -20; fail "two runs of seed 4 differ"; }
	for event in 'crash at ' 'crash between two steps' 'the exchange loses order' 'manual ' 'restart' \
		'restarts on its database'; do
		grep -q "^seed 4 +.*$event" "$tmp/a" || fail "the event log of seed 4 has no '$event'"
	done
	tail -n 1 "$tmp/a"
	;;
*)
	fail "unknown mode $mode"
	;;
esac
