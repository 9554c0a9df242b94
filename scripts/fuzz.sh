#!/bin/sh
# make fuzz: runs every libFuzzer target (or those named in FUZZ_TARGETS, space-separated, without the
# fuzz_ prefix) one after the other, each from its corpus for FUZZ_SECONDS (default 30) or FUZZ_RUNS
# executions (default: no limit), whichever comes first. With FUZZ_MERGE=1 the inputs a run grew are
# minimised (-merge=1 into a fresh directory) and the new ones added to tests/fuzz/corpus/<name>/, the
# named seeds kept. Each run's last lines (libFuzzer's final stats: executions, cov, ft) are printed.
# New crashers are written to tests/fuzz/ as crash-*; once fixed, copy one into the corpus.
set -eu
build=${1:-build/fuzz}
secs=${FUZZ_SECONDS:-30}
runs=${FUZZ_RUNS:--1}
cd "$(dirname "$0")/.."
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
	fi
	corpus=tests/fuzz/corpus/$name
	mkdir -p "$corpus"
	work=$(mktemp -d)
	echo "fuzz: $name for ${secs}s or $runs runs"
	"$bin" -max_total_time="$secs" -runs="$runs" -print_final_stats=1 -artifact_prefix=tests/fuzz/ \
		"$work" "$corpus" 2>&1 | grep -E '^(#[0-9]+.*DONE|Done|stat::|==[0-9]+==ERROR|SUMMARY)' || true
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		fresh=$(mktemp -d)
		"$bin" -merge=1 "$fresh" "$corpus" "$work" >/dev/null 2>&1
		# The merge names its files by their SHA-1: those not already in the corpus under any name are new.
		known=$(mktemp)
		find "$corpus" -type f -exec sha1sum {} + | cut -d' ' -f1 | sort -u >"$known"
		for f in "$fresh"/*; do
			[ -e "$f" ] || continue
			sum=$(sha1sum "$f" | cut -d' ' -f1)
			grep -qx "$sum" "$known" || cp "$f" "$corpus/"
		done
		rm -f "$known"
		echo "fuzz: $name corpus now $(ls "$corpus" | wc -l) files"
		rm -rf "$fresh"
	fi
	rm -rf "$work"
done
