// tls.test.mjs: the server reached over HTTPS, either serving TLS itself
// (TLS_CERT_FILE) or behind nginx terminating TLS (X-Forwarded-Proto from a
// trusted proxy). The Go test (tls_test.go) passes:
//   RT_BASE_URL        https://127.0.0.1:PORT (the server, or nginx)
//   RT_ALLOWED_ORIGIN  an origin on the server's ALLOWED_ORIGINS
//   RT_OTHER_CA        the PEM of a CA the server's certificate is not from
//   NODE_EXTRA_CA_CERTS  the test CA: Node trusts it, nothing is disabled
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import tls from 'node:tls';
import { io } from 'socket.io-client';

const BASE = (process.env.RT_BASE_URL || '').replace(/\/$/, '');
const ALLOWED_ORIGIN = process.env.RT_ALLOWED_ORIGIN || '';
const OTHER_CA = process.env.RT_OTHER_CA || '';
assert.match(BASE, /^https:\/\//, 'RT_BASE_URL is https');
assert.ok(ALLOWED_ORIGIN && OTHER_CA && process.env.NODE_EXTRA_CA_CERTS, 'set by the Go test');
const OWN_ORIGIN = `https://${new URL(BASE).host}`;
const HSTS = 'max-age=31536000';

const open = new Set();
afterEach(() => { for (const s of open) s.disconnect(); open.clear(); });

function connect(opts) {
  const s = io(BASE, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
  open.add(s);
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => { s.disconnect(); reject(err); });
  });
}

async function login(user) {
  const res = await fetch(`${BASE}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: `${user}-pass` }),
  });
  assert.equal(res.status, 200, `login ${user}`);
  const body = await res.json();
  const cookie = res.headers.get('set-cookie') || '';
  return { token: body.token, cookie, session: /session=([^;]+)/.exec(cookie)?.[1], hsts: res.headers.get('strict-transport-security') };
}

async function whoami(s) {
  const res = await s.timeout(3000).emitWithAck('whoami');
  assert.equal(res.ok, true);
  return res.user.name;
}

describe('socket.io-client over TLS', () => {
  for (const transports of [['polling'], ['websocket']]) {
    test(`connects with ${transports} and talks`, async () => {
      const { token } = await login('alice');
      const s = await connect({ transports, auth: { token } });
      assert.equal(s.io.engine.transport.name, transports[0]);
      assert.equal(await whoami(s), 'Alice');
    });
  }

  test('upgrades from polling to WebSocket', async () => {
    const { token } = await login('bob');
    const s = await connect({ auth: { token } });
    if (s.io.engine.transport.name !== 'websocket') {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no upgrade within 5 s')), 5000);
        s.io.engine.once('upgrade', () => { clearTimeout(timer); resolve(); });
      });
    }
    assert.equal(s.io.engine.transport.name, 'websocket');
    assert.equal(await whoami(s), 'Bob');
  });

  test('a client that does not trust the issuing CA is refused', async () => {
    // The same connection that works above fails with only the trusted CA
    // changed (polling reports just "xhr poll error"; the TLS check below
    // names the cause).
    const { token } = await login('alice');
    for (const transports of [['polling'], ['websocket']]) {
      await assert.rejects(connect({ transports, ca: OTHER_CA, auth: { token } }), /poll error|websocket error/, `${transports}`);
    }
    const err = await new Promise((resolve) => {
      const c = tls.connect({ host: new URL(BASE).hostname, port: Number(new URL(BASE).port), ca: OTHER_CA }, () => { c.end(); resolve(null); });
      c.on('error', resolve);
    });
    assert.equal(err?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', String(err));
  });
});

describe('session cookie over HTTPS', () => {
  test('POST /login sets a Secure cookie and Strict-Transport-Security', async () => {
    const { cookie, hsts } = await login('alice');
    assert.match(cookie, /;\s*Secure/i);
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.equal(hsts, HSTS);
  });

  for (const origin of [ALLOWED_ORIGIN, OWN_ORIGIN]) {
    test(`the cookie authenticates a wss:// handshake from ${origin}`, async () => {
      const { session } = await login('alice');
      const s = await connect({ transports: ['websocket'], extraHeaders: { Cookie: `session=${session}`, Origin: origin } });
      assert.equal(await whoami(s), 'Alice');
    });
  }

  test('the http:// origin of the same host and a foreign origin are refused', async () => {
    const { session } = await login('alice');
    for (const origin of [`http://${new URL(BASE).host}`, 'https://evil.example']) {
      await assert.rejects(
        connect({ transports: ['websocket'], extraHeaders: { Cookie: `session=${session}`, Origin: origin } }),
        undefined, origin,
      );
    }
  });
});
