// streams.test.mjs: nodes a and b with REDIS_ADAPTER=streams behind nginx (see
// streams_test.go), driven by socket.io-client 4.8.4.
//   "streams mixed ..."     a Node.js socket.io 4.8.4 node with
//                           @socket.io/redis-streams-adapter 0.3.1 on the same stream
//   "streams failover ..."  the node of a client connected through nginx is SIGKILLed
//                           (by its PID, CL_PID_A / CL_PID_B): its clients come back
//                           through nginx on the other node, recovered. It must run last.
// CL_FAILOVER_N clients (default 20) take part in the failover; the figures go to
// the JSON file CL_FIGURES for the Go side's table.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { io as ioc } from 'socket.io-client';
import {
  NGINX, A, B, REDIS, WAIT_MS,
  uniq, sleep, login, connect, closeAll, nodeOf, ack, waitFor, eventually, withTimeout,
} from './helpers.mjs';

afterEach(closeAll);

const PIDS = { a: Number(process.env.CL_PID_A), b: Number(process.env.CL_PID_B) };
const N = Number(process.env.CL_FAILOVER_N || 20);
const figures = {};
after(() => {
  if (process.env.CL_FIGURES) writeFileSync(process.env.CL_FIGURES, JSON.stringify(figures));
});

// messages records the texts of /chat `message` events of room a socket gets.
function messages(s, room) {
  const got = [];
  s.on('message', (m) => { if (m.room === room) got.push(m.text); });
  return got;
}

test('streams mixed: a Node.js node with @socket.io/redis-streams-adapter and the Go nodes broadcast to each other', async () => {
  const rc = createClient({ url: REDIS });
  await rc.connect();
  const httpServer = createServer();
  const io = new Server(httpServer, { adapter: createAdapter(rc) });
  try {
    io.of('/chat').on('connection', (s) => {
      const { room } = s.handshake.query;
      if (room) s.join(room);
    });
    await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
    const nodeURL = `http://127.0.0.1:${httpServer.address().port}`;
    await eventually('three servers seen by the Node node', async () => (await io.of('/chat').adapter.serverCount()) === 3);

    const room = uniq();
    const n = ioc(nodeURL + '/chat', { forceNew: true, reconnection: false, transports: ['websocket'], query: { room } });
    await withTimeout(new Promise((r, j) => { n.once('connect', r); n.once('connect_error', j); }), 'connect to the Node node');
    const alice = await connect(A, '/chat', (await login('alice')).token);
    const bob = await connect(B, '/chat', (await login('bob')).token);
    await ack(alice, 'join', room);
    await ack(bob, 'join', room);

    // Go → Node: a /chat message of alice (node a) reaches the Node node's client.
    const toNode = waitFor(n, 'message', (m) => m.text === 'from go');
    const res = await ack(alice, 'message', { room, text: 'from go' });
    assert.equal((await toNode)[0].id, res.id);

    // Node → Go: a broadcast of the Node node reaches both Go nodes' clients.
    const toGo = [alice, bob].map((s) => waitFor(s, 'message', (m) => m.text === 'from node'));
    io.of('/chat').to(room).emit('message', { id: 'n-1', room, text: 'from node' });
    await Promise.all(toGo);

    // The Node node's fetchSockets names the Go nodes' users by their socket data.
    const socks = await io.of('/chat').in(room).fetchSockets();
    assert.deepEqual(socks.map((s) => s.data?.userId ?? 'node').sort(), ['alice', 'bob', 'node']);
    n.disconnect();
  } finally {
    io.close();
    await rc.quit().catch(() => {});
  }
});

