// firstack.mjs: measures the time from io() to the first acknowledgement on default
// transports (polling, then the upgrade to WebSocket) with the real socket.io-client,
// against several servers in one run, interleaved connect by connect so that machine load
// falls on all of them alike. Prints one JSON line {name: {p50, p90, max, n}} (ms).
//
//   FIRSTACK_TARGETS='go=http://127.0.0.1:1234,node=http://127.0.0.1:5678' node firstack.mjs
//
// The Go harness runs it (TestParity/figures) against the Go fixture and the Node
// reference fixture; it measures, it asserts nothing.

import { io } from "socket.io-client";

const N = Number(process.env.FIRSTACK_N || 100);
const targets = (process.env.FIRSTACK_TARGETS || "").split(",").filter(Boolean).map((t) => t.split("="));
if (targets.length === 0) throw new Error("FIRSTACK_TARGETS is not set");

function once(url, i) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = io(url, { forceNew: true, reconnection: false, auth: { token: "good" } });
    const timer = setTimeout(() => reject(new Error(`no ack from ${url} within 10 s`)), 10000);
    s.once("connect_error", (e) => reject(e));
    s.once("connect", () =>
      s.emit("ack echo", i, () => {
        clearTimeout(timer);
        const dt = performance.now() - t0;
        s.disconnect();
        resolve(dt);
      }),
    );
  });
}

const times = Object.fromEntries(targets.map(([name]) => [name, []]));
for (let i = 0; i <= N; i++) {
  for (const [name, url] of targets) {
    const dt = await once(url, i);
    if (i > 0) times[name].push(dt); // the first round warms up
  }
}
const out = {};
for (const [name, ts] of Object.entries(times)) {
  ts.sort((a, b) => a - b);
  const q = (p) => Number(ts[Math.min(ts.length - 1, Math.floor(p * ts.length))].toFixed(1));
  out[name] = { p50: q(0.5), p90: q(0.9), max: q(1), n: ts.length };
}
console.log(JSON.stringify(out));
