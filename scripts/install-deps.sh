#!/bin/sh
# Installs the Debian packages spotbot needs to build, test and run, when any is missing.
# Called by `make`, `make test` and `make demo`; safe to run again (it does nothing when all are present).
# libcurl4-openssl-dev is for the test helpers and benchmarks only: no program of the tree links libcurl.
# prometheus (for promtool) and jq check the monitoring kit of contrib/ (tests/unit/prometheus_kit.sh).
set -eu

PACKAGES="build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-uv libuv1-dev
libcurl4-openssl-dev libcjson-dev libjsmn-dev libsqlite3-dev libssl-dev libcriterion-dev zlib1g-dev libzip-dev
clang libclang-rt-14-dev cppcheck clang-format bc openssl sqlite3 curl chromium logrotate systemd groff-base
strace jq"

# promtool, for the tests of the Prometheus rules in contrib/, is unpacked from Debian's prometheus package
# into build/tools rather than installed: installing the package would also start a Prometheus server, on
# port 9090, spotsim's default. Needs no root; without it the test says promtool is missing.
tools="$(cd "$(dirname "$0")/.." && pwd)/build/tools"
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$tools/usr/bin/promtool" ]; then
	tmp=$(mktemp -d)
	if (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
		mkdir -p "$tools"
		dpkg-deb -x "$tmp"/prometheus_*.deb "$tools"
		echo "install-deps: promtool unpacked into $tools/usr/bin" >&2
	else
		echo "install-deps: cannot download Debian's prometheus package (for promtool)" >&2
	fi
	rm -rf "$tmp"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing missing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-deps: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
