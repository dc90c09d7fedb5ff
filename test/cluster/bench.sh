#!/usr/bin/env bash
# test/cluster/bench.sh: the cluster benchmark (TestBench in bench_test.go, never run by CI).
# Two Go nodes (test/load/goserver with REDIS_URL: the rtserver engine with the Redis adapter)
# against two Node.js socket.io 4.8.4 nodes (test/cluster/benchnode.mjs,
# @socket.io/redis-adapter 8.x), same handlers (a room broadcast, sender excluded), each
# pair on its own throwaway redis-server, on this machine in one run. Load: 1,000 members
# of one room, half on each node, and a sender on the first node, at rising rates.
# Printed per step: deliveries/s, p50/p99 latency, server CPU per delivery (utime+stime
# of both node processes, /proc/<pid>/stat); then the Go/Node ratios.
#
#   bash test/cluster/bench.sh
#   CLUSTER_BENCH_GOMAXPROCS=1 bash test/cluster/bench.sh   # each Go node on one P
#   CLUSTER_BENCH_ONLY=go bash test/cluster/bench.sh        # one side only (go or node)
#
# Every process is started by the Go test and stopped by its PID. Built without -race:
# the race detector would measure itself.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ ! -d test/node_modules/@socket.io/redis-adapter ]; then
  (cd test && npm ci --no-audit --no-fund --loglevel=error)
fi
CLUSTER_BENCH=1 go test -tags e2e -run "^TestBench\$/${CLUSTER_BENCH_ONLY:-}" -count=1 -v -timeout 20m ./test/cluster/ |
  grep -E 'FIGURE|^(---|ok|FAIL|PASS)|=== cluster|\|'
