// helpers.mjs: shared pieces of the end-to-end suites. The Go harness
// (e2e_test.go) starts the servers and passes everything through env:
//   RT_BASE_URL       main server (DEMO=1, every auth source)
//   RT_AFTER_URL      second server with AUTH_AFTER_CONNECT=1 and a short AUTH_TIMEOUT
//   RT_RACES_URL      server without a per-user socket cap (races.test.mjs)
//   RT_JWT_SECRET, RT_JWT_ISSUER, RT_JWT_AUDIENCE  to mint tokens
//   RT_ALLOWED_ORIGIN an origin on ALLOWED_ORIGINS
//   RT_TOKENS_FILE    every token, session cookie, Engine.IO session id and socket
//                     id used is appended here, so the harness can check that none
//                     of them reached the logs in clear
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { io, Manager } from 'socket.io-client';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through the Go harness (go test -tags e2e ./test/server/)`);
  return v;
}

export const BASE = need('RT_BASE_URL').replace(/\/$/, '');
export const AFTER = (process.env.RT_AFTER_URL || '').replace(/\/$/, '');
export const SECRET = need('RT_JWT_SECRET');
export const ISSUER = process.env.RT_JWT_ISSUER || '';
export const AUDIENCE = process.env.RT_JWT_AUDIENCE || '';
export const ALLOWED_ORIGIN = need('RT_ALLOWED_ORIGIN');
export const FOREIGN_ORIGIN = 'https://app.example.com.evil.io';
const TOKENS_FILE = process.env.RT_TOKENS_FILE || '';

// record notes a secret so the harness can grep the server log for it.
export function record(secret) {
  if (TOKENS_FILE && secret) appendFileSync(TOKENS_FILE, secret + '\n');
  return secret;
}

export function uniq(prefix = 'room') {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

// login posts credentials and returns {status, body, token, session, headers}.
export async function login(username, password, { base = BASE, headers = {} } = {}) {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  const setCookie = res.headers.get('set-cookie') || '';
  const m = /(?:^|[;,]\s*)session=([^;]+)/.exec(setCookie);
  const session = m ? m[1] : null;
  if (body && body.token) record(body.token);
  if (session) record(session);
  return { status: res.status, text, body, token: body && body.token, session, setCookie, headers: res.headers };
}

// loginOK logs a demo user in and fails the test unless it worked.
export async function loginOK(username, base = BASE) {
  const r = await login(username, `${username}-pass`, { base });
  assert.equal(r.status, 200, `login ${username}: ${r.text}`);
  return r;
}

export async function logout({ token, session, base = BASE, origin } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (session) headers.Cookie = `session=${session}`;
  if (origin) headers.Origin = origin;
  const res = await fetch(`${base}/logout`, { method: 'POST', headers });
  return res.status;
}

const open = new Set();

// closeAll disconnects every socket the helpers opened (call in afterEach).
export function closeAll() {
  for (const s of open) s.disconnect();
  open.clear();
}

// socket opens a new connection (its own Engine.IO session, like a new tab)
// without waiting.
export function socket(path, opts = {}, base = BASE) {
  const s = io(base + path, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
  recordIds(s.io);
  s.on('connect', () => record(s.id));
  open.add(s);
  return s;
}

// recordIds records the Engine.IO session id of every connection m opens
// (reconnections included): for a polling client it alone is the session,
// so it must never reach a log in clear.
function recordIds(m) {
  m.on('open', () => record(m.engine.id));
}

// connect resolves with the connected socket or rejects with the connect_error.
export function connect(path, opts = {}, base = BASE) {
  const s = socket(path, opts, base);
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => { s.disconnect(); reject(err); });
  });
}

// refused expects the connection to fail and returns the error.
export async function refused(path, opts = {}, base = BASE) {
  try {
    const s = await connect(path, opts, base);
    s.disconnect();
  } catch (err) {
    return err;
  }
  assert.fail(`connection to ${path} was accepted`);
}

// assertRefused checks message "unauthorized"/"forbidden" and data.code.
export async function assertRefused(path, opts, code, base = BASE) {
  const err = await refused(path, opts, base);
  const message = code === 'forbidden' ? 'forbidden' : 'unauthorized';
  assert.equal(err.message, message, `message for ${path}`);
  assert.deepEqual(err.data, { code }, `data for ${path}`);
  return err;
}

// manager returns a Manager: its sockets share one Engine.IO connection.
export function manager(opts = {}, base = BASE) {
  // autoConnect: false, because connect() below opens each socket itself: with
  // autoConnect a socket made on an already open Manager sends CONNECT at once
  // and connect() would send a second one, which the server treats as a
  // protocol error and closes the whole connection.
  const m = new Manager(base, { forceNew: true, reconnection: false, timeout: 5000, autoConnect: false, ...opts });
  recordIds(m);
  return {
    connect(path, sopts = {}) {
      const s = m.socket(path, sopts);
      open.add(s);
      return new Promise((resolve, reject) => {
        s.once('connect', () => { record(s.id); resolve(s); });
        s.once('connect_error', reject);
        s.connect();
      });
    },
  };
}

// ack emits and waits (bounded) for the acknowledgement.
export function ack(s, event, ...args) {
  return s.timeout(3000).emitWithAck(event, ...args);
}

// next resolves with the first argument of the next `event` within ms,
// else rejects. Further arguments are ignored: the offset that connection
// state recovery appends to every broadcast, the details of `disconnect`.
export function next(s, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { s.off(event, on); reject(new Error(`no ${event} within ${ms} ms`)); }, ms);
    function on(first) {
      clearTimeout(timer);
      resolve(first);
    }
    s.once(event, on);
  });
}

// collect records every `event` payload a socket receives.
export function collect(s, event) {
  const got = [];
  s.on(event, (v) => got.push(v));
  return got;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// decode returns a JWT's payload.
export function decode(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

// mint signs claims with HS256 (node:crypto, no JWT library) and records it.
export function mint(claims, { secret = SECRET, header = { alg: 'HS256', typ: 'JWT' } } = {}) {
  const head = `${b64url(header)}.${b64url(claims)}`;
  const sig = createHmac('sha256', secret).update(head).digest('base64url');
  return record(`${head}.${sig}`);
}

// claimsLike copies a server-issued token's claims (whatever names the
// server uses for name, teams, roles, session) and applies changes.
export function claimsLike(token, changes = {}) {
  const c = { ...decode(token), jti: randomBytes(8).toString('hex'), ...changes };
  for (const [k, v] of Object.entries(c)) if (v === undefined) delete c[k];
  return c;
}

export const nowSec = () => Math.floor(Date.now() / 1000);
