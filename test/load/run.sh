#!/usr/bin/env bash
# test/load/run.sh: runs the rtserver Socket.IO engine side by side with the floor server
# (test/load/floorserver: raw writes of one prepared frame per recipient, no queues: what
# the engine's CPU and rates are read against) and the Node reference server (socket.io
# 4.8.4, test/load/nodeserver.mjs, same handlers as test/load/goserver), and the product
# (cmd/server) side by side with the Node reference product (test/load/nodeproduct.mjs,
# socket.io 4.8.4, the product's /chat connect written for Node), on this machine, in one
# run, and prints absolute numbers and Go/Floor, Go/Node and Product/Node product ratios.
#
#   bash test/load/run.sh                    # full size (about 10 minutes)
#   LOAD_SCALE=0.1 bash test/load/run.sh     # quick run (about 3 minutes)
#
# Each server is pinned to one core (LOAD_SERVER_CPU, default 0) with taskset; the load
# generator (test/load/loadgen, a Go Socket.IO WebSocket client: see its doc comment for why
# not socket.io-client) runs pinned to the other core (LOAD_CLIENT_CPU, default 1). The load
# generator starts and stops every server itself and kills only the PIDs it started; this
# script kills only the load generator's PID if it is interrupted.
#
# Servers (LOAD_SERVERS=go,floor,node,product,nodeproduct):
#   go, floor, node       namespace /, one fixed token; every scenario
#   product, nodeproduct  namespace /chat, one HS256 JWT per client (its own user and jti)
#                         that the load generator mints with the run's random JWT_SECRET;
#                         connect and idle only. The product runs with a fresh DATA_DIR,
#                         HANDSHAKE_RATE=0 (all clients share 127.0.0.1), METRICS_ADDR=off and
#                         LOG_LEVEL=warn, everything else its default.
# Scenarios (LOAD_SCENARIOS=connect,idle,fanout,pairs):
#   connect  5,000 authenticated connects as fast as they go: handshakes/s (target Go >= 5x
#            Node), server CPU per handshake (<= 0.3x Node; product <= 0.3x Node product)
#   idle     10,000 idle WebSocket connections: server RSS per connection once they sat idle
#            LOAD_IDLE_SECONDS (10, quick 5) (target <= 0.5x, product against Node
#            product); then they close and RSS is watched for
#            LOAD_RELEASE_SECONDS (60, quick 20) until it is within 1.5x of its value before
#            the burst
#   fanout   1,000 clients in one room, one sender: server CPU per delivered message at each
#            LOAD_EQUAL_DELIVERIES rate (20000,40000,60000; target <= 1.15x the floor), p99 at
#            those rates (target <= 1x Node), and the highest rate with p99 under 250 ms and
#            nothing lost (target >= 0.9x the floor)
#   pairs    2,000 clients in 1,000 rooms of 2, each sending once a second: p99 (<= 1x), CPU
# Other knobs: LOAD_SECONDS, LOAD_STEP_SECONDS, LOAD_SETTLE_SECONDS, LOAD_DRAIN_SECONDS,
# LOAD_CONNECT_CONCURRENCY, LOAD_EQUAL_DELIVERIES, LOAD_MAX_DELIVERIES, LOAD_P99_LIMIT_MS,
# LOAD_IDLE_SECONDS, LOAD_RELEASE_SECONDS. LOAD_ROUNDS=3 runs each scenario three times,
# the servers taking turns, and prints medians (this machine's background moves single
# runs by 15% or more; three rounds take about three times as long).
# The numbers are printed, never asserted: this is a measurement, not a test.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 12000 ]; then
  echo "run.sh: the open-file limit is $(ulimit -n); the idle scenario needs about 10,100 (raise the hard limit)" >&2
  exit 1
fi
for tool in taskset node go; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
if [ "$(nproc --all)" -lt 2 ]; then
  echo "run.sh: needs 2 CPUs (one for the server, one for the load generator)" >&2
  exit 1
fi
if [ ! -d test/node_modules/socket.io ]; then
  (cd test && npm ci --no-audit --no-fund --loglevel=error)
fi

bin="$(mktemp -d)"
loadgen_pid=""
cleanup() {
  if [ -n "$loadgen_pid" ] && kill -0 "$loadgen_pid" 2>/dev/null; then
    kill -TERM "$loadgen_pid" 2>/dev/null || true
    wait "$loadgen_pid" 2>/dev/null || true
  fi
  rm -rf "$bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

servers="${LOAD_SERVERS:-go,floor,node,product,nodeproduct}"
echo "run.sh: building the Go servers ($servers) and the load generator" >&2
case ",$servers," in
  *,go,*) go build -o "$bin/goserver" ./test/load/goserver ;;
  *) printf '#!/bin/sh\nexit 1\n' >"$bin/goserver"; chmod +x "$bin/goserver" ;;
esac
case ",$servers," in
  *,floor,*) go build -o "$bin/floorserver" ./test/load/floorserver ;;
  *) printf '#!/bin/sh\nexit 1\n' >"$bin/floorserver"; chmod +x "$bin/floorserver" ;;
esac
case ",$servers," in
  *,product,*) go build -o "$bin/product" ./cmd/server ;;
  *) printf '#!/bin/sh\nexit 1\n' >"$bin/product"; chmod +x "$bin/product" ;;
esac
go build -o "$bin/loadgen" ./test/load/loadgen

taskset -c "${LOAD_CLIENT_CPU:-1}" "$bin/loadgen" \
  -go-server "$bin/goserver" \
  -floor-server "$bin/floorserver" \
  -product-server "$bin/product" \
  -node "$(command -v node)" \
  -node-server "$here/nodeserver.mjs" \
  -node-product "$here/nodeproduct.mjs" &
loadgen_pid=$!
status=0
wait "$loadgen_pid" || status=$?
loadgen_pid=""
exit "$status"
