// restart.mjs: what was accepted before a restart is there after it. The
// Go harness (TestRestartKeepsWhatWasAccepted) runs it twice against two
// server processes sharing one DATA_DIR:
//   node restart.mjs before   sends messages (acked) and publishes a
//                             notification to a user who is offline,
//                             writing their ids to RT_STATE_FILE;
//   node restart.mjs after    checks that history has every acked message
//                             and that the notification arrives in unread.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { BASE, ack, closeAll, connect, loginOK, next, socket } from './helpers.mjs';

const STATE = process.env.RT_STATE_FILE;
const KEY = process.env.RT_PUBLISH_KEY;
const ROOM = 'restart-check';
const phase = process.argv[2];

async function before() {
  const alice = await loginOK('alice');
  const s = await connect('/chat', { auth: { token: alice.token } });
  assert.equal((await ack(s, 'join', ROOM)).ok, true);
  // Acked concurrently: the acks come back only once the batch they are
  // in is committed.
  const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => ack(s, 'message', { room: ROOM, text: `before restart ${i}`, cid: `restart-${i}` })));
  for (const a of acks) assert.equal(a.ok, true);
  const res = await fetch(`${BASE}/api/v1/notifications`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ to: { users: ['carol'] }, type: 'restart.check', title: 'kept across a restart' }),
  });
  assert.equal(res.status, 202);
  const body = await res.json();
  assert.equal(body.online, 0);
  writeFileSync(STATE, JSON.stringify({ messages: acks.map((a) => a.id), notification: body.ids[0] }));
}

async function after() {
  const { messages, notification } = JSON.parse(readFileSync(STATE, 'utf8'));
  const bob = await loginOK('bob');
  const s = await connect('/chat', { auth: { token: bob.token } });
  const join = await ack(s, 'join', ROOM);
  const page = await ack(s, 'history', { room: ROOM, limit: 200 });
  const have = new Set(page.messages.map((m) => m.id));
  const lost = messages.filter((id) => !have.has(id));
  assert.deepEqual(lost, [], `acked messages missing from history after the restart`);
  assert.equal(join.history.length, 50);
  // A retry after the restart with the same cid is recognised.
  const alice = await loginOK('alice');
  const as = await connect('/chat', { auth: { token: alice.token } });
  await ack(as, 'join', ROOM);
  const retry = await ack(as, 'message', { room: ROOM, text: 'before restart 0', cid: 'restart-0' });
  assert.equal(retry.id, messages[0]);
  assert.equal(retry.duplicate, true);

  const carol = await loginOK('carol');
  const n = socket('/notifications', { auth: { token: carol.token } });
  const unread = await next(n, 'unread', 5000);
  assert.ok(unread.some((x) => x.id === notification), 'the notification published before the restart is unread');
  console.log(`restart: ${messages.length} acked messages, 0 lost; the offline notification arrived in unread`);
}

try {
  if (phase === 'before') await before();
  else if (phase === 'after') await after();
  else throw new Error('usage: node restart.mjs before|after');
} finally {
  closeAll();
}
