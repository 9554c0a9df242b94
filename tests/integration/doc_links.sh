#!/bin/sh
# doc_links.sh - every relative link of README.md, CONTRIBUTING.md, SECURITY.md and docs/*.md names a file
# that exists and, with a #fragment, a heading of that page (scripts/doc-links.sh); first, on a fixture
# page, that a missing file and a missing anchor are both reported with their page and line while a good
# link, a repeated heading's numbered anchor, an <a id> anchor, a link inside code and an external link pass.
set -u
src=$(cd "${SB_SOURCE_DIR:-.}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/doc_links.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "doc_links: $*" >&2
	exit 1
}
cat >"$tmp/fixture.md" <<'DOC'
# Fixture page

## Run states: `paused` and more

## Again

<a id="alias"></a>

## Again

See [states](#run-states-paused-and-more), [the second](#again-1), [alias](#alias), [out](https://example.com/#x),
`[not a link](#nowhere)` and [self](fixture.md#again).

Broken: [missing file](no-such-page.md) and [missing anchor](#no-such-heading).
DOC
SB_SOURCE_DIR=$src sh "$src/scripts/doc-links.sh" "$tmp/fixture.md" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ "$rc" -eq 1 ] || fail "the fixture's check exited $rc, not 1"
grep -q "fixture.md:14: (no-such-page.md): no file" "$tmp/out" || fail "the missing file is not reported"
grep -q "fixture.md:14: (#no-such-heading): .* has no heading with the anchor #no-such-heading" "$tmp/out" ||
	fail "the missing anchor is not reported"
grep -q "6 links checked, 2 broken" "$tmp/out" || fail "good links were reported broken, or links were missed"

SB_SOURCE_DIR=$src sh "$src/scripts/doc-links.sh" || fail "a link in the docs is broken (above: page, line, link)"
