// namespaces.test.mjs: `/`, `/chat` and `/admin` events, the room rules and
// message fan-out (sender excluded, the sender's other tabs included).
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import {
  ack, assertRefused, closeAll, collect, connect, loginOK, manager, next, sleep, uniq,
} from './helpers.mjs';

const users = {};
before(async () => {
  for (const u of ['alice', 'bob', 'carol', 'admin']) users[u] = await loginOK(u);
});
afterEach(closeAll);

const as = (u, path = '/chat', opts = {}) => connect(path, { auth: { token: users[u].token }, ...opts });

async function joined(u, room) {
  const s = await as(u);
  const res = await ack(s, 'join', room);
  assert.equal(res.ok, true, JSON.stringify(res));
  assert.equal(res.room, room);
  return s;
}

describe('/', () => {
  test('whoami', async () => {
    const s = await as('bob', '/');
    const res = await ack(s, 'whoami');
    assert.equal(res.ok, true);
    assert.equal(res.user.id, users.bob.body.user.id);
    assert.equal(res.user.name, users.bob.body.user.name);
    assert.equal(res.user.name, 'Bob', 'the display name of the demo user');
    assert.deepEqual(res.user.teams, ['red']);
    assert.ok(Array.isArray(res.user.roles));
  });
  test('the login response describes the same user', () => {
    const { body } = users.admin;
    assert.equal(body.tokenType, 'Bearer');
    assert.ok(body.expiresAt);
    assert.ok(body.user.roles.includes('admin'));
  });
});

describe('/chat', () => {
  test('message fan-out: room members and the sender\'s other tab, not the sender', async () => {
    const room = uniq();
    const tab1 = await joined('alice', room);
    const tab2 = await joined('alice', room);
    const bob = await joined('bob', room);
    const outsider = await as('carol');
    const got1 = collect(tab1, 'message');
    const gotOut = collect(outsider, 'message');
    const [m2, mb, res] = await Promise.all([
      next(tab2, 'message'), next(bob, 'message'), ack(tab1, 'message', { room, text: 'hello' }),
    ]);
    assert.equal(res.ok, true);
    assert.ok(res.id);
    assert.equal(typeof res.ts, 'number');
    for (const m of [m2, mb]) {
      assert.equal(m.id, res.id);
      assert.equal(m.room, room);
      assert.equal(m.text, 'hello');
      assert.equal(m.ts, res.ts);
      assert.deepEqual(m.from, { id: users.alice.body.user.id, name: 'Alice' });
    }
    await sleep(200);
    assert.deepEqual(got1, [], 'the sending socket gets no copy');
    assert.deepEqual(gotOut, [], 'a socket outside the room gets nothing');
  });

  test('leave stops delivery and sending', async () => {
    const room = uniq();
    const a = await joined('alice', room);
    const b = await joined('bob', room);
    assert.deepEqual(await ack(b, 'leave', room), { ok: true, room });
    const got = collect(b, 'message');
    assert.equal((await ack(a, 'message', { room, text: 'after leave' })).ok, true);
    const res = await ack(b, 'message', { room, text: 'x' });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'forbidden');
    await sleep(200);
    assert.deepEqual(got, []);
  });

  test('sending to a room not joined is forbidden', async () => {
    const s = await as('alice');
    const res = await ack(s, 'message', { room: uniq(), text: 'hi' });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'forbidden');
    assert.equal(typeof res.error.message, 'string');
  });

  test('text over 4 KiB is bad_request', async () => {
    const room = uniq();
    const a = await joined('alice', room);
    const b = await joined('bob', room);
    const got = collect(b, 'message');
    const res = await ack(a, 'message', { room, text: 'x'.repeat(4097) });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'bad_request');
    assert.equal((await ack(a, 'message', { room, text: 'y'.repeat(4096) })).ok, true);
    await sleep(200);
    assert.equal(got.length, 1);
  });

  const badArgs = [[], [42], [{}], [{ room: 1, text: 'x' }], [{ room: 'r', text: 5 }], ['string']];
  for (const args of badArgs) {
    test(`message with bad arguments ${JSON.stringify(args)} is bad_request`, async () => {
      const s = await as('alice');
      const res = await ack(s, 'message', ...args);
      assert.equal(res.ok, false);
      assert.equal(res.error.code, 'bad_request');
    });
  }

  test('join with a non-string room is bad_request', async () => {
    const s = await as('alice');
    const res = await ack(s, 'join', { room: 'lobby' });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'bad_request');
  });

  const rules = [
    ['bob', 'team:red', true],
    ['carol', 'team:red', false],
    ['carol', 'team:blue', true],
    ['alice', 'team:blue', false],
    ['alice', 'user:alice', false],
    ['alice', 'user:bob', false],
    ['alice', 'dm:alice:bob', true],
    ['bob', 'dm:alice:bob', true],
    ['carol', 'dm:alice:bob', false],
  ];
  for (const [user, room, allowed] of rules) {
    test(`${user} joining ${room}: ${allowed ? 'allowed' : 'forbidden'}`, async () => {
      const s = await as(user);
      const res = await ack(s, 'join', room);
      if (allowed) {
        assert.equal(res.ok, true);
        assert.equal(res.room, room);
        assert.ok(Array.isArray(res.history) && Array.isArray(res.members));
      } else {
        assert.equal(res.ok, false);
        assert.equal(res.error.code, 'forbidden');
      }
    });
  }

  test('a refused socket\'s message never reaches the room', async () => {
    const red = await joined('bob', 'team:red');
    const got = collect(red, 'message');
    const carol = await as('carol');
    const join = await ack(carol, 'join', 'team:red');
    assert.equal(join.error.code, 'forbidden');
    const res = await ack(carol, 'message', { room: 'team:red', text: 'sneaky' });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'forbidden');
    await sleep(300);
    assert.deepEqual(got, []);
  });

  test('events without an ack are ignored without harm', async () => {
    const s = await as('alice');
    s.emit('message', { room: 'x', text: 'no ack' });
    s.emit('nonsense', 1, 2, 3);
    assert.equal((await ack(s, 'join', uniq())).ok, true);
  });
});

