// recovery.test.mjs: connection state recovery (RECOVERY_WINDOW, on by
// default) gives a client whose transport dropped its socket and rooms
// back, but only after its credential is checked again, only to the login
// that owned the session, and only the rooms its current claims allow.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, test } from 'node:test';
import {
  BASE, ack, claimsLike, closeAll, collect, connect, loginOK, logout, mint, next, record, sleep, socket,
} from './helpers.mjs';

afterEach(closeAll);

const reconnecting = { reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0 };

describe('connection state recovery', () => {
  test('a dropped transport comes back recovered, in its rooms', async () => {
    const { token } = await loginOK('bob');
    const s = await connect('/chat', { auth: { token }, ...reconnecting });
    assert.equal((await ack(s, 'join', 'general')).ok, true);
    const id = s.id;
    s.io.engine.close(); // as if the network dropped
    await next(s, 'connect', 5000);
    assert.equal(s.recovered, true);
    assert.equal(s.id, id);
    const other = await connect('/chat', { auth: { token } });
    await ack(other, 'join', 'general');
    const got = next(s, 'message');
    await ack(other, 'message', { room: 'general', text: 'after recovery' });
    assert.equal((await got).text, 'after recovery', 'still in the room');
  });

  test('a token revoked meanwhile cannot come back through recovery', async () => {
    const { token } = await loginOK('carol');
    const s = await connect('/chat', { auth: { token }, ...reconnecting });
    await ack(s, 'join', 'general');
    s.io.engine.close();
    await sleep(300); // the server has seen the transport go
    assert.equal(await logout({ token }), 204);
    const err = await next(s, 'connect_error', 5000);
    assert.equal(err.message, 'unauthorized');
    assert.deepEqual(err.data, { code: 'revoked' });
    assert.notEqual(s.connected, true);
  });

  test("another user's pid and offset with one's own token: a fresh session, nothing of alice's", async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => loginOK(u)));
    const chat = await connect('/chat', { auth: { token: alice.token } });
    assert.equal((await ack(chat, 'join', 'team:red')).ok, true);
    assert.equal((await ack(chat, 'join', 'dm:alice:bob')).ok, true);
    const notes = await connect('/notifications', { auth: { token: alice.token } });
    const bobChat = await connect('/chat', { auth: { token: bob.token } });
    await ack(bobChat, 'join', 'team:red');
    await ack(bobChat, 'join', 'dm:alice:bob');
    // A broadcast gives alice's /chat socket an offset, as a real client has.
    const seen = next(chat, 'message');
    await ack(bobChat, 'message', { room: 'team:red', text: 'before the drop' });
    await seen;
    const stolen = {
      chat: { id: chat.id, pid: chat._pid, offset: chat._lastOffset },
      notes: { id: notes.id, pid: notes._pid, offset: notes._lastOffset },
    };
    assert.ok(stolen.chat.pid && stolen.notes.pid, 'recovery is on: the CONNECT reply carried a pid');
    assert.ok(stolen.chat.offset, 'a broadcast carried an offset');
    chat.io.engine.close();
    notes.io.engine.close();
    await sleep(300); // the server has seen both transports go

    // Missed by alice meanwhile: a notification, a team message, a DM.
    const missedNote = await publish({ to: { users: ['alice'] }, type: kind(), title: 'for alice only' });
    assert.equal(missedNote.status, 202);
    assert.equal((await ack(bobChat, 'message', { room: 'team:red', text: 'red, missed' })).ok, true);
    assert.equal((await ack(bobChat, 'message', { room: 'dm:alice:bob', text: 'dm, missed' })).ok, true);

    // Carol, with her own valid token, presents alice's pid and offset.
    const takeover = (path, { pid, offset }) => {
      const s = socket(path, { auth: { token: carol.token }, autoConnect: false });
      s._pid = pid; // as the client does when it recovers its own session
      s._lastOffset = offset;
      const got = { message: collect(s, 'message'), notification: collect(s, 'notification') };
      const connected = new Promise((resolve, reject) => {
        s.once('connect', resolve);
        s.once('connect_error', reject);
      });
      s.connect();
      return connected.then(() => ({ s, got }));
    };
    const c1 = await takeover('/chat', stolen.chat);
    const c2 = await takeover('/notifications', stolen.notes);
    for (const [c, was] of [[c1, stolen.chat], [c2, stolen.notes]]) {
      assert.notEqual(c.s.id, was.id, "carol did not get alice's socket id");
      assert.equal(c.s.recovered, false);
      assert.notEqual(c.s._pid, was.pid, 'a pid of her own');
    }
    assert.equal((await ack(c1.s, 'message', { room: 'team:red', text: 'x' })).error.code, 'forbidden', 'not in team:red');
    assert.equal((await ack(c1.s, 'message', { room: 'dm:alice:bob', text: 'x' })).error.code, 'forbidden', 'not in the DM');
    await sleep(300);
    assert.deepEqual(c1.got.message, [], 'no missed chat message of alice');
    assert.deepEqual(c2.got.notification, [], 'no missed notification of alice');

    // Nor anything later that is meant for alice.
    await publish({ to: { users: ['alice'] }, type: kind(), title: 'later, for alice' });
    await ack(bobChat, 'message', { room: 'team:red', text: 'red, later' });
    await ack(bobChat, 'message', { room: 'dm:alice:bob', text: 'dm, later' });
    await sleep(300);
    assert.deepEqual(c1.got.message, []);
    assert.deepEqual(c2.got.notification, []);

    // The refused takeover left alice's session for alice.
    const back = collect(notes, 'notification');
    const reconnected = next(notes, 'connect', 5000);
    notes.connect();
    await reconnected;
    assert.equal(notes.recovered, true);
    assert.equal(notes.id, stolen.notes.id);
    await sleep(200);
    assert.deepEqual(back.map((n) => n.title), ['for alice only', 'later, for alice']);
  });

  test('rules changed while away: a room no longer allowed is not restored, its missed messages not sent', async () => {
    const [alice, bob] = await Promise.all([loginOK('alice'), loginOK('bob')]);
    const chat = await connect('/chat', { auth: { token: alice.token } });
    await ack(chat, 'join', 'team:red');
    await ack(chat, 'join', 'general');
    const bobChat = await connect('/chat', { auth: { token: bob.token } });
    await ack(bobChat, 'join', 'team:red');
    await ack(bobChat, 'join', 'general');
    const id = chat.id;
    chat.io.engine.close();
    await sleep(300);
    await ack(bobChat, 'message', { room: 'team:red', text: 'red, missed' });
    await ack(bobChat, 'message', { room: 'general', text: 'general, missed' });

    // Alice comes back with a token of the same login that no longer lists
    // team red (what a refresh after a team change returns).
    chat.auth = { token: mint(claimsLike(alice.token, { teams: undefined })) };
    const got = collect(chat, 'message');
    const reconnected = next(chat, 'connect', 5000);
    chat.connect();
    await reconnected;
    assert.equal(chat.recovered, true, 'same login: recovered');
    assert.equal(chat.id, id);
    await sleep(300);
    assert.deepEqual(got.map((m) => m.text), ['general, missed']);
    const lost = await ack(chat, 'message', { room: 'team:red', text: 'x' });
    assert.equal(lost.error.code, 'forbidden', 'not back in team:red');
    await ack(bobChat, 'message', { room: 'team:red', text: 'red, later' });
    await sleep(200);
    assert.deepEqual(got.map((m) => m.text), ['general, missed']);
  });
});

const KEY = process.env.RT_PUBLISH_KEY;
const kind = () => `test.${randomBytes(4).toString('hex')}`;

async function publish(body) {
  assert.ok(KEY, 'RT_PUBLISH_KEY is set by the harness');
  record(KEY);
  const res = await fetch(`${BASE}/api/v1/notifications`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
