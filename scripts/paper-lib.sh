# paper-lib.sh - sourced by the scripts that run spotbot in paper mode against a spotsim of their own
# (scripts/demo.sh, scripts/doc-commands.sh).
#
# paper_spotsim_start SPOTSIM DIR [SPOTSIM ARGS...]: starts SPOTSIM on a free loopback port with its output
#   in DIR/spotsim.out and DIR/spotsim.err; sets sim_pid and port, or returns 1 (port empty) when spotsim
#   did not say where it listens within 10 s.
# paper_env DIR PORT PAIRS: writes DIR/.env, private: paper mode against 127.0.0.1:PORT, the database,
#   the logs and the control socket in DIR, and PAIRS.
paper_spotsim_start() {
	_ps_bin=$1
	_ps_dir=$2
	shift 2
	"$_ps_bin" --listen 127.0.0.1:0 "$@" >"$_ps_dir/spotsim.out" 2>"$_ps_dir/spotsim.err" &
	sim_pid=$!
	port=
	_ps_i=0
	while [ $_ps_i -lt 100 ]; do
		port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\).*/\1/p' "$_ps_dir/spotsim.out" 2>/dev/null | head -n 1)
		[ -n "$port" ] && return 0
		sleep 0.1
		_ps_i=$((_ps_i + 1))
	done
	return 1
}

paper_env() {
	(
		umask 077
		cat >"$1/.env" <<ENV
MODE=paper
BINANCE_REST_URL=http://127.0.0.1:$2
BINANCE_STREAM_URL=ws://127.0.0.1:$2
BINANCE_WSAPI_URL=ws://127.0.0.1:$2/ws-api/v3
DATABASE_PATH=$1/spotbot.db
LOG_DIR=$1/logs
LOG_STDERR=false
CONTROL_LISTEN=unix:$1/control.sock
PAIRS=$3
ENV
	)
}
