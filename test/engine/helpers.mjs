// helpers.mjs: bounded waits and small utilities shared by the end-to-end suites.
//
// Nothing here measures speed. Every wait has an upper bound only so that a broken server
// fails the test with a clear message instead of hanging the run; no assertion depends on
// how fast something happened.

import assert from "node:assert/strict";

/** WAIT_MS bounds every single wait for an event (a hang guard, not a timing assertion). */
export const WAIT_MS = Number(process.env.E2E_WAIT_MS || 10000);

/** TEST_TIMEOUT bounds one whole test case. */
export const TEST_TIMEOUT = Number(process.env.E2E_TEST_TIMEOUT_MS || 60000);

/**
 * baseURL returns the fixture server URL handed over by the Go harness in the named
 * environment variable. A missing variable is an error: these suites are never skipped.
 */
export function baseURL(name = "E2E_URL") {
  const url = process.env[name];
  if (!url) {
    throw new Error(`${name} is not set: run these suites through the Go harness (go test -tags e2e ./test/engine/)`);
  }
  return url.replace(/\/+$/, "");
}

/** withTimeout rejects with a message naming what was awaited when p has not settled within ms. */
export function withTimeout(p, what, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** once resolves with the arguments of the next `event` on emitter (an array), bounded. */
export function once(emitter, event, ms = WAIT_MS) {
  return withTimeout(
    new Promise((resolve) => emitter.once(event, (...args) => resolve(args))),
    `event "${event}"`,
    ms,
  );
}

/**
 * connected resolves once socket is connected and rejects with the connect_error it gets
 * instead (so a refused connection shows its message and data in the failure).
 */
export function connected(socket, ms = WAIT_MS) {
  if (socket.connected) return Promise.resolve(socket);
  return withTimeout(
    new Promise((resolve, reject) => {
      const onConnect = () => {
        socket.off("connect_error", onError);
        resolve(socket);
      };
      const onError = (err) => {
        socket.off("connect", onConnect);
        const e = new Error(`connect_error: ${err && err.message} ${JSON.stringify(err && err.data)}`);
        e.cause = err;
        reject(e);
      };
      socket.once("connect", onConnect);
      socket.once("connect_error", onError);
    }),
    "connect",
    ms,
  );
}

/** connectError resolves with the next connect_error of socket and rejects if it connects instead. */
export function connectError(socket, ms = WAIT_MS) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const onConnect = () => {
        socket.off("connect_error", onError);
        reject(new Error(`expected connect_error, but the socket connected (id ${socket.id})`));
      };
      const onError = (err) => {
        socket.off("connect", onConnect);
        resolve(err);
      };
      socket.once("connect", onConnect);
      socket.once("connect_error", onError);
    }),
    "connect_error",
    ms,
  );
}

/** ack emits event with args and resolves with every argument of the acknowledgement (an array). */
export function ack(socket, event, ...args) {
  return withTimeout(
    new Promise((resolve) => socket.emit(event, ...args, (...res) => resolve(res))),
    `ack of "${event}"`,
  );
}

/**
 * waitFor polls check() until it returns a value other than undefined/null/false and
 * resolves with it; bounded by ms. Used to wait for server-side state, never to time it.
 */
export async function waitFor(check, what, ms = WAIT_MS, every = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** toBuffer turns a received binary value (Buffer, ArrayBuffer or typed array) into a Buffer. */
export function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(new Uint8Array(v));
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  assert.fail(`expected binary data, got ${typeof v}: ${JSON.stringify(v)}`);
}

/** assertBytes checks that v is binary data equal to expected, byte for byte. */
export function assertBytes(v, expected, what = "binary payload") {
  const got = toBuffer(v);
  assert.equal(got.length, expected.length, `${what}: length`);
  assert.ok(got.equals(expected), `${what}: bytes differ`);
}

/** pattern returns n deterministic bytes (i*7+seed mod 256), so any corruption shows. */
export function pattern(n, seed = 0) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/** uniq returns a name unique within this process run, for rooms and namespaces. */
let counter = 0;
export function uniq(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/**
 * Recorder collects every event received by a socket, in arrival order, so a test can
 * check what arrived before a marker event (ordering instead of "nothing within N ms").
 */
export class Recorder {
  constructor(socket) {
    this.events = [];
    this.waiters = [];
    socket.onAny((event, ...args) => {
      this.events.push({ event, args });
      for (const w of [...this.waiters]) w();
    });
  }

  /** until resolves with the events received up to and including the first `event`. */
  until(event, ms = WAIT_MS) {
    return withTimeout(
      new Promise((resolve) => {
        const check = () => {
          const i = this.events.findIndex((e) => e.event === event);
          if (i < 0) return false;
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(this.events.slice(0, i + 1));
          return true;
        };
        if (!check()) this.waiters.push(check);
      }),
      `event "${event}" in the recorder`,
      ms,
    );
  }

  names() {
    return this.events.map((e) => e.event);
  }
}

/** closeAll disconnects every client given (ignoring undefined) and closes their managers. */
export function closeAll(...sockets) {
  for (const s of sockets) {
    if (!s) continue;
    try {
      s.disconnect();
      if (s.io && typeof s.io._close === "function") s.io._close();
    } catch {
      // best effort: the test has already reported what matters
    }
  }
}
