// v2.test.mjs: end-to-end suite for the legacy path (Engine.IO v3 / Socket.IO v4 protocol)
// driven by the real socket.io-client 2.x (npm alias socket.io-client-v2), once per
// transport set: polling only, WebSocket only, and the default upgrade.
//
// Run through the Go harness, which starts the fixture with the legacy option (AllowEIO3) on
// and sets E2E_LEGACY_URL:
//   go test -race -count=1 -tags e2e -run TestE2E ./test/engine/
// socket.io-client 2.x has no auth payload: the token travels in the query string (the
// handshake query for "/", the CONNECT packet's query for other namespaces), and a refused
// CONNECT reaches the client as an 'error' event carrying the error message string.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import ioV2 from "socket.io-client-v2";
import {
  TEST_TIMEOUT,
  WAIT_MS,
  ack,
  assertBytes,
  baseURL,
  closeAll,
  once,
  pattern,
  uniq,
  waitFor,
  withTimeout,
} from "./helpers.mjs";

const BASE = baseURL("E2E_LEGACY_URL");

const MODES = [
  { name: "polling", transports: ["polling"], final: "polling" },
  { name: "websocket", transports: ["websocket"], final: "websocket" },
  { name: "default upgrade", transports: undefined, final: "websocket" },
];

// connectedV2 resolves when a 2.x socket connects, rejects with its 'error' (a refused
// CONNECT) or 'connect_error' (transport failure), bounded.
function connectedV2(s) {
  if (s.connected) return Promise.resolve(s);
  return withTimeout(
    new Promise((resolve, reject) => {
      s.once("connect", () => resolve(s));
      s.once("error", (e) => reject(new Error(`error event: ${JSON.stringify(e)}`)));
      s.once("connect_error", (e) => reject(new Error(`connect_error: ${e && e.message}`)));
    }),
    "connect (socket.io-client 2.x)",
  );
}

// refusedV2 resolves with the payload of the next 'error' event and rejects if the socket
// connects instead.
function refusedV2(s) {
  return withTimeout(
    new Promise((resolve, reject) => {
      s.once("connect", () => reject(new Error("expected an 'error' event, but the socket connected")));
      s.once("error", (e) => resolve(e));
    }),
    "'error' event (socket.io-client 2.x)",
  );
}

// assertRefusal checks the payload of a legacy refusal ('error' event). socket.io 2.x
// servers, and socket.io 4 with allowEIO3, send `err.data || err.message`; the engine
// contract says "a JSON string" (the message). Both forms are accepted, each exactly.
function assertRefusal(got, message, data) {
  if (typeof got === "string") {
    assert.equal(got, message);
  } else {
    assert.deepEqual(got, data);
  }
}

