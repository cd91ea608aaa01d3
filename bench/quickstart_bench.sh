#!/usr/bin/env bash
# Issue 15 item 4: a fresh machine's wait, from `git clone` to the first answered request
# of `./scripts/quickstart` (the web editor), then the first sandboxed node tests.
#
#     bench/quickstart_bench.sh [WORKDIR]      # default /tmp/nodeforge-quickstart
#
# "Fresh" here: every cache the quick start fills is empty (Go build and module caches
# and GOPATH, so nats-server is built again; pip without its cache; npm's cache;
# Nodeforge's catalog cache and the sandbox's caches, $NODEFORGE_CACHE). Debian
# packages are not removed: on a machine without them, apt adds its own time.
# Clones the committed HEAD of this repository.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
q=${1:-/tmp/nodeforge-quickstart}
port=${NODEFORGE_BENCH_PORT:-8799}
rm -rf "$q"
mkdir -p "$q"
export GOPATH=$q/gopath GOCACHE=$q/gocache GOMODCACHE=$q/gopath/pkg/mod
export NODEFORGE_CACHE=$q/nfcache npm_config_cache=$q/npm XDG_CACHE_HOME=$q/xdg
export PIP_NO_CACHE_DIR=1 NODEFORGE_EDITOR_ADDR=127.0.0.1:$port
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
echo "# $(hostname), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
start=$(now)
git clone -q "$repo" "$q/clone"
cd "$q/clone"
./scripts/quickstart >"$q/quickstart.log" 2>&1 &
qpid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
  kill -0 "$qpid" 2>/dev/null || { echo "quickstart exited early: see $q/quickstart.log"; exit 1; }
  sleep 0.25
done
echo "clone to the first answered request: $(since "$start") s"
grep '^== warm: .*: [0-9]* s$' "$q/quickstart.log" | sed 's/^/  /'
kill "$qpid" 2>/dev/null
pkill -f "serve examples --addr 127.0.0.1:$port" 2>/dev/null
sleep 1
for i in 1 2 3; do
  s=$(now)
  echo '{}' | .venv/bin/nodeforge test-node examples/order_intake.flow.json pricing --input - >/dev/null
  echo "node test $i after setup (data/set, rc $?): $(since "$s") s"
done
s=$(now)
echo '{"items": []}' | .venv/bin/nodeforge test-node examples/quote_api.flow.json pricing --input - >/dev/null
echo "node test after setup (code/go, rc $?): $(since "$s") s"
