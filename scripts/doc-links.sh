#!/bin/sh
# doc-links.sh [FILE.md...] - checks every relative link of the documentation: the file it names exists,
# and a #fragment names a heading of that page (its anchor as a code host makes it: lower case, spaces to
# hyphens, punctuation dropped, a repeated heading numbered -1, -2, ...) or an <a id="..."></a> there.
# Without arguments it reads README.md, CONTRIBUTING.md, SECURITY.md and every docs/*.md. Links with a
# scheme (https:, mailto:) are not followed. Prints FILE:LINE: the link and what is wrong, and exits 1 if any link is broken.
set -u
src=$(cd "${SB_SOURCE_DIR:-$(dirname "$0")/..}" && pwd)
cd "$src" || exit 1
if [ $# -eq 0 ]; then
	set -- README.md CONTRIBUTING.md SECURITY.md docs/*.md
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/doc-links.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The anchors of a page, one a line, from its headings and <a id> or <a name> tags outside fenced blocks.
anchors() {
	awk '
	/^```/ { fence = !fence; next }
	fence { next }
	/<a (id|name)="[^"]+">/ {
		a = $0
		sub(/.*<a (id|name)="/, "", a)
		sub(/".*/, "", a)
		print a
	}
	/^#+ / {
		h = $0
		sub(/^#+ +/, "", h)
		sub(/ +#+ *$/, "", h)
		h = tolower(h)
		gsub(/[^a-z0-9 _-]/, "", h)
		gsub(/ /, "-", h)
		n = seen[h]++
		print (n ? h "-" n : h)
	}' "$1"
}

# Every relative link: FILE LINE TARGET, outside fenced blocks and inline code.
awk '
FNR == 1 { fence = 0 }
/^```/ { fence = !fence; next }
fence { next }
{
	line = $0
	gsub(/`[^`]*`/, "", line)
	while (match(line, /\]\([^) ]+\)/)) {
		t = substr(line, RSTART + 2, RLENGTH - 3)
		line = substr(line, RSTART + RLENGTH)
		if (t !~ /^[a-z]+:/)
			print FILENAME, FNR, t
	}
}' "$@" >"$tmp/links"

bad=0
while read -r file line target; do
	path=${target%%#*}
	frag=
	case $target in *'#'*) frag=${target#*#} ;; esac
	if [ -n "$path" ]; then
		dest=$(dirname "$file")/$path
	else
		dest=$file
	fi
	if [ ! -e "$dest" ]; then
		echo "doc-links: $file:$line: ($target): no file $dest" >&2
		bad=$((bad + 1))
		continue
	fi
	[ -n "$frag" ] || continue
	case $dest in *.md) ;; *) continue ;; esac
	key=$(echo "$dest" | tr '/.' '__')
	[ -f "$tmp/$key" ] || anchors "$dest" >"$tmp/$key"
	if ! grep -qxF -- "$frag" "$tmp/$key"; then
		echo "doc-links: $file:$line: ($target): $dest has no heading with the anchor #$frag" >&2
		bad=$((bad + 1))
	fi
done <"$tmp/links"
echo "doc-links: $(wc -l <"$tmp/links") links checked, $bad broken"
[ $bad -eq 0 ]
