// security.test.mjs: rows of SECURITY_CASES.md that need the real server
// and the real client, not already in the other suites: logout ends the
// session's sockets within a second on both transports; forged key ids;
// an admin room; the unknown namespace answer. docs/SECURITY_CASES.md maps every row.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  ALLOWED_ORIGIN, ack, assertRefused, claimsLike, closeAll, collect, connect, loginOK, logout,
  mint, next, nowSec, record, refused, sleep,
} from './helpers.mjs';

afterEach(closeAll);

describe('logout / revocation', () => {
  for (const transports of [['polling'], ['websocket']]) {
    test(`every socket of the session is disconnected within a second (${transports})`, async () => {
      const one = await loginOK('alice');
      const two = await loginOK('alice');
      const socks = [
        await connect('/', { transports, auth: { token: one.token } }),
        await connect('/chat', { transports, auth: { token: one.token } }),
        await connect('/notifications', { transports, auth: { token: one.token } }),
        await connect('/', { transports, extraHeaders: { Cookie: `session=${one.session}`, Origin: ALLOWED_ORIGIN } }),
      ];
      const other = await connect('/', { transports, auth: { token: two.token } });
      const began = Date.now();
      const gone = Promise.all(socks.map((s) => next(s, 'disconnect', 1000).then((r) => [r, Date.now() - began])));
      assert.equal(await logout({ token: one.token }), 204);
      const results = await gone;
      for (const [reason, ms] of results) {
        assert.equal(reason, 'io server disconnect');
        assert.ok(ms < 1000, `disconnected after ${ms} ms`);
      }
      assert.equal(other.connected, true, 'the user\'s other session stays');
    });
  }
});

describe('forged key ids', () => {
  const header = (kid) => ({ alg: 'HS256', typ: 'JWT', kid });
  for (const kid of ['unknown-kid', '../../etc/passwd', '']) {
    test(`kid ${JSON.stringify(kid)} is invalid_token`, async () => {
      const alice = await loginOK('alice');
      const t = mint(claimsLike(alice.token), { header: header(kid) });
      await assertRefused('/', { auth: { token: t } }, 'invalid_token');
    });
  }
  test('expired with alg none is invalid_token, not token_expired', async () => {
    const alice = await loginOK('alice');
    const c = claimsLike(alice.token, { iat: nowSec() - 7200, exp: nowSec() - 3600 });
    const t = record(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.`);
    await assertRefused('/', { auth: { token: t } }, 'invalid_token');
  });
});

describe('namespaces', () => {
  test('an unknown namespace is refused with "Invalid namespace"', async () => {
    const alice = await loginOK('alice');
    const err = await refused('/no-such-namespace', { auth: { token: alice.token } });
    assert.equal(err.message, 'Invalid namespace');
  });
});

describe('room rules', () => {
  test('a user joining an admin room is forbidden and its members hear nothing', async () => {
    const admin = await connect('/chat', { auth: { token: (await loginOK('admin')).token } });
    assert.equal((await ack(admin, 'join', 'admin:ops')).ok, true);
    const got = collect(admin, 'message');
    const alice = await connect('/chat', { auth: { token: (await loginOK('alice')).token } });
    const join = await ack(alice, 'join', 'admin:ops');
    assert.deepEqual([join.ok, join.error.code], [false, 'forbidden']);
    const sent = await ack(alice, 'message', { room: 'admin:ops', text: 'let me in' });
    assert.deepEqual([sent.ok, sent.error.code], [false, 'forbidden']);
    await sleep(300);
    assert.deepEqual(got, []);
  });
});
