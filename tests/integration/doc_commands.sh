#!/bin/sh
# doc_commands.sh - runs every ```sh block of README.md and docs/*.md against spotsim (scripts/doc-commands.sh),
# after checking on a fixture page that the runner fails where it should: a failing command is named by
# its page and line (the first line of a command continued with \), a status other than the "# exit N"
# the page gives fails, ```console blocks are not run, and a block's background job does not outlive it.
set -u
src=$(cd "${SB_SOURCE_DIR:-.}" && pwd)
build=$(cd "${SB_BUILD_DIR:-build}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/doc_commands.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "doc_commands: $*" >&2
	exit 1
}
run() {
	SB_SOURCE_DIR=$src SB_BUILD_DIR=$build sh "$src/scripts/doc-commands.sh" "$@"
}

cat >"$tmp/fixture.md" <<'DOC'
# fixture

```sh
spotbot config --check
echo one \
  two
```

```console
false
```

```sh
sleep 300 &
spotbot config --check --no-such-option   # exit 2
sh -c 'exit 3'   # exit 4: the page is wrong here
```

```sh
true
ls /nonexistent-dir \
  -l
```
DOC
start=$(date +%s)
run "$tmp/fixture.md" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ "$rc" -eq 1 ] || fail "the fixture run exited $rc, not 1"
grep -q "fixture.md:16: exited 3, the doc says 4$" "$tmp/out" || fail "the wrong status is not named by page and line"
grep -q "fixture.md:21: exited 2$" "$tmp/out" || fail "the failing continued command is not named by its first line"
grep -q "3 blocks run, 2 failed$" "$tmp/out" || fail "the count of blocks is wrong (a console block was run?)"
[ $(($(date +%s) - start)) -lt 60 ] || fail "a block's background job kept the run waiting"

run || fail "a command in the docs failed (above: page, line, status and its output)"
