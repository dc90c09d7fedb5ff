// protocol.test.mjs checks the Admin UI protocol as @socket.io/admin-ui 0.5.1's UI
// speaks it, with socket.io-client: it runs against rtserver (ADMIN_UI=1) and against
// reference-fixture.mjs (Node's instrument()), so every expectation holds on Node.
//   E2E_URL           server in development mode, read-write
//   E2E_READONLY_URL  the same with ADMIN_UI_READONLY=1
//   E2E_URL2          optional: a second node of E2E_URL's cluster (Redis); the
//                     other cases then run on the cluster's first node
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

const URL = process.env.E2E_URL;
const RO_URL = process.env.E2E_READONLY_URL;
const NSP = "/admin-ui";
const ADMIN = { username: "admin", password: "admin-pass" };

const sockets = [];
function open(url, nsp, opts) {
  const s = io(url + nsp, { forceNew: true, reconnection: false, ...opts });
  sockets.push(s);
  return s;
}
test.after(() => sockets.forEach((s) => s.close()));

// recorder keeps every event a UI socket gets and waits for one that matches.
function recorder(s) {
  const seen = [];
  const waiters = [];
  s.onAny((ev, ...args) => {
    seen.push([ev, ...args]);
    for (const w of [...waiters]) if (w.match(ev, args)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(args); }
  });
  return {
    seen,
    wait(ev, pred = () => true, ms = 5000) {
      const found = seen.find(([e, ...a]) => e === ev && pred(...a));
      if (found) return Promise.resolve(found.slice(1));
      return new Promise((resolve, reject) => {
        const w = { match: (e, a) => e === ev && pred(...a), resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`no ${ev} within ${ms} ms; seen ${seen.map((x) => x[0]).join(",")}`)), ms);
      });
    },
  };
}

