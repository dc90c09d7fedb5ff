// cluster.test.mjs: two rtserver nodes (a and b) on one Redis and one PostgreSQL, with
// nginx in front (see cluster_test.go), driven by the real socket.io-client 4.8.4.
//   "nginx ..."       through nginx: upgrade, polling-only, handshakes over both nodes
//   "cross-node ..."  clients pinned to node a and node b directly
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  NGINX, A, B, PUBLISH_KEY,
  uniq, sleep, login, connect, closeAll, nodeOf, ack, waitFor, eventually,
} from './helpers.mjs';

afterEach(closeAll);

const tokens = {};
async function token(user) {
  tokens[user] ??= (await login(user)).token;
  return tokens[user];
}

// ---- nginx ----

test('nginx: the demo page logs in through nginx, as a browser does (Origin is the page\'s own)', async () => {
  // A browser on http://127.0.0.1:<nginx port>/ sends that Origin: nginx must pass the
  // Host with its port ($http_host), or the node's same-origin rule refuses the login.
  for (let i = 0; i < 4; i++) { // both nodes, whichever nginx picks
    const res = await fetch(`${NGINX}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: new URL(NGINX).origin },
      body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
    });
    assert.equal(res.status, 200, await res.text());
  }
});

test('nginx: a client that starts on polling upgrades to WebSocket and chats', async () => {
  const room = uniq();
  const alice = await connect(NGINX, '/chat', await token('alice'));
  assert.match(alice.io.engine.id, /^[ab]\./, 'sid carries the node id');
  await eventually('upgrade to websocket', () => alice.io.engine.transport.name === 'websocket');
  const bob = await connect(NGINX, '/chat', await token('bob'));
  await eventually('bob upgraded', () => bob.io.engine.transport.name === 'websocket');
  await ack(alice, 'join', room);
  await ack(bob, 'join', room);

  for (let i = 0; i < 5; i++) {
    let got = waitFor(bob, 'message', (m) => m.text === `a${i}`);
    const res = await ack(alice, 'message', { room, text: `a${i}` });
    assert.equal((await got)[0].id, res.id);
    got = waitFor(alice, 'message', (m) => m.text === `b${i}`);
    await ack(bob, 'message', { room, text: `b${i}` });
    await got;
  }
  assert.equal(alice.io.engine.transport.name, 'websocket');
  console.log(`# upgrade: alice on node ${nodeOf(alice)}, bob on node ${nodeOf(bob)}`);
});

test('nginx: polling-only clients keep their node over many requests', async () => {
  const room = uniq();
  const opts = { transports: ['polling'] };
  const alice = await connect(NGINX, '/chat', await token('alice'), opts);
  const bob = await connect(NGINX, '/chat', await token('bob'), opts);
  await ack(alice, 'join', room);
  await ack(bob, 'join', room);
  let disconnected = null;
  for (const s of [alice, bob]) s.on('disconnect', (r) => { disconnected = r; });
  const seen = { alice: [], bob: [] };
  alice.on('message', (m) => m.room === room && seen.alice.push(m.text));
  bob.on('message', (m) => m.room === room && seen.bob.push(m.text));

  const n = 25;
  for (let i = 0; i < n; i++) {
    await ack(alice, 'message', { room, text: `a${i}` });
    await ack(bob, 'message', { room, text: `b${i}` });
  }
  await eventually('every message delivered', () => seen.alice.length === n && seen.bob.length === n);
  assert.deepEqual(seen.bob, Array.from({ length: n }, (_, i) => `a${i}`));
  assert.deepEqual(seen.alice, Array.from({ length: n }, (_, i) => `b${i}`));
  // A long-poll held across more than one request window, too.
  await sleep(1500);
  assert.equal(disconnected, null, `a polling client was disconnected: ${disconnected}`);
  assert.equal(alice.io.engine.transport.name, 'polling');
  assert.equal(alice.connected && bob.connected, true);
  console.log(`# polling: alice on node ${nodeOf(alice)}, bob on node ${nodeOf(bob)}, ${4 * n} acked emits`);
});

test('nginx: handshakes are spread over both nodes', async () => {
  const count = { a: 0, b: 0 };
  const t = await token('carol');
  for (let i = 0; i < 20; i++) {
    const opts = i % 2 ? { transports: ['websocket'] } : {};
    const s = await connect(NGINX, '/chat', t, opts);
    count[nodeOf(s)]++;
    s.disconnect();
  }
  console.log(`# handshakes via nginx: node a ${count.a}, node b ${count.b}`);
  assert.ok(count.a >= 5 && count.b >= 5, JSON.stringify(count));
});

// ---- cross-node: alice on a, bob on b ----

async function pair(room) {
  const alice = await connect(A, '/chat', await token('alice'));
  const bob = await connect(B, '/chat', await token('bob'));
  assert.equal(nodeOf(alice), 'a');
  assert.equal(nodeOf(bob), 'b');
  await ack(alice, 'join', room);
  await ack(bob, 'join', room);
  return { alice, bob };
}

test('cross-node: chat in one room, ack after store, shared history', async () => {
  const room = uniq();
  const { alice, bob } = await pair(room);
  let got = waitFor(bob, 'message', (m) => m.text === 'hello from a');
  const r1 = await ack(alice, 'message', { room, text: 'hello from a', cid: uniq('cid') });
  assert.ok(r1.id && r1.ts);
  const [m1] = await got;
  assert.deepEqual({ id: m1.id, room: m1.room, from: m1.from.id }, { id: r1.id, room, from: 'alice' });

  got = waitFor(alice, 'message', (m) => m.text === 'hello from b');
  const r2 = await ack(bob, 'message', { room, text: 'hello from b' });
  assert.equal((await got)[0].id, r2.id);

  // The store is shared: history on either node has both, in order.
  const h = await ack(bob, 'history', { room });
  assert.deepEqual(h.messages.map((m) => m.id), [r1.id, r2.id]);
  const carol = await connect(A, '/chat', await token('carol'));
  const j = await ack(carol, 'join', room);
  assert.deepEqual(j.history.map((m) => m.text), ['hello from a', 'hello from b']);
  assert.deepEqual(j.members.map((u) => u.id).sort(), ['alice', 'bob', 'carol']);
});

test('cross-node: typing reaches the other node', async () => {
  const room = uniq();
  const { alice, bob } = await pair(room);
  // typing is volatile: send it again until it arrives (at most 2 a second are kept).
  const got = waitFor(bob, 'typing', (p) => p.room === room && p.from.id === 'alice');
  let done = false;
  got.finally(() => { done = true; }).catch(() => {});
  for (let i = 0; i < 8 && !done; i++) {
    alice.emit('typing', { room });
    await sleep(600);
  }
  const [p] = await got;
  assert.deepEqual(p, { room, from: { id: 'alice', name: p.from.name } });
});

test('cross-node: presence online and offline across nodes', async () => {
  const room = uniq();
  const bob = await connect(B, '/chat', await token('bob'));
  await ack(bob, 'join', room);
  const carol = await connect(A, '/chat', await token('carol'));
  const on = waitFor(bob, 'presence', (p) => p.room === room && p.user.id === 'carol' && p.online === true);
  const j = await ack(carol, 'join', room);
  assert.deepEqual(j.members.map((u) => u.id).sort(), ['bob', 'carol'], 'members counts users on node b');
  await on;
  const users = await ack(bob, 'users');
  assert.equal(users.users.find((u) => u.id === 'carol')?.online, true, 'users on node b sees carol online on node a');
  const off = waitFor(bob, 'presence', (p) => p.room === room && p.user.id === 'carol' && p.online === false);
  carol.disconnect();
  await off;
});

test('cross-node: a user on both nodes stays online until their last socket leaves', async () => {
  const room = uniq();
  const bob = await connect(B, '/chat', await token('bob'));
  await ack(bob, 'join', room);
  const carolA = await connect(A, '/chat', await token('carol'));
  const carolB = await connect(B, '/chat', await token('carol'));
  const events = [];
  bob.on('presence', (p) => p.room === room && p.user.id === 'carol' && events.push(p.online));
  await ack(carolA, 'join', room);
  await ack(carolB, 'join', room);
  carolA.disconnect();
  await sleep(500);
  assert.deepEqual(events, [true], 'one online, no offline while carol is still on node b');
  const off = waitFor(bob, 'presence', (p) => p.room === room && p.user.id === 'carol' && p.online === false);
  carolB.disconnect();
  await off;
});

test('cross-node: /admin online on node a lists a user connected to node b only, each user once', async () => {
  const carol = [await connect(B, '/chat', await token('carol')), await connect(B, '/', await token('carol'))];
  const bobA = await connect(A, '/chat', await token('bob'));
  const bobB = await connect(B, '/notifications', await token('bob'));
  const admin = await connect(A, '/admin', await token('admin'));
  // Sockets of earlier cases may take a moment to go.
  let online;
  await eventually('carol (node b: 2 sockets) and bob (a and b: 2) listed on node a', async () => {
    online = await ack(admin, 'online');
    const by = Object.fromEntries(online.users.map((u) => [u.id, u]));
    return by.carol?.sockets === 2 && by.bob?.sockets === 2;
  });
  const ids = online.users.map((u) => u.id);
  assert.equal(new Set(ids).size, ids.length, 'each user once');
  assert.ok(online.users.find((u) => u.id === 'carol').name, 'the remote user is named');
  assert.equal(online.partial, undefined, 'every node answered');
  for (const s of [...carol, bobA, bobB]) s.disconnect();
});

test('cross-node: /admin kick on node a disconnects the socket on node b and counts it', async () => {
  const carol = await connect(B, '/chat', await token('carol'));
  const admin = await connect(A, '/admin', await token('admin'));
  const gone = waitFor(carol, 'disconnect');
  const res = await ack(admin, 'kick', { user: 'carol' });
  assert.equal((await gone)[0], 'io server disconnect');
  assert.equal(res.sockets, 1, 'the socket on node b is counted');
  assert.equal(res.partial, undefined);
});

test('cross-node: POST /logout on node a disconnects that session on node b within a second', async () => {
  const { token: t } = await login('bob', A);
  const other = (await login('bob', A)).token; // another session of bob: not logged out
  const s = await connect(B, '/chat', t);
  const keep = await connect(B, '/chat', other);
  const gone = waitFor(s, 'disconnect', () => true, 1000);
  const t0 = performance.now();
  const res = await fetch(`${A}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
  assert.equal(res.status, 204);
  assert.equal((await gone)[0], 'io server disconnect');
  const ms = performance.now() - t0;
  console.log(`# logout on a → socket on b disconnected after ${ms.toFixed(1)} ms`);
  assert.ok(ms < 1000);
  await sleep(200);
  assert.equal(keep.connected, true, 'another session of the same user stays');
});

test('cross-node: a notification published via node a reaches a socket on node b', async () => {
  const bob = await connect(B, '/notifications', await token('bob'));
  const title = uniq('deploy');
  const got = waitFor(bob, 'notification', (n) => n.title === title);
  const res = await fetch(`${A}/api/v1/notifications`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PUBLISH_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: { users: ['bob'] }, type: 'cluster.test', title, data: { n: 1 } }),
  });
  const body = await res.json();
  assert.equal(res.status, 202, JSON.stringify(body));
  const [n] = await got;
  assert.equal(n.id, body.ids[0]);
  assert.deepEqual({ type: n.type, data: n.data, read: n.read }, { type: 'cluster.test', data: { n: 1 }, read: false });
  console.log(`# publish via a: ${JSON.stringify({ online: body.online, stored: body.stored })}`);
});

test('cross-node: a room notification via nginx reaches team members on both nodes', async () => {
  const alice = await connect(A, '/notifications', await token('alice'));
  const bob = await connect(B, '/notifications', await token('bob'));
  const title = uniq('team');
  const got = [alice, bob].map((s) => waitFor(s, 'notification', (n) => n.title === title));
  const res = await fetch(`${NGINX}/api/v1/notifications`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PUBLISH_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: { room: 'team:red' }, type: 'cluster.test', title }),
  });
  assert.equal(res.status, 202);
  await Promise.all(got);
});
