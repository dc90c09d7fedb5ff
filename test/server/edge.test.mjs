// edge.test.mjs: the server's edge. The edge server (RT_EDGE_URL) trusts
// 127.0.0.1 as its proxy (TRUSTED_PROXIES), so this suite plays the proxy and
// sets X-Forwarded-For and X-Forwarded-Proto itself; its handshake limit is
// HANDSHAKE_RATE=1, HANDSHAKE_BURST=10 per client address. The main server
// (RT_BASE_URL) trusts no proxy. Both serve /metrics on a listener of their
// own (RT_EDGE_METRICS, RT_METRICS), never on the public one.
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach, before, describe, test } from 'node:test';
import { BASE, ack, closeAll, connect, login, loginOK, refused } from './helpers.mjs';

const EDGE = (process.env.RT_EDGE_URL || '').replace(/\/$/, '');
const EDGE_METRICS = process.env.RT_EDGE_METRICS || '';
const METRICS = process.env.RT_METRICS || '';
const BURST = 10;
const RATE_LIMITED = '{"code":7,"message":"too many requests; try again later"}';

before(() => assert.ok(EDGE && EDGE_METRICS && METRICS, 'RT_EDGE_URL, RT_EDGE_METRICS and RT_METRICS are set by the harness'));
afterEach(closeAll);

// clientIP returns a documentation address (198.51.100.0/24) of its own for
// each call, so each test starts with a whole handshake budget.
let lastIP = 0;
const clientIP = () => `198.51.100.${++lastIP}`;

function handshake(base, headers = {}) {
  return fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers });
}

async function whoami(s) {
  const res = await ack(s, 'whoami');
  assert.equal(res.ok, true);
  return res.user;
}

async function metric(url, line) {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  const text = await res.text();
  const m = text.split('\n').find((l) => l.startsWith(line + ' '));
  return m ? Number(m.slice(line.length + 1)) : 0;
}

describe('handshake rate limit', () => {
  test('a handshake flood from one address gets 429 while another address still gets in', async () => {
    const alice = await loginOK('alice', EDGE);
    const flooder = clientIP();
    const before = await metric(EDGE_METRICS, 'rt_handshakes_total{outcome="rate_limited"}');
    // A session opened before the flood: its requests carry a sid and
    // are never limited.
    const early = await connect('/', { auth: { token: alice.token }, transports: ['polling'], extraHeaders: { 'X-Forwarded-For': flooder } }, EDGE);

    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 60 }, async () => {
      const res = await handshake(EDGE, { 'X-Forwarded-For': flooder });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    }));
    const seconds = (Date.now() - started) / 1000;
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    assert.equal(ok + limited.length, 60, `only 200 and 429: ${results.map((r) => r.status)}`);
    assert.ok(ok <= BURST + Math.ceil(seconds) + 1, `${ok} handshakes accepted in ${seconds} s`);
    assert.ok(limited.length >= 60 - BURST - Math.ceil(seconds) - 2, `${limited.length} refused`);
    for (const r of limited) {
      assert.equal(r.type, 'application/json');
      assert.equal(r.body, RATE_LIMITED);
    }

    // socket.io-client from the flooded address is refused, by either transport.
    for (const transports of [['polling'], ['websocket']]) {
      const err = await refused('/', { auth: { token: alice.token }, transports, extraHeaders: { 'X-Forwarded-For': flooder } }, EDGE);
      assert.equal(err.data, undefined, `refused by HTTP status (${transports})`);
    }
    // The session opened before the flood still works (polling: sid requests).
    assert.equal((await whoami(early)).name, 'Alice');
    // Another address behind the same trusted proxy gets in at once.
    const other = await connect('/', { auth: { token: alice.token }, extraHeaders: { 'X-Forwarded-For': clientIP() } }, EDGE);
    assert.equal((await whoami(other)).name, 'Alice');

    const after = await metric(EDGE_METRICS, 'rt_handshakes_total{outcome="rate_limited"}');
    assert.ok(after - before >= limited.length + 2, `refusals counted: ${before} → ${after}`);
  });

  test('the WebSocket upgrade of an existing session is not limited', async () => {
    const ip = clientIP();
    const sids = [];
    for (;;) {
      const res = await handshake(EDGE, { 'X-Forwarded-For': ip });
      const body = await res.text();
      if (res.status === 429) break;
      assert.equal(res.status, 200, body);
      sids.push(JSON.parse(body.slice(1)).sid);
      assert.ok(sids.length <= BURST + 5, 'no 429 past the burst');
    }
    // The address has no budget left; its sessions still upgrade.
    for (const sid of sids.slice(0, 3)) {
      assert.equal(await upgradeStatus(EDGE, sid, ip), 101, `upgrade of ${sid}`);
    }
  });
});

// upgradeStatus sends a raw WebSocket handshake for session sid and returns
// the HTTP status (101 when upgraded).
function upgradeStatus(base, sid, ip) {
  const url = new URL(`${base}/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'X-Forwarded-For': ip,
      },
    });
    req.on('upgrade', (res, sock) => { sock.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics listener', () => {
  test('/metrics is 404 on the public port and served on the metrics port', async () => {
    for (const base of [BASE, EDGE]) {
      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 404, base);
      assert.equal((await res.json()).error.code, 'not_found');
    }
    for (const url of [METRICS, EDGE_METRICS]) {
      assert.notEqual(new URL(url).port, new URL(BASE).port);
      assert.ok(await metric(url, 'go_goroutines') > 0, url);
    }
  });
});

describe('TLS-terminating proxy', () => {
  test('POST /login with X-Forwarded-Proto: https sets a Secure cookie only when the peer is trusted', async () => {
    const headers = { 'X-Forwarded-Proto': 'https' };
    const trusted = await login('bob', 'bob-pass', { base: EDGE, headers });
    assert.equal(trusted.status, 200);
    assert.match(trusted.setCookie, /;\s*Secure/i);
    const untrusted = await login('bob', 'bob-pass', { base: BASE, headers });
    assert.equal(untrusted.status, 200);
    assert.doesNotMatch(untrusted.setCookie, /Secure/i);
    const plain = await login('bob', 'bob-pass', { base: EDGE });
    assert.doesNotMatch(plain.setCookie, /Secure/i, 'no header, no Secure');
  });

  for (const transports of [['polling'], ['websocket']]) {
    test(`the session cookie works from the page's own https origin behind the trusted proxy only (${transports})`, async () => {
      for (const [base, trusted] of [[EDGE, true], [BASE, false]]) {
        const { session } = await login('alice', 'alice-pass', { base, headers: { 'X-Forwarded-Proto': 'https' } });
        const extraHeaders = {
          Cookie: `session=${session}`, Origin: `https://${new URL(base).host}`,
          'X-Forwarded-Proto': 'https', 'X-Forwarded-For': clientIP(),
        };
        if (trusted) {
          const s = await connect('/', { transports, extraHeaders }, base);
          assert.equal((await whoami(s)).name, 'Alice');
        } else {
          const err = await refused('/', { transports, extraHeaders }, base);
          assert.equal(err.data, undefined, 'refused by HTTP status (403), not by a connect_error');
        }
      }
    });
  }
});
