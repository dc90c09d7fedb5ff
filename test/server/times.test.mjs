// times.test.mjs: one format for times on the wire. Every time a client
// receives, over HTTP or a socket, is an integer count of milliseconds
// since the epoch: login and /token `expiresAt`, the auth:refresh ack,
// chat `ts`, notification `ts`.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { BASE, ack, closeAll, connect, loginOK, next, record } from './helpers.mjs';

afterEach(closeAll);

// assertMillis checks that v is a time in milliseconds near now (within
// the next day: a token's exp, or a moment ago: a message's ts).
function assertMillis(v, what) {
  assert.equal(typeof v, 'number', `${what} is a number, got ${JSON.stringify(v)}`);
  assert.ok(Number.isInteger(v), `${what} is an integer`);
  const now = Date.now();
  assert.ok(v > now - 60_000 && v < now + 86_400_000, `${what} ${v} is milliseconds near now (${now})`);
}

describe('times on the wire', () => {
  test('HTTP and socket payloads all carry milliseconds since the epoch', async () => {
    const alice = await loginOK('alice');
    assertMillis(alice.body.expiresAt, 'POST /login expiresAt');

    const res = await fetch(`${BASE}/token`, { method: 'POST', headers: { Authorization: `Bearer ${alice.token}` } });
    assert.equal(res.status, 200);
    const fresh = await res.json();
    record(fresh.token);
    assertMillis(fresh.expiresAt, 'POST /token expiresAt');

    const chat = await connect('/chat', { auth: { token: alice.token } });
    const refreshed = await ack(chat, 'auth:refresh', { token: fresh.token });
    assert.equal(refreshed.ok, true, JSON.stringify(refreshed));
    assertMillis(refreshed.expiresAt, 'auth:refresh expiresAt');
    assert.equal(refreshed.expiresAt, fresh.expiresAt, 'the same instant in the same unit');

    assert.equal((await ack(chat, 'join', 'general')).ok, true);
    const bob = await loginOK('bob');
    const other = await connect('/chat', { auth: { token: bob.token } });
    assert.equal((await ack(other, 'join', 'general')).ok, true);
    const got = next(other, 'message'); // the sender's own sockets are skipped
    const sent = await ack(chat, 'message', { room: 'general', text: 'what time is it' });
    assertMillis(sent.ts, 'message ack ts');
    assertMillis((await got).ts, 'message ts');

    const notif = await connect('/notifications', { auth: { token: fresh.token } });
    const list = await ack(notif, 'list', {});
    assert.equal(list.ok, true);
    for (const n of list.notifications) assertMillis(n.ts, 'notification ts');
  });
});