describe('/admin', () => {
  test('refused without the admin role', async () => {
    await assertRefused('/admin', { auth: { token: users.alice.token } }, 'forbidden');
  });

  test('online lists each user once with a socket count', async () => {
    await as('bob', '/');
    await as('bob', '/chat');
    const adm = await as('admin', '/admin');
    const res = await ack(adm, 'online');
    assert.equal(res.ok, true);
    const ids = res.users.map((u) => u.id);
    assert.equal(new Set(ids).size, ids.length, 'each user once');
    const bob = res.users.find((u) => u.id === users.bob.body.user.id);
    assert.ok(bob, 'bob is online');
    assert.equal(bob.name, users.bob.body.user.name);
    assert.ok(bob.sockets >= 2, `bob has ${bob.sockets} sockets`);
  });

  test('kick disconnects every socket of the user with "io server disconnect"', async () => {
    const carol = await loginOK('carol');
    const m = manager();
    const root = await m.connect('/', { auth: { token: carol.token } });
    const chat = await m.connect('/chat', { auth: { token: carol.token } });
    const tab = await connect('/chat', { auth: { token: carol.token } });
    const bystander = await as('alice', '/');
    const adm = await as('admin', '/admin');
    const reasons = Promise.all([root, chat, tab].map((s) => next(s, 'disconnect')));
    const res = await ack(adm, 'kick', { user: carol.body.user.id });
    assert.equal(res.ok, true);
    assert.deepEqual(await reasons, ['io server disconnect', 'io server disconnect', 'io server disconnect']);
    assert.equal(bystander.connected, true);
    assert.equal((await ack(bystander, 'whoami')).ok, true);
  });

  test('kick with a bad argument is bad_request', async () => {
    const adm = await as('admin', '/admin');
    const res = await ack(adm, 'kick', 'carol');
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'bad_request');
  });
});
