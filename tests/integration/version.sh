#!/bin/sh
# version.sh - one version everywhere: `spotbot --version` and `spotsim --version` print the version of
# project(spotbot VERSION ...) in CMakeLists.txt, spotsim's --help lists --version, and CHANGELOG.md has an
# entry for it.
set -eu
src=${SB_SOURCE_DIR:?} build=${SB_BUILD_DIR:?}
want=$(sed -n 's/^project(spotbot VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$want" ] || { echo "no project(spotbot VERSION ...) in CMakeLists.txt" >&2; exit 1; }
fail=0
check() { # what got wanted
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: got '$2', want '$3'" >&2
		fail=1
	fi
}
check "spotbot --version" "$("$build/spotbot" --version)" "spotbot $want"
check "spotbot version" "$("$build/spotbot" version)" "spotbot $want"
check "spotsim --version" "$("$build/spotsim" --version)" "spotsim $want"
"$build/spotsim" --help | grep -q -- '--version' || { echo "FAIL spotsim --help does not list --version" >&2; fail=1; }
grep -q "^## $want - [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\$" "$src/CHANGELOG.md" ||
	{ echo "FAIL CHANGELOG.md has no entry '## $want - YYYY-MM-DD'" >&2; fail=1; }
grep -q '^## Unreleased$' "$src/CHANGELOG.md" || { echo "FAIL CHANGELOG.md has no Unreleased section" >&2; fail=1; }
[ "$fail" = 0 ] && echo "version $want everywhere"
exit "$fail"
