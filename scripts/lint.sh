#!/bin/sh
# make lint: formatting (clang-format), the banned-functions check from CONTRIBUTING.md, and cppcheck.
# Exits non-zero on the first category that fails, after printing every finding in it.
set -u
cd "$(dirname "$0")/.."

files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]')
status=0

echo "lint: clang-format"
if ! clang-format --dry-run --Werror $files; then
	echo "lint: formatting differs; run: clang-format -i \$(git ls-files '*.c' '*.h')" >&2
	status=1
fi

echo "lint: banned functions"
# Unsafe or unchecked calls banned by CONTRIBUTING.md; snprintf, strtoll and gmtime_r are the replacements.
banned='\b(atoi|atol|atoll|atof|sprintf|vsprintf|strcpy|strcat|strtok|gmtime|localtime|strtol|strtoul|gets)[[:space:]]*\('
if grep -nE "$banned" $files; then
	echo "lint: banned functions used (see CONTRIBUTING.md)" >&2
	status=1
fi

echo "lint: floating point near money"
# Money is fixed-point: a float or double variable in src/ must be for timing, metrics or reading a JSON
# number (cJSON's valuedouble), and say so in its name or line. Comments and strings are not code.
if grep -nE '\b(double|float)[[:space:]]+\*?[a-z_][a-z0-9_]*[[:space:]]*[=;,)\[]' $(echo "$files" | tr ' ' '\n' | grep '^src/') |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' |
	grep -vE 'metric|latency|seconds|secs|_ms|_us|_ns|ratio|rate_per|elapsed|valuedouble|histogram|rss|bench|json'; then
	echo "lint: floating point in src/ outside timing/metrics code" >&2
	status=1
fi

echo "lint: cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	--suppress=missingIncludeSystem --std=c11 -D__GNUC__ -DSB_VERSION='"lint"' -I include -I src src; then
	status=1
fi

[ $status -eq 0 ] && echo "lint: clean"
exit $status
