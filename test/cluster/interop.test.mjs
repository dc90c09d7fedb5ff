// interop.test.mjs: a Node.js socket.io 4.8.4 node with @socket.io/redis-adapter 8.x
// joins the cluster of rtserver nodes a and b on their Redis (CL_REDIS), and
// @socket.io/redis-emitter 5.x emits into it. The Node node has no auth: it puts each
// /chat socket in the room named by its `room` query parameter, server side.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import { io as ioc } from 'socket.io-client';
import { A, B, REDIS, uniq, login, connect, closeAll, ack, waitFor, withTimeout, eventually } from './helpers.mjs';

let io, httpServer, nodeURL, pub, sub, emitterClient, emitter;

before(async () => {
  pub = createClient({ url: REDIS });
  sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  httpServer = createServer();
  io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
  io.of('/chat').on('connection', (s) => {
    const { room } = s.handshake.query;
    if (room) s.join(room);
  });
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  nodeURL = `http://127.0.0.1:${httpServer.address().port}`;
  emitterClient = createClient({ url: REDIS });
  await emitterClient.connect();
  emitter = new Emitter(emitterClient);
  // Node sees itself and the two Go nodes.
  await eventually('three servers seen by the Node node', async () => (await io.of('/chat').adapter.serverCount()) === 3);
});

afterEach(closeAll);

after(async () => {
  io.close();
  await Promise.all([pub.quit(), sub.quit(), emitterClient.quit()]);
});

function nodeClient(room) {
  const c = ioc(nodeURL + '/chat', { forceNew: true, reconnection: false, transports: ['websocket'], query: { room } });
  return withTimeout(new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('connect_error', reject);
  }), 'connect to the Node node').then((c) => {
    after(() => c.disconnect());
    return c;
  });
}

test('interop: a /chat message sent by a Go-node client reaches a client of the Node node', async () => {
  const room = uniq();
  const n = await nodeClient(room);
  await eventually('Node socket in the room', async () => io.of('/chat').adapter.rooms.get(room)?.size === 1);
  const alice = await connect(A, '/chat', (await login('alice')).token);
  const bob = await connect(B, '/chat', (await login('bob')).token);
  await ack(alice, 'join', room);
  await ack(bob, 'join', room);

  let got = waitFor(n, 'message', (m) => m.text === 'from node a');
  const r = await ack(alice, 'message', { room, text: 'from node a' });
  const [m] = await got;
  assert.deepEqual({ id: m.id, room: m.room, from: m.from.id }, { id: r.id, room, from: 'alice' });

  got = waitFor(n, 'message', (m) => m.text === 'from node b');
  await ack(bob, 'message', { room, text: 'from node b' });
  await got;
});

test('interop: @socket.io/redis-emitter into /chat room R reaches clients on both Go nodes', async () => {
  const room = uniq();
  const alice = await connect(A, '/chat', (await login('alice')).token);
  const bob = await connect(B, '/chat', (await login('bob')).token);
  const n = await nodeClient(room);
  await ack(alice, 'join', room);
  await ack(bob, 'join', room);
  const msg = { id: uniq('ext'), room, from: { id: 'system', name: 'System' }, text: 'from the emitter', ts: Date.now() };
  const got = [alice, bob, n].map((s) => waitFor(s, 'message', (m) => m.id === msg.id));
  emitter.of('/chat').to(room).emit('message', msg);
  for (const [m] of await Promise.all(got)) assert.deepEqual(m, msg);
});

test('interop: the Node node broadcasting to /chat room R reaches both Go nodes', async () => {
  const room = uniq();
  const alice = await connect(A, '/chat', (await login('alice')).token);
  const bob = await connect(B, '/chat', (await login('bob')).token);
  await ack(alice, 'join', room);
  await ack(bob, 'join', room);
  const got = [alice, bob].map((s) => waitFor(s, 'typing', (p) => p.room === room));
  io.of('/chat').to(room).emit('typing', { room, from: { id: 'node', name: 'Node' } });
  await Promise.all(got);
});
