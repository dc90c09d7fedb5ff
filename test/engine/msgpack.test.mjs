// msgpack.test.mjs: the Go engine with socketio/msgpackparser, driven by socket.io-client
// 4.8.x with the npm socket.io-msgpack-parser 3.0.2 (clients must use the server's parser):
// events, acknowledgements both ways, binary (top level and nested), namespaces, rooms and
// connect_error, over WebSocket and long-polling.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { baseURL, connected, connectError, once, ack, assertBytes, pattern, uniq, TEST_TIMEOUT } from "./helpers.mjs";

const URL = baseURL("E2E_MSGPACK_URL");
const sockets = [];
after(() => sockets.forEach((s) => s.close()));

function client(nsp, opts) {
  const s = io(URL + nsp, { parser: msgpackParser, forceNew: true, reconnection: false, auth: { token: "good" }, ...opts });
  sockets.push(s);
  return s;
}

for (const transports of [["websocket"], ["polling"]]) {
  const name = transports[0];

  test(`${name}: events and acknowledgements`, { timeout: TEST_TIMEOUT }, async () => {
    const s = await connected(client("/", { transports }));
    const [who] = await ack(s, "whoami");
    assert.equal(who.id, s.id);
    assert.deepEqual(who.auth, { token: "good" });

    const payload = [1, "two", { three: [3.5, true, null], "ü": -7 }, 2 ** 40];
    s.emit("echo", ...payload);
    assert.deepEqual(await once(s, "echo"), payload);
    assert.deepEqual(await ack(s, "ack echo", "a", { b: [1, 2] }), ["a", { b: [1, 2] }]);

    // the server asks, the client answers
    s.once("question", (q, cb) => cb({ answer: q * 2 }));
    assert.deepEqual(await ack(s, "ask", { timeoutMs: 5000, args: [21] }), ["ok", { answer: 42 }]);
  });

  test(`${name}: binary inline, top level and nested`, { timeout: TEST_TIMEOUT }, async () => {
    const s = await connected(client("/", { transports }));
    const [bin, nested, text] = await ack(s, "binary echo", pattern(300, 1), { deep: [pattern(5, 2)] }, "t");
    assertBytes(bin, pattern(300, 1));
    assertBytes(nested.deep[0], pattern(5, 2), "nested binary");
    assert.equal(text, "t");

    const got = once(s, "binary");
    const [acked] = await ack(s, "give binary", { size: 70000, seed: 3 });
    assertBytes(acked, pattern(70000, 3), "acked binary");
    const [emitted, meta] = await got;
    assertBytes(emitted, pattern(70000, 3), "emitted binary");
    assert.deepEqual(meta, { size: 70000 });

    s.once("question", (q, b, cb) => cb(b));
    const [status, answer] = await ack(s, "ask", { timeoutMs: 5000, args: ["bytes?"], binary: { size: 16, seed: 4 } });
    assert.equal(status, "ok");
    assertBytes(answer, pattern(16, 4), "binary answer");
  });

  test(`${name}: namespaces, rooms and connect_error`, { timeout: TEST_TIMEOUT }, async () => {
    const a = await connected(client("/dyn-7", { transports }));
    const b = await connected(client("/dyn-7", { transports }));
    const room = uniq("room");
    await ack(a, "join", room);
    await ack(b, "join", room);
    const got = once(b, "hello");
    assert.deepEqual(await ack(a, "broadcast", { room, event: "hello", args: ["from a", 1] }), [{ ok: true }]);
    assert.deepEqual(await got, ["from a", 1]);

    let err = await connectError(client("/admin", { transports }));
    assert.equal(err.message, "forbidden");
    assert.deepEqual(err.data, { code: "admin_only" });
    err = await connectError(client("/", { transports, auth: { token: "bad" } }));
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(err.data, { code: "invalid_token" });
    err = await connectError(client("/nowhere", { transports }));
    assert.equal(err.message, "Invalid namespace");

    const gone = once(a, "disconnect");
    a.emit("kick me");
    assert.equal((await gone)[0], "io server disconnect");
  });
}

test("a client with the default parser gets nowhere", { timeout: TEST_TIMEOUT }, async () => {
  const s = io(URL, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: "good" } });
  sockets.push(s);
  const [reason] = await once(s, "disconnect").catch(() => ["no disconnect"]);
  assert.equal(s.connected, false, "connected with a JSON client: " + reason);
});