const connected = (s) => new Promise((resolve, reject) => { s.once("connect", resolve); s.once("connect_error", reject); });
const refused = (s) => new Promise((resolve, reject) => { s.once("connect", () => reject(new Error("connected"))); s.once("connect_error", resolve); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function adminUI(url = URL, auth = ADMIN, opts = {}) {
  const s = open(url, NSP, { auth, transports: ["websocket"], ...opts });
  const rec = recorder(s);
  await connected(s);
  return { s, rec };
}

// demoUser logs alice in (POST /login) and connects her to /chat.
async function demoUser(url = URL, opts = {}) {
  const res = await fetch(url + "/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "alice", password: "alice-pass" }) });
  assert.equal(res.status, 200);
  const { token } = await res.json();
  const s = open(url, "/chat", { auth: { token }, ...opts });
  await connected(s);
  return s;
}

test("refused credentials get connect_error", async () => {
  for (const auth of [{}, { username: "admin", password: "wrong" }, { username: "alice", password: "alice-pass" }, { sessionId: "not-a-session" }]) {
    const err = await refused(open(URL, NSP, { auth, transports: ["websocket"] }));
    assert.equal(err.message, "invalid credentials", JSON.stringify(auth));
  }
});

test("config, session, all_sockets and server_stats", async () => {
  const { s, rec } = await adminUI();
  const [sid] = await rec.wait("session");
  assert.equal(typeof sid, "string");
  assert.ok(sid.length >= 8);
  const [cfg] = await rec.wait("config");
  assert.deepEqual([...cfg.supportedFeatures].sort(), ["AGGREGATED_EVENTS", "ALL_EVENTS", "DISCONNECT", "EMIT", "JOIN", "LEAVE", "MDISCONNECT", "MJOIN", "MLEAVE"]);
  const [all] = await rec.wait("all_sockets");
  const me = all.find((x) => x.id === s.id);
  assert.ok(me, "all_sockets lists the UI's own socket");
  for (const k of ["id", "clientId", "transport", "nsp", "data", "handshake", "rooms"]) assert.ok(k in me, k);
  assert.equal(me.nsp, NSP);
  assert.equal(me.transport, "websocket");
  assert.ok(me.rooms.includes(s.id));
  assert.equal(typeof me.handshake.time, "string");
  assert.equal(typeof me.handshake.issued, "number");
  assert.equal(me.handshake.auth, undefined, "the auth payload (a password) is never shown");
  const [stats] = await rec.wait("server_stats", () => true, 4000);
  assert.equal(typeof stats.serverId, "string");
  assert.equal(typeof stats.hostname, "string");
  assert.equal(typeof stats.pid, "number");
  assert.equal(typeof stats.uptime, "number");
  assert.ok(stats.clientsCount >= 1);
  assert.equal(typeof stats.pollingClientsCount, "number");
  assert.ok(Array.isArray(stats.aggregatedEvents));
  for (const e of stats.aggregatedEvents) {
    assert.equal(typeof e.timestamp, "number");
    assert.equal(e.timestamp % 1000, 0);
    assert.equal(typeof e.type, "string");
    assert.equal(typeof e.count, "number");
  }
  assert.deepEqual(stats.namespaces.find((n) => n.name === NSP), { name: NSP, socketsCount: stats.namespaces.find((n) => n.name === NSP).socketsCount });
  assert.ok(stats.namespaces.find((n) => n.name === NSP).socketsCount >= 1);
});

test("the session id logs the UI back in, without a new session event", async () => {
  const first = await adminUI();
  const [sid] = await first.rec.wait("session");
  const again = await adminUI(URL, { sessionId: sid });
  await again.rec.wait("config");
  assert.equal(again.rec.seen.find(([e]) => e === "session"), undefined);
  // The session id wins over a wrong password, as in Node.
  await adminUI(URL, { sessionId: sid, username: "admin", password: "wrong" });
});

test("socket, room and event events; transport upgrade", async () => {
  const { rec } = await adminUI();
  await rec.wait("config");
  const user = await demoUser(URL, { transports: ["polling", "websocket"] });
  const [sock, ts] = await rec.wait("socket_connected", (x) => x.id === user.id);
  assert.equal(sock.nsp, "/chat");
  assert.ok(["polling", "websocket"].includes(sock.transport));
  assert.ok(!Number.isNaN(Date.parse(ts)));
  await rec.wait("room_joined", (nsp, room, id) => nsp === "/chat" && room === user.id && id === user.id);
  if (sock.transport === "polling") {
    const [upd] = await rec.wait("socket_updated", (u) => u.id === user.id);
    assert.deepEqual(upd, { id: user.id, nsp: "/chat", transport: "websocket" });
  }
  await user.emitWithAck("join", "lobby");
  await rec.wait("room_joined", (nsp, room, id) => nsp === "/chat" && room === "lobby" && id === user.id);
  const [, , args] = await rec.wait("event_received", (nsp, id) => nsp === "/chat" && id === user.id);
  assert.deepEqual(args.slice(0, 2), ["join", "lobby"]);
  const uid = user.id; // socket.io-client forgets it on disconnect
  user.disconnect();
  const [, , reason] = await rec.wait("socket_disconnected", (nsp, id) => nsp === "/chat" && id === uid);
  assert.equal(reason, "client namespace disconnect");
  await rec.wait("room_left", (nsp, room, id) => room === "lobby" && id === uid);
});

test("commands: join, leave, emit, _disconnect reach the client", async () => {
  const { s, rec } = await adminUI();
  await rec.wait("config");
  const user = await demoUser(URL, { transports: ["websocket"] });
  await rec.wait("socket_connected", (x) => x.id === user.id);

  s.emit("join", "/chat", "ops", user.id);
  await rec.wait("room_joined", (nsp, room, id) => nsp === "/chat" && room === "ops" && id === user.id);
  const got = new Promise((r) => user.once("from-ui", (...a) => r(a)));
  s.emit("emit", "/chat", "ops", "from-ui", "hello", 2);
  // A server with connection state recovery (rtserver's default) appends the
  // broadcast's offset, as Node's does.
  assert.deepEqual((await got).slice(0, 2), ["hello", 2]);
  await rec.wait("event_sent", (nsp, id, args) => id === user.id && args[0] === "from-ui");
  s.emit("leave", "/chat", "ops", user.id);
  await rec.wait("room_left", (nsp, room, id) => room === "ops" && id === user.id);

  // Bad input is dropped; the server and the other namespaces go on.
  s.emit("no-such-command", 1);
  s.emit("join", 42);
  s.emit("emit", "/chat", 7, "x");
  s.emit("_disconnect", "/no-such-namespace", false, user.id);
  await sleep(200);
  assert.ok(user.connected);

  const uid = user.id;
  const reason = new Promise((r) => user.once("disconnect", r));
  s.emit("_disconnect", "/chat", false, uid);
  assert.equal(await reason, "io server disconnect");
  const [, , why] = await rec.wait("socket_disconnected", (nsp, id) => id === uid);
  assert.equal(why, "server namespace disconnect");
  // The UI's own connection is unharmed.
  assert.ok(s.connected);
});

test("read-only mode: no commands", async () => {
  const { s, rec } = await adminUI(RO_URL);
  const [cfg] = await rec.wait("config");
  assert.deepEqual([...cfg.supportedFeatures].sort(), ["AGGREGATED_EVENTS", "ALL_EVENTS"]);
  const user = await demoUser(RO_URL, { transports: ["websocket"] });
  s.emit("_disconnect", "/chat", false, user.id);
  s.emit("join", "/chat", "ops", user.id);
  await sleep(500);
  assert.ok(user.connected);
  assert.equal(rec.seen.find(([e, , room]) => e === "room_joined" && room === "ops"), undefined);
});

test("a second node's stats and sockets reach the UI", { skip: !process.env.E2E_URL2 }, async () => {
  const URL2 = process.env.E2E_URL2;
  const before = await demoUser(URL2, { transports: ["websocket"] });
  const { rec } = await adminUI();
  const [all] = await rec.wait("all_sockets");
  const remote = all.find((x) => x.id === before.id);
  assert.ok(remote, "all_sockets lists a socket of the other node");
  assert.equal(remote.nsp, "/chat");
  assert.ok(remote.rooms.includes(before.id));
  const [a] = await rec.wait("server_stats", () => true, 5000);
  const [b] = await rec.wait("server_stats", (x) => x.serverId !== a.serverId, 8000);
  assert.notEqual(a.serverId, b.serverId);
  // The other node's events reach the UI as they happen.
  const after = await demoUser(URL2, { transports: ["websocket"] });
  const [sock] = await rec.wait("socket_connected", (x) => x.id === after.id);
  assert.equal(sock.nsp, "/chat");
});
