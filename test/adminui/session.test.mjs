// session.test.mjs checks the life of the session the Admin UI keeps (its `session`
// event, then {sessionId} in the CONNECT auth of every reconnection) on rtserver:
// it ends with SESSION_TTL, on POST /logout with it as the session cookie, and on
// /admin revoke of the user; each time the UI socket is disconnected and a
// reconnection with the old sessionId gets connect_error.
//   E2E_URL         rtserver, ADMIN_UI=1, DEMO=1, a short SESSION_TTL
//   E2E_SESSION_MS  that SESSION_TTL in milliseconds
// The cases run one after the other (node:test's default within a file): the
// revoke ends every session of admin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

const URL = process.env.E2E_URL;
const TTL = Number(process.env.E2E_SESSION_MS);
const NSP = "/admin-ui";
const ADMIN = { username: "admin", password: "admin-pass" };

const sockets = [];
function open(nsp, opts) {
  const s = io(URL + nsp, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
  sockets.push(s);
  return s;
}
test.after(() => sockets.forEach((s) => s.close()));

const connected = (s) => new Promise((resolve, reject) => { s.once("connect", resolve); s.once("connect_error", reject); });
const refused = (s) => new Promise((resolve, reject) => { s.once("connect", () => reject(new Error("connected"))); s.once("connect_error", resolve); });
function within(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

// ui connects the Admin UI with auth and returns the socket, the session id
// it was given (undefined when it reconnected with one) and its disconnect.
async function ui(auth) {
  const s = open(NSP, { auth });
  const session = new Promise((r) => s.once("session", r));
  const config = new Promise((r) => s.once("config", r));
  const disconnected = new Promise((r) => s.once("disconnect", r));
  await connected(s);
  await within(config, 3000, "config");
  const sid = auth.sessionId ? undefined : await within(session, 3000, "session");
  return { s, sid, disconnected };
}

// reuse logs the UI in, reconnects it with its session id and returns both.
async function reuse() {
  const first = await ui(ADMIN);
  assert.equal(typeof first.sid, "string");
  const again = await ui({ sessionId: first.sid });
  return [first, again];
}

async function oldSessionRefused(sid) {
  const err = await refused(open(NSP, { auth: { sessionId: sid } }));
  assert.equal(err.message, "invalid credentials");
  return err;
}

test("logout of the UI's session disconnects it; its sessionId is refused", async () => {
  const [first, again] = await reuse();
  const res = await fetch(URL + "/logout", { method: "POST", headers: { Cookie: `session=${first.sid}` } });
  assert.equal(res.status, 204);
  for (const u of [first, again]) {
    assert.equal(await within(u.disconnected, 3000, "disconnect after logout"), "io server disconnect");
  }
  const err = await oldSessionRefused(first.sid);
  assert.equal(err.data?.code, "revoked");
});

test("/admin revoke of the user disconnects the UI; its sessionId is refused", async () => {
  const [first, again] = await reuse();
  const res = await fetch(URL + "/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(ADMIN) });
  assert.equal(res.status, 200);
  const { token } = await res.json();
  const adm = open("/admin", { auth: { token } });
  await connected(adm);
  // admin revokes itself: its /admin socket is disconnected too, which may
  // come before the ack (the revoke sweeps, then acks).
  const admGone = new Promise((r) => adm.once("disconnect", r));
  const ack = adm.emitWithAck("revoke", { user: "admin" }).catch(() => null);
  const first_ = await within(Promise.race([ack, admGone]), 3000, "revoke ack or /admin disconnect");
  if (first_ && typeof first_ === "object") assert.ok(first_.ok && first_.sessions >= 2, JSON.stringify(first_));
  else assert.equal(first_ ?? (await admGone), "io server disconnect");
  for (const u of [first, again]) {
    assert.equal(await within(u.disconnected, 3000, "disconnect after revoke"), "io server disconnect");
  }
  const err = await oldSessionRefused(first.sid);
  assert.equal(err.data?.code, "revoked");
});

test("the UI's session ends with SESSION_TTL", async () => {
  assert.ok(TTL > 0, "E2E_SESSION_MS is set");
  const start = Date.now();
  const [first, again] = await reuse();
  for (const u of [first, again]) {
    assert.equal(await within(u.disconnected, TTL + 3000, "disconnect at SESSION_TTL"), "io server disconnect");
  }
  const took = Date.now() - start;
  assert.ok(took >= TTL - 500, `disconnected after ${took} ms, SESSION_TTL is ${TTL} ms`);
  await oldSessionRefused(first.sid);
});
