#!/bin/sh
# make fuzz: runs every libFuzzer target for FUZZ_SECONDS (default 30) each, starting from its corpus.
# New crashers are written to tests/fuzz/ as crash-*; copy one into the corpus once fixed.
set -eu
build=${1:-build/fuzz}
secs=${FUZZ_SECONDS:-30}
cd "$(dirname "$0")/.."
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	work=$(mktemp -d)
	echo "fuzz: $name for ${secs}s"
	"$bin" -max_total_time="$secs" -artifact_prefix=tests/fuzz/ "$work" "tests/fuzz/corpus/$name"
	rm -rf "$work"
done
