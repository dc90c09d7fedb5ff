// after-connect.test.mjs: AUTH_AFTER_CONNECT=1 on a second server (short
// AUTH_TIMEOUT). `/` admits without a token; the client must `authenticate`.
import assert from 'node:assert/strict';
import { afterEach, before, test } from 'node:test';
import { AFTER, ack, assertRefused, closeAll, connect, login, next, record, sleep } from './helpers.mjs';

let alice;
before(async () => {
  assert.ok(AFTER, 'RT_AFTER_URL is set');
  alice = await login('alice', 'alice-pass', { base: AFTER });
  assert.equal(alice.status, 200);
});
afterEach(closeAll);

const open = (opts = {}) => connect('/', opts, AFTER);

test('events before authenticate are refused with unauthenticated', async () => {
  const s = await open();
  const res = await ack(s, 'whoami');
  assert.deepEqual(res.ok, false);
  assert.equal(res.error.code, 'unauthenticated');
  const res2 = await ack(s, 'anything', 1);
  assert.equal(res2.error.code, 'unauthenticated');
});

test('authenticate with a bad token, then a good one', async () => {
  const s = await open();
  const bad = await ack(s, 'authenticate', { token: record('bad.token.here') });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'unauthenticated');
  const good = await ack(s, 'authenticate', { token: alice.token });
  assert.equal(good.ok, true);
  assert.equal(good.user.name, 'Alice');
  const who = await ack(s, 'whoami');
  assert.equal(who.ok, true);
  assert.equal(who.user.id, alice.body.user.id);
});

test('authenticate with a malformed payload is bad_request', async () => {
  const s = await open();
  const res = await ack(s, 'authenticate', 'just-a-string');
  assert.equal(res.ok, false);
  assert.equal(res.error.code, 'bad_request');
});

test('no authenticate within AUTH_TIMEOUT: "io server disconnect"', async () => {
  const s = await open();
  const t0 = Date.now();
  assert.equal(await next(s, 'disconnect', 5000), 'io server disconnect');
  assert.ok(Date.now() - t0 < 4000);
});

test('authenticated in time: stays connected past AUTH_TIMEOUT', async () => {
  const s = await open();
  assert.equal((await ack(s, 'authenticate', { token: alice.token })).ok, true);
  await sleep(1500);
  assert.equal(s.connected, true);
});

test('a token in the handshake still authenticates at connect', async () => {
  const s = await open({ auth: { token: alice.token } });
  const who = await ack(s, 'whoami');
  assert.equal(who.ok, true);
  assert.equal(who.user.name, 'Alice');
  await sleep(1500);
  assert.equal(s.connected, true);
});

test('a bad token in the handshake is still refused', async () => {
  await assertRefused('/', { auth: { token: record('x.y.z') } }, 'invalid_token', AFTER);
});

test('/chat still needs a token at connect', async () => {
  await assertRefused('/chat', {}, 'missing_token', AFTER);
});
