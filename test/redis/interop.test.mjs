// interop.test.mjs: a Node.js socket.io 4.8.4 node with @socket.io/redis-adapter 8.x and
// the Go node (E2E_GO_URL, started by e2e_test.go) on one redis (E2E_REDIS_URL), with
// real socket.io-client 4.8.4 clients on both and @socket.io/redis-emitter 5.x.
//
// Every wait is bounded only so that a broken node fails with a message instead of a
// hang; no assertion depends on speed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createClient } from "redis";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { io as ioc } from "socket.io-client";

const WAIT_MS = Number(process.env.E2E_WAIT_MS || 10000);
const GO = env("E2E_GO_URL").replace(/\/+$/, "");
const REDIS = env("E2E_REDIS_URL");
// E2E_ADAPTER=streams runs the same cases with @socket.io/redis-streams-adapter 0.3.x on
// the Node node and the streams adapter on the Go node (the emitter case aside: the
// emitter speaks pub/sub only).
const STREAMS = process.env.E2E_ADAPTER === "streams";

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite through go test -tags e2e ./test/redis/`);
  return v;
}

function withTimeout(p, what, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

const once = (emitter, event) => withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), event);

// onceWhere resolves with the args of the first event whose first argument is first: a
// sender is in the room it broadcasts to, so its own earlier copy may still be on the way.
function onceWhere(emitter, event, first) {
  return withTimeout(new Promise((resolve) => {
    const fn = (...args) => {
      if (args[0] !== first) return;
      emitter.off(event, fn);
      resolve(args);
    };
    emitter.on(event, fn);
  }), `${event} ${first}`);
}

async function eventually(what, fn) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`condition not met: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ctl(path) {
  const res = await fetch(GO + "/ctl/" + path);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.result;
}

// The Node node: the same application as the Go node (see gonode_test.go).
let io, httpServer, nodeURL, pub, sub, emitterClient, emitter;
const nodeSSE = [];
const clients = [];

before(async () => {
  pub = createClient({ url: REDIS });
  sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  httpServer = createServer();
  io = new Server(httpServer, { adapter: STREAMS ? createStreamsAdapter(pub) : createAdapter(pub, sub) });
  io.on("connection", (s) => {
    const { rooms, user } = s.handshake.query;
    if (rooms) s.join(rooms.split(","));
    if (user) s.data = { user };
    s.on("say", ({ room, text }) => io.to(room).emit("said", text, s.id, "node"));
    s.on("say bin", ({ room }) => io.to(room).emit("said bin", Buffer.from([4, 5, 6]), "node"));
  });
  io.on("hello", (...args) => nodeSSE.push(args));
  io.on("ask-nodes", (q, cb) => cb("node answers " + q));
  await new Promise((r) => httpServer.listen(0, "127.0.0.1", r));
  nodeURL = `http://127.0.0.1:${httpServer.address().port}`;
  emitterClient = createClient({ url: REDIS });
  await emitterClient.connect();
  emitter = new Emitter(emitterClient);
  // Both nodes subscribed: each sees two servers.
  await eventually("two servers seen by Node", async () => (await io.of("/").adapter.serverCount()) === 2);
  await eventually("two servers seen by Go", async () => (await ctl("count")) === 2);
});

after(async () => {
  for (const c of clients) c.disconnect();
  io.close();
  await Promise.all([pub.quit(), sub.quit(), emitterClient.quit()]);
});

async function connect(base, query) {
  const c = ioc(base, { transports: ["websocket"], query, reconnection: false, forceNew: true });
  clients.push(c);
  await once(c, "connect");
  return c;
}

// Joins run after the CONNECT reply on both servers: wait until the server sees them.
async function joined(base, c, room) {
  if (base === GO) {
    await eventually(`${c.id} in ${room} on Go`, async () => (await ctl("rooms?id=" + c.id)).includes(room));
  } else {
    await eventually(`${c.id} in ${room} on Node`, async () => io.of("/").sockets.get(c.id)?.rooms.has(room));
  }
}

test("serverCount is 2 on both nodes", async () => {
  assert.equal(await io.of("/").adapter.serverCount(), 2);
  assert.equal(await ctl("count"), 2);
});

