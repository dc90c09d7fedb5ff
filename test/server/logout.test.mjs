// logout.test.mjs: logout ends the sockets of that token or that session
// ("io server disconnect") and leaves the user's other sessions alone.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { ALLOWED_ORIGIN, ack, assertRefused, closeAll, connect, loginOK, logout, next, sleep } from './helpers.mjs';

afterEach(closeAll);

test('logout by Bearer token disconnects that session\'s sockets only', async () => {
  const one = await loginOK('alice');
  const two = await loginOK('alice');
  const byToken = await connect('/', { auth: { token: one.token } });
  const chatByToken = await connect('/chat', { auth: { token: one.token } });
  const byCookie = await connect('/', { transports: ['websocket'], extraHeaders: { Cookie: `session=${one.session}`, Origin: ALLOWED_ORIGIN } });
  const other = await connect('/chat', { auth: { token: two.token } });
  const otherCookie = await connect('/', { transports: ['websocket'], extraHeaders: { Cookie: `session=${two.session}`, Origin: ALLOWED_ORIGIN } });
  const gone = Promise.all([byToken, chatByToken, byCookie].map((s) => next(s, 'disconnect', 2000)));
  assert.equal(await logout({ token: one.token }), 204);
  assert.deepEqual(await gone, ['io server disconnect', 'io server disconnect', 'io server disconnect']);
  await sleep(200);
  assert.equal(other.connected, true);
  assert.equal(otherCookie.connected, true);
  assert.equal((await ack(otherCookie, 'whoami')).ok, true);
  await assertRefused('/', { auth: { token: one.token } }, 'revoked');
});

test('logout by session cookie', async () => {
  const s = await loginOK('bob');
  const sock = await connect('/', { auth: { token: s.token } });
  const gone = next(sock, 'disconnect', 2000);
  assert.equal(await logout({ session: s.session, origin: ALLOWED_ORIGIN }), 204);
  assert.equal(await gone, 'io server disconnect');
});

test('logout without credentials is 401', async () => {
  assert.equal(await logout({}), 401);
});

test('logout from a foreign Origin is 403', async () => {
  const s = await loginOK('carol');
  assert.equal(await logout({ session: s.session, origin: 'https://evil.test' }), 403);
  const sock = await connect('/', { auth: { token: s.token } });
  assert.equal((await ack(sock, 'whoami')).ok, true);
});

test('/admin revoke ends every session of a user: sockets disconnected, tokens and cookies refused', async () => {
  const admin = await loginOK('admin');
  const a = await loginOK('carol');
  const b = await loginOK('carol');
  const socks = await Promise.all([
    connect('/chat', { auth: { token: a.token } }),
    connect('/notifications', { auth: { token: b.token } }),
  ]);
  const gone = Promise.all(socks.map((s) => next(s, 'disconnect', 2000)));
  const ctl = await connect('/admin', { auth: { token: admin.token } });
  const res = await ack(ctl, 'revoke', { user: 'carol' });
  assert.equal(res.ok, true);
  assert.ok(res.sessions >= 2, `revoked ${res.sessions} sessions`);
  assert.equal(res.sockets, 2);
  assert.deepEqual(await gone, ['io server disconnect', 'io server disconnect']);
  await assertRefused('/chat', { auth: { token: a.token } }, 'revoked');
  await assertRefused('/', { transports: ['websocket'], extraHeaders: { Cookie: `session=${b.session}`, Origin: ALLOWED_ORIGIN } }, 'revoked');
  assert.equal((await ack(ctl, 'revoke', {})).error.code, 'bad_request');
  // Carol can log in again: revocation ends sessions, not the account.
  await connect('/chat', { auth: { token: (await loginOK('carol')).token } });
});
