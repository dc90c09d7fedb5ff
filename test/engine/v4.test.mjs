// v4.test.mjs: end-to-end suite for the rtserver Socket.IO engine driven by the real
// socket.io-client 4.8.x, once per transport set: polling only, WebSocket only, and the
// default (polling then upgrade to WebSocket).
//
// Run through the Go harness (it starts the fixture servers and sets the URLs):
//   go test -race -count=1 -tags e2e -run TestE2E ./test/engine/
// E2E_URL points at the fixture without connection-state recovery, E2E_RECOVERY_URL at the
// same handlers with recovery enabled. The fixture's events are documented in
// test/engine/fixture_test.go. No assertion is about speed: waits are bounded only to turn a
// hang into a failure.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import {
  TEST_TIMEOUT,
  WAIT_MS,
  ack,
  assertBytes,
  baseURL,
  closeAll,
  connectError,
  connected,
  once,
  pattern,
  Recorder,
  uniq,
  waitFor,
  withTimeout,
} from "./helpers.mjs";

const BASE = baseURL("E2E_URL");
const RECOVERY_BASE = baseURL("E2E_RECOVERY_URL");

const MODES = [
  { name: "polling", transports: ["polling"], final: "polling" },
  { name: "websocket", transports: ["websocket"], final: "websocket" },
  { name: "default upgrade", transports: undefined, final: "websocket" },
];

// stripOffset drops the connection-state-recovery offset that a recovery-enabled server may
// append as the last string argument of a broadcast event (socket.io's Node server does);
// the client keeps that offset in socket._lastOffset. Only used on the recovery fixture.
function stripOffset(socket, args) {
  if (socket._pid && args.length > 0 && args[args.length - 1] === socket._lastOffset) {
    return args.slice(0, -1);
  }
  return args;
}

