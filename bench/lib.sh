# bench/lib.sh - what the shell benchmarks share; sourced from the repository's root, not run. Needs
# python3 and curl. The scripts set build (the build directory) and dir (their scratch directory).

# Stops the processes given by id (SIGTERM) and waits for each.
stop_pids() {
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# Removes the scratch directory, or keeps it (named on stderr) when KEEP is set.
end_dir() {
	[ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}

# Starts spotsim on a free port with the given flags, its output in $dir/sim.out; sets sim_pid and port.
sim_start() {
	"$build/spotsim" --listen 127.0.0.1:0 "$@" >"$dir/sim.out" 2>&1 &
	sim_pid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/sim.out" | head -n 1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "spotsim did not start" >&2; exit 1; }
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Writes $dir/.env for spotbot paper-trading on spotsim at $port with the demo account, its database and
# logs in $dir, the control API on 127.0.0.1:$1 with token $2, and PAIRS=$3.
bot_env() {
	cat >"$dir/.env" <<ENV
MODE=paper
BINANCE_REST_URL=http://127.0.0.1:$port
BINANCE_STREAM_URL=ws://127.0.0.1:$port
BINANCE_WSAPI_URL=ws://127.0.0.1:$port/ws-api/v3
BINANCE_API_KEY=spotsim-demo-key
BINANCE_API_SECRET=spotsim-demo-secret
DATABASE_PATH=$dir/bot.db
LOG_DIR=$dir/logs
LOG_STDERR=false
CONTROL_LISTEN=127.0.0.1:$1
CONTROL_TOKEN=$2
PAIRS=$3
ENV
	chmod 600 "$dir/.env"
}
