// chat.test.mjs: /chat history on join and paging, presence counted by
// user, typing, direct messages, and the rooms and users lists.
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import { ack, closeAll, collect, connect, loginOK, next, sleep, uniq } from './helpers.mjs';

const users = {};
before(async () => {
  for (const u of ['alice', 'bob', 'carol', 'admin']) users[u] = await loginOK(u);
});
afterEach(closeAll);

const chat = (u) => connect('/chat', { auth: { token: users[u].token } });

async function joined(u, room) {
  const s = await chat(u);
  const res = await ack(s, 'join', room);
  assert.equal(res.ok, true, JSON.stringify(res));
  return { s, res };
}

describe('history', () => {
  test('join answers the last 50 messages oldest first, and history pages back', async () => {
    const room = uniq();
    const { s: alice } = await joined('alice', room);
    const ids = [];
    for (let i = 0; i < 80; i++) {
      const res = await ack(alice, 'message', { room, text: `m${i}` });
      assert.equal(res.ok, true);
      assert.equal(typeof res.id, 'string');
      assert.equal(typeof res.ts, 'number');
      ids.push(res.id);
    }
    const { res } = await joined('bob', room);
    assert.equal(res.history.length, 50);
    assert.deepEqual(res.history.map((m) => m.id), ids.slice(30));
    assert.deepEqual(res.history[0].from, { id: 'alice', name: 'Alice' });
    assert.equal(res.history[0].room, room);
    assert.equal(res.history[0].text, 'm30');

    const bob = (await joined('bob', room)).s;
    const page = await ack(bob, 'history', { room, before: res.history[0].id, limit: 20 });
    assert.equal(page.ok, true);
    assert.deepEqual(page.messages.map((m) => m.id), ids.slice(10, 30));
    assert.equal(page.more, true);
    const rest = await ack(bob, 'history', { room, before: page.messages[0].id, limit: 500 });
    assert.deepEqual(rest.messages.map((m) => m.id), ids.slice(0, 10));
    assert.equal(rest.more, false);
    const newest = await ack(bob, 'history', { room });
    assert.equal(newest.messages.length, 50, 'no before: the newest page of 50');
    assert.equal(newest.messages.at(-1).id, ids.at(-1));
  });

  test('more than 200 asked: at most 200 answered', async () => {
    const room = uniq();
    const { s } = await joined('alice', room);
    await Promise.all(Array.from({ length: 210 }, (_, i) => ack(s, 'message', { room, text: `x${i}` })));
    const page = await ack(s, 'history', { room, limit: 1000 });
    assert.equal(page.messages.length, 200);
    assert.equal(page.more, true);
  });

  test('only members by the room rules may read history', async () => {
    const { s: bob } = await joined('bob', 'team:red');
    await ack(bob, 'message', { room: 'team:red', text: 'red only' });
    const carol = await chat('carol');
    const res = await ack(carol, 'history', { room: 'team:red' });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'forbidden');
    const dm = await ack(carol, 'history', { room: 'dm:alice:bob' });
    assert.equal(dm.error.code, 'forbidden');
  });

  test('a bad cursor is not_found, a bad body bad_request', async () => {
    const s = await chat('alice');
    assert.equal((await ack(s, 'history', { room: 'general', before: 'no-such-id' })).error.code, 'not_found');
    assert.equal((await ack(s, 'history', { before: 'x' })).error.code, 'bad_request');
    assert.equal((await ack(s, 'history', 'general')).error.code, 'bad_request');
  });

  test('a retried message with the same cid is stored once', async () => {
    const room = uniq();
    const { s } = await joined('alice', room);
    const a = await ack(s, 'message', { room, text: 'once', cid: 'retry-1' });
    const b = await ack(s, 'message', { room, text: 'once', cid: 'retry-1' });
    assert.equal(a.id, b.id);
    assert.equal(b.duplicate, true);
    const page = await ack(s, 'history', { room });
    assert.equal(page.messages.length, 1);
  });
});

