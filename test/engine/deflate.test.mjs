// deflate.test.mjs: the Go engine with engineio.Config.PerMessageDeflate, driven by
// socket.io-client 4.8.x over WebSocket (its ws offers permessage-deflate and compresses
// messages from 1024 bytes on). The fixture counts the bytes through its TCP connections,
// so the test sees that large messages travel compressed both ways, and that
// Socket.Compress(false) sends them as they are.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { baseURL, connected, once, ack, TEST_TIMEOUT } from "./helpers.mjs";

const URL = baseURL("E2E_DEFLATE_URL");
const sockets = [];
after(() => sockets.forEach((s) => s.close()));

test("large messages are compressed both ways", { timeout: TEST_TIMEOUT }, async () => {
  const s = io(URL, { transports: ["websocket"], forceNew: true, reconnection: false, auth: { token: "good" } });
  sockets.push(s);
  await connected(s);
  const big = "compressible text ".repeat(10000); // 180 000 bytes

  let [before] = await ack(s, "wire bytes");
  let echoed = once(s, "echo");
  s.emit("echo", big);
  assert.equal((await echoed)[0], big);
  let [afterEcho] = await ack(s, "wire bytes");
  const read = afterEcho.read - before.read;
  const written = afterEcho.written - before.written;
  assert.ok(read < big.length / 10, `client to server: ${read} bytes on the wire for ${big.length}`);
  assert.ok(written < big.length / 10, `server to client: ${written} bytes on the wire for ${big.length}`);

  [before] = await ack(s, "wire bytes");
  echoed = once(s, "echo");
  s.emit("echo uncompressed", big);
  assert.equal((await echoed)[0], big);
  [afterEcho] = await ack(s, "wire bytes");
  const plain = afterEcho.written - before.written;
  assert.ok(plain > big.length, `Compress(false): ${plain} bytes on the wire for ${big.length}`);
});
