#!/bin/sh
# man.sh PROGRAM VERSION SUMMARY - writes PROGRAM's man page (roff, section 1) on standard output, made
# from the program's own `--help` text so that the two cannot disagree. The build runs it for spotbot and
# spotsim (CMakeLists.txt, target man); `make install` installs the pages.
#
# The page: NAME (the program's name and SUMMARY), SYNOPSIS (the usage lines of `PROGRAM --help`),
# DESCRIPTION (the rest of that text) and, for a program whose help lists "commands:", COMMANDS with the
# `PROGRAM COMMAND --help` text of each command but help and version. The help texts are kept as they
# are printed (no fill, no hyphenation), with roff's special characters escaped.
set -eu
prog=$1
version=$2
summary=$3
name=$(basename "$prog")
upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')

# Help text on stdin as roff lines: backslashes escaped, '-' as \- (a minus, which copies as '-'), a line
# starting with '.' or '\'' kept literal, an empty line kept as one.
roff() {
	sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/^$/\\\&/'
}

help=$("$prog" --help)
[ -n "$help" ] || { echo "man.sh: $prog --help printed nothing" >&2; exit 1; }

printf '.TH %s 1 "" "%s %s" "User Commands"\n' "$upper" "$name" "$version"
printf '.nh\n.ad l\n.SH NAME\n%s \\- %s\n' "$name" "$(echo "$summary" | roff)"
echo ".SH SYNOPSIS"
echo ".nf"
# The usage: the first paragraph, without its "usage: " and the indentation that aligned it.
echo "$help" | sed -n '1,/^$/p' | sed -e '/^$/d' -e 's/^usage: //' -e 's/^       //' | roff
echo ".fi"
echo ".SH DESCRIPTION"
echo ".nf"
echo "$help" | sed '1,/^$/d' | roff
echo ".fi"
commands=$(echo "$help" | sed -n '/^commands:$/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
if [ -n "$commands" ]; then
	echo ".SH COMMANDS"
	for c in $commands; do
		case $c in help | version) continue ;; esac
		text=$("$prog" "$c" --help)
		[ -n "$text" ] || { echo "man.sh: $prog $c --help printed nothing" >&2; exit 1; }
		printf '.SS %s\n.nf\n' "$c"
		echo "$text" | roff
		echo ".fi"
	done
fi
cat <<EOF
.SH SEE ALSO
.BR spotbot (1),
.BR spotsim (1);
docs/install.md and the other pages of the source tree's docs/ directory; the files of contrib/ installed
in share/doc/spotbot.
EOF