for (const mode of MODES) {
  describe(`socket.io-client 4.8 over ${mode.name}`, { timeout: TEST_TIMEOUT * 20 }, () => {
    const open = [];

    // client makes a socket with its own Manager (forceNew) and no automatic reconnection,
    // so each test controls when it reconnects.
    function client(nsp = "/", opts = {}, base = BASE) {
      const o = { forceNew: true, reconnection: false, auth: { token: "good" }, ...opts };
      if (mode.transports) o.transports = mode.transports;
      const s = io(base + nsp, o);
      open.push(s);
      return s;
    }

    // ready connects and, in the default mode, also waits for the upgrade so the rest of
    // the test runs on the final transport (the upgrade test covers mid-upgrade traffic).
    async function ready(s) {
      await connected(s);
      if (mode.final === "websocket" && s.io.engine.transport.name !== "websocket") {
        await once(s.io.engine, "upgrade");
      }
      assert.equal(s.io.engine.transport.name, mode.final);
      return s;
    }

    after(() => closeAll(...open));

    it("connects with auth; the middleware saw the exact auth payload", { timeout: TEST_TIMEOUT }, async () => {
      const auth = { token: "good", extra: { n: 1, s: "x", list: [true, null, 1.5] } };
      const s = await ready(client("/", { auth }));
      assert.equal(typeof s.id, "string");
      assert.ok(s.id.length > 0);
      const [who] = await ack(s, "whoami");
      assert.equal(who.id, s.id);
      assert.equal(who.nsp, "/");
      assert.deepEqual(who.auth, auth);
      assert.equal(who.recovered, false);
      s.disconnect();
    });

    it("refuses a bad token with connect_error carrying message and data", { timeout: TEST_TIMEOUT }, async () => {
      const s = client("/", { auth: { token: "bad" } });
      const err = await connectError(s);
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { code: "invalid_token" });
      assert.equal(s.connected, false);
    });

    it("refuses a missing auth payload with the same connect_error", { timeout: TEST_TIMEOUT }, async () => {
      const s = client("/", { auth: undefined });
      const err = await connectError(s);
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { code: "invalid_token" });
    });

    it("refuses the /admin namespace through its middleware", { timeout: TEST_TIMEOUT }, async () => {
      const s = client("/admin");
      const err = await connectError(s);
      assert.equal(err.message, "forbidden");
      assert.deepEqual(err.data, { code: "admin_only" });
    });

    it("refuses an unknown namespace with 'Invalid namespace'", { timeout: TEST_TIMEOUT }, async () => {
      const s = client("/nope");
      const err = await connectError(s);
      assert.equal(err.message, "Invalid namespace");
      assert.equal(err.data, undefined);
    });

    it("connects to a dynamic namespace matching ^/dyn-\\d+$ and refuses a non-matching one", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client("/dyn-42"));
      const [who] = await ack(s, "whoami");
      assert.equal(who.nsp, "/dyn-42");
      assert.deepEqual(who.auth, { token: "good" });
      const [echoed] = await ack(s, "ack echo", "in dyn");
      assert.equal(echoed, "in dyn");

      const bad = client("/dyn-x");
      const err = await connectError(bad);
      assert.equal(err.message, "Invalid namespace");
    });

    it("multiplexes / and two namespaces over one Engine.IO connection", { timeout: TEST_TIMEOUT }, async () => {
      const o = { reconnection: false };
      if (mode.transports) o.transports = mode.transports;
      const m = new Manager(BASE, o);
      const root = m.socket("/", { auth: { token: "good" } });
      const dyn = m.socket("/dyn-7", { auth: { token: "good" } });
      const admin = m.socket("/admin", { auth: { token: "good" } });
      open.push(root, dyn, admin);
      const refused = connectError(admin);
      await Promise.all([connected(root), connected(dyn)]);
      const err = await refused;
      assert.equal(err.message, "forbidden");
      const [a] = await ack(root, "whoami");
      const [b] = await ack(dyn, "whoami");
      assert.equal(a.nsp, "/");
      assert.equal(b.nsp, "/dyn-7");
      assert.notEqual(a.id, b.id);
      // a refused namespace does not disturb the others on the same connection
      const [x] = await ack(root, "ack echo", "still here");
      assert.equal(x, "still here");
      dyn.disconnect();
      const [y] = await ack(root, "ack echo", "after leaving dyn");
      assert.equal(y, "after leaving dyn");
      root.disconnect();
    });

    it("echoes an event with mixed JSON arguments unchanged", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const args = [1, "2", { 3: [true], nested: { a: null, b: -0.5 } }, [], "ünïcødé ✓", null];
      const got = once(s, "echo");
      s.emit("echo", ...args);
      assert.deepEqual(await got, args);
    });

    it("acks client → server with every argument", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const res = await ack(s, "ack echo", 1, "2", { 3: [false] });
      assert.deepEqual(res, [1, "2", { 3: [false] }]);
      // emitWithAck resolves with the first argument
      const first = await withTimeout(s.timeout(WAIT_MS).emitWithAck("ack echo", { k: "v" }, 2), "emitWithAck");
      assert.deepEqual(first, { k: "v" });
    });

    it("emitWithAck with a timeout rejects when the server never acks", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      await assert.rejects(
        withTimeout(s.timeout(300).emitWithAck("no ack", 1), "emitWithAck rejection"),
        { message: "operation has timed out" },
      );
      // the socket is still usable and later acks are matched to the right call
      const res = await withTimeout(s.timeout(WAIT_MS).emitWithAck("ack echo", "after"), "emitWithAck");
      assert.equal(res, "after");
    });

    it("acks server → client (server EmitWithAck) with the client's answer", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      s.on("question", (q, n, cb) => cb("answer", { to: q, twice: n * 2 }));
      const res = await ack(s, "ask", { timeoutMs: WAIT_MS, args: ["life", 21] });
      assert.deepEqual(res, ["ok", "answer", { to: "life", twice: 42 }]);
    });

    it("server EmitWithAck times out when the client never answers", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      let asked = 0;
      s.on("question", () => {
        asked += 1; // deliberately no ack
      });
      const res = await ack(s, "ask", { timeoutMs: 300, args: ["silence"] });
      assert.deepEqual(res, ["timeout"]);
      assert.equal(asked, 1);
    });

    it("joins rooms and broadcasts to a room except another room and except the sender", { timeout: TEST_TIMEOUT }, async () => {
      const room = uniq("room");
      const muted = uniq("muted");
      const [a, b, c, outsider] = [client(), client(), client(), client()];
      await Promise.all([a, b, c, outsider].map(ready));
      const [ra, rb, rc, ro] = [a, b, c, outsider].map((s) => new Recorder(s));
      for (const s of [a, b, c]) {
        const [res] = await ack(s, "join", room);
        assert.equal(res.ok, true);
        assert.ok(res.rooms.includes(room), `rooms ${JSON.stringify(res.rooms)} lack ${room}`);
      }
      await ack(c, "join", muted);

      // a → room except muted: b gets it; a (sender) and c (muted) and outsider do not
      assert.deepEqual(await ack(a, "broadcast", { room, except: muted, event: "news", args: ["hi", 1] }), [{ ok: true }]);
      // a second broadcast from b without except is the marker: per-connection order means
      // anything from the first broadcast would have arrived before it
      assert.deepEqual(await ack(b, "broadcast", { room, event: "marker", args: [] }), [{ ok: true }]);
      // and one that includes the sender (namespace-level To), for b
      assert.deepEqual(await ack(a, "broadcast", { room, event: "marker", args: [], self: true }), [{ ok: true }]);

      const bEvents = await rb.until("marker");
      assert.deepEqual(bEvents.map((e) => e.event), ["news", "marker"]);
      assert.deepEqual(bEvents[0].args, ["hi", 1]);
      const cEvents = await rc.until("marker");
      assert.deepEqual(cEvents.map((e) => e.event), ["marker"], "the except room must not get the broadcast");
      const aEvents = await ra.until("marker");
      assert.deepEqual(aEvents.map((e) => e.event), ["marker"], "the sender must not get its own broadcast");

      // outsider is in no room: it receives nothing; prove it with a direct echo as marker
      outsider.emit("echo", "outsider-marker");
      const oEvents = await ro.until("echo");
      assert.deepEqual(oEvents.map((e) => e.event), ["echo"]);

      // leaving the room stops delivery
      await ack(b, "leave", room);
      await ack(a, "broadcast", { room, event: "after-leave", args: [] });
      await ack(a, "broadcast", { room: muted, event: "marker2", args: [] });
      const cAfter = await rc.until("marker2");
      assert.ok(cAfter.some((e) => e.event === "after-leave"), "c is still in the room");
      b.emit("echo", "b-marker");
      const bAfter = await rb.until("echo");
      assert.ok(!bAfter.some((e) => e.event === "after-leave"), "b left the room but still got the broadcast");
    });

    it("sends binary both ways: events, nested attachments and acks", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const small = Buffer.from([0, 1, 2, 3, 255]);
      const big = pattern(200_000, 3);

      // client → server → client event with two attachments, one nested in an object
      const got = once(s, "binary echo");
      s.emit("binary echo", small, { label: "nested", data: big, n: 1 });
      const [x, y] = await got;
      assertBytes(x, small, "first attachment");
      assert.equal(y.label, "nested");
      assert.equal(y.n, 1);
      assertBytes(y.data, big, "nested attachment");

      // binary in an ack (client → server ack)
      const res = await ack(s, "binary echo", pattern(64, 9));
      assert.equal(res.length, 1);
      assertBytes(res[0], pattern(64, 9), "ack attachment");

      // server-made binary: an event and an ack
      const ev = once(s, "binary");
      const [given] = await ack(s, "give binary", { size: 1000, seed: 5 });
      assertBytes(given, pattern(1000, 5), "server ack attachment");
      const [evBytes, meta] = await ev;
      assertBytes(evBytes, pattern(1000, 5), "server event attachment");
      assert.deepEqual(meta, { size: 1000 });

      // binary in the client's ack to a server EmitWithAck
      s.on("question", (q, buf, cb) => cb("bytes", buf));
      const answer = await ack(s, "ask", { timeoutMs: WAIT_MS, args: ["b"], binary: { size: 300, seed: 1 } });
      assert.equal(answer[0], "ok");
      assert.equal(answer[1], "bytes");
      assertBytes(answer[2], pattern(300, 1), "binary in the client's ack");
    });

    it("server Disconnect(false) is seen as 'io server disconnect' and is not retried", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client("/", { reconnection: true }));
      const watcher = await ready(client());
      const id = s.id;
      const d = once(s, "disconnect");
      s.emit("kick me");
      const [reason] = await d;
      assert.equal(reason, "io server disconnect");
      assert.equal(s.connected, false);
      assert.equal(s.active, false, "a socket kicked by the server must not reconnect on its own");
      const srv = await waitFor(async () => (await ack(watcher, "reason of", id))[0], "the server-side disconnect reason");
      assert.equal(srv, "server namespace disconnect");
    });

    it("server Disconnect(true) closes the connection, still seen as 'io server disconnect'", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const d = once(s, "disconnect");
      s.emit("kick me hard");
      const [reason] = await d;
      assert.equal(reason, "io server disconnect");
    });

    it("client disconnect is seen by the server as 'client namespace disconnect'", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client());
      const watcher = await ready(client());
      const id = s.id;
      s.disconnect();
      const srv = await waitFor(async () => (await ack(watcher, "reason of", id))[0], "the server-side disconnect reason");
      assert.ok(
        ["client namespace disconnect", "transport close"].includes(srv),
        `server reason ${JSON.stringify(srv)}`,
      );
    });

    if (mode.name === "default upgrade") {
      it("upgrades polling → websocket without losing events sent during the upgrade", { timeout: TEST_TIMEOUT }, async () => {
        const s = client();
        const upgraded = once(s.io, "open").then(() => once(s.io.engine, "upgrade"));
        await connected(s);
        const acks = [];
        for (let i = 0; i < 20; i++) acks.push(ack(s, "ack echo", i));
        await upgraded;
        for (let i = 20; i < 40; i++) acks.push(ack(s, "ack echo", i));
        const res = await Promise.all(acks);
        assert.deepEqual(res, Array.from({ length: 40 }, (_, i) => [i]));
        assert.equal(s.io.engine.transport.name, "websocket");
      });
    }

    it("recovers the session after a dropped transport: same id, recovered, missed event delivered", { timeout: TEST_TIMEOUT }, async () => {
      const a = await ready(client("/", {}, RECOVERY_BASE));
      const b = await ready(client("/", {}, RECOVERY_BASE));
      const ra = new Recorder(a);
      const room = uniq("rec");
      await ack(a, "join", room);
      // one delivered event first, so the client holds an offset
      await ack(b, "broadcast", { room, event: "before", args: ["b1"] });
      const first = await ra.until("before");
      assert.deepEqual(stripOffset(a, first[first.length - 1].args), ["b1"]);
      assert.equal(typeof a._pid, "string", "the CONNECT reply must carry a pid when recovery is on");

      const oldId = a.id;
      const d = once(a, "disconnect");
      a.emit("drop transport", a.io.engine.id);
      const [reason] = await d;
      assert.ok(["transport close", "transport error"].includes(reason), `client reason ${reason}`);
      const srv = await waitFor(
        async () => (await ack(b, "reason of", oldId))[0],
        "the server to notice the dropped transport",
        WAIT_MS * 2,
      );
      assert.ok(["transport close", "transport error", "ping timeout"].includes(srv), `server reason ${srv}`);

      // missed while away: a room broadcast
      await ack(b, "broadcast", { room, event: "missed", args: ["m1", { n: 1 }] });
      a.connect();
      await connected(a);
      assert.equal(a.recovered, true);
      assert.equal(a.id, oldId);
      const evs = await ra.until("missed");
      assert.deepEqual(stripOffset(a, evs[evs.length - 1].args), ["m1", { n: 1 }]);
      const [who] = await ack(a, "whoami");
      assert.equal(who.recovered, true);
      assert.ok(who.rooms.includes(room), "rooms are restored");
      // still in the room after recovery
      await ack(b, "broadcast", { room, event: "after", args: ["a1"] });
      const later = await ra.until("after");
      assert.deepEqual(stripOffset(a, later[later.length - 1].args), ["a1"]);
    });

    it("a new socket without a recovery offset is not recovered", { timeout: TEST_TIMEOUT }, async () => {
      const s = await ready(client("/", {}, RECOVERY_BASE));
      assert.equal(s.recovered, false);
      const [who] = await ack(s, "whoami");
      assert.equal(who.recovered, false);
    });
  });
}
