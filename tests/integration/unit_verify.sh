#!/bin/sh
# unit_verify.sh - `systemd-analyze verify` accepts the systemd unit as `make install` installs it (its
# ExecStart at an installed spotbot), without a single warning; and it does warn about a copy with a
# misspelt setting, so that a silent pass means something. Skipped (exit 77) without systemd-analyze.
set -u
: "${SB_BUILD_DIR:?}" "${SB_SOURCE_DIR:?}"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "unit_verify: SKIPPED: systemd-analyze is not installed (Debian package systemd)"
	exit 77
fi
tmp=$(mktemp -d /tmp/spotbot-unit-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "unit_verify: $*" >&2
	exit 1
}
cmake --install "$SB_BUILD_DIR" --prefix "$tmp/prefix" >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log" >&2; fail "cmake --install failed"; }
mkdir "$tmp/units"
cp "$tmp/prefix/lib/systemd/system/spotbot.service" "$tmp/units/spotbot.service"
systemd-analyze verify --man=no "$tmp/units/spotbot.service" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$tmp/out" ]; then
	cat "$tmp/out" >&2
	fail "systemd-analyze verify: exit $rc, or warnings"
fi
sed 's/^RestartPreventExitStatus=/RestartPreventExitStatu=/' "$tmp/units/spotbot.service" >"$tmp/units/bad.service"
systemd-analyze verify --man=no "$tmp/units/bad.service" >"$tmp/out" 2>&1
grep -q RestartPreventExitStatu "$tmp/out" || fail "systemd-analyze verify did not notice a misspelt setting"
echo "unit_verify: OK"
