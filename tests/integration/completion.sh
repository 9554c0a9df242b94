#!/bin/sh
# completion.sh - contrib/bash-completion/spotbot, sourced in bash, completes spotbot's commands (every one
# of `spotbot --help`), each command's options (every one of its --help), a file name after --config, a
# subcommand (data download), and spotsim's options (every one of `spotsim --help`).
set -u
: "${SB_BUILD_DIR:?}" "${SB_SOURCE_DIR:?}"
if ! command -v bash >/dev/null 2>&1; then
	echo "completion: SKIPPED: bash is not installed"
	exit 77
fi
exec bash -c '
set -u
fail() { echo "completion: $*" >&2; exit 1; }
. "$SB_SOURCE_DIR/contrib/bash-completion/spotbot" || fail "the completion does not load in bash"
PATH=$SB_BUILD_DIR:$PATH
cd "$SB_SOURCE_DIR" || exit 1
# complete WORD...: COMPREPLY for the command line WORD... with the cursor at the end of its last word.
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	local fn
	fn=$(complete -p "$1" | sed -n "s/.*-F \\([^ ]*\\).*/\\1/p")
	[ -n "$fn" ] || fail "no completion for $1"
	"$fn"
	printf "%s\n" "${COMPREPLY[@]}" | sort
}
has() { grep -qx -e "$2" <<<"$1" || fail "completing [$3] does not offer $2 (got: $(echo $1))"; }

got=$(complete_line spotbot ba)
[ "$(echo $got)" = "backtest backup" ] || fail "spotbot ba completes to [$(echo $got)], not [backtest backup]"
all=$(complete_line spotbot "")
commands=$(spotbot --help | sed -n "/^commands:\$/,/^\$/s/^  \\([a-z][a-z-]*\\) .*/\\1/p")
for c in $commands; do
	has "$all" "$c" "spotbot "
	[ "$c" = help ] || [ "$c" = version ] || {
		opts=$(complete_line spotbot "$c" --)
		for o in $(spotbot "$c" --help | grep -o -- "--[a-z][a-z0-9-]*" | sort -u); do
			has "$opts" "$o" "spotbot $c --"
		done
	}
done
got=$(complete_line spotbot status --j)
[ "$(echo $got)" = "--json" ] || fail "spotbot status --j completes to [$(echo $got)], not [--json]"
has "$(complete_line spotbot run --config CMakeL)" CMakeLists.txt "spotbot run --config CMakeL"
has "$(complete_line spotbot data d)" download "spotbot data d"
sim=$(complete_line spotsim --)
for o in $(spotsim --help | grep -o -- "--[a-z][a-z0-9-]*" | sort -u); do
	has "$sim" "$o" "spotsim --"
done
got=$(complete_line spotsim --rep)
[ "$(echo $got)" = "--replay --replay-end" ] || fail "spotsim --rep completes to [$(echo $got)]"
echo "completion: OK"
'
