// expiry.test.mjs: a socket's authority ends with its token unless the
// client refreshes in band, and a socket that floods is cut off. Runs
// against the strict server (TOKEN_TTL=4s, EXPIRY_GRACE=1s, EVENT_RATE=20,
// EVENT_BURST=40).
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import { ack, closeAll, connect, login, next, record, sleep } from './helpers.mjs';

const STRICT = (process.env.RT_STRICT_URL || '').replace(/\/$/, '');
before(() => assert.ok(STRICT, 'RT_STRICT_URL is set by the harness'));
afterEach(closeAll);

async function signIn(user) {
  const r = await login(user, `${user}-pass`, { base: STRICT });
  assert.equal(r.status, 200, r.text);
  return r;
}

// keepAlive is the client code the README documents: on auth:expiring,
// get a new token for the session and hand it to the socket.
function keepAlive(socket, session) {
  socket.on('auth:expiring', async () => {
    const res = await fetch(`${STRICT}/token`, { method: 'POST', headers: { Cookie: `session=${session}` } });
    const { token } = await res.json();
    socket.auth.token = record(token); // also used by reconnects
    socket.emit('auth:refresh', { token }, (ack) => ack.ok || console.warn('refresh refused', ack.error));
  });
}

describe('token expiry', () => {
  test('without a refresh: auth:expiring, auth:expired, then "io server disconnect"', async () => {
    const { token, body } = await signIn('alice');
    const exp = body.expiresAt;
    const s = await connect('/chat', { auth: { token } }, STRICT);
    const warned = await next(s, 'auth:expiring', 6000);
    assert.equal(warned.expiresAt, exp);
    assert.ok(Date.now() < exp, 'told before exp');
    const expired = next(s, 'auth:expired', 6000);
    const reason = await next(s, 'disconnect', 6000);
    assert.deepEqual(await expired, { expiresAt: exp });
    assert.equal(reason, 'io server disconnect');
    const late = Date.now() - exp;
    assert.ok(late >= 900 && late < 3000, `disconnected ${late} ms after exp (grace 1 s)`);
  });

  test('refreshed in band: the socket outlives its first token', async () => {
    const { token, session, body } = await signIn('bob');
    const firstExp = body.expiresAt;
    const s = await connect('/chat', { auth: { token } }, STRICT);
    keepAlive(s, session);
    const gone = [];
    s.on('disconnect', (r) => gone.push(r));
    s.on('auth:expired', () => gone.push('auth:expired'));
    await sleep(firstExp - Date.now() + 2500); // past exp + grace
    assert.deepEqual(gone, []);
    assert.equal((await ack(s, 'join', 'general')).ok, true, 'still served');
  });

  test('refresh with another user\'s token is forbidden, with garbage invalid_token', async () => {
    const bob = await signIn('bob');
    const carol = await signIn('carol');
    const s = await connect('/chat', { auth: { token: bob.token } }, STRICT);
    assert.equal((await ack(s, 'auth:refresh', { token: carol.token })).error.code, 'forbidden');
    assert.equal((await ack(s, 'auth:refresh', { token: 'x.y.z' })).error.code, 'invalid_token');
    assert.equal((await ack(s, 'auth:refresh', {})).error.code, 'bad_request');
  });

  test('POST /token: a logged-out session gets no new token', async () => {
    const { token, session } = await signIn('carol');
    const fresh = await fetch(`${STRICT}/token`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(fresh.status, 200);
    record((await fresh.json()).token);
    assert.equal((await fetch(`${STRICT}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status, 204);
    const after = await fetch(`${STRICT}/token`, { method: 'POST', headers: { Cookie: `session=${session}` } });
    assert.equal(after.status, 401);
  });
});

describe('flood', () => {
  test('events over the rate get rate_limited, a socket that keeps flooding is disconnected', async () => {
    const { token } = await signIn('alice');
    const s = await connect('/chat', { auth: { token } }, STRICT);
    const bystander = await connect('/chat', { auth: { token: (await signIn('bob')).token } }, STRICT);
    const reason = next(s, 'disconnect', 5000);
    const answers = [];
    for (let i = 0; i < 200 && s.connected; i++) {
      s.emit('users', (res) => answers.push(res.ok ? 'ok' : res.error.code));
    }
    assert.equal(await reason, 'io server disconnect');
    assert.ok(answers.includes('rate_limited'), `answers: ${[...new Set(answers)]}`);
    assert.ok(answers.filter((a) => a === 'ok').length <= 45, 'no more than the burst served');
    assert.equal((await ack(bystander, 'users')).ok, true, 'others unaffected');
  });
});
