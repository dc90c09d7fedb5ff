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
