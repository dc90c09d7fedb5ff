// helpers.mjs: shared pieces of the cluster scripts. The Go harness (cluster_test.go)
// starts redis-server, PostgreSQL, nodes a and b and nginx, and passes everything in env:
//   CL_NGINX        nginx in front of both nodes (nginx.conf.tmpl)
//   CL_A, CL_B      node a and node b directly (NODE_ID a and b)
//   CL_REDIS        the Redis both nodes use (redis://127.0.0.1:PORT/0)
//   CL_PUBLISH_KEY  a key of PUBLISH_API_KEYS
// Every wait is bounded only so that a broken cluster fails with a message instead of a
// hang; no assertion depends on speed unless its name says so.
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite through go test -tags e2e ./test/cluster/`);
  return v.replace(/\/+$/, '');
}

export const NGINX = need('CL_NGINX');
export const A = need('CL_A');
export const B = need('CL_B');
export const REDIS = need('CL_REDIS');
export const PUBLISH_KEY = need('CL_PUBLISH_KEY');
export const WAIT_MS = 5000;

export const uniq = (prefix = 'room') => `${prefix}-${randomBytes(4).toString('hex')}`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// login logs a demo user in at base and returns {token, session}.
export async function login(user, base = NGINX) {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: `${user}-pass` }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`login ${user} at ${base}: ${res.status} ${text}`);
  const m = /(?:^|[;,]\s*)session=([^;]+)/.exec(res.headers.get('set-cookie') || '');
  return { token: JSON.parse(text).token, session: m && m[1] };
}

const open = new Set();

// closeAll disconnects every socket connect opened (call in afterEach).
export function closeAll() {
  for (const s of open) s.disconnect();
  open.clear();
}

// connect opens a new connection (its own Engine.IO session) to base + nsp and resolves
// once it is connected, or rejects with the connect_error.
export function connect(base, nsp, token, opts = {}) {
  const s = io(base + nsp, { forceNew: true, reconnection: false, timeout: WAIT_MS, auth: { token }, ...opts });
  open.add(s);
  return withTimeout(new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => { s.disconnect(); reject(err); });
  }), `connect ${base}${nsp}`);
}

// nodeOf is the NODE_ID that made a socket's Engine.IO session ("a" for "a.Xk3…").
export const nodeOf = (s) => s.io.engine.id.split('.')[0];

export function withTimeout(p, what, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

// ack emits and waits (bounded) for the acknowledgement, which must be ok.
export async function ack(s, event, ...args) {
  const res = await s.timeout(WAIT_MS).emitWithAck(event, ...args);
  if (!res || res.ok !== true) throw new Error(`${event}: ${JSON.stringify(res)}`);
  return res;
}

// waitFor resolves with the arguments of the first `event` for which match(...args)
// is true, within ms.
export function waitFor(s, event, match = () => true, ms = WAIT_MS) {
  let fn;
  return withTimeout(new Promise((resolve) => {
    fn = (...args) => {
      if (!match(...args)) return;
      s.off(event, fn);
      resolve(args);
    };
    s.on(event, fn);
  }), event, ms).finally(() => s.off(event, fn));
}

// eventually polls fn until it returns a truthy value, within ms.
export async function eventually(what, fn, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${what}`);
    await sleep(50);
  }
}
