// auth.test.mjs: every token source accepted and refused with the right
// data.code; forged, expired and revoked tokens; the Origin rules.
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach, before, describe, test } from 'node:test';
import {
  ALLOWED_ORIGIN, BASE, FOREIGN_ORIGIN, ack, assertRefused, claimsLike, closeAll, connect,
  loginOK, logout, mint, nowSec, record, refused,
} from './helpers.mjs';

let alice;
before(async () => { alice = await loginOK('alice'); });
afterEach(closeAll);

async function whoami(s) {
  const res = await ack(s, 'whoami');
  assert.equal(res.ok, true);
  return res.user;
}

describe('token sources', () => {
  test('CONNECT auth payload', async () => {
    const s = await connect('/', { auth: { token: alice.token } });
    assert.equal((await whoami(s)).name, 'Alice');
  });
  test('CONNECT auth payload: invalid', async () => {
    await assertRefused('/', { auth: { token: record('not.a.jwt') } }, 'invalid_token');
  });
  test('CONNECT auth payload: token not a string', async () => {
    await assertRefused('/', { auth: { token: 42 } }, 'invalid_token');
  });
  test('no credentials at all', async () => {
    await assertRefused('/', {}, 'missing_token');
    await assertRefused('/chat', { auth: {} }, 'missing_token');
  });
  for (const transports of [['polling'], ['websocket']]) {
    test(`Authorization header (${transports})`, async () => {
      const s = await connect('/', { transports, extraHeaders: { Authorization: `Bearer ${alice.token}` } });
      assert.equal((await whoami(s)).id, alice.body.user.id);
    });
    test(`Authorization header: tampered (${transports})`, async () => {
      const bad = record(alice.token.slice(0, -3) + (alice.token.endsWith('AAA') ? 'BBB' : 'AAA'));
      await assertRefused('/', { transports, extraHeaders: { Authorization: `Bearer ${bad}` } }, 'invalid_token');
    });
    test(`query parameter (${transports})`, async () => {
      const s = await connect('/', { transports, query: { token: alice.token } });
      assert.equal((await whoami(s)).name, 'Alice');
    });
    test(`query parameter: invalid (${transports})`, async () => {
      await assertRefused('/', { transports, query: { token: record('eyJhbGciOiJIUzI1NiJ9.e30.bad') } }, 'invalid_token');
    });
    test(`session cookie with an allowed Origin (${transports})`, async () => {
      const s = await connect('/', { transports, extraHeaders: { Cookie: `session=${alice.session}`, Origin: ALLOWED_ORIGIN } });
      assert.equal((await whoami(s)).name, 'Alice');
    });
    test(`session cookie without Origin is not read (${transports})`, async () => {
      await assertRefused('/', { transports, extraHeaders: { Cookie: `session=${alice.session}` } }, 'missing_token');
    });
    test(`session cookie from a foreign Origin: handshake refused (${transports})`, async () => {
      const err = await refused('/', { transports, extraHeaders: { Cookie: `session=${alice.session}`, Origin: FOREIGN_ORIGIN } });
      assert.equal(err.data, undefined, 'refused by HTTP status, not by a connect_error');
    });
    test(`unknown session cookie (${transports})`, async () => {
      await assertRefused('/', { transports, extraHeaders: { Cookie: `session=${record('nosuchsession0123456789')}`, Origin: ALLOWED_ORIGIN } }, 'invalid_token');
    });
  }
  test('the auth payload comes first', async () => {
    const s = await connect('/', { auth: { token: alice.token }, query: { token: record('garbage') } });
    assert.equal((await whoami(s)).name, 'Alice');
  });
});

describe('forged and expired tokens', () => {
  test('minted elsewhere with the right key is accepted', async () => {
    const t = mint(claimsLike(alice.token, { iat: nowSec() - 5, exp: nowSec() + 600 }));
    const s = await connect('/', { auth: { token: t } });
    assert.equal((await whoami(s)).name, 'Alice');
  });
  test('expired', async () => {
    const t = mint(claimsLike(alice.token, { iat: nowSec() - 7200, nbf: undefined, exp: nowSec() - 3600 }));
    await assertRefused('/', { auth: { token: t } }, 'token_expired');
  });
  test('expired and badly signed is invalid, not expired', async () => {
    const t = mint(claimsLike(alice.token, { iat: nowSec() - 7200, nbf: undefined, exp: nowSec() - 3600 }), { secret: 'wrong-secret-wrong-secret-wrong!!' });
    await assertRefused('/', { auth: { token: t } }, 'invalid_token');
  });
  const cases = {
    'alg none': () => {
      const c = claimsLike(alice.token);
      return record(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.`);
    },
    'HS384 (not on the allowlist)': () => mint(claimsLike(alice.token), { header: { alg: 'HS384', typ: 'JWT' } }),
    'wrong key': () => mint(claimsLike(alice.token), { secret: 'another-secret-another-secret-xx' }),
    'no exp': () => mint(claimsLike(alice.token, { exp: undefined })),
    'iat in the future': () => mint(claimsLike(alice.token, { iat: nowSec() + 3600 })),
    'nbf in the future': () => mint(claimsLike(alice.token, { nbf: nowSec() + 3600 })),
    'wrong issuer': () => mint(claimsLike(alice.token, { iss: 'https://evil.example' })),
    'wrong audience': () => mint(claimsLike(alice.token, { aud: 'someone-else' })),
    'over 8 KB': () => mint(claimsLike(alice.token, { pad: 'x'.repeat(9000) })),
    '100k dots': () => record('a' + '.'.repeat(100_000)),
  };
  for (const [name, make] of Object.entries(cases)) {
    test(name, async () => { await assertRefused('/', { auth: { token: make() } }, 'invalid_token'); });
  }
});

describe('revocation', () => {
  test('a logged-out token and session are refused with revoked', async () => {
    const bob = await loginOK('bob');
    assert.equal(await logout({ token: bob.token }), 204);
    await assertRefused('/', { auth: { token: bob.token } }, 'revoked');
    await assertRefused('/', { transports: ['websocket'], extraHeaders: { Cookie: `session=${bob.session}`, Origin: ALLOWED_ORIGIN } }, 'revoked');
  });
});

// upgradeStatus sends a raw WebSocket handshake and returns the HTTP status
// (101 when upgraded).
function upgradeStatus(origin) {
  const url = new URL(`${BASE}/socket.io/?EIO=4&transport=websocket`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...(origin ? { Origin: origin } : {}),
      },
    });
    req.on('upgrade', (res, sock) => { sock.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

describe('handshake Origin check', () => {
  for (const origin of [FOREIGN_ORIGIN, 'null', 'http://evil.test']) {
    test(`polling from ${origin} is 403`, async () => {
      const res = await fetch(`${BASE}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });
      assert.equal(res.status, 403);
      await res.arrayBuffer();
    });
    test(`websocket from ${origin} is 403`, async () => {
      assert.equal(await upgradeStatus(origin), 403);
    });
  }
  test('allowed, same-origin and absent Origin handshake', async () => {
    for (const origin of [ALLOWED_ORIGIN, BASE, undefined]) {
      const res = await fetch(`${BASE}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { Origin: origin } : {} });
      assert.equal(res.status, 200, `origin ${origin}`);
      assert.match(await res.text(), /^0\{/);
      assert.equal(await upgradeStatus(origin), 101, `websocket origin ${origin}`);
    }
  });
});