test("room broadcasts reach clients on both nodes, both ways, binary included", async () => {
  const g = await connect(GO, { rooms: "lobby" });
  const n = await connect(nodeURL, { rooms: "lobby" });
  await joined(GO, g, "lobby");
  await joined(nodeURL, n, "lobby");

  let got = onceWhere(n, "said", "from go client");
  g.emit("say", { room: "lobby", text: "from go client" });
  assert.deepEqual(await got, ["from go client", g.id, "go"]);

  got = onceWhere(g, "said", "from node client");
  n.emit("say", { room: "lobby", text: "from node client" });
  assert.deepEqual(await got, ["from node client", n.id, "node"]);

  got = withTimeout(new Promise((resolve) => n.on("said bin", (...args) => args[1] === "go" && resolve(args))), "said bin from go");
  g.emit("say bin", { room: "lobby" });
  const [b1, w1] = await got;
  assert.deepEqual([...new Uint8Array(b1)], [1, 2, 3]);
  assert.equal(w1, "go");

  got = withTimeout(new Promise((resolve) => g.on("said bin", (...args) => args[1] === "node" && resolve(args))), "said bin from node");
  n.emit("say bin", { room: "lobby" });
  const [b2, w2] = await got;
  assert.deepEqual([...new Uint8Array(b2)], [4, 5, 6]);
  assert.equal(w2, "node");

  // except across nodes: a Node broadcast to lobby except the Go client's id.
  const other = await connect(GO, { rooms: "lobby" });
  await joined(GO, other, "lobby");
  let missed = false;
  g.once("x-except", () => (missed = true));
  got = once(other, "x-except");
  io.to("lobby").except(g.id).emit("x-except", 1);
  assert.deepEqual(await got, [1]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(missed, false, "the excepted Go client got the broadcast");
});

test("fetchSockets from Node sees Go sockets, and from Go sees Node sockets", async () => {
  const g = await connect(GO, { rooms: "fetch", user: "gopher" });
  const n = await connect(nodeURL, { rooms: "fetch", user: "noder" });
  await joined(GO, g, "fetch");
  await joined(nodeURL, n, "fetch");

  const socks = await io.in("fetch").fetchSockets();
  const remote = socks.find((s) => s.id === g.id);
  assert.ok(remote, "Go socket missing from Node's fetchSockets");
  assert.ok(remote.rooms.has("fetch"));
  assert.deepEqual(remote.data, { user: "gopher" });
  assert.equal(remote.handshake.query.user, "gopher");
  assert.equal(typeof remote.handshake.issued, "number");
  assert.ok(socks.find((s) => s.id === n.id));

  // A RemoteSocket from Node acts on the Go socket through Redis.
  const got = once(g, "direct");
  remote.emit("direct", "to go");
  assert.deepEqual(await got, ["to go"]);

  const fromGo = await ctl("fetch?room=fetch");
  const nodeSock = fromGo.find((s) => s.id === n.id);
  assert.ok(nodeSock, "Node socket missing from Go's FetchSockets: " + JSON.stringify(fromGo));
  assert.equal(nodeSock.local, false);
  assert.ok(nodeSock.rooms.includes("fetch"));
  assert.deepEqual(nodeSock.data, { user: "noder" });
  assert.deepEqual(nodeSock.query.user, ["noder"]);
  assert.ok(fromGo.find((s) => s.id === g.id && s.local));
});

test("disconnectSockets across nodes, both ways", async () => {
  const g = await connect(GO, {});
  const n = await connect(nodeURL, {});
  let got = once(g, "disconnect");
  io.in(g.id).disconnectSockets();
  assert.deepEqual((await got)[0], "io server disconnect");

  got = once(n, "disconnect");
  await ctl("disconnect?room=" + encodeURIComponent(n.id));
  assert.deepEqual((await got)[0], "io server disconnect");
});

test("socketsJoin across nodes, both ways", async () => {
  const g = await connect(GO, {});
  const n = await connect(nodeURL, {});
  io.in(g.id).socketsJoin("joined-by-node");
  await joined(GO, g, "joined-by-node");
  await ctl(`join?room=${encodeURIComponent(n.id)}&to=joined-by-go`);
  await joined(nodeURL, n, "joined-by-go");
  io.in(g.id).socketsLeave("joined-by-node");
  await eventually("Go socket left", async () => !(await ctl("rooms?id=" + g.id)).includes("joined-by-node"));
});

test("@socket.io/redis-emitter reaches Go sockets", { skip: STREAMS && "pub/sub only" }, async () => {
  const g = await connect(GO, { rooms: "emitted" });
  await joined(GO, g, "emitted");
  let got = once(g, "from emitter");
  emitter.to("emitted").emit("from emitter", { a: 1 }, Buffer.from([9, 8]));
  const [obj, bin] = await got;
  assert.deepEqual(obj, { a: 1 });
  assert.deepEqual([...new Uint8Array(bin)], [9, 8]);

  emitter.in(g.id).socketsJoin("emitter-room");
  await joined(GO, g, "emitter-room");
  emitter.serverSideEmit("hello", "from emitter");
  await eventually("Go got the emitter's serverSideEmit", async () =>
    (await ctl("sse-received")).some((e) => e.event === "hello" && e.args[0] === "from emitter"));

  got = once(g, "disconnect");
  emitter.in("emitter-room").disconnectSockets();
  assert.equal((await got)[0], "io server disconnect");
});

test("serverSideEmit both ways", async () => {
  io.serverSideEmit("hello", "from node", 2);
  await eventually("Go got Node's serverSideEmit", async () =>
    (await ctl("sse-received")).some((e) => e.event === "hello" && e.args[0] === "from node" && e.args[1] === 2));
  await ctl("sse?event=hello&arg=from%20go");
  await eventually("Node got Go's serverSideEmit", async () => nodeSSE.some((a) => a[0] === "from go"));
});

test("serverSideEmitWithAck both ways", async () => {
  const fromNode = await io.serverSideEmitWithAck("ask-nodes", "n?");
  assert.deepEqual(fromNode, ["go answers n?"]);
  const fromGo = await ctl("sse-ack?event=ask-nodes");
  assert.deepEqual(fromGo, ["node answers go?"]);
});

test("broadcast with acks across nodes, both ways", async () => {
  for (const c of clients) c.disconnect();
  clients.length = 0;
  const g = await connect(GO, {});
  const n = await connect(nodeURL, {});
  g.on("ask", (q, cb) => cb("go answers " + q));
  n.on("ask", (q, cb) => cb("node answers " + q));

  const fromNode = await io.timeout(5000).emitWithAck("ask", "n?");
  assert.deepEqual(fromNode.sort(), ["go answers n?", "node answers n?"]);

  const fromGo = await ctl("ask?event=ask");
  assert.deepEqual(fromGo.sort(), ["go answers go?", "node answers go?"]);
});
