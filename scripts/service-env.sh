#!/bin/sh
# service-env.sh SPOTBOT - writes the example configuration of the systemd service on standard output:
# `spotbot config --example` (every option, generated from the options table) with the settings the unit
# (contrib/systemd/spotbot.service) needs: the database in its StateDirectory, the logs in its
# LogsDirectory, and no echo of the log on standard error, which the journal would keep a second copy of.
# The build writes it as spotbot.env.example; `make install` installs it in share/doc/spotbot.
set -eu
cat <<'HEAD'
# spotbot's configuration as a systemd service (docs/install.md). Copy it to /etc/spotbot/spotbot.env,
# private to the service user:
#   install -d -m 755 /etc/spotbot
#   install -m 600 -o spotbot -g spotbot spotbot.env.example /etc/spotbot/spotbot.env
# The unit runs `spotbot run --config /etc/spotbot/spotbot.env`; run the CLI as the service user on the
# same file: sudo -u spotbot spotbot status --config /etc/spotbot/spotbot.env
#
HEAD
"$1" config --example | sed \
	-e 's|^# DATABASE_PATH=.*|DATABASE_PATH=/var/lib/spotbot/spotbot.db|' \
	-e 's|^# LOG_DIR=.*|LOG_DIR=/var/log/spotbot|' \
	-e 's|^# LOG_STDERR=.*|LOG_STDERR=false|'