for (const mode of MODES) {
  describe(`socket.io-client 2.x over ${mode.name}`, { timeout: TEST_TIMEOUT * 20 }, () => {
    const open = [];

    function client(nsp = "/", opts = {}) {
      const o = { forceNew: true, reconnection: false, query: { token: "good" }, ...opts };
      if (mode.transports) o.transports = mode.transports;
      const s = ioV2(BASE + nsp, o);
      open.push(s);
      return s;
    }

    async function ready(s) {
      await connectedV2(s);
      if (mode.final === "websocket" && s.io.engine.transport.name !== "websocket") {
        await once(s.io.engine, "upgrade");
      }
      assert.equal(s.io.engine.transport.name, mode.final);
      return s;
    }

    after(() => closeAll(...open));

    it("connects to / (implicit CONNECT) with the token in the query", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      assert.equal(typeof s.id, "string");
      const [who] = await ack(s, "whoami");
      assert.equal(who.nsp, "/");
      assert.equal(who.protocol, 3);
    });

    it("refuses / with a bad token through an 'error' event", { timeout: TEST_TIMEOUT }, async () => {
      const s = client("/", { query: { token: "bad" } });
      const err = await refusedV2(s);
      assertRefusal(err, "unauthorized", { code: "invalid_token" });
      assert.equal(s.connected, false);
    });

    it("emits and acks both ways", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const args = [1, "2", { 3: [true] }, null];
      const echoed = once(s, "echo");
      s.emit("echo", ...args);
      assert.deepEqual(await echoed, args);
      assert.deepEqual(await ack(s, "ack echo", 1, "2", { 3: [false] }), [1, "2", { 3: [false] }]);

      s.on("question", (q, n, cb) => cb("answer", { to: q, twice: n * 2 }));
      assert.deepEqual(await ack(s, "ask", { timeoutMs: WAIT_MS, args: ["life", 21] }), [
        "ok",
        "answer",
        { to: "life", twice: 42 },
      ]);
    });

    it("joins rooms and broadcasts except a room and the sender", { timeout: TEST_TIMEOUT }, async () => {
      const room = uniq("v2room");
      const muted = uniq("v2muted");
      const [a, b, c] = [client(), client(), client()];
      await Promise.all([a, b, c].map(ready));
      const seen = new Map([a, b, c].map((s) => [s, []]));
      for (const s of [a, b, c]) {
        for (const ev of ["news", "marker"]) s.on(ev, (...args) => seen.get(s).push({ ev, args }));
      }
      for (const s of [a, b, c]) {
        const [res] = await ack(s, "join", room);
        assert.ok(res.rooms.includes(room));
      }
      await ack(c, "join", muted);
      assert.deepEqual(await ack(a, "broadcast", { room, except: muted, event: "news", args: ["hi", 1] }), [{ ok: true }]);
      assert.deepEqual(await ack(a, "broadcast", { room, event: "marker", args: [], self: true }), [{ ok: true }]);
      for (const s of [a, b, c]) await waitFor(() => seen.get(s).some((e) => e.ev === "marker"), "marker");
      assert.deepEqual(seen.get(b).map((e) => e.ev), ["news", "marker"]);
      assert.deepEqual(seen.get(b)[0].args, ["hi", 1]);
      assert.deepEqual(seen.get(c).map((e) => e.ev), ["marker"]);
      assert.deepEqual(seen.get(a).map((e) => e.ev), ["marker"]);
    });

    it("sends binary both ways", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const small = Buffer.from([0, 1, 2, 3, 255]);
      const big = pattern(100_000, 2);
      const got = once(s, "binary echo");
      s.emit("binary echo", small, { data: big, n: 1 });
      const [x, y] = await got;
      assertBytes(x, small, "first attachment");
      assertBytes(y.data, big, "nested attachment");
      assert.equal(y.n, 1);

      const res = await ack(s, "binary echo", pattern(64, 9));
      assertBytes(res[0], pattern(64, 9), "ack attachment");

      const ev = once(s, "binary");
      const [given] = await ack(s, "give binary", { size: 1000, seed: 5 });
      assertBytes(given, pattern(1000, 5), "server ack attachment");
      const [evBytes, meta] = await ev;
      assertBytes(evBytes, pattern(1000, 5), "server event attachment");
      assert.deepEqual(meta, { size: 1000 });
    });

    it("server Disconnect is seen as 'io server disconnect'", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const d = once(s, "disconnect");
      s.emit("kick me");
      const [reason] = await d;
      assert.equal(reason, "io server disconnect");
      assert.equal(s.connected, false);
    });

    it("refuses /admin and an unknown namespace through 'error' events", { timeout: TEST_TIMEOUT }, async () => {
      const admin = client("/admin");
      assertRefusal(await refusedV2(admin), "forbidden", { code: "admin_only" });
      const nope = client("/nope");
      // socket.io 2.x sends the string; socket.io 4 with allowEIO3 sends {message}
      assertRefusal(await refusedV2(nope), "Invalid namespace", { message: "Invalid namespace" });
    });

    it("connects to a dynamic namespace with the token in the CONNECT query", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client("/dyn-5"));
      const [who] = await ack(s, "whoami");
      assert.equal(who.nsp, "/dyn-5");
      assert.deepEqual(await ack(s, "ack echo", "dyn"), ["dyn"]);
    });
  });
}
