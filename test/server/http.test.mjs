// http.test.mjs: the HTTP surface as a browser sees it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AFTER, BASE, login, uniq } from './helpers.mjs';

test('demo page and its assets carry the security headers', async () => {
  for (const path of ['/', '/app.js', '/style.css', '/lib/socket.io.min.js']) {
    const res = await fetch(BASE + path);
    assert.equal(res.status, 200, path);
    await res.arrayBuffer();
    assert.match(res.headers.get('content-security-policy'), /script-src 'self'/, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  }
});

test('login: 401 is byte-identical for an unknown user and a wrong password', async () => {
  const a = await login('alice', 'wrong-pass');
  const b = await login(uniq('nobody'), 'wrong-pass');
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  assert.equal(a.text, b.text);
  assert.equal(a.body.error.code, 'invalid_credentials');
});

test('login cookie attributes', async () => {
  const r = await login('bob', 'bob-pass');
  assert.equal(r.status, 200);
  assert.match(r.setCookie, /HttpOnly/i);
  assert.match(r.setCookie, /SameSite=Strict/i);
  assert.match(r.setCookie, /Path=\//i);
});

test('login brute force: the 6th attempt is 429 even with the right password, also with X-Forwarded-For', async () => {
  // On the second server, so carol's budget on the main one stays whole.
  // A fresh spoofed X-Forwarded-For each time: untrusted, so ignored.
  for (let i = 0; i < 5; i++) {
    const r = await login('carol', 'nope', { base: AFTER, headers: { 'X-Forwarded-For': `203.0.113.${i}` } });
    assert.equal(r.status, 401);
  }
  const r = await login('carol', 'carol-pass', { base: AFTER, headers: { 'X-Forwarded-For': '198.51.100.7' } });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  const unknown = uniq('nobody');
  for (let i = 0; i < 5; i++) await login(unknown, 'nope', { base: AFTER });
  assert.equal((await login(unknown, 'nope', { base: AFTER })).status, 429, 'the same answer for unknown users');
});

test('login: form posts and foreign origins are refused', async () => {
  const form = await fetch(`${BASE}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'username=alice&password=alice-pass' });
  assert.equal(form.status, 400);
  assert.equal((await form.json()).error.code, 'bad_request');
  const foreign = await login('alice', 'alice-pass', { headers: { Origin: 'https://evil.test' } });
  assert.equal(foreign.status, 403);
});

test('healthz and readyz', async () => {
  for (const path of ['/healthz', '/readyz']) {
    const res = await fetch(BASE + path);
    assert.equal(res.status, 200, path);
    await res.arrayBuffer();
  }
});
