#!/bin/sh
# make bench: runs every benchmark program under bench/ once and prints its figures.
set -eu
build=${1:-build}
for bin in "$build"/bench_*; do
	[ -x "$bin" ] || continue
	echo "== $(basename "$bin")"
	"$bin"
done
