#!/bin/sh
# help.sh - the help texts the man page and the bash completion are made of: every command of
# `spotbot --help` but help and version answers `spotbot COMMAND --help` with its usage on standard output
# and exit 0, `spotbot help COMMAND` prints the same, and `spotbot help` of an unknown command is a usage
# error (exit 2) that names it.
set -u
: "${SB_BUILD_DIR:?}"
tmp=$(mktemp -d /tmp/spotbot-help-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "help: $*" >&2
	exit 1
}
bot=$SB_BUILD_DIR/spotbot
commands=$("$bot" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "spotbot --help lists too few commands: $commands"
for c in $commands; do
	case $c in help | version) continue ;; esac
	"$bot" "$c" --help >"$tmp/option" 2>"$tmp/err" || fail "spotbot $c --help exited $?"
	[ ! -s "$tmp/err" ] || fail "spotbot $c --help wrote on standard error: $(cat "$tmp/err")"
	head -n 1 "$tmp/option" | grep -q "^usage: spotbot $c\\b" || fail "spotbot $c --help does not start with its usage"
	"$bot" help "$c" >"$tmp/help" || fail "spotbot help $c exited $?"
	cmp -s "$tmp/option" "$tmp/help" || fail "spotbot help $c differs from spotbot $c --help"
done
"$bot" --help >"$tmp/top"
"$bot" help | cmp -s - "$tmp/top" || fail "spotbot help differs from spotbot --help"
"$bot" help no-such-command >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "spotbot help no-such-command exited $rc, not 2"
grep -q "no-such-command" "$tmp/err" || fail "spotbot help no-such-command does not name it"
echo "help: OK"