test('streams failover: a SIGKILLed node\'s clients recover on the other node through nginx', { timeout: 120_000 }, async () => {
  const room = uniq();
  const alice = (await login('alice')).token;
  const carol = (await login('carol')).token;
  const opts = { reconnection: true, transports: ['websocket'] };
  const clients = [];
  for (let i = 0; i < N; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => connect(NGINX, '/chat', alice, opts)));
    await Promise.all(batch.map((s) => ack(s, 'join', room)));
    clients.push(...batch);
  }
  const victim = nodeOf(clients[0]);
  const survivor = victim === 'a' ? B : A;
  const victims = clients.filter((s) => nodeOf(s) === victim);
  const got = new Map(clients.map((s) => [s, messages(s, room)]));
  const ids = new Map(clients.map((s) => [s, s.id]));
  const sender = await connect(survivor, '/chat', (await login('bob')).token);
  await ack(sender, 'join', room);
  // One broadcast before the kill gives every client an offset.
  await ack(sender, 'message', { room, text: 'pre' });
  await eventually('every client got pre', () => clients.every((s) => got.get(s).length === 1), 30_000);

  // v does not reconnect by itself: its session is for the owner check.
  const v = victims.at(-1);
  v.io.reconnection(false);
  const stolen = { id: v.id, pid: v._pid, offset: v._lastOffset };
  assert.ok(stolen.pid && stolen.offset, 'recovery is on and pre carried an offset');

  const back = new Map();
  let t0 = 0;
  for (const s of victims) {
    if (s === v) continue;
    s.once('connect', () => back.set(s, { ms: performance.now() - t0, recovered: s.recovered }));
  }
  t0 = performance.now();
  process.kill(PIDS[victim], 'SIGKILL');
  // Broadcast meanwhile, from the surviving node.
  const K = 10;
  for (let i = 0; i < K; i++) {
    await ack(sender, 'message', { room, text: `m${i}` });
    await sleep(100);
  }
  await eventually(`all ${victims.length - 1} clients of node ${victim} back`, () => back.size === victims.length - 1, 60_000);
  await ack(sender, 'message', { room, text: 'post' });
  const want = ['pre', ...Array.from({ length: K }, (_, i) => `m${i}`), 'post'];
  await eventually('every client got post', () => clients.every((s) => s === v || got.get(s).includes('post')), 30_000);

  let lost = 0, dup = 0, disorder = 0;
  for (const s of clients) {
    if (s === v) continue;
    const g = got.get(s);
    const seen = new Set(g);
    lost += want.filter((x) => !seen.has(x)).length;
    dup += g.length - seen.size;
    if (JSON.stringify(g) !== JSON.stringify(want)) disorder++;
  }
  const times = [...back.values()].map((b) => b.ms).sort((x, y) => x - y);
  const q = (p) => times[Math.max(0, Math.min(times.length - 1, Math.ceil(p * times.length) - 1))];
  const notRecovered = [...back.entries()].filter(([s, b]) => !b.recovered || s.id !== ids.get(s)).length;
  Object.assign(figures, {
    clients: N, victims: victims.length - 1, p50: q(0.5), p99: q(0.99), max: times.at(-1),
    notRecovered, lost, dup, disorder, sent: want.length,
  });
  console.log(`# failover: ${JSON.stringify(figures)}`);
  assert.equal(notRecovered, 0, 'every client of the killed node recovered its socket id');
  assert.equal(lost, 0, 'no message lost');
  assert.equal(dup, 0, 'no message twice');
  assert.equal(disorder, 0, 'every client got the messages in order');

  // Another user's token with v's pid and offset: a fresh session, nothing of alice's.
  const thief = ioc(NGINX + '/chat', { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token: carol }, autoConnect: false });
  thief._pid = stolen.pid;
  thief._lastOffset = stolen.offset;
  const thiefGot = messages(thief, room);
  thief.connect();
  await withTimeout(new Promise((r, j) => { thief.once('connect', r); thief.once('connect_error', j); }), 'thief connect', WAIT_MS);
  assert.equal(thief.recovered, false, 'another owner gets a fresh session');
  assert.notEqual(thief.id, stolen.id);
  await ack(sender, 'message', { room, text: 'after thief' });
  await sleep(300);
  assert.deepEqual(thiefGot, [], 'not in alice\'s room');
  thief.disconnect();

  // The session was put back: alice, its owner, still recovers it.
  const owner = ioc(NGINX + '/chat', { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token: alice }, autoConnect: false });
  owner._pid = stolen.pid;
  owner._lastOffset = stolen.offset;
  const ownerGot = messages(owner, room);
  owner.connect();
  await withTimeout(new Promise((r, j) => { owner.once('connect', r); owner.once('connect_error', j); }), 'owner connect', WAIT_MS);
  assert.equal(owner.recovered, true, 'the owner recovers the session the thief could not take');
  assert.equal(owner.id, stolen.id);
  await eventually('the owner got what it missed', () => ownerGot.length >= want.length);
  await sleep(200);
  assert.deepEqual(ownerGot, [...want.slice(1), 'after thief']);
  owner.disconnect();
  for (const s of clients) s.disconnect();
  sender.disconnect();
});