describe('presence', () => {
  test('two tabs of one user: online once, offline only after both leave', async () => {
    const room = uniq();
    const { s: carol, res: carolJoin } = await joined('carol', room);
    assert.deepEqual(carolJoin.members, [{ id: 'carol', name: 'Carol' }]);
    const seen = collect(carol, 'presence');
    const { s: tab1 } = await joined('alice', room);
    const { s: tab2, res: tab2Join } = await joined('alice', room);
    assert.deepEqual(tab2Join.members.map((m) => m.id).sort(), ['alice', 'carol'], 'alice listed once');
    await sleep(200);
    assert.deepEqual(seen, [{ room, user: { id: 'alice', name: 'Alice' }, online: true }]);
    assert.equal((await ack(tab1, 'leave', room)).ok, true);
    await sleep(200);
    assert.equal(seen.length, 1, 'one tab left, the other is still there');
    tab2.disconnect();
    await sleep(300);
    assert.deepEqual(seen, [
      { room, user: { id: 'alice', name: 'Alice' }, online: true },
      { room, user: { id: 'alice', name: 'Alice' }, online: false },
    ]);
  });
});

describe('typing', () => {
  test('reaches the other members, not the sender', async () => {
    const room = uniq();
    const { s: alice } = await joined('alice', room);
    const { s: bob } = await joined('bob', room);
    const own = collect(alice, 'typing');
    const t = next(bob, 'typing');
    alice.emit('typing', { room });
    assert.deepEqual(await t, { room, from: { id: 'alice', name: 'Alice' } });
    await sleep(100);
    assert.deepEqual(own, []);
  });

  test('a flood of typing is thinned to a few per second', async () => {
    const room = uniq();
    const { s: alice } = await joined('alice', room);
    const { s: bob } = await joined('bob', room);
    const got = collect(bob, 'typing');
    for (let i = 0; i < 30; i++) alice.emit('typing', { room });
    await sleep(500);
    assert.ok(got.length >= 1 && got.length <= 5, `${got.length} of 30 relayed`);
  });
});

describe('direct messages', () => {
  test('a DM reaches the other party without joining; outsiders cannot join or read', async () => {
    const dm = 'dm:alice:bob';
    const { s: alice } = await joined('alice', dm);
    const bob = await chat('bob');
    const carol = await chat('carol');
    const carolGot = collect(carol, 'message');
    assert.equal((await ack(carol, 'join', dm)).error.code, 'forbidden');
    assert.equal((await ack(alice, 'join', 'dm:bob:alice')).error.code, 'bad_request', 'one name per pair');
    const got = next(bob, 'message');
    const res = await ack(alice, 'message', { room: dm, text: 'psst' });
    const m = await got;
    assert.equal(m.id, res.id);
    assert.equal(m.room, dm);
    assert.deepEqual(m.from, { id: 'alice', name: 'Alice' });
    const hist = await ack(bob, 'history', { room: dm });
    assert.ok(hist.messages.some((x) => x.id === res.id));
    await sleep(100);
    assert.deepEqual(carolGot, []);
  });
});

describe('lists', () => {
  test('rooms: public rooms, the user\'s teams, DMs with every other user', async () => {
    const s = await chat('bob');
    const res = await ack(s, 'rooms');
    assert.equal(res.ok, true);
    const names = res.rooms.map((r) => `${r.kind}:${r.name}`);
    for (const want of ['public:general', 'public:random', 'team:team:red', 'dm:dm:alice:bob', 'dm:dm:bob:carol', 'dm:dm:admin:bob']) {
      assert.ok(names.includes(want), `${want} in ${names}`);
    }
    assert.ok(!names.includes('team:team:blue'));
  });

  test('users: every user with online', async () => {
    const carol = await chat('carol');
    const s = await chat('bob');
    const res = await ack(s, 'users');
    const byID = Object.fromEntries(res.users.map((u) => [u.id, u]));
    assert.equal(byID.carol.online, true);
    assert.equal(byID.carol.name, 'Carol');
    assert.ok('admin' in byID);
    carol.disconnect();
  });
});

describe('bad input', () => {
  test('too long, wrong room, not joined', async () => {
    const room = uniq();
    const { s } = await joined('alice', room);
    assert.equal((await ack(s, 'message', { room, text: 'x'.repeat(5000) })).error.code, 'bad_request');
    assert.equal((await ack(s, 'message', { room: uniq(), text: 'hi' })).error.code, 'forbidden');
    assert.equal((await ack(s, 'message', { room, text: 'hi', cid: 'c'.repeat(65) })).error.code, 'bad_request');
    assert.equal((await ack(s, 'message', { room, text: 'still fine' })).ok, true);
  });
});
