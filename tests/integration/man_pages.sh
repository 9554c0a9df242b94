#!/bin/sh
# man_pages.sh - the man pages the build makes (scripts/man.sh) say what --help says: spotbot.1 has a
# section for every command of `spotbot --help` but help and version, holding every option of that
# command's --help; spotsim.1 holds every option of `spotsim --help`. Read as rendered by groff.
set -u
: "${SB_BUILD_DIR:?}" "${SB_SOURCE_DIR:?}"
if ! command -v groff >/dev/null 2>&1; then
	echo "man_pages: SKIPPED: groff is not installed (Debian package groff-base)"
	exit 77
fi
tmp=$(mktemp -d /tmp/spotbot-man-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "man_pages: $*" >&2
	exit 1
}
bin=$SB_BUILD_DIR
render() {
	groff -man -Tascii -P-cbu "$SB_BUILD_DIR/install/$1.1" >"$tmp/$1.txt" 2>"$tmp/warn" || fail "groff failed on $1.1"
	[ -s "$tmp/$1.txt" ] || fail "$1.1 renders empty"
}
# The options named in help text on stdin, one a line.
options() {
	grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}
# The rendered lines of spotbot.1's section on command $1: from its heading to the next one.
section() {
	awk -v c="$1" '$0 == "   " c { on = 1; next } on && /^   [a-z]/ { exit } on && /^[A-Z]/ { exit } on' \
		"$tmp/spotbot.txt"
}

render spotbot
render spotsim
commands=$("$bin/spotbot" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "spotbot --help lists too few commands: $commands"
for c in $commands; do
	case $c in help | version) continue ;; esac
	section "$c" >"$tmp/section"
	[ -s "$tmp/section" ] || fail "spotbot.1 has no section for the command $c"
	grep -q "usage: spotbot $c" "$tmp/section" || fail "spotbot.1's section $c lacks its usage line"
	for o in $("$bin/spotbot" "$c" --help | options); do
		grep -q -e "$o\\([^a-z0-9-]\\|$\\)" "$tmp/section" || fail "spotbot.1's section $c lacks the option $o"
	done
done
sim_options=$("$bin/spotsim" --help | options)
[ "$(echo "$sim_options" | wc -l)" -ge 10 ] || fail "spotsim --help lists too few options"
for o in $sim_options; do
	grep -q -e "$o\\([^a-z0-9-]\\|$\\)" "$tmp/spotsim.txt" || fail "spotsim.1 lacks the option $o"
done
echo "man_pages: OK"
