// notifications.test.mjs: the publish API and /notifications: offline
// inbox delivered as `unread` on connect, live delivery, `read` across
// tabs, `list` paging, and the API's refusals.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, before, describe, test } from 'node:test';
import { BASE, ack, closeAll, collect, loginOK, next, record, sleep, socket } from './helpers.mjs';

const KEY = process.env.RT_PUBLISH_KEY;
const users = {};
before(async () => {
  assert.ok(KEY, 'RT_PUBLISH_KEY is set by the harness');
  record(KEY);
  for (const u of ['alice', 'bob', 'carol', 'admin']) users[u] = await loginOK(u);
});
afterEach(closeAll);

async function publish(body, auth = `Bearer ${KEY}`) {
  const headers = { 'Content-Type': 'application/json' };
  if (auth) headers.Authorization = auth;
  const res = await fetch(`${BASE}/api/v1/notifications`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

// notes connects u to /notifications and resolves with the socket and the
// `unread` array it got on connect.
async function notes(u) {
  const s = socket('/notifications', { auth: { token: users[u].token } });
  // `unread` follows the CONNECT answer at once, possibly in the same
  // read: listen before connecting.
  const unread = next(s, 'unread', 5000);
  await new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', reject);
  });
  return { s, unread: await unread };
}

const kind = () => `test.${randomBytes(4).toString('hex')}`;

describe('publish API', () => {
  test('to an offline user: stored, then in unread on connect, oldest first', async () => {
    const type = kind();
    const first = await publish({ to: { users: ['carol'] }, type, title: 'one', body: 'b1', data: { n: 1 } });
    const second = await publish({ to: { users: ['carol'] }, type, title: 'two' });
    for (const r of [first, second]) {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.ids.length, 1);
      assert.equal(r.body.stored, 1);
      assert.equal(r.body.online, 0);
    }
    const { s, unread } = await notes('carol');
    const mine = unread.filter((n) => n.type === type);
    assert.deepEqual(mine.map((n) => n.id), [first.body.ids[0], second.body.ids[0]]);
    assert.equal(mine[0].title, 'one');
    assert.equal(mine[0].body, 'b1');
    assert.deepEqual(mine[0].data, { n: 1 });
    assert.equal(mine[0].read, false);
    assert.equal(typeof mine[0].ts, 'number');
    await ack(s, 'read', { ids: mine.map((n) => n.id) });
  });

  test('to an online user: delivered at once', async () => {
    const { s } = await notes('bob');
    const type = kind();
    const got = next(s, 'notification');
    const r = await publish({ to: { users: ['bob'] }, type, title: 'live' });
    assert.equal(r.status, 202);
    assert.equal(r.body.online, 1);
    const n = await got;
    assert.equal(n.id, r.body.ids[0]);
    assert.equal(n.type, type);
    assert.equal(n.read, false);
    await ack(s, 'read', { ids: [n.id] });
  });

  test('to a team room and to all: one stored copy per recipient', async () => {
    const team = await publish({ to: { room: 'team:red' }, type: kind(), title: 'red' });
    assert.equal(team.status, 202);
    assert.equal(team.body.stored, 2, 'alice and bob');
    assert.equal(new Set(team.body.ids).size, 2);
    const all = await publish({ to: { all: true }, type: kind(), title: 'everyone' });
    assert.equal(all.body.stored, 4);
  });

  test('a wrong or missing key is 401 and nothing is delivered', async () => {
    const { s } = await notes('alice');
    const got = collect(s, 'notification');
    for (const auth of [null, 'Bearer not-the-key-000000000000', `Basic ${Buffer.from('x:y').toString('base64')}`]) {
      const r = await publish({ to: { users: ['alice'] }, type: kind(), title: 'no' }, auth);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'unauthenticated');
    }
    const userToken = await publish({ to: { users: ['alice'] }, type: kind(), title: 'no' }, `Bearer ${users.bob.token}`);
    assert.equal(userToken.status, 403, 'a user token without role admin');
    await sleep(300);
    assert.deepEqual(got, []);
  });

  test('an admin token is accepted (the demo form uses it)', async () => {
    const r = await publish({ to: { users: ['carol'] }, type: kind(), title: 'from admin' }, `Bearer ${users.admin.token}`);
    assert.equal(r.status, 202);
  });

  test('a bad body is 400 naming the field', async () => {
    const cases = [
      [{ to: { users: ['bob'] }, title: 'x' }, 'type'],
      [{ to: { room: 'general' }, type: 't', title: 'x' }, 'to.room'],
      [{ to: { users: ['nobody-here'] }, type: 't', title: 'x' }, 'to.users'],
      [{ to: {}, type: 't', title: 'x' }, 'to'],
      [{ to: { all: true }, type: 't', title: 'x', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const r = await publish(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'bad_request');
      assert.equal(r.body.error.field, field);
      assert.ok(r.body.error.message);
    }
  });
});

describe('/notifications', () => {
  test('read in one tab reaches the other tab', async () => {
    const type = kind();
    const r = await publish({ to: { users: ['alice'] }, type, title: 'badge' });
    const tab1 = await notes('alice');
    const tab2 = await notes('alice');
    const id = r.body.ids[0];
    assert.ok(tab1.unread.some((n) => n.id === id));
    const other = next(tab2.s, 'read');
    const res = await ack(tab1.s, 'read', { ids: [id, 'not-an-id'] });
    assert.deepEqual(res, { ok: true, ids: [id] });
    assert.deepEqual(await other, { ids: [id] });
    const again = await notes('alice');
    assert.ok(!again.unread.some((n) => n.id === id), 'read ones are not unread any more');
  });

  test('list pages newest first', async () => {
    const type = kind();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await publish({ to: { users: ['bob'] }, type, title: `n${i}` })).body.ids[0]);
    const { s } = await notes('bob');
    const page = await ack(s, 'list', { limit: 3 });
    assert.equal(page.ok, true);
    assert.deepEqual(page.notifications.map((n) => n.id), ids.slice(2).reverse());
    assert.equal(page.more, true);
    const next2 = await ack(s, 'list', { before: page.notifications.at(-1).id, limit: 2 });
    assert.deepEqual(next2.notifications.map((n) => n.id), [ids[1], ids[0]]);
    await ack(s, 'read', { ids });
  });

  test('another user\'s ids cannot be marked read', async () => {
    const r = await publish({ to: { users: ['carol'] }, type: kind(), title: 'mine' });
    const { s } = await notes('bob');
    assert.deepEqual(await ack(s, 'read', { ids: r.body.ids }), { ok: true, ids: [] });
    const { unread } = await notes('carol');
    assert.ok(unread.some((n) => n.id === r.body.ids[0]));
  });
});
