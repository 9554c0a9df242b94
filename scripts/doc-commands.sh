#!/bin/sh
# doc-commands.sh [FILE.md...] - runs every ```sh block of the documentation, so a command the docs show
# cannot silently stop working. Without arguments it reads README.md and every docs/*.md (a new page is
# picked up by itself).
#
# The convention (CONTRIBUTING.md, "Commands in the docs"):
#   ```sh       commands a user runs that work offline from a build tree against spotsim: run here
#   ```console  commands shown only (they need root, systemd, the internet, real keys or a long build)
#   a command whose doc line ends in a comment "# exit N" (N a number, the comment's first word "exit")
#   must exit with status N; every other command must exit 0.
#
# Each block runs as one bash script (set -e, pipefail, stdin from /dev/null), in the order of the files,
# with a 60 s limit, in a scratch directory that holds:
#   build/    the build tree (SB_BUILD_DIR, default build), also first on PATH, so `build/spotbot` and
#             `spotbot` both work
#   tests/, scripts/, contrib/   the source tree's (read-only use)
#   .env      private, paper mode, pointing at one spotsim this script starts on a free port, with a
#             database, logs and the control socket in the scratch directory; the database is made by
#             a 2 s run of the daemon before the first block, so any page can be run alone
# Background jobs a block starts are killed when the block ends. The first failure of a block is
# reported as FILE:LINE, the command's exit status and the block's last output lines; the script goes on
# with the next block and exits 1 if any failed.
#
# Environment: SB_SOURCE_DIR (default: the tree this script is in), SB_BUILD_DIR (default build),
# DOC_COMMANDS_TIMEOUT (seconds per block, default 60).
set -u
src=$(cd "${SB_SOURCE_DIR:-$(dirname "$0")/..}" && pwd)
build=$(cd "${SB_BUILD_DIR:-$src/build}" 2>/dev/null && pwd) ||
	{ echo "doc-commands: no build directory ${SB_BUILD_DIR:-$src/build}" >&2; exit 1; }
limit=${DOC_COMMANDS_TIMEOUT:-60}
for p in spotbot spotsim; do
	[ -x "$build/$p" ] || { echo "doc-commands: $build/$p is missing; build it first" >&2; exit 1; }
done
if [ $# -eq 0 ]; then
	set -- "$src/README.md" "$src"/docs/*.md
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/doc-commands.XXXXXX")
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	[ "${SB_KEEP_TEST_DIR:-0}" = 1 ] && echo "doc-commands: files are in $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

work=$tmp/work
mkdir -p "$work" "$tmp/blocks"
ln -s "$build" "$work/build"
for d in tests scripts contrib; do
	[ -e "$src/$d" ] && ln -s "$src/$d" "$work/$d"
done

. "$src/scripts/paper-lib.sh"
paper_spotsim_start "$build/spotsim" "$tmp" --seed 42 --speed 10 ||
	{ echo "doc-commands: spotsim did not start" >&2; cat "$tmp/spotsim.err" >&2; exit 1; }
paper_env "$work" "$port" "BTCUSDT:quote=50,profit=0.2%,buy_offset=0.05%,buy_timeout=20s"
# A page may be run alone: the database a user of the read commands has, made by a short run.
(cd "$work" && timeout -s INT --preserve-status 2 "$build/spotbot" run >"$tmp/run.out" 2>&1) ||
	{ echo "doc-commands: the paper run that makes the database failed" >&2; cat "$tmp/run.out" >&2; exit 1; }

# Splits the files into one script per ```sh block: blocks/N.sh (the block, after a fixed preamble),
# blocks/N.where ("FILE LINE": the doc line of the block's first line) and blocks/N.map (for each line of
# the block, the doc line where its command starts, so a command continued with \ is named by its first
# line). A line ending in "# exit N" becomes a check of that status on the same line.
awk -v out="$tmp/blocks" -v src="$src/" '
FNR == 1 { inb = 0 }
/^```/ {
	if (!inb) {
		inb = 1
		run = ($0 == "```sh")
		if (run) {
			n++
			f = out "/" n
			name = FILENAME
			if (index(name, src) == 1) name = substr(name, length(src) + 1)
			print name " " (FNR + 1) > (f ".where"); close(f ".where")
			start = 0
			cont = 0
		}
		next
	}
	inb = 0
	if (run) { close(f ".sh"); close(f ".map") }
	next
}
inb && run {
	line = $0
	if (!cont) start = FNR
	print start > (f ".map")
	if (!cont && match(line, /[ \t]#[ \t]*exit[ \t]+[0-9]+([^0-9].*)?$/)) {
		cmd = substr(line, 1, RSTART - 1)
		want = substr(line, RSTART)
		sub(/^[ \t]#[ \t]*exit[ \t]+/, "", want)
		sub(/[^0-9].*$/, "", want)
		line = "__st=0; { " cmd " ; } || __st=$?; [ \"$__st\" = " want " ] || __sb_status " want " \"$__st\""
	}
	cont = (line ~ /\\$/)
	print line > (f ".sh")
}
' "$@" || exit 1

# The preamble: its line count is subtracted from LINENO to find the block's line.
cat >"$tmp/preamble" <<'EOF'
set -eE -o pipefail
__sb_where() { sed -n "$(($1 - __sb_pre))p" "$__sb_map"; }
__sb_status() { __sb_line=${BASH_LINENO[0]}; echo "doc-commands: $__sb_file:$(__sb_where "$__sb_line"): exited $2, the doc says $1" >&3; exit 1; }
trap '__st=$?; __sb_line=$LINENO; echo "doc-commands: $__sb_file:$(__sb_where $__sb_line): exited $__st" >&3' ERR
trap '__st=$?; trap - ERR; __j=$(jobs -p); [ -z "$__j" ] || { kill $__j; wait; } 2>/dev/null; exit $__st' EXIT
__sb_line=0
EOF
pre=$(wc -l <"$tmp/preamble")

failed=0
ran=0
n=1
while [ -f "$tmp/blocks/$n.where" ]; do
	read -r file line <"$tmp/blocks/$n.where"
	if [ ! -s "$tmp/blocks/$n.sh" ]; then
		n=$((n + 1))
		continue
	fi
	cat "$tmp/preamble" "$tmp/blocks/$n.sh" >"$tmp/blocks/$n.run"
	ran=$((ran + 1))
	(
		cd "$work" &&
			PATH="$build:$src/build/tools/usr/bin:$PATH" __sb_file=$file __sb_map="$tmp/blocks/$n.map" __sb_pre=$pre \
				timeout -k 5 "$limit" bash "$tmp/blocks/$n.run" </dev/null >"$tmp/blocks/$n.out" 2>&1 3>"$tmp/blocks/$n.err"
	)
	rc=$?
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		if [ -s "$tmp/blocks/$n.err" ]; then
			cat "$tmp/blocks/$n.err" >&2
		elif [ $rc -eq 124 ]; then
			echo "doc-commands: $file:$line: the block did not finish within ${limit}s" >&2
		else
			echo "doc-commands: $file:$line: the block failed with status $rc" >&2
		fi
		tail -n 15 "$tmp/blocks/$n.out" | sed 's/^/    /' >&2
	fi
	n=$((n + 1))
done
echo "doc-commands: $ran blocks run, $failed failed"
[ $failed -eq 0 ]
