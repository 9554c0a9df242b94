#!/bin/sh
# install.sh - `make install DESTDIR=... PREFIX=...` of the build tree (its build step skipped: the tree is
# built) gives a working tree under DESTDIR/PREFIX: the programs run from it, the man pages render, the
# completion is the one of contrib/, the systemd unit starts the installed spotbot and keeps its files where
# the example configuration puts them, that configuration is one spotbot accepts, every other contrib/ file
# is there, and a configuration spotbot refuses ends `spotbot run` with the exit code the unit does not
# restart on.
set -u
: "${SB_BUILD_DIR:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/spotbot-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "install: $*" >&2
	exit 1
}
prefix=/opt/spotbot-test
root=$tmp/root
# Not the jobserver of a `make test` that runs this test.
env -u MAKEFLAGS -u MAKELEVEL make -C "$SB_SOURCE_DIR" -o build install BUILD="$SB_BUILD_DIR" \
	DESTDIR="$root" PREFIX="$prefix" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "make install failed"; }
p=$root$prefix
[ ! -e "$prefix" ] || fail "$prefix exists outside DESTDIR"

# The programs.
version=$(sed -n 's/^project(spotbot VERSION \([0-9.]*\).*/\1/p' "$SB_SOURCE_DIR/CMakeLists.txt")
out=$("$p/bin/spotbot" --version) || fail "installed spotbot --version failed"
[ "$out" = "spotbot $version" ] || fail "installed spotbot --version printed '$out', not 'spotbot $version'"
"$p/bin/spotsim" --help >/dev/null || fail "installed spotsim --help failed"

# The man pages render without a warning and name the program and its version.
for prog in spotbot spotsim; do
	page=$p/share/man/man1/$prog.1
	[ -f "$page" ] || fail "$page is missing"
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tascii -ww -z "$page" 2>"$tmp/warn" || fail "groff failed on $page"
		[ ! -s "$tmp/warn" ] || { cat "$tmp/warn" >&2; fail "groff warns about $page"; }
		groff -man -Tascii -P-cbu "$page" >"$tmp/page" 2>/dev/null
		grep -q "^ *$prog - " "$tmp/page" || fail "$page has no NAME line for $prog"
		grep -q "$prog $version" "$tmp/page" || fail "$page does not carry version $version"
	fi
	cmp -s "$p/share/bash-completion/completions/$prog" "$SB_SOURCE_DIR/contrib/bash-completion/spotbot" ||
		fail "share/bash-completion/completions/$prog is not contrib/bash-completion/spotbot"
done

# The unit runs the installed spotbot; its state and logs directories hold the example's paths.
unit=$p/lib/systemd/system/spotbot.service
[ -f "$unit" ] || fail "$unit is missing"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
envfile=/etc/spotbot/spotbot.env
[ "$exec_start" = "$prefix/bin/spotbot run --config $envfile" ] ||
	fail "ExecStart is '$exec_start', not '$prefix/bin/spotbot run --config $envfile'"
state=$(sed -n 's/^StateDirectory=//p' "$unit")
logs=$(sed -n 's/^LogsDirectory=//p' "$unit")
example=$p/share/doc/spotbot/spotbot.env.example
[ -f "$example" ] || fail "$example is missing"
grep -qx "DATABASE_PATH=/var/lib/$state/spotbot.db" "$example" ||
	fail "the example's DATABASE_PATH is not in the unit's StateDirectory /var/lib/$state"
grep -qx "LOG_DIR=/var/log/$logs" "$example" || fail "the example's LOG_DIR is not the unit's LogsDirectory"
grep -q "^#.*$envfile" "$example" || fail "the example does not say to copy it to $envfile"
install -m 600 "$example" "$tmp/spotbot.env"
"$p/bin/spotbot" config --check --config "$tmp/spotbot.env" >"$tmp/check" 2>&1 ||
	{ cat "$tmp/check" >&2; fail "spotbot refuses the example configuration"; }

# Every other contrib/ file is installed under share/doc/spotbot.
(cd "$SB_SOURCE_DIR/contrib" && find . -type f) | grep -v -e '^\./systemd/' -e '^\./bash-completion/' |
	while read -r f; do
		cmp -s "$SB_SOURCE_DIR/contrib/$f" "$p/share/doc/spotbot/$f" || fail "contrib/$f is not installed"
	done || exit 1

# A configuration the daemon refuses ends it with exit code 2, which the unit does not restart on.
grep -qx "RestartPreventExitStatus=2" "$unit" || fail "the unit restarts on exit code 2"
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && MODE=sideways "$p/bin/spotbot" run) >"$tmp/run" 2>&1
rc=$?
[ "$rc" -eq 2 ] || { cat "$tmp/run" >&2; fail "spotbot run with a refused configuration exited $rc, not 2"; }
grep -q MODE "$tmp/run" || fail "spotbot run did not name MODE as what it refused"
echo "install: OK ($p)"
