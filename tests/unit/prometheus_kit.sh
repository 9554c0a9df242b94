#!/bin/sh
# The monitoring kit of contrib/: promtool checks the alert rules, runs their unit tests and checks the
# prometheus.yml docs/monitoring.md shows; the Grafana dashboard is valid JSON with a Prometheus datasource
# input; and every metric the rules and the dashboard name is a family of docs/monitoring.md's table (which
# test_metrics ties to the daemon's catalogue and test_monitor to a running daemon's /metrics).
set -eu
src=${SB_SOURCE_DIR:-.}
rules=$src/contrib/prometheus/spotbot.rules.yml
rtest=$src/contrib/prometheus/spotbot.rules.test.yml
dash=$src/contrib/grafana/spotbot.json
doc=$src/docs/monitoring.md
fail() {
	echo "prometheus_kit: $*" >&2
	exit 1
}
PATH="$src/build/tools/usr/bin:$PATH" # where scripts/install-deps.sh unpacks promtool
command -v promtool >/dev/null || fail "promtool is missing: scripts/install-deps.sh unpacks it from Debian's prometheus package"
command -v jq >/dev/null || fail "jq is missing (scripts/install-deps.sh)"

promtool check rules "$rules"
# promtool resolves rule_files relative to the test file.
promtool test rules "$rtest"

# docs/monitoring.md's prometheus.yml fragments (the scrape job, its token, the rule_files line), in their
# order, make a configuration promtool accepts, with the rules file beside it as the page says.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$rules" "$tmp/"
echo "a-token" >"$tmp/token"
awk '/^```yaml/ { on = 1; next } /^```/ { on = 0 } on' "$doc" |
	sed "s|credentials_file: [^ ]*|credentials_file: $tmp/token|" >"$tmp/prometheus.yml"
grep -q '^scrape_configs:' "$tmp/prometheus.yml" || fail "no scrape_configs example in $doc"
grep -q '^rule_files:' "$tmp/prometheus.yml" || fail "no rule_files example in $doc"
promtool check config "$tmp/prometheus.yml"

# Every alert has a for:, a severity and both annotations, and is exercised by the unit tests.
alerts=$(sed -n 's/^ *- alert: *//p' "$rules")
[ -n "$alerts" ] || fail "no alerts in $rules"
n=$(echo "$alerts" | wc -l)
for key in 'for:' 'severity:' 'summary:' 'description:'; do
	c=$(grep -c "^ *$key" "$rules")
	[ "$c" -eq "$n" ] || fail "$n alerts but $c lines with $key in $rules"
done
for a in $alerts; do
	grep -q "alertname: $a\$" "$rtest" || fail "alert $a has no unit test in $rtest"
done

# The dashboard: JSON, importable with a Prometheus datasource input, every panel querying it.
jq -e '.__inputs[] | select(.name == "DS_PROMETHEUS" and .pluginId == "prometheus")' "$dash" >/dev/null ||
	fail "$dash lacks the DS_PROMETHEUS datasource input"
jq -e '[.panels[] | select((.targets | length) == 0 or .datasource.uid != "${DS_PROMETHEUS}")] | length == 0' \
	"$dash" >/dev/null || fail "$dash has a panel without queries or off the DS_PROMETHEUS input"
exprs=$(jq -r '.panels[].targets[].expr, .templating.list[].definition' "$dash")
[ -n "$exprs" ] || fail "no expressions in $dash"

# Metric names used: from the rules' expr: lines and the dashboard's expressions. A histogram's series
# are its family's name plus _bucket, _sum or _count.
families=$(sed -n 's/^| `\([a-z_:][a-z0-9_:]*\)` |.*/\1/p' "$doc")
[ -n "$families" ] || fail "no metrics table in $doc"
used=$( (sed -n 's/^ *expr: *//p' "$rules"; echo "$exprs") | grep -oE '\b(spotbot|process)_[a-z0-9_]+' | sort -u)
[ -n "$used" ] || fail "no metric names found in the rules and the dashboard"
for m in $used; do
	base=$(echo "$m" | sed -E 's/_(bucket|sum|count)$//')
	if ! echo "$families" | grep -qx "$m" && ! echo "$families" | grep -qx "$base"; then
		fail "$m is used by the rules or the dashboard but is not a metric of $doc"
	fi
done
# Each dashboard expression names at least one of them.
echo "$exprs" | while IFS= read -r e; do
	echo "$e" | grep -qE '\b(spotbot|process)_[a-z0-9_]+' || fail "dashboard expression names no metric: $e"
done
echo "prometheus_kit: $n alerts tested, $(echo "$used" | wc -l) metric names checked"
